import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ValidationError } from '../errors';
import type { ReportApi } from './reportApi';
import { type ApiRequest, queryOf } from './router';

/** The running local server. */
export interface ApiServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 65_536;
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/** A response served beside the API (the local web page); `assets` answers undefined for API paths. */
export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request the local server refuses before the API sees it. */
class RefusedRequest extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/**
 * Serves the reporting API over HTTP on the loopback interface only: locally there is no IAM
 * authorisation, so nothing else may reach it. Port 0 picks a free port; the actual one is returned.
 * Suppressions made through it are recorded as by `local`. `assets`, when given, is asked first for every
 * request (method and path as sent) and may serve it instead of the API.
 *
 * Binding loopback does not keep out web pages the user opens elsewhere, so every request is checked first:
 * - `Host` must be `127.0.0.1:PORT` or `localhost:PORT` (421 otherwise): a DNS-rebinding page reaches the server
 *   under its own host name and is refused;
 * - an `Origin` header, when sent, must be this server's own origin (403 otherwise): no other site reads or writes;
 * - a request with a body must say `Content-Type: application/json` (415 otherwise): a cross-origin form or
 *   `no-cors` fetch cannot send that type without a preflight, which the server never grants;
 * - the request target is an origin-form path, or the absolute form naming this server; anything else, and any
 *   request Node's parser refuses, answers 400. No request line, header or body can end the process.
 */
export async function startApiServer(options: {
  api: ReportApi;
  port?: number;
  host?: '127.0.0.1';
  assets?: (method: string, path: string) => StaticResponse | undefined;
}): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`the reporting API binds 127.0.0.1 only, not ${String(host)}`);
  let port = 0;
  const server = createServer((req, res) => {
    respond(req, res, { ...options, port }).catch(() => {
      // Only writing the response can fail here (a client gone, a header Node refuses): nothing left to answer.
      res.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerUnparsable(error, socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  options: { api: ReportApi; port: number; assets?: (method: string, path: string) => StaticResponse | undefined },
): Promise<void> {
  const { api } = options;
  const request: ApiRequest = {
    method: req.method ?? 'GET',
    path: '/',
    query: {},
    headers: Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
    ),
    caller: 'local',
    requestId: randomUUID(),
  };
  let response: StaticResponse;
  try {
    const target = checkRequest(req, options.port);
    request.path = target.path;
    request.query = target.query;
    const body = await readBody(req);
    if (body !== undefined) checkContentType(req);
    response =
      options.assets?.(request.method, request.path) ??
      (await api.handle({ ...request, ...(body !== undefined ? { body } : {}) }));
  } catch (error) {
    if (error instanceof RefusedRequest) {
      response = {
        status: error.status,
        headers: JSON_HEADERS,
        body: JSON.stringify({ error: { field: error.field, reason: error.reason } }),
      };
      // The rest of a refused body is not read: close the connection rather than parse it as a next request.
      res.setHeader('connection', 'close');
    } else response = api.fail(error, request);
  }
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

/** The path and query of a request this server answers; refuses other hosts, origins and request targets. */
export function checkRequest(
  req: Pick<IncomingMessage, 'url' | 'headers' | 'method'>,
  port: number,
): { path: string; query: Record<string, string> } {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const hostHeader = req.headers.host;
  if (hostHeader === undefined || !hosts.has(hostHeader.toLowerCase()))
    throw new RefusedRequest(421, 'host', `must be 127.0.0.1:${port} or localhost:${port}`);
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.has(origin.toLowerCase().replace(/^http:\/\//, '')))
    throw new RefusedRequest(403, 'origin', `must be http://127.0.0.1:${port} or http://localhost:${port}`);
  const target = req.url ?? '';
  if (/^http:\/\//i.test(target)) {
    // The absolute form (RFC 9112 §3.2.2) is accepted when it names this server.
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new RefusedRequest(400, 'request-target', 'is not a valid URL');
    }
    if (!hosts.has(url.host.toLowerCase()) || url.username !== '' || url.password !== '')
      throw new RefusedRequest(400, 'request-target', 'names another server');
    return { path: url.pathname, query: queryOf(url.searchParams) };
  }
  // `//host/path` would read as another authority to a URL parser: only a single leading slash is a path.
  if (!target.startsWith('/') || target.startsWith('//'))
    throw new RefusedRequest(400, 'request-target', 'must be a path starting with /');
  const question = target.indexOf('?');
  const path = question === -1 ? target : target.slice(0, question);
  return { path, query: queryOf(new URLSearchParams(question === -1 ? '' : target.slice(question + 1))) };
}

function checkContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;.*)?$/i.test(type))
    throw new RefusedRequest(415, 'content-type', 'must be application/json');
}

/** Node's parser refused the request (bad request line, header, chunk): 400, or 431 for oversized headers. */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, text] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  const body = JSON.stringify({ error: { reason: 'the request could not be parsed as HTTP/1.1' } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The request body as text; undefined when there is none. Larger than MAX_BODY_BYTES is refused. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ValidationError('body', `is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
}
