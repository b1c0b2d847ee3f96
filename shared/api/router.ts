import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors';
import type { PageRequest, Position } from '../ports/reportQueries';
import { type CsvColumn, toCsv } from './csv';
import type { CursorCodec } from './cursor';
import { bodyHeaders, noParams, requestHeaders } from './schemas';

/**
 * A small router shared by the API Gateway and the Node server adapters: routes are method + path pattern
 * (`/roles/{name}/history`) with zod schemas for path, query and body. Validation, content negotiation
 * (JSON or CSV) and the mapping of errors to responses happen here, in one place.
 */

export type HttpMethod = 'GET' | 'POST';

/** A request as both adapters hand it over. */
export interface ApiRequest {
  method: string;
  /** The path as sent (percent-encoded), without the query string. */
  path: string;
  /** Query parameters; repeated ones joined with commas, as API Gateway does. */
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body?: string;
  /** Who calls: the IAM principal's ARN when deployed, `local` on the local server. Recorded on suppressions. */
  caller: string;
  requestId: string;
}

/** A response as both adapters send it. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Where unexpected errors go (they never go into a response). */
export interface ApiLogger {
  error(message: string, details: Record<string, unknown>): void;
}

/** What a route's handler receives, validated. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: ApiRequest;
}

/** A route's schemas and words, from which the OpenAPI document is generated. */
export interface RouteDoc {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params: z.ZodObject;
  query: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  /** Lists page with a cursor and answer CSV too. */
  list: boolean;
}

/** What a route answers before negotiation: JSON, for lists a CSV rendering too, and for findings OCSF. */
export interface RouteResult {
  status: number;
  json: unknown;
  csv?: { name: string; text: () => string; cursor?: string };
  /** The OCSF rendering (`Accept: application/ocsf+json` or `format=ocsf`). */
  ocsf?: () => unknown | Promise<unknown>;
}

/** A route as the router runs it: built by defineRoute or defineListRoute, which keep the types. */
export interface Route {
  method: HttpMethod;
  path: string;
  doc: RouteDoc;
  run(
    input: { params: Record<string, string>; query: Record<string, string>; body: unknown },
    request: ApiRequest,
  ): Promise<RouteResult>;
}

interface RouteSpec<PS extends z.ZodObject, QS extends z.ZodObject, BS extends z.ZodType> {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: PS;
  query?: QS;
  body?: BS;
}

/** A route answering one JSON document (`response` documents it). */
export function defineRoute<
  PS extends z.ZodObject = typeof noParams,
  QS extends z.ZodObject = typeof noParams,
  BS extends z.ZodType = z.ZodUndefined,
  RS extends z.ZodType = z.ZodType,
>(
  spec: RouteSpec<PS, QS, BS> & {
    response: RS;
    status?: number;
    handle(input: RouteInput<z.output<PS>, z.output<QS>, z.output<BS>>): Promise<z.output<RS>>;
    /** The OCSF rendering of the response, when the route has one (called only when it is asked for). */
    ocsf?: (input: RouteInput<z.output<PS>, z.output<QS>, z.output<BS>>) => Promise<unknown>;
  },
): Route {
  const params = spec.params ?? noParams;
  const query = spec.query ?? noParams;
  return {
    method: spec.method,
    path: spec.path,
    doc: docOf(spec, params, query, spec.response, false),
    async run(raw, request) {
      const input = {
        params: parse(params, raw.params, 'path') as z.output<PS>,
        query: parse(query, raw.query, 'query') as z.output<QS>,
        body: (spec.body ? parse(spec.body, raw.body, 'body') : undefined) as z.output<BS>,
        request,
      };
      const { ocsf } = spec;
      return { status: spec.status ?? 200, json: await spec.handle(input), ...(ocsf ? { ocsf: () => ocsf(input) } : {}) };
    },
  };
}

/** The query parameters every list takes. */
type PageQuery = { limit: number; cursor?: string | undefined };

/**
 * A paged list: `{items, cursor?}` in JSON, or CSV with the cursor in the `x-next-cursor` header. The
 * handler gets the page to read (the position is taken from a verified cursor) and returns the next position;
 * cursors are bound to the list and its filters (path parameters and every query parameter but limit and cursor).
 */
export function defineListRoute<PS extends z.ZodObject, QS extends z.ZodObject & z.ZodType<PageQuery>, IS extends z.ZodType>(
  spec: RouteSpec<PS, QS, z.ZodUndefined> & {
    item: IS;
    cursors: CursorCodec;
    csv: { name: string; columns: readonly CsvColumn<z.output<IS>>[] };
    handle(
      input: RouteInput<z.output<PS>, z.output<QS>, undefined> & { page: PageRequest },
    ): Promise<{ items: z.output<IS>[]; next?: Position | undefined; ocsf?: () => unknown[] }>;
  },
): Route {
  const params = spec.params ?? noParams;
  const query = spec.query ?? noParams;
  const response = z.object({ items: z.array(spec.item), cursor: z.string().optional() });
  return {
    method: spec.method,
    path: spec.path,
    doc: docOf(spec, params, query, response, true),
    async run(raw, request) {
      const parsedParams = parse(params, raw.params, 'path') as z.output<PS>;
      const parsedQuery = parse(query, raw.query, 'query') as z.output<QS>;
      const { limit, cursor, ...filters } = parsedQuery as PageQuery & Record<string, unknown>;
      const scope = { params: parsedParams, filters };
      const after = cursor !== undefined ? await spec.cursors.decode(spec.operationId, scope, cursor) : undefined;
      const page = await spec.handle({
        params: parsedParams,
        query: parsedQuery,
        body: undefined,
        request,
        page: { limit, ...(after ? { after } : {}) },
      });
      const next = page.next ? await spec.cursors.encode(spec.operationId, scope, page.next) : undefined;
      return {
        status: 200,
        json: { items: page.items, ...(next ? { cursor: next } : {}) },
        csv: { name: spec.csv.name, text: () => toCsv(spec.csv.columns, page.items), ...(next ? { cursor: next } : {}) },
        ...(page.ocsf ? { ocsf: () => ({ items: page.ocsf?.() ?? [], ...(next ? { cursor: next } : {}) }) } : {}),
      };
    },
  };
}

function docOf(
  spec: RouteSpec<z.ZodObject, z.ZodObject, z.ZodType>,
  params: z.ZodObject,
  query: z.ZodObject,
  response: z.ZodType,
  list: boolean,
): RouteDoc {
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tag: spec.tag,
    params,
    query,
    ...(spec.body ? { body: spec.body } : {}),
    response,
    list,
  };
}

/** Validates one part of the request; the first problem becomes a ValidationError naming its field. */
function parse(schema: z.ZodType, value: unknown, part: 'path' | 'query' | 'body' | 'header'): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationErrorOf(result.error, part);
}

function validationErrorOf(error: z.ZodError, part: string): ValidationError {
  const issue = error.issues[0];
  if (!issue) return new ValidationError(part, 'is invalid');
  if (issue.code === 'unrecognized_keys')
    return new ValidationError(issue.keys[0] ?? part, part === 'body' ? 'is not a known field' : 'is not a known parameter');
  return new ValidationError(issue.path.length > 0 ? String(issue.path[0]) : part, issue.message);
}

/** Thrown when the path exists with other methods. */
class MethodNotAllowedError extends Error {
  constructor(readonly allow: readonly string[]) {
    super('method not allowed');
  }
}

const MAX_BODY_CHARS = 65_536;
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const JSON_TYPE = 'application/json; charset=utf-8';
const OCSF_TYPE = 'application/ocsf+json; charset=utf-8';

/** Answers requests with the routes; never throws, never puts an error object or stack trace in a response. */
export function createRouter(
  routes: readonly Route[],
  logger: ApiLogger,
): { handle(request: ApiRequest): Promise<ApiResponse>; fail(error: unknown, request: ApiRequest): ApiResponse } {
  const compiled = routes.map((route) => ({ route, parts: route.path.split('/').slice(1) }));
  const fail = (error: unknown, request: ApiRequest) => errorResponse(error, request, logger);
  return {
    fail,
    async handle(request) {
      try {
        const headers = parse(requestHeaders, request.headers, 'header') as z.output<typeof requestHeaders>;
        const { route, params } = findRoute(compiled, request.method, request.path);
        let body: unknown;
        if (route.doc.body) {
          parse(bodyHeaders, request.headers, 'header');
          body = jsonBody(request.body);
        }
        const wantsOcsf = request.query.format === 'ocsf' || prefersOcsf(headers.accept);
        return await render(await route.run({ params, query: request.query, body }, request), headers.accept, wantsOcsf);
      } catch (error) {
        return fail(error, request);
      }
    },
  };
}

function findRoute(
  compiled: readonly { route: Route; parts: string[] }[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } {
  const segments = segmentsOf(path);
  const allow: string[] = [];
  for (const { route, parts } of compiled) {
    const params = matchParts(parts, segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allow.push(route.method);
  }
  if (allow.length > 0) throw new MethodNotAllowedError(allow);
  throw new NotFoundError('no such resource');
}

function segmentsOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  try {
    return trimmed
      .split('/')
      .slice(1)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    throw new ValidationError('path', 'is not valid percent-encoding');
  }
}

function matchParts(parts: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

function jsonBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') throw new ValidationError('body', 'is required: a JSON object');
  if (body.length > MAX_BODY_CHARS) throw new ValidationError('body', `is longer than ${MAX_BODY_CHARS} characters`);
  try {
    return JSON.parse(body);
  } catch {
    throw new ValidationError('body', 'is not JSON');
  }
}

async function render(result: RouteResult, accept: string | undefined, wantsOcsf: boolean): Promise<ApiResponse> {
  if (result.ocsf && wantsOcsf) {
    const body = JSON.stringify(await result.ocsf());
    return { status: result.status, headers: { ...COMMON_HEADERS, 'content-type': OCSF_TYPE }, body };
  }
  if (result.csv && prefersCsv(accept)) {
    return {
      status: result.status,
      headers: {
        ...COMMON_HEADERS,
        'content-type': 'text/csv; charset=utf-8; header=present',
        'content-disposition': `attachment; filename="${result.csv.name}.csv"`,
        ...(result.csv.cursor ? { 'x-next-cursor': result.csv.cursor } : {}),
      },
      body: result.csv.text(),
    };
  }
  return { status: result.status, headers: { ...COMMON_HEADERS, 'content-type': JSON_TYPE }, body: JSON.stringify(result.json) };
}

/** True when the Accept header rates text/csv above application/json (JSON wins ties and is the default). */
export function prefersCsv(accept: string | undefined): boolean {
  return prefers(accept, ['text/csv', 'text/*', '*/*']);
}

/** True when the Accept header names application/ocsf+json and rates it above application/json. */
export function prefersOcsf(accept: string | undefined): boolean {
  return prefers(accept, ['application/ocsf+json']);
}

/** True when the Accept header rates one of `types` above application/json (JSON wins ties and is the default). */
function prefers(accept: string | undefined, types: readonly string[]): boolean {
  if (!accept) return false;
  let wanted = 0;
  let json = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = Number(parameters.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const weight = Number.isFinite(q) ? q : 0;
    if (types.includes(type)) wanted = Math.max(wanted, weight);
    if (type === 'application/json' || type === 'application/*' || type === '*/*') json = Math.max(json, weight);
  }
  return wanted > 0 && wanted > json;
}

/**
 * The one mapping of errors to responses: bad input → 400 naming the field, unknown → 404, wrong method
 * → 405, anything else → 500 with the request id, the error itself only in the log.
 */
export function errorResponse(error: unknown, request: ApiRequest, logger: ApiLogger): ApiResponse {
  const json = (status: number, body: unknown, extra: Record<string, string> = {}): ApiResponse => ({
    status,
    headers: { ...COMMON_HEADERS, 'content-type': JSON_TYPE, ...extra },
    body: JSON.stringify(body),
  });
  if (error instanceof ValidationError) return json(400, { error: { field: error.field, reason: error.reason } });
  if (error instanceof z.ZodError) {
    const mapped = validationErrorOf(error, 'request');
    return json(400, { error: { field: mapped.field, reason: mapped.reason } });
  }
  if (error instanceof NotFoundError) return json(404, { error: { reason: error.message } });
  if (error instanceof MethodNotAllowedError)
    return json(405, { error: { reason: `method ${request.method} not allowed` } }, { allow: error.allow.join(', ') });
  logger.error('reporting API request failed', {
    requestId: request.requestId,
    method: request.method,
    path: request.path,
    error,
  });
  return json(500, { error: { reason: 'internal error', requestId: request.requestId } });
}

/** Query parameters from a query string; repeated ones joined with commas, as API Gateway does. */
export function queryOf(search: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const name of new Set(search.keys())) query[name] = search.getAll(name).join(',');
  return query;
}
