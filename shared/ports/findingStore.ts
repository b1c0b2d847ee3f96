import type { Finding, FindingDraft, FindingTransition, Occurrence } from '../findings/finding';
import type { Severity } from '../findings/severity';

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
