import { IAMClient } from '@aws-sdk/client-iam';
import { dispatchPending } from '../../shared/alerts/dispatch';
import { reconcile } from '../../shared/app/reconcile';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { AwsIamReader } from '../../shared/iam/AwsIamReader';
import { AwsAccountReader } from '../../shared/iam/accountReader';

let ctx: LambdaContext | undefined;

/** Scheduled: re-reads the whole account and makes RoleWatch's state and findings match it. */
export const handler = async (): Promise<void> => {
  const iamClient = new IAMClient({});
  ctx ??= createLambdaContext({ iam: new AwsIamReader(iamClient) });
  const { engine, stores, publisher, config, logger, env } = ctx;
  const report = await reconcile({
    engine,
    state: stores.state,
    findings: stores.findings,
    reader: new AwsAccountReader(iamClient),
    now: Date.now,
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
  engine.clearCaches();
  logger.info('reconcile done', {
    roles: report.roles,
    policies: report.policies,
    corrected: report.corrected,
    deleted: report.deleted,
    findings: report.findings
      .filter((f) => f.transition !== 'duplicate' && f.transition !== 'repeated')
      .map((f) => ({ id: f.finding.id, ruleId: f.finding.ruleId, transition: f.transition })),
    resolved: report.resolved.map((f) => f.id),
    alertsRetried: report.alertsRetried,
  });
};
