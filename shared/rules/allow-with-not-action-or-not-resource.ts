import { changedNonAdminPolicies, PERMISSION_EVENTS, policyLabel } from './support';
import type { Rule } from './types';

export const allowWithNotActionOrNotResource: Rule = {
  id: 'allow-with-not-action-or-not-resource',
  title: 'Allow statement with NotAction or NotResource',
  severity: 'medium',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-AC-6', 'PCI-DSS-4.0-7.2.2', 'PCI-DSS-4.0-7.2.5'],
  events: PERMISSION_EVENTS,
  firesWhen: 'Allow with NotAction or NotResource',
  rationale:
    'Allow with NotAction or NotResource grants everything except a list, including every action and resource AWS adds later; it is almost always broader than meant.',
  remediation: 'Rewrite the statement with Action and Resource lists; use a Deny statement for exceptions.',
  evaluate: (ctx) =>
    changedNonAdminPolicies(ctx).flatMap(({ ref, analysis }) => {
      if (analysis.notActionOrNotResource.length === 0) return [];
      const elements = [...new Set(analysis.notActionOrNotResource.flatMap((hit) => hit.elements))];
      return [
        {
          qualifier: policyLabel(ref),
          detail: `${policyLabel(ref)} allows with ${elements.join(' and ')} (statement ${analysis.notActionOrNotResource.map((h) => h.statement).join(', ')})`,
          evidence: { policy: policyLabel(ref), elements },
        },
      ];
    }),
};
