import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A response served beside the API (the local web page); `assets` answers undefined for API paths. */
export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Serves the reporting API over HTTP on the loopback interface only: locally there is no IAM
 * authorisation, so nothing else may reach it. Port 0 picks a free port; the actual one is returned.
 * Suppressions made through it are recorded as by `local`. `assets`, when given, is asked first for every
 * request (method and path as sent) and may serve it instead of the API.
 */
export async function startApiServer(options: {
  api: ReportApi;
  port?: number;
  host?: '127.0.0.1';
  assets?: (method: string, path: string) => StaticResponse | undefined;
}): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`the reporting API binds 127.0.0.1 only, not ${String(host)}`);
  const { api } = options;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: queryOf(url.searchParams),
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
        ),
        caller: 'local',
        requestId: randomUUID(),
      };
      let response: StaticResponse;
      try {
        const body = await readBody(req);
        response =
          options.assets?.(request.method, request.path) ??
          (await api.handle({ ...request, ...(body !== undefined ? { body } : {}) }));
      } catch (error) {
        response = api.fail(error, request);
      }
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
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
