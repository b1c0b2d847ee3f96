import { actorPrincipal } from '../cloudtrail/accessors';
import { ROLE_CHANGE_EVENTS } from './support';
import type { Rule } from './types';

export const iamChangeRecorded: Rule = {
  id: 'iam-change-recorded',
  title: 'Role change recorded',
  severity: 'info',
  kind: 'event',
  events: ROLE_CHANGE_EVENTS,
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
