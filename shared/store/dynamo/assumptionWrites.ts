import { SAMPLE_IPS } from '../../engine/assumptionBatch';
import type { AssumptionFailure, AssumptionObservation } from '../../ports/roleState';
import { type DynamoTable, type Item, type Key, LOST_RACE, untilWritten } from './DynamoTable';
import { StoredTexts } from './documents';
import { keys, timeKey } from './keys';

const DAY = 86_400_000;
/** Reads and writes of one edge before giving up on it (another writer changed it each time in between). */
const ATTEMPTS = 8;

export interface AssumptionWriteOptions {
  /** How long each assumption's log entry (its mark of processed) is kept, from its write. */
  ledgerTtlDays: number;
  sampleIps?: number;
  now?: () => number;
}

/**
 * Exactly-once assumption counting without a transaction per event.
 *
 * Each edge item (`ASSUMED#<account>#<role>` / source) carries a version `v` and `pending`: the log keys of the
 * assumptions it has counted whose log entries (`ASSUMPTIONS#<account>#<role>` / `<time>#<eventID>`, the marks
 * of processed) may not be written yet, each with the expiry its log entry gets. For the assumptions of one edge:
 *
 * 1. read the edge (strongly consistent), then the log entries of these assumptions and of the pending ones;
 * 2. the assumptions neither logged nor pending are counted, in one conditional update of the edge (`v` as
 *    read): count, first and last seen, regions, sample IPs, and `pending` set to them plus the pending ones
 *    not logged yet (the logged ones are dropped here, so `pending` stays about one batch long);
 * 3. every assumption not logged yet is logged (BatchWriteItem, unconditional).
 *
 * A failure or a timeout after 2 leaves the assumptions pending on the edge: their retry finds them there and
 * logs them without counting them again. Two writers of one edge cannot both count an assumption: the second
 * update is refused (`v` changed) and its next read finds the assumption pending or logged. The edge is read
 * before the log so that an assumption dropped from `pending` (because it was logged) cannot look new.
 * A pending entry is kept as long as the log entry would be (the ledger forgets a redelivery after as long).
 *
 * Cost per batch: one write of each edge (its size, about 60 bytes per pending assumption) and one write unit
 * per assumption (its log entry, under 1 KB), instead of a two-item transaction (4 units) per assumption.
 */
export async function recordAssumptionsInEdges(
  table: DynamoTable,
  observations: readonly AssumptionObservation[],
  options: AssumptionWriteOptions,
): Promise<AssumptionFailure[]> {
  const failures: AssumptionFailure[] = [];
  // One edge after the other: the order of requests stays that of the batch (fault tests count on it).
  for (const group of byEdge(observations).values()) {
    try {
      await recordEdge(table, group, options);
    } catch (error) {
      for (const o of group.values()) failures.push({ eventId: o.eventId, error });
    }
  }
  return failures;
}

/** The observations by edge, each edge's by log sort key (a repeated event once). */
function byEdge(observations: readonly AssumptionObservation[]): Map<string, Map<string, AssumptionObservation>> {
  const groups = new Map<string, Map<string, AssumptionObservation>>();
  for (const o of observations) {
    const edge = `${o.account}\u0000${o.roleArn}\u0000${o.source}`;
    let group = groups.get(edge);
    if (!group) {
      group = new Map();
      groups.set(edge, group);
    }
    group.set(logSort(o.at, o.eventId), o);
  }
  return groups;
}

async function recordEdge(
  table: DynamoTable,
  group: Map<string, AssumptionObservation>,
  options: AssumptionWriteOptions,
): Promise<void> {
  const [first] = group.values();
  if (!first) return;
  const edgeKey: Key = { pk: keys.edges(first.account, first.roleArn), sk: first.source };
  const logPk = keys.assumptionLog(first.account, first.roleArn);
  const texts = new StoredTexts(table);
  const now = options.now?.() ?? Date.now();
  let attempt = 0;
  await untilWritten(
    `record ${group.size} assumption(s) of ${first.roleArn} by ${first.source}`,
    async () => {
      if (attempt++ > 0) await backOff(attempt);
      // The edge first, then the log (see above).
      const item = await table.get(edgeKey);
      const pending = pendingOf(item, now);
      const logged = await loggedAmong(table, logPk, new Set([...group.keys(), ...pending.keys()]));
      const unlogged = [...group].filter(([sk]) => !logged.has(sk));
      if (unlogged.length === 0) return undefined;
      const fresh = unlogged.filter(([sk]) => !pending.has(sk)).map(([, o]) => o);
      if (fresh.length > 0) {
        for (const sk of pending.keys()) if (logged.has(sk)) pending.delete(sk);
        for (const o of fresh) pending.set(logSort(o.at, o.eventId), logExpiry(o, now, options));
        const update = edgeUpdate(item, fresh, pending, options.sampleIps ?? SAMPLE_IPS);
        if ((await table.update(edgeKey, update)) === undefined) return LOST_RACE;
      }
      const entries = await Promise.all(unlogged.map(([sk, o]) => logEntry(texts, logPk, sk, o, logExpiry(o, now, options))));
      await table.batchPut(entries);
      return undefined;
    },
    ATTEMPTS,
  );
}

/** The sort key of an assumption's log entry. */
export function logSort(at: number, eventId: string): string {
  return `${timeKey(at)}#${eventId}`;
}

/** When an assumption's log entry expires (epoch seconds): the ledger's lifetime after its write. */
function logExpiry(o: AssumptionObservation, now: number, options: AssumptionWriteOptions): number {
  return Math.floor((Math.max(now, o.at) + options.ledgerTtlDays * DAY) / 1000);
}

/** The edge's pending assumptions (log sort key → expiry), those whose log entry would have expired left out. */
function pendingOf(item: Item | undefined, now: number): Map<string, number> {
  const pending = new Map<string, number>();
  const stored = item?.pending;
  if (stored && typeof stored === 'object')
    for (const [sk, expiry] of Object.entries(stored as Record<string, unknown>))
      if (Number(expiry) * 1000 > now) pending.set(sk, Number(expiry));
  return pending;
}

/** Which of these log entries exist. */
async function loggedAmong(table: DynamoTable, pk: string, sorts: ReadonlySet<string>): Promise<Set<string>> {
  if (sorts.size === 0) return new Set();
  const items = await table.batchGet(
    [...sorts].map((sk) => ({ pk, sk })),
    { attributes: ['sk'] },
  );
  return new Set(items.map((item) => String(item.sk)));
}

/**
 * An assumption's log entry: its event gzipped, or (a crafted record's megabyte session policy) in parts that
 * expire with it, rather than an item over 400 KB that fails on every retry.
 */
async function logEntry(texts: StoredTexts, pk: string, sk: string, o: AssumptionObservation, expiresAt: number): Promise<Item> {
  const event = o.event ? await texts.write('event', JSON.stringify(o.event), { plainMax: 0, expiresAt }) : undefined;
  return { pk, sk, ...event?.set, expiresAt };
}

/** The conditional update that counts `fresh` into the edge as read (`item`; undefined: no edge yet). */
function edgeUpdate(
  item: Item | undefined,
  fresh: readonly AssumptionObservation[],
  pending: ReadonlyMap<string, number>,
  sampleIps: number,
): { expression: string; condition: string; names: Record<string, string>; values: Item } {
  const times = fresh.map((o) => o.at);
  const version = item?.v === undefined ? undefined : Number(item.v);
  const values: Item = {
    ':n': fresh.length,
    ':first': Math.min(...times, ...(item ? [Number(item.firstSeen)] : [])),
    ':last': Math.max(...times, ...(item ? [Number(item.lastSeen)] : [])),
    ':pending': Object.fromEntries(pending),
    ':v': (version ?? 0) + 1,
  };
  const names: Record<string, string> = { '#count': 'count', '#pending': 'pending', '#v': 'v' };
  const set = ['firstSeen = :first', 'lastSeen = :last', '#pending = :pending', '#v = :v'];
  const add = ['#count :n'];
  const [o] = fresh;
  // A new edge: its role and source are its key, not repeated (the item stays under 1 KB, one write unit).
  if (!item && o) {
    Object.assign(values, {
      ':type': o.sourceType,
      ':gsi2pk': keys.edgesBySource(o.source),
      ':gsiSort': keys.edgeSort(o.account, o.roleArn),
    });
    set.push('sourceType = :type', 'gsi2pk = :gsi2pk', 'gsi2sk = :gsiSort');
    if (o.sourceAccount) {
      values[':sourceAccount'] = o.sourceAccount;
      values[':gsi3pk'] = keys.edgesBySourceAccount(o.sourceAccount);
      set.push('sourceAccount = :sourceAccount', 'gsi3pk = :gsi3pk', 'gsi3sk = :gsiSort');
    }
  }
  const known = item ? storedSets(item) : { regions: new Set<string>(), sampleIps: new Set<string>() };
  const regions = new Set(fresh.map((f) => f.region).filter((region) => region && !known.regions.has(region)));
  if (regions.size > 0) {
    values[':regions'] = regions;
    add.push('regions :regions');
  }
  const ips = new Set<string>();
  for (const f of fresh)
    if (f.sourceIp && !known.sampleIps.has(f.sourceIp) && known.sampleIps.size + ips.size < sampleIps) ips.add(f.sourceIp);
  if (ips.size > 0) {
    values[':ips'] = ips;
    add.push('sampleIps :ips');
  }
  let condition = 'attribute_not_exists(pk)';
  if (item && version === undefined) condition = 'attribute_exists(pk) AND attribute_not_exists(#v)';
  else if (item) {
    condition = '#v = :prev';
    values[':prev'] = version;
  }
  return { expression: `SET ${set.join(', ')} ADD ${add.join(', ')}`, condition, names, values };
}

function storedSets(item: Item): { regions: Set<string>; sampleIps: Set<string> } {
  return {
    regions: new Set((item.regions as Set<string> | undefined) ?? []),
    sampleIps: new Set((item.sampleIps as Set<string> | undefined) ?? []),
  };
}

/** A short random wait before reading a contended edge again (jittered, so contending writers spread out). */
function backOff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** attempt)));
}
