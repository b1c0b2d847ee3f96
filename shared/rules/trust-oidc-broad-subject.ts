import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustOidcBroadSubject: Rule = {
  id: 'trust-oidc-broad-subject',
  title: 'OIDC trust with a subject that is too broad or no audience',
  severity: 'high',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-IA-8', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1078.004'],
  events: TRUST_EVENTS,
  firesWhen:
    'OIDC subject too broad (`repo:org/*`, `*`, `pull_request`) and no claim pins the repository, a GitHub trust pinned only to an owner, enterprise or actor, or `:aud` missing',
  rationale:
    'A wildcarded subject (repo:org/*, *, any pull_request) lets every repository, branch or fork workflow that matches assume the role; a missing audience accepts tokens minted for other consumers.',
  remediation:
    'Pin the subject to one repository and a protected ref or environment, and add a StringEquals condition on the :aud claim (sts.amazonaws.com for GitHub).',
  evaluate: (ctx) =>
    (changedTrust(ctx)?.webIdentity ?? []).flatMap((entry) => {
      const broad = entry.problems.includes('broad-sub') || entry.problems.includes('for-all-values-sub');
      // Without any subject condition, trust-github-oidc-without-subject or trust-web-identity-without-conditions reports it.
      const noAudience =
        entry.problems.includes('no-aud') && !entry.problems.includes('no-sub') && entry.subjectConditions.length > 0;
      if (!broad && !noAudience) return [];
      const reasons = [
        ...(broad
          ? [`subject ${entry.broadSubjects.length > 0 ? entry.broadSubjects.join(', ') : 'condition'} is too broad`]
          : []),
        ...(noAudience ? [`no condition on ${entry.host}:aud`] : []),
      ];
      return [
        {
          qualifier: entry.provider,
          detail: `role ${ctx.role?.name} trusts ${entry.host}: ${reasons.join('; ')}`,
          evidence: { provider: entry.provider, broadSubjects: entry.broadSubjects, problems: entry.problems },
        },
      ];
    }),
};
