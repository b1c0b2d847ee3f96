import type { Finding, FindingDraft, FindingTransition } from './finding';
import { severityRank } from './severity';

export interface RecordOptions {
  suppression?: { reason: string; by: string; until?: string };
  alert: boolean;
}

/**
 * The key that makes recording idempotent: a short hash of the event's id (or of the evaluation time for
 * state re-evaluations), which the stores remember for every occurrence they count.
 */
export function occurrenceId(draft: FindingDraft): string {
  return occurrenceKey(draft.event?.eventId ?? `state@${draft.at}`);
}

/** 64-bit FNV-1a of an eventID, in base 36 (14 characters). */
export function occurrenceKey(eventId: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let i = 0; i < eventId.length; i++) {
    low = (low ^ eventId.charCodeAt(i)) >>> 0;
    // Multiply the 64-bit value by the FNV prime 0x100000001b3, in two 32-bit halves.
    const lowProduct = low * 0x1b3;
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + Math.floor(lowProduct / 0x100000000)) >>> 0;
    low = lowProduct >>> 0;
  }
  // Each half on its own: together they exceed the integers a double holds exactly.
  return high.toString(36).padStart(7, '0') + low.toString(36).padStart(7, '0');
}

/**
 * The finding lifecycle as a pure function, shared by every FindingStore adapter: a new finding opens
 * (or is born suppressed), a repeat is counted silently, a higher severity escalates, a resolved finding
 * re-opens, an expired suppression re-opens. Alerts become pending only on open, re-open and escalation.
 * A re-evaluation of state (no event) that finds an open or suppressed finding still true changes nothing:
 * confirming it again is no new occurrence. Recognising an event counted before is the store's part.
 */
export function nextFinding(
  existing: Finding | undefined,
  draft: FindingDraft,
  options: RecordOptions,
): { finding: Finding; transition: FindingTransition } {
  if (!existing) {
    const suppressed = options.suppression !== undefined;
    return {
      transition: suppressed ? 'suppressed' : 'opened',
      finding: {
        ...draft,
        status: suppressed ? 'suppressed' : 'open',
        firstSeen: draft.at,
        lastSeen: draft.at,
        count: 1,
        ...(options.suppression ? { suppression: options.suppression } : {}),
        alert: { state: !suppressed && options.alert ? 'pending' : 'none' },
      },
    };
  }
  const escalates = severityRank(draft.severity) > severityRank(existing.severity);
  if (!draft.event && existing.status !== 'resolved' && !escalates && !suppressionExpired(existing, draft.at, options))
    return { finding: existing, transition: 'duplicate' };

  const isNewest = draft.at >= existing.lastSeen;
  const merged: Finding = {
    ...existing,
    // The newest occurrence describes the finding; an older one arriving late only adds to the count.
    ...(isNewest ? pickDescription(draft) : {}),
    severity: escalates ? draft.severity : existing.severity,
    firstSeen: Math.min(existing.firstSeen, draft.at),
    lastSeen: Math.max(existing.lastSeen, draft.at),
    count: existing.count + 1,
  };
  const pending = (finding: Finding): Finding =>
    options.alert ? { ...finding, alert: { ...finding.alert, state: 'pending' } } : finding;

  if (existing.status === 'resolved') {
    const { resolvedAt: _at, resolution: _why, ...reopened } = merged;
    if (options.suppression)
      return { transition: 'suppressed', finding: { ...reopened, status: 'suppressed', suppression: options.suppression } };
    return { transition: 'reopened', finding: pending({ ...reopened, status: 'open' }) };
  }
  if (existing.status === 'suppressed') {
    if (suppressionExpired(existing, draft.at, options)) {
      const { suppression: _s, ...reopened } = merged;
      return { transition: 'reopened', finding: pending({ ...reopened, status: 'open' }) };
    }
    return { transition: 'repeated', finding: merged };
  }
  if (merged.severity !== existing.severity) return { transition: 'escalated', finding: pending(merged) };
  return { transition: 'repeated', finding: merged };
}

/** A suppression with an end that has passed by `at`, and no configured suppression that still covers it. */
function suppressionExpired(finding: Finding, at: number, options: RecordOptions): boolean {
  const until = finding.status === 'suppressed' ? finding.suppression?.until : undefined;
  return until !== undefined && suppressionEnd(until) < at && !options.suppression;
}

/** Resolves a finding whose cause is gone. */
export function resolveFinding(finding: Finding, at: number, reason: string): Finding {
  return { ...finding, status: 'resolved', resolvedAt: at, resolution: reason };
}

/** A date without a time means "through that day" (UTC). */
export function suppressionEnd(until: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(until) ? Date.parse(`${until}T23:59:59.999Z`) : Date.parse(until);
}

function pickDescription(draft: FindingDraft): Partial<Finding> {
  const { detail, evidence, diff, event, region, title, rationale, remediation } = draft;
  return {
    detail,
    title,
    rationale,
    remediation,
    ...(evidence ? { evidence } : {}),
    ...(diff ? { diff } : {}),
    ...(event ? { event } : {}),
    ...(region ? { region } : {}),
  };
}
