import { actorPrincipal, getRecord, getString, getStringList } from '../cloudtrail/accessors';
import { eventFrom, lastSegment } from './accessPaths';
import type { Rule, Severity } from './types';

const SOURCE = 'eks.amazonaws.com';

/** EKS access policies that make their holder an administrator, and how much for the scope they are given. */
const ADMIN_POLICIES: Readonly<Record<string, { cluster: Severity; namespace: Severity }>> = {
  AmazonEKSClusterAdminPolicy: { cluster: 'high', namespace: 'medium' },
  AmazonEKSAdminPolicy: { cluster: 'medium', namespace: 'low' },
};

export const eksClusterAdminAccess: Rule = {
  id: 'eks-cluster-admin-access',
  title: 'IAM principal given administrator access to an EKS cluster',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-6', 'NIST-800-53-r5-AC-2', 'ATTACK-T1098.003'],
  source: SOURCE,
  events: ['AssociateAccessPolicy', 'CreateAccessEntry', 'UpdateAccessEntry'],
  references: [
    'https://docs.aws.amazon.com/eks/latest/APIReference/API_AssociateAccessPolicy.html',
    'https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html',
    'https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html',
  ],
  firesWhen: 'an EKS access entry gets AmazonEKSClusterAdminPolicy/AmazonEKSAdminPolicy or the `system:masters` group',
  severityNote: 'medium in namespaces or for AmazonEKSAdminPolicy',
  rationale:
    'An EKS access entry with the cluster-admin access policy (or the system:masters group) makes an IAM role administrator of the cluster and of every workload role bound in it: one IAM call, invisible to Kubernetes RBAC reviews.',
  remediation:
    'Grant a namespace-scoped or narrower access policy; keep cluster-admin entries for break-glass roles; review who may call eks:AssociateAccessPolicy.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event) return [];
    const principal = getString(event.request, 'principalArn') ?? 'unknown principal';
    const cluster = getString(event.request, 'clusterName') ?? 'unknown cluster';
    if (event.eventName === 'AssociateAccessPolicy') {
      const policyArn = getString(event.request, 'policyArn') ?? '';
      const weights = ADMIN_POLICIES[lastSegment(policyArn)];
      if (!weights) return [];
      const scope = getRecord(event.request, 'accessScope');
      const namespaces = getStringList(scope, 'namespaces');
      const isCluster = getString(scope, 'type') !== 'namespace';
      return [
        {
          resource: principal,
          qualifier: `${cluster}|${lastSegment(policyArn)}`,
          severity: isCluster ? weights.cluster : weights.namespace,
          detail: `${actorPrincipal(event.actor)} gave ${principal} ${lastSegment(policyArn)} on EKS cluster ${cluster}${isCluster ? ' (whole cluster)' : ` (namespaces ${namespaces.join(', ')})`}`,
          evidence: { cluster, principal, policyArn, scope: isCluster ? 'cluster' : namespaces },
        },
      ];
    }
    const groups = getStringList(event.request, 'kubernetesGroups');
    if (!groups.includes('system:masters')) return [];
    return [
      {
        resource: principal,
        qualifier: `${cluster}|system:masters`,
        detail: `${actorPrincipal(event.actor)} mapped ${principal} to the Kubernetes group system:masters on EKS cluster ${cluster} (${event.eventName})`,
        evidence: { cluster, principal, kubernetesGroups: groups },
      },
    ];
  },
};
