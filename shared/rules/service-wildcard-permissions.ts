import { changedNonAdminPolicies, PERMISSION_EVENTS, policyLabel } from './support';
import type { Rule } from './types';

export const serviceWildcardPermissions: Rule = {
  id: 'service-wildcard-permissions',
  title: 'Role granted every action of a service',
  severity: 'medium',
  kind: 'posture',
  controls: ['SecurityHub-IAM.21', 'NIST-800-53-r5-AC-3', 'NIST-800-53-r5-AC-6', 'PCI-DSS-4.0-7.2.2', 'PCI-DSS-4.0-7.2.5'],
  events: PERMISSION_EVENTS,
  firesWhen: '`svc:*` for a service, unless Denies or the boundary take every action of it away',
  rationale: "svc:* grants today's and every future action of the service, including destructive and permission-changing ones.",
  remediation: 'List the actions the workload uses (IAM Access Analyzer can generate them from CloudTrail activity).',
  evaluate: (ctx) =>
    changedNonAdminPolicies(ctx).flatMap(({ ref, analysis }) => {
      // iam:* is reported, more severely, by iam-wildcard-permissions.
      const services = [...new Set(analysis.serviceWildcards.map((hit) => hit.service))]
        .filter((service) => service !== 'iam')
        .sort();
      if (services.length === 0) return [];
      return [
        {
          qualifier: policyLabel(ref),
          detail: `${policyLabel(ref)} grants every action of ${services.map((s) => `${s}:*`).join(', ')}`,
          evidence: { policy: policyLabel(ref), services },
        },
      ];
    }),
};
