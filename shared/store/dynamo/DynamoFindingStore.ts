import type { Finding, FindingDraft, FindingTransition, Occurrence } from '../../findings/finding';
import { resourceName } from '../../findings/ids';
import { nextFinding, occurrenceId, occurrenceKey, type RecordOptions, resolveFinding } from '../../findings/lifecycle';
import { SEVERITIES, type Severity } from '../../findings/severity';
import { type FindingStore, type StillTrue, stillTrueIds } from '../../ports/findingStore';
import { RULES } from '../../rules/index';
import { type DynamoTable, type Item, type Key, LOST_RACE, type TransactWrite, untilWritten } from './DynamoTable';
import { PLAIN_DOCUMENT_BYTES, StoredTexts, textAttributes } from './documents';
import { findingIdOfKey, keys, timeKey } from './keys';

const FINDING_SK = 'FINDING';
/** Occurrence markers live in the finding's partition: `OCC#<occurrence key>`, with the event time. */
const OCCURRENCE_SK = 'OCC#';
const DAY = 86_400_000;

/** The attribute of a finding's detail, evidence and diff when they are too large to keep as attributes. */
const BULK = 'bulk';

/** A stored finding: the domain object plus its version and the time it was last opened. */
interface StoredFinding {
  finding: Finding;
  version: number;
  openedAt: number;
}

/**
 * Findings in DynamoDB. Each finding is one item written with an optimistic version check, so two
 * invocations recording the same finding cannot lose a count or both claim its opening. Every counted
 * occurrence leaves a small marker item beside it, written in the same transaction, so an event is counted
 * once however late it is redelivered or re-evaluated; markers expire with the role history they match.
 * A change of status or severity moves the account's summary counters in that transaction too.
 */
export class DynamoFindingStore implements FindingStore {
  private readonly texts: StoredTexts;

  constructor(
    private readonly table: DynamoTable,
    private readonly options: { occurrenceTtlDays: number },
  ) {
    this.texts = new StoredTexts(table);
  }

  /**
   * A finding item's detail, evidence and diff: as attributes, or (a finding about a huge document, e.g. a
   * trust change listing thousands of principals) as one text beside them, so the item stays under 400 KB.
   */
  private async bulkOf(finding: Pick<Finding, 'detail' | 'evidence' | 'diff'>): Promise<Item> {
    const bulk = { detail: finding.detail, evidence: finding.evidence, diff: finding.diff };
    const json = JSON.stringify(bulk);
    if (Buffer.byteLength(json) <= PLAIN_DOCUMENT_BYTES) return bulk;
    return (await this.texts.write(BULK, json, { plainMax: 0 })).set;
  }

  /** A stored finding item with its detail, evidence and diff in place, however they were stored. */
  private async inflated(item: Item): Promise<Item> {
    const bulk = await this.texts.read(item, BULK);
    if (bulk === undefined) return item;
    const rest = { ...item };
    for (const attribute of textAttributes(BULK)) delete rest[attribute];
    return { ...rest, ...(JSON.parse(bulk) as Item) };
  }

  async record(draft: FindingDraft, options: RecordOptions): Promise<{ finding: Finding; transition: FindingTransition }> {
    const occurrence = occurrenceId(draft);
    return untilWritten(`record finding ${draft.id}`, async () => {
      const { stored, counted } = await this.loadWithOccurrence(draft.id, occurrence);
      if (stored && counted) return { finding: stored.finding, transition: 'duplicate' };
      const result = nextFinding(stored?.finding, draft, options);
      if (result.transition === 'duplicate') return result;
      const reopened =
        result.transition === 'opened' || result.transition === 'reopened' || (!stored && result.transition === 'suppressed');
      const openedAt = reopened ? draft.at : (stored?.openedAt ?? result.finding.firstSeen);
      const marker: TransactWrite = {
        put: {
          ...markerKey(draft.id, occurrence),
          at: draft.at,
          expiresAt: Math.floor((draft.at + this.options.occurrenceTtlDays * DAY) / 1000),
        },
        condition: { expression: 'attribute_not_exists(pk)' },
      };
      return (await this.write(result.finding, stored, openedAt, [marker])) ? result : LOST_RACE;
    });
  }

  async occurrencesAmong(findingIds: readonly string[], eventIds: readonly string[]): Promise<Occurrence[]> {
    const wanted = new Map<string, Occurrence>();
    for (const findingId of findingIds)
      for (const eventId of eventIds) {
        const key = markerKey(findingId, occurrenceKey(eventId));
        wanted.set(`${key.pk}\u0000${key.sk}`, { findingId, eventId });
      }
    const found = await this.table.batchGet([...wanted.keys()].map((id) => markerKeyOf(id)));
    return found.flatMap((item) => wanted.get(`${item.pk}\u0000${item.sk}`) ?? []);
  }

  async removeOccurrence({ findingId, eventId }: Occurrence): Promise<void> {
    const occurrence = occurrenceKey(eventId);
    const dropMarker: TransactWrite = {
      delete: markerKey(findingId, occurrence),
      condition: { expression: 'attribute_exists(pk)' },
    };
    await untilWritten(`remove an occurrence of finding ${findingId}`, async () => {
      const { stored, counted } = await this.loadWithOccurrence(findingId, occurrence);
      if (!stored || !counted) return;
      if (stored.finding.count <= 1) {
        const removed = await this.table.transact([
          dropMarker,
          { delete: findingKey(findingId), condition: { expression: 'version = :v', values: { ':v': stored.version } } },
          ...counterWrites(stored.finding, undefined),
        ]);
        return removed ? undefined : LOST_RACE;
      }
      const times = (await this.occurrenceTimes(findingId)).filter((entry) => entry.key !== occurrence).map((entry) => entry.at);
      const next: Finding = {
        ...stored.finding,
        count: stored.finding.count - 1,
        ...(times.length > 0 ? { firstSeen: Math.min(...times), lastSeen: Math.max(...times) } : {}),
      };
      return (await this.write(next, stored, stored.openedAt, [dropMarker])) ? undefined : LOST_RACE;
    });
  }

  async resolveMissing(account: string, resource: string, stillTrue: StillTrue, at: number, reason: string): Promise<Finding[]> {
    const resolved: Finding[] = [];
    const holding = stillTrueIds(stillTrue);
    for (const id of await this.idsForResource(account, resource)) {
      if (holding().has(id)) continue;
      const next = await untilWritten(`resolve finding ${id}`, async () => {
        const stored = await this.load(id);
        if (!stored || stored.finding.kind !== 'posture' || stored.finding.status === 'resolved') return undefined;
        const next = resolveFinding(stored.finding, at, reason);
        return (await this.write(next, stored, stored.openedAt)) ? next : LOST_RACE;
      });
      if (next) resolved.push(next);
    }
    return resolved;
  }

  async get(id: string): Promise<Finding | undefined> {
    return (await this.load(id))?.finding;
  }

  async forResource(account: string, resource: string): Promise<Finding[]> {
    const ids = await this.idsForResource(account, resource);
    return (await this.getMany(ids)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Findings by id, in the order asked; unknown ids are left out. */
  async getMany(ids: readonly string[]): Promise<Finding[]> {
    const items = await this.table.batchGet(ids.map((id) => ({ pk: keys.finding(id), sk: FINDING_SK })));
    const byId = new Map(
      (await Promise.all(items.map((item) => this.inflated(item)))).map((item) => {
        const finding = toFinding(item);
        return [finding.id, finding];
      }),
    );
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async pendingAlerts(severities: readonly Severity[]): Promise<Finding[]> {
    const pending: Finding[] = [];
    for (const severity of severities) {
      let start: Item | undefined;
      do {
        const page = await this.listByStatus('open', severity, { limit: 100, ...(start ? { start } : {}) });
        pending.push(...page.findings.filter((f) => f.alert.state === 'pending'));
        start = page.next;
      } while (start);
    }
    return pending;
  }

  /** One page of findings with a status and severity, newest opened first (gsi1, then one batch get). */
  async listByStatus(
    status: string,
    severity: Severity,
    options: { limit: number; start?: Item; since?: number },
  ): Promise<{ findings: Finding[]; next?: Item }> {
    const page = await this.table.query({
      IndexName: 'gsi1',
      KeyConditionExpression: options.since !== undefined ? 'gsi1pk = :pk AND gsi1sk >= :since' : 'gsi1pk = :pk',
      values: {
        ':pk': keys.findingsByStatus(status, severity),
        ...(options.since !== undefined ? { ':since': timeKey(options.since) } : {}),
      },
      ScanIndexForward: false,
      Limit: options.limit,
      ...(options.start ? { start: options.start } : {}),
    });
    const ids = page.items.map((item) => findingIdOfKey(item.pk));
    return { findings: await this.getMany(ids), ...(page.next ? { next: page.next } : {}) };
  }

  /**
   * Counts every finding again and rewrites the summary counters (reconcile calls it). Counters move in the
   * same transaction as each change of status or severity; this repairs what a person's edit of the table,
   * or a write racing the recount itself, may have left.
   */
  async recountSummary(): Promise<void> {
    const tallies = new Map<string, Map<string, Map<string, number>>>();
    for (const status of ['open', 'resolved', 'suppressed']) {
      for (const severity of SEVERITIES) {
        let start: Item | undefined;
        do {
          const page = await this.listByStatus(status, severity, { limit: 100, ...(start ? { start } : {}) });
          for (const finding of page.findings) {
            for (const [sk, counter] of counterKeys(finding)) {
              const byItem = tallies.get(finding.account) ?? new Map<string, Map<string, number>>();
              const counters = byItem.get(sk) ?? new Map<string, number>();
              counters.set(counter, (counters.get(counter) ?? 0) + 1);
              byItem.set(sk, counters);
              tallies.set(finding.account, byItem);
            }
          }
          start = page.next;
        } while (start);
      }
    }
    for (const [account, byItem] of tallies) {
      for (const [sk, counters] of byItem) {
        await this.table.put({ pk: keys.summary(account), sk, ...Object.fromEntries(counters) });
      }
    }
  }

  /**
   * The account's summary counters: by status and severity (`open#high`), and per rule (`rule-id` → `open`: n).
   * Counters at zero are left out, as a recount leaves them.
   */
  async summaryCounters(
    account: string,
  ): Promise<{ byStatus: Record<string, number>; byRule: Record<string, Record<string, number>> }> {
    const items = await this.table.queryAll({ KeyConditionExpression: 'pk = :pk', values: { ':pk': keys.summary(account) } });
    const counters = (item: Item) =>
      Object.fromEntries(
        Object.entries(item)
          .filter(([name, value]) => name !== 'pk' && name !== 'sk' && Number(value) !== 0)
          .map(([name, value]) => [name, Number(value)]),
      );
    const byStatus = counters(items.find((item) => item.sk === 'STATUS') ?? {});
    const byRule = Object.fromEntries(
      items.filter((item) => String(item.sk).startsWith('RULE#')).map((item) => [String(item.sk).slice(5), counters(item)]),
    );
    return { byStatus, byRule };
  }

  /**
   * Suppresses a finding by a person's decision (the API): reason, who, until when. A suppression that
   * expires re-opens the finding at its next occurrence. Undefined when there is no such finding.
   */
  async suppress(id: string, suppression: { reason: string; by: string; until?: string }): Promise<Finding | undefined> {
    return this.change(id, (finding) => ({
      ...finding,
      status: 'suppressed',
      suppression,
      alert: { ...finding.alert, state: finding.alert.state === 'pending' ? 'none' : finding.alert.state },
    }));
  }

  /** Re-opens a resolved or suppressed finding by a person's decision (the API). */
  async reopen(id: string): Promise<Finding | undefined> {
    return this.change(id, (finding) => {
      const { suppression: _s, resolvedAt: _r, resolution: _why, ...rest } = finding;
      return { ...rest, status: 'open' };
    });
  }

  private async change(id: string, next: (finding: Finding) => Finding): Promise<Finding | undefined> {
    return untilWritten(`change finding ${id}`, async () => {
      const stored = await this.load(id);
      if (!stored) return undefined;
      const changed = next(stored.finding);
      const openedAt = changed.status === 'open' && stored.finding.status !== 'open' ? Date.now() : stored.openedAt;
      return (await this.write(changed, stored, openedAt)) ? changed : LOST_RACE;
    });
  }

  async markAlerted(id: string, at: number, severity: Severity): Promise<void> {
    // The version moves too: a concurrent record() that read the finding before must not write back "pending".
    await this.table.update(
      { pk: keys.finding(id), sk: FINDING_SK },
      {
        expression: 'SET #alert = :alert, version = version + :one',
        condition: 'attribute_exists(pk)',
        names: { '#alert': 'alert' },
        values: { ':alert': { state: 'sent', sentAt: at, severity }, ':one': 1 },
      },
    );
  }

  private async load(id: string): Promise<StoredFinding | undefined> {
    const item = await this.table.get(findingKey(id));
    return item ? toStored(await this.inflated(item)) : undefined;
  }

  /** The finding and whether this occurrence was counted, in one round trip. */
  private async loadWithOccurrence(id: string, occurrence: string): Promise<{ stored?: StoredFinding; counted: boolean }> {
    const items = await this.table.batchGet([findingKey(id), markerKey(id, occurrence)]);
    const item = items.find((candidate) => candidate.sk === FINDING_SK);
    return {
      ...(item ? { stored: toStored(await this.inflated(item)) } : {}),
      counted: items.some((candidate) => candidate.sk !== FINDING_SK),
    };
  }

  /** Every counted occurrence of a finding: its key and event time. */
  private async occurrenceTimes(id: string): Promise<{ key: string; at: number }[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :occ)',
      values: { ':pk': keys.finding(id), ':occ': OCCURRENCE_SK },
    });
    return items.map((item) => ({ key: String(item.sk).slice(OCCURRENCE_SK.length), at: Number(item.at) }));
  }

  /** Ids of a resource's findings (gsi2, keys only). */
  async idsForResource(account: string, resource: string): Promise<string[]> {
    const items = await this.table.queryAll({
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      values: { ':pk': keys.findingsByResource(account, resource) },
    });
    return items.map((item) => findingIdOfKey(item.pk));
  }

  /**
   * Writes a finding if nobody changed it since it was read, together with `alongside` (an occurrence marker)
   * and the summary counters when its status or severity changes: all or nothing.
   */
  private async write(
    finding: Finding,
    stored: StoredFinding | undefined,
    openedAt: number,
    alongside: readonly TransactWrite[] = [],
  ): Promise<boolean> {
    const version = (stored?.version ?? 0) + 1;
    // The rule's title, rationale and remediation are not stored: they come from the registry when read, and
    // leaving them out keeps most findings under 1 KB.
    // Neither is anything derivable (id from the key, names from the resource, `at` equals lastSeen).
    const {
      title: _t,
      rationale: _r,
      remediation: _m,
      id: _i,
      resourceName: _n,
      roleName: _o,
      at: _a,
      detail: _d,
      evidence: _e,
      diff: _f,
      ...kept
    } = finding;
    const item: Item = {
      ...findingKey(finding.id),
      ...kept,
      ...(await this.bulkOf(finding)),
      version,
      openedAt,
      gsi1pk: keys.findingsByStatus(finding.status, finding.severity),
      gsi1sk: keys.findingsByStatusSort(openedAt, finding.id),
      gsi2pk: keys.findingsByResource(finding.account, finding.resource),
      gsi2sk: finding.id,
    };
    const condition = stored
      ? { expression: 'version = :v', values: { ':v': stored.version } }
      : { expression: 'attribute_not_exists(pk)' };
    const writes = [...alongside, { put: item, condition }, ...counterWrites(stored?.finding, finding)];
    return writes.length === 1 ? this.table.put(item, condition) : this.table.transact(writes);
  }
}

function findingKey(id: string): Key {
  return { pk: keys.finding(id), sk: FINDING_SK };
}

function markerKey(id: string, occurrence: string): Key {
  return { pk: keys.finding(id), sk: `${OCCURRENCE_SK}${occurrence}` };
}

function markerKeyOf(joined: string): Key {
  const [pk = '', sk = ''] = joined.split('\u0000');
  return { pk, sk };
}

function toStored(item: Item): StoredFinding {
  return { finding: toFinding(item), version: Number(item.version ?? 0), openedAt: Number(item.openedAt ?? item.firstSeen) };
}

/**
 * The summary counter updates for a finding going from `before` to `after` (either may be absent): one
 * small item per account for status × severity, one per rule for its statuses.
 */
function counterWrites(before: Finding | undefined, after: Finding | undefined): TransactWrite[] {
  const deltas = new Map<string, Map<string, number>>();
  const move = (finding: Finding | undefined, sign: number) => {
    if (!finding) return;
    for (const [sk, counter] of counterKeys(finding)) {
      const counters = deltas.get(sk) ?? new Map<string, number>();
      counters.set(counter, (counters.get(counter) ?? 0) + sign);
      deltas.set(sk, counters);
    }
  };
  move(before, -1);
  move(after, +1);
  const account = (after ?? before)?.account ?? '';
  return [...deltas].flatMap(([sk, counters]) => {
    const changed = [...counters].filter(([, delta]) => delta !== 0);
    return changed.length > 0 ? [{ update: { pk: keys.summary(account), sk }, ...addExpression(changed) }] : [];
  });
}

/** The summary counters a finding counts in: [item sort key, counter name]. */
function counterKeys(finding: Finding): [string, string][] {
  return [
    ['STATUS', `${finding.status}#${finding.severity}`],
    [`RULE#${finding.ruleId}`, finding.status],
  ];
}

/** `ADD #c0 :c0, #c1 :c1` for named counters. */
function addExpression(counters: readonly [string, number][]): {
  expression: string;
  names: Record<string, string>;
  values: Item;
} {
  const names: Record<string, string> = {};
  const values: Item = {};
  const parts = counters.map(([name, delta], i) => {
    names[`#c${i}`] = name;
    values[`:c${i}`] = delta;
    return `#c${i} :c${i}`;
  });
  return { expression: `ADD ${parts.join(', ')}`, names, values };
}

function toFinding(item: Item): Finding {
  const { pk: _pk, sk: _sk, version: _v, openedAt: _o, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...finding } = item;
  const rule = RULES_BY_ID.get(String(finding.ruleId));
  const resource = String(finding.resource);
  const name = resourceName(resource);
  return {
    id: findingIdOfKey(item.pk),
    title: rule?.title ?? String(finding.ruleId),
    rationale: rule?.rationale ?? '',
    remediation: rule?.remediation ?? '',
    resourceName: name,
    ...(resource.includes(':role/') ? { roleName: name } : {}),
    at: Number(finding.lastSeen),
    ...finding,
  } as Finding;
}

const RULES_BY_ID = new Map(RULES.map((rule) => [rule.id, rule]));
