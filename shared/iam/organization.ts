import { ListAccountsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OrganizationDirectory } from '../ports/organizationAccounts';

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
