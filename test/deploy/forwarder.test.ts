import { validateConfig } from '../../shared/config/config';
import { eventPatterns } from '../../shared/deploy/eventPatterns';
import { FORWARDER_RULES, forwarderRegions, forwarderTemplate } from '../../shared/deploy/forwarder';
import { checkPolicyDocument } from '../../shared/engine/checkPolicy';
import { ValidationError } from '../../shared/errors';
import { runCli } from '../support/cli';
import {
  type DeployTarget,
  evaluateCondition,
  isRecord,
  listOf,
  resolveIntrinsics,
  TEST_TARGET,
  type Template,
} from '../support/template';

const HOME = 'eu-west-1';
const ACCOUNT = TEST_TARGET.account;
const template = forwarderTemplate(HOME) as unknown as Template;
const inUsEast1: DeployTarget = { ...TEST_TARGET, stackName: 'rolewatch-forwarder' };
const inEuCentral1: DeployTarget = { ...inUsEast1, region: 'eu-central-1' };
const HOME_BUS = `arn:aws:events:${HOME}:${ACCOUNT}:event-bus/default`;

const resolved = (target: DeployTarget, value: unknown) => resolveIntrinsics(template, value, target);
const properties = (logicalId: string) => template.Resources[logicalId]?.Properties ?? {};
const role = (target: DeployTarget) => resolved(target, properties('ForwarderRole')) as Record<string, unknown>;

function statements(document: unknown): Record<string, unknown>[] {
  return isRecord(document) ? listOf(document.Statement).filter(isRecord) : [];
}

/** IAM-style wildcard match (`*` and `?`), for ArnLike conditions. */
function arnLike(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** The rules deployed in a region: their logical ids. */
function rulesIn(target: DeployTarget): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
    .filter(([, resource]) => resource.Condition === undefined || evaluateCondition(template, resource.Condition, target))
    .map(([logicalId]) => logicalId)
    .sort();
}

describe('forwarderTemplate', () => {
  it('forwards with exactly the patterns of the home deployment, derived from the rule registry', () => {
    const patterns = eventPatterns();
    for (const [name, logicalId] of Object.entries(FORWARDER_RULES) as [keyof typeof FORWARDER_RULES, string][]) {
      expect({ logicalId, pattern: properties(logicalId).EventPattern }).toEqual({ logicalId, pattern: patterns[name] });
    }
  });

  it('forwards IAM changes from us-east-1 only, role assumptions and tampering from every region', () => {
    expect(rulesIn(inUsEast1)).toEqual(['IamChangesRule', 'MonitorTamperingRule', 'RoleAssumptionsRule']);
    expect(rulesIn(inEuCentral1)).toEqual(['MonitorTamperingRule', 'RoleAssumptionsRule']);
  });

  it('receives read-only events on the STS rule only', () => {
    expect(properties(FORWARDER_RULES.roleAssumptions).State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(properties(FORWARDER_RULES.iamChanges).State).toBe('ENABLED');
    expect(properties(FORWARDER_RULES.monitorTampering).State).toBe('ENABLED');
  });

  it('names its rules rolewatch-*, so that monitor-tampering watches them with the default configuration', () => {
    const names = Object.values(FORWARDER_RULES).map((logicalId) => String(properties(logicalId).Name));
    expect(names.every((name) => name.startsWith(`rolewatch-to-${HOME}-`))).toBe(true);
    expect(validateConfig({}).monitorRuleNames).toContain('rolewatch-*');
  });

  it("targets the home region's default bus through the forwarder role, with retries and a dead-letter queue", () => {
    for (const logicalId of Object.values(FORWARDER_RULES)) {
      const targets = listOf(resolved(inUsEast1, properties(logicalId).Targets)).filter(isRecord);
      expect(targets).toEqual([
        {
          Id: expect.any(String),
          Arn: HOME_BUS,
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/rolewatch-to-${HOME}-us-east-1`,
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
          DeadLetterConfig: { Arn: resolved(inUsEast1, { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }) },
        },
      ]);
    }
  });

  it('lets EventBridge assume the role only for the forwarding rules of the own account', () => {
    for (const target of [inUsEast1, inEuCentral1]) {
      const trust = statements(role(target).AssumeRolePolicyDocument);
      expect(trust).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnLike: { 'aws:SourceArn': expect.any(String) },
          },
        },
      ]);
      const condition = isRecord(trust[0]?.Condition) ? trust[0].Condition : {};
      const pattern = String(isRecord(condition.ArnLike) ? condition.ArnLike['aws:SourceArn'] : '');
      for (const logicalId of rulesIn(target)) {
        expect(arnLike(pattern, String(resolved(target, { 'Fn::GetAtt': [logicalId, 'Arn'] })))).toBe(true);
      }
      expect(arnLike(pattern, `arn:aws:events:${target.region}:${ACCOUNT}:rule/someone-elses-rule`)).toBe(false);
      expect(arnLike(pattern, `arn:aws:events:${target.region}:444455556666:rule/rolewatch-to-${HOME}-iam-changes`)).toBe(false);
    }
  });

  it('allows the role events:PutEvents on the home bus and nothing else', () => {
    const policies = listOf(role(inUsEast1).Policies).filter(isRecord);
    expect(policies.flatMap((policy) => statements(policy.PolicyDocument))).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: HOME_BUS },
    ]);
    expect(role(inUsEast1).ManagedPolicyArns).toBeUndefined();
    expect(Object.values(template.Resources).filter((resource) => resource.Type.startsWith('AWS::IAM::'))).toHaveLength(1);
  });

  it("passes RoleWatch's own checks with nothing high or critical (dogfooding)", () => {
    const config = validateConfig({});
    const forwarderRole = role(inUsEast1);
    const checked = [
      { trust: true, document: forwarderRole.AssumeRolePolicyDocument },
      ...listOf(forwarderRole.Policies)
        .filter(isRecord)
        .map((policy) => ({ trust: false, document: policy.PolicyDocument })),
    ];
    const findings = checked.flatMap(({ trust, document }) =>
      checkPolicyDocument(document, { trust, account: ACCOUNT, name: 'rolewatch-forwarder', config }).map(
        (finding) => `${trust ? 'trust' : 'permissions'}: ${finding.severity} ${finding.ruleId}: ${finding.detail}`,
      ),
    );
    const serious = findings.filter((line) => / (high|critical) /.test(line));
    expect({ highOrCritical: serious, allFindings: findings }).toEqual({ highOrCritical: [], allFindings: expect.any(Array) });
  });

  it('lets only the deployed forwarding rules write to the dead-letter queue', () => {
    for (const target of [inUsEast1, inEuCentral1]) {
      const policy = resolved(target, properties('DeadLetterQueuePolicy')) as Record<string, unknown>;
      const queueArn = resolved(target, { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] });
      const ruleArns = rulesIn(target).map((logicalId) => resolved(target, { 'Fn::GetAtt': [logicalId, 'Arn'] }));
      expect(statements(policy.PolicyDocument)).toEqual([
        {
          Sid: expect.any(String),
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
        },
      ]);
    }
  });

  it('alarms on the dead-letter queue only when given a topic', () => {
    expect(template.Resources.DeadLetterAlarm?.Condition).toBe('HasAlarmTopic');
    expect(evaluateCondition(template, 'HasAlarmTopic', inUsEast1)).toBe(false);
    const withTopic = { ...template, Parameters: { AlarmTopicArn: { Default: `arn:aws:sns:us-east-1:${ACCOUNT}:ops` } } };
    expect(evaluateCondition(withTopic, 'HasAlarmTopic', inUsEast1)).toBe(true);
  });
});

describe('forwarderRegions', () => {
  it('deploys in us-east-1 and the extra regions, never in the home region', () => {
    expect(forwarderRegions('eu-west-1')).toEqual(['us-east-1']);
    expect(forwarderRegions('eu-west-1', ['eu-central-1', 'us-east-1'])).toEqual(['us-east-1', 'eu-central-1']);
    expect(forwarderRegions('us-east-1', ['us-west-2'])).toEqual(['us-west-2']);
  });

  it('refuses the home region, bad region names and a deployment with nothing to forward', () => {
    expect(() => forwarderRegions('eu-west-1', ['eu-west-1'])).toThrow(ValidationError);
    expect(() => forwarderRegions('us-east-1')).toThrow(/name the other regions/);
    expect(() => forwarderRegions('Ireland')).toThrow(/not an AWS region/);
    expect(() => forwarderRegions('eu-west-1', ['eu-west'])).toThrow(/not an AWS region/);
  });
});

describe('rolewatch forwarder-template', () => {
  it('prints the template as JSON and where to deploy it on stderr', async () => {
    const { code, stdout, stderr } = await runCli(
      'forwarder-template',
      '--home-region',
      HOME,
      '--regions',
      'eu-central-1,ap-southeast-2',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(forwarderTemplate(HOME));
    expect(stderr).toContain('us-east-1, eu-central-1, ap-southeast-2');
  });

  it('exits 2 naming the option when the home region is missing or among the regions', async () => {
    const missing = await runCli('forwarder-template');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--home-region');
    const home = await runCli('forwarder-template', '--home-region', HOME, '--regions', HOME);
    expect(home.code).toBe(2);
    expect(home.stderr).toContain('--regions');
  });
});
