import { analyseTrust } from '../analysis/trust';
import { actorPrincipal } from '../cloudtrail/accessors';
import { isProtectedRole } from './accessPaths';
import { listForPeople } from './support';
import type { Rule } from './types';

/** IAM's default maximum session duration (one hour), in seconds. */
const DEFAULT_MAX_SESSION = 3600;

export const sessionDurationRaised: Rule = {
  id: 'session-duration-raised',
  title: 'Longer sessions allowed on a protected or cross-account role',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2', 'NIST-800-53-r5-CM-3', 'ATTACK-T1078.004'],
  events: ['UpdateRole'],
  references: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRole.html',
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html',
  ],
  firesWhen: '`UpdateRole` raises `MaxSessionDuration` above one hour on a protected role or one another account may assume',
  severityNote: 'high for a protected role or one trusting anyone',
  rationale:
    "A role's maximum session duration bounds how long stolen or outside credentials keep working: raising it on a break-glass role or on one that another account assumes stretches every session of that caller, up to 12 hours.",
  remediation:
    'Set MaxSessionDuration back to the shortest the work needs (the default is one hour); for cross-account and protected roles keep it at one hour.',
  evaluate: (ctx) => {
    const event = ctx.event;
    const role = ctx.role;
    const raw = event?.request.maxSessionDuration;
    const seconds = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
    if (!event || !role || typeof seconds !== 'number' || seconds <= DEFAULT_MAX_SESSION) return [];
    const isProtected = isProtectedRole(ctx, role);
    const trust = role.trust
      ? analyseTrust(role.trust, {
          account: role.account,
          knownAccounts: ctx.config.knownAccounts,
          thirdParties: ctx.config.trustedThirdParties,
        })
      : undefined;
    const others = [...new Set((trust?.accounts ?? []).filter((a) => a.relation !== 'own').map((a) => a.account))];
    const anyone = (trust?.anyPrincipal.length ?? 0) > 0;
    if (!isProtected && others.length === 0 && !anyone) return [];
    const why = [
      ...(isProtected ? ['a protected role'] : []),
      ...(others.length > 0 ? [`trusted by account ${listForPeople(others)}`] : []),
      ...(anyone ? ['trusted by any principal'] : []),
    ].join(', ');
    return [
      {
        qualifier: String(seconds),
        severity: isProtected || anyone ? 'high' : 'medium',
        detail: `${actorPrincipal(event.actor)} raised the maximum session of role ${role.name} (${why}) to ${(seconds / 3600).toFixed(1)} h`,
        evidence: { maxSessionDuration: seconds, protected: isProtected, trustedAccounts: others },
      },
    ];
  },
};
