import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DescribeMapRunCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import { ValidationError } from '../errors';
import { EXIT } from './main';
import { defineCommand, HELP_OPTION, tableRegion } from './options';

const HELP = `usage: rolewatch backfill --state-machine ARN --bucket B --prefix P --since D [--until D] [options]
       rolewatch backfill --status|--stop|--resume EXECUTION_ARN [options]

Loads a CloudTrail archive into deployed RoleWatch's table, in AWS: starts the backfill state machine, whose
Distributed Map lists the trail's objects under the prefix itself and evaluates them in batches, in parallel,
with the same code as \`rolewatch evaluate --table\` (state, history and findings; no alerts). Shows progress
and an estimate of the time left until the run ends (Ctrl-C leaves it running).

  --state-machine ARN  the stack's output BackfillStateMachineArn
  --bucket B           the trail's bucket (the trailBucket parameter of the deployment)
  --prefix P           e.g. AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/ (one account), AWSLogs/o-a1b2c3d4e5/ (all)
  --since D            log files delivered at or after D (YYYY-MM-DD or an ISO time, UTC)
  --until D            and before D (default: now)
  --status ARN         show the progress of a backfill (its execution ARN, as printed at the start)
  --stop ARN           stop a backfill; what was evaluated stays
  --resume ARN         go on with a stopped or failed backfill: only what did not succeed runs again
  --detach             start (or resume) and return at once
  --interval SECONDS   between progress lines (default 15)
  --region REGION      the deployment's region (default: AWS_REGION, else us-east-1)
`;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[\w-]{1,80}:[\w-]{1,80}$/;

/** Characters S3 keys may hold that a prefix must not: control characters. */
const hasControlCharacter = (text: string): boolean => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** What the backfill state machine is started with (shared/deploy/stateMachines.ts reads these names). */
export interface BackfillInput {
  bucket: string;
  prefix: string;
  since: string;
  until: string;
}

/** `rolewatch backfill`. */
export function runBackfill(args: string[], deps: { client?: SFNClient; now?: () => number } = {}): Promise<number> {
  return defineCommand(
    HELP,
    {
      options: {
        'state-machine': { type: 'string' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        status: { type: 'string' },
        stop: { type: 'string' },
        resume: { type: 'string' },
        detach: { type: 'boolean' },
        interval: { type: 'string' },
        region: { type: 'string' },
        ...HELP_OPTION,
      },
    },
    async ({ values }) => {
      const now = deps.now ?? Date.now;
      const interval = parseInterval(values.interval);
      const actions = (['status', 'stop', 'resume'] as const).filter((name) => values[name] !== undefined);
      if (actions.length > 1) throw new ValidationError(`--${actions[1]}`, `cannot be combined with --${actions[0]}`);
      const sfn = await import('@aws-sdk/client-sfn');
      const client = deps.client ?? new sfn.SFNClient({ region: tableRegion(values.region) });

      const [action] = actions;
      if (action) {
        const executionArn = parseExecutionArn(`--${action}`, values[action]);
        if (action === 'stop') {
          await client.send(
            new sfn.StopExecutionCommand({
              executionArn,
              error: 'RoleWatch.Stopped',
              cause: 'stopped with rolewatch backfill --stop',
            }),
          );
          process.stderr.write(
            `stopped ${executionArn}; rolewatch backfill --resume ${executionArn} goes on from where it was\n`,
          );
          return EXIT.ok;
        }
        if (action === 'resume') {
          await client.send(new sfn.RedriveExecutionCommand({ executionArn, clientToken: randomUUID() }));
          process.stderr.write(`resumed ${executionArn}\n`);
          if (values.detach) return EXIT.ok;
        }
        return follow(client, executionArn, { interval, now, once: action === 'status' });
      }

      const stateMachineArn = values['state-machine'];
      if (!stateMachineArn || !STATE_MACHINE_ARN.test(stateMachineArn))
        throw new ValidationError('--state-machine', 'give the BackfillStateMachineArn output of the stack');
      const input = backfillInput(values, now());
      const started = await client.send(
        new sfn.StartExecutionCommand({
          stateMachineArn,
          // Names are unique per state machine for 90 days: the window in it, for the console, and a random tail.
          name: `backfill-${input.since.slice(0, 10)}-${input.until.slice(0, 10)}-${randomUUID().slice(0, 8)}`,
          input: JSON.stringify(input),
        }),
      );
      const executionArn = started.executionArn ?? '';
      process.stdout.write(`${executionArn}\n`);
      process.stderr.write(
        `backfill of s3://${input.bucket}/${input.prefix} (log files delivered ${input.since} to ${input.until}) started\n` +
          `  progress: rolewatch backfill --status ${executionArn}\n  stop:     rolewatch backfill --stop ${executionArn}\n`,
      );
      if (values.detach) return EXIT.ok;
      return follow(client, executionArn, { interval, now, once: false });
    },
  )(args);
}

/** The state machine's input from the options, validated: every value is the user's, and goes to AWS. */
export function backfillInput(
  values: { bucket?: string | undefined; prefix?: string | undefined; since?: string | undefined; until?: string | undefined },
  now: number,
): BackfillInput {
  const { bucket, prefix } = values;
  if (!bucket || !BUCKET.test(bucket))
    throw new ValidationError('--bucket', 'give the name of the S3 bucket the trail writes to');
  if (prefix === undefined || prefix.length > 1024 || hasControlCharacter(prefix))
    throw new ValidationError(
      '--prefix',
      'give the key prefix of the log files (at most 1,024 characters, no control characters)',
    );
  const since = parseDate('--since', values.since);
  if (since === undefined) throw new ValidationError('--since', 'give the first day to load (YYYY-MM-DD)');
  const until = parseDate('--until', values.until) ?? now;
  if (until <= since) throw new ValidationError('--until', 'must be after --since');
  return { bucket, prefix, since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}

function parseDate(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const at = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) throw new ValidationError(option, `"${value}" is not a date (YYYY-MM-DD, or an ISO time with its zone)`);
  return at;
}

function parseInterval(value: string | undefined): number {
  if (value === undefined) return 15;
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds > 3600) throw new ValidationError('--interval', 'give whole seconds, at most 3600');
  return seconds;
}

function parseExecutionArn(option: string, value: string | undefined): string {
  if (!value || !EXECUTION_ARN.test(value))
    throw new ValidationError(option, 'give the execution ARN rolewatch backfill printed');
  return value;
}

/** Execution states after which nothing more happens (unless resumed). */
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Prints the run's progress every `interval` seconds until it ends (or once), then how it ended. Exit code:
 * 0 succeeded or still running (`once`), 1 ended otherwise.
 */
async function follow(
  client: SFNClient,
  executionArn: string,
  options: { interval: number; now: () => number; once: boolean },
): Promise<number> {
  const sfn = await import('@aws-sdk/client-sfn');
  for (;;) {
    const execution = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
    const status = execution.status ?? 'UNKNOWN';
    const { mapRuns } = await client.send(new sfn.ListMapRunsCommand({ executionArn }));
    const mapRunArn = mapRuns?.[0]?.mapRunArn;
    const mapRun = mapRunArn ? await client.send(new sfn.DescribeMapRunCommand({ mapRunArn })) : undefined;
    process.stderr.write(`${describeProgress(status, mapRun, options.now())}\n`);
    if (ENDED.has(status)) {
      if (status === 'SUCCEEDED') return EXIT.ok;
      process.stderr.write(
        `backfill ${status.toLowerCase()}${execution.error ? `: ${execution.error}` : ''}${execution.cause ? ` (${execution.cause})` : ''}\n` +
          `  go on with: rolewatch backfill --resume ${executionArn}\n`,
      );
      return EXIT.findings;
    }
    if (options.once) return EXIT.ok;
    await sleep(options.interval * 1000);
  }
}

/**
 * One progress line from the map run (DescribeMapRun): log files evaluated of those listed, failures, and the
 * time left at the rate so far. Before the map run exists, Step Functions is still listing the objects.
 */
export function describeProgress(
  status: string,
  mapRun: Pick<DescribeMapRunCommandOutput, 'itemCounts' | 'startDate' | 'status'> | undefined,
  now: number,
): string {
  if (!mapRun?.itemCounts) return `${status.toLowerCase()}: listing the log files`;
  const { total = 0, succeeded = 0, failed = 0, running = 0, timedOut = 0, aborted = 0 } = mapRun.itemCounts;
  const done = succeeded + failed + timedOut + aborted;
  const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
  const parts = [
    `${status.toLowerCase()}: ${succeeded.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} objects evaluated (${percent}%)`,
    ...(running > 0 ? [`${running.toLocaleString('en-US')} in progress`] : []),
    ...(failed + timedOut + aborted > 0 ? [`${(failed + timedOut + aborted).toLocaleString('en-US')} not evaluated`] : []),
  ];
  const startedAt = mapRun.startDate ? new Date(mapRun.startDate).getTime() : undefined;
  if (status === 'RUNNING' && startedAt !== undefined && done > 0 && done < total) {
    const left = ((now - startedAt) / done) * (total - done);
    parts.push(`about ${formatDuration(left)} left`);
  }
  return parts.join(', ');
}

/** A duration for a person: seconds, minutes, or hours and minutes. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
