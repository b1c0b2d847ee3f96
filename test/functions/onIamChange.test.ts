import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/on-iam-change/handler';
import { createDynamoStores } from '../../shared/context';
import { CORPUS } from '../support/corpus';
import { useLocalDynamo } from '../support/dynamo';
import { captureLogs, eventBridge, TOPIC_ARN, useLambdaEnvironment } from '../support/lambda';
import { ACCOUNT, attachRolePolicy, createRole, FOREIGN_ACCOUNT, iamRecord, resetClock, trustDocument } from '../support/trail';

const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo, { alerts: { minSeverity: 'high' } });
const logs = captureLogs();
const sns = mockClient(SNSClient);
const iam = mockClient(IAMClient);

const corpus = (file: string) => JSON.parse(readFileSync(path.join(CORPUS, 'events', file), 'utf8')) as Record<string, unknown>;
const stores = () => createDynamoStores({ client: dynamo.local.client, tableName });
const published = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
const attribute = (input: ReturnType<typeof published>[number], name: string) => input.MessageAttributes?.[name]?.StringValue;

beforeEach(() => {
  sns.reset();
  iam.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-id' });
  resetClock();
});

describe('on-iam-change', () => {
  it('evaluates the AWS documentation CreateRole record and stores its findings', async () => {
    const record = { ...corpus('awsdocs/CreateRole_918f0dd06bea.json'), eventID: 'c0a8e1f2-0000-4000-8000-000000000001' };
    await handler(eventBridge(record));
    const findings = await stores().findings.forResource('123456789012', 'arn:aws:iam::123456789012:role/TestRole');
    expect(findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['trust-unknown-account', 'iam-change-recorded']));
    expect(published().map((input) => attribute(input, 'ruleId'))).toEqual(['trust-unknown-account']);
  });

  it('alerts once per new high finding of a backdoor, with severity, rule and account attributes', async () => {
    await handler(eventBridge(createRole('backdoor', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`))));
    await handler(eventBridge(attachRolePolicy('backdoor', 'arn:aws:iam::aws:policy/AdministratorAccess')));
    const inputs = published();
    expect(inputs.map((input) => attribute(input, 'ruleId')).sort()).toEqual([
      'admin-policy-attached',
      'new-role-gets-admin',
      'trust-unknown-account',
    ]);
    for (const input of inputs) {
      expect(input.TopicArn).toBe(TOPIC_ARN);
      expect(attribute(input, 'account')).toBe(ACCOUNT);
      expect(input.Subject?.length).toBeLessThanOrEqual(100);
    }
    expect(inputs.find((input) => attribute(input, 'ruleId') === 'admin-policy-attached')?.Subject).toMatch(
      /^\[CRITICAL\] RoleWatch: /,
    );
  });

  it('reads a customer-managed policy from IAM, URL-decoded, once per invocation', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:policy/ci-deploy`;
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] };
    iam.on(GetPolicyCommand).resolves({ Policy: { Arn: arn, PolicyName: 'ci-deploy', DefaultVersionId: 'v3' } });
    iam.on(GetPolicyVersionCommand).resolves({
      PolicyVersion: { VersionId: 'v3', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(document)) },
    });
    await handler(eventBridge(createRole('ci', trustDocument(`arn:aws:iam::${ACCOUNT}:root`))));
    await handler(eventBridge(attachRolePolicy('ci', arn)));
    expect(iam.commandCalls(GetPolicyVersionCommand).map((call) => call.args[0].input)).toEqual([
      { PolicyArn: arn, VersionId: 'v3' },
    ]);
    const findings = await stores().findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/ci`);
    expect(findings.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['iam-wildcard-permissions', 'privilege-escalation-path']),
    );
  });

  it('fails the invocation when IAM throttles, and records the finding once when the event is retried', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:policy/throttled`;
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    iam
      .on(GetPolicyCommand)
      .rejectsOnce(throttled)
      .resolves({ Policy: { Arn: arn, DefaultVersionId: 'v1' } });
    iam.on(GetPolicyVersionCommand).resolves({
      PolicyVersion: {
        VersionId: 'v1',
        Document: encodeURIComponent(
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}',
        ),
      },
    });
    await handler(eventBridge(createRole('throttled-role', trustDocument(`arn:aws:iam::${ACCOUNT}:root`))));
    const attach = eventBridge(attachRolePolicy('throttled-role', arn));
    await expect(handler(attach)).rejects.toThrow('Rate exceeded');
    await handler(attach);
    await handler(attach);
    const passRole = (await stores().findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/throttled-role`)).find(
      (f) => f.ruleId === 'passrole-any-resource',
    );
    expect(passRole?.count).toBe(1);
    expect(published().filter((input) => attribute(input, 'ruleId') === 'passrole-any-resource')).toHaveLength(1);
  });

  it('fails while SNS is down, keeps the alert pending, and sends it exactly once after recovery', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' }));
    const event = eventBridge(createRole('sns-down', trustDocument('*')));
    await expect(handler(event)).rejects.toThrow();
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/sns-down`;
    const pending = (await stores().findings.forResource(ACCOUNT, roleArn)).find((f) => f.ruleId === 'trust-any-principal');
    expect(pending?.alert.state).toBe('pending');

    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'recovered' });
    await handler(event);
    await handler(event);
    expect(published().map((input) => attribute(input, 'ruleId'))).toEqual(['trust-any-principal']);
    const sent = (await stores().findings.forResource(ACCOUNT, roleArn)).find((f) => f.ruleId === 'trust-any-principal');
    expect(sent).toMatchObject({ count: 1, alert: { state: 'sent' } });
  });

  it('logs a malformed event with its eventID and returns, so it is not retried', async () => {
    await expect(handler(eventBridge({ eventID: 'bad-0001', eventSource: 'iam.amazonaws.com' }))).resolves.toBeUndefined();
    const dropped = logs.find((line) => line.message === 'malformed event dropped');
    expect(dropped).toMatchObject({ level: 'ERROR', eventId: 'bad-0001' });
    expect(String(dropped?.reason)).toMatch(/no eventName/);
  });

  it('sends monitor tampering to the engine: StopLogging on the trail', async () => {
    const stop = {
      ...iamRecord('StopLogging', { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management` }),
      eventSource: 'cloudtrail.amazonaws.com',
    };
    await handler(eventBridge(stop));
    expect(published().map((input) => attribute(input, 'ruleId'))).toEqual(['monitor-tampering']);
  });
});
