import type { TrailEvent } from './types';

/**
 * CloudTrail writes event times to the second, so a script's calls often share one: CreateRole and the
 * AttachRolePolicy that makes the new role an administrator, DetachRolePolicy and the DeleteRole after it.
 * Within one second the order is causal, not the eventID's (a random UUID): whatever creates a thing comes
 * before anything done to it, whatever deletes it after.
 */

/** Phase of an event within its second: 0 creates, 1 changes (the default), 2 deletes. */
export type CausalPhase = 0 | 1 | 2;

/** Calls that bring into being what later calls of the same second act on, by event source. */
const CREATES: Readonly<Record<string, readonly string[]>> = {
  'iam.amazonaws.com': ['CreateRole', 'CreatePolicy', 'CreateInstanceProfile'],
};

/** Calls that end what earlier calls of the same second acted on, by event source. */
const DELETES: Readonly<Record<string, readonly string[]>> = {
  'iam.amazonaws.com': ['DeleteRole', 'DeletePolicy', 'DeleteInstanceProfile'],
};

/** The causal phase of an event: where it goes among the events of its second. */
export function causalPhase(event: Pick<TrailEvent, 'eventSource' | 'eventName'>): CausalPhase {
  if (CREATES[event.eventSource]?.includes(event.eventName)) return 0;
  if (DELETES[event.eventSource]?.includes(event.eventName)) return 2;
  return 1;
}

/**
 * The order in which events took effect: by time, within a second by causal phase, then by eventID (a
 * stable, arbitrary tie-break between independent calls).
 */
export function compareTrailEvents(
  a: Pick<TrailEvent, 'time' | 'eventId' | 'eventSource' | 'eventName'>,
  b: Pick<TrailEvent, 'time' | 'eventId' | 'eventSource' | 'eventName'>,
): number {
  if (a.time !== b.time) return a.time - b.time;
  const phase = causalPhase(a) - causalPhase(b);
  if (phase !== 0) return phase;
  if (a.eventId === b.eventId) return 0;
  return a.eventId < b.eventId ? -1 : 1;
}
