import { actorPrincipal, getRecord, getString, isRecord } from '../cloudtrail/accessors';
import { factString, factsOfKind } from './accessPaths';
import type { Rule, RuleMatch } from './types';

const S3 = 's3.amazonaws.com';

/** The lifecycle rules of a PutBucketLifecycle request that expire objects, with after how long. */
function expirations(request: Record<string, unknown>): string[] {
  const configuration = getRecord(request, 'LifecycleConfiguration') ?? getRecord(request, 'lifecycleConfiguration');
  const rules = configuration?.Rule ?? configuration?.Rules;
  return (Array.isArray(rules) ? rules : [rules]).filter(isRecord).flatMap((rule) => {
    if (getString(rule, 'Status') === 'Disabled') return [];
    const expiration = getRecord(rule, 'Expiration');
    const days = expiration?.Days ?? getString(expiration, 'Date');
    const noncurrent = getRecord(rule, 'NoncurrentVersionExpiration')?.NoncurrentDays;
    return [
      ...(days !== undefined
        ? [`objects expire ${typeof days === 'string' && days.includes('-') ? `on ${days}` : `after ${String(days)} days`}`]
        : []),
      ...(noncurrent !== undefined ? [`old versions expire after ${String(noncurrent)} days`] : []),
    ];
  });
}

/** Whether a bucket policy shuts CloudTrail out: a Deny naming cloudtrail.amazonaws.com (or everyone) on writes. */
function deniesCloudTrail(request: Record<string, unknown>): boolean {
  const policy = getRecord(request, 'bucketPolicy');
  const statements = policy?.Statement;
  return (Array.isArray(statements) ? statements : [statements]).filter(isRecord).some((statement) => {
    if (statement.Effect !== 'Deny') return false;
    const text = JSON.stringify([statement.Principal, statement.Action]);
    return (text.includes('cloudtrail.amazonaws.com') || text.includes('"*"')) && /s3:(PutObject|\*)|"\*"/.test(text);
  });
}

export const trailBucketTampering: Rule = {
  id: 'trail-bucket-tampering',
  title: "Trail's log bucket changed to expire or block the logs",
  severity: 'high',
  kind: 'event',
  controls: ['CIS-5.0-3.4', 'NIST-800-53-r5-AU-9', 'PCI-DSS-4.0-10.7.2', 'ATTACK-T1562.008'],
  events: ['PutBucketLifecycle', 'PutBucketPolicy', 'DeleteBucketPolicy', 'CreateTrail'],
  facts: ['trail'],
  references: [
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html',
    'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html',
  ],
  firesWhen:
    'on a bucket a trail writes to (known from CreateTrail/UpdateTrail): a lifecycle rule that expires objects, a bucket policy that denies CloudTrail, or the bucket policy deleted',
  severityNote: 'medium for a policy replaced that still lets CloudTrail write',
  rationale:
    "The trail's bucket is the evidence: a lifecycle rule that expires its objects erases the record after the fact, and a bucket policy that denies or drops CloudTrail's write stops delivery while the trail still looks healthy.",
  remediation:
    'Remove the expiration (or lengthen it to the retention you owe), restore the CloudTrail bucket policy, and check the logs delivered while it was in effect; protect the bucket with an SCP and Object Lock.',
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event || event.eventSource !== S3) return [];
    const bucket = getString(event.request, 'bucketName');
    const trails = factsOfKind(ctx, 'trail').filter((fact) => factString(fact, 'bucket') === bucket);
    if (!bucket || trails.length === 0) return [];
    const names = trails.map((fact) => factString(fact, 'name') ?? fact.id).join(', ');
    const at = (detail: string): RuleMatch[] => [
      {
        resource: `arn:aws:s3:::${bucket}`,
        qualifier: event.eventName,
        detail: `${actorPrincipal(event.actor)} ${detail} on bucket ${bucket}, where trail ${names} writes its logs`,
        evidence: { bucket, trails: trails.map((fact) => fact.id) },
      },
    ];
    if (event.eventName === 'PutBucketLifecycle') {
      const expiring = expirations(event.request);
      return expiring.length > 0 ? at(`set a lifecycle rule (${expiring.join('; ')})`) : [];
    }
    if (event.eventName === 'DeleteBucketPolicy') return at('deleted the bucket policy that lets CloudTrail deliver');
    if (event.eventName === 'PutBucketPolicy') {
      return deniesCloudTrail(event.request)
        ? at('set a bucket policy that denies CloudTrail its writes')
        : [{ ...at('replaced the bucket policy')[0], severity: 'medium' } as RuleMatch];
    }
    return [];
  },
};
