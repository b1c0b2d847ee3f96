import { accountOfPrincipal } from '../analysis/conditions';
import { type AssumeSource, principalMatchesSource } from '../analysis/trust';
import type { Config } from '../config/config';
import { ASSUME_EVENTS, formatHours, hoursBetween } from './support';
import type { RoleView, Rule, RuleContext, RuleMatch } from './types';

export const assumedAfterTrustChange: Rule = {
  id: 'assumed-after-trust-change',
  title: 'Role assumed by a principal just added to its trust policy',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-AU-6', 'NIST-800-53-r5-SI-4', 'ATTACK-T1078.004', 'ATTACK-T1098.003'],
  events: ASSUME_EVENTS,
  // A trust change that arrives after the assumptions it preceded is matched with them then (the engine).
  // Services never: isWorthCorrelating leaves service principals out.
  correlatesTrustChanges: ['aws', 'web-identity', 'saml'],
  firesWhen: 'a principal newly added to a trust policy assumes the role within the window',
  rationale:
    'A principal added to a trust policy that uses the role soon after is the signature of a backdoor being exercised, or of access granted outside review being used at once.',
  remediation:
    "Verify the trust change and the session (who, from where); if unexpected, revert the trust policy and revoke the role's active sessions.",
  evaluate: onAssumption,
};

/** The role's trust change before the assumption (`role.trustChange`, as of the assumption's time). */
function onAssumption(ctx: RuleContext): RuleMatch[] {
  const change = ctx.role?.trustChange;
  const facts = ctx.assumption;
  const event = ctx.event;
  if (!change || !facts || !event) return [];
  // Most assumptions are long after the role's last trust change, or of a role whose change added no one worth
  // correlating: nothing to match, nothing to build.
  const elapsed = hoursBetween(change.at, event.time);
  if (elapsed < 0 || elapsed > ctx.config.correlation.windowHours) return [];
  const candidates = worthCorrelating(ctx, change);
  if (candidates.length === 0) return [];
  const caller = event.actor;
  const arn = caller.sessionIssuer?.arn ?? caller.arn;
  const source: AssumeSource = {};
  if (arn) source.arn = arn;
  if (facts.sourceAccount) source.account = facts.sourceAccount;
  if (facts.sourceType === 'service') source.service = facts.source;
  if (caller.identityProvider) source.provider = caller.identityProvider;
  const matched = candidates.filter((principal) => principalMatchesSource(principal, source));
  if (matched.length === 0) return [];
  const label = facts.source;
  return [
    {
      qualifier: label,
      detail: `${label} assumed role ${facts.roleName} ${formatHours(elapsed)} after ${matched.join(', ')} was added to its trust policy`,
      evidence: { source: label, addedPrincipals: matched, trustChangedAt: new Date(change.at).toISOString() },
    },
  ];
}

type TrustChange = NonNullable<RoleView['trustChange']>;

const candidatesByChange = new WeakMap<TrustChange, { config: Config; account: string | undefined; principals: string[] }>();

/**
 * The principals a trust change added that an assumption may be correlated with, in the change's order. They
 * depend on the change, the role's account and the configuration only, so every assumption of the role within
 * the window reads them once worked out (the engine hands the same change to each until the trust changes again).
 */
function worthCorrelating(ctx: RuleContext, change: TrustChange): readonly string[] {
  const account = ctx.role?.account;
  const cached = candidatesByChange.get(change);
  if (cached && cached.config === ctx.config && cached.account === account) return cached.principals;
  const principals = change.added.filter((principal) => principal !== '*' && isWorthCorrelating(principal, change.initial, ctx));
  candidatesByChange.set(change, { config: ctx.config, account, principals });
  return principals;
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
