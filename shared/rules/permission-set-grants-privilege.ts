import { actorPrincipal, getString } from '../cloudtrail/accessors';
import { eventFrom, judgePolicy, permissionSetDocument, permissionSetName } from './accessPaths';
import type { Rule } from './types';

const SOURCE = 'sso.amazonaws.com';

export const permissionSetGrantsPrivilege: Rule = {
  id: 'permission-set-grants-privilege',
  title: 'Identity Center permission set grants admin or escalation rights',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-6', 'NIST-800-53-r5-AC-6(10)', 'PCI-DSS-4.0-7.2.2', 'ATTACK-T1098.003'],
  source: SOURCE,
  events: ['PutInlinePolicyToPermissionSet', 'AttachManagedPolicyToPermissionSet'],
  facts: ['org:permission-set'],
  references: [
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/logging-using-cloudtrail.html',
    'https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_PutInlinePolicyToPermissionSet.html',
    'https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_AttachManagedPolicyToPermissionSet.html',
  ],
  firesWhen:
    'an Identity Center permission set gets an inline policy or AWS-managed policy, judged by the same permission analysis as roles',
  severityNote: 'escalation, IAM wildcard, PassRole *; critical for admin, medium for a service wildcard',
  rationale:
    'A permission set becomes an AWSReservedSSO_* role in every account it is provisioned to: a policy that grants admin or escalation rights there reaches every assigned person in every such account, without one IAM call in those accounts until provisioning.',
  remediation:
    'Scope the permission set to the job it serves; keep admin permission sets few, assigned to groups under review, with short session durations.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event) return [];
    const setArn = getString(event.request, 'permissionSetArn') ?? 'unknown permission set';
    const setName = permissionSetName(ctx, setArn);
    const policy = permissionSetDocument({
      inlinePolicy: getString(event.request, 'inlinePolicy'),
      managedPolicyArn: getString(event.request, 'managedPolicyArn'),
    });
    const verdict = policy.document ? judgePolicy(policy.document) : undefined;
    if (!verdict) return [];
    return [
      {
        resource: setArn,
        qualifier: policy.label,
        severity: verdict.severity,
        detail: `permission set ${setName} now grants ${verdict.what} through ${policy.label} (${event.eventName} by ${actorPrincipal(event.actor)})`,
        evidence: { permissionSet: setName, policy: policy.label, actor: actorPrincipal(event.actor) },
      },
    ];
  },
};
