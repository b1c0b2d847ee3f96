import { IAMClient } from '@aws-sdk/client-iam';
import type { EventBridgeEvent } from 'aws-lambda';
import { handleTrailEvent } from '../../shared/app/trailEvents';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { AwsIamReader } from '../../shared/iam/AwsIamReader';

let ctx: LambdaContext | undefined;

/** IAM role and policy changes, identity-provider changes and monitor tampering, one EventBridge event at a time. */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  ctx ??= createLambdaContext({ iam: new AwsIamReader(new IAMClient({})) });
  await handleTrailEvent(event, ctx);
};
