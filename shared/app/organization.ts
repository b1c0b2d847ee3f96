import type { OrganizationConfig } from '../config/config';
import { RoleWatchError } from '../errors';
import type { OrganizationAccountsStore, OrganizationDirectory } from '../ports/organizationAccounts';

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
