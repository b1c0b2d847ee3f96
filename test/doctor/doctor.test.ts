import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createAwsMonitorProbe } from '../../shared/doctor/AwsMonitorProbe';
import { type CheckResult, type DoctorTarget, queueArn, runDoctor } from '../../shared/doctor/doctor';
import { managementCoverage } from '../../shared/doctor/trail';
import type { EventKind } from '../../shared/roles/roleEvents';
import { MemoryStore } from '../../shared/store/MemoryStore';
import {
  ACCOUNT,
  ASSUMPTION_DLQ,
  cloudTrail,
  denied,
  deployedRules,
  doctorTarget,
  eventBridge,
  forwarderRules,
  HOME,
  healthyAccount,
  MULTI_REGION_TRAIL,
  STAGE,
  sns,
  sqs,
  TOPIC_ARN,
  TRAIL_ARN,
} from '../support/monitorAccount';

// The first test loads the AWS SDK clients, which takes seconds on a loaded machine.
jest.setTimeout(30_000);
const NOW = Date.parse('2026-12-06T08:00:00Z');
const HOUR = 3_600_000;

let store: MemoryStore;

async function doctor(overrides: Partial<DoctorTarget> = {}): Promise<CheckResult[]> {
  return runDoctor(createAwsMonitorProbe({ region: HOME, lastEvents: () => store.lastEvents() }), doctorTarget(NOW, overrides));
}

const byCheck = (results: readonly CheckResult[], check: string) => {
  const found = results.find((r) => r.check === check);
  if (!found) throw new Error(`no check ${check} in ${results.map((r) => r.check).join(', ')}`);
  return found;
};
const failing = (results: readonly CheckResult[]) => results.filter((r) => r.status !== 'pass').map((r) => r.check);

async function seen(kind: EventKind, hoursAgo: number) {
  await store.noteLastEvent(NOW - hoursAgo * HOUR, kind);
}

beforeEach(async () => {
  healthyAccount();
  store = new MemoryStore();
  await seen('assumption', 0.1);
  await seen('iam-change', 30);
});

describe('rolewatch doctor checks', () => {
  it('all pass on a healthy account, each check named', async () => {
    const results = await doctor();
    expect(results.map((r) => `${r.status} ${r.check}`)).toEqual([
      'pass trail:us-east-1',
      'pass rule:rolewatch-prod-iam-changes',
      'pass rule:rolewatch-prod-monitor-tampering',
      'pass rule:rolewatch-prod-role-assumptions',
      'pass alert-subscription',
      'pass dead-letter-queue:EventsDeadLetterQueue',
      'pass dead-letter-queue:AssumptionDeadLetterQueue',
      'pass last-event:iam-change',
      'pass last-event:assumption',
      'pass last-event:monitor-call',
    ]);
    expect(byCheck(results, 'trail:us-east-1').detail).toBe(
      'trail management-events (multi-region) logs read and write management events and is logging',
    );
    expect(byCheck(results, 'last-event:iam-change').detail).toBe('last IAM change seen 2026-12-05T02:00:00.000Z (30 h ago)');
    expect(byCheck(results, 'last-event:monitor-call').detail).toBe(
      'no call of another watched service (CloudTrail, EventBridge, Organizations...) seen yet',
    );
    // The trail's status and selectors are read in its home region, by its ARN.
    expect(cloudTrail.commandCalls(GetEventSelectorsCommand)[0]?.args[0].input).toEqual({ TrailName: TRAIL_ARN });
  });

  it('fails a trail that logs write events only, and says how to log reads too', async () => {
    cloudTrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [
        { ReadWriteType: 'WriteOnly', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
      ],
    });
    const results = await doctor();
    expect(failing(results)).toEqual(['trail:us-east-1']);
    const trail = byCheck(results, 'trail:us-east-1');
    expect(trail.detail).toBe(
      'trail management-events (multi-region) logs write management events only: AssumeRole is a read event, so RoleWatch sees no role assumption',
    );
    expect(trail.fix).toContain(
      `aws cloudtrail put-event-selectors --trail-name ${TRAIL_ARN} --region us-east-1 --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`,
    );
  });

  it('fails a trail whose advanced selectors keep write management events only, with the advanced fix', async () => {
    cloudTrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      AdvancedEventSelectors: [
        {
          Name: 'Management events, writes',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Management'] },
            { Field: 'readOnly', Equals: ['false'] },
          ],
        },
        {
          Name: 'S3 data events',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          ],
        },
      ],
    });
    const trail = byCheck(await doctor(), 'trail:us-east-1');
    expect(trail.status).toBe('fail');
    expect(trail.fix).toContain('--advanced-event-selectors');
  });

  it('fails a trail that is not logging, with start-logging', async () => {
    cloudTrail.on(GetTrailStatusCommand).resolves({ IsLogging: false, TimeLoggingStopped: '2026-12-03T22:14:09Z' });
    const results = await doctor();
    expect(failing(results)).toEqual(['trail:us-east-1']);
    expect(byCheck(results, 'trail:us-east-1')).toMatchObject({
      detail: 'trail management-events (multi-region) is not logging: no event reaches EventBridge',
      fix: `aws cloudtrail start-logging --name ${TRAIL_ARN} --region us-east-1`,
    });
  });

  it('fails the STS rule in plain ENABLED state: it never receives AssumeRole', async () => {
    const rules = deployedRules();
    const sts = rules['rolewatch-prod-role-assumptions'];
    if (sts) sts.State = 'ENABLED';
    healthyAccount({ [HOME]: rules });
    const results = await doctor();
    expect(failing(results)).toEqual(['rule:rolewatch-prod-role-assumptions']);
    const rule = byCheck(results, 'rule:rolewatch-prod-role-assumptions');
    expect(rule.detail).toContain('is ENABLED: AssumeRole is a read-only event');
    expect(rule.fix).toContain('npx osls deploy --stage prod --region us-east-1');
    expect(rule.fix).toContain(
      'aws events put-rule --name rolewatch-prod-role-assumptions --region us-east-1 --state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
    );
  });

  it('fails a rule that is disabled, missing, without target or with an old pattern', async () => {
    const rules = deployedRules();
    const tampering = rules['rolewatch-prod-monitor-tampering'];
    if (tampering) tampering.State = 'DISABLED';
    const iam = rules['rolewatch-prod-iam-changes'];
    if (iam) iam.EventPattern = JSON.stringify({ source: ['aws.iam'], 'detail-type': ['AWS API Call via CloudTrail'] });
    healthyAccount({ [HOME]: rules });
    let results = await doctor();
    expect(failing(results)).toEqual(['rule:rolewatch-prod-iam-changes', 'rule:rolewatch-prod-monitor-tampering']);
    expect(byCheck(results, 'rule:rolewatch-prod-monitor-tampering').fix).toBe(
      'aws events enable-rule --name rolewatch-prod-monitor-tampering --region us-east-1',
    );
    expect(byCheck(results, 'rule:rolewatch-prod-iam-changes').detail).toContain('has a pattern other than');

    const { 'rolewatch-prod-iam-changes': _gone, ...rest } = deployedRules();
    healthyAccount({ [HOME]: rest });
    results = await doctor();
    expect(byCheck(results, 'rule:rolewatch-prod-iam-changes')).toMatchObject({
      status: 'fail',
      detail: 'rule rolewatch-prod-iam-changes (us-east-1) does not exist',
    });

    healthyAccount();
    eventBridge.on(ListTargetsByRuleCommand, { Rule: 'rolewatch-prod-role-assumptions' }).resolves({ Targets: [] });
    results = await doctor();
    expect(failing(results)).toEqual(['rule:rolewatch-prod-role-assumptions']);
    expect(byCheck(results, 'rule:rolewatch-prod-role-assumptions').detail).toBe(
      'rule rolewatch-prod-role-assumptions (us-east-1) has no target: its events go nowhere',
    );
  });

  it('fails a pending subscription, and a topic nobody subscribed to', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [
        {
          SubscriptionArn: 'PendingConfirmation',
          Owner: ACCOUNT,
          Protocol: 'email',
          Endpoint: 'security@example.com',
          TopicArn: TOPIC_ARN,
        },
      ],
    });
    let results = await doctor();
    expect(failing(results)).toEqual(['alert-subscription']);
    expect(byCheck(results, 'alert-subscription')).toMatchObject({
      detail: 'email security@example.com never confirmed the subscription: alerts do not reach it',
      fix: expect.stringContaining('open the confirmation message sent to security@example.com'),
    });
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    results = await doctor();
    expect(byCheck(results, 'alert-subscription')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('--param alertEmail='),
    });
  });

  it('fails a dead-letter queue holding messages, with how to read and redrive them', async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: ASSUMPTION_DLQ })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '17', ApproximateNumberOfMessagesNotVisible: '2' } });
    const results = await doctor();
    expect(failing(results)).toEqual(['dead-letter-queue:AssumptionDeadLetterQueue']);
    const queue = byCheck(results, 'dead-letter-queue:AssumptionDeadLetterQueue');
    expect(queue.detail).toBe('19 messages waiting: events RoleWatch could not process');
    expect(queue.fix).toContain(`aws sqs receive-message --queue-url ${ASSUMPTION_DLQ}`);
    expect(queue.fix).toContain(`aws sqs start-message-move-task --source-arn ${queueArn(ASSUMPTION_DLQ)}`);
    expect(queueArn(ASSUMPTION_DLQ)).toBe(
      `arn:aws:sqs:us-east-1:${ACCOUNT}:rolewatch-prod-AssumptionDeadLetterQueue-1QAZ2WSX3EDC`,
    );
  });

  it('fails when no role assumption arrived for 3 days, or none ever', async () => {
    store = new MemoryStore();
    await seen('assumption', 72);
    let results = await doctor();
    expect(failing(results)).toEqual(['last-event:assumption']);
    expect(byCheck(results, 'last-event:assumption')).toMatchObject({
      detail:
        'last role assumption seen 2026-12-03T08:00:00.000Z (3 days ago): more than 24 hours without one, so RoleWatch is likely blind',
      fix: expect.stringContaining('aws sts assume-role'),
    });
    store = new MemoryStore();
    results = await doctor();
    expect(byCheck(results, 'last-event:assumption').detail).toMatch(/^no role assumption seen yet/);
  });

  it('cannot tell, naming the missing permission, when a call is denied, and never passes that check', async () => {
    cloudTrail.on(GetEventSelectorsCommand).rejects(denied('cloudtrail:GetEventSelectors', TRAIL_ARN));
    sns.on(ListSubscriptionsByTopicCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: SNS:ListSubscriptionsByTopic'), {
        name: 'AuthorizationErrorException',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const results = await doctor();
    expect(results.filter((r) => r.status === 'cannot-tell').map((r) => [r.check, r.missingPermission])).toEqual([
      ['trail:us-east-1', 'cloudtrail:GetEventSelectors'],
      ['alert-subscription', 'sns:ListSubscriptionsByTopic'],
    ]);
  });

  it('cannot tell anything that needs the stack when the stack could not be read', async () => {
    const results = await doctor({ alertTopicArn: undefined, deadLetterQueues: [], unknownBecause: 'the stack is unknown' });
    expect(results.filter((r) => r.status === 'cannot-tell').map((r) => `${r.check}: ${r.detail}`)).toEqual([
      'alert-subscription: cannot tell: the stack is unknown',
      'dead-letter-queues: cannot tell: the stack is unknown',
    ]);
  });

  it('checks the trail of every wanted region and the forwarders where RoleWatch does not run', async () => {
    // RoleWatch runs in eu-west-1; the forwarder in us-east-1 is there, the one in ap-southeast-2 was never deployed.
    healthyAccount({ 'eu-west-1': deployedRules(STAGE, 'eu-west-1'), 'us-east-1': forwarderRules('eu-west-1', 'us-east-1') });
    const results = await doctor({ region: 'eu-west-1', regions: ['ap-southeast-2'] });
    expect(results.filter((r) => r.check.startsWith('trail:')).map((r) => r.check)).toEqual([
      'trail:us-east-1',
      'trail:eu-west-1',
      'trail:ap-southeast-2',
    ]);
    expect(failing(results)).toEqual(['forwarder:ap-southeast-2']);
    const missing = byCheck(results, 'forwarder:ap-southeast-2');
    expect(missing.detail).toBe(
      'rule rolewatch-to-eu-west-1-monitor-tampering (ap-southeast-2) does not exist; rule rolewatch-to-eu-west-1-role-assumptions (ap-southeast-2) does not exist',
    );
    expect(missing.fix).toContain('npx rolewatch forwarder-template --home-region eu-west-1');
    expect(missing.fix).toContain('--region ap-southeast-2');
  });

  it('counts a trail of another region only if it is multi-region', async () => {
    cloudTrail.on(DescribeTrailsCommand).resolves({
      trailList: [
        {
          ...MULTI_REGION_TRAIL,
          IsMultiRegionTrail: false,
          HomeRegion: 'eu-west-1',
          TrailARN: TRAIL_ARN.replace(HOME, 'eu-west-1'),
        },
      ],
    });
    const trail = byCheck(await doctor(), 'trail:us-east-1');
    expect(trail.status).toBe('fail');
    expect(trail.detail).toMatch(/^no trail logs us-east-1/);
  });
});

describe('management event coverage of a trail', () => {
  it('reads basic and advanced selectors as CloudTrail applies them', () => {
    const basic = (readWriteType: string, includeManagementEvents = true) => ({
      basic: [{ readWriteType, includeManagementEvents, excludedSources: [] }],
      advanced: [],
    });
    expect(managementCoverage(basic('All'))).toEqual({ reads: true, writes: true });
    expect(managementCoverage(basic('ReadOnly'))).toEqual({ reads: true, writes: false });
    expect(managementCoverage(basic('All', false))).toEqual({ reads: false, writes: false });
    const advanced = (...fields: { field: string; equals?: string[]; notEquals?: string[] }[]) => ({
      basic: [],
      advanced: [{ fields }],
    });
    const management = { field: 'eventCategory', equals: ['Management'] };
    expect(managementCoverage(advanced(management))).toEqual({ reads: true, writes: true });
    expect(managementCoverage(advanced(management, { field: 'readOnly', equals: ['true'] }))).toEqual({
      reads: true,
      writes: false,
    });
    expect(managementCoverage(advanced(management, { field: 'eventSource', notEquals: ['sts.amazonaws.com'] }))).toEqual({
      reads: false,
      writes: true,
    });
    expect(managementCoverage(advanced({ field: 'eventCategory', equals: ['Data'] }))).toEqual({ reads: false, writes: false });
    expect(managementCoverage({ basic: [], advanced: [] })).toEqual({ reads: false, writes: false });
  });
});
