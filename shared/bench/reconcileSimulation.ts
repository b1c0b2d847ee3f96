import {
  DEFAULT_RECONCILE_CONCURRENCY,
  MAX_ACCOUNTS_PER_RUN,
  type RetryPolicy,
  reconcileDefinition,
  THROTTLED_ERROR,
} from '../deploy/stateMachines';
import type { BackfillEstimate } from './backfillEstimate';

/**
 * A simulation of the reconcile state machine over many accounts, in virtual time (nothing sleeps): the
 * Distributed Map's concurrency and the account step's Retry policies are read from the deployed definition,
 * and IAM is a latency and throttling model. It gives the wall time of a run and what it costs. It is a
 * model, not a measurement of AWS: its parameters are stated where it is printed (shared/deploy/README.md, Organization scale).
 */
export interface IamModel {
  /** A whole account's GetAccountAuthorizationDetails (every page), in seconds: uniform in [min, max]. */
  readSeconds: { min: number; max: number };
  /** Chance that an attempt is throttled beyond the SDK's own retries (which spend `throttledSeconds` first). */
  throttleRate: number;
  throttledSeconds: { min: number; max: number };
  /** Chance that an account cannot be read at all (read role missing, wrong ExternalId): no retry helps. */
  failureRate: number;
  /** Roles per account: uniform in [min, max]. */
  roles: { min: number; max: number };
  /** Time the step spends per role after the read (DynamoDB reads and writes, rules), in seconds. */
  secondsPerRole: number;
}

/** AWS list prices (us-east-1) the costs are computed with. */
export const PRICES = {
  /** Step Functions Standard, per state transition. */
  transition: 0.025 / 1000,
  /** Lambda arm64, per GB-second and per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  /** DynamoDB on demand, per write and per read request unit. */
  writeUnit: 0.625 / 1_000_000,
  readUnit: 0.125 / 1_000_000,
} as const;

export const DEFAULT_IAM_MODEL: IamModel = {
  readSeconds: { min: 1, max: 20 },
  throttleRate: 0.1,
  throttledSeconds: { min: 1, max: 4 },
  failureRate: 0.01,
  roles: { min: 20, max: 200 },
  secondsPerRole: 0.01,
};

/** DynamoDB capacity a daily run spends per role (measured on DynamoDB Local by `npm run bench`). */
export interface RoleCapacity {
  readUnits: number;
  writeUnits: number;
}

export interface SimulationOptions {
  accounts: number;
  concurrency?: number;
  model?: IamModel;
  capacity: RoleCapacity;
  seed?: number;
  /** Memory of the account step (serverless.yml), for GB-seconds. */
  memoryMb?: number;
}

export interface SimulationReport {
  accounts: number;
  concurrency: number;
  /** From the start of the run to the end of the finish step. */
  wallSeconds: number;
  /** The longest a single account took, retries and waits included. */
  slowestAccountSeconds: number;
  throttledAttempts: number;
  /** Accounts that read after one or more throttled attempts. */
  recoveredAfterThrottling: number;
  /** Accounts reported failed, with why: the run's report lists them; the others are reconciled. */
  failed: { account: string; error: string }[];
  reconciled: number;
  transitions: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
  readUnits: number;
  writeUnits: number;
  cost: { stepFunctions: number; lambda: number; dynamodb: number; total: number };
  costPer1000Accounts: number;
}

/** A small seeded generator (mulberry32): the same seed gives the same run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (next: () => number, range: { min: number; max: number }) => range.min + next() * (range.max - range.min);

/** The Retry policies of the account step, as deployed. */
function accountStepRetries(concurrency: number): { throttled: RetryPolicy; maxConcurrency: number } {
  const definition = reconcileDefinition(concurrency) as {
    States: {
      ReconcileAccounts: { MaxConcurrency: number; ItemProcessor: { States: { ReconcileAccount: { Retry: RetryPolicy[] } } } };
    };
  };
  const map = definition.States.ReconcileAccounts;
  const throttled = map.ItemProcessor.States.ReconcileAccount.Retry.find((r) => r.ErrorEquals.includes(THROTTLED_ERROR));
  if (!throttled) throw new Error('the account step has no retry on throttling');
  return { throttled, maxConcurrency: map.MaxConcurrency };
}

/** Step Functions' wait before retry `attempt` (1-based), FULL jitter drawing in [0, the backoff]. */
export function retryDelay(policy: RetryPolicy, attempt: number, next: () => number): number {
  const backoff = Math.min(
    policy.IntervalSeconds * policy.BackoffRate ** (attempt - 1),
    policy.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
  );
  return policy.JitterStrategy === 'FULL' ? next() * backoff : backoff;
}

/**
 * Runs the model: the accounts are handed to at most `concurrency` children in order (a child holds its slot
 * while it waits to retry, as a Distributed Map child does), each attempt reads for its latency or is
 * throttled, throttled attempts are retried per the deployed policy, and an account that fails is recorded
 * and costs its children no more. The list and finish steps are counted too.
 */
export function simulateReconcile(options: SimulationOptions): SimulationReport {
  const model = options.model ?? DEFAULT_IAM_MODEL;
  const { throttled, maxConcurrency } = accountStepRetries(options.concurrency ?? DEFAULT_RECONCILE_CONCURRENCY);
  const next = random(options.seed ?? 1);
  const memoryGb = (options.memoryMb ?? 1024) / 1024;
  // Listing: Organizations ListAccounts answers 20 accounts a page; the finish step reads one item per account.
  const listSeconds = 1 + Math.ceil(options.accounts / 20) * 0.3;
  const finishSeconds = 5 + options.accounts * 0.002;
  const slots = new Array<number>(Math.min(maxConcurrency, options.accounts)).fill(listSeconds);
  const report: SimulationReport = {
    accounts: options.accounts,
    concurrency: maxConcurrency,
    wallSeconds: 0,
    slowestAccountSeconds: 0,
    throttledAttempts: 0,
    recoveredAfterThrottling: 0,
    failed: [],
    reconciled: 0,
    // The parent: ListAccounts, the map, Finish, the Choice and the end state.
    transitions: 5,
    lambdaRequests: 2,
    lambdaGbSeconds: (listSeconds + finishSeconds) * 0.5,
    readUnits: 0,
    writeUnits: 0,
    cost: { stepFunctions: 0, lambda: 0, dynamodb: 0, total: 0 },
    costPer1000Accounts: 0,
  };
  let lastEnd = listSeconds;
  for (let i = 0; i < options.accounts; i++) {
    const account = String(100000000000 + i);
    // The slot that frees first takes the next account.
    let slot = 0;
    for (let s = 1; s < slots.length; s++) if ((slots[s] ?? 0) < (slots[slot] ?? 0)) slot = s;
    const start = slots[slot] ?? 0;
    let elapsed = 0.1; // the child execution's start
    let attempts = 0;
    let throttles = 0;
    let outcome: 'reconciled' | 'failed' | 'throttled' = 'throttled';
    report.transitions += 1;
    for (;;) {
      attempts += 1;
      report.lambdaRequests += 1;
      if (next() < model.failureRate) {
        const spent = between(next, { min: 1, max: 5 });
        elapsed += spent;
        report.lambdaGbSeconds += spent * memoryGb;
        outcome = 'failed';
        break;
      }
      if (next() < model.throttleRate) {
        const spent = between(next, model.throttledSeconds);
        elapsed += spent;
        report.lambdaGbSeconds += spent * memoryGb;
        throttles += 1;
        report.throttledAttempts += 1;
        if (throttles > throttled.MaxAttempts) break;
        elapsed += retryDelay(throttled, throttles, next);
        report.transitions += 1;
        continue;
      }
      const roles = Math.round(between(next, model.roles));
      const spent = between(next, model.readSeconds) + roles * model.secondsPerRole;
      elapsed += spent;
      report.lambdaGbSeconds += spent * memoryGb;
      report.readUnits += roles * options.capacity.readUnits;
      report.writeUnits += roles * options.capacity.writeUnits + 1;
      outcome = 'reconciled';
      break;
    }
    if (outcome === 'reconciled') {
      report.reconciled += 1;
      if (throttles > 0) report.recoveredAfterThrottling += 1;
    } else {
      // Caught and recorded by the state machine (one more state, one write).
      report.transitions += 1;
      report.writeUnits += 1;
      report.failed.push({
        account,
        error:
          outcome === 'failed'
            ? 'AccountReadError: cannot assume the read role'
            : `${THROTTLED_ERROR}: still throttled after ${attempts} attempts`,
      });
    }
    report.slowestAccountSeconds = Math.max(report.slowestAccountSeconds, elapsed);
    slots[slot] = start + elapsed;
    lastEnd = Math.max(lastEnd, start + elapsed);
  }
  report.wallSeconds = lastEnd + finishSeconds;
  report.readUnits += options.accounts; // the finish step reads each account's outcome
  report.cost.stepFunctions = report.transitions * PRICES.transition;
  report.cost.lambda = report.lambdaGbSeconds * PRICES.lambdaGbSecond + report.lambdaRequests * PRICES.lambdaRequest;
  report.cost.dynamodb = report.writeUnits * PRICES.writeUnit + report.readUnits * PRICES.readUnit;
  report.cost.total = report.cost.stepFunctions + report.cost.lambda + report.cost.dynamodb;
  report.costPer1000Accounts = (report.cost.total / options.accounts) * 1000;
  return report;
}

/**
 * The largest organization one run reconciles within `budgetSeconds` at the given concurrency: the wall time
 * grows with the accounts per slot, so the answer is found by bisection over the simulation itself.
 */
export function largestOrganizationWithin(budgetSeconds: number, options: Omit<SimulationOptions, 'accounts'>): number {
  let low = 1;
  let high = 1;
  while (simulateReconcile({ ...options, accounts: high }).wallSeconds <= budgetSeconds && high < 10_000_000) {
    low = high;
    high *= 2;
  }
  while (high - low > Math.max(1, Math.floor(low / 100))) {
    const middle = Math.floor((low + high) / 2);
    if (simulateReconcile({ ...options, accounts: middle }).wallSeconds <= budgetSeconds) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * What a daily run spends in DynamoDB per role, measured with the real account step on DynamoDB Local:
 * `roles` roles (one AWS-managed policy attached, one inline policy; one in ten trusting an unknown account) are
 * reconciled once (the first run loads them), then again the next day, metered: the second run is the figure.
 */
export async function measureRoleCapacity(roles = 100): Promise<RoleCapacity> {
  const [{ reconcileAccount, reconcileStamp }, { createDynamoEngine, createDynamoStores }, { defaultConfig }, dynamo, reader] =
    await Promise.all([
      import('../app/reconcile'),
      import('../context'),
      import('../config/config'),
      import('../store/dynamoLocal'),
      import('../iam/reader'),
    ]);
  const { CapacityMeter } = await import('./capacityMeter');
  const local = await dynamo.startDynamoLocal();
  try {
    await dynamo.createTable(local.client, 'rolewatch-reconcile-bench');
    const meter = new CapacityMeter();
    const stores = createDynamoStores({ client: local.client, tableName: 'rolewatch-reconcile-bench', meter });
    const engine = createDynamoEngine({ stores, config: defaultConfig(), iam: new reader.StaticIamReader(), alerting: false });
    const account = '111122223333';
    const snapshot = {
      policies: [],
      roles: Array.from({ length: roles }, (_, i) => ({
        account,
        roleName: `app-${i}`,
        arn: `arn:aws:iam::${account}:role/app-${i}`,
        // One role in ten trusts an account nobody declared: its open finding is seen again at every run.
        trustPolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${i % 10 === 0 ? '999988887777' : account}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
        inlinePolicies: [
          {
            name: 'data',
            document: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${i}/*` }],
            }),
          },
        ],
        attachedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      })),
    };
    const source = { account, reader: { readAccount: async () => snapshot } };
    const day = Date.parse('2026-11-02T06:00:00Z');
    await reconcileAccount(source, reconcileStamp(day), { engine, state: stores.state });
    meter.read = 0;
    meter.write = 0;
    await reconcileAccount(source, reconcileStamp(day + 86_400_000), { engine, state: stores.state });
    return { readUnits: meter.read / roles, writeUnits: meter.write / roles };
  } finally {
    await local.stop();
  }
}

/** The simulation's figures for a person, with the model they come from. */
export function formatSimulation(
  report: SimulationReport,
  largest: number,
  capacity: RoleCapacity,
  model: IamModel = DEFAULT_IAM_MODEL,
): string {
  const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
  const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
  return [
    `reconcile simulation (virtual time): ${report.accounts.toLocaleString('en-US')} accounts, concurrency ${report.concurrency}`,
    `  model: IAM read ${model.readSeconds.min}-${model.readSeconds.max} s per account, ${model.throttleRate * 100}% of attempts throttled, ` +
      `${model.failureRate * 100}% of accounts unreadable, ${model.roles.min}-${model.roles.max} roles per account; ` +
      `DynamoDB per role per daily run (measured): ${capacity.readUnits.toFixed(1)} RRU, ${capacity.writeUnits.toFixed(1)} WRU`,
    `  wall time ${minutes(report.wallSeconds)} (slowest account ${minutes(report.slowestAccountSeconds)}); ` +
      `${report.reconciled.toLocaleString('en-US')} reconciled, ${report.failed.length} failed and reported, ` +
      `${report.throttledAttempts} throttled attempts (${report.recoveredAfterThrottling} accounts recovered by the retries)`,
    `  cost of the run ${usd(report.cost.total)} (Step Functions ${usd(report.cost.stepFunctions)}, Lambda ${usd(report.cost.lambda)}, ` +
      `DynamoDB ${usd(report.cost.dynamodb)}): ${usd(report.costPer1000Accounts)} per 1,000 accounts`,
    `  one daily run completes within 24 h for up to ${largest.toLocaleString('en-US')} accounts by wall time; ` +
      `a run carries at most ${MAX_ACCOUNTS_PER_RUN.toLocaleString('en-US')} (the account list travels in the execution's 256 KB state)`,
  ].join('\n');
}

/** The organization `npm run bench` simulates. */
export const BENCH_ACCOUNTS = 2000;

/** The benchmark's reconcile figures: capacity measured on DynamoDB Local, then the simulation. */
export async function reconcileBench(): Promise<{
  report: SimulationReport & { largestWithin24h: number; capacity: RoleCapacity; backfill: BackfillEstimate[] };
  text: string;
}> {
  const capacity = await measureRoleCapacity();
  const report = simulateReconcile({ accounts: BENCH_ACCOUNTS, capacity });
  const largest = largestOrganizationWithin(86_400, { capacity });
  const { estimateBackfill, formatBackfillEstimate, ONE_YEAR_OF_1000_ACCOUNTS } = await import('./backfillEstimate');
  const backfill = [10, 100, 1000].map((concurrency) => estimateBackfill(ONE_YEAR_OF_1000_ACCOUNTS, concurrency));
  return {
    report: { ...report, largestWithin24h: largest, capacity, backfill },
    text: `${formatSimulation(report, largest, capacity)}\n\n${formatBackfillEstimate(ONE_YEAR_OF_1000_ACCOUNTS, backfill)}`,
  };
}
