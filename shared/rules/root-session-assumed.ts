import { actorPrincipal, getRecord, getString } from '../cloudtrail/accessors';
import { eventFrom, lastSegment } from './accessPaths';
import type { Rule, Severity } from './types';

const SOURCE = 'sts.amazonaws.com';

/**
 * What each root task policy lets the session do, and how much that matters: a new root password brings back
 * the member's root login, the unlock tasks delete a resource policy that locked everyone out.
 */
const TASK_SEVERITY: Readonly<Record<string, Severity>> = {
  IAMAuditRootUserCredentials: 'low',
  IAMDeleteRootUserCredentials: 'medium',
  IAMCreateRootUserPassword: 'high',
  S3UnlockBucketPolicy: 'high',
  SQSUnlockQueuePolicy: 'high',
};

export const rootSessionAssumed: Rule = {
  id: 'root-session-assumed',
  title: 'Root session of a member account obtained (AssumeRoot)',
  severity: 'high',
  kind: 'event',
  controls: [
    'CIS-5.0-1.6',
    'CIS-3.0-1.7',
    'NIST-800-53-r5-AC-6(9)',
    'NIST-800-53-r5-AC-2(12)',
    'ATTACK-T1078.004',
    'ATTACK-T1548.005',
  ],
  source: SOURCE,
  events: ['AssumeRoot'],
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html',
    'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html',
  ],
  firesWhen: '`sts:AssumeRoot`: who, which member account, which task policy',
  severityNote: 'by task policy: low for IAMAuditRootUserCredentials, medium for IAMDeleteRootUserCredentials',
  rationale:
    "sts:AssumeRoot gives the management account (or IAM's delegated administrator) a root session in a member account, scoped by a task policy: it can recreate the root password or delete a bucket or queue policy that no one else may touch.",
  remediation:
    'Confirm the task with the person who ran it; review what the root session did (its calls carry the member account as recipient); restrict sts:AssumeRoot to a break-glass role with an SCP.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event) return [];
    const target = getString(event.request, 'targetPrincipal') ?? 'unknown';
    const task = getString(getRecord(event.request, 'taskPolicyArn'), 'arn') ?? 'unknown task policy';
    const account = /^\d{12}$/.test(target) ? target : (/:(\d{12}):/.exec(target)?.[1] ?? target);
    const taskName = lastSegment(task);
    return [
      {
        resource: `arn:aws:iam::${account}:root`,
        qualifier: taskName,
        severity: TASK_SEVERITY[taskName] ?? 'high',
        detail: `${actorPrincipal(event.actor)} obtained a root session in account ${account} with task policy ${taskName}`,
        evidence: { actor: actorPrincipal(event.actor), targetPrincipal: target, taskPolicyArn: task, region: event.region },
      },
    ];
  },
};
