import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildComplianceReport, formatComplianceReport } from '../../shared/cli/report';
import { findFramework } from '../../shared/rules/controls';
import { runCli } from '../support/cli';

const ALERTS = path.resolve(__dirname, '../fixtures/alerts');

/** A CloudTrail log file of the events of alert fixtures, in a fresh directory. */
function trailFile(...cases: string[]): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-report-'));
  const records = cases.flatMap(
    (name) => (JSON.parse(readFileSync(path.join(ALERTS, `${name}.events.json`), 'utf8')) as { events: unknown[] }).events,
  );
  const file = path.join(dir, 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return { dir, file };
}

describe('rolewatch report --framework', () => {
  let trail: { dir: string; file: string };
  beforeAll(() => {
    trail = trailFile('administrator-access-attached', 'trust-policy-changed');
  });
  afterAll(() => rmSync(trail.dir, { recursive: true, force: true }));

  it('prints each covered CIS v5.0 item with its rules, open findings and evidence, then the items not covered', async () => {
    const { code, stdout } = await runCli('report', '--framework', 'cis-5.0', trail.file);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^CIS AWS Foundations Benchmark v5\.0\.0: RoleWatch coverage and findings\n/);
    const item = stdout.split('\n\n').find((block) => block.startsWith('1.15  '));
    expect(item).toContain('rules:     admin-policy-attached, admin-equivalent-inline-policy');
    expect(item).toContain('open:      1 (1 critical)');
    expect(item).toMatch(
      /evidence: {2}\[CRITICAL\] admin-policy-attached 123456789012 \S+: role \S+ has admin-equivalent policy arn:aws:iam::aws:policy\/AdministratorAccess attached/,
    );
    const notCovered = stdout.slice(stdout.indexOf('NOT COVERED'));
    expect(notCovered).toContain('1.21      Ensure access to AWSCloudShellFullAccess is restricted');
    expect(notCovered).not.toContain('1.15 ');
  });

  it('reports coverage only when given no findings, and the same items as JSON', async () => {
    const { code, stdout } = await runCli('report', '--framework', 'ATTACK', '--format', 'json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      basis: null;
      covered: { id: string; rules: string[]; open: unknown[] }[];
      notCovered: unknown[];
    };
    expect(report.basis).toBeNull();
    expect(report.covered.find((item) => item.id === 'T1562.008')?.rules).toEqual([
      'monitor-tampering',
      'trail-bucket-tampering',
    ]);
    expect(report.covered.every((item) => item.open.length === 0)).toBe(true);
  });

  it('refuses an unknown framework and a missing one, naming the choices', async () => {
    const unknown = await runCli('report', '--framework', 'cis-9.9');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('must be one of cis-5.0, cis-3.0, securityhub, nist-800-53-r5, pci-dss-4.0, attack');
    expect((await runCli('report')).code).toBe(2);
  });
});

describe('buildComplianceReport', () => {
  it('counts suppressed and resolved findings apart from open ones and escapes control characters in evidence', () => {
    const framework = findFramework('cis-5.0');
    if (!framework) throw new Error('no framework');
    const base = {
      ruleId: 'admin-policy-attached',
      kind: 'posture' as const,
      severity: 'critical' as const,
      title: 't',
      account: '123456789012',
      resource: 'arn:aws:iam::123456789012:role/x',
      resourceName: 'x\u001b[31m',
      detail: 'line one\nline two\u202e',
      rationale: 'r',
      remediation: 'm',
      at: 0,
      firstSeen: 0,
      lastSeen: 0,
      count: 1,
      alert: { state: 'none' as const },
    };
    const report = buildComplianceReport(
      framework,
      [
        { ...base, id: 'a', status: 'open' },
        { ...base, id: 'b', status: 'suppressed' },
        { ...base, id: 'c', status: 'resolved' },
      ],
      { basis: 'test' },
    );
    const item = report.covered.find((entry) => entry.id === '1.15');
    expect(item?.open.map((f) => f.id)).toEqual(['a']);
    expect([item?.suppressed, item?.resolved]).toEqual([1, 1]);
    const text = formatComplianceReport(report);
    expect(text).toContain('closed:    1 suppressed, 1 resolved');
    expect(text).toContain('x\\u001b[31m: line one\\nline two\\u202e');
  });
});
