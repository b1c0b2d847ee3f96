import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../shared/config/config';
import { eventPatterns, type TrailEventPattern } from '../../shared/deploy/eventPatterns';
import {
  backfillDefinition,
  DEFAULT_BACKFILL_CONCURRENCY,
  DEFAULT_RECONCILE_CONCURRENCY,
  placeholdersOf,
  RETRY,
  reconcileDefinition,
  SUBSTITUTIONS,
  THROTTLED_ERROR,
} from '../../shared/deploy/stateMachines';
import { checkPolicyDocument } from '../../shared/engine/checkPolicy';
import { awsManagedPolicy } from '../../shared/policy/managed';
import { RULES, ruleEventNames } from '../../shared/rules/index';
import type { Rule } from '../../shared/rules/types';
import { validateStateMachine } from '../support/asl';
import {
  evaluateCondition,
  isRecord,
  listOf,
  propertiesOf,
  ROOT,
  referencedId,
  resolveIntrinsics,
  resourcesOfType,
  TEST_TARGET,
  usePackagedService,
} from '../support/template';

const ALERT_EMAIL = 'security@example.com';
const ORGANIZATION_ID = 'o-a1b2c3d4e5';
const TRAIL_BUCKET = 'org-trail-logs';
// Packaged in organization mode, so that every resource of the template is deployed and checked here;
// test/deploy/organization.test.ts checks what the organization adds and that nothing of it exists without.
const service = usePackagedService({
  stage: 'test',
  params: {
    alertEmail: ALERT_EMAIL,
    organizationId: ORGANIZATION_ID,
    externalId: 'rolewatch-test-external-id',
    trailBucket: TRAIL_BUCKET,
  },
});
const template = () => service.template;
const resolve = (value: unknown) => resolveIntrinsics(template(), value);
const arnOf = (logicalId: string, attribute = 'Arn') => String(resolve({ 'Fn::GetAtt': [logicalId, attribute] }));

const { account, region } = TEST_TARGET;
const STS_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
const PATTERN_RULES = {
  iamChanges: 'IamChangesRule',
  monitorTampering: 'MonitorTamperingRule',
  roleAssumptions: 'RoleAssumptionsRule',
} as const;
/** The same patterns on the organization bus. */
const ORGANIZATION_RULES = {
  iamChanges: 'OrganizationIamChangesRule',
  monitorTampering: 'OrganizationMonitorTamperingRule',
  roleAssumptions: 'OrganizationRoleAssumptionsRule',
} as const;

// What each function's code calls, and on what: the least-privilege contract of the deployment.
// A new function, action or resource must be added here on purpose.
const logStreams = (fn: string) => `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/rolewatch-test-${fn}:*`;
const table = () => [arnOf('RoleWatchTable'), `${arnOf('RoleWatchTable')}/index/*`];
const TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const tableGrants = () => Object.fromEntries(TABLE_ACTIONS.map((action) => [action, table()]));
const alertGrants = () => ({
  'sns:Publish': [arnOf('AlertTopic', 'TopicArn')],
  'kms:Decrypt': [arnOf('AlertTopicKey')],
  'kms:GenerateDataKey*': [arnOf('AlertTopicKey')],
});
const logGrants = (fn: string) => ({ 'logs:CreateLogStream': [logStreams(fn)], 'logs:PutLogEvents': [logStreams(fn)] });
const customerPolicies = () => [`arn:aws:iam::${account}:policy/*`];
// Organization mode: the member read role of any account (the statement is conditioned on aws:ResourceOrgID).
const memberRoles = () => ['arn:aws:iam::*:role/RoleWatchReader'];
const EXPECTED_GRANTS: Record<string, () => Record<string, string[]>> = {
  'on-iam-change': () => ({
    ...logGrants('on-iam-change'),
    ...tableGrants(),
    ...alertGrants(),
    'iam:GetPolicy': customerPolicies(),
    'iam:GetPolicyVersion': customerPolicies(),
    'sts:AssumeRole': memberRoles(),
    // The on-failure destination of asynchronous invocations is written with the function's role.
    'sqs:SendMessage': [arnOf('EventsDeadLetterQueue')],
  }),
  'on-role-assumed': () => ({
    ...logGrants('on-role-assumed'),
    ...tableGrants(),
    ...alertGrants(),
    'sqs:ReceiveMessage': [arnOf('AssumptionQueue')],
    'sqs:DeleteMessage': [arnOf('AssumptionQueue')],
    'sqs:GetQueueAttributes': [arnOf('AssumptionQueue')],
  }),
  // The reconcile state machine's steps: list the accounts, reconcile one account, finish the run.
  'reconcile-accounts': () => ({
    ...logGrants('reconcile-accounts'),
    // The organization's account list (one item), read and written.
    'dynamodb:GetItem': [arnOf('RoleWatchTable')],
    'dynamodb:PutItem': [arnOf('RoleWatchTable')],
    // Organization discovery (no organization.accounts in the configuration).
    'organizations:ListAccounts': ['*'],
  }),
  reconcile: () => ({
    ...logGrants('reconcile'),
    ...tableGrants(),
    ...alertGrants(),
    'iam:GetPolicy': customerPolicies(),
    'iam:GetPolicyVersion': customerPolicies(),
    'iam:GetAccountAuthorizationDetails': ['*'],
    'sts:AssumeRole': memberRoles(),
  }),
  // Also runs the self-check (rolewatch doctor's checks): reads only. DescribeTrails has no resource-level permissions.
  'reconcile-finish': () => ({
    ...logGrants('reconcile-finish'),
    ...tableGrants(),
    ...alertGrants(),
    'cloudtrail:DescribeTrails': ['*'],
    'cloudtrail:GetTrailStatus': ['arn:aws:cloudtrail:*:*:trail/*'],
    'cloudtrail:GetEventSelectors': ['arn:aws:cloudtrail:*:*:trail/*'],
    'events:DescribeRule': [`arn:aws:events:*:${account}:rule/rolewatch-*`],
    'events:ListTargetsByRule': [`arn:aws:events:*:${account}:rule/rolewatch-*`],
    'sns:ListSubscriptionsByTopic': [arnOf('AlertTopic', 'TopicArn')],
    'sqs:GetQueueAttributes': [arnOf('EventsDeadLetterQueue'), arnOf('AssumptionDeadLetterQueue')],
  }),
  // Evaluates log files of the trail's bucket into the table; never alerts, assumes no member role.
  backfill: () => ({
    ...logGrants('backfill'),
    ...tableGrants(),
    'iam:GetPolicy': customerPolicies(),
    'iam:GetPolicyVersion': customerPolicies(),
    's3:GetObject': [`arn:aws:s3:::${TRAIL_BUCKET}/*`],
  }),
  // The reporting API reads, and writes only a person's decisions on findings (suppress, re-open).
  'report-api': () => ({
    ...logGrants('report-api'),
    ...Object.fromEntries(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'].map((action) => [action, table()])),
    'dynamodb:PutItem': [arnOf('RoleWatchTable')],
    'dynamodb:UpdateItem': [arnOf('RoleWatchTable')],
  }),
  digest: () => ({
    ...logGrants('digest'),
    ...Object.fromEntries(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'].map((action) => [action, table()])),
    ...alertGrants(),
    'sqs:SendMessage': [arnOf('EventsDeadLetterQueue')],
  }),
};

const stateMachineArn = (name: string) => `arn:aws:states:${region}:${account}:stateMachine:rolewatch-test-${name}`;
const childExecutions = (name: string) => [`arn:aws:states:${region}:${account}:execution:rolewatch-test-${name}/*`];
/** Vended log delivery and X-Ray have no resource-level permissions (AWS's documented policies); as permissions.yml lists them. */
const LOG_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
];
/** The log groups' resource policy, which the delivery may write: this account and region only. */
const LOG_POLICY = ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'];
const TRACES = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];
/** A Distributed Map runs its children as executions of its own state machine, and logs and traces them. */
const machineGrants = (name: string) => ({
  'states:StartExecution': [stateMachineArn(name)],
  'states:DescribeExecution': childExecutions(name),
  'states:StopExecution': childExecutions(name),
  ...Object.fromEntries([...LOG_DELIVERY, ...TRACES].map((action) => [action, ['*']])),
  ...Object.fromEntries(LOG_POLICY.map((action) => [action, [`arn:aws:logs:${region}:${account}:*`]])),
});
// The roles that are not a function's: the state machines' and the schedule's.
const EXPECTED_SERVICE_ROLE_GRANTS: Record<string, () => Record<string, string[]>> = {
  ReconcileStateMachineRole: () => ({
    'lambda:InvokeFunction': ['reconcile-accounts', 'reconcile', 'reconcile-finish'].map(
      (fn) => `arn:aws:lambda:${region}:${account}:function:rolewatch-test-${fn}`,
    ),
    // A failed account's outcome is written by the state machine itself.
    'dynamodb:PutItem': [arnOf('RoleWatchTable')],
    ...machineGrants('reconcile'),
  }),
  BackfillStateMachineRole: () => ({
    'lambda:InvokeFunction': [`arn:aws:lambda:${region}:${account}:function:rolewatch-test-backfill`],
    's3:ListBucket': [`arn:aws:s3:::${TRAIL_BUCKET}`],
    ...machineGrants('backfill'),
  }),
  ReconcileScheduleRole: () => ({ 'states:StartExecution': [stateMachineArn('reconcile')] }),
};
const SERVICE_OF_ROLE: Record<string, string> = {
  ReconcileStateMachineRole: 'states.amazonaws.com',
  BackfillStateMachineRole: 'states.amazonaws.com',
  ReconcileScheduleRole: 'events.amazonaws.com',
};

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

/** A policy document of the template, resolved, with where it comes from. */
interface FoundPolicy {
  where: string;
  kind: 'permission' | 'trust' | 'resource';
  document: { Statement?: unknown };
}

function statementsOf(document: { Statement?: unknown }): Statement[] {
  return listOf(document.Statement).filter(isRecord) as Statement[];
}

function stringsOf(value: unknown): string[] {
  return listOf(value).map((item) => {
    if (typeof item !== 'string') throw new Error(`expected a string, got ${JSON.stringify(item)}`);
    return item;
  });
}

/** Every function: its short name (rolewatch-test- removed), logical id and properties. */
function functions() {
  return resourcesOfType(template(), 'AWS::Lambda::Function').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const name = String(resolve(properties.FunctionName)).replace(/^rolewatch-test-/, '');
    return { name, logicalId, properties, roleId: referencedId(properties.Role) };
  });
}

/** The permission policies of a role, resolved: inline, attached managed, and AWS::IAM::Policy resources naming it. */
function permissionPolicies(roleId: string): FoundPolicy[] {
  const properties = propertiesOf(template(), roleId);
  const inline = listOf(properties.Policies)
    .filter(isRecord)
    .map((policy) => ({
      where: `${roleId} inline ${String(resolve(policy.PolicyName))}`,
      kind: 'permission' as const,
      document: resolve(policy.PolicyDocument) as { Statement?: unknown },
    }));
  const managed = stringsOf(resolve(properties.ManagedPolicyArns ?? [])).map((arn) => {
    const local = resourcesOfType(template(), 'AWS::IAM::ManagedPolicy').find(
      ([logicalId]) => resolve({ Ref: logicalId }) === arn,
    );
    const document = local ? resolve(local[1].Properties?.PolicyDocument) : awsManagedPolicy(arn)?.document;
    if (!document) throw new Error(`${roleId}: managed policy ${arn} is neither in the template nor AWS-managed`);
    return { where: `${roleId} managed ${arn}`, kind: 'permission' as const, document: document as { Statement?: unknown } };
  });
  const attached = [...resourcesOfType(template(), 'AWS::IAM::Policy'), ...resourcesOfType(template(), 'AWS::IAM::ManagedPolicy')]
    .filter(([, resource]) => listOf(resource.Properties?.Roles).some((role) => referencedId(role) === roleId))
    .map(([logicalId, resource]) => ({
      where: `${roleId} attached ${logicalId}`,
      kind: 'permission' as const,
      document: resolve(resource.Properties?.PolicyDocument) as { Statement?: unknown },
    }));
  return [...inline, ...managed, ...attached];
}

function trustPolicy(roleId: string): FoundPolicy {
  return {
    where: `${roleId} trust`,
    kind: 'trust',
    document: resolve(propertiesOf(template(), roleId).AssumeRolePolicyDocument) as { Statement?: unknown },
  };
}

/** Every policy document of the template: roles' permission and trust policies, and resource policies. */
function allPolicies(): FoundPolicy[] {
  const roles = resourcesOfType(template(), 'AWS::IAM::Role').flatMap(([roleId]) => [
    ...permissionPolicies(roleId),
    trustPolicy(roleId),
  ]);
  const resourcePolicies = Object.entries(template().Resources).flatMap(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    // An event bus policy is one statement per resource.
    if (resource.Type === 'AWS::Events::EventBusPolicy')
      return [{ where: logicalId, kind: 'resource' as const, document: { Statement: [resolve(properties.Statement)] } }];
    const document = properties.KeyPolicy ?? (resource.Type.endsWith('Policy') ? properties.PolicyDocument : undefined);
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy' || document === undefined) return [];
    return [{ where: logicalId, kind: 'resource' as const, document: resolve(document) as { Statement?: unknown } }];
  });
  return [...roles, ...resourcePolicies];
}

/** action → resources allowed, over every Allow statement of the policies. */
function grantsOf(policies: readonly FoundPolicy[]): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  for (const policy of policies) {
    for (const statement of statementsOf(policy.document)) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of stringsOf(statement.Action)) {
        const resources = grants[action] ?? new Set<string>();
        for (const resource of stringsOf(statement.Resource)) resources.add(resource);
        grants[action] = resources;
      }
    }
  }
  return Object.fromEntries(
    Object.entries(grants)
      .map(([action, resources]) => [action, [...resources].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

function sortedGrants(grants: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(grants)
      .map(([action, resources]) => [action, [...resources].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Event names some rule of the registry listens to that none of the deployed patterns names. */
function eventNamesMissingFrom(patterns: readonly unknown[], rules: readonly Rule[]): string[] {
  const deployed = new Set(patterns.flatMap((pattern) => eventNamesOf(pattern)));
  return ruleEventNames(rules).filter((name) => !deployed.has(name));
}

function eventNamesOf(pattern: unknown): unknown[] {
  const detail = isRecord(pattern) ? pattern.detail : undefined;
  return isRecord(detail) ? listOf(detail.eventName) : [];
}

function eventRules() {
  return resourcesOfType(template(), 'AWS::Events::Rule');
}

function targetsOf(properties: Record<string, unknown>): Record<string, unknown>[] {
  return listOf(properties.Targets).filter(isRecord);
}

/** The queues that receive what could not be delivered or processed. */
function deadLetterQueueIds(): string[] {
  const fromRules = eventRules().flatMap(([, rule]) =>
    targetsOf(rule.Properties ?? {}).map((target) =>
      referencedId(isRecord(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined),
    ),
  );
  const fromRedrive = resourcesOfType(template(), 'AWS::SQS::Queue').map(([, queue]) => {
    const redrive = queue.Properties?.RedrivePolicy;
    return referencedId(isRecord(redrive) ? redrive.deadLetterTargetArn : undefined);
  });
  const fromInvokeConfigs = resourcesOfType(template(), 'AWS::Lambda::EventInvokeConfig').map(([, config]) =>
    referencedId(onFailureOf(config.Properties ?? {})),
  );
  return [...new Set([...fromRules, ...fromRedrive, ...fromInvokeConfigs].filter((id): id is string => id !== undefined))].sort();
}

function onFailureOf(properties: Record<string, unknown>): unknown {
  const destinations = properties.DestinationConfig;
  const onFailure = isRecord(destinations) ? destinations.OnFailure : undefined;
  return isRecord(onFailure) ? onFailure.Destination : undefined;
}

/** RoleWatch's own verdict on a policy of the template, one line per finding. */
function findingsOf(policy: FoundPolicy): string[] {
  const options = {
    trust: policy.kind === 'trust',
    account,
    name: policy.where.split(' ')[0] ?? 'role',
    config: validateConfig({}),
  };
  return checkPolicyDocument(policy.document, options).map(
    (finding) => `${policy.where}: ${finding.severity} ${finding.ruleId}: ${finding.detail}`,
  );
}

describe('EventBridge rules', () => {
  it('deploy exactly the patterns eventPatterns() derives from the rule registry, on the default and the organization bus', () => {
    const expected = eventPatterns();
    for (const [name, logicalId] of [...Object.entries(PATTERN_RULES), ...Object.entries(ORGANIZATION_RULES)] as [
      keyof typeof PATTERN_RULES,
      string,
    ][]) {
      expect({ rule: logicalId, pattern: propertiesOf(template(), logicalId).EventPattern }).toEqual({
        rule: logicalId,
        pattern: expected[name],
      });
    }
  });

  it('together name every event that every rule in the registry listens to', () => {
    const deployed = Object.values(PATTERN_RULES).map((logicalId) => propertiesOf(template(), logicalId).EventPattern);
    expect(eventNamesMissingFrom(deployed, RULES)).toEqual([]);
  });

  it('would miss the events of a rule added to the registry without the deployment changing', () => {
    const deployed = Object.values(PATTERN_RULES).map((logicalId) => propertiesOf(template(), logicalId).EventPattern);
    const [first] = RULES;
    if (!first) throw new Error('the registry is empty');
    const added: Rule = { ...first, id: 'password-policy-deleted', events: ['DeleteAccountPasswordPolicy'] };
    expect(eventNamesMissingFrom(deployed, [...RULES, added])).toEqual(['DeleteAccountPasswordPolicy']);
    expect(eventPatterns([...RULES, added]).iamChanges).not.toEqual(
      propertiesOf(template(), PATTERN_RULES.iamChanges).EventPattern,
    );
  });

  it('receive read-only management events on the STS rules only, which name exactly the assume calls', () => {
    const states = Object.fromEntries(eventRules().map(([logicalId, rule]) => [logicalId, rule.Properties?.State]));
    const sts = Object.entries(states).filter(([, state]) => state === STS_STATE);
    const stsRules = [ORGANIZATION_RULES.roleAssumptions, PATTERN_RULES.roleAssumptions];
    expect(sts.map(([logicalId]) => logicalId).sort()).toEqual(stsRules);
    for (const logicalId of stsRules) {
      const pattern = propertiesOf(template(), logicalId).EventPattern as TrailEventPattern;
      expect(pattern.source).toEqual(['aws.sts']);
      expect(pattern.detail.eventSource).toEqual(['sts.amazonaws.com']);
      expect([...pattern.detail.eventName].sort()).toEqual([
        'AssumeRole',
        'AssumeRoleWithSAML',
        'AssumeRoleWithWebIdentity',
        'AssumeRoot',
      ]);
    }
  });

  it('are ENABLED, apart from the STS rules', () => {
    const stsRules: string[] = [PATTERN_RULES.roleAssumptions, ORGANIZATION_RULES.roleAssumptions];
    for (const [logicalId, rule] of eventRules()) {
      if (!stsRules.includes(logicalId))
        expect({ logicalId, state: rule.Properties?.State }).toEqual({ logicalId, state: 'ENABLED' });
    }
  });

  it('never match Get, List or Describe calls: every pattern names its calls literally', () => {
    const patterns = eventRules().filter(([, rule]) => rule.Properties?.EventPattern !== undefined);
    expect(patterns.length).toBeGreaterThanOrEqual(3);
    for (const [logicalId, rule] of patterns) {
      const names = eventNamesOf(rule.Properties?.EventPattern);
      expect({ logicalId, literal: names.length > 0 && names.every((name) => typeof name === 'string') }).toEqual({
        logicalId,
        literal: true,
      });
      expect({ logicalId, reads: names.filter((name) => /^(Get|List|Describe)/.test(String(name))) }).toEqual({
        logicalId,
        reads: [],
      });
    }
  });
});

describe('delivery failures', () => {
  it('every EventBridge target retries and then writes to an SQS dead-letter queue', () => {
    const targets = eventRules().flatMap(([logicalId, rule]) =>
      targetsOf(rule.Properties ?? {}).map((target) => ({ logicalId, target })),
    );
    expect(targets.length).toBeGreaterThanOrEqual(4);
    for (const { logicalId, target } of targets) {
      const retry = isRecord(target.RetryPolicy) ? target.RetryPolicy : {};
      expect({ logicalId, retry }).toEqual({
        logicalId,
        retry: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
      });
      const dlq = referencedId(isRecord(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined);
      expect({ logicalId, dlqType: dlq ? template().Resources[dlq]?.Type : undefined }).toEqual({
        logicalId,
        dlqType: 'AWS::SQS::Queue',
      });
    }
  });

  it('every asynchronously invoked function retries a bounded number of times, then goes to an on-failure destination', () => {
    const invokedAsync = new Set([
      ...eventRules().flatMap(([, rule]) => targetsOf(rule.Properties ?? {}).map((target) => referencedId(target.Arn))),
      ...resourcesOfType(template(), 'AWS::Lambda::Permission')
        // API Gateway invokes synchronously and answers the caller: no retries, no destination.
        .filter(([, permission]) => permission.Properties?.Principal === 'events.amazonaws.com')
        .map(([, permission]) => referencedId(permission.Properties?.FunctionName)),
    ]);
    const asyncFunctions = functions().filter((fn) => invokedAsync.has(fn.logicalId));
    // Reconcile's steps are invoked by its state machine, synchronously: its retries and alarms stand for these.
    expect(asyncFunctions.map((fn) => fn.name).sort()).toEqual(['digest', 'on-iam-change']);
    for (const fn of asyncFunctions) {
      const configs = resourcesOfType(template(), 'AWS::Lambda::EventInvokeConfig').filter(
        ([, config]) => referencedId(config.Properties?.FunctionName) === fn.logicalId,
      );
      expect({ fn: fn.name, configs: configs.length }).toEqual({ fn: fn.name, configs: 1 });
      const properties = configs[0]?.[1].Properties ?? {};
      expect(properties.MaximumRetryAttempts).toEqual(expect.any(Number));
      const destination = referencedId(onFailureOf(properties));
      expect({ fn: fn.name, destination: destination ? template().Resources[destination]?.Type : undefined }).toEqual({
        fn: fn.name,
        destination: 'AWS::SQS::Queue',
      });
    }
  });

  it('role assumptions wait in a queue that reports partial batch failures and redrives to a dead-letter queue', () => {
    const queue = propertiesOf(template(), 'AssumptionQueue');
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['AssumptionDeadLetterQueue', 'Arn'] },
      maxReceiveCount: expect.any(Number),
    });
    const mappings = resourcesOfType(template(), 'AWS::Lambda::EventSourceMapping').filter(
      ([, mapping]) => referencedId(mapping.Properties?.EventSourceArn) === 'AssumptionQueue',
    );
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]?.[1].Properties ?? {};
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const consumer = functions().find((fn) => fn.logicalId === referencedId(mapping.FunctionName));
    expect(consumer?.name).toBe('on-role-assumed');
    // AWS: the visibility timeout should be at least six times the function timeout, or retried batches overlap.
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(consumer?.properties.Timeout));
  });

  it('every dead-letter queue has an alarm that notifies the alert topic', () => {
    const queues = deadLetterQueueIds();
    expect(queues).toEqual(['AssumptionDeadLetterQueue', 'EventsDeadLetterQueue']);
    const alarms = resourcesOfType(template(), 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties ?? {});
    for (const queue of queues) {
      const watching = alarms.filter(
        (alarm) =>
          alarm.Namespace === 'AWS/SQS' &&
          listOf(alarm.Dimensions).some(
            (dimension) => isRecord(dimension) && dimension.Name === 'QueueName' && referencedId(dimension.Value) === queue,
          ),
      );
      expect({
        queue,
        notifies: watching.some((alarm) => listOf(alarm.AlarmActions).some((action) => referencedId(action) === 'AlertTopic')),
      }).toEqual({
        queue,
        notifies: true,
      });
    }
  });

  it('queue policies let only EventBridge send, only from RoleWatch rules, and let every rule that needs it', () => {
    const ruleArns = new Set(eventRules().map(([logicalId]) => arnOf(logicalId)));
    const allowed = new Map<string, Set<string>>();
    for (const [logicalId, policy] of resourcesOfType(template(), 'AWS::SQS::QueuePolicy')) {
      const queues = listOf(policy.Properties?.Queues).map((queue) => referencedId(queue));
      const document = resolve(policy.Properties?.PolicyDocument) as { Statement?: unknown };
      for (const statement of statementsOf(document)) {
        expect({ logicalId, statement: { ...statement, Condition: undefined, Sid: undefined } }).toEqual({
          logicalId,
          statement: {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queues.length === 1 && queues[0] ? arnOf(queues[0]) : 'one queue per policy',
            Condition: undefined,
            Sid: undefined,
          },
        });
        const condition = isRecord(statement.Condition) ? statement.Condition : {};
        expect(Object.keys(condition)).toEqual(['ArnEquals']);
        const sources = stringsOf(isRecord(condition.ArnEquals) ? condition.ArnEquals['aws:SourceArn'] : undefined);
        expect(sources.length).toBeGreaterThan(0);
        expect(sources.filter((arn) => !ruleArns.has(arn))).toEqual([]);
        for (const queue of queues) {
          if (queue) for (const source of sources) allowed.set(queue, (allowed.get(queue) ?? new Set()).add(source));
        }
      }
    }
    for (const [logicalId, rule] of eventRules()) {
      for (const target of targetsOf(rule.Properties ?? {})) {
        const queues = [
          referencedId(target.Arn),
          referencedId(isRecord(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined),
        ];
        for (const queue of queues) {
          if (queue && template().Resources[queue]?.Type === 'AWS::SQS::Queue') {
            expect({ queue, rule: logicalId, allowed: allowed.get(queue)?.has(arnOf(logicalId)) ?? false }).toEqual({
              queue,
              rule: logicalId,
              allowed: true,
            });
          }
        }
      }
    }
  });

  it('every rule that targets a function may invoke it, and nothing else may (but the HTTP API, the report-api)', () => {
    const all = resourcesOfType(template(), 'AWS::Lambda::Permission').map(([, permission]) => permission.Properties ?? {});
    const fromApi = all.filter((permission) => permission.Principal === 'apigateway.amazonaws.com');
    expect(fromApi.map((permission) => referencedId(permission.FunctionName))).toEqual(['ReportDashapiLambdaFunction']);
    expect(JSON.stringify(fromApi[0]?.SourceArn)).toContain('HttpApi');
    const permissions = all.filter((permission) => permission.Principal !== 'apigateway.amazonaws.com');
    for (const permission of permissions) {
      expect(permission.Principal).toBe('events.amazonaws.com');
      expect(permission.Action).toBe('lambda:InvokeFunction');
    }
    const granted = new Set(
      permissions.map((permission) => `${referencedId(permission.FunctionName)} ${String(resolve(permission.SourceArn))}`),
    );
    const needed = eventRules().flatMap(([logicalId, rule]) =>
      targetsOf(rule.Properties ?? {})
        .map((target) => referencedId(target.Arn))
        .filter((id) => id !== undefined && template().Resources[id]?.Type === 'AWS::Lambda::Function')
        .map((id) => `${id} ${arnOf(logicalId)}`),
    );
    expect([...granted].sort()).toEqual([...new Set(needed)].sort());
  });
});

describe('state and alerts', () => {
  it('the table is exactly shared/store/table.json, with point-in-time recovery and TTL, and survives stack deletion', () => {
    const tableJson: unknown = JSON.parse(readFileSync(join(ROOT, 'shared/store/table.json'), 'utf8'));
    const resource = template().Resources.RoleWatchTable;
    expect(resource?.Properties).toEqual(tableJson);
    expect(resource?.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(resource?.Properties?.TimeToLiveSpecification).toEqual({ AttributeName: expect.any(String), Enabled: true });
    expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('the alert topic is encrypted with a rotated key of the stack', () => {
    const topic = propertiesOf(template(), 'AlertTopic');
    const keyId = referencedId(topic.KmsMasterKeyId);
    expect(keyId ? template().Resources[keyId]?.Type : undefined).toBe('AWS::KMS::Key');
    expect(propertiesOf(template(), keyId ?? '').EnableKeyRotation).toBe(true);
  });

  it('subscribes the alertEmail parameter to the topic under the HasAlertEmail condition', () => {
    const subscriptions = resourcesOfType(template(), 'AWS::SNS::Subscription').filter(
      ([, s]) => s.Properties?.Protocol === 'email',
    );
    expect(subscriptions).toHaveLength(1);
    const [, subscription] = subscriptions[0] ?? [];
    expect(subscription?.Condition).toBe('HasAlertEmail');
    expect(subscription?.Properties).toMatchObject({ Endpoint: ALERT_EMAIL, TopicArn: { Ref: 'AlertTopic' } });
    expect(evaluateCondition(template(), 'HasAlertEmail')).toBe(true);
  });
});

describe('logs, the deployment bucket and the heartbeat', () => {
  const logGroups = () => resourcesOfType(template(), 'AWS::Logs::LogGroup');

  it('the HTTP API writes a JSON access log line per request, with caller ARN, route, status and request id, to a log group of its own', () => {
    const stage = propertiesOf(template(), 'HttpApiStage');
    const settings = isRecord(stage.AccessLogSettings) ? stage.AccessLogSettings : {};
    const groupId = referencedId(settings.DestinationArn);
    expect(groupId ? template().Resources[groupId]?.Type : undefined).toBe('AWS::Logs::LogGroup');
    expect(resolve(propertiesOf(template(), groupId ?? '').LogGroupName)).toBe('/aws/http-api/rolewatch-test');
    const line = JSON.parse(String(settings.Format)) as Record<string, string>;
    expect(line).toMatchObject({
      requestId: '$context.requestId',
      callerArn: '$context.identity.userArn',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
    // No function writes into it: only API Gateway does.
    const written = Object.values(EXPECTED_GRANTS).flatMap((grants) => grants()['logs:PutLogEvents'] ?? []);
    expect(written.filter((arn) => arn.includes('/aws/http-api/'))).toEqual([]);
  });

  it('every log group keeps a year of logs and is encrypted with the stack key, which CloudWatch Logs may use for these groups only', () => {
    expect(
      logGroups()
        .map(([logicalId]) => logicalId)
        .sort(),
    ).toEqual(expect.arrayContaining(['HttpApiLogGroup', 'OnDashiamDashchangeLogGroup', 'ReconcileLogGroup']));
    for (const [logicalId, group] of logGroups()) {
      expect({ logicalId, retention: group.Properties?.RetentionInDays, key: group.Properties?.KmsKeyId }).toEqual({
        logicalId,
        retention: 365,
        key: { 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] },
      });
    }
    const keyPolicy = resolve(propertiesOf(template(), 'AlertTopicKey').KeyPolicy) as { Statement?: unknown };
    const logs = statementsOf(keyPolicy).filter(
      (statement) => isRecord(statement.Principal) && statement.Principal.Service === `logs.${region}.amazonaws.com`,
    );
    expect(logs).toHaveLength(1);
    const allowed = stringsOf(
      isRecord(logs[0]?.Condition) && isRecord(logs[0]?.Condition.ArnLike)
        ? logs[0]?.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']
        : undefined,
    );
    for (const [, group] of logGroups()) {
      const arn = `arn:aws:logs:${region}:${account}:log-group:${String(resolve(group.Properties?.LogGroupName))}`;
      expect({ arn, allowed: allowed.some((pattern) => new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(arn)) }).toEqual({
        arn,
        allowed: true,
      });
    }
    expect(allowed.every((pattern) => pattern.includes('rolewatch-test'))).toBe(true);
  });

  it('the stack key lets grants be created only for AWS services acting on resources (CT.KMS.PR.3)', () => {
    const keyPolicy = resolve(propertiesOf(template(), 'AlertTopicKey').KeyPolicy) as { Statement?: unknown };
    expect(statementsOf(keyPolicy).filter((statement) => statement.Effect === 'Deny')).toEqual([
      {
        Sid: 'GrantsForAwsServicesOnly',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      },
    ]);
  });

  it('the deployment bucket blocks public access, refuses plain HTTP, keeps versions for 30 days and is KMS-encrypted', () => {
    const bucket = propertiesOf(template(), 'ServerlessDeploymentBucket');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }],
    });
    const policies = resourcesOfType(template(), 'AWS::S3::BucketPolicy');
    expect(policies.map(([logicalId]) => logicalId)).toEqual(['DeploymentBucketPolicy']);
    const document = resolve(policies[0]?.[1].Properties?.PolicyDocument) as { Statement?: unknown };
    const bucketArn = arnOf('ServerlessDeploymentBucket');
    expect(statementsOf(document)).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
  });

  it('the first stack osls creates has the same deployment bucket and policy as the update', () => {
    const created = JSON.parse(readFileSync(join(service.dir, 'cloudformation-template-create-stack.json'), 'utf8')) as {
      Resources: Record<string, unknown>;
    };
    expect(Object.keys(created.Resources).sort()).toEqual(['DeploymentBucketPolicy', 'ServerlessDeploymentBucket']);
    expect(created.Resources.ServerlessDeploymentBucket).toEqual(template().Resources.ServerlessDeploymentBucket);
    expect(created.Resources.DeploymentBucketPolicy).toEqual(template().Resources.DeploymentBucketPolicy);
  });

  it('an alarm tells the alert topic when the assumption function receives nothing for 24 hours', () => {
    const alarms = resourcesOfType(template(), 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => alarm.Properties?.Namespace === 'AWS/Lambda',
    );
    expect(alarms.map(([logicalId]) => logicalId)).toEqual(['NoAssumptionEventsAlarm']);
    const alarm = alarms[0]?.[1].Properties ?? {};
    expect(alarm).toMatchObject({
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'OnDashroleDashassumedLambdaFunction' } }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'AlertTopic' }],
    });
  });
});

describe('functions', () => {
  it('run on nodejs22.x, each with a role of its own and the table name in its environment', () => {
    const all = functions();
    expect(all.map((fn) => fn.name).sort()).toEqual(Object.keys(EXPECTED_GRANTS).sort());
    for (const fn of all) {
      expect({ fn: fn.name, runtime: fn.properties.Runtime }).toEqual({ fn: fn.name, runtime: 'nodejs22.x' });
      const variables = isRecord(fn.properties.Environment) ? fn.properties.Environment.Variables : undefined;
      expect({ fn: fn.name, table: isRecord(variables) ? variables.TABLE_NAME : undefined }).toEqual({
        fn: fn.name,
        table: { Ref: 'RoleWatchTable' },
      });
      expect(fn.roleId ? template().Resources[fn.roleId]?.Type : undefined).toBe('AWS::IAM::Role');
    }
    const roles = all.map((fn) => fn.roleId);
    expect(new Set(roles).size).toBe(all.length);
  });

  it('reconcile-finish has what its self-check needs: the stage, both dead-letter queues and the silence allowed', () => {
    const finish = functions().find((fn) => fn.name === 'reconcile-finish');
    const variables = isRecord(finish?.properties.Environment) ? finish?.properties.Environment.Variables : undefined;
    expect(variables).toMatchObject({
      STAGE: 'test',
      EVENTS_DEAD_LETTER_QUEUE_URL: { Ref: 'EventsDeadLetterQueue' },
      ASSUMPTION_DEAD_LETTER_QUEUE_URL: { Ref: 'AssumptionDeadLetterQueue' },
      MAX_SILENCE_HOURS: '24',
      ACCOUNT_ID: { Ref: 'AWS::AccountId' },
    });
  });

  it('leave osls no reason to create its shared default role', () => {
    expect(Object.keys(template().Resources)).not.toContain('IamRoleLambdaExecution');
  });

  it('roles are assumable by Lambda only, and each by one function (the state machines and the schedule aside)', () => {
    const used = new Set(functions().map((fn) => fn.roleId));
    for (const [roleId] of resourcesOfType(template(), 'AWS::IAM::Role')) {
      const service = SERVICE_OF_ROLE[roleId];
      if (service) {
        // Only this account's state machines and rules may use it (confused deputy).
        expect({ roleId, statements: statementsOf(trustPolicy(roleId).document) }).toEqual({
          roleId,
          statements: [
            {
              Effect: 'Allow',
              Principal: { Service: service },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': account } },
            },
          ],
        });
        continue;
      }
      expect({ roleId, used: used.has(roleId) }).toEqual({ roleId, used: true });
      const statements = statementsOf(trustPolicy(roleId).document);
      expect({ roleId, statements }).toEqual({
        roleId,
        statements: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    }
  });

  it.each(Object.keys(EXPECTED_GRANTS))('%s is granted exactly the actions and resources its code uses', (name) => {
    const fn = functions().find((candidate) => candidate.name === name);
    if (!fn?.roleId) throw new Error(`no function ${name} with a role`);
    const expected = EXPECTED_GRANTS[name];
    expect(grantsOf(permissionPolicies(fn.roleId))).toEqual(sortedGrants(expected ? expected() : {}));
  });

  it.each(Object.keys(EXPECTED_SERVICE_ROLE_GRANTS))('%s is granted exactly what its state machine or rule uses', (roleId) => {
    const expected = EXPECTED_SERVICE_ROLE_GRANTS[roleId];
    expect(grantsOf(permissionPolicies(roleId))).toEqual(sortedGrants(expected ? expected() : {}));
  });

  it('only on-iam-change, reconcile and backfill read IAM, only customer policies of the own account and, for reconcile, the account details', () => {
    const iamActions = Object.fromEntries(
      functions().map((fn) => [
        fn.name,
        Object.entries(grantsOf(permissionPolicies(fn.roleId ?? ''))).filter(([action]) => action.startsWith('iam:')),
      ]),
    );
    expect(iamActions['on-role-assumed']).toEqual([]);
    const own = [`arn:aws:iam::${account}:policy/*`];
    expect(iamActions['on-iam-change']).toEqual([
      ['iam:GetPolicy', own],
      ['iam:GetPolicyVersion', own],
    ]);
    expect(iamActions.reconcile).toEqual([
      ['iam:GetAccountAuthorizationDetails', ['*']],
      ['iam:GetPolicy', own],
      ['iam:GetPolicyVersion', own],
    ]);
    expect(iamActions.backfill).toEqual([
      ['iam:GetPolicy', own],
      ['iam:GetPolicyVersion', own],
    ]);
    expect(
      Object.entries(iamActions)
        .filter(([, actions]) => actions.length > 0)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['backfill', 'on-iam-change', 'reconcile']);
  });
});

describe('IAM policies of the template', () => {
  it('allow no * action, no dynamodb:* and no service-wide wildcard outside the KMS key policy', () => {
    const wildcards = allPolicies().flatMap((policy) =>
      statementsOf(policy.document)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) =>
          [...stringsOf(statement.Action), ...stringsOf(statement.NotAction)]
            .filter((action) => action === '*' || /:\*$/.test(action))
            .map((action) => ({ where: policy.where, action })),
        ),
    );
    expect(wildcards.filter((w) => w.action === '*' || w.action === 'dynamodb:*')).toEqual([]);
    expect(wildcards).toEqual([{ where: 'AlertTopicKey', action: 'kms:*' }]);
  });

  it('allow Resource * only for iam:GetAccountAuthorizationDetails, organizations:ListAccounts, cloudtrail:DescribeTrails, state machine logs and traces, and in the KMS key policy', () => {
    const everything = allPolicies().flatMap((policy) =>
      statementsOf(policy.document)
        .filter((statement) => statement.Effect === 'Allow' && stringsOf(statement.Resource).includes('*'))
        .map((statement) => ({ where: policy.where, actions: stringsOf(statement.Action) })),
    );
    const keyPolicy = template().Resources.AlertTopicKey ? ['AlertTopicKey'] : [];
    const outsideKey = everything.filter((entry) => !keyPolicy.includes(entry.where));
    expect(outsideKey).toEqual([
      { where: 'ReconcileAccountsRole inline reconcile-accounts', actions: ['organizations:ListAccounts'] },
      { where: 'ReconcileRole inline reconcile', actions: ['iam:GetAccountAuthorizationDetails'] },
      { where: 'ReconcileFinishRole inline reconcile-finish', actions: ['cloudtrail:DescribeTrails'] },
      { where: 'ReconcileStateMachineRole inline reconcile-machine', actions: LOG_DELIVERY },
      { where: 'ReconcileStateMachineRole inline reconcile-machine', actions: TRACES },
      { where: 'BackfillStateMachineRole inline backfill-machine', actions: LOG_DELIVERY },
      { where: 'BackfillStateMachineRole inline backfill-machine', actions: TRACES },
    ]);
  });

  it('use neither NotAction nor NotResource in an Allow', () => {
    const loose = allPolicies().flatMap((policy) =>
      statementsOf(policy.document)
        .filter(
          (statement) =>
            statement.Effect === 'Allow' && (statement.NotAction !== undefined || statement.NotResource !== undefined),
        )
        .map(() => policy.where),
    );
    expect(loose).toEqual([]);
  });

  it("pass RoleWatch's own checks with nothing high or critical (dogfooding)", () => {
    const checked = resourcesOfType(template(), 'AWS::IAM::Role').flatMap(([roleId]) => [
      ...permissionPolicies(roleId),
      trustPolicy(roleId),
    ]);
    expect(checked.length).toBeGreaterThanOrEqual(6);
    const findings = checked.flatMap(findingsOf);
    // Every finding is shown when this fails; lower severities are accepted.
    const serious = findings.filter((line) => / (high|critical) /.test(line));
    expect({ highOrCritical: serious, allFindings: findings }).toEqual({ highOrCritical: [], allFindings: expect.any(Array) });
  });

  it('the dogfooding check reports an escalation path or an open trust once intrinsics are resolved', () => {
    const fn = functions().find((candidate) => candidate.name === 'on-role-assumed');
    const [inline] = permissionPolicies(fn?.roleId ?? '');
    if (!inline) throw new Error('on-role-assumed has no inline policy');
    const passAnyRole = {
      ...inline,
      document: {
        ...inline.document,
        Statement: [
          ...statementsOf(inline.document),
          { Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' },
        ],
      },
    };
    const openTrust = {
      ...trustPolicy(fn?.roleId ?? ''),
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] },
    };
    expect(findingsOf(passAnyRole).filter((line) => / high passrole-any-resource/.test(line))).toHaveLength(1);
    expect(findingsOf(openTrust).filter((line) => / critical trust-any-principal/.test(line))).toHaveLength(1);
  });
});

describe('state machines', () => {
  const MACHINES = {
    ReconcileStateMachine: { name: 'reconcile', definition: () => reconcileDefinition(DEFAULT_RECONCILE_CONCURRENCY) },
    BackfillStateMachine: { name: 'backfill', definition: () => backfillDefinition(DEFAULT_BACKFILL_CONCURRENCY) },
  } as const;
  /** The definition as CloudFormation hands it to Step Functions: placeholders replaced by the substitutions. */
  const deployedDefinition = (logicalId: string): unknown => {
    const properties = propertiesOf(template(), logicalId);
    const substitutions = resolve(properties.DefinitionSubstitutions) as Record<string, string>;
    const text = JSON.stringify(properties.Definition).replace(
      /\$\{(\w+)\}/g,
      (whole, name: string) => substitutions[name] ?? whole,
    );
    return JSON.parse(text);
  };

  it.each(Object.keys(MACHINES))(
    '%s deploys the definition of shared/deploy/stateMachines.ts, every placeholder substituted',
    (logicalId) => {
      const machine = MACHINES[logicalId as keyof typeof MACHINES];
      const properties = propertiesOf(template(), logicalId);
      expect(properties.Definition).toEqual(machine.definition());
      expect(Object.keys(properties.DefinitionSubstitutions as object).sort()).toEqual(placeholdersOf(machine.definition()));
      expect(placeholdersOf(machine.definition())).toEqual([...SUBSTITUTIONS[machine.name]].sort());
      expect(placeholdersOf(deployedDefinition(logicalId))).toEqual([]);
      expect(properties.StateMachineType).toBe('STANDARD');
      expect(resolve(properties.StateMachineName)).toBe(`rolewatch-test-${machine.name}`);
    },
  );

  it.each(Object.keys(MACHINES))('%s passes asl-validator, as deployed and as generated with any concurrency', (logicalId) => {
    const machine = MACHINES[logicalId as keyof typeof MACHINES];
    expect(validateStateMachine(deployedDefinition(logicalId))).toEqual([]);
    for (const concurrency of [1, 500, 10_000]) {
      const definition = machine.name === 'reconcile' ? reconcileDefinition(concurrency) : backfillDefinition(concurrency);
      expect(validateStateMachine(definition, { checkArns: false })).toEqual([]);
    }
  });

  it('asl-validator rejects a definition broken the ways a hand edit breaks one', () => {
    const definition = reconcileDefinition();
    const states = definition.States as Record<string, Record<string, unknown>>;
    expect(validateStateMachine({ ...definition, StartAt: 'Nowhere' }, { checkArns: false })).not.toEqual([]);
    expect(
      validateStateMachine(
        { ...definition, States: { ...states, Finish: { ...states.Finish, Next: 'Missing' } } },
        { checkArns: false },
      ),
    ).not.toEqual([]);
    expect(
      validateStateMachine(
        { ...definition, States: { ...states, Finish: { ...states.Finish, OutputPath: 'Payload' } } },
        { checkArns: false },
      ),
    ).not.toEqual([]);
  });

  it('reconcile maps over the accounts in a Distributed Map, retries throttled reads with backoff and catches every failure per account', () => {
    const definition = deployedDefinition('ReconcileStateMachine') as { States: Record<string, Record<string, unknown>> };
    const map = definition.States.ReconcileAccounts ?? {};
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.run.accounts',
      MaxConcurrency: DEFAULT_RECONCILE_CONCURRENCY,
      ToleratedFailurePercentage: 100,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    const child = (map.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States;
    expect(child.ReconcileAccount?.Parameters).toEqual({ FunctionName: arnOf('ReconcileLambdaFunction'), 'Payload.$': '$' });
    expect(child.ReconcileAccount?.Retry).toContainEqual(RETRY.throttled);
    expect(RETRY.throttled).toMatchObject({ ErrorEquals: [THROTTLED_ERROR], BackoffRate: 2, JitterStrategy: 'FULL' });
    expect(child.ReconcileAccount?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' },
    ]);
    expect(child.RecordFailure?.Parameters).toMatchObject({ TableName: String(resolve({ Ref: 'RoleWatchTable' })) });
    expect(definition.States.AccountsFailed).toEqual({
      Type: 'Fail',
      Error: 'RoleWatch.AccountsNotReconciled',
      CausePath: '$.message',
    });
  });

  it('backfill reads the listing of the trail prefix from S3 itself, in batches, into the backfill function', () => {
    const definition = deployedDefinition('BackfillStateMachine') as { States: Record<string, Record<string, unknown>> };
    expect(definition.States.EvaluateLogFiles).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:aws:states:::s3:listObjectsV2',
        Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' },
      },
      ItemBatcher: { MaxItemsPerBatch: expect.any(Number) },
      MaxConcurrency: DEFAULT_BACKFILL_CONCURRENCY,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED' },
        States: { EvaluateBatch: { Parameters: { FunctionName: arnOf('BackfillLambdaFunction'), 'Payload.$': '$' } } },
      },
    });
  });

  it.each(Object.keys(MACHINES))('%s logs errors to a log group of its own with retention, and is traced', (logicalId) => {
    const properties = propertiesOf(template(), logicalId);
    const logging = properties.LoggingConfiguration as {
      Level: string;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
    };
    expect(logging.Level).toBe('ERROR');
    const groupId = referencedId(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn);
    const group = propertiesOf(template(), groupId ?? '');
    expect(group.RetentionInDays).toEqual(expect.any(Number));
    // Step Functions' vended logs must go to a group under /aws/vendedlogs/ (its resource policy size limit).
    expect(String(resolve(group.LogGroupName))).toMatch(/^\/aws\/vendedlogs\/states\/rolewatch-test-/);
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('the schedule starts reconcile with its own role, retries the start, then dead-letters it', () => {
    const [target, ...others] = targetsOf(propertiesOf(template(), 'ReconcileScheduleRule'));
    expect(others).toEqual([]);
    expect(referencedId(target?.Arn)).toBe('ReconcileStateMachine');
    expect(referencedId(target?.RoleArn)).toBe('ReconcileScheduleRole');
    expect(referencedId(isRecord(target?.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined)).toBe(
      'EventsDeadLetterQueue',
    );
  });

  it('a failed, timed-out or stopped reconcile and a failed backfill alarm through the alert topic', () => {
    const alarms = resourcesOfType(template(), 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties ?? {});
    const watched = (machine: string, metric: string) =>
      alarms.filter((alarm) => {
        const metrics = [
          alarm,
          ...listOf(alarm.Metrics)
            .filter(isRecord)
            .map((m) => (isRecord(m.MetricStat) ? m.MetricStat.Metric : {})),
        ];
        return metrics.some(
          (m) =>
            isRecord(m) &&
            m.Namespace === 'AWS/States' &&
            m.MetricName === metric &&
            listOf(m.Dimensions).some((d) => isRecord(d) && d.Name === 'StateMachineArn' && referencedId(d.Value) === machine),
        );
      });
    for (const [machine, metric] of [
      ['ReconcileStateMachine', 'ExecutionsFailed'],
      ['ReconcileStateMachine', 'ExecutionsTimedOut'],
      ['ReconcileStateMachine', 'ExecutionsAborted'],
      ['BackfillStateMachine', 'ExecutionsFailed'],
    ] as const) {
      const found = watched(machine, metric);
      expect({
        machine,
        metric,
        notifies: found.some((a) => listOf(a.AlarmActions).some((x) => referencedId(x) === 'AlertTopic')),
      }).toEqual({
        machine,
        metric,
        notifies: true,
      });
    }
  });
});
