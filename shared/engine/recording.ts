import type { Config } from '../config/config';
import type { FindingDraft, RecordedFinding } from '../findings/finding';
import { severityRank } from '../findings/severity';
import type { FindingStore } from '../ports/findingStore';
import { matchSuppression } from './draft';

export type { RecordedFinding };

/**
 * Recording findings: each draft goes to the finding store with the configured suppression that covers it and
 * whether it may alert (at or above the alert threshold, unless alerting is off, as in backfills).
 */
export class FindingRecorder {
  private readonly minimum: number;

  constructor(
    private readonly findings: FindingStore,
    private readonly config: Config,
    alerting: boolean,
  ) {
    this.minimum = alerting ? severityRank(config.alerts.minSeverity) : Number.POSITIVE_INFINITY;
  }

  async record(drafts: readonly FindingDraft[], at: number): Promise<RecordedFinding[]> {
    if (drafts.length === 0) return [];
    const out: RecordedFinding[] = [];
    for (const draft of drafts) {
      const suppression = matchSuppression(this.config, draft, at);
      const alert = severityRank(draft.severity) >= this.minimum;
      out.push(await this.findings.record(draft, suppression ? { suppression, alert } : { alert }));
    }
    return out;
  }
}
