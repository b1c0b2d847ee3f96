import { type EscalationHit, escalationMethods } from '../analysis/permissions';
import { documentsOf, isAdminPolicy, PERMISSION_EVENTS } from './support';
import type { RoleView, Rule } from './types';

export const privilegeEscalationPath: Rule = {
  id: 'privilege-escalation-path',
  title: 'Role can escalate its own privileges',
  severity: 'high',
  kind: 'posture',
  events: PERMISSION_EVENTS,
  rationale:
    'Some combinations of IAM and service actions let a principal raise its own privileges (create a policy version, pass a role to new compute, update a trust policy...), so the role is effectively stronger than its policies read.',
  remediation:
    'Remove or scope one of the enabling actions (usually the iam: one) to specific resources, or add a permissions boundary that denies it.',
  evaluate: (ctx) => {
    const role = ctx.role;
    if (!role || role.policies.some((ref) => ref.document && isAdminPolicy(ref.document))) return [];
    const known = ctx.event && ctx.previous ? new Set(methodsOf(ctx.previous).map((hit) => hit.name)) : new Set<string>();
    return methodsOf(role)
      .filter((hit) => !known.has(hit.name))
      .map((hit) => ({
        qualifier: hit.name,
        detail: `role ${role.name} can escalate privileges by ${hit.name} using ${hit.actions.map((grant) => grant.action).join(' + ')}${hit.conditioned ? ' (some actions are conditioned)' : ''}`,
        evidence: {
          method: hit.name,
          reference: hit.reference,
          actions: hit.actions.map((grant) => ({ action: grant.action, statement: grant.statement, patterns: grant.patterns })),
        },
      }));
  },
};

function methodsOf(view: RoleView): EscalationHit[] {
  return escalationMethods(documentsOf(view.policies), view.boundary?.document);
}
