/**
 * Fuzzing (fast-check) of everything that reads untrusted input: the CloudTrail parser, the policy model
 * (parse, permission and trust analysis, diff) and the engine on sequences of CloudTrail-shaped records with
 * odd parameters, odd policy documents (invalid, huge, unicode, URL-encoded), odd times and duplicates.
 * Any input gives a result or a typed error, never an unhandled exception; no rule throws.
 *
 * `npm test` runs FUZZ_RUNS cases in all (default 10,000); `npm run fuzz` runs 200,000 (FUZZ_RUNS overrides
 * it). `npm test` draws from a fixed seed and `npm run fuzz` from a random one (test/setup.ts); FUZZ_SEED
 * replays a failure fast-check reported.
 */
import fc from 'fast-check';
import { analysePermissions, escalationMethods } from '../../shared/analysis/permissions';
import { analyseTrust } from '../../shared/analysis/trust';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import { InvalidEventError } from '../../shared/errors';
import { StaticIamReader } from '../../shared/iam/reader';
import { diffPolicies, formatDiff, trustedPrincipals } from '../../shared/policy/diff';
import { MAX_POLICY_CHARS, parsePolicy } from '../../shared/policy/parse';
import { STATE_EVENT_NAMES } from '../../shared/roles/roleEvents';
import { RULES } from '../../shared/rules/index';

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
if (!Number.isInteger(TOTAL_RUNS) || TOTAL_RUNS < 3)
  throw new Error(`FUZZ_RUNS must be an integer ≥ 3, got ${process.env.FUZZ_RUNS}`);
/** Shares of the runs: the engine property costs the most per case and finds the most. */
const RUNS = {
  parser: Math.round(TOTAL_RUNS * 0.3),
  policy: Math.round(TOTAL_RUNS * 0.3),
  engine: TOTAL_RUNS - 2 * Math.round(TOTAL_RUNS * 0.3),
};
/** Generous: about 1 ms a case here; the timeout only stops a run that hangs. */
const timeoutFor = (runs: number) => Math.max(60_000, runs * 25);

const ACCOUNT = '123456789012';
const FOREIGN = '444455556666';
const KNOWN = '111122223333';

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const oddText = fc.oneof(
  fc.constantFrom('', ' ', '*', '?', 'null', '\u0000', '\ud800', 'é\u0301', '🚀', 'שלום', '%', '%zz', '%7B', 'a'.repeat(300)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A value one time in six, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
/** Mostly well-formed values from `usual`, sometimes odd text, sometimes any JSON at all. */
/** Any generated value as an object key; `String` throws on a null-prototype object inside an array. */
const asKey = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const mostly = <T>(usual: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 8, arbitrary: usual as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: oddText },
    { weight: 1, arbitrary: anyJson },
  );

const ACTIONS = [
  '*',
  '*:*',
  'iam:*',
  'iam:PassRole',
  'iam:CreatePolicyVersion',
  'iam:AttachRolePolicy',
  'iam:Put*',
  'sts:AssumeRole',
  'sts:AssumeRoleWithWebIdentity',
  's3:GetObject',
  's3:*',
  'ec2:RunInstances',
  'lambda:CreateFunction',
  'lambda:InvokeFunction',
  'secretsmanager:GetSecretValue',
  'ssm:GetParameter*',
  'kms:Decrypt',
  'iam:get*',
  'IAM:PASSROLE',
  'iam:',
  ':',
  'notaservice:Action',
];
const RESOURCES = [
  '*',
  'arn:aws:iam::*:role/*',
  `arn:aws:iam::${ACCOUNT}:role/app`,
  'arn:aws:s3:::bucket/*',
  'arn:*:*:*:*:*',
  'arn:aws:iam::123456789012:role/*admin*',
];
const PRINCIPALS = [
  '*',
  `arn:aws:iam::${ACCOUNT}:root`,
  `arn:aws:iam::${FOREIGN}:root`,
  `arn:aws:iam::${KNOWN}:role/ops`,
  FOREIGN,
  `arn:aws:iam::${FOREIGN}:user/mallory`,
  'arn:aws:sts::444455556666:assumed-role/x/y',
];
const CONDITION_KEYS = [
  'aws:PrincipalOrgID',
  'aws:SourceAccount',
  'aws:SourceArn',
  'sts:ExternalId',
  'token.actions.githubusercontent.com:sub',
  'token.actions.githubusercontent.com:aud',
  'oidc.eks.us-east-1.amazonaws.com/id/ABC:sub',
  'accounts.google.com:aud',
  'aws:PrincipalAccount',
  'SAML:aud',
];
const OPERATORS = [
  'StringEquals',
  'StringLike',
  'StringNotEquals',
  'ForAllValues:StringLike',
  'ForAnyValue:StringEquals',
  'StringEqualsIfExists',
  'ArnLike',
  'Null',
  'Bool',
  'NumericLessThan',
  'UnknownOperator',
];

const oneOrMany = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { maxLength: 4 }));
const principal = fc.oneof(
  fc.constant('*'),
  fc.record(
    {
      AWS: oneOrMany(mostly(fc.constantFrom(...PRINCIPALS))),
      Service: oneOrMany(mostly(fc.constantFrom('lambda.amazonaws.com', 's3.amazonaws.com', 'sns.amazonaws.com', '*'))),
      Federated: oneOrMany(
        mostly(
          fc.constantFrom(
            `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
            `arn:aws:iam::${ACCOUNT}:saml-provider/okta`,
            'cognito-identity.amazonaws.com',
            'accounts.google.com',
          ),
        ),
      ),
      CanonicalUser: mostly(fc.constant('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be')),
    },
    { requiredKeys: [] },
  ),
  anyJson,
);
const condition = fc.dictionary(
  mostly(fc.constantFrom(...OPERATORS)).map(asKey),
  fc.oneof(
    fc.dictionary(
      mostly(fc.constantFrom(...CONDITION_KEYS)).map(asKey),
      oneOrMany(mostly(fc.constantFrom('o-abc123', ACCOUNT, 'repo:acme/*', 'repo:acme/app:ref:refs/heads/main', '*', 'true'))),
      { maxKeys: 3 },
    ),
    anyJson,
  ),
  { maxKeys: 3 },
);
const statement = fc.record(
  {
    Sid: mostly(fc.string({ maxLength: 10 })),
    Effect: mostly(fc.constantFrom('Allow', 'Deny', 'allow')),
    Action: oneOrMany(mostly(fc.constantFrom(...ACTIONS))),
    NotAction: oneOrMany(mostly(fc.constantFrom(...ACTIONS))),
    Resource: oneOrMany(mostly(fc.constantFrom(...RESOURCES))),
    NotResource: oneOrMany(mostly(fc.constantFrom(...RESOURCES))),
    Principal: principal,
    NotPrincipal: principal,
    Condition: fc.oneof(condition, anyJson),
  },
  { requiredKeys: [] },
);
/** Policy documents as objects: mostly policy-shaped, every element possibly of the wrong type. */
const policyObject = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ Version: mostly(fc.constantFrom('2012-10-17', '2008-10-17')), Statement: oneOrMany(statement) }),
  },
  { weight: 1, arbitrary: fc.record({ Statement: oneOrMany(statement), Id: oddText, statement: anyJson }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyJson },
);

/** Trust policies: Allow statements granting an assume action to principals, with or without conditions. */
const trustObject = fc.record({
  Version: fc.constant('2012-10-17'),
  Statement: fc.array(
    fc.record(
      {
        Effect: mostly(fc.constant('Allow')),
        Action: oneOrMany(
          mostly(
            fc.constantFrom(
              'sts:AssumeRole',
              'sts:AssumeRoleWithWebIdentity',
              'sts:AssumeRoleWithSAML',
              'sts:TagSession',
              'sts:*',
            ),
          ),
        ),
        Principal: principal,
        Condition: fc.oneof(fc.constant(undefined), condition),
      },
      { requiredKeys: ['Effect', 'Action', 'Principal'] },
    ),
    { minLength: 1, maxLength: 3 },
  ),
});

/** A valid policy of ~100 KB and a document over the size limit: built once, picked often. */
const BIG_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: Array.from({ length: 700 }, (_, i) => ({
    Sid: `S${i}`,
    Effect: 'Allow',
    Action: ['s3:GetObject', 'iam:PassRole'],
    Resource: `arn:aws:s3:::bucket-${i}/*`,
  })),
});
const HUGE_POLICY = `{"Version":"2012-10-17","Statement":[${'{"Effect":"Allow","Action":"*","Resource":"*"},'.repeat(MAX_POLICY_CHARS / 40)}{}]}`;

/** Policy documents as CloudTrail and IAM carry them: text, plain or URL-encoded, valid or not. */
const asText = (documents: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: documents.map((doc) => JSON.stringify(doc) ?? '') },
    { weight: 1, arbitrary: documents.map((doc) => JSON.stringify(doc, null, 2) ?? '') },
    { weight: 2, arbitrary: documents.map((doc) => encodeURIComponent(JSON.stringify(doc) ?? '')) },
    {
      weight: 1,
      arbitrary: fc.tuple(documents, fc.nat()).map(([doc, cut]) => (JSON.stringify(doc) ?? '').slice(0, cut % 200)),
    },
    { weight: 1, arbitrary: oddText },
    { weight: 1, arbitrary: fc.constantFrom(BIG_POLICY, HUGE_POLICY, encodeURIComponent(BIG_POLICY), `\uFEFF${BIG_POLICY}`) },
  );
const policyText = asText(policyObject);
const trustText = asText(fc.oneof({ weight: 3, arbitrary: trustObject }, { weight: 1, arbitrary: policyObject }));

const WATCHED = [...new Set([...RULES.flatMap((rule) => rule.events), ...STATE_EVENT_NAMES])].sort();
/** Where CloudTrail says each watched call comes from. */
function sourceOf(eventName: string): string {
  if (eventName.startsWith('AssumeRole')) return 'sts.amazonaws.com';
  if (['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'].includes(eventName)) return 'cloudtrail.amazonaws.com';
  if (['DisableRule', 'DeleteRule', 'RemoveTargets', 'PutRule'].includes(eventName)) return 'events.amazonaws.com';
  if (['DeleteAnalyzer', 'CreateArchiveRule'].includes(eventName)) return 'access-analyzer.amazonaws.com';
  return 'iam.amazonaws.com';
}

const ROLE_NAMES = ['app', 'app', 'BreakGlass-admin'];
const roleName = mostly(fc.constantFrom(...ROLE_NAMES));
const CUSTOMER_POLICY = `arn:aws:iam::${ACCOUNT}:policy/known`;
const policyArn = mostly(
  fc.constantFrom(
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:aws:iam::aws:policy/ReadOnlyAccess',
    'arn:aws:iam::aws:policy/IAMFullAccess',
    'arn:aws:iam::aws:policy/NoSuchManagedPolicy',
    CUSTOMER_POLICY,
    `arn:aws:iam::${ACCOUNT}:policy/path/unknown`,
    `arn:aws:iam::${FOREIGN}:policy/theirs`,
  ),
);
const roleArn = mostly(
  fc
    .tuple(fc.constantFrom(ACCOUNT, FOREIGN, KNOWN, '', '*'), fc.constantFrom(...ROLE_NAMES, 'path/to/app', ''))
    .map(([account, name]) => `arn:aws:iam::${account}:role/${name}`),
);
const requestParameters = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record(
      {
        roleName,
        policyArn,
        policyName: mostly(fc.constantFrom('inline', 'other')),
        // PutRolePolicy and CreatePolicyVersion carry a permission policy here, UpdateAssumeRolePolicy a trust policy.
        policyDocument: mostly(fc.oneof(policyText, trustText)),
        assumeRolePolicyDocument: mostly(trustText),
        permissionsBoundary: policyArn,
        versionId: mostly(fc.constantFrom('v1', 'v2', 'v3')),
        setAsDefault: mostly(fc.boolean()),
        roleArn,
        roleSessionName: mostly(fc.constantFrom('session', 'i-0abc')),
        principalArn: mostly(fc.constantFrom(`arn:aws:iam::${ACCOUNT}:saml-provider/okta`)),
        name: mostly(fc.constantFrom(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management`, 'rolewatch-iam-changes')),
        ruleName: mostly(fc.constantFrom('rolewatch-iam-changes', 'other')),
        eventBusName: mostly(fc.constantFrom('default', 'custom')),
        url: mostly(fc.constantFrom('https://token.actions.githubusercontent.com')),
        clientIDList: oneOrMany(mostly(fc.constantFrom('sts.amazonaws.com'))),
        analyzerName: mostly(fc.constantFrom('account')),
      },
      {
        requiredKeys: [
          'roleName',
          'policyArn',
          'policyName',
          'policyDocument',
          'assumeRolePolicyDocument',
          'roleArn',
          'versionId',
        ],
      },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
const userIdentity = fc.oneof(
  fc.constantFrom(
    {
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accountId: ACCOUNT,
      userName: 'alice',
      accessKeyId: 'AKIAEXAMPLE',
    },
    { type: 'IAMUser', arn: `arn:aws:iam::${FOREIGN}:user/mallory`, accountId: FOREIGN, userName: 'mallory' },
    {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/cdk-cfn-exec/AWSCloudFormation`,
      accountId: ACCOUNT,
      invokedBy: 'cloudformation.amazonaws.com',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${ACCOUNT}:role/cdk-cfn-exec`,
          accountId: ACCOUNT,
          userName: 'cdk-cfn-exec',
        },
      },
    },
    { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
    {
      type: 'WebIdentityUser',
      principalId: 'token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main',
      userName: 'repo:acme/app:ref:refs/heads/main',
      identityProvider: 'token.actions.githubusercontent.com',
    },
    { type: 'AWSAccount', accountId: FOREIGN, principalId: 'AROAEXAMPLE:session' },
    { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
  ),
  anyJson,
);
const eventTime = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .integer({ min: Date.parse('2026-11-02T00:00:00Z'), max: Date.parse('2026-11-03T00:00:00Z') })
      .map((ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')),
  },
  {
    weight: 1,
    arbitrary: fc
      .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  { weight: 1, arbitrary: mostly(fc.constantFrom('', 'yesterday', '2026-13-01T00:00:00Z', '2026-11-02 09:00:00')) },
);
/** The calls that change roles and policies or assume roles: half the records, so that sequences build state. */
const CORE = [
  'CreateRole',
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'DeleteRole',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'AssumeRole',
  'AssumeRoleWithWebIdentity',
];
const watchedName = fc.oneof(fc.constantFrom(...CORE), fc.constantFrom(...WATCHED));
const trailRecord = fc
  .record({
    eventName: mostly(watchedName),
    eventID: mostly(fc.oneof(fc.uuid(), fc.constantFrom('same-id-1', 'same-id-2'))),
    eventTime,
    awsRegion: mostly(fc.constantFrom('us-east-1', 'eu-west-1')),
    recipientAccountId: mostly(fc.constantFrom(ACCOUNT, FOREIGN)),
    userIdentity,
    sourceIPAddress: mostly(fc.constantFrom('198.51.100.7', 'cloudformation.amazonaws.com')),
    userAgent: mostly(fc.constantFrom('aws-cli/2.15.30')),
    requestParameters,
    responseElements: fc.oneof(
      fc.constant(null),
      roleArn.map((arn) => ({ role: { arn, roleName: 'app' } })),
      fc.record({ subjectFromWebIdentityToken: oddText, provider: oddText }, { requiredKeys: [] }),
      anyJson,
    ),
    readOnly: fc.oneof(fc.boolean(), anyJson),
    // Most calls succeed and come from their own service.
    errorCode: sometimes(mostly(fc.constantFrom('AccessDenied', 'MalformedPolicyDocumentException', 'NoSuchEntity'))),
    sourceOverride: sometimes(mostly(fc.constantFrom('iam.amazonaws.com', 'sts.amazonaws.com', 'ec2.amazonaws.com'))),
    envelope: fc.boolean(),
  })
  .map(({ sourceOverride, envelope, errorCode, ...record }) => {
    const detail = {
      eventVersion: '1.08',
      ...record,
      eventSource: sourceOverride ?? (typeof record.eventName === 'string' ? sourceOf(record.eventName) : 'iam.amazonaws.com'),
      ...(errorCode === undefined ? {} : { errorCode, errorMessage: 'failed' }),
    };
    return envelope ? { version: '0', id: 'envelope', 'detail-type': 'AWS API Call via CloudTrail', detail } : detail;
  });
/** A few records, some of them delivered again later (CloudTrail delivers at least once). */
const trailSequence = fc
  .tuple(fc.array(trailRecord, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([records, repeats]) => [...records, ...repeats.map((i) => records[i % records.length])]);

// ---------------------------------------------------------------------------------------------------------
// Properties

function parsedOrRejected(raw: unknown): TrailEvent | InvalidEventError {
  try {
    return parseTrailRecord(raw);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
}

describe('fuzzing', () => {
  it(
    `parseTrailRecord: a TrailEvent or an InvalidEventError for CloudTrail-shaped records (${RUNS.parser} cases)`,
    () => {
      fc.assert(
        fc.property(trailRecord, (raw) => {
          const result = parsedOrRejected(raw);
          if (result instanceof InvalidEventError) return;
          expect(typeof result.eventId).toBe('string');
          expect(Number.isFinite(result.time)).toBe(true);
          expect(result.request !== null && typeof result.request === 'object').toBe(true);
        }),
        { numRuns: RUNS.parser },
      );
    },
    timeoutFor(RUNS.parser),
  );

  it(
    `policy model: parsing, permission and trust analysis and diff never throw (${RUNS.policy} cases)`,
    () => {
      const trustContext = {
        account: ACCOUNT,
        knownAccounts: [KNOWN],
        thirdParties: [{ account: FOREIGN, name: 'v', requireExternalId: true }],
      };
      fc.assert(
        fc.property(fc.oneof(policyText, policyObject), policyText, (first, second) => {
          const a = parsePolicy(first);
          const b = parsePolicy(second);
          if (!a.ok) expect(typeof a.error).toBe('string');
          if (!a.ok || !b.ok) return;
          analysePermissions(a.document);
          escalationMethods([a.document, b.document]);
          analyseTrust(a.document, trustContext);
          trustedPrincipals(a.document);
          formatDiff(diffPolicies(a.document, b.document));
          formatDiff(diffPolicies(undefined, a.document));
          const same = diffPolicies(a.document, a.document);
          expect(same.isEmpty).toBe(true);
          expect(same.narrowsOnly).toBe(true);
        }),
        { numRuns: RUNS.policy },
      );
    },
    timeoutFor(RUNS.policy),
  );

  it(
    `engine: any CloudTrail-shaped sequence is processed without an exception, no rule throws, a redelivery is a no-op (${RUNS.engine} cases)`,
    async () => {
      const config = validateConfig({
        knownAccounts: [KNOWN],
        trustedThirdParties: [{ account: FOREIGN, name: 'vendor', requireExternalId: true }],
        protectedRoles: ['BreakGlass*'],
        iacPrincipals: ['cloudformation.amazonaws.com'],
        monitorRuleNames: ['rolewatch-*'],
      });
      const iam = new StaticIamReader({
        [CUSTOMER_POLICY]: {
          defaultVersionId: 'v1',
          versions: {
            v1: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }] },
            v2: '{"not json',
          },
        },
      });
      await fc.assert(
        fc.asyncProperty(trailSequence, async (raws) => {
          const ruleFailures: unknown[] = [];
          const { engine } = createMemoryContext({
            config,
            iam,
            logger: {
              warn: (message, data) => {
                if (message.startsWith('rule failed')) ruleFailures.push(data);
              },
            },
          });
          const events = raws.map(parsedOrRejected).filter((e): e is TrailEvent => !(e instanceof InvalidEventError));
          for (const event of events) {
            const result = await engine.process(event);
            expect(['processed', 'duplicate', 'ignored']).toContain(result.status);
            for (const { finding } of result.findings) expect(finding.id).toMatch(/\S/);
          }
          for (const event of events) {
            const again = await engine.process(event);
            expect(['duplicate', 'ignored']).toContain(again.status);
            expect(again.findings).toEqual([]);
          }
          expect(ruleFailures).toEqual([]);
        }),
        { numRuns: RUNS.engine },
      );
    },
    timeoutFor(RUNS.engine),
  );
});
