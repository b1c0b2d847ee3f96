import { reconcileAccountStep } from '../../shared/app/reconcileSteps';
import { createLambdaContext, type LambdaContext } from '../../shared/context';
import { RoleWatchError } from '../../shared/errors';
import { awsIamAccess } from '../../shared/iam/access';

let ctx: LambdaContext | undefined;

/** The reconcile state machine's step for one account: see {@link reconcileAccountStep}. */
export const handler = async (input: unknown): Promise<Record<string, never>> => {
  ctx ??= createLambdaContext({ iamAccess: awsIamAccess });
  if (!ctx.iamAccess) throw new RoleWatchError('reconcile was built without IAM access');
  // The organization's accounts the list step stored count as known.
  await reconcileAccountStep(input, {
    engine: await ctx.engine(),
    access: ctx.iamAccess,
    state: ctx.stores.state,
    runs: ctx.stores.runs,
    ...(ctx.exporter ? { exporter: ctx.exporter } : {}),
    logger: ctx.logger,
  });
  return {};
};
