import { oneLine } from '../alerts/text';
import type { TrailReadError } from '../cloudtrail/read';

/** How many skips of each reason are printed one by one; the rest are counted. */
export const SHOWN_PER_REASON = 5;

/**
 * Input skipped by a CLI run, printed as it happens but never flooding: the first few of each reason are printed
 * one per line, the rest only counted, and {@link SkipReport.summary} gives the count per reason at the end.
 * Memory holds one counter per reason, whatever the number of skips.
 */
export class SkipReport {
  private readonly reasons = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly shown = SHOWN_PER_REASON,
  ) {}

  /** Records one skip; prints it while its reason has been seen fewer than `shown` times. */
  add(error: Pick<TrailReadError, 'source' | 'message' | 'reason' | 'eventId'>): void {
    this.count += 1;
    const reason = error.reason ?? 'invalid record';
    const seen = (this.reasons.get(reason) ?? 0) + 1;
    this.reasons.set(reason, seen);
    if (seen <= this.shown)
      this.write(
        `skipped ${oneLine(error.source)}${error.eventId ? ` (eventID ${oneLine(error.eventId)})` : ''}: ${oneLine(error.message)}\n`,
      );
    if (seen === this.shown)
      this.write(`(further skips for "${reason}" are counted, not printed; the summary gives the total)\n`);
  }

  get total(): number {
    return this.count;
  }

  /** One line: `skipped 4000002 in all: 4000000 invalid JSON, 2 invalid record`; empty when nothing was skipped. */
  summary(): string {
    if (this.count === 0) return '';
    const parts = [...this.reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `${count} ${reason}`);
    return `skipped ${this.count} in all: ${parts.join(', ')}`;
  }
}
