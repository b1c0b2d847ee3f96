import { mapLimit } from '../../../concurrency';
import type { AssumptionFilter, Page, PageRequest, Position, RoleRef } from '../../../ports/reportQueries';
import type { AssumptionEdge } from '../../../ports/roleState';
import type { Item } from '../DynamoTable';
import { keys, roleOfEdgeKey } from '../keys';
import { MAX_EXAMINED, PARALLEL, type ReportTables, startKey, stringPosition } from './reads';
import type { RoleQueries } from './roles';

/** Who assumed which role: assumption edges by role, source principal or source account. */
export class AssumptionQueries {
  constructor(
    private readonly stores: ReportTables,
    private readonly roles: RoleQueries,
  ) {}

  /**
   * Assumption edges, in key order. The first filter that is a key chooses the partition:
   * - role: `ASSUMED#<account>#<role arn>` (with `source` too: one item);
   * - source: gsi2 `SOURCE#<principal>` (`account` of the role is a key prefix there, free);
   * - sourceAccount: gsi3 `SOURCEACCOUNT#<account>` (same).
   * Keys are read first, then each edge (one item read each, in parallel). `since`, and `source` or
   * `sourceAccount` when they are not the key, are applied to the edges read: one item read per edge
   * examined. Without role, source or sourceAccount there is no partition to read (the API requires one).
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
      const result = await this.stores.table.query({
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
      const roles = await this.roles.resolveRole(filter.role, filter.account);
      // The API resolves a name to the one role it designates first: a name several accounts share is its 400.
      if (roles.length > 1) throw new Error(`role ${filter.role} designates roles of several accounts`);
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
    throw new Error('an assumption list needs role, source or sourceAccount: the API checks that one is given');
  }

  /** The edge an `ASSUMED#<account>#<role arn>` / source key names. */
  private async edgeOf(key: Item): Promise<AssumptionEdge | undefined> {
    const { account, roleArn } = roleOfEdgeKey(key.pk);
    return this.stores.state.getAssumption(account, roleArn, String(key.sk));
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
}
