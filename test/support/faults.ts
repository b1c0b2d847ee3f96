/**
 * Fault injection for the reliability tests: a proxy in front of DynamoDB Local that throttles, errs, drops
 * or hangs requests on a programmable schedule; fakes of SNS and IAM behind aws-sdk-client-mock; Lambda
 * containers that cold-start the real handlers (and die when an invocation times out); and small models of
 * how Lambda retries asynchronous events and how SQS redelivers messages, collecting what reaches a DLQ.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GetAccountAuthorizationDetailsCommandOutput } from '@aws-sdk/client-iam';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { Context as LambdaInvocation, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createDynamoStores, type DynamoStores } from '../../shared/context';
import { sqsRecord } from '../../shared/local/routing';
import { createTable } from '../../shared/store/dynamoLocal';
import type { useLocalDynamo } from './dynamo';
import { TOPIC_ARN } from './lambda';

// ---------------------------------------------------------------------------------------------------------
// DynamoDB: a faulty network in front of DynamoDB Local

/**
 * What the proxy does to a request instead of forwarding it:
 * - throttle: 400 ProvisionedThroughputExceededException (the SDK retries it);
 * - server-error: 500 InternalServerError (the SDK retries it);
 * - access-denied: 400 AccessDeniedException (permanent: the SDK does not retry);
 * - drop: the connection is reset before the request reaches DynamoDB (the SDK retries);
 * - drop-after: the request is applied by DynamoDB, then the connection is reset before the answer (the SDK
 *   retries a write that already happened);
 * - hang: the request is held and never answered. The SDK gives up on it after its request timeout
 *   (shared/awsClients.ts) and retries; the model of Lambda ends the invocation as soon as one is held, as
 *   Lambda's timeout would, and holds everything its container sends after that (`frozen` in the log).
 */
export type DynamoFault = 'throttle' | 'server-error' | 'access-denied' | 'drop' | 'drop-after' | 'hang';

/** A request as the proxy sees it. */
export interface ProxiedRequest {
  /** DynamoDB operation (PutItem, UpdateItem, Query...). */
  operation: string;
  /** The JSON body, for matching the keys a request touches. */
  body: string;
}

export interface FaultRule {
  fault: DynamoFault;
  /** Only this DynamoDB operation; any when absent. */
  operation?: string;
  /** A further condition on the request, e.g. `touches('EVENT#')`. */
  match?: (request: ProxiedRequest) => boolean;
  /** Matching requests let through before the fault starts. */
  skip?: number;
  /** Hits only every n-th matching request (1: each one), so that the SDK's retry of a hit request gets through. */
  every?: number;
  /** How many matching requests the fault hits; every one until the rule is removed when absent. */
  times?: number;
}

/** True for requests whose body names a key starting with `prefix` (`EVENT#`, `FINDING#`, `ASSUMED#`...). */
export function touches(prefix: string): (request: ProxiedRequest) => boolean {
  return (request) => request.body.includes(`"S":"${prefix}`);
}

const ERRORS: Record<'throttle' | 'server-error' | 'access-denied', { status: number; type: string; message: string }> = {
  throttle: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  'server-error': {
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error',
  },
  'access-denied': {
    status: 400,
    type: 'com.amazon.coral.service#AccessDeniedException',
    message: 'User: arn:aws:sts::123456789012:assumed-role/rolewatch/fn is not authorized to perform: dynamodb:PutItem',
  },
};

/** Answers a request with a DynamoDB error. */
function refuse(res: ServerResponse, fault: keyof typeof ERRORS): void {
  const error = ERRORS[fault];
  res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ __type: error.type, message: error.message }));
}

interface ActiveRule extends FaultRule {
  seen: number;
  hits: number;
}

/** One port of the proxy: each Lambda container gets its own, so a dead container's requests can be frozen. */
export interface ProxyPort {
  endpoint: string;
  /** Resolves when a request on this port is held (a hang fault, or the port is frozen). */
  readonly hung: Promise<void>;
  /** Holds every request on this port from now on, unanswered: the container was killed. */
  freeze(): void;
}

interface PortState extends ProxyPort {
  server: Server;
  frozen: boolean;
  onHang: () => void;
}

/**
 * An HTTP proxy to DynamoDB Local on 127.0.0.1 that injects faults on a schedule of rules. Every request is
 * logged with the fault it got, so tests can say what was hit.
 */
export class DynamoFaultProxy {
  /**
   * Every request: its operation, its body, and the fault it got. `frozen`: a request of a container that
   * timed out, held (fault 'hang') because that container no longer runs; such requests come from earlier
   * invocations, at any time (the SDK's request timeout retries them), so they tell nothing of the current one.
   */
  readonly log: { operation: string; fault?: DynamoFault; frozen?: true; port: string; body: string }[] = [];
  private rules: ActiveRule[] = [];
  private readonly ports: PortState[] = [];
  private readonly held = new Set<{ res: ServerResponse }>();
  private closing = false;
  private readonly abandoned: Promise<unknown>[] = [];
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly target: URL) {}

  /** Adds a fault rule; returns a function that removes it (the fault ends). */
  inject(rule: FaultRule): () => void {
    const active: ActiveRule = { ...rule, seen: 0, hits: 0 };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  /** An invocation Lambda ended while it was stuck here: awaited (once refused) before the proxy closes. */
  abandon(invocation: Promise<unknown>): void {
    this.abandoned.push(invocation);
  }

  /** Ends every fault. Requests already held stay held (their container is dead). */
  clear(): void {
    this.rules = [];
  }

  /** Requests that got a fault of a rule, by kind (not the held requests of dead containers: `frozen`). */
  faults(kind?: DynamoFault): number {
    return this.log.filter((entry) => !entry.frozen && entry.fault !== undefined && (kind === undefined || entry.fault === kind))
      .length;
  }

  /** Opens a new port (one per Lambda container). */
  async open(): Promise<ProxyPort> {
    let onHang = () => {};
    const hung = new Promise<void>((resolve) => {
      onHang = resolve;
    });
    const port = { frozen: false, hung, onHang } as PortState;
    port.freeze = () => {
      port.frozen = true;
    };
    port.server = createServer((req, res) => this.handle(port, req, res));
    port.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => port.server.listen(0, '127.0.0.1', resolve));
    port.endpoint = `http://127.0.0.1:${(port.server.address() as AddressInfo).port}`;
    this.ports.push(port);
    return port;
  }

  /**
   * Closes every port. Held requests, and any request a frozen container still makes, are refused with a
   * permanent error, so that abandoned invocations end at once instead of retrying into a closed port.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const { res } of this.held) refuse(res, 'access-denied');
    this.held.clear();
    await Promise.allSettled(this.abandoned);
    await Promise.all(
      this.ports.map(
        (port) =>
          new Promise<void>((resolve) => {
            port.server.closeAllConnections();
            port.server.close(() => resolve());
          }),
      ),
    );
    this.agent.destroy();
  }

  private handle(port: PortState, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
      if (this.closing) return refuse(res, 'access-denied');
      const text = body.toString('utf8');
      if (port.frozen) {
        this.log.push({ operation, port: port.endpoint, fault: 'hang', frozen: true, body: text });
        this.hold(port, res);
        return;
      }
      const fault = this.pick({ operation, body: text });
      this.log.push({ operation, port: port.endpoint, body: text, ...(fault ? { fault } : {}) });
      switch (fault) {
        case undefined:
          return this.forward(req, body, res, false);
        case 'drop-after':
          return this.forward(req, body, res, true);
        case 'drop':
          req.socket.destroy();
          return;
        case 'hang':
          this.hold(port, res);
          return;
        default:
          refuse(res, fault);
      }
    });
  }

  private pick(request: ProxiedRequest): DynamoFault | undefined {
    let fault: DynamoFault | undefined;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && rule.operation !== request.operation) continue;
      if (rule.match && !rule.match(request)) continue;
      rule.seen += 1;
      const position = rule.seen - (rule.skip ?? 0);
      if (fault !== undefined || position <= 0 || (position - 1) % (rule.every ?? 1) !== 0) continue;
      if (rule.hits >= (rule.times ?? Number.POSITIVE_INFINITY)) continue;
      rule.hits += 1;
      fault = rule.fault;
    }
    return fault;
  }

  private hold(port: PortState, res: ServerResponse): void {
    const entry = { res };
    this.held.add(entry);
    res.once('close', () => this.held.delete(entry));
    port.onHang();
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse, dropAnswer: boolean): void {
    const upstream = httpRequest(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
        agent: this.agent,
      },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          if (dropAnswer) {
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(parts));
        });
      },
    );
    upstream.on('error', () => req.socket.destroy());
    upstream.end(body);
  }
}

// ---------------------------------------------------------------------------------------------------------
// SNS and IAM: programmable fakes behind aws-sdk-client-mock

type ServiceError = Error & { $fault: 'client' | 'server'; $metadata: { httpStatusCode: number } };

function serviceError(name: string, message: string, status: number): ServiceError {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? ('server' as const) : ('client' as const),
    $metadata: { httpStatusCode: status },
  });
}

/** SNS errors as the SDK throws them once its own retries are spent. */
export const SNS_ERRORS = {
  throttle: () => serviceError('ThrottledException', 'Rate exceeded', 400),
  'server-error': () => serviceError('InternalErrorException', 'Internal error', 500),
} as const;

/** IAM errors as the SDK throws them once its own retries are spent. */
export const IAM_ERRORS = {
  throttle: () => serviceError('Throttling', 'Rate exceeded', 400),
  'access-denied': () =>
    serviceError(
      'AccessDenied',
      'User: arn:aws:sts::123456789012:assumed-role/rolewatch-on-iam-change/fn is not authorized to perform: iam:GetPolicyVersion',
      403,
    ),
  'server-error': () => serviceError('ServiceFailure', 'Service failure', 500),
} as const;

/** The SNS topic: records what was published; fails publishes on a schedule. */
export class FakeSns {
  readonly published: PublishCommandInput[] = [];
  /** Publish attempts, failed ones included. */
  attempts = 0;
  private failures: { error: () => Error; remaining: number; skip: number }[] = [];

  /** `count` publishes fail with `kind` (Infinity: until `recover`), after `skip` more that succeed. */
  fail(kind: keyof typeof SNS_ERRORS, count = Number.POSITIVE_INFINITY, skip = 0): void {
    this.failures.push({ error: SNS_ERRORS[kind], remaining: count, skip });
  }

  recover(): void {
    this.failures = [];
  }

  publish(input: PublishCommandInput): { MessageId: string } {
    this.attempts += 1;
    const failure = this.failures.find((f) => f.remaining > 0);
    if (failure && failure.skip > 0) failure.skip -= 1;
    else if (failure) {
      failure.remaining -= 1;
      throw failure.error();
    }
    this.published.push(input);
    return { MessageId: randomUUID() };
  }

  /** The ruleId attribute of every alert published, sorted. */
  ruleIds(): string[] {
    return this.published.map((input) => input.MessageAttributes?.ruleId?.StringValue ?? '?').sort();
  }

  /** Rule ids of the alerts published about one resource (a role ARN), sorted: a rule twice is a duplicate alert. */
  alertsFor(resource: string): string[] {
    return this.published
      .map((input) => JSON.parse(JSON.parse(input.Message ?? '{}').sqs ?? '{}') as { ruleId?: string; resource?: string })
      .filter((alert) => alert.resource === resource)
      .map((alert) => String(alert.ruleId))
      .sort();
  }
}

/** IAM's customer-managed policies (documents URL-encoded, as IAM returns them); fails calls on a schedule. */
export class FakeIam {
  readonly calls: { command: 'GetPolicy' | 'GetPolicyVersion'; arn: string }[] = [];
  private readonly policies = new Map<string, { defaultVersionId: string; versions: Record<string, unknown> }>();
  private readonly roles = new Map<string, { name: string; trust: unknown; attached?: string[] }>();
  private failures: { command: 'GetPolicy' | 'GetPolicyVersion'; error: () => Error; remaining: number }[] = [];

  /** A role as GetAccountAuthorizationDetails lists it (reconcile). */
  addRole(role: { name: string; trust: unknown; attached?: string[] }): void {
    this.roles.set(role.name, role);
  }

  addPolicy(arn: string, document: unknown, versionId = 'v1'): void {
    this.policies.set(arn, { defaultVersionId: versionId, versions: { [versionId]: document } });
  }

  /** The next `count` calls of `command` fail with `kind` (Infinity: until `recover`). */
  fail(command: 'GetPolicy' | 'GetPolicyVersion', kind: keyof typeof IAM_ERRORS, count = Number.POSITIVE_INFINITY): void {
    this.failures.push({ command, error: IAM_ERRORS[kind], remaining: count });
  }

  recover(): void {
    this.failures = [];
  }

  getPolicy(input: { PolicyArn?: string }): { Policy: { Arn: string; DefaultVersionId: string } } {
    const arn = input.PolicyArn ?? '';
    this.call('GetPolicy', arn);
    const policy = this.policies.get(arn);
    if (!policy) throw serviceError('NoSuchEntityException', `Policy ${arn} was not found.`, 404);
    return { Policy: { Arn: arn, DefaultVersionId: policy.defaultVersionId } };
  }

  getPolicyVersion(input: { PolicyArn?: string; VersionId?: string }): {
    PolicyVersion: { VersionId: string; Document: string };
  } {
    const arn = input.PolicyArn ?? '';
    this.call('GetPolicyVersion', arn);
    const document = this.policies.get(arn)?.versions[input.VersionId ?? ''];
    if (document === undefined) throw serviceError('NoSuchEntityException', `Policy ${arn} version was not found.`, 404);
    return {
      PolicyVersion: { VersionId: input.VersionId ?? '', Document: encodeURIComponent(JSON.stringify(document)) },
    };
  }

  /** The whole account in one page: the roles added, with their documents URL-encoded, and no customer policies. */
  accountDetails(): GetAccountAuthorizationDetailsCommandOutput {
    return {
      $metadata: {},
      IsTruncated: false,
      RoleDetailList: [...this.roles.values()].map((role) => ({
        RoleName: role.name,
        RoleId: `AROA${randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase()}`,
        Arn: `arn:aws:iam::123456789012:role/${role.name}`,
        Path: '/',
        CreateDate: new Date('2026-11-02T09:00:00Z'),
        AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(role.trust)),
        RolePolicyList: [],
        AttachedManagedPolicies: (role.attached ?? []).map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })),
      })),
      Policies: [],
    };
  }

  private call(command: 'GetPolicy' | 'GetPolicyVersion', arn: string): void {
    this.calls.push({ command, arn });
    const failure = this.failures.find((f) => f.command === command && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      throw failure.error();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Lambda: containers of the real handlers, cold-started in their own module registry

/** How one invocation ended. */
export type Invocation<R> =
  | { outcome: 'returned'; value: R }
  | { outcome: 'threw'; error: unknown }
  /** Stuck on a DynamoDB request that never answered: Lambda's timeout ended it and the container is discarded. */
  | { outcome: 'timed-out' };

/** Everything a container talks to. */
export interface Dependencies {
  proxy: DynamoFaultProxy;
  sns: FakeSns;
  iam: FakeIam;
}

type Handler = (...args: never[]) => Promise<unknown>;

/**
 * One execution environment of a function: the handler module loaded in its own registry (so its cached
 * context, DynamoDB client and caches are its own), its AWS clients' SNS and IAM calls routed to the fakes,
 * and its DynamoDB traffic through its own proxy port. After a timeout it is dead, as Lambda resets the
 * environment of a function that timed out: its pending requests are frozen.
 */
class Container<H extends Handler> {
  private dead = false;

  private constructor(
    private readonly handler: H,
    private readonly port: ProxyPort,
    private readonly proxy: DynamoFaultProxy,
  ) {}

  static async coldStart<H extends Handler>(load: () => H, deps: Dependencies): Promise<Container<H>> {
    const port = await deps.proxy.open();
    let handler: H | undefined;
    jest.isolateModules(() => {
      // The SDK classes of this registry: the handler's clients are instances of these.
      const snsModule = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
      const iamModule = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
      mockClient(snsModule.SNSClient)
        .on(snsModule.PublishCommand)
        .callsFake((input: PublishCommandInput) => deps.sns.publish(input));
      const iam = mockClient(iamModule.IAMClient);
      iam.on(iamModule.GetPolicyCommand).callsFake((input) => deps.iam.getPolicy(input));
      iam.on(iamModule.GetPolicyVersionCommand).callsFake((input) => deps.iam.getPolicyVersion(input));
      iam.on(iamModule.GetAccountAuthorizationDetailsCommand).callsFake(() => deps.iam.accountDetails());
      handler = load();
    });
    if (!handler) throw new Error('handler not loaded');
    return new Container(handler, port, deps.proxy);
  }

  async invoke(
    args: Parameters<H>,
    options: { deadlineMs?: number; env?: Record<string, string> },
  ): Promise<Invocation<Awaited<ReturnType<H>>>> {
    const { deadlineMs } = options;
    if (this.dead) throw new Error('this container timed out and was discarded');
    // Read once, when the handler's first invocation builds its context.
    Object.assign(process.env, options.env, { AWS_ENDPOINT_URL_DYNAMODB: this.port.endpoint });
    const running = (this.handler(...args) as Promise<Awaited<ReturnType<H>>>).then(
      (value) => ({ outcome: 'returned' as const, value }),
      (error: unknown) => ({ outcome: 'threw' as const, error }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline =
      deadlineMs === undefined
        ? new Promise<never>(() => {})
        : new Promise<'late'>((resolve) => {
            timer = setTimeout(() => resolve('late'), deadlineMs);
          });
    // Without a deadline, an invocation stuck on a request that will never be answered has timed out.
    const stuck = deadlineMs === undefined ? this.port.hung.then(() => 'stuck' as const) : new Promise<never>(() => {});
    const first = await Promise.race([running, stuck, deadline]);
    clearTimeout(timer);
    if (first === 'stuck' || first === 'late') {
      this.dead = true;
      this.port.freeze();
      this.proxy.abandon(running);
      return { outcome: 'timed-out' };
    }
    return first;
  }
}

/**
 * A Lambda function: invocations go to a warm container, and a new one is cold-started when there is none
 * or the last one timed out. By default an invocation times out as soon as it is stuck on a request that will
 * never be answered (no clock involved); `deadlineMs` instead stands for the function's timeout, for tests of
 * what happens within it.
 */
export class LambdaFunction<H extends Handler> {
  coldStarts = 0;
  private current: Container<H> | undefined;

  constructor(
    private readonly load: () => H,
    private readonly deps: Dependencies,
    private readonly options: { deadlineMs?: number; env?: Record<string, string> } = {},
  ) {}

  async invoke(...args: Parameters<H>): Promise<Invocation<Awaited<ReturnType<H>>>> {
    if (!this.current) {
      this.current = await Container.coldStart(this.load, this.deps);
      this.coldStarts += 1;
    }
    const result = await this.current.invoke(args, this.options);
    if (result.outcome === 'timed-out') this.current = undefined;
    return result;
  }
}

/** A Lambda context object, as the runtime passes it. */
export function invocationContext(functionName: string): LambdaInvocation {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/02/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

// ---------------------------------------------------------------------------------------------------------
// Delivery: Lambda's asynchronous retries and SQS redelivery, with their dead-letter queues

/** What happened to one asynchronously invoked event. */
export interface AsyncDelivery<R> {
  attempts: Invocation<R>[];
  /** Every attempt failed: Lambda sent the event to the on-failure destination. */
  deadLettered: boolean;
}

/**
 * Lambda's asynchronous invocation (EventBridge → on-iam-change, serverless.yml `maximumRetryAttempts: 2`):
 * an event is tried, and retried while attempts throw or time out, 1 + maximumRetryAttempts times in all;
 * then it goes to the dead-letter queue. `beforeAttempt` lets a test say how the world changes between tries.
 */
export class AsyncInvoker<E, R> {
  readonly dlq: E[] = [];

  constructor(
    private readonly fn: LambdaFunction<(event: E) => Promise<R>>,
    private readonly options: { maximumRetryAttempts?: number } = {},
  ) {}

  async deliver(event: E, beforeAttempt?: (attempt: number) => void): Promise<AsyncDelivery<R>> {
    const attempts: Invocation<R>[] = [];
    const total = 1 + (this.options.maximumRetryAttempts ?? 2);
    for (let attempt = 1; attempt <= total; attempt++) {
      beforeAttempt?.(attempt);
      const result = await this.fn.invoke(event);
      attempts.push(result);
      if (result.outcome === 'returned') return { attempts, deadLettered: false };
    }
    this.dlq.push(event);
    return { attempts, deadLettered: true };
  }
}

interface QueuedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
}

/**
 * An SQS queue with a redrive policy (serverless.yml: `maxReceiveCount: 5`) feeding a function that reports
 * batch item failures. Each receive hands up to `batchSize` messages to the function; messages it reports
 * failed, and every message of an invocation that threw or timed out, come back; a message received
 * `maxReceiveCount` times without success moves to the dead-letter queue.
 */
export class SqsQueue {
  readonly dlq: QueuedMessage[] = [];
  private queue: QueuedMessage[] = [];

  constructor(private readonly options: { maxReceiveCount?: number; batchSize?: number } = {}) {}

  send(...bodies: string[]): void {
    for (const body of bodies) this.queue.push({ messageId: randomUUID(), body, receiveCount: 0 });
  }

  get size(): number {
    return this.queue.length;
  }

  /** One receive: a batch to the function. */
  async receive(
    fn: LambdaFunction<(batch: SQSEvent, context: LambdaInvocation) => Promise<SQSBatchResponse>>,
  ): Promise<Invocation<SQSBatchResponse>> {
    const batch = this.queue.splice(0, this.options.batchSize ?? 100);
    for (const message of batch) message.receiveCount += 1;
    const result = await fn.invoke({ Records: batch.map(toSqsRecord) }, invocationContext('on-role-assumed'));
    const failedIds =
      result.outcome === 'returned'
        ? new Set(result.value.batchItemFailures.map((failure) => failure.itemIdentifier))
        : new Set(batch.map((message) => message.messageId));
    for (const message of batch) {
      if (!failedIds.has(message.messageId)) continue;
      if (message.receiveCount >= (this.options.maxReceiveCount ?? 5)) this.dlq.push(message);
      else this.queue.push(message);
    }
    return result;
  }

  /** Receives until the queue is empty; `beforeReceive` sees the receive number (1, 2...). */
  async drain(
    fn: LambdaFunction<(batch: SQSEvent, context: LambdaInvocation) => Promise<SQSBatchResponse>>,
    beforeReceive?: (receive: number) => void,
  ): Promise<Invocation<SQSBatchResponse>[]> {
    const results: Invocation<SQSBatchResponse>[] = [];
    for (let receive = 1; this.queue.length > 0; receive++) {
      if (receive > 1_000) throw new Error('the queue does not drain');
      beforeReceive?.(receive);
      results.push(await this.receive(fn));
    }
    return results;
  }
}

function toSqsRecord(message: QueuedMessage): SQSRecord {
  return sqsRecord(message.body, { ...message, receiptHandle: `${message.messageId}#${message.receiveCount}` });
}

// ---------------------------------------------------------------------------------------------------------
// The environment of a test file

/**
 * The Lambda environment of a test file whose functions reach DynamoDB Local through a fault proxy: a fresh
 * table, the proxy (closed after the file), the SNS and IAM fakes, and stores that read the table directly,
 * past the proxy, for assertions.
 */
export function useFaultyEnvironment(dynamo: ReturnType<typeof useLocalDynamo>, config: Record<string, unknown> = {}) {
  const saved = { ...process.env };
  const tableName = `rolewatch-faults-${randomUUID().slice(0, 8)}`;
  let proxy: DynamoFaultProxy | undefined;
  beforeAll(async () => {
    await createTable(dynamo.local.client, tableName);
    proxy = new DynamoFaultProxy(new URL(dynamo.local.endpoint));
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: dynamo.local.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: dynamo.local.credentials.secretAccessKey,
      TABLE_NAME: tableName,
      ALERT_TOPIC_ARN: TOPIC_ARN,
      ROLEWATCH_CONFIG: JSON.stringify(config),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
  });
  afterAll(async () => {
    await proxy?.close();
    process.env = saved;
  });
  return {
    tableName,
    get proxy(): DynamoFaultProxy {
      if (!proxy) throw new Error('the proxy starts in beforeAll');
      return proxy;
    },
    /** Stores reading the table directly (no faults). */
    stores(): DynamoStores {
      return createDynamoStores({ client: dynamo.local.client, tableName });
    },
    /** Another table, for a test that needs one to itself: `env` goes to LambdaFunction's options. */
    async newTable(): Promise<{ env: Record<string, string>; stores: () => DynamoStores }> {
      const name = `rolewatch-faults-${randomUUID().slice(0, 8)}`;
      await createTable(dynamo.local.client, name);
      return { env: { TABLE_NAME: name }, stores: () => createDynamoStores({ client: dynamo.local.client, tableName: name }) };
    },
  };
}
