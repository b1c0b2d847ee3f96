import { accountOfPrincipal } from '../analysis/conditions';
import { type AssumeSource, principalMatchesSource } from '../analysis/trust';
import type { AssumptionEdge } from '../engine/ports';
import { ASSUME_EVENTS, formatHours, hoursBetween, TRUST_EVENTS } from './support';
import type { Rule, RuleContext, RuleMatch } from './types';

export const assumedAfterTrustChange: Rule = {
  id: 'assumed-after-trust-change',
  title: 'Role assumed by a principal just added to its trust policy',
  severity: 'high',
  kind: 'event',
  // Trust events too: an assumption that arrives before the trust change it followed is matched then.
  events: [...ASSUME_EVENTS, ...TRUST_EVENTS],
  rationale:
    'A principal added to a trust policy that uses the role soon after is the signature of a backdoor being exercised, or of access granted outside review being used at once.',
  remediation:
    "Verify the trust change and the session (who, from where); if unexpected, revert the trust policy and revoke the role's active sessions.",
  evaluate: (ctx) => (ctx.assumption ? onAssumption(ctx) : onTrustChange(ctx)),
};

function onAssumption(ctx: RuleContext): RuleMatch[] {
  const change = ctx.role?.trustChange;
  const facts = ctx.assumption;
  const event = ctx.event;
  if (!change || !facts || !event) return [];
  const caller = event.actor;
  const arn = caller.sessionIssuer?.arn ?? caller.arn;
  const source: AssumeSource = {
    ...(arn ? { arn } : {}),
    ...(facts.sourceAccount ? { account: facts.sourceAccount } : {}),
    ...(facts.sourceType === 'service' ? { service: facts.source } : {}),
    ...(caller.identityProvider ? { provider: caller.identityProvider } : {}),
  };
  return match(ctx, change, facts.source, facts.roleName, source, event.time);
}

function onTrustChange(ctx: RuleContext): RuleMatch[] {
  const change = ctx.role?.trustChange;
  const role = ctx.role;
  if (!change || !role || !ctx.trustChanged || !ctx.event) return [];
  return (ctx.assumptionEdges ?? []).flatMap((edge) =>
    match(ctx, change, edge.source, role.name, sourceOfEdge(edge), edge.lastSeen),
  );
}

function match(
  ctx: RuleContext,
  change: { at: number; added: string[]; initial: boolean },
  label: string,
  roleName: string,
  source: AssumeSource,
  assumedAt: number,
): RuleMatch[] {
  const elapsed = hoursBetween(change.at, assumedAt);
  if (elapsed < 0 || elapsed > ctx.config.correlation.windowHours) return [];
  const matched = change.added.filter(
    (principal) =>
      principal !== '*' && isWorthCorrelating(principal, change.initial, ctx) && principalMatchesSource(principal, source),
  );
  if (matched.length === 0) return [];
  return [
    {
      qualifier: label,
      detail: `${label} assumed role ${roleName} ${formatHours(elapsed)} after ${matched.join(', ')} was added to its trust policy`,
      evidence: { source: label, addedPrincipals: matched, trustChangedAt: new Date(change.at).toISOString() },
    },
  ];
}

function sourceOfEdge(edge: AssumptionEdge): AssumeSource {
  if (edge.sourceType === 'service') return { service: edge.source };
  if (edge.sourceType === 'aws') {
    return {
      ...(edge.source.startsWith('arn:') ? { arn: edge.source } : {}),
      ...(edge.sourceAccount ? { account: edge.sourceAccount } : {}),
    };
  }
  // Web-identity and SAML edges are keyed by provider and subject; they are matched when the assumption arrives.
  return {};
}

/**
 * Services assume the roles made for them, and a new role used by its own organization is the normal case;
 * a role created for an outside account and used from it at once is the backdoor pattern.
 */
function isWorthCorrelating(principal: string, initial: boolean, ctx: RuleContext): boolean {
  if (principal.startsWith('Service:')) return false;
  if (!initial) return true;
  const account = accountOfPrincipal(principal.replace(/^AWS:/, ''));
  if (account === undefined) return false;
  return account !== ctx.role?.account && !ctx.config.knownAccounts.includes(account);
}
