import {
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand, type ListAccountsCommandOutput, OrganizationsClient } from '@aws-sdk/client-organizations';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as onIamChange } from '../../functions/on-iam-change/handler';
import { handler as onRoleAssumed } from '../../functions/on-role-assumed/handler';
import { createDynamoStores } from '../../shared/context';
import { roleExists } from '../../shared/roles/roleRecord';
import { DynamoOrganizationStore } from '../../shared/store/dynamo/DynamoOrganizationStore';
import { awsTrustPolicy, type Caller, TrailRecordBuilder } from '../../shared/syntheticTrail/records';
import { useLocalDynamo } from '../support/dynamo';
import { captureLogs, eventBridge, sqsBatch, useLambdaEnvironment } from '../support/lambda';
import { runReconcileMachine } from '../support/stepFunctions';

// The security account RoleWatch runs in, two member accounts, a suspended one, and one outside the organization.
const SECURITY = '123456789012';
const MEMBER = '210987654321';
const SIBLING = '345678901234';
const SUSPENDED = '456789012345';
const NEWCOMER = '567890123456';
const FOREIGN = '444455556666';
const ORGANIZATION_ID = 'o-a1b2c3d4e5';
const EXTERNAL_ID = 'rolewatch-test-external-id';
const READ_ROLE = (account: string) => `arn:aws:iam::${account}:role/RoleWatchReader`;
const SESSION_KEY: Record<string, string> = { [MEMBER]: 'ASIAMEMBERSESSION001', [SIBLING]: 'ASIASIBLINGSESSION01' };

// Handlers cold-start and write to DynamoDB Local: on a loaded machine a test can pass 5 s, and its late calls
// would then land in the next test's mocks.
jest.setTimeout(60_000);
const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo, {
  alerts: { minSeverity: 'high' },
  organization: { id: ORGANIZATION_ID, externalId: EXTERNAL_ID },
});
captureLogs();
beforeAll(() => {
  process.env.ACCOUNT_ID = SECURITY;
});
const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const organizations = mockClient(OrganizationsClient);
const stores = () => createDynamoStores({ client: dynamo.local.client, tableName });
const reconcile = () => runReconcileMachine({ dynamo: dynamo.local.client, tableName });

let clock = Date.parse('2026-11-02T09:00:00Z');
const member = new TrailRecordBuilder({ seed: 'organization-tests', account: MEMBER });
const admin = member.iamUser(MEMBER, 'alice', 'AKIAIOSFODNN7EXAMPLE');
function call(): Caller {
  clock += 5 * 60_000;
  return { at: clock, identity: admin, sourceIp: '198.51.100.23', userAgent: 'aws-cli/2.15.30' };
}
const trust = (...principals: string[]) => JSON.stringify(awsTrustPolicy(principals));
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));
const iamStar = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] };

/** An AssumeRole response as STS returns it (the SDK turns Expiration into a Date). */
function assumeRoleResponse(account: string, sessionName: string): AssumeRoleCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: 'c6104cbe-af31-11e0-8154-cbc7ccf896c7', attempts: 1 },
    Credentials: {
      AccessKeyId: SESSION_KEY[account] ?? 'ASIAUNEXPECTED000001',
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
      SessionToken: 'IQoJb3JpZ2luX2VjEOz//////////wEaCXVzLWVhc3QtMSJHMEUCIDEXAMPLESESSIONTOKEN',
      // Real sessions last an hour; far in the future here so the test clock never expires them.
      Expiration: new Date('2099-01-01T00:00:00Z'),
    },
    AssumedRoleUser: {
      AssumedRoleId: `AROA3XFRBF535PLBIFPI4:${sessionName}`,
      Arn: `arn:aws:sts::${account}:assumed-role/RoleWatchReader/${sessionName}`,
    },
  };
}

/** The access key the client that made an AWS call signed with (in tests, the function's own role has DynamoDB Local's). */
async function keyOf(client: { config: { credentials: () => Promise<{ accessKeyId: string }> } }): Promise<string> {
  return (await client.config.credentials()).accessKeyId;
}

beforeEach(() => {
  sts.reset();
  iam.reset();
  sns.reset();
  organizations.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-id' });
  for (const account of [MEMBER, SIBLING])
    sts
      .on(AssumeRoleCommand, { RoleArn: READ_ROLE(account) })
      .callsFake((input: { RoleSessionName: string }) => assumeRoleResponse(account, input.RoleSessionName));
});

describe('organization mode: on-iam-change', () => {
  beforeAll(() => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'rolewatch-test-on-iam-change';
  });

  it("reads a member account's customer-managed policy through its read role and records the finding under that account", async () => {
    const policyArn = `arn:aws:iam::${MEMBER}:policy/ci-deploy`;
    iam.on(GetPolicyCommand, { PolicyArn: policyArn }).resolves({ Policy: { Arn: policyArn, DefaultVersionId: 'v4' } });
    iam.on(GetPolicyVersionCommand, { PolicyArn: policyArn, VersionId: 'v4' }).resolves({
      PolicyVersion: { VersionId: 'v4', IsDefaultVersion: true, Document: encoded(iamStar) },
    });

    await onIamChange(eventBridge(member.createRole(call(), { roleName: 'ci', trust: trust(`arn:aws:iam::${MEMBER}:root`) })));
    await onIamChange(eventBridge(member.attachRolePolicy(call(), 'ci', policyArn)));

    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: READ_ROLE(MEMBER),
        RoleSessionName: 'rolewatch-test-on-iam-change',
        DurationSeconds: 3600,
        ExternalId: EXTERNAL_ID,
      },
    ]);
    const reads = [...iam.commandCalls(GetPolicyCommand), ...iam.commandCalls(GetPolicyVersionCommand)];
    expect(reads).toHaveLength(2);
    for (const read of reads) expect(await keyOf(read.thisValue as IAMClient)).toBe(SESSION_KEY[MEMBER]);

    const roleArn = `arn:aws:iam::${MEMBER}:role/ci`;
    const { findings, state } = stores();
    const recorded = await findings.forResource(MEMBER, roleArn);
    expect(recorded.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['iam-wildcard-permissions', 'privilege-escalation-path']),
    );
    for (const finding of recorded) {
      expect(finding.account).toBe(MEMBER);
      expect(finding.id.startsWith(MEMBER)).toBe(true);
    }
    expect(roleExists((await state.getRole(MEMBER, 'ci')) ?? fail('role missing'))).toBe(true);
    expect((await state.getPolicy(MEMBER, policyArn))?.defaultVersion?.versionId).toBe('v4');
    expect(await findings.forResource(SECURITY, roleArn)).toEqual([]);
    expect(await state.getRole(SECURITY, 'ci')).toBeUndefined();
    const accounts = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.account?.StringValue);
    expect(accounts.length).toBeGreaterThan(0);
    expect(new Set(accounts)).toEqual(new Set([MEMBER]));
  });

  it("reads the own account's policies with the function's role, assuming nothing", async () => {
    const own = new TrailRecordBuilder({ seed: 'organization-own', account: SECURITY });
    const ownCall = { ...call(), identity: own.iamUser(SECURITY, 'bob') };
    const policyArn = `arn:aws:iam::${SECURITY}:policy/audit`;
    iam.on(GetPolicyCommand).resolves({ Policy: { Arn: policyArn, DefaultVersionId: 'v1' } });
    iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { VersionId: 'v1', Document: encoded(iamStar) } });
    await onIamChange(eventBridge(own.createRole(ownCall, { roleName: 'audit', trust: trust(`arn:aws:iam::${SECURITY}:root`) })));
    await onIamChange(eventBridge(own.attachRolePolicy({ ...ownCall, at: ownCall.at + 1000 }, 'audit', policyArn)));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    const [read] = iam.commandCalls(GetPolicyVersionCommand);
    expect(await keyOf((read?.thisValue ?? fail('no read')) as IAMClient)).toBe(dynamo.local.credentials.accessKeyId);
    const recorded = await stores().findings.forResource(SECURITY, `arn:aws:iam::${SECURITY}:role/audit`);
    expect(recorded.map((f) => f.ruleId)).toContain('iam-wildcard-permissions');
  });
});

/** GetAccountAuthorizationDetails of one account, shaped like IAM's (documents URL-encoded, dates as Date). */
function details(
  account: string,
  roles: { name: string; trusts: string; attached?: string[] }[],
): GetAccountAuthorizationDetailsCommandOutput {
  return {
    $metadata: {},
    IsTruncated: false,
    RoleDetailList: roles.map((role, i) => ({
      RoleName: role.name,
      RoleId: `AROAEXAMPLE${account.slice(0, 6)}${i}`,
      Arn: `arn:aws:iam::${account}:role/${role.name}`,
      Path: '/',
      CreateDate: new Date('2026-10-01T00:00:00Z'),
      AssumeRolePolicyDocument: encoded(awsTrustPolicy([`arn:aws:iam::${role.trusts}:root`])),
      RolePolicyList: [],
      AttachedManagedPolicies: (role.attached ?? []).map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })),
    })),
    Policies: roles
      .flatMap((role) => role.attached ?? [])
      .filter((arn) => arn.includes(`::${account}:`))
      .map((arn) => ({
        PolicyName: arn.split('/').pop(),
        Arn: arn,
        DefaultVersionId: 'v1',
        PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: encoded(iamStar) }],
      })),
  };
}

function listAccounts(...accounts: [string, 'ACTIVE' | 'SUSPENDED'][]): ListAccountsCommandOutput[] {
  const page = (items: [string, 'ACTIVE' | 'SUSPENDED'][], token?: string): ListAccountsCommandOutput => ({
    $metadata: {},
    Accounts: items.map(([id, state]) => ({
      Id: id,
      Arn: `arn:aws:organizations::${SECURITY}:account/${ORGANIZATION_ID}/${id}`,
      Email: `aws+${id}@example.com`,
      Name: `account-${id}`,
      Status: state,
      State: state,
      JoinedMethod: 'CREATED',
      JoinedTimestamp: new Date('2025-01-01T00:00:00Z'),
    })),
    ...(token ? { NextToken: token } : {}),
  });
  const half = Math.ceil(accounts.length / 2);
  return [page(accounts.slice(0, half), 'page-2'), page(accounts.slice(half))];
}

describe('organization mode: reconcile', () => {
  const memberPolicy = `arn:aws:iam::${MEMBER}:policy/ci-deploy`;
  // The security account's, read with the function's own key (DynamoDB Local's, in these tests).
  const ownAccount = details(SECURITY, [{ name: 'audit', trusts: MEMBER }]);
  // The members', by the key of the read role's session.
  const byAccount: Record<string, GetAccountAuthorizationDetailsCommandOutput> = {
    [SESSION_KEY[MEMBER] ?? '']: details(MEMBER, [
      // Trusts an account of the organization that knownAccounts does not list: known through discovery.
      { name: 'deploy', trusts: SIBLING, attached: [memberPolicy] },
      { name: 'vendor', trusts: FOREIGN },
    ]),
    [SESSION_KEY[SIBLING] ?? '']: details(SIBLING, [{ name: 'app', trusts: SIBLING }]),
  };

  beforeAll(() => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'rolewatch-test-reconcile';
  });

  beforeEach(() => {
    iam.on(GetAccountAuthorizationDetailsCommand).callsFake(async (_input, getClient) => {
      const key = await keyOf(getClient() as unknown as IAMClient);
      if (key === dynamo.local.credentials.accessKeyId) return ownAccount;
      return byAccount[key] ?? fail(`no account details for ${key}`);
    });
    const [first, second] = listAccounts([SECURITY, 'ACTIVE'], [MEMBER, 'ACTIVE'], [SUSPENDED, 'SUSPENDED'], [SIBLING, 'ACTIVE']);
    organizations.on(ListAccountsCommand, {}).resolves(first ?? fail('page'));
    organizations.on(ListAccountsCommand, { NextToken: 'page-2' }).resolves(second ?? fail('page'));
  });

  it('reads every active account of the organization, each through its read role, and writes state under each account', async () => {
    // Seen by an event earlier, gone from IAM since: reconcile deletes it in the member account.
    await onIamChange(eventBridge(member.createRole(call(), { roleName: 'stale', trust: trust(`arn:aws:iam::${MEMBER}:root`) })));

    expect(await reconcile()).toMatchObject({ status: 'SUCCEEDED', output: { accounts: 3, reconciled: 3, failed: 0 } });

    expect(organizations.commandCalls(ListAccountsCommand)).toHaveLength(2);
    // One child execution per account, several at once: the reads happen in any order.
    const assumed = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(assumed.sort((a, b) => String(a.RoleArn).localeCompare(String(b.RoleArn)))).toEqual([
      { RoleArn: READ_ROLE(MEMBER), RoleSessionName: 'rolewatch-test-reconcile', DurationSeconds: 3600, ExternalId: EXTERNAL_ID },
      {
        RoleArn: READ_ROLE(SIBLING),
        RoleSessionName: 'rolewatch-test-reconcile',
        DurationSeconds: 3600,
        ExternalId: EXTERNAL_ID,
      },
    ]);
    expect(iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(3);

    const { state, findings, table } = stores();
    expect(await new DynamoOrganizationStore(table).loadAccounts(ORGANIZATION_ID)).toMatchObject({
      accounts: [SECURITY, MEMBER, SIBLING].sort(),
    });
    expect(roleExists((await state.getRole(SECURITY, 'audit')) ?? fail('audit'))).toBe(true);
    expect(roleExists((await state.getRole(MEMBER, 'deploy')) ?? fail('deploy'))).toBe(true);
    expect(roleExists((await state.getRole(SIBLING, 'app')) ?? fail('app'))).toBe(true);
    expect(roleExists((await state.getRole(MEMBER, 'stale')) ?? fail('stale'))).toBe(false);
    expect(await state.getRole(SECURITY, 'deploy')).toBeUndefined();
    expect((await state.getPolicy(MEMBER, memberPolicy))?.defaultVersion?.versionId).toBe('v1');

    const ruleIds = async (account: string, role: string) =>
      (await findings.forResource(account, `arn:aws:iam::${account}:role/${role}`))
        .filter((f) => f.status === 'open')
        .map((f) => f.ruleId);
    // The organization's accounts are known; the one outside is not.
    expect(await ruleIds(MEMBER, 'vendor')).toContain('trust-unknown-account');
    expect(await ruleIds(MEMBER, 'deploy')).not.toContain('trust-unknown-account');
    expect(await ruleIds(MEMBER, 'deploy')).toContain('iam-wildcard-permissions');
    expect(await ruleIds(SECURITY, 'audit')).not.toContain('trust-unknown-account');
    const vendor = await findings.forResource(MEMBER, `arn:aws:iam::${MEMBER}:role/vendor`);
    expect(vendor.every((f) => f.account === MEMBER)).toBe(true);
  }, 60_000);

  it('uses the stored account list when Organizations cannot be asked, and fails after the others when an account cannot be read', async () => {
    organizations.reset();
    organizations
      .on(ListAccountsCommand)
      .rejects(
        Object.assign(new Error('You don’t have permissions to access this resource.'), { name: 'AccessDeniedException' }),
      );
    // A listing made before a new account got its member stack.
    const { state, table } = stores();
    await new DynamoOrganizationStore(table).saveAccounts({
      organizationId: ORGANIZATION_ID,
      accounts: [SECURITY, MEMBER, SIBLING, NEWCOMER],
      listedAt: Date.parse('2026-11-02T08:00:00Z'),
    });
    sts
      .on(AssumeRoleCommand, { RoleArn: READ_ROLE(NEWCOMER) })
      .rejects(Object.assign(new Error('not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }));
    byAccount[SESSION_KEY[MEMBER] ?? ''] = details(MEMBER, [
      { name: 'vendor', trusts: FOREIGN },
      { name: 'added', trusts: MEMBER },
    ]);

    // One child execution per account: the one whose read role cannot be assumed fails alone, and the run
    // fails after the others, naming it and why (the alarm on failed executions tells the alert topic).
    expect(await reconcile()).toEqual({
      status: 'FAILED',
      error: 'RoleWatch.AccountsNotReconciled',
      cause: `reconcile could not read 1 of 4 account(s): ${NEWCOMER} (AccountReadError: cannot assume ${READ_ROLE(NEWCOMER)} to read account ${NEWCOMER}: not authorized to perform: sts:AssumeRole. Is the RoleWatch member stack deployed there, with the same ExternalId?)`,
    });

    // The other accounts were reconciled from the stored list (sessions still fresh: no new AssumeRole for them).
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([READ_ROLE(NEWCOMER)]);
    expect(roleExists((await state.getRole(MEMBER, 'added')) ?? fail('added'))).toBe(true);
    expect(roleExists((await state.getRole(MEMBER, 'deploy')) ?? fail('deploy'))).toBe(false);
    expect(roleExists((await state.getRole(SIBLING, 'app')) ?? fail('app'))).toBe(true);
  }, 60_000);
});

describe('organization mode: on-role-assumed', () => {
  it("records a member's assumptions under that account, and knows the organization's accounts reconcile listed", async () => {
    const roleArn = `arn:aws:iam::${MEMBER}:role/deploy`;
    const from = (account: string): Caller => ({
      ...call(),
      identity: member.awsAccount(account, `AROA${account}EXAMPLE:ci`),
      sourceIp: '203.0.113.50',
    });
    const records = [SIBLING, FOREIGN].map((account) =>
      member.assumeRole(from(account), { roleArn, roleSessionName: 'ci', durationSeconds: 3600 }),
    );
    const response = await onRoleAssumed(sqsBatch(records.map((record) => JSON.stringify(eventBridge(record)))), {
      functionName: 'on-role-assumed',
      awsRequestId: 'request',
    } as Parameters<typeof onRoleAssumed>[1]);
    expect(response.batchItemFailures).toEqual([]);
    const { state, findings } = stores();
    const edges = await state.assumptionsOf(MEMBER, roleArn);
    expect(edges.map((edge) => `${edge.account} <- ${edge.sourceAccount}`).sort()).toEqual(
      [`${MEMBER} <- ${SIBLING}`, `${MEMBER} <- ${FOREIGN}`].sort(),
    );
    const unknown = (await findings.forResource(MEMBER, roleArn)).filter((f) => f.ruleId === 'assumed-from-unknown-account');
    expect(unknown.map((f) => [f.account, f.qualifier])).toEqual([[MEMBER, FOREIGN]]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});
