import { actionsOf, changedNonAdminPolicies, listForPeople, PERMISSION_EVENTS, policyLabel } from './support';
import type { Rule } from './types';

/**
 * Token actions that support no resource-level permission: every role that pulls images or packages needs
 * them on "*", and what the token allows is governed by the role's other permissions. Reporting them would
 * flag every CI role.
 */
const RESOURCE_LESS_TOKENS = new Set([
  'ecr:getauthorizationtoken',
  'ecr-public:getauthorizationtoken',
  'codeartifact:getauthorizationtoken',
]);

export const credentialsOrDataExposure: Rule = {
  id: 'credentials-or-data-exposure',
  title: 'Role may read credentials or bulk data on all resources',
  severity: 'medium',
  kind: 'posture',
  controls: [
    'NIST-800-53-r5-AC-3',
    'NIST-800-53-r5-AC-6',
    'PCI-DSS-4.0-7.2.2',
    'PCI-DSS-4.0-7.2.5',
    'ATTACK-T1530',
    'ATTACK-T1555.006',
  ],
  events: PERMISSION_EVENTS,
  firesWhen: 'actions that return credentials, secrets or parameters, or bulk data reads, on all resources',
  rationale:
    'Actions that return credentials (access keys, tokens, secrets, parameters) or read data in bulk on every resource turn one compromised role into many.',
  remediation: 'Scope these actions to the specific secrets, parameters, buckets and tables the workload needs.',
  evaluate: (ctx) =>
    changedNonAdminPolicies(ctx).flatMap(({ ref, analysis }) => {
      const credentials = actionsOf(analysis.credentialExposure).filter(
        (action) => !RESOURCE_LESS_TOKENS.has(action.toLowerCase()),
      );
      const data = actionsOf(analysis.dataRead);
      if (credentials.length === 0 && data.length === 0) return [];
      const parts = [
        ...(credentials.length > 0 ? [`credentials through ${listForPeople(credentials, 5)}`] : []),
        ...(data.length > 0 ? [`bulk data through ${listForPeople(data, 5)}`] : []),
      ];
      return [
        {
          qualifier: policyLabel(ref),
          detail: `${policyLabel(ref)} exposes ${parts.join(' and ')} on all resources`,
          evidence: { policy: policyLabel(ref), credentialActions: credentials, dataActions: data },
        },
      ];
    }),
};
