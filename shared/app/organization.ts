import type { OrganizationConfig } from '../config/config';
import { MAX_ACCOUNTS_PER_RUN } from '../deploy/stateMachines';
import { ConfigError, RoleWatchError } from '../errors';
import type { OrganizationAccountsStore, OrganizationDirectory } from '../ports/organizationAccounts';
import { RUN_TTL_DAYS } from './reconcileRun';
import type { HandlerLogger } from './trailEvents';

/** Where the accounts of an organization-mode reconcile came from. */
export interface ReconcileAccounts {
  /** The own account first, then the others, sorted. */
  accounts: string[];
  /** `configuration`: organization.accounts; `organizations`: listed now; `stored`: the last listing (listing failed). */
  source: 'configuration' | 'organizations' | 'stored';
  /** Why the stored listing was used. */
  warning?: string;
}

export interface ReconcileAccountsDeps {
  organization: OrganizationConfig;
  ownAccount: string;
  /** Lists the organization's accounts; required when `organization.discover` is on. */
  directory?: OrganizationDirectory;
  store: OrganizationAccountsStore;
  now: () => number;
}

/**
 * The accounts reconcile reads in organization mode. With discovery on, they are listed from AWS
 * Organizations and the listing is stored, so that the event functions count every account of the
 * organization as known; if listing fails, the last stored listing is used (and the failure reported).
 * The own account is always read.
 */
export async function reconcileAccounts(deps: ReconcileAccountsDeps): Promise<ReconcileAccounts> {
  const { organization, ownAccount } = deps;
  const ordered = (accounts: readonly string[]) => [
    ownAccount,
    ...[...new Set(accounts)].filter((account) => account !== ownAccount).sort(),
  ];
  if (!organization.discover) return { accounts: ordered(organization.accounts ?? []), source: 'configuration' };
  if (!deps.directory) throw new RoleWatchError('organization.discover is on but no Organizations directory was given');
  try {
    const listed = await deps.directory.listAccounts();
    await deps.store.saveAccounts({ organizationId: organization.id, accounts: listed, listedAt: deps.now() });
    return { accounts: ordered(listed), source: 'organizations' };
  } catch (error) {
    const stored = await deps.store.loadAccounts(organization.id);
    const reason = (error as Error).message;
    if (!stored)
      throw new RoleWatchError(
        `cannot list the accounts of organization ${organization.id} (${reason}), and they were never listed before. ` +
          'Organizations ListAccounts works from the management account or a delegated administrator; otherwise list them in organization.accounts.',
        { cause: error },
      );
    return {
      accounts: ordered(stored.accounts),
      source: 'stored',
      warning: `cannot list the accounts of organization ${organization.id} (${reason}); using the listing of ${new Date(stored.listedAt).toISOString()}`,
    };
  }
}

/** What the reconcile state machine maps over, and when the accounts' outcomes of this run expire (epoch s). */
export interface AccountList {
  accounts: string[];
  expiresAt: number;
}

/**
 * First step of the reconcile state machine: the accounts to read. Its own account alone; in organization
 * mode, the configured list or the organization's active accounts (listed now and stored for the event
 * functions; the stored listing when Organizations cannot be asked). A run carries at most MAX_ACCOUNTS_PER_RUN.
 */
export async function runAccounts(deps: {
  organization?: OrganizationConfig;
  ownAccount?: string;
  store?: OrganizationAccountsStore;
  /** Builds the Organizations directory; called only when discovery is on. */
  directory: () => Promise<OrganizationDirectory>;
  now: () => number;
  logger: HandlerLogger;
}): Promise<AccountList> {
  const expiresAt = Math.floor(deps.now() / 1000) + RUN_TTL_DAYS * 86_400;
  if (!deps.organization || !deps.store || !deps.ownAccount) {
    if (!deps.ownAccount) throw new ConfigError('invalid environment:\n  ACCOUNT_ID: is required (the account reconcile reads)');
    return { accounts: [deps.ownAccount], expiresAt };
  }
  const resolved = await reconcileAccounts({
    organization: deps.organization,
    ownAccount: deps.ownAccount,
    // Built only for discovery: otherwise this step never loads the Organizations client.
    ...(deps.organization.discover ? { directory: await deps.directory() } : {}),
    store: deps.store,
    now: deps.now,
  });
  if (resolved.warning) deps.logger.error('organization accounts not listed', { reason: resolved.warning });
  if (resolved.accounts.length > MAX_ACCOUNTS_PER_RUN)
    throw new RoleWatchError(
      `${resolved.accounts.length} accounts: one reconcile run carries at most ${MAX_ACCOUNTS_PER_RUN} (Step Functions state is 256 KB)`,
    );
  deps.logger.info('reconciling organization', { source: resolved.source, accounts: resolved.accounts.length });
  return { accounts: resolved.accounts, expiresAt };
}
