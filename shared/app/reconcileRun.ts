import { z } from 'zod';
import type { AccountOutcome, ReconcileCounts, ReconcileRunStore } from '../ports/reconcileRuns';
import type { AccountReconcile } from './reconcile';
import { parseStepInput } from './stepInput';

/** The report of a state-machine run, small enough for the execution's output (256 KB). */
export interface RunReport extends ReconcileCounts {
  runId: string;
  accounts: number;
  reconciled: number;
  alertsRetried: number;
  /** How many accounts failed; `failures` lists at most {@link REPORTED_FAILURES} of them. */
  failed: number;
  failures: { account: string; error: string }[];
  /** One line for a person (the cause of the failed execution when `failed` > 0). */
  message: string;
}

/** Days an account's outcome of a reconcile run is kept in the table. */
export const RUN_TTL_DAYS = 30;

/** Failures listed by name in a run's report; the rest are counted (and logged by the finish step). */
export const REPORTED_FAILURES = 50;

/** The outcome of an account that was reconciled. */
export function successOutcome(account: string, part: AccountReconcile): AccountOutcome {
  return {
    account,
    roles: part.roles,
    policies: part.policies,
    corrected: part.corrected.length,
    deleted: part.deleted.length,
    findings: part.findings.filter((f) => f.transition !== 'duplicate' && f.transition !== 'repeated').length,
    resolved: part.resolved.length,
  };
}

/**
 * Sums the outcomes of a run. An account that was listed but has no outcome (a child that ended without
 * recording one) counts as failed: a run never reports an account as reconciled that it cannot show.
 */
export function summarizeRun(
  runId: string,
  accounts: readonly string[],
  outcomes: readonly AccountOutcome[],
  alertsRetried: number,
): RunReport {
  const byAccount = new Map(outcomes.map((outcome) => [outcome.account, outcome]));
  const report: RunReport = {
    runId,
    accounts: accounts.length,
    reconciled: 0,
    roles: 0,
    policies: 0,
    corrected: 0,
    deleted: 0,
    findings: 0,
    resolved: 0,
    alertsRetried,
    failed: 0,
    failures: [],
    message: '',
  };
  const failures: { account: string; error: string }[] = [];
  for (const account of accounts) {
    const outcome = byAccount.get(account);
    if (!outcome || outcome.error !== undefined) {
      failures.push({ account, error: (outcome?.error ?? 'no outcome was recorded for the account').slice(0, 300) });
      continue;
    }
    report.reconciled += 1;
    report.roles += outcome.roles;
    report.policies += outcome.policies;
    report.corrected += outcome.corrected;
    report.deleted += outcome.deleted;
    report.findings += outcome.findings;
    report.resolved += outcome.resolved;
  }
  report.failed = failures.length;
  report.failures = failures.slice(0, REPORTED_FAILURES);
  report.message =
    failures.length === 0
      ? `reconciled ${report.reconciled} account(s): ${report.roles} roles, ${report.corrected} corrected, ${report.deleted} deleted`
      : `reconcile could not read ${failures.length} of ${accounts.length} account(s): ${report.failures
          .map((f) => `${f.account} (${f.error})`)
          .join('; ')}${failures.length > REPORTED_FAILURES ? `; and ${failures.length - REPORTED_FAILURES} more` : ''}`;
  return report;
}

/** Outcomes kept in memory: local runs, tests and the simulation. */
export class MemoryReconcileRunStore implements ReconcileRunStore {
  private readonly runs = new Map<string, Map<string, AccountOutcome>>();

  async recordOutcome(runId: string, outcome: AccountOutcome): Promise<void> {
    const run = this.runs.get(runId) ?? new Map<string, AccountOutcome>();
    run.set(outcome.account, { ...outcome });
    this.runs.set(runId, run);
  }

  async outcomes(runId: string): Promise<AccountOutcome[]> {
    return [...(this.runs.get(runId)?.values() ?? [])].map((outcome) => ({ ...outcome }));
  }
}

const runId = z.string().regex(/^[\w-]{1,80}$/, 'is not an execution name');
const accountId = z.string().regex(/^\d{12}$/, 'is not a 12-digit AWS account id');

const accountStepSchema = z.object({
  account: accountId,
  runId,
  /** The execution's start ($$.Execution.StartTime): every account of a run is stamped with it. */
  startedAt: z.iso.datetime({ offset: true }),
});

const finishStepSchema = z.object({ runId, accounts: z.array(accountId) });

/** What the state machine hands the account step (ItemSelector). */
export type AccountStep = z.infer<typeof accountStepSchema>;
/** What the state machine hands the finish step. */
export type FinishStep = z.infer<typeof finishStepSchema>;

export const parseAccountStep = (input: unknown): AccountStep =>
  parseStepInput(accountStepSchema, 'reconcile account step', input);
export const parseFinishStep = (input: unknown): FinishStep => parseStepInput(finishStepSchema, 'reconcile finish step', input);

/** Error names AWS services give a throttled request (IAM and STS: `Throttling`). */
const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/**
 * True when an AWS SDK error says the request was throttled (by name, by the SDK's own verdict, or HTTP 429),
 * itself or as the cause of the errors that wrap it (an AssumeRole refused for its rate, say).
 */
export function isThrottling(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const { name, $retryable, $metadata, cause } = error as {
    name?: unknown;
    $retryable?: { throttling?: unknown };
    $metadata?: { httpStatusCode?: unknown };
    cause?: unknown;
  };
  return (
    (typeof name === 'string' && THROTTLING_NAMES.has(name)) ||
    $retryable?.throttling === true ||
    $metadata?.httpStatusCode === 429 ||
    isThrottling(cause, depth + 1)
  );
}
