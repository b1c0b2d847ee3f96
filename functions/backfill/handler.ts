import { tmpdir } from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import { backfillStep } from '../../shared/app/backfill';
import { AWS_CLIENT_OPTIONS } from '../../shared/awsClients';
import { S3LogFiles } from '../../shared/cloudtrail/S3LogFiles';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { awsIamAccess } from '../../shared/iam/access';

let ctx: LambdaContext | undefined;
let files: S3LogFiles | undefined;

/**
 * A child of the backfill state machine: evaluates a batch of the trail's log files (those delivered within
 * the backfill's window) into the table, without alerting, with the same reader and replay as
 * `rolewatch evaluate --table`. Failures propagate: the state machine retries the batch.
 */
export const handler = async (input: unknown): Promise<Record<string, never>> => {
  ctx ??= createLambdaContext({ alerts: false, alerting: false, iamAccess: awsIamAccess });
  files ??= new S3LogFiles(new S3Client(AWS_CLIENT_OPTIONS));
  const reader = files;
  await backfillStep(input, {
    engine: await ctx.engine(),
    read: (bucket, key) => reader.read(bucket, key),
    workDir: tmpdir(),
    logger: ctx.logger,
  });
  return {};
};
