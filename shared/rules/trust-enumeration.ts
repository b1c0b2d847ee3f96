import { actorPrincipal } from '../cloudtrail/accessors';
import type { Rule } from './types';

export const trustEnumeration: Rule = {
  id: 'trust-enumeration',
  title: 'Trust policy updates failing repeatedly',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-AU-6', 'NIST-800-53-r5-SI-4', 'ATTACK-T1087.004'],
  events: ['UpdateAssumeRolePolicy'],
  includeFailedCalls: true,
  firesWhen:
    'more than `enumerationThreshold` UpdateAssumeRolePolicy calls rejected as malformed by one principal within the window',
  rationale:
    "Many UpdateAssumeRolePolicy calls rejected as malformed in a short time are the footprint of principal enumeration: IAM's validation error reveals which ARNs exist.",
  remediation:
    'Identify the principal and its purpose; if it is not a known tool, revoke its credentials and review its other calls.',
  evaluate: (ctx) => {
    const event = ctx.event;
    const failures = ctx.failedTrustUpdates;
    if (!event?.errorCode?.includes('MalformedPolicyDocument') || failures === undefined) return [];
    if (failures <= ctx.config.correlation.enumerationThreshold) return [];
    const principal = actorPrincipal(event.actor);
    return [
      {
        resource: event.actor.arn ?? principal,
        detail: `${principal} made ${failures} UpdateAssumeRolePolicy calls rejected as malformed within ${ctx.config.correlation.enumerationWindowMinutes} minutes`,
        evidence: { principal, failures, errorCode: event.errorCode },
      },
    ];
  },
};
