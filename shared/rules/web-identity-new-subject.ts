import type { Rule } from './types';

export const webIdentityNewSubject: Rule = {
  id: 'web-identity-new-subject',
  title: 'Role assumed by a new web identity or SAML subject',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-IA-8', 'NIST-800-53-r5-SI-4', 'ATTACK-T1078.004'],
  events: ['AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML'],
  firesWhen: 'a web-identity or SAML subject or provider not seen before assumes the role',
  rationale:
    'A subject (repository, service account, user) or provider never seen before using a federated role can mean a trust condition is wider than intended.',
  remediation: "Confirm the subject is expected; tighten the :sub / SAML conditions of the role's trust policy if not.",
  evaluate: (ctx) => {
    const facts = ctx.assumption;
    if (!facts || facts.sourceType === 'aws' || facts.sourceType === 'service' || !facts.isFirstTime || facts.isLearning)
      return [];
    return [
      {
        qualifier: facts.source,
        detail: `role ${facts.roleName} assumed by new ${facts.sourceType === 'saml' ? 'SAML' : 'web identity'} subject ${facts.source}`,
        evidence: { source: facts.source },
      },
    ];
  },
};
