import { AccountReadError, reconcileAccount, reconcileStamp } from '../../shared/app/reconcile';
import { isThrottling, parseAccountStep, successOutcome } from '../../shared/app/reconcileRun';
import { createLambdaContext, type LambdaContext, refreshOrganizationAccounts } from '../../shared/context';
import { THROTTLED_ERROR } from '../../shared/deploy/stateMachines';
import { RoleWatchError } from '../../shared/errors';
import { awsIamAccess } from '../../shared/iam/access';

let ctx: LambdaContext | undefined;

/**
 * The reconcile state machine's step for one account (a child execution of its Distributed Map): reads the
 * account from IAM (organization mode: through its read role), makes RoleWatch's state and findings match
 * it, and records the account's outcome for the finish step. A read IAM throttled beyond the SDK's retries
 * is thrown as {@link THROTTLED_ERROR}, which the state machine retries with backoff; any other failure is
 * thrown as it is, and the state machine records it as this account's failure.
 */
export const handler = async (input: unknown): Promise<Record<string, never>> => {
  ctx ??= createLambdaContext({ iamAccess: awsIamAccess });
  const step = parseAccountStep(input);
  const access = ctx.iamAccess;
  if (!access) throw new RoleWatchError('reconcile was built without IAM access');
  // The organization's accounts the list step stored count as known.
  await refreshOrganizationAccounts(ctx);
  const { engine, stores, logger } = ctx;
  let part: Awaited<ReturnType<typeof reconcileAccount>>;
  try {
    part = await reconcileAccount(
      { account: step.account, reader: access.accountReader(step.account) },
      reconcileStamp(Date.parse(step.startedAt)),
      { engine, state: stores.state },
    );
  } catch (error) {
    if (error instanceof AccountReadError && isThrottling(error.cause)) throw throttled(error);
    throw error;
  } finally {
    engine.clearCaches();
  }
  await stores.runs.recordOutcome(step.runId, successOutcome(step.account, part));
  await exportToSecurityHub(ctx, part);
  logger.info('account reconciled', {
    account: step.account,
    runId: step.runId,
    roles: part.roles,
    policies: part.policies,
    corrected: part.corrected,
    deleted: part.deleted,
    findings: part.findings
      .filter((f) => f.transition !== 'duplicate' && f.transition !== 'repeated')
      .map((f) => ({ id: f.finding.id, ruleId: f.finding.ruleId, transition: f.transition })),
    resolved: part.resolved.map((f) => f.id),
  });
  return {};
};

/**
 * Security Hub (when deployed with it): every posture finding reconcile holds true is re-imported (which
 * keeps it from ageing out of Security Hub) and every one it resolved is archived. A failure is logged, not
 * thrown: the account's state is reconciled, and the next run imports the same findings again.
 */
async function exportToSecurityHub(context: LambdaContext, part: Awaited<ReturnType<typeof reconcileAccount>>): Promise<void> {
  if (!context.exporter) return;
  try {
    await context.exporter.export([
      ...part.findings.filter((f) => f.transition !== 'duplicate').map(({ finding, transition }) => ({ finding, transition })),
      ...part.resolved.map((finding) => ({ finding, transition: 'resolved' as const })),
    ]);
  } catch (error) {
    context.logger.error('Security Hub export failed; the next reconcile imports these findings again', { error });
  }
}

/** The error Step Functions retries with backoff: its name is what the Retry of the state machine matches. */
function throttled(error: AccountReadError): Error {
  const wrapped = new Error(`IAM throttled the read: ${error.message}`, { cause: error });
  wrapped.name = THROTTLED_ERROR;
  return wrapped;
}
