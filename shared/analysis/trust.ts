/**
 * Trust-policy analysis: who can assume a role, and under which conditions. Pure and synchronous; it
 * runs on every CreateRole / UpdateAssumeRolePolicy and on every role at reconcile, so it builds no
 * regular expression and no lookup structure per call.
 */
import type { ConditionClause, PolicyDocument, PrincipalSet, Statement } from '../policy/types';
import {
  accountOfPrincipal,
  conditionsOnKey,
  hasWildcard,
  isExternalIdCondition,
  isOnlyWildcards,
  isPositiveOperator,
  isRequiringClause,
  isSingleValuedKey,
  isSourceCondition,
  isWildcardOperator,
  restrictsWho,
  splitArn,
  wildcardMatch,
} from './conditions';
import confusedDeputy from './data/confusedDeputyServices.json';

/** A vendor account from `trustedThirdParties` in the configuration. */
export interface ThirdParty {
  account: string;
  name: string;
  requireExternalId: boolean;
}

/** What the analysis needs to know about the role's surroundings. */
export interface TrustContext {
  /** The role's own account id. */
  account: string;
  /** Accounts of the own organization (`knownAccounts`). */
  knownAccounts: readonly string[];
  /** Vendor accounts (`trustedThirdParties`). */
  thirdParties: readonly ThirdParty[];
}

/** An Allow statement that lets any principal assume the role. */
export interface AnyPrincipalTrust {
  statement: number;
  /** `principal` for Principal "*" or {"AWS": "*"}; `not-principal` for Allow with NotPrincipal. */
  via: 'principal' | 'not-principal';
  /** For `not-principal`: the principals excluded, as in {@link TrustAnalysis.principals}. */
  excluded: string[];
  /** Clauses of the same statement that narrow who can assume (see `restrictsWho`); empty = anybody. */
  restrictingConditions: ConditionClause[];
}

/** How a trusted account relates to the role's account. */
export type AccountRelation = 'own' | 'known' | 'third-party' | 'unknown';

/** An AWS principal (account, user, role, session) resolved to its account. */
export interface AccountTrust {
  statement: number;
  /** The principal as written in the policy. */
  principal: string;
  account: string;
  relation: AccountRelation;
  /** Set when `relation` is `third-party`. */
  thirdParty?: { name: string; requireExternalId: boolean };
  /** The statement pins sts:ExternalId (see `isExternalIdCondition`). */
  hasExternalId: boolean;
  /** sts:TagSession / sts:SetSourceIdentity the statement also grants: the principal sets the session's tags or source identity. */
  sessionControls: string[];
}

/** An AWS principal that is neither an account id nor an IAM/STS ARN, e.g. `AROA...` left by a deleted role. */
export interface UnresolvedPrincipal {
  statement: number;
  principal: string;
}

/** Web identity provider families, each with its own subject format. */
export type WebIdentityKind = 'github' | 'gitlab' | 'eks' | 'cognito' | 'google' | 'other';

/**
 * - `no-sub`: nothing requires a subject (only for providers whose subject is what identifies the
 *   workload: GitHub, GitLab, EKS and generic OIDC; for Cognito, Google, Facebook and Login with Amazon
 *   the audience, i.e. the app or identity pool, is the control and the subject is one end user);
 * - `broad-sub`: every subject clause admits a broad value (see {@link isBroadSubject});
 * - `no-aud`: nothing requires a non-wildcard audience;
 * - `for-all-values-sub`: a subject clause uses `ForAllValues:`, which also matches a token without it.
 */
export type WebIdentityProblem = 'no-sub' | 'broad-sub' | 'no-aud' | 'for-all-values-sub';

/** A Federated OIDC principal (AssumeRoleWithWebIdentity). */
export interface WebIdentityTrust {
  statement: number;
  /** The Federated principal as written. */
  principal: string;
  /** The issuer as used in condition keys: host plus any path (`oidc.eks.eu-west-1.amazonaws.com/id/ABC`). */
  provider: string;
  /** The issuer's host name, lower case. */
  host: string;
  kind: WebIdentityKind;
  /** Clauses on the subject claim (`<provider>:sub`; `:id` for Facebook, `:user_id` for Login with Amazon). */
  subjectConditions: ConditionClause[];
  /** Clauses on the audience claim (`<provider>:aud`; `:app_id` for Facebook and Login with Amazon). */
  audienceConditions: ConditionClause[];
  /** Clauses on `cognito-identity.amazonaws.com:amr` (authenticated vs unauthenticated); Cognito only. */
  amrConditions: ConditionClause[];
  /**
   * Clauses on claims other than the subject that pin the repository or workflow (GitHub's `repository`,
   * `repository_id`, `job_workflow_ref`) or only its owner (`repository_owner`, `repository_owner_id`,
   * `enterprise`, `enterprise_id`, `actor_id`): AWS STS evaluates these claims since January 2026.
   */
  pinningConditions: ConditionClause[];
  /** The subject values (or owner-only pins) that are broad. */
  broadSubjects: string[];
  problems: WebIdentityProblem[];
}

/** A Federated SAML principal (AssumeRoleWithSAML). */
export interface SamlTrust {
  statement: number;
  principal: string;
  /** A clause requires SAML:aud (normally `https://signin.aws.amazon.com/saml`). */
  hasAudienceCondition: boolean;
  audienceConditions: ConditionClause[];
}

/** A Service principal. */
export interface ServiceTrust {
  statement: number;
  principal: string;
  /** The service name without domain or region: `logs.us-east-1.amazonaws.com` → `logs`. */
  service: string;
  /** The service can be made to assume the role for resources of other accounts (see {@link CROSS_ACCOUNT_SERVICES}). */
  crossAccountCapable: boolean;
  /** A clause ties the service to the source account or resource (see `isSourceCondition`). */
  hasSourceCondition: boolean;
  sourceConditions: ConditionClause[];
  /**
   * For services that hand the role to workloads of the account: `pod-identity` (pods.eks.amazonaws.com)
   * without a namespace or service-account session-tag condition, `roles-anywhere` without a trust-anchor
   * aws:SourceArn or certificate-subject condition: any workload of the account that the service serves can
   * then get the role.
   */
  unguardedWorkload?: 'pod-identity' | 'roles-anywhere';
}

/** A `ForAllValues:` clause on a single-valued key in an Allow statement that grants an assume action. */
export interface ForAllValuesMisuse {
  statement: number;
  clause: ConditionClause;
}

/** Everything a trust policy grants, each entry pointing at its statement index. */
export interface TrustAnalysis {
  anyPrincipal: AnyPrincipalTrust[];
  accounts: AccountTrust[];
  unresolved: UnresolvedPrincipal[];
  webIdentity: WebIdentityTrust[];
  saml: SamlTrust[];
  services: ServiceTrust[];
  forAllValuesOnSingleValued: ForAllValuesMisuse[];
  /**
   * Sorted, de-duplicated trusted principals: `*`, `AWS:<value>`, `Service:<value>`, `Federated:<value>`,
   * `CanonicalUser:<value>`, values as written. An Allow with NotPrincipal contributes `*`.
   */
  principals: string[];
}

/** A caller, as an AssumeRole* CloudTrail event describes it. */
export interface AssumeSource {
  arn?: string;
  account?: string;
  service?: string;
  provider?: string;
}

/**
 * Services whose role can be driven by resources of other accounts, so that their trust needs
 * aws:SourceAccount / aws:SourceArn against the cross-service confused deputy: the services whose AWS
 * documentation says so for their role's trust policy (data/confusedDeputyServices.json, with each page).
 */
export const CROSS_ACCOUNT_SERVICES: ReadonlyMap<string, string> = new Map(
  Object.entries(confusedDeputy.services).map(([service, entry]) => [service, entry.why]),
);

const ASSUME_ACTIONS: readonly string[] = ['sts:assumerole', 'sts:assumerolewithwebidentity', 'sts:assumerolewithsaml'];

/** e.g. `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-isoe-west-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const OIDC_PROVIDER = 'oidc-provider/';

const SERVICE_DOMAINS: readonly string[] = ['.amazonaws.com.cn', '.amazonaws.com', '.amazon.com'];

interface ProviderProfile {
  kind: WebIdentityKind;
  subjectClaim: string;
  audienceClaim: string;
  requiresSubject: boolean;
}

const GENERIC_OIDC: ProviderProfile = { kind: 'other', subjectClaim: 'sub', audienceClaim: 'aud', requiresSubject: true };

/** Providers known by host. Social and Cognito providers are controlled by their audience (the app or pool). */
const KNOWN_PROVIDERS: ReadonlyMap<string, ProviderProfile> = new Map<string, ProviderProfile>([
  ['token.actions.githubusercontent.com', { ...GENERIC_OIDC, kind: 'github' }],
  ['gitlab.com', { ...GENERIC_OIDC, kind: 'gitlab' }],
  ['cognito-identity.amazonaws.com', { kind: 'cognito', subjectClaim: 'sub', audienceClaim: 'aud', requiresSubject: false }],
  ['accounts.google.com', { kind: 'google', subjectClaim: 'sub', audienceClaim: 'aud', requiresSubject: false }],
  ['graph.facebook.com', { kind: 'other', subjectClaim: 'id', audienceClaim: 'app_id', requiresSubject: false }],
  ['www.amazon.com', { kind: 'other', subjectClaim: 'user_id', audienceClaim: 'app_id', requiresSubject: false }],
]);

/** Whether an Allow statement grants sts:AssumeRole, AssumeRoleWithWebIdentity or AssumeRoleWithSAML (wildcards and NotAction included). */
export function grantsAssumeRole(statement: Statement): boolean {
  if (statement.effect !== 'Allow') return false;
  if (statement.action)
    return statement.action.some((action) => {
      const pattern = action.toLowerCase();
      return ASSUME_ACTIONS.some((assume) => wildcardMatch(pattern, assume));
    });
  if (statement.notAction) {
    const excluded = statement.notAction.map((action) => action.toLowerCase());
    return ASSUME_ACTIONS.some((assume) => !excluded.some((pattern) => wildcardMatch(pattern, assume)));
  }
  return false;
}

/**
 * Analyses a trust policy. Looks only at Allow statements that grant an assume action: Deny statements
 * neither trust nor, here, restrict (a Deny narrowing an Allow "*" is reported as trust-any-principal all
 * the same, because the Deny is easy to lose in the next edit). Never throws on a parsed document.
 */
export function analyseTrust(doc: PolicyDocument, ctx: TrustContext): TrustAnalysis {
  const result: TrustAnalysis = {
    anyPrincipal: [],
    accounts: [],
    unresolved: [],
    webIdentity: [],
    saml: [],
    services: [],
    forAllValuesOnSingleValued: [],
    principals: [],
  };
  const principals = new Set<string>();
  for (const statement of doc.statements) {
    if (!grantsAssumeRole(statement)) continue;
    if (statement.principal) analysePrincipal(doc, statement, statement.principal, ctx, result, principals);
    else if (statement.notPrincipal && !statement.notPrincipal.any) {
      result.anyPrincipal.push({
        statement: statement.index,
        via: 'not-principal',
        excluded: principalStrings(statement.notPrincipal),
        restrictingConditions: statement.conditions.filter(restrictsWho),
      });
      principals.add('*');
    } else continue; // NotPrincipal "*" or no principal at all: the statement trusts nobody.
    for (const clause of statement.conditions)
      if (clause.set === 'ForAllValues' && isSingleValuedKey(clause.keyLower))
        result.forAllValuesOnSingleValued.push({ statement: statement.index, clause });
  }
  result.principals = [...principals].sort();
  return result;
}

function analysePrincipal(
  doc: PolicyDocument,
  statement: Statement,
  principal: PrincipalSet,
  ctx: TrustContext,
  result: TrustAnalysis,
  principals: Set<string>,
): void {
  const index = statement.index;
  if (principal.any) {
    result.anyPrincipal.push({
      statement: index,
      via: 'principal',
      excluded: [],
      restrictingConditions: statement.conditions.filter(restrictsWho),
    });
    principals.add('*');
  }
  if (principal.aws.length > 0) {
    const hasExternalId = statement.conditions.some(isExternalIdCondition);
    for (const value of principal.aws) {
      const sessionControls = sessionControlsFor(doc, value);
      principals.add(`AWS:${value}`);
      const account = accountOfPrincipal(value);
      if (account === undefined) result.unresolved.push({ statement: index, principal: value });
      else
        result.accounts.push({
          statement: index,
          principal: value,
          account,
          hasExternalId,
          sessionControls,
          ...relationOf(account, ctx),
        });
    }
  }
  const sourceConditions = principal.service.length > 0 ? statement.conditions.filter(isSourceCondition) : [];
  for (const value of principal.service) {
    principals.add(`Service:${value}`);
    const service = serviceName(value);
    const unguarded = unguardedWorkloadOf(service, statement);
    result.services.push({
      statement: index,
      principal: value,
      service,
      crossAccountCapable: CROSS_ACCOUNT_SERVICES.has(service),
      hasSourceCondition: sourceConditions.length > 0,
      sourceConditions,
      ...(unguarded ? { unguardedWorkload: unguarded } : {}),
    });
  }
  for (const value of principal.federated) {
    principals.add(`Federated:${value}`);
    if (splitArn(value)?.resource.startsWith('saml-provider/')) {
      const audienceConditions = conditionsOnKey(statement, 'saml:aud');
      result.saml.push({
        statement: index,
        principal: value,
        hasAudienceCondition: audienceConditions.some(isRequiredValue),
        audienceConditions,
      });
    } else result.webIdentity.push(analyseWebIdentity(statement, value, oidcIssuer(value)));
  }
  for (const value of principal.canonicalUser) principals.add(`CanonicalUser:${value}`);
}

function relationOf(account: string, ctx: TrustContext): Pick<AccountTrust, 'relation' | 'thirdParty'> {
  if (account === ctx.account) return { relation: 'own' };
  // A vendor listed among known accounts too is still a vendor: its external-id requirement must apply.
  const vendor = ctx.thirdParties.find((party) => party.account === account);
  if (vendor) return { relation: 'third-party', thirdParty: { name: vendor.name, requireExternalId: vendor.requireExternalId } };
  return { relation: ctx.knownAccounts.includes(account) ? 'known' : 'unknown' };
}

function analyseWebIdentity(statement: Statement, principal: string, provider: string): WebIdentityTrust {
  const issuer = provider.toLowerCase();
  const slash = issuer.indexOf('/');
  const host = slash < 0 ? issuer : issuer.slice(0, slash);
  const profile = profileOf(host);
  const subjectConditions = conditionsOnKey(statement, `${issuer}:${profile.subjectClaim}`);
  const audienceConditions = conditionsOnKey(statement, `${issuer}:${profile.audienceClaim}`);
  const amrConditions = profile.kind === 'cognito' ? conditionsOnKey(statement, `${issuer}:amr`) : [];

  const problems: WebIdentityProblem[] = [];
  const positive = subjectConditions.filter(isPositiveOperator);
  const pins = profile.kind === 'github' ? githubPins(statement, issuer) : { repository: [], owner: [] };
  const pinningConditions = [...pins.repository, ...pins.owner];
  // Without a subject, a claim that pins the repository or workflow (or at least its owner) still says who.
  if (positive.length === 0 && pinningConditions.length === 0 && profile.requiresSubject) problems.push('no-sub');
  const broadSubjects: string[] = [];
  let everyClauseBroad = positive.length > 0;
  for (const clause of positive) {
    const wildcards = isWildcardOperator(clause);
    const broad = clause.values.filter((value) => isBroadSubject(profile.kind, value, wildcards));
    broadSubjects.push(...broad);
    if (broad.length === 0) everyClauseBroad = false;
  }
  // A broad subject is judged together with the other claims: a pinned repository or workflow narrows it;
  // an owner-only pin (organization, enterprise, actor) without a narrow subject is as broad as `repo:org/*`.
  if (pins.repository.length > 0) everyClauseBroad = false;
  else if (positive.length === 0 && pins.owner.length > 0) {
    everyClauseBroad = true;
    broadSubjects.push(...pins.owner.map((clause) => `${clause.key}=${clause.values.join('|')}`));
  }
  if (everyClauseBroad) problems.push('broad-sub');
  if (!audienceConditions.some(isRequiredValue)) problems.push('no-aud');
  if (subjectConditions.some((clause) => clause.set === 'ForAllValues')) problems.push('for-all-values-sub');

  return {
    statement: statement.index,
    principal,
    provider,
    host,
    kind: profile.kind,
    subjectConditions,
    audienceConditions,
    amrConditions,
    pinningConditions,
    broadSubjects: everyClauseBroad ? broadSubjects : [],
    problems,
  };
}

/** GitHub claims that pin the repository or the workflow file (which names its repository). */
const GITHUB_REPOSITORY_CLAIMS: ReadonlySet<string> = new Set(['repository', 'repository_id', 'job_workflow_ref']);
/** GitHub claims that pin only the owner, the enterprise or the person who ran the workflow. */
const GITHUB_OWNER_CLAIMS: ReadonlySet<string> = new Set([
  'repository_owner',
  'repository_owner_id',
  'enterprise',
  'enterprise_id',
  'actor_id',
]);

/**
 * Requiring clauses (no IfExists, no ForAllValues) on GitHub's repository and owner claims whose values are
 * narrow: no wildcard in a repository name or id (`org/*` pins only the owner), none before the `@` of a
 * workflow ref (`org/repo/.github/workflows/deploy.yml@refs/heads/*` pins the workflow).
 */
function githubPins(statement: Statement, issuer: string): { repository: ConditionClause[]; owner: ConditionClause[] } {
  const repository: ConditionClause[] = [];
  const owner: ConditionClause[] = [];
  for (const clause of statement.conditions) {
    if (!clause.keyLower.startsWith(`${issuer}:`) || !isRequiringClause(clause) || clause.values.length === 0) continue;
    const claim = clause.keyLower.slice(issuer.length + 1);
    const wildcards = isWildcardOperator(clause);
    const narrow = (value: string) => {
      if (value === '' || (wildcards && isOnlyWildcards(value))) return false;
      if (!wildcards) return true;
      const at = claim === 'job_workflow_ref' ? value.indexOf('@') : -1;
      return !hasWildcard(at < 0 ? value : value.slice(0, at));
    };
    if (GITHUB_REPOSITORY_CLAIMS.has(claim)) {
      if (clause.values.every(narrow)) repository.push(clause);
      else if (claim === 'repository' && clause.values.every((v) => !hasWildcard(v.slice(0, v.indexOf('/') + 1) || v)))
        owner.push(clause);
    } else if (GITHUB_OWNER_CLAIMS.has(claim) && clause.values.every(narrow)) owner.push(clause);
  }
  return { repository, owner };
}

const SESSION_CONTROL_ACTIONS: readonly string[] = ['sts:TagSession', 'sts:SetSourceIdentity'];

/** sts:TagSession / sts:SetSourceIdentity that any Allow statement of the document grants to an AWS principal. */
function sessionControlsFor(doc: PolicyDocument, principal: string): string[] {
  const found = new Set<string>();
  for (const statement of doc.statements)
    if (statement.principal?.aws.includes(principal)) for (const action of sessionControlsOf(statement)) found.add(action);
  return [...found];
}

/** sts:TagSession / sts:SetSourceIdentity that an Allow statement grants. */
function sessionControlsOf(statement: Statement): string[] {
  if (statement.effect !== 'Allow') return [];
  return SESSION_CONTROL_ACTIONS.filter((action) => {
    const lower = action.toLowerCase();
    if (statement.action) return statement.action.some((pattern) => wildcardMatch(pattern.toLowerCase(), lower));
    return (statement.notAction ?? []).every((pattern) => !wildcardMatch(pattern.toLowerCase(), lower));
  });
}

const POD_IDENTITY_TAGS: readonly string[] = ['aws:requesttag/kubernetes-namespace', 'aws:requesttag/kubernetes-service-account'];
const ROLES_ANYWHERE_PREFIXES: readonly string[] = ['aws:principaltag/x509subject/', 'aws:principaltag/x509san/'];

/** See {@link ServiceTrust.unguardedWorkload}. */
function unguardedWorkloadOf(service: string, statement: Statement): ServiceTrust['unguardedWorkload'] {
  const requiring = statement.conditions.filter((clause) => isRequiringClause(clause) && clause.values.length > 0);
  if (service === 'pods.eks') {
    const tagged = requiring.some((clause) => POD_IDENTITY_TAGS.includes(clause.keyLower));
    return tagged ? undefined : 'pod-identity';
  }
  if (service === 'rolesanywhere') {
    const anchored = statement.conditions.some((clause) => clause.keyLower === 'aws:sourcearn' && restrictsWho(clause));
    const subject = requiring.some((clause) => ROLES_ANYWHERE_PREFIXES.some((prefix) => clause.keyLower.startsWith(prefix)));
    return anchored || subject ? undefined : 'roles-anywhere';
  }
  return undefined;
}

function profileOf(host: string): ProviderProfile {
  const known = KNOWN_PROVIDERS.get(host);
  if (known) return known;
  if (host.startsWith('oidc.eks.') && (host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn')))
    return { ...GENERIC_OIDC, kind: 'eks' };
  // Self-managed GitLab is usually served from a host whose first label names it (gitlab.example.com).
  if (host.startsWith('gitlab.') || host.startsWith('gitlab-')) return { ...GENERIC_OIDC, kind: 'gitlab' };
  return GENERIC_OIDC;
}

/**
 * An audience (or SAML:aud) clause counts when it admits listed values (any positive operator; IfExists
 * and set qualifiers are tolerated because IAM always puts the audience of a verified token in the
 * request) and none of its values is only wildcards under a wildcard operator.
 */
function isRequiredValue(clause: ConditionClause): boolean {
  if (!isPositiveOperator(clause) || clause.values.length === 0) return false;
  return !isWildcardOperator(clause) || clause.values.every((value) => !isOnlyWildcards(value));
}

/**
 * Whether one subject value lets in more workloads than its author probably meant. `wildcards` says
 * whether the operator expands `*` and `?` (StringLike); under StringEquals they are literal.
 *
 * A subject is split at colons into an identity part and a context part:
 * - GitHub (`repo:ORG/REPO:CONTEXT`) and GitLab (`project_path:GROUP/PROJECT:CONTEXT`): the identity is
 *   the first two segments. Broad when the identity holds a wildcard (`repo:org/*`, `repo:*`,
 *   `repo:org/app*`), when the context starts with a wildcard or its first segment (the context type:
 *   `ref`, `environment`, `ref_type`...) holds one (`repo:org/app:*`), and, for GitHub, when the context
 *   can be `pull_request` (`repo:org/app:pull_request`, literal or matched), because any pull request,
 *   forks included where workflows run for them, gets that subject. A wildcard inside the context value
 *   is accepted: `repo:org/app:ref:refs/heads/*` and `repo:org/app:environment:*` stay narrow, while
 *   `repo:org/app:ref:refs/heads/main` and `repo:org/app:environment:prod` are the recommended forms.
 *   Custom GitHub subject templates (`repository_owner_id:123:...`) follow the same split.
 * - EKS (`system:serviceaccount:NAMESPACE:NAME`): the identity is the first three segments; a wildcard in
 *   the namespace is broad, a wildcard in the service account name is not (the namespace is the
 *   Kubernetes tenancy boundary).
 * - Other providers: the identity is the first two segments, or the whole value when it has fewer.
 * A value made only of wildcards is always broad.
 */
export function isBroadSubject(kind: WebIdentityKind, value: string, wildcards: boolean): boolean {
  if (!wildcards) return kind === 'github' && (value === 'pull_request' || value.endsWith(':pull_request'));
  if (isOnlyWildcards(value)) return true;
  const identityEnd = nthIndexOf(value, ':', kind === 'eks' ? 3 : 2);
  if (identityEnd < 0) return hasWildcard(value);
  if (hasWildcard(value.slice(0, identityEnd))) return true;
  if (kind !== 'github' && kind !== 'gitlab') return false;
  const context = value.slice(identityEnd + 1);
  if (context === '') return false;
  const typeEnd = context.indexOf(':');
  if (hasWildcard(typeEnd < 0 ? context : context.slice(0, typeEnd))) return true;
  return kind === 'github' && wildcardMatch(context, 'pull_request');
}

/**
 * Whether a trusted principal (an entry of {@link TrustAnalysis.principals}, or a raw AWS principal)
 * covers a caller: `*` covers everyone; an account (bare id or `:root` ARN) covers any ARN in that account
 * (same partition) and the account itself; a role or user ARN covers exactly that ARN, and a role also
 * covers its sessions (`arn:aws:sts::ID:assumed-role/NAME/session`, where IAM drops the role path);
 * `Service:` and `Federated:` match by name, case-insensitively, an OIDC provider ARN matching its issuer.
 */
export function principalMatchesSource(principal: string, source: AssumeSource): boolean {
  if (principal === '*') return true;
  const colon = principal.indexOf(':');
  const prefix = colon < 0 ? '' : principal.slice(0, colon).toLowerCase();
  const value = principal.slice(colon + 1);
  switch (prefix) {
    case 'aws':
      return awsPrincipalCovers(value, source);
    case 'service':
      return source.service !== undefined && source.service.toLowerCase() === value.toLowerCase();
    case 'federated':
      return source.provider !== undefined && issuerOf(source.provider) === issuerOf(value);
    case 'canonicaluser':
      return false;
    default:
      return awsPrincipalCovers(principal, source);
  }
}

function awsPrincipalCovers(principal: string, source: AssumeSource): boolean {
  if (principal === '*') return true;
  const account = accountOfPrincipal(principal);
  if (account === undefined) return false;
  const arn = splitArn(principal);
  const caller = source.arn === undefined ? undefined : splitArn(source.arn);
  if (arn === undefined || arn.resource === 'root') {
    if (caller !== undefined) return caller.account === account && (arn === undefined || caller.partition === arn.partition);
    return source.account === account;
  }
  if (caller === undefined || source.arn === undefined) return false;
  if (source.arn === principal) return true;
  if (arn.service !== 'iam' || !arn.resource.startsWith('role/')) return false;
  if (caller.service !== 'sts' || caller.partition !== arn.partition || caller.account !== account) return false;
  if (!caller.resource.startsWith('assumed-role/')) return false;
  const session = caller.resource.slice('assumed-role/'.length);
  const roleName = arn.resource.slice(arn.resource.lastIndexOf('/') + 1);
  return session.startsWith(`${roleName}/`);
}

function issuerOf(provider: string): string {
  const lower = oidcIssuer(provider.toLowerCase());
  return lower.startsWith('https://') ? lower.slice(8) : lower;
}

/** The issuer of an OIDC provider ARN (`arn:aws:iam::ID:oidc-provider/HOST/PATH` → `HOST/PATH`); other values unchanged. */
function oidcIssuer(value: string): string {
  const resource = splitArn(value)?.resource;
  return resource?.startsWith(OIDC_PROVIDER) ? resource.slice(OIDC_PROVIDER.length) : value;
}

/** The service name of a Service principal: domain suffix and region label removed. */
export function serviceName(principal: string): string {
  let name = principal.toLowerCase();
  for (const domain of SERVICE_DOMAINS)
    if (name.endsWith(domain)) {
      name = name.slice(0, -domain.length);
      break;
    }
  const dot = name.lastIndexOf('.');
  if (dot > 0 && REGION.test(name.slice(dot + 1))) name = name.slice(0, dot);
  return name;
}

function principalStrings(set: PrincipalSet): string[] {
  const out: string[] = [];
  if (set.any) out.push('*');
  for (const value of set.aws) out.push(`AWS:${value}`);
  for (const value of set.service) out.push(`Service:${value}`);
  for (const value of set.federated) out.push(`Federated:${value}`);
  for (const value of set.canonicalUser) out.push(`CanonicalUser:${value}`);
  return out;
}

function nthIndexOf(value: string, char: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = value.indexOf(char, at + 1);
    if (at < 0) return -1;
  }
  return at;
}
