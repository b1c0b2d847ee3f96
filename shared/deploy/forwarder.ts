import { ValidationError } from '../errors';
import { eventPatterns, type TrailEventPattern } from './eventPatterns';

/** IAM is global: CloudTrail delivers its calls to EventBridge in this region only. */
export const IAM_EVENTS_REGION = 'us-east-1';

/** Retention of undeliverable events: the SQS maximum, so that they outlive a long weekend. */
const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;

/** A CloudFormation template, as far as RoleWatch writes one. */
export interface CloudFormationTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CloudFormationResource>;
  Outputs?: Record<string, { Description?: string; Value: unknown; Condition?: string }>;
}

/** One resource of a {@link CloudFormationTemplate}. */
export interface CloudFormationResource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
}

/** The logical ids of the forwarding rules, by the name of their pattern in `eventPatterns()`. */
export const FORWARDER_RULES = {
  iamChanges: 'IamChangesRule',
  monitorTampering: 'MonitorTamperingRule',
  roleAssumptions: 'RoleAssumptionsRule',
} as const;

/** True for names shaped like an AWS region (us-east-1, eu-central-2, us-gov-west-1, cn-north-1...). */
export function isRegionName(name: string): boolean {
  return /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/.test(name);
}

/**
 * The regions the forwarder is deployed in: us-east-1 (where IAM calls arrive) unless RoleWatch itself
 * runs there, plus every extra region whose STS and tampering events are wanted. The home region is
 * refused: a rule there would send the events back to the bus they came from.
 */
export function forwarderRegions(homeRegion: string, extraRegions: readonly string[] = []): string[] {
  if (!isRegionName(homeRegion)) throw new ValidationError('--home-region', `"${homeRegion}" is not an AWS region name`);
  for (const region of extraRegions) {
    if (!isRegionName(region)) throw new ValidationError('--regions', `"${region}" is not an AWS region name`);
    if (region === homeRegion)
      throw new ValidationError('--regions', `${region} is the home region: RoleWatch receives its events directly`);
  }
  const regions = [...new Set([...(homeRegion === IAM_EVENTS_REGION ? [] : [IAM_EVENTS_REGION]), ...extraRegions])];
  if (regions.length === 0)
    throw new ValidationError('--regions', `RoleWatch runs in ${IAM_EVENTS_REGION}: name the other regions to forward from`);
  return regions;
}

/**
 * The CloudFormation template that forwards CloudTrail events to RoleWatch when it runs in another region
 * (`homeRegion`). Deployed in us-east-1 and in every other region whose role assumptions are wanted, one
 * stack per region, all from this one template:
 * - the same three EventBridge patterns as the home deployment (`eventPatterns()`); the IAM rule exists
 *   in us-east-1 only, the STS rule is ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (AssumeRole is a
 *   read-only event);
 * - each rule targets the home region's default event bus with a role EventBridge may assume only for
 *   this account's forwarding rules, allowed nothing but events:PutEvents on that bus;
 * - retries for a day, then a dead-letter queue (EventBridge only writes to one in the rule's region),
 *   with an alarm when the optional `AlarmTopicArn` parameter names a topic of that region.
 */
export function forwarderTemplate(homeRegion: string): CloudFormationTemplate {
  if (!isRegionName(homeRegion)) throw new ValidationError('--home-region', `"${homeRegion}" is not an AWS region name`);
  const patterns = eventPatterns();
  const prefix = `rolewatch-to-${homeRegion}`;
  const homeBus = { 'Fn::Sub': `arn:\${AWS::Partition}:events:${homeRegion}:\${AWS::AccountId}:event-bus/default` };
  const target = {
    Id: 'rolewatch-home-bus',
    Arn: homeBus,
    RoleArn: { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] },
    RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
  };
  const rule = (
    suffix: string,
    description: string,
    pattern: TrailEventPattern,
    state: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
  ) => ({
    Name: `${prefix}-${suffix}`,
    Description: `RoleWatch forwarder - ${description}, to ${homeRegion}`,
    State: state,
    EventPattern: pattern,
    Targets: [target],
  });

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      `RoleWatch forwarder: sends this region's CloudTrail events that RoleWatch watches to its default event bus in ${homeRegion}. ` +
      `Deploy in ${IAM_EVENTS_REGION} (IAM changes arrive there only) and in every other region whose role assumptions you want; never in ${homeRegion}.`,
    Parameters: {
      AlarmTopicArn: {
        Type: 'String',
        Default: '',
        Description: 'SNS topic of this region told when events wait in the dead-letter queue (empty: no alarm)',
      },
    },
    Conditions: {
      InIamEventsRegion: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, IAM_EVENTS_REGION] },
      HasAlarmTopic: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] }] },
    },
    Resources: {
      [FORWARDER_RULES.iamChanges]: {
        Type: 'AWS::Events::Rule',
        Condition: 'InIamEventsRegion',
        Properties: rule('iam-changes', 'IAM role, policy and identity-provider changes', patterns.iamChanges, 'ENABLED'),
      },
      [FORWARDER_RULES.monitorTampering]: {
        Type: 'AWS::Events::Rule',
        Properties: rule('monitor-tampering', 'calls that blind the monitor', patterns.monitorTampering, 'ENABLED'),
      },
      [FORWARDER_RULES.roleAssumptions]: {
        Type: 'AWS::Events::Rule',
        Properties: rule(
          'role-assumptions',
          'role assumptions (STS)',
          patterns.roleAssumptions,
          'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
        ),
      },
      ForwarderRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { 'Fn::Sub': `${prefix}-\${AWS::Region}` },
          Description: `EventBridge: forwards RoleWatch's events to the default event bus in ${homeRegion}`,
          // The rule ARNs are a name pattern, not Fn::GetAtt: the rules already depend on this role.
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: {
                  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                  ArnLike: {
                    'aws:SourceArn': {
                      'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${prefix}-*`,
                    },
                  },
                },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'put-events-to-home-bus',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: homeBus }],
              },
            },
          ],
        },
      },
      DeadLetterQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: { MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS, SqsManagedSseEnabled: true },
      },
      DeadLetterQueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'DeadLetterQueue' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'ForwardingRules',
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
                Condition: {
                  ArnEquals: {
                    'aws:SourceArn': [
                      {
                        'Fn::If': [
                          'InIamEventsRegion',
                          { 'Fn::GetAtt': [FORWARDER_RULES.iamChanges, 'Arn'] },
                          { Ref: 'AWS::NoValue' },
                        ],
                      },
                      { 'Fn::GetAtt': [FORWARDER_RULES.monitorTampering, 'Arn'] },
                      { 'Fn::GetAtt': [FORWARDER_RULES.roleAssumptions, 'Arn'] },
                    ],
                  },
                },
              },
            ],
          },
        },
      },
      DeadLetterAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Condition: 'HasAlarmTopic',
        Properties: {
          AlarmDescription: `RoleWatch forwarder could not deliver some events to ${homeRegion}; they wait in the dead-letter queue`,
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: 'AlarmTopicArn' }],
        },
      },
    },
    Outputs: {
      HomeEventBusArn: { Description: 'Where the events go', Value: homeBus },
      DeadLetterQueueUrl: { Description: 'Events that could not be delivered', Value: { Ref: 'DeadLetterQueue' } },
    },
  };
}
