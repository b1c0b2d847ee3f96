import { actorPrincipal, getRecord, getString, isRecord } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import { privilegedRoles } from './accessPaths';
import { listForPeople } from './support';
import type { AccountFact, Rule } from './types';

const EKS = 'eks.amazonaws.com';
const IAM = 'iam.amazonaws.com';
const EC2 = 'ec2.amazonaws.com';
const LAMBDA = 'lambda.amazonaws.com';

/** CloudTrail names Lambda's calls with the API version they used. */
const LAMBDA_EVENTS = ['CreateFunction20150331', 'UpdateFunctionConfiguration20150331v2', 'UpdateFunctionConfiguration20150331'];
const EC2_EVENTS = ['AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation'];

/** A field of the EC2 request, whichever way CloudTrail nests it (`<Action>Request` wrapper, or flat). */
function ec2Profile(event: TrailEvent): string | undefined {
  const wrapped = getRecord(event.request, `${event.eventName}Request`) ?? event.request;
  const spec = getRecord(wrapped, 'IamInstanceProfile') ?? getRecord(wrapped, 'iamInstanceProfile');
  const named = getString(spec, 'Name') ?? getString(spec, 'name');
  if (named) return named;
  const arn = getString(spec, 'Arn') ?? getString(spec, 'arn') ?? responseProfileArn(event.response);
  return arn ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
}

/** The instance profile ARN in the association EC2 returns, wherever the response nests it. */
function responseProfileArn(value: unknown, depth = 0): string | undefined {
  if (!isRecord(value) || depth > 3) return undefined;
  const association = getRecord(value, 'iamInstanceProfileAssociation');
  const arn = getString(getRecord(association, 'iamInstanceProfile'), 'arn');
  if (arn) return arn;
  for (const child of Object.values(value)) {
    const found = responseProfileArn(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function ec2Instance(event: TrailEvent): string | undefined {
  const wrapped = getRecord(event.request, `${event.eventName}Request`) ?? event.request;
  return getString(wrapped, 'InstanceId') ?? getString(wrapped, 'instanceId') ?? getString(wrapped, 'AssociationId');
}

/** The roles an event binds, and the workload, for people. */
function binding(
  event: TrailEvent,
  facts: Readonly<Record<string, readonly AccountFact[]>>,
): { roles: string[]; workload: string } | undefined {
  const req = event.request;
  switch (event.eventSource) {
    case EKS: {
      const association = getRecord(event.response, 'association');
      const roles = [
        getString(association, 'roleArn') ?? getString(req, 'roleArn'),
        getString(association, 'targetRoleArn') ?? getString(req, 'targetRoleArn'),
      ].filter((r): r is string => r !== undefined);
      const namespace = getString(association, 'namespace') ?? getString(req, 'namespace') ?? '?';
      const account = getString(association, 'serviceAccount') ?? getString(req, 'serviceAccount') ?? '?';
      const cluster = getString(association, 'clusterName') ?? getString(req, 'clusterName') ?? '?';
      return { roles, workload: `EKS service account ${namespace}/${account} of cluster ${cluster}` };
    }
    case IAM: {
      if (event.eventName !== 'AddRoleToInstanceProfile') return undefined;
      const role = getString(req, 'roleName');
      const profile = getString(req, 'instanceProfileName');
      return role && profile ? { roles: [role], workload: `instance profile ${profile}` } : undefined;
    }
    case EC2: {
      const profile = ec2Profile(event);
      const role = facts['instance-profile']?.find((fact) => fact.id === profile)?.value.roleName;
      if (!profile) return undefined;
      const where = ec2Instance(event);
      return {
        roles: typeof role === 'string' ? [role] : [],
        workload: `EC2 ${where?.startsWith('iip-assoc') ? 'instance of association' : 'instance'} ${where ?? '?'} (instance profile ${profile})`,
      };
    }
    case LAMBDA: {
      const role = getString(event.response, 'role') ?? getString(req, 'role');
      const fn = getString(event.response, 'functionArn') ?? getString(req, 'functionName') ?? '?';
      return role ? { roles: [role], workload: `Lambda function ${fn}` } : undefined;
    }
    default:
      return undefined;
  }
}

export const privilegedRoleBoundToWorkload: Rule = {
  id: 'privileged-role-bound-to-workload',
  title: 'Privileged role bound to a workload',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-6', 'NIST-800-53-r5-AC-6(10)', 'ATTACK-T1098.003', 'ATTACK-T1078.004'],
  events: [
    'CreatePodIdentityAssociation',
    'UpdatePodIdentityAssociation',
    'AddRoleToInstanceProfile',
    // Watched so that the instance profile's role is forgotten when it is removed.
    'RemoveRoleFromInstanceProfile',
    ...EC2_EVENTS,
    ...LAMBDA_EVENTS,
  ],
  facts: (event) => (event.eventSource === EC2 ? ['instance-profile'] : []),
  boundRoles: (event, facts) => binding(event, facts)?.roles ?? [],
  references: [
    'https://docs.aws.amazon.com/eks/latest/APIReference/API_CreatePodIdentityAssociation.html',
    'https://docs.aws.amazon.com/eks/latest/userguide/logging-using-cloudtrail.html',
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html',
    'https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html',
  ],
  firesWhen:
    'a role RoleWatch judges admin or escalation-capable is bound to a workload: EKS Pod Identity association, instance profile (`AddRoleToInstanceProfile`, then `AssociateIamInstanceProfile`/`ReplaceIamInstanceProfileAssociation`), Lambda function role (`CreateFunction20150331`, `UpdateFunctionConfiguration20150331v2`); names role and workload',
  rationale:
    "Whoever controls a workload holds its role: binding an admin or escalation-capable role to a pod's service account, an instance or a function hands that power to everyone who can run code there, and is how a passed role becomes a foothold.",
  remediation:
    'Bind a role scoped to what the workload needs; keep admin roles unbound, and restrict iam:PassRole and eks:CreatePodIdentityAssociation to reviewed pipelines.',
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event) return [];
    const bound = binding(event, ctx.facts ?? {});
    if (!bound) return [];
    const privileged = privilegedRoles(ctx.boundRoles);
    if (privileged.length === 0) return [];
    return privileged.map((p) => ({
      resource: p.role.arn,
      qualifier: `${event.eventName}|${bound.workload}`,
      detail: `${actorPrincipal(event.actor)} bound privileged role ${p.role.name} (${p.why}) to ${bound.workload}`,
      evidence: {
        role: p.role.arn,
        workload: bound.workload,
        admin: p.privilege.adminPolicies.length > 0,
        escalation: listForPeople(p.privilege.escalation.map((hit) => hit.name)),
      },
    }));
  },
};
