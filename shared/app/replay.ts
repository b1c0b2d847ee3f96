import type { TrailEvent } from '../cloudtrail/types';
import type { Engine, ProcessResult } from '../engine/engine';

/** What a replay does with each event's result, and with an event the engine could not evaluate. */
export interface ReplayHooks {
  onResult?: (event: TrailEvent, result: ProcessResult) => void;
  /** Rethrow to end the replay (an infrastructure failure to retry); return to go on with the next event. */
  onError: (event: TrailEvent, error: unknown) => void;
}

/**
 * Processes events one by one in the order given (eventTime order: the reader sorts them, or merges them as it reads). The one replay of
 * CloudTrail archives: `rolewatch evaluate` (in memory or into a table) and the backfill step in AWS run it.
 */
export async function replayEvents(
  engine: Engine,
  events: Iterable<TrailEvent> | AsyncIterable<TrailEvent>,
  hooks: ReplayHooks,
): Promise<void> {
  for await (const event of events) {
    let result: ProcessResult;
    try {
      result = await engine.process(event);
    } catch (error) {
      hooks.onError(event, error);
      continue;
    }
    hooks.onResult?.(event, result);
  }
}
