import { ListAccountsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';

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

/**
 * Organizations ListAccounts, every page; suspended, closed and not yet activated accounts are left out
 * (nothing in them changes, and a closed account's read role cannot be assumed). Callable from the
 * management account or a delegated administrator only; failures propagate.
 */
export class AwsOrganizationDirectory implements OrganizationDirectory {
  constructor(private readonly client: OrganizationsClient) {}

  async listAccounts(): Promise<string[]> {
    const accounts: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListAccountsCommand(token ? { NextToken: token } : {}));
      for (const account of page.Accounts ?? []) {
        // `State` replaces the deprecated `Status`; older responses carry only the latter.
        const state = account.State ?? account.Status;
        if (account.Id && state === 'ACTIVE') accounts.push(account.Id);
      }
      token = page.NextToken;
    } while (token);
    return [...new Set(accounts)].sort();
  }
}
