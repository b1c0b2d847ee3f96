import { pathLabel } from '../analysis/escalationPaths';
import { type EscalationHit, escalationMethods } from '../analysis/permissions';
import { SEVERITIES, type Severity } from '../findings/severity';
import {
  conditionNote,
  documentsOf,
  isAdminPolicy,
  judgementTime,
  listForPeople,
  lowerSeverity,
  PERMISSION_EVENTS,
} from './support';
import type { RoleView, Rule, RuleContext } from './types';

export const privilegeEscalationPath: Rule = {
  id: 'privilege-escalation-path',
  title: 'Role can escalate its own privileges',
  severity: 'high',
  kind: 'posture',
  controls: [
    'NIST-800-53-r5-AC-5',
    'NIST-800-53-r5-AC-6',
    'NIST-800-53-r5-AC-6(10)',
    'PCI-DSS-4.0-7.2.2',
    'PCI-DSS-4.0-7.2.5',
    'ATTACK-T1098.003',
    'ATTACK-T1548.005',
  ],
  events: PERMISSION_EVENTS,
  firesWhen:
    "the role's effective permissions (all policies, minus every Deny, within the boundary) contain a path of the escalation catalogue (76: pathfinding.cloud's 65, cloudsplaining's methods, later PassRole services), each action allowed on what the path needs; the finding names each path with its id and category and the enabling actions",
  severityNote: 'medium through existing resources only; one lower when conditions restrict who',
  rationale:
    "Some combinations of IAM and service actions let a principal raise its own privileges: change its own permissions (self-escalation), act as another principal (principal-access), pass a role to new compute it controls (new-passrole), or run code as an existing resource's role (existing-passrole, which depends on such a resource existing). Judged on the role's effective permissions: every action of a path allowed on what the path needs (any role to pass, customer-managed policies, other users), after every Deny and within the boundary; grants on named resources, AWS-managed policies or the caller's own user alone do not count.",
  remediation:
    'Remove or scope one of the enabling actions (usually the iam: one) to specific resources, restrict iam:PassRole with iam:PassedToService, or add a permissions boundary that denies it.',
  evaluate: (ctx) => {
    const role = ctx.role;
    if (!role || role.policies.some((ref) => ref.document && isAdminPolicy(ctx, ref.document))) return [];
    const paths = pathsOf(ctx, role);
    const known = ctx.event && ctx.previous ? new Set(pathsOf(ctx, ctx.previous).map((hit) => hit.id)) : new Set<string>();
    const added = paths.filter((hit) => !known.has(hit.id));
    if (added.length === 0) return [];
    // One finding per role: the paths are one problem (too much power), not twenty.
    const describe = (hit: EscalationHit) => `${pathLabel(hit)} (${hit.actions.map((grant) => grant.action).join(' + ')})`;
    const existingOnly = added.every((hit) => hit.category === 'existing-passrole');
    return [
      {
        detail: `role ${role.name} can escalate its privileges: ${listForPeople(added.map(describe), 3)}${existingOnly ? '; through existing resources only: it depends on a resource that runs with a more privileged role' : ''}${conditionNote(added)}`,
        severity: added.map(severityOf).sort(bySeverity)[0] ?? privilegeEscalationPath.severity,
        evidence: {
          methods: paths.map((hit) => ({
            method: pathLabel(hit),
            id: hit.id,
            category: hit.category,
            reference: hit.reference,
            ...(hit.conditions.length > 0 ? { conditions: hit.conditions } : {}),
            actions: hit.actions.map((grant) => ({ action: grant.action, statement: grant.statement, patterns: grant.patterns })),
          })),
          newMethods: added.map(pathLabel),
        },
      },
    ];
  },
};

/**
 * High; medium when the path goes through existing resources (it needs one that runs with a more
 * privileged role); one lower when conditions name who may use the grant.
 */
function severityOf(hit: EscalationHit): Severity {
  const base: Severity = hit.category === 'existing-passrole' ? 'medium' : privilegeEscalationPath.severity;
  return hit.restrictsWho ? lowerSeverity(base) : base;
}

function bySeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}

function pathsOf(ctx: RuleContext, view: RoleView): EscalationHit[] {
  return escalationMethods(documentsOf(view.policies), view.boundary?.document, judgementTime(ctx));
}
