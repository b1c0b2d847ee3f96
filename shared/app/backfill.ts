import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { collectTrailEvents, type TrailReadError } from '../cloudtrail/read';
import type { Engine } from '../engine/engine';
import { RoleWatchError } from '../errors';
import { replayEvents } from './replay';
import { parseStepInput } from './stepInput';
import type { HandlerLogger } from './trailEvents';

/**
 * A CloudTrail log file's key ends in `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`; the
 * time is when the file was delivered. Digest files, and anything else under the prefix, do not match.
 */
const LOG_FILE_KEY = /(?:^|\/)\d{12}_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]+\.json\.gz$/;

/** The delivery time (epoch ms) a CloudTrail log file's key carries, or undefined for any other key. */
export function logFileTime(key: string): number | undefined {
  const match = LOG_FILE_KEY.exec(key);
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match;
  const at = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute));
  // Date.UTC rolls month 13 or hour 25 over into the next: such a key is no CloudTrail key.
  const iso = new Date(at).toISOString();
  return iso.startsWith(`${year}-${month}-${day}T${hour}:${minute}`) ? at : undefined;
}

/** The log files of a backfill: delivered at or after `since`, before `until` (epoch ms). */
export interface BackfillWindow {
  since: number;
  until: number;
}

/** True for a CloudTrail log file delivered within the window. */
export function isInWindow(key: string, window: BackfillWindow): boolean {
  const at = logFileTime(key);
  return at !== undefined && at >= window.since && at < window.until;
}

/** One child of the backfill state machine: a batch of the trail's objects (ItemReader + ItemBatcher). */
export interface BackfillBatch extends BackfillWindow {
  bucket: string;
  keys: string[];
}

const batchSchema = z.object({
  // ItemBatcher's shape: the listed objects (ListObjectsV2 Contents) and the batch's shared input.
  Items: z.array(z.object({ Key: z.string().min(1).max(1024) })).max(10_000),
  BatchInput: z.object({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not an S3 bucket name'),
    since: z.iso.datetime({ offset: true }),
    until: z.iso.datetime({ offset: true }),
  }),
});

/** Validates what the state machine hands a child; a bad input is a deployment or CLI error, named. */
export function parseBackfillBatch(input: unknown): BackfillBatch {
  const { Items, BatchInput } = parseStepInput(batchSchema, 'backfill batch', input);
  return {
    bucket: BatchInput.bucket,
    keys: Items.map((item) => item.Key),
    since: Date.parse(BatchInput.since),
    until: Date.parse(BatchInput.until),
  };
}

/** What evaluating a batch did. */
export interface BackfillResult {
  files: number;
  /** Objects of the batch that are not log files of the window. */
  outside: number;
  events: number;
  findings: number;
  /** Records that could not be read or parsed, and events the engine refused (logged by eventID). */
  skipped: number;
}

export interface BackfillDeps {
  engine: Engine;
  /** The bytes of one object (gzipped JSON, as CloudTrail writes it). */
  read: (bucket: string, key: string) => Promise<Uint8Array>;
  /** Where the batch's files are written while they are evaluated (Lambda: /tmp). */
  workDir: string;
  onSkip: (error: TrailReadError) => void;
}

/**
 * Evaluates a batch of log files into the engine's store: the files are written to a work directory and read
 * by the same reader and replay as `rolewatch evaluate` (records in eventTime order; late events handled by
 * the engine's stamps). A record that cannot be used is reported and skipped; a failure of the store or of
 * S3 propagates, and the state machine retries the batch (events already processed are no-ops then).
 */
export async function backfillBatch(batch: BackfillBatch, deps: BackfillDeps): Promise<BackfillResult> {
  const keys = batch.keys.filter((key) => isInWindow(key, batch));
  const result: BackfillResult = {
    files: keys.length,
    outside: batch.keys.length - keys.length,
    events: 0,
    findings: 0,
    skipped: 0,
  };
  if (keys.length === 0) return result;
  const dir = await mkdtemp(join(deps.workDir, 'rolewatch-backfill-'));
  try {
    // Named by position: a key is hostile input and never becomes a path.
    await Promise.all(
      keys.map(async (key, i) =>
        writeFile(join(dir, `${String(i).padStart(5, '0')}.json.gz`), await deps.read(batch.bucket, key)),
      ),
    );
    const onSkip = (error: TrailReadError) => {
      result.skipped += 1;
      deps.onSkip(error);
    };
    const events = await collectTrailEvents([dir], onSkip, { keep: (record) => deps.engine.isWatchedRecord(record) });
    result.events = events.length;
    await replayEvents(deps.engine, events, {
      onResult: (_event, processed) => {
        result.findings += processed.findings.filter((f) => f.transition === 'opened' || f.transition === 'reopened').length;
      },
      onError: (event, error) => {
        if (!(error instanceof RoleWatchError)) throw error;
        onSkip({ source: event.eventName, eventId: event.eventId, message: error.message });
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

/**
 * The backfill state machine's step: one batch of log files, each skipped record logged, the result reported.
 * The engine's caches are dropped after the batch (a container runs many batches).
 */
export async function backfillStep(
  input: unknown,
  deps: Omit<BackfillDeps, 'onSkip'> & { logger: HandlerLogger },
): Promise<BackfillResult> {
  const batch = parseBackfillBatch(input);
  const { logger, ...rest } = deps;
  try {
    const result = await backfillBatch(batch, { ...rest, onSkip: (error) => logger.warn('record skipped', { ...error }) });
    logger.info('batch evaluated', { bucket: batch.bucket, first: batch.keys[0], ...result });
    return result;
  } finally {
    deps.engine.clearCaches();
  }
}
