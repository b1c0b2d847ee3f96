import { Agent, request } from 'node:http';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createReportApi } from '../api/reportApi';
import { startApiServer } from '../api/server';
import { createDynamoStores } from '../context';
import type { Finding, FindingStatus } from '../findings/finding';
import { FINDING_STATUSES } from '../findings/finding';
import { findingId, resourceName } from '../findings/ids';
import { SEVERITIES } from '../findings/severity';
import { RULES } from '../rules/index';
import { DynamoReportStore } from '../store/dynamo/DynamoReportStore';
import { roleIndexItem } from '../store/dynamo/DynamoStateStore';
import type { Item } from '../store/dynamo/DynamoTable';
import { keys } from '../store/dynamo/keys';
import { createTable, startDynamoLocal } from '../store/dynamoLocal';

/** The reporting API should answer its hot paths within this, at the 99th percentile, on 100k findings. */
export const API_TARGET_P99_MS = 50;

/** Latency of one endpoint over the measured requests. */
export interface EndpointLatency {
  target: string;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** What measureApi measured, and whether both endpoints met the p99 target. */
export interface ApiBenchResult {
  findings: number;
  roles: number;
  accounts: number;
  seedSeconds: number;
  endpoints: EndpointLatency[];
  targetP99Ms: number;
  meetsTarget: boolean;
}

const TARGETS = ['/findings?severity=high&limit=50', '/summary'];
const ACCOUNTS = ['111122223333', '123456789012', '444455556666'];
const DAY = 86_400_000;

/**
 * Measures the reporting API on DynamoDB Local: seeds `findings` findings (shaped exactly as
 * DynamoFindingStore writes them, with their role and summary-counter items) with BatchWriteItem, then
 * times sequential requests to GET /findings?severity=high&limit=50 and GET /summary through the local
 * Node server, after a warm-up. Each request is one HTTP round trip on 127.0.0.1 plus the DynamoDB Local
 * calls it makes, so the figures include both servers' overhead.
 */
export async function measureApi(
  options: { findings?: number; roles?: number; requests?: number; warmUp?: number } = {},
): Promise<ApiBenchResult> {
  const total = options.findings ?? 100_000;
  const roleCount = options.roles ?? 2_000;
  const requests = options.requests ?? 200;
  const local = await startDynamoLocal();
  try {
    const tableName = 'rolewatch-bench-api';
    await createTable(local.client, tableName);
    const started = performance.now();
    await writeAll(local.client, tableName, benchItems(total, roleCount, Date.parse('2026-11-02T00:00:00Z')));
    const seedSeconds = (performance.now() - started) / 1000;

    const stores = createDynamoStores({ client: local.client, tableName });
    const api = createReportApi({
      reports: new DynamoReportStore(stores),
      findings: stores.findings,
      logger: { error: (message, details) => console.error(message, details) },
    });
    const server = await startApiServer({ api, port: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const endpoints: EndpointLatency[] = [];
      for (const target of TARGETS) {
        for (let i = 0; i < (options.warmUp ?? 200); i++) await timedGet(agent, server.port, target);
        const times: number[] = [];
        for (let i = 0; i < requests; i++) times.push(await timedGet(agent, server.port, target));
        endpoints.push(latency(target, times));
      }
      return {
        findings: total,
        roles: roleCount,
        accounts: ACCOUNTS.length,
        seedSeconds: Math.round(seedSeconds * 10) / 10,
        endpoints,
        targetP99Ms: API_TARGET_P99_MS,
        meetsTarget: endpoints.every((endpoint) => endpoint.p99Ms < API_TARGET_P99_MS),
      };
    } finally {
      agent.destroy();
      await server.close();
    }
  } finally {
    await local.stop();
  }
}

/**
 * Items for `total` findings on `roleCount` roles of three accounts: the finding items as
 * DynamoFindingStore.write shapes them (rule texts and derivable fields left out, gsi1/gsi2 keys), each
 * role's META item (gsi3 `ROLES`) and each account's summary counters. Severities follow the rules';
 * 70% open, 10% suppressed, 20% resolved; opened over the 90 days before `now`.
 */
export function* benchItems(total: number, roleCount: number, now: number): Generator<Item> {
  const counters = new Map<string, Map<string, Map<string, number>>>();
  const count = (account: string, sk: string, name: string) => {
    const items = counters.get(account) ?? new Map<string, Map<string, number>>();
    const values = items.get(sk) ?? new Map<string, number>();
    values.set(name, (values.get(name) ?? 0) + 1);
    items.set(sk, values);
    counters.set(account, items);
  };
  const roleOf = (i: number) => {
    const account = ACCOUNTS[i % ACCOUNTS.length] ?? '123456789012';
    const roleName = `${['payments', 'orders', 'ci', 'data', 'web'][i % 5]}-${['lambda', 'ecs', 'deploy', 'etl'][i % 4]}-role-${String(i).padStart(4, '0')}`;
    return { account, roleName, arn: `arn:aws:iam::${account}:role/service-role/${roleName}` };
  };
  for (let r = 0; r < roleCount; r++) {
    const { account, roleName, arn } = roleOf(r);
    yield roleIndexItem(account, roleName, arn);
  }
  let seed = 42;
  const random = () => {
    // xorshift32: the same table on every run.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  for (let i = 0; i < total; i++) {
    const rule = RULES[Math.floor(random() * RULES.length)] ?? RULES[0];
    if (!rule) break;
    const role = roleOf(Math.floor(random() * roleCount));
    const roll = random();
    const status: FindingStatus = roll < 0.7 ? 'open' : roll < 0.8 ? 'suppressed' : 'resolved';
    const openedAt = now - Math.floor(random() * 90 * DAY);
    const lastSeen = Math.min(now, openedAt + Math.floor(random() * 5 * DAY));
    const qualifier = `q${i}`;
    const id = findingId(role.account, rule.id, role.arn, qualifier);
    const finding: Finding = {
      id,
      ruleId: rule.id,
      kind: rule.kind,
      severity: rule.severity,
      title: rule.title,
      account: role.account,
      region: 'us-east-1',
      resource: role.arn,
      resourceName: resourceName(role.arn),
      roleName: role.roleName,
      qualifier,
      detail: `role ${role.roleName}: ${rule.title.toLowerCase()} (inline policy ${role.roleName}-policy, statement ${i % 7})`,
      rationale: rule.rationale,
      remediation: rule.remediation,
      at: lastSeen,
      event: {
        eventId: `0c392599-7bb3-486f-93f4-${String(i).padStart(12, '0')}`,
        eventName: rule.events[0] ?? 'PutRolePolicy',
        eventTime: new Date(openedAt).toISOString(),
        region: 'us-east-1',
        actor: `arn:aws:iam::${role.account}:user/alice`,
        actorType: 'IAMUser',
        sourceIp: '198.51.100.23',
        userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64.ubuntu.22 prompt/off command/iam',
      },
      status,
      firstSeen: openedAt,
      lastSeen,
      count: 1 + Math.floor(random() * 3),
      ...(status === 'suppressed' ? { suppression: { reason: 'accepted risk', by: 'config' } } : {}),
      ...(status === 'resolved' ? { resolvedAt: lastSeen, resolution: 'the cause is gone' } : {}),
      alert: { state: 'none' },
    };
    const { title: _t, rationale: _r, remediation: _m, id: _i, resourceName: _n, roleName: _o, at: _a, ...kept } = finding;
    yield {
      pk: keys.finding(id),
      sk: 'FINDING',
      ...kept,
      version: 1,
      openedAt,
      gsi1pk: keys.findingsByStatus(status, rule.severity),
      gsi1sk: keys.findingsByStatusSort(openedAt, id),
      gsi2pk: keys.findingsByResource(role.account, role.arn),
      gsi2sk: id,
    };
    count(role.account, 'STATUS', `${status}#${rule.severity}`);
    count(role.account, `RULE#${rule.id}`, status);
  }
  // Every status × severity counter exists, as it would after a while of real use.
  for (const account of ACCOUNTS) {
    const status = counters.get(account)?.get('STATUS');
    if (!status) continue;
    for (const name of FINDING_STATUSES.flatMap((s) => SEVERITIES.map((severity) => `${s}#${severity}`)))
      if (!status.has(name)) status.set(name, 0);
  }
  for (const [account, items] of counters) {
    for (const [sk, values] of items) yield { pk: keys.summary(account), sk, ...Object.fromEntries(values) };
  }
}

/** Writes items 25 to a BatchWriteItem, several batches in flight, retrying unprocessed items. */
async function writeAll(client: DynamoDBClient, tableName: string, items: Iterable<Item>, parallel = 8): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const nextBatch = (): WriteRequest[] => {
    const batch: WriteRequest[] = [];
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      batch.push({ PutRequest: { Item: marshall(next.value, { removeUndefinedValues: true }) } });
      if (batch.length === 25) break;
    }
    return batch;
  };
  const worker = async () => {
    for (let batch = nextBatch(); batch.length > 0; batch = nextBatch()) {
      let pending: WriteRequest[] | undefined = batch;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const out: BatchWriteItemCommandOutput = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = out.UnprocessedItems?.[tableName];
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** One GET over a kept-alive connection; milliseconds until the whole body arrived. Non-200 answers throw. */
function timedGet(agent: Agent, port: number, target: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (res.statusCode !== 200)
          reject(new Error(`GET ${target}: ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
        else resolve(performance.now() - started);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function latency(target: string, times: readonly number[]): EndpointLatency {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    target,
    requests: times.length,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    meanMs: round(times.reduce((sum, t) => sum + t, 0) / Math.max(1, times.length)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}
