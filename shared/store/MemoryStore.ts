import type { TrailEvent } from '../cloudtrail/types';
import { countAssumption, newEdge } from '../engine/assumptionBatch';
import type { Finding, FindingDraft, FindingTransition, Occurrence } from '../findings/finding';
import { nextFinding, occurrenceId, occurrenceKey, type RecordOptions, resolveFinding } from '../findings/lifecycle';
import type { Severity } from '../findings/severity';
import type { EventLedger } from '../ports/eventLedger';
import { type FindingStore, type StillTrue, stillTrueIds } from '../ports/findingStore';
import type {
  AssumptionEdge,
  AssumptionFailure,
  AssumptionObservation,
  HistoryEntry,
  StateStore,
  StoredFact,
} from '../ports/roleState';
import type { PolicyChange, PolicyRecord } from '../roles/policyRecord';
import type { EventKind } from '../roles/roleEvents';
import { roleEventEffect } from '../roles/roleEvents';
import {
  applyRoleChanges,
  emptyRoleRecord,
  isNewerStamp,
  liveParts,
  partKey,
  type RoleChange,
  type RoleRecord,
  roleExists,
  type Stamp,
  stampOf,
} from '../roles/roleRecord';

const DAY = 86_400_000;
/** How long behind the newest assumption the log keeps assumptions (the DynamoDB ledger's default lifetime). */
const LOG_DAYS = 7;

const key = (...parts: string[]) => parts.join('\u0000');

/**
 * A role's history without the entries older than `horizon` that replaying a late event newer than it can never
 * need: an old entry is kept only while it holds the newest value before the horizon of some part of the role
 * (the value a rewind to a time after the horizon starts from). A part whose newest value is its removal (an
 * inline policy deleted, a policy detached, the boundary removed) needs nothing kept: a rewind that finds no
 * earlier value leaves the part absent, which is what the removal left. So policies a role no longer has do
 * not keep their history for as long as the role lives.
 */
function prunedHistory(entries: HistoryEntry[], horizon: number): HistoryEntry[] {
  if (!entries.some((entry) => entry.at < horizon)) return entries;
  const newest = new Map<string, { stamp: Stamp; entry: HistoryEntry | undefined }>();
  for (const entry of entries) {
    if (entry.at >= horizon || !entry.event) continue;
    const stamp = stampOf(entry.event);
    for (const change of roleEventEffect(entry.event, stamp)?.changes ?? []) {
      const part = partKey(change);
      const known = newest.get(part);
      if (!known || isNewerStamp(stamp, known.stamp)) newest.set(part, { stamp, entry: isRemoval(change) ? undefined : entry });
    }
  }
  const needed = new Set([...newest.values()].map((value) => value.entry));
  return entries.filter((entry) => entry.at >= horizon || needed.has(entry));
}

/** A change that leaves its part as if it had never been set. */
function isRemoval(change: RoleChange): boolean {
  return (
    (change.part === 'inline' && change.document === null) ||
    (change.part === 'attached' && !change.attached) ||
    (change.part === 'boundary' && change.arn === null)
  );
}

/** Log order: time, then eventID. */
function compareLogged(a: TrailEvent, b: TrailEvent): number {
  return a.time - b.time || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/** Index of the first logged event at or after `time`. */
function firstAtOrAfter(log: readonly TrailEvent[], time: number): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((log[mid] as TrailEvent).time < time) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index after every logged event that sorts at or before `event`. */
function firstAfter(log: readonly TrailEvent[], event: TrailEvent): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (compareLogged(log[mid] as TrailEvent, event) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * An assumption as the log keeps it in memory: what judging it again reads (the caller, the request, the
 * identity provider and subject of a federated one); the rest of the response, additional data and resources
 * are dropped, since a long replay keeps a week of assumptions.
 */
function loggedAssumption(event: TrailEvent): TrailEvent {
  const response: Record<string, unknown> = {};
  for (const field of ['provider', 'subjectFromWebIdentityToken', 'subject'])
    if (event.response[field] !== undefined) response[field] = event.response[field];
  return { ...event, response, additional: {}, resources: [] };
}

/**
 * Settled promises for the calls a replay makes on every event (the ledger check, the last event noted): an
 * async method would make a new promise, and run its body through the async machinery, each time. The methods
 * on an assumption's path return settled promises for the same reason; none of them can throw.
 */
const SETTLED: Promise<void> = Promise.resolve();
const SETTLED_TRUE = Promise.resolve(true);
const SETTLED_FALSE = Promise.resolve(false);

/**
 * State, findings and the event ledger in memory: for `rolewatch evaluate` replays and engine tests.
 * Same semantics as the DynamoDB adapters (last writer wins per part, idempotent recording).
 */
export class MemoryStore implements StateStore, FindingStore, EventLedger {
  /** Roles by account, then name: nested, since every assumption and role change reads one (no joined key to build). */
  private readonly roles = new Map<string, Map<string, RoleRecord>>();
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly history = new Map<string, HistoryEntry[]>();
  /**
   * Edges by account, role ARN and source: nested maps, because this is looked up for every assumption of a
   * replay and joining the three into one key costs more than the lookups. `recent` holds the last eventIDs
   * counted, so a retry of the same event is not counted twice.
   */
  private readonly edges = new Map<string, Map<string, Map<string, AssumptionEdge>>>();
  private readonly trustFailures = new Map<string, { at: number; eventId: string }[]>();
  private readonly findingsById = new Map<string, Finding>();
  /** Every counted occurrence of each finding: occurrence key → event time. */
  private readonly occurrences = new Map<string, Map<string, number>>();
  /** Finding ids by (account, resource): resolution looks up one resource at every role change. */
  private readonly findingsByResource = new Map<string, Set<string>>();
  /** Processed eventIDs, with their event times (for the retention). */
  private readonly processed = new Map<string, number>();
  /**
   * Logged assumptions by account and role ARN (nested, like the edges: appended to on every assumption), kept a
   * week behind the newest (like the DynamoDB ledger's lifetime).
   */
  private readonly assumptionLog = new Map<string, Map<string, TrailEvent[]>>();
  private newestAssumption = 0;
  private loggedSincePrune = 0;
  private readonly retentionMs: number;
  /** Horizon of the last pruning by retention. */
  private prunedAt = Number.NEGATIVE_INFINITY;
  /** The newest event time seen by the ledger or the assumption log. */
  private newestEvent = Number.NEGATIVE_INFINITY;
  /** The widest window failed trust updates were counted over: they are kept that long behind the horizon. */
  private failureWindowMs = 0;
  /** Per finding, the first and last times of the occurrences the retention forgot (its count still has them). */
  private readonly forgotten = new Map<string, { first: number; last: number }>();

  /**
   * `retentionMs`: how long behind the newest event time the store remembers what only serves to recognise an
   * event again or to judge it again (processed eventIDs, counted occurrences, logged assumptions, failed trust
   * updates). Unlimited by default (assumptions: a week, like the DynamoDB ledger). A replay in time order sets
   * it, so that its memory does not grow with its length: a redelivered event has the time of the first delivery,
   * so it is next to it in the replay.
   */
  constructor(options: { retentionMs?: number } = {}) {
    this.retentionMs = options.retentionMs ?? Number.POSITIVE_INFINITY;
  }
  private since: number | undefined;
  private readonly facts = new Map<string, Map<string, StoredFact>>();

  // StateStore

  getRole(account: string, roleName: string): Promise<RoleRecord | undefined> {
    return Promise.resolve(this.roles.get(account)?.get(roleName));
  }

  async roleNames(account: string): Promise<string[]> {
    return [...(this.roles.get(account)?.values() ?? [])].map((r) => r.roleName).sort();
  }

  async applyRoleChanges(account: string, roleName: string, arn: string, changes: readonly RoleChange[]): Promise<void> {
    let byName = this.roles.get(account);
    if (!byName) {
      byName = new Map();
      this.roles.set(account, byName);
    }
    const current = byName.get(roleName) ?? emptyRoleRecord(account, roleName, arn);
    byName.set(roleName, applyRoleChanges({ ...current, arn }, changes));
  }

  async rolesWithPolicy(account: string, policyArn: string): Promise<string[]> {
    const names: string[] = [];
    for (const record of this.roles.get(account)?.values() ?? []) {
      if (roleExists(record) && liveParts(record).attached.includes(policyArn)) names.push(record.roleName);
    }
    return names.sort();
  }

  async getPolicy(account: string, arn: string): Promise<PolicyRecord | undefined> {
    return this.policies.get(key(account, arn));
  }

  async applyPolicyChanges(account: string, arn: string, changes: readonly PolicyChange[]): Promise<void> {
    const current = this.policies.get(key(account, arn)) ?? { account, arn, versions: {} };
    const next: PolicyRecord = { ...current, versions: { ...current.versions } };
    for (const change of changes) {
      if (change.kind === 'version') next.versions[change.versionId] ??= change.document;
      if (change.kind === 'default' && isNewerStamp(change.stamp, next.defaultVersion)) {
        next.defaultVersion = { ...change.stamp, versionId: change.versionId };
      }
      if (change.kind === 'deleted' && isNewerStamp(change.stamp, next.deleted)) next.deleted = change.stamp;
    }
    this.policies.set(key(account, arn), next);
  }

  async accountFacts(account: string, kind: string): Promise<StoredFact[]> {
    return [...(this.facts.get(key(account, kind))?.values() ?? [])];
  }

  async applyAccountFacts(account: string, facts: readonly StoredFact[]): Promise<void> {
    for (const fact of facts) {
      const byId = this.facts.get(key(account, fact.kind)) ?? new Map<string, StoredFact>();
      if (isNewerStamp(fact.stamp, byId.get(fact.id)?.stamp)) byId.set(fact.id, fact);
      this.facts.set(key(account, fact.kind), byId);
    }
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    const list = this.history.get(key(entry.account, entry.roleName)) ?? [];
    if (list.some((e) => e.eventId === entry.eventId && e.summary === entry.summary)) return;
    list.push(entry);
    this.history.set(key(entry.account, entry.roleName), list);
  }

  /** A role's history, newest first. */
  async roleHistory(account: string, roleName: string): Promise<HistoryEntry[]> {
    return [...(this.history.get(key(account, roleName)) ?? [])].sort(
      (a, b) => b.at - a.at || b.eventId.localeCompare(a.eventId),
    );
  }

  /** The stored edge itself: valid until the next recordAssumption on it (the engine reads it just before). */
  getAssumption(account: string, roleArn: string, source: string): Promise<AssumptionEdge | undefined> {
    return Promise.resolve(this.edges.get(account)?.get(roleArn)?.get(source));
  }

  recordAssumptions(observations: readonly AssumptionObservation[]): Promise<AssumptionFailure[]> {
    for (const o of observations) this.recordAssumption(o);
    return Promise.resolve([]);
  }

  private recordAssumption(o: AssumptionObservation): void {
    if (this.processed.has(o.eventId)) return;
    this.processed.set(o.eventId, o.at);
    this.retain(o.at);
    this.logAssumption(o);
    let byRole = this.edges.get(o.account);
    if (!byRole) {
      byRole = new Map();
      this.edges.set(o.account, byRole);
    }
    let bySource = byRole.get(o.roleArn);
    if (!bySource) {
      bySource = new Map();
      byRole.set(o.roleArn, bySource);
    }
    const known = bySource.get(o.source);
    // Counted in place: this runs for every assumption of a replay, and callers read an edge before recording.
    if (known) countAssumption(known, o);
    else bySource.set(o.source, newEdge(o));
  }

  isAssumptionRecorded(_account: string, _roleArn: string, _at: number, eventId: string): Promise<boolean> {
    return this.processed.has(eventId) ? SETTLED_TRUE : SETTLED_FALSE;
  }

  async assumptionsBetween(account: string, roleArn: string, from: number, to: number): Promise<TrailEvent[]> {
    const log = this.assumptionLog.get(account)?.get(roleArn);
    if (!log) return [];
    // The log is kept in time order: the range is found by bisection, not by reading the role's whole log.
    const out: TrailEvent[] = [];
    for (let i = firstAtOrAfter(log, from); i < log.length && (log[i] as TrailEvent).time < to; i++)
      out.push(log[i] as TrailEvent);
    return out;
  }

  private logAssumption(o: AssumptionObservation): void {
    if (!o.event) return;
    let byRole = this.assumptionLog.get(o.account);
    if (!byRole) {
      byRole = new Map();
      this.assumptionLog.set(o.account, byRole);
    }
    let log = byRole.get(o.roleArn);
    if (!log) {
      log = [];
      byRole.set(o.roleArn, log);
    }
    const entry = loggedAssumption(o.event);
    const last = log[log.length - 1];
    if (!last || compareLogged(last, entry) <= 0) log.push(entry);
    else log.splice(firstAfter(log, entry), 0, entry);
    this.newestAssumption = Math.max(this.newestAssumption, o.at);
    if (++this.loggedSincePrune < 10_000) return;
    this.loggedSincePrune = 0;
    this.pruneLog(this.newestAssumption - Math.min(LOG_DAYS * DAY, this.retentionMs));
  }

  private pruneLog(horizon: number): void {
    for (const [account, byRole] of this.assumptionLog) {
      for (const [roleArn, events] of byRole) {
        const start = firstAtOrAfter(events, horizon);
        if (start === events.length) byRole.delete(roleArn);
        else if (start > 0) events.splice(0, start);
      }
      if (byRole.size === 0) this.assumptionLog.delete(account);
    }
  }

  async assumptionsOf(account: string, roleArn: string): Promise<AssumptionEdge[]> {
    return [...(this.edges.get(account)?.get(roleArn)?.values() ?? [])].map((edge) => ({ ...edge }));
  }

  /** All assumption edges (for reports and tests). */
  async assumptions(): Promise<AssumptionEdge[]> {
    const all: AssumptionEdge[] = [];
    for (const byRole of this.edges.values())
      for (const bySource of byRole.values()) for (const edge of bySource.values()) all.push({ ...edge });
    return all;
  }

  async countTrustFailures(account: string, principal: string, at: number, eventId: string, windowMs: number): Promise<number> {
    this.failureWindowMs = Math.max(this.failureWindowMs, windowMs);
    const list = this.trustFailures.get(key(account, principal)) ?? [];
    if (!list.some((f) => f.eventId === eventId)) list.push({ at, eventId });
    this.trustFailures.set(key(account, principal), list);
    return list.filter((f) => f.at <= at && f.at > at - windowMs).length;
  }

  /** The newest event time noted, for summaries. */
  lastEventAt: number | undefined;

  private readonly lastByKind: Partial<Record<EventKind, number>> = {};

  noteLastEvent(at: number, kind: EventKind): Promise<void> {
    if (this.lastEventAt === undefined || at > this.lastEventAt) this.lastEventAt = at;
    if ((this.lastByKind[kind] ?? -1) < at) this.lastByKind[kind] = at;
    return SETTLED;
  }

  async lastEvents(): Promise<Partial<Record<EventKind, number>>> {
    return { ...this.lastByKind };
  }

  monitoringSince(at: number): Promise<number> {
    if (this.since === undefined || at < this.since) this.since = at;
    return Promise.resolve(this.since);
  }

  // FindingStore

  async record(draft: FindingDraft, options: RecordOptions): Promise<{ finding: Finding; transition: FindingTransition }> {
    const existing = this.findingsById.get(draft.id);
    const occurrence = occurrenceId(draft);
    const counted = this.occurrences.get(draft.id) ?? new Map<string, number>();
    if (existing && counted.has(occurrence)) return { finding: existing, transition: 'duplicate' };
    const result = nextFinding(existing, draft, options);
    if (result.transition === 'duplicate') return result;
    this.findingsById.set(draft.id, result.finding);
    this.occurrences.set(draft.id, counted.set(occurrence, draft.at));
    const resourceKey = key(draft.account, draft.resource);
    this.findingsByResource.set(resourceKey, (this.findingsByResource.get(resourceKey) ?? new Set()).add(draft.id));
    return result;
  }

  async occurrencesAmong(findingIds: readonly string[], eventIds: readonly string[]): Promise<Occurrence[]> {
    return findingIds.flatMap((findingId) => {
      const counted = this.occurrences.get(findingId);
      return counted
        ? eventIds.filter((eventId) => counted.has(occurrenceKey(eventId))).map((eventId) => ({ findingId, eventId }))
        : [];
    });
  }

  async removeOccurrence({ findingId, eventId }: Occurrence): Promise<void> {
    const finding = this.findingsById.get(findingId);
    const counted = this.occurrences.get(findingId);
    if (!finding || !counted?.delete(occurrenceKey(eventId))) return;
    const forgotten = this.forgotten.get(findingId);
    if (counted.size === 0 && !forgotten) {
      this.findingsById.delete(findingId);
      this.occurrences.delete(findingId);
      this.findingsByResource.get(key(finding.account, finding.resource))?.delete(findingId);
      return;
    }
    const times = [...counted.values(), ...(forgotten ? [forgotten.first, forgotten.last] : [])];
    this.findingsById.set(findingId, {
      ...finding,
      count: finding.count - 1,
      firstSeen: Math.min(...times),
      lastSeen: Math.max(...times),
    });
  }

  async resolveMissing(account: string, resource: string, stillTrue: StillTrue, at: number, reason: string): Promise<Finding[]> {
    const resolved: Finding[] = [];
    const holding = stillTrueIds(stillTrue);
    for (const finding of await this.forResource(account, resource)) {
      if (finding.kind !== 'posture') continue;
      if (finding.status === 'resolved' || holding().has(finding.id)) continue;
      const next = resolveFinding(finding, at, reason);
      this.findingsById.set(finding.id, next);
      resolved.push(next);
    }
    return resolved;
  }

  async get(id: string): Promise<Finding | undefined> {
    return this.findingsById.get(id);
  }

  async forResource(account: string, resource: string): Promise<Finding[]> {
    return [...(this.findingsByResource.get(key(account, resource)) ?? [])].flatMap((id) => this.findingsById.get(id) ?? []);
  }

  /** Memory keeps no counters: summaries are computed from the findings. */
  async recountSummary(): Promise<void> {}

  async pendingAlerts(severities: readonly Severity[]): Promise<Finding[]> {
    return [...this.findingsById.values()].filter(
      (f) => f.status === 'open' && f.alert.state === 'pending' && severities.includes(f.severity),
    );
  }

  async markAlerted(id: string, at: number, severity: Severity): Promise<void> {
    const finding = this.findingsById.get(id);
    if (finding) this.findingsById.set(id, { ...finding, alert: { state: 'sent', sentAt: at, severity } });
  }

  /** Every finding (for reports and tests). */
  async allFindings(): Promise<Finding[]> {
    return [...this.findingsById.values()];
  }

  // EventLedger

  async isProcessed(eventId: string): Promise<boolean> {
    return this.processed.has(eventId);
  }

  async markProcessed(eventId: string, at: number): Promise<void> {
    this.processed.set(eventId, at);
    this.retain(at);
  }

  /**
   * With a finite retention, forgets what only recognises or re-judges events older than the horizon (the
   * newest event time less the retention): processed eventIDs, counted occurrences (a finding keeps its count
   * and times), failed trust updates outside every counting window, and history entries no rewind to a time
   * after the horizon reads. Runs each time the horizon has moved by a quarter of the retention, so the
   * work is spread thin and what is kept stays about 1.25 retentions of events.
   */
  private retain(at: number): void {
    if (at <= this.newestEvent) return;
    this.newestEvent = at;
    if (!Number.isFinite(this.retentionMs)) return;
    const horizon = at - this.retentionMs;
    if (horizon - this.prunedAt < this.retentionMs / 4) return;
    this.prunedAt = horizon;
    for (const [eventId, time] of this.processed) if (time < horizon) this.processed.delete(eventId);
    for (const [findingId, counted] of this.occurrences) {
      for (const [occurrence, time] of counted) {
        if (time >= horizon) continue;
        counted.delete(occurrence);
        const known = this.forgotten.get(findingId);
        this.forgotten.set(findingId, {
          first: Math.min(known?.first ?? time, time),
          last: Math.max(known?.last ?? time, time),
        });
      }
    }
    const failureHorizon = horizon - this.failureWindowMs;
    for (const [failureKey, failures] of this.trustFailures) {
      const kept = failures.filter((failure) => failure.at >= failureHorizon);
      if (kept.length === 0) this.trustFailures.delete(failureKey);
      else if (kept.length < failures.length) this.trustFailures.set(failureKey, kept);
    }
    for (const [roleKey, entries] of this.history) this.history.set(roleKey, prunedHistory(entries, horizon));
    this.pruneLog(Math.max(horizon, this.newestAssumption - LOG_DAYS * DAY));
  }
}
