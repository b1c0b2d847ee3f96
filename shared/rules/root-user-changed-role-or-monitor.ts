import { actorPrincipal, getString } from '../cloudtrail/accessors';
import { MONITOR_EVENTS } from './monitor-tampering';
import { ROLE_CHANGE_EVENTS } from './support';
import type { Rule } from './types';

export const rootUserChangedRoleOrMonitor: Rule = {
  id: 'root-user-changed-role-or-monitor',
  title: 'Root user changed a role or the monitoring',
  severity: 'high',
  kind: 'event',
  controls: ['CIS-5.0-1.6', 'CIS-3.0-1.7', 'NIST-800-53-r5-AC-6(9)', 'ATTACK-T1078.004'],
  events: [...ROLE_CHANGE_EVENTS, ...MONITOR_EVENTS],
  references: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html'],
  firesWhen: 'the root user (`userIdentity.type` Root) changes a role or calls one of the monitor-tampering calls',
  rationale:
    'The root user is beyond IAM policies and permission boundaries; nothing routine needs it to change roles or logging, so such a call is either an emergency someone should know of or stolen root credentials.',
  remediation:
    'Confirm the call with the account owner; if unexplained, reset the root password and MFA, remove root access keys, and review everything the root user did.',
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event || event.actor.type !== 'Root') return [];
    const target = getString(event.request, 'roleName') ?? getString(event.request, 'name') ?? ctx.role?.name;
    return [
      {
        qualifier: event.eventName,
        detail: `root user of ${event.account} called ${event.eventName}${target ? ` on ${target}` : ''}`,
        evidence: { actor: actorPrincipal(event.actor), sourceIp: event.sourceIp, userAgent: event.userAgent },
      },
    ];
  },
};
