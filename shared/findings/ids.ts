import { createHash } from 'node:crypto';
import type { TrailEvent } from '../cloudtrail/types';
import type { EventSummary } from './finding';

const ids = new Map<string, string>();

const USER_AGENT_CHARS = 256;

/**
 * A finding id: stable for the same account, rule, resource and qualifier, so repeats update one finding.
 * It starts with the account, so the key of every finding names its account.
 */
export function findingId(account: string, ruleId: string, resource: string, qualifier?: string): string {
  const name = `${account}\u0000${ruleId}\u0000${resource}\u0000${qualifier ?? ''}`;
  let id = ids.get(name);
  if (id === undefined) {
    id = `${account || 'unknown'}-${createHash('sha256').update(name).digest('base64url').slice(0, 22)}`;
    // Repeats are the common case (a service assuming its role all day): hash each finding once.
    if (ids.size >= 50_000) ids.clear();
    ids.set(name, id);
  }
  return id;
}

export function summariseEvent(event: TrailEvent): EventSummary {
  return {
    eventId: event.eventId,
    eventName: event.eventName,
    eventTime: event.eventTime,
    region: event.region,
    ...(event.actor.arn ? { actor: event.actor.arn } : event.actor.invokedBy ? { actor: event.actor.invokedBy } : {}),
    ...(event.actor.type ? { actorType: event.actor.type } : {}),
    ...(event.sourceIp ? { sourceIp: event.sourceIp } : {}),
    // User agents run to hundreds of characters; the start names the tool.
    ...(event.userAgent
      ? {
          userAgent:
            event.userAgent.length > USER_AGENT_CHARS ? `${event.userAgent.slice(0, USER_AGENT_CHARS)}...` : event.userAgent,
        }
      : {}),
  };
}

/** The last segment of an ARN's resource part: `arn:aws:iam::1:role/path/name` → `name`. */
export function resourceName(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const slash = resource.lastIndexOf('/');
  return slash >= 0 ? resource.slice(slash + 1) : resource || arn;
}
