import { actorPrincipal, getString } from '../cloudtrail/accessors';
import { eventFrom, factString, factsOfKind, judgePolicy, permissionSetDocument, permissionSetName } from './accessPaths';
import type { Rule } from './types';

const SOURCE = 'sso.amazonaws.com';

export const accountAssignmentCreated: Rule = {
  id: 'account-assignment-created',
  title: 'Identity Center permission set assigned in an account',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2', 'NIST-800-53-r5-AC-6', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1098.003'],
  source: SOURCE,
  events: ['CreateAccountAssignment'],
  facts: ['org:permission-set', 'org:permission-set-policy'],
  references: [
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/logging-using-cloudtrail.html',
    'https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html',
  ],
  firesWhen: 'a permission set is assigned to a user or group in an account',
  severityNote: 'high when the set grants admin or escalation, low when it grants nothing flagged',
  rationale:
    "An account assignment gives a person or group the permission set's role in an account: the quiet way to hand someone admin in production, never visible as an IAM policy change there.",
  remediation:
    'Confirm the assignment with the owner of the account; prefer group assignments under review, and remove it if it was not requested.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event) return [];
    const setArn = getString(event.request, 'permissionSetArn');
    const account = getString(event.request, 'targetId') ?? 'unknown account';
    const principal = `${getString(event.request, 'principalType') ?? 'principal'} ${getString(event.request, 'principalId') ?? 'unknown'}`;
    if (!setArn) return [];
    const setName = permissionSetName(ctx, setArn);
    const verdicts = factsOfKind(ctx, 'org:permission-set-policy')
      .filter((fact) => factString(fact, 'permissionSetArn') === setArn)
      .flatMap((fact) => {
        const policy = permissionSetDocument({
          inlinePolicy: factString(fact, 'document'),
          managedPolicyArn: factString(fact, 'policyArn'),
        });
        const verdict = policy.document ? judgePolicy(policy.document) : undefined;
        return verdict ? [{ ...verdict, label: policy.label }] : [];
      });
    const worst = verdicts.find((v) => v.severity === 'critical') ?? verdicts.find((v) => v.severity === 'high');
    return [
      {
        resource: setArn,
        qualifier: `${account}|${principal}`,
        severity: worst ? 'high' : verdicts.length > 0 ? 'medium' : 'low',
        detail: `${principal} assigned permission set ${setName} in account ${account} by ${actorPrincipal(event.actor)}${worst ? `; the set grants ${worst.what} (${worst.label})` : ''}`,
        evidence: { account, principal, permissionSet: setName, actor: actorPrincipal(event.actor) },
      },
    ];
  },
};
