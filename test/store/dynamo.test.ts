import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CapacityMeter } from '../../shared/bench/capacityMeter';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, createDynamoStores, type DynamoStores } from '../../shared/context';
import type { Engine } from '../../shared/engine/engine';
import { StaticIamReader } from '../../shared/iam/reader';
import { liveParts } from '../../shared/roles/roleRecord';
import { keys } from '../../shared/store/dynamo/keys';
import { createTable, LOCAL_REGION } from '../../shared/store/dynamoLocal';
import { useLocalDynamo } from '../support/dynamo';
import { findingOccurrence as occurrence } from '../support/findings';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  detachRolePolicy,
  events,
  FOREIGN_ACCOUNT,
  iamRecord,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';

const dynamo = useLocalDynamo();

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const OWN_ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const FOREIGN_ROOT = `arn:aws:iam::${FOREIGN_ACCOUNT}:root`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;

function engineFor(stores: DynamoStores): Engine {
  return createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
}

async function run(engine: Engine, list: readonly TrailEvent[]): Promise<void> {
  for (const event of list) await engine.process(event);
}

/** What a replay leaves behind: the role's parts and the findings (rule, qualifier, status, count). */
async function snapshot(stores: DynamoStores, roleName: string) {
  const record = await stores.state.getRole(ACCOUNT, roleName);
  const ids = (await stores.table.queryAll({ KeyConditionExpression: 'pk = :pk', values: { ':pk': keys.summary(ACCOUNT) } }))
    .length;
  const findings = await stores.findings.forResource(ACCOUNT, record?.arn ?? '');
  return {
    parts: record ? liveParts(record) : undefined,
    findings: findings.map((f) => `${f.ruleId}|${f.qualifier ?? ''}|${f.status}`).sort(),
    hasSummary: ids > 0,
  };
}

beforeEach(() => resetClock());

describe('DynamoStateStore', () => {
  it('aggregates hundreds of assumptions by one service into one small item', async () => {
    const meter = new CapacityMeter();
    const { state, table } = await dynamo.newStores({ meter });
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/fn`;
    const [event] = events(assumeRole(roleArn, `arn:aws:iam::${ACCOUNT}:role/ci`));
    if (!event) throw new Error('no event');
    for (let i = 0; i < 300; i++) {
      const failures = await state.recordAssumptions([
        {
          account: ACCOUNT,
          roleArn,
          source: 'lambda.amazonaws.com',
          sourceType: 'service',
          at: 1_000 + i,
          eventId: `e${i}`,
          region: i % 2 ? 'us-east-1' : 'eu-west-1',
          sourceIp: `10.0.0.${i % 50}`,
          event: { ...event, eventId: `e${i}`, time: 1_000 + i },
        },
      ]);
      expect(failures).toEqual([]);
    }
    const items = await table.queryAll({ KeyConditionExpression: 'pk = :pk', values: { ':pk': keys.edges(ACCOUNT, roleArn) } });
    expect(items).toHaveLength(1);
    const edge = await state.getAssumption(ACCOUNT, roleArn, 'lambda.amazonaws.com');
    expect(edge).toMatchObject({ count: 300, firstSeen: 1_000, lastSeen: 1_299, regions: ['eu-west-1', 'us-east-1'] });
    expect(edge?.sampleIps).toHaveLength(5);
    expect(JSON.stringify(items[0]).length).toBeLessThan(1024);
  }, 30_000);

  it('remembers the earliest event time it has seen', async () => {
    const { state, table } = await dynamo.newStores();
    expect(await state.monitoringSince(500)).toBe(500);
    expect(await state.monitoringSince(900)).toBe(500);
    expect(await state.monitoringSince(100)).toBe(100);
    const other = createDynamoStores({ client: dynamo.local.client, tableName: table.name });
    expect(await other.state.monitoringSince(300)).toBe(100);
  });

  it('remembers the newest event of each kind the engine processed, never moving back', async () => {
    const stores = await dynamo.newStores();
    expect(await stores.state.lastEvents()).toEqual({});
    const engine = engineFor(stores);
    const [created, assumed] = events(
      createRole('app', trustDocument(OWN_ROOT)),
      assumeRole(ROLE_ARN, `arn:aws:iam::${ACCOUNT}:user/alice`),
    );
    if (!created || !assumed) throw new Error('no events');
    await run(engine, [created, assumed]);
    expect(await stores.state.lastEvents()).toEqual({ 'iam-change': created.time, assumption: assumed.time });
    // Another container (no throttle memory) noting an older assumption leaves the newer one.
    const other = createDynamoStores({ client: dynamo.local.client, tableName: stores.table.name });
    await other.state.noteLastEvent(assumed.time - 3_600_000, 'assumption');
    await other.state.noteLastEvent(assumed.time + 5_000, 'monitor-call');
    expect(await stores.state.lastEvents()).toEqual({
      'iam-change': created.time,
      assumption: assumed.time,
      'monitor-call': assumed.time + 5_000,
    });
  });
});

describe('DynamoFindingStore', () => {
  it('opens, counts repeats silently, escalates, resolves and re-opens one finding', async () => {
    const { findings } = await dynamo.newStores();
    expect((await findings.record(occurrence('e1', 1_000), { alert: true })).transition).toBe('opened');
    expect((await findings.record(occurrence('e1', 1_000), { alert: true })).transition).toBe('duplicate');
    expect((await findings.record(occurrence('e2', 2_000), { alert: true })).transition).toBe('repeated');
    expect((await findings.record(occurrence('e3', 3_000, { severity: 'critical' }), { alert: true })).transition).toBe(
      'escalated',
    );
    expect(await findings.resolveMissing(ACCOUNT, ROLE_ARN, new Set(), 4_000, 'detached')).toHaveLength(1);
    const reopened = await findings.record(occurrence('e4', 5_000), { alert: true });
    expect(reopened.transition).toBe('reopened');
    expect(reopened.finding).toMatchObject({ status: 'open', count: 4, severity: 'critical', firstSeen: 1_000, lastSeen: 5_000 });

    const summary = await findings.summaryCounters(ACCOUNT);
    expect(summary.byStatus).toEqual({ 'open#critical': 1 });
    expect(summary.byRule['admin-policy-attached']).toEqual({ open: 1 });
  });

  it('records a finding opened concurrently by two writers once, with both occurrences counted', async () => {
    const stores = await dynamo.newStores();
    const other = createDynamoStores({ client: dynamo.local.client, tableName: stores.table.name });
    const results = await Promise.all([
      stores.findings.record(occurrence('a', 1_000), { alert: true }),
      other.findings.record(occurrence('b', 1_001), { alert: true }),
    ]);
    expect(results.map((r) => r.transition).sort()).toEqual(['opened', 'repeated']);
    expect(await stores.findings.get('f1')).toMatchObject({ count: 2 });
    expect((await stores.findings.summaryCounters(ACCOUNT)).byStatus['open#high']).toBe(1);
  });

  it('repairs summary counters that drifted, by counting the findings again', async () => {
    const { findings, table } = await dynamo.newStores();
    await findings.record(occurrence('e1', 1_000), { alert: true });
    await findings.record(occurrence('e2', 2_000, { id: 'f2', ruleId: 'trust-any-principal', severity: 'critical' }), {
      alert: true,
    });
    await table.update(
      { pk: keys.summary(ACCOUNT), sk: 'STATUS' },
      { expression: 'SET #c = :v', names: { '#c': 'open#high' }, values: { ':v': 7 } },
    );
    await findings.recountSummary();
    const summary = await findings.summaryCounters(ACCOUNT);
    expect(summary.byStatus).toEqual({ 'open#high': 1, 'open#critical': 1 });
    expect(summary.byRule).toEqual({ 'admin-policy-attached': { open: 1 }, 'trust-any-principal': { open: 1 } });
  });

  it('takes back occurrences once each, and the finding with its counts when none is left', async () => {
    const { findings } = await dynamo.newStores();
    await findings.record(occurrence('e1', 1_000), { alert: true });
    await findings.record(occurrence('e2', 2_000), { alert: true });
    const counted = await findings.occurrencesAmong(['f1', 'f2'], ['e1', 'e2', 'e3']);
    expect(counted.sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual([
      { findingId: 'f1', eventId: 'e1' },
      { findingId: 'f1', eventId: 'e2' },
    ]);
    await findings.removeOccurrence({ findingId: 'f1', eventId: 'e2' });
    await findings.removeOccurrence({ findingId: 'f1', eventId: 'e2' });
    expect(await findings.get('f1')).toMatchObject({ count: 1, firstSeen: 1_000, lastSeen: 1_000 });
    expect(await findings.occurrencesAmong(['f1'], ['e1', 'e2'])).toEqual([{ findingId: 'f1', eventId: 'e1' }]);
    await findings.removeOccurrence({ findingId: 'f1', eventId: 'e1' });
    expect(await findings.get('f1')).toBeUndefined();
    expect((await findings.summaryCounters(ACCOUNT)).byStatus['open#high']).toBeUndefined();
    // Recorded again, the event counts again: nothing of the removed finding remains.
    expect((await findings.record(occurrence('e1', 1_000), { alert: true })).transition).toBe('opened');
  });
});

describe('the engine on DynamoDB', () => {
  const scenario = () => {
    resetClock();
    return events(
      createRole('app', trustDocument(OWN_ROOT)),
      attachRolePolicy('app', ADMIN),
      putRolePolicy('app', 'extra', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] }),
      updateTrust('app', trustDocument(OWN_ROOT, FOREIGN_ROOT)),
      assumeRole(ROLE_ARN, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
      detachRolePolicy('app', ADMIN),
      attachRolePolicy('app', READ_ONLY),
      iamRecord('DeleteRolePolicy', { roleName: 'app', policyName: 'extra' }),
      updateTrust('app', trustDocument(FOREIGN_ROOT)),
      assumeRole(ROLE_ARN, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
    );
  };

  it('gives the same state and findings, each once, when the events arrive twice and shuffled', async () => {
    const list = scenario();
    const inOrder = await dynamo.newStores();
    await run(engineFor(inOrder), list);
    const expected = await snapshot(inOrder, 'app');
    expect(expected.findings).toEqual(
      expect.arrayContaining(['admin-policy-attached|arn:aws:iam::aws:policy/AdministratorAccess|resolved']),
    );

    const twice = await dynamo.newStores();
    await run(engineFor(twice), [...list, ...list]);
    expect(await snapshot(twice, 'app')).toEqual(expected);

    const shuffled = await dynamo.newStores();
    const order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    await run(
      engineFor(shuffled),
      order.map((i) => list[i] ?? fail('no event')),
    );
    expect(await snapshot(shuffled, 'app')).toEqual(expected);

    const counts = async (stores: DynamoStores) =>
      (await stores.findings.forResource(ACCOUNT, ROLE_ARN)).map((f) => `${f.ruleId}|${f.qualifier ?? ''}|${f.count}`).sort();
    expect(await counts(twice)).toEqual(await counts(inOrder));
    const edge = async (stores: DynamoStores) => (await stores.state.assumptionsOf(ACCOUNT, ROLE_ARN)).map((e) => e.count);
    expect(await edge(twice)).toEqual([2]);
    expect(await edge(shuffled)).toEqual([2]);
  }, 60_000);

  it('loses nothing when two handlers change the same role at the same time', async () => {
    const stores = await dynamo.newStores();
    const first = engineFor(stores);
    const second = engineFor(createDynamoStores({ client: dynamo.local.client, tableName: stores.table.name }));
    await run(first, events(createRole('app', trustDocument(OWN_ROOT))));
    const policies = Array.from({ length: 8 }, (_, i) => `arn:aws:iam::aws:policy/Policy${i}`);
    const changes = events(...policies.map((arn) => attachRolePolicy('app', arn)));
    await Promise.all(changes.map((event, i) => (i % 2 === 0 ? first : second).process(event)));
    // The same event delivered to both handlers at once is recorded once.
    const [extra] = events(
      putRolePolicy('app', 'inline', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    );
    if (!extra) throw new Error('no event');
    await Promise.all([first.process(extra), second.process(extra)]);

    const record = await stores.state.getRole(ACCOUNT, 'app');
    expect(liveParts(record ?? fail('missing')).attached).toEqual([...policies].sort());
    const recorded = (await stores.findings.forResource(ACCOUNT, ROLE_ARN)).find((f) => f.ruleId === 'iam-change-recorded');
    expect(recorded?.count).toBe(1 + policies.length + 1);
    const wildcard = (await stores.findings.forResource(ACCOUNT, ROLE_ARN)).find(
      (f) => f.ruleId === 'service-wildcard-permissions',
    );
    expect(wildcard?.count).toBe(1);
  }, 60_000);

  it('lets a DynamoDB failure propagate so the event is retried', async () => {
    const unreachable = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    const engine = engineFor(createDynamoStores({ client: unreachable, tableName: 'nowhere' }));
    const [event] = events(createRole('app', trustDocument(OWN_ROOT)));
    await expect(engine.process(event ?? fail('no event'))).rejects.toThrow();
    unreachable.destroy();
  });
});

describe('DynamoDB Local as RoleWatch starts it', () => {
  it('keeps its tables under a random access key: a client with any other key finds none of them', async () => {
    const { local } = dynamo;
    await createTable(local.client, 'rolewatch-hidden');
    const listTables = async (accessKeyId: string) => {
      const client = new DynamoDBClient({
        endpoint: local.endpoint,
        region: LOCAL_REGION,
        credentials: { accessKeyId, secretAccessKey: 'any' },
        maxAttempts: 1,
      });
      try {
        return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
      } finally {
        client.destroy();
      }
    };

    expect(local.credentials.accessKeyId).toMatch(/^RW[0-9A-F]{20}$/);
    expect(await listTables(local.credentials.accessKeyId)).toContain('rolewatch-hidden');
    expect(await listTables('local')).toEqual([]);
    expect(await listTables('AKIAIOSFODNN7EXAMPLE')).toEqual([]);
  });
});
