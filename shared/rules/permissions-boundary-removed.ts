import { actionsAllowedBeyond } from '../analysis/permissions';
import { diffPolicies, formatDiff } from '../policy/diff';
import { listForPeople } from './support';
import type { Rule } from './types';

export const permissionsBoundaryRemoved: Rule = {
  id: 'permissions-boundary-removed',
  title: 'Permissions boundary removed or loosened',
  severity: 'medium',
  kind: 'event',
  controls: [
    'CIS-5.0-4.4',
    'CIS-3.0-4.4',
    'NIST-800-53-r5-AC-6',
    'NIST-800-53-r5-CM-5',
    'PCI-DSS-4.0-10.2.1.5',
    'ATTACK-T1098.003',
  ],
  events: ['DeleteRolePermissionsBoundary', 'PutRolePermissionsBoundary'],
  firesWhen: 'a boundary is deleted, or replaced by one that allows more',
  rationale:
    'A permissions boundary caps what a role can do whatever its policies say; removing or widening it releases every permission the policies grant, often on purpose before an escalation.',
  remediation:
    'Put the previous boundary back, and require the boundary in the policies of whoever manages this role (iam:PermissionsBoundary condition).',
  evaluate: (ctx) => {
    const before = ctx.previous?.boundary;
    const role = ctx.role;
    if (!before || !role) return [];
    const after = role.boundary;
    if (!after) {
      return [
        {
          detail: `permissions boundary ${before.arn ?? before.name} removed from role ${role.name}`,
          evidence: { previous: before.arn },
        },
      ];
    }
    if (after.arn === before.arn && !after.previous) return [];
    if (!before.document || !after.document) return [];
    const beyond = actionsAllowedBeyond(after.document, before.document, 5);
    if (beyond.length === 0) return [];
    return [
      {
        detail: `permissions boundary of role ${role.name} replaced by a looser one: ${before.arn ?? before.name} → ${after.arn ?? after.name} now also allows ${listForPeople(beyond, 4)}`,
        evidence: { previous: before.arn, current: after.arn, newlyAllowed: beyond },
        diff: formatDiff(diffPolicies(before.document, after.document)),
      },
    ];
  },
};
