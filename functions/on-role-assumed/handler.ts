import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleTrailEventBatch } from '../../shared/app/trailEvents';
import { createLambdaContext, type LambdaContext } from '../../shared/context';

let ctx: LambdaContext | undefined;

/** Role assumptions (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML), in SQS batches. */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  ctx ??= createLambdaContext();
  return handleTrailEventBatch(event, { engine: await ctx.engine(), logger: ctx.logger }, context);
};
