import type { EventLedger } from '../../shared/ports/eventLedger';
import type { FindingStore } from '../../shared/ports/findingStore';
import type { StateStore } from '../../shared/ports/roleState';
import { liveParts } from '../../shared/roles/roleRecord';
import { MemoryStore } from '../../shared/store/MemoryStore';
import { useLocalDynamo } from '../support/dynamo';
import { findingOccurrence as occurrence } from '../support/findings';
import { ACCOUNT, assumeRole, attachRolePolicy, createRole, events, resetClock, trustDocument } from '../support/trail';

/**
 * The ports' contracts, held by every adapter: the in-memory store (`rolewatch evaluate`, tests) and the
 * DynamoDB stores (Lambda, the local monitor). A behaviour the engine relies on belongs here, so that the
 * two cannot drift apart; what only one adapter has (item sizes, summary counters, concurrent containers)
 * is tested with that adapter.
 */

interface Stores {
  state: StateStore;
  findings: FindingStore;
  ledger: EventLedger;
}

const dynamo = useLocalDynamo();

const ADAPTERS: [string, () => Promise<Stores>][] = [
  [
    'the memory store',
    async () => {
      const store = new MemoryStore();
      return { state: store, findings: store, ledger: store };
    },
  ],
  ['the DynamoDB stores', () => dynamo.newStores()],
];

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const OWN_ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;
const stamp = (at: number, eventId = `e${at}`) => ({ at, eventId });

beforeEach(() => resetClock());

describe.each(ADAPTERS)('%s', (_name, newStores) => {
  describe('StateStore', () => {
    it('stores each part of a role and reads the role back', async () => {
      const { state } = await newStores();
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [
        { part: 'created', stamp: stamp(1), by: 'arn:aws:iam::123456789012:user/alice' },
        { part: 'trust', stamp: stamp(1), document: trustDocument(OWN_ROOT), principals: [`AWS:${OWN_ROOT}`], initial: true },
        { part: 'attached', stamp: stamp(2), arn: READ_ONLY, attached: true },
        { part: 'inline', stamp: stamp(3), name: 'extra', document: '{"Version":"2012-10-17","Statement":[]}' },
        { part: 'boundary', stamp: stamp(4), arn: ADMIN },
      ]);
      const record = await state.getRole(ACCOUNT, 'app');
      expect(record?.arn).toBe(ROLE_ARN);
      expect(record?.created).toEqual({ ...stamp(1), by: 'arn:aws:iam::123456789012:user/alice' });
      expect(record?.lastChange).toEqual(stamp(4));
      expect(liveParts(record ?? fail('missing'))).toMatchObject({
        attached: [READ_ONLY],
        inline: [{ name: 'extra' }],
        boundary: ADMIN,
      });
      expect(await state.rolesWithPolicy(ACCOUNT, READ_ONLY)).toEqual(['app']);
    });

    it('keeps inline policies named like what every object inherits, and later changes to them', async () => {
      // Valid IAM policy names: as keys of a plain object, assignment or a plain read would hide them.
      const { state } = await newStores();
      const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
      const policy = (action: string) =>
        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"${action}","Resource":"*"}]}`;
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [
        { part: 'created', stamp: stamp(1) },
        ...names.map((name) => ({ part: 'inline' as const, stamp: stamp(2), name, document: policy('iam:*') })),
      ]);
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [
        { part: 'inline', stamp: stamp(3), name: 'constructor', document: policy('*') },
        { part: 'inline', stamp: stamp(3), name: 'toString', document: null },
      ]);
      const record = (await state.getRole(ACCOUNT, 'app')) ?? fail('missing');
      expect(Object.getPrototypeOf(record.inline)).toBe(Object.prototype);
      expect(liveParts(record).inline.map(({ name, document }) => [name, document])).toEqual([
        ['__proto__', policy('iam:*')],
        ['constructor', policy('*')],
        ['hasOwnProperty', policy('iam:*')],
      ]);
    });

    it('keeps the newest RoleLastUsed observation, unmoved by a retried or older read, without moving lastChange', async () => {
      const { state } = await newStores();
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [{ part: 'created', stamp: stamp(1) }]);
      const newest = { part: 'lastUsed' as const, stamp: stamp(100, 'reconcile-b'), usedAt: 90, region: 'eu-west-1' };
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [newest]);
      // The same step retried, then a slower run that read IAM earlier.
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [newest]);
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [{ part: 'lastUsed', stamp: stamp(50, 'reconcile-a'), usedAt: 40 }]);
      const record = await state.getRole(ACCOUNT, 'app');
      expect(record?.lastUsed).toEqual({ ...stamp(100, 'reconcile-b'), usedAt: 90, region: 'eu-west-1' });
      expect(record?.lastChange).toEqual(stamp(1));
      // A later read where IAM reports no use in its tracking period drops the date and the Region.
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [{ part: 'lastUsed', stamp: stamp(200, 'reconcile-c') }]);
      expect((await state.getRole(ACCOUNT, 'app'))?.lastUsed).toEqual(stamp(200, 'reconcile-c'));
    });

    it('never lets an older change overwrite a newer part, and ignores a repeat of the same change', async () => {
      const { state } = await newStores();
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [
        { part: 'attached', stamp: stamp(20), arn: ADMIN, attached: false },
      ]);
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [
        { part: 'attached', stamp: stamp(10), arn: ADMIN, attached: true },
      ]);
      await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [
        { part: 'attached', stamp: stamp(20), arn: ADMIN, attached: false },
      ]);
      const record = await state.getRole(ACCOUNT, 'app');
      expect(record?.attached[ADMIN]).toEqual({ ...stamp(20), attached: false });
      expect(await state.rolesWithPolicy(ACCOUNT, ADMIN)).toEqual([]);
    });

    it('keeps the trust policy and its predecessor whatever the arrival order', async () => {
      const versions = [1, 2, 3].map((n) => ({
        part: 'trust' as const,
        stamp: stamp(n * 10),
        document: `{"v":${n}}`,
        principals: [`AWS:p${n}`],
        initial: n === 1,
      }));
      for (const order of [
        [0, 1, 2],
        [2, 0, 1],
        [1, 2, 0],
      ]) {
        const { state } = await newStores();
        for (const i of order) await state.applyRoleChanges(ACCOUNT, 'app', ROLE_ARN, [versions[i] ?? fail('no version')]);
        const trust = (await state.getRole(ACCOUNT, 'app'))?.trust;
        expect(trust).toMatchObject({ document: '{"v":3}', previous: { at: 20, principals: ['AWS:p2'] } });
      }
    });

    it('returns a role history newest first, with the event for replays', async () => {
      const { state } = await newStores();
      const [first, second] = events(createRole('app', trustDocument(OWN_ROOT)), attachRolePolicy('app', ADMIN));
      for (const event of [second, first]) {
        if (!event) continue;
        await state.appendHistory({
          account: ACCOUNT,
          roleName: 'app',
          roleArn: ROLE_ARN,
          at: event.time,
          eventId: event.eventId,
          eventName: event.eventName,
          summary: event.eventName,
          event,
        });
      }
      const history = await state.roleHistory(ACCOUNT, 'app');
      expect(history.map((h) => h.eventName)).toEqual(['AttachRolePolicy', 'CreateRole']);
      expect(history[1]?.event?.request).toEqual(first?.request);
    });

    it('does not count the retry of the same assumption twice, and logs it once', async () => {
      const { state } = await newStores();
      const [event] = events(assumeRole(ROLE_ARN, `arn:aws:iam::${ACCOUNT}:role/ci`, { eventID: 'same' }));
      if (!event) throw new Error('no event');
      const observation = {
        account: ACCOUNT,
        roleArn: ROLE_ARN,
        source: 'arn:aws:iam::123456789012:role/ci',
        sourceType: 'aws' as const,
        sourceAccount: ACCOUNT,
        at: event.time,
        eventId: 'same',
        region: 'us-east-1',
        event,
      };
      expect(await state.isAssumptionRecorded(ACCOUNT, ROLE_ARN, event.time, 'same')).toBe(false);
      expect(await state.recordAssumptions([observation])).toEqual([]);
      expect(await state.recordAssumptions([observation, observation])).toEqual([]);
      expect((await state.getAssumption(ACCOUNT, ROLE_ARN, observation.source))?.count).toBe(1);
      expect((await state.assumptionsOf(ACCOUNT, ROLE_ARN)).map((e) => e.source)).toEqual([observation.source]);
      expect(await state.isAssumptionRecorded(ACCOUNT, ROLE_ARN, event.time, 'same')).toBe(true);
      // What judging the assumption again reads; the memory store drops the rest (a long replay keeps a week of them).
      const judged = ({ eventId, eventName, time, actor, request, sourceIp }: typeof event) => ({
        eventId,
        eventName,
        time,
        actor,
        request,
        sourceIp,
      });
      expect((await state.assumptionsBetween(ACCOUNT, ROLE_ARN, event.time, event.time + 1)).map(judged)).toEqual([
        judged(event),
      ]);
      expect(await state.assumptionsBetween(ACCOUNT, ROLE_ARN, event.time + 1, event.time + 60_000)).toEqual([]);
    });

    it('counts failed trust updates within the window only', async () => {
      const { state } = await newStores();
      const minute = 60_000;
      const counts = [];
      for (const at of [0, 2, 4, 30, 31].map((m) => m * minute))
        counts.push(await state.countTrustFailures(ACCOUNT, 'arn:x', at, `e${at}`, 15 * minute));
      expect(counts).toEqual([1, 2, 3, 1, 2]);
    });

    it('remembers the earliest event time it has seen', async () => {
      const { state } = await newStores();
      expect(await state.monitoringSince(500)).toBe(500);
      expect(await state.monitoringSince(900)).toBe(500);
      expect(await state.monitoringSince(100)).toBe(100);
    });

    it('notes the newest event of each kind, never moving back', async () => {
      const { state } = await newStores();
      expect(await state.lastEvents()).toEqual({});
      await state.noteLastEvent(5_000_000, 'assumption');
      await state.noteLastEvent(1_000_000, 'assumption');
      await state.noteLastEvent(2_000_000, 'iam-change');
      expect(await state.lastEvents()).toEqual({ assumption: 5_000_000, 'iam-change': 2_000_000 });
    });
  });

  describe('FindingStore', () => {
    it('keeps a sent alert sent when a repeat is recorded afterwards', async () => {
      const { findings } = await newStores();
      await findings.record(occurrence('e1', 1_000), { alert: true });
      await findings.markAlerted('f1', 1_500, 'high');
      const repeat = await findings.record(occurrence('e2', 2_000), { alert: true });
      expect(repeat.finding.alert).toEqual({ state: 'sent', sentAt: 1_500, severity: 'high' });
    });

    it('counts an occurrence once however many others came between its deliveries', async () => {
      const { findings } = await newStores();
      await findings.record(occurrence('e0', 1_000), { alert: true });
      for (let i = 1; i <= 30; i++) await findings.record(occurrence(`e${i}`, 1_000 + i), { alert: true });
      expect((await findings.record(occurrence('e0', 1_000), { alert: true })).transition).toBe('duplicate');
      expect(await findings.get('f1')).toMatchObject({ count: 31 });
    });

    it('lists open findings whose alert is pending, and no longer once marked sent', async () => {
      const { findings } = await newStores();
      await findings.record(occurrence('e1', 1_000), { alert: true });
      await findings.record(occurrence('e2', 2_000, { id: 'f2', severity: 'low' }), { alert: false });
      expect((await findings.pendingAlerts(['high', 'low'])).map((f) => f.id)).toEqual(['f1']);
      await findings.markAlerted('f1', 1_500, 'high');
      expect(await findings.pendingAlerts(['high', 'low'])).toEqual([]);
    });

    it('resolves the posture findings of a resource that no longer hold, and only those', async () => {
      const { findings } = await newStores();
      await findings.record(occurrence('e1', 1_000), { alert: true });
      await findings.record(occurrence('e2', 1_000, { id: 'f2', ruleId: 'trust-any-principal' }), { alert: true });
      const resolved = await findings.resolveMissing(ACCOUNT, ROLE_ARN, new Set(['f2']), 2_000, 'fixed');
      expect(resolved.map((f) => [f.id, f.status])).toEqual([['f1', 'resolved']]);
      expect(await findings.get('f2')).toMatchObject({ status: 'open' });
      expect(await findings.resolveMissing(ACCOUNT, ROLE_ARN, new Set(['f2']), 3_000, 'fixed')).toEqual([]);
    });

    it('works out what still holds only when the resource has findings, and then once', async () => {
      const { findings } = await newStores();
      const holding = jest.fn(() => new Set(['f2']));
      expect(await findings.resolveMissing(ACCOUNT, ROLE_ARN, holding, 2_000, 'fixed')).toEqual([]);
      expect(holding).not.toHaveBeenCalled();
      await findings.record(occurrence('e1', 1_000), { alert: true });
      await findings.record(occurrence('e2', 1_000, { id: 'f2', ruleId: 'trust-any-principal' }), { alert: true });
      await findings.record(occurrence('e3', 1_000, { id: 'f3', ruleId: 'wildcard-action' }), { alert: true });
      const resolved = await findings.resolveMissing(ACCOUNT, ROLE_ARN, holding, 2_000, 'fixed');
      expect(resolved.map((f) => [f.id, f.status]).sort()).toEqual([
        ['f1', 'resolved'],
        ['f3', 'resolved'],
      ]);
      expect(holding).toHaveBeenCalledTimes(1);
      expect(await findings.get('f2')).toMatchObject({ status: 'open' });
    });
  });

  describe('EventLedger', () => {
    it('remembers an event as processed, once marked', async () => {
      const { ledger } = await newStores();
      expect(await ledger.isProcessed('e1')).toBe(false);
      await ledger.markProcessed('e1', 1_000);
      await ledger.markProcessed('e1', 1_000);
      expect(await ledger.isProcessed('e1')).toBe(true);
      expect(await ledger.isProcessed('e2')).toBe(false);
    });
  });
});
