import { pathLabel } from '../analysis/escalationPaths';
import { analysePermissions, escalationMethods } from '../analysis/permissions';
import { diffPolicies, formatDiff } from '../policy/diff';
import type { PolicyDocument } from '../policy/types';
import { changedPermissionPolicies, judgementTime, listForPeople, policyLabel } from './support';
import type { Rule } from './types';

export const policyVersionEscalation: Rule = {
  id: 'policy-version-escalation',
  title: 'New default policy version adds admin or escalation rights',
  severity: 'high',
  kind: 'event',
  controls: [
    'CIS-5.0-4.4',
    'CIS-3.0-4.4',
    'NIST-800-53-r5-AC-6',
    'NIST-800-53-r5-AU-6',
    'NIST-800-53-r5-SI-4',
    'PCI-DSS-4.0-10.2.1.5',
    'ATTACK-T1098.003',
  ],
  events: ['CreatePolicyVersion', 'SetDefaultPolicyVersion'],
  firesWhen: 'a new default version of a customer policy attached to roles adds admin or escalation rights',
  rationale:
    'A new default version of a customer-managed policy silently changes every role it is attached to; adding admin or escalation rights this way bypasses reviews of the roles themselves.',
  remediation:
    'Set the previous version back as default (SetDefaultPolicyVersion), delete the new version, and find who created it.',
  evaluate: (ctx) => {
    if (!ctx.role) return [];
    return changedPermissionPolicies(ctx).flatMap((ref) => {
      // The version is judged on its own (it changes every role it is attached to), at the event's time.
      const at = judgementTime(ctx);
      const alone = (doc: PolicyDocument) => analysePermissions(doc, at);
      const now = alone(ref.document);
      const before = ref.previous ? alone(ref.previous) : undefined;
      const gainsAdmin = now.adminEquivalent.length > 0 && (before?.adminEquivalent.length ?? 0) === 0;
      const known = new Set(ref.previous ? escalationMethods([ref.previous], undefined, at).map((hit) => hit.id) : []);
      const methods = escalationMethods([ref.document], undefined, at).filter((hit) => !known.has(hit.id));
      if (!gainsAdmin && methods.length === 0) return [];
      const diff = diffPolicies(ref.previous, ref.document);
      const gained = gainsAdmin ? 'admin-equivalent rights' : `escalation paths ${listForPeople(methods.map(pathLabel), 4)}`;
      const through = diff.addedActions.length > 0 ? ` through ${listForPeople(diff.addedActions, 4)}` : '';
      return [
        {
          qualifier: policyLabel(ref),
          detail: `new default version of ${policyLabel(ref)} (attached to role ${ctx.role?.name}) adds ${gained}${through}${ref.previous ? '' : '; the previous version is unknown'}`,
          evidence: { policy: policyLabel(ref), admin: gainsAdmin, paths: methods.map((hit) => hit.id) },
          diff: formatDiff(diff),
        },
      ];
    });
  },
};
