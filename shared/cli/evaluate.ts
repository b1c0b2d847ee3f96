import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { replayEvents } from '../app/replay';
import type { TrailEvent } from '../cloudtrail/types';
import type { Config } from '../config/config';
import { createDynamoEngine, createDynamoStores, createMemoryContext, dynamoClient } from '../context';
import type { Engine, EngineLogger, RecordedFinding } from '../engine/engine';
import { ValidationError } from '../errors';
import { type Severity, severityRank } from '../findings/severity';
import { AwsIamReader } from '../iam/AwsIamReader';
import { type PolicyFixtures, StaticIamReader } from '../iam/reader';
import type { IamReader } from '../ports/iamReader';
import { createTable } from '../store/dynamoLocal';
import { EXIT, exitCodeOf } from './exitCodes';
import { DEFAULT_WINDOW_MINUTES, type MergeStats } from './merge';
import {
  defineCommand,
  FINDING_FORMATS,
  FINDINGS_OPTIONS,
  type OutputFormat,
  parseFormat,
  parseSeverity,
  resolveConfig,
  tableRegion,
} from './options';
import { findingLine, findingsTable } from './output';
import { createProgress, createReplayProgress } from './progress';
import { trailEventsInOrder } from './replayOrder';
import { SkipReport } from './skips';

/** How long an in-memory replay remembers what recognises or re-judges an event, at least (see MemoryStore). */
const RETENTION_HOURS = 6;
/**
 * How far the heap may grow past what survived the last full collection, in percent. A replay's live set levels
 * off (a window of events, a retention of state, the findings), but by default V8 lets the heap grow to up to four
 * times the live set between full collections on a machine with memory to spare, so the peak would depend on how
 * long the replay ran rather than on what it holds. Half again keeps the peak near 1.5 times the live set, for
 * more frequent full collections.
 */
const REPLAY_HEAP_GROWTH_PERCENT = 50;

const HELP = `usage: rolewatch evaluate <file|dir>... [options]

Replays CloudTrail records (single records, EventBridge events, log files, JSON Lines, gzipped or not;
directories recursively) in eventTime order through every rule, with in-memory state (or, with --table,
RoleWatch's DynamoDB table). Files are read as streams and merged by time, so memory is bounded by the
reorder window, not by the size of the archive: CloudTrail log files are placed by the delivery time in
their names (other files by their earliest event, read once first), and each event is held back until no
unread file can hold an earlier one. An event more than the window out of order is evaluated when it is
read, as a late arrival: the findings are those of in-order arrival when it is late by less than
${RETENTION_HOURS} hours (or 4 windows), which is how long a replay remembers eventIDs, assumptions and history.

options:
  --config FILE       rolewatch.config.yml/.json (default: ./rolewatch.config.* if present)
  --format FORMAT     table (default), jsonl (one finding per line) or ocsf (one OCSF 1.x Detection
                      Finding, class 2004, per line)
  --fail-on SEVERITY  exit 1 if a finding at or above SEVERITY is reported (and 3 if any input was skipped)
  --allow-partial     exit 0, not 3, when input was skipped (a line, record or file that cannot be read);
                      never with --fail-on, which fails a run that did not read all of its input
  --reorder-window MINUTES  how far out of order the input may be and still be replayed in order
                      (default ${DEFAULT_WINDOW_MINUTES}: CloudTrail delivers an event within about 15 minutes)
  --policies FILE     customer-managed policy documents, for AttachRolePolicy offline:
                      {"<policy arn>": {"defaultVersionId": "v1", "versions": {"v1": {...}}}}

backfill into RoleWatch's DynamoDB table instead of memory (state, history and findings; no alerts):
  --table NAME        the table (the deployed one with your AWS credentials, or a local one)
  --endpoint URL      DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local
  --region REGION     AWS region of the table (default: AWS_REGION, else us-east-1)
  --create-table      create the table first if it does not exist (local use)
  With --table and no --endpoint, customer-managed policies are read from IAM with your credentials.
`;

/** Transitions worth printing: a finding opened, re-opened or escalated. Repeats and duplicates are counted, not printed. */
const REPORTED = new Set(['opened', 'reopened', 'escalated']);

export const runEvaluate = defineCommand(
  HELP,
  {
    allowPositionals: true,
    options: {
      ...FINDINGS_OPTIONS,
      policies: { type: 'string' },
      'create-table': { type: 'boolean' },
      'allow-partial': { type: 'boolean' },
      'reorder-window': { type: 'string' },
    },
  },
  async ({ values, positionals }) => {
    if (positionals.length === 0) throw new ValidationError('files', 'give at least one CloudTrail file or directory');
    const format = parseFormat(values.format, FINDING_FORMATS);
    const failOn = parseSeverity('--fail-on', values['fail-on']);
    const config = resolveConfig(values.config);
    const policies = values.policies ? readPolicies(values.policies) : undefined;

    const logger = {
      warn: (message: string, data?: Record<string, unknown>) =>
        process.stderr.write(`warning: ${message} ${JSON.stringify(data ?? {})}\n`),
    };
    const windowMs = reorderWindow(values['reorder-window']) * 60_000;
    setFlagsFromString(`--heap-growing-percent=${REPLAY_HEAP_GROWTH_PERCENT}`);
    const engine = values.table
      ? await backfillEngine({
          table: values.table,
          ...(values.endpoint ? { endpoint: values.endpoint } : {}),
          region: tableRegion(values.region),
          createTable: values['create-table'] === true,
          config,
          ...(policies ? { policies } : {}),
          logger,
        })
      : createMemoryContext({ config, ...(policies ? { policies } : {}), logger, retentionMs: replayRetention(windowMs) }).engine;
    const skips = new SkipReport((text) => process.stderr.write(text));
    let unwatched = 0;
    const stats: MergeStats = { files: 0, filesOpened: 0, late: 0, heldBack: 0 };
    const events = trailEventsInOrder(positionals, {
      windowMs,
      onError: (error) => skips.add(error),
      keep: (record) => {
        if (engine.isWatchedRecord(record)) return true;
        unwatched += 1;
        return false;
      },
      stats,
    });

    const { bySeverity, failed } = await replayAndReport(engine, events, {
      format,
      skipped: () => skips.total,
      unwatched: () => unwatched,
      merge: stats,
    });
    return partialRunExit({
      failed: failOn !== undefined && [...bySeverity.keys()].some((severity) => severityRank(severity) >= severityRank(failOn)),
      skips,
      failedEvents: failed,
      allowPartial: values['allow-partial'] === true,
      gated: failOn !== undefined,
    });
  },
);

/**
 * The exit code of a run that may have skipped input, after the skip summary (per reason) and, when the run fails
 * for it, one line saying so.
 */
export function partialRunExit(options: {
  failed: boolean;
  skips: SkipReport;
  failedEvents?: number;
  allowPartial: boolean;
  gated: boolean;
}): number {
  const { skips } = options;
  if (skips.total > 0) process.stderr.write(`${skips.summary()}\n`);
  const skipped = skips.total + (options.failedEvents ?? 0);
  const code = exitCodeOf({ ...options, skipped });
  if (code === EXIT.partial)
    process.stderr.write(
      options.gated
        ? 'exit 3: input was skipped, so --fail-on cannot pass this run\n'
        : 'exit 3: input was skipped; --allow-partial accepts a partial run\n',
    );
  return code;
}

/** --reorder-window in minutes: a positive number, at most a day. */
function reorderWindow(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WINDOW_MINUTES;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 1440)
    throw new ValidationError('--reorder-window', `must be a number of minutes from 0 to 1440, got "${value}"`);
  return minutes;
}

/** What an in-memory replay remembers behind its newest event: enough for events late by several windows. */
function replayRetention(windowMs: number): number {
  return Math.max(RETENTION_HOURS * 3_600_000, 4 * windowMs);
}

/** What a replay reported. */
export interface ReplayReport {
  events: number;
  /**
   * Findings opened, re-opened or escalated, in the order they happened: kept for the table only. The other
   * formats print each as it happens, so a long replay does not hold every finding it reported.
   */
  reported: RecordedFinding[];
  /** How many findings were reported, by severity (in every format). */
  bySeverity: Map<Severity, number>;
  suppressed: number;
  /** Events the engine could not evaluate. */
  failed: number;
}

/**
 * Replays events in the given order through the engine and prints what `rolewatch evaluate` prints: each
 * reported finding as a JSON line as it happens (jsonl), or one findings table at the end (table); then a
 * summary line on stderr. `skipped` counts input records dropped before the replay, for the summary.
 */
export async function replayAndReport(
  engine: Engine,
  events: readonly TrailEvent[] | AsyncIterable<TrailEvent>,
  options: {
    format: OutputFormat;
    /** Input records dropped before the replay (read as the replay ends: a stream counts them as it goes). */
    skipped?: () => number;
    unwatched?: () => number;
    /** The merge reading a stream of files, for the progress line and the summary. */
    merge?: MergeStats;
  },
): Promise<ReplayReport> {
  const { format } = options;
  const reported: RecordedFinding[] = [];
  const bySeverity = new Map<Severity, number>();
  let suppressed = 0;
  let failed = 0;
  let count = 0;
  const progress = Array.isArray(events)
    ? createProgress(events.length, 'events')
    : createReplayProgress(options.merge ?? { files: 0, filesOpened: 0, late: 0, heldBack: 0 });
  await replayEvents(engine, events, {
    onResult: (_event, result) => {
      count += 1;
      for (const recorded of result.findings) {
        if (recorded.transition === 'suppressed') suppressed += 1;
        if (!REPORTED.has(recorded.transition)) continue;
        const { severity } = recorded.finding;
        bySeverity.set(severity, (bySeverity.get(severity) ?? 0) + 1);
        if (format === 'table') reported.push(recorded);
        else process.stdout.write(findingLine(recorded.finding, recorded.transition, format));
      }
      progress.tick();
    },
    onError: (event, error) => {
      // One event that cannot be evaluated must not end the replay.
      count += 1;
      failed += 1;
      process.stderr.write(
        `error evaluating eventID ${event.eventId} (${event.eventName}): ${error instanceof Error ? error.message : String(error)}\n`,
      );
      progress.tick();
    },
  });
  progress.finish();

  if (format === 'table') {
    process.stdout.write(findingsTable(reported.map((r) => r.finding)));
  }
  const late = options.merge?.late ?? 0;
  process.stderr.write(
    `${summary(count, bySeverity, suppressed, options.skipped?.() ?? 0, failed, options.unwatched?.() ?? 0, late)}\n`,
  );
  return { events: count, reported, bySeverity, suppressed, failed };
}

function summary(
  events: number,
  bySeverity: ReadonlyMap<Severity, number>,
  suppressed: number,
  skipped: number,
  failed: number,
  unwatched = 0,
  late = 0,
): string {
  const total = [...bySeverity.values()].reduce((sum, count) => sum + count, 0);
  const counts = [...bySeverity].map(([severity, count]) => `${count} ${severity}`).join(', ');
  return [
    `${events} events evaluated`,
    `${total} findings${counts ? ` (${counts})` : ''}`,
    ...(suppressed > 0 ? [`${suppressed} suppressed`] : []),
    ...(unwatched > 0 ? [`${unwatched} records of calls RoleWatch does not watch`] : []),
    ...(skipped > 0 ? [`${skipped} records skipped`] : []),
    ...(failed > 0 ? [`${failed} events failed`] : []),
    ...(late > 0 ? [`${late} events read later than the reorder window (evaluated out of order, as late arrivals)`] : []),
  ].join(', ');
}

function readPolicies(path: string): PolicyFixtures {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PolicyFixtures;
  } catch (error) {
    throw new ValidationError('--policies', `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * The engine over RoleWatch's DynamoDB table, for backfills. Findings are recorded without alerting: months of
 * archives must not page anyone; the reporting API and the digest show them.
 */
async function backfillEngine(options: {
  table: string;
  endpoint?: string;
  region: string;
  createTable: boolean;
  config: Config;
  policies?: PolicyFixtures;
  logger: EngineLogger;
}): Promise<Engine> {
  const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const client = dynamoClient({ region: options.region, endpoint: options.endpoint });
  if (options.createTable) {
    const exists = await client.send(new DescribeTableCommand({ TableName: options.table })).then(
      () => true,
      (error: { name?: string }) => {
        if (error.name === 'ResourceNotFoundException') return false;
        throw error;
      },
    );
    if (!exists) await createTable(client, options.table);
  }
  let iam: IamReader = new StaticIamReader(options.policies);
  if (!options.endpoint && !options.policies) {
    const { IAMClient } = await import('@aws-sdk/client-iam');
    iam = new AwsIamReader(new IAMClient({ region: options.region }));
  }
  return createDynamoEngine({
    stores: createDynamoStores({ client, tableName: options.table }),
    config: options.config,
    iam,
    logger: options.logger,
    alerting: false,
  });
}
