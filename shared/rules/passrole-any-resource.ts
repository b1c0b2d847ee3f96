import { changedNonAdminPolicies, conditionNote, PERMISSION_EVENTS, policyLabel } from './support';
import type { Rule } from './types';

export const passroleAnyResource: Rule = {
  id: 'passrole-any-resource',
  title: 'Role may pass any role to a service',
  severity: 'high',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-6', 'NIST-800-53-r5-AC-6(10)', 'PCI-DSS-4.0-7.2.2', 'PCI-DSS-4.0-7.2.5', 'ATTACK-T1548.005'],
  events: PERMISSION_EVENTS,
  firesWhen: '`iam:PassRole` on `*` or on every role of an account',
  rationale:
    "iam:PassRole on * lets the holder hand any role, admin included, to compute it controls, and act with that role's permissions. Under conditions (iam:PassedToService, tags...) the grant is named with them and is medium: it reaches fewer services; whether it completes an escalation is privilege-escalation-path's judgement.",
  remediation: 'Scope iam:PassRole to the role ARNs the workload needs, with an iam:PassedToService condition.',
  evaluate: (ctx) =>
    changedNonAdminPolicies(ctx).flatMap(({ ref, analysis }) => {
      if (analysis.passRoleAnyResource.length === 0) return [];
      const hits = analysis.passRoleAnyResource;
      const resources = [...new Set(hits.flatMap((hit) => hit.resources))];
      return [
        {
          qualifier: policyLabel(ref),
          detail: `${policyLabel(ref)} allows iam:PassRole on ${resources.join(', ')}${conditionNote(hits)}`,
          ...(hits.every((hit) => hit.conditioned) ? { severity: 'medium' as const } : {}),
          evidence: { policy: policyLabel(ref), resources, statements: analysis.passRoleAnyResource.map((hit) => hit.statement) },
        },
      ];
    }),
};
