/**
 * Fuzzing of the local server through real sockets on 127.0.0.1: random request lines (methods, targets in every
 * form, versions, junk bytes), random headers (Host, Origin, Content-Type, junk names and values, oversized) and
 * random bodies (any bytes, lengths that match or not). Every request gets a 4xx answer or, for a well-formed one,
 * what the API says; never a 5xx, and the server is up at the end.
 *
 * `npm test` sends API_FUZZ_REQUESTS requests (default 400, fixed seed); `npm run fuzz` sends 100,000 from a
 * random seed (FUZZ_SEED replays one; the failing request is printed).
 */
import type { ReportApi } from '../../shared/api/reportApi';
import { errorResponse } from '../../shared/api/router';
import { type ApiServer, startApiServer } from '../../shared/api/server';
import { rawRequest, statusOf } from '../support/rawHttp';

const REQUESTS = Number(process.env.API_FUZZ_REQUESTS ?? 400);
const SEED =
  process.env.FUZZ_SEED === 'random' || process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const seed = SEED ?? (process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : 20261206);
const PARALLEL = 16;

/** mulberry32: a small seeded generator, so a failure replays from its seed. */
function generator(start: number) {
  let state = start >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const bytes = (max: number) => Buffer.from(Array.from({ length: int(max) }, () => int(256)));
  const text = (max: number) => Array.from({ length: int(max) }, () => String.fromCharCode(32 + int(95))).join('');
  return { next, int, pick, bytes, text };
}

function request(random: ReturnType<typeof generator>, port: number): Buffer {
  const { int, pick, bytes, text } = random;
  const host = `127.0.0.1:${port}`;
  const method = pick([
    'GET',
    'GET',
    'GET',
    'POST',
    'POST',
    'HEAD',
    'PUT',
    'DELETE',
    'OPTIONS',
    'PATCH',
    'TRACE',
    'CONNECT',
    'BREW',
    text(8),
    '',
  ]);
  const path = pick([
    '/summary',
    '/findings',
    '/findings?severity=high&limit=5',
    `/findings/${text(30)}`,
    `/findings/${encodeURIComponent(text(20))}/suppress`,
    '/roles',
    `/roles/${encodeURIComponent(text(20))}`,
    `/roles/${text(20)}/history`,
    `/assumptions?role=${text(10)}`,
    '/openapi.json',
    '/ui/',
    `/ui/${text(10)}`,
    `/${text(40)}`,
    `/%${text(2)}`,
  ]);
  const target = pick([
    path,
    path,
    path,
    `http://${host}${path}`,
    `http://[::1${path}`,
    `http://${text(15)}${path}`,
    '*',
    `//${text(10)}${path}`,
    text(30),
    bytes(30).toString('latin1'),
    `${path}?${'a=b&'.repeat(int(2000))}`,
  ]);
  const version = pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 junk', '']);
  const headers: string[] = [];
  headers.push(
    pick([
      `Host: ${host}`,
      `Host: ${host}`,
      `Host: localhost:${port}`,
      'Host: evil.example',
      `Host: ${text(20)}`,
      '',
      `Host: ${host}\r\nHost: evil.example`,
    ]),
  );
  if (int(3) === 0)
    headers.push(pick([`Origin: http://${host}`, 'Origin: https://evil.example', 'Origin: null', `Origin: ${text(20)}`]));
  if (int(2) === 0)
    headers.push(
      pick(['Content-Type: application/json', 'Content-Type: text/plain', `Content-Type: ${text(30)}`, 'Content-Type:']),
    );
  if (int(3) === 0) headers.push(pick(['Accept: text/csv', `Accept: ${text(50)}`, `Accept: ${'x'.repeat(int(3000))}`]));
  for (let i = int(4); i > 0; i--)
    headers.push(`${pick([text(10), bytes(8).toString('latin1'), 'X-A'])}: ${pick([text(40), bytes(20).toString('latin1')])}`);
  if (int(50) === 0) headers.push(`X-Big: ${'y'.repeat(20_000 + int(70_000))}`);
  const body = pick([
    Buffer.alloc(0),
    Buffer.from('{"reason":"fuzz"}'),
    Buffer.from(JSON.stringify({ reason: text(50), until: text(12) })),
    Buffer.from(text(200)),
    bytes(300),
  ]);
  const length = pick([body.length, body.length, body.length + int(5), Math.max(0, body.length - int(5)), -1]);
  if (length >= 0 && (body.length > 0 || int(2) === 0)) headers.push(`Content-Length: ${length}`);
  if (int(20) === 0) headers.push('Transfer-Encoding: chunked');
  headers.push('Connection: close');
  return Buffer.concat([Buffer.from(`${method} ${target} ${version}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** A stand-in API answering what it was asked, with the router's own error mapping. */
const echoApi: ReportApi = {
  routes: [],
  handle: async (req) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: req.path }),
  }),
  fail: (error, req) => errorResponse(error, req, { error: () => undefined }),
};

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer({
    api: echoApi,
    port: 0,
    assets: (method, path) => (path === '/ui/' ? { status: 200, headers: {}, body: method } : undefined),
  });
});
afterAll(async () => {
  await server.close();
});

it(
  `answers ${REQUESTS} random requests with no 5xx, and stays up (seed ${seed})`,
  async () => {
    const random = generator(seed);
    const statuses = new Map<number, number>();
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent += 1;
        const raw = request(random, server.port);
        const status = statusOf(await rawRequest(server.port, raw, 2_000));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500)
          throw new Error(`status ${status} for request ${JSON.stringify(raw.toString('latin1').slice(0, 500))}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    // Most requests get an answer (a client that stops mid-request may get none), and the server still serves.
    expect(statuses.get(0) ?? 0).toBeLessThan(REQUESTS / 4);
    // The requests reach every layer: some pass every check, others are refused for each reason.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    for (const status of [400, 403, 421]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
    const after = await fetch(`${server.url}/summary`);
    expect(after.status).toBe(200);
  },
  Math.max(60_000, REQUESTS * 20),
);
