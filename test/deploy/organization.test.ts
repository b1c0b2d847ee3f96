import { analyseTrust } from '../../shared/analysis/trust';
import { validateConfig } from '../../shared/config/config';
import { eventPatterns } from '../../shared/deploy/eventPatterns';
import {
  FORWARDER_RULES,
  MEMBER_READ_ROLE,
  memberRegions,
  memberTemplate,
  parseEventBusArn,
  trustedFunctionRoleArns,
} from '../../shared/deploy/forwarder';
import { checkPolicyDocument } from '../../shared/engine/checkPolicy';
import { parsePolicy } from '../../shared/policy/parse';
import { runCli } from '../support/cli';
import {
  type DeployTarget,
  evaluateCondition,
  isRecord,
  listOf,
  packageService,
  referencedId,
  resolveIntrinsics,
  resourcesOfType,
  TEST_TARGET,
  type Template,
  usePackagedService,
} from '../support/template';

const ORGANIZATION_ID = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'rolewatch-test-external-id';
const SECURITY = TEST_TARGET.account;
const MEMBER = '210987654321';
const STAGE = 'test';

const organization = usePackagedService({
  stage: STAGE,
  params: { organizationId: ORGANIZATION_ID, externalId: EXTERNAL_ID },
});
const security = () => organization.template;
const resolved = (value: unknown) => resolveIntrinsics(security(), value);
const arnOf = (logicalId: string) => String(resolved({ 'Fn::GetAtt': [logicalId, 'Arn'] }));
const properties = (template: Template, logicalId: string) => template.Resources[logicalId]?.Properties ?? {};

function statements(document: unknown): Record<string, unknown>[] {
  return isRecord(document) ? listOf(document.Statement).filter(isRecord) : [];
}

/** Allow statements of a role's inline policies, resolved. */
function roleStatements(template: Template, roleId: string, target: DeployTarget = TEST_TARGET): Record<string, unknown>[] {
  return listOf(properties(template, roleId).Policies)
    .filter(isRecord)
    .flatMap((policy) => statements(resolveIntrinsics(template, policy.PolicyDocument, target)));
}

/** action → resources over a list of statements. */
function grants(list: readonly Record<string, unknown>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const statement of list)
    for (const action of listOf(statement.Action).map(String))
      out[action] = [...(out[action] ?? []), ...listOf(statement.Resource).map(String)].sort();
  return out;
}

/** RoleWatch's own verdict, lines at high or critical only. */
function seriousFindings(document: unknown, options: { trust: boolean; account: string; knownAccounts: string[] }): string[] {
  const config = validateConfig({ knownAccounts: options.knownAccounts });
  return checkPolicyDocument(document, { trust: options.trust, account: options.account, name: 'checked', config })
    .filter((finding) => finding.severity === 'high' || finding.severity === 'critical')
    .map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.detail}`);
}

describe('security account stack in organization mode', () => {
  const busArn = () => arnOf('OrganizationEventBus');

  it('creates the organization resources under the IsOrganization condition, which holds', () => {
    expect(evaluateCondition(security(), 'IsOrganization')).toBe(true);
    const conditioned = Object.entries(security().Resources)
      .filter(([, resource]) => resource.Condition === 'IsOrganization')
      .map(([logicalId]) => logicalId)
      .sort();
    expect(conditioned).toEqual([
      'OnIamChangeOrganizationInvokePermission',
      'OnIamChangeOrganizationTamperingInvokePermission',
      'OrganizationEventBus',
      'OrganizationEventBusPolicy',
      'OrganizationIamChangesRule',
      'OrganizationMonitorTamperingRule',
      'OrganizationRoleAssumptionsRule',
    ]);
  });

  it('lets only principals of the organization put events on the bus', () => {
    const policy = resolved(properties(security(), 'OrganizationEventBusPolicy')) as Record<string, unknown>;
    expect(policy.EventBusName).toBe(`rolewatch-${STAGE}-organization`);
    expect(policy.Statement).toEqual({
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: busArn(),
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION_ID } },
    });
    const document = { Version: '2012-10-17', Statement: [policy.Statement] };
    // RoleWatch's own checks, as a permission policy and as a policy naming who may call: nothing to report.
    expect(seriousFindings(document, { trust: false, account: SECURITY, knownAccounts: [] })).toEqual([]);
    expect(seriousFindings(document, { trust: true, account: SECURITY, knownAccounts: [] })).toEqual([]);
  });

  it('delivers the bus events with the same patterns to the same function and queue, with retries and the dead-letter queue', () => {
    const pairs = [
      ['OrganizationIamChangesRule', 'IamChangesRule', 'iamChanges'],
      ['OrganizationMonitorTamperingRule', 'MonitorTamperingRule', 'monitorTampering'],
      ['OrganizationRoleAssumptionsRule', 'RoleAssumptionsRule', 'roleAssumptions'],
    ] as const;
    for (const [onBus, onDefault, pattern] of pairs) {
      const bus = properties(security(), onBus);
      expect(referencedId(bus.EventBusName)).toBe('OrganizationEventBus');
      expect(bus.EventPattern).toEqual(eventPatterns()[pattern]);
      expect(bus.State).toBe(properties(security(), onDefault).State);
      expect(bus.Targets).toEqual(properties(security(), onDefault).Targets);
      expect(arnOf(onBus)).toBe(
        `arn:aws:events:${TEST_TARGET.region}:${SECURITY}:rule/rolewatch-${STAGE}-organization/${String(bus.Name)}`,
      );
    }
  });

  it('lets the organization rules invoke on-iam-change, send to the assumption queue and to the dead-letter queue', () => {
    const invokers = resourcesOfType(security(), 'AWS::Lambda::Permission').map(([, p]) => resolved(p.Properties?.SourceArn));
    expect(invokers).toEqual(
      expect.arrayContaining([arnOf('OrganizationIamChangesRule'), arnOf('OrganizationMonitorTamperingRule')]),
    );
    const senders = (queuePolicy: string) =>
      statements(resolved(properties(security(), queuePolicy).PolicyDocument)).flatMap((statement) => {
        const condition = isRecord(statement.Condition) ? statement.Condition.ArnEquals : undefined;
        return listOf(isRecord(condition) ? condition['aws:SourceArn'] : undefined);
      });
    expect(senders('AssumptionQueuePolicy')).toEqual([arnOf('RoleAssumptionsRule'), arnOf('OrganizationRoleAssumptionsRule')]);
    expect(senders('EventsDeadLetterQueuePolicy')).toEqual(
      expect.arrayContaining(
        ['OrganizationIamChangesRule', 'OrganizationMonitorTamperingRule', 'OrganizationRoleAssumptionsRule'].map(arnOf),
      ),
    );
  });

  it('lets on-iam-change and reconcile assume only the member read role, and only in the organization', () => {
    const assuming = resourcesOfType(security(), 'AWS::IAM::Role').flatMap(([roleId]) =>
      roleStatements(security(), roleId)
        .filter((statement) => listOf(statement.Action).includes('sts:AssumeRole'))
        .map((statement) => ({ roleId, statement })),
    );
    expect(assuming.map((entry) => entry.roleId).sort()).toEqual(['OnIamChangeRole', 'ReconcileRole']);
    for (const { statement } of assuming) {
      expect(statement).toEqual({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::*:role/RoleWatchReader',
        Condition: { StringEquals: { 'aws:ResourceOrgID': ORGANIZATION_ID } },
      });
    }
  });

  it('runs the functions with the organization configuration and the own account id', () => {
    const [, fn] = resourcesOfType(security(), 'AWS::Lambda::Function')[0] ?? [];
    const variables = isRecord(fn?.Properties?.Environment) ? fn.Properties.Environment.Variables : undefined;
    if (!isRecord(variables)) throw new Error('no environment');
    expect(variables.ACCOUNT_ID).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.parse(String(variables.ROLEWATCH_CONFIG)).organization).toEqual({
      id: ORGANIZATION_ID,
      memberRoleName: 'RoleWatchReader',
      externalId: EXTERNAL_ID,
      discover: true,
    });
  });

  it('names the function roles the member stack trusts exactly as the member template computes them', () => {
    expect(trustedFunctionRoleArns({ targetBusArn: busArn(), stage: STAGE })).toEqual([
      arnOf('OnIamChangeRole'),
      arnOf('ReconcileRole'),
    ]);
    expect(resolved(security().Outputs?.OrganizationEventBusArn)).toMatchObject({ Value: busArn() });
  });
});

describe('security account stack without an organization', () => {
  const plain = usePackagedService({ stage: STAGE });

  it('creates no organization resource and grants neither sts:AssumeRole nor organizations:ListAccounts', () => {
    const template = plain.template;
    expect(evaluateCondition(template, 'IsOrganization')).toBe(false);
    expect(evaluateCondition(template, 'DiscoversOrganizationAccounts')).toBe(false);
    const unconditioned = Object.entries(template.Resources).filter(
      ([logicalId, resource]) => logicalId.startsWith('Organization') && resource.Condition !== 'IsOrganization',
    );
    expect(unconditioned).toEqual([]);
    const actions = resourcesOfType(template, 'AWS::IAM::Role').flatMap(([roleId]) =>
      roleStatements(template, roleId).flatMap((statement) => listOf(statement.Action).map(String)),
    );
    expect(actions.filter((action) => action.startsWith('sts:') || action.startsWith('organizations:'))).toEqual([]);
    const queueSenders = JSON.stringify(resolveIntrinsics(template, properties(template, 'AssumptionQueuePolicy')));
    expect(queueSenders).not.toContain('organization');
    const [, fn] = resourcesOfType(template, 'AWS::Lambda::Function')[0] ?? [];
    const variables = isRecord(fn?.Properties?.Environment) ? fn.Properties.Environment.Variables : undefined;
    expect(JSON.parse(String(isRecord(variables) ? variables.ROLEWATCH_CONFIG : '{}')).organization).toBeUndefined();
  });

  it('refuses to package organization mode without an ExternalId', async () => {
    await expect(packageService({ stage: STAGE, params: { organizationId: ORGANIZATION_ID } })).rejects.toThrow(
      /organization\.externalId: is required/,
    );
  }, 60_000);
});

describe('member account stack', () => {
  const busArn = `arn:aws:events:${TEST_TARGET.region}:${SECURITY}:event-bus/rolewatch-${STAGE}-organization`;
  const generated = memberTemplate({ targetBusArn: busArn, stage: STAGE });
  // The ExternalId is a required parameter (no default): the resolver needs a value.
  const template = {
    ...generated,
    Parameters: { ...generated.Parameters, ExternalId: { Default: EXTERNAL_ID } },
  } as unknown as Template;
  const inUsEast1: DeployTarget = { ...TEST_TARGET, account: MEMBER, stackName: 'StackSet-rolewatch-member-1' };
  const inEuWest1: DeployTarget = { ...inUsEast1, region: 'eu-west-1' };
  const deployed = (target: DeployTarget) =>
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Condition === undefined || evaluateCondition(template, resource.Condition, target))
      .map(([logicalId]) => logicalId)
      .sort();
  const readRole = (target = inUsEast1) =>
    resolveIntrinsics(template, properties(template, MEMBER_READ_ROLE), target) as Record<string, unknown>;

  it('forwards IAM changes from us-east-1 and role assumptions and tampering from every region, with the same patterns', () => {
    expect(deployed(inUsEast1)).toEqual([
      'DeadLetterQueue',
      'DeadLetterQueuePolicy',
      'ForwarderRole',
      'IamChangesRule',
      'MonitorTamperingRule',
      'ReadRole',
      'RoleAssumptionsRule',
    ]);
    expect(deployed(inEuWest1)).toEqual([
      'DeadLetterQueue',
      'DeadLetterQueuePolicy',
      'ForwarderRole',
      'MonitorTamperingRule',
      'RoleAssumptionsRule',
    ]);
    for (const [name, logicalId] of Object.entries(FORWARDER_RULES) as [keyof typeof FORWARDER_RULES, string][])
      expect(properties(template, logicalId).EventPattern).toEqual(eventPatterns()[name]);
    expect(properties(template, FORWARDER_RULES.roleAssumptions).State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(properties(template, FORWARDER_RULES.iamChanges).State).toBe('ENABLED');
    expect(memberRegions(['eu-west-1', 'us-east-1'])).toEqual(['us-east-1', 'eu-west-1']);
  });

  it("targets the security account's organization bus through a role allowed events:PutEvents on it and nothing else", () => {
    for (const target of [inUsEast1, inEuWest1]) {
      const role = resolveIntrinsics(template, properties(template, 'ForwarderRole'), target) as Record<string, unknown>;
      const roleArn = `arn:aws:iam::${MEMBER}:role/rolewatch-${STAGE}-to-${SECURITY}-${target.region}`;
      for (const logicalId of Object.values(FORWARDER_RULES)) {
        const targets = listOf(resolveIntrinsics(template, properties(template, logicalId).Targets, target)).filter(isRecord);
        expect(targets).toEqual([
          expect.objectContaining({
            Arn: busArn,
            RoleArn: roleArn,
            RetryPolicy: expect.any(Object),
            DeadLetterConfig: expect.any(Object),
          }),
        ]);
      }
      expect(
        listOf(role.Policies)
          .filter(isRecord)
          .flatMap((policy) => statements(policy.PolicyDocument)),
      ).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }]);
      expect(statements(role.AssumeRolePolicyDocument)).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': MEMBER },
            ArnLike: { 'aws:SourceArn': `arn:aws:events:${target.region}:${MEMBER}:rule/rolewatch-${STAGE}-to-${SECURITY}-*` },
          },
        },
      ]);
    }
  });

  it('creates the read role in us-east-1 only, allowed the three IAM reads RoleWatch makes and nothing else', () => {
    expect(template.Resources[MEMBER_READ_ROLE]?.Condition).toBe('InIamEventsRegion');
    const role = readRole();
    expect(role.RoleName).toBe('RoleWatchReader');
    expect(role.ManagedPolicyArns).toBeUndefined();
    const granted = grants(
      listOf(role.Policies)
        .filter(isRecord)
        .flatMap((policy) => statements(policy.PolicyDocument)),
    );
    expect(granted).toEqual({
      'iam:GetAccountAuthorizationDetails': ['*'],
      'iam:GetPolicy': [`arn:aws:iam::${MEMBER}:policy/*`],
      'iam:GetPolicyVersion': [`arn:aws:iam::${MEMBER}:policy/*`],
    });
    expect(
      resourcesOfType(template, 'AWS::IAM::Role')
        .map(([logicalId]) => logicalId)
        .sort(),
    ).toEqual(['ForwarderRole', 'ReadRole']);
  });

  it("trusts only the security account's on-iam-change and reconcile roles, and only with the ExternalId", () => {
    const trust = readRole().AssumeRolePolicyDocument;
    expect(statements(trust)).toEqual([
      {
        Effect: 'Allow',
        Principal: {
          AWS: [
            `arn:aws:iam::${SECURITY}:role/rolewatch-${STAGE}-us-east-1-on-iam-change`,
            `arn:aws:iam::${SECURITY}:role/rolewatch-${STAGE}-us-east-1-reconcile`,
          ],
        },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
      },
    ]);
    const parsed = parsePolicy(trust);
    if (!parsed.ok) throw new Error(parsed.error);
    const analysis = analyseTrust(parsed.document, { account: MEMBER, knownAccounts: [SECURITY], thirdParties: [] });
    expect(analysis.accounts.map((a) => ({ account: a.account, relation: a.relation, hasExternalId: a.hasExternalId }))).toEqual([
      { account: SECURITY, relation: 'known', hasExternalId: true },
      { account: SECURITY, relation: 'known', hasExternalId: true },
    ]);
    expect(generated.Parameters?.ExternalId).toMatchObject({ Type: 'String', NoEcho: true, MinLength: 2 });
    expect(generated.Parameters?.ExternalId?.Default).toBeUndefined();
  });

  it("passes RoleWatch's own checks with nothing high or critical when the security account is known (dogfooding)", () => {
    const checked = (['ForwarderRole', MEMBER_READ_ROLE] as const).flatMap((roleId) => {
      const role = resolveIntrinsics(template, properties(template, roleId), inUsEast1) as Record<string, unknown>;
      return [
        { trust: true, document: role.AssumeRolePolicyDocument },
        ...listOf(role.Policies)
          .filter(isRecord)
          .map((policy) => ({ trust: false, document: policy.PolicyDocument })),
      ];
    });
    expect(checked).toHaveLength(4);
    const findings = checked.flatMap(({ trust, document }) =>
      seriousFindings(document, { trust, account: MEMBER, knownAccounts: [SECURITY] }),
    );
    expect(findings).toEqual([]);
    // The check is not blind: with the security account unknown, the read role's trust is reported.
    expect(
      seriousFindings(readRole().AssumeRolePolicyDocument, { trust: true, account: MEMBER, knownAccounts: [] }).join('\n'),
    ).toContain('trust-unknown-account');
  });

  it('refuses a target that is not an event bus ARN, a bad stage and a bad role name', () => {
    expect(parseEventBusArn(busArn)).toEqual({
      partition: 'aws',
      region: TEST_TARGET.region,
      account: SECURITY,
      name: `rolewatch-${STAGE}-organization`,
    });
    expect(() => parseEventBusArn(`arn:aws:sqs:us-east-1:${SECURITY}:queue`)).toThrow(/--target-bus-arn/);
    expect(() => memberTemplate({ targetBusArn: busArn, stage: 'prod stage' })).toThrow(/--stage/);
    expect(() => memberTemplate({ targetBusArn: busArn, stage: STAGE, memberRoleName: 'Reader*' })).toThrow(/--member-role-name/);
  });
});

describe('rolewatch forwarder-template --target-bus-arn', () => {
  const busArn = `arn:aws:events:eu-west-1:${SECURITY}:event-bus/rolewatch-prod-organization`;

  it('prints the member template and the StackSet commands for us-east-1 and the chosen regions', async () => {
    const { code, stdout, stderr } = await runCli(
      'forwarder-template',
      '--target-bus-arn',
      busArn,
      '--stage',
      'prod',
      '--regions',
      'eu-west-1,eu-central-1',
      '--member-role-name',
      'RoleWatchReadOnly',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(
      memberTemplate({ targetBusArn: busArn, stage: 'prod', memberRoleName: 'RoleWatchReadOnly' }),
    );
    expect(stderr).toContain('--permission-model SERVICE_MANAGED --auto-deployment Enabled=true');
    expect(stderr).toContain('--regions us-east-1 eu-west-1 eu-central-1');
    expect(stderr).toContain(`"AccountFilterType":"DIFFERENCE","Accounts":["${SECURITY}"]`);
  });

  it('exits 2 naming the option when the stage is missing or the ARN is not a bus', async () => {
    const noStage = await runCli('forwarder-template', '--target-bus-arn', busArn);
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toContain('--stage');
    const notBus = await runCli(
      'forwarder-template',
      '--target-bus-arn',
      'arn:aws:sns:eu-west-1:111111111111:topic',
      '--stage',
      'prod',
    );
    expect(notBus.code).toBe(2);
    expect(notBus.stderr).toContain('--target-bus-arn');
  });
});
