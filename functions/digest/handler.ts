import { runDigest } from '../../shared/app/digest';
import { createLambdaContext, type LambdaContext } from '../../shared/context';

let ctx: LambdaContext | undefined;

/** Scheduled, daily: one e-mail per account summarising low and info findings and role changes of the day. */
export const handler = async (): Promise<void> => {
  ctx ??= createLambdaContext();
  const { config, publisher, stores, logger, env } = ctx;
  await runDigest({
    findings: stores.findings,
    state: stores.state,
    ...(publisher ? { publisher } : {}),
    digest: config.alerts.digest,
    minSeverity: config.alerts.minSeverity,
    now: Date.now,
    ...(env.API_URL ? { apiUrl: env.API_URL } : {}),
    logger,
  });
};
