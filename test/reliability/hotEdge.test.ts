/**
 * A hot edge: a burst of assumptions of one role by one source (a deployment pipeline, a service assuming its
 * role on every request) through the real on-role-assumed handler and its SQS queue model, one or several
 * batches at once, on DynamoDB Local. However many events, they land on one edge item, each counted once.
 * The measured rate and requests per assumption are printed (judged in shared/engine/README.md: Performance, hot edges);
 * nothing here asserts a time.
 */
import { performance } from 'node:perf_hooks';
import { CapacityMeter } from '../../shared/bench/capacityMeter';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { defaultConfig } from '../../shared/config/config';
import { createDynamoEngine, createDynamoStores } from '../../shared/context';
import { StaticIamReader } from '../../shared/iam/reader';
import { createTable } from '../../shared/store/dynamoLocal';
import { useLocalDynamo } from '../support/dynamo';
import { FakeIam, FakeSns, LambdaFunction, SqsQueue, touches, useFaultyEnvironment } from '../support/faults';
import { eventBridge } from '../support/lambda';
import { ACCOUNT, assumeRole, resetClock } from '../support/trail';

type Handler = typeof import('../../functions/on-role-assumed/handler').handler;

// DynamoDB Local and a proxy start before the tests: slow on a busy machine.
jest.setTimeout(180_000);
const dynamo = useLocalDynamo();
const env = useFaultyEnvironment(dynamo);
const sns = new FakeSns();
const iam = new FakeIam();
const loadHandler = (): Handler =>
  (require('../../functions/on-role-assumed/handler') as typeof import('../../functions/on-role-assumed/handler')).handler;

const CI = `arn:aws:iam::${ACCOUNT}:role/ci`;
/** The burst: this many assumptions within one minute (shared/engine/README.md: Performance, hot edges, measured with 1,200). */
const BURST = 300;
const measured: Record<string, unknown>[] = [];

/** `count` assumptions of `roleArn` by CI, all within one minute, each its own eventID. */
function burst(roleArn: string, count: number): Record<string, unknown>[] {
  resetClock('2026-11-02T09:00:00Z');
  const start = Date.parse('2026-11-02T10:00:00Z');
  return Array.from({ length: count }, (_, i) =>
    assumeRole(roleArn, CI, {
      eventTime: new Date(start + Math.floor((i * 60_000) / count)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }),
  );
}

afterAll(() => {
  process.stdout.write(`hot edge on DynamoDB Local: ${JSON.stringify(measured)}\n`);
});

describe('a hot edge', () => {
  it.each([1, 4])(
    'a burst of %i batch(es) at once writes one edge item that counts every assumption once',
    async (concurrent) => {
      const roleArn = `arn:aws:iam::${ACCOUNT}:role/hot-${concurrent}`;
      const queue = new SqsQueue();
      queue.send(...burst(roleArn, BURST).map((record) => JSON.stringify(eventBridge(record))));
      const pollers = Array.from({ length: concurrent }, () => new LambdaFunction(loadHandler, { proxy: env.proxy, sns, iam }));
      const before = env.proxy.log.length;
      const started = performance.now();
      await Promise.all(
        pollers.map(async (fn) => {
          while (queue.size > 0) await queue.receive(fn);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const requests = env.proxy.log.slice(before);

      expect(queue.dlq).toEqual([]);
      const edges = await env.stores().state.assumptionsOf(ACCOUNT, roleArn);
      expect(edges.map((edge) => ({ source: edge.source, count: edge.count }))).toEqual([{ source: CI, count: BURST }]);
      // The assumptions of a batch are counted in one update of the edge; a concurrent batch's update of the
      // same edge in between makes one of them read again and retry.
      const edgeWrites = requests.filter((r) => r.operation === 'UpdateItem' && touches('ASSUMED#')(r)).length;
      const receives = Math.ceil(BURST / 100);
      expect(edgeWrites).toBeGreaterThanOrEqual(receives);
      expect(edgeWrites).toBeLessThanOrEqual(BURST / 10);
      expect(requests.filter((r) => r.operation === 'TransactWriteItems')).toEqual([]);
      measured.push({
        concurrentBatches: concurrent,
        assumptions: BURST,
        seconds: Number(seconds.toFixed(2)),
        assumptionsPerSecond: Math.round(BURST / seconds),
        edgeWritesPerAssumption: Number((edgeWrites / BURST).toFixed(3)),
        requestsPerAssumption: Number((requests.length / BURST).toFixed(2)),
      });
    },
    180_000,
  );

  it('a repeat assumption costs two write units alone, and about one in a batch: its log entry and a share of the edge', async () => {
    const tableName = `${env.tableName}-capacity`;
    await createTable(dynamo.local.client, tableName);
    const meter = new CapacityMeter();
    const stores = createDynamoStores({ client: dynamo.local.client, tableName, meter });
    const engine = createDynamoEngine({ stores, config: defaultConfig(), iam: new StaticIamReader(), alerting: false });
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/hot-capacity`;
    const [first, ...rest] = burst(roleArn, 201).map((record) => parseTrailRecord(record));
    if (!first) throw new Error('no events');
    await engine.process(first);
    // One at a time (on-iam-change, a replay): the edge's update and the log entry, one unit each (under 1 KB).
    meter.write = 0;
    for (const event of rest.slice(0, 100)) await engine.process(event);
    const alone = meter.write / 100;
    expect(alone).toBeLessThanOrEqual(2);
    // An SQS batch of 100 (on-role-assumed): 100 log entries and one update of the edge.
    meter.write = 0;
    const batch = engine.batch();
    for (const event of rest.slice(100)) await batch.process(event);
    expect(await batch.commit()).toEqual([]);
    const batched = meter.write / 100;
    expect(batched).toBeLessThan(1.2);
    measured.push({ writeUnitsPerRepeatAssumption: { alone, inABatchOf100: batched } });
    expect((await stores.state.assumptionsOf(ACCOUNT, roleArn))[0]?.count).toBe(201);
  }, 60_000);
});
