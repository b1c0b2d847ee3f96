import type { Severity } from '../../findings/severity';
import type {
  AssumptionFilter,
  FindingFilter,
  ListedFinding,
  Page,
  PageRequest,
  ReportStore,
  ReportSummary,
  RoleListing,
  RoleRef,
  RoleSnapshot,
} from '../../ports/reportQueries';
import type { AssumptionEdge, HistoryEntry } from '../../ports/roleState';
import type { RoleView } from '../../rules/types';
import type { Item } from './DynamoTable';
import { keys } from './keys';
import { AssumptionQueries } from './report/assumptions';
import { FindingQueries } from './report/findings';
import type { ReportTables } from './report/reads';
import { RoleQueries } from './report/roles';
import { SummaryQueries } from './report/summary';

const CURSOR_KEY = { pk: keys.monitor(), sk: 'CURSOR-KEY' };

/**
 * The reporting API's read side over RoleWatch's table, one module per thing it answers (report/: findings,
 * roles and their history, assumptions, the summary). Nothing here scans: every list reads one or a few
 * key-ordered partitions (each method says which keys it reads and what its filters cost). Findings are
 * materialised through DynamoFindingStore and role state through DynamoStateStore, so that the item formats
 * have one reader each.
 */
export class DynamoReportStore implements ReportStore {
  private readonly roles: RoleQueries;
  private readonly findings: FindingQueries;
  private readonly assumptions: AssumptionQueries;
  private readonly summaries: SummaryQueries;

  constructor(
    private readonly stores: ReportTables,
    private readonly options: {
      /** Accounts the summary always covers (the configuration's knownAccounts), besides those of the roles index. */
      accounts?: readonly string[];
      now?: () => number;
      /** Never write (rolewatch ui without --allow-writes): no cursor key is stored. */
      readOnly?: boolean;
    } = {},
  ) {
    this.roles = new RoleQueries(stores, options);
    this.findings = new FindingQueries(stores, this.roles);
    this.assumptions = new AssumptionQueries(stores, this.roles);
    this.summaries = new SummaryQueries(stores, this.roles, options);
  }

  listFindings(filter: FindingFilter, page: PageRequest): Promise<Page<ListedFinding>> {
    return this.findings.listFindings(filter, page);
  }

  getFinding(id: string): Promise<ListedFinding | undefined> {
    return this.findings.getFinding(id);
  }

  openedPerDay(filter: { since: number; until: number; account?: string }): Promise<Map<string, Record<Severity, number>>> {
    return this.findings.openedPerDay(filter);
  }

  resolveRole(role: string, account?: string): Promise<RoleRef[]> {
    return this.roles.resolveRole(role, account);
  }

  listRoles(filter: { account?: string }, page: PageRequest): Promise<Page<RoleListing>> {
    return this.roles.listRoles(filter, page);
  }

  roleSnapshot(role: RoleRef): Promise<RoleSnapshot | undefined> {
    return this.roles.roleSnapshot(role);
  }

  roleHistory(role: RoleRef, page: PageRequest): Promise<Page<HistoryEntry>> {
    return this.roles.roleHistory(role, page);
  }

  roleView(role: RoleRef): Promise<RoleView | undefined> {
    return this.roles.roleView(role);
  }

  listAssumptions(filter: AssumptionFilter, page: PageRequest): Promise<Page<AssumptionEdge>> {
    return this.assumptions.listAssumptions(filter, page);
  }

  roleEdges(role: RoleRef, limit: number): Promise<{ edges: AssumptionEdge[]; truncated: boolean }> {
    return this.assumptions.roleEdges(role, limit);
  }

  summary(filter: { account?: string }): Promise<ReportSummary> {
    return this.summaries.summary(filter);
  }

  async loadCursorKey(): Promise<Uint8Array | undefined> {
    return keyBytes(await this.stores.table.get(CURSOR_KEY));
  }

  /** A conditional put: the first container to store a key wins, and the others use it. */
  async keepCursorKey(key: Uint8Array): Promise<Uint8Array> {
    // A read-only reader keeps its own key: its cursors are valid while it runs.
    if (this.options.readOnly) return key;
    const createdAt = this.options.now?.() ?? Date.now();
    if (await this.stores.table.put({ ...CURSOR_KEY, key, createdAt }, { expression: 'attribute_not_exists(pk)' })) return key;
    const winner = await this.loadCursorKey();
    if (!winner) throw new Error('the cursor key item exists but holds no 32-byte key');
    return winner;
  }
}

function keyBytes(item: Item | undefined): Uint8Array | undefined {
  const key = item?.key;
  return key instanceof Uint8Array && key.length === 32 ? key : undefined;
}
