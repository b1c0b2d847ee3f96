import { createHash } from 'node:crypto';
import type { TrailEvent } from '../cloudtrail/types';
import type { Config, Severity } from '../config/config';
import { wildcardMatch } from '../policy/match';
import type { Rule, RuleMatch } from '../rules/types';
import { suppressionEnd } from './lifecycle';
import type { EventSummary, FindingDraft } from './ports';

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

const ids = new Map<string, string>();

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

const USER_AGENT_CHARS = 256;

/** The last segment of an ARN's resource part: `arn:aws:iam::1:role/path/name` → `name`. */
export function resourceName(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const slash = resource.lastIndexOf('/');
  return slash >= 0 ? resource.slice(slash + 1) : resource || arn;
}

/** Turns a rule match into a finding draft, applying the configured severity override. */
export function draftFinding(
  rule: Rule,
  match: RuleMatch,
  where: { account: string; region?: string; resource: string; roleName?: string; at: number; event?: TrailEvent },
  config: Config,
): FindingDraft {
  const resource = match.resource ?? where.resource;
  const severity: Severity = config.rules[rule.id]?.severity ?? match.severity ?? rule.severity;
  const region = where.event?.region ?? where.region;
  return {
    id: findingId(where.account, rule.id, resource, match.qualifier),
    ruleId: rule.id,
    kind: rule.kind,
    severity,
    title: rule.title,
    account: where.account,
    ...(region ? { region } : {}),
    resource,
    resourceName: resourceName(resource),
    ...(where.roleName && resource === where.resource ? { roleName: where.roleName } : {}),
    ...(match.qualifier ? { qualifier: match.qualifier } : {}),
    detail: match.detail,
    ...(match.evidence ? { evidence: match.evidence } : {}),
    ...(match.diff && match.diff.length > 0 ? { diff: match.diff } : {}),
    rationale: rule.rationale,
    remediation: rule.remediation,
    at: where.at,
    ...(where.event ? { event: summariseEvent(where.event) } : {}),
  };
}

/**
 * The configured suppression that covers a finding at a time, if any. A suppression's `resource` is a
 * pattern matched against the full ARN, the ARN's resource part (`role/legacy-*`) or the resource name.
 */
export function matchSuppression(
  config: Config,
  draft: Pick<FindingDraft, 'ruleId' | 'resource' | 'resourceName'>,
  at: number,
): { reason: string; by: string; until?: string } | undefined {
  const resourcePart = draft.resource.split(':').slice(5).join(':');
  for (const suppression of config.suppressions) {
    if (suppression.rule !== draft.ruleId) continue;
    if (suppression.until && suppressionEnd(suppression.until) < at) continue;
    const covers = [draft.resource, resourcePart, draft.resourceName].some((value) => wildcardMatch(suppression.resource, value));
    if (covers) return { reason: suppression.reason, by: 'config', ...(suppression.until ? { until: suppression.until } : {}) };
  }
  return undefined;
}
