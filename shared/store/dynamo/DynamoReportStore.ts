import { randomBytes } from 'node:crypto';
import { BatchGetItemCommand, type BatchGetItemCommandOutput, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mapLimit } from '../../concurrency';
import { PolicyResolver } from '../../engine/roleView';
import { ValidationError } from '../../errors';
import type { Finding, FindingStatus } from '../../findings/finding';
import { FINDING_STATUSES } from '../../findings/finding';
import { resourceName } from '../../findings/ids';
import { SEVERITIES, type Severity, severityRank } from '../../findings/severity';
import { StaticIamReader } from '../../iam/reader';
import type {
  AssumptionFilter,
  FindingFilter,
  ListedFinding,
  Page,
  PageRequest,
  Position,
  ReportStore,
  ReportSummary,
  RiskyRole,
  RoleListing,
  RoleRef,
  RoleSnapshot,
} from '../../ports/reportQueries';
import type { AssumptionEdge, HistoryEntry } from '../../ports/roleState';
import { emptyRoleRecord, isNewerStamp, liveLastUsed, type Stamp } from '../../roles/roleRecord';
import type { RoleView } from '../../rules/types';
import type { DynamoFindingStore } from './DynamoFindingStore';
import type { DynamoStateStore } from './DynamoStateStore';
import type { DynamoTable, Item, Key } from './DynamoTable';
import { keys, timeKey } from './keys';

const FINDING_SK = 'FINDING';
const CURSOR_KEY_SK = 'CURSOR-KEY';
/** Written by the monitor when it records the newest event time; read here only. */
const LAST_EVENT_SK = 'LAST-EVENT';
/** Items one list request examines at most (index keys and items) before it answers a short page with a cursor. */
const MAX_EXAMINED = 2_000;
/** Newest open findings read per severity (critical, high) to rank the riskiest roles. */
const RISKY_READS = 30;
const RISKIEST_ROLES = 10;
/** Concurrent requests one API call sends at most (per-role queries, edge reads). */
const PARALLEL = 16;
/** Keys per batch get of the projected reads (BatchGetItem takes up to 100). */
const READ_CHUNK = 100;
/** The account list (from the roles index) is cached this long per container. */
const ACCOUNTS_TTL_MS = 60_000;
const MAX_ACCOUNTS = 1_000;
/** A role name as IAM allows it. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/;

/**
 * The reporting API's read side over RoleWatch's table. Nothing here scans: every list reads one or a few
 * key-ordered partitions (see each method for the keys it reads and what its filters cost). Findings are
 * materialised through DynamoFindingStore and role state through DynamoStateStore, so that the item formats
 * have one reader each.
 */
export class DynamoReportStore implements ReportStore {
  private key: Promise<Uint8Array> | undefined;
  private knownAccounts: { at: number; accounts: Promise<string[]> } | undefined;

  constructor(
    private readonly stores: { table: DynamoTable; findings: DynamoFindingStore; state: DynamoStateStore },
    private readonly options: {
      /** Accounts the summary always covers (the configuration's knownAccounts), besides those of the roles index. */
      accounts?: readonly string[];
      now?: () => number;
      /** Never write (rolewatch ui without --allow-writes): no cursor key is stored. */
      readOnly?: boolean;
    } = {},
  ) {}

  private get table(): DynamoTable {
    return this.stores.table;
  }

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
      filter.severities.map((severity) => new IndexStream(this.table, keys.findingsByStatus(status, severity), since, before)),
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
      const found = await this.findingsById(wanted.map((entry) => entry.id));
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
    const roles = await this.resolveRole(filter.role, filter.account);
    const ids = (await mapLimit(roles, PARALLEL, (role) => this.findingIdsOf(role.account, role.arn))).flat();
    const rows = await this.readItems(
      ids.map((id) => findingKey(id)),
      ['pk', 'gsi1sk', 'status', 'severity', 'ruleId'],
    );
    const since = filter.since !== undefined ? timeKey(filter.since) : undefined;
    const before = upperBound(page, filter.until);
    const matching = rows
      .map((row) => ({ id: String(row.pk).slice('FINDING#'.length), sortKey: String(row.gsi1sk), row }))
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
    const found = await this.findingsById(chosen.map((entry) => entry.id));
    const items = chosen.flatMap((entry) => {
      const finding = found.get(entry.id);
      return finding ? [{ finding, openedAt: openedAtOf(entry.sortKey) }] : [];
    });
    const lastChosen = chosen.at(-1);
    return { items, ...(matching.length > page.limit && lastChosen ? { next: { k: lastChosen.sortKey } } : {}) };
  }

  /** One finding by id (one item read, plus a projected read of its opening time). */
  async getFinding(id: string): Promise<ListedFinding | undefined> {
    const [finding, rows] = await Promise.all([this.stores.findings.get(id), this.readItems([findingKey(id)], ['gsi1sk'])]);
    if (!finding) return undefined;
    const sortKey = rows[0]?.gsi1sk;
    return { finding, openedAt: typeof sortKey === 'string' ? openedAtOf(sortKey) : finding.firstSeen };
  }

  /**
   * The roles a role ARN or name designates. An ARN is taken as it is. A name is looked up in `account`, or
   * in every account of the roles index (one META item read per account; the account list is cached).
   */
  async resolveRole(role: string, account?: string): Promise<RoleRef[]> {
    const arn = ROLE_ARN.exec(role);
    if (arn) {
      const [, arnAccount = '', roleName = ''] = arn;
      return account === undefined || account === arnAccount ? [{ account: arnAccount, roleName, arn: role }] : [];
    }
    const accounts =
      account !== undefined ? [account] : [...new Set([...(await this.accounts()), ...(this.options.accounts ?? [])])];
    const metas = await this.readItems(
      accounts.map((candidate) => ({ pk: keys.role(candidate, role), sk: 'META' })),
      ['account', 'roleName', 'arn'],
    );
    const withState = metas.map((meta) => ({
      account: String(meta.account),
      roleName: String(meta.roleName),
      arn: String(meta.arn),
    }));
    // A role seen only through its assumptions (or findings) has no META: its ARN is the name's, without a path.
    const traced = ROLE_NAME.test(role)
      ? await mapLimit(
          accounts.filter((candidate) => !withState.some((ref) => ref.account === candidate)),
          PARALLEL,
          async (candidate) => {
            const ref = { account: candidate, roleName: role, arn: `arn:aws:iam::${candidate}:role/${role}` };
            return (await this.hasTraces(ref)) ? [ref] : [];
          },
        )
      : [];
    return [...withState, ...traced.flat()].sort((a, b) => ascending(a.account, b.account));
  }

  /** True when the role has an assumption edge or a finding: what is known of a role without stored state. */
  private async hasTraces(role: RoleRef): Promise<boolean> {
    const [edges, findings] = await Promise.all([
      this.table.query({
        KeyConditionExpression: 'pk = :pk',
        values: { ':pk': keys.edges(role.account, role.arn) },
        ProjectionExpression: 'pk',
        Limit: 1,
      }),
      this.findingIdsOf(role.account, role.arn),
    ]);
    return edges.items.length > 0 || findings.length > 0;
  }

  /**
   * Roles in account and name order (gsi3 `ROLES`; `account` is a key prefix, free). Per role of the page:
   * its META, CREATED and DELETED items (batch get), and its findings (gsi2 query, then a projected read
   * of each) to count the open ones by severity: cost grows with the page size, never with the table.
   */
  async listRoles(filter: { account?: string }, page: PageRequest): Promise<Page<RoleListing>> {
    const result = await this.table.query({
      IndexName: 'gsi3',
      KeyConditionExpression: filter.account !== undefined ? 'gsi3pk = :pk AND begins_with(gsi3sk, :prefix)' : 'gsi3pk = :pk',
      values: { ':pk': keys.roleIndex(), ...(filter.account !== undefined ? { ':prefix': `${filter.account}#` } : {}) },
      // One more than the page: a full last page then says it is the last.
      Limit: page.limit + 1,
      ...(page.after ? { start: startKey(page.after) } : {}),
    });
    const listedKeys = result.items.slice(0, page.limit);
    const lastKey = listedKeys.at(-1);
    const next = result.items.length > page.limit || result.next ? lastKey : undefined;
    const names = listedKeys.map((item) => {
      const sortKey = String(item.gsi3sk);
      const split = sortKey.indexOf('#');
      return { account: sortKey.slice(0, split), roleName: sortKey.slice(split + 1) };
    });
    const parts = await this.readItems(
      names.flatMap(({ account, roleName }) =>
        ['META', 'CREATED', 'DELETED', 'LAST-USED'].map((sk) => ({ pk: keys.role(account, roleName), sk })),
      ),
      ['pk', 'sk', 'arn', 'at', 'eventId', 'phase', 'usedAt', 'usedRegion'],
    );
    const byKey = new Map(parts.map((part) => [`${String(part.pk)}|${String(part.sk)}`, part]));
    const listed = await mapLimit(names, PARALLEL, async ({ account, roleName }): Promise<RoleListing> => {
      const pk = keys.role(account, roleName);
      const arn = String(byKey.get(`${pk}|META`)?.arn ?? `arn:aws:iam::${account}:role/${roleName}`);
      const created = stampOf(byKey.get(`${pk}|CREATED`));
      const deleted = stampOf(byKey.get(`${pk}|DELETED`));
      const used = byKey.get(`${pk}|LAST-USED`);
      const observed = stampOf(used);
      const lastUsed = observed
        ? liveLastUsed({
            ...(created ? { created } : {}),
            lastUsed: {
              ...observed,
              ...(used?.usedAt !== undefined ? { usedAt: Number(used.usedAt) } : {}),
              ...(used?.usedRegion !== undefined ? { region: String(used.usedRegion) } : {}),
            },
          })
        : undefined;
      const rows = await this.readItems(
        (await this.findingIdsOf(account, arn)).map((id) => findingKey(id)),
        ['status', 'severity'],
      );
      const open = zeroBySeverity();
      for (const row of rows) if (row.status === 'open' && isSeverity(row.severity)) open[row.severity] += 1;
      return {
        account,
        roleName,
        arn,
        deleted: deleted !== undefined && (created === undefined || !isNewerStamp(created, deleted)),
        open,
        ...(lastUsed ? { lastUsed } : {}),
      };
    });
    return { items: listed, ...(next ? { next: stringPosition(next) } : {}) };
  }

  /** A role's stored parts (one query of its partition) and its open findings (gsi2, projected, then in full). */
  async roleSnapshot(role: RoleRef): Promise<RoleSnapshot | undefined> {
    const [record, ids] = await Promise.all([
      this.stores.state.getRole(role.account, role.roleName),
      this.findingIdsOf(role.account, role.arn),
    ]);
    const stateSeen = record !== undefined;
    if (!stateSeen && ids.length === 0 && !(await this.hasTraces(role))) return undefined;
    const rows = await this.readItems(
      ids.map((id) => findingKey(id)),
      ['pk', 'gsi1sk', 'status', 'severity'],
    );
    const open = rows
      .filter((row) => row.status === 'open')
      .map((row) => ({ id: String(row.pk).slice('FINDING#'.length), sortKey: String(row.gsi1sk) }));
    const openedAt = new Map(open.map((entry) => [entry.id, openedAtOf(entry.sortKey)]));
    const findings = [...(await this.findingsById(open.map((entry) => entry.id))).values()];
    const openFindings = findings
      .map((finding) => ({ finding, openedAt: openedAt.get(finding.id) ?? finding.firstSeen }))
      .sort((a, b) => severityRank(b.finding.severity) - severityRank(a.finding.severity) || b.openedAt - a.openedAt);
    return stateSeen
      ? { record, openFindings }
      : { record: emptyRoleRecord(role.account, role.roleName, role.arn), openFindings, stateSeen: false };
  }

  /** A role's history, newest first: one query page of `HISTORY#<account>#<role>`. */
  async roleHistory(role: RoleRef, page: PageRequest): Promise<Page<HistoryEntry>> {
    const result = await this.stores.state.roleHistoryPage(
      role.account,
      role.roleName,
      page.limit,
      page.after ? startKey(page.after) : undefined,
    );
    return { items: result.entries, ...(result.next ? { next: stringPosition(result.next) } : {}) };
  }

  /**
   * Assumption edges, in key order. The first filter that is a key chooses the partition:
   * - role: `ASSUMED#<account>#<role arn>` (with `source` too: one item);
   * - source: gsi2 `SOURCE#<principal>` (`account` of the role is a key prefix there, free);
   * - sourceAccount: gsi3 `SOURCEACCOUNT#<account>` (same).
   * Keys are read first, then each edge (one item read each, in parallel). `since`, and `source` or
   * `sourceAccount` when they are not the key, are applied to the edges read: one item read per edge
   * examined. Without role, source or sourceAccount there is no partition to read: ValidationError.
   */
  async listAssumptions(filter: AssumptionFilter, page: PageRequest): Promise<Page<AssumptionEdge>> {
    const query = await this.assumptionQuery(filter);
    if (!query) return { items: [] };
    const keep = (edge: AssumptionEdge) =>
      (filter.since === undefined || edge.lastSeen >= filter.since) &&
      (filter.source === undefined || edge.source === filter.source) &&
      (filter.sourceAccount === undefined || edge.sourceAccount === filter.sourceAccount);
    const items: AssumptionEdge[] = [];
    let start = page.after ? startKey(page.after) : undefined;
    let examined = 0;
    for (;;) {
      const remaining = page.limit - items.length;
      const result = await this.table.query({
        ...query,
        Limit: Math.min(200, Math.max(remaining, 10)),
        ...(start ? { start } : {}),
      });
      const edges = await mapLimit(result.items, PARALLEL, (key) => this.edgeOf(key));
      for (const [i, key] of result.items.entries()) {
        examined += 1;
        const edge = edges[i];
        if (edge && keep(edge)) items.push(edge);
        if (items.length === page.limit) {
          const more = i < result.items.length - 1 || result.next !== undefined;
          return { items, ...(more ? { next: stringPosition(key) } : {}) };
        }
      }
      if (!result.next) return { items };
      if (examined >= MAX_EXAMINED) return { items, next: stringPosition(result.next) };
      start = result.next;
    }
  }

  private async assumptionQuery(
    filter: AssumptionFilter,
  ): Promise<{ IndexName?: string; KeyConditionExpression: string; values: Item; ProjectionExpression?: string } | undefined> {
    if (filter.role !== undefined) {
      const roles = await this.resolveRole(filter.role, filter.account);
      if (roles.length > 1)
        throw new ValidationError(
          'account',
          `role ${filter.role} exists in accounts ${roles.map((role) => role.account).join(', ')}: name one`,
        );
      const [role] = roles;
      if (!role) return undefined;
      return {
        KeyConditionExpression: filter.source !== undefined ? 'pk = :pk AND sk = :source' : 'pk = :pk',
        values: {
          ':pk': keys.edges(role.account, role.arn),
          ...(filter.source !== undefined ? { ':source': filter.source } : {}),
        },
        ProjectionExpression: 'pk, sk',
      };
    }
    const prefix = filter.account !== undefined ? { ':prefix': `${filter.account}#` } : {};
    if (filter.source !== undefined)
      return {
        IndexName: 'gsi2',
        KeyConditionExpression: `gsi2pk = :pk${filter.account !== undefined ? ' AND begins_with(gsi2sk, :prefix)' : ''}`,
        values: { ':pk': keys.edgesBySource(filter.source), ...prefix },
      };
    if (filter.sourceAccount !== undefined)
      return {
        IndexName: 'gsi3',
        KeyConditionExpression: `gsi3pk = :pk${filter.account !== undefined ? ' AND begins_with(gsi3sk, :prefix)' : ''}`,
        values: { ':pk': keys.edgesBySourceAccount(filter.sourceAccount), ...prefix },
      };
    throw new ValidationError('role', 'give role, source or sourceAccount: assumptions are read by one of them');
  }

  /** The edge an `ASSUMED#<account>#<role arn>` / source key names. */
  private async edgeOf(key: Item): Promise<AssumptionEdge | undefined> {
    const pk = String(key.pk).slice('ASSUMED#'.length);
    const split = pk.indexOf('#');
    return this.stores.state.getAssumption(pk.slice(0, split), pk.slice(split + 1), String(key.sk));
  }

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
        : [...new Set([...(await this.accounts()), ...(this.options.accounts ?? [])])];
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
          const result = await this.table.query({
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            values: { ':pk': keys.findingsByStatus('open', severity) },
            ScanIndexForward: false,
            Limit: RISKY_READS,
            ...(start ? { start } : {}),
          });
          for (const item of result.items) {
            const id = String(item.pk).slice('FINDING#'.length);
            if ((account === undefined || id.startsWith(`${account}-`)) && found.length < RISKY_READS) found.push(id);
          }
          if (!result.next || account === undefined) break;
          start = result.next;
        }
        return found;
      }),
    );
    const rows = await this.readItems(
      [...ids.flat().map((id) => findingKey(id)), { pk: keys.monitor(), sk: LAST_EVENT_SK }],
      ['pk', 'account', 'resource', 'severity', 'status', 'lastSeen', 'at'],
    );
    const recorded = rows.find((row) => row.pk === keys.monitor());
    return { risky: rows.filter((row) => row.status === 'open'), recordedAt: Number(recorded?.at ?? 0) };
  }

  /** A role with its policies resolved from the table (customer-managed documents RoleWatch has seen; IAM is not asked). */
  async roleView(role: RoleRef): Promise<RoleView | undefined> {
    const record = await this.stores.state.getRole(role.account, role.roleName);
    return new PolicyResolver(this.stores.state, new StaticIamReader()).view(record);
  }

  /** Up to `limit` edges of a role (its `ASSUMED#` partition, page after page). */
  async roleEdges(role: RoleRef, limit: number): Promise<{ edges: AssumptionEdge[]; truncated: boolean }> {
    const edges: AssumptionEdge[] = [];
    let after: Position | undefined;
    do {
      const page = await this.listAssumptions(
        { role: role.arn },
        { limit: Math.min(200, limit - edges.length), ...(after ? { after } : {}) },
      );
      edges.push(...page.items);
      after = page.next;
    } while (after && edges.length < limit);
    return { edges, truncated: after !== undefined };
  }

  /**
   * Findings counted by the UTC day of their last opening and severity, over every status: the gsi1 keys
   * between `since` and `until` (keys only, sort key `<opened-at>#<id>`), no item read.
   */
  async openedPerDay(filter: { since: number; until: number; account?: string }): Promise<Map<string, Record<Severity, number>>> {
    const days = new Map<string, Record<Severity, number>>();
    const partitions = FINDING_STATUSES.flatMap((status) => SEVERITIES.map((severity) => ({ status, severity })));
    await mapLimit(partitions, PARALLEL, async ({ status, severity }) => {
      const items = await this.table.queryAll({
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

  /** The HMAC key of cursors: read, or created once per table with a conditional put; cached per container. */
  cursorKey(): Promise<Uint8Array> {
    this.key ??= this.loadCursorKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private async loadCursorKey(): Promise<Uint8Array> {
    const key = { pk: keys.monitor(), sk: CURSOR_KEY_SK };
    const existing = keyBytes(await this.table.get(key));
    if (existing) return existing;
    const created = randomBytes(32);
    // A read-only reader keeps its own key: its cursors are valid while it runs.
    if (this.options.readOnly) return created;
    if (await this.table.put({ ...key, key: created, createdAt: this.now() }, { expression: 'attribute_not_exists(pk)' }))
      return created;
    // Another container created it first: use theirs.
    const winner = keyBytes(await this.table.get(key));
    if (!winner) throw new Error('the cursor key item exists but holds no 32-byte key');
    return winner;
  }

  /**
   * Accounts of the roles index, found by skipping through `ROLES` (sorted by `<account>#<role>`): one
   * one-item query per account, cached for ACCOUNTS_TTL_MS.
   */
  private accounts(): Promise<string[]> {
    const now = this.now();
    if (this.knownAccounts && now - this.knownAccounts.at < ACCOUNTS_TTL_MS) return this.knownAccounts.accounts;
    const accounts = this.listAccounts();
    this.knownAccounts = { at: now, accounts };
    accounts.catch(() => {
      this.knownAccounts = undefined;
    });
    return accounts;
  }

  private async listAccounts(): Promise<string[]> {
    const accounts: string[] = [];
    let after: string | undefined;
    while (accounts.length < MAX_ACCOUNTS) {
      const result = await this.table.query({
        IndexName: 'gsi3',
        KeyConditionExpression: after !== undefined ? 'gsi3pk = :pk AND gsi3sk > :after' : 'gsi3pk = :pk',
        values: { ':pk': keys.roleIndex(), ...(after !== undefined ? { ':after': after } : {}) },
        Limit: 1,
      });
      const sortKey = result.items[0]?.gsi3sk;
      if (typeof sortKey !== 'string') break;
      const account = sortKey.slice(0, sortKey.indexOf('#'));
      accounts.push(account);
      // Past every `<account>#<role>` of this account: role names are ASCII.
      after = `${account}#\uffff`;
    }
    return accounts;
  }

  /** Findings in full, through DynamoFindingStore (its item format has one reader), in parallel chunks. */
  private async findingsById(ids: readonly string[]): Promise<Map<string, Finding>> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += READ_CHUNK) chunks.push(ids.slice(i, i + READ_CHUNK));
    const found = await Promise.all(chunks.map((chunk) => this.stores.findings.getMany(chunk)));
    return new Map(found.flat().map((finding) => [finding.id, finding]));
  }

  /** Ids of a resource's findings (gsi2, keys only). */
  private async findingIdsOf(account: string, resource: string): Promise<string[]> {
    const items = await this.table.queryAll({
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      values: { ':pk': keys.findingsByResource(account, resource) },
    });
    return items.map((item) => String(item.pk).slice('FINDING#'.length));
  }

  /**
   * Reads a few attributes of many items (batch get with a projection, eventually consistent, chunks in
   * parallel). Missing items are left out; order is not kept.
   */
  private async readItems(keyList: readonly Key[], attributes: readonly string[]): Promise<Item[]> {
    if (keyList.length === 0) return [];
    const names = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
    const projection = Object.keys(names).join(', ');
    const chunks: Key[][] = [];
    // Small chunks in parallel: a batch get answers when its slowest item is read.
    for (let i = 0; i < keyList.length; i += READ_CHUNK) chunks.push(keyList.slice(i, i + READ_CHUNK));
    const read = await Promise.all(
      chunks.map(async (chunk) => {
        const items: Item[] = [];
        let pending: KeysAndAttributes['Keys'] = chunk.map((key) => marshall(key));
        for (let attempt = 0; pending && pending.length > 0; attempt++) {
          if (attempt > 0) await delay(Math.min(1000, 25 * 2 ** attempt));
          const out: BatchGetItemCommandOutput = await this.table.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.table.name]: { Keys: pending, ProjectionExpression: projection, ExpressionAttributeNames: names },
              },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          this.table.meter?.add('read', out.ConsumedCapacity);
          items.push(...(out.Responses?.[this.table.name] ?? []).map((item) => unmarshall(item)));
          pending = out.UnprocessedKeys?.[this.table.name]?.Keys;
        }
        return items;
      }),
    );
    return read.flat();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
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
        .map((item) => ({ sortKey: String(item.gsi1sk), id: String(item.pk).slice('FINDING#'.length) }))
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

function findingKey(id: string): Key {
  return { pk: keys.finding(id), sk: FINDING_SK };
}

/** gsi1sk is `<zero-padded opened-at ms>#<id>`. */
function openedAtOf(sortKey: string): number {
  return Number(sortKey.slice(0, sortKey.indexOf('#')));
}

function stampOf(item: Item | undefined): Stamp | undefined {
  if (!item) return undefined;
  return item.phase === 0 || item.phase === 2
    ? { at: Number(item.at), eventId: String(item.eventId), phase: item.phase }
    : { at: Number(item.at), eventId: String(item.eventId) };
}

function keyBytes(item: Item | undefined): Uint8Array | undefined {
  const key = item?.key;
  return key instanceof Uint8Array && key.length === 32 ? key : undefined;
}

/** Where a findings list stops (exclusive): the cursor's position, or `until`, whichever comes first. */
function upperBound(page: PageRequest, until: number | undefined): string | undefined {
  const after = page.after ? positionValue(page.after, 'k') : undefined;
  const end = until !== undefined ? timeKey(until) : undefined;
  return after === undefined ? end : end === undefined || after < end ? after : end;
}

/** A position's value; a position without it is not one this store made. */
function positionValue(position: Position, name: string): string {
  const value = position[name];
  if (typeof value !== 'string') throw new ValidationError('cursor', 'is not a cursor of this list');
  return value;
}

/** A position that is a DynamoDB key (LastEvaluatedKey, or the key of the last item returned). */
function stringPosition(key: Item): Position {
  return Object.fromEntries(Object.entries(key).map(([name, value]) => [name, String(value)]));
}

function startKey(position: Position): Item {
  if (typeof position.pk !== 'string' || typeof position.sk !== 'string')
    throw new ValidationError('cursor', 'is not a cursor of this list');
  return { ...position };
}

function zeroBySeverity(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

function isStatus(value: unknown): value is FindingStatus {
  return typeof value === 'string' && (FINDING_STATUSES as readonly string[]).includes(value);
}

/** Code-unit order, as DynamoDB sorts keys (localeCompare would not). */
function ascending(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function descending(a: string, b: string): number {
  return ascending(b, a);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
