import type { TrailEvent } from '../cloudtrail/types';
import type { Severity } from '../config/config';
import type { EventKind } from './events';
import type { RoleChange, RoleRecord, Stamp } from './roleRecord';

/** A customer-managed policy as RoleWatch remembers it from CreatePolicy/CreatePolicyVersion/SetDefaultPolicyVersion. */
export interface PolicyRecord {
  account: string;
  arn: string;
  /** The default version, stamped like role parts (last writer wins). */
  defaultVersion?: Stamp & { versionId: string };
  /** Documents of versions seen in events, by version id. */
  versions: Record<string, string>;
  deleted?: Stamp;
}

/** A change to a customer-managed policy. */
export type PolicyChange =
  | { kind: 'version'; versionId: string; document: string }
  | { kind: 'default'; stamp: Stamp; versionId: string }
  | { kind: 'deleted'; stamp: Stamp };

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
   * Aggregates one assumption event into its edge and logs the assumption, as one write: the log entry is
   * the event's mark of processed, so an assumption is counted exactly once however often it is delivered.
   * `previous` is the edge as read before (it spares the adapter a read).
   */
  recordAssumption(observation: AssumptionObservation, previous?: AssumptionEdge): Promise<void>;
  /** Whether recordAssumption recorded this assumption (its ledger). */
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

export type FindingStatus = 'open' | 'resolved' | 'suppressed';

/** A finding as the engine produces it, before the store gives it a lifecycle. */
export interface FindingDraft {
  /** Stable: the same rule on the same resource (and qualifier) always has the same id. */
  id: string;
  ruleId: string;
  kind: 'posture' | 'event';
  severity: Severity;
  title: string;
  account: string;
  region?: string;
  resource: string;
  /** Short name of the resource (role name, trail name). */
  resourceName: string;
  /** Name of the role the finding is about, when it is about a role. */
  roleName?: string;
  qualifier?: string;
  detail: string;
  evidence?: Record<string, unknown>;
  diff?: string[];
  rationale: string;
  remediation: string;
  /** Event time (epoch ms) of what produced the finding. */
  at: number;
  event?: EventSummary;
}

/** The parts of a CloudTrail event a person needs to investigate a finding. */
export interface EventSummary {
  eventId: string;
  eventName: string;
  eventTime: string;
  region: string;
  actor?: string;
  actorType?: string;
  sourceIp?: string;
  userAgent?: string;
}

export interface Finding extends FindingDraft {
  status: FindingStatus;
  firstSeen: number;
  lastSeen: number;
  /** Occurrences counted: distinct events (or re-evaluations) that produced the finding. */
  count: number;
  suppression?: { reason: string; by: string; until?: string };
  resolvedAt?: number;
  resolution?: string;
  /** Alert delivery: none (below threshold or suppressed), pending, or sent at a time for a severity. */
  alert: { state: 'none' | 'pending' | 'sent'; sentAt?: number; severity?: Severity };
}

/** What recording a draft did to the stored finding. */
export type FindingTransition = 'opened' | 'reopened' | 'escalated' | 'repeated' | 'duplicate' | 'suppressed';

/** One counted occurrence of a finding: the event that produced it. */
export interface Occurrence {
  findingId: string;
  eventId: string;
}

export interface FindingStore {
  /**
   * Records an occurrence: opens, re-opens, escalates or counts a repeat. Exactly once per (finding, eventId):
   * the store remembers every counted occurrence, so a redelivery or a re-evaluation is a duplicate.
   */
  record(
    draft: FindingDraft,
    options: { suppression?: { reason: string; by: string; until?: string }; alert: boolean },
  ): Promise<{ finding: Finding; transition: FindingTransition }>;
  /** Resolves open or suppressed posture findings of a resource that are not in `stillTrue`. */
  resolveMissing(
    account: string,
    resource: string,
    stillTrue: ReadonlySet<string>,
    at: number,
    reason: string,
  ): Promise<Finding[]>;
  get(id: string): Promise<Finding | undefined>;
  forResource(account: string, resource: string): Promise<Finding[]>;
  /** Open findings of these severities whose alert is still pending (not sent yet). */
  pendingAlerts(severities: readonly Severity[]): Promise<Finding[]>;
  /** Recomputes summary counts from the findings themselves (reconcile repairs any drift with it). */
  recountSummary(): Promise<void>;
  /** Which of these (finding, event) pairs were counted. */
  occurrencesAmong(findingIds: readonly string[], eventIds: readonly string[]): Promise<Occurrence[]>;
  /**
   * Takes back an occurrence that turned out to be an artefact of events arriving out of order (idempotent);
   * a finding left with none is deleted.
   */
  removeOccurrence(occurrence: Occurrence): Promise<void>;
  /** Marks a finding's pending alert as sent (for the severity it was sent at). */
  markAlerted(id: string, at: number, severity: Severity): Promise<void>;
}

/** Remembers processed eventIDs so a redelivered event is a no-op. */
export interface EventLedger {
  isProcessed(eventId: string): Promise<boolean>;
  markProcessed(eventId: string, at: number): Promise<void>;
}
