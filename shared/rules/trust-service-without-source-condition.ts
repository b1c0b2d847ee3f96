import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustServiceWithoutSourceCondition: Rule = {
  id: 'trust-service-without-source-condition',
  title: 'Service trust without a source condition',
  severity: 'low',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'PCI-DSS-4.0-7.2.1'],
  events: TRUST_EVENTS,
  firesWhen:
    'a service whose AWS documentation asks for `aws:SourceAccount`/`aws:SourceArn` (list and sources in `shared/analysis/data/confusedDeputyServices.json`) trusted without them; `pods.eks.amazonaws.com` without a namespace or service-account session-tag condition; `rolesanywhere.amazonaws.com` without a trust-anchor or certificate-subject condition',
  severityNote: 'medium for Pod Identity and Roles Anywhere',
  rationale:
    "Services that act for resources of any account (S3, SNS, EventBridge, Config, CloudTrail, SageMaker... every service whose AWS documentation asks for it) can be made to use this role by another account's resource unless aws:SourceAccount or aws:SourceArn pins it (cross-service confused deputy). EKS Pod Identity without a namespace or service-account condition, and IAM Roles Anywhere without a trust anchor or certificate-subject condition, hand the role to any workload those services serve in the account (medium).",
  remediation:
    'Add a condition on aws:SourceAccount (this account) or aws:SourceArn (the resource that uses the role); for Pod Identity on aws:RequestTag/kubernetes-namespace and kubernetes-service-account; for Roles Anywhere on aws:SourceArn (the trust anchor) and aws:PrincipalTag/x509Subject/CN.',
  evaluate: (ctx) =>
    (changedTrust(ctx)?.services ?? []).flatMap((entry) => {
      if (entry.unguardedWorkload === 'pod-identity')
        return [
          {
            qualifier: entry.principal,
            severity: 'medium' as const,
            detail: `role ${ctx.role?.name} trusts EKS Pod Identity (${entry.principal}) without a kubernetes-namespace or kubernetes-service-account session-tag condition: any pod associated with it in any cluster of the account gets the role`,
            evidence: {
              service: entry.principal,
              missing: ['aws:RequestTag/kubernetes-namespace', 'aws:RequestTag/kubernetes-service-account'],
            },
          },
        ];
      if (entry.unguardedWorkload === 'roles-anywhere')
        return [
          {
            qualifier: entry.principal,
            severity: 'medium' as const,
            detail: `role ${ctx.role?.name} trusts IAM Roles Anywhere (${entry.principal}) without a trust-anchor aws:SourceArn or certificate-subject condition: any certificate of any trust anchor of the account gets the role`,
            evidence: { service: entry.principal, missing: ['aws:SourceArn', 'aws:PrincipalTag/x509Subject/CN'] },
          },
        ];
      if (!entry.crossAccountCapable || entry.hasSourceCondition) return [];
      return [
        {
          qualifier: entry.principal,
          detail: `role ${ctx.role?.name} trusts ${entry.principal} without aws:SourceAccount or aws:SourceArn`,
          evidence: { service: entry.principal },
        },
      ];
    }),
};
