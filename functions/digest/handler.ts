import { sendDigests } from '../../shared/app/digest';
import { createLambdaContext, type LambdaContext } from '../../shared/context';

let ctx: LambdaContext | undefined;

/** Scheduled, daily: one e-mail per account summarising low and info findings and role changes of the day. */
export const handler = async (): Promise<void> => {
  ctx ??= createLambdaContext();
  const { config, publisher, stores, logger, env } = ctx;
  if (config.alerts.digest === 'off' || !publisher) {
    logger.info('digest skipped', { digest: config.alerts.digest });
    return;
  }
  const accounts = await stores.state.accounts();
  const sent = await sendDigests({
    findings: stores.findings,
    state: stores.state,
    publisher,
    accounts,
    minSeverity: config.alerts.minSeverity,
    now: Date.now,
    ...(env.API_URL ? { apiUrl: env.API_URL } : {}),
  });
  logger.info('digest sent', {
    digests: sent.map((d) => ({ account: d.account, findings: d.findings.length, roles: d.changes.length })),
  });
};
