import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetEventSelectorsCommand } from '@aws-sdk/client-cloudtrail';
import { blindFindings, MONITOR_BLIND, monitorResource, selfCheck } from '../../shared/app/selfCheck';
import { createAwsMonitorProbe } from '../../shared/doctor/AwsMonitorProbe';
import type { CheckResult } from '../../shared/doctor/doctor';
import { RULE_IDS } from '../../shared/rules/index';
import { MemoryStore } from '../../shared/store/MemoryStore';
import { ACCOUNT, cloudTrail, denied, doctorTarget, HOME, healthyAccount, STAGE, TRAIL_ARN } from '../support/monitorAccount';

// The first test loads the AWS SDK clients, which takes seconds on a loaded machine.
jest.setTimeout(30_000);
const FIXTURES = path.resolve(__dirname, '../fixtures/self-check/monitor-blind');
const DAY = 86_400_000;
const START = Date.parse('2026-12-06T06:00:00Z');
const TARGET = { stage: STAGE, region: HOME };

interface Fixture {
  description: string;
  results: CheckResult[];
  expect?: { qualifiers: string[] };
}

const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => [file, JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Fixture] as const);

describe('monitor-blind', () => {
  it('has an id of its own, not one of the CloudTrail rules, with firing and quiet fixtures', () => {
    expect(RULE_IDS.has(MONITOR_BLIND.id)).toBe(false);
    expect(fixtures.filter(([file]) => file.startsWith('fires.')).length).toBeGreaterThanOrEqual(2);
    expect(fixtures.filter(([file]) => file.startsWith('quiet.')).length).toBeGreaterThanOrEqual(2);
  });

  it.each(fixtures)('%s', (file, fixture) => {
    const drafts = blindFindings(fixture.results, { account: ACCOUNT, target: TARGET, at: START });
    if (file.startsWith('quiet.')) {
      expect(drafts).toEqual([]);
      return;
    }
    expect(drafts.map((d) => d.qualifier)).toEqual(fixture.expect?.qualifiers);
    for (const draft of drafts) {
      const result = fixture.results.find((r) => r.check === draft.qualifier);
      expect(draft).toMatchObject({
        ruleId: 'monitor-blind',
        kind: 'posture',
        severity: 'high',
        account: ACCOUNT,
        resource: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/rolewatch-prod`,
        resourceName: 'rolewatch-prod',
        detail: `${result?.check}: ${result?.detail}`,
        remediation: result?.fix,
      });
    }
  });
});

describe('the self-check', () => {
  let store: MemoryStore;
  const run = (now: number, minSeverity: 'high' | 'critical' = 'high') =>
    selfCheck({
      probe: createAwsMonitorProbe({ region: HOME, lastEvents: () => store.lastEvents() }),
      target: doctorTarget(now),
      findings: store,
      account: ACCOUNT,
      minSeverity,
    });
  const blindFindingsOf = async () => store.forResource(ACCOUNT, monitorResource(TARGET, ACCOUNT));
  const writeOnly = () =>
    cloudTrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true, DataResources: [] }],
    });

  beforeEach(async () => {
    healthyAccount();
    store = new MemoryStore();
  });

  it('records nothing while every check passes', async () => {
    await store.noteLastEvent(START - 60_000, 'assumption');
    const report = await run(START);
    expect(report.results.every((r) => r.status === 'pass')).toBe(true);
    expect(await blindFindingsOf()).toEqual([]);
  });

  it('opens a high, alerting finding per failing check, keeps it open without a new alert while it fails, and resolves it once fixed', async () => {
    await store.noteLastEvent(START - 60_000, 'assumption');
    writeOnly();
    const first = await run(START);
    expect(first.recorded.map((r) => [r.finding.qualifier, r.transition, r.finding.severity, r.finding.alert.state])).toEqual([
      ['trail:us-east-1', 'opened', 'high', 'pending'],
    ]);
    expect(first.recorded[0]?.finding.remediation).toContain('aws cloudtrail put-event-selectors');
    expect((await store.pendingAlerts(['high'])).map((f) => f.ruleId)).toEqual(['monitor-blind']);

    // A day later the trail still logs writes only, and no role assumption arrived since.
    const second = await run(START + DAY);
    expect(second.recorded.map((r) => [r.finding.qualifier, r.transition])).toEqual([
      // A re-check of state is not a new occurrence: no count, no second alert.
      ['trail:us-east-1', 'duplicate'],
      ['last-event:assumption', 'opened'],
    ]);

    healthyAccount();
    await store.noteLastEvent(START + 2 * DAY - 60_000, 'assumption');
    const third = await run(START + 2 * DAY);
    expect(third.recorded).toEqual([]);
    expect(third.resolved.map((f) => f.qualifier).sort()).toEqual(['last-event:assumption', 'trail:us-east-1']);
    expect((await blindFindingsOf()).map((f) => f.status)).toEqual(['resolved', 'resolved']);
  });

  it('keeps a finding open while its check cannot tell, and alerts only at or above alerts.minSeverity', async () => {
    await store.noteLastEvent(START - 60_000, 'assumption');
    writeOnly();
    await run(START, 'critical');
    cloudTrail.on(GetEventSelectorsCommand).rejects(denied('cloudtrail:GetEventSelectors', TRAIL_ARN));
    const report = await run(START + 60_000, 'critical');
    expect(report.resolved).toEqual([]);
    const [finding] = await blindFindingsOf();
    expect(finding).toMatchObject({ qualifier: 'trail:us-east-1', status: 'open', alert: { state: 'none' } });
  });
});
