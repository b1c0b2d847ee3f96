import { reconcileAccounts } from '../../shared/app/organization';
import { RUN_TTL_DAYS } from '../../shared/app/reconcileRun';
import { AWS_CLIENT_OPTIONS } from '../../shared/awsClients';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { MAX_ACCOUNTS_PER_RUN } from '../../shared/deploy/stateMachines';
import { ConfigError, RoleWatchError } from '../../shared/errors';
import type { OrganizationDirectory } from '../../shared/ports/organizationAccounts';

let ctx: LambdaContext | undefined;

/** What the reconcile state machine maps over, and when the accounts' outcomes of this run expire (epoch s). */
export interface AccountList {
  accounts: string[];
  expiresAt: number;
}

/**
 * First step of the reconcile state machine: the accounts to read. Its own account alone; in organization
 * mode, the configured list or the organization's active accounts (listed now and stored for the event
 * functions; the stored listing when Organizations cannot be asked).
 */
export const handler = async (): Promise<AccountList> => {
  ctx ??= createLambdaContext({ alerts: false });
  const { config, logger, env } = ctx;
  const expiresAt = Math.floor(Date.now() / 1000) + RUN_TTL_DAYS * 86_400;
  if (!ctx.organization || !config.organization) {
    if (!env.ACCOUNT_ID) throw new ConfigError('invalid environment:\n  ACCOUNT_ID: is required (the account reconcile reads)');
    return { accounts: [env.ACCOUNT_ID], expiresAt };
  }
  const resolved = await reconcileAccounts({
    organization: config.organization,
    ownAccount: ctx.organization.ownAccount,
    // Loaded only for discovery: otherwise this step never loads the Organizations client.
    ...(config.organization.discover ? { directory: await organizationDirectory() } : {}),
    store: ctx.organization.store,
    now: Date.now,
  });
  if (resolved.warning) logger.error('organization accounts not listed', { reason: resolved.warning });
  if (resolved.accounts.length > MAX_ACCOUNTS_PER_RUN)
    throw new RoleWatchError(
      `${resolved.accounts.length} accounts: one reconcile run carries at most ${MAX_ACCOUNTS_PER_RUN} (Step Functions state is 256 KB)`,
    );
  logger.info('reconciling organization', { source: resolved.source, accounts: resolved.accounts.length });
  return { accounts: resolved.accounts, expiresAt };
};

/** Organizations ListAccounts through the function's role. */
async function organizationDirectory(): Promise<OrganizationDirectory> {
  const [{ OrganizationsClient }, { AwsOrganizationDirectory }] = await Promise.all([
    import('@aws-sdk/client-organizations'),
    import('../../shared/iam/organization'),
  ]);
  return new AwsOrganizationDirectory(new OrganizationsClient(AWS_CLIENT_OPTIONS));
}
