import { principalMatchesSource } from '../analysis/trust';
import { ASSUME_EVENTS, hoursBetween } from './support';
import type { Rule } from './types';

export const assumedAfterTrustChange: Rule = {
  id: 'assumed-after-trust-change',
  title: 'Role assumed by a principal just added to its trust policy',
  severity: 'high',
  kind: 'event',
  events: ASSUME_EVENTS,
  rationale:
    'A principal added to a trust policy that uses the role soon after is the signature of a backdoor being exercised, or of access granted outside review being used at once.',
  remediation:
    "Verify the trust change and the session (who, from where); if unexpected, revert the trust policy and revoke the role's active sessions.",
  evaluate: (ctx) => {
    const change = ctx.role?.trustChange;
    const facts = ctx.assumption;
    const event = ctx.event;
    if (!change || !facts || !event || change.added.length === 0) return [];
    const elapsed = hoursBetween(change.at, event.time);
    if (elapsed < 0 || elapsed > ctx.config.correlation.windowHours) return [];
    const caller = event.actor;
    const source = {
      ...((caller.sessionIssuer?.arn ?? caller.arn) ? { arn: caller.sessionIssuer?.arn ?? caller.arn } : {}),
      ...(facts.sourceAccount ? { account: facts.sourceAccount } : {}),
      ...(facts.sourceType === 'service' ? { service: facts.source } : {}),
      ...(caller.identityProvider ? { provider: caller.identityProvider } : {}),
    };
    const matched = change.added.filter((principal) => principal !== '*' && principalMatchesSource(principal, source));
    if (matched.length === 0) return [];
    return [
      {
        qualifier: facts.source,
        detail: `${facts.source} assumed role ${facts.roleName} ${elapsed.toFixed(1)} h after ${matched.join(', ')} was added to its trust policy`,
        evidence: { source: facts.source, addedPrincipals: matched, trustChangedAt: new Date(change.at).toISOString() },
      },
    ];
  },
};
