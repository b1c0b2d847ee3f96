/**
 * The local server's contract under hostile requests, through real sockets on 127.0.0.1: raw request lines
 * (what curl --request-target or a hand-written client can send), other hosts (DNS rebinding), other origins
 * and content types (a web page on another site), and the process staying up through all of them.
 */
import type { ReportApi } from '../../shared/api/reportApi';
import { type ApiRequest, errorResponse } from '../../shared/api/router';
import { type ApiServer, startApiServer } from '../../shared/api/server';
import { bodyOf, rawRequest, statusOf } from '../support/rawHttp';

/** A reporting API that answers every request with what it received, and remembers it. */
function echoApi() {
  const received: ApiRequest[] = [];
  const api: ReportApi = {
    routes: [],
    handle: async (request) => {
      received.push(request);
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: request.path, query: request.query, body: request.body ?? null }),
      };
    },
    fail: (error, request) => errorResponse(error, request, { error: () => undefined }),
  };
  return { api, received };
}

let server: ApiServer;
let received: ApiRequest[];

beforeAll(async () => {
  const echo = echoApi();
  received = echo.received;
  server = await startApiServer({ api: echo.api, port: 0 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  received.length = 0;
});

const host = () => `127.0.0.1:${server.port}`;
const get = (target: string, headers = `Host: ${host()}\r\n`) => `GET ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;

describe('request lines', () => {
  it('answers 400 to an absolute-form target with an invalid host, and stays up', async () => {
    const response = await rawRequest(server.port, get('http://[::1/x'));
    expect(statusOf(response)).toBe(400);
    expect(JSON.parse(bodyOf(response))).toEqual({ error: { field: 'request-target', reason: 'is not a valid URL' } });
    expect(statusOf(await rawRequest(server.port, get('/summary')))).toBe(200);
  });

  it.each([
    ['an asterisk', '*'],
    ['an authority', '127.0.0.1:80'],
    ['a network-path reference', '//evil.example/findings'],
    ['another server in absolute form', 'http://evil.example/findings'],
    ['credentials in absolute form', `http://user:pw@127.0.0.1:PORT/findings`],
    ['a relative path', 'findings'],
    ['a scheme the server does not speak', 'file:///etc/passwd'],
  ])('answers 400 to %s as the target, and the API never sees it', async (_case, target) => {
    const response = await rawRequest(server.port, get(target.replace('PORT', String(server.port))));
    expect(statusOf(response)).toBe(400);
    expect(received).toEqual([]);
  });

  it('accepts the absolute form naming this server, with the path and query as sent', async () => {
    const response = await rawRequest(server.port, get(`http://${host()}/roles/a%2Fb?role=x&role=y`));
    expect(statusOf(response)).toBe(200);
    expect(JSON.parse(bodyOf(response))).toMatchObject({ path: '/roles/a%2Fb', query: { role: 'x,y' } });
  });

  it('answers 400 to what Node cannot parse as HTTP: junk, a bad method, a bad header, a bad chunk', async () => {
    for (const raw of [
      'hello\r\n\r\n',
      `GET /summary HTTP/9.9\r\nHost: ${host()}\r\n\r\n`,
      `G\u0000T /summary HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
      `GET /summary HTTP/1.1\r\nHost: ${host()}\r\nBad Header: x\r\n\r\n`,
      `POST /x HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
      Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]),
    ])
      expect(statusOf(await rawRequest(server.port, raw))).toBe(400);
    expect(statusOf(await rawRequest(server.port, get('/summary')))).toBe(200);
  });
});

describe('Host (DNS rebinding)', () => {
  it.each([
    ['another name', 'Host: evil.example\r\n'],
    ['another name with our port', 'Host: evil.example:PORT\r\n'],
    ['our address on another port', 'Host: 127.0.0.1:1\r\n'],
    ['our address without the port', 'Host: 127.0.0.1\r\n'],
    ['no Host at all (HTTP/1.0)', ''],
  ])('refuses %s with 421 before the API sees it', async (_case, headers) => {
    const raw = `GET /findings HTTP/1.0\r\n${headers.replace('PORT', String(server.port))}\r\n`;
    const response = await rawRequest(server.port, raw);
    expect(statusOf(response)).toBe(421);
    expect(received).toEqual([]);
  });

  it('serves Host 127.0.0.1 and localhost with its port, in any case', async () => {
    for (const name of ['127.0.0.1', 'localhost', 'LocalHost'])
      expect(statusOf(await rawRequest(server.port, get('/summary', `Host: ${name}:${server.port}\r\n`)))).toBe(200);
  });
});

describe('cross-origin writes', () => {
  const post = (headers: string, body = '{"reason":"planted"}') =>
    `POST /findings/123456789012-AAAA/suppress HTTP/1.1\r\nHost: ${host()}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

  it('refuses a POST without a JSON content type (what a no-cors fetch or a form sends)', async () => {
    for (const type of ['', 'Content-Type: text/plain\r\n', 'Content-Type: application/x-www-form-urlencoded\r\n'])
      expect(statusOf(await rawRequest(server.port, post(type)))).toBe(415);
    expect(received).toEqual([]);
  });

  it('refuses any request from another origin, JSON or not', async () => {
    for (const origin of [
      'https://evil.example',
      'null',
      `http://127.0.0.1:${server.port + 1}`,
      `https://127.0.0.1:${server.port}`,
    ])
      expect(statusOf(await rawRequest(server.port, post(`Origin: ${origin}\r\nContent-Type: application/json\r\n`)))).toBe(403);
    expect(statusOf(await rawRequest(server.port, get('/findings', `Host: ${host()}\r\nOrigin: https://evil.example\r\n`)))).toBe(
      403,
    );
    expect(received).toEqual([]);
  });

  it('accepts a JSON POST from its own page or from a client that sends no Origin', async () => {
    for (const origin of [`Origin: http://127.0.0.1:${server.port}\r\n`, `Origin: http://localhost:${server.port}\r\n`, ''])
      expect(statusOf(await rawRequest(server.port, post(`${origin}Content-Type: application/json; charset=utf-8\r\n`)))).toBe(
        200,
      );
    expect(received.map((r) => r.body)).toEqual(Array(3).fill('{"reason":"planted"}'));
  });
});
