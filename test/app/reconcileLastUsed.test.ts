import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { sendDigests } from '../../shared/app/digest';
import { type AccountSource, reconcile, reconcileAccount, reconcileStamp } from '../../shared/app/reconcile';
import { defaultConfig, validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import { type AccountSnapshot, AwsAccountReader, type IamRole } from '../../shared/iam/accountReader';
import type { Alert } from '../../shared/ports/alertPublisher';

const ACCOUNT = '123456789012';
const DAY = 86_400_000;
const CREATED = Date.parse('2026-01-05T08:00:00Z');
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
});

function role(attached: string, lastUsed?: IamRole['lastUsed']): IamRole {
  return {
    account: ACCOUNT,
    roleName: 'ops',
    arn: `arn:aws:iam::${ACCOUNT}:role/ops`,
    createdAt: CREATED,
    trustPolicy: TRUST,
    inlinePolicies: [],
    attachedPolicies: [attached],
    ...(lastUsed ? { lastUsed } : {}),
  };
}

const source = (snapshot: () => AccountSnapshot): AccountSource => ({
  account: ACCOUNT,
  reader: { readAccount: async () => snapshot() },
});

function setup(config = defaultConfig()) {
  const { engine, store } = createMemoryContext({ config });
  const run = (at: number, roles: IamRole[]) =>
    reconcile({
      engine,
      state: store,
      findings: store,
      accounts: [source(() => ({ roles, policies: [] }))],
      now: () => at,
      minSeverity: 'high',
    });
  const open = async () =>
    (await store.forResource(ACCOUNT, role(ADMIN).arn)).filter((f) => f.ruleId === 'privileged-role-unused');
  return { engine, store, run, open };
}

describe('RoleLastUsed in reconcile', () => {
  it('reports an admin role never used 120 days after its creation, and resolves it once IAM reports a use', async () => {
    const { run, open, store } = setup();
    const first = await run(CREATED + 120 * DAY, [role(ADMIN)]);
    expect(first.findings.map((f) => f.finding.ruleId)).toContain('privileged-role-unused');
    const [finding] = await open();
    expect(finding?.status).toBe('open');
    expect(finding?.detail).toContain('never used since its creation for 120 days');
    expect((await store.getRole(ACCOUNT, 'ops'))?.lastUsed).toEqual(reconcileStamp(CREATED + 120 * DAY));

    const used = CREATED + 121 * DAY;
    const second = await run(CREATED + 122 * DAY, [role(ADMIN, { at: used, region: 'eu-central-1' })]);
    expect(second.resolved.map((f) => f.ruleId)).toContain('privileged-role-unused');
    // The observation is not a correction: nothing else about the role changed.
    expect(second.corrected).toEqual([]);
    expect((await store.getRole(ACCOUNT, 'ops'))?.lastUsed).toEqual({
      ...reconcileStamp(CREATED + 122 * DAY),
      usedAt: used,
      region: 'eu-central-1',
    });
    expect((await open())[0]?.status).toBe('resolved');
  });

  it('resolves it when the role loses its admin rights, though still unused', async () => {
    const { run, open } = setup();
    await run(CREATED + 200 * DAY, [role(ADMIN, { at: CREATED + DAY })]);
    expect((await open())[0]?.status).toBe('open');
    const later = await run(CREATED + 201 * DAY, [role(READ_ONLY, { at: CREATED + DAY })]);
    expect(later.resolved.map((f) => f.ruleId)).toContain('privileged-role-unused');
    expect((await open())[0]?.status).toBe('resolved');
  });

  it('stays quiet for an admin role used within unusedRoleDays, which is configurable', async () => {
    const lastUse = { at: CREATED + 100 * DAY, region: 'us-east-1' };
    const quiet = setup();
    await quiet.run(CREATED + 150 * DAY, [role(ADMIN, lastUse)]);
    expect(await quiet.open()).toEqual([]);
    const strict = setup(validateConfig({ unusedRoleDays: 30 }));
    await strict.run(CREATED + 150 * DAY, [role(ADMIN, lastUse)]);
    expect((await strict.open()).map((f) => f.detail)).toEqual([expect.stringContaining('was not used for 50 days (limit 30)')]);
  });

  it('records the finding once when a step is retried with the same run stamp', async () => {
    const { engine, store, open } = setup();
    const stamp = reconcileStamp(CREATED + 100 * DAY);
    const step = () =>
      reconcileAccount(
        source(() => ({ roles: [role(ADMIN)], policies: [] })),
        stamp,
        { engine, state: store },
      );
    const first = await step();
    const before = await store.getRole(ACCOUNT, 'ops');
    const retried = await step();
    expect(first.findings.filter((f) => f.finding.ruleId === 'privileged-role-unused')).toHaveLength(1);
    expect(await store.getRole(ACCOUNT, 'ops')).toEqual(before);
    expect(retried.corrected).toEqual([]);
    expect(await open()).toHaveLength(1);
    expect((await open())[0]?.count).toBe(1);
  });
});

describe('AwsAccountReader', () => {
  const iam = mockClient(IAMClient);
  afterEach(() => iam.reset());

  it('keeps RoleLastUsed (date and Region) and leaves it out when IAM reports no use', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      IsTruncated: false,
      RoleDetailList: [
        {
          RoleName: 'used',
          Arn: `arn:aws:iam::${ACCOUNT}:role/used`,
          CreateDate: new Date('2026-01-01T00:00:00Z'),
          RoleLastUsed: { LastUsedDate: new Date('2026-11-30T17:04:11Z'), Region: 'eu-west-1' },
        },
        { RoleName: 'idle', Arn: `arn:aws:iam::${ACCOUNT}:role/idle`, RoleLastUsed: {} },
        {
          RoleName: 'odd',
          Arn: `arn:aws:iam::${ACCOUNT}:role/odd`,
          RoleLastUsed: { LastUsedDate: new Date('2026-11-30T17:04:11Z'), Region: '<script>' },
        },
      ],
      Policies: [],
      $metadata: {},
    });
    const { roles } = await new AwsAccountReader(new IAMClient({ region: 'us-east-1' })).readAccount();
    const byName = new Map(roles.map((r) => [r.roleName, r]));
    expect(byName.get('used')?.lastUsed).toEqual({ at: Date.parse('2026-11-30T17:04:11Z'), region: 'eu-west-1' });
    expect(byName.get('idle')).not.toHaveProperty('lastUsed');
    // A Region that is not a Region name is dropped; the date is kept.
    expect(byName.get('odd')?.lastUsed).toEqual({ at: Date.parse('2026-11-30T17:04:11Z') });
  });
});

describe('the digest', () => {
  it('lists the privileged roles unused for longer than unusedRoleDays, with how long and their last use', async () => {
    const { run, open } = setup();
    const now = CREATED + 130 * DAY;
    await run(now, [role(ADMIN, { at: CREATED + 10 * DAY, region: 'eu-west-1' })]);
    const stale = await open();
    expect(stale).toHaveLength(1);
    const published: Alert[] = [];
    const [data] = await sendDigests({
      findings: {
        listByStatus: async (status, severity) => ({
          findings: stale.filter((f) => f.status === status && f.severity === severity),
        }),
      },
      state: { roleNames: async () => ['ops'], roleHistoryPage: async () => ({ entries: [] }) },
      publisher: { publish: async (alert) => void published.push(alert) },
      accounts: [ACCOUNT],
      minSeverity: 'high',
      now: () => now,
    });
    expect(data?.unusedRoles?.map((f) => f.resource)).toEqual([role(ADMIN).arn]);
    const [digest] = published;
    expect(digest?.text).toContain('PRIVILEGED ROLES UNUSED');
    expect(digest?.text).toMatch(/ {2}120 d {2}ops {2}\(last used 2026-01-15T08:00:00.000Z in eu-west-1\)/);
    expect(digest?.json.unusedRoles).toEqual([
      expect.objectContaining({
        resource: role(ADMIN).arn,
        idleDays: 120,
        lastUsed: '2026-01-15T08:00:00.000Z',
        region: 'eu-west-1',
      }),
    ]);
  });
});
