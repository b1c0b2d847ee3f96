import type { RunReport } from '../../shared/app/reconcileRun';
import { finishReconcileStep } from '../../shared/app/reconcileSteps';
import { createLambdaContext, type LambdaContext, selfCheckOf } from '../../shared/context';

let ctx: LambdaContext | undefined;

/** The reconcile state machine's last step: see {@link finishReconcileStep}. */
export const handler = async (input: unknown): Promise<RunReport> => {
  ctx ??= createLambdaContext();
  const check = selfCheckOf(ctx);
  return finishReconcileStep(input, {
    findings: ctx.stores.findings,
    runs: ctx.stores.runs,
    minSeverity: ctx.config.alerts.minSeverity,
    ...(ctx.sendPending ? { sendPending: ctx.sendPending } : {}),
    ...(check ? { selfCheck: check } : {}),
    logger: ctx.logger,
  });
};
