import { pathLabel } from '../analysis/escalationPaths';
import { rolePrivilege } from '../analysis/privilege';
import { documentsOf, policyLabel } from './support';
import type { Rule } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;

export const privilegedRoleUnused: Rule = {
  id: 'privileged-role-unused',
  title: 'Role with admin or escalation rights unused for a long time',
  severity: 'medium',
  kind: 'posture',
  // NIST AC-2(3) asks to disable accounts inactive for a set period; AC-6(7) to review privileges and remove
  // those no longer needed. CIS 1.11/1.12 (unused credentials) are about IAM users' passwords and keys: not cited.
  controls: ['NIST-800-53-r5-AC-2(3)', 'NIST-800-53-r5-AC-6(7)'],
  // Judged on every reconcile read; also when an event gives privilege to a role already known to be idle.
  events: [
    'AttachRolePolicy',
    'PutRolePolicy',
    'CreatePolicyVersion',
    'SetDefaultPolicyVersion',
    'DeleteRolePermissionsBoundary',
  ],
  firesWhen:
    "a role with admin or escalation rights unused for more than `unusedRoleDays` (IAM's RoleLastUsed as reconcile or `rolewatch scan` last read it; never used counts from creation); resolves when the role is used again (next reconcile) or loses the rights",
  rationale:
    'A role that keeps administrator or privilege-escalation rights nobody uses is standing access with no owner watching it: whoever can still assume it inherits those rights unnoticed.',
  remediation:
    'Confirm with the owner whether the role is still needed; delete it, or remove its privileged policies until it is. Use IAM last-accessed data to scope what remains.',
  evaluate: (ctx) => {
    const role = ctx.role;
    // Judged against the time IAM's RoleLastUsed was read (reconcile, scan), never a clock.
    const observation = role?.lastUsed;
    if (!role || !observation) return [];
    // Never used (in IAM's tracking period): idle since the role was created.
    const since = observation.at ?? role.createdAt;
    if (since === undefined) return [];
    const idleDays = Math.floor((observation.observedAt - since) / DAY_MS);
    if (idleDays <= ctx.config.unusedRoleDays) return [];
    const documents = documentsOf(role.policies);
    const privilege = rolePrivilege(documents, role.boundary?.document, { at: observation.observedAt });
    if (!privilege.privileged) return [];
    const withDocuments = role.policies.filter((ref) => ref.document);
    const adminPolicies = privilege.adminPolicies.flatMap((index) => {
      const ref = withDocuments[index];
      return ref ? [policyLabel(ref)] : [];
    });
    const rights =
      adminPolicies.length > 0
        ? `admin rights through ${adminPolicies.join(', ')}`
        : `escalation paths ${privilege.escalation.map(pathLabel).join(', ')}`;
    const use = observation.at === undefined ? 'never used since its creation' : 'not used';
    return [
      {
        detail: `role ${role.name} has ${rights} and was ${use} for ${idleDays} days (limit ${ctx.config.unusedRoleDays})`,
        evidence: {
          lastUsed: observation.at === undefined ? null : new Date(observation.at).toISOString(),
          ...(observation.region ? { lastUsedRegion: observation.region } : {}),
          ...(observation.at === undefined && role.createdAt !== undefined
            ? { createdAt: new Date(role.createdAt).toISOString() }
            : {}),
          observedAt: new Date(observation.observedAt).toISOString(),
          idleDays,
          adminPolicies,
          paths: privilege.escalation.map((m) => m.id),
        },
      },
    ];
  },
};
