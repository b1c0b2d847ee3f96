import type { Finding } from '../findings/finding';
import type { Alert } from '../ports/alertPublisher';
import type { HistoryEntry } from '../ports/roleState';
import { controlsOf } from '../rules/index';
import { clip, toAsciiLine } from './text';

/** What happened in an account over a day, for the people who are not paged for it. */
export interface DigestData {
  account: string;
  /** Start and end of the period (epoch ms). */
  from: number;
  to: number;
  /** Findings below the alert threshold opened in the period. */
  findings: Finding[];
  /** Role changes recorded in the period, per role. */
  changes: { roleName: string; entries: HistoryEntry[] }[];
  /** Open findings at or above the alert threshold, for context (they were alerted one by one). */
  openAlerted: number;
  /** Open privileged-role-unused findings: roles with admin or escalation rights unused for `unusedRoleDays`. */
  unusedRoles?: Finding[];
}

const TOP = 10;

/**
 * The daily digest as an alert: counts of the findings that did not alert, by rule, the roles that changed most, and
 * the findings themselves (bounded), so nothing low-severity pages anyone but nothing is silent either.
 * Pure: the caller gathers the data.
 */
export function formatDigest(data: DigestData, options: { apiUrl?: string } = {}): Alert {
  const day = new Date(data.to).toISOString().slice(0, 10);
  const changeCount = data.changes.reduce((sum, role) => sum + role.entries.length, 0);
  const subject = toAsciiLine(
    `[DIGEST] RoleWatch ${day}: ${data.findings.length} findings not alerted, ${changeCount} role changes (${data.account})`,
  ).slice(0, 99);

  const unused = [...(data.unusedRoles ?? [])].sort((a, b) => idleDays(b) - idleDays(a) || a.resource.localeCompare(b.resource));
  const byRule = countBy(data.findings.map((f) => f.ruleId));
  const byControl = countBy(data.findings.flatMap((f) => controlsOf(f.ruleId)));
  const topRoles = [...data.changes]
    .sort((a, b) => b.entries.length - a.entries.length || a.roleName.localeCompare(b.roleName))
    .slice(0, TOP);
  const lines: string[] = [
    `RoleWatch daily digest for account ${data.account}`,
    `Period: ${iso(data.from)} to ${iso(data.to)} (UTC)`,
    '',
    'SUMMARY',
    `  Findings below the alert level: ${data.findings.length}`,
    `  Role changes recorded:          ${changeCount} on ${data.changes.length} role(s)`,
    `  Open findings that alerted:     ${data.openAlerted} (sent one by one when they opened)`,
    '',
    'FINDINGS BY RULE',
    ...(byRule.length > 0 ? byRule.map(([rule, count]) => `  ${String(count).padStart(5)}  ${rule}`) : ['  none']),
    '',
    'CONTROLS EVIDENCED (compliance and ATT&CK ids of those findings)',
    ...(byControl.length > 0
      ? byControl.slice(0, TOP * 2).map(([control, count]) => `  ${String(count).padStart(5)}  ${control}`)
      : ['  none']),
    ...(byControl.length > TOP * 2 ? [`  ... and ${byControl.length - TOP * 2} more`] : []),
    '',
    'ROLES THAT CHANGED MOST',
    ...(topRoles.length > 0
      ? topRoles.map(
          (role) => `  ${String(role.entries.length).padStart(5)}  ${clip(role.roleName, 64)}  (${describeActors(role.entries)})`,
        )
      : ['  none']),
    '',
    'PRIVILEGED ROLES UNUSED (admin or escalation rights, no use for longer than the configured days)',
    ...(unused.length > 0
      ? unused
          .slice(0, TOP * 5)
          .map((f) => `  ${String(idleDays(f)).padStart(5)} d  ${clip(f.roleName ?? f.resource, 64)}  (${lastUse(f)})`)
      : ['  none']),
    ...(unused.length > TOP * 5 ? [`  ... and ${unused.length - TOP * 5} more`] : []),
    '',
    'FINDINGS',
    ...(data.findings.length > 0
      ? data.findings.slice(0, 50).map((f) => `  [${f.severity.toUpperCase()}] ${f.ruleId}: ${clip(f.detail, 160)}`)
      : ['  none']),
    ...(data.findings.length > 50 ? [`  ... and ${data.findings.length - 50} more`] : []),
    '',
    ...(options.apiUrl ? [`Look up: GET ${options.apiUrl}/findings?status=open&since=${iso(data.from)}`, ''] : []),
  ];
  return {
    subject,
    text: `${lines.join('\n')}\n`,
    json: {
      kind: 'digest',
      account: data.account,
      from: iso(data.from),
      to: iso(data.to),
      findingsByRule: Object.fromEntries(byRule),
      findingsByControl: Object.fromEntries(byControl),
      unusedRoles: unused.slice(0, 200).map((f) => ({
        resource: f.resource,
        findingId: f.id,
        idleDays: idleDays(f),
        lastUsed: typeof f.evidence?.lastUsed === 'string' ? f.evidence.lastUsed : null,
        ...(typeof f.evidence?.lastUsedRegion === 'string' ? { region: f.evidence.lastUsedRegion } : {}),
      })),
      changesByRole: Object.fromEntries(topRoles.map((role) => [role.roleName, role.entries.length])),
      findings: data.findings.slice(0, 200).map((f) => ({
        id: f.id,
        ruleId: f.ruleId,
        severity: f.severity,
        resource: f.resource,
        detail: f.detail,
        controls: controlsOf(f.ruleId),
      })),
    },
    attributes: { severity: 'info', ruleId: 'digest', account: data.account },
  };
}

/** Days without use of a privileged-role-unused finding, as it recorded them. */
function idleDays(finding: Finding): number {
  const days = finding.evidence?.idleDays;
  return typeof days === 'number' && Number.isFinite(days) ? days : 0;
}

function lastUse(finding: Finding): string {
  const at = finding.evidence?.lastUsed;
  const region = finding.evidence?.lastUsedRegion;
  if (typeof at !== 'string') return 'never used since created';
  return toAsciiLine(`last used ${at}${typeof region === 'string' ? ` in ${region}` : ''}`).slice(0, 80);
}

function countBy(values: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function describeActors(entries: readonly HistoryEntry[]): string {
  const actors = countBy(entries.map((e) => e.actor ?? 'unknown'));
  const [first] = actors;
  if (!first) return 'no actor';
  return actors.length === 1 ? `by ${clip(first[0], 80)}` : `by ${clip(first[0], 60)} and ${actors.length - 1} other(s)`;
}

function iso(at: number): string {
  return new Date(at).toISOString().replace('.000Z', 'Z');
}
