import { dispatchPending } from '../../shared/alerts/dispatch';
import { reconcileAccounts } from '../../shared/app/organization';
import { type AccountSource, reconcile } from '../../shared/app/reconcile';
import { AWS_CLIENT_OPTIONS } from '../../shared/awsClients';
import { createLambdaContext, type LambdaContext, refreshOrganizationAccounts } from '../../shared/context';
import { RoleWatchError } from '../../shared/errors';
import { awsIamAccess, type IamAccess } from '../../shared/iam/access';
import type { OrganizationDirectory } from '../../shared/iam/organization';

let ctx: LambdaContext | undefined;

/**
 * Scheduled: re-reads the whole account (organization mode: every account of the organization, each through
 * its read role) and makes RoleWatch's state and findings match it. Accounts that cannot be read are logged
 * and fail the invocation once the others are done, so the dead-letter alarm tells someone.
 */
export const handler = async (): Promise<void> => {
  ctx ??= createLambdaContext({ iamAccess: awsIamAccess });
  const { stores, publisher, config, logger, env } = ctx;
  const access: IamAccess | undefined = ctx.iamAccess;
  if (!access) throw new RoleWatchError('reconcile was built without IAM access');
  let accounts: AccountSource[] = [{ reader: access.accountReader() }];
  if (ctx.organization && config.organization) {
    const resolved = await reconcileAccounts({
      organization: config.organization,
      ownAccount: ctx.organization.ownAccount,
      // Loaded only for discovery: otherwise reconcile never loads the Organizations client.
      ...(config.organization.discover ? { directory: await organizationDirectory() } : {}),
      store: ctx.organization.store,
      now: Date.now,
    });
    if (resolved.warning) logger.error('organization accounts not listed', { reason: resolved.warning });
    await refreshOrganizationAccounts(ctx, { accounts: resolved.accounts });
    accounts = resolved.accounts.map((account) => ({ account, reader: access.accountReader(account) }));
    logger.info('reconciling organization', { source: resolved.source, accounts: resolved.accounts.length });
  }
  const { engine } = ctx;
  const report = await reconcile({
    engine,
    state: stores.state,
    findings: stores.findings,
    accounts,
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
    accounts: report.accounts.length,
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
  if (report.failures.length > 0) {
    logger.error('accounts not reconciled', { failures: report.failures });
    throw new RoleWatchError(
      `reconcile could not read ${report.failures.length} account(s): ${report.failures.map((f) => f.account).join(', ')}`,
    );
  }
};

/** Organizations ListAccounts through the function's role. */
async function organizationDirectory(): Promise<OrganizationDirectory> {
  const [{ OrganizationsClient }, { AwsOrganizationDirectory }] = await Promise.all([
    import('@aws-sdk/client-organizations'),
    import('../../shared/iam/organization'),
  ]);
  return new AwsOrganizationDirectory(new OrganizationsClient(AWS_CLIENT_OPTIONS));
}
