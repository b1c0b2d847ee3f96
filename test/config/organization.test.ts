import { validateConfig, withKnownAccounts } from '../../shared/config/config';
import { createLambdaContext, loadEnvironment } from '../../shared/context';
import { deployedConfig, organizationParamDefaults } from '../../shared/deploy/deployedConfig';
import { ConfigError } from '../../shared/errors';
import type { OrganizationAccounts, OrganizationAccountsStore } from '../../shared/ports/organizationAccounts';
import { RULE_IDS } from '../../shared/rules/index';

const ORGANIZATION_ID = 'o-a1b2c3d4e5';

const messageOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('organization configuration', () => {
  it('discovers the accounts unless they are listed, with the default read role name', () => {
    expect(validateConfig({ organization: { id: ORGANIZATION_ID } }).organization).toEqual({
      id: ORGANIZATION_ID,
      memberRoleName: 'RoleWatchReader',
      discover: true,
    });
    expect(
      validateConfig({ organization: { id: ORGANIZATION_ID, accounts: ['111122223333'], externalId: 'x-1' } }).organization,
    ).toEqual({
      id: ORGANIZATION_ID,
      memberRoleName: 'RoleWatchReader',
      externalId: 'x-1',
      accounts: ['111122223333'],
      discover: false,
    });
  });

  it('reads back what it wrote (the packager writes the validated configuration into the environment)', () => {
    const once = validateConfig({ organization: { id: ORGANIZATION_ID, externalId: 'rolewatch-0001' } });
    expect(validateConfig(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it('names every bad organization key', () => {
    const message = messageOf(() =>
      validateConfig({
        organization: { id: 'org-1', memberRoleName: 'Reader*', externalId: 'x', accounts: ['123'], extra: true },
      }),
    );
    expect(message).toContain('organization.id: must be an organization id like o-a1b2c3d4e5');
    expect(message).toContain('organization.memberRoleName: must be an IAM role name');
    expect(message).toContain('organization.externalId: must be 2-1224');
    expect(message).toContain('organization.accounts[0]: must be a 12-digit AWS account id');
    expect(message).toContain('unknown key "extra"');
  });

  it('refuses listing and discovering at once, and neither', () => {
    expect(
      messageOf(() => validateConfig({ organization: { id: ORGANIZATION_ID, accounts: ['111122223333'], discover: true } })),
    ).toContain('organization.discover: either list accounts or discover them, not both');
    expect(messageOf(() => validateConfig({ organization: { id: ORGANIZATION_ID, discover: false } }))).toContain(
      'organization.accounts: is required when discover is false',
    );
  });

  it("counts the organization's accounts as known without listing them twice", () => {
    const config = validateConfig({ knownAccounts: ['111122223333'] });
    expect(withKnownAccounts(config, ['111122223333', '444455556666']).knownAccounts).toEqual(['111122223333', '444455556666']);
    expect(withKnownAccounts(config, ['111122223333'])).toBe(config);
  });
});

describe('deployed configuration (file and --param)', () => {
  const file = { knownAccounts: ['111122223333'], organization: { id: ORGANIZATION_ID, externalId: 'from-file' } };

  it('defaults the parameters from the file, and applies parameters the file leaves out', () => {
    expect(organizationParamDefaults(file)).toEqual({
      organizationId: ORGANIZATION_ID,
      memberRoleName: 'RoleWatchReader',
      externalId: 'from-file',
    });
    expect(organizationParamDefaults({})).toEqual({ organizationId: '', memberRoleName: 'RoleWatchReader', externalId: '' });
    const fromParams = deployedConfig(
      {},
      { organizationId: ORGANIZATION_ID, memberRoleName: 'Reader', externalId: 'ext-01' },
      RULE_IDS,
    );
    expect(fromParams.organization).toEqual({
      id: ORGANIZATION_ID,
      memberRoleName: 'Reader',
      externalId: 'ext-01',
      discover: true,
    });
  });

  it('is the plain configuration when organizationId is empty', () => {
    expect(deployedConfig({}, { organizationId: '', memberRoleName: 'RoleWatchReader', externalId: '' })).toEqual(
      validateConfig({}),
    );
  });

  it('refuses a parameter that contradicts the file, and organization mode without an ExternalId', () => {
    expect(
      messageOf(() =>
        deployedConfig(file, { organizationId: 'o-zzzzzzzzzz', memberRoleName: 'RoleWatchReader', externalId: 'from-file' }),
      ),
    ).toContain('organization.id: is "o-a1b2c3d4e5" but --param organizationId is "o-zzzzzzzzzz"');
    expect(
      messageOf(() => deployedConfig({}, { organizationId: ORGANIZATION_ID, memberRoleName: 'RoleWatchReader', externalId: '' })),
    ).toContain('organization.externalId: is required in organization mode');
  });
});

describe('organization mode in the Lambda environment', () => {
  const env = (config: unknown, extra: Record<string, string> = {}) => ({
    TABLE_NAME: 'rolewatch-test',
    ROLEWATCH_CONFIG: JSON.stringify(config),
    ...extra,
  });

  it('fails at cold start without the own account id or the ExternalId', () => {
    const message = messageOf(() => loadEnvironment(env({ organization: { id: ORGANIZATION_ID } }), { alerts: false }));
    expect(message).toContain('ACCOUNT_ID: is required in organization mode');
    expect(message).toContain('organization.externalId is required');
    expect(
      loadEnvironment(env({ organization: { id: ORGANIZATION_ID, externalId: 'ext-01' } }, { ACCOUNT_ID: '123456789012' }), {
        alerts: false,
      }).config.organization?.id,
    ).toBe(ORGANIZATION_ID);
  });

  it('reads the stored account list at the first event and again only after 15 minutes, rebuilding the engine when it changed', async () => {
    const listings: OrganizationAccounts[] = [
      { organizationId: ORGANIZATION_ID, accounts: ['210987654321'], listedAt: 1 },
      { organizationId: ORGANIZATION_ID, accounts: ['210987654321', '345678901234'], listedAt: 2 },
    ];
    let reads = 0;
    const store: OrganizationAccountsStore = {
      loadAccounts: async () => listings[Math.min(reads++, listings.length - 1)],
      saveAccounts: async () => undefined,
    };
    const ctx = createLambdaContext({
      env: env({ organization: { id: ORGANIZATION_ID, externalId: 'ext-01' } }, { ACCOUNT_ID: '123456789012' }),
      alerts: false,
    });
    if (!ctx.organization) throw new Error('not in organization mode');
    ctx.organization.store = store;
    const t0 = 1_000_000;
    const engines = [
      await ctx.engine({ now: t0 }),
      await ctx.engine({ now: t0 + 14 * 60_000 }),
      await ctx.engine({ now: t0 + 16 * 60_000 }),
    ];
    expect(reads).toBe(2);
    // Built at the first event; kept while the list is fresh; built again for the changed list.
    expect(engines[1]).toBe(engines[0]);
    expect(engines[2]).not.toBe(engines[1]);
    expect(ctx.organization.listed?.accounts).toEqual(['210987654321', '345678901234']);
  });
});
