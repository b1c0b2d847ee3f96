import { BoundedCache } from '../../shared/boundedCache';

import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import type { TrailRecord } from '../../shared/syntheticTrail/records';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  detachRolePolicy,
  events,
  FOREIGN_ACCOUNT,
  iamRecord,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';

const HOUR = 3_600_000;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;

describe('BoundedCache', () => {
  it('keeps at most its limit and forgets the least recently used entry first', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([1, undefined, 3, 2]);
  });
});

describe('MemoryStore retention (replays in time order)', () => {
  /** Five hours of a role's changes and assumptions, one record every five minutes. */
  function day(): TrailRecord[] {
    resetClock('2026-11-02T00:00:00Z');
    const records: TrailRecord[] = [createRole('app', trustDocument(`arn:aws:iam::${ACCOUNT}:root`))];
    for (let i = 0; i < 20; i++) {
      records.push(attachRolePolicy('app', 'arn:aws:iam::aws:policy/AdministratorAccess'));
      records.push(assumeRole(ROLE_ARN, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/u${i % 3}`));
      records.push(detachRolePolicy('app', 'arn:aws:iam::aws:policy/AdministratorAccess'));
    }
    records.push(updateTrust('app', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)));
    return records;
  }

  async function replay(records: TrailRecord[], retentionMs?: number) {
    const context = createMemoryContext({
      config: validateConfig({}),
      ...(retentionMs !== undefined ? { retentionMs } : {}),
    });
    for (const event of events(...records)) await context.engine.process(event);
    return context;
  }

  it('forgets eventIDs and history an hour behind the newest event, and finds exactly what an unlimited store finds', async () => {
    const records = day();
    const unlimited = await replay(records);
    const retained = await replay(records, HOUR);
    expect(await retained.store.allFindings()).toEqual(await unlimited.store.allFindings());

    const [first] = events(records[1] as TrailRecord);
    const [last] = events(records[records.length - 2] as TrailRecord);
    expect(await unlimited.store.isProcessed(first?.eventId ?? '')).toBe(true);
    expect(await retained.store.isProcessed(first?.eventId ?? '')).toBe(false);
    expect(await retained.store.isProcessed(last?.eventId ?? '')).toBe(true);

    const full = await unlimited.store.roleHistory(ACCOUNT, 'app');
    const kept = await retained.store.roleHistory(ACCOUNT, 'app');
    expect(kept.length).toBeLessThan(full.length / 2);
    // Everything within the last hour is kept, and the newest entry before it of each part (creation, trust, the
    // attachment), which is where a rewind to a time within the hour starts from.
    const newest = full[0]?.at ?? 0;
    expect(kept.filter((entry) => entry.at >= newest - HOUR)).toEqual(full.filter((entry) => entry.at >= newest - HOUR));
    expect(kept.map((entry) => entry.eventName)).toContain('CreateRole');
  });

  it('judges an event arriving late within the retention as an unlimited store does', async () => {
    const records = day();
    const trustChange = records.pop() as TrailRecord;
    // The trust change, made 30 minutes before the last records, arrives after them.
    const late = { ...trustChange, eventTime: new Date(Date.parse(String(records.at(-1)?.eventTime)) - HOUR / 2).toISOString() };
    const unlimited = await replay([...records, late]);
    const retained = await replay([...records, late], HOUR);
    expect(await retained.store.allFindings()).toEqual(await unlimited.store.allFindings());
    expect(await retained.store.getRole(ACCOUNT, 'app')).toEqual(await unlimited.store.getRole(ACCOUNT, 'app'));
  });

  it('keeps no history of policies removed before the horizon, and judges a late change to them as an unlimited store does', async () => {
    resetClock('2026-11-02T00:00:00Z');
    const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const records: TrailRecord[] = [
      createRole('app', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
      putRolePolicy('app', 'extra', admin),
      attachRolePolicy('app', 'arn:aws:iam::aws:policy/AdministratorAccess'),
      iamRecord('DeleteRolePolicy', { roleName: 'app', policyName: 'extra' }),
      detachRolePolicy('app', 'arn:aws:iam::aws:policy/AdministratorAccess'),
    ];
    for (let i = 0; i < 36; i++) records.push(assumeRole(ROLE_ARN, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/u${i % 3}`));
    // A trust change after the late arrivals below: they are older than the role's newest change, so each is
    // judged by rewinding the role to its time from the history.
    records.push(updateTrust('app', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)));
    const unlimited = await replay(records);
    const retained = await replay(records, HOUR);
    // Creation and trust stay (a rewind starts from them); the policies removed three hours ago leave nothing.
    expect((await retained.store.roleHistory(ACCOUNT, 'app')).map((entry) => entry.eventName)).toEqual([
      'UpdateAssumeRolePolicy',
      'CreateRole',
    ]);

    // The policy and the attachment come back, each by a change made 30 minutes ago that arrives now.
    const lastTime = Date.parse(String(records.at(-1)?.eventTime));
    expect(lastTime - Date.parse(String(records[4]?.eventTime))).toBeGreaterThan(2 * HOUR);
    const lateAt = (minutes: number) => ({ eventTime: new Date(lastTime - minutes * 60_000).toISOString() });
    const late = [
      { ...putRolePolicy('app', 'extra', admin), ...lateAt(30) },
      { ...attachRolePolicy('app', 'arn:aws:iam::aws:policy/AdministratorAccess'), ...lateAt(25) },
    ];
    for (const event of events(...late)) {
      const [fromUnlimited, fromRetained] = [await unlimited.engine.process(event), await retained.engine.process(event)];
      expect(fromRetained).toEqual(fromUnlimited);
      expect(fromRetained.findings.map((recorded) => recorded.finding.ruleId)).toEqual(
        expect.arrayContaining(
          event.eventName === 'PutRolePolicy' ? ['admin-equivalent-inline-policy'] : ['admin-policy-attached'],
        ),
      );
    }
    expect(await retained.store.allFindings()).toEqual(await unlimited.store.allFindings());
    expect(await retained.store.getRole(ACCOUNT, 'app')).toEqual(await unlimited.store.getRole(ACCOUNT, 'app'));
  });
});
