import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lastUsedObservation, reconcileStamp } from '../../shared/app/reconcile';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import type { IamRole } from '../../shared/iam/accountReader';
import type { PolicyFixtures } from '../../shared/iam/reader';
import { RULE_IDS, RULES } from '../../shared/rules/index';

const FIXTURES = path.resolve(__dirname, '../fixtures/rules');
const RULES_DIR = path.resolve(__dirname, '../../shared/rules');

interface RuleFixture {
  description: string;
  config?: Record<string, unknown>;
  iam?: { policies?: PolicyFixtures };
  events: unknown[];
  /**
   * A reconcile read after the events: the role's RoleLastUsed as IAM reports it (`lastUsed` null: never used) at
   * time `at`; the findings asserted are then those of the re-evaluation of that role.
   */
  reconcile?: { role: string; at: string; lastUsed: string | null; region?: string };
  expect?: { severity?: string; detailIncludes?: string[]; resource?: string };
}

const baseConfig = JSON.parse(readFileSync(path.join(FIXTURES, 'config.json'), 'utf8')) as Record<string, unknown>;

function fixtureConfig(fixture: RuleFixture) {
  const overrides = fixture.config ?? {};
  return validateConfig(
    {
      ...baseConfig,
      ...overrides,
      correlation: { ...(baseConfig.correlation as object), ...((overrides.correlation as object | undefined) ?? {}) },
    },
    RULE_IDS,
  );
}

/** Replays a fixture with fresh state; returns the findings of `ruleId` raised by the last event, and any rule failures. */
async function replay(fixture: RuleFixture, ruleId: string) {
  const warnings: string[] = [];
  const { engine, store } = createMemoryContext({
    config: fixtureConfig(fixture),
    ...(fixture.iam?.policies ? { policies: fixture.iam.policies } : {}),
    logger: { warn: (message, data) => warnings.push(`${message} ${JSON.stringify(data)}`) },
  });
  const events = fixture.events.map((record) => parseTrailRecord(record));
  const last = events.pop();
  if (!last) throw new Error('fixture has no events');
  for (const event of events) await engine.process(event);
  const result = await engine.process(last);
  if (fixture.reconcile) {
    const { role, at, lastUsed, region } = fixture.reconcile;
    const [account, roleName] = [role.split(':')[4] ?? '', role.slice(role.lastIndexOf('/') + 1)];
    const time = Date.parse(at);
    const observed: IamRole = {
      account,
      roleName,
      arn: role,
      inlinePolicies: [],
      attachedPolicies: [],
      ...(lastUsed ? { lastUsed: { at: Date.parse(lastUsed), ...(region ? { region } : {}) } } : {}),
    };
    await store.applyRoleChanges(account, roleName, role, [lastUsedObservation(observed, reconcileStamp(time))]);
    const reevaluated = await engine.reevaluateRole(account, roleName, time, 'reconcile');
    return { findings: reevaluated.findings.map((f) => f.finding).filter((f) => f.ruleId === ruleId), warnings };
  }
  return { findings: result.findings.map((f) => f.finding).filter((f) => f.ruleId === ruleId), warnings };
}

describe('rule registry', () => {
  it('has unique ids, each in a file named after it', () => {
    expect(RULE_IDS.size).toBe(RULES.length);
    const files = readdirSync(RULES_DIR)
      .filter((file) => /^[a-z]+(-[a-z0-9]+)+\.ts$/.test(file))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(files).toEqual([...RULE_IDS].sort());
  });

  it('covers the 49 rules of the catalogue, each with a title, rationale, remediation and events', () => {
    expect(RULES).toHaveLength(49);
    for (const rule of RULES) {
      expect(rule.title.length).toBeGreaterThan(10);
      expect(rule.rationale.length).toBeGreaterThan(40);
      expect(rule.remediation.length).toBeGreaterThan(20);
      expect(rule.events.length).toBeGreaterThan(0);
    }
  });
});

describe.each(RULES.map((rule) => [rule.id]))('%s', (ruleId) => {
  const dir = path.join(FIXTURES, ruleId);
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  const load = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as RuleFixture;

  it('has at least two firing and two quiet fixtures', () => {
    expect(files.filter((f) => f.startsWith('fires.')).length).toBeGreaterThanOrEqual(2);
    expect(files.filter((f) => f.startsWith('quiet.')).length).toBeGreaterThanOrEqual(2);
  });

  it.each(files.filter((f) => f.startsWith('fires.')))('fires on %s', async (file) => {
    const fixture = load(file);
    const { findings, warnings } = await replay(fixture, ruleId);
    expect(warnings).toEqual([]);
    expect(findings.length).toBeGreaterThan(0);
    const expected = fixture.expect;
    if (expected?.severity) expect(findings.map((f) => f.severity)).toContain(expected.severity);
    if (expected?.resource) expect(findings.map((f) => f.resource)).toContain(expected.resource);
    for (const text of expected?.detailIncludes ?? []) {
      expect(findings.map((f) => f.detail).join('\n')).toContain(text);
    }
  });

  it.each(files.filter((f) => f.startsWith('quiet.')))('stays quiet on %s', async (file) => {
    const { findings, warnings } = await replay(load(file), ruleId);
    expect(warnings).toEqual([]);
    expect(findings.map((f) => f.detail)).toEqual([]);
  });
});
