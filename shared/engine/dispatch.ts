import { isRecord } from '../cloudtrail/accessors';
import { isReadOnlyEventName } from '../cloudtrail/parse';
import type { TrailEvent } from '../cloudtrail/types';
import { READ_ONLY_WATCHED, STATE_EVENT_NAMES } from '../roles/roleEvents';
import type { RuleRunner } from './ruleRunner';

const STATE_EVENTS: ReadonlySet<string> = new Set(STATE_EVENT_NAMES);

/**
 * Dispatch: which events the engine looks at at all. Most of a trail is calls RoleWatch does not watch (and its
 * own IAM reads), dropped before any I/O; a replay drops them before even parsing the record.
 */
export class EventFilter {
  constructor(private readonly rules: RuleRunner) {}

  /** True for events some rule listens to or that change role or policy state; read-only calls only if they assume a role (or AssumeRoot). */
  isWatched(event: Pick<TrailEvent, 'eventName' | 'eventSource' | 'readOnly'>): boolean {
    if (event.readOnly) return event.eventSource === 'sts.amazonaws.com' && READ_ONLY_WATCHED.has(event.eventName);
    return this.rules.listensTo(event.eventName) || STATE_EVENTS.has(event.eventName);
  }

  /**
   * The same test on a raw CloudTrail record (or EventBridge envelope), before it is parsed into an event.
   * Records it cannot judge this way count as watched, so that parsing reports what is wrong with them.
   */
  isWatchedRecord(raw: unknown): boolean {
    const record = isRecord(raw) && isRecord(raw.detail) && typeof raw['detail-type'] === 'string' ? raw.detail : raw;
    if (!isRecord(record)) return true;
    const { eventName, eventSource, readOnly } = record;
    if (typeof eventName !== 'string' || typeof eventSource !== 'string') return true;
    return this.isWatched({
      eventName,
      eventSource,
      readOnly: typeof readOnly === 'boolean' ? readOnly : isReadOnlyEventName(eventName),
    });
  }
}
