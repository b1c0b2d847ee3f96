import { type AnalysisContext, analysePermissions, type PermissionAnalysis } from '../analysis/permissions';
import { analyseTrust, type TrustAnalysis } from '../analysis/trust';
import { actorPrincipal } from '../cloudtrail/accessors';
import type { Config } from '../config/config';
import { SEVERITIES, type Severity } from '../findings/severity';
import { wildcardMatch } from '../policy/match';
import type { PolicyDocument } from '../policy/types';
import type { PolicyRef, RoleView, RuleContext } from './types';

/** Events that change a role's permission policies or boundary. */
export const PERMISSION_EVENTS = [
  'PutRolePolicy',
  'AttachRolePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'DeleteRolePolicy',
  'DetachRolePolicy',
] as const;

/** Events that set a role's trust policy. */
export const TRUST_EVENTS = ['CreateRole', 'UpdateAssumeRolePolicy'] as const;

/** Every call that changes a role, directly or through a managed policy attached to it. */
export const ROLE_CHANGE_EVENTS = [
  ...TRUST_EVENTS,
  'DeleteRole',
  'UpdateRole',
  'UpdateRoleDescription',
  'TagRole',
  'UntagRole',
  ...PERMISSION_EVENTS,
] as const;

/**
 * The items a policy allowing `*` on `*` fails: CIS "no full *:* administrative privileges attached"
 * (v5.0.0 1.15, v3.0.0 1.16), the NIST AC controls Security Hub relates to IAM.1, PCI least privilege,
 * ATT&CK Additional Cloud Roles.
 */
export const ADMIN_POLICY_CONTROLS = [
  'CIS-5.0-1.15',
  'CIS-3.0-1.16',
  'NIST-800-53-r5-AC-2',
  'NIST-800-53-r5-AC-3',
  'NIST-800-53-r5-AC-5',
  'NIST-800-53-r5-AC-6',
  'NIST-800-53-r5-AC-6(2)',
  'NIST-800-53-r5-AC-6(10)',
  'PCI-DSS-4.0-7.2.1',
  'PCI-DSS-4.0-7.2.2',
  'PCI-DSS-4.0-7.2.5',
  'ATTACK-T1098.003',
] as const;

/** Role assumptions. */
export const ASSUME_EVENTS = ['AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML'] as const;

const trustCache = new WeakMap<PolicyDocument, { config: Config; account: string; analysis: TrustAnalysis }>();

/**
 * The analysis of the trust policy the event set (or the role's, on a re-evaluation); undefined when the
 * event did not touch trust or the document is unusable. Memoised per document: every trust rule asks.
 */
export function changedTrust(ctx: RuleContext): TrustAnalysis | undefined {
  const doc = ctx.trustChanged ? ctx.role?.trust : undefined;
  if (!doc || !ctx.role) return undefined;
  const cached = trustCache.get(doc);
  if (cached && cached.config === ctx.config && cached.account === ctx.role.account) return cached.analysis;
  const analysis = analyseTrust(doc, {
    account: ctx.role.account,
    knownAccounts: ctx.config.knownAccounts,
    thirdParties: ctx.config.trustedThirdParties,
  });
  trustCache.set(doc, { config: ctx.config, account: ctx.role.account, analysis });
  return analysis;
}

/** Permission policies (not boundaries) this event set, with their documents. */
export function changedPermissionPolicies(ctx: RuleContext): (PolicyRef & { document: PolicyDocument })[] {
  return ctx.changed.filter(
    (ref): ref is PolicyRef & { document: PolicyDocument } => ref.kind !== 'boundary' && ref.document !== undefined,
  );
}

/** How a policy is named in a finding: its ARN for managed policies, `inline:<name>` for inline ones. */
export function policyLabel(ref: PolicyRef): string {
  return ref.arn ?? `inline:${ref.name}`;
}

/** True when the actor matches any of the patterns (ARN wildcards, or a service name such as cloudformation.amazonaws.com). */
export function actorMatches(ctx: RuleContext, patterns: readonly string[]): boolean {
  const actor = ctx.event?.actor;
  if (!actor) return false;
  const candidates = [actor.invokedBy, actor.arn, actor.sessionIssuer?.arn, actorPrincipal(actor)].filter(
    (value): value is string => value !== undefined,
  );
  return patterns.some((pattern) => candidates.some((candidate) => wildcardMatch(pattern, candidate)));
}

/** "a, b and 3 more" for detail lines. */
export function listForPeople(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Hours between two epoch-ms times. */
export function hoursBetween(from: number, to: number): number {
  return (to - from) / 3_600_000;
}

/** "4 min", "2.5 h": how long, for people. */
export function formatHours(hours: number): string {
  return hours < 1 ? `${Math.max(0, Math.round(hours * 60))} min` : `${hours.toFixed(1)} h`;
}

/** The documents of policy references that have one. */
export function documentsOf(refs: readonly PolicyRef[]): readonly PolicyDocument[] {
  let docs = documentLists.get(refs);
  if (!docs) {
    docs = refs.flatMap((ref) => (ref.document ? [ref.document] : []));
    documentLists.set(refs, docs);
  }
  return docs;
}

/** A role view's policy list is read by every rule: its documents are listed once per list. */
const documentLists = new WeakMap<readonly PolicyRef[], readonly PolicyDocument[]>();

/**
 * What a permission policy of the role is judged with: the role's other policies and boundary (their
 * Denies subtract, the boundary caps) and the event's time (time conditions are decided against it).
 */
export function roleAnalysisContext(ctx: RuleContext, view: RoleView | undefined = ctx.role): AnalysisContext {
  return {
    others: view ? documentsOf(view.policies) : [],
    ...(view?.boundary?.document ? { boundary: view.boundary.document } : {}),
    ...judgementTime(ctx),
  };
}

/** The time conditions are decided against: the event's, else the context's; none on a bare re-evaluation. */
export function judgementTime(ctx: RuleContext): { at?: number } {
  const at = ctx.event?.time ?? ctx.at;
  return at === undefined ? {} : { at };
}

/** The analysis of one of the role's permission policies, in the role's context. */
export function analyseRolePolicy(ctx: RuleContext, doc: PolicyDocument, view?: RoleView): PermissionAnalysis {
  return analysePermissions(doc, roleAnalysisContext(ctx, view));
}

/**
 * True when a policy is admin-equivalent for the role. Rules about narrower grants (iam wildcards,
 * PassRole, NotAction, credentials, escalation paths) skip such policies: the admin finding already says
 * everything, and fifty findings for one AdministratorAccess attachment would bury it.
 */
export function isAdminPolicy(ctx: RuleContext, doc: PolicyDocument, view?: RoleView): boolean {
  return analyseRolePolicy(ctx, doc, view).adminEquivalent.length > 0;
}

/** Changed permission policies that are not admin-equivalent, with their analysis in the role's context. */
export function changedNonAdminPolicies(
  ctx: RuleContext,
): { ref: PolicyRef & { document: PolicyDocument }; analysis: PermissionAnalysis }[] {
  return changedPermissionPolicies(ctx)
    .map((ref) => ({ ref, analysis: analyseRolePolicy(ctx, ref.document) }))
    .filter(({ analysis }) => analysis.adminEquivalent.length === 0);
}

/** One level less severe (info stays info): for grants only callers the conditions name can use. */
export function lowerSeverity(severity: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.indexOf(severity) + 1, SEVERITIES.length - 1)] ?? severity;
}

/** "; only where aws:SourceIp (IpAddress) holds" for details of conditioned grants. */
export function conditionNote(hits: readonly { conditions: string[] }[]): string {
  const conditions = [...new Set(hits.flatMap((hit) => hit.conditions))];
  return conditions.length > 0 ? `; conditioned on ${listForPeople(conditions, 3)}` : '';
}

/** Concrete actions of statement hits, de-duplicated, for detail lines. */
export function actionsOf(hits: readonly { actions: string[]; patterns: string[] }[]): string[] {
  return [...new Set(hits.flatMap((hit) => (hit.actions.length > 0 ? hit.actions : hit.patterns)))];
}
