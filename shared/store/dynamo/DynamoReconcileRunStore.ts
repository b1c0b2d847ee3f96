import type { AccountOutcome, ReconcileRunStore } from '../../ports/reconcileRuns';
import type { DynamoTable, Item } from './DynamoTable';
import { keys } from './keys';

const DAY_SECONDS = 86_400;
/** Longest error text kept per account: a report names the cause, not the stack. */
const ERROR_LENGTH = 300;
const COUNTS = ['roles', 'policies', 'corrected', 'deleted', 'findings', 'resolved'] as const;

/**
 * Outcomes of reconcile runs, one item per account (`RECONCILE#<run>` / `ACCOUNT#<account>`), kept for
 * `ttlDays`. Successes are written here; failures are written by the state machine's Catch, as
 * `failure` = the States error object as JSON (`{"Error": ..., "Cause": ...}`), which is read back here.
 */
export class DynamoReconcileRunStore implements ReconcileRunStore {
  constructor(
    private readonly table: DynamoTable,
    private readonly options: { ttlDays: number; now?: () => number },
  ) {}

  async recordOutcome(runId: string, outcome: AccountOutcome): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    await this.table.put({
      pk: keys.reconcileRun(runId),
      sk: keys.reconcileRunAccount(outcome.account),
      ...outcome,
      expiresAt: Math.floor(now / 1000) + this.options.ttlDays * DAY_SECONDS,
    });
  }

  async outcomes(runId: string): Promise<AccountOutcome[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.reconcileRun(runId) },
    });
    return items.flatMap((item) => {
      const outcome = outcomeOf(item);
      return outcome ? [outcome] : [];
    });
  }
}

function outcomeOf(item: Item): AccountOutcome | undefined {
  if (typeof item.account !== 'string') return undefined;
  const outcome: AccountOutcome = {
    account: item.account,
    ...Object.fromEntries(COUNTS.map((name) => [name, Number(item[name] ?? 0) || 0])),
  } as AccountOutcome;
  if (typeof item.error === 'string') outcome.error = item.error.slice(0, ERROR_LENGTH);
  else if (typeof item.failure === 'string') outcome.error = describeStatesError(item.failure);
  return outcome;
}

/**
 * `Error: message` from what a Catch hands on: `{"Error": name, "Cause": text}`, where a Lambda function's
 * Cause is itself JSON (`errorType`, `errorMessage`, `trace`). Whatever it holds, the text is bounded.
 */
export function describeStatesError(failure: string): string {
  let name = 'Error';
  let cause = failure;
  try {
    const parsed = JSON.parse(failure) as { Error?: unknown; Cause?: unknown };
    if (typeof parsed.Error === 'string') name = parsed.Error;
    cause = typeof parsed.Cause === 'string' ? parsed.Cause : '';
    const lambda = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof lambda.errorMessage === 'string') cause = lambda.errorMessage;
  } catch {
    // Not JSON (or a Cause that is plain text): kept as it is.
  }
  return (cause ? `${name}: ${cause}` : name).slice(0, ERROR_LENGTH);
}
