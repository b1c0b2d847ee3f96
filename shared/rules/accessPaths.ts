import { analysePermissions, escalationMethods } from '../analysis/permissions';
import { type RolePrivilege, rolePrivilege } from '../analysis/privilege';
import { getString } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import { awsManagedPolicy } from '../policy/managed';
import { wildcardMatch } from '../policy/match';
import { parsePolicy } from '../policy/parse';
import type { PolicyDocument } from '../policy/types';
import { documentsOf, listForPeople, policyLabel } from './support';
import type { AccountFact, RoleView, RuleContext, Severity } from './types';

/**
 * Shared pieces of the rules about the other ways into a role's power (Roles Anywhere, Identity Center, root
 * sessions, guardrails, workload bindings): which event a rule may judge, and how privileged a role is, by
 * RoleWatch's own permission analysis.
 */

/** The event under evaluation when it comes from `source` (other services reuse IAM's event names). */
export function eventFrom(ctx: RuleContext, source: string): TrailEvent | undefined {
  return ctx.event?.eventSource === source ? ctx.event : undefined;
}

/** A privileged role (admin-equivalent or with a known escalation path) and what makes it so, for people. */
export interface PrivilegedRole {
  role: RoleView;
  privilege: RolePrivilege;
  why: string;
}

/** The roles among `roles` that RoleWatch's analysis judges privileged. */
export function privilegedRoles(roles: readonly RoleView[] | undefined): PrivilegedRole[] {
  return (roles ?? []).flatMap((role) => {
    const documents = documentsOf(role.policies.filter((ref) => ref.kind !== 'boundary'));
    const privilege = rolePrivilege(documents, role.boundary?.document);
    if (!privilege.privileged) return [];
    const withDocument = role.policies.filter((ref) => ref.kind !== 'boundary' && ref.document !== undefined);
    const admin = privilege.adminPolicies.flatMap((index) => {
      const ref = withDocument[index];
      return ref ? [policyLabel(ref)] : [];
    });
    const why =
      admin.length > 0
        ? `admin through ${listForPeople(admin, 2)}`
        : `escalation through ${listForPeople(
            privilege.escalation.map((hit) => hit.name),
            2,
          )}`;
    return [{ role, privilege, why }];
  });
}

/** True when the role is listed in `protectedRoles` (names match after the path, `arn:` entries the ARN). */
export function isProtectedRole(ctx: RuleContext, role: { name: string; arn: string }): boolean {
  return ctx.config.protectedRoles.some((pattern) => wildcardMatch(pattern, pattern.startsWith('arn:') ? role.arn : role.name));
}

/** Live facts of a kind the rule asked for (Rule.facts). */
export function factsOfKind(ctx: RuleContext, kind: string): readonly AccountFact[] {
  return ctx.facts?.[kind] ?? [];
}

/** A string field of a fact's value. */
export function factString(fact: AccountFact, key: string): string | undefined {
  return getString(fact.value, key);
}

/** The name an ARN ends with (after the last `/`), for detail lines. */
export function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** The AWS-managed policy or policy text a call names, judged by RoleWatch's permission analysis: what makes it risky. */
export interface PolicyVerdict {
  severity: Severity;
  what: string;
}

/** The worst thing a permission policy grants, by the same analysis as role policies; undefined when nothing risky. */
export function judgePolicy(document: PolicyDocument): PolicyVerdict | undefined {
  const analysis = analysePermissions(document);
  if (analysis.adminEquivalent.length > 0) return { severity: 'critical', what: 'admin-equivalent rights' };
  const methods = escalationMethods([document]).map((hit) => hit.name);
  if (methods.length > 0) return { severity: 'high', what: `privilege escalation (${listForPeople(methods, 3)})` };
  if (analysis.iamWildcard.length > 0) return { severity: 'high', what: 'IAM permissions management on all resources' };
  if (analysis.passRoleAnyResource.length > 0) return { severity: 'high', what: 'iam:PassRole on every role' };
  const services = [...new Set(analysis.serviceWildcards.map((hit) => hit.service))];
  if (services.length > 0) return { severity: 'medium', what: `every action of ${listForPeople(services)}` };
  return undefined;
}

/** The document a permission-set call names: its inline policy text, or the AWS-managed policy it attaches. */
export function permissionSetDocument(source: { inlinePolicy?: string | undefined; managedPolicyArn?: string | undefined }): {
  label: string;
  document?: PolicyDocument;
  error?: string;
} {
  if (source.managedPolicyArn !== undefined) {
    const managed = awsManagedPolicy(source.managedPolicyArn);
    return managed
      ? { label: source.managedPolicyArn, document: managed.document }
      : { label: source.managedPolicyArn, error: 'not in the bundled AWS-managed policy catalogue' };
  }
  const parsed = parsePolicy(source.inlinePolicy ?? '');
  return parsed.ok ? { label: 'inline policy', document: parsed.document } : { label: 'inline policy', error: parsed.error };
}

/** An `AWSReservedSSO_<permission set>_<hex>` role: the permission set's name, else undefined. */
export function reservedSsoPermissionSet(roleName: string): string | undefined {
  return /^AWSReservedSSO_(.+)_[0-9a-f]{16}$/.exec(roleName)?.[1];
}

/** True when IAM Identity Center's service role made the call: its echo of a permission-set change into an account. */
export function isIdentityCenterService(event: TrailEvent | undefined): boolean {
  const issuer = event?.actor.sessionIssuer?.arn ?? '';
  return /:role\/aws-service-role\/sso\.amazonaws\.com\/AWSServiceRoleForSSO$/.test(issuer);
}

/** A permission set's name, from its creation when RoleWatch saw it, else the end of its ARN. */
export function permissionSetName(ctx: RuleContext, arn: string): string {
  const known = factsOfKind(ctx, 'org:permission-set').find((fact) => fact.id === arn);
  return (known && factString(known, 'name')) ?? lastSegment(arn);
}

/**
 * The last recorded change, at or before `at`, of the permission set named `setName`: the change an
 * `AWSReservedSSO_<setName>_*` role change by Identity Center's service role echoes into a member account.
 */
export function echoedPermissionSetChange(
  sets: readonly AccountFact[],
  changes: readonly AccountFact[],
  setName: string,
  at: number,
): AccountFact | undefined {
  const arns = new Set(sets.filter((set) => factString(set, 'name') === setName).map((set) => set.id));
  return changes.filter((change) => arns.has(change.id) && change.at <= at).sort((a, b) => b.at - a.at)[0];
}

/** The AWS-managed policies that allow everything: detaching one takes rights away, it weakens nothing. */
export const ALLOW_ALL_POLICIES: ReadonlySet<string> = new Set(['p-FullAWSAccess', 'p-RCPFullAWSAccess']);

/** The policy types that bound what roles may do. */
export const GUARDRAIL_TYPES: ReadonlySet<string> = new Set(['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY']);

/** A guardrail RoleWatch saw attached over an account: the policy, its type and where it is attached. */
export interface AppliedGuardrail {
  policyId: string;
  name?: string;
  type: string;
  target: string;
}

/**
 * The SCPs and RCPs recorded as attached to the account itself, to the parent it was last seen moved to
 * (MoveAccount) and to the organization root. Only recorded attachments are known: a policy attached before
 * RoleWatch watched, or an OU above the parent, is missing. Allow-all policies are left out; a policy whose
 * creation was not seen counts (its type is `unknown`), as guardrail-weakened counts it.
 */
export function appliedGuardrails(
  account: string,
  facts: { attachments: readonly AccountFact[]; policies: readonly AccountFact[]; parents: readonly AccountFact[] },
): AppliedGuardrail[] {
  const parent = facts.parents.find((fact) => fact.id === account);
  const parentId = parent ? factString(parent, 'parentId') : undefined;
  const over = (target: string) => target === account || target === parentId || /^r-[0-9a-z]{4,32}$/.test(target);
  return facts.attachments.flatMap((fact) => {
    const policyId = factString(fact, 'policyId');
    const target = factString(fact, 'targetId');
    if (!policyId || !target || ALLOW_ALL_POLICIES.has(policyId) || !over(target)) return [];
    const policy = facts.policies.find((p) => p.id === policyId);
    const type = (policy && factString(policy, 'type')) ?? 'unknown';
    if (type !== 'unknown' && !GUARDRAIL_TYPES.has(type)) return [];
    const name = policy && factString(policy, 'name');
    return [{ policyId, ...(name ? { name } : {}), type, target }];
  });
}
