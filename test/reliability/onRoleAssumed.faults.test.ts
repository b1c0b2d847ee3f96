/**
 * Faults under the real on-role-assumed handler, fed by a model of its SQS queue (batches of up to 100,
 * partial batch responses, redrive to the DLQ after five receives): Lambda timeouts in the middle of a batch,
 * DynamoDB throttling and permanent refusals, SNS failures. Assumptions are counted in aggregated edges and
 * in findings; both must count each event once, and each alert must go out once.
 */
import { useLocalDynamo } from '../support/dynamo';
import { FakeIam, FakeSns, type FaultRule, LambdaFunction, SqsQueue, touches, useFaultyEnvironment } from '../support/faults';
import { eventBridge } from '../support/lambda';
import { ACCOUNT, assumeRole, FOREIGN_ACCOUNT, resetClock } from '../support/trail';

/** Each case drives real handlers over DynamoDB Local through a fault proxy: seconds each on a busy 2-core machine. */
jest.setTimeout(30_000);

type Handler = typeof import('../../functions/on-role-assumed/handler').handler;

const KNOWN_ACCOUNT = '111122223333';
const dynamo = useLocalDynamo();
const env = useFaultyEnvironment(dynamo, { knownAccounts: [KNOWN_ACCOUNT], protectedRoles: ['BreakGlass*'] });
const sns = new FakeSns();
const iam = new FakeIam();
const loadHandler = (): Handler =>
  (require('../../functions/on-role-assumed/handler') as typeof import('../../functions/on-role-assumed/handler')).handler;
const newFunction = () => new LambdaFunction(loadHandler, { proxy: env.proxy, sns, iam });

const roleArn = (role: string) => `arn:aws:iam::${ACCOUNT}:role/${role}`;
const CI = `arn:aws:iam::${ACCOUNT}:role/ci`;
const OPS = `arn:aws:iam::${KNOWN_ACCOUNT}:role/ops`;
const MALLORY = `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`;

let runs = 0;

/**
 * A batch of twelve assumptions on two roles of their own: the app role assumed six times by CI, twice from a
 * known account, three times from a foreign account (assumed-from-unknown-account: one alert), and a
 * break-glass role assumed once (protected-role-assumed: one alert). Returns the message bodies and what
 * each edge must count.
 */
function assumptions() {
  runs += 1;
  resetClock();
  const app = roleArn(`app-${runs}`);
  const breakGlass = roleArn(`BreakGlass-${runs}`);
  const callers = [CI, CI, MALLORY, CI, OPS, CI, MALLORY, CI, OPS, MALLORY, CI];
  const records = [...callers.map((caller) => assumeRole(app, caller)), assumeRole(breakGlass, OPS)];
  return {
    app,
    breakGlass,
    bodies: records.map((record) => JSON.stringify(eventBridge(record))),
    edges: { [app]: { [CI]: 6, [OPS]: 2, [MALLORY]: 3 }, [breakGlass]: { [OPS]: 1 } },
  };
}

/** Assumptions counted per role and source, and per finding; alerts sent per role. */
async function counted(roles: readonly string[]) {
  const { state, findings } = env.stores();
  const edges: Record<string, Record<string, number>> = {};
  const findingCounts: Record<string, number> = {};
  for (const role of roles) {
    edges[role] = Object.fromEntries((await state.assumptionsOf(ACCOUNT, role)).map((edge) => [edge.source, edge.count]));
    for (const finding of await findings.forResource(ACCOUNT, role)) findingCounts[finding.ruleId] = finding.count;
  }
  return { edges, findings: findingCounts, alerts: roles.flatMap((role) => sns.alertsFor(role)).sort() };
}

const EXPECTED_FINDINGS = {
  'assumed-from-unknown-account': 3,
  'assumed-by-long-term-credentials': 3,
  'protected-role-assumed': 1,
};
const EXPECTED_ALERTS = ['assumed-from-unknown-account', 'protected-role-assumed'];

afterEach(() => {
  env.proxy.clear();
  sns.recover();
});

describe('on-role-assumed without faults (the reference)', () => {
  it('counts every assumption in its edge and its findings and alerts twice, in one receive', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(...batch.bodies);
    const receives = await queue.drain(newFunction());
    expect(receives.map((r) => r.outcome === 'returned' && r.value.batchItemFailures)).toEqual([[]]);
    expect(await counted([batch.app, batch.breakGlass])).toEqual({
      edges: batch.edges,
      findings: EXPECTED_FINDINGS,
      alerts: EXPECTED_ALERTS,
    });
  });
});

describe('on-role-assumed: a Lambda timeout in the middle of a batch', () => {
  // The batch issues about 80 DynamoDB requests; the invocation hangs at one of them (and its container is
  // frozen there, as Lambda ends it), then SQS redelivers the whole batch to a new container.
  it.each([3, 13, 23, 33, 43, 53, 63, 73])(
    'hung at request %i: the redelivered batch counts each assumption once and alerts once',
    async (hungAt) => {
      const batch = assumptions();
      const fn = newFunction();
      const queue = new SqsQueue();
      queue.send(...batch.bodies);
      const before = env.proxy.log.length;
      env.proxy.inject({ fault: 'hang', skip: hungAt - 1, times: 1 });
      const receives = await queue.drain(fn);
      expect(receives.map((r) => r.outcome)).toEqual(['timed-out', 'returned']);
      expect(fn.coldStarts).toBe(2);
      expect(queue.dlq).toEqual([]);

      const result = await counted([batch.app, batch.breakGlass]);
      expect(result.edges).toEqual(batch.edges);
      expect(result.findings).toEqual(EXPECTED_FINDINGS);
      // An alert published and not yet marked sent when Lambda ended the invocation goes out again: at least once,
      // never lost (shared/alerts/dispatch.ts). Only a timeout at that very write may repeat one.
      // The request this case hung, not a held request of an earlier case's dead container (`frozen`): those
      // containers' SDK retries their requests after its request timeout, into later cases.
      const hung = env.proxy.log.slice(before).find((entry) => entry.fault === 'hang' && !entry.frozen);
      const hungAtMarkSent = hung?.operation === 'UpdateItem' && hung.body.includes('"#alert":"alert"');
      if (hungAtMarkSent) expect(new Set(result.alerts)).toEqual(new Set(EXPECTED_ALERTS));
      else expect(result.alerts).toEqual(EXPECTED_ALERTS);
    },
    30_000,
  );
});

describe('on-role-assumed: a Lambda timeout while the batch counts its assumptions', () => {
  // The batch's assumptions are counted at its end, one edge at a time: the edge's update (which marks them
  // pending on it), then their log entries (their marks of processed).
  it.each<[string, FaultRule]>([
    ['the first edge update', { fault: 'hang', operation: 'UpdateItem', match: touches('ASSUMED#'), times: 1 }],
    ['the first log write, after its edge counted them', { fault: 'hang', operation: 'BatchWriteItem', times: 1 }],
    ['the third log write', { fault: 'hang', operation: 'BatchWriteItem', skip: 2, times: 1 }],
    ['the last edge update', { fault: 'hang', operation: 'UpdateItem', match: touches('ASSUMED#'), skip: 3, times: 1 }],
  ])('hung at %s: the redelivered batch counts each assumption once and alerts once', async (_name, rule) => {
    const batch = assumptions();
    const fn = newFunction();
    const queue = new SqsQueue();
    queue.send(...batch.bodies);
    env.proxy.inject(rule);
    const receives = await queue.drain(fn);
    expect(receives.map((r) => r.outcome)).toEqual(['timed-out', 'returned']);
    expect(queue.dlq).toEqual([]);
    expect(await counted([batch.app, batch.breakGlass])).toEqual({
      edges: batch.edges,
      findings: EXPECTED_FINDINGS,
      alerts: EXPECTED_ALERTS,
    });
  });
});

describe('on-role-assumed under DynamoDB and SNS faults, through SQS redelivery', () => {
  it('absorbs throttling with the SDK’s retries: no batch item fails, every count is right', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(...batch.bodies);
    const before = env.proxy.faults('throttle');
    env.proxy.inject({ fault: 'throttle', every: 7, times: 6 });
    const receives = await queue.drain(newFunction());
    expect(env.proxy.faults('throttle') - before).toBe(6);
    expect(receives.map((r) => r.outcome === 'returned' && r.value.batchItemFailures)).toEqual([[]]);
    expect(await counted([batch.app, batch.breakGlass])).toEqual({
      edges: batch.edges,
      findings: EXPECTED_FINDINGS,
      alerts: EXPECTED_ALERTS,
    });
  }, 30_000);

  it.each<[string, FaultRule]>([
    ['finding writes answered 500 beyond the SDK retries', { fault: 'server-error', match: touches('FINDING#'), times: 8 }],
    ['connections reset on edge updates beyond the SDK retries', { fault: 'drop', match: touches('ASSUMED#'), times: 8 }],
    ['log writes answered 500 beyond the SDK retries', { fault: 'server-error', operation: 'BatchWriteItem', times: 8 }],
  ])(
    '%s: failed records are retried until they pass, nothing reaches the DLQ, each is counted and alerted once',
    async (_name, rule) => {
      const batch = assumptions();
      const queue = new SqsQueue();
      queue.send(...batch.bodies);
      env.proxy.inject(rule);
      const receives = await queue.drain(newFunction());
      expect(receives.length).toBeGreaterThan(1);
      expect(receives[0]?.outcome === 'returned' && receives[0].value.batchItemFailures.length).toBeGreaterThan(0);
      expect(queue.dlq).toEqual([]);
      expect(await counted([batch.app, batch.breakGlass])).toEqual({
        edges: batch.edges,
        findings: EXPECTED_FINDINGS,
        alerts: EXPECTED_ALERTS,
      });
    },
    30_000,
  );

  it.each<[string, FaultRule]>([
    ['edge updates', { fault: 'drop-after', operation: 'UpdateItem', match: touches('ASSUMED#'), every: 2, times: 3 }],
    ['log writes', { fault: 'drop-after', operation: 'BatchWriteItem', every: 2, times: 2 }],
  ])('%s applied whose answer was lost (the SDK sends them again) count each assumption once', async (_name, rule) => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(...batch.bodies);
    env.proxy.inject(rule);
    const receives = await queue.drain(newFunction());
    expect(queue.dlq).toEqual([]);
    expect(receives.at(-1)?.outcome === 'returned').toBe(true);
    expect(await counted([batch.app, batch.breakGlass])).toEqual({
      edges: batch.edges,
      findings: EXPECTED_FINDINGS,
      alerts: EXPECTED_ALERTS,
    });
  });

  it('counts an assumption delivered twice at once, to two containers, and twice within a batch, once', async () => {
    const batch = assumptions();
    const first = new SqsQueue();
    const second = new SqsQueue();
    // SQS delivers at least once: a message can reach two pollers at the same time; EventBridge can send an
    // event twice (two messages, one eventID).
    first.send(...batch.bodies, ...batch.bodies.slice(0, 3));
    second.send(...batch.bodies.slice(2));
    const [a, b] = await Promise.all([first.drain(newFunction()), second.drain(newFunction())]);
    expect([...(a ?? []), ...(b ?? [])].every((r) => r.outcome === 'returned')).toBe(true);
    expect(first.dlq.concat(second.dlq)).toEqual([]);
    const result = await counted([batch.app, batch.breakGlass]);
    expect(result.edges).toEqual(batch.edges);
    expect(result.findings).toEqual(EXPECTED_FINDINGS);
    // Both containers may publish the same new finding's alert before either marks it sent (at least once).
    expect(new Set(result.alerts)).toEqual(new Set(EXPECTED_ALERTS));
  });

  it('moves only the records of a role DynamoDB refuses (AccessDenied) to the DLQ, after five receives', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(...batch.bodies);
    env.proxy.inject({ fault: 'access-denied', match: touches(`ASSUMED#${ACCOUNT}#${batch.breakGlass}`) });
    const receives = await queue.drain(newFunction());
    expect(receives).toHaveLength(5);
    expect(queue.dlq.map((message) => message.body)).toEqual(batch.bodies.slice(-1));
    const result = await counted([batch.app]);
    expect(result.edges).toEqual({ [batch.app]: batch.edges[batch.app] });
    expect(result.alerts).toEqual(['assumed-from-unknown-account']);
  });

  it('drops a malformed message without failing it: it never reaches the DLQ', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(
      '{"not json',
      JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'AssumeRole' } }),
    );
    queue.send(...batch.bodies);
    const receives = await queue.drain(newFunction());
    expect(receives.map((r) => r.outcome === 'returned' && r.value.batchItemFailures)).toEqual([[]]);
    expect(queue.dlq).toEqual([]);
    expect((await counted([batch.app, batch.breakGlass])).edges).toEqual(batch.edges);
  });

  it('retries the record whose alert SNS refused until SNS is back, then alerts once; nothing reaches the DLQ', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(...batch.bodies.slice(-1));
    sns.fail('server-error');
    const receives = await queue.drain(newFunction(), (receive) => {
      if (receive === 4) sns.recover();
    });
    expect(receives.map((r) => r.outcome === 'returned' && r.value.batchItemFailures.length)).toEqual([1, 1, 1, 0]);
    expect(queue.dlq).toEqual([]);
    expect(await counted([batch.breakGlass])).toEqual({
      edges: { [batch.breakGlass]: batch.edges[batch.breakGlass] },
      findings: { 'protected-role-assumed': 1 },
      alerts: ['protected-role-assumed'],
    });
  });
});

describe('on-role-assumed: a record that failed after its edge was written, redelivered after later records', () => {
  // A batch's assumptions are counted last, each edge once, then logged (the marks of processed): a record that
  // fails before is redelivered and counted then, once, however many assumptions of the edge came between; one
  // whose edge counted it but whose log entry was not written is found pending on the edge and only logged.
  it('counts an assumption once when its alert failed and the same source assumed the role again meanwhile', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    queue.send(...batch.bodies);
    sns.fail('throttle', 1);
    const receives = await queue.drain(newFunction());
    expect(receives.map((r) => r.outcome === 'returned' && r.value.batchItemFailures.length)).toEqual([1, 0]);
    const result = await counted([batch.app, batch.breakGlass]);
    expect(result.alerts).toEqual(EXPECTED_ALERTS);
    expect(result.edges).toEqual(batch.edges);
  });

  it('counts an assumption once when its ledger write failed and the same source assumed the role again meanwhile', async () => {
    const batch = assumptions();
    const queue = new SqsQueue();
    // The CI assumption alone first: its edge counts it, its log entry (its ledger) fails through the SDK's four
    // attempts; the rest of the batch (five more by CI) comes while it waits for its redelivery.
    queue.send(...batch.bodies.slice(0, 1));
    env.proxy.inject({ fault: 'server-error', operation: 'BatchWriteItem', times: 4 });
    const receives = await queue.drain(newFunction(), (receive) => {
      if (receive === 2) queue.send(...batch.bodies.slice(1));
    });
    expect(receives.map((r) => r.outcome === 'returned' && r.value.batchItemFailures.length)).toEqual([1, 0]);
    expect((await counted([batch.app, batch.breakGlass])).edges).toEqual(batch.edges);
  });

  // Every counted occurrence of a finding is remembered (a marker item beside it), not only the latest ones.
  it('counts a finding occurrence once when its record is redelivered after twenty more occurrences', async () => {
    runs += 1;
    resetClock();
    const app = roleArn(`busy-${runs}`);
    const queue = new SqsQueue();
    queue.send(...Array.from({ length: 25 }, () => JSON.stringify(eventBridge(assumeRole(app, MALLORY)))));
    sns.fail('server-error', 1);
    await queue.drain(newFunction());
    const finding = (await env.stores().findings.forResource(ACCOUNT, app)).find(
      (f) => f.ruleId === 'assumed-from-unknown-account',
    );
    expect(sns.alertsFor(app)).toEqual(['assumed-from-unknown-account']);
    expect(finding?.count).toBe(25);
  });
});
