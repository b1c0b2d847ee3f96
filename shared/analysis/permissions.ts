/**
 * Permission analysis of identity policies (pure), following IAM's evaluation logic: an action is allowed
 * on a resource when an Allow matches it and no Deny does, in any of the role's policies, and the
 * permissions boundary allows it too. What a security engineer wants to hear about: admin-equivalence,
 * permissions management on everything, service wildcards, PassRole on any role, NotAction/NotResource,
 * credential and bulk-data exposure, and the privilege-escalation paths of the catalogue.
 *
 * Conventions, the same for every check:
 * - Actions match case-insensitively with `*`/`?`; resources match as ARNs (see `resources.ts`):
 *   NotResource is a complement (`NotResource: "*"` allows nothing), AWS-managed policy ARNs are not
 *   customer policies, `user/${aws:username}` is the caller alone.
 * - A Deny subtracts wherever it covers what the Allow reaches, Action or NotAction, in the same document,
 *   in the role's other policies and in its boundary. A Deny whose conditions cannot be decided is not
 *   trusted to remove anything (it may not apply to the attacker's request); it makes the grant conditioned.
 * - Conditions are decided where they can be (see `decideConditions.ts`): a grant that can never apply is
 *   dropped; the rest are conditioned, named, and tell whether they narrow who can use the grant.
 */
import { BoundedCache } from '../boundedCache';
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
import type { ConditionClause, PolicyDocument, Statement } from '../policy/types';
import privescData from './data/privescMethods.json';
import { type DecisionContext, decideConditions, dependsOnContext, describeClauses, restrictsCaller } from './decideConditions';
import { ESCALATION_PATHS, type EscalationPath, type PathCategory } from './escalationPaths';
import { ALL_RESOURCES, allowReaches, denyCovers, isAllResourcesPattern, type Target } from './resources';

export { isAllResourcesPattern } from './resources';

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
  /** True when conditions that could not be decided guard the grant (its own, or a conditional Deny's). */
  conditioned: boolean;
  /** Those conditions, `key (operator)`. */
  conditions: string[];
  /** True when one of them narrows who can use the grant (organization, network, MFA...). */
  restrictsWho: boolean;
}

/** A statement that makes the policy admin-equivalent. */
export interface AdminHit extends StatementHit {
  /** Share of all known actions the statement allows after every Deny and the boundary (0..1). */
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
  /** `svc:*` grants, per service and statement, on any resource, unless every action of it is denied. */
  serviceWildcards: ServiceWildcardHit[];
  /** iam:PassRole on `*` or on a resource pattern that covers every role of an account. */
  passRoleAnyResource: StatementHit[];
  notActionOrNotResource: NotElementHit[];
  /** Credential-returning actions on all resources. */
  credentialExposure: StatementHit[];
  /** Bulk data reads ({@link BULK_DATA_READ_ACTIONS}) on all resources. */
  dataRead: StatementHit[];
}

/** What besides the document itself the analysis takes into account. */
export interface AnalysisContext {
  /** The role's other permission policies: their Denies subtract too. */
  others?: readonly PolicyDocument[];
  /** The role's permissions boundary: only what it allows counts, and its Denies subtract. */
  boundary?: PolicyDocument;
  /** Epoch ms of the judgement (the event's time): decides time conditions. */
  at?: number;
}

/** One action of an escalation path, and the statement that grants it. */
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

/** A privilege-escalation path that the effective permissions contain. */
export interface EscalationHit {
  /** The catalogue id (`lambda-001`). */
  id: string;
  /** The path's best-known name (cloudsplaining's method name where there is one). */
  name: string;
  /** Every name the sources give the path. */
  aliases: string[];
  category: PathCategory;
  reference: string | null;
  /** Every action the path needs, each with how it is granted. */
  actions: EscalationGrant[];
  /** True when at least one needed action is granted only under conditions that could not be decided. */
  conditioned: boolean;
  /** Those conditions, `key (operator)`. */
  conditions: string[];
  /** True when one of them narrows who can use the grant. */
  restrictsWho: boolean;
}

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

// ---------------------------------------------------------------------------------------------------------
// The policy set: a role's policies and boundary, with every decision remembered for the set.

/** A grant after every Deny and the boundary, with the conditions that still guard it. */
interface Grant {
  policy: number;
  statement: Statement;
  clauses: ConditionClause[];
}

interface PolicySet {
  docs: readonly PolicyDocument[];
  boundary?: PolicyDocument;
  /** Deny statements of every document and of the boundary. */
  denies: Statement[];
  /** Decision context without per-path parts. */
  at?: number;
  grants: Map<string, Grant | null>;
  removed: Map<Statement, Set<string>>;
  boundaryActions?: Set<string>;
}

/** Policy sets remembered: each recently changed role's current and previous set. */
const SET_CACHE_LIMIT = 1_000;
const sets = new BoundedCache<string, PolicySet>(SET_CACHE_LIMIT);
const timeDependent = new WeakMap<PolicyDocument, boolean>();

function hasTimeCondition(doc: PolicyDocument): boolean {
  let known = timeDependent.get(doc);
  if (known === undefined) {
    known = doc.statements.some((s) => dependsOnContext(s).time);
    timeDependent.set(doc, known);
  }
  return known;
}

/** The set for these documents, remembered: a role's set is judged again at every change to it. */
function policySet(docs: readonly PolicyDocument[], boundary: PolicyDocument | undefined, at: number | undefined): PolicySet {
  const all = boundary ? [...docs, boundary] : docs;
  const timed = at !== undefined && all.some(hasTimeCondition);
  const key = `${docs.map(documentId).join(',')}|${boundary ? documentId(boundary) : ''}|${timed ? at : ''}`;
  const known = sets.get(key);
  if (known) return known;
  const set: PolicySet = {
    docs,
    ...(boundary ? { boundary } : {}),
    denies: all.flatMap((doc) => doc.statements.filter((s) => s.effect === 'Deny')),
    ...(timed ? { at } : {}),
    grants: new Map(),
    removed: new Map(),
  };
  sets.set(key, set);
  return set;
}

function decisionContext(set: PolicySet, passedTo?: readonly string[]): DecisionContext {
  return {
    ...(set.at !== undefined ? { at: set.at } : {}),
    ...(passedTo && passedTo.length > 0 ? { passedToServices: passedTo } : {}),
  };
}

/**
 * Deny statements of the set that apply to `action` where `allow` reaches the target: `removed` when one of
 * them always applies, else the undecided conditions of those that may.
 */
function denialOf(
  set: PolicySet,
  allow: Statement,
  action: string,
  target: Target,
  ctx: DecisionContext,
): { removed: boolean; clauses: ConditionClause[] } {
  const clauses: ConditionClause[] = [];
  for (const deny of set.denies) {
    if (!statementMatchesAction(deny, action) || !denyCovers(deny, allow, target)) continue;
    const verdict = decideConditions(deny, ctx);
    if (verdict.kind === 'always') return { removed: true, clauses: [] };
    if (verdict.kind === 'conditioned') clauses.push(...verdict.clauses);
  }
  return { removed: false, clauses };
}

/** Prefer the grant that says most about the risk: one without undecided conditions first. */
function bestGrant(candidates: Grant[]): Grant | undefined {
  let best: Grant | undefined;
  for (const grant of candidates) {
    if (!best || grant.clauses.length < best.clauses.length) best = grant;
    if (best.clauses.length === 0) break;
  }
  return best;
}

/** An Allow statement of one document that grants an action on a target, with its own undecided conditions. */
interface Candidate {
  statement: Statement;
  clauses: ConditionClause[];
}

const candidateCache = new WeakMap<PolicyDocument, Map<string, Candidate[]>>();
const CANDIDATES_PER_DOCUMENT = 5_000;

/**
 * The Allow statements of one document that grant `action` on the target under `ctx`, before any Deny:
 * remembered per document, so a role's new policy set (one document added or changed) re-reads only the new
 * document; Denies, which depend on the set, are applied by the caller.
 */
function candidatesOf(doc: PolicyDocument, action: string, target: Target, ctx: DecisionContext, key: string): Candidate[] {
  const docKey = hasTimeCondition(doc) ? `${key}|${ctx.at ?? ''}` : key;
  let byKey = candidateCache.get(doc);
  const known = byKey?.get(docKey);
  if (known) return known;
  const found: Candidate[] = [];
  for (const s of doc.statements) {
    if (s.effect !== 'Allow' || !statementMatchesAction(s, action) || !allowReaches(s, target)) continue;
    const verdict = decideConditions(s, ctx);
    if (verdict.kind === 'never') continue;
    found.push({ statement: s, clauses: verdict.kind === 'conditioned' ? verdict.clauses : [] });
  }
  if (!byKey) {
    byKey = new Map();
    candidateCache.set(doc, byKey);
  }
  if (byKey.size >= CANDIDATES_PER_DOCUMENT) byKey.clear();
  byKey.set(docKey, found);
  return found;
}

/** Allow statements of `docs` that grant `action` on the target, after Denies, with their conditions. */
function allowsOf(
  set: PolicySet,
  docs: readonly PolicyDocument[],
  action: string,
  target: Target,
  ctx: DecisionContext,
  key: string,
): Grant[] {
  const grants: Grant[] = [];
  const lower = action.toLowerCase();
  const catalogued = catalogueActionSet().has(lower);
  for (const [policy, doc] of docs.entries()) {
    // A catalogued action that no Allow of the document names has no candidate there: nothing to look up or keep.
    if (catalogued && !escalationActionsOf(doc).has(lower)) continue;
    for (const candidate of candidatesOf(doc, action, target, ctx, key)) {
      const s = candidate.statement;
      const denial = set.denies.length === 0 ? NOT_DENIED : denialOf(set, s, action, target, ctx);
      if (denial.removed) continue;
      grants.push({ policy, statement: s, clauses: [...candidate.clauses, ...denial.clauses] });
    }
  }
  return grants;
}

const NOT_DENIED: { removed: boolean; clauses: ConditionClause[] } = { removed: false, clauses: [] };

/** The grant of `action` on the target by the set, within its boundary; undefined when not allowed. */
function effectiveGrant(set: PolicySet, action: string, target: Target, passedTo?: readonly string[]): Grant | undefined {
  const key = `${action.toLowerCase()}|${target.kind}|${target.reach}|${target.selfAllowed ? 1 : 0}|${target.service ?? ''}|${passedTo?.join(',') ?? ''}`;
  const known = set.grants.get(key);
  if (known !== undefined) return known ?? undefined;
  const ctx = decisionContext(set, passedTo);
  let grant = bestGrant(allowsOf(set, set.docs, action, target, ctx, key));
  if (grant && set.boundary) {
    const within = bestGrant(allowsOf(set, [set.boundary], action, target, ctx, key));
    grant = within ? { ...grant, clauses: [...grant.clauses, ...within.clauses] } : undefined;
  }
  set.grants.set(key, grant ?? null);
  return grant;
}

/** Known actions the boundary allows on all resources (every action when there is no boundary: undefined). */
function boundaryActions(set: PolicySet): Set<string> | undefined {
  if (!set.boundary) return undefined;
  if (set.boundaryActions) return set.boundaryActions;
  const allowed = new Set<string>();
  const ctx = decisionContext(set);
  for (const s of set.boundary.statements)
    if (s.effect === 'Allow' && allowReaches(s, ALL_RESOURCES) && decideConditions(s, ctx).kind !== 'never')
      for (const a of statementActions(s)) if (!denialOf(set, s, a, ALL_RESOURCES, ctx).removed) allowed.add(a.toLowerCase());
  set.boundaryActions = allowed;
  return allowed;
}

/** Known actions that Denies always remove from what `allow` grants on all resources (lower-case). */
function removedFrom(set: PolicySet, allow: Statement): Set<string> {
  const known = set.removed.get(allow);
  if (known) return known;
  const removed = new Set<string>();
  const ctx = decisionContext(set);
  for (const deny of set.denies)
    if (denyCovers(deny, allow, ALL_RESOURCES) && decideConditions(deny, ctx).kind === 'always')
      for (const a of statementActions(deny)) removed.add(a.toLowerCase());
  set.removed.set(allow, removed);
  return removed;
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

const responsible = new WeakMap<Statement, Map<string, readonly string[]>>();

/** The entries of the statement's Action (or its whole NotAction) that grant the action; a fresh array. */
function responsiblePatterns(s: Statement, action: string): string[] {
  if (!s.action) return [...(s.notAction ?? [])];
  let byAction = responsible.get(s);
  if (!byAction) {
    byAction = new Map();
    responsible.set(s, byAction);
  }
  let patterns = byAction.get(action);
  if (!patterns) {
    patterns = s.action.filter((p) => matchesAction(p, action));
    byAction.set(action, patterns);
  }
  return [...patterns];
}

function baseHit(s: Statement, patterns: string[], actions: string[], clauses: readonly ConditionClause[]): StatementHit {
  return {
    statement: s.index,
    ...(s.sid ? { sid: s.sid } : {}),
    element: s.action ? 'Action' : 'NotAction',
    patterns,
    actions,
    resources: resourcesOf(s),
    conditioned: clauses.length > 0,
    conditions: describeClauses(clauses),
    restrictsWho: clauses.some(restrictsCaller),
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

let exposureCandidates: string[] | undefined;
function credentialCandidates(): string[] {
  if (exposureCandidates) return exposureCandidates;
  const list = CREDENTIAL_ACTIONS.map((a) => canonicalAction(a) ?? a);
  for (const p of SECRET_READ_PATTERNS) list.push(...expandActionPattern(p));
  exposureCandidates = [...new Set(list)];
  return exposureCandidates;
}

// ---------------------------------------------------------------------------------------------------------
// Per-statement checks of one document.

/** The statement in the set, as a grant on all resources: what Denies and the boundary leave of it. */
interface StatementView {
  set: PolicySet;
  s: Statement;
  /** The statement's own undecided conditions. */
  clauses: ConditionClause[];
}

/** Whether the view still grants `action` on all resources; the conditional Denies that guard it. */
function grantsOnAll(view: StatementView, action: string): { granted: boolean; clauses: ConditionClause[] } {
  const ctx = decisionContext(view.set);
  const denial = denialOf(view.set, view.s, action, ALL_RESOURCES, ctx);
  if (denial.removed) return { granted: false, clauses: [] };
  const boundary = boundaryActions(view.set);
  if (boundary && !boundary.has(action.toLowerCase())) return { granted: false, clauses: [] };
  return { granted: true, clauses: denial.clauses };
}

/** Hits for the candidates an Allow-on-all-resources statement still grants. */
function candidateHit(view: StatementView, candidates: readonly string[]): StatementHit | undefined {
  const clauses = [...view.clauses];
  const granted = candidates.filter((a) => {
    if (!statementMatchesAction(view.s, a)) return false;
    const result = grantsOnAll(view, a);
    clauses.push(...result.clauses);
    return result.granted;
  });
  if (granted.length === 0) return undefined;
  const s = view.s;
  const patterns = s.action ? [...new Set(granted.flatMap((a) => responsiblePatterns(s, a)))] : [...(s.notAction ?? [])];
  return baseHit(s, patterns, granted, clauses);
}

function adminHit(view: StatementView): AdminHit | undefined {
  const s = view.s;
  // Only a wildcard in the service part can reach 90% of all actions.
  if (s.action && !s.action.some((p) => p.indexOf(':') < 0 || /[*?]/.test(p.slice(0, p.indexOf(':'))))) return undefined;
  const removed = removedFrom(view.set, s);
  const boundary = boundaryActions(view.set);
  const remains = (a: string) => !removed.has(a.toLowerCase()) && (!boundary || boundary.has(a.toLowerCase()));
  let remaining = 0;
  for (const a of statementActions(s)) if (remains(a)) remaining++;
  const total = allActions().length;
  const coverage = total === 0 ? 0 : remaining / total;
  if (coverage < ADMIN_COVERAGE_THRESHOLD) return undefined;
  const kept = new Set<string>();
  for (const service of HIGH_IMPACT_SERVICES) {
    const actions = actionsOfService(service);
    const left = actions.filter((a) => statementMatchesAction(s, a) && remains(a)).length;
    if (actions.length > 0 && left * 2 >= actions.length) kept.add(service);
  }
  // Without IAM the holder cannot grant itself what is missing (PowerUserAccess): broad, not admin.
  if (kept.size < ADMIN_MIN_HIGH_IMPACT || !kept.has('iam')) return undefined;
  const patterns = s.action
    ? s.action.filter((p) => p.indexOf(':') < 0 || /[*?]/.test(p.split(':')[0] ?? ''))
    : [...(s.notAction ?? [])];
  const guards = [...view.clauses, ...grantsOnAll(view, 'iam:PassRole').clauses];
  return { ...baseHit(s, patterns, [], guards), coverage };
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

const EVERY_ROLE: Target = { kind: 'role', reach: 'all' };

function passRoleHit(view: StatementView): StatementHit | undefined {
  const s = view.s;
  if (!statementMatchesAction(s, 'iam:passrole')) return undefined;
  const reaches = s.resource ? s.resource.some(coversAllRoles) : allowReaches(s, EVERY_ROLE);
  if (!reaches) return undefined;
  const ctx = decisionContext(view.set);
  const denial = denialOf(view.set, s, 'iam:passrole', EVERY_ROLE, ctx);
  if (denial.removed) return undefined;
  if (view.set.boundary && !effectiveGrant(policySet([view.set.boundary], undefined, view.set.at), 'iam:PassRole', EVERY_ROLE))
    return undefined;
  return baseHit(s, responsiblePatterns(s, 'iam:PassRole'), ['iam:PassRole'], [...view.clauses, ...denial.clauses]);
}

function iamWildcardHit(view: StatementView): StatementHit | undefined {
  const s = view.s;
  if (s.notAction) return candidateHit(view, allPermissionsManagementActions());
  const patterns: string[] = [];
  const granted = new Set<string>();
  const clauses = [...view.clauses];
  for (const p of s.action ?? []) {
    const pm = expandActionPatternShared(p).filter((a) => {
      if (!isCanonicalPermissionsManagement(a)) return false;
      const result = grantsOnAll(view, a);
      clauses.push(...result.clauses);
      return result.granted;
    });
    if (pm.length === 0) continue;
    patterns.push(p);
    for (const a of pm) granted.add(a);
  }
  return patterns.length > 0 ? baseHit(s, patterns, [...granted].sort(), clauses) : undefined;
}

/** A `svc:*` grant counts unless Denies or the boundary take away every action of the service. */
function serviceWildcardHits(view: StatementView): ServiceWildcardHit[] {
  const hits: ServiceWildcardHit[] = [];
  for (const pattern of view.s.action ?? []) {
    const colon = pattern.indexOf(':');
    if (colon <= 0 || /[*?]/.test(pattern.slice(0, colon)) || !isWildcardOnly(pattern.slice(colon + 1))) continue;
    const service = pattern.slice(0, colon).toLowerCase();
    const actions = actionsOfService(service);
    const clauses = [...view.clauses];
    const left = actions.length === 0 ? [pattern] : actions.filter((a) => grantsOnAll(view, a).granted);
    if (left.length === 0) continue;
    if (actions.length > 0) clauses.push(...grantsOnAll(view, left[0] ?? pattern).clauses);
    hits.push({ ...baseHit(view.s, [pattern], [], clauses), service });
  }
  return hits;
}

const analyses = new WeakMap<PolicyDocument, Map<string, PermissionAnalysis>>();
const denying = new WeakMap<PolicyDocument, boolean>();
const denyingLists = new WeakMap<readonly PolicyDocument[], readonly PolicyDocument[]>();
const NO_DOCUMENTS: readonly PolicyDocument[] = [];

/** The documents of a list that hold a Deny, remembered per list (a role view's list is judged many times). */
function denyingOf(docs: readonly PolicyDocument[]): readonly PolicyDocument[] {
  let known = denyingLists.get(docs);
  if (!known) {
    known = docs.filter(hasDeny);
    denyingLists.set(docs, known);
  }
  return known;
}

function hasDeny(doc: PolicyDocument): boolean {
  let known = denying.get(doc);
  if (known === undefined) {
    known = doc.statements.some((s) => s.effect === 'Deny');
    denying.set(doc, known);
  }
  return known;
}

/**
 * Analyses one permission policy, in the context of the role's other policies and boundary when given.
 * Memoised per document and context: analysing the same (e.g. AWS-managed) document again costs nothing,
 * so do not mutate documents after analysing them.
 */
export function analysePermissions(doc: PolicyDocument, context: AnalysisContext = {}): PermissionAnalysis {
  // The other policies act on this one only through their Denies: a role's change that adds or removes an
  // Allow-only policy leaves the analyses of its other policies as they were (no new set, no recomputation).
  const denying = context.others ? denyingOf(context.others) : NO_DOCUMENTS;
  const others = denying.length === 0 ? denying : denying.filter((other) => other !== doc);
  const { boundary, at } = context;
  // The set's judgement time, as policySet decides it: only when a document of the set has a time condition.
  const timed =
    at !== undefined &&
    (hasTimeCondition(doc) || others.some(hasTimeCondition) || (boundary !== undefined && hasTimeCondition(boundary)));
  const key = `${others.map(documentId).join(',')}|${boundary ? documentId(boundary) : ''}|${timed ? at : ''}`;
  let byContext = analyses.get(doc);
  const known = byContext?.get(key);
  if (known) return known;
  const result = computeAnalysis(doc, policySet([doc, ...others], boundary, at));
  if (!byContext) {
    byContext = new Map();
    analyses.set(doc, byContext);
  }
  if (byContext.size > 50) byContext.clear();
  byContext.set(key, result);
  return result;
}

function computeAnalysis(doc: PolicyDocument, set: PolicySet): PermissionAnalysis {
  const result: PermissionAnalysis = {
    adminEquivalent: [],
    iamWildcard: [],
    serviceWildcards: [],
    passRoleAnyResource: [],
    notActionOrNotResource: [],
    credentialExposure: [],
    dataRead: [],
  };
  const ctx = decisionContext(set);
  for (const s of doc.statements) {
    if (s.effect !== 'Allow') continue;
    const verdict = decideConditions(s, ctx);
    // A grant whose conditions can never hold, or a NotResource that excludes everything, allows nothing.
    if (verdict.kind === 'never' || (s.notResource && !allowReaches(s, ALL_RESOURCES))) continue;
    const view: StatementView = { set, s, clauses: verdict.kind === 'conditioned' ? verdict.clauses : [] };

    if (s.notAction || s.notResource) {
      const elements: NotElementHit['elements'] = [];
      if (s.notAction) elements.push('NotAction');
      if (s.notResource) elements.push('NotResource');
      result.notActionOrNotResource.push({ ...baseHit(s, s.action ?? s.notAction ?? [], [], view.clauses), elements });
    }

    result.serviceWildcards.push(...serviceWildcardHits(view));

    const passRole = passRoleHit(view);
    if (passRole) result.passRoleAnyResource.push(passRole);

    if (!allowReaches(s, ALL_RESOURCES)) continue;
    const admin = adminHit(view);
    if (admin) result.adminEquivalent.push(admin);

    const iam = iamWildcardHit(view);
    if (iam) result.iamWildcard.push(iam);

    const credentials = candidateHit(view, credentialCandidates());
    if (credentials) result.credentialExposure.push(credentials);

    const data = candidateHit(view, BULK_DATA_READ_ACTIONS);
    if (data) result.dataRead.push(data);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Effective permissions of a role: single actions and escalation paths.

/** Options of {@link escalationMethods} and {@link isAllowed}. */
export interface EffectiveOptions {
  /** Epoch ms of the judgement: decides time conditions. */
  at?: number;
}

/**
 * True when the policies together allow the action on some resource: an Allow matches it and no Deny that
 * always applies removes it; with a permissions boundary, the boundary must allow it too.
 */
export function isAllowed(
  docs: readonly PolicyDocument[],
  action: string,
  boundary?: PolicyDocument,
  options: EffectiveOptions = {},
): boolean {
  return effectiveGrant(policySet(docs, boundary, options.at), action, someResourceOf(action)) !== undefined;
}

/** Some resource the action may be allowed on. */
function someResourceOf(action: string): Target {
  return { kind: 'resource', reach: 'some', service: action.slice(0, action.indexOf(':')).toLowerCase() };
}

/**
 * The escalation paths of the catalogue that a role's effective permissions contain: every action of the
 * path allowed on what the path needs (see `escalationPaths.ts`), after every Deny, within the boundary.
 */
export function escalationMethods(
  docs: readonly PolicyDocument[],
  boundary?: PolicyDocument,
  options: EffectiveOptions = {},
): EscalationHit[] {
  const set = policySet(docs, boundary, options.at);
  const key = 'paths';
  const cached = pathCache.get(set)?.get(key);
  if (cached) return cached;
  const hits: EscalationHit[] = [];
  const possible = new Set<string>();
  for (const doc of docs) for (const action of escalationActionsOf(doc)) possible.add(action);
  for (const path of ESCALATION_PATHS) {
    // A path with an action no Allow of the role names cannot be granted: skipped without judging its steps.
    if (!path.steps.every((step) => possible.has(step.action.toLowerCase()))) continue;
    const hit = pathHit(set, path);
    if (hit) hits.push(hit);
  }
  pathCache.set(set, new Map([[key, hits]]));
  return hits;
}

const pathCache = new WeakMap<PolicySet, Map<string, EscalationHit[]>>();
const escalationActions = new WeakMap<PolicyDocument, ReadonlySet<string>>();
let catalogueActions: ReadonlySet<string> | undefined;

/** Every action of the escalation catalogue (lower-case). */
function catalogueActionSet(): ReadonlySet<string> {
  catalogueActions ??= new Set(ESCALATION_PATHS.flatMap((path) => path.steps.map((step) => step.action.toLowerCase())));
  return catalogueActions;
}

/** The actions of the escalation catalogue that some Allow statement of the document names (lower-case). */
function escalationActionsOf(doc: PolicyDocument): ReadonlySet<string> {
  let known = escalationActions.get(doc);
  if (!known) {
    const allows = doc.statements.filter((s) => s.effect === 'Allow');
    known = new Set([...catalogueActionSet()].filter((action) => allows.some((s) => statementMatchesAction(s, action))));
    escalationActions.set(doc, known);
  }
  return known;
}

function pathHit(set: PolicySet, path: EscalationPath): EscalationHit | undefined {
  const grants: EscalationGrant[] = [];
  const clauses: ConditionClause[] = [];
  for (const step of path.steps) {
    const passedTo = step.action === 'iam:PassRole' ? path.passedTo : undefined;
    const grant = effectiveGrant(set, step.action, step.target, passedTo);
    if (!grant) return undefined;
    const { statement } = grant;
    clauses.push(...grant.clauses);
    grants.push({
      action: step.action,
      policy: grant.policy,
      statement: statement.index,
      element: statement.action ? 'Action' : 'NotAction',
      patterns: responsiblePatterns(statement, step.action),
      resources: resourcesOf(statement),
      conditioned: grant.clauses.length > 0,
    });
  }
  return {
    id: path.id,
    name: path.aliases[0] ?? path.name,
    aliases: path.aliases,
    category: path.category,
    reference: path.link,
    actions: grants,
    conditioned: clauses.length > 0,
    conditions: describeClauses(clauses),
    restrictsWho: clauses.some(restrictsCaller),
  };
}

/**
 * Actions that `candidate` allows and `reference` does not (checked over every known action), e.g. to
 * tell whether a new permissions boundary is looser than the one it replaced. Returns at most `limit`.
 */
export function actionsAllowedBeyond(candidate: PolicyDocument, reference: PolicyDocument, limit = 20): string[] {
  const wider = policySet([candidate], undefined, undefined);
  const narrower = policySet([reference], undefined, undefined);
  const beyond: string[] = [];
  for (const action of allActions()) {
    if (
      effectiveGrant(wider, action, someResourceOf(action)) !== undefined &&
      effectiveGrant(narrower, action, someResourceOf(action)) === undefined
    ) {
      beyond.push(action);
      if (beyond.length >= limit) break;
    }
  }
  return beyond;
}
