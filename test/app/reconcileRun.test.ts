import { isThrottling, parseAccountStep, parseFinishStep, REPORTED_FAILURES, summarizeRun } from '../../shared/app/reconcileRun';
import { ValidationError } from '../../shared/errors';
import type { AccountOutcome } from '../../shared/ports/reconcileRuns';
import { describeStatesError } from '../../shared/store/dynamo/DynamoReconcileRunStore';

const ok = (account: string): AccountOutcome => ({
  account,
  roles: 3,
  policies: 1,
  corrected: 1,
  deleted: 0,
  findings: 2,
  resolved: 1,
});

describe('a reconcile run, step by step', () => {
  it('refuses a step input the state machine would never send, naming the fields', () => {
    expect(parseAccountStep({ account: '111122223333', runId: 'a1b2-c3', startedAt: '2026-11-02T09:00:00.123Z' })).toEqual({
      account: '111122223333',
      runId: 'a1b2-c3',
      startedAt: '2026-11-02T09:00:00.123Z',
    });
    for (const bad of [
      { account: '1111-2222-3333', runId: 'r', startedAt: '2026-11-02T09:00:00Z' },
      { account: '111122223333', runId: '../other/run', startedAt: '2026-11-02T09:00:00Z' },
      { account: '111122223333', runId: 'r', startedAt: 'yesterday' },
      null,
    ])
      expect(() => parseAccountStep(bad)).toThrow(ValidationError);
    expect(() => parseFinishStep({ runId: 'r', accounts: ['111122223333', 'x'] })).toThrow(/accounts\.1/);
  });

  it('sums the outcomes and counts an account without one as failed', () => {
    const report = summarizeRun(
      'run-1',
      ['111111111111', '222222222222', '333333333333'],
      [ok('111111111111'), { ...ok('222222222222'), error: 'AccountReadError: AccessDenied' }],
      4,
    );
    expect(report).toMatchObject({
      accounts: 3,
      reconciled: 1,
      roles: 3,
      corrected: 1,
      findings: 2,
      alertsRetried: 4,
      failed: 2,
    });
    expect(report.failures).toEqual([
      { account: '222222222222', error: 'AccountReadError: AccessDenied' },
      { account: '333333333333', error: 'no outcome was recorded for the account' },
    ]);
    expect(report.message).toBe(
      'reconcile could not read 2 of 3 account(s): 222222222222 (AccountReadError: AccessDenied); 333333333333 (no outcome was recorded for the account)',
    );
  });

  it('names at most a bounded number of failures in the report, and counts the rest', () => {
    const accounts = Array.from({ length: REPORTED_FAILURES + 7 }, (_, i) => String(100000000000 + i));
    const report = summarizeRun('run-2', accounts, [], 0);
    expect(report.failed).toBe(REPORTED_FAILURES + 7);
    expect(report.failures).toHaveLength(REPORTED_FAILURES);
    expect(report.message).toMatch(/; and 7 more$/);
  });

  it('reads the error a Catch recorded, whatever its Cause holds', () => {
    const lambda = JSON.stringify({
      Error: 'AccountReadError',
      Cause: JSON.stringify({ errorType: 'AccountReadError', errorMessage: 'cannot assume the read role', trace: ['at x'] }),
    });
    expect(describeStatesError(lambda)).toBe('AccountReadError: cannot assume the read role');
    expect(describeStatesError(JSON.stringify({ Error: 'States.Timeout', Cause: '' }))).toBe('States.Timeout');
    expect(describeStatesError(JSON.stringify({ Error: 'States.TaskFailed', Cause: 'plain words' }))).toBe(
      'States.TaskFailed: plain words',
    );
    expect(describeStatesError('not json at all')).toBe('Error: not json at all');
    expect(describeStatesError(JSON.stringify({ Error: 'X', Cause: 'y'.repeat(5000) })).length).toBe(300);
  });

  it('recognises throttling by name, by the SDK verdict, by HTTP 429, and as the cause of a wrapping error', () => {
    expect(isThrottling(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))).toBe(true);
    expect(isThrottling({ name: 'Whatever', $retryable: { throttling: true } })).toBe(true);
    expect(isThrottling({ name: 'Whatever', $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(
      isThrottling(new Error('cannot assume', { cause: Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }) })),
    ).toBe(true);
    expect(isThrottling(Object.assign(new Error('denied'), { name: 'AccessDenied' }))).toBe(false);
    expect(isThrottling('Throttling')).toBe(false);
  });
});
