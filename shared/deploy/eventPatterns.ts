import { ASSUMPTION_EVENTS, POLICY_EVENTS, ROLE_EVENTS } from '../roles/roleEvents';
import { RULES } from '../rules/index';
import type { Rule } from '../rules/types';

/** CloudTrail event sources whose calls RoleWatch watches, besides IAM (the default). */
const SOURCE_OF_EVENT: Readonly<Record<string, string>> = {
  AssumeRole: 'sts.amazonaws.com',
  AssumeRoleWithWebIdentity: 'sts.amazonaws.com',
  AssumeRoleWithSAML: 'sts.amazonaws.com',
  AssumeRoot: 'sts.amazonaws.com',
  CreatePodIdentityAssociation: 'eks.amazonaws.com',
  UpdatePodIdentityAssociation: 'eks.amazonaws.com',
  AssociateIamInstanceProfile: 'ec2.amazonaws.com',
  ReplaceIamInstanceProfileAssociation: 'ec2.amazonaws.com',
  CreateFunction20150331: 'lambda.amazonaws.com',
  UpdateFunctionConfiguration20150331v2: 'lambda.amazonaws.com',
  UpdateFunctionConfiguration20150331: 'lambda.amazonaws.com',
  CreateTrail: 'cloudtrail.amazonaws.com',
  PutBucketLifecycle: 's3.amazonaws.com',
  PutBucketPolicy: 's3.amazonaws.com',
  DeleteBucketPolicy: 's3.amazonaws.com',
  StopLogging: 'cloudtrail.amazonaws.com',
  DeleteTrail: 'cloudtrail.amazonaws.com',
  UpdateTrail: 'cloudtrail.amazonaws.com',
  PutEventSelectors: 'cloudtrail.amazonaws.com',
  DisableRule: 'events.amazonaws.com',
  DeleteRule: 'events.amazonaws.com',
  RemoveTargets: 'events.amazonaws.com',
  PutRule: 'events.amazonaws.com',
  DeleteAnalyzer: 'access-analyzer.amazonaws.com',
  CreateArchiveRule: 'access-analyzer.amazonaws.com',
};

/** The CloudTrail event source of an event name RoleWatch listens to. */
export function sourceOfEvent(eventName: string): string {
  return SOURCE_OF_EVENT[eventName] ?? 'iam.amazonaws.com';
}

/** An EventBridge event pattern on CloudTrail API calls. */
export interface TrailEventPattern {
  source: string[];
  'detail-type': ['AWS API Call via CloudTrail'];
  detail: { eventSource: string[]; eventName: string[] };
}

/** Every event name the engine acts on: what the rules listen to and what changes role or policy state. */
export function watchedEventNames(rules: readonly Rule[] = RULES): string[] {
  return [...new Set(watchedEvents(rules).map((event) => event.name))].sort();
}

/** Every call the engine acts on, with its event source: a rule's `source` names it, else `sourceOfEvent`. */
export function watchedEvents(rules: readonly Rule[] = RULES): { source: string; name: string }[] {
  const events = [
    ...rules.flatMap((rule) => rule.events.map((name) => ({ source: rule.source ?? sourceOfEvent(name), name }))),
    ...[...Object.keys(ROLE_EVENTS), ...Object.keys(POLICY_EVENTS), ...ASSUMPTION_EVENTS].map((name) => ({
      source: sourceOfEvent(name),
      name,
    })),
  ];
  const seen = new Set<string>();
  return events.filter((event) => {
    const key = `${event.source} ${event.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function pattern(events: readonly { source: string; name: string }[]): TrailEventPattern {
  const sources = [...new Set(events.map((event) => event.source))].sort();
  return {
    source: sources.map((s) => `aws.${s.replace('.amazonaws.com', '')}`),
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventSource: sources, eventName: [...new Set(events.map((event) => event.name))].sort() },
  };
}

/** EventBridge refuses a rule whose pattern is longer than this (the default quota; raising it is a request to AWS). */
export const MAX_PATTERN_CHARS = 2048;

/**
 * The EventBridge patterns, derived from the rule registry (one source of truth; a test compares them
 * with the deployed template):
 * - `iamChanges`: IAM write calls (global: delivered only in us-east-1);
 * - `monitorTampering`: the write calls of every other service RoleWatch watches: those that can blind the
 *   monitor (CloudTrail, EventBridge, Access Analyzer, the trail's bucket) and those that open other ways into a
 *   role's power (Identity Center, Organizations guardrails, Roles Anywhere, EKS, EC2 instance profiles,
 *   Lambda). Most are regional, hence forwarded from every region; Organizations calls arrive in us-east-1;
 * - `roleAssumptions`: STS assume calls (and AssumeRoot), read-only events that need the rule state
 *   ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, so that rule names only these calls.
 */
export function eventPatterns(
  rules: readonly Rule[] = RULES,
): Record<'iamChanges' | 'monitorTampering' | 'roleAssumptions', TrailEventPattern> {
  const events = watchedEvents(rules);
  const of = (source: string) => events.filter((event) => event.source === source);
  return {
    iamChanges: pattern(of('iam.amazonaws.com')),
    monitorTampering: pattern(events.filter((event) => !['iam.amazonaws.com', 'sts.amazonaws.com'].includes(event.source))),
    roleAssumptions: pattern(of('sts.amazonaws.com')),
  };
}

/**
 * Whether a CloudTrail record matches a pattern the way EventBridge matches the "AWS API Call via
 * CloudTrail" event that carries it (RoleWatch's patterns only list sources and event names). Used where
 * EventBridge is absent: the local monitor routes events to the same functions the rules target.
 */
export function matchesPattern(pattern: TrailEventPattern, record: { eventSource?: unknown; eventName?: unknown }): boolean {
  return (
    typeof record.eventSource === 'string' &&
    typeof record.eventName === 'string' &&
    pattern.detail.eventSource.includes(record.eventSource) &&
    pattern.detail.eventName.includes(record.eventName)
  );
}
