/**
 * Whether a statement's Resource (or NotResource) element reaches the resources a check is about, as IAM
 * matches ARNs: component by component (partition, service, region, account, resource), wildcards within a
 * component, policy variables unknown offline. What a check is about is a {@link Target}:
 * - `any`: every resource of the account (admin-equivalence, "on all resources" checks);
 * - `role`, `user`, `group`: IAM principals of some account (not `aws`), reached by `role/...` ARNs;
 * - `customer-policy`: customer-managed policies, which AWS-managed ones (`arn:aws:iam::aws:policy/...`)
 *   are not: no customer can version or edit those;
 * - `resource`: a resource of another service, told apart only by how much of it the pattern covers.
 * `reach: 'all'` asks for every resource of the kind (an escalation path that takes over an existing role,
 * function or stack needs to reach the privileged one, which the policy author did not name); `some` asks
 * for at least one (a path that creates a resource can create one with a name the grant allows).
 */
import type { Statement } from '../policy/types';
import { hasWildcard, isAccountId, splitArn, wildcardMatch } from './conditions';

/** What kind of resource a check needs, and how much of it. */
export interface Target {
  kind: 'any' | 'role' | 'user' | 'group' | 'customer-policy' | 'resource';
  reach: 'all' | 'some';
  /** The caller's own principal counts (self-escalation): `user/${aws:username}` reaches it. */
  selfAllowed?: boolean;
  /** For `resource`: the action's service, which tells whether an entry covers all of its resources. */
  service?: string;
}

/** Every resource: the target of admin-equivalence and of the "on all resources" checks. */
export const ALL_RESOURCES: Target = { kind: 'any', reach: 'all' };

const IAM_TYPES: Record<string, string> = { role: 'role/', user: 'user/', group: 'group/', 'customer-policy': 'policy/' };

/** True for `*` and for ARNs made only of wildcards after the partition (`arn:aws:*:*:*:*`, `arn:*:*`). */
export function isAllResourcesPattern(resource: string): boolean {
  return /^\*+$/.test(resource) || /^arn:[^:]*:\*+(:\*+)*$/.test(resource);
}

/**
 * A user ARN whose name is the caller's own user name (`arn:aws:iam::*:user/${aws:username}`, any path):
 * it reaches only the caller, never another user.
 */
export function isSelfOnlyUserPattern(entry: string): boolean {
  return /:user\/(?:[^$]*\/)?\$\{aws:username\}$/i.test(entry);
}

/** Policy variables (`${aws:PrincipalTag/team}`) are unknown offline: they may stand for anything. */
function withoutVariables(entry: string): string {
  return entry.includes('${') ? entry.replace(/\$\{[^}]*\}/g, '*') : entry;
}

/** Whether one Resource entry reaches the target. */
export function entryReaches(entry: string, target: Target): boolean {
  if (target.kind === 'user' && isSelfOnlyUserPattern(entry)) return target.selfAllowed === true;
  const pattern = withoutVariables(entry);
  if (isAllResourcesPattern(pattern)) return true;
  if (target.kind === 'any') return false;
  const arn = splitArn(pattern);
  if (!arn) return false;
  const type = IAM_TYPES[target.kind];
  if (type !== undefined) {
    if (!wildcardMatch(arn.service, 'iam')) return false;
    if (!hasWildcard(arn.account) && !isAccountId(arn.account)) return false;
    return target.reach === 'all' ? coversEveryName(arn.resource, type) : mayMatchPrefix(arn.resource, type);
  }
  if (target.reach === 'some') return true;
  return coversEveryName(arn.resource, '');
}

/**
 * Whether a resource component covers every resource of a type: it is the type's prefix (or `*`) followed
 * only by wildcards (`role/*`, `function:*`, `instance/*`, `*`). For `typePrefix` '' any type token counts.
 */
function coversEveryName(resource: string, typePrefix: string): boolean {
  const stem = resource.replace(/\*+$/, '');
  if (stem.length === resource.length) return false;
  if (typePrefix !== '') return typePrefix.startsWith(stem);
  return /^[A-Za-z0-9_-]*[:/]?$/.test(stem);
}

/** Whether a pattern may match something starting with `prefix`: their literal beginnings agree. */
function mayMatchPrefix(resource: string, prefix: string): boolean {
  const wildcardAt = resource.search(/[*?]/);
  const literal = wildcardAt < 0 ? resource : resource.slice(0, wildcardAt);
  return literal.startsWith(prefix) || (wildcardAt >= 0 && prefix.startsWith(literal));
}

/**
 * Whether an Allow statement's resource element reaches the target. NotResource is the complement: it
 * reaches the target unless an excluded entry covers all of it (`NotResource: "*"` reaches nothing); an
 * Allow that excludes a few named resources still reaches practically all of them.
 */
export function allowReaches(s: Statement, target: Target): boolean {
  if (s.resource) return s.resource.some((entry) => entryReaches(entry, target));
  if (s.notResource) return !s.notResource.some((entry) => coversWholeTarget(entry, target));
  return true;
}

/**
 * Whether one entry covers every resource the target could be. For IAM targets, every role (user, group,
 * customer policy) of an account; for other services only `*`-like ARNs or the whole service
 * (`arn:aws:lambda:*:*:*`): one resource type of a service (`function:*`) is not every resource an action
 * of it may be allowed on.
 */
function coversWholeTarget(entry: string, target: Target): boolean {
  const pattern = withoutVariables(entry);
  if (isAllResourcesPattern(pattern)) return true;
  if (target.kind !== 'any' && target.kind !== 'resource') return entryReaches(entry, { ...target, reach: 'all' });
  const arn = splitArn(pattern);
  return (
    arn !== undefined &&
    target.service !== undefined &&
    wildcardMatch(arn.service, target.service) &&
    /^\*+$/.test(arn.region || '*') &&
    /^\*+$/.test(arn.account || '*') &&
    /^\*+$/.test(arn.resource)
  );
}

/**
 * A Deny on every resource of one type of the action's own service (`arn:aws:lambda:*:*:function:*` for
 * lambda:UpdateFunctionCode) removes the action: escalation actions act on one type of their service.
 */
function coversTypeOfService(entry: string, target: Target): boolean {
  if (target.kind !== 'resource' || target.service === undefined) return false;
  const arn = splitArn(withoutVariables(entry));
  return arn !== undefined && wildcardMatch(arn.service, target.service) && coversEveryName(arn.resource, '');
}

/**
 * Whether a Deny statement's resource element removes everything `allow` reaches of the target: the Deny
 * covers all of the target, or covers each reaching entry of the Allow (a Deny pattern that matches the
 * Allow's pattern as text contains it). A Deny with NotResource removes the target unless an excluded entry
 * reaches some of it.
 */
export function denyCovers(deny: Statement, allow: Statement, target: Target): boolean {
  if (deny.notResource) {
    if (target.kind === 'any' || target.kind === 'resource')
      return !deny.notResource.some((entry) => isAllResourcesPattern(withoutVariables(entry)));
    return !deny.notResource.some((entry) => entryReaches(entry, { ...target, reach: 'some', selfAllowed: true }));
  }
  const denied = deny.resource ?? ['*'];
  if (denied.some((entry) => coversWholeTarget(entry, target) || coversTypeOfService(entry, target))) return true;
  if (!allow.resource) return false;
  const reaching = allow.resource.filter((entry) => entryReaches(entry, target));
  return reaching.length > 0 && reaching.every((entry) => denied.some((pattern) => wildcardMatch(pattern, entry)));
}
