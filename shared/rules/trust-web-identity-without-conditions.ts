import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustWebIdentityWithoutConditions: Rule = {
  id: 'trust-web-identity-without-conditions',
  title: 'Web identity trust without subject or audience conditions',
  severity: 'high',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-IA-8', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1078.004'],
  events: TRUST_EVENTS,
  firesWhen: 'another OIDC/Cognito/EKS/Google/GitLab provider without sub/aud conditions',
  rationale:
    'An OIDC, Cognito, EKS, Google or GitLab provider trusted without sub/aud conditions lets any identity that provider can vouch for assume the role.',
  remediation:
    "Add StringEquals conditions on the provider's :aud (client, pool or app id) and :sub (the service account, project or user) claims.",
  evaluate: (ctx) =>
    (changedTrust(ctx)?.webIdentity ?? [])
      // Providers controlled by subject (EKS, GitLab, generic OIDC) miss :sub; those controlled by audience
      // (Cognito pools, Google and other social apps) miss :aud and have no subject condition either.
      .filter(
        (entry) =>
          entry.kind !== 'github' &&
          (entry.problems.includes('no-sub') || (entry.problems.includes('no-aud') && entry.subjectConditions.length === 0)),
      )
      .map((entry) => ({
        qualifier: entry.provider,
        detail: `role ${ctx.role?.name} trusts web identity provider ${entry.host} without a condition on who (${entry.problems.join(', ')})`,
        evidence: { provider: entry.provider, kind: entry.kind, problems: entry.problems },
      })),
};
