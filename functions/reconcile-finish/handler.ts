import { dispatchPending } from '../../shared/alerts/dispatch';
import { finishReconcile } from '../../shared/app/reconcile';
import { parseFinishStep, type RunReport, summarizeRun } from '../../shared/app/reconcileRun';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { RoleWatchError } from '../../shared/errors';

let ctx: LambdaContext | undefined;

/**
 * Last step of the reconcile state machine: runs the self-check, collects the accounts' outcomes, recounts the summary, sends the
 * alerts still pending (the self-check's too), and returns the run's report (which accounts failed and why). When no account could
 * be reconciled, nothing is recounted or sent: the state is as it was. The state machine fails the run when
 * the report counts failures.
 */
export const handler = async (input: unknown): Promise<RunReport> => {
  ctx ??= createLambdaContext();
  const { stores, publisher, config, logger, env } = ctx;
  const step = parseFinishStep(input);
  if (env.STAGE) await checkMonitor(ctx, env.STAGE);
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

/**
 * The self-check: rolewatch doctor's checks, with the function's own role; each failing check becomes a
 * monitor-blind finding (alerting), resolved when the check passes again.
 */
async function checkMonitor(context: LambdaContext, stage: string): Promise<void> {
  const { env, stores, config, logger } = context;
  if (!env.ACCOUNT_ID) throw new RoleWatchError('the self-check needs ACCOUNT_ID');
  const region = env.AWS_REGION ?? 'us-east-1';
  const [{ selfCheck }, { createAwsMonitorProbe }] = await Promise.all([
    import('../../shared/app/selfCheck'),
    import('../../shared/doctor/AwsMonitorProbe'),
  ]);
  const queues = [
    { name: 'EventsDeadLetterQueue', url: env.EVENTS_DEAD_LETTER_QUEUE_URL },
    { name: 'AssumptionDeadLetterQueue', url: env.ASSUMPTION_DEAD_LETTER_QUEUE_URL },
  ];
  const report = await selfCheck({
    probe: createAwsMonitorProbe({ region, lastEvents: () => stores.state.lastEvents() }),
    target: {
      stage,
      region,
      regions: config.regions.filter((r) => r !== region),
      organization: config.organization !== undefined,
      ...(env.ALERT_TOPIC_ARN ? { alertTopicArn: env.ALERT_TOPIC_ARN } : {}),
      deadLetterQueues: queues.flatMap(({ name, url }) => (url ? [{ name, url }] : [])),
      maxSilenceHours: env.MAX_SILENCE_HOURS ?? 24,
      now: Date.now(),
    },
    findings: stores.findings,
    account: env.ACCOUNT_ID,
    minSeverity: config.alerts.minSeverity,
  });
  const failed = report.results.filter((r) => r.status === 'fail');
  const unknown = report.results.filter((r) => r.status === 'cannot-tell');
  if (failed.length > 0) logger.error('monitor-blind: checks failed', { failed });
  if (unknown.length > 0) logger.warn('self-check could not tell', { unknown });
  logger.info('self-check done', {
    checks: report.results.length,
    failed: failed.map((r) => r.check),
    resolved: report.resolved.map((f) => f.qualifier),
  });
}
