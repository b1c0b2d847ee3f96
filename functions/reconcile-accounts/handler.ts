import { type AccountList, runAccounts } from '../../shared/app/organization';
import { createLambdaContext, type LambdaContext, organizationDirectory } from '../../shared/context';

let ctx: LambdaContext | undefined;

export type { AccountList };

/** The reconcile state machine's first step: see {@link runAccounts}. */
export const handler = async (): Promise<AccountList> => {
  ctx ??= createLambdaContext({ alerts: false });
  const { config, env, organization, logger } = ctx;
  return runAccounts({
    ...(organization && config.organization ? { organization: config.organization, store: organization.store } : {}),
    ...(env.ACCOUNT_ID ? { ownAccount: env.ACCOUNT_ID } : {}),
    directory: organizationDirectory,
    now: Date.now,
    logger,
  });
};
