import { type EscalationHit, escalationMethods } from '../analysis/permissions';
import { documentsOf, isAdminPolicy, listForPeople, PERMISSION_EVENTS } from './support';
import type { RoleView, Rule } from './types';

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
  rationale:
    'Some combinations of IAM and service actions let a principal raise its own privileges (create a policy version, pass a role to new compute, update a trust policy...), so the role is effectively stronger than its policies read.',
  remediation:
    'Remove or scope one of the enabling actions (usually the iam: one) to specific resources, or add a permissions boundary that denies it.',
  evaluate: (ctx) => {
    const role = ctx.role;
    if (!role || role.policies.some((ref) => ref.document && isAdminPolicy(ref.document))) return [];
    const methods = methodsOf(role);
    const known = ctx.event && ctx.previous ? new Set(methodsOf(ctx.previous).map((hit) => hit.name)) : new Set<string>();
    const added = methods.filter((hit) => !known.has(hit.name));
    if (added.length === 0) return [];
    // One finding per role: the methods are one problem (too much IAM power), not twenty.
    const describe = (hit: EscalationHit) => `${hit.name} (${hit.actions.map((grant) => grant.action).join(' + ')})`;
    return [
      {
        detail: `role ${role.name} can escalate its privileges: ${listForPeople(added.map(describe), 3)}${added.some((hit) => hit.conditioned) ? '; some actions are conditioned' : ''}`,
        evidence: {
          methods: methods.map((hit) => ({
            method: hit.name,
            reference: hit.reference,
            actions: hit.actions.map((grant) => ({ action: grant.action, statement: grant.statement, patterns: grant.patterns })),
          })),
          newMethods: added.map((hit) => hit.name),
        },
      },
    ];
  },
};

function methodsOf(view: RoleView): EscalationHit[] {
  return escalationMethods(documentsOf(view.policies), view.boundary?.document);
}
