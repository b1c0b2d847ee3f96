import { actorPrincipal, getString } from '../cloudtrail/accessors';
import { isIdentityCenterService, reservedSsoPermissionSet } from './accessPaths';
import { actorMatches, ROLE_CHANGE_EVENTS } from './support';
import type { Rule } from './types';

export const changeOutsideIac: Rule = {
  id: 'change-outside-iac',
  title: 'Role changed outside infrastructure as code',
  severity: 'low',
  kind: 'event',
  controls: ['NIST-800-53-r5-CM-3', 'NIST-800-53-r5-CM-5', 'PCI-DSS-4.0-6.5.1'],
  events: ROLE_CHANGE_EVENTS,
  firesWhen: 'a role change not made by CloudFormation or a principal in `iacPrincipals`',
  rationale:
    'Roles managed by CloudFormation, CDK or Terraform pipelines should change only through them; a console or CLI change bypasses review and drifts from the code.',
  remediation: "Make the change in the infrastructure code, or add the pipeline's principal to iacPrincipals if it is one.",
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event || actorMatches(ctx, ctx.config.iacPrincipals)) return [];
    // Identity Center's own echo of a permission-set change: managed elsewhere, reported by identity-center-role-provisioned.
    if (isIdentityCenterService(event) && reservedSsoPermissionSet(getString(event.request, 'roleName') ?? '')) return [];
    const name = ctx.role?.name ?? ctx.previous?.name;
    return [
      {
        detail: `${event.eventName} on ${name ? `role ${name}` : 'a role'} by ${actorPrincipal(event.actor)}, not through infrastructure as code`,
        evidence: { actor: actorPrincipal(event.actor), userAgent: event.userAgent },
      },
    ];
  },
};
