import { accountOfArn, partitionOfArn } from '../arn';
import type { TrailActor } from './types';

/** True for a JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own property, so that `__proto__` or `constructor` never resolve to something inherited. */
function ownValue(obj: unknown, key: string): unknown {
  return isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** `obj[key]` when `obj` is an object and the value is a string (the empty string included); otherwise undefined. Never throws. */
export function getString(obj: unknown, key: string): string | undefined {
  const value = ownValue(obj, key);
  return typeof value === 'string' ? value : undefined;
}

/** `obj[key]` when `obj` is an object and the value is a boolean; otherwise undefined. Never throws. */
export function getBoolean(obj: unknown, key: string): boolean | undefined {
  const value = ownValue(obj, key);
  return typeof value === 'boolean' ? value : undefined;
}

/** `obj[key]` when `obj` is an object and the value is an object (not null, not an array); otherwise undefined. Never throws. */
export function getRecord(obj: unknown, key: string): Record<string, unknown> | undefined {
  const value = ownValue(obj, key);
  return isRecord(value) ? value : undefined;
}

/**
 * `obj[key]` as a list of strings, the way IAM and CloudTrail write "one or many": a string gives a
 * one-element list, an array gives its string elements (others are dropped), anything else `[]`. Never throws.
 */
export function getStringList(obj: unknown, key: string): string[] {
  const value = ownValue(obj, key);
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  const list: string[] = [];
  for (const item of value) if (typeof item === 'string') list.push(item);
  return list;
}

/**
 * The canonical identity of who acted: the `source` of role-assumption edges and the actor of history entries.
 * Stable across sessions, so that one role assuming another is one edge, not one per session:
 * - AssumedRole: the session issuer's ARN (the role, not the session); without an issuer, the role ARN derived
 *   from the assumed-role ARN (its path is not in that ARN, so it is lost).
 * - IAMUser: the user ARN. Root: `arn:<partition>:iam::<account>:root`.
 * - AWSService: the service (`invokedBy`, e.g. lambda.amazonaws.com).
 * - AWSAccount: the account id, or the principal id when there is no account.
 * - WebIdentityUser / SAMLUser: `<provider>:<subject>` (subject = userName), or the provider alone.
 * - FederatedUser: the issuer's ARN (the IAM user or root that called GetFederationToken).
 * - otherwise: arn, else principalId, else `unknown`.
 */
export function actorPrincipal(actor: TrailActor): string {
  const fallback = actor.arn ?? actor.principalId ?? 'unknown';
  switch (actor.type) {
    case 'AssumedRole':
      return actor.sessionIssuer?.arn ?? (actor.arn === undefined ? undefined : roleArnOfSession(actor.arn)) ?? fallback;
    case 'IAMUser':
      return actor.arn ?? actor.principalId ?? actor.userName ?? 'unknown';
    case 'Root': {
      const account = actorAccount(actor);
      return account === undefined ? fallback : `arn:${partitionOfArn(actor.arn)}:iam::${account}:root`;
    }
    case 'AWSService':
      return actor.invokedBy ?? fallback;
    case 'AWSAccount':
      return actor.accountId ?? actor.principalId ?? 'unknown';
    case 'WebIdentityUser':
    case 'SAMLUser':
      if (actor.identityProvider === undefined) return actor.principalId ?? actor.arn ?? 'unknown';
      return actor.userName === undefined ? actor.identityProvider : `${actor.identityProvider}:${actor.userName}`;
    case 'FederatedUser':
      return actor.sessionIssuer?.arn ?? fallback;
    default:
      return fallback;
  }
}

/**
 * The account of whoever acted: `accountId`, else the session issuer's account, else the account field of the
 * actor's ARN. Undefined when none is known (AWS services, web identity and SAML users act from no account).
 */
export function actorAccount(actor: TrailActor): string | undefined {
  return actor.accountId ?? actor.sessionIssuer?.accountId ?? accountOfArn(actor.arn);
}

/** `arn:aws:sts::111122223333:assumed-role/Name/session` → `arn:aws:iam::111122223333:role/Name`. */
function roleArnOfSession(arn: string): string | undefined {
  const parts = arn.split(':');
  const resource = parts[5];
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sts' || !resource?.startsWith('assumed-role/')) return undefined;
  const nameEnd = resource.indexOf('/', 'assumed-role/'.length);
  const name = resource.slice('assumed-role/'.length, nameEnd === -1 ? undefined : nameEnd);
  if (name === '' || parts[4] === '') return undefined;
  return `arn:${parts[1]}:iam::${parts[4]}:role/${name}`;
}
