import { wildcardMatch } from '../policy/match';
import { ASSUME_EVENTS } from './support';
import type { Rule } from './types';

export const protectedRoleAssumed: Rule = {
  id: 'protected-role-assumed',
  title: 'Protected role assumed',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-AC-6(9)', 'PCI-DSS-4.0-10.2.1.2', 'ATTACK-T1078.004', 'ATTACK-T1548.005'],
  events: ASSUME_EVENTS,
  firesWhen: 'a role in `protectedRoles` is assumed (one finding per source and day)',
  rationale:
    'Break-glass and organization-admin roles are for emergencies; every use should be known to the security team the day it happens.',
  remediation:
    'Confirm the use with the person who assumed the role and the incident it served; if unexplained, revoke the session and rotate access.',
  evaluate: (ctx) => {
    const facts = ctx.assumption;
    const event = ctx.event;
    if (!facts || !event) return [];
    const isProtected = ctx.config.protectedRoles.some((pattern) =>
      wildcardMatch(pattern, pattern.startsWith('arn:') ? facts.roleArn : facts.roleName),
    );
    if (!isProtected) return [];
    // One finding per source and day: every day of use alerts, repeats within the day are counted.
    const day = event.eventTime.slice(0, 10);
    return [
      {
        qualifier: `${facts.source}@${day}`,
        detail: `protected role ${facts.roleName} assumed by ${facts.source}`,
        evidence: { source: facts.source, sourceIp: event.sourceIp, day },
      },
    ];
  },
};
