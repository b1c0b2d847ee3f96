import type { TrailEvent } from '../cloudtrail/types';
import type { PolicyChange, PolicyRecord } from '../roles/policyRecord';
import type { EventKind } from '../roles/roleEvents';
import type { RoleChange, RoleRecord, Stamp } from '../roles/roleRecord';

/**
 * What RoleWatch knows of one of an account's resources other than roles and policies (a Roles Anywhere trust
 * anchor, a guardrail policy and its targets, a trail and its bucket), as the event that last set it left it:
 * stamped like role parts (last writer wins), `value` null once deleted.
 */
export interface StoredFact {
  kind: string;
  id: string;
  stamp: Stamp;
  value: Record<string, unknown> | null;
}

/** Who assumed a role, aggregated: one record per (role, source), however many events. */
export interface AssumptionEdge {
  /** The role's account. */
  account: string;
  roleArn: string;
  source: string;
  sourceAccount?: string;
  sourceType: 'aws' | 'service' | 'web-identity' | 'saml';
  firstSeen: number;
  lastSeen: number;
  count: number;
  regions: string[];
  /** A few source IP addresses, for the person investigating. */
  sampleIps: string[];
}

/** One role-assumption event to aggregate into its edge. */
export interface AssumptionObservation {
  account: string;
  roleArn: string;
  source: string;
  sourceAccount?: string;
  sourceType: AssumptionEdge['sourceType'];
  at: number;
  eventId: string;
  region: string;
  sourceIp?: string;
  /**
   * The assumption itself (credentials dropped), kept for the ledger's lifetime when a rule may correlate it
   * with a trust change that arrives after it (Rule.correlatesTrustChanges).
   */
  event?: TrailEvent;
}

/** An assumption that recordAssumptions could not record, and why: its event is to be retried. */
export interface AssumptionFailure {
  eventId: string;
  error: unknown;
}

/** An entry of a role's change history. */
export interface HistoryEntry {
  account: string;
  roleName: string;
  roleArn: string;
  at: number;
  eventId: string;
  eventName: string;
  actor?: string;
  sourceIp?: string;
  userAgent?: string;
  /** What changed, in words ("attached arn:aws:iam::aws:policy/ReadOnlyAccess"). */
  summary: string;
  /** Policy diff lines for trust and permission changes. */
  diff?: string[];
  /**
   * The event itself (response elements dropped), so that the role's later events can be evaluated
   * again when an older event arrives late.
   */
  event?: TrailEvent;
}

/**
 * Role, policy, assumption and correlation state. Writes are idempotent: applying the same change twice,
 * or an older change after a newer one, leaves the state as it was.
 */
export interface StateStore {
  getRole(account: string, roleName: string): Promise<RoleRecord | undefined>;
  /** Names of every role RoleWatch has state for in an account (deleted ones included). */
  roleNames(account: string): Promise<string[]>;
  /** Applies changes part by part, each only if newer than the stored part. */
  applyRoleChanges(account: string, roleName: string, arn: string, changes: readonly RoleChange[]): Promise<void>;
  /** Names of roles that have the policy attached now. */
  rolesWithPolicy(account: string, policyArn: string): Promise<string[]>;
  getPolicy(account: string, arn: string): Promise<PolicyRecord | undefined>;
  applyPolicyChanges(account: string, arn: string, changes: readonly PolicyChange[]): Promise<void>;
  /** Appends to a role's history (idempotent per eventId and summary). */
  appendHistory(entry: HistoryEntry): Promise<void>;
  /** A role's history, newest first. */
  roleHistory(account: string, roleName: string): Promise<HistoryEntry[]>;
  getAssumption(account: string, roleArn: string, source: string): Promise<AssumptionEdge | undefined>;
  /** Every source that assumed a role. */
  assumptionsOf(account: string, roleArn: string): Promise<AssumptionEdge[]>;
  /**
   * Aggregates assumption events into their edges and logs each one (the log entry is its mark of processed):
   * exactly once per event, however often or however concurrently it is delivered. The observations of one
   * call that share an edge are counted in one write of it. Returns the events it could not record (a write
   * failed): recording them again later counts nothing twice and loses nothing.
   */
  recordAssumptions(observations: readonly AssumptionObservation[]): Promise<AssumptionFailure[]>;
  /** Whether recordAssumptions recorded this assumption (its ledger). */
  isAssumptionRecorded(account: string, roleArn: string, at: number, eventId: string): Promise<boolean>;
  /** Logged assumptions of a role with `from <= time < to`, in time order (the log lasts as long as the ledger). */
  assumptionsBetween(account: string, roleArn: string, from: number, to: number): Promise<TrailEvent[]>;
  /** Records a failed trust-policy update by `principal` and returns how many happened within `windowMs` before `at`. */
  countTrustFailures(account: string, principal: string, at: number, eventId: string, windowMs: number): Promise<number>;
  /** The earliest event time the monitor has seen; `at` lowers it if earlier. */
  monitoringSince(at: number): Promise<number>;
  /** Notes the newest event time seen, overall and of its kind (adapters may write it at most every minute or so). */
  noteLastEvent(at: number, kind: EventKind): Promise<void>;
  /** The newest event time noted of each kind (kinds never seen are absent). */
  lastEvents(): Promise<Partial<Record<EventKind, number>>>;
  /** Every fact of one kind RoleWatch holds for an account, deleted ones included (value null). */
  accountFacts(account: string, kind: string): Promise<StoredFact[]>;
  /** Applies facts, each only if newer than the stored fact of the same kind and id. */
  applyAccountFacts(account: string, facts: readonly StoredFact[]): Promise<void>;
}
