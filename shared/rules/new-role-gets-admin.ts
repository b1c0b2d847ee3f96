import { pathLabel } from '../analysis/escalationPaths';
import { rolePrivilege } from '../analysis/privilege';
import { changedPermissionPolicies, documentsOf, formatHours, hoursBetween, isAdminPolicy, policyLabel } from './support';
import type { Rule } from './types';

export const newRoleGetsAdmin: Rule = {
  id: 'new-role-gets-admin',
  title: 'Newly created role receives admin or escalation rights',
  severity: 'high',
  kind: 'event',
  controls: [
    'NIST-800-53-r5-AC-2',
    'NIST-800-53-r5-AC-2(7)',
    'NIST-800-53-r5-AC-6',
    'PCI-DSS-4.0-7.2.2',
    'PCI-DSS-4.0-10.2.1.5',
    'ATTACK-T1098.003',
    'ATTACK-T1136.003',
  ],
  events: ['AttachRolePolicy', 'PutRolePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion'],
  firesWhen: 'a role created within the correlation window receives admin or escalation rights',
  rationale:
    'Creating a role and granting it administrator or privilege-escalation rights within a short time is how attackers mint persistent, powerful identities.',
  remediation: 'Confirm who created the role and why it needs these rights; scope its policies down or delete the role.',
  evaluate: (ctx) => {
    const role = ctx.role;
    const event = ctx.event;
    if (!role?.createdAt || !event) return [];
    const age = hoursBetween(role.createdAt, event.time);
    if (age < 0 || age > ctx.config.correlation.windowHours) return [];
    const admin = changedPermissionPolicies(ctx).filter((ref) => isAdminPolicy(ctx, ref.document));
    const at = { at: event.time };
    const before = new Set(
      ctx.previous
        ? rolePrivilege(documentsOf(ctx.previous.policies), ctx.previous.boundary?.document, at).escalation.map((m) => m.id)
        : [],
    );
    const methods = rolePrivilege(documentsOf(role.policies), role.boundary?.document, at).escalation.filter(
      (m) => !before.has(m.id),
    );
    if (admin.length === 0 && methods.length === 0) return [];
    const what =
      admin.length > 0
        ? `admin rights through ${admin.map(policyLabel).join(', ')}`
        : `escalation paths ${methods.map(pathLabel).join(', ')}`;
    return [
      {
        detail: `role ${role.name}, created ${formatHours(age)} earlier, received ${what}`,
        evidence: {
          createdAt: new Date(role.createdAt).toISOString(),
          adminPolicies: admin.map(policyLabel),
          paths: methods.map((m) => m.id),
        },
      },
    ];
  },
};
