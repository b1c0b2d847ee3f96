import { actorPrincipal, getRecord, getString } from '../cloudtrail/accessors';
import { eventFrom, permissionSetName } from './accessPaths';
import type { Rule, Severity } from './types';

const SOURCE = 'sso.amazonaws.com';

/** Permission-set calls other than the policy grants judged by permission-set-grants-privilege, and their weight. */
const CHANGES: Readonly<Record<string, Severity>> = {
  CreatePermissionSet: 'info',
  UpdatePermissionSet: 'low',
  DeletePermissionSet: 'info',
  DeleteInlinePolicyFromPermissionSet: 'info',
  DetachManagedPolicyFromPermissionSet: 'info',
  AttachCustomerManagedPolicyReferenceToPermissionSet: 'low',
  DetachCustomerManagedPolicyReferenceFromPermissionSet: 'info',
  PutPermissionsBoundaryToPermissionSet: 'info',
  DeletePermissionsBoundaryFromPermissionSet: 'medium',
  ProvisionPermissionSet: 'low',
};

export const permissionSetChanged: Rule = {
  id: 'permission-set-changed',
  title: 'Identity Center permission set changed',
  severity: 'low',
  kind: 'event',
  controls: ['NIST-800-53-r5-CM-3', 'NIST-800-53-r5-AC-2', 'ATTACK-T1098.003'],
  source: SOURCE,
  events: Object.keys(CHANGES),
  facts: ['org:permission-set'],
  references: [
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/logging-using-cloudtrail.html',
    'https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_Operations.html',
  ],
  firesWhen: 'any other permission-set change: update, customer-managed reference, boundary, provisioning, deletion',
  severityNote: 'medium for a deleted boundary, info for creation and removals',
  rationale:
    'Permission sets are roles defined once and copied into accounts; every change to one (its policies, its boundary, its session length, its provisioning) changes the AWSReservedSSO_* roles of every account it reaches.',
  remediation:
    'Review the change with whoever owns the permission set; manage permission sets as code so that their history is reviewed.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    const severity = event ? CHANGES[event.eventName] : undefined;
    if (!event || !severity) return [];
    const setArn =
      getString(event.request, 'permissionSetArn') ??
      getString(getRecord(event.response, 'permissionSet'), 'permissionSetArn') ??
      'unknown permission set';
    const setName = getString(event.request, 'name') ?? permissionSetName(ctx, setArn);
    const reference = getRecord(event.request, 'customerManagedPolicyReference');
    const extra = reference
      ? ` (customer-managed policy ${getString(reference, 'path') ?? '/'}${getString(reference, 'name') ?? ''}, judged in each account where it exists)`
      : event.eventName === 'UpdatePermissionSet' && getString(event.request, 'sessionDuration')
        ? ` (session duration ${getString(event.request, 'sessionDuration')})`
        : event.eventName === 'ProvisionPermissionSet'
          ? ` (to ${getString(event.request, 'targetType') ?? 'accounts'} ${getString(event.request, 'targetId') ?? ''})`.replace(
              ' )',
              ')',
            )
          : '';
    return [
      {
        resource: setArn,
        qualifier: event.eventName,
        severity,
        detail: `${event.eventName} on permission set ${setName} by ${actorPrincipal(event.actor)}${extra}`,
        evidence: { permissionSet: setName, actor: actorPrincipal(event.actor) },
      },
    ];
  },
};
