import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig, validateConfig } from '../../shared/config/config';
import { loadConfigFile } from '../../shared/config/file';
import { ConfigError } from '../../shared/errors';
import { severityRank } from '../../shared/findings/severity';
import { RULE_IDS } from '../../shared/rules/index';

const errorOf = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('fills every default', () => {
    expect(defaultConfig()).toEqual({
      knownAccounts: [],
      trustedThirdParties: [],
      protectedRoles: [],
      iacPrincipals: ['cloudformation.amazonaws.com'],
      suppressions: [],
      alerts: { minSeverity: 'high', digest: 'daily' },
      correlation: { windowHours: 24, learningPeriodDays: 7, enumerationThreshold: 5, enumerationWindowMinutes: 15 },
      unusedRoleDays: 90,
      monitorRuleNames: ['rolewatch-*'],
      rules: {},
      regions: [],
    });
  });

  it('takes unusedRoleDays as whole days from 1 to 400 (the period IAM tracks role use over)', () => {
    expect(validateConfig({ unusedRoleDays: 45 }).unusedRoleDays).toBe(45);
    expect(validateConfig({ unusedRoleDays: 400 }).unusedRoleDays).toBe(400);
    for (const bad of [0, -5, 1.5, 401, '90'])
      expect(errorOf(() => validateConfig({ unusedRoleDays: bad })).message).toContain('unusedRoleDays');
  });

  it('takes the regions whose role assumptions are wanted, and names one that is not a region', () => {
    expect(validateConfig({ regions: ['eu-west-1', 'ap-southeast-2'] }).regions).toEqual(['eu-west-1', 'ap-southeast-2']);
    expect(errorOf(() => validateConfig({ regions: ['eu-west-1', 'Europe'] })).message).toContain(
      'regions[1]: must be an AWS region name',
    );
  });

  it('names every bad key with its path and reason', () => {
    const error = errorOf(() =>
      validateConfig({
        knownAccounts: ['111122223333', '12345'],
        trustedThirdParties: [{ account: '999988887777' }],
        suppressions: [{ rule: 'trust-unknown-account', resource: 'role/x', reason: 'r', until: '2027-02-30' }],
        alerts: { minSeverity: 'urgent' },
        knownAcounts: [],
      }),
    );
    expect(error.message).toContain('knownAccounts[1]: must be a 12-digit AWS account id');
    expect(error.message).toContain('trustedThirdParties[0].name');
    expect(error.message).toContain('suppressions[0].until: is not a real date');
    expect(error.message).toContain('alerts.minSeverity');
    expect(error.message).toContain('unknown key "knownAcounts"');
  });

  it('refuses suppressions and overrides of rules that do not exist', () => {
    const error = errorOf(() =>
      validateConfig(
        { suppressions: [{ rule: 'no-such-rule', resource: '*', reason: 'x' }], rules: { 'also-missing': { enabled: false } } },
        RULE_IDS,
      ),
    );
    expect(error.message).toContain('suppressions[0].rule: unknown rule id "no-such-rule"');
    expect(error.message).toContain('rules.also-missing: unknown rule id "also-missing"');
  });

  it('orders severities from info to critical', () => {
    expect(['info', 'low', 'medium', 'high', 'critical'].map((s) => severityRank(s as never))).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads YAML and JSON files and names the file in errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-config-'));
    const yml = path.join(dir, 'rolewatch.config.yml');
    writeFileSync(yml, 'knownAccounts: ["111122223333"]\nprotectedRoles: ["BreakGlass*"]\n');
    expect(loadConfigFile(yml, RULE_IDS)).toMatchObject({ knownAccounts: ['111122223333'], protectedRoles: ['BreakGlass*'] });
    const json = path.join(dir, 'rolewatch.config.json');
    writeFileSync(json, '{"alerts": {"minSeverity": "critical"}}');
    expect(loadConfigFile(json).alerts.minSeverity).toBe('critical');
    writeFileSync(yml, 'knownAccounts: [unclosed\n');
    expect(errorOf(() => loadConfigFile(yml)).message).toMatch(/rolewatch\.config\.yml is not valid YAML/);
    writeFileSync(json, '{"knownAccounts": ["x"]}');
    expect(errorOf(() => loadConfigFile(json)).message).toMatch(
      /rolewatch\.config\.json: invalid configuration:\n {2}knownAccounts\[0\]/,
    );
    expect(errorOf(() => loadConfigFile(path.join(dir, 'missing.yml'))).message).toMatch(/cannot read config file/);
  });
});
