import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustGithubOidcWithoutSubject: Rule = {
  id: 'trust-github-oidc-without-subject',
  title: 'GitHub OIDC trust without a subject condition',
  severity: 'critical',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-IA-8', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1078.004'],
  events: TRUST_EVENTS,
  firesWhen:
    'trusts GitHub Actions OIDC with nothing that pins the repository or workflow (`:sub`, `:repository`, `:repository_id`, `:job_workflow_ref`) or its owner',
  rationale:
    'Without a condition on token.actions.githubusercontent.com:sub, a workflow in any GitHub repository, of any owner, can assume the role.',
  remediation:
    'Add StringEquals (or a narrow StringLike) on token.actions.githubusercontent.com:sub, e.g. repo:ORG/REPO:ref:refs/heads/main or repo:ORG/REPO:environment:prod.',
  evaluate: (ctx) =>
    (changedTrust(ctx)?.webIdentity ?? [])
      .filter((entry) => entry.kind === 'github' && entry.problems.includes('no-sub'))
      .map((entry) => ({
        qualifier: entry.provider,
        detail: `role ${ctx.role?.name} trusts GitHub Actions OIDC with no condition on ${entry.host}:sub: any repository can assume it`,
        evidence: { provider: entry.provider, problems: entry.problems },
      })),
};
