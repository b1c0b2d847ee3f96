import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { accessView, NEW_SOURCE_WINDOW_MS } from '../../shared/api/access';
import { cursorKeyOf } from '../../shared/api/cursor';
import { createReportApi } from '../../shared/api/reportApi';
import { createDynamoStores } from '../../shared/context';
import { ATTACKER_ACCOUNT, DEMO_ACCOUNT, DEMO_ROLES, demoConfig, demoEvents } from '../../shared/demo/scenario';
import { type LocalMonitor, startLocalMonitor } from '../../shared/local/monitor';
import { parsePolicy } from '../../shared/policy/parse';
import type { AssumptionEdge } from '../../shared/ports/roleState';
import type { RoleView } from '../../shared/rules/types';
import { DynamoReportStore } from '../../shared/store/dynamo/DynamoReportStore';
import { createTable } from '../../shared/store/dynamoLocal';
import { allPages, call } from './support';

const config = demoConfig();
const access = { knownAccounts: config.knownAccounts, thirdParties: config.trustedThirdParties };

interface Trusted {
  principal: string;
  relation?: string;
  foreign: boolean;
  unknown: boolean;
  used: boolean;
  addedAt?: string;
  conditions: string[];
}
interface Observed {
  source: string;
  foreign: boolean;
  unknown: boolean;
  trustedBy: string[];
  firstSeen: string;
  count: number;
}
interface Access {
  role: { roleName: string; trustKnown: boolean; createdAt?: string; reach: { adminCapable: boolean; adminPolicies: string[] } };
  trusted: Trusted[];
  observed: Observed[];
}

describe('the access graph and the picture of time, over the demo day', () => {
  let monitor: LocalMonitor | undefined;
  const api = () => {
    if (!monitor) throw new Error('the monitor is not running');
    return createReportApi({
      reports: new DynamoReportStore(monitor.stores),
      findings: monitor.stores.findings,
      logger: { error: () => undefined },
      access,
    });
  };

  beforeAll(async () => {
    monitor = await startLocalMonitor({
      config,
      mailDirectory: mkdtempSync(path.join(tmpdir(), 'rolewatch-access-')),
      stream: new PassThrough(),
    });
    await monitor.feed(demoEvents());
  }, 180_000);
  afterAll(async () => {
    await monitor?.stop();
  }, 30_000);

  it('shows the backdoor trusting an unknown account from its creation, then assumed from it', async () => {
    const answer = await call(api(), 'GET', `/roles/${DEMO_ROLES.backdoor}/access`);
    expect(answer.status).toBe(200);
    const view = answer.json as unknown as Access;
    const trusted = view.trusted.find((t) => t.principal === `AWS:arn:aws:iam::${ATTACKER_ACCOUNT}:root`);
    expect(trusted).toMatchObject({
      relation: 'unknown',
      foreign: true,
      unknown: true,
      used: true,
      addedAt: view.role.createdAt,
    });
    const observed = view.observed.find((o) => o.source === ATTACKER_ACCOUNT || o.source.includes(`::${ATTACKER_ACCOUNT}:`));
    expect(observed).toMatchObject({ foreign: true, unknown: true, trustedBy: [trusted?.principal] });
    // Untrusted, then trusted, then used: the first assumption comes after the trust change that let it in.
    expect(Date.parse(observed?.firstSeen ?? '')).toBeGreaterThan(Date.parse(trusted?.addedAt ?? ''));
    expect(view.role.reach).toMatchObject({ adminCapable: true, adminPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'] });
  }, 30_000);

  it('marks a vendor account foreign but not unknown, with the conditions of its statement', async () => {
    const view = (await call(api(), 'GET', `/roles/${DEMO_ROLES.vendor}/access`)).json as unknown as Access;
    const vendor = view.trusted.find((t) => t.relation === 'third-party');
    expect(vendor).toMatchObject({ foreign: true, unknown: false });
    expect(vendor?.conditions.join(' ')).toMatch(/sts:ExternalId/i);
    expect(view.role.reach.adminCapable).toBe(false);
  }, 30_000);

  it('lists every role once through the pages of /access, and refuses a cursor of another list', async () => {
    const roles = await allPages(api(), '/roles?limit=200');
    const pages = await allPages(api(), '/access?limit=3');
    expect(pages.pages.length).toBeGreaterThan(1);
    const arns = pages.items.map((item) => (item.role as { arn: string }).arn);
    expect(arns).toEqual(roles.items.map((role) => role.arn));
    const first = await call(api(), 'GET', '/access?limit=3');
    const misuse = await call(api(), 'GET', `/roles?limit=3&cursor=${first.json.cursor}`);
    expect(misuse.status).toBe(400);
    const csv = await call(api(), 'GET', '/access?limit=200', { headers: { accept: 'text/csv' } });
    expect(csv.text.split('\r\n')[0]).toBe('account,roleArn,adminCapable,escalation,trusted,observed,untrustedObserved');
  }, 30_000);

  it('counts the findings opened per day by severity, every status included', async () => {
    const answer = await call(api(), 'GET', '/findings/daily?since=2026-11-01&until=2026-11-03');
    expect(answer.status).toBe(200);
    const days = answer.json.days as { day: string; bySeverity: Record<string, number> }[];
    expect(days.map((d) => d.day)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    const all = await allPages(api(), '/findings?status=open,suppressed,resolved&limit=200');
    const expected: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
    for (const f of all.items) expected[String(f.severity)] = (expected[String(f.severity)] ?? 0) + 1;
    expect(days[1]?.bySeverity).toEqual(expected);
    expect(days[0]?.bySeverity).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });
    const other = await call(api(), 'GET', '/findings/daily?since=2026-11-02&until=2026-11-02&account=999999999999');
    expect(other.json.days).toEqual([{ day: '2026-11-02', bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } }]);
    expect((await call(api(), 'GET', '/findings/daily?since=2026-11-03&until=2026-11-01')).status).toBe(400);
    expect((await call(api(), 'GET', '/findings/daily?since=2020-01-01&until=2026-11-01')).status).toBe(400);
  }, 30_000);

  it('pages the findings of a time range, none outside it, none twice', async () => {
    const until = '2026-11-02T14:00:00Z';
    const everything = await allPages(api(), '/findings?status=open,suppressed,resolved&limit=200');
    const expected = everything.items.filter((f) => String(f.openedAt) < '2026-11-02T14:00:00.001Z').map((f) => f.id);
    expect(expected.length).toBeGreaterThan(3);
    const ranged = await allPages(api(), `/findings?status=open,suppressed,resolved&until=${until}&limit=2`);
    expect(ranged.items.map((f) => f.id)).toEqual(expected);
    const day = await allPages(api(), '/findings?status=open,suppressed,resolved&since=2026-11-02&until=2026-11-02&limit=200');
    expect(day.items).toHaveLength(everything.items.length);
  }, 30_000);
  it('links every role with findings to a working page: each role of /findings resolves by name', async () => {
    const everything = await allPages(api(), '/findings?status=open,suppressed,resolved&limit=200');
    // The page links a finding's role when it has one (findings on a trail or a policy have none).
    const linked = [
      ...new Set(
        everything.items.filter((f) => f.roleName !== undefined).map((f) => `${String(f.account)}|${String(f.roleName)}`),
      ),
    ];
    expect(linked).toContain(`${DEMO_ACCOUNT}|log-reader`);
    const failing: string[] = [];
    for (const pair of linked) {
      const [account = '', name = ''] = pair.split('|');
      const target = `/roles/${encodeURIComponent(name)}?account=${account}`;
      const answers = await Promise.all([
        call(api(), 'GET', target),
        call(api(), 'GET', `/findings?role=${encodeURIComponent(name)}&account=${account}&status=open,suppressed,resolved`),
      ]);
      if (answers[0].status !== 200 || !answers[1].json.items?.length) failing.push(`${pair} ${answers[0].status}`);
    }
    expect(failing).toEqual([]);
  }, 60_000);
  it('keeps, read-only, a cursor key of its own instead of writing one into the table', async () => {
    if (!monitor) throw new Error('the monitor is not running');
    const client = monitor.dynamo.client;
    await createTable(client, 'read-only');
    const stores = createDynamoStores({ client, tableName: 'read-only' });
    const key = await cursorKeyOf(new DynamoReportStore(stores, { readOnly: true }))();
    expect(key).toHaveLength(32);
    expect(await stores.table.get({ pk: 'MONITOR', sk: 'CURSOR-KEY' })).toBeUndefined();
    const written = await cursorKeyOf(new DynamoReportStore(stores))();
    expect(Buffer.from(written).equals(Buffer.from(key))).toBe(false);
    expect(await stores.table.get({ pk: 'MONITOR', sk: 'CURSOR-KEY' })).toBeDefined();
  }, 120_000);
});

describe('accessView', () => {
  const role = { account: DEMO_ACCOUNT, roleName: 'app', arn: `arn:aws:iam::${DEMO_ACCOUNT}:role/app` };
  const at = Date.parse('2026-11-02T10:00:00Z');
  const edge = (
    source: string,
    sourceType: AssumptionEdge['sourceType'],
    firstSeen: number,
    sourceAccount?: string,
  ): AssumptionEdge => ({
    account: DEMO_ACCOUNT,
    roleArn: role.arn,
    source,
    sourceType,
    ...(sourceAccount ? { sourceAccount } : {}),
    firstSeen,
    lastSeen: at,
    count: 2,
    regions: ['us-east-1'],
    sampleIps: [],
  });
  const trust = (statements: unknown[]) => {
    const parsed = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.document;
  };
  const viewOf = (document: ReturnType<typeof trust>): RoleView => ({
    account: role.account,
    name: role.roleName,
    arn: role.arn,
    policies: [],
    trust: document,
    trustChange: { at: at - 3_600_000, added: ['Service:lambda.amazonaws.com'], initial: false },
  });

  it('says which trusted principal covers each source, and which source the trust no longer allows', () => {
    const document = trust([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${DEMO_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } },
      },
    ]);
    const view = accessView(
      {
        view: viewOf(document),
        role,
        edges: [
          edge('lambda.amazonaws.com', 'service', at - 30 * 86_400_000),
          edge('token.actions.githubusercontent.com:repo:acme/app:ref:refs/heads/main', 'web-identity', at),
          edge(`arn:aws:iam::${ATTACKER_ACCOUNT}:role/x`, 'aws', at, ATTACKER_ACCOUNT),
        ],
        edgesTruncated: false,
        privilegedSources: new Set([`arn:aws:iam::${ATTACKER_ACCOUNT}:role/x`]),
      },
      access,
    );
    const by = (source: string) => view.observed.find((o) => o.source === source);
    expect(by('lambda.amazonaws.com')).toMatchObject({ trustedBy: ['Service:lambda.amazonaws.com'], new: false, foreign: false });
    expect(by('token.actions.githubusercontent.com:repo:acme/app:ref:refs/heads/main')?.trustedBy).toEqual([
      `Federated:arn:aws:iam::${DEMO_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    ]);
    expect(by(`arn:aws:iam::${ATTACKER_ACCOUNT}:role/x`)).toMatchObject({
      trustedBy: [],
      foreign: true,
      unknown: true,
      new: true,
      privileged: true,
    });
    expect(view.trusted.find((t) => t.kind === 'web-identity')?.conditions).toEqual([
      'StringLike token.actions.githubusercontent.com:sub = repo:acme/app:*',
    ]);
    expect(view.trusted.find((t) => t.kind === 'service')).toMatchObject({
      used: true,
      addedAt: new Date(at - 3_600_000).toISOString(),
    });
    expect(view.role.trustKnown).toBe(true);
  });

  it('marks a source new only within the window before the newest assumption', () => {
    const view = accessView(
      {
        view: viewOf(trust([{ Effect: 'Allow', Principal: { AWS: DEMO_ACCOUNT }, Action: 'sts:AssumeRole' }])),
        role,
        edges: [
          edge(`arn:aws:iam::${DEMO_ACCOUNT}:user/old`, 'aws', at - NEW_SOURCE_WINDOW_MS - 1, DEMO_ACCOUNT),
          edge(`arn:aws:iam::${DEMO_ACCOUNT}:user/recent`, 'aws', at - NEW_SOURCE_WINDOW_MS, DEMO_ACCOUNT),
        ],
        edgesTruncated: false,
      },
      access,
    );
    expect(view.observed.map((o) => [o.source.split('/')[1], o.new, o.relation, o.trustedBy.length])).toEqual(
      expect.arrayContaining([
        ['old', false, 'own', 1],
        ['recent', true, 'own', 1],
      ]),
    );
  });

  it('does not call a source untrusted when the trust policy is not known', () => {
    const view = accessView(
      {
        view: undefined,
        role,
        edges: [edge(`arn:aws:iam::${DEMO_ACCOUNT}:user/a`, 'aws', at, DEMO_ACCOUNT)],
        edgesTruncated: true,
      },
      access,
    );
    expect(view.role).toMatchObject({ exists: false, trustKnown: false });
    expect(view.trusted).toEqual([]);
    expect(view.edgesTruncated).toBe(true);
  });
});
