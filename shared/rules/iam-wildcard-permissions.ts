import { actionsOf, changedNonAdminPolicies, listForPeople, PERMISSION_EVENTS, policyLabel } from './support';
import type { Rule } from './types';

export const iamWildcardPermissions: Rule = {
  id: 'iam-wildcard-permissions',
  title: 'Role may manage IAM permissions on all resources',
  severity: 'high',
  kind: 'posture',
  controls: [
    'NIST-800-53-r5-AC-6',
    'NIST-800-53-r5-AC-6(1)',
    'NIST-800-53-r5-AC-6(10)',
    'PCI-DSS-4.0-7.2.2',
    'PCI-DSS-4.0-7.2.5',
    'ATTACK-T1098.003',
  ],
  events: PERMISSION_EVENTS,
  firesWhen: '`iam:*` or permissions-management actions on all resources',
  rationale:
    'iam:* or permissions-management actions (attach, put or create policies, update trust) on every resource let the role grant itself or anyone else any permission.',
  remediation:
    'Scope IAM actions to the specific roles and policies the workload manages, ideally under a permissions boundary requirement.',
  evaluate: (ctx) =>
    changedNonAdminPolicies(ctx).flatMap(({ ref, analysis }) => {
      if (analysis.iamWildcard.length === 0) return [];
      const actions = actionsOf(analysis.iamWildcard);
      const written = [...new Set(analysis.iamWildcard.flatMap((hit) => hit.patterns))];
      return [
        {
          qualifier: policyLabel(ref),
          detail: `${policyLabel(ref)} grants ${listForPeople(written, 4)} on all resources: ${actions.length} permissions-management actions such as ${listForPeople(actions, 4)}`,
          evidence: { policy: policyLabel(ref), actions, statements: analysis.iamWildcard.map((hit) => hit.statement) },
        },
      ];
    }),
};
