import { clip, oneLine } from '../alerts/text';
import { collectTrailEvents } from '../cloudtrail/read';
import { createDynamoStores, createMemoryContext, dynamoClient } from '../context';
import { ValidationError } from '../errors';
import type { Finding } from '../findings/finding';
import { SEVERITIES, type Severity } from '../findings/severity';
import { type ControlItem, FRAMEWORKS, type Framework, findFramework } from '../rules/controls';
import { RULES } from '../rules/index';
import type { Rule } from '../rules/types';
import { DynamoReportStore } from '../store/dynamo/DynamoReportStore';
import { defineCommand, HELP_OPTION, resolveConfig, tableRegion } from './options';

const HELP = `usage: rolewatch report --framework NAME [<cloudtrail file|dir>...] [options]

Prints, for each item of a compliance framework, the RoleWatch rules that evidence it, its open findings and
their evidence, then the items no rule covers. The findings come from replaying CloudTrail files (as evaluate
does), or from RoleWatch's DynamoDB table with --table; with neither, the report shows coverage only.

frameworks: ${FRAMEWORKS.map((framework) => framework.id.toLowerCase()).join(', ')}

options:
  --framework NAME    the framework (required)
  --format FORMAT     text (default) or json
  --config FILE       rolewatch.config.yml/.json (default: ./rolewatch.config.* if present)
  --table NAME        read the findings of RoleWatch's DynamoDB table (--endpoint, --region)
  --endpoint URL      DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local
  --region REGION     AWS region of the table (default: AWS_REGION, else us-east-1)
`;

/** One framework item as the report shows it. */
export interface ItemReport {
  id: string;
  title: string;
  rules: string[];
  open: Finding[];
  suppressed: number;
  resolved: number;
}

/** The report on one framework: covered items in the framework's order, then the items no rule covers. */
export interface ComplianceReport {
  framework: Framework;
  /** Where the findings came from ("3 files, 120 events", "table rolewatch"), or undefined for coverage only. */
  basis?: string;
  covered: ItemReport[];
  notCovered: ControlItem[];
}

/** Builds the report of a framework from the rules and the findings (pure). */
export function buildComplianceReport(
  framework: Framework,
  findings: readonly Finding[] | undefined,
  options: { rules?: readonly Rule[]; basis?: string } = {},
): ComplianceReport {
  const rules = options.rules ?? RULES;
  const covered: ItemReport[] = [];
  const notCovered: ControlItem[] = [];
  for (const item of framework.items) {
    const control = `${framework.id}-${item.id}`;
    const itemRules = rules.filter((rule) => rule.controls.includes(control)).map((rule) => rule.id);
    if (itemRules.length === 0) {
      notCovered.push(item);
      continue;
    }
    const mine = (findings ?? []).filter((finding) => itemRules.includes(finding.ruleId));
    covered.push({
      id: item.id,
      title: item.title,
      rules: itemRules,
      open: mine
        .filter((finding) => finding.status === 'open')
        .sort((a, b) => rank(a.severity) - rank(b.severity) || b.lastSeen - a.lastSeen),
      suppressed: mine.filter((finding) => finding.status === 'suppressed').length,
      resolved: mine.filter((finding) => finding.status === 'resolved').length,
    });
  }
  return { framework, ...(options.basis !== undefined ? { basis: options.basis } : {}), covered, notCovered };
}

const rank = (severity: Severity) => SEVERITIES.indexOf(severity);

/** Open findings shown per item; the rest are counted. */
const SHOWN = 5;

/** The report as text for a terminal or an auditor's file. */
export function formatComplianceReport(report: ComplianceReport): string {
  const { framework } = report;
  const openTotal = report.covered.reduce((sum, item) => sum + item.open.length, 0);
  const lines = [
    `${framework.name}: RoleWatch coverage and findings`,
    `Listed: ${framework.scope}`,
    `Source of the item list: ${framework.source}`,
    report.basis === undefined
      ? 'Findings: none read (coverage only; give CloudTrail files or --table)'
      : `Findings: ${report.basis}`,
    `Items covered: ${report.covered.length} of ${framework.items.length}; open findings on them: ${openTotal}`,
    '',
  ];
  for (const item of report.covered) {
    lines.push(`${item.id}  ${item.title}`);
    lines.push(`    rules:     ${item.rules.join(', ')}`);
    if (report.basis !== undefined) {
      lines.push(`    open:      ${item.open.length}${severityCounts(item.open)}`);
      if (item.suppressed + item.resolved > 0) {
        lines.push(`    closed:    ${item.suppressed} suppressed, ${item.resolved} resolved`);
      }
      const evidence = item.open.slice(0, SHOWN).map(evidenceLine);
      if (evidence.length === 0) evidence.push('no open finding of these rules');
      lines.push(`    evidence:  ${evidence[0]}`, ...evidence.slice(1).map((line) => `               ${line}`));
      if (item.open.length > SHOWN) lines.push(`               ... and ${item.open.length - SHOWN} more open`);
    }
    lines.push('');
  }
  lines.push(`NOT COVERED: no RoleWatch rule evidences these ${report.notCovered.length} items`);
  for (const item of report.notCovered) lines.push(`${item.id.padEnd(10)}${item.title}`);
  return `${lines.join('\n')}\n`;
}

function severityCounts(findings: readonly Finding[]): string {
  const counts = SEVERITIES.map((severity) => [severity, findings.filter((f) => f.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  return counts.length > 0 ? ` (${counts.join(', ')})` : '';
}

/** `[HIGH] trust-unknown-account 123456789012 deploy: detail (last seen, event)`, one line. */
function evidenceLine(finding: Finding): string {
  const when = new Date(finding.lastSeen).toISOString().replace('.000Z', 'Z');
  const event = finding.event ? `, ${oneLine(finding.event.eventName)} ${oneLine(finding.event.eventId)}` : '';
  return `[${finding.severity.toUpperCase()}] ${finding.ruleId} ${finding.account} ${oneLine(finding.resourceName)}: ${oneLine(
    clip(finding.detail, 160),
  )} (${when}${event})`;
}

/** The report as JSON: items with their rules, open findings (id, rule, severity, resource, detail) and counts. */
export function complianceReportJson(report: ComplianceReport): Record<string, unknown> {
  return {
    framework: report.framework.id,
    name: report.framework.name,
    source: report.framework.source,
    scope: report.framework.scope,
    basis: report.basis ?? null,
    covered: report.covered.map((item) => ({
      id: item.id,
      title: item.title,
      rules: item.rules,
      open: item.open.map((f) => ({
        id: f.id,
        ruleId: f.ruleId,
        severity: f.severity,
        account: f.account,
        resource: f.resource,
        detail: f.detail,
        lastSeen: new Date(f.lastSeen).toISOString(),
      })),
      suppressed: item.suppressed,
      resolved: item.resolved,
    })),
    notCovered: report.notCovered,
  };
}

/** `rolewatch report`. */
export const runReport = defineCommand(
  HELP,
  {
    allowPositionals: true,
    options: {
      framework: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
      table: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      ...HELP_OPTION,
    },
  },
  async ({ values, positionals }) => {
    if (values.framework === undefined) throw new ValidationError('--framework', `is required: one of ${frameworkNames()}`);
    const framework = findFramework(values.framework);
    if (!framework) throw new ValidationError('--framework', `must be one of ${frameworkNames()}, got "${values.framework}"`);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new ValidationError('--format', `must be text or json, got "${format}"`);
    if (values.table && positionals.length > 0)
      throw new ValidationError('--table', 'give CloudTrail files or --table, not both');

    let findings: Finding[] | undefined;
    let basis: string | undefined;
    if (values.table) {
      findings = await tableFindings(framework, values.table, values.endpoint, tableRegion(values.region));
      basis = `table ${values.table}`;
    } else if (positionals.length > 0) {
      ({ findings, basis } = await replayFindings(positionals, values.config));
    }
    const report = buildComplianceReport(framework, findings, basis === undefined ? {} : { basis });
    process.stdout.write(
      format === 'json' ? `${JSON.stringify(complianceReportJson(report), null, 2)}\n` : formatComplianceReport(report),
    );
    return 0;
  },
);

function frameworkNames(): string {
  return FRAMEWORKS.map((framework) => framework.id.toLowerCase()).join(', ');
}

/** Replays CloudTrail files in memory, as evaluate does, and returns every finding in its final state. */
async function replayFindings(paths: string[], configFile: string | undefined): Promise<{ findings: Finding[]; basis: string }> {
  const { engine, store } = createMemoryContext({
    config: resolveConfig(configFile),
    logger: { warn: (message, data) => process.stderr.write(`warning: ${message} ${JSON.stringify(data ?? {})}\n`) },
  });
  let skipped = 0;
  const events = await collectTrailEvents(
    paths,
    (error) => {
      skipped += 1;
      process.stderr.write(`skipped ${error.source}${error.eventId ? ` (eventID ${error.eventId})` : ''}: ${error.message}\n`);
    },
    { keep: (record) => engine.isWatchedRecord(record) },
  );
  let failed = 0;
  for (const event of events) {
    try {
      await engine.process(event);
    } catch (error) {
      failed += 1;
      process.stderr.write(
        `error evaluating eventID ${event.eventId}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
  const notes = [...(skipped > 0 ? [`${skipped} records skipped`] : []), ...(failed > 0 ? [`${failed} events failed`] : [])];
  return {
    findings: await store.allFindings(),
    basis: `${events.length} CloudTrail events replayed${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`,
  };
}

/** Every finding of the rules covering the framework, in any status, read from RoleWatch's table. */
async function tableFindings(
  framework: Framework,
  table: string,
  endpoint: string | undefined,
  region: string,
): Promise<Finding[]> {
  const client = dynamoClient({ region, endpoint });
  const reports = new DynamoReportStore(createDynamoStores({ client, tableName: table }));
  const rules = RULES.filter((rule) => rule.controls.some((control) => control.startsWith(`${framework.id}-`))).map(
    (rule) => rule.id,
  );
  const findings: Finding[] = [];
  let after: Record<string, string> | undefined;
  do {
    const page = await reports.listFindings(
      { statuses: ['open', 'suppressed', 'resolved'], severities: SEVERITIES, rules },
      { limit: 200, ...(after ? { after } : {}) },
    );
    findings.push(...page.items.map((item) => item.finding));
    after = page.next;
  } while (after);
  return findings;
}
