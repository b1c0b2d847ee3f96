import { tmpdir } from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import { backfillBatch, parseBackfillBatch } from '../../shared/app/backfill';
import { AWS_CLIENT_OPTIONS } from '../../shared/awsClients';
import { S3LogFiles } from '../../shared/cloudtrail/S3LogFiles';
import { createLambdaContext, type LambdaContext, refreshOrganizationAccounts } from '../../shared/context';
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
  const batch = parseBackfillBatch(input);
  await refreshOrganizationAccounts(ctx);
  const { engine, logger } = ctx;
  const reader = files;
  try {
    const result = await backfillBatch(batch, {
      engine,
      read: (bucket, key) => reader.read(bucket, key),
      workDir: tmpdir(),
      onSkip: (error) => logger.warn('record skipped', { ...error }),
    });
    logger.info('batch evaluated', { bucket: batch.bucket, first: batch.keys[0], ...result });
  } finally {
    engine.clearCaches();
  }
  return {};
};
