import { getString } from '../cloudtrail/accessors';
import {
  echoedPermissionSetChange,
  factString,
  factsOfKind,
  isIdentityCenterService,
  reservedSsoPermissionSet,
} from './accessPaths';
import { ROLE_CHANGE_EVENTS } from './support';
import type { Rule } from './types';

const KINDS = ['org:permission-set', 'org:permission-set-change'] as const;

export const identityCenterRoleProvisioned: Rule = {
  id: 'identity-center-role-provisioned',
  title: 'Identity Center changed its role in an account',
  severity: 'info',
  kind: 'event',
  controls: ['NIST-800-53-r5-AU-6', 'NIST-800-53-r5-CM-3'],
  events: ROLE_CHANGE_EVENTS,
  facts: (event) =>
    isIdentityCenterService(event) && reservedSsoPermissionSet(getString(event.request, 'roleName') ?? '') ? KINDS : [],
  references: [
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html',
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/logging-using-cloudtrail.html',
  ],
  firesWhen:
    '`AWSServiceRoleForSSO` changes an `AWSReservedSSO_*` role in an account: names the permission set and the person whose change it echoes (these echoes are not `change-outside-iac`)',
  rationale:
    'In member accounts the AWSReservedSSO_* roles are changed by AWSServiceRoleForSSO, echoing a permission-set change made elsewhere: the person who really changed the role is the author of that permission-set change.',
  remediation: 'Review the permission-set change it echoes; change the role only through its permission set.',
  evaluate: (ctx) => {
    const event = ctx.event;
    const roleName = getString(event?.request, 'roleName') ?? ctx.role?.name ?? '';
    const setName = reservedSsoPermissionSet(roleName);
    if (!event || !setName || !isIdentityCenterService(event)) return [];
    const change = echoedPermissionSetChange(
      factsOfKind(ctx, 'org:permission-set'),
      factsOfKind(ctx, 'org:permission-set-change'),
      setName,
      event.time,
    );
    const author = change ? factString(change, 'actor') : undefined;
    return [
      {
        qualifier: event.eventName,
        detail: `${event.eventName} on role ${roleName} by IAM Identity Center for permission set ${setName}${
          change && author
            ? `, echoing ${factString(change, 'eventName') ?? 'a change'} by ${author} at ${factString(change, 'eventTime') ?? new Date(change.at).toISOString()}`
            : ' (the permission-set change it echoes was not seen)'
        }`,
        evidence: {
          permissionSet: setName,
          ...(change ? { permissionSetArn: change.id, author, authorCall: factString(change, 'eventName') } : {}),
        },
      },
    ];
  },
};
