import type { EventBridgeEvent } from 'aws-lambda';
import { handleTrailEvent } from '../../shared/app/trailEvents';
import { createLambdaContext, type LambdaContext } from '../../shared/context';

let ctx: LambdaContext | undefined;

/** IAM role and policy changes, identity-provider changes and monitor tampering, one EventBridge event at a time. */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  ctx ??= createLambdaContext();
  await handleTrailEvent(event, ctx);
};
