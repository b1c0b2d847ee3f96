import packageJson from '../../package.json';
import { ocsfDetectionFinding } from '../export/ocsf';
import type { Finding, FindingTransition } from '../findings/finding';
import { controlsOf } from '../rules/index';

/** Renders rows as an aligned plain-text table; the last column is not padded (it holds free text). */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Table columns for findings. */
const FINDING_HEADERS = ['SEVERITY', 'RULE', 'RESOURCE', 'EVENT', 'TIME', 'DETAIL'] as const;

/** Findings as the table `evaluate` and `scan` print, ending in a newline; "no findings" when there are none. */
export function findingsTable(findings: readonly Finding[]): string {
  return findings.length > 0 ? `${formatTable(FINDING_HEADERS, findings.map(findingRow))}\n` : 'no findings\n';
}

function findingRow(finding: Finding): string[] {
  return [
    finding.severity.toUpperCase(),
    finding.ruleId,
    finding.resourceName,
    finding.event?.eventName ?? '-',
    finding.event?.eventTime ?? new Date(finding.lastSeen).toISOString(),
    finding.detail,
  ];
}

/** One JSON Lines record for a finding occurrence: the fields every consumer reads first (ruleId to detail), then the rest. */
export function findingJson(finding: Finding, transition: string): Record<string, unknown> {
  return {
    ruleId: finding.ruleId,
    severity: finding.severity,
    eventId: finding.event?.eventId ?? null,
    eventName: finding.event?.eventName ?? null,
    account: finding.account,
    resource: finding.resource,
    title: finding.title,
    detail: finding.detail,
    findingId: finding.id,
    status: finding.status,
    transition,
    eventTime: finding.event?.eventTime ?? null,
    region: finding.region ?? null,
    actor: finding.event?.actor ?? null,
    sourceIp: finding.event?.sourceIp ?? null,
    controls: controlsOf(finding.ruleId),
    ...(finding.qualifier ? { qualifier: finding.qualifier } : {}),
    ...(finding.evidence ? { evidence: finding.evidence } : {}),
    ...(finding.diff ? { diff: finding.diff } : {}),
  };
}

/** One line of `--format jsonl` or `--format ocsf` output for a finding occurrence. */
export function findingLine(finding: Finding, transition: FindingTransition, format: 'jsonl' | 'ocsf'): string {
  const record =
    format === 'ocsf'
      ? ocsfDetectionFinding(finding, { transition, productVersion: packageJson.version })
      : findingJson(finding, transition);
  return `${JSON.stringify(record)}\n`;
}
