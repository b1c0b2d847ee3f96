import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetEventSelectorsCommand } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../support/cli';
import {
  ACCOUNT,
  ASSUMPTION_DLQ,
  cloudTrail,
  denied,
  EVENTS_DLQ,
  HOME,
  healthyAccount,
  TOPIC_ARN,
  TRAIL_ARN,
} from '../support/monitorAccount';
import { ROOT } from '../support/template';

// The first test loads the AWS SDK clients, which takes seconds on a loaded machine.
jest.setTimeout(30_000);
const cloudFormation = mockClient(CloudFormationClient);
const dynamo = mockClient(DynamoDBClient);
const TABLE = 'rolewatch-prod-RoleWatchTable-1X2Y3Z4W5V6U';

/** ListStackResources of RoleWatch's stack (a page of it: the resources doctor reads, and a function). */
function stackResources() {
  const summary = (logical: string, physical: string, type: string) => ({
    LogicalResourceId: logical,
    PhysicalResourceId: physical,
    ResourceType: type,
    LastUpdatedTimestamp: new Date('2026-12-01T10:00:00Z'),
    ResourceStatus: 'UPDATE_COMPLETE' as const,
    DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' as const },
  });
  return {
    StackResourceSummaries: [
      summary('AlertTopic', TOPIC_ARN, 'AWS::SNS::Topic'),
      summary('AssumptionDeadLetterQueue', ASSUMPTION_DLQ, 'AWS::SQS::Queue'),
      summary('EventsDeadLetterQueue', EVENTS_DLQ, 'AWS::SQS::Queue'),
      summary('RoleWatchTable', TABLE, 'AWS::DynamoDB::Table'),
      summary('ReconcileLambdaFunction', 'rolewatch-prod-reconcile', 'AWS::Lambda::Function'),
    ],
  };
}

/** Query of the MONITOR partition's LAST-EVENT# items, as DynamoDB answers it. */
function lastEventItems(assumptionAt: number) {
  return {
    Items: [
      { pk: { S: 'MONITOR' }, sk: { S: 'LAST-EVENT#assumption' }, at: { N: String(assumptionAt) } },
      { pk: { S: 'MONITOR' }, sk: { S: 'LAST-EVENT#iam-change' }, at: { N: String(assumptionAt - 86_400_000) } },
    ],
    Count: 2,
    ScannedCount: 2,
  };
}

beforeEach(() => {
  healthyAccount();
  cloudFormation.reset();
  dynamo.reset();
  cloudFormation.on(ListStackResourcesCommand).resolves(stackResources());
  dynamo.on(QueryCommand).resolves(lastEventItems(Date.now() - 600_000));
});

const doctor = (...args: string[]) => runCli('doctor', '--stage', 'prod', '--region', HOME, ...args);

describe('rolewatch doctor', () => {
  it('prints every check and exits 0 when RoleWatch sees everything', async () => {
    const { code, stdout } = await doctor();
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS {9}stack\n {13}stack rolewatch-prod in us-east-1: 5 resources\n/);
    expect(stdout).toContain('PASS         rule:rolewatch-prod-role-assumptions');
    expect(stdout).toContain('PASS         last-event:assumption');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('11 pass, 0 fail, 0 cannot tell');
    expect(cloudFormation.commandCalls(ListStackResourcesCommand)[0]?.args[0].input).toEqual({ StackName: 'rolewatch-prod' });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ TableName: TABLE });
  });

  it('exits 1 and prints the fix under a failing check; --format jsonl gives one check per line', async () => {
    cloudTrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [{ ReadWriteType: 'WriteOnly' as const, IncludeManagementEvents: true, DataResources: [] }],
    });
    const table = await doctor();
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(
      `FAIL         trail:us-east-1\n             trail management-events (multi-region) logs write management events only`,
    );
    expect(table.stdout).toContain(`             fix: aws cloudtrail put-event-selectors --trail-name ${TRAIL_ARN}`);

    const jsonl = await doctor('--format', 'jsonl');
    expect(jsonl.code).toBe(1);
    const lines = jsonl.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(11);
    expect(lines.find((line) => line.check === 'trail:us-east-1')).toEqual({
      check: 'trail:us-east-1',
      status: 'fail',
      detail: expect.stringContaining('write management events only'),
      fix: expect.stringContaining('put-event-selectors'),
    });
  });

  it('fails the stack check when RoleWatch is not deployed under that stage, and cannot tell what needs it', async () => {
    cloudFormation.on(ListStackResourcesCommand).rejects(
      Object.assign(new Error('Stack with id rolewatch-prod does not exist'), {
        name: 'ValidationError',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { code, stdout } = await doctor('--format', 'jsonl');
    expect(code).toBe(1);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { check: string; status: string; fix?: string });
    expect(lines[0]).toMatchObject({
      check: 'stack',
      status: 'fail',
      fix: expect.stringContaining('npx osls deploy --stage prod'),
    });
    expect(lines.filter((line) => line.status === 'cannot-tell').map((line) => line.check)).toEqual([
      'alert-subscription',
      'dead-letter-queues',
      'last-event',
    ]);
  });

  it('exits 3 when nothing failed but some checks could not tell, naming the permission', async () => {
    cloudFormation.on(ListStackResourcesCommand).rejects(
      Object.assign(
        new Error(`User: arn:aws:iam::${ACCOUNT}:user/auditor is not authorized to perform: cloudformation:ListStackResources`),
        {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        },
      ),
    );
    cloudTrail.on(GetEventSelectorsCommand).rejects(denied('cloudtrail:GetEventSelectors', TRAIL_ARN));
    const { code, stdout } = await doctor();
    expect(code).toBe(3);
    expect(stdout).toContain(
      'CANNOT-TELL  stack\n             cannot tell: the credentials lack cloudformation:ListStackResources',
    );
    expect(stdout).toContain(
      'CANNOT-TELL  trail:us-east-1\n             cannot tell: the credentials lack cloudtrail:GetEventSelectors',
    );
  });

  it('every check it prints is explained in the deployment guide', async () => {
    const { stdout } = await doctor('--format', 'jsonl', '--regions', 'eu-central-1');
    const kinds = new Set(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => String(JSON.parse(line).check).split(':')[0]),
    );
    expect([...kinds].sort()).toEqual([
      'alert-subscription',
      'dead-letter-queue',
      'forwarder',
      'last-event',
      'rule',
      'stack',
      'trail',
    ]);
    const readme = readFileSync(join(ROOT, 'shared', 'deploy', 'README.md'), 'utf8');
    for (const kind of kinds) expect({ kind, explained: readme.includes(`| \`${kind}`) }).toEqual({ kind, explained: true });
  });

  it('refuses a region or stage that is not one, before calling AWS', async () => {
    expect((await runCli('doctor', '--region', 'Europe')).code).toBe(2);
    expect((await runCli('doctor', '--stage', 'prod;rm')).code).toBe(2);
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});
