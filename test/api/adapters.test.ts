import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import type { z } from 'zod';
import { handler } from '../../functions/report-api/handler';
import { assumptionView, findingView, historyView, pageOf, roleListView, roleView, summaryView } from '../../shared/api/schemas';
import { startApiServer } from '../../shared/api/server';
import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, createDynamoStores, type DynamoStores } from '../../shared/context';
import { StaticIamReader } from '../../shared/iam/reader';
import { useLocalDynamo } from '../support/dynamo';
import { useLambdaEnvironment } from '../support/lambda';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  events,
  FOREIGN_ACCOUNT,
  resetClock,
  trustDocument,
} from '../support/trail';
import { apiOver } from './support';

const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo);

const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/deploy-bot`;
const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/SecurityAudit/alice`;

let stores: DynamoStores;

beforeAll(async () => {
  // serverless.yml blanks the alert topic for the reporting API.
  process.env.ALERT_TOPIC_ARN = '';
  resetClock();
  stores = createDynamoStores({ client: dynamo.local.client, tableName });
  const engine = createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
  for (const event of events(
    createRole('deploy-bot', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)),
    attachRolePolicy('deploy-bot', 'arn:aws:iam::aws:policy/AdministratorAccess'),
    assumeRole(ROLE_ARN, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
  ))
    await engine.process(event);
}, 60_000);

/** An HTTP API (payload 2.0) event as API Gateway sends it through an AWS_IAM route. */
function httpApiEvent(
  method: string,
  target: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [rawPath = '/', rawQueryString = ''] = target.split('?');
  const body = options.body !== undefined ? Buffer.from(options.body).toString('base64') : undefined;
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath,
    rawQueryString,
    headers: {
      accept: '*/*',
      'content-length': String(options.body?.length ?? 0),
      host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'awscurl/0.33',
      'x-amz-date': '20261102T100000Z',
      'x-amz-security-token': 'IQoJb3JpZ2luX2VjEXAMPLE',
      'x-amzn-trace-id': 'Root=1-6565a4f2-3c1e2f0a5b6d7e8f90a1b2c3',
      'x-forwarded-for': '198.51.100.23',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    ...(rawQueryString
      ? {
          queryStringParameters: Object.fromEntries(
            [...new URLSearchParams(rawQueryString).keys()].map((name) => [
              name,
              new URLSearchParams(rawQueryString).getAll(name).join(','),
            ]),
          ),
        }
      : {}),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abcdef1234',
      authorizer: {
        iam: {
          accessKey: 'ASIAIOSFODNN7EXAMPLE',
          accountId: ACCOUNT,
          callerId: 'AROAEXAMPLEID:alice',
          cognitoIdentity: null,
          principalOrgId: 'o-a1b2c3d4e5',
          userArn: CALLER,
          userId: 'AROAEXAMPLEID:alice',
        },
      },
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: 'awscurl/0.33' },
      requestId: 'Jk3xKhbMIAMEbXw=',
      routeKey: 'ANY /{proxy+}',
      stage: '$default',
      time: '02/Nov/2026:10:00:00 +0000',
      timeEpoch: Date.parse('2026-11-02T10:00:00Z'),
    },
    pathParameters: { proxy: rawPath.slice(1) },
    ...(body !== undefined ? { body, isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

describe('report-api Lambda handler (API Gateway HTTP API, payload 2.0)', () => {
  it('answers a list with repeated query parameters merged', async () => {
    const result = await handler(httpApiEvent('GET', '/findings?severity=high&severity=critical&limit=2'));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(result.body ?? '{}') as { items: { severity: string }[]; cursor?: string };
    expect(body.items).toHaveLength(2);
    expect(body.items.every((item) => item.severity === 'high' || item.severity === 'critical')).toBe(true);
    expect(body.cursor).toBeDefined();
    const next = await handler(httpApiEvent('GET', `/findings?severity=critical,high&limit=2&cursor=${body.cursor}`));
    expect(next.statusCode).toBe(200);
  });

  it("records the IAM caller's ARN on a suppression sent base64-encoded", async () => {
    const open = (await stores.findings.forResource(ACCOUNT, ROLE_ARN)).find((f) => f.ruleId === 'admin-policy-attached');
    const result = await handler(
      httpApiEvent('POST', `/findings/${open?.id}/suppress`, {
        body: JSON.stringify({ reason: 'break-glass role, reviewed', until: '2099-12-31' }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({
      status: 'suppressed',
      suppression: { reason: 'break-glass role, reviewed', by: CALLER, until: '2099-12-31' },
    });
    expect((await stores.findings.get(open?.id ?? ''))?.suppression?.by).toBe(CALLER);
    const reopened = await handler(httpApiEvent('POST', `/findings/${open?.id}/reopen`));
    expect(JSON.parse(reopened.body ?? '{}').status).toBe('open');
  });

  it('answers 404 on an unknown route and 400 on bad input, as JSON', async () => {
    const missing = await handler(httpApiEvent('GET', '/admin'));
    expect(missing).toMatchObject({ statusCode: 404, body: JSON.stringify({ error: { reason: 'no such resource' } }) });
    const bad = await handler(httpApiEvent('GET', '/findings?limit=500'));
    expect(bad).toMatchObject({
      statusCode: 400,
      body: JSON.stringify({ error: { field: 'limit', reason: 'must be between 1 and 200' } }),
    });
  });
});

describe('local server (Node http on 127.0.0.1)', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>;

  beforeAll(async () => {
    server = await startApiServer({ api: apiOver(stores).api, port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on 127.0.0.1 on the port it reports, and answers a real HTTP request', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    const response = await fetch(`${server.url}/findings?severity=critical`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { items: { ruleId: string }[] };
    expect(body.items.map((item) => item.ruleId)).toEqual(['admin-policy-attached']);
  });

  it('records suppressions made locally as by local, and serves CSV', async () => {
    const finding = (await stores.findings.forResource(ACCOUNT, ROLE_ARN)).find((f) => f.ruleId === 'trust-unknown-account');
    const response = await fetch(`${server.url}/findings/${finding?.id}/suppress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'vendor' }),
    });
    expect(((await response.json()) as { suppression: unknown }).suppression).toEqual({ reason: 'vendor', by: 'local' });
    const csv = await fetch(`${server.url}/findings?status=suppressed`, { headers: { accept: 'text/csv' } });
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="findings.csv"');
    expect((await csv.text()).split('\r\n')[1]).toContain(',suppressed,high,trust-unknown-account,');
  });

  it('refuses a body over 64 KB and a percent-encoding it cannot decode', async () => {
    const big = await fetch(`${server.url}/findings/${ACCOUNT}-AAAAAAAAAAAAAAAAAAAAAA/suppress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x'.repeat(70_000) }),
    });
    expect(big.status).toBe(400);
    expect(await big.json()).toEqual({ error: { field: 'body', reason: 'is larger than 65536 bytes' } });
    const broken = await fetch(`${server.url}/roles/%E0%A4%A`);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: { field: 'path', reason: 'is not valid percent-encoding' } });
  });

  it('lets static assets answer their own paths and the API the rest', async () => {
    const withPage = await startApiServer({
      api: apiOver(stores).api,
      assets: (method, path) =>
        path === '/ui/'
          ? { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<p>${method}</p>` }
          : undefined,
    });
    try {
      const page = await fetch(`${withPage.url}/ui/`);
      expect([page.status, page.headers.get('content-type'), await page.text()]).toEqual([
        200,
        'text/html; charset=utf-8',
        '<p>GET</p>',
      ]);
      expect((await fetch(`${withPage.url}/summary`)).status).toBe(200);
    } finally {
      await withPage.close();
    }
  });

  it('binds nothing but 127.0.0.1', async () => {
    await expect(startApiServer({ api: apiOver(stores).api, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(
      'the reporting API binds 127.0.0.1 only, not 0.0.0.0',
    );
  });
});

describe('GET /openapi.json', () => {
  it('documents every route from the validation schemas, with every reference resolved', async () => {
    const { call } = apiOver(stores);
    const document = (await call('GET', '/openapi.json')).json as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string; in: string; required: boolean; schema: unknown }[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/access',
      '/assumptions',
      '/findings',
      '/findings/daily',
      '/findings/{id}',
      '/findings/{id}/reopen',
      '/findings/{id}/suppress',
      '/openapi.json',
      '/roles',
      '/roles/{name}',
      '/roles/{name}/access',
      '/roles/{name}/history',
      '/summary',
    ]);
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(document.components.schemas).toHaveProperty(ref);
    const list = document.paths['/findings']?.get;
    expect(list?.parameters.find((p) => p.name === 'limit')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    });
    expect(list?.parameters.map((p) => p.name)).toEqual([
      'status',
      'severity',
      'rule',
      'control',
      'role',
      'account',
      'since',
      'until',
      'format',
      'limit',
      'cursor',
    ]);
    expect(JSON.stringify(list)).toContain('"text/csv"');
    const suppress = document.paths['/findings/{id}/suppress']?.post as unknown as {
      parameters: { name: string; in: string; required: boolean }[];
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
    };
    expect(suppress.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(suppress.requestBody.content['application/json'].schema.required).toEqual(['reason']);
  });

  it('describes what the endpoints answer: every field of every response is in its schema', async () => {
    const { call } = apiOver(stores);
    const checks: [string, z.ZodType][] = [
      ['/findings?status=open,suppressed,resolved', pageOf(findingView)],
      ['/roles', pageOf(roleListView)],
      [`/roles/deploy-bot`, roleView],
      ['/roles/deploy-bot/history', pageOf(historyView)],
      [`/assumptions?role=${ROLE_ARN}`, pageOf(assumptionView)],
      ['/summary', summaryView],
    ];
    for (const [target, schema] of checks) {
      const answer = await call('GET', target);
      expect({ target, status: answer.status }).toEqual({ target, status: 200 });
      // zod drops fields a schema does not name: an undocumented field would make these differ.
      expect({ target, body: schema.parse(answer.json) }).toEqual({ target, body: answer.json });
    }
  });
});
