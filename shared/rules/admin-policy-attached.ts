import {
  ADMIN_POLICY_CONTROLS,
  analyseRolePolicy,
  changedPermissionPolicies,
  conditionNote,
  lowerSeverity,
  policyLabel,
} from './support';
import type { Rule } from './types';

export const adminPolicyAttached: Rule = {
  id: 'admin-policy-attached',
  title: 'Role given an administrator policy',
  severity: 'critical',
  kind: 'posture',
  // Security Hub IAM.1 checks the same condition on customer-managed policies.
  controls: [...ADMIN_POLICY_CONTROLS, 'SecurityHub-IAM.1'],
  events: ['AttachRolePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion'],
  firesWhen:
    "a managed policy that is admin-equivalent (AdministratorAccess, `*` on `*`, or NotAction leaving practically everything including IAM) is attached, after the role's Denies and boundary",
  severityNote: 'high when conditions restrict who: organization, network, MFA',
  rationale:
    'AdministratorAccess, or any managed policy allowing every action on every resource, makes whoever can assume the role a full administrator of the account.',
  remediation:
    'Detach the policy and grant the actions the workload needs; keep administrator roles few, protected and assumed only with MFA.',
  evaluate: (ctx) => {
    if (!ctx.role) return [];
    return changedPermissionPolicies(ctx)
      .filter((ref) => ref.kind === 'managed')
      .flatMap((ref) => {
        const admin = analyseRolePolicy(ctx, ref.document).adminEquivalent;
        if (admin.length === 0) return [];
        const how = admin.some((hit) => hit.element === 'NotAction') ? ' (through NotAction)' : '';
        // Conditions that name who may use the grant (organization, network, MFA) make it less exposed.
        const narrowed = admin.every((hit) => hit.restrictsWho);
        return [
          {
            qualifier: policyLabel(ref),
            detail: `role ${ctx.role?.name} has admin-equivalent policy ${policyLabel(ref)} attached${how}${conditionNote(admin)}`,
            ...(narrowed ? { severity: lowerSeverity(adminPolicyAttached.severity) } : {}),
            evidence: {
              policy: policyLabel(ref),
              statements: admin.map((hit) => hit.statement),
              coverage: admin.map((hit) => hit.coverage),
              conditions: [...new Set(admin.flatMap((hit) => hit.conditions))],
            },
          },
        ];
      });
  },
};
