/** The accounts of an organization as RoleWatch last listed them. */
export interface OrganizationAccounts {
  organizationId: string;
  /** Active account ids, sorted. */
  accounts: string[];
  /** Epoch ms of the listing. */
  listedAt: number;
}

/** Lists the active accounts of the organization the caller belongs to. */
export interface OrganizationDirectory {
  listAccounts(): Promise<string[]>;
}

/**
 * Where the last listing is kept, so that the functions that do not list (and may not: only reconcile is
 * granted organizations:ListAccounts) know the organization's accounts.
 */
export interface OrganizationAccountsStore {
  loadAccounts(organizationId: string): Promise<OrganizationAccounts | undefined>;
  saveAccounts(listing: OrganizationAccounts): Promise<void>;
}
