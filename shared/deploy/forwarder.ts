import { DEFAULT_MEMBER_ROLE_NAME, isRegionName } from '../config/config';
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

export { isRegionName };

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
  return forwardingStack({
    prefix: `rolewatch-to-${homeRegion}`,
    bus: { 'Fn::Sub': `arn:\${AWS::Partition}:events:${homeRegion}:\${AWS::AccountId}:event-bus/default` },
    busDescription: `the default event bus in ${homeRegion}`,
    targetId: 'rolewatch-home-bus',
    description:
      `RoleWatch forwarder: sends this region's CloudTrail events that RoleWatch watches to its default event bus in ${homeRegion}. ` +
      `Deploy in ${IAM_EVENTS_REGION} (IAM changes arrive there only) and in every other region whose role assumptions you want; never in ${homeRegion}.`,
    busOutput: 'HomeEventBusArn',
  });
}

/** The parts of an EventBridge event bus ARN. */
export interface EventBusArn {
  partition: string;
  region: string;
  account: string;
  name: string;
}

/** Parses `arn:aws:events:REGION:ACCOUNT:event-bus/NAME`; a ValidationError names `--target-bus-arn` otherwise. */
export function parseEventBusArn(arn: string): EventBusArn {
  const match = /^arn:(aws[a-z-]*):events:([a-z0-9-]+):(\d{12}):event-bus\/([\w.\-/]{1,256})$/.exec(arn);
  const [, partition, region, account, name] = match ?? [];
  if (!partition || !region || !account || !name)
    throw new ValidationError(
      '--target-bus-arn',
      `"${arn}" is not an event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)`,
    );
  if (!isRegionName(region)) throw new ValidationError('--target-bus-arn', `"${region}" is not an AWS region name`);
  return { partition, region, account, name };
}

/** Where the member stack sends events, and what its read role trusts. */
export interface MemberStackOptions {
  /** The security account's organization bus (output OrganizationEventBusArn of RoleWatch's stack). */
  targetBusArn: string;
  /** RoleWatch's stage in the security account: its function roles are named after it. */
  stage: string;
  /** The read-only role created in the member account (organization.memberRoleName). */
  memberRoleName?: string;
  /**
   * RoleWatch exports to Security Hub (deploy parameter securityHub): the role may also import this account's
   * findings in RoleWatch's region, and every function that records findings may assume it.
   */
  securityHub?: boolean;
}

/** RoleWatch's functions that read IAM, and so assume the member read role: their roles are the ones trusted. */
export const MEMBER_ROLE_READERS = ['on-iam-change', 'reconcile'] as const;
/** With the Security Hub export, the other functions that record findings assume it too (to import them). */
export const SECURITY_HUB_EXPORTERS = ['on-role-assumed', 'report-api'] as const;

/**
 * The ARNs of the security account's function roles the member read role trusts, computed the way
 * serverless.yml names them (`rolewatch-<stage>-<region>-<function>`; a test compares them).
 */
export function trustedFunctionRoleArns(options: Pick<MemberStackOptions, 'targetBusArn' | 'stage' | 'securityHub'>): string[] {
  const bus = parseEventBusArn(options.targetBusArn);
  const functions = [...MEMBER_ROLE_READERS, ...(options.securityHub ? SECURITY_HUB_EXPORTERS : [])];
  return functions.map((fn) => `arn:${bus.partition}:iam::${bus.account}:role/rolewatch-${options.stage}-${bus.region}-${fn}`);
}

/**
 * Security Hub takes a finding only from the account it names: the member role imports this account's
 * findings with its default product, in RoleWatch's region, and sets their workflow (SUPPRESSED, NEW).
 */
function securityHubPolicy(region: string): Record<string, unknown> {
  return {
    PolicyName: 'rolewatch-security-hub',
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'securityhub:BatchImportFindings',
          Resource: {
            'Fn::Sub': `arn:\${AWS::Partition}:securityhub:${region}:\${AWS::AccountId}:product/\${AWS::AccountId}/default`,
          },
        },
        {
          Effect: 'Allow',
          Action: 'securityhub:BatchUpdateFindings',
          Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:securityhub:${region}:\${AWS::AccountId}:hub/default` },
        },
      ],
    },
  };
}

/** The regions of the member stack: us-east-1 (IAM changes and the read role) and every region whose role assumptions are wanted. */
export function memberRegions(extraRegions: readonly string[] = []): string[] {
  for (const region of extraRegions)
    if (!isRegionName(region)) throw new ValidationError('--regions', `"${region}" is not an AWS region name`);
  return [...new Set([IAM_EVENTS_REGION, ...extraRegions])];
}

/**
 * The stack of an organization's member account (organization mode; deployed to every account with a
 * service-managed StackSet, in us-east-1 and every region whose role assumptions are wanted):
 * - the forwarding rules of {@link forwarderTemplate}, targeting the security account's organization bus,
 *   whose policy accepts events from principals of the organization only;
 * - in us-east-1 only (IAM is global), the read role RoleWatch assumes: iam:GetPolicy and
 *   iam:GetPolicyVersion on this account's customer-managed policies and iam:GetAccountAuthorizationDetails
 *   (reconcile), nothing else; trusted by the security account's on-iam-change and reconcile roles only,
 *   and only with the `ExternalId` parameter.
 * The security account's stack must exist first: IAM refuses a trust naming a role that does not exist.
 */
export function memberTemplate(options: MemberStackOptions): CloudFormationTemplate {
  const bus = parseEventBusArn(options.targetBusArn);
  if (!/^[A-Za-z0-9-]{1,20}$/.test(options.stage))
    throw new ValidationError('--stage', `"${options.stage}" is not a stage name (1-20 letters, digits and -)`);
  const memberRoleName = options.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (!/^[\w+=,.@-]{1,64}$/.test(memberRoleName))
    throw new ValidationError('--member-role-name', `"${memberRoleName}" is not an IAM role name`);
  const template = forwardingStack({
    prefix: `rolewatch-${options.stage}-to-${bus.account}`,
    bus: options.targetBusArn,
    busDescription: `RoleWatch's organization bus ${bus.name} in ${bus.account} (${bus.region})`,
    targetId: 'rolewatch-organization-bus',
    description:
      `RoleWatch member stack: forwards this account's CloudTrail events that RoleWatch watches to ${options.targetBusArn} ` +
      `and, in ${IAM_EVENTS_REGION}, creates the read role ${memberRoleName} for RoleWatch (${bus.account}). ` +
      `Deploy with a service-managed StackSet in ${IAM_EVENTS_REGION} and every region whose role assumptions you want.`,
    busOutput: 'TargetEventBusArn',
  });
  return {
    ...template,
    Parameters: {
      ...template.Parameters,
      ExternalId: {
        Type: 'String',
        NoEcho: true,
        MinLength: 2,
        MaxLength: 1224,
        AllowedPattern: '[\\w+=,.@:/-]*',
        Description: "The sts:ExternalId RoleWatch presents (organization.externalId in RoleWatch's configuration)",
      },
    },
    Resources: {
      ...template.Resources,
      [MEMBER_READ_ROLE]: {
        Type: 'AWS::IAM::Role',
        Condition: 'InIamEventsRegion',
        Properties: {
          RoleName: memberRoleName,
          Description: `RoleWatch (${bus.account}): reads this account's customer-managed policies and authorization details`,
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: trustedFunctionRoleArns(options) },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'rolewatch-read',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
                    Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/*` },
                  },
                  // GetAccountAuthorizationDetails has no resource-level permissions.
                  { Effect: 'Allow', Action: 'iam:GetAccountAuthorizationDetails', Resource: '*' },
                ],
              },
            },
            ...(options.securityHub ? [securityHubPolicy(bus.region)] : []),
          ],
        },
      },
    },
    Outputs: {
      ...template.Outputs,
      ReadRoleArn: {
        Condition: 'InIamEventsRegion',
        Description: 'The role RoleWatch assumes to read this account',
        Value: { 'Fn::GetAtt': [MEMBER_READ_ROLE, 'Arn'] },
      },
    },
  };
}

/** The logical id of the member stack's read role. */
export const MEMBER_READ_ROLE = 'ReadRole';

/** What the forwarding stacks of both modes are made of. */
interface ForwardingStack {
  /** Names of the rules and the role start with it (`rolewatch-*`: monitor-tampering watches them). */
  prefix: string;
  /** The ARN of the bus the events go to (a string or an intrinsic). */
  bus: unknown;
  busDescription: string;
  targetId: string;
  description: string;
  busOutput: string;
}

function forwardingStack(stack: ForwardingStack): CloudFormationTemplate {
  const patterns = eventPatterns();
  const { prefix } = stack;
  const target = {
    Id: stack.targetId,
    Arn: stack.bus,
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
    Description: `RoleWatch forwarder - ${description}, to ${stack.busDescription}`,
    State: state,
    EventPattern: pattern,
    Targets: [target],
  });

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: stack.description,
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
        Properties: rule(
          'monitor-tampering',
          "other services' writes (monitor tampering, other ways into roles)",
          patterns.monitorTampering,
          'ENABLED',
        ),
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
          Description: `EventBridge: forwards RoleWatch's events to ${stack.busDescription}`,
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
                Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: stack.bus }],
              },
            },
          ],
        },
      },
      // RedriveAllowPolicy marks it a dead-letter queue (Control Tower CT.SQS.PR.1); allowAll is SQS's default.
      DeadLetterQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
          SqsManagedSseEnabled: true,
          RedriveAllowPolicy: { redrivePermission: 'allowAll' },
        },
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
          AlarmDescription: `RoleWatch forwarder could not deliver some events to ${stack.busDescription}; they wait in the dead-letter queue`,
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
      [stack.busOutput]: { Description: 'Where the events go', Value: stack.bus },
      DeadLetterQueueUrl: { Description: 'Events that could not be delivered', Value: { Ref: 'DeadLetterQueue' } },
    },
  };
}
