import fc from 'fast-check';
import {
  analyseTrust,
  CROSS_ACCOUNT_SERVICES,
  grantsAssumeRole,
  isBroadSubject,
  principalMatchesSource,
  serviceName,
  type TrustAnalysis,
  type TrustContext,
  type WebIdentityKind,
} from '../../shared/analysis/trust';
import { parsePolicy } from '../../shared/policy/parse';
import type { PolicyDocument, Statement } from '../../shared/policy/types';

const OWN = '123456789012';
const KNOWN = '111122223333';
const VENDOR = '999988887777';
const STRANGER = '444455556666';

const ctx: TrustContext = {
  account: OWN,
  knownAccounts: [KNOWN],
  thirdParties: [{ account: VENDOR, name: 'acme-monitoring', requireExternalId: true }],
};

const GITHUB = `arn:aws:iam::${OWN}:oidc-provider/token.actions.githubusercontent.com`;
const EKS_ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const EKS = `arn:aws:iam::${OWN}:oidc-provider/${EKS_ISSUER}`;

function doc(...statements: unknown[]): PolicyDocument {
  const parsed = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.document;
}

function analyse(...statements: unknown[]): TrustAnalysis {
  return analyseTrust(doc(...statements), ctx);
}

function allow(principal: unknown, condition?: unknown, action: unknown = 'sts:AssumeRole'): Record<string, unknown> {
  return { Effect: 'Allow', Principal: principal, Action: action, ...(condition ? { Condition: condition } : {}) };
}

function github(condition?: unknown) {
  return allow({ Federated: GITHUB }, condition, 'sts:AssumeRoleWithWebIdentity');
}

const AUD = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };

describe('analyseTrust: which statements count', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['sts:AssumeRole', allow({ AWS: KNOWN }), true],
    ['the action in another case', allow({ AWS: KNOWN }, undefined, 'STS:assumerole'), true],
    ['sts:* ', allow({ AWS: KNOWN }, undefined, 'sts:*'), true],
    ['*', allow({ AWS: KNOWN }, undefined, '*'), true],
    ['sts:AssumeRole with sts:TagSession', allow({ AWS: KNOWN }, undefined, ['sts:AssumeRole', 'sts:TagSession']), true],
    ['sts:TagSession alone', allow({ AWS: KNOWN }, undefined, 'sts:TagSession'), false],
    ['sts:SetSourceIdentity alone', allow({ AWS: KNOWN }, undefined, 'sts:SetSourceIdentity'), false],
    ['NotAction sts:TagSession', { Effect: 'Allow', Principal: { AWS: KNOWN }, NotAction: 'sts:TagSession' }, true],
    ['NotAction sts:*', { Effect: 'Allow', Principal: { AWS: KNOWN }, NotAction: 'sts:*' }, false],
    ['a Deny', { Effect: 'Deny', Principal: { AWS: KNOWN }, Action: 'sts:AssumeRole' }, false],
  ])('%s → %s', (_name, statement, counted) => {
    const result = analyse(statement);
    expect(result.accounts.length).toBe(counted ? 1 : 0);
    expect(result.principals).toEqual(counted ? [`AWS:${KNOWN}`] : []);
  });

  it('grantsAssumeRole covers the web-identity and SAML actions', () => {
    const statement: Statement = { index: 0, effect: 'Allow', action: ['sts:AssumeRoleWithSAML'], conditions: [] };
    expect(grantsAssumeRole(statement)).toBe(true);
    expect(grantsAssumeRole({ ...statement, action: ['sts:Assume*'] })).toBe(true);
    expect(grantsAssumeRole({ ...statement, action: ['iam:PassRole'] })).toBe(false);
  });
});

describe('analyseTrust: any principal', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['Principal "*" without conditions', allow('*'), []],
    ['{"AWS": "*"} without conditions', allow({ AWS: '*' }), []],
    [
      '"*" restricted to the organization',
      allow('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
      ['aws:PrincipalOrgID'],
    ],
    [
      '"*" restricted to one account',
      allow({ AWS: '*' }, { StringEquals: { 'aws:PrincipalAccount': KNOWN } }),
      ['aws:PrincipalAccount'],
    ],
    [
      '"*" restricted to roles of one account',
      allow('*', { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${KNOWN}:role/ci-*` } }),
      ['aws:PrincipalArn'],
    ],
    ['"*" with only sts:ExternalId', allow('*', { StringEquals: { 'sts:ExternalId': 'f3a1c9e2' } }), []],
    ['"*" with a wildcard organization', allow('*', { StringLike: { 'aws:PrincipalOrgID': '*' } }), []],
    ['"*" with an IfExists organization', allow('*', { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }), []],
    ['"*" with a role name in any account', allow('*', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/deploy' } }), []],
    ['"*" with a user name', allow('*', { StringEquals: { 'aws:username': 'deploy' } }), []],
    ['"*" with MFA only', allow('*', { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }), []],
    [
      '"*" with the organization and an external id: only the organization restricts',
      allow('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'sts:ExternalId': 'x1' } }),
      ['aws:PrincipalOrgID'],
    ],
  ])('%s', (_name, statement, restricting) => {
    const result = analyse(statement);
    expect(result.anyPrincipal).toHaveLength(1);
    expect(result.anyPrincipal[0]?.via).toBe('principal');
    expect(result.anyPrincipal[0]?.restrictingConditions.map((c) => c.key)).toEqual(restricting);
    expect(result.principals).toEqual(['*']);
  });

  it('does not take restrictions from a Deny statement', () => {
    const result = analyse(allow('*'), {
      Effect: 'Deny',
      Principal: '*',
      Action: 'sts:AssumeRole',
      Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    });
    expect(result.anyPrincipal).toEqual([{ statement: 0, via: 'principal', excluded: [], restrictingConditions: [] }]);
  });

  it('treats Allow with NotPrincipal as trusting everyone but the listed principals', () => {
    const result = analyse({ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${STRANGER}:root` }, Action: 'sts:AssumeRole' });
    expect(result.anyPrincipal).toEqual([
      { statement: 0, via: 'not-principal', excluded: [`AWS:arn:aws:iam::${STRANGER}:root`], restrictingConditions: [] },
    ]);
    expect(result.accounts).toEqual([]);
    expect(result.principals).toEqual(['*']);
  });

  it('ignores Allow with NotPrincipal "*" (it trusts nobody)', () => {
    expect(analyse({ Effect: 'Allow', NotPrincipal: '*', Action: 'sts:AssumeRole' }).anyPrincipal).toEqual([]);
  });

  it('reports nothing as any-principal for a named account', () => {
    expect(analyse(allow({ AWS: KNOWN })).anyPrincipal).toEqual([]);
  });
});

describe('analyseTrust: accounts', () => {
  it.each<[string, string, string, string]>([
    ['the own account root', `arn:aws:iam::${OWN}:root`, OWN, 'own'],
    ['a known account as a bare id', KNOWN, KNOWN, 'known'],
    ['a role of a known account', `arn:aws:iam::${KNOWN}:role/ci/deployer`, KNOWN, 'known'],
    ['a user of an unknown account', `arn:aws:iam::${STRANGER}:user/alice`, STRANGER, 'unknown'],
    ['an account in the China partition', `arn:aws-cn:iam::${STRANGER}:root`, STRANGER, 'unknown'],
    ['an assumed-role session', `arn:aws:sts::${KNOWN}:assumed-role/admin/alice`, KNOWN, 'known'],
  ])('classifies %s', (_name, principal, account, relation) => {
    expect(analyse(allow({ AWS: principal })).accounts).toEqual([
      { statement: 0, principal, account, relation, hasExternalId: false, sessionControls: [] },
    ]);
  });

  it('names a third party and its external-id requirement, and sees the external id', () => {
    const result = analyse(
      allow({ AWS: `arn:aws:iam::${VENDOR}:root` }, { StringEquals: { 'sts:ExternalId': 'customer-7f3a1c9e' } }),
    );
    expect(result.accounts).toEqual([
      {
        statement: 0,
        principal: `arn:aws:iam::${VENDOR}:root`,
        account: VENDOR,
        relation: 'third-party',
        thirdParty: { name: 'acme-monitoring', requireExternalId: true },
        hasExternalId: true,
        sessionControls: [],
      },
    ]);
  });

  it.each<[string, unknown, boolean]>([
    ['no condition', undefined, false],
    ['StringLike with a prefix', { StringLike: { 'sts:ExternalId': 'customer-*' } }, true],
    ['a key in lower case', { StringEquals: { 'sts:externalid': 'customer-7f3a1c9e' } }, true],
    ['StringEqualsIfExists', { StringEqualsIfExists: { 'sts:ExternalId': 'customer-7f3a1c9e' } }, false],
    ['StringLike "*"', { StringLike: { 'sts:ExternalId': '*' } }, false],
  ])('sees an external id for a vendor with %s → %s', (_name, condition, expected) => {
    const result = analyse(allow({ AWS: VENDOR }, condition));
    expect(result.accounts[0]?.hasExternalId).toBe(expected);
  });

  it('prefers third-party over known when an account is in both lists', () => {
    const both: TrustContext = { ...ctx, knownAccounts: [KNOWN, VENDOR] };
    expect(analyseTrust(doc(allow({ AWS: VENDOR })), both).accounts[0]?.relation).toBe('third-party');
  });

  it('reports the unique id IAM leaves after a trusted role is deleted as unresolved', () => {
    const result = analyse(allow({ AWS: ['AROAEXAMPLEID1234567', `arn:aws:iam::${KNOWN}:root`] }));
    expect(result.unresolved).toEqual([{ statement: 0, principal: 'AROAEXAMPLEID1234567' }]);
    expect(result.accounts.map((a) => a.account)).toEqual([KNOWN]);
  });
});

describe('analyseTrust: web identity', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'GitHub deploy role pinned to main',
      github({ StringEquals: { ...AUD, 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' } }),
      [],
    ],
    [
      'GitHub deploy role pinned to an environment',
      github({ StringEquals: AUD, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:environment:prod' } }),
      [],
    ],
    ['GitHub without a subject', github({ StringEquals: AUD }), ['no-sub']],
    ['GitHub without any condition', github(), ['no-sub', 'no-aud']],
    [
      'GitHub with an audience but a subject only excluded',
      github({ StringEquals: AUD, StringNotLike: { 'token.actions.githubusercontent.com:sub': 'repo:evil/*' } }),
      ['no-sub'],
    ],
    [
      'GitHub with any repository of the organization',
      github({ StringEquals: AUD, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } }),
      ['broad-sub'],
    ],
    [
      'GitHub with any ref of the repository',
      github({ StringEquals: AUD, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } }),
      ['broad-sub'],
    ],
    [
      'GitHub with pull requests',
      github({ StringEquals: { ...AUD, 'token.actions.githubusercontent.com:sub': 'repo:acme/app:pull_request' } }),
      ['broad-sub'],
    ],
    [
      'GitHub with a subject but no audience',
      github({ StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' } }),
      ['no-aud'],
    ],
    [
      'GitHub with a wildcard audience',
      github({
        StringLike: {
          'token.actions.githubusercontent.com:aud': '*',
          'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main',
        },
      }),
      ['no-aud'],
    ],
    [
      'GitHub with ForAllValues on the subject',
      github({
        StringEquals: AUD,
        'ForAllValues:StringLike': { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' },
      }),
      ['for-all-values-sub'],
    ],
    [
      'GitHub with a condition key written in upper case',
      github({
        StringEquals: {
          'TOKEN.ACTIONS.GITHUBUSERCONTENT.COM:AUD': 'sts.amazonaws.com',
          'Token.Actions.GithubUserContent.com:SUB': 'repo:acme/app:ref:refs/heads/main',
        },
      }),
      [],
    ],
    [
      'EKS service account (IRSA)',
      allow(
        { Federated: EKS },
        {
          StringEquals: {
            [`${EKS_ISSUER}:sub`]: 'system:serviceaccount:payments:api',
            [`${EKS_ISSUER}:aud`]: 'sts.amazonaws.com',
          },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
      [],
    ],
    [
      'EKS with only a subject (older documentation)',
      allow(
        { Federated: EKS },
        { StringEquals: { [`${EKS_ISSUER}:sub`]: 'system:serviceaccount:payments:api' } },
        'sts:AssumeRoleWithWebIdentity',
      ),
      ['no-aud'],
    ],
    [
      'EKS with any namespace',
      allow(
        { Federated: EKS },
        { StringLike: { [`${EKS_ISSUER}:sub`]: 'system:serviceaccount:*:api', [`${EKS_ISSUER}:aud`]: 'sts.amazonaws.com' } },
        'sts:AssumeRoleWithWebIdentity',
      ),
      ['broad-sub'],
    ],
    [
      'Cognito identity pool, authenticated identities',
      allow(
        { Federated: 'cognito-identity.amazonaws.com' },
        {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': 'eu-west-1:0a1b2c3d-1111-2222-3333-444455556666' },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
      [],
    ],
    [
      'Cognito without an identity pool',
      allow({ Federated: 'cognito-identity.amazonaws.com' }, undefined, 'sts:AssumeRoleWithWebIdentity'),
      ['no-aud'],
    ],
    [
      'Google with the app client id',
      allow(
        { Federated: 'accounts.google.com' },
        { StringEquals: { 'accounts.google.com:aud': '66677788899.apps.googleusercontent.com' } },
      ),
      [],
    ],
    ['Facebook without an app id', allow({ Federated: 'graph.facebook.com' }), ['no-aud']],
    [
      'Facebook with an app id',
      allow({ Federated: 'graph.facebook.com' }, { StringEquals: { 'graph.facebook.com:app_id': '1234567890' } }),
      [],
    ],
    [
      'GitLab pinned to a branch',
      allow(
        { Federated: `arn:aws:iam::${OWN}:oidc-provider/gitlab.com` },
        {
          StringEquals: {
            'gitlab.com:aud': 'https://gitlab.com',
            'gitlab.com:sub': 'project_path:acme/app:ref_type:branch:ref:main',
          },
        },
      ),
      [],
    ],
    [
      'GitLab with any project of the group',
      allow(
        { Federated: `arn:aws:iam::${OWN}:oidc-provider/gitlab.com` },
        { StringEquals: { 'gitlab.com:aud': 'https://gitlab.com' }, StringLike: { 'gitlab.com:sub': 'project_path:acme/*' } },
      ),
      ['broad-sub'],
    ],
    [
      'Terraform Cloud with no conditions',
      allow({ Federated: `arn:aws:iam::${OWN}:oidc-provider/app.terraform.io` }),
      ['no-sub', 'no-aud'],
    ],
  ])('%s → %j', (_name, statement, problems) => {
    const result = analyse(statement);
    expect(result.webIdentity).toHaveLength(1);
    expect(result.webIdentity[0]?.problems).toEqual(problems);
  });

  it.each<[string, string, WebIdentityKind, string]>([
    ['GitHub', GITHUB, 'github', 'token.actions.githubusercontent.com'],
    ['GitHub Enterprise issuer', `${GITHUB}/acme-enterprise`, 'github', 'token.actions.githubusercontent.com/acme-enterprise'],
    ['gitlab.com', `arn:aws:iam::${OWN}:oidc-provider/gitlab.com`, 'gitlab', 'gitlab.com'],
    ['self-managed GitLab', `arn:aws:iam::${OWN}:oidc-provider/gitlab.acme.example`, 'gitlab', 'gitlab.acme.example'],
    ['EKS', EKS, 'eks', EKS_ISSUER],
    ['Cognito', 'cognito-identity.amazonaws.com', 'cognito', 'cognito-identity.amazonaws.com'],
    ['Google', 'accounts.google.com', 'google', 'accounts.google.com'],
    ['Login with Amazon', 'www.amazon.com', 'other', 'www.amazon.com'],
    ['another OIDC provider', `arn:aws:iam::${OWN}:oidc-provider/app.terraform.io`, 'other', 'app.terraform.io'],
  ])('recognises %s', (_name, principal, kind, provider) => {
    const result = analyse(allow({ Federated: principal }, undefined, 'sts:AssumeRoleWithWebIdentity'));
    expect(result.webIdentity[0]).toMatchObject({ principal, kind, provider });
    expect(result.principals).toEqual([`Federated:${principal}`]);
  });

  it('reports the conditions found, the broad subjects and Cognito amr', () => {
    const [entry] = analyse(
      github({
        StringEquals: AUD,
        StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:acme/app:ref:refs/heads/main', 'repo:acme/*'] },
      }),
    ).webIdentity;
    expect(entry?.subjectConditions.map((c) => c.values)).toEqual([['repo:acme/app:ref:refs/heads/main', 'repo:acme/*']]);
    expect(entry?.audienceConditions.map((c) => c.values)).toEqual([['sts.amazonaws.com']]);
    expect(entry?.broadSubjects).toEqual(['repo:acme/*']);
    expect(entry?.problems).toEqual(['broad-sub']);
  });

  it('does not call a subject broad when another subject clause narrows it', () => {
    const [entry] = analyse(
      github({
        StringEquals: { ...AUD, 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' },
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' },
      }),
    ).webIdentity;
    expect(entry?.problems).toEqual([]);
    expect(entry?.broadSubjects).toEqual([]);
  });

  it('lists SAML providers separately, with whether SAML:aud is required', () => {
    const saml = `arn:aws:iam::${OWN}:saml-provider/Okta`;
    const withAud = analyse(
      allow(
        { Federated: saml },
        { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
        'sts:AssumeRoleWithSAML',
      ),
    );
    expect(withAud.saml).toMatchObject([{ statement: 0, principal: saml, hasAudienceCondition: true }]);
    expect(withAud.webIdentity).toEqual([]);
    const withoutAud = analyse(allow({ Federated: saml }, undefined, ['sts:AssumeRoleWithSAML', 'sts:TagSession']));
    expect(withoutAud.saml).toEqual([{ statement: 0, principal: saml, hasAudienceCondition: false, audienceConditions: [] }]);
  });
});

describe('isBroadSubject', () => {
  it.each<[WebIdentityKind, string, boolean, boolean]>([
    ['github', '*', true, true],
    ['github', 'repo:*', true, true],
    ['github', 'repo:acme/*', true, true],
    ['github', 'repo:acme/app*', true, true],
    ['github', 'repo:acme/*:ref:refs/heads/main', true, true],
    ['github', 'repo:acme/app:*', true, true],
    ['github', 'repo:acme/app:pull_request', true, true],
    ['github', 'repo:acme/app:pull_request', false, true],
    ['github', 'repo:acme/app:pull*', true, true],
    ['github', 'repo:acme/app:ref:refs/heads/main', true, false],
    ['github', 'repo:acme/app:ref:refs/heads/*', true, false],
    ['github', 'repo:acme/app:environment:prod', true, false],
    ['github', 'repo:acme/app:environment:*', true, false],
    ['github', 'repo:acme/*', false, false],
    ['github', 'repository_owner_id:123456:*', true, true],
    ['gitlab', 'project_path:acme/*', true, true],
    ['gitlab', 'project_path:acme/app:*', true, true],
    ['gitlab', 'project_path:acme/app:ref_type:branch:ref:*', true, false],
    ['eks', 'system:serviceaccount:*', true, true],
    ['eks', 'system:serviceaccount:*:api', true, true],
    ['eks', 'system:serviceaccount:payments:*', true, false],
    ['eks', 'system:serviceaccount:payments:api', true, false],
    ['google', '11122233344455566677', true, false],
    ['google', '111*', true, true],
    ['other', 'organization:acme:project:*', true, false],
    ['other', 'organization:*', true, true],
  ])('%s %s (wildcards %s) → %s', (kind, value, wildcards, expected) => {
    expect(isBroadSubject(kind, value, wildcards)).toBe(expected);
  });
});

describe('analyseTrust: services', () => {
  it.each<[string, Record<string, unknown>, string, boolean, boolean]>([
    ['EventBridge without a source condition', allow({ Service: 'events.amazonaws.com' }), 'events', true, false],
    [
      'EventBridge Scheduler with aws:SourceAccount',
      allow({ Service: 'scheduler.amazonaws.com' }, { StringEquals: { 'aws:SourceAccount': OWN } }),
      'scheduler',
      true,
      true,
    ],
    [
      'CloudWatch Logs (regional principal) with aws:SourceArn',
      allow({ Service: 'logs.eu-west-1.amazonaws.com' }, { StringLike: { 'aws:SourceArn': `arn:aws:logs:eu-west-1:${OWN}:*` } }),
      'logs',
      true,
      true,
    ],
    [
      'AWS Config with a wildcard-account aws:SourceArn',
      allow({ Service: 'config.amazonaws.com' }, { ArnLike: { 'aws:SourceArn': 'arn:aws:config:*:*:*' } }),
      'config',
      true,
      false,
    ],
    [
      'S3 replication with aws:SourceArn of the bucket',
      allow({ Service: 's3.amazonaws.com' }, { ArnEquals: { 'aws:SourceArn': 'arn:aws:s3:::acme-data' } }),
      's3',
      true,
      true,
    ],
    ['EC2 instance role', allow({ Service: 'ec2.amazonaws.com' }), 'ec2', false, false],
    ['Lambda execution role', allow({ Service: 'lambda.amazonaws.com' }), 'lambda', false, false],
    ['ECS task role', allow({ Service: 'ecs-tasks.amazonaws.com' }), 'ecs-tasks', false, false],
    ['vended logs delivery', allow({ Service: 'delivery.logs.amazonaws.com' }), 'delivery.logs', true, false],
  ])('%s', (_name, statement, service, crossAccountCapable, hasSourceCondition) => {
    const result = analyse(statement);
    expect(result.services).toHaveLength(1);
    expect(result.services[0]).toMatchObject({ statement: 0, service, crossAccountCapable, hasSourceCondition });
  });

  it('explains every cross-account service', () => {
    for (const [name, why] of CROSS_ACCOUNT_SERVICES) {
      expect(name).toBe(serviceName(`${name}.amazonaws.com`));
      expect(why.length).toBeGreaterThan(10);
    }
  });

  it('normalises service principals from other partitions', () => {
    expect(serviceName('ec2.amazonaws.com.cn')).toBe('ec2');
    expect(serviceName('states.us-gov-west-1.amazonaws.com')).toBe('states');
  });
});

describe('analyseTrust: ForAllValues on single-valued keys', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'the GitHub subject',
      github({ 'ForAllValues:StringLike': { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } }),
      ['token.actions.githubusercontent.com:sub'],
    ],
    [
      'aws:PrincipalArn',
      allow('*', { 'ForAllValues:ArnLike': { 'aws:PrincipalArn': `arn:aws:iam::${KNOWN}:role/x` } }),
      ['aws:PrincipalArn'],
    ],
    ['sts:ExternalId', allow({ AWS: VENDOR }, { 'ForAllValues:StringEquals': { 'sts:ExternalId': 'x1' } }), ['sts:ExternalId']],
    [
      'multivalued aws:PrincipalOrgPaths',
      allow('*', { 'ForAllValues:StringLike': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/*' } }),
      [],
    ],
    [
      'Cognito amr with ForAnyValue',
      allow(
        { Federated: 'cognito-identity.amazonaws.com' },
        { 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' } },
      ),
      [],
    ],
    ['a plain operator', allow('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }), []],
  ])('%s', (_name, statement, keys) => {
    expect(analyse(statement).forAllValuesOnSingleValued.map((m) => m.clause.key)).toEqual(keys);
  });

  it('ignores a Deny statement (ForAllValues there only denies more)', () => {
    const result = analyse(allow({ AWS: KNOWN }), {
      Effect: 'Deny',
      Principal: '*',
      Action: 'sts:AssumeRole',
      Condition: { 'ForAllValues:StringNotEquals': { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    });
    expect(result.forAllValuesOnSingleValued).toEqual([]);
  });
});

describe('analyseTrust: principals and statement indexes', () => {
  it('flattens, sorts and de-duplicates principals across statements and points entries at their statement', () => {
    const result = analyse(
      allow({ Service: 'ec2.amazonaws.com' }),
      { Effect: 'Deny', Principal: { AWS: STRANGER }, Action: 'sts:AssumeRole' },
      allow({ AWS: [`arn:aws:iam::${KNOWN}:root`, OWN], Service: 'ec2.amazonaws.com' }),
      github({ StringEquals: AUD }),
    );
    expect(result.principals).toEqual([
      `AWS:${OWN}`,
      `AWS:arn:aws:iam::${KNOWN}:root`,
      `Federated:${GITHUB}`,
      'Service:ec2.amazonaws.com',
    ]);
    expect(result.accounts.map((a) => a.statement)).toEqual([2, 2]);
    expect(result.services.map((s) => s.statement)).toEqual([0, 2]);
    expect(result.webIdentity.map((w) => w.statement)).toEqual([3]);
  });

  it('returns empty lists for a policy that trusts nobody', () => {
    expect(analyse({ Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' })).toEqual({
      anyPrincipal: [],
      accounts: [],
      unresolved: [],
      webIdentity: [],
      saml: [],
      services: [],
      forAllValuesOnSingleValued: [],
      principals: [],
    });
  });
});

describe('principalMatchesSource', () => {
  const role = `arn:aws:iam::${KNOWN}:role/ci/deployer`;
  it.each<[string, string, Parameters<typeof principalMatchesSource>[1], boolean]>([
    ['"*" covers anyone', '*', { arn: `arn:aws:iam::${STRANGER}:user/x` }, true],
    ['an account root covers a role of the account', `AWS:arn:aws:iam::${KNOWN}:root`, { arn: role }, true],
    ['a bare account covers a session in the account', `AWS:${KNOWN}`, { arn: `arn:aws:sts::${KNOWN}:assumed-role/x/s` }, true],
    ['an account root covers the account alone', `AWS:arn:aws:iam::${KNOWN}:root`, { account: KNOWN }, true],
    [
      'an account root does not cover another account',
      `AWS:arn:aws:iam::${KNOWN}:root`,
      { arn: `arn:aws:iam::${STRANGER}:root` },
      false,
    ],
    [
      'an account root does not cover another partition',
      `AWS:arn:aws:iam::${KNOWN}:root`,
      { arn: `arn:aws-cn:iam::${KNOWN}:role/x` },
      false,
    ],
    ['a role covers itself', `AWS:${role}`, { arn: role }, true],
    [
      'a role covers its sessions (path dropped)',
      `AWS:${role}`,
      { arn: `arn:aws:sts::${KNOWN}:assumed-role/deployer/gh-123` },
      true,
    ],
    [
      'a role does not cover another role session',
      `AWS:${role}`,
      { arn: `arn:aws:sts::${KNOWN}:assumed-role/deployer2/s` },
      false,
    ],
    ['a role does not cover its account', `AWS:${role}`, { account: KNOWN }, false],
    ['a user covers only itself', `AWS:arn:aws:iam::${KNOWN}:user/alice`, { arn: `arn:aws:iam::${KNOWN}:user/bob` }, false],
    ['a raw ARN without prefix works too', role, { arn: role }, true],
    ['an unresolved unique id covers nobody', 'AWS:AROAEXAMPLEID1234567', { arn: role }, false],
    ['a service matches by name', 'Service:ecs-tasks.amazonaws.com', { service: 'ECS-TASKS.amazonaws.com' }, true],
    ['a service does not match another', 'Service:ecs-tasks.amazonaws.com', { service: 'ec2.amazonaws.com' }, false],
    ['an OIDC provider ARN matches its issuer', `Federated:${GITHUB}`, { provider: 'token.actions.githubusercontent.com' }, true],
    ['an OIDC provider ARN matches itself', `Federated:${GITHUB}`, { provider: GITHUB }, true],
    ['a federated principal does not match an AWS caller', `Federated:${GITHUB}`, { arn: role }, false],
    ['Cognito matches by name', 'Federated:cognito-identity.amazonaws.com', { provider: 'cognito-identity.amazonaws.com' }, true],
  ])('%s', (_name, principal, source, expected) => {
    expect(principalMatchesSource(principal, source)).toBe(expected);
  });
});

describe('analyseTrust on any parsed document', () => {
  const key = fc.constantFrom(
    'aws:PrincipalOrgID',
    'aws:PrincipalArn',
    'aws:SourceArn',
    'aws:SourceIp',
    'aws:userid',
    'sts:ExternalId',
    'token.actions.githubusercontent.com:sub',
    `${EKS_ISSUER}:aud`,
    'cognito-identity.amazonaws.com:amr',
    'SAML:aud',
    'x',
    ':',
    'a.b:',
  );
  const operator = fc.constantFrom(
    'StringEquals',
    'StringLike',
    'ArnLike',
    'ForAllValues:StringLike',
    'ForAnyValue:StringEquals',
    'StringNotLikeIfExists',
    'IpAddress',
    'Null',
    'Bogus',
  );
  const text = fc.oneof(
    fc.string(),
    fc.constantFrom('*', '?', '', ':', 'arn:', 'arn:aws:iam::*:root', `arn:aws:iam::${KNOWN}:role/x`, 'repo:a/b:*', '0.0.0.0/0'),
  );
  const principalValue = fc.oneof(
    fc.string(),
    fc.constantFrom('*', KNOWN, GITHUB, EKS, 'arn:aws:iam::1:saml-provider/x', 'arn:aws:iam::1:oidc-provider/', 'AROA1', 'arn:'),
  );
  const principal = fc.oneof(
    fc.constant('*'),
    fc.dictionary(
      fc.constantFrom('AWS', 'Service', 'Federated', 'CanonicalUser'),
      fc.oneof(principalValue, fc.array(principalValue)),
    ),
  );
  const statement = fc.record(
    {
      Effect: fc.constantFrom('Allow', 'Deny'),
      Action: fc.oneof(fc.constantFrom('sts:AssumeRole', 'sts:*', '*', 'sts:TagSession'), fc.array(fc.string())),
      Principal: principal,
      NotPrincipal: principal,
      Condition: fc.dictionary(operator, fc.dictionary(key, fc.oneof(text, fc.array(text)))),
    },
    { requiredKeys: ['Effect', 'Action'] },
  );

  it('never throws for structured trust policies', () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 4 }), (statements) => {
        const parsed = parsePolicy({ Version: '2012-10-17', Statement: statements });
        if (parsed.ok) {
          const result = analyseTrust(parsed.document, ctx);
          expect([...result.principals].sort()).toEqual(result.principals);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parsePolicy(value);
        if (parsed.ok) analyseTrust(parsed.document, ctx);
      }),
    );
  });
});
