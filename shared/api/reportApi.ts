import { z } from 'zod';
import packageJson from '../../package.json';
import { mapLimit } from '../concurrency';
import { NotFoundError, ValidationError } from '../errors';
import { ocsfDetectionFinding } from '../export/ocsf';
import type { FindingExporter } from '../export/securityHub';
import type { Finding } from '../findings/finding';
import { suppressionEnd } from '../findings/lifecycle';
import type { FindingDecisions, ListedFinding, ReportStore, RoleRef, WatchStatus } from '../ports/reportQueries';
import { rulesWithControl } from '../rules/index';
import { type AccessContext, accessView, reachOf } from './access';
import { createCursorCodec, cursorKeyOf } from './cursor';
import { buildOpenApi } from './openapi';
import {
  type ApiLogger,
  type ApiRequest,
  type ApiResponse,
  createRouter,
  defineListRoute,
  defineRoute,
  type Route,
} from './router';
import {
  accessQuery,
  accessView as accessSchema,
  assumptionsQuery,
  assumptionView,
  dailyQuery,
  dailyView,
  findingIdParams,
  findingQuery,
  findingsQuery,
  findingView,
  historyQuery,
  historyView,
  roleListView,
  roleParams,
  roleQuery,
  rolesQuery,
  roleView,
  summaryQuery,
  summaryView,
  suppressBody,
} from './schemas';
import * as views from './views';

/** What the reporting API runs on. */
export interface ReportApiDeps {
  reports: ReportStore;
  findings: FindingDecisions;
  logger: ApiLogger;
  /** Clock for refusing suppressions that already ended. */
  now?: () => number;
  /** The configuration's accounts, against which the access graph marks principals foreign or unknown. */
  access?: AccessContext;
  /** Told of a person's decisions (Security Hub: workflow SUPPRESSED with the reason, or NEW again). */
  exporter?: FindingExporter;
  /** The local monitor's CloudTrail watch, shown in /summary while it runs. */
  watch?: () => WatchStatus | undefined;
}

/**
 * Edges read per role for its access graph, alone and in a page of the account graph (each edge is an item
 * read: a page of roles must answer within the API's 29 s); more are reported as truncated (the full list is
 * /assumptions).
 */
const ACCESS_EDGES = { role: 500, page: 100 } as const;
/** Roles of an /access page read at the same time. */
const ACCESS_PARALLEL = 8;
const DAY_MS = 86_400_000;
/** Days one /findings/daily request covers at most. */
const MAX_DAYS = 366;

/** The reporting API, independent of how requests arrive (API Gateway or the local Node server). */
export interface ReportApi {
  handle(request: ApiRequest): Promise<ApiResponse>;
  /** The response for an error met outside `handle` (by an adapter), mapped like every other. */
  fail(error: unknown, request: ApiRequest): ApiResponse;
  routes: readonly Route[];
}

/** Builds the reporting API (its routes: shared/api/README.md) over a report store and the finding decisions (suppress, re-open). */
export function createReportApi(deps: ReportApiDeps): ReportApi {
  const { reports } = deps;
  const cursors = createCursorCodec(cursorKeyOf(reports));
  const now = deps.now ?? Date.now;

  const findingOf = async (id: string): Promise<ListedFinding> => {
    const found = await reports.getFinding(id);
    if (!found) throw new NotFoundError(`no finding ${id}`);
    return found;
  };

  /** A finding after a person's decision on it: read back, passed on to Security Hub, shown. */
  const decided = async (id: string, changed: Finding | undefined, transition: 'suppressed' | 'reopened') => {
    if (!changed) throw new NotFoundError(`no finding ${id}`);
    const listed = await findingOf(id);
    await deps.exporter?.export([{ finding: listed.finding, transition }]);
    return views.findingView(listed);
  };

  /** The role a name designates, if any; a name several accounts share needs `account`. */
  const roleNamed = async (name: string, account: string | undefined): Promise<RoleRef | undefined> => {
    const roles = await reports.resolveRole(name, account);
    if (roles.length > 1)
      throw new ValidationError('account', `role ${name} exists in accounts ${roles.map((r) => r.account).join(', ')}: name one`);
    return roles[0];
  };

  /** The one role a name designates; NotFoundError when none. */
  const oneRole = async (name: string, account: string | undefined): Promise<RoleRef> => {
    const role = await roleNamed(name, account);
    if (!role) throw new NotFoundError(`no role ${name}${account ? ` in account ${account}` : ''}`);
    return role;
  };

  let openApi: Record<string, unknown> | undefined;
  const accessContext = deps.access ?? { knownAccounts: [], thirdParties: [] };

  /** The access view of a role; `privileged` caches, for one request, which source roles are admin-capable. */
  const roleAccess = async (role: RoleRef, privileged: Map<string, Promise<boolean>>, edgeLimit: number) => {
    const [view, { edges, truncated }] = await Promise.all([reports.roleView(role), reports.roleEdges(role, edgeLimit)]);
    const sourceRoles = [
      ...new Set(edges.map((edge) => edge.source).filter((source) => /^arn:aws[a-z-]*:iam::\d{12}:role\//.test(source))),
    ];
    const admin = await Promise.all(
      sourceRoles.map((arn) => {
        let known = privileged.get(arn);
        if (!known) {
          known = reports
            .resolveRole(arn)
            .then(async ([ref]) => (ref ? reachOf(await reports.roleView(ref)).adminCapable : false));
          privileged.set(arn, known);
        }
        return known;
      }),
    );
    const privilegedSources = new Set(sourceRoles.filter((_arn, i) => admin[i]));
    return accessView({ view, role, edges, edgesTruncated: truncated, privilegedSources }, accessContext);
  };

  const routes: Route[] = [
    defineListRoute({
      method: 'GET',
      path: '/findings',
      operationId: 'listFindings',
      tag: 'findings',
      summary: 'Findings, newest (re)opened first',
      description:
        'Open findings by default. status, severity and since are keys (cheap); account is matched on the index; ' +
        'rule and control are applied to the findings read, so a page may be short with a cursor to continue.',
      query: findingsQuery,
      item: findingView,
      cursors,
      csv: { name: 'findings', columns: views.findingColumns },
      handle: async ({ query, page }) => {
        const rules = rulesFilter(query.rule, query.control);
        if (rules?.length === 0) return { items: [] };
        const result = await reports.listFindings(
          {
            statuses: query.status,
            severities: query.severity,
            ...(rules ? { rules } : {}),
            ...(query.role !== undefined ? { role: query.role } : {}),
            ...(query.account !== undefined ? { account: query.account } : {}),
            ...(query.since !== undefined ? { since: query.since } : {}),
            ...(query.until !== undefined ? { until: query.until } : {}),
          },
          page,
        );
        return {
          items: result.items.map(views.findingView),
          next: result.next,
          ocsf: () => result.items.map((item) => ocsfDetectionFinding(item.finding, { productVersion: packageJson.version })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/findings/daily',
      operationId: 'countFindingsPerDay',
      tag: 'findings',
      summary: 'Findings by the UTC day they were (last) opened, and severity, whatever their status now',
      description: `Reads index keys only. At most ${MAX_DAYS} days per request.`,
      query: dailyQuery,
      response: dailyView,
      handle: async ({ query }) => {
        const since = Math.floor(query.since / DAY_MS) * DAY_MS;
        const until = query.until ?? (Math.floor(now() / DAY_MS) + 1) * DAY_MS;
        if (until <= since) throw new ValidationError('until', 'is before since');
        if (until - since > MAX_DAYS * DAY_MS) throw new ValidationError('until', `covers more than ${MAX_DAYS} days`);
        const counted = await reports.openedPerDay({ since, until, ...(query.account ? { account: query.account } : {}) });
        const days = [];
        for (let day = since; day < until; day += DAY_MS) {
          const name = new Date(day).toISOString().slice(0, 10);
          days.push({ day: name, bySeverity: counted.get(name) ?? { critical: 0, high: 0, medium: 0, low: 0, info: 0 } });
        }
        return { days };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/findings/{id}',
      operationId: 'getFinding',
      tag: 'findings',
      summary: 'One finding',
      params: findingIdParams,
      query: findingQuery,
      response: findingView,
      handle: async ({ params }) => views.findingView(await findingOf(params.id)),
      ocsf: async ({ params }) =>
        ocsfDetectionFinding((await findingOf(params.id)).finding, { productVersion: packageJson.version }),
    }),
    defineRoute({
      method: 'POST',
      path: '/findings/{id}/suppress',
      operationId: 'suppressFinding',
      tag: 'findings',
      summary: 'Suppress a finding: the caller is recorded with the reason',
      params: findingIdParams,
      body: suppressBody,
      response: findingView,
      handle: async ({ params, body, request }) => {
        if (body.until !== undefined && suppressionEnd(body.until) < now()) throw new ValidationError('until', 'is in the past');
        const changed = await deps.findings.suppress(params.id, {
          reason: body.reason,
          by: request.caller,
          ...(body.until !== undefined ? { until: body.until } : {}),
        });
        return decided(params.id, changed, 'suppressed');
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/findings/{id}/reopen',
      operationId: 'reopenFinding',
      tag: 'findings',
      summary: 'Re-open a suppressed or resolved finding',
      params: findingIdParams,
      response: findingView,
      handle: async ({ params }) => {
        return decided(params.id, await deps.findings.reopen(params.id), 'reopened');
      },
    }),
    defineListRoute({
      method: 'GET',
      path: '/roles',
      operationId: 'listRoles',
      tag: 'roles',
      summary: 'Roles by account and name, with their open findings',
      query: rolesQuery,
      item: roleListView,
      cursors,
      csv: { name: 'roles', columns: views.roleColumns },
      handle: async ({ query, page }) => {
        const result = await reports.listRoles(query.account !== undefined ? { account: query.account } : {}, page);
        return { items: result.items.map(views.roleListView), next: result.next };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/roles/{name}',
      operationId: 'getRole',
      tag: 'roles',
      summary: 'A role now: trust policy, inline and attached policies, boundary, creation, open findings',
      params: roleParams,
      query: roleQuery,
      response: roleView,
      handle: async ({ params, query }) => {
        const snapshot = await reports.roleSnapshot(await oneRole(params.name, query.account));
        if (!snapshot) throw new NotFoundError(`no role ${params.name}`);
        return views.roleView(snapshot);
      },
    }),
    defineListRoute({
      method: 'GET',
      path: '/roles/{name}/history',
      operationId: 'listRoleHistory',
      tag: 'roles',
      summary: "A role's changes, newest first",
      params: roleParams,
      query: historyQuery,
      item: historyView,
      cursors,
      csv: { name: 'history', columns: views.historyColumns },
      handle: async ({ params, query, page }) => {
        const result = await reports.roleHistory(await oneRole(params.name, query.account), page);
        return { items: result.items.map(views.historyView), next: result.next };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/roles/{name}/access',
      operationId: 'getRoleAccess',
      tag: 'roles',
      summary: 'Who may assume a role (its trust) beside who did (the assumption edges), and what the role reaches',
      params: roleParams,
      query: roleQuery,
      response: accessSchema,
      handle: async ({ params, query }) => roleAccess(await oneRole(params.name, query.account), new Map(), ACCESS_EDGES.role),
    }),
    defineListRoute({
      method: 'GET',
      path: '/access',
      operationId: 'listAccess',
      tag: 'roles',
      summary: 'The access view of every role, a page of roles at a time (the account graph)',
      query: accessQuery,
      item: accessSchema,
      cursors,
      csv: { name: 'access', columns: views.accessColumns },
      handle: async ({ query, page }) => {
        const result = await reports.listRoles(query.account !== undefined ? { account: query.account } : {}, page);
        const privileged = new Map<string, Promise<boolean>>();
        const items = await mapLimit(result.items, ACCESS_PARALLEL, (role) => roleAccess(role, privileged, ACCESS_EDGES.page));
        return { items, next: result.next };
      },
    }),
    defineListRoute({
      method: 'GET',
      path: '/assumptions',
      operationId: 'listAssumptions',
      tag: 'assumptions',
      summary: 'Who assumed which role: one entry per role and source, however many events',
      description: 'Give role, source or sourceAccount (each is a key); since is applied to the entries read.',
      query: assumptionsQuery,
      item: assumptionView,
      cursors,
      csv: { name: 'assumptions', columns: views.assumptionColumns },
      handle: async ({ query, page }) => {
        const { limit: _limit, cursor: _cursor, ...filter } = query;
        if (filter.role === undefined && filter.source === undefined && filter.sourceAccount === undefined)
          throw new ValidationError('role', 'give role, source or sourceAccount: assumptions are read by one of them');
        const role = filter.role !== undefined ? await roleNamed(filter.role, filter.account) : undefined;
        if (filter.role !== undefined && !role) return { items: [] };
        const result = await reports.listAssumptions({ ...filter, ...(role ? { role: role.arn } : {}) }, page);
        return { items: result.items.map(views.assumptionView), next: result.next };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/summary',
      operationId: 'getSummary',
      tag: 'summary',
      summary: 'Counts by severity and rule, riskiest roles, last event seen, and (local --watch) whether CloudTrail is read',
      query: summaryQuery,
      response: summaryView,
      handle: async ({ query }) =>
        views.summaryView(await reports.summary(query.account !== undefined ? { account: query.account } : {}), deps.watch?.()),
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      tag: 'meta',
      summary: 'This API as an OpenAPI 3.1 document',
      response: z.record(z.string(), z.unknown()),
      handle: async () => {
        openApi ??= buildOpenApi(routes);
        return openApi;
      },
    }),
  ];

  const router = createRouter(routes, deps.logger);
  return { handle: router.handle, fail: router.fail, routes };
}

/** The rules a finding list is limited to: those named, and of them those that evidence the control. */
function rulesFilter(rules: readonly string[] | undefined, control: string | undefined): readonly string[] | undefined {
  if (control === undefined) return rules;
  const evidencing = rulesWithControl(control);
  return rules ? rules.filter((rule) => evidencing.includes(rule)) : evidencing;
}
