import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { createMemoryContext } from '../../shared/context';
import { DEMO_ROLES, DEMO_TRAIL, demoConfig, demoEvents } from '../../shared/demo/scenario';
import type { Finding } from '../../shared/findings/finding';

interface Replay {
  records: Record<string, unknown>[];
  findings: Finding[];
  warnings: unknown[];
}

async function replay(): Promise<Replay> {
  const warnings: unknown[] = [];
  const { engine } = createMemoryContext({
    config: demoConfig(),
    logger: { warn: (message, data) => warnings.push({ message, data }) },
  });
  const records = demoEvents();
  const findings: Finding[] = [];
  for (const record of records) {
    const result = await engine.process(parseTrailRecord(record));
    findings.push(...result.findings.map((recorded) => recorded.finding));
  }
  return { records, findings, warnings };
}

const rulesOn = (findings: readonly Finding[], roleName: string) => [
  ...new Set(findings.filter((f) => f.roleName === roleName).map((f) => f.ruleId)),
];
const seriousOn = (findings: readonly Finding[], roleNames: readonly string[]) =>
  findings.filter(
    (f) => f.roleName !== undefined && roleNames.includes(f.roleName) && (f.severity === 'critical' || f.severity === 'high'),
  );

let day: Replay;
beforeAll(async () => {
  day = await replay();
});

describe('the demo scenario', () => {
  it('is a day of 150 to 300 CloudTrail records in eventTime order, the same on every call', () => {
    expect(day.records.length).toBeGreaterThanOrEqual(150);
    expect(day.records.length).toBeLessThanOrEqual(300);
    const times = day.records.map((r) => String(r.eventTime));
    expect(times).toEqual([...times].sort());
    expect(times[0]?.startsWith('2026-11-02')).toBe(true);
    expect(demoEvents()).toEqual(day.records);
  });

  it('has records that all parse, with unique eventIDs', () => {
    const events = day.records.map((record) => parseTrailRecord(record));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.every((e) => e.account === '123456789012' && e.time > 0)).toBe(true);
  });

  it('replays without a rule failing', () => {
    expect(day.warnings).toEqual([]);
  });

  it('reports every step of the backdoor on its role', () => {
    expect(rulesOn(day.findings, DEMO_ROLES.backdoor)).toEqual(
      expect.arrayContaining([
        'trust-unknown-account',
        'admin-policy-attached',
        'new-role-gets-admin',
        'assumed-from-unknown-account',
        'assumed-after-trust-change',
      ]),
    );
    const outsider = day.findings.find((f) => f.ruleId === 'assumed-from-unknown-account');
    expect(outsider?.roleName).toBe(DEMO_ROLES.backdoor);
    expect(outsider?.detail).toContain('444455556666');
  });

  it('reports the GitHub OIDC role that trusts repo:acme/*', () => {
    const broad = day.findings.find((f) => f.ruleId === 'trust-oidc-broad-subject');
    expect(broad?.roleName).toBe(DEMO_ROLES.broadOidc);
    expect(broad?.detail).toContain('repo:acme/*');
  });

  it('reports StopLogging on the trail as monitor tampering', () => {
    expect(day.findings.find((f) => f.ruleId === 'monitor-tampering')?.resource).toBe(DEMO_TRAIL);
  });

  it('raises nothing critical or high on the GitHub role with a proper sub, nor on the vendor role with an ExternalId', () => {
    expect(seriousOn(day.findings, [DEMO_ROLES.githubDeploy, DEMO_ROLES.vendor])).toEqual([]);
  });

  it('raises nothing critical or high on the roles CloudFormation deploys, even on their first use', () => {
    expect(seriousOn(day.findings, DEMO_ROLES.ci)).toEqual([]);
  });

  it('takes no failed call for a change', () => {
    expect(day.findings.filter((f) => f.roleName === 'log-reader' && f.event?.eventName === 'AttachRolePolicy')).toEqual([]);
  });
});
