import { THROTTLED_ERROR } from '../deploy/stateMachines';
import type { DoctorTarget } from '../doctor/doctor';
import type { MonitorProbe } from '../doctor/probe';
import type { Engine } from '../engine/engine';
import type { FindingExporter } from '../export/securityHub';
import type { Finding } from '../findings/finding';
import type { Severity } from '../findings/severity';
import type { IamAccess } from '../iam/access';
import type { FindingStore } from '../ports/findingStore';
import type { ReconcileRunStore } from '../ports/reconcileRuns';
import type { StateStore } from '../ports/roleState';
import { AccountReadError, type AccountReconcile, finishReconcile, reconcileAccount, reconcileStamp } from './reconcile';
import { isThrottling, parseAccountStep, parseFinishStep, type RunReport, successOutcome, summarizeRun } from './reconcileRun';
import { selfCheck } from './selfCheck';
import type { HandlerLogger } from './trailEvents';

export interface AccountStepDeps {
  engine: Engine;
  access: IamAccess;
  state: StateStore;
  runs: ReconcileRunStore;
  exporter?: FindingExporter;
  logger: HandlerLogger;
}

/**
 * The reconcile state machine's step for one account (a child execution of its Distributed Map): reads the
 * account from IAM (organization mode: through its read role), makes RoleWatch's state and findings match
 * it, and records the account's outcome for the finish step. A read IAM throttled beyond the SDK's retries
 * is thrown as {@link THROTTLED_ERROR}, which the state machine retries with backoff; any other failure is
 * thrown as it is, and the state machine records it as this account's failure.
 */
export async function reconcileAccountStep(input: unknown, deps: AccountStepDeps): Promise<AccountReconcile> {
  const step = parseAccountStep(input);
  let part: AccountReconcile;
  try {
    part = await reconcileAccount(
      { account: step.account, reader: deps.access.accountReader(step.account) },
      reconcileStamp(Date.parse(step.startedAt)),
      { engine: deps.engine, state: deps.state },
    );
  } catch (error) {
    if (error instanceof AccountReadError && isThrottling(error.cause)) throw throttled(error);
    throw error;
  } finally {
    deps.engine.clearCaches();
  }
  await deps.runs.recordOutcome(step.runId, successOutcome(step.account, part));
  await exportToSecurityHub(deps, part);
  deps.logger.info('account reconciled', {
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
  return part;
}

/**
 * Security Hub (when deployed with it): every posture finding reconcile holds true is re-imported (which
 * keeps it from ageing out of Security Hub) and every one it resolved is archived. A failure is logged, not
 * thrown: the account's state is reconciled, and the next run imports the same findings again.
 */
async function exportToSecurityHub(deps: AccountStepDeps, part: AccountReconcile): Promise<void> {
  if (!deps.exporter) return;
  try {
    await deps.exporter.export([
      ...part.findings.filter((f) => f.transition !== 'duplicate').map(({ finding, transition }) => ({ finding, transition })),
      ...part.resolved.map((finding) => ({ finding, transition: 'resolved' as const })),
    ]);
  } catch (error) {
    deps.logger.error('Security Hub export failed; the next reconcile imports these findings again', { error });
  }
}

/** The error Step Functions retries with backoff: its name is what the Retry of the state machine matches. */
function throttled(error: AccountReadError): Error {
  const wrapped = new Error(`IAM throttled the read: ${error.message}`, { cause: error });
  wrapped.name = THROTTLED_ERROR;
  return wrapped;
}

export interface FinishStepDeps {
  findings: FindingStore;
  runs: ReconcileRunStore;
  minSeverity: Severity;
  /** Sends alerts left pending (absent without an alert topic). */
  sendPending?: (findings: readonly Finding[]) => Promise<void>;
  /** The monitor's self-check (the checks of rolewatch doctor), when the deployment names its stage. */
  selfCheck?: { probe: () => Promise<MonitorProbe>; target: () => DoctorTarget; account: string };
  logger: HandlerLogger;
}

/**
 * Last step of the reconcile state machine: runs the self-check, collects the accounts' outcomes, recounts the
 * summary, sends the alerts still pending (the self-check's too), and returns the run's report (which accounts
 * failed and why). When no account could be reconciled, nothing is recounted or sent: the state is as it was.
 * The state machine fails the run when the report counts failures.
 */
export async function finishReconcileStep(input: unknown, deps: FinishStepDeps): Promise<RunReport> {
  const step = parseFinishStep(input);
  if (deps.selfCheck) await checkMonitor(deps, deps.selfCheck);
  const outcomes = await deps.runs.outcomes(step.runId);
  const reconciled = outcomes.filter((outcome) => outcome.error === undefined).length;
  const alertsRetried =
    reconciled === 0 && step.accounts.length > 0
      ? 0
      : await finishReconcile({
          findings: deps.findings,
          minSeverity: deps.minSeverity,
          ...(deps.sendPending ? { dispatch: deps.sendPending } : {}),
        });
  const report = summarizeRun(step.runId, step.accounts, outcomes, alertsRetried);
  if (report.failed > 0) {
    deps.logger.error('accounts not reconciled', {
      runId: step.runId,
      failures: outcomes.filter((outcome) => outcome.error !== undefined).map(({ account, error }) => ({ account, error })),
    });
  }
  const { message: summary, ...counts } = report;
  deps.logger.info('reconcile done', { ...counts, summary });
  return report;
}

async function checkMonitor(deps: FinishStepDeps, check: NonNullable<FinishStepDeps['selfCheck']>): Promise<void> {
  const report = await selfCheck({
    probe: await check.probe(),
    target: check.target(),
    findings: deps.findings,
    account: check.account,
    minSeverity: deps.minSeverity,
  });
  const failed = report.results.filter((r) => r.status === 'fail');
  const unknown = report.results.filter((r) => r.status === 'cannot-tell');
  if (failed.length > 0) deps.logger.error('monitor-blind: checks failed', { failed });
  if (unknown.length > 0) deps.logger.warn('self-check could not tell', { unknown });
  deps.logger.info('self-check done', {
    checks: report.results.length,
    failed: failed.map((r) => r.check),
    resolved: report.resolved.map((f) => f.qualifier),
  });
}
