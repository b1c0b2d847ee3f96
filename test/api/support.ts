import { createReportApi, type ReportApi } from '../../shared/api/reportApi';
import type { ApiLogger } from '../../shared/api/router';
import type { DynamoStores } from '../../shared/context';
import type { FindingDraft } from '../../shared/findings/finding';
import { findingId } from '../../shared/findings/ids';
import type { Severity } from '../../shared/findings/severity';
import { DynamoReportStore } from '../../shared/store/dynamo/DynamoReportStore';

/** The reporting API over test stores, with what it logs collected. */
export function apiOver(stores: DynamoStores, options: { now?: () => number } = {}) {
  const logged: { message: string; details: Record<string, unknown> }[] = [];
  const logger: ApiLogger = { error: (message, details) => logged.push({ message, details }) };
  const reports = new DynamoReportStore(stores);
  const api = createReportApi({ reports, findings: stores.findings, logger, ...(options.now ? { now: options.now } : {}) });
  return { api, reports, logged, call: (method: string, target: string, init: CallInit = {}) => call(api, method, target, init) };
}

export interface CallInit {
  body?: string | Record<string, unknown>;
  headers?: Record<string, string>;
  caller?: string;
}

/** What a call answered, with the body parsed when it is JSON. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: Record<string, unknown> & { items?: Record<string, unknown>[]; cursor?: string; error?: Record<string, unknown> };
}

/** Calls the API as an adapter would: `target` is a path with its query string. */
export async function call(api: ReportApi, method: string, target: string, init: CallInit = {}): Promise<Answer> {
  const url = new URL(target, 'http://127.0.0.1');
  const query: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name).join(',');
  const response = await api.handle({
    method,
    path: url.pathname,
    query,
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    caller: init.caller ?? 'local',
    requestId: 'test-request',
  });
  const isJson = response.headers['content-type']?.startsWith('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    text: response.body,
    json: isJson ? JSON.parse(response.body) : {},
  };
}

/** Follows a list's cursors to the end; returns every page's items. */
export async function allPages(
  api: ReportApi,
  target: string,
): Promise<{ pages: Record<string, unknown>[][]; items: Record<string, unknown>[] }> {
  const pages: Record<string, unknown>[][] = [];
  let cursor: string | undefined;
  do {
    const url = new URL(target, 'http://127.0.0.1');
    if (cursor) url.searchParams.set('cursor', cursor);
    const answer = await call(api, 'GET', `${url.pathname}${url.search}`);
    if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
    pages.push(answer.json.items ?? []);
    cursor = answer.json.cursor;
  } while (cursor && pages.length < 1000);
  return { pages, items: pages.flat() };
}

/** A finding draft of a rule on a role, at a time (epoch ms). */
export function draftOn(
  account: string,
  roleName: string,
  ruleId: string,
  severity: Severity,
  at: number,
  qualifier?: string,
): FindingDraft {
  const resource = `arn:aws:iam::${account}:role/${roleName}`;
  return {
    id: findingId(account, ruleId, resource, qualifier),
    ruleId,
    kind: 'posture',
    severity,
    title: ruleId,
    account,
    resource,
    resourceName: roleName,
    roleName,
    ...(qualifier ? { qualifier } : {}),
    detail: `${ruleId} on ${roleName}${qualifier ? ` (${qualifier})` : ''}`,
    rationale: '',
    remediation: '',
    at,
    event: {
      eventId: `event-${ruleId}-${roleName}-${at}`,
      eventName: 'PutRolePolicy',
      eventTime: new Date(at).toISOString(),
      region: 'us-east-1',
      actor: `arn:aws:iam::${account}:user/alice`,
    },
  };
}
