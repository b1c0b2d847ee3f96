import type { Severity } from './severity';

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

/** A finding as recording left it, and what recording did to it. */
export interface RecordedFinding {
  finding: Finding;
  transition: FindingTransition;
}

/** One counted occurrence of a finding: the event that produced it. */
export interface Occurrence {
  findingId: string;
  eventId: string;
}

/** Finding statuses, in the order lists and counters show them. */
export const FINDING_STATUSES = ['open', 'suppressed', 'resolved'] as const satisfies readonly FindingStatus[];
