/**
 * What check-policy says about a document, as a security engineer expects it: every path of the escalation
 * catalogue fires from its minimal policy and stays quiet when one action is denied or the grants are
 * restricted (test/fixtures/escalation/paths.json), and each example of what a policy or trust really
 * allows is pinned.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESCALATION_PATHS } from '../../shared/analysis/escalationPaths';
import { validateConfig } from '../../shared/config/config';
import { checkPolicyDocument, type PolicyCheckResult } from '../../shared/engine/checkPolicy';

const config = validateConfig({});
const AT = Date.parse('2026-03-09T16:02:45Z');

function check(document: unknown, trust = false): PolicyCheckResult[] {
  return checkPolicyDocument(document, { trust, account: '123456789012', name: 'subject', config, at: AT });
}

const doc = (...statements: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement: statements });
const ids = (results: PolicyCheckResult[]) => results.map((r) => r.ruleId);
const escalation = (results: PolicyCheckResult[]) => results.filter((r) => r.ruleId === 'privilege-escalation-path');

interface PathCase {
  id: string;
  fires: unknown;
  quiet: { case: string; policy: unknown }[];
}
const catalogue = JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/escalation/paths.json'), 'utf8')) as {
  cases: PathCase[];
};

describe('escalation catalogue fixtures', () => {
  it('has a positive and a negative case for every path of the catalogue', () => {
    expect(catalogue.cases.map((c) => c.id).sort()).toEqual(ESCALATION_PATHS.map((p) => p.id).sort());
    for (const c of catalogue.cases) expect(c.quiet.length).toBeGreaterThan(0);
  });

  it.each(catalogue.cases.map((c) => [c.id, c] as const))(
    '%s fires from its minimal policy, named with its category',
    (id, c) => {
      const path = ESCALATION_PATHS.find((p) => p.id === id);
      const [finding] = escalation(check(c.fires));
      expect(finding?.detail).toContain(`[${id}, ${path?.category}]`);
    },
  );

  it.each(catalogue.cases.flatMap((c) => c.quiet.map((q) => [c.id, q.case, q.policy] as const)))(
    '%s stays quiet when %s',
    (id, _case, policy) => {
      const details = escalation(check(policy)).map((r) => r.detail);
      expect(details.join('\n')).not.toContain(`[${id},`);
    },
  );
});

describe('what a policy really allows', () => {
  it('reports nothing for Allow * with NotResource *: it matches no resource', () => {
    expect(check(doc({ Effect: 'Allow', Action: '*', NotResource: '*' }))).toEqual([]);
  });

  it('still calls Allow * with a NotResource of a few buckets admin', () => {
    const results = check(doc({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:s3:::audit-logs/*' }));
    expect(ids(results)).toContain('admin-policy-attached');
  });

  it.each(['kms', 'iam', 's3'])('subtracts a Deny of %s:* from its service wildcard, as for every rule', (service) => {
    const denied = check(
      doc({ Effect: 'Allow', Action: `${service}:*`, Resource: '*' }, { Effect: 'Deny', Action: `${service}:*`, Resource: '*' }),
    );
    expect(denied).toEqual([]);
    const allowed = check(doc({ Effect: 'Allow', Action: `${service}:*`, Resource: '*' }));
    expect(allowed.length).toBeGreaterThan(0);
  });

  it('subtracts a NotAction Deny that leaves only reads', () => {
    const results = check(
      doc(
        { Effect: 'Allow', Action: ['iam:*', 'kms:*'], Resource: '*' },
        { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*'], Resource: '*' },
      ),
    );
    expect(ids(results)).not.toContain('privilege-escalation-path');
    expect(ids(results)).not.toContain('service-wildcard-permissions');
    expect(ids(results)).not.toContain('iam-wildcard-permissions');
  });

  it('does not call CreatePolicyVersion on AWS-managed policies escalation: no customer can version them', () => {
    const results = check(doc({ Effect: 'Allow', Action: 'iam:CreatePolicyVersion', Resource: 'arn:aws:iam::aws:policy/*' }));
    expect(ids(results)).not.toContain('privilege-escalation-path');
    const customer = check(doc({ Effect: 'Allow', Action: 'iam:CreatePolicyVersion', Resource: 'arn:aws:iam::*:policy/*' }));
    expect(escalation(customer)[0]?.detail).toContain('[iam-001, self-escalation]');
  });

  it("does not call CreateAccessKey on the caller's own user escalation", () => {
    const own = check(doc({ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: 'arn:aws:iam::*:user/${aws:username}' }));
    expect(ids(own)).not.toContain('privilege-escalation-path');
    const any = check(doc({ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: 'arn:aws:iam::*:user/*' }));
    expect(escalation(any)[0]?.detail).toContain('[iam-002, principal-access]');
  });

  it("still calls AttachUserPolicy on the caller's own user escalation: it raises the caller's permissions", () => {
    const own = check(doc({ Effect: 'Allow', Action: 'iam:AttachUserPolicy', Resource: 'arn:aws:iam::*:user/${aws:username}' }));
    expect(escalation(own)[0]?.detail).toContain('[iam-008, self-escalation]');
  });

  it('drops a grant whose time condition can no longer hold, and names an undecided one', () => {
    const expired = doc({
      Effect: 'Allow',
      Action: 'iam:AttachRolePolicy',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
    });
    expect(check(expired)).toEqual([]);
    const current = doc({
      Effect: 'Allow',
      Action: 'iam:AttachRolePolicy',
      Resource: '*',
      Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
    });
    expect(escalation(check(current))[0]?.detail).not.toContain('conditioned');
    const sourced = doc({
      Effect: 'Allow',
      Action: 'iam:AttachRolePolicy',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } },
    });
    const [finding] = escalation(check(sourced));
    expect(finding?.detail).toContain('conditioned on aws:PrincipalOrgID (StringEquals)');
    expect(finding?.severity).toBe('medium');
  });

  it('drops a grant whose conditions no request can meet together', () => {
    const impossible = doc({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'true' }, Null: { 'aws:SecureTransport': 'true' } },
    });
    expect(check(impossible)).toEqual([]);
  });

  it('lowers an admin grant restricted to MFA callers to high, never critical, and names the condition', () => {
    const results = check(
      doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }),
    );
    const admin = results.find((r) => r.ruleId === 'admin-policy-attached');
    expect(admin?.severity).toBe('high');
    expect(admin?.detail).toContain('aws:MultiFactorAuthPresent');
  });

  it.each([
    ['ssm:SendCommand', 'ssm-002'],
    ['ssm:StartSession', 'ssm-001'],
    ['cloudformation:UpdateStack', 'cloudformation-002'],
    ['codebuild:StartBuild', 'codebuild-002'],
    ['apprunner:UpdateService', 'apprunner-002'],
    ['lambda:UpdateFunctionCode', 'lambda-003'],
  ])('reports %s on * as an existing-passrole path (%s), at medium', (action, id) => {
    const [finding] = escalation(check(doc({ Effect: 'Allow', Action: action, Resource: '*' })));
    expect(finding?.detail).toContain(`[${id}, existing-passrole]`);
    expect(finding?.detail).toContain('depends on a resource that runs with a more privileged role');
    expect(finding?.severity).toBe('medium');
  });

  it.each([
    [['ecs:RegisterTaskDefinition', 'ecs:RunTask'], 'ecs-004'],
    [['ecs:RegisterTaskDefinition', 'ecs:StartTask'], 'ecs-005'],
    [['batch:RegisterJobDefinition', 'batch:SubmitJob'], 'batch-001'],
    [['glue:CreateJob', 'glue:StartJobRun'], 'glue-003'],
    [['glue:CreateSession', 'glue:RunStatement'], 'glue-007'],
    [['sagemaker:CreateTrainingJob'], 'sagemaker-002'],
    [['states:CreateStateMachine', 'states:StartExecution'], 'stepfunctions-001'],
    [['scheduler:CreateSchedule'], 'scheduler-001'],
    [
      [
        'imagebuilder:CreateComponent',
        'imagebuilder:CreateImageRecipe',
        'imagebuilder:CreateInfrastructureConfiguration',
        'imagebuilder:CreateImage',
      ],
      'imagebuilder-001',
    ],
    [['elasticmapreduce:RunJobFlow'], 'emr-001'],
    [['autoscaling:CreateLaunchConfiguration', 'autoscaling:CreateAutoScalingGroup'], 'autoscaling-001'],
    [
      [
        'bedrock-agentcore:CreateCodeInterpreter',
        'bedrock-agentcore:StartCodeInterpreterSession',
        'bedrock-agentcore:InvokeCodeInterpreter',
      ],
      'bedrock-001',
    ],
  ])('reports PassRole with %j as the escalation it is (%s)', (actions, id) => {
    const [finding] = escalation(check(doc({ Effect: 'Allow', Action: ['iam:PassRole', ...actions], Resource: '*' })));
    expect(finding?.detail).toContain(`[${id}, new-passrole]`);
    expect(finding?.severity).toBe('high');
  });

  it('lets PassRole narrowed by iam:PassedToService enable only the paths of that service', () => {
    const results = check(
      doc(
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
        },
        { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:InvokeFunction', 'ec2:RunInstances'], Resource: '*' },
      ),
    );
    const detail = escalation(results)[0]?.detail ?? '';
    expect(detail).toContain('[lambda-001, new-passrole]');
    expect(detail).not.toContain('ec2-001');
  });

  it('does not let PassRole to named roles enable a path', () => {
    const results = check(
      doc(
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::123456789012:role/lambda-basic-execution' },
        { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' },
      ),
    );
    expect(ids(results)).not.toContain('privilege-escalation-path');
    expect(ids(results)).not.toContain('passrole-any-resource');
  });
});

describe('what a trust really allows (2026)', () => {
  const GITHUB = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
  const github = (condition: Record<string, unknown>) =>
    doc({ Effect: 'Allow', Principal: { Federated: GITHUB }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: condition });
  const AUD = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };

  it.each([
    ['repository_id', { 'token.actions.githubusercontent.com:repository_id': '892374650' }],
    [
      'job_workflow_ref',
      { 'token.actions.githubusercontent.com:job_workflow_ref': 'acme/app/.github/workflows/deploy.yml@refs/heads/main' },
    ],
    ['repository', { 'token.actions.githubusercontent.com:repository': 'acme/app' }],
  ])('takes a GitHub trust pinned by %s as pinned: neither without subject nor broad', (_claim, pin) => {
    const results = check(github({ StringEquals: { ...AUD, ...pin } }), true);
    expect(ids(results)).not.toContain('trust-github-oidc-without-subject');
    expect(ids(results)).not.toContain('trust-oidc-broad-subject');
  });

  it('judges a broad subject together with a pinned repository id', () => {
    const results = check(
      github({
        StringEquals: { ...AUD, 'token.actions.githubusercontent.com:repository_id': '892374650' },
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' },
      }),
      true,
    );
    expect(ids(results)).not.toContain('trust-oidc-broad-subject');
  });

  it('calls an owner-only pin broad (any repository of the organization), not without subject', () => {
    const results = check(
      github({ StringEquals: { ...AUD, 'token.actions.githubusercontent.com:repository_owner_id': '1342004' } }),
      true,
    );
    expect(ids(results)).not.toContain('trust-github-oidc-without-subject');
    expect(results.find((r) => r.ruleId === 'trust-oidc-broad-subject')?.severity).toBe('high');
  });

  it('still calls a GitHub trust with only an audience without subject (critical)', () => {
    const results = check(github({ StringEquals: AUD }), true);
    expect(results.find((r) => r.ruleId === 'trust-github-oidc-without-subject')?.severity).toBe('critical');
  });

  it('flags ForAllValues on a single-valued GitHub claim, which a token without the claim also passes', () => {
    const results = check(
      github({
        StringEquals: AUD,
        'ForAllValues:StringEquals': { 'token.actions.githubusercontent.com:repository_id': '892374650' },
      }),
      true,
    );
    expect(ids(results)).toContain('trust-forallvalues-single-valued-key');
    expect(ids(results)).toContain('trust-github-oidc-without-subject');
  });

  const service = (principal: string, condition?: Record<string, unknown>) =>
    doc({
      Effect: 'Allow',
      Principal: { Service: principal },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      ...(condition ? { Condition: condition } : {}),
    });

  it('reports SageMaker trusted without aws:SourceAccount or aws:SourceArn, as its documentation asks', () => {
    expect(ids(check(service('sagemaker.amazonaws.com'), true))).toContain('trust-service-without-source-condition');
    expect(
      ids(check(service('sagemaker.amazonaws.com', { StringEquals: { 'aws:SourceAccount': '123456789012' } }), true)),
    ).not.toContain('trust-service-without-source-condition');
  });

  it('reports EKS Pod Identity without namespace or service-account session-tag conditions', () => {
    const open = check(service('pods.eks.amazonaws.com'), true).find(
      (r) => r.ruleId === 'trust-service-without-source-condition',
    );
    expect(open?.severity).toBe('medium');
    expect(open?.detail).toContain('Pod Identity');
    const scoped = check(
      service('pods.eks.amazonaws.com', { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'payments' } }),
      true,
    );
    expect(ids(scoped)).not.toContain('trust-service-without-source-condition');
  });

  it('reports IAM Roles Anywhere without a trust anchor or certificate subject condition', () => {
    const open = check(service('rolesanywhere.amazonaws.com'), true);
    expect(open.find((r) => r.ruleId === 'trust-service-without-source-condition')?.detail).toContain('Roles Anywhere');
    const anchored = check(
      service('rolesanywhere.amazonaws.com', {
        ArnEquals: {
          'aws:SourceArn': 'arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/4b5e2d4c-0c5b-4f0e-9a1f-5b9c1d2e3f40',
        },
      }),
      true,
    );
    expect(ids(anchored)).not.toContain('trust-service-without-source-condition');
  });

  it('says when an outside account may also set session tags or source identity', () => {
    const results = check(
      doc(
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole' },
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::444455556666:root' },
          Action: ['sts:TagSession', 'sts:SetSourceIdentity'],
        },
      ),
      true,
    );
    expect(results.find((r) => r.ruleId === 'trust-unknown-account')?.detail).toContain(
      'sts:TagSession and sts:SetSourceIdentity',
    );
  });
});

describe('PassRole on every role under a condition', () => {
  it('is reported at medium, with the condition named', () => {
    const results = checkPolicyDocument(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: '*',
            Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          },
        ],
      },
      { trust: false, account: '123456789012', name: 'subject', config, at: AT },
    );
    const finding = results.find((r) => r.ruleId === 'passrole-any-resource');
    expect(finding?.severity).toBe('medium');
    expect(finding?.detail).toContain('iam:PassedToService (StringEquals)');
  });
});
