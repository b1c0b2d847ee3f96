import type { TrailEvent } from '../cloudtrail/types';
import type { AssumptionFailure } from '../ports/roleState';
import { eventKind, isAssumption, policyEventEffect, roleEventEffect, unnamedRoleEffect } from '../roles/roleEvents';
import { stampOf } from '../roles/roleRecord';
import { AssumptionBatch } from './assumptionBatch';
import { type AssumedRole, assumedRole, processAssumption } from './assumptions';
import type { EngineCore, EngineDeps, Evaluation, ProcessResult } from './core';
import { nothing } from './core';
import { EventFilter } from './dispatch';
import { processFailedCall, processOtherEvent } from './failedCalls';
import { processPolicyEvent } from './policyVersions';
import { PostureResolver } from './posture';
import { FindingRecorder } from './recording';
import { processRoleEvent, processUnnamedRoleEvent } from './roleChanges';
import { PolicyResolver } from './roleView';
import { RuleRunner } from './ruleRunner';

export type { EngineDeps, EngineLogger, ProcessResult, RecordedFinding } from './core';

/** Events processed together (an SQS batch): see Engine.batch. */
export interface EngineBatch {
  process(event: TrailEvent): Promise<ProcessResult>;
  /** Records the batch's assumptions; returns those that could not be recorded (their events are to be retried). */
  commit(): Promise<AssumptionFailure[]>;
}

/**
 * Evaluates CloudTrail events against the rules with state: applies each event to role and policy state,
 * runs the rules that listen to it, records findings, resolves posture findings whose cause is gone, and
 * remembers the eventID so that a redelivery is a no-op. Rules stay pure; all I/O goes through ports; the
 * engine reads no clock (time comes from events).
 *
 * The stages, each its own module: dispatch (which events count) and de-duplication here; role changes
 * (roleChanges), late-event replay (lateEvents), policy-version fan-out (policyVersions), assumptions
 * (assumptions), failed calls and other events (failedCalls), running rules (ruleRunner), posture resolution
 * (posture), recording findings (recording).
 */
export class Engine {
  private readonly core: EngineCore;
  private readonly filter: EventFilter;

  constructor(private readonly deps: EngineDeps) {
    const rules = new RuleRunner(deps.rules, deps.config, deps.logger);
    this.filter = new EventFilter(rules);
    this.core = {
      state: deps.state,
      findings: deps.findings,
      config: deps.config,
      logger: deps.logger,
      rules,
      resolver: new PolicyResolver(deps.state, deps.iam),
      posture: new PostureResolver(rules, deps.findings, deps.config),
      recorder: new FindingRecorder(deps.findings, deps.config, deps.alerting !== false),
    };
  }

  /** Processes one event. Infrastructure failures (store, IAM) propagate so the caller can retry the event. */
  process(event: TrailEvent): Promise<ProcessResult> {
    // Not async itself: an async function returning run's promise would wrap it in one more, on every event.
    return this.run(event);
  }

  /**
   * Events processed one by one as `process` does, except that their assumptions are counted when the batch
   * commits: one write per edge for the whole batch instead of one per event. Until then the batch answers
   * for them (a later event sees the edge with them counted; a redelivered one is a duplicate). A failure
   * before the commit leaves nothing counted; `commit` returns the assumptions it could not record, whose
   * events the caller retries (their findings and alerts are not repeated: the finding store counts each
   * occurrence once and an alert sent is marked).
   */
  batch(): EngineBatch {
    const assumptions = new AssumptionBatch(this.deps.state);
    return { process: (event) => this.run(event, assumptions), commit: () => assumptions.commit() };
  }

  private async run(event: TrailEvent, batch?: AssumptionBatch): Promise<ProcessResult> {
    if (!this.filter.isWatched(event)) return nothing(event, 'ignored');
    // An assumption's ledger is its entry in the role's assumption log; every other event's, the event ledger.
    const assumption = !event.errorCode && isAssumption(event);
    const target = assumption ? assumedRole(event) : undefined;
    const seen = target
      ? await (batch ?? this.deps.state).isAssumptionRecorded(target.account, target.roleArn, event.time, event.eventId)
      : await this.deps.ledger.isProcessed(event.eventId);
    if (seen) return nothing(event, 'duplicate');
    const since = await this.deps.state.monitoringSince(event.time);
    await this.deps.state.noteLastEvent(event.time, eventKind(event));
    const evaluation = await this.evaluate(event, assumption, target, since, batch);
    const { commit } = evaluation;
    // The result without its commit, built field by field: an object rest would copy it the slow way on every event.
    const result: ProcessResult = commit
      ? { eventId: evaluation.eventId, status: evaluation.status, findings: evaluation.findings, resolved: evaluation.resolved }
      : evaluation;
    if (this.deps.notify && (result.findings.length > 0 || result.resolved.length > 0))
      await this.deps.notify(result.findings, result.resolved);
    if (result.status !== 'ignored') await (commit ? commit() : this.deps.ledger.markProcessed(event.eventId, event.time));
    return result;
  }

  /** True for events some rule listens to or that change role or policy state; read-only calls only if they assume a role. */
  isWatched(event: Pick<TrailEvent, 'eventName' | 'eventSource' | 'readOnly'>): boolean {
    return this.filter.isWatched(event);
  }

  /**
   * The same test on a raw CloudTrail record (or EventBridge envelope), before it is parsed into an event:
   * a replay reads whole trails, most of which RoleWatch drops. Records it cannot judge this way count as
   * watched, so that parsing reports what is wrong with them.
   */
  isWatchedRecord(raw: unknown): boolean {
    return this.filter.isWatchedRecord(raw);
  }

  /**
   * Re-evaluates a role's whole current state (reconcile): records every posture finding that holds and
   * resolves those that no longer do.
   */
  async reevaluateRole(
    account: string,
    roleName: string,
    at: number,
    reason: string,
  ): Promise<Omit<ProcessResult, 'eventId' | 'status'>> {
    const { state, resolver, posture, recorder } = this.core;
    const record = await state.getRole(account, roleName);
    const view = await resolver.view(record);
    const arn = record?.arn ?? `arn:aws:iam::${account}:role/${roleName}`;
    const drafts = view ? posture.drafts(view, at) : [];
    const findings = await recorder.record(drafts, at);
    const resolved = await this.deps.findings.resolveMissing(account, arn, new Set(drafts.map((d) => d.id)), at, reason);
    return { findings, resolved };
  }

  /** Forgets cached customer-managed policy documents (call between invocations). */
  clearCaches(): void {
    this.core.resolver.forget();
  }

  /** Not itself async: each stage returns its promise, and one more await per event would only add a step. */
  private evaluate(
    event: TrailEvent,
    assumption: boolean,
    target: AssumedRole | undefined,
    since: number,
    batch: AssumptionBatch | undefined,
  ): Promise<Evaluation> {
    if (event.errorCode) return processFailedCall(this.core, event);
    if (assumption) return processAssumption(this.core, event, target, since, batch);
    const stamp = stampOf(event);
    const roleEffect = roleEventEffect(event, stamp);
    if (roleEffect) return processRoleEvent(this.core, event, roleEffect, since);
    const unnamed = unnamedRoleEffect(event, stamp);
    if (unnamed) return processUnnamedRoleEvent(this.core, event, unnamed);
    const policyEffect = policyEventEffect(event, stamp);
    if (policyEffect) return processPolicyEvent(this.core, event, policyEffect, stamp);
    return processOtherEvent(this.core, event);
  }
}
