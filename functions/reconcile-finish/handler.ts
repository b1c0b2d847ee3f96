import { dispatchPending } from '../../shared/alerts/dispatch';
import { finishReconcile } from '../../shared/app/reconcile';
import { parseFinishStep, type RunReport, summarizeRun } from '../../shared/app/reconcileRun';
import { createLambdaContext, type LambdaContext } from '../../shared/context';

let ctx: LambdaContext | undefined;

/**
 * Last step of the reconcile state machine: collects the accounts' outcomes, recounts the summary, sends the
 * alerts still pending, and returns the run's report (which accounts failed and why). When no account could
 * be reconciled, nothing is recounted or sent: the state is as it was. The state machine fails the run when
 * the report counts failures.
 */
export const handler = async (input: unknown): Promise<RunReport> => {
  ctx ??= createLambdaContext();
  const { stores, publisher, config, logger, env } = ctx;
  const step = parseFinishStep(input);
  const outcomes = await stores.runs.outcomes(step.runId);
  const reconciled = outcomes.filter((outcome) => outcome.error === undefined).length;
  const alertsRetried =
    reconciled === 0 && step.accounts.length > 0
      ? 0
      : await finishReconcile({
          findings: stores.findings,
          minSeverity: config.alerts.minSeverity,
          ...(publisher
            ? {
                dispatch: async (findings) => {
                  await dispatchPending(findings, {
                    publisher,
                    findings: stores.findings,
                    now: Date.now,
                    ...(env.API_URL ? { apiUrl: env.API_URL } : {}),
                  });
                },
              }
            : {}),
        });
  const report = summarizeRun(step.runId, step.accounts, outcomes, alertsRetried);
  if (report.failed > 0) {
    logger.error('accounts not reconciled', {
      runId: step.runId,
      failures: outcomes.filter((outcome) => outcome.error !== undefined).map(({ account, error }) => ({ account, error })),
    });
  }
  const { message: summary, ...counts } = report;
  logger.info('reconcile done', { ...counts, summary });
  return report;
};
