import type { TrailEvent } from '../cloudtrail/types';
import type { Config } from '../config/config';
import type { FindingDraft } from '../findings/finding';
import { findingId, resourceName, summariseEvent } from '../findings/ids';
import { suppressionEnd } from '../findings/lifecycle';
import type { Severity } from '../findings/severity';
import { wildcardMatch } from '../policy/match';
import type { Rule, RuleMatch } from '../rules/types';

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
  // Worked out only for a suppression of the draft's rule: most drafts have none.
  let resourcePart: string | undefined;
  for (const suppression of config.suppressions) {
    if (suppression.rule !== draft.ruleId) continue;
    if (suppression.until && suppressionEnd(suppression.until) < at) continue;
    resourcePart ??= draft.resource.split(':').slice(5).join(':');
    const covers = [draft.resource, resourcePart, draft.resourceName].some((value) => wildcardMatch(suppression.resource, value));
    if (covers) return { reason: suppression.reason, by: 'config', ...(suppression.until ? { until: suppression.until } : {}) };
  }
  return undefined;
}
