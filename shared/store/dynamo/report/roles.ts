import { mapLimit } from '../../../concurrency';
import { PolicyResolver } from '../../../engine/roleView';
import { severityRank } from '../../../findings/severity';
import { StaticIamReader } from '../../../iam/reader';
import type { Page, PageRequest, RoleListing, RoleRef, RoleSnapshot } from '../../../ports/reportQueries';
import type { HistoryEntry } from '../../../ports/roleState';
import { emptyRoleRecord, isNewerStamp, liveLastUsed } from '../../../roles/roleRecord';
import type { RoleView } from '../../../rules/types';
import { findingIdOfKey, keys, roleOfIndexSort } from '../keys';
import {
  ascending,
  findingKey,
  findingsById,
  isSeverity,
  openedAtOf,
  PARALLEL,
  type ReportTables,
  ROLE_ARN,
  ROLE_NAME,
  readItems,
  stampOf,
  startKey,
  stringPosition,
  zeroBySeverity,
} from './reads';

/** The account list (from the roles index) is cached this long per container. */
const ACCOUNTS_TTL_MS = 60_000;
const MAX_ACCOUNTS = 1_000;

/** Roles: which a name designates, the list, one role's state, history and view. */
export class RoleQueries {
  private knownAccounts: { at: number; accounts: Promise<string[]> } | undefined;

  constructor(
    private readonly stores: ReportTables,
    private readonly options: { accounts?: readonly string[]; now?: () => number },
  ) {}

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
    const metas = await readItems(
      this.stores.table,
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
      this.stores.table.query({
        KeyConditionExpression: 'pk = :pk',
        values: { ':pk': keys.edges(role.account, role.arn) },
        ProjectionExpression: 'pk',
        Limit: 1,
      }),
      this.stores.findings.idsForResource(role.account, role.arn),
    ]);
    return edges.items.length > 0 || findings.length > 0;
  }

  /**
   * Roles in account and name order (gsi3 `ROLES`; `account` is a key prefix, free). Per role of the page:
   * its META, CREATED and DELETED items (batch get), and its findings (gsi2 query, then a projected read
   * of each) to count the open ones by severity: cost grows with the page size, never with the table.
   */
  async listRoles(filter: { account?: string }, page: PageRequest): Promise<Page<RoleListing>> {
    const result = await this.stores.table.query({
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
    const names = listedKeys.map((item) => roleOfIndexSort(item.gsi3sk));
    const parts = await readItems(
      this.stores.table,
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
      const rows = await readItems(
        this.stores.table,
        (await this.stores.findings.idsForResource(account, arn)).map((id) => findingKey(id)),
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
      this.stores.findings.idsForResource(role.account, role.arn),
    ]);
    const stateSeen = record !== undefined;
    if (!stateSeen && ids.length === 0 && !(await this.hasTraces(role))) return undefined;
    const rows = await readItems(
      this.stores.table,
      ids.map((id) => findingKey(id)),
      ['pk', 'gsi1sk', 'status', 'severity'],
    );
    const open = rows
      .filter((row) => row.status === 'open')
      .map((row) => ({ id: findingIdOfKey(row.pk), sortKey: String(row.gsi1sk) }));
    const openedAt = new Map(open.map((entry) => [entry.id, openedAtOf(entry.sortKey)]));
    const findings = [
      ...(
        await findingsById(
          this.stores.findings,
          open.map((entry) => entry.id),
        )
      ).values(),
    ];
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

  /** A role with its policies resolved from the table (customer-managed documents RoleWatch has seen; IAM is not asked). */
  async roleView(role: RoleRef): Promise<RoleView | undefined> {
    const record = await this.stores.state.getRole(role.account, role.roleName);
    return new PolicyResolver(this.stores.state, new StaticIamReader()).view(record);
  }

  /**
   * Accounts of the roles index, found by skipping through `ROLES` (sorted by `<account>#<role>`): one
   * one-item query per account, cached for ACCOUNTS_TTL_MS.
   */
  accounts(): Promise<string[]> {
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
      const result = await this.stores.table.query({
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

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
