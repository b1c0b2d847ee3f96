import { mapLimit } from '../../../concurrency';
import type { FindingStatus } from '../../../findings/finding';
import { FINDING_STATUSES } from '../../../findings/finding';
import { resourceName } from '../../../findings/ids';
import type { Severity } from '../../../findings/severity';
import type { ReportSummary, RiskyRole } from '../../../ports/reportQueries';
import type { Item } from '../DynamoTable';
import { findingIdOfKey, keys } from '../keys';
import {
  ascending,
  findingKey,
  isSeverity,
  isStatus,
  PARALLEL,
  type ReportTables,
  ROLE_ARN,
  readItems,
  zeroBySeverity,
} from './reads';
import type { RoleQueries } from './roles';

/** Written by the monitor when it records the newest event time; read here only. */
const LAST_EVENT_SK = 'LAST-EVENT';
/** Newest open findings read per severity (critical, high) to rank the riskiest roles. */
const RISKY_READS = 30;
const RISKIEST_ROLES = 10;

/** The summary: counts by status, severity and rule, the riskiest roles, and the last event seen. */
export class SummaryQueries {
  constructor(
    private readonly stores: ReportTables,
    private readonly roles: RoleQueries,
    private readonly options: { accounts?: readonly string[] },
  ) {}

  /**
   * - Counts: the summary counters, one query per account: the accounts of the roles index (cached), the
   *   configured ones and those of the findings read (nothing lists SUMMARY partitions without a scan).
   * - Riskiest roles: ranked over the newest RISKY_READS open critical and RISKY_READS open high findings
   *   (two index queries, then one projected batch read): bounded, so a ranking of recent risk, not of all.
   * - Last event seen: the `MONITOR`/`LAST-EVENT` item the monitor writes; without it, the newest lastSeen
   *   among the findings read (a lower bound).
   * Two round trips: counters beside the index queries, then the batch read.
   */
  async summary(filter: { account?: string }): Promise<ReportSummary> {
    const known =
      filter.account !== undefined
        ? [filter.account]
        : [...new Set([...(await this.roles.accounts()), ...(this.options.accounts ?? [])])];
    const countersOf = (accounts: readonly string[]) =>
      mapLimit(accounts, PARALLEL, (account) => this.stores.findings.summaryCounters(account));
    // Counters beside the riskiest findings (and the recorded last event, read in their batch); a further
    // round trip only for accounts that have findings but no role in the index.
    const [knownCounters, { risky, recordedAt }] = await Promise.all([countersOf(known), this.openRiskyFindings(filter.account)]);
    const extra = [...new Set(risky.map((row) => String(row.account)))].filter((account) => !known.includes(account));
    const counters = [...knownCounters, ...(await countersOf(extra))];
    const accounts = [...known, ...extra].sort(ascending);
    const byStatus = Object.fromEntries(FINDING_STATUSES.map((status) => [status, zeroBySeverity()])) as Record<
      FindingStatus,
      Record<Severity, number>
    >;
    const byRule: Record<string, Record<FindingStatus, number>> = {};
    for (const counter of counters) {
      for (const [name, value] of Object.entries(counter.byStatus)) {
        const [status, severity] = name.split('#');
        if (isStatus(status) && isSeverity(severity)) byStatus[status][severity] += Math.max(0, value);
      }
      for (const [ruleId, statuses] of Object.entries(counter.byRule)) {
        const entry = byRule[ruleId] ?? { open: 0, suppressed: 0, resolved: 0 };
        byRule[ruleId] = entry;
        for (const [status, value] of Object.entries(statuses)) if (isStatus(status)) entry[status] += Math.max(0, value);
      }
    }
    const derivedAt = Math.max(0, ...risky.map((row) => Number(row.lastSeen) || 0));
    return {
      accounts,
      byStatus,
      byRule,
      riskiestRoles: rankRoles(risky),
      ...(Number.isFinite(recordedAt) && recordedAt > 0
        ? { lastEvent: { at: recordedAt, basis: 'recorded' as const } }
        : derivedAt > 0
          ? { lastEvent: { at: derivedAt, basis: 'findings' as const } }
          : {}),
    };
  }

  /**
   * The newest open critical and high findings (projected), of one account or all, and the recorded time
   * of the last event (the `MONITOR`/`LAST-EVENT` item, 0 when absent), read in the same batch.
   */
  private async openRiskyFindings(account: string | undefined): Promise<{ risky: Item[]; recordedAt: number }> {
    const ids = await Promise.all(
      (['critical', 'high'] as const).map(async (severity) => {
        const found: string[] = [];
        let start: Item | undefined;
        // With an account filter, at most three index pages: the summary stays bounded however many accounts share it.
        for (let round = 0; round < 3 && found.length < RISKY_READS; round++) {
          const result = await this.stores.table.query({
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            values: { ':pk': keys.findingsByStatus('open', severity) },
            ScanIndexForward: false,
            Limit: RISKY_READS,
            ...(start ? { start } : {}),
          });
          for (const item of result.items) {
            const id = findingIdOfKey(item.pk);
            if ((account === undefined || id.startsWith(`${account}-`)) && found.length < RISKY_READS) found.push(id);
          }
          if (!result.next || account === undefined) break;
          start = result.next;
        }
        return found;
      }),
    );
    const rows = await readItems(
      this.stores.table,
      [...ids.flat().map((id) => findingKey(id)), { pk: keys.monitor(), sk: LAST_EVENT_SK }],
      ['pk', 'account', 'resource', 'severity', 'status', 'lastSeen', 'at'],
    );
    const recorded = rows.find((row) => row.pk === keys.monitor());
    return { risky: rows.filter((row) => row.status === 'open'), recordedAt: Number(recorded?.at ?? 0) };
  }
}

/** Roles ranked by open critical, then high findings, then the newest of them. */
function rankRoles(rows: readonly Item[]): RiskyRole[] {
  const roles = new Map<string, RiskyRole>();
  for (const row of rows) {
    const arn = String(row.resource);
    if (!ROLE_ARN.test(arn)) continue;
    const role: RiskyRole = roles.get(arn) ?? {
      account: String(row.account),
      roleName: resourceName(arn),
      arn,
      open: { critical: 0, high: 0 },
      lastSeen: 0,
    };
    const severity = String(row.severity);
    if (severity === 'critical' || severity === 'high') role.open[severity] += 1;
    role.lastSeen = Math.max(role.lastSeen, Number(row.lastSeen) || 0);
    roles.set(arn, role);
  }
  return [...roles.values()]
    .sort(
      (a, b) =>
        b.open.critical - a.open.critical || b.open.high - a.open.high || b.lastSeen - a.lastSeen || ascending(a.arn, b.arn),
    )
    .slice(0, RISKIEST_ROLES);
}
