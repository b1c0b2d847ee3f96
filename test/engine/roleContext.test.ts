import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, createMemoryContext } from '../../shared/context';
import type { Engine } from '../../shared/engine/engine';
import type { Finding } from '../../shared/findings/finding';
import { StaticIamReader } from '../../shared/iam/reader';
import { RULE_IDS } from '../../shared/rules/index';
import type { TrailRecord } from '../../shared/syntheticTrail/records';
import { useLocalDynamo } from '../support/dynamo';
import { ACCOUNT, attachRolePolicy, events, iamRecord } from '../support/trail';

const dynamo = useLocalDynamo();

const MEMBER = '111122223333';
const OTHER_MEMBER = '444455556666';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const INSTANCE = 'arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6';
const SET_ARN = `arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-6f3bf23f2ad65690`;
const RESERVED_ROLE = 'AWSReservedSSO_Admins_0123456789abcdef';
const PERSON = `arn:aws:iam::${ACCOUNT}:user/`;
const ROOT = 'r-ab12';
const OU = 'ou-ab12-11111111';

/** A call of another service made by the test's admin user in the management account. */
function call(source: string, eventName: string, request: Record<string, unknown>, response: unknown, at: string): TrailRecord {
  return iamRecord(eventName, request, {
    eventSource: source,
    eventTime: at,
    awsRegion: 'us-east-1',
    responseElements: response,
  });
}

/** What Identity Center's service role does in a member account when it provisions a permission set. */
function echo(record: TrailRecord): TrailRecord {
  return {
    ...record,
    recipientAccountId: MEMBER,
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEEXAMPLE000:AWS-SSO',
      arn: `arn:aws:sts::${MEMBER}:assumed-role/AWSServiceRoleForSSO/AWS-SSO`,
      accountId: MEMBER,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEEXAMPLE000',
          arn: `arn:aws:iam::${MEMBER}:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO`,
          accountId: MEMBER,
          userName: 'AWSServiceRoleForSSO',
        },
        attributes: { creationDate: '2026-05-04T09:06:00Z', mfaAuthenticated: 'false' },
      },
      invokedBy: 'sso.amazonaws.com',
    },
  };
}

const permissionSetChanges = (): TrailRecord[] => [
  call(
    'sso.amazonaws.com',
    'CreatePermissionSet',
    { instanceArn: INSTANCE, name: 'Admins' },
    { permissionSet: { name: 'Admins', permissionSetArn: SET_ARN } },
    '2026-05-04T09:00:00Z',
  ),
  call(
    'sso.amazonaws.com',
    'AttachManagedPolicyToPermissionSet',
    { instanceArn: INSTANCE, permissionSetArn: SET_ARN, managedPolicyArn: ADMIN },
    null,
    '2026-05-04T09:05:00Z',
  ),
];

const guardrailRecords = (): TrailRecord[] => {
  const policy = (id: string, name: string, type: string) =>
    call(
      'organizations.amazonaws.com',
      'CreatePolicy',
      { name, type, content: '{"Version":"2012-10-17","Statement":[]}' },
      { policy: { policySummary: { id, name, type }, content: '{}' } },
      '2026-05-04T08:00:00Z',
    );
  const attach = (policyId: string, targetId: string) =>
    call('organizations.amazonaws.com', 'AttachPolicy', { policyId, targetId }, null, '2026-05-04T08:10:00Z');
  return [
    policy('p-rootdeny1', 'deny-leave-org', 'SERVICE_CONTROL_POLICY'),
    policy('p-oudeny001', 'protect-roles', 'SERVICE_CONTROL_POLICY'),
    policy('p-rcp00001', 'data-perimeter', 'RESOURCE_CONTROL_POLICY'),
    policy('p-tags00001', 'tagging', 'TAG_POLICY'),
    attach('p-rootdeny1', ROOT),
    attach('p-FullAWSAccess', ROOT),
    attach('p-tags00001', ROOT),
    attach('p-oudeny001', OU),
    attach('p-rcp00001', MEMBER),
    attach('p-unseen001', MEMBER),
    attach('p-rcp00001', OTHER_MEMBER),
  ];
};

const moveAccount = (): TrailRecord =>
  call(
    'organizations.amazonaws.com',
    'MoveAccount',
    { accountId: MEMBER, sourceParentId: ROOT, destinationParentId: OU },
    null,
    '2026-05-04T08:20:00Z',
  );

async function adminFinding(engine: Engine, records: TrailRecord[]): Promise<Finding> {
  let found: Finding | undefined;
  for (const event of events(...records)) {
    const result = await engine.process(event);
    found = result.findings.find((f) => f.finding.ruleId === 'admin-policy-attached')?.finding ?? found;
  }
  if (!found) throw new Error('no admin-policy-attached finding');
  return found;
}

const config = () => validateConfig({}, RULE_IDS);
const engines: [string, () => Promise<Engine>][] = [
  ['in memory', async () => createMemoryContext({ config: config() }).engine],
  [
    'on DynamoDB Local',
    async () => createDynamoEngine({ stores: await dynamo.newStores(), config: config(), iam: new StaticIamReader() }),
  ],
];

describe.each(engines)('findings about a role say how it was really changed and what bounds it (%s)', (_name, newEngine) => {
  it('names the person whose permission-set change Identity Center echoed into the member account', async () => {
    const reserved = echo(attachRolePolicy(RESERVED_ROLE, ADMIN, { eventTime: '2026-05-04T09:06:10Z' }));
    const finding = await adminFinding(await newEngine(), [...permissionSetChanges(), reserved]);
    expect(finding.account).toBe(MEMBER);
    expect(finding.evidence?.changedThrough).toEqual({
      permissionSet: 'Admins',
      permissionSetArn: SET_ARN,
      author: expect.stringContaining(PERSON),
      eventName: 'AttachManagedPolicyToPermissionSet',
      eventTime: '2026-05-04T09:05:00Z',
    });
  }, 60_000);

  it('says Identity Center made an echo on behalf of the permission set when no permission-set change was recorded', async () => {
    const reserved = echo(attachRolePolicy(RESERVED_ROLE, ADMIN, { eventTime: '2026-05-04T09:06:10Z' }));
    const finding = await adminFinding(await newEngine(), [reserved]);
    expect(finding.evidence?.changedThrough).toEqual({
      permissionSet: 'Admins',
      author: expect.stringMatching(/Identity Center's service role on behalf of permission set Admins/),
    });
  }, 60_000);

  it('adds nothing when a person changes a role directly, or the reserved role itself', async () => {
    const direct = { ...attachRolePolicy(RESERVED_ROLE, ADMIN), recipientAccountId: ACCOUNT };
    const finding = await adminFinding(await newEngine(), [...permissionSetChanges(), direct]);
    expect(finding.evidence?.changedThrough).toBeUndefined();
    expect(finding.evidence?.guardrails).toBeUndefined();
  }, 60_000);

  it('lists the SCPs and RCPs recorded on the account, its last known OU and the root, and only those', async () => {
    const attach = echo(attachRolePolicy(RESERVED_ROLE, ADMIN, { eventTime: '2026-05-04T09:06:10Z' }));
    const finding = await adminFinding(await newEngine(), [...guardrailRecords(), moveAccount(), attach]);
    const guardrails = (finding.evidence?.guardrails ?? []) as { policyId: string }[];
    expect([...guardrails].sort((a, b) => a.policyId.localeCompare(b.policyId))).toEqual([
      { policyId: 'p-oudeny001', name: 'protect-roles', type: 'SERVICE_CONTROL_POLICY', target: OU },
      { policyId: 'p-rcp00001', name: 'data-perimeter', type: 'RESOURCE_CONTROL_POLICY', target: MEMBER },
      { policyId: 'p-rootdeny1', name: 'deny-leave-org', type: 'SERVICE_CONTROL_POLICY', target: ROOT },
      { policyId: 'p-unseen001', type: 'unknown', target: MEMBER },
    ]);
  }, 60_000);

  it('knows an OU applies only once the account was seen moved into it, and forgets a detached guardrail', async () => {
    const detach = call(
      'organizations.amazonaws.com',
      'DetachPolicy',
      { policyId: 'p-unseen001', targetId: MEMBER },
      null,
      '2026-05-04T08:30:00Z',
    );
    const attach = echo(attachRolePolicy(RESERVED_ROLE, ADMIN, { eventTime: '2026-05-04T09:06:10Z' }));
    const finding = await adminFinding(await newEngine(), [...guardrailRecords(), detach, attach]);
    const ids = ((finding.evidence?.guardrails ?? []) as { policyId: string }[]).map((g) => g.policyId).sort();
    expect(ids).toEqual(['p-rcp00001', 'p-rootdeny1']);
  }, 60_000);
});
