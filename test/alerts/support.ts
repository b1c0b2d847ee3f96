import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import type { RecordedFinding } from '../../shared/engine/engine';
import type { Finding, FindingDraft } from '../../shared/findings/finding';
import type { PolicyFixtures } from '../../shared/iam/reader';
import { RULE_IDS } from '../../shared/rules/index';

export const ALERT_FIXTURES = path.resolve(__dirname, '../fixtures/alerts');

/** The API base URL golden alerts link to. */
export const API_URL = 'https://rolewatch.example.com/prod';

interface AlertCase {
  description: string;
  ruleId: string;
  config?: Record<string, unknown>;
  iam?: { policies?: PolicyFixtures };
  events: unknown[];
}

/**
 * Replays `<name>.events.json` through the real engine with fresh in-memory state and returns the finding of
 * the case's rule that the last event recorded, as the engine hands it to alerting.
 */
export async function recordedFinding(name: string): Promise<RecordedFinding> {
  const fixture = JSON.parse(readFileSync(path.join(ALERT_FIXTURES, `${name}.events.json`), 'utf8')) as AlertCase;
  const base = JSON.parse(readFileSync(path.join(ALERT_FIXTURES, 'config.json'), 'utf8')) as Record<string, unknown>;
  const { engine } = createMemoryContext({
    config: validateConfig({ ...base, ...(fixture.config ?? {}) }, RULE_IDS),
    ...(fixture.iam?.policies ? { policies: fixture.iam.policies } : {}),
  });
  let findings: RecordedFinding[] = [];
  for (const record of fixture.events) findings = (await engine.process(parseTrailRecord(record))).findings;
  const found = findings.find((entry) => entry.finding.ruleId === fixture.ruleId);
  if (!found) throw new Error(`${name}: the last event raised no ${fixture.ruleId} finding`);
  return found;
}

/** A finding draft with realistic defaults, for tests that need a finding but not an engine. */
export function draft(overrides: Partial<FindingDraft> = {}): FindingDraft {
  return {
    id: '123456789012-deploybotTrustAnyPrincipal',
    ruleId: 'trust-any-principal',
    kind: 'posture',
    severity: 'critical',
    title: 'Role trusts any principal',
    account: '123456789012',
    region: 'us-east-1',
    resource: 'arn:aws:iam::123456789012:role/deploy-bot',
    resourceName: 'deploy-bot',
    roleName: 'deploy-bot',
    detail: 'role deploy-bot trusts any principal: statement 0 has no condition restricting who can assume it',
    evidence: { statements: [0], via: ['principal'] },
    rationale: 'Anyone can assume the role.',
    remediation: 'Name the principals that need access.',
    at: Date.parse('2026-03-02T09:00:00Z'),
    event: {
      eventId: '4abbd35d-c1fd-5eb9-9c13-1d903638c611',
      eventName: 'UpdateAssumeRolePolicy',
      eventTime: '2026-03-02T09:00:00Z',
      region: 'us-east-1',
      actor: 'arn:aws:iam::123456789012:user/alice',
      actorType: 'IAMUser',
      sourceIp: '198.51.100.24',
      userAgent: 'aws-cli/2.27.41',
    },
    ...overrides,
  };
}

/** A finding as the store would hold it right after opening, alert pending. */
export function finding(overrides: Partial<Finding> = {}): Finding {
  const base = draft();
  return {
    ...base,
    status: 'open',
    firstSeen: base.at,
    lastSeen: base.at,
    count: 1,
    alert: { state: 'pending' },
    ...overrides,
  };
}
