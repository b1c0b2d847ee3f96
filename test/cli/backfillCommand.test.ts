import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  type DescribeMapRunCommandOutput,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { backfillInput, describeProgress, formatDuration } from '../../shared/cli/backfill';
import { runCli } from '../support/cli';

const sfn = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:rolewatch-prod-backfill';
const EXECUTION =
  'arn:aws:states:us-east-1:123456789012:execution:rolewatch-prod-backfill:backfill-2025-12-01-2026-12-01-1a2b3c4d';
const MAP_RUN = `arn:aws:states:us-east-1:123456789012:mapRun:rolewatch-prod-backfill/backfill-2025-12-01-2026-12-01-1a2b3c4d:EvaluateLogFiles:0b3c4d5e-6f70-4182-93a4-b5c6d7e8f901`;
const meta = { $metadata: { httpStatusCode: 200 } };
const START = new Date('2026-12-06T08:00:00Z');

/** DescribeExecution as Step Functions answers it. */
function execution(status: string, extra: Partial<DescribeExecutionCommandOutput> = {}): DescribeExecutionCommandOutput {
  return {
    ...meta,
    executionArn: EXECUTION,
    stateMachineArn: STATE_MACHINE,
    name: 'backfill-2025-12-01-2026-12-01-1a2b3c4d',
    status: status as DescribeExecutionCommandOutput['status'],
    startDate: START,
    input: '{"bucket":"org-trail-logs"}',
    ...extra,
  };
}

/** DescribeMapRun as Step Functions answers it, with item counts. */
function mapRun(counts: { total: number; succeeded: number; running?: number; failed?: number }): DescribeMapRunCommandOutput {
  const item = {
    pending: counts.total - counts.succeeded - (counts.running ?? 0) - (counts.failed ?? 0),
    running: counts.running ?? 0,
    succeeded: counts.succeeded,
    failed: counts.failed ?? 0,
    timedOut: 0,
    aborted: 0,
    total: counts.total,
    resultsWritten: 0,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
  };
  return {
    ...meta,
    mapRunArn: MAP_RUN,
    executionArn: EXECUTION,
    status: 'RUNNING',
    startDate: START,
    maxConcurrency: 10,
    toleratedFailurePercentage: 0,
    toleratedFailureCount: 0,
    itemCounts: item,
    executionCounts: { ...item, total: Math.ceil(counts.total / 50) },
  };
}

beforeEach(() => sfn.reset());

describe('rolewatch backfill', () => {
  it('starts the state machine with the bucket, prefix and window, and follows the map run to the end', async () => {
    sfn.on(StartExecutionCommand).resolves({ ...meta, executionArn: EXECUTION, startDate: START });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution('RUNNING'))
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED', { stopDate: new Date('2026-12-06T08:40:00Z') }));
    sfn
      .on(ListMapRunsCommand)
      .resolvesOnce({ ...meta, mapRuns: [] })
      .resolves({
        ...meta,
        mapRuns: [
          { executionArn: EXECUTION, mapRunArn: MAP_RUN, stateMachineArn: `${STATE_MACHINE}/EvaluateLogFiles`, startDate: START },
        ],
      });
    sfn
      .on(DescribeMapRunCommand)
      .resolvesOnce(mapRun({ total: 12_000, succeeded: 3_000, running: 500 }))
      .resolves({ ...mapRun({ total: 12_000, succeeded: 12_000 }), status: 'SUCCEEDED' });

    const run = await runCli(
      'backfill',
      '--state-machine',
      STATE_MACHINE,
      '--bucket',
      'org-trail-logs',
      '--prefix',
      'AWSLogs/o-a1b2c3d4e5/',
      '--since',
      '2025-12-01',
      '--until',
      '2026-12-01',
      '--interval',
      '0',
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${EXECUTION}\n`);
    const [start] = sfn.commandCalls(StartExecutionCommand);
    expect(start?.args[0].input.stateMachineArn).toBe(STATE_MACHINE);
    expect(start?.args[0].input.name).toMatch(/^backfill-2025-12-01-2026-12-01-[0-9a-f]{8}$/);
    expect(JSON.parse(start?.args[0].input.input ?? '{}')).toEqual({
      bucket: 'org-trail-logs',
      prefix: 'AWSLogs/o-a1b2c3d4e5/',
      since: '2025-12-01T00:00:00.000Z',
      until: '2026-12-01T00:00:00.000Z',
    });
    const lines = run.stderr.split('\n');
    expect(lines).toContain('running: listing the log files');
    expect(
      lines.find((line) => line.startsWith('running: 3,000 of 12,000 objects evaluated (25%), 500 in progress')),
    ).toBeDefined();
    expect(lines).toContain('succeeded: 12,000 of 12,000 objects evaluated (100%)');
    expect(sfn.commandCalls(DescribeMapRunCommand).map((c) => c.args[0].input.mapRunArn)).toEqual([MAP_RUN, MAP_RUN]);
  });

  it('says how to resume a backfill that failed, and exits 1', async () => {
    sfn.on(DescribeExecutionCommand).resolves(
      execution('FAILED', {
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The number of failed items exceeded the threshold',
      }),
    );
    sfn.on(ListMapRunsCommand).resolves({
      ...meta,
      mapRuns: [{ executionArn: EXECUTION, mapRunArn: MAP_RUN, stateMachineArn: STATE_MACHINE, startDate: START }],
    });
    sfn.on(DescribeMapRunCommand).resolves({ ...mapRun({ total: 100, succeeded: 98, failed: 2 }), status: 'FAILED' });

    const run = await runCli('backfill', '--status', EXECUTION);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed: 98 of 100 objects evaluated (100%), 2 not evaluated');
    expect(run.stderr).toContain('backfill failed: States.ExceedToleratedFailureThreshold');
    expect(run.stderr).toContain(`rolewatch backfill --resume ${EXECUTION}`);
  });

  it('stops a backfill, and resumes it by redriving only what did not succeed', async () => {
    sfn.on(StopExecutionCommand).resolves({ ...meta, stopDate: new Date() });
    sfn.on(RedriveExecutionCommand).resolves({ ...meta, redriveDate: new Date() });

    expect((await runCli('backfill', '--stop', EXECUTION)).code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({ executionArn: EXECUTION });

    expect((await runCli('backfill', '--resume', EXECUTION, '--detach')).code).toBe(0);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]?.args[0].input).toMatchObject({ executionArn: EXECUTION });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it.each([
    [['--bucket', 'Not_A_Bucket', '--prefix', 'AWSLogs/', '--since', '2026-01-01'], '--bucket'],
    [['--bucket', 'org-trail-logs', '--prefix', 'AWSLogs/\u0000', '--since', '2026-01-01'], '--prefix'],
    [['--bucket', 'org-trail-logs', '--prefix', 'AWSLogs/', '--since', 'yesterday'], '--since'],
    [['--bucket', 'org-trail-logs', '--prefix', 'AWSLogs/', '--since', '2026-02-01', '--until', '2026-01-01'], '--until'],
  ])('refuses %j before calling AWS (%s)', async (args, option) => {
    const run = await runCli('backfill', '--state-machine', STATE_MACHINE, ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(option);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses what is not an execution ARN, and two actions at once', async () => {
    expect((await runCli('backfill', '--stop', 'arn:aws:states:us-east-1:123456789012:stateMachine:x')).code).toBe(2);
    expect((await runCli('backfill', '--stop', EXECUTION, '--resume', EXECUTION)).code).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('backfill progress', () => {
  it('estimates the time left from the rate so far', () => {
    const at = START.getTime() + 20 * 60_000;
    expect(describeProgress('RUNNING', mapRun({ total: 1_000, succeeded: 250 }), at)).toBe(
      'running: 250 of 1,000 objects evaluated (25%), about 1 h 00 min left',
    );
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(15 * 60_000)).toBe('15 min');
  });

  it('takes --until as now when it is not given', () => {
    expect(
      backfillInput({ bucket: 'b-1', prefix: '', since: '2026-11-01T12:00:00Z' }, Date.parse('2026-12-06T08:00:00Z')),
    ).toEqual({
      bucket: 'b-1',
      prefix: '',
      since: '2026-11-01T12:00:00.000Z',
      until: '2026-12-06T08:00:00.000Z',
    });
  });
});
