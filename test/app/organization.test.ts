import { reconcileAccounts } from '../../shared/app/organization';
import { validateConfig } from '../../shared/config/config';
import { RoleWatchError } from '../../shared/errors';
import type { OrganizationAccounts, OrganizationAccountsStore } from '../../shared/ports/organizationAccounts';

const OWN = '123456789012';

function memoryStore(initial?: OrganizationAccounts) {
  let stored = initial;
  const store: OrganizationAccountsStore = {
    loadAccounts: async () => stored,
    saveAccounts: async (listing) => {
      stored = listing;
    },
  };
  return { store, stored: () => stored };
}

const organization = (input: Record<string, unknown>) => {
  const org = validateConfig({ organization: { id: 'o-a1b2c3d4e5', ...input } }).organization;
  if (!org) throw new Error('no organization');
  return org;
};

describe('reconcileAccounts', () => {
  it('reads the configured accounts, the own one first, without asking Organizations', async () => {
    const { store } = memoryStore();
    const result = await reconcileAccounts({
      organization: organization({ accounts: ['345678901234', '210987654321', OWN] }),
      ownAccount: OWN,
      store,
      now: () => 0,
    });
    expect(result).toEqual({ accounts: [OWN, '210987654321', '345678901234'], source: 'configuration' });
  });

  it('lists the accounts and stores the listing for the event functions', async () => {
    const { store, stored } = memoryStore();
    const result = await reconcileAccounts({
      organization: organization({}),
      ownAccount: OWN,
      directory: { listAccounts: async () => ['210987654321', OWN] },
      store,
      now: () => 42,
    });
    expect(result).toEqual({ accounts: [OWN, '210987654321'], source: 'organizations' });
    expect(stored()).toEqual({ organizationId: 'o-a1b2c3d4e5', accounts: ['210987654321', OWN], listedAt: 42 });
  });

  it('falls back to the stored listing when Organizations refuses, and fails when there is none', async () => {
    const denied = {
      listAccounts: async () => Promise.reject(new Error('AccessDeniedException: not a delegated administrator')),
    };
    const { store } = memoryStore({
      organizationId: 'o-a1b2c3d4e5',
      accounts: ['210987654321'],
      listedAt: Date.parse('2026-11-01T00:00:00Z'),
    });
    const fallback = await reconcileAccounts({
      organization: organization({}),
      ownAccount: OWN,
      directory: denied,
      store,
      now: () => 0,
    });
    expect(fallback).toMatchObject({ accounts: [OWN, '210987654321'], source: 'stored' });
    expect(fallback.warning).toContain('not a delegated administrator');
    expect(fallback.warning).toContain('2026-11-01T00:00:00.000Z');
    const empty = reconcileAccounts({
      organization: organization({}),
      ownAccount: OWN,
      directory: denied,
      store: memoryStore().store,
      now: () => 0,
    });
    await expect(empty).rejects.toThrow(RoleWatchError);
    await expect(empty).rejects.toThrow(/never listed before.*organization\.accounts/);
  });
});
