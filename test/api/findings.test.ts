import { cursorKeyOf } from '../../shared/api/cursor';
import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, type DynamoStores } from '../../shared/context';
import { SEVERITIES, type Severity } from '../../shared/findings/severity';
import { StaticIamReader } from '../../shared/iam/reader';
import { DynamoReportStore } from '../../shared/store/dynamo/DynamoReportStore';
import { useLocalDynamo } from '../support/dynamo';
import { ocsfErrors } from '../support/ocsf';
import {
  ACCOUNT,
  attachRolePolicy,
  createRole,
  events,
  FOREIGN_ACCOUNT,
  putRolePolicy,
  resetClock,
  trustDocument,
} from '../support/trail';
import { allPages, apiOver, draftOn } from './support';

const dynamo = useLocalDynamo();

const T0 = Date.parse('2026-10-01T00:00:00Z');
const MINUTE = 60_000;
const RULES_BY_SEVERITY: Record<Severity, string> = {
  critical: 'admin-policy-attached',
  high: 'trust-unknown-account',
  medium: 'service-wildcard-permissions',
  low: 'change-outside-iac',
  info: 'iam-change-recorded',
};

interface Seeded {
  id: string;
  severity: Severity;
  status: 'open' | 'resolved' | 'suppressed';
  at: number;
  account: string;
  ruleId: string;
}

/**
 * 45 findings through the real finding store: severities in turn, one a minute, on six roles of two
 * accounts; every seventh resolved and every eleventh suppressed afterwards.
 */
async function seed(stores: DynamoStores): Promise<Seeded[]> {
  const seeded: Seeded[] = [];
  for (let i = 0; i < 45; i++) {
    const severity = SEVERITIES[i % SEVERITIES.length] ?? 'low';
    const account = i % 3 === 0 ? FOREIGN_ACCOUNT : ACCOUNT;
    const ruleId = i % 4 === 0 ? 'passrole-any-resource' : RULES_BY_SEVERITY[severity];
    const draft = draftOn(account, `app-${i % 6}`, ruleId, severity, T0 + i * MINUTE, `q${i}`);
    const { finding } = await stores.findings.record(draft, { alert: false });
    seeded.push({ id: finding.id, severity, status: 'open', at: draft.at, account, ruleId });
  }
  for (const [i, entry] of seeded.entries()) {
    if (i % 7 === 3) {
      const others = new Set(seeded.filter((_, j) => j !== i).map((other) => other.id));
      await stores.findings.resolveMissing(entry.account, `arn:aws:iam::${entry.account}:role/app-${i % 6}`, others, T0, 'gone');
      entry.status = 'resolved';
    } else if (i % 11 === 5) {
      await stores.findings.suppress(entry.id, { reason: 'accepted', by: 'seed' });
      entry.status = 'suppressed';
    }
  }
  return seeded;
}

const newestFirst = (list: Seeded[]) => [...list].sort((a, b) => b.at - a.at).map((entry) => entry.id);

describe('GET /findings', () => {
  let stores: DynamoStores;
  let seeded: Seeded[];
  let ctx: ReturnType<typeof apiOver>;

  beforeAll(async () => {
    stores = await dynamo.newStores();
    seeded = await seed(stores);
    ctx = apiOver(stores);
  }, 60_000);

  it('lists open findings of every severity newest first, across pages with no duplicate and no gap', async () => {
    const { pages, items } = await allPages(ctx.api, '/findings?limit=4');
    const open = seeded.filter((entry) => entry.status === 'open');
    expect(items.map((item) => item.id)).toEqual(newestFirst(open));
    expect(new Set(items.map((item) => item.id)).size).toBe(open.length);
    expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
    expect(new Set(items.map((item) => item.severity)).size).toBe(5);
    expect(items.every((item) => item.status === 'open')).toBe(true);
  });

  it('answers 50 per page by default and says there is no further page on the last one', async () => {
    const answer = await ctx.call('GET', '/findings');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.json.items).toHaveLength(seeded.filter((entry) => entry.status === 'open').length);
    expect(answer.json).not.toHaveProperty('cursor');
  });

  it('merges the partitions of several severities into one newest-first order', async () => {
    const { items } = await allPages(ctx.api, '/findings?severity=critical,info&limit=3');
    const expected = seeded.filter((e) => e.status === 'open' && (e.severity === 'critical' || e.severity === 'info'));
    expect(items.map((item) => item.id)).toEqual(newestFirst(expected));
    const repeated = await allPages(ctx.api, '/findings?severity=info&severity=critical&limit=3');
    expect(repeated.items).toEqual(items);
  });

  it('filters by status, one or several', async () => {
    const suppressed = await allPages(ctx.api, '/findings?status=suppressed&limit=2');
    expect(suppressed.items.map((item) => item.id)).toEqual(newestFirst(seeded.filter((e) => e.status === 'suppressed')));
    expect(suppressed.items.every((item) => (item.suppression as { by: string }).by === 'seed')).toBe(true);
    const closed = await allPages(ctx.api, '/findings?status=resolved,suppressed&limit=3');
    expect(closed.items.map((item) => item.id)).toEqual(newestFirst(seeded.filter((e) => e.status !== 'open')));
  });

  it('filters by rule after reading, still filling every page but the last', async () => {
    const { pages, items } = await allPages(ctx.api, '/findings?rule=passrole-any-resource&limit=2');
    const expected = seeded.filter((e) => e.status === 'open' && e.ruleId === 'passrole-any-resource');
    expect(items.map((item) => item.id)).toEqual(newestFirst(expected));
    expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
  });

  it('filters by a compliance id: the findings of the rules that evidence it, each showing its ids', async () => {
    const { items } = await allPages(ctx.api, '/findings?control=CIS-5.0-1.15&limit=2');
    const expected = seeded.filter((e) => e.status === 'open' && e.ruleId === 'admin-policy-attached');
    expect(expected.length).toBeGreaterThan(0);
    expect(items.map((item) => item.id)).toEqual(newestFirst(expected));
    expect(items.every((item) => (item.controls as string[]).includes('CIS-5.0-1.15'))).toBe(true);
    const attack = await allPages(ctx.api, '/findings?control=ATTACK-T1548.005&limit=5');
    expect(attack.items.map((item) => item.id)).toEqual(
      newestFirst(seeded.filter((e) => e.status === 'open' && e.ruleId === 'passrole-any-resource')),
    );
  });

  it('answers OCSF Detection Findings on Accept: application/ocsf+json or format=ocsf, valid against the class', async () => {
    const byHeader = await ctx.call('GET', '/findings?limit=3', { headers: { accept: 'application/ocsf+json' } });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers['content-type']).toBe('application/ocsf+json; charset=utf-8');
    const page = JSON.parse(byHeader.text) as { items: Record<string, unknown>[]; cursor?: string };
    expect(page.items).toHaveLength(3);
    expect(page.cursor).toEqual(expect.any(String));
    for (const record of page.items) expect(ocsfErrors(record)).toEqual([]);
    const json = await ctx.call('GET', '/findings?limit=3');
    expect(page.items.map((item) => (item.finding_info as { uid: string }).uid)).toEqual(json.json.items?.map((item) => item.id));
    const byParam = await ctx.call('GET', '/findings?limit=3&format=ocsf');
    expect(byParam.text).toBe(
      byHeader.text.replace(/"cursor":"[^"]+"/, `"cursor":"${(JSON.parse(byParam.text) as { cursor: string }).cursor}"`),
    );
    const id = json.json.items?.[0]?.id as string;
    const one = await ctx.call('GET', `/findings/${id}`, {
      headers: { accept: 'application/json;q=0.5, application/ocsf+json' },
    });
    expect(one.headers['content-type']).toBe('application/ocsf+json; charset=utf-8');
    expect(ocsfErrors(JSON.parse(one.text))).toEqual([]);
    const plain = await ctx.call('GET', `/findings/${id}`, {
      headers: { accept: 'application/json, application/ocsf+json;q=0.9' },
    });
    expect(plain.json.id).toBe(id);
  });

  it('answers no findings when the rule and the control filters have no rule in common', async () => {
    const answer = await ctx.call('GET', '/findings?control=CIS-5.0-1.15&rule=passrole-any-resource');
    expect(answer.status).toBe(200);
    expect(answer.json.items).toEqual([]);
  });

  it('filters by account on the index key', async () => {
    const { items } = await allPages(ctx.api, `/findings?account=${FOREIGN_ACCOUNT}&severity=high,medium&limit=2`);
    const expected = seeded.filter(
      (e) => e.status === 'open' && e.account === FOREIGN_ACCOUNT && (e.severity === 'high' || e.severity === 'medium'),
    );
    expect(items.map((item) => item.id)).toEqual(newestFirst(expected));
  });

  it('filters by since, a date or a date-time, as a key condition', async () => {
    const cut = T0 + 30 * MINUTE;
    const expected = newestFirst(seeded.filter((e) => e.status === 'open' && e.at >= cut));
    const { items } = await allPages(ctx.api, `/findings?since=${new Date(cut).toISOString()}&limit=3`);
    expect(items.map((item) => item.id)).toEqual(expected);
    const offset = await allPages(ctx.api, `/findings?since=2026-10-01T02:30:00%2B02:00&limit=50`);
    expect(offset.items.map((item) => item.id)).toEqual(expected);
    expect((await ctx.call('GET', '/findings?since=2026-10-02')).json.items).toEqual([]);
    expect((await ctx.call('GET', '/findings?since=2026-09-30')).json.items).toHaveLength(
      seeded.filter((e) => e.status === 'open').length,
    );
  });

  it('filters by role ARN, reading the findings of that role only', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/app-1`;
    const { items } = await allPages(
      ctx.api,
      `/findings?role=${encodeURIComponent(arn)}&status=open,resolved,suppressed&limit=2`,
    );
    const expected = seeded.filter((e, i) => e.account === ACCOUNT && i % 6 === 1);
    expect(items.map((item) => item.id)).toEqual(newestFirst(expected));
    expect(items.every((item) => item.resource === arn)).toBe(true);
  });

  it('returns one finding by id with its times as ISO 8601 and no internals', async () => {
    const entry = seeded.find((e) => e.status === 'open' && e.ruleId === 'admin-policy-attached');
    const answer = await ctx.call('GET', `/findings/${entry?.id}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      id: entry?.id,
      severity: 'critical',
      status: 'open',
      ruleId: entry?.ruleId,
      openedAt: new Date(entry?.at ?? 0).toISOString(),
      firstSeen: new Date(entry?.at ?? 0).toISOString(),
      count: 1,
      title: 'Role given an administrator policy',
      alert: { state: 'none' },
    });
    expect(answer.json).not.toHaveProperty('recentEventIds');
  });

  it('answers CSV on Accept: text/csv, with the cursor in a header', async () => {
    const answer = await ctx.call('GET', '/findings?limit=3', { headers: { accept: 'text/csv' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    const lines = answer.text.split('\r\n');
    expect(lines[0]).toBe(
      'id,status,severity,ruleId,title,account,resource,roleName,detail,openedAt,firstSeen,lastSeen,count,actor,suppressedBy,suppressionReason,suppressedUntil,controls',
    );
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
    const cursor = answer.headers['x-next-cursor'];
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const json = await ctx.call('GET', '/findings?limit=3');
    expect(cursor).toBe(json.json.cursor);
    expect(lines[1]?.startsWith(`${json.json.items?.[0]?.id},open,`)).toBe(true);
  });

  it('prefers JSON unless CSV is rated higher', async () => {
    for (const accept of ['*/*', 'application/json', 'text/csv;q=0.5, application/json', 'text/html']) {
      const answer = await ctx.call('GET', '/findings?limit=1', { headers: { accept } });
      expect({ accept, type: answer.headers['content-type'] }).toEqual({ accept, type: 'application/json; charset=utf-8' });
    }
    // A content type on a request without a body is not looked at.
    expect((await ctx.call('GET', '/findings?limit=1', { headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    const csv = await ctx.call('GET', '/findings?limit=1', { headers: { accept: 'application/json;q=0.2, text/csv' } });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  });
});

describe('finding decisions', () => {
  it('suppresses with reason, caller and end date, then re-opens, moving the summary counters each time', async () => {
    const stores = await dynamo.newStores();
    const { call } = apiOver(stores, { now: () => Date.parse('2026-11-02T10:00:00Z') });
    const { finding } = await stores.findings.record(draftOn(ACCOUNT, 'app', 'trust-unknown-account', 'high', T0), {
      alert: true,
    });
    await stores.state.applyRoleChanges(ACCOUNT, 'app', finding.resource, [
      { part: 'created', stamp: { at: T0, eventId: 'e0' } },
    ]);
    const openHigh = async () =>
      ((await call('GET', '/summary')).json.open as { bySeverity: Record<Severity, number> }).bySeverity.high;
    expect(await openHigh()).toBe(1);

    const suppressed = await call('POST', `/findings/${finding.id}/suppress`, {
      body: { reason: 'vendor access reviewed', until: '2027-01-31' },
      headers: { 'content-type': 'application/json' },
      caller: 'arn:aws:iam::123456789012:user/alice',
    });
    expect(suppressed.status).toBe(200);
    expect(suppressed.json).toMatchObject({
      id: finding.id,
      status: 'suppressed',
      suppression: { reason: 'vendor access reviewed', by: 'arn:aws:iam::123456789012:user/alice', until: '2027-01-31' },
      alert: { state: 'none' },
    });
    expect(await openHigh()).toBe(0);
    expect((await call('GET', '/findings?status=suppressed')).json.items?.map((item) => item.id)).toEqual([finding.id]);
    const summary = (await call('GET', '/summary')).json;
    expect(summary.byStatus).toMatchObject({ suppressed: { high: 1 }, open: { high: 0 } });
    expect(summary.byRule).toEqual([expect.objectContaining({ ruleId: 'trust-unknown-account', open: 0, suppressed: 1 })]);

    const reopened = await call('POST', `/findings/${finding.id}/reopen`);
    expect(reopened.status).toBe(200);
    expect(reopened.json.status).toBe('open');
    expect(reopened.json).not.toHaveProperty('suppression');
    expect(await openHigh()).toBe(1);
    expect((await call('GET', '/findings')).json.items?.map((item) => item.id)).toEqual([finding.id]);
  });

  it('refuses a suppression without a reason, with a past end date, or with a body that is not JSON', async () => {
    const stores = await dynamo.newStores();
    const { call } = apiOver(stores, { now: () => Date.parse('2026-11-02T10:00:00Z') });
    const { finding } = await stores.findings.record(draftOn(ACCOUNT, 'app', 'trust-unknown-account', 'high', T0), {
      alert: false,
    });
    const suppress = async (body: string | Record<string, unknown> | undefined, headers: Record<string, string> = {}) => {
      const answer = await call('POST', `/findings/${finding.id}/suppress`, { ...(body !== undefined ? { body } : {}), headers });
      expect(answer.status).toBe(400);
      return answer;
    };
    expect((await suppress({})).json).toEqual({ error: { field: 'reason', reason: 'is required' } });
    expect((await suppress({ reason: '   ' })).json).toEqual({ error: { field: 'reason', reason: 'is required' } });
    expect((await suppress({ reason: 'ok', until: '2026-11-01' })).json).toEqual({
      error: { field: 'until', reason: 'is in the past' },
    });
    expect((await suppress({ reason: 'ok', until: '2027-02-30' })).json).toEqual({
      error: { field: 'until', reason: 'must be a date like 2027-01-31' },
    });
    expect((await suppress({ reason: 'ok', by: 'someone else' })).json).toEqual({
      error: { field: 'by', reason: 'is not a known field' },
    });
    expect((await suppress('{"reason": "ok"')).json).toEqual({ error: { field: 'body', reason: 'is not JSON' } });
    expect((await suppress(undefined)).json).toEqual({ error: { field: 'body', reason: 'is required: a JSON object' } });
    expect((await suppress('"ok"')).json).toEqual({
      error: { field: 'body', reason: 'Invalid input: expected object, received string' },
    });
    expect((await suppress({ reason: 'ok' }, { 'content-type': 'text/plain' })).json).toEqual({
      error: { field: 'content-type', reason: 'must be application/json' },
    });
    expect((await stores.findings.get(finding.id))?.status).toBe('open');
  });

  it('answers 404 for a finding that does not exist, whatever the operation', async () => {
    const stores = await dynamo.newStores();
    const { call } = apiOver(stores);
    const unknown = `${ACCOUNT}-AAAAAAAAAAAAAAAAAAAAAA`;
    for (const [method, path, body] of [
      ['GET', `/findings/${unknown}`, undefined],
      ['POST', `/findings/${unknown}/suppress`, { reason: 'x' }],
      ['POST', `/findings/${unknown}/reopen`, undefined],
    ] as const) {
      const answer = await call(method, path, body ? { body } : {});
      expect({ path, status: answer.status, body: answer.json }).toEqual({
        path,
        status: 404,
        body: { error: { reason: `no finding ${unknown}` } },
      });
    }
  });
});

describe('bad requests', () => {
  let ctx: ReturnType<typeof apiOver>;
  let stores: DynamoStores;

  beforeAll(async () => {
    stores = await dynamo.newStores();
    ctx = apiOver(stores);
    for (let i = 0; i < 6; i++)
      await stores.findings.record(draftOn(ACCOUNT, 'app', 'trust-unknown-account', i % 2 ? 'high' : 'low', T0 + i, `q${i}`), {
        alert: false,
      });
  });

  it.each([
    ['/findings?limit=0', 'limit', 'must be between 1 and 200'],
    ['/findings?limit=201', 'limit', 'must be between 1 and 200'],
    ['/findings?limit=abc', 'limit', 'Invalid input: expected number, received NaN'],
    ['/findings?limit=2.5', 'limit', 'must be a whole number'],
    ['/findings?severity=urgent', 'severity', 'Invalid option: expected one of "critical"|"high"|"medium"|"low"|"info"'],
    ['/findings?severity=,', 'severity', 'give one or more of critical, high, medium, low, info'],
    ['/findings?status=closed', 'status', 'Invalid option: expected one of "open"|"suppressed"|"resolved"'],
    ['/findings?since=2027-02-30', 'since', 'must be a date like 2026-11-02 or a date-time like 2026-11-02T09:00:00Z'],
    ['/findings?since=yesterday', 'since', 'must be a date like 2026-11-02 or a date-time like 2026-11-02T09:00:00Z'],
    ['/findings?rule=no-such-rule', 'rule', expect.stringMatching(/^Invalid option: expected one of "/)],
    ['/findings?control=CIS-5.0-9.9', 'control', expect.stringMatching(/^is not a control id RoleWatch maps/)],
    ['/findings?control=%3Cscript%3E', 'control', expect.stringMatching(/^is not a control id RoleWatch maps/)],
    ['/findings?format=xml', 'format', expect.stringMatching(/^Invalid option/)],
    ['/findings?account=12345', 'account', 'must be a 12-digit AWS account id'],
    ['/findings?role=has%20space', 'role', 'must be an IAM role name or role ARN'],
    ['/findings?sevrity=high', 'sevrity', 'is not a known parameter'],
    ['/findings?cursor=not*base64', 'cursor', 'is not a valid cursor'],
    ['/findings?cursor=AAAA', 'cursor', 'is not a valid cursor'],
    ['/findings/not-an-id', 'id', 'is not a finding id'],
    ['/roles?limit=-1', 'limit', 'must be between 1 and 200'],
    ['/roles/bad%20name', 'name', 'must be an IAM role name'],
    [
      '/assumptions?since=2026-13-01&role=app',
      'since',
      'must be a date like 2026-11-02 or a date-time like 2026-11-02T09:00:00Z',
    ],
    ['/summary?account=abc', 'account', 'must be a 12-digit AWS account id'],
  ])('GET %s → 400 on %s', async (target, field, reason) => {
    const answer = await ctx.call('GET', target);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: { field, reason } });
  });

  it('refuses a cursor that was modified, with 400 naming the cursor', async () => {
    const first = await ctx.call('GET', '/findings?limit=2&severity=high,low');
    const cursor = first.json.cursor ?? '';
    const bytes = Buffer.from(cursor, 'base64url');
    const tampered = Buffer.from(bytes);
    // Move the position inside the payload (after the 32-byte MAC): the MAC no longer matches.
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 1;
    const flippedMac = Buffer.from(bytes);
    flippedMac[0] = (flippedMac[0] ?? 0) ^ 1;
    for (const bad of [tampered.toString('base64url'), flippedMac.toString('base64url'), `${cursor}A`, cursor.slice(0, -2)]) {
      const answer = await ctx.call('GET', `/findings?limit=2&severity=high,low&cursor=${bad}`);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: { field: 'cursor', reason: 'is not a valid cursor' } });
    }
    expect((await ctx.call('GET', `/findings?limit=2&severity=low,high&cursor=${cursor}`)).status).toBe(200);
  });

  it('refuses a cursor issued for other filters or another list', async () => {
    const findings = await ctx.call('GET', '/findings?limit=2&severity=high,low');
    const cursor = findings.json.cursor ?? '';
    const foreign = {
      error: { field: 'cursor', reason: 'was issued for another query: give the same filters as the first page' },
    };
    for (const target of [
      `/findings?limit=2&severity=high&cursor=${cursor}`,
      `/findings?limit=2&severity=high,low&status=open,resolved&cursor=${cursor}`,
      `/findings?limit=2&severity=high,low&account=${ACCOUNT}&cursor=${cursor}`,
      `/roles?cursor=${cursor}`,
      `/roles/app/history?cursor=${cursor}`,
    ]) {
      const answer = await ctx.call('GET', target);
      expect({ target, status: answer.status, body: answer.json }).toEqual({ target, status: 400, body: foreign });
    }
    // The limit may change from page to page.
    expect((await ctx.call('GET', `/findings?limit=5&severity=high,low&cursor=${cursor}`)).json.items).toHaveLength(4);
  });

  it('refuses a cursor signed with another table key', async () => {
    const other = apiOver(await dynamo.newStores());
    await stores.findings.record(draftOn(ACCOUNT, 'x', 'trust-unknown-account', 'high', T0), { alert: false });
    const cursor = (await ctx.call('GET', '/findings?limit=1')).json.cursor;
    const answer = await other.call('GET', `/findings?limit=1&cursor=${cursor}`);
    expect(answer.json).toEqual({ error: { field: 'cursor', reason: 'is not a valid cursor' } });
  });

  it('answers 404 for an unknown route and 405 for a known one with another method', async () => {
    for (const [method, path] of [
      ['GET', '/nothing'],
      ['GET', '/'],
      ['GET', '/findings/x/y/z'],
      ['POST', '/findings/x/delete'],
    ]) {
      const answer = await ctx.call(method ?? 'GET', path ?? '/');
      expect({ path, status: answer.status, body: answer.json }).toEqual({
        path,
        status: 404,
        body: { error: { reason: 'no such resource' } },
      });
    }
    const wrong = await ctx.call('DELETE', '/findings');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
    expect((await ctx.call('GET', `/findings/${ACCOUNT}-AAAAAAAAAAAAAAAAAAAAAA/suppress`)).headers.allow).toBe('POST');
  });

  it('answers 500 with the request id when the store fails, logging the error and never sending it', async () => {
    const failing = apiOver(stores);
    jest.spyOn(failing.reports, 'listFindings').mockRejectedValue(new Error('ProvisionedThroughputExceededException at x.js:1'));
    const answer = await failing.call('GET', '/findings');
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({ error: { reason: 'internal error', requestId: 'test-request' } });
    expect(answer.text).not.toMatch(/Provisioned|x\.js|stack/);
    expect(failing.logged).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ requestId: 'test-request', error: expect.any(Error) }) }),
    ]);
  });
});

describe('findings of roles RoleWatch watched change', () => {
  it('lists the findings of a role by name, through the engine, and of no other role', async () => {
    resetClock();
    const stores = await dynamo.newStores();
    const engine = createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
    const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
    for (const event of events(
      createRole('deploy-bot', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)),
      attachRolePolicy('deploy-bot', admin),
      createRole('reader', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
      putRolePolicy('reader', 'wide', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    ))
      await engine.process(event);
    const { api, call } = apiOver(stores);
    const { items } = await allPages(api, '/findings?role=deploy-bot&limit=2');
    expect(new Set(items.map((item) => item.roleName))).toEqual(new Set(['deploy-bot']));
    expect(items.map((item) => item.ruleId)).toEqual(
      expect.arrayContaining(['admin-policy-attached', 'trust-unknown-account', 'new-role-gets-admin']),
    );
    const opened = items.map((item) => String(item.openedAt));
    expect(opened).toEqual([...opened].sort().reverse());
    const critical = await call('GET', '/findings?role=deploy-bot&severity=critical');
    expect(critical.json.items?.map((item) => item.ruleId)).toEqual(['admin-policy-attached']);
    expect((await call('GET', `/findings?role=deploy-bot&account=${FOREIGN_ACCOUNT}`)).json.items).toEqual([]);
    expect((await call('GET', '/findings?role=nobody')).json.items).toEqual([]);
    const wide = await call('GET', '/findings?role=reader&rule=service-wildcard-permissions');
    expect(wide.json.items?.map((item) => item.ruleId)).toEqual(['service-wildcard-permissions']);
  });
});

describe('cursor key', () => {
  it('is created once per table, whichever container asks first, and kept in the MONITOR item', async () => {
    const stores = await dynamo.newStores();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => cursorKeyOf(new DynamoReportStore(stores))()));
    expect(a).toHaveLength(32);
    expect(Buffer.from(b ?? [])).toEqual(Buffer.from(a ?? []));
    expect(Buffer.from(c ?? [])).toEqual(Buffer.from(a ?? []));
    const item = await stores.table.get({ pk: 'MONITOR', sk: 'CURSOR-KEY' });
    expect(Buffer.from(item?.key as Uint8Array)).toEqual(Buffer.from(a ?? []));
  });
});
