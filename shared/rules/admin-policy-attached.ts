import { analysePermissions } from '../analysis/permissions';
import { ADMIN_POLICY_CONTROLS, changedPermissionPolicies, policyLabel } from './support';
import type { Rule } from './types';

export const adminPolicyAttached: Rule = {
  id: 'admin-policy-attached',
  title: 'Role given an administrator policy',
  severity: 'critical',
  kind: 'posture',
  // Security Hub IAM.1 checks the same condition on customer-managed policies.
  controls: [...ADMIN_POLICY_CONTROLS, 'SecurityHub-IAM.1'],
  events: ['AttachRolePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion'],
  rationale:
    'AdministratorAccess, or any managed policy allowing every action on every resource, makes whoever can assume the role a full administrator of the account.',
  remediation:
    'Detach the policy and grant the actions the workload needs; keep administrator roles few, protected and assumed only with MFA.',
  evaluate: (ctx) => {
    if (!ctx.role) return [];
    return changedPermissionPolicies(ctx)
      .filter((ref) => ref.kind === 'managed')
      .flatMap((ref) => {
        const admin = analysePermissions(ref.document).adminEquivalent;
        if (admin.length === 0) return [];
        const how = admin.some((hit) => hit.element === 'NotAction') ? ' (through NotAction)' : '';
        return [
          {
            qualifier: policyLabel(ref),
            detail: `role ${ctx.role?.name} has admin-equivalent policy ${policyLabel(ref)} attached${how}`,
            evidence: {
              policy: policyLabel(ref),
              statements: admin.map((hit) => hit.statement),
              coverage: admin.map((hit) => hit.coverage),
            },
          },
        ];
      });
  },
};
