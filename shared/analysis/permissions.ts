/**
 * Permission analysis of identity policies (pure). What a policy grants that a security engineer wants to
 * hear about: admin-equivalence, permissions management on everything, service wildcards, PassRole on any
 * role, NotAction/NotResource, credential and bulk-data exposure, and known privilege-escalation methods.
 *
 * Conventions, the same for every check:
 * - Matching is IAM's: actions case-insensitive with `*`/`?` wildcards, resources case-sensitive.
 * - "On all resources" means Resource `*` (or an ARN made only of wildcards, such as `arn:aws:*:*:*:*`),
 *   or NotResource: a NotResource Allow grants everything but a short list, so it is treated as all.
 * - A Deny removes an action only when it is unconditional and on all resources; a conditional Deny may
 *   not apply to the request an attacker makes, so it is not trusted to remove anything.
 * - Allows with a Condition still count (conditions rarely make a grant safe); hits say `conditioned`.
 */
import {
  accessLevel,
  actionsOfService,
  allActions,
  canonicalAction,
  expandActionPattern,
  expandActionPatternShared,
  matchesAction,
} from '../policy/actions';
import { documentId } from '../policy/identity';
import { compileWildcardList, wildcardMatch } from '../policy/match';
import type { PolicyDocument, Statement } from '../policy/types';
import privescData from './data/privescMethods.json';

/** One statement that causes a hit, with what in it is responsible. */
export interface StatementHit {
  /** Index of the statement in its document. */
  statement: number;
  sid?: string;
  /** Which element grants: an Action list, or a NotAction list (everything not listed). */
  element: 'Action' | 'NotAction';
  /** The entries of that element that are responsible (for NotAction, the whole list), as written. */
  patterns: string[];
  /** The concrete actions involved, in AWS's spelling; empty when the check is about the pattern itself. */
  actions: string[];
  /** The statement's Resource entries, or its NotResource entries prefixed with `!`, as written. */
  resources: string[];
  /** True when the statement has a Condition. */
  conditioned: boolean;
}

/** A statement that makes the policy admin-equivalent. */
export interface AdminHit extends StatementHit {
  /** Share of all known actions the statement allows after the document's own unconditional Deny (0..1). */
  coverage: number;
}

/** A `service:*` grant. */
export interface ServiceWildcardHit extends StatementHit {
  service: string;
}

/** An Allow statement written with NotAction and/or NotResource. */
export interface NotElementHit extends StatementHit {
  elements: ('NotAction' | 'NotResource')[];
}

/** Result of {@link analysePermissions}: every list is empty for a harmless policy. */
export interface PermissionAnalysis {
  adminEquivalent: AdminHit[];
  /** iam:* or any Permissions-management action (of any service) on all resources. */
  iamWildcard: StatementHit[];
  /** `svc:*` grants, per service and statement, on any resource. */
  serviceWildcards: ServiceWildcardHit[];
  /** iam:PassRole on `*` or on a resource pattern that covers every role of an account. */
  passRoleAnyResource: StatementHit[];
  notActionOrNotResource: NotElementHit[];
  /** Credential-returning actions on all resources. */
  credentialExposure: StatementHit[];
  /** Bulk data reads ({@link BULK_DATA_READ_ACTIONS}) on all resources. */
  dataRead: StatementHit[];
}

/** One action of an escalation method, and the statement that grants it. */
export interface EscalationGrant {
  /** The action, in AWS's spelling when known. */
  action: string;
  /** Index of the granting document in the `docs` argument. */
  policy: number;
  statement: number;
  element: 'Action' | 'NotAction';
  /** The granting statement's entries responsible (the Action patterns that match, or the NotAction list). */
  patterns: string[];
  /** The granting statement's Resource entries, or its NotResource entries prefixed with `!`. */
  resources: string[];
  conditioned: boolean;
}

/** A privilege-escalation method that the effective permissions contain. */
export interface EscalationHit {
  name: string;
  reference: string | null;
  /** Every action the method needs, each with how it is granted. */
  actions: EscalationGrant[];
  /** True when at least one needed action is granted only under a Condition. */
  conditioned: boolean;
  /**
   * True when at least one needed action is granted only on specific resources: the method then reaches
   * only those (a role that can rewrite the trust of one role can still become that role).
   */
  resourceScoped: boolean;
}

/** A privilege-escalation method of `data/privescMethods.json`. */
export interface EscalationMethod {
  name: string;
  actions: string[];
  reference: string | null;
}

/** The 59 escalation methods (Rhino Security Labs' 21, then pathfinding.cloud's), from cloudsplaining. */
export const ESCALATION_METHODS: readonly EscalationMethod[] = privescData.methods;

/** The 45 actions whose responses return credentials, from cloudsplaining (lower-case). */
export const CREDENTIAL_ACTIONS: readonly string[] = privescData.actionsThatReturnCredentials;

/**
 * Secret stores, which the credential list above leaves out: their whole purpose is to return secrets.
 * `ssm:GetParameter*` is expanded from the action table (GetParameter, GetParameters, GetParametersByPath,
 * GetParameterHistory: all return values).
 */
const SECRET_READ_PATTERNS = ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'ssm:GetParameter*'];

/**
 * Actions that return stored data itself (not metadata), which on Resource `*` means every object, item,
 * row or message of the account. Kept short on purpose: each one is a direct read of customer data.
 * Left out: kms:Decrypt (needs the ciphertext from elsewhere), logs:GetLogEvents (logs, not stores).
 */
export const BULK_DATA_READ_ACTIONS: readonly string[] = [
  's3:GetObject', // object contents
  's3:GetObjectVersion', // ...including old versions
  'dynamodb:GetItem', // table items
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:PartiQLSelect',
  'rds-data:ExecuteStatement', // SQL through the Aurora Data API
  'rds-data:BatchExecuteStatement',
  'redshift-data:GetStatementResult', // query results
  'athena:GetQueryResults',
  'kinesis:GetRecords', // stream records
  'sqs:ReceiveMessage', // message bodies
  'glacier:GetJobOutput', // archive contents
  'ebs:GetSnapshotBlock', // raw blocks of EBS snapshots
  'es:ESHttpGet', // OpenSearch documents
];

/**
 * A NotAction (or near-total Action) grant is admin-equivalent when it leaves at least this share of all
 * known actions, keeps IAM (the power to grant itself whatever else is missing) and keeps most high-impact
 * services. 90%: excluding the large compute and data services (ec2, s3, lambda...) drops well below.
 * `NotAction: ["iam:*", "organizations:*", "account:*"]` (PowerUserAccess) leaves about 97% but not IAM:
 * it is reported as a NotAction grant, not as admin.
 */
export const ADMIN_COVERAGE_THRESHOLD = 0.9;

/**
 * ... and when it keeps at least {@link ADMIN_MIN_HIGH_IMPACT} of these services (a service counts as kept
 * when at least half of its actions remain), so that 90% of the long tail of minor services is not enough.
 */
export const HIGH_IMPACT_SERVICES: readonly string[] = [
  'iam',
  'sts',
  'ec2',
  'lambda',
  's3',
  'kms',
  'secretsmanager',
  'organizations',
  'cloudformation',
  'ssm',
];
export const ADMIN_MIN_HIGH_IMPACT = 5;

interface CompiledDocument {
  doc: PolicyDocument;
  /** Deny statements that are unconditional and on all resources. */
  hardDenies: Statement[];
  /** Per lower-case action: the best Allow statement granting it (unconditioned first), or null. */
  grants: Map<string, Statement | null>;
  /** Per lower-case action: whether a hard Deny removes it. */
  denied: Map<string, boolean>;
  /** Expanded actions removed by hard Denies (lower-case), computed on demand. */
  deniedSet?: Set<string>;
}

const compiled = new WeakMap<PolicyDocument, CompiledDocument>();
const analyses = new WeakMap<PolicyDocument, PermissionAnalysis>();

function compile(doc: PolicyDocument): CompiledDocument {
  const known = compiled.get(doc);
  if (known) return known;
  const hardDenies = doc.statements.filter((s) => s.effect === 'Deny' && s.conditions.length === 0 && denyCoversAll(s));
  const result: CompiledDocument = { doc, hardDenies, grants: new Map(), denied: new Map() };
  compiled.set(doc, result);
  return result;
}

const statementMatchers = new WeakMap<Statement, (action: string) => boolean>();

/** True when the statement's Action/NotAction element matches the action (compiled once per statement). */
export function statementMatchesAction(s: Statement, action: string): boolean {
  let matcher = statementMatchers.get(s);
  if (!matcher) {
    const any = compileWildcardList(s.action ?? s.notAction ?? [], { caseInsensitive: true });
    matcher = s.action ? any : s.notAction ? (a: string) => !any(a) : () => false;
    statementMatchers.set(s, matcher);
  }
  return matcher(action);
}

function isWildcardOnly(value: string): boolean {
  return /^\*+$/.test(value);
}

/** True for `*` and for ARNs made only of wildcards after the partition (`arn:aws:*:*:*:*`, `arn:*:*`). */
export function isAllResourcesPattern(resource: string): boolean {
  return isWildcardOnly(resource) || /^arn:[^:]*:\*+(:\*+)*$/.test(resource);
}

/** See the module conventions: Resource `*`-like, NotResource, or no Resource element at all. */
function allowCoversAllResources(s: Statement): boolean {
  if (s.notResource) return true;
  if (!s.resource) return true;
  return s.resource.some(isAllResourcesPattern);
}

function denyCoversAll(s: Statement): boolean {
  if (s.notResource) return false;
  return !s.resource || s.resource.some(isAllResourcesPattern);
}

function isDenied(c: CompiledDocument, action: string): boolean {
  const key = action.toLowerCase();
  const known = c.denied.get(key);
  if (known !== undefined) return known;
  const denied = c.hardDenies.some((s) => statementMatchesAction(s, key));
  c.denied.set(key, denied);
  return denied;
}

/** Prefer the grant that says most about the risk: unconditioned first, then on all resources. */
function grantRank(s: Statement): number {
  return (s.conditions.length === 0 ? 2 : 0) + (allowCoversAllResources(s) ? 1 : 0);
}

function allowingStatement(c: CompiledDocument, action: string): Statement | undefined {
  const key = action.toLowerCase();
  const known = c.grants.get(key);
  if (known !== undefined) return known ?? undefined;
  let best: Statement | undefined;
  for (const s of c.doc.statements) {
    if (s.effect !== 'Allow' || !statementMatchesAction(s, key)) continue;
    if (!best || grantRank(s) > grantRank(best)) best = s;
    if (grantRank(best) === 3) break;
  }
  c.grants.set(key, best ?? null);
  return best;
}

function deniedSet(c: CompiledDocument): Set<string> {
  if (c.deniedSet) return c.deniedSet;
  const set = new Set<string>();
  for (const s of c.hardDenies) for (const a of statementActions(s)) set.add(a.toLowerCase());
  c.deniedSet = set;
  return set;
}

/** The known actions a statement's Action/NotAction element covers. */
function statementActions(s: Statement): readonly string[] {
  if (s.action) {
    if (s.action.length === 1) return expandActionPatternShared(s.action[0] ?? '');
    const set = new Set<string>();
    for (const p of s.action) for (const a of expandActionPatternShared(p)) set.add(a);
    return [...set];
  }
  const excluded = new Set<string>();
  for (const p of s.notAction ?? []) for (const a of expandActionPatternShared(p)) excluded.add(a);
  return allActions().filter((a) => !excluded.has(a));
}

function responsiblePatterns(s: Statement, action: string): string[] {
  if (s.action) return s.action.filter((p) => matchesAction(p, action));
  return [...(s.notAction ?? [])];
}

function baseHit(s: Statement, patterns: string[], actions: string[]): StatementHit {
  return {
    statement: s.index,
    ...(s.sid ? { sid: s.sid } : {}),
    element: s.action ? 'Action' : 'NotAction',
    patterns,
    actions,
    resources: resourcesOf(s),
    conditioned: s.conditions.length > 0,
  };
}

function resourcesOf(s: Statement): string[] {
  if (s.resource) return [...s.resource];
  if (s.notResource) return s.notResource.map((r) => `!${r}`);
  return ['*'];
}

/**
 * Permissions-management actions per the action table, less the few that the reference files under that
 * level although they only read (billing:GetResourcePolicy, quicksight:DescribeTopicPermissions,
 * glue:GetStage...): without this, ReadOnlyAccess and SecurityAudit would "grant permissions management".
 */
export function isPermissionsManagementAction(action: string): boolean {
  const canonical = canonicalAction(action);
  return canonical !== undefined && isCanonicalPermissionsManagement(canonical);
}

/** {@link isPermissionsManagementAction} for names already in AWS's spelling (from the table). */
function isCanonicalPermissionsManagement(canonical: string): boolean {
  if (accessLevel(canonical) !== 'Permissions management') return false;
  const name = canonical.slice(canonical.indexOf(':') + 1);
  return !/^(Get|BatchGet|List|Describe|Search|View|Validate)[A-Z]/.test(name);
}

let permissionsManagementActions: string[] | undefined;
function allPermissionsManagementActions(): string[] {
  permissionsManagementActions ??= allActions().filter(isCanonicalPermissionsManagement);
  return permissionsManagementActions;
}

const pmByPattern = new Map<string, readonly string[]>();
function permissionsManagementOf(pattern: string): readonly string[] {
  const key = pattern.toLowerCase();
  const known = pmByPattern.get(key);
  if (known) return known;
  const list = expandActionPatternShared(key).filter(isCanonicalPermissionsManagement);
  if (pmByPattern.size > 10_000) pmByPattern.clear();
  pmByPattern.set(key, list);
  return list;
}

let exposureCandidates: string[] | undefined;
function credentialCandidates(): string[] {
  if (exposureCandidates) return exposureCandidates;
  const list = CREDENTIAL_ACTIONS.map((a) => canonicalAction(a) ?? a);
  for (const p of SECRET_READ_PATTERNS) list.push(...expandActionPattern(p));
  exposureCandidates = [...new Set(list)];
  return exposureCandidates;
}

/** Hits for the candidates an Allow-on-all-resources statement grants (after the document's hard Deny). */
function candidateHit(c: CompiledDocument, s: Statement, candidates: readonly string[]): StatementHit | undefined {
  const granted = candidates.filter((a) => statementMatchesAction(s, a) && !isDenied(c, a));
  if (granted.length === 0) return undefined;
  const patterns = s.action ? [...new Set(granted.flatMap((a) => responsiblePatterns(s, a)))] : [...(s.notAction ?? [])];
  return baseHit(s, patterns, granted);
}

function adminHit(c: CompiledDocument, s: Statement): AdminHit | undefined {
  // Only a wildcard in the service part can reach 90% of all actions.
  if (s.action && !s.action.some((p) => p.indexOf(':') < 0 || /[*?]/.test(p.slice(0, p.indexOf(':'))))) return undefined;
  const granted = statementActions(s);
  const denied = deniedSet(c);
  let remaining = 0;
  const kept = new Set<string>();
  for (const a of granted) if (!denied.has(a.toLowerCase())) remaining++;
  const total = allActions().length;
  const coverage = total === 0 ? 0 : remaining / total;
  if (coverage < ADMIN_COVERAGE_THRESHOLD) return undefined;
  for (const service of HIGH_IMPACT_SERVICES) {
    const actions = actionsOfService(service);
    const left = actions.filter((a) => statementMatchesAction(s, a) && !denied.has(a.toLowerCase())).length;
    if (actions.length > 0 && left * 2 >= actions.length) kept.add(service);
  }
  // Without IAM the holder cannot grant itself what is missing (PowerUserAccess): broad, not admin.
  if (kept.size < ADMIN_MIN_HIGH_IMPACT || !kept.has('iam')) return undefined;
  const patterns = s.action
    ? s.action.filter((p) => p.indexOf(':') < 0 || /[*?]/.test(p.split(':')[0] ?? ''))
    : [...(s.notAction ?? [])];
  return { ...baseHit(s, patterns, []), coverage };
}

function rolesProbe(resource: string): [string, string] {
  const parts = resource.split(':');
  const partition = parts[0] === 'arn' && parts[1] && !/[*?]/.test(parts[1]) ? parts[1] : 'aws';
  const account = parts[0] === 'arn' && parts[4] && /^\d{12}$/.test(parts[4]) ? parts[4] : '123456789012';
  return [
    `arn:${partition}:iam::${account}:role/RoleWatchProbe7`,
    `arn:${partition}:iam::${account}:role/some/path/RoleWatchProbe7`,
  ];
}

/** True when a Resource entry matches every role of some account (`*`, `arn:aws:iam::*:role/*`...). */
export function coversAllRoles(resource: string): boolean {
  if (isAllResourcesPattern(resource)) return true;
  return rolesProbe(resource).every((probe) => wildcardMatch(resource, probe));
}

function passRoleResourcesCoverAll(s: Statement): boolean {
  if (s.notResource) return !s.notResource.some((r) => wildcardMatch(r, 'arn:aws:iam::123456789012:role/RoleWatchProbe7'));
  if (!s.resource) return true;
  return s.resource.some(coversAllRoles);
}

/**
 * Analyses one permission policy. Memoised per document object: analysing the same (e.g. AWS-managed)
 * document again costs nothing, so do not mutate documents after analysing them.
 */
export function analysePermissions(doc: PolicyDocument): PermissionAnalysis {
  const known = analyses.get(doc);
  if (known) return known;
  const c = compile(doc);
  const result: PermissionAnalysis = {
    adminEquivalent: [],
    iamWildcard: [],
    serviceWildcards: [],
    passRoleAnyResource: [],
    notActionOrNotResource: [],
    credentialExposure: [],
    dataRead: [],
  };
  for (const s of doc.statements) {
    if (s.effect !== 'Allow') continue;
    const allResources = allowCoversAllResources(s);

    if (s.notAction || s.notResource) {
      const elements: NotElementHit['elements'] = [];
      if (s.notAction) elements.push('NotAction');
      if (s.notResource) elements.push('NotResource');
      result.notActionOrNotResource.push({ ...baseHit(s, s.action ?? s.notAction ?? [], []), elements });
    }

    for (const pattern of s.action ?? []) {
      const colon = pattern.indexOf(':');
      if (colon <= 0 || /[*?]/.test(pattern.slice(0, colon)) || !isWildcardOnly(pattern.slice(colon + 1))) continue;
      const service = pattern.slice(0, colon).toLowerCase();
      result.serviceWildcards.push({ ...baseHit(s, [pattern], []), service });
    }

    if (matchesStatementForPassRole(c, s))
      result.passRoleAnyResource.push(baseHit(s, responsiblePatterns(s, 'iam:PassRole'), ['iam:PassRole']));

    if (!allResources) continue;
    const admin = adminHit(c, s);
    if (admin) result.adminEquivalent.push(admin);

    const iam = iamWildcardHit(c, s);
    if (iam) result.iamWildcard.push(iam);

    const credentials = candidateHit(c, s, credentialCandidates());
    if (credentials) result.credentialExposure.push(credentials);

    const data = candidateHit(c, s, BULK_DATA_READ_ACTIONS);
    if (data) result.dataRead.push(data);
  }
  analyses.set(doc, result);
  return result;
}

function matchesStatementForPassRole(c: CompiledDocument, s: Statement): boolean {
  return statementMatchesAction(s, 'iam:passrole') && passRoleResourcesCoverAll(s) && !isDenied(c, 'iam:passrole');
}

function iamWildcardHit(c: CompiledDocument, s: Statement): StatementHit | undefined {
  if (s.notAction) {
    const granted = allPermissionsManagementActions().filter((a) => statementMatchesAction(s, a) && !isDenied(c, a));
    return granted.length > 0 ? baseHit(s, [...s.notAction], granted) : undefined;
  }
  const patterns: string[] = [];
  const granted = new Set<string>();
  for (const p of s.action ?? []) {
    const pm = permissionsManagementOf(p).filter((a) => !isDenied(c, a));
    // Matching the literal text 'iam:*' means the pattern covers every IAM action; a hard Deny that
    // matches that text removes them all.
    const wholeIam = wildcardMatch(p, 'iam:*', { caseInsensitive: true }) && !isDenied(c, 'iam:*');
    if (pm.length === 0 && !wholeIam) continue;
    patterns.push(p);
    for (const a of pm) granted.add(a);
  }
  return patterns.length > 0 ? baseHit(s, patterns, [...granted].sort()) : undefined;
}

function effectiveGrant(docs: CompiledDocument[], action: string): { policy: number; statement: Statement } | undefined {
  if (docs.some((c) => isDenied(c, action))) return undefined;
  let best: { policy: number; statement: Statement } | undefined;
  for (const [policy, c] of docs.entries()) {
    const statement = allowingStatement(c, action);
    if (statement && (!best || grantRank(statement) > grantRank(best.statement))) best = { policy, statement };
  }
  return best;
}

function allowedByBoundary(boundary: CompiledDocument | undefined, action: string): boolean {
  if (!boundary) return true;
  return !isDenied(boundary, action) && allowingStatement(boundary, action) !== undefined;
}

/**
 * True when the policies together allow the action on some resource: an Allow matches it and no
 * unconditional Deny on all resources removes it; with a permissions boundary, the boundary must allow
 * it too.
 */
export function isAllowed(docs: PolicyDocument[], action: string, boundary?: PolicyDocument): boolean {
  const compiledDocs = docs.map(compile);
  const compiledBoundary = boundary ? compile(boundary) : undefined;
  return effectiveGrant(compiledDocs, action) !== undefined && allowedByBoundary(compiledBoundary, action);
}

/**
 * The known privilege-escalation methods that a role's effective permissions contain: the union of its
 * policies' Allows (on any resource: a scoped grant still escalates to what it is scoped to), minus
 * unconditional Denies on all resources, intersected with the permissions boundary when there is one.
 */
export function escalationMethods(docs: PolicyDocument[], boundary?: PolicyDocument): EscalationHit[] {
  // A role's policy set is re-checked at every change to it: remember the answer per set of documents.
  const key = `${docs.map(documentId).join(',')}|${boundary ? documentId(boundary) : ''}`;
  const known = escalationCache.get(key);
  if (known) return known;
  const hits = computeEscalationMethods(docs, boundary);
  if (escalationCache.size >= ESCALATION_CACHE_LIMIT) escalationCache.clear();
  escalationCache.set(key, hits);
  return hits;
}

const ESCALATION_CACHE_LIMIT = 10_000;
const escalationCache = new Map<string, EscalationHit[]>();

function computeEscalationMethods(docs: PolicyDocument[], boundary?: PolicyDocument): EscalationHit[] {
  const compiledDocs = docs.map(compile);
  const compiledBoundary = boundary ? compile(boundary) : undefined;
  const hits: EscalationHit[] = [];
  for (const method of ESCALATION_METHODS) {
    const grants: EscalationGrant[] = [];
    for (const needed of method.actions) {
      const grant = effectiveGrant(compiledDocs, needed);
      if (!grant || !allowedByBoundary(compiledBoundary, needed)) break;
      const { statement } = grant;
      grants.push({
        action: canonicalAction(needed) ?? needed,
        policy: grant.policy,
        statement: statement.index,
        element: statement.action ? 'Action' : 'NotAction',
        patterns: responsiblePatterns(statement, needed),
        resources: resourcesOf(statement),
        conditioned: statement.conditions.length > 0,
      });
    }
    if (grants.length !== method.actions.length) continue;
    hits.push({
      name: method.name,
      reference: method.reference,
      actions: grants,
      conditioned: grants.some((g) => g.conditioned),
      resourceScoped: grants.some((g) => !g.resources.some((r) => r.startsWith('!') || isAllResourcesPattern(r))),
    });
  }
  return hits;
}

/**
 * Actions that `candidate` allows and `reference` does not (checked over every known action), e.g. to
 * tell whether a new permissions boundary is looser than the one it replaced. Returns at most `limit`.
 */
export function actionsAllowedBeyond(candidate: PolicyDocument, reference: PolicyDocument, limit = 20): string[] {
  const wider = compile(candidate);
  const narrower = compile(reference);
  const beyond: string[] = [];
  for (const action of allActions()) {
    if (effectiveGrant([wider], action) !== undefined && effectiveGrant([narrower], action) === undefined) {
      beyond.push(action);
      if (beyond.length >= limit) break;
    }
  }
  return beyond;
}
