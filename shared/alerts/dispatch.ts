import type { Finding, FindingTransition, RecordedFinding } from '../findings/finding';
import { severityRank } from '../findings/severity';
import { AlertDeliveryError, type AlertPublisher } from '../ports/alertPublisher';
import type { FindingStore } from '../ports/findingStore';
import { formatAlert, pendingReason } from './formatAlert';

/** What dispatching needs: where alerts go, where "sent" is recorded, the API for links, and the clock. */
export interface DispatchDeps {
  publisher: AlertPublisher;
  findings: Pick<FindingStore, 'markAlerted'>;
  apiUrl?: string;
  now: () => number;
}

/**
 * Sends one alert for each recorded finding whose alert is pending (the lifecycle marks exactly the new,
 * re-opened and escalated ones at or above `alerts.minSeverity`) and marks it sent. Repeats and duplicates
 * of findings already alerted send nothing; a finding recorded twice in one batch is sent once.
 *
 * Each alert is marked sent only after it was published, so a failure leaves it pending: every alert is
 * still attempted, then the call throws AlertDeliveryError, the event is retried, and the retry sends
 * what is still pending. A crash between publish and mark can send one alert twice, never zero times.
 */
export async function dispatchAlerts(recorded: readonly RecordedFinding[], deps: DispatchDeps): Promise<{ sent: number }> {
  const byId = new Map<string, RecordedFinding>();
  for (const entry of recorded) {
    if (entry.finding.alert.state !== 'pending') continue;
    const earlier = byId.get(entry.finding.id);
    // The latest record describes the finding; the first alerting transition (usually "opened") says why.
    const transition = earlier && isAlerting(earlier.transition) ? earlier.transition : entry.transition;
    byId.set(entry.finding.id, { finding: entry.finding, transition });
  }
  return send([...byId.values()], deps);
}

/**
 * Sends the alerts of findings still pending from an earlier attempt (the reconcile sweep), with the reason
 * read from each finding: opened, re-opened or escalated. Findings not pending are skipped.
 */
export async function dispatchPending(findings: readonly Finding[], deps: DispatchDeps): Promise<{ sent: number }> {
  const pending = new Map<string, RecordedFinding>();
  for (const finding of findings) {
    if (finding.alert.state === 'pending') pending.set(finding.id, { finding, transition: pendingReason(finding) });
  }
  return send([...pending.values()], deps);
}

function isAlerting(transition: FindingTransition): boolean {
  return transition === 'opened' || transition === 'reopened' || transition === 'escalated';
}

async function send(candidates: RecordedFinding[], deps: DispatchDeps): Promise<{ sent: number }> {
  // Most severe first: if delivery starts failing half-way, the critical alert is the one that got out.
  const ordered = [...candidates].sort((a, b) => severityRank(b.finding.severity) - severityRank(a.finding.severity));
  const failures: { id: string; error: unknown }[] = [];
  let sent = 0;
  for (const { finding, transition } of ordered) {
    try {
      await deps.publisher.publish(formatAlert(finding, transition, deps.apiUrl ? { apiUrl: deps.apiUrl } : {}));
    } catch (error) {
      failures.push({ id: finding.id, error });
      continue;
    }
    try {
      await deps.findings.markAlerted(finding.id, deps.now(), finding.severity);
      sent += 1;
    } catch (error) {
      failures.push({
        id: finding.id,
        error: new AlertDeliveryError('alert published but not marked sent; it may be sent again', { cause: error }),
      });
    }
  }
  if (failures.length > 0) {
    const first = failures[0];
    const reason = first?.error instanceof Error ? first.error.message : String(first?.error);
    throw new AlertDeliveryError(
      `${failures.length} of ${ordered.length} alert(s) not delivered (${failures.map((f) => f.id).join(', ')}): ${reason}; they stay pending for the retry`,
      { cause: failures.length === 1 ? first?.error : new AggregateError(failures.map((f) => f.error)) },
    );
  }
  return { sent };
}
