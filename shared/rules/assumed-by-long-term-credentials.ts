import { ASSUME_EVENTS } from './support';
import type { Rule } from './types';

export const assumedByLongTermCredentials: Rule = {
  id: 'assumed-by-long-term-credentials',
  title: 'Role assumed with an IAM user access key',
  severity: 'low',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-SI-4', 'ATTACK-T1078.004'],
  events: ASSUME_EVENTS,
  firesWhen: "an IAM user's access key (AKIA…) assumes a role",
  rationale:
    'Long-term access keys leak and never expire; roles should be reached through SSO or workload identities, not static keys.',
  remediation:
    'Move the caller to IAM Identity Center or a workload identity (OIDC, instance profile) and deactivate the access key.',
  evaluate: (ctx) => {
    const actor = ctx.event?.actor;
    const facts = ctx.assumption;
    if (!actor || !facts || actor.type !== 'IAMUser' || !actor.accessKeyId?.startsWith('AKIA')) return [];
    return [
      {
        qualifier: actor.arn ?? actor.accessKeyId,
        detail: `role ${facts.roleName} assumed by IAM user ${actor.arn ?? actor.userName} with long-term access key ${actor.accessKeyId}`,
        evidence: { user: actor.arn, accessKeyId: actor.accessKeyId },
      },
    ];
  },
};
