import { mapLimit } from '../../../concurrency';
import type { FindingStatus } from '../../../findings/finding';
import { FINDING_STATUSES } from '../../../findings/finding';
import { SEVERITIES, type Severity } from '../../../findings/severity';
import type { FindingFilter, ListedFinding, Page, PageRequest } from '../../../ports/reportQueries';
import type { DynamoTable, Item } from '../DynamoTable';
import { findingIdOfKey, keys, timeKey } from '../keys';
import {
  descending,
  findingKey,
  findingsById,
  MAX_EXAMINED,
  openedAtOf,
  PARALLEL,
  positionValue,
  type ReportTables,
  readItems,
  zeroBySeverity,
} from './reads';
import type { RoleQueries } from './roles';

/** Findings: the lists (by status and severity, or by role), one finding, and openings per day. */
export class FindingQueries {
  constructor(
    private readonly stores: ReportTables,
    private readonly roles: RoleQueries,
  ) {}

  /**
   * Findings, newest (re)opened first.
   * - status × severity: key (gsi1 `FINDINGS#<status>#<severity>`): each requested partition is read
   *   backwards and the partitions are merged k-way, so a page is globally newest first. Reading keys costs
   *   little (KEYS_ONLY index); each finding on the page is then one item read (batch get).
   * - since: key condition on gsi1sk, free.
   * - account: matched on the index key (finding ids start with their account): index reads only.
   * - rule: needs the item: one item read per finding examined, not per finding returned.
   * - role: switches to gsi2 `RESOURCE#<account>#<role arn>` (per account when a name matches several):
   *   every finding of the role is read (projected), then the page's findings in full.
   * A request examines at most MAX_EXAMINED findings: a page may then be short, with a cursor to continue.
   */
  async listFindings(filter: FindingFilter, page: PageRequest): Promise<Page<ListedFinding>> {
    if (filter.role !== undefined) return this.listRoleFindings({ ...filter, role: filter.role }, page);
    const since = filter.since !== undefined ? timeKey(filter.since) : undefined;
    const before = upperBound(page, filter.until);
    const needsItems = filter.rules !== undefined;
    const fetchSize = Math.min(200, Math.max(25, needsItems ? page.limit * 2 : page.limit + 1));
    const streams = filter.statuses.flatMap((status) =>
      filter.severities.map(
        (severity) => new IndexStream(this.stores.table, keys.findingsByStatus(status, severity), since, before),
      ),
    );
    const items: ListedFinding[] = [];
    const seen = new Set<string>();
    let examined = 0;
    let last: string | undefined;
    for (;;) {
      const remaining = page.limit - items.length;
      const batch = await mergeNext(streams, needsItems ? Math.min(100, Math.max(25, remaining * 2)) : remaining, fetchSize);
      if (batch.length === 0) return { items };
      const wanted = batch.filter((entry) => filter.account === undefined || entry.id.startsWith(`${filter.account}-`));
      const found = await findingsById(
        this.stores.findings,
        wanted.map((entry) => entry.id),
      );
      for (const [i, entry] of batch.entries()) {
        examined += 1;
        last = entry.sortKey;
        const finding = found.get(entry.id);
        // The index is eventually consistent: a finding that moved since is checked against the item itself.
        if (
          finding &&
          !seen.has(finding.id) &&
          filter.statuses.includes(finding.status) &&
          filter.severities.includes(finding.severity) &&
          (filter.rules === undefined || filter.rules.includes(finding.ruleId))
        ) {
          seen.add(finding.id);
          items.push({ finding, openedAt: openedAtOf(entry.sortKey) });
        }
        if (items.length === page.limit) {
          const more = i < batch.length - 1 || streams.some((stream) => stream.hasMore);
          return { items, ...(more ? { next: { k: entry.sortKey } } : {}) };
        }
      }
      if (examined >= MAX_EXAMINED && last !== undefined) {
        return { items, ...(streams.some((stream) => stream.hasMore) ? { next: { k: last } } : {}) };
      }
    }
  }

  /** A role's findings (gsi2), filtered on a projection of each item, then the page read in full. */
  private async listRoleFindings(filter: FindingFilter & { role: string }, page: PageRequest): Promise<Page<ListedFinding>> {
    const roles = await this.roles.resolveRole(filter.role, filter.account);
    const ids = (await mapLimit(roles, PARALLEL, (role) => this.stores.findings.idsForResource(role.account, role.arn))).flat();
    const rows = await readItems(
      this.stores.table,
      ids.map((id) => findingKey(id)),
      ['pk', 'gsi1sk', 'status', 'severity', 'ruleId'],
    );
    const since = filter.since !== undefined ? timeKey(filter.since) : undefined;
    const before = upperBound(page, filter.until);
    const matching = rows
      .map((row) => ({ id: findingIdOfKey(row.pk), sortKey: String(row.gsi1sk), row }))
      .filter(
        ({ sortKey, row }) =>
          filter.statuses.includes(row.status as FindingStatus) &&
          filter.severities.includes(row.severity as Severity) &&
          (filter.rules === undefined || filter.rules.includes(String(row.ruleId))) &&
          (since === undefined || sortKey >= since) &&
          (before === undefined || sortKey < before),
      )
      .sort((a, b) => descending(a.sortKey, b.sortKey));
    const chosen = matching.slice(0, page.limit);
    const found = await findingsById(
      this.stores.findings,
      chosen.map((entry) => entry.id),
    );
    const items = chosen.flatMap((entry) => {
      const finding = found.get(entry.id);
      return finding ? [{ finding, openedAt: openedAtOf(entry.sortKey) }] : [];
    });
    const lastChosen = chosen.at(-1);
    return { items, ...(matching.length > page.limit && lastChosen ? { next: { k: lastChosen.sortKey } } : {}) };
  }

  /** One finding by id (one item read, plus a projected read of its opening time). */
  async getFinding(id: string): Promise<ListedFinding | undefined> {
    const [finding, rows] = await Promise.all([
      this.stores.findings.get(id),
      readItems(this.stores.table, [findingKey(id)], ['gsi1sk']),
    ]);
    if (!finding) return undefined;
    const sortKey = rows[0]?.gsi1sk;
    return { finding, openedAt: typeof sortKey === 'string' ? openedAtOf(sortKey) : finding.firstSeen };
  }

  /**
   * Findings counted by the UTC day of their last opening and severity, over every status: the gsi1 keys
   * between `since` and `until` (keys only, sort key `<opened-at>#<id>`), no item read.
   */
  async openedPerDay(filter: { since: number; until: number; account?: string }): Promise<Map<string, Record<Severity, number>>> {
    const days = new Map<string, Record<Severity, number>>();
    const partitions = FINDING_STATUSES.flatMap((status) => SEVERITIES.map((severity) => ({ status, severity })));
    await mapLimit(partitions, PARALLEL, async ({ status, severity }) => {
      const items = await this.stores.table.queryAll({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :since AND :until',
        values: {
          ':pk': keys.findingsByStatus(status, severity),
          ':since': timeKey(filter.since),
          ':until': timeKey(filter.until),
        },
      });
      for (const item of items) {
        const sortKey = String(item.gsi1sk);
        if (sortKey >= timeKey(filter.until)) continue;
        if (filter.account !== undefined && !String(item.pk).startsWith(`FINDING#${filter.account}-`)) continue;
        const day = new Date(openedAtOf(sortKey)).toISOString().slice(0, 10);
        const counts = days.get(day) ?? zeroBySeverity();
        counts[severity] += 1;
        days.set(day, counts);
      }
    });
    return days;
  }
}

/**
 * One gsi1 partition read backwards, a page at a time, bounded by `since` (inclusive) and `before`
 * (exclusive: the position a cursor continues from).
 */
class IndexStream {
  private buffer: { sortKey: string; id: string }[] = [];
  private start: Item | undefined;
  private done: boolean;

  constructor(
    private readonly table: DynamoTable,
    private readonly pk: string,
    private readonly since: string | undefined,
    private readonly before: string | undefined,
  ) {
    this.done = since !== undefined && before !== undefined && before < since;
  }

  get head(): { sortKey: string; id: string } | undefined {
    return this.buffer[0];
  }

  get hasMore(): boolean {
    return this.buffer.length > 0 || !this.done;
  }

  take(): { sortKey: string; id: string } | undefined {
    return this.buffer.shift();
  }

  /** Reads the next page when the buffer is empty and the partition is not exhausted. */
  async fill(size: number): Promise<void> {
    while (this.buffer.length === 0 && !this.done) {
      const { since, before } = this;
      const condition =
        since !== undefined && before !== undefined
          ? ' AND gsi1sk BETWEEN :since AND :before'
          : before !== undefined
            ? ' AND gsi1sk < :before'
            : since !== undefined
              ? ' AND gsi1sk >= :since'
              : '';
      const result = await this.table.query({
        IndexName: 'gsi1',
        KeyConditionExpression: `gsi1pk = :pk${condition}`,
        values: {
          ':pk': this.pk,
          ...(since !== undefined ? { ':since': since } : {}),
          ...(before !== undefined ? { ':before': before } : {}),
        },
        ScanIndexForward: false,
        Limit: size,
        ...(this.start ? { start: this.start } : {}),
      });
      this.buffer = result.items
        .map((item) => ({ sortKey: String(item.gsi1sk), id: findingIdOfKey(item.pk) }))
        // BETWEEN includes its upper bound: the finding the cursor stopped at was already returned.
        .filter((entry) => before === undefined || entry.sortKey < before);
      this.start = result.next;
      this.done = result.next === undefined;
    }
  }
}

/** The next `count` entries of the streams merged newest first (reading pages as the streams run dry). */
async function mergeNext(
  streams: readonly IndexStream[],
  count: number,
  fetchSize: number,
): Promise<{ sortKey: string; id: string }[]> {
  const batch: { sortKey: string; id: string }[] = [];
  while (batch.length < count) {
    await Promise.all(streams.map((stream) => stream.fill(fetchSize)));
    let best: IndexStream | undefined;
    for (const stream of streams) {
      const head = stream.head;
      if (head && (!best || head.sortKey > (best.head?.sortKey ?? ''))) best = stream;
    }
    const next = best?.take();
    if (!next) break;
    batch.push(next);
  }
  return batch;
}

/** Where a findings list stops (exclusive): the cursor's position, or `until`, whichever comes first. */
function upperBound(page: PageRequest, until: number | undefined): string | undefined {
  const after = page.after ? positionValue(page.after, 'k') : undefined;
  const end = until !== undefined ? timeKey(until) : undefined;
  return after === undefined ? end : end === undefined || after < end ? after : end;
}
