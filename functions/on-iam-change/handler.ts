import type { EventBridgeEvent } from 'aws-lambda';
import { handleTrailEvent } from '../../shared/app/trailEvents';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { awsIamAccess } from '../../shared/iam/access';

let ctx: LambdaContext | undefined;

/**
 * IAM role and policy changes, identity-provider changes and monitor tampering, one EventBridge event at a
 * time. In organization mode, customer-managed policies are read in the event's account through its read role.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  ctx ??= createLambdaContext({ iamAccess: awsIamAccess });
  await handleTrailEvent(event, { engine: await ctx.engine(), logger: ctx.logger });
};
