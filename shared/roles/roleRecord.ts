import { type CausalPhase, causalPhase } from '../cloudtrail/order';
import type { TrailEvent } from '../cloudtrail/types';

/**
 * What RoleWatch remembers of a role: each part (trust, each inline policy, each attachment, the
 * boundary, creation, deletion) carries the time and eventID of the change that set it, and a change is
 * applied only if it is newer than what is stored (last writer wins on (eventTime, eventID)). So the
 * state after a set of events does not depend on the order they arrived in, a redelivered event changes
 * nothing, and two writers on different parts of one role never lose each other's update.
 */

/**
 * When a part was last set: event time (epoch ms), then within a second the event's causal phase (0 creation,
 * 1 change, 2 deletion: CloudTrail times have one-second resolution), then the eventID as tie-breaker.
 */
export interface Stamp {
  at: number;
  eventId: string;
  /** Causal phase within the second; absent means 1 (a change). */
  phase?: CausalPhase;
}

/**
 * The trust part keeps, beside the current document, the principals of the version before it (the newest
 * older version seen), so "who was just added" does not depend on arrival order either.
 */
export interface TrustPart extends Stamp {
  document: string;
  /** Principals the document trusts ('AWS:…', 'Service:…', 'Federated:…', '*'). */
  principals: string[];
  /** Set by CreateRole: everything it trusts is new. */
  initial: boolean;
  previous?: Stamp & { principals: string[] };
}

export interface RoleRecord {
  account: string;
  roleName: string;
  arn: string;
  created?: Stamp & { by?: string };
  deleted?: Stamp;
  trust?: TrustPart;
  inline: Record<string, Stamp & { document: string | null }>;
  attached: Record<string, Stamp & { attached: boolean }>;
  boundary?: Stamp & { arn: string | null };
  /**
   * IAM's RoleLastUsed as reconcile (or scan) read it: the stamp is the read's (its time is when it was
   * observed), `usedAt` the LastUsedDate (absent: IAM reports no use in its tracking period), `region` where.
   * It is an observation, not a change: it never moves `lastChange`.
   */
  lastUsed?: Stamp & { usedAt?: number; region?: string };
  /** The newest change applied to any part: an event older than this arrived late. */
  lastChange?: Stamp;
}

/** One change to one part of a role. */
export type RoleChange =
  | { part: 'created'; stamp: Stamp; by?: string }
  | { part: 'deleted'; stamp: Stamp }
  | { part: 'trust'; stamp: Stamp; document: string; principals: string[]; initial: boolean }
  | { part: 'inline'; stamp: Stamp; name: string; document: string | null }
  | { part: 'attached'; stamp: Stamp; arn: string; attached: boolean }
  | { part: 'boundary'; stamp: Stamp; arn: string | null }
  | { part: 'lastUsed'; stamp: Stamp; usedAt?: number; region?: string };

/** True when `candidate` should replace `current`. Equal stamps are the same event: no change. */
export function isNewerStamp(candidate: Stamp, current: Stamp | undefined): boolean {
  if (!current) return true;
  if (candidate.at !== current.at) return candidate.at > current.at;
  const phase = (candidate.phase ?? 1) - (current.phase ?? 1);
  if (phase !== 0) return phase > 0;
  return candidate.eventId > current.eventId;
}

/** The stamp of the changes an event makes. */
export function stampOf(event: Pick<TrailEvent, 'time' | 'eventId' | 'eventSource' | 'eventName'>): Stamp {
  const phase = causalPhase(event);
  return phase === 1 ? { at: event.time, eventId: event.eventId } : { at: event.time, eventId: event.eventId, phase };
}

export function emptyRoleRecord(account: string, roleName: string, arn: string): RoleRecord {
  return { account, roleName, arn, inline: {}, attached: {} };
}

/** Applies changes with last-writer-wins per part. Returns a new record; the input is not modified. */
export function applyRoleChanges(record: RoleRecord, changes: readonly RoleChange[]): RoleRecord {
  const next: RoleRecord = { ...record, inline: { ...record.inline }, attached: { ...record.attached } };
  for (const change of changes) {
    if (change.part !== 'lastUsed' && isNewerStamp(change.stamp, next.lastChange)) next.lastChange = change.stamp;
    switch (change.part) {
      case 'created':
        if (isNewerStamp(change.stamp, next.created)) next.created = { ...change.stamp, ...(change.by ? { by: change.by } : {}) };
        break;
      case 'deleted':
        if (isNewerStamp(change.stamp, next.deleted)) next.deleted = change.stamp;
        break;
      case 'trust':
        next.trust = applyTrust(next.trust, change);
        break;
      case 'inline':
        if (isNewerStamp(change.stamp, partNamed(next.inline, change.name)))
          setPart(next.inline, change.name, { ...change.stamp, document: change.document });
        break;
      case 'attached':
        if (isNewerStamp(change.stamp, partNamed(next.attached, change.arn)))
          setPart(next.attached, change.arn, { ...change.stamp, attached: change.attached });
        break;
      case 'boundary':
        if (isNewerStamp(change.stamp, next.boundary)) next.boundary = { ...change.stamp, arn: change.arn };
        break;
      case 'lastUsed':
        if (isNewerStamp(change.stamp, next.lastUsed)) next.lastUsed = lastUsedPart(change);
        break;
    }
  }
  return next;
}

/**
 * The part of that name, only when the role has one. Part names come from events: a policy named "constructor" or
 * "toString" (valid IAM names) must not read what every object inherits, which would hide the policy.
 */
export function partNamed<T>(parts: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(parts, name) ? parts[name] : undefined;
}

/** Sets a part as the record's own, also under a name such as "__proto__", which assignment would not store. */
export function setPart<T>(parts: Record<string, T>, name: string, part: T): void {
  Object.defineProperty(parts, name, { value: part, enumerable: true, writable: true, configurable: true });
}

/** The stored form of a RoleLastUsed observation. */
export function lastUsedPart(change: Extract<RoleChange, { part: 'lastUsed' }>): NonNullable<RoleRecord['lastUsed']> {
  return {
    ...change.stamp,
    ...(change.usedAt !== undefined ? { usedAt: change.usedAt } : {}),
    ...(change.region !== undefined ? { region: change.region } : {}),
  };
}

/** Applies a trust change: newer replaces (the old one becomes the predecessor); older may become the predecessor. */
export function applyTrust(
  current: TrustPart | undefined,
  change: Extract<RoleChange, { part: 'trust' }>,
): TrustPart | undefined {
  const version = { ...change.stamp, principals: change.principals };
  if (isNewerStamp(change.stamp, current)) {
    const { stamp, document, principals, initial } = change;
    if (!current) return { ...stamp, document, principals, initial };
    return {
      ...stamp,
      document,
      principals,
      initial,
      previous: {
        at: current.at,
        eventId: current.eventId,
        ...(current.phase !== undefined ? { phase: current.phase } : {}),
        principals: current.principals,
      },
    };
  }
  if (!current || (change.stamp.at === current.at && change.stamp.eventId === current.eventId)) return current;
  // An older version arriving late becomes the predecessor if it is newer than the one known.
  return isNewerStamp(change.stamp, current.previous) ? { ...current, previous: version } : current;
}

/**
 * Principals the current trust policy added compared with the version before it; for a role's first trust
 * policy (CreateRole) every principal it trusts. Without a known predecessor otherwise, nothing.
 */
export function addedPrincipals(trust: TrustPart): string[] {
  if (!trust.previous) return trust.initial ? trust.principals : [];
  const before = new Set(trust.previous.principals);
  return trust.principals.filter((principal) => !before.has(principal));
}

/**
 * True when two records of a role hold the same state: every part set by the same change to the same value.
 * Compares each part once, without building anything from it: a role view is reused when its record's state is
 * unchanged.
 */
export function sameRoleState(a: RoleRecord, b: RoleRecord): boolean {
  if (a === b) return true;
  return (
    a.account === b.account &&
    a.roleName === b.roleName &&
    a.arn === b.arn &&
    sameStamp(a.created, b.created) &&
    a.created?.by === b.created?.by &&
    sameStamp(a.deleted, b.deleted) &&
    sameStamp(a.boundary, b.boundary) &&
    a.boundary?.arn === b.boundary?.arn &&
    sameStamp(a.lastUsed, b.lastUsed) &&
    a.lastUsed?.usedAt === b.lastUsed?.usedAt &&
    a.lastUsed?.region === b.lastUsed?.region &&
    sameTrust(a.trust, b.trust) &&
    sameParts(a.inline, b.inline, (x, y) => x.document === y.document) &&
    sameParts(a.attached, b.attached, (x, y) => x.attached === y.attached)
  );
}

function sameStamp(a: Stamp | undefined, b: Stamp | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.at === b.at && a.eventId === b.eventId && a.phase === b.phase;
}

function sameTrust(a: TrustPart | undefined, b: TrustPart | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || !sameStamp(a, b) || a.document !== b.document || a.initial !== b.initial) return false;
  if (!samePrincipals(a.principals, b.principals)) return false;
  if (a.previous === b.previous) return true;
  return (
    a.previous !== undefined &&
    b.previous !== undefined &&
    sameStamp(a.previous, b.previous) &&
    samePrincipals(a.previous.principals, b.previous.principals)
  );
}

function samePrincipals(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameParts<T extends Stamp>(
  a: Readonly<Record<string, T>>,
  b: Readonly<Record<string, T>>,
  sameValue: (x: T, y: T) => boolean,
): boolean {
  if (a === b) return true;
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) {
    const x = a[name] as T;
    // Own keys only: a hostile part name such as __proto__ must not reach an inherited value.
    if (!Object.hasOwn(b, name)) return false;
    const y = b[name] as T;
    if (x !== y && (!sameStamp(x, y) || !sameValue(x, y))) return false;
  }
  return true;
}

/** A role exists unless its latest deletion is newer than its latest creation. */
export function roleExists(record: RoleRecord): boolean {
  return !record.deleted || (record.created !== undefined && isNewerStamp(record.created, record.deleted));
}

/** What `String.prototype.localeCompare` compares with when given no locale or options, made once. */
const byName = new Intl.Collator();

/**
 * The live parts of a role: parts set before the role was (re)created belong to an earlier role of the
 * same name and are ignored.
 */
export function liveParts(record: RoleRecord): {
  trust?: TrustPart;
  inline: { name: string; document: string }[];
  attached: string[];
  boundary?: string;
} {
  const since = record.created;
  const live = (stamp: Stamp) => !since || !isNewerStamp(since, stamp);
  // Every role view reads these: plain loops, and names ordered as localeCompare orders them.
  const inline: { name: string; document: string }[] = [];
  for (const name of Object.keys(record.inline)) {
    const part = record.inline[name] as RoleRecord['inline'][string];
    if (part.document !== null && live(part)) inline.push({ name, document: part.document });
  }
  if (inline.length > 1) inline.sort((a, b) => byName.compare(a.name, b.name));
  const attached: string[] = [];
  for (const arn of Object.keys(record.attached)) {
    const part = record.attached[arn] as RoleRecord['attached'][string];
    if (part.attached && live(part)) attached.push(arn);
  }
  if (attached.length > 1) attached.sort();
  const trust = record.trust && live(record.trust) ? record.trust : undefined;
  const boundary = record.boundary && record.boundary.arn !== null && live(record.boundary) ? record.boundary.arn : undefined;
  return { ...(trust ? { trust } : {}), inline, attached, ...(boundary ? { boundary } : {}) };
}

/** What IAM last reported of a role's use, as `RoleView.lastUsed`. */
export interface LastUsed {
  /** When it was read (epoch ms). */
  observedAt: number;
  /** LastUsedDate (epoch ms); absent when IAM reports no use in its tracking period. */
  at?: number;
  region?: string;
}

/**
 * The role's last RoleLastUsed observation, unless it was made before the role was (re)created (then it is of an
 * earlier role of the same name).
 */
export function liveLastUsed(record: Pick<RoleRecord, 'created' | 'lastUsed'>): LastUsed | undefined {
  const observed = record.lastUsed;
  if (!observed || (record.created && isNewerStamp(record.created, observed))) return undefined;
  return {
    observedAt: observed.at,
    ...(observed.usedAt !== undefined ? { at: observed.usedAt } : {}),
    ...(observed.region ? { region: observed.region } : {}),
  };
}

/** Which part of a role a change sets: changes with the same key replace each other. */
export function partKey(change: RoleChange): string {
  if (change.part === 'inline') return `inline:${change.name}`;
  if (change.part === 'attached') return `attached:${change.arn}`;
  return change.part;
}

/** Replays changes in time order onto a record: the role as of the newest of them. */
export function foldRoleChanges(base: RoleRecord, entries: readonly { changes: readonly RoleChange[] }[]): RoleRecord {
  return entries.reduce((record, entry) => applyRoleChanges(record, entry.changes), base);
}
