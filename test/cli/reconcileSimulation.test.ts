import {
  DEFAULT_IAM_MODEL,
  largestOrganizationWithin,
  retryDelay,
  simulateReconcile,
} from '../../shared/bench/reconcileSimulation';
import { DEFAULT_RECONCILE_CONCURRENCY, RETRY, reconcileDefinition, THROTTLED_ERROR } from '../../shared/deploy/stateMachines';

// Per role and daily run; the bench measures the real figure on DynamoDB Local.
const capacity = { readUnits: 3.5, writeUnits: 0.3 };
const DAY = 86_400;

describe('reconcile of an organization, simulated in virtual time', () => {
  it('reconciles 2,000 accounts within the daily schedule and the run timeout, reporting each failed account and why', () => {
    const report = simulateReconcile({ accounts: 2000, capacity });
    const timeout = Number(reconcileDefinition().TimeoutSeconds);
    expect(report.concurrency).toBe(DEFAULT_RECONCILE_CONCURRENCY);
    expect(report.wallSeconds).toBeLessThan(timeout);
    expect(timeout).toBeLessThan(DAY);
    // Failures are isolated: every other account is reconciled, and each failure is named with its reason.
    expect(report.reconciled + report.failed.length).toBe(2000);
    expect(report.failed.length).toBeGreaterThan(0);
    expect(report.failed.length).toBeLessThan(100);
    for (const failure of report.failed) expect(failure.error).toMatch(/^(AccountReadError|RoleWatch\.Throttled): /);
    // Throttled accounts mostly recover through the state machine's retries.
    expect(report.throttledAttempts).toBeGreaterThan(0);
    expect(report.recoveredAfterThrottling).toBeGreaterThan(report.failed.length);
    expect(report.cost.total).toBeCloseTo(report.cost.stepFunctions + report.cost.lambda + report.cost.dynamodb, 10);
    expect(report.costPer1000Accounts).toBeCloseTo(report.cost.total / 2, 10);
  });

  it('is the same run for the same seed, and another for another seed', () => {
    expect(simulateReconcile({ accounts: 500, capacity, seed: 7 })).toEqual(
      simulateReconcile({ accounts: 500, capacity, seed: 7 }),
    );
    expect(simulateReconcile({ accounts: 500, capacity, seed: 8 }).wallSeconds).not.toBe(
      simulateReconcile({ accounts: 500, capacity, seed: 7 }).wallSeconds,
    );
  });

  it('takes about half the time with twice the concurrency, and costs the same', () => {
    const twenty = simulateReconcile({ accounts: 2000, capacity, concurrency: 20 });
    const forty = simulateReconcile({ accounts: 2000, capacity, concurrency: 40 });
    expect(forty.concurrency).toBe(40);
    expect(forty.wallSeconds / twenty.wallSeconds).toBeGreaterThan(0.4);
    expect(forty.wallSeconds / twenty.wallSeconds).toBeLessThan(0.65);
    expect(forty.cost.total / twenty.cost.total).toBeCloseTo(1, 1);
  });

  it('fails an account IAM never stops throttling, after the deployed retries', () => {
    const report = simulateReconcile({
      accounts: 50,
      capacity,
      model: { ...DEFAULT_IAM_MODEL, throttleRate: 1, failureRate: 0 },
    });
    expect(report.reconciled).toBe(0);
    expect(report.failed).toHaveLength(50);
    expect(report.failed[0]?.error).toBe(`${THROTTLED_ERROR}: still throttled after ${RETRY.throttled.MaxAttempts + 1} attempts`);
    expect(report.throttledAttempts).toBe(50 * (RETRY.throttled.MaxAttempts + 1));
    // Each child waited through the backoff: at least its first retry's interval, at most all of them.
    const longest = [1, 2, 3, 4, 5].reduce(
      (sum, attempt) => sum + retryDelay({ ...RETRY.throttled, JitterStrategy: 'NONE' }, attempt, () => 1),
      0,
    );
    expect(report.slowestAccountSeconds).toBeLessThan(longest + 6 * DEFAULT_IAM_MODEL.throttledSeconds.max + 1);
  });

  it('waits as Step Functions does: the interval doubling, capped, drawn from [0, backoff] with FULL jitter', () => {
    const none = { ...RETRY.throttled, JitterStrategy: 'NONE' as const };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelay(none, attempt, () => 0.5))).toEqual([10, 20, 40, 80, 120]);
    expect(retryDelay(RETRY.throttled, 3, () => 0.5)).toBe(20);
    expect(retryDelay(RETRY.throttled, 3, () => 0)).toBe(0);
  });

  it('finds the largest organization a run finishes within a budget', () => {
    const largest = largestOrganizationWithin(3600, { capacity });
    expect(simulateReconcile({ accounts: largest, capacity }).wallSeconds).toBeLessThanOrEqual(3600);
    expect(simulateReconcile({ accounts: Math.ceil(largest * 1.05), capacity }).wallSeconds).toBeGreaterThan(3600);
  });
});
