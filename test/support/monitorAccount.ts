import {
  AccessDeniedException,
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { eventPatterns } from '../../shared/deploy/eventPatterns';
import type { DoctorTarget } from '../../shared/doctor/doctor';

// One AWS account with RoleWatch deployed, as its read-only APIs answer (the real response shapes, as the
// API references document them). Each test starts healthy and breaks one thing.

export const ACCOUNT = '123456789012';
export const STAGE = 'prod';
export const HOME = 'us-east-1';
export const TOPIC_ARN = `arn:aws:sns:${HOME}:${ACCOUNT}:rolewatch-prod-AlertTopic-1A2B3C4D5E6F`;
export const EVENTS_DLQ = `https://sqs.${HOME}.amazonaws.com/${ACCOUNT}/rolewatch-prod-EventsDeadLetterQueue-9ZYXWVUTSRQP`;
export const ASSUMPTION_DLQ = `https://sqs.${HOME}.amazonaws.com/${ACCOUNT}/rolewatch-prod-AssumptionDeadLetterQueue-1QAZ2WSX3EDC`;
export const TRAIL_ARN = `arn:aws:cloudtrail:${HOME}:${ACCOUNT}:trail/management-events`;

export const cloudTrail = mockClient(CloudTrailClient);
export const eventBridge = mockClient(EventBridgeClient);
export const sns = mockClient(SNSClient);
export const sqs = mockClient(SQSClient);

/** A multi-region trail of this account, as DescribeTrails returns it (includeShadowTrails) in every region. */
export const MULTI_REGION_TRAIL = {
  Name: 'management-events',
  S3BucketName: 'aws-cloudtrail-logs-123456789012-3f2a1b0c',
  IncludeGlobalServiceEvents: true,
  IsMultiRegionTrail: true,
  HomeRegion: HOME,
  TrailARN: TRAIL_ARN,
  LogFileValidationEnabled: true,
  HasCustomEventSelectors: false,
  HasInsightSelectors: false,
  IsOrganizationTrail: false,
};

/** GetTrailStatus of a trail that logs (the fields CloudTrail returns, trimmed of delivery details). */
export const LOGGING = {
  IsLogging: true,
  LatestDeliveryTime: new Date('2026-12-06T07:55:12Z'),
  StartLoggingTime: new Date('2026-01-12T09:30:00Z'),
  LatestDigestDeliveryTime: new Date('2026-12-06T07:31:40Z'),
  LatestDeliveryAttemptTime: '2026-12-06T07:55:12Z',
  LatestNotificationAttemptTime: '',
  LatestNotificationAttemptSucceeded: '',
  LatestDeliveryAttemptSucceeded: '2026-12-06T07:55:12Z',
  TimeLoggingStarted: '2026-01-12T09:30:00Z',
  TimeLoggingStopped: '',
};

/** GetEventSelectors of a trail with the default selector: all management events, read and write. */
export const ALL_MANAGEMENT_EVENTS = {
  TrailARN: TRAIL_ARN,
  EventSelectors: [
    { ReadWriteType: 'All' as const, IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
  ],
};

type RuleAnswer = Record<string, unknown>;

function ruleAnswer(region: string, name: string, pattern: unknown, state: string, description: string): RuleAnswer {
  return {
    Name: name,
    Arn: `arn:aws:events:${region}:${ACCOUNT}:rule/${name}`,
    EventPattern: JSON.stringify(pattern),
    State: state,
    Description: description,
    EventBusName: 'default',
    CreatedBy: ACCOUNT,
  };
}

const STS_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** The rules RoleWatch's stack creates, as DescribeRule returns them, by name. */
export function deployedRules(stage = STAGE, region = HOME): Record<string, RuleAnswer> {
  const patterns = eventPatterns();
  return Object.fromEntries(
    [
      ruleAnswer(region, `rolewatch-${stage}-iam-changes`, patterns.iamChanges, 'ENABLED', 'RoleWatch - IAM changes'),
      ruleAnswer(region, `rolewatch-${stage}-monitor-tampering`, patterns.monitorTampering, 'ENABLED', 'RoleWatch - tampering'),
      ruleAnswer(
        region,
        `rolewatch-${stage}-role-assumptions`,
        patterns.roleAssumptions,
        STS_STATE,
        'RoleWatch - role assumptions',
      ),
    ].map((rule) => [rule.Name, rule]),
  );
}

/** The rules of a forwarder stack (rolewatch forwarder-template --home-region HOME) in `region`, by name. */
export function forwarderRules(home: string, region: string): Record<string, RuleAnswer> {
  const patterns = eventPatterns();
  const prefix = `rolewatch-to-${home}`;
  return Object.fromEntries(
    [
      ...(region === 'us-east-1'
        ? [ruleAnswer(region, `${prefix}-iam-changes`, patterns.iamChanges, 'ENABLED', 'RoleWatch forwarder - IAM')]
        : []),
      ruleAnswer(region, `${prefix}-monitor-tampering`, patterns.monitorTampering, 'ENABLED', 'RoleWatch forwarder - tampering'),
      ruleAnswer(region, `${prefix}-role-assumptions`, patterns.roleAssumptions, STS_STATE, 'RoleWatch forwarder - STS'),
    ].map((rule) => [rule.Name, rule]),
  );
}

/** Sets every mock to the healthy account; `rules` are the rules that exist, by region and name. */
export function healthyAccount(rules: Record<string, Record<string, RuleAnswer>> = { [HOME]: deployedRules() }): void {
  for (const client of [cloudTrail, eventBridge, sns, sqs]) client.reset();
  cloudTrail.on(DescribeTrailsCommand).resolves({ trailList: [MULTI_REGION_TRAIL] });
  cloudTrail.on(GetTrailStatusCommand).resolves(LOGGING);
  cloudTrail.on(GetEventSelectorsCommand).resolves(ALL_MANAGEMENT_EVENTS);
  const ruleIn = async (name: string, getClient: () => { config: { region: () => Promise<string> } }) =>
    rules[await getClient().config.region()]?.[name];
  eventBridge.on(DescribeRuleCommand).callsFake(async (input: { Name: string }, getClient) => {
    const found = await ruleIn(input.Name, getClient);
    if (!found)
      throw new ResourceNotFoundException({ message: `Rule ${input.Name} does not exist on EventBus default.`, $metadata: {} });
    return found;
  });
  eventBridge.on(ListTargetsByRuleCommand).callsFake(async (input: { Rule: string }, getClient) => ({
    Targets: (await ruleIn(input.Rule, getClient))
      ? [{ Id: 'target', Arn: `arn:aws:lambda:${HOME}:${ACCOUNT}:function:rolewatch-${STAGE}-on-iam-change` }]
      : [],
  }));
  sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: [
      {
        SubscriptionArn: `${TOPIC_ARN}:0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b`,
        Owner: ACCOUNT,
        Protocol: 'email',
        Endpoint: 'security@example.com',
        TopicArn: TOPIC_ARN,
      },
    ],
  });
  sqs
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
}

/** An IAM denial as the service answers it. */
export function denied(action: string, resource: string): Error {
  return new AccessDeniedException({
    message: `User: arn:aws:iam::${ACCOUNT}:user/auditor is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    $metadata: { httpStatusCode: 400 },
  });
}

/** The deployment the checks look at: stage prod in us-east-1, its alert topic and both dead-letter queues. */
export function doctorTarget(now: number, overrides: Partial<DoctorTarget> = {}): DoctorTarget {
  return {
    stage: STAGE,
    region: HOME,
    regions: [],
    organization: false,
    alertTopicArn: TOPIC_ARN,
    deadLetterQueues: [
      { name: 'EventsDeadLetterQueue', url: EVENTS_DLQ },
      { name: 'AssumptionDeadLetterQueue', url: ASSUMPTION_DLQ },
    ],
    maxSilenceHours: 24,
    now,
    ...overrides,
  };
}
