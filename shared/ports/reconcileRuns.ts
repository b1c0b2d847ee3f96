/** What a reconcile changed, counted. */
export interface ReconcileCounts {
  roles: number;
  policies: number;
  corrected: number;
  deleted: number;
  /** Findings opened, re-opened or escalated. */
  findings: number;
  resolved: number;
}

/**
 * What one account of a reconcile run came to. The state machine runs each account in a child execution of
 * its own, so the accounts' outcomes meet in the table, not in memory: the account step records a success,
 * the state machine itself records a failure (its Catch writes the item), and the finish step reads them all.
 */
export interface AccountOutcome extends ReconcileCounts {
  account: string;
  /** Set when the account could not be reconciled: why (the error's name and message). */
  error?: string;
}

/** Where the steps of a run leave each account's outcome, under the run's id (the execution name). */
export interface ReconcileRunStore {
  recordOutcome(runId: string, outcome: AccountOutcome): Promise<void>;
  /** Every outcome recorded for the run, in no particular order. */
  outcomes(runId: string): Promise<AccountOutcome[]>;
}
