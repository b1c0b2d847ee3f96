import type { CausalPhase } from '../../cloudtrail/order';
import type { TrailEvent } from '../../cloudtrail/types';
import type {
  AssumptionEdge,
  AssumptionFailure,
  AssumptionObservation,
  HistoryEntry,
  StateStore,
  StoredFact,
} from '../../ports/roleState';
import type { PolicyChange, PolicyRecord } from '../../roles/policyRecord';
import { EVENT_KINDS, type EventKind } from '../../roles/roleEvents';
import {
  applyTrust,
  emptyRoleRecord,
  isNewerStamp,
  lastUsedPart,
  liveParts,
  type RoleChange,
  type RoleRecord,
  roleExists,
  type Stamp,
  setPart,
  type TrustPart,
} from '../../roles/roleRecord';
import { logSort, recordAssumptionsInEdges } from './assumptionWrites';
import { type DynamoTable, type Item, LOST_RACE, untilWritten } from './DynamoTable';
import { PLAIN_DOCUMENT_BYTES, StoredTexts, textAttributes } from './documents';
import { keys, timeKey } from './keys';

const DAY = 86_400_000;
/** The attribute of a trust item's principal lists (now and before), when they are too large to keep as lists. */
const TRUST_LISTS = 'principalsJson';

/** Last writer wins: the stored part is replaced only by a newer (eventTime, eventID). */
/**
 * The condition that a part's stored stamp is older than the one written (`:at`, `:ph`, `:eid`): time, then
 * causal phase within the second, then eventID. Items written before phases were kept have none: phase 1.
 */
function newerThanStored(phase: CausalPhase): string {
  const olderPhase = phase > 1 ? '#ph < :ph OR attribute_not_exists(#ph)' : '#ph < :ph';
  const samePhase = phase === 1 ? '(#ph = :ph OR attribute_not_exists(#ph))' : '#ph = :ph';
  return `attribute_not_exists(#at) OR #at < :at OR (#at = :at AND (${olderPhase} OR (${samePhase} AND #eid < :eid)))`;
}

/** Names and values of a stamp in an update, for `newerThanStored`. */
function stampWrite(stamp: Stamp): { names: Record<string, string>; values: Item; condition: string } {
  const phase = stamp.phase ?? 1;
  return {
    names: { '#at': 'at', '#eid': 'eventId', '#ph': 'phase' },
    values: { ':at': stamp.at, ':eid': stamp.eventId, ':ph': phase },
    condition: newerThanStored(phase),
  };
}

export interface DynamoStateStoreOptions {
  /** How long a role's history is kept, counted from each event's time. */
  historyTtlDays: number;
  /** How long the assumption log (each assumption's mark of processed) is kept, counted from its write. */
  ledgerTtlDays: number;
  /** Sample source IPs kept per assumption edge. */
  sampleIps?: number;
  /** Clock for TTLs of short-lived items (trust-failure counters). */
  now?: () => number;
}

/**
 * Role, policy, history and assumption state in DynamoDB. Each part of a role is its own item, written
 * only if newer than the stored one, so concurrent writers on one role never lose each other's update
 * and a redelivered or late event cannot overwrite newer state.
 */
export class DynamoStateStore implements StateStore {
  private readonly knownRoles = new Set<string>();
  private since: number | undefined;
  private readonly texts: StoredTexts;

  constructor(
    private readonly table: DynamoTable,
    private readonly options: DynamoStateStoreOptions,
  ) {
    this.texts = new StoredTexts(table);
  }

  /** The item with its text `name` (a document, by default) as a plain string, whatever form it was stored in. */
  private async inflated(item: Item, name = 'document'): Promise<Item> {
    if (typeof item[name] === 'string' || !textAttributes(name).some((attribute) => attribute in item)) return item;
    return { ...item, [name]: await this.texts.read(item, name) };
  }

  /** Items of a partition with their documents (and a trust item's large principal lists) read back. */
  private inflatedAll(items: readonly Item[]): Promise<Item[]> {
    return Promise.all(items.map((item) => this.inflatedTrust(item)));
  }

  /** An item with its document read back; a TRUST item's principal lists too, when they were stored as text. */
  private async inflatedTrust(stored: Item): Promise<Item> {
    const item = await this.inflated(stored);
    const lists = await this.texts.read(item, TRUST_LISTS);
    return lists === undefined ? item : { ...item, ...(JSON.parse(lists) as Item) };
  }

  /** The attributes that store `document` in the item (policy documents; parts put first when it needs them). */
  private storeDocument(document: string) {
    return this.texts.write('document', document, { plainMax: PLAIN_DOCUMENT_BYTES });
  }

  async getRole(account: string, roleName: string): Promise<RoleRecord | undefined> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.role(account, roleName) },
      ConsistentRead: true,
    });
    if (items.length === 0) return undefined;
    return toRoleRecord(account, roleName, await this.inflatedAll(items));
  }

  /** Accounts RoleWatch has role state for (from the role index). */
  async accounts(): Promise<string[]> {
    const items = await this.table.queryAll({
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      values: { ':pk': keys.roleIndex() },
    });
    return [...new Set(items.map((item) => String(item.gsi3sk).split('#')[0] ?? ''))].filter((account) => account !== '').sort();
  }

  async roleNames(account: string): Promise<string[]> {
    const items = await this.table.queryAll({
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND begins_with(gsi3sk, :prefix)',
      values: { ':pk': keys.roleIndex(), ':prefix': `${account}#` },
    });
    return items.map((item) => String(item.gsi3sk).slice(account.length + 1)).sort();
  }

  async applyRoleChanges(account: string, roleName: string, arn: string, changes: readonly RoleChange[]): Promise<void> {
    const pk = keys.role(account, roleName);
    await this.ensureRoleListed(account, roleName, arn);
    for (const change of changes) {
      if (change.part === 'trust') {
        await this.applyTrustChange(pk, arn, change);
        continue;
      }
      const { sk, set, remove } = partWrite(account, roleName, change);
      if (change.part === 'inline' && change.document !== null) {
        const stored = await this.storeDocument(change.document);
        Object.assign(set, stored.set);
        remove.push(...stored.remove);
      }
      const stamp = stampWrite(change.stamp);
      const values: Item = { ...stamp.values, ':arn': arn };
      const assignments = ['#at = :at', '#eid = :eid', '#ph = :ph', 'arn = :arn'];
      for (const [name, value] of Object.entries(set)) {
        values[`:${name}`] = value;
        assignments.push(`${name} = :${name}`);
      }
      await this.table.update(
        { pk, sk },
        {
          expression: `SET ${assignments.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          condition: stamp.condition,
          names: stamp.names,
          values,
        },
      );
    }
  }

  /** The trust part also tracks its predecessor, so it is read, merged and written back with a version check. */
  private async applyTrustChange(pk: string, arn: string, change: Extract<RoleChange, { part: 'trust' }>): Promise<void> {
    await untilWritten(`update the trust policy of ${arn}`, async () => {
      const stored = await this.table.get({ pk, sk: 'TRUST' });
      const item = stored ? await this.inflatedTrust(stored) : undefined;
      const current = item ? toTrustPart(item) : undefined;
      const next = applyTrust(current, change);
      if (!next || next === current) return;
      const version = Number(item?.version ?? 0);
      const { document, principals, previous, ...rest } = next;
      const { set } = await this.storeDocument(document);
      // The principals (now and before) are as long as the document: beside it as text when they are large.
      const lists = { principals, ...(previous ? { previous } : {}) };
      const listsJson = JSON.stringify(lists);
      const listed =
        Buffer.byteLength(listsJson) > PLAIN_DOCUMENT_BYTES
          ? (await this.texts.write(TRUST_LISTS, listsJson, { plainMax: 0 })).set
          : lists;
      const written = await this.table.put(
        { pk, sk: 'TRUST', arn, ...rest, ...set, ...listed, version: version + 1 },
        item ? { expression: 'version = :v', values: { ':v': version } } : { expression: 'attribute_not_exists(pk)' },
      );
      return written ? undefined : LOST_RACE;
    });
  }

  /** The role's index entry, written once; a per-container cache spares the write for roles already listed. */
  private async ensureRoleListed(account: string, roleName: string, arn: string): Promise<void> {
    const cacheKey = `${account}#${roleName}`;
    if (this.knownRoles.has(cacheKey)) return;
    await this.table.put(roleIndexItem(account, roleName, arn), { expression: 'attribute_not_exists(pk)' });
    if (this.knownRoles.size > 10_000) this.knownRoles.clear();
    this.knownRoles.add(cacheKey);
  }

  async rolesWithPolicy(account: string, policyArn: string): Promise<string[]> {
    const items = await this.table.queryAll({
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      values: { ':pk': keys.attachedIndex(account, policyArn) },
    });
    const names: string[] = [];
    for (const roleName of new Set(items.map((item) => String(item.gsi3sk)))) {
      // The index is eventually consistent and ignores re-creation: confirm against the role itself.
      const record = await this.getRole(account, roleName);
      if (record && roleExists(record) && liveParts(record).attached.includes(policyArn)) names.push(roleName);
    }
    return names.sort();
  }

  async getPolicy(account: string, arn: string): Promise<PolicyRecord | undefined> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.policy(account, arn) },
      ConsistentRead: true,
    });
    if (items.length === 0) return undefined;
    const record: PolicyRecord = { account, arn, versions: {} };
    for (const item of await this.inflatedAll(items)) {
      const sk = String(item.sk);
      if (sk.startsWith('VERSION#')) record.versions[sk.slice('VERSION#'.length)] = String(item.document);
      if (sk === 'DEFAULT')
        record.defaultVersion = { at: Number(item.at), eventId: String(item.eventId), versionId: String(item.versionId) };
      if (sk === 'DELETED') record.deleted = { at: Number(item.at), eventId: String(item.eventId) };
    }
    return record;
  }

  async applyPolicyChanges(account: string, arn: string, changes: readonly PolicyChange[]): Promise<void> {
    const pk = keys.policy(account, arn);
    for (const change of changes) {
      if (change.kind === 'version') {
        // Policy versions are immutable: the first write wins, later ones are the same document.
        const { set } = await this.storeDocument(change.document);
        await this.table.put({ pk, sk: `VERSION#${change.versionId}`, ...set }, { expression: 'attribute_not_exists(pk)' });
        continue;
      }
      const sk = change.kind === 'default' ? 'DEFAULT' : 'DELETED';
      const stamp = stampWrite(change.stamp);
      await this.table.update(
        { pk, sk },
        {
          expression: `SET #at = :at, #eid = :eid, #ph = :ph${change.kind === 'default' ? ', versionId = :v' : ''}`,
          condition: stamp.condition,
          names: stamp.names,
          values: { ...stamp.values, ...(change.kind === 'default' ? { ':v': change.versionId } : {}) },
        },
      );
    }
  }

  async accountFacts(account: string, kind: string): Promise<StoredFact[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.facts(account, kind) },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      kind,
      id: String(item.sk),
      stamp: stampOf(item),
      value: typeof item.value === 'string' ? (JSON.parse(item.value) as Record<string, unknown>) : null,
    }));
  }

  async applyAccountFacts(account: string, facts: readonly StoredFact[]): Promise<void> {
    for (const fact of facts) {
      const stamp = stampWrite(fact.stamp);
      await this.table.update(
        { pk: keys.facts(account, fact.kind), sk: fact.id },
        {
          expression: `SET #at = :at, #eid = :eid, #ph = :ph${fact.value ? ', #value = :value' : ' REMOVE #value'}`,
          condition: stamp.condition,
          names: { ...stamp.names, '#value': 'value' },
          values: { ...stamp.values, ...(fact.value ? { ':value': JSON.stringify(fact.value) } : {}) },
        },
      );
    }
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    const { event, diff, ...rest } = entry;
    const expiresAt = Math.floor((entry.at + this.options.historyTtlDays * DAY) / 1000);
    // The event, gzipped; a diff too large for the item (a huge document's) is stored as text beside it.
    const eventText = event ? await this.texts.write('event', JSON.stringify(event), { plainMax: 0, expiresAt }) : undefined;
    const diffJson = diff ? JSON.stringify(diff) : undefined;
    const diffText =
      diffJson && Buffer.byteLength(diffJson) > PLAIN_DOCUMENT_BYTES
        ? await this.texts.write('diffText', diffJson, { plainMax: 0, expiresAt })
        : undefined;
    await this.table.put({
      pk: keys.history(entry.account, entry.roleName),
      sk: keys.historySort(entry.at, entry.eventId, 0),
      ...rest,
      ...(diff && !diffText ? { diff } : {}),
      ...diffText?.set,
      ...eventText?.set,
      expiresAt,
    });
  }

  async roleHistory(account: string, roleName: string): Promise<HistoryEntry[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.history(account, roleName) },
      ScanIndexForward: false,
    });
    return Promise.all(items.map((item) => this.historyEntry(item)));
  }

  /** A history item as an entry: its event and diff read back from whichever form they were stored in. */
  private async historyEntry(item: Item): Promise<HistoryEntry> {
    const event = await this.texts.read(item, 'event');
    const diffText = await this.texts.read(item, 'diffText');
    const { pk: _pk, sk: _sk, expiresAt: _ttl, event: _event, ...rest } = item;
    for (const attribute of [...textAttributes('event'), ...textAttributes('diffText')]) delete rest[attribute];
    return {
      ...(rest as Omit<HistoryEntry, 'event'>),
      ...(diffText !== undefined ? { diff: JSON.parse(diffText) as string[] } : {}),
      ...(event !== undefined ? { event: JSON.parse(event) as TrailEvent } : {}),
    };
  }

  /** One page of a role's history, newest first, for the reporting API. */
  async roleHistoryPage(
    account: string,
    roleName: string,
    limit: number,
    start?: Item,
  ): Promise<{ entries: HistoryEntry[]; next?: Item }> {
    const page = await this.table.query({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.history(account, roleName) },
      ScanIndexForward: false,
      Limit: limit,
      ...(start ? { start } : {}),
    });
    const entries = await Promise.all(page.items.map((item) => this.historyEntry(item)));
    return { entries, ...(page.next ? { next: page.next } : {}) };
  }

  async getAssumption(account: string, roleArn: string, source: string): Promise<AssumptionEdge | undefined> {
    const item = await this.table.get({ pk: keys.edges(account, roleArn), sk: source });
    return item ? toEdge(item) : undefined;
  }

  async assumptionsOf(account: string, roleArn: string): Promise<AssumptionEdge[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.edges(account, roleArn) },
    });
    return items.map(toEdge);
  }

  /** See recordAssumptionsInEdges: one conditional write per edge and one log entry per assumption. */
  async recordAssumptions(observations: readonly AssumptionObservation[]): Promise<AssumptionFailure[]> {
    return recordAssumptionsInEdges(this.table, observations, this.options);
  }

  async isAssumptionRecorded(account: string, roleArn: string, at: number, eventId: string): Promise<boolean> {
    return (await this.table.get(assumptionLogKey(account, roleArn, at, eventId))) !== undefined;
  }

  async assumptionsBetween(account: string, roleArn: string, from: number, to: number): Promise<TrailEvent[]> {
    if (to <= from) return [];
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      values: { ':pk': keys.assumptionLog(account, roleArn), ':from': timeKey(from), ':to': `${timeKey(to - 1)}#\uffff` },
    });
    const events = await Promise.all(items.map((item) => this.texts.read(item, 'event')));
    return events.flatMap((text) => (text === undefined ? [] : [JSON.parse(text) as TrailEvent]));
  }

  async countTrustFailures(account: string, principal: string, at: number, eventId: string, windowMs: number): Promise<number> {
    const pk = keys.trustFailures(account, principal);
    const now = this.options.now?.() ?? Date.now();
    await this.table.put({
      pk,
      sk: `${timeKey(at)}#${eventId}`,
      expiresAt: Math.floor((Math.max(now, at) + windowMs + DAY) / 1000),
    });
    const page = await this.table.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      values: { ':pk': pk, ':from': timeKey(at - windowMs + 1), ':to': `${timeKey(at)}#~` },
      Select: 'COUNT',
      ConsistentRead: true,
    });
    return page.count;
  }

  /**
   * The newest event time, for the summary's "last event seen" (`LAST-EVENT`), and of its kind
   * (`LAST-EVENT#<kind>`, for the monitor's self-check): each written at most once a minute per container (a
   * write per event would double the cost of every assumption), never moved backwards.
   */
  async noteLastEvent(at: number, kind: EventKind): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    for (const sk of ['LAST-EVENT', `LAST-EVENT#${kind}`]) {
      const noted = this.lastNoted.get(sk);
      if (noted && now - noted.wall < 60_000 && at - noted.at < 60_000) continue;
      await this.table.update(
        { pk: keys.monitor(), sk },
        {
          expression: 'SET #at = :at',
          condition: 'attribute_not_exists(#at) OR #at < :at',
          names: { '#at': 'at' },
          values: { ':at': at },
        },
      );
      this.lastNoted.set(sk, { wall: now, at });
    }
  }

  private readonly lastNoted = new Map<string, { wall: number; at: number }>();

  async lastEvents(): Promise<Partial<Record<EventKind, number>>> {
    const { items } = await this.table.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      values: { ':pk': keys.monitor(), ':prefix': 'LAST-EVENT#' },
    });
    const last: Partial<Record<EventKind, number>> = {};
    for (const item of items) {
      const kind = EVENT_KINDS.find((k) => item.sk === `LAST-EVENT#${k}`);
      const at = Number(item.at);
      if (kind && Number.isFinite(at)) last[kind] = at;
    }
    return last;
  }

  /** Read once per container and written only when an earlier event arrives. */
  async monitoringSince(at: number): Promise<number> {
    if (this.since !== undefined && this.since <= at) return this.since;
    if (this.since === undefined) {
      const item = await this.table.get({ pk: keys.monitor(), sk: 'SINCE' });
      if (item && Number(item.since) <= at) {
        this.since = Number(item.since);
        return this.since;
      }
    }
    const updated = await this.table.update(
      { pk: keys.monitor(), sk: 'SINCE' },
      { expression: 'SET since = :at', condition: 'attribute_not_exists(since) OR since > :at', values: { ':at': at } },
    );
    this.since = updated ? at : Number((await this.table.get({ pk: keys.monitor(), sk: 'SINCE' }))?.since ?? at);
    return this.since;
  }
}

/** The item a non-trust part change writes: which sort key, what to set, what to remove. */
function partWrite(
  account: string,
  roleName: string,
  change: Exclude<RoleChange, { part: 'trust' }>,
): { sk: string; set: Item; remove: string[] } {
  switch (change.part) {
    case 'created':
      return { sk: 'CREATED', set: change.by ? { createdBy: change.by } : {}, remove: [] };
    case 'deleted':
      return { sk: 'DELETED', set: {}, remove: [] };
    case 'inline':
      // The document itself is written by the caller, in the form its size needs.
      return change.document === null
        ? { sk: `INLINE#${change.name}`, set: { removed: true }, remove: textAttributes('document') }
        : { sk: `INLINE#${change.name}`, set: { removed: false }, remove: [] };
    case 'attached':
      return change.attached
        ? {
            sk: `ATTACHED#${change.arn}`,
            set: { attached: true, gsi3pk: keys.attachedIndex(account, change.arn), gsi3sk: roleName },
            remove: [],
          }
        : { sk: `ATTACHED#${change.arn}`, set: { attached: false }, remove: ['gsi3pk', 'gsi3sk'] };
    case 'boundary':
      return change.arn === null
        ? { sk: 'BOUNDARY', set: { removed: true }, remove: ['boundaryArn'] }
        : { sk: 'BOUNDARY', set: { boundaryArn: change.arn, removed: false }, remove: [] };
    case 'lastUsed':
      return {
        sk: 'LAST-USED',
        set: {
          ...(change.usedAt !== undefined ? { usedAt: change.usedAt } : {}),
          ...(change.region ? { usedRegion: change.region } : {}),
        },
        remove: [...(change.usedAt === undefined ? ['usedAt'] : []), ...(change.region ? [] : ['usedRegion'])],
      };
  }
}

function stampOf(item: Item): Stamp {
  const stamp: Stamp = { at: Number(item.at), eventId: String(item.eventId) };
  if (item.phase === 0 || item.phase === 2) stamp.phase = item.phase;
  return stamp;
}

function toTrustPart(item: Item): TrustPart {
  const previous = item.previous as (Stamp & { principals: string[] }) | undefined;
  return {
    ...stampOf(item),
    document: String(item.document),
    principals: (item.principals as string[] | undefined) ?? [],
    initial: item.initial === true,
    ...(previous ? { previous: { ...stampOf(previous as unknown as Item), principals: previous.principals ?? [] } } : {}),
  };
}

function toRoleRecord(account: string, roleName: string, items: readonly Item[]): RoleRecord {
  const arn = String(
    items.find((item) => item.sk === 'CREATED')?.arn ??
      items.find((item) => item.arn)?.arn ??
      `arn:aws:iam::${account}:role/${roleName}`,
  );
  const record = emptyRoleRecord(account, roleName, arn);
  for (const item of items) {
    const sk = String(item.sk);
    if (sk === 'META') continue;
    const stamp = stampOf(item);
    if (sk === 'LAST-USED') {
      // An observation, not a change: it does not move lastChange.
      record.lastUsed = lastUsedPart({
        part: 'lastUsed',
        stamp,
        ...(item.usedAt !== undefined ? { usedAt: Number(item.usedAt) } : {}),
        ...(item.usedRegion !== undefined ? { region: String(item.usedRegion) } : {}),
      });
      continue;
    }
    if (!record.lastChange || isNewerStamp(stamp, record.lastChange)) record.lastChange = stamp;
    if (sk === 'CREATED') record.created = { ...stamp, ...(item.createdBy ? { by: String(item.createdBy) } : {}) };
    else if (sk === 'DELETED') record.deleted = stamp;
    else if (sk === 'TRUST') record.trust = toTrustPart(item);
    else if (sk === 'BOUNDARY') record.boundary = { ...stamp, arn: item.removed ? null : String(item.boundaryArn) };
    else if (sk.startsWith('INLINE#'))
      setPart(record.inline, sk.slice('INLINE#'.length), { ...stamp, document: item.removed ? null : String(item.document) });
    else if (sk.startsWith('ATTACHED#'))
      setPart(record.attached, sk.slice('ATTACHED#'.length), { ...stamp, attached: item.attached === true });
  }
  return record;
}

/** The `META` item of a role: its entry in the index of all roles (gsi3). */
export function roleIndexItem(account: string, roleName: string, arn: string): Item {
  return {
    pk: keys.role(account, roleName),
    sk: 'META',
    account,
    roleName,
    arn,
    gsi3pk: keys.roleIndex(),
    gsi3sk: keys.roleIndexSort(account, roleName),
  };
}

function assumptionLogKey(account: string, roleArn: string, at: number, eventId: string): { pk: string; sk: string } {
  return { pk: keys.assumptionLog(account, roleArn), sk: logSort(at, eventId) };
}

/** An edge item. Role and source are its key (`ASSUMED#<account>#<role arn>` / source); older items repeat them. */
function toEdge(item: Item): AssumptionEdge {
  const role = String(item.pk).slice('ASSUMED#'.length);
  const split = role.indexOf('#');
  return {
    account: item.account === undefined ? role.slice(0, split) : String(item.account),
    roleArn: item.roleArn === undefined ? role.slice(split + 1) : String(item.roleArn),
    source: item.source === undefined ? String(item.sk) : String(item.source),
    ...(item.sourceAccount ? { sourceAccount: String(item.sourceAccount) } : {}),
    sourceType: item.sourceType as AssumptionEdge['sourceType'],
    firstSeen: Number(item.firstSeen),
    lastSeen: Number(item.lastSeen),
    count: Number(item.count),
    regions: [...((item.regions as Set<string> | undefined) ?? [])].sort(),
    sampleIps: [...((item.sampleIps as Set<string> | undefined) ?? [])].sort(),
  };
}
