import type { OrganizationAccounts, OrganizationAccountsStore } from '../../ports/organizationAccounts';
import type { DynamoTable } from './DynamoTable';
import { keys } from './keys';

const SORT_KEY = 'ACCOUNTS';

/**
 * The organization's account list, one item (`ORG#<id>` / `ACCOUNTS`) that reconcile overwrites. A
 * thousand accounts make about 16 KB, far from DynamoDB's 400 KB item limit.
 */
export class DynamoOrganizationStore implements OrganizationAccountsStore {
  constructor(private readonly table: DynamoTable) {}

  async loadAccounts(organizationId: string): Promise<OrganizationAccounts | undefined> {
    // Eventually consistent: the list changes once a day and is read again within minutes.
    const item = await this.table.get({ pk: keys.organization(organizationId), sk: SORT_KEY }, false);
    if (!item) return undefined;
    const accounts = Array.isArray(item.accounts) ? item.accounts.filter((a): a is string => typeof a === 'string') : [];
    return { organizationId, accounts, listedAt: Number(item.listedAt ?? 0) };
  }

  async saveAccounts(listing: OrganizationAccounts): Promise<void> {
    await this.table.put({
      pk: keys.organization(listing.organizationId),
      sk: SORT_KEY,
      accounts: [...listing.accounts].sort(),
      listedAt: listing.listedAt,
    });
  }
}
