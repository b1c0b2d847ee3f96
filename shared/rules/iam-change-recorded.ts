import { actorPrincipal } from '../cloudtrail/accessors';
import { ROLE_CHANGE_EVENTS } from './support';
import type { Rule } from './types';

export const iamChangeRecorded: Rule = {
  id: 'iam-change-recorded',
  title: 'Role change recorded',
  severity: 'info',
  kind: 'event',
  controls: [
    'CIS-5.0-4.4',
    'CIS-3.0-4.4',
    'NIST-800-53-r5-AU-6',
    'NIST-800-53-r5-AU-12',
    'NIST-800-53-r5-CM-3',
    'PCI-DSS-4.0-10.2.1.5',
    'PCI-DSS-4.0-10.4.1.1',
  ],
  events: ROLE_CHANGE_EVENTS,
  firesWhen: 'every successful role change (history and digest; never alerts)',
  rationale:
    'Every successful change to a role is kept in its history and counted in the daily digest, so nothing changes silently.',
  remediation: 'No action needed; review the role history if the change was unexpected.',
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event) return [];
    const name = ctx.role?.name ?? ctx.previous?.name;
    return [{ detail: `${event.eventName} on ${name ? `role ${name}` : 'a role'} by ${actorPrincipal(event.actor)}` }];
  },
};
