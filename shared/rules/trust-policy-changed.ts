import { diffPolicies, formatDiff } from '../policy/diff';
import { listForPeople } from './support';
import type { Rule } from './types';

export const trustPolicyChanged: Rule = {
  id: 'trust-policy-changed',
  title: 'Role trust policy changed',
  severity: 'medium',
  kind: 'event',
  controls: [
    'NIST-800-53-r5-AC-2(4)',
    'NIST-800-53-r5-AU-6',
    'NIST-800-53-r5-CM-3',
    'NIST-800-53-r5-SI-4',
    'PCI-DSS-4.0-10.2.1.5',
    'ATTACK-T1098.003',
  ],
  events: ['UpdateAssumeRolePolicy'],
  firesWhen: "an existing role's trust changed; carries the statement-level diff",
  severityNote: 'info when it only narrows',
  rationale:
    'Changing who may assume an existing role is how access is granted quietly and how backdoors are planted; every widening deserves a second look.',
  remediation: 'Confirm the change was intended and reviewed; revert it if not, and check who assumed the role since.',
  evaluate: (ctx) => {
    const before = ctx.previous?.trust;
    const after = ctx.role?.trust;
    if (!before || !after || !ctx.trustChanged) return [];
    const diff = diffPolicies(before, after);
    if (diff.isEmpty) return [];
    const parts = [
      ...(diff.addedPrincipals.length > 0 ? [`added ${listForPeople(diff.addedPrincipals)}`] : []),
      ...(diff.removedPrincipals.length > 0 ? [`removed ${listForPeople(diff.removedPrincipals)}`] : []),
    ];
    const summary =
      parts.length > 0
        ? parts.join('; ')
        : `${diff.addedStatements.length} statement(s) added, ${diff.removedStatements.length} removed`;
    return [
      {
        detail: `trust policy of role ${ctx.role?.name} changed: ${summary}`,
        ...(diff.narrowsOnly ? { severity: 'info' as const } : {}),
        evidence: {
          addedPrincipals: diff.addedPrincipals,
          removedPrincipals: diff.removedPrincipals,
          narrowsOnly: diff.narrowsOnly,
        },
        diff: formatDiff(diff),
      },
    ];
  },
};
