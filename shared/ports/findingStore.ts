import type { Finding, FindingDraft, FindingTransition, Occurrence } from '../findings/finding';
import type { Severity } from '../findings/severity';

/** Ids of the findings that still hold, or how to compute them when they are needed. */
export type StillTrue = ReadonlySet<string> | (() => ReadonlySet<string>);

/** The ids of `StillTrue`, computed on the first call and remembered. */
export function stillTrueIds(stillTrue: StillTrue): () => ReadonlySet<string> {
  if (typeof stillTrue !== 'function') return () => stillTrue;
  let ids: ReadonlySet<string> | undefined;
  return () => {
    ids ??= stillTrue();
    return ids;
  };
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
  /**
   * Resolves open or suppressed posture findings of a resource that are not in `stillTrue`. Given as a function,
   * `stillTrue` is computed at most once, and not at all when the resource has no finding to resolve: what still
   * holds can cost a full evaluation of the resource, which a resource with nothing open does not need.
   */
  resolveMissing(account: string, resource: string, stillTrue: StillTrue, at: number, reason: string): Promise<Finding[]>;
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
