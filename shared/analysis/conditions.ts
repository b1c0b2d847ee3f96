/**
 * Condition helpers for trust-policy analysis: which clauses sit on a key, which of them actually narrow
 * who may assume a role, which keys are single-valued, and how a principal string maps to an account.
 * Everything here is pure and allocation-light: it runs for every trust policy on every reconcile.
 */
import type { ConditionClause, Statement } from '../policy/types';

/**
 * Operators whose values may hold the wildcards `*` and `?`. ArnEquals is among them: IAM matches each
 * ARN component with wildcards for ArnEquals exactly as for ArnLike. For every other operator a `*` is
 * a literal character.
 */
const WILDCARD_OPERATORS: ReadonlySet<string> = new Set(['stringlike', 'arnlike', 'arnequals']);

/**
 * Operators that grant only when the request value matches one of the listed values. Negated operators
 * (StringNotEquals, ArnNotLike, NotIpAddress...) do the opposite: they admit everybody except the listed
 * values, so they never narrow who can assume. `Null` only tests presence.
 */
const POSITIVE_OPERATORS: ReadonlySet<string> = new Set([
  'stringequals',
  'stringequalsignorecase',
  'stringlike',
  'arnequals',
  'arnlike',
  'ipaddress',
]);

/** How the value of a who-restricting key is judged: see {@link restrictsWho}. */
type WhoKeyShape = 'id' | 'path' | 'arn' | 'userid' | 'name' | 'cidr';

/**
 * Keys that identify the caller (or, for a service principal, the resource the service acts for) well
 * enough that a non-wildcard value narrows "who" to something the role owner controls or chose:
 * - organization / account ids: aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount,
 *   aws:SourceAccount, aws:SourceOrgID, aws:SourceOrgPaths, aws:SourceOwner (older name of SourceAccount);
 * - ARNs: aws:PrincipalArn, aws:SourceArn;
 * - aws:userid (unique ids such as `AROA...:session` are never reused);
 * - aws:PrincipalServiceName: only that AWS service's principal can call (confused-deputy risk is
 *   reported separately, on service principals);
 * - network origin owned by one account: aws:SourceVpc, aws:SourceVpce, and aws:SourceIp (the keys IAM
 *   Access Analyzer also treats as making a policy non-public).
 * Deliberately absent: aws:username (anybody can create a user of that name in their own account),
 * aws:PrincipalTag/* (a caller tags itself), aws:PrincipalType, aws:PrincipalIsAWSService (any service,
 * for any customer), sts:ExternalId (it protects against a confused deputy, it does not say who).
 */
const WHO_KEYS: ReadonlyMap<string, WhoKeyShape> = new Map<string, WhoKeyShape>([
  ['aws:principalorgid', 'id'],
  ['aws:principalorgpaths', 'path'],
  ['aws:principalaccount', 'id'],
  ['aws:principalarn', 'arn'],
  ['aws:sourceaccount', 'id'],
  ['aws:sourcearn', 'arn'],
  ['aws:sourceorgid', 'id'],
  ['aws:sourceorgpaths', 'path'],
  ['aws:sourceowner', 'id'],
  ['aws:userid', 'userid'],
  ['aws:principalservicename', 'name'],
  ['aws:sourcevpc', 'id'],
  ['aws:sourcevpce', 'id'],
  ['aws:sourceip', 'cidr'],
]);

/**
 * Keys that tie a service principal to the account or resource it acts for, i.e. the confused-deputy
 * guards AWS documents for service-role trust policies.
 */
const SOURCE_KEYS: ReadonlySet<string> = new Set([
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'aws:sourceowner',
]);

/**
 * Single-valued condition keys (one value per request). `ForAllValues:` on such a key is a mistake: the
 * qualifier also matches when the key is absent from the request, so an Allow becomes unconditional for
 * any caller whose request lacks the key. Sources: the IAM global condition key reference (which marks
 * every key single- or multivalued) and the STS service authorization reference. Multivalued keys such as
 * aws:PrincipalOrgPaths, aws:SourceOrgPaths, aws:TagKeys, aws:CalledVia, aws:PrincipalServiceNamesList,
 * sts:TransitiveTagKeys, `cognito-identity.amazonaws.com:amr` and the SAML eduPerson* attributes are not
 * listed and are legitimately used with set qualifiers.
 */
const SINGLE_VALUED_KEYS: ReadonlySet<string> = new Set([
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principalorgid',
  'aws:principaltype',
  'aws:principalisawsservice',
  'aws:principalservicename',
  'aws:userid',
  'aws:username',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceorgid',
  'aws:sourceowner',
  'aws:sourceip',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:vpcsourceip',
  'aws:sourceidentity',
  'aws:federatedprovider',
  'aws:tokenissuetime',
  'aws:multifactorauthpresent',
  'aws:multifactorauthage',
  'aws:securetransport',
  'aws:currenttime',
  'aws:epochtime',
  'aws:requestedregion',
  'aws:viaawsservice',
  'aws:calledviafirst',
  'aws:calledvialast',
  'aws:resourceaccount',
  'aws:resourceorgid',
  'aws:ec2instancesourcevpc',
  'aws:ec2instancesourceprivateipv4',
  'sts:externalid',
  'sts:rolesessionname',
  'sts:sourceidentity',
  'saml:aud',
  'saml:iss',
  'saml:sub',
  'saml:sub_type',
  'saml:namequalifier',
]);

/** Tag keys carry one value per tag key: `aws:PrincipalTag/team` is single-valued. */
const SINGLE_VALUED_PREFIXES: readonly string[] = ['aws:principaltag/', 'aws:requesttag/', 'aws:resourcetag/'];

/** OIDC claims that can hold several values in a request (Cognito's authentication methods). */
const MULTI_VALUED_WEB_IDENTITY_CLAIMS: ReadonlySet<string> = new Set(['amr']);

/** Returns the clauses of `statement` on `key` (keys are case-insensitive), in document order. */
export function conditionsOnKey(statement: Statement, key: string): ConditionClause[] {
  const lower = key.toLowerCase();
  return statement.conditions.filter((clause) => clause.keyLower === lower);
}

/**
 * Whether the clause's operator admits the listed values rather than excluding them (see
 * `POSITIVE_OPERATORS`), whatever its set qualifier or IfExists suffix.
 */
export function isPositiveOperator(clause: ConditionClause): boolean {
  return POSITIVE_OPERATORS.has(clause.base.toLowerCase());
}

/** Whether the clause's operator supports `*`/`?` wildcards in its values (StringLike, ArnLike, ArnEquals). */
export function isWildcardOperator(clause: ConditionClause): boolean {
  return WILDCARD_OPERATORS.has(clause.base.toLowerCase());
}

/**
 * Whether the clause grants only to requests whose value matches a listed value: a positive operator
 * (StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike, IpAddress), optionally with
 * `ForAnyValue:`. `ForAllValues:` and `...IfExists` do not qualify: both also match when the key is
 * absent from the request, so they do not require anything of a caller that simply lacks the key.
 */
export function isRequiringClause(clause: ConditionClause): boolean {
  return !clause.ifExists && clause.set !== 'ForAllValues' && isPositiveOperator(clause);
}

/**
 * Whether `clause` actually narrows WHO may assume the role: it must be a requiring clause (see
 * {@link isRequiringClause}) on one of the caller-identifying keys (see `WHO_KEYS` above) and every one
 * of its values (values are alternatives) must be narrow:
 * - account / organization / VPC ids: no wildcard (with a wildcard operator);
 * - organization paths: the organization id (first path segment) has no wildcard;
 * - ARNs: the account field has no wildcard, or, for ARNs without an account (S3 buckets), the whole
 *   value has none; a value that is not a six-part ARN must have no wildcard;
 * - aws:userid: the unique id before `:` has no wildcard (`AROAEXAMPLE:*` is narrow);
 * - aws:PrincipalServiceName: no wildcard;
 * - aws:SourceIp: not a /0 range.
 * A value of `*` under StringLike therefore never restricts; under StringEquals `*` is literal and
 * matches no real caller, which is narrow (it locks everyone out).
 */
export function restrictsWho(clause: ConditionClause): boolean {
  const shape = WHO_KEYS.get(clause.keyLower);
  if (shape === undefined || !isRequiringClause(clause) || clause.values.length === 0) return false;
  const wildcards = isWildcardOperator(clause);
  return clause.values.every((value) => isNarrowValue(shape, value, wildcards));
}

/**
 * Whether `clause` is a confused-deputy guard for a service principal: a clause that restricts who (see
 * {@link restrictsWho}) on aws:SourceAccount, aws:SourceArn, aws:SourceOrgID, aws:SourceOrgPaths or the
 * legacy aws:SourceOwner.
 */
export function isSourceCondition(clause: ConditionClause): boolean {
  return SOURCE_KEYS.has(clause.keyLower) && restrictsWho(clause);
}

/**
 * Whether `clause` pins sts:ExternalId: StringEquals, StringEqualsIgnoreCase or StringLike (optionally
 * ForAnyValue) on sts:ExternalId, without IfExists or ForAllValues (either would let a request without an
 * external id through), and with no value that is only wildcards under StringLike.
 */
export function isExternalIdCondition(clause: ConditionClause): boolean {
  if (clause.keyLower !== 'sts:externalid' || !isRequiringClause(clause) || clause.values.length === 0) return false;
  const base = clause.base.toLowerCase();
  if (base !== 'stringequals' && base !== 'stringequalsignorecase' && base !== 'stringlike') return false;
  return !isWildcardOperator(clause) || clause.values.every((value) => !isOnlyWildcards(value));
}

/**
 * Whether `key` (any case) is single-valued, so that `ForAllValues:` on it is a mistake. Covers the
 * global keys IAM documents as single-valued, tag keys, single-valued sts: and SAML: keys, and every
 * web-identity claim key `<issuer>:<claim>` (`token.actions.githubusercontent.com:sub`, `...:aud`,
 * `accounts.google.com:oaud`...) except Cognito's multivalued `:amr`.
 */
export function isSingleValuedKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (SINGLE_VALUED_KEYS.has(lower)) return true;
  for (const prefix of SINGLE_VALUED_PREFIXES) if (lower.startsWith(prefix)) return true;
  const claim = webIdentityClaim(lower);
  return claim !== undefined && !MULTI_VALUED_WEB_IDENTITY_CLAIMS.has(claim);
}

/**
 * The claim of a web-identity condition key (`oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub` → `sub`), or
 * undefined when the key is a service key (`aws:...`, `sts:...`, `saml:...`). Issuers are host names, so
 * the part before the last colon contains a dot; service prefixes never do.
 */
export function webIdentityClaim(key: string): string | undefined {
  const colon = key.lastIndexOf(':');
  if (colon <= 0 || colon === key.length - 1) return undefined;
  const issuer = key.slice(0, colon);
  return issuer.includes('.') ? key.slice(colon + 1).toLowerCase() : undefined;
}

/**
 * The 12-digit account id of an AWS principal: a bare account id, or an IAM/STS ARN in any partition
 * (`arn:aws:iam::111122223333:root`, `...:role/path/name`, `arn:aws-us-gov:sts::...:assumed-role/r/s`).
 * Undefined for anything else, such as the unique id (`AROA...`) IAM leaves in a trust policy after the
 * trusted role or user was deleted.
 */
export function accountOfPrincipal(value: string): string | undefined {
  if (isAccountId(value)) return value;
  const arn = splitArn(value);
  if (arn === undefined || (arn.service !== 'iam' && arn.service !== 'sts') || arn.resource === '') return undefined;
  return isAccountId(arn.account) ? arn.account : undefined;
}

/** Whether `value` is exactly twelve ASCII digits. */
export function isAccountId(value: string): boolean {
  if (value.length !== 12) return false;
  for (let i = 0; i < 12; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** The six components of an ARN; undefined when `value` is not `arn:partition:service:region:account:resource`. */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN into its components (the resource keeps any further colons). */
export function splitArn(value: string): ArnParts | undefined {
  if (!value.startsWith('arn:')) return undefined;
  const parts: string[] = [];
  let start = 4;
  for (let i = 0; i < 4; i++) {
    const colon = value.indexOf(':', start);
    if (colon < 0) return undefined;
    parts.push(value.slice(start, colon));
    start = colon + 1;
  }
  const [partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: value.slice(start) };
}

/**
 * IAM wildcard matching: `*` matches any run of characters, `?` exactly one. Linear-time greedy matcher
 * with single backtrack point (no regular expression is built per call). Case-sensitive: lower-case both
 * sides first for case-insensitive matching.
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && (c === 63 /* ? */ || c === value.charCodeAt(v))) {
      p++;
      v++;
    } else if (p < pattern.length && c === 42 /* * */) {
      star = p++;
      resume = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/** Whether `value` contains `*` or `?`. */
export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** Whether `value` is empty or made only of `*` and `?` (matches anything of some length). */
export function isOnlyWildcards(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code !== 42 && code !== 63) return false;
  }
  return true;
}

function isNarrowValue(shape: WhoKeyShape, value: string, wildcards: boolean): boolean {
  if (value === '') return false;
  if (shape === 'cidr') return !value.endsWith('/0');
  if (!wildcards) return true;
  switch (shape) {
    case 'id':
    case 'name':
      return !hasWildcard(value);
    case 'path': {
      const slash = value.indexOf('/');
      return !hasWildcard(slash < 0 ? value : value.slice(0, slash));
    }
    case 'userid': {
      const colon = value.indexOf(':');
      const id = colon < 0 ? value : value.slice(0, colon);
      return id !== '' && !hasWildcard(id);
    }
    case 'arn': {
      const arn = splitArn(value);
      if (arn === undefined) return !hasWildcard(value);
      if (arn.account === '') return !hasWildcard(value);
      return !hasWildcard(arn.account);
    }
  }
}
