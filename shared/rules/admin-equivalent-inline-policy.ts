import { ADMIN_POLICY_CONTROLS, analyseRolePolicy, changedPermissionPolicies, conditionNote, lowerSeverity } from './support';
import type { Rule } from './types';

export const adminEquivalentInlinePolicy: Rule = {
  id: 'admin-equivalent-inline-policy',
  title: 'Role has an admin-equivalent inline policy',
  severity: 'critical',
  kind: 'posture',
  controls: ADMIN_POLICY_CONTROLS,
  events: ['PutRolePolicy'],
  firesWhen: 'an inline policy is admin-equivalent',
  severityNote: 'high when conditions restrict who',
  rationale:
    'An inline policy allowing every action on every resource makes the role a full administrator, out of sight of managed-policy inventories.',
  remediation: 'Replace the inline policy with one listing the actions and resources the workload needs.',
  evaluate: (ctx) =>
    changedPermissionPolicies(ctx)
      .filter((ref) => ref.kind === 'inline')
      .flatMap((ref) => {
        const admin = analyseRolePolicy(ctx, ref.document).adminEquivalent;
        if (admin.length === 0) return [];
        const narrowed = admin.every((hit) => hit.restrictsWho);
        return [
          {
            qualifier: `inline:${ref.name}`,
            detail: `inline policy ${ref.name} of role ${ctx.role?.name} is admin-equivalent (statement ${admin.map((h) => h.statement).join(', ')}: ${admin[0]?.element} ${admin[0]?.patterns.join(', ')})${conditionNote(admin)}`,
            ...(narrowed ? { severity: lowerSeverity(adminEquivalentInlinePolicy.severity) } : {}),
            evidence: {
              policy: ref.name,
              statements: admin.map((hit) => hit.statement),
              conditions: [...new Set(admin.flatMap((hit) => hit.conditions))],
            },
          },
        ];
      }),
};
