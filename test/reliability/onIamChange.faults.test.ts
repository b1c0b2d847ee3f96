/**
 * Faults under the real on-iam-change handler: DynamoDB (through a faulty proxy in front of DynamoDB Local),
 * SNS and IAM fail on a schedule while Lambda's asynchronous retries (maximumRetryAttempts: 2, then the DLQ)
 * re-deliver each event. Every scenario is compared with the same events delivered without faults.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { reconcileDefinition } from '../../shared/deploy/stateMachines';
import { liveParts } from '../../shared/roles/roleRecord';
import { useLocalDynamo } from '../support/dynamo';
import {
  type AsyncDelivery,
  AsyncInvoker,
  FakeIam,
  FakeSns,
  type FaultRule,
  LambdaFunction,
  type ProxiedRequest,
  touches,
  useFaultyEnvironment,
} from '../support/faults';
import { eventBridge } from '../support/lambda';
import { runStateMachine } from '../support/stepFunctions';
import { ACCOUNT, attachRolePolicy, createRole, FOREIGN_ACCOUNT, trustDocument, updateTrust } from '../support/trail';

/** Each case drives real handlers over DynamoDB Local through a fault proxy: seconds each on a busy 2-core machine. */
jest.setTimeout(30_000);

type Handler = typeof import('../../functions/on-iam-change/handler').handler;
type TrailEventBridge = EventBridgeEvent<string, unknown>;

const dynamo = useLocalDynamo();
const env = useFaultyEnvironment(dynamo, { alerts: { minSeverity: 'high' } });
const sns = new FakeSns();
const iam = new FakeIam();
const loadHandler = (): Handler =>
  (require('../../functions/on-iam-change/handler') as typeof import('../../functions/on-iam-change/handler')).handler;

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const FOREIGN_ROOT = `arn:aws:iam::${FOREIGN_ACCOUNT}:root`;
const OWN_ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const roleArn = (role: string) => `arn:aws:iam::${ACCOUNT}:role/${role}`;
const policyArn = (role: string) => `arn:aws:iam::${ACCOUNT}:policy/${role}-deploy`;
let roles = 0;
/** A role name no other test uses: all tests share one table. */
const uniqueRole = (prefix: string) => `${prefix}-${++roles}`;
const isWrite = (request: ProxiedRequest) => /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems)$/.test(request.operation);

/**
 * A backdoor and its clean-up, four events that alert three times: a role created trusting a foreign account
 * (trust-unknown-account), AdministratorAccess attached (admin-policy-attached, new-role-gets-admin), a
 * customer-managed policy read from IAM that passes any role (passrole-any-resource), the trust narrowed to
 * the own account (trust-policy-changed; trust-unknown-account resolves).
 */
function backdoor(role: string): TrailEventBridge[] {
  iam.addPolicy(policyArn(role), {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction'], Resource: '*' }],
  });
  return [
    createRole(role, trustDocument(FOREIGN_ROOT)),
    attachRolePolicy(role, ADMIN),
    attachRolePolicy(role, policyArn(role)),
    updateTrust(role, trustDocument(OWN_ROOT)),
  ].map(eventBridge);
}

/** What the events left behind for a role, with its name taken out so that two roles compare. */
async function outcome(role: string) {
  const { findings, state } = env.stores();
  const anonymous = (text: string) => text.split(role).join('ROLE');
  const record = await state.getRole(ACCOUNT, role);
  const parts = record ? liveParts(record) : undefined;
  return {
    findings: (await findings.forResource(ACCOUNT, roleArn(role)))
      .map((f) => anonymous(`${f.ruleId} ${f.qualifier ?? ''} ${f.status} count=${f.count} alert=${f.alert.state}`))
      .sort(),
    parts: parts && anonymous(JSON.stringify({ ...parts, trust: parts.trust?.document })),
    history: (await state.roleHistory(ACCOUNT, role)).map((entry) => `${entry.eventName} ${anonymous(entry.summary)}`).sort(),
    alerts: sns.alertsFor(roleArn(role)),
  };
}

let fn: LambdaFunction<Handler>;
let lambda: AsyncInvoker<TrailEventBridge, void>;
let expected: Awaited<ReturnType<typeof outcome>>;

beforeAll(async () => {
  fn = new LambdaFunction(loadHandler, { proxy: env.proxy, sns, iam });
  lambda = new AsyncInvoker(fn);
  for (const event of backdoor('control')) await lambda.deliver(event);
  expected = await outcome('control');
}, 60_000);

afterEach(() => {
  env.proxy.clear();
  sns.recover();
  iam.recover();
  lambda.dlq.length = 0;
});

async function deliverAll(events: readonly TrailEventBridge[]): Promise<AsyncDelivery<void>[]> {
  const deliveries: AsyncDelivery<void>[] = [];
  for (const event of events) deliveries.push(await lambda.deliver(event));
  return deliveries;
}

const outcomes = (deliveries: readonly AsyncDelivery<void>[]) => deliveries.map((d) => d.attempts.map((a) => a.outcome));

describe('on-iam-change without faults (the reference)', () => {
  it('opens the backdoor findings once and alerts each high or critical one once', () => {
    expect(expected.alerts).toEqual([
      'admin-policy-attached',
      'new-role-gets-admin',
      'passrole-any-resource',
      'trust-unknown-account',
    ]);
    expect(expected.findings).toEqual(
      expect.arrayContaining([
        `trust-unknown-account ${FOREIGN_ACCOUNT} resolved count=1 alert=sent`,
        'iam-change-recorded  open count=4 alert=none',
      ]),
    );
    expect(expected.history).toHaveLength(4);
  });
});

describe('on-iam-change under DynamoDB faults the SDK retries absorb', () => {
  it.each<[string, FaultRule]>([
    // Throttling retries back off for up to seconds each: six of them keep the test short.
    ['every fifth request throttled (ProvisionedThroughputExceeded)', { fault: 'throttle', every: 5, times: 6 }],
    ['every third request answered 500 InternalServerError', { fault: 'server-error', every: 3 }],
    ['every third connection reset before the request reaches DynamoDB', { fault: 'drop', every: 3 }],
    [
      'every other write applied but its answer lost (the SDK retries a write that happened)',
      { fault: 'drop-after', every: 2, match: isWrite },
    ],
  ])(
    '%s: every event succeeds at its first attempt, with the same findings, state and alerts',
    async (_name, rule) => {
      const role = uniqueRole(`absorbed-${rule.fault}`);
      const events = backdoor(role);
      const before = env.proxy.faults();
      env.proxy.inject(rule);
      const deliveries = await deliverAll(events);
      expect(env.proxy.faults() - before).toBeGreaterThan(3);
      expect(outcomes(deliveries)).toEqual(events.map(() => ['returned']));
      expect(await outcome(role)).toEqual(expected);
    },
    30_000,
  );
});

describe('on-iam-change under DynamoDB faults that outlast the SDK retries', () => {
  const fourTimes = 4; // the SDK's attempts per call (maxAttempts)
  it.each<[string, FaultRule]>([
    [
      'the first event’s ledger write throttled on every SDK attempt (after its alert went out)',
      { fault: 'throttle', operation: 'PutItem', match: touches('EVENT#'), times: fourTimes },
    ],
    [
      'the second finding write answered 500 on every SDK attempt (half the event recorded)',
      { fault: 'server-error', operation: 'TransactWriteItems', match: touches('FINDING#'), skip: 1, times: fourTimes },
    ],
    [
      'role part updates reset on every SDK attempt (the second event half applied)',
      { fault: 'drop', operation: 'UpdateItem', match: touches('ROLE#'), skip: 2, times: fourTimes },
    ],
    [
      'a hung history write: the invocation times out and the next runs in a new container',
      { fault: 'hang', operation: 'PutItem', match: touches('HISTORY#'), skip: 1, times: 1 },
    ],
    [
      'a hung ledger write after the alerts went out: timeout, new container',
      { fault: 'hang', operation: 'PutItem', match: touches('EVENT#'), skip: 1, times: 1 },
    ],
  ])(
    '%s: one attempt fails, the retry succeeds, nothing is lost or counted or alerted twice',
    async (_name, rule) => {
      const role = uniqueRole(`retried-${rule.fault}`);
      const before = env.proxy.faults();
      env.proxy.inject(rule);
      const deliveries = await deliverAll(backdoor(role));
      expect(env.proxy.faults() - before).toBe(rule.times);
      const failed = deliveries.filter((d) => d.attempts.length > 1);
      expect(failed).toHaveLength(1);
      expect(failed[0]?.attempts.map((a) => a.outcome)).toEqual([rule.fault === 'hang' ? 'timed-out' : 'threw', 'returned']);
      expect(lambda.dlq).toEqual([]);
      expect(await outcome(role)).toEqual(expected);
    },
    30_000,
  );

  it('fails every attempt while the fault lasts and succeeds at the first attempt after it ends', async () => {
    const role = 'outage-two-attempts';
    const [first, ...rest] = backdoor(role);
    if (!first) throw new Error('no events');
    const stop = env.proxy.inject({ fault: 'server-error', operation: 'GetItem' });
    const delivery = await lambda.deliver(first, (attempt) => {
      if (attempt === 3) stop();
    });
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['threw', 'threw', 'returned']);
    await deliverAll(rest);
    expect(lambda.dlq).toEqual([]);
    expect(await outcome(role)).toEqual(expected);
  });
});

describe('on-iam-change: the DLQ receives only what cannot succeed', () => {
  it('drops a malformed event at its first attempt: nothing is retried, nothing reaches the DLQ', async () => {
    const delivery = await lambda.deliver(eventBridge({ eventID: 'poison-0001', eventSource: 'iam.amazonaws.com' }));
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['returned']);
    expect(lambda.dlq).toEqual([]);
  });

  it('sends every event to the DLQ while DynamoDB denies access, and the redriven events then give the same result once', async () => {
    const role = 'denied-table';
    const events = backdoor(role);
    env.proxy.inject({ fault: 'access-denied' });
    const deliveries = await deliverAll(events);
    expect(outcomes(deliveries)).toEqual(events.map(() => ['threw', 'threw', 'threw']));
    expect(lambda.dlq).toEqual(events);
    expect(sns.alertsFor(roleArn(role))).toEqual([]);

    env.proxy.clear();
    const redriven = lambda.dlq.splice(0);
    expect(outcomes(await deliverAll(redriven))).toEqual(events.map(() => ['returned']));
    expect(lambda.dlq).toEqual([]);
    expect(await outcome(role)).toEqual(expected);
  });

  it('retries a transient IAM throttle on the policy read until it passes, then records the policy once', async () => {
    const role = 'iam-throttled';
    const [create, admin, customer, narrow] = backdoor(role);
    if (!create || !admin || !customer || !narrow) throw new Error('no events');
    await deliverAll([create, admin]);
    iam.fail('GetPolicy', 'throttle', 2);
    const delivery = await lambda.deliver(customer);
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['threw', 'threw', 'returned']);
    await lambda.deliver(narrow);
    expect(lambda.dlq).toEqual([]);
    expect(await outcome(role)).toEqual(expected);
  });

  // A permanent refusal (an SCP, a boundary, a policy outside the function's grant) is not retried: the
  // document is unavailable, as for NoSuchEntity, and the change is recorded.
  it('records an AttachRolePolicy whose policy IAM refuses to read (AccessDenied) instead of dead-lettering it', async () => {
    const role = 'iam-denied';
    const [create, , customer] = backdoor(role);
    if (!create || !customer) throw new Error('no events');
    await lambda.deliver(create);
    iam.fail('GetPolicyVersion', 'access-denied');
    const delivery = await lambda.deliver(customer);
    expect(delivery.deadLettered).toBe(false);
    const record = await env.stores().state.getRole(ACCOUNT, role);
    expect(record && liveParts(record).attached).toEqual([policyArn(role)]);
    expect((await env.stores().state.roleHistory(ACCOUNT, role)).map((h) => h.eventName)).toContain('AttachRolePolicy');
  });
});

describe('on-iam-change under SNS faults', () => {
  it('retries an event whose second alert SNS throttled, and sends each alert once', async () => {
    const role = 'sns-throttled';
    const [create, admin, ...rest] = backdoor(role);
    if (!create || !admin) throw new Error('no events');
    await lambda.deliver(create);
    sns.fail('throttle', 1, 1);
    const delivery = await lambda.deliver(admin);
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['threw', 'returned']);
    await deliverAll(rest);
    expect(await outcome(role)).toEqual(expected);
  });

  it('keeps the alert pending while SNS answers 500 through every attempt, and the redriven event sends it once', async () => {
    const role = 'sns-down';
    const [create, ...rest] = backdoor(role);
    if (!create) throw new Error('no events');
    sns.fail('server-error');
    const delivery = await lambda.deliver(create);
    expect(delivery.deadLettered).toBe(true);
    const pending = (await env.stores().findings.forResource(ACCOUNT, roleArn(role))).find(
      (f) => f.ruleId === 'trust-unknown-account',
    );
    expect(pending?.alert.state).toBe('pending');

    sns.recover();
    await lambda.deliver(create);
    await deliverAll(rest);
    expect(await outcome(role)).toEqual(expected);
  });
});

describe('reconcile after an SNS outage that outlasted the retries', () => {
  /** A state machine task on a function: what it returns, or what it throws (a timeout as Step Functions names it). */
  const task =
    <R>(fn: LambdaFunction<(input: unknown) => Promise<R>>) =>
    async (input: unknown): Promise<R> => {
      const result = await fn.invoke(input);
      if (result.outcome === 'returned') return result.value;
      if (result.outcome === 'threw') throw result.error;
      throw Object.assign(new Error('Task timed out'), { name: 'States.Timeout' });
    };

  it('sends the alert left pending once, even when its own writes fail once, and the DLQ redrive sends nothing again', async () => {
    // A table of its own: reconcile deletes the state of roles IAM does not list.
    const table = await env.newTable();
    const onIamChange = new AsyncInvoker(new LambdaFunction(loadHandler, { proxy: env.proxy, sns, iam }, { env: table.env }));
    const lambda = <H extends (input: unknown) => Promise<unknown>>(load: () => H) =>
      new LambdaFunction(load, { proxy: env.proxy, sns, iam }, { env: { ...table.env, ACCOUNT_ID: ACCOUNT } });
    const functions = {
      ReconcileAccountsFunctionArn: task(lambda(() => require('../../functions/reconcile-accounts/handler').handler)),
      ReconcileFunctionArn: task(lambda(() => require('../../functions/reconcile/handler').handler)),
      ReconcileFinishFunctionArn: task(lambda(() => require('../../functions/reconcile-finish/handler').handler)),
    };
    const role = uniqueRole('reconciled');
    const [create] = backdoor(role);
    if (!create) throw new Error('no events');
    sns.fail('server-error');
    expect((await onIamChange.deliver(create)).deadLettered).toBe(true);
    expect(sns.alertsFor(roleArn(role))).toEqual([]);

    sns.recover();
    iam.addRole({ name: role, trust: JSON.parse(trustDocument(FOREIGN_ROOT)) });
    // The summary recount of the finish step fails through every SDK attempt, once: the state machine retries the step.
    env.proxy.inject({ fault: 'server-error', operation: 'Query', match: (r) => r.body.includes('gsi1'), skip: 2, times: 4 });
    const calls = new Map<string, number>();
    const run = await runStateMachine(
      reconcileDefinition(),
      {},
      {
        functions,
        substitutions: { TableName: table.env.TABLE_NAME ?? '' },
        dynamo: dynamo.local.client,
        calls,
      },
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { reconciled: 1, alertsRetried: 1 } });
    expect(calls.get('Finish')).toBe(2);
    expect(sns.alertsFor(roleArn(role))).toEqual(['trust-unknown-account']);

    const redriven = await onIamChange.deliver(create);
    expect(redriven.attempts.map((a) => a.outcome)).toEqual(['returned']);
    expect(sns.alertsFor(roleArn(role))).toEqual(['trust-unknown-account']);
    const finding = (await table.stores().findings.forResource(ACCOUNT, roleArn(role))).find(
      (f) => f.ruleId === 'trust-unknown-account',
    );
    // Each reconcile run that re-evaluates the role counts one more observation; the event counts once.
    expect(finding).toMatchObject({ status: 'open', alert: { state: 'sent' } });
  }, 30_000);
});

describe('on-iam-change and request timeouts', () => {
  // The clients abandon a request after shared/awsClients.ts's requestTimeout, well within the function's
  // timeout, and the SDK retries it.
  it('abandons a DynamoDB request that never answers and retries it within the invocation', async () => {
    const role = 'one-hung-request';
    const [create] = backdoor(role);
    if (!create) throw new Error('no events');
    const patient = new LambdaFunction(loadHandler, { proxy: env.proxy, sns, iam }, { deadlineMs: 8_000 });
    env.proxy.inject({ fault: 'hang', operation: 'GetItem', times: 1 });
    const invocation = await patient.invoke(create);
    expect(invocation.outcome).toBe('returned');
  }, 30_000);
});

describe('on-iam-change: summary counters under lost answers', () => {
  // A finding and its counter moves are one transaction; the SDK's retry of a transaction whose answer was
  // lost carries the same client request token, so DynamoDB does not apply it twice.
  it('keeps the summary counters equal to a recount when a finding write’s answer is lost', async () => {
    const table = await env.newTable();
    const isolated = new AsyncInvoker(new LambdaFunction(loadHandler, { proxy: env.proxy, sns, iam }, { env: table.env }));
    env.proxy.inject({ fault: 'drop-after', operation: 'TransactWriteItems', match: touches('FINDING#'), times: 1 });
    for (const event of backdoor(uniqueRole('lost-answer'))) await isolated.deliver(event);
    expect(env.proxy.faults('drop-after')).toBeGreaterThan(0);
    const { findings } = table.stores();
    const counted = await findings.summaryCounters(ACCOUNT);
    await findings.recountSummary();
    expect(counted).toEqual(await findings.summaryCounters(ACCOUNT));
  });
});
