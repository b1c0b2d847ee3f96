import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, type DynamoStores } from '../../shared/context';
import { SEVERITIES } from '../../shared/findings/severity';
import { StaticIamReader } from '../../shared/iam/reader';
import { keys } from '../../shared/store/dynamo/keys';
import { useLocalDynamo } from '../support/dynamo';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  events,
  FOREIGN_ACCOUNT,
  iamRecord,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';
import { allPages, apiOver, draftOn } from './support';

const dynamo = useLocalDynamo();

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
/** A boundary that leaves the attached admin policy whole (PowerUserAccess would take IAM away, and with it the critical). */
const BOUNDARY = 'arn:aws:iam::aws:policy/AdministratorAccess';
const roleArn = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;
const MALLORY = `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`;
const VENDOR = `arn:aws:iam::${FOREIGN_ACCOUNT}:role/vendor`;
const CI = roleArn('ci');
/** Role names chosen by whoever changes IAM: a spreadsheet would run these as formulas. */
const FORMULA_ROLE = '=1+2';

let stores: DynamoStores;
let ctx: ReturnType<typeof apiOver>;

beforeAll(async () => {
  resetClock();
  stores = await dynamo.newStores();
  const engine = createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
  for (const event of events(
    createRole('deploy-bot', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)),
    attachRolePolicy('deploy-bot', ADMIN),
    iamRecord('PutRolePermissionsBoundary', { roleName: 'deploy-bot', permissionsBoundary: BOUNDARY }),
    createRole(FORMULA_ROLE, trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
    putRolePolicy(FORMULA_ROLE, '@evil', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
    }),
    createRole('old', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
    iamRecord('DeleteRole', { roleName: 'old' }),
    assumeRole(roleArn('deploy-bot'), MALLORY),
    assumeRole(roleArn('deploy-bot'), CI),
    assumeRole(roleArn(FORMULA_ROLE), MALLORY),
    assumeRole(roleArn('deploy-bot'), VENDOR),
    assumeRole(roleArn('deploy-bot'), MALLORY),
    updateTrust('deploy-bot', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
  ))
    await engine.process(event);
  // The same role name in a second account, and a few quiet roles, through the state store.
  await stores.state.applyRoleChanges(FOREIGN_ACCOUNT, 'deploy-bot', roleArn('deploy-bot', FOREIGN_ACCOUNT), [
    { part: 'created', stamp: { at: Date.parse('2026-11-01T00:00:00Z'), eventId: 'foreign-create' } },
  ]);
  for (const name of ['quiet-a', 'quiet-b', 'quiet-c'])
    await stores.state.applyRoleChanges(ACCOUNT, name, roleArn(name), [
      { part: 'created', stamp: { at: Date.parse('2026-11-01T00:00:00Z'), eventId: `create-${name}` } },
    ]);
  // RoleLastUsed as reconcile read it: quiet-a used in eu-west-1, quiet-b never used; quiet-c's observation is
  // older than its creation (of an earlier role of that name), so it is not shown.
  const read = (at: string) => ({ at: Date.parse(at), eventId: `reconcile-${at}` });
  await stores.state.applyRoleChanges(ACCOUNT, 'quiet-a', roleArn('quiet-a'), [
    {
      part: 'lastUsed',
      stamp: read('2026-11-20T06:00:00.000Z'),
      usedAt: Date.parse('2026-11-18T10:30:00Z'),
      region: 'eu-west-1',
    },
  ]);
  await stores.state.applyRoleChanges(ACCOUNT, 'quiet-b', roleArn('quiet-b'), [
    { part: 'lastUsed', stamp: read('2026-11-20T06:00:00.000Z') },
  ]);
  await stores.state.applyRoleChanges(ACCOUNT, 'quiet-c', roleArn('quiet-c'), [
    { part: 'lastUsed', stamp: read('2026-10-20T06:00:00.000Z'), usedAt: Date.parse('2026-10-01T00:00:00Z') },
  ]);
  ctx = apiOver(stores);
}, 60_000);

describe('lastUsed on roles', () => {
  const used = { at: '2026-11-18T10:30:00.000Z', region: 'eu-west-1', observedAt: '2026-11-20T06:00:00.000Z' };
  const never = { at: null, observedAt: '2026-11-20T06:00:00.000Z' };

  it('GET /roles gives the last RoleLastUsed read, null when IAM reports no use, nothing when not read for this role', async () => {
    const { items } = await allPages(ctx.api, `/roles?account=${ACCOUNT}`);
    const byName = new Map(items.map((role) => [role.roleName, role]));
    expect(byName.get('quiet-a')?.lastUsed).toEqual(used);
    expect(byName.get('quiet-b')?.lastUsed).toEqual(never);
    expect(byName.get('quiet-c')).not.toHaveProperty('lastUsed');
    expect(byName.get('deploy-bot')).not.toHaveProperty('lastUsed');
  });

  it('GET /roles/{name} gives the same', async () => {
    expect((await ctx.call('GET', `/roles/quiet-a?account=${ACCOUNT}`)).json).toMatchObject({ lastUsed: used });
    expect((await ctx.call('GET', `/roles/quiet-b?account=${ACCOUNT}`)).json).toMatchObject({ lastUsed: never });
    expect((await ctx.call('GET', `/roles/quiet-c?account=${ACCOUNT}`)).json).not.toHaveProperty('lastUsed');
  });
});

describe('GET /roles', () => {
  it('lists every role by account and name with its open findings counted by severity', async () => {
    const { items } = await allPages(ctx.api, '/roles');
    expect(items.map((role) => `${role.account}/${role.roleName}`)).toEqual([
      `${ACCOUNT}/${FORMULA_ROLE}`,
      `${ACCOUNT}/deploy-bot`,
      `${ACCOUNT}/old`,
      `${ACCOUNT}/quiet-a`,
      `${ACCOUNT}/quiet-b`,
      `${ACCOUNT}/quiet-c`,
      `${FOREIGN_ACCOUNT}/deploy-bot`,
    ]);
    const bot = items.find((role) => role.roleName === 'deploy-bot' && role.account === ACCOUNT);
    const open = (await allPages(ctx.api, `/findings?role=${roleArn('deploy-bot')}`)).items;
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, open.filter((f) => f.severity === s).length]));
    expect(bot).toEqual({
      account: ACCOUNT,
      roleName: 'deploy-bot',
      arn: roleArn('deploy-bot'),
      deleted: false,
      openFindings: open.length,
      openBySeverity: bySeverity,
      highestOpenSeverity: 'critical',
    });
    expect(items.find((role) => role.roleName === 'old')?.deleted).toBe(true);
    expect(items.find((role) => role.roleName === 'quiet-a')).toMatchObject({ openFindings: 0, highestOpenSeverity: null });
  });

  it('pages through the roles with no duplicate and no gap, and filters by account', async () => {
    const everything = (await allPages(ctx.api, '/roles')).items;
    const paged = await allPages(ctx.api, '/roles?limit=3');
    expect(paged.pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(paged.items).toEqual(everything);
    const foreign = await allPages(ctx.api, `/roles?account=${FOREIGN_ACCOUNT}&limit=1`);
    expect(foreign.items.map((role) => role.arn)).toEqual([roleArn('deploy-bot', FOREIGN_ACCOUNT)]);
    const own = await allPages(ctx.api, `/roles?account=${ACCOUNT}&limit=2`);
    expect(own.pages.map((page) => page.length)).toEqual([2, 2, 2]);
  });

  it('exports CSV with formula-looking role names neutralised', async () => {
    const answer = await ctx.call('GET', '/roles?limit=2', { headers: { accept: 'text/csv' } });
    const lines = answer.text.split('\r\n');
    expect(lines[0]).toBe(
      'account,roleName,arn,deleted,openFindings,highestOpenSeverity,open_critical,open_high,open_medium,open_low,open_info',
    );
    expect(lines[1]).toMatch(new RegExp(`^${ACCOUNT},'=1\\+2,arn:aws:iam::${ACCOUNT}:role/=1\\+2,false,\\d+,high,0,`));
    expect(answer.headers['x-next-cursor']).toBeDefined();
  });
});

describe('GET /roles/{name}', () => {
  it('shows the role now: trust policy, policies, boundary, creation and open findings, most severe first', async () => {
    const answer = await ctx.call('GET', `/roles/deploy-bot?account=${ACCOUNT}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      account: ACCOUNT,
      roleName: 'deploy-bot',
      arn: roleArn('deploy-bot'),
      exists: true,
      createdAt: '2026-11-02T09:05:00.000Z',
      createdBy: `arn:aws:iam::${ACCOUNT}:user/alice`,
      trustPolicy: {
        document: {
          Version: '2012-10-17',
          Statement: [expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })],
        },
        principals: [`AWS:arn:aws:iam::${ACCOUNT}:root`],
      },
      inlinePolicies: [],
      attachedPolicies: [ADMIN],
      permissionsBoundary: BOUNDARY,
    });
    const findings = answer.json.openFindings as { severity: string; status: string; roleName: string }[];
    expect(findings[0]?.severity).toBe('critical');
    expect(findings.every((f) => f.status === 'open' && f.roleName === 'deploy-bot')).toBe(true);
    expect(findings.map((f) => SEVERITIES.indexOf(f.severity as never))).toEqual(
      findings.map((f) => SEVERITIES.indexOf(f.severity as never)).sort((a, b) => a - b),
    );
  });

  it('shows inline policies as JSON, and a deleted role as not existing', async () => {
    const formula = await ctx.call('GET', `/roles/${encodeURIComponent(FORMULA_ROLE)}`);
    expect(formula.json.inlinePolicies).toEqual([
      {
        name: '@evil',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] },
        changedAt: expect.any(String),
      },
    ]);
    const old = await ctx.call('GET', '/roles/old');
    expect(old.json).toMatchObject({ exists: false, deletedAt: expect.any(String) });
  });

  it('needs the account when several accounts have a role of that name, and answers 404 for an unknown role', async () => {
    expect((await ctx.call('GET', '/roles/deploy-bot')).json).toEqual({
      error: { field: 'account', reason: `role deploy-bot exists in accounts ${ACCOUNT}, ${FOREIGN_ACCOUNT}: name one` },
    });
    const foreign = await ctx.call('GET', `/roles/deploy-bot?account=${FOREIGN_ACCOUNT}`);
    expect(foreign.json).toMatchObject({ account: FOREIGN_ACCOUNT, openFindings: [], attachedPolicies: [] });
    const unknown = await ctx.call('GET', '/roles/nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: { reason: 'no role nobody' } });
    expect((await ctx.call('GET', `/roles/old?account=${FOREIGN_ACCOUNT}`)).status).toBe(404);
  });
});

describe('GET /roles/{name}/history', () => {
  it('lists the changes newest first across pages', async () => {
    const expected = await stores.state.roleHistory(ACCOUNT, 'deploy-bot');
    const { pages, items } = await allPages(ctx.api, `/roles/deploy-bot/history?account=${ACCOUNT}&limit=2`);
    expect(items.map((entry) => entry.eventId)).toEqual(expected.map((entry) => entry.eventId));
    expect(items.map((entry) => entry.eventName)).toEqual([
      'UpdateAssumeRolePolicy',
      'PutRolePermissionsBoundary',
      'AttachRolePolicy',
      'CreateRole',
    ]);
    // History pages follow DynamoDB's: a full last page may be followed by an empty one without cursor.
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(items[0]).toMatchObject({
      at: '2026-11-02T10:05:00.000Z',
      actor: `arn:aws:iam::${ACCOUNT}:user/alice`,
      summary: 'replaced the trust policy',
      diff: [`+ principal AWS:arn:aws:iam::${ACCOUNT}:root`, `- principal AWS:arn:aws:iam::${FOREIGN_ACCOUNT}:root`],
    });
    expect(items[0]).not.toHaveProperty('event');
  });

  it('exports the history as CSV and binds its cursor to the role', async () => {
    const csv = await ctx.call('GET', `/roles/deploy-bot/history?account=${ACCOUNT}&limit=1`, {
      headers: { accept: 'text/csv' },
    });
    expect(csv.text.split('\r\n')[0]).toBe('at,eventName,eventId,actor,sourceIp,userAgent,summary,diff');
    expect(csv.text).toContain(
      `"'+ principal AWS:arn:aws:iam::${ACCOUNT}:root\n- principal AWS:arn:aws:iam::${FOREIGN_ACCOUNT}:root"`,
    );
    const cursor = csv.headers['x-next-cursor'];
    const other = await ctx.call('GET', `/roles/${encodeURIComponent(FORMULA_ROLE)}/history?cursor=${cursor}`);
    expect(other.json).toEqual({
      error: { field: 'cursor', reason: 'was issued for another query: give the same filters as the first page' },
    });
  });
});

describe('GET /assumptions', () => {
  const sources = (items: Record<string, unknown>[]) => items.map((edge) => `${edge.roleArn} <- ${edge.source}`);

  it('lists who assumed a role, one entry per source with its count, across pages', async () => {
    const { pages, items } = await allPages(ctx.api, `/assumptions?role=deploy-bot&account=${ACCOUNT}&limit=1`);
    expect(pages).toHaveLength(3);
    expect(sources(items).sort()).toEqual([CI, MALLORY, VENDOR].map((source) => `${roleArn('deploy-bot')} <- ${source}`).sort());
    expect(items.find((edge) => edge.source === MALLORY)).toMatchObject({
      account: ACCOUNT,
      sourceAccount: FOREIGN_ACCOUNT,
      sourceType: 'aws',
      count: 2,
      firstSeen: '2026-11-02T09:40:00.000Z',
      lastSeen: '2026-11-02T10:00:00.000Z',
      regions: ['us-east-1'],
      sampleIps: ['203.0.113.50'],
    });
    const byArn = await allPages(ctx.api, `/assumptions?role=${encodeURIComponent(roleArn('deploy-bot'))}`);
    expect(byArn.items).toEqual(items);
  });

  it('lists what a source principal or a source account assumed', async () => {
    const bySource = await allPages(ctx.api, `/assumptions?source=${encodeURIComponent(MALLORY)}&limit=1`);
    expect(sources(bySource.items).sort()).toEqual(
      [roleArn('deploy-bot'), roleArn(FORMULA_ROLE)].map((role) => `${role} <- ${MALLORY}`).sort(),
    );
    const byAccount = await allPages(ctx.api, `/assumptions?sourceAccount=${FOREIGN_ACCOUNT}&limit=2`);
    expect(sources(byAccount.items).sort()).toEqual(
      [
        `${roleArn('deploy-bot')} <- ${MALLORY}`,
        `${roleArn('deploy-bot')} <- ${VENDOR}`,
        `${roleArn(FORMULA_ROLE)} <- ${MALLORY}`,
      ].sort(),
    );
    const own = await allPages(ctx.api, `/assumptions?sourceAccount=${ACCOUNT}`);
    expect(sources(own.items)).toEqual([`${roleArn('deploy-bot')} <- ${CI}`]);
  });

  it('combines a key with since, source or sourceAccount applied to the entries read', async () => {
    const recent = await allPages(ctx.api, `/assumptions?sourceAccount=${FOREIGN_ACCOUNT}&since=2026-11-02T09:55:00Z&limit=1`);
    expect(sources(recent.items).sort()).toEqual(
      [`${roleArn('deploy-bot')} <- ${MALLORY}`, `${roleArn('deploy-bot')} <- ${VENDOR}`].sort(),
    );
    const one = await ctx.call(
      'GET',
      `/assumptions?role=${encodeURIComponent(FORMULA_ROLE)}&source=${encodeURIComponent(MALLORY)}`,
    );
    expect(sources(one.json.items ?? [])).toEqual([`${roleArn(FORMULA_ROLE)} <- ${MALLORY}`]);
    const foreignOnly = await ctx.call('GET', `/assumptions?role=${roleArn('deploy-bot')}&sourceAccount=${FOREIGN_ACCOUNT}`);
    expect(foreignOnly.json.items).toHaveLength(2);
    expect((await ctx.call('GET', `/assumptions?role=${roleArn('quiet-a')}`)).json).toEqual({ items: [] });
  });

  it('needs a role, source or source account, and the account of an ambiguous role name', async () => {
    expect((await ctx.call('GET', '/assumptions?since=2026-11-01')).json).toEqual({
      error: { field: 'role', reason: 'give role, source or sourceAccount: assumptions are read by one of them' },
    });
    expect((await ctx.call('GET', '/assumptions?role=deploy-bot')).json.error).toMatchObject({ field: 'account' });
  });

  it('exports assumptions as CSV', async () => {
    const answer = await ctx.call('GET', `/assumptions?source=${encodeURIComponent(MALLORY)}`, {
      headers: { accept: 'text/csv' },
    });
    const [header, ...rows] = answer.text.trimEnd().split('\r\n');
    expect(header).toBe('account,roleArn,source,sourceType,sourceAccount,firstSeen,lastSeen,count,regions,sampleIps');
    expect(rows).toHaveLength(2);
    expect(rows).toContain(
      `${ACCOUNT},arn:aws:iam::${ACCOUNT}:role/=1+2,${MALLORY},aws,${FOREIGN_ACCOUNT},2026-11-02T09:50:00.000Z,2026-11-02T09:50:00.000Z,1,us-east-1,203.0.113.50`,
    );
  });
});

describe('GET /summary', () => {
  it('counts open findings by severity and rule from the counters, and ranks the riskiest roles', async () => {
    const open = (await allPages(ctx.api, '/findings')).items;
    const answer = await ctx.call('GET', '/summary');
    expect(answer.status).toBe(200);
    const summary = answer.json;
    expect(summary.accounts).toEqual([ACCOUNT, FOREIGN_ACCOUNT]);
    expect(summary.open).toEqual({
      total: open.length,
      bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, open.filter((f) => f.severity === s).length])),
    });
    const byRule = summary.byRule as { ruleId: string; open: number; title: string }[];
    for (const rule of byRule) expect(rule.open).toBe(open.filter((f) => f.ruleId === rule.ruleId).length);
    expect(byRule.find((rule) => rule.ruleId === 'admin-policy-attached')?.title).toBe('Role given an administrator policy');
    const riskiest = summary.riskiestRoles as { roleName: string; openCritical: number; openHigh: number }[];
    expect(riskiest[0]).toMatchObject({ roleName: 'deploy-bot', openCritical: 1 });
    expect(riskiest.map((role) => role.roleName)).toContain(FORMULA_ROLE);
    // The engine records the newest event time (MONITOR/LAST-EVENT): the last event replayed, at 10:05.
    expect(summary.lastEventSeen).toEqual({ at: '2026-11-02T10:05:00.000Z', basis: 'recorded' });
  });

  it('covers one account on request', async () => {
    const foreign = (await ctx.call('GET', `/summary?account=${FOREIGN_ACCOUNT}`)).json;
    expect(foreign).toMatchObject({ accounts: [FOREIGN_ACCOUNT], open: { total: 0 }, riskiestRoles: [] });
  });

  it('derives the last event seen from the findings it read when the monitor has not recorded it', async () => {
    const fresh = await dynamo.newStores();
    const { call } = apiOver(fresh);
    expect((await call('GET', '/summary')).json).toEqual({
      accounts: [],
      open: { total: 0, bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } },
      byStatus: {
        open: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
        suppressed: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
        resolved: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
      },
      byRule: [],
      riskiestRoles: [],
    });
    const at = Date.parse('2026-11-03T07:00:00Z');
    await fresh.findings.record(draftOn(ACCOUNT, 'app', 'trust-unknown-account', 'high', at), { alert: false });
    const derived = (await call('GET', '/summary')).json;
    expect(derived).toMatchObject({ accounts: [ACCOUNT], open: { total: 1 } });
    expect(derived.lastEventSeen).toEqual({ at: '2026-11-03T07:00:00.000Z', basis: 'findings' });
    await fresh.table.put({ pk: keys.monitor(), sk: 'LAST-EVENT', at: Date.parse('2026-11-03T08:00:00Z') });
    expect((await call('GET', '/summary')).json.lastEventSeen).toEqual({ at: '2026-11-03T08:00:00.000Z', basis: 'recorded' });
  });
});

describe('a role known only from its assumptions', () => {
  let only: ReturnType<typeof apiOver>;
  const READER = roleArn('log-reader');

  beforeAll(async () => {
    const fresh = await dynamo.newStores();
    const engine = createDynamoEngine({ stores: fresh, config: validateConfig({}), iam: new StaticIamReader() });
    // One role with state, so the account is in the roles index; log-reader never changes in IAM, it is only assumed.
    for (const event of events(
      createRole('builder', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
      assumeRole(READER, MALLORY),
      assumeRole(READER, CI),
      assumeRole(roleArn('twin'), CI),
    ))
      await engine.process(event);
    await fresh.findings.record(
      draftOn(ACCOUNT, 'log-reader', 'trust-unknown-account', 'high', Date.parse('2026-11-02T10:00:00Z')),
      {
        alert: false,
      },
    );
    // `twin`: assumed only in one account, with state in another.
    await fresh.state.applyRoleChanges(FOREIGN_ACCOUNT, 'twin', roleArn('twin', FOREIGN_ACCOUNT), [
      { part: 'created', stamp: { at: Date.parse('2026-11-01T00:00:00Z'), eventId: 'foreign-twin' } },
    ]);
    only = apiOver(fresh);
  }, 60_000);

  it('is found by name as by ARN in /findings and /assumptions', async () => {
    for (const path of ['/findings', '/assumptions']) {
      const byArn = await only.call('GET', `${path}?role=${encodeURIComponent(READER)}`);
      const byName = await only.call('GET', `${path}?role=log-reader`);
      expect(byArn.status).toBe(200);
      expect(byArn.json.items?.length).toBeGreaterThan(0);
      expect(byName.status).toBe(200);
      expect(byName.json.items).toEqual(byArn.json.items);
    }
    expect((await only.call('GET', `/assumptions?role=log-reader&account=${ACCOUNT}`)).json.items).toHaveLength(2);
  });

  it('answers /roles/NAME with what is known: existence unknown, no policies, its findings', async () => {
    const answer = await only.call('GET', '/roles/log-reader');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      account: ACCOUNT,
      roleName: 'log-reader',
      arn: READER,
      exists: null,
      inlinePolicies: [],
      attachedPolicies: [],
      openFindings: expect.arrayContaining([expect.objectContaining({ ruleId: 'trust-unknown-account' })]),
    });
    expect(answer.json).not.toHaveProperty('trustPolicy');
    expect((await only.call('GET', `/roles/${encodeURIComponent(READER)}`)).status).not.toBe(500);
    expect((await only.call('GET', '/roles/log-reader/access')).status).toBe(200);
  });

  it('needs the account when the name is also a role of another account, and stays 404 for a name never seen', async () => {
    expect((await only.call('GET', '/roles/twin')).json).toEqual({
      error: { field: 'account', reason: `role twin exists in accounts ${ACCOUNT}, ${FOREIGN_ACCOUNT}: name one` },
    });
    expect((await only.call('GET', `/assumptions?role=twin&account=${ACCOUNT}`)).json.items).toHaveLength(1);
    expect((await only.call('GET', `/roles/twin?account=${ACCOUNT}`)).json).toMatchObject({ exists: null });
    expect((await only.call('GET', '/roles/nobody')).status).toBe(404);
    expect((await only.call('GET', '/findings?role=nobody')).json.items).toEqual([]);
  });
});
