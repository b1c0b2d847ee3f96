import { type CheckResult, type DoctorTarget, runDoctor } from '../doctor/doctor';
import type { MonitorProbe } from '../doctor/probe';
import type { Finding, FindingDraft, FindingTransition } from '../findings/finding';
import { findingId } from '../findings/ids';
import { type Severity, severityRank } from '../findings/severity';
import type { FindingStore } from '../ports/findingStore';

/**
 * The self-check's finding: RoleWatch cannot see part of what it watches. Not a CloudTrail rule (no event
 * tells that events stopped coming): reconcile runs `rolewatch doctor`'s checks every day and records one
 * finding per failing check, resolved when the check passes again. Its id is a contract like the rules'.
 */
export const MONITOR_BLIND = {
  id: 'monitor-blind',
  title: 'RoleWatch cannot see part of what it watches',
  severity: 'high' as Severity,
  rationale:
    'An event-driven monitor fails silently: a trail that logs write events only, a rule disabled or in the wrong ' +
    'state, a forwarder never deployed, an alert subscription never confirmed. A quiet RoleWatch then looks like a ' +
    'safe account while changes and role assumptions go unseen.',
  remediation: "Apply the finding's fix (rolewatch doctor prints every check with its fix), then run rolewatch doctor again.",
} as const;

/** Where the self-check's findings live: RoleWatch's own stack. */
export function monitorResource(target: Pick<DoctorTarget, 'stage' | 'region'>, account: string): string {
  const partition = target.region.startsWith('cn-') ? 'aws-cn' : target.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:cloudformation:${target.region}:${account}:stack/rolewatch-${target.stage}`;
}

/**
 * The monitor-blind findings of a set of check results (pure): one per failing check, its qualifier the
 * check id, its detail what was found and its remediation the fix. Checks that pass or cannot tell give none.
 */
export function blindFindings(
  results: readonly CheckResult[],
  context: { account: string; target: Pick<DoctorTarget, 'stage' | 'region'>; at: number },
): FindingDraft[] {
  const resource = monitorResource(context.target, context.account);
  return results
    .filter((result) => result.status === 'fail')
    .map((result) => ({
      id: findingId(context.account, MONITOR_BLIND.id, resource, result.check),
      ruleId: MONITOR_BLIND.id,
      kind: 'posture' as const,
      severity: MONITOR_BLIND.severity,
      title: MONITOR_BLIND.title,
      account: context.account,
      region: context.target.region,
      resource,
      resourceName: `rolewatch-${context.target.stage}`,
      qualifier: result.check,
      detail: `${result.check}: ${result.detail}`,
      evidence: { check: result.check, ...(result.fix ? { fix: result.fix } : {}) },
      rationale: MONITOR_BLIND.rationale,
      remediation: result.fix ?? MONITOR_BLIND.remediation,
      at: context.at,
    }));
}

export interface SelfCheckDeps {
  probe: MonitorProbe;
  target: DoctorTarget;
  findings: FindingStore;
  /** The account RoleWatch runs in. */
  account: string;
  /** Findings at or above it alert (reconcile sends the pending alerts after its run). */
  minSeverity: Severity;
}

export interface SelfCheckReport {
  results: CheckResult[];
  recorded: { finding: Finding; transition: FindingTransition }[];
  resolved: Finding[];
}

/**
 * Runs the checks and records what they found: a monitor-blind finding per failing check (its alert pending
 * when high enough), and the resolution of those whose check passes now. A check that cannot tell keeps its
 * finding as it was: not knowing is not fixed. Store failures propagate (the invocation is retried).
 */
export async function selfCheck(deps: SelfCheckDeps): Promise<SelfCheckReport> {
  const results = await runDoctor(deps.probe, deps.target);
  const at = deps.target.now;
  const drafts = blindFindings(results, { account: deps.account, target: deps.target, at });
  const alert = severityRank(MONITOR_BLIND.severity) >= severityRank(deps.minSeverity);
  const recorded = [];
  for (const draft of drafts) recorded.push(await deps.findings.record(draft, { alert }));
  const resource = monitorResource(deps.target, deps.account);
  const unknown = results
    .filter((result) => result.status === 'cannot-tell')
    .map((result) => findingId(deps.account, MONITOR_BLIND.id, resource, result.check));
  const stillTrue = new Set([...drafts.map((draft) => draft.id), ...unknown]);
  const resolved = await deps.findings.resolveMissing(deps.account, resource, stillTrue, at, 'the check passes again');
  return { results, recorded, resolved };
}
