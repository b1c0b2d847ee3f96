import { isRecord } from '../cloudtrail/accessors';
import { listTrailFiles, openTrailFile, parseInput, type TrailReadError } from '../cloudtrail/read';
import type { TrailEvent } from '../cloudtrail/types';
import { deliveryTime, type MergeFile, type MergeStats, mergeByTime } from './merge';

/** How a replay reads its input. */
export interface ReplayInputOptions {
  /** How far out of order events may be read and still be replayed in order (see mergeByTime). */
  windowMs: number;
  /** Input that could not be read or is not a usable event. */
  onError: (error: TrailReadError) => void;
  /** Records to parse at all (a replay drops the calls nothing watches before parsing them). */
  keep?: (record: unknown) => boolean;
  /** Filled in as the replay goes: files, files opened, late events, events held back. */
  stats?: MergeStats;
}

/**
 * The events of every file under `paths`, in eventTime order, with memory bounded by the window: each file is
 * read as a stream (the per-file reader) and the files are merged by time ({@link mergeByTime}). A CloudTrail
 * log file's name says when it was delivered, which places it; when more than one file has another name,
 * each of those is read once beforehand for its earliest event time.
 *
 * @throws ValidationError before yielding anything when a path does not exist or cannot be accessed.
 */
export async function* trailEventsInOrder(paths: string[], options: ReplayInputOptions): AsyncGenerator<TrailEvent> {
  const { windowMs, onError, keep } = options;
  const named: MergeFile[] = [];
  const unnamed: string[] = [];
  for await (const entry of listTrailFiles(paths)) {
    if (typeof entry !== 'string') onError({ source: entry.source, message: entry.error, reason: entry.reason });
    else {
      const delivered = deliveryTime(entry);
      if (delivered === undefined) unnamed.push(entry);
      else named.push({ file: entry, from: delivered - windowMs });
    }
  }
  const files = [...named];
  for (const file of unnamed)
    files.push({ file, from: unnamed.length > 1 ? await earliestTime(file) : Number.NEGATIVE_INFINITY });
  async function* eventsOf(file: string): AsyncGenerator<TrailEvent> {
    for await (const batch of openTrailFile(file).batches()) {
      for (const input of batch) {
        const event = parseInput(input, onError, keep);
        if (event) yield event;
      }
    }
  }
  yield* mergeByTime(files, eventsOf, { windowMs, ...(options.stats ? { stats: options.stats } : {}) });
}

/** The earliest eventTime among a file's records, read without parsing them into events; -Infinity when none. */
async function earliestTime(file: string): Promise<number> {
  let earliest = Number.POSITIVE_INFINITY;
  for await (const batch of openTrailFile(file).batches()) {
    for (const input of batch) {
      if (!('record' in input)) continue;
      const record = isRecord(input.record) && isRecord(input.record.detail) ? input.record.detail : input.record;
      const time = isRecord(record) && typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
      if (time < earliest) earliest = time;
    }
  }
  return earliest === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : earliest;
}
