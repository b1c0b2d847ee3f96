import { actorPrincipal, getString, isRecord } from '../cloudtrail/accessors';
import { compareTrailEvents } from '../cloudtrail/order';
import { isReadOnlyEventName } from '../cloudtrail/parse';
import type { TrailEvent } from '../cloudtrail/types';
import { type Config, severityRank } from '../config/config';
import type { IamReader } from '../iam/reader';
import { diffPolicies, formatDiff, trustedPrincipals } from '../policy/diff';
import { documentId } from '../policy/identity';
import type { AssumptionFacts, PolicyRef, RoleView, Rule, RuleContext } from '../rules/types';
import {
  ASSUMPTION_EVENTS,
  isAssumption,
  type PolicyEventEffect,
  policyEventEffect,
  type RoleEventEffect,
  roleEventEffect,
  STATE_EVENT_NAMES,
} from './events';
import { draftFinding, matchSuppression } from './findings';
import type {
  AssumptionEdge,
  AssumptionObservation,
  EventLedger,
  Finding,
  FindingDraft,
  FindingStore,
  FindingTransition,
  StateStore,
} from './ports';
import {
  addedPrincipals,
  applyRoleChanges,
  emptyRoleRecord,
  foldRoleChanges,
  isNewerStamp,
  type RoleChange,
  type RoleRecord,
  type Stamp,
  stampOf,
  type TrustPart,
} from './roleRecord';
import { allPolicies, PolicyResolver, withDocument } from './roleView';

const HOUR = 3_600_000;
const STATE_EVENTS: ReadonlySet<string> = new Set(STATE_EVENT_NAMES);
const DAY = 24 * HOUR;

/** Where the engine reports a rule that threw or an event it had to skip. */
export interface EngineLogger {
  warn(message: string, data?: Record<string, unknown>): void;
}

export interface EngineDeps {
  state: StateStore;
  findings: FindingStore;
  ledger: EventLedger;
  iam: IamReader;
  config: Config;
  rules: readonly Rule[];
  logger?: EngineLogger;
  /**
   * Called with the findings an event recorded, before the event is marked processed: alerts go out
   * here, so that if they fail the event is retried and its still-pending alerts are sent then.
   */
  notify?: (recorded: RecordedFinding[]) => Promise<void>;
  /** False for backfills of old archives: findings are recorded but never marked for alerting. */
  alerting?: boolean;
}

export interface RecordedFinding {
  finding: Finding;
  transition: FindingTransition;
}

/** The findings one event produces for a role, with the role before and after it. */
interface RoleEvaluation {
  eventId: string;
  drafts: FindingDraft[];
  previous?: RoleView;
  role?: RoleView;
  /** The trust the event set, when it changed the trust policy. */
  trust?: TrustPart;
  /** Only these rules judged the event again (an assumption after a trust change); others' findings stand. */
  onlyRules?: ReadonlySet<string>;
}

export interface ProcessResult {
  eventId: string;
  /** processed; duplicate (eventID seen before); ignored (nothing RoleWatch watches, or unusable). */
  status: 'processed' | 'duplicate' | 'ignored';
  findings: RecordedFinding[];
  resolved: Finding[];
}

/** An evaluated event; `commit` marks it processed (with the write that must happen exactly once, if any). */
interface Evaluation extends ProcessResult {
  commit?: () => Promise<void>;
}

/**
 * Evaluates CloudTrail events against the rules with state: applies each event to role and policy state,
 * runs the rules that listen to it, records findings, resolves posture findings whose cause is gone, and
 * remembers the eventID so that a redelivery is a no-op. Rules stay pure; all I/O goes through ports.
 */
export class Engine {
  private readonly rulesByEvent = new Map<string, Rule[]>();
  private readonly postureRules: Rule[];
  private readonly correlatingRules: Rule[];
  /** Sources of the assumptions correlating rules may judge again: only those are kept with their event. */
  private readonly correlatedSources: ReadonlySet<string>;
  private readonly resolver: PolicyResolver;
  private readonly postureCache = new Map<string, ReadonlySet<string>>();

  constructor(private readonly deps: EngineDeps) {
    const enabled = deps.rules.filter((rule) => deps.config.rules[rule.id]?.enabled !== false);
    for (const rule of enabled) {
      for (const name of rule.events) {
        const list = this.rulesByEvent.get(name) ?? [];
        list.push(rule);
        this.rulesByEvent.set(name, list);
      }
    }
    this.postureRules = enabled.filter((rule) => rule.kind === 'posture');
    this.correlatingRules = enabled.filter((rule) => rule.correlatesTrustChanges);
    this.correlatedSources = new Set(this.correlatingRules.flatMap((rule) => rule.correlatesTrustChanges ?? []));
    this.resolver = new PolicyResolver(deps.state, deps.iam);
  }

  /** Processes one event. Infrastructure failures (store, IAM) propagate so the caller can retry the event. */
  async process(event: TrailEvent): Promise<ProcessResult> {
    // Most of a trail is calls RoleWatch does not watch (and our own IAM reads): dropped before any I/O.
    if (!this.isWatched(event)) return { eventId: event.eventId, status: 'ignored', findings: [], resolved: [] };
    if (await this.wasProcessed(event)) return { eventId: event.eventId, status: 'duplicate', findings: [], resolved: [] };
    const since = await this.deps.state.monitoringSince(event.time);
    await this.deps.state.noteLastEvent(event.time);
    const { commit, ...result } = await this.evaluate(event, since);
    if (this.deps.notify && result.findings.length > 0) await this.deps.notify(result.findings);
    if (result.status !== 'ignored') await (commit ? commit() : this.deps.ledger.markProcessed(event.eventId, event.time));
    return result;
  }

  /** An assumption's ledger is its entry in the role's assumption log; every other event's, the event ledger. */
  private async wasProcessed(event: TrailEvent): Promise<boolean> {
    const target = !event.errorCode && isAssumption(event) ? assumedRole(event) : undefined;
    return target
      ? this.deps.state.isAssumptionRecorded(target.account, target.roleArn, event.time, event.eventId)
      : this.deps.ledger.isProcessed(event.eventId);
  }

  /** True for events some rule listens to or that change role or policy state; read-only calls only if they assume a role. */
  isWatched(event: Pick<TrailEvent, 'eventName' | 'eventSource' | 'readOnly'>): boolean {
    if (event.readOnly) return event.eventSource === 'sts.amazonaws.com' && ASSUMPTION_EVENTS.has(event.eventName);
    return this.rulesByEvent.has(event.eventName) || STATE_EVENTS.has(event.eventName);
  }

  /**
   * The same test on a raw CloudTrail record (or EventBridge envelope), before it is parsed into an event:
   * a replay reads whole trails, most of which RoleWatch drops. Records it cannot judge this way count as
   * watched, so that parsing reports what is wrong with them.
   */
  isWatchedRecord(raw: unknown): boolean {
    const record = isRecord(raw) && isRecord(raw.detail) && typeof raw['detail-type'] === 'string' ? raw.detail : raw;
    if (!isRecord(record)) return true;
    const { eventName, eventSource, readOnly } = record;
    if (typeof eventName !== 'string' || typeof eventSource !== 'string') return true;
    return this.isWatched({
      eventName,
      eventSource,
      readOnly: typeof readOnly === 'boolean' ? readOnly : isReadOnlyEventName(eventName),
    });
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
    const record = await this.deps.state.getRole(account, roleName);
    const view = await this.resolver.view(record);
    const arn = record?.arn ?? `arn:aws:iam::${account}:role/${roleName}`;
    const drafts = view ? this.postureDrafts(view, at) : [];
    const findings = await this.record(drafts, at);
    const resolved = await this.deps.findings.resolveMissing(account, arn, new Set(drafts.map((d) => d.id)), at, reason);
    return { findings, resolved };
  }

  /** Forgets cached customer-managed policy documents (call between invocations). */
  clearCaches(): void {
    this.resolver.forget();
  }

  private async evaluate(event: TrailEvent, since: number): Promise<Evaluation> {
    if (event.errorCode) return this.processFailedCall(event);
    if (isAssumption(event)) return this.processAssumption(event, since);
    const stamp = stampOf(event);
    const roleEffect = roleEventEffect(event, stamp);
    if (roleEffect) return this.processRoleEvent(event, roleEffect, since);
    const policyEffect = policyEventEffect(event, stamp);
    if (policyEffect) return this.processPolicyEvent(event, policyEffect, stamp);
    return this.processAccountEvent(event);
  }

  private async processRoleEvent(event: TrailEvent, effect: RoleEventEffect, since: number): Promise<ProcessResult> {
    const { state } = this.deps;
    const account = event.account;
    const stamp = stampOf(event);
    const record = await state.getRole(account, effect.roleName);
    const arn = effect.arn ?? record?.arn ?? `arn:aws:iam::${account}:role/${effect.roleName}`;
    const base: RoleRecord = { ...(record ?? emptyRoleRecord(account, effect.roleName, arn)), arn };
    const changes = effect.changes.map((change) => this.withPrincipals(change));
    const isLate = record?.lastChange !== undefined && isNewerStamp(record.lastChange, stamp);

    const where = { account, resource: arn, roleName: effect.roleName };
    const evaluations = isLate
      ? await this.replayRoleFrom(event, base, where)
      : [await this.evaluateRoleChange(event, base, changes, where)];
    const own = evaluations[0];

    await state.applyRoleChanges(account, effect.roleName, arn, changes);
    await state.appendHistory({
      account,
      roleName: effect.roleName,
      roleArn: arn,
      at: event.time,
      eventId: event.eventId,
      eventName: event.eventName,
      ...actorFields(event),
      summary: effect.summary,
      ...historyDiff(changes, own?.previous, own?.role),
      event: { ...event, response: {} },
    });
    const assumptions = await this.reevaluateAssumptions(evaluations, { ...where, roleArn: arn, since });
    const judged = [...evaluations, ...assumptions];
    const findings = await this.record(
      judged.flatMap((evaluation) => evaluation.drafts),
      event.time,
    );
    if (isLate || assumptions.length > 0) await this.removeUnreproduced(account, arn, judged);
    const current = isLate ? await this.resolver.view(await state.getRole(account, effect.roleName)) : own?.role;
    const resolved = await this.resolvePosture(
      account,
      arn,
      current,
      event.time,
      `${event.eventName} by ${actorPrincipal(event.actor)}`,
    );
    return { eventId: event.eventId, status: 'processed', findings, resolved };
  }

  /** Evaluates one role change against the role as it was just before it. */
  private async evaluateRoleChange(
    event: TrailEvent,
    before: RoleRecord,
    changes: readonly RoleChange[],
    where: { account: string; resource: string; roleName: string },
  ): Promise<RoleEvaluation> {
    const previous = await this.resolver.view(before);
    const after = applyRoleChanges(before, changes);
    const role = await this.resolver.view(after);
    const trustChanged = changes.some((change) => change.part === 'trust');
    const context: RuleContext = {
      event,
      ...(role ? { role } : {}),
      ...(previous ? { previous } : {}),
      changed: changedPolicies(changes, role, previous),
      trustChanged,
      config: this.deps.config,
    };
    const drafts = this.runRules(event, context, { ...where, at: event.time });
    return {
      eventId: event.eventId,
      drafts,
      ...(previous ? { previous } : {}),
      ...(role ? { role } : {}),
      ...(trustChanged && after.trust ? { trust: after.trust } : {}),
    };
  }

  /**
   * The assumptions logged after each trust change of `evaluations`, up to the next one (or the end of the
   * correlation window), judged again by the rules that correlate them with it: a trust change that arrives
   * after the assumptions it preceded finds them, and what they were judged by before it is corrected.
   */
  private async reevaluateAssumptions(
    evaluations: readonly RoleEvaluation[],
    where: { account: string; roleArn: string; roleName: string; since: number },
  ): Promise<RoleEvaluation[]> {
    const changes = evaluations.flatMap((evaluation) => (evaluation.trust ? [evaluation.trust] : []));
    if (this.correlatingRules.length === 0 || changes.length === 0) return [];
    const { state, config } = this.deps;
    const onlyRules = new Set(this.correlatingRules.map((rule) => rule.id));
    const window = config.correlation.windowHours * HOUR;
    const judged: RoleEvaluation[] = [];
    let edges: Map<string, AssumptionEdge> | undefined;
    for (const [i, trust] of changes.entries()) {
      const until = Math.min(trust.at + window + 1, changes[i + 1]?.at ?? Number.POSITIVE_INFINITY);
      for (const assumption of await state.assumptionsBetween(where.account, where.roleArn, trust.at, until)) {
        edges ??= new Map((await state.assumptionsOf(where.account, where.roleArn)).map((edge) => [edge.source, edge]));
        const source = assumptionSource(assumption);
        const drafts = this.assumptionDrafts(
          assumption,
          { ...where, source, edge: edges.get(source.source), trust },
          this.correlatingRules,
        );
        judged.push({ eventId: assumption.eventId, drafts, onlyRules });
      }
    }
    return judged;
  }

  /**
   * After a replay, occurrences that replayed events had produced and no longer produce were artefacts of
   * evaluating with an event missing: they are taken back (a finding left with none disappears).
   */
  private async removeUnreproduced(account: string, arn: string, judged: readonly RoleEvaluation[]): Promise<void> {
    const { findings } = this.deps;
    const reproduced = new Set(judged.flatMap((e) => e.drafts.map((draft) => `${draft.id}\u0000${e.eventId}`)));
    const ofResource = await findings.forResource(account, arn);
    // Events judged by every rule, then events judged again by some rules only (their other findings stand).
    const whole = judged.filter((e) => !e.onlyRules);
    const partial = judged.filter((e) => e.onlyRules);
    const rules = new Set(partial.flatMap((e) => [...(e.onlyRules ?? [])]));
    const occurrences = [
      ...(await findings.occurrencesAmong(
        ofResource.map((finding) => finding.id),
        whole.map((e) => e.eventId),
      )),
      ...(await findings.occurrencesAmong(
        ofResource.filter((finding) => rules.has(finding.ruleId)).map((finding) => finding.id),
        partial.map((e) => e.eventId),
      )),
    ];
    for (const occurrence of occurrences) {
      if (!reproduced.has(`${occurrence.findingId}\u0000${occurrence.eventId}`)) await findings.removeOccurrence(occurrence);
    }
  }

  /**
   * An event older than the role's newest change arrived late: the role is rewound to just before it
   * (from its history) and this event and every later one are evaluated again in time order, so the
   * findings are those an in-order arrival would have given. The first evaluation is the late event's own.
   */
  private async replayRoleFrom(
    event: TrailEvent,
    current: RoleRecord,
    where: { account: string; resource: string; roleName: string },
  ): Promise<RoleEvaluation[]> {
    const history = (await this.historyEvents(where.account, where.roleName)).filter((e) => e.eventId !== event.eventId);
    const timeline = [...history, event].sort(compareTrailEvents);
    const changesOf = (e: TrailEvent) => this.roleChangesOf(e);
    const index = timeline.findIndex((e) => e.eventId === event.eventId);
    const later = timeline.slice(index);
    let record = rewind(
      current,
      later.flatMap(changesOf),
      timeline.slice(0, index).map((e) => ({ changes: changesOf(e) })),
    );
    const evaluations: RoleEvaluation[] = [];
    for (const e of later) {
      const changes = changesOf(e);
      evaluations.push(await this.evaluateRoleChange(e, record, changes, where));
      record = applyRoleChanges(record, changes);
    }
    return evaluations;
  }

  /** The role events of a role's history, each once, in time order. */
  private async historyEvents(account: string, roleName: string): Promise<TrailEvent[]> {
    return (await this.deps.state.roleHistory(account, roleName))
      .flatMap((entry) => (entry.event ? [entry.event] : []))
      .filter((e, i, all) => all.findIndex((other) => other.eventId === e.eventId) === i)
      .sort(compareTrailEvents);
  }

  private roleChangesOf(event: TrailEvent): RoleChange[] {
    const stamp = stampOf(event);
    return (roleEventEffect(event, stamp)?.changes ?? []).map((change) => this.withPrincipals(change));
  }

  /**
   * The role's trust as it was at `time`, from its history: an assumption that arrives after a later trust
   * change is judged against the trust policy it was made under.
   */
  private async trustAsOf(account: string, roleName: string, arn: string, time: number): Promise<TrustPart | undefined> {
    const earlier = (await this.historyEvents(account, roleName)).filter((e) => e.time <= time);
    return foldRoleChanges(
      emptyRoleRecord(account, roleName, arn),
      earlier.map((e) => ({ changes: this.roleChangesOf(e) })),
    ).trust;
  }

  private async processPolicyEvent(event: TrailEvent, effect: PolicyEventEffect, stamp: Stamp): Promise<ProcessResult> {
    const { state } = this.deps;
    const account = event.account;
    const before = await state.getPolicy(account, effect.arn);
    const drafts: FindingDraft[] = [];
    const touchedRoles: { name: string; arn: string; summary: string; diff: string[] }[] = [];

    if (effect.defaultChanged) {
      const { versionId } = effect.defaultChanged;
      const newText = effect.defaultChanged.document ?? (await this.resolver.policyVersion(account, effect.arn, versionId));
      const oldText = before?.defaultVersion ? before.versions[before.defaultVersion.versionId] : undefined;
      const base = {
        kind: 'managed' as const,
        name: effect.arn.slice(effect.arn.lastIndexOf('/') + 1),
        arn: effect.arn,
        awsManaged: false,
      };
      const oldRef =
        oldText === undefined
          ? { ...base, error: 'previous default version unknown' }
          : withDocument(base, this.resolver.parse(oldText));
      const parsedNew = newText === undefined ? undefined : this.resolver.parse(newText);
      const newRef: PolicyRef = parsedNew
        ? { ...withDocument(base, parsedNew), ...(oldRef.document ? { previous: oldRef.document } : {}) }
        : { ...base, error: `version ${versionId} document unavailable` };
      const roleNames = await state.rolesWithPolicy(account, effect.arn);
      for (const roleName of roleNames) {
        const record = await state.getRole(account, roleName);
        const previous = await this.resolver.view(record, { arn: effect.arn, ref: oldRef });
        const role = await this.resolver.view(record, { arn: effect.arn, ref: newRef });
        if (!record || !role) continue;
        const context: RuleContext = {
          event,
          role,
          ...(previous ? { previous } : {}),
          changed: [newRef],
          trustChanged: false,
          config: this.deps.config,
        };
        drafts.push(...this.runRules(event, context, { account, resource: record.arn, roleName, at: event.time }));
        touchedRoles.push({
          name: roleName,
          arn: record.arn,
          summary: `${effect.summary} (attached to this role)`,
          diff: formatDiff(diffPolicies(oldRef.document, newRef.document)),
        });
      }
      if (roleNames.length === 0) {
        const context: RuleContext = { event, changed: [newRef], trustChanged: false, config: this.deps.config };
        drafts.push(...this.runRules(event, context, { account, resource: effect.arn, at: event.time }));
      }
    } else {
      drafts.push(
        ...this.runRules(
          event,
          { event, changed: [], trustChanged: false, config: this.deps.config },
          { account, resource: effect.arn, at: event.time },
        ),
      );
    }

    await state.applyPolicyChanges(account, effect.arn, effect.changes);
    this.resolver.forget(account, effect.arn);
    const isCurrent = isNewerStamp(stamp, before?.defaultVersion);
    const resolved: Finding[] = [];
    for (const role of touchedRoles) {
      await state.appendHistory({
        account,
        roleName: role.name,
        roleArn: role.arn,
        at: event.time,
        eventId: event.eventId,
        eventName: event.eventName,
        ...actorFields(event),
        summary: role.summary,
        ...(role.diff.length > 0 ? { diff: role.diff } : {}),
      });
    }
    const findings = await this.record(drafts, event.time);
    if (isCurrent) {
      for (const role of touchedRoles) {
        const view = await this.resolver.view(await state.getRole(account, role.name));
        resolved.push(...(await this.resolvePosture(account, role.arn, view, event.time, `${event.eventName} on ${effect.arn}`)));
      }
    }
    return { eventId: event.eventId, status: 'processed', findings, resolved };
  }

  private async processAssumption(event: TrailEvent, since: number): Promise<Evaluation> {
    const { state } = this.deps;
    const target = assumedRole(event);
    if (!target) {
      this.deps.logger?.warn('role assumption without a role ARN; skipped', {
        eventId: event.eventId,
        eventName: event.eventName,
      });
      return { eventId: event.eventId, status: 'ignored', findings: [], resolved: [] };
    }
    const { account, roleArn, roleName } = target;
    // This is the high-volume path (every assumption of every service): plain objects, no spreads.
    const source = assumptionSource(event);
    const edge = await state.getAssumption(account, roleArn, source.source);
    const record = await state.getRole(account, roleName);
    // Rarely, the trust changed after this assumption (it arrived late): it was made under an older policy.
    const trust =
      record?.trust && record.trust.at > event.time
        ? await this.trustAsOf(account, roleName, roleArn, event.time)
        : record?.trust;
    const drafts = this.assumptionDrafts(event, {
      account,
      roleArn,
      roleName,
      source,
      edge,
      trust,
      since,
      created: record?.created?.at,
    });
    const observation: AssumptionObservation = {
      account,
      roleArn,
      source: source.source,
      sourceType: source.sourceType,
      at: event.time,
      eventId: event.eventId,
      region: event.region,
    };
    if (this.correlatedSources.has(source.sourceType)) observation.event = withoutCredentials(event);
    if (source.sourceAccount !== undefined) observation.sourceAccount = source.sourceAccount;
    if (event.sourceIp) observation.sourceIp = event.sourceIp;
    const findings = drafts.length > 0 ? await this.record(drafts, event.time) : [];
    // The edge is counted last, with the assumption's log entry (its ledger): a retry of anything before
    // recounts nothing.
    const commit = () => state.recordAssumption(observation, edge);
    return { eventId: event.eventId, status: 'processed', findings, resolved: [], commit };
  }

  /** What the rules find in one assumption, given the edge and the role's trust as of it. */
  private assumptionDrafts(
    event: TrailEvent,
    on: {
      account: string;
      roleArn: string;
      roleName: string;
      source: ReturnType<typeof assumptionSource>;
      edge: AssumptionEdge | undefined;
      trust: TrustPart | undefined;
      since: number;
      created?: number | undefined;
    },
    rules?: readonly Rule[],
  ): FindingDraft[] {
    const { config } = this.deps;
    const facts: AssumptionFacts = {
      roleArn: on.roleArn,
      roleName: on.roleName,
      roleAccount: on.account,
      source: on.source.source,
      sourceType: on.source.sourceType,
      isFirstTime: !on.edge || event.time < on.edge.firstSeen,
      isLearning: event.time < on.since + config.correlation.learningPeriodDays * DAY,
      isChained: event.actor.type === 'AssumedRole',
    };
    if (on.source.sourceAccount !== undefined) facts.sourceAccount = on.source.sourceAccount;
    const role: RoleView = { account: on.account, name: on.roleName, arn: on.roleArn, policies: [] };
    if (on.created !== undefined) role.createdAt = on.created;
    const trust = on.trust;
    if (trust && (trust.previous || trust.initial))
      role.trustChange = { at: trust.at, added: addedPrincipals(trust), initial: !trust.previous };
    const context: RuleContext = { event, role, assumption: facts, changed: [], trustChanged: false, config };
    const where = { account: on.account, resource: on.roleArn, roleName: on.roleName, at: event.time };
    return this.runRules(event, context, where, rules);
  }

  private async processFailedCall(event: TrailEvent): Promise<ProcessResult> {
    const rules = this.rulesByEvent.get(event.eventName)?.filter((rule) => rule.includeFailedCalls) ?? [];
    if (rules.length === 0) return { eventId: event.eventId, status: 'processed', findings: [], resolved: [] };
    const { config, state } = this.deps;
    const context: RuleContext = { event, changed: [], trustChanged: false, config };
    // IAM rejects a trust policy naming a principal that does not exist as malformed: the enumeration signal.
    if (event.eventName === 'UpdateAssumeRolePolicy' && event.errorCode?.includes('MalformedPolicyDocument')) {
      const windowMs = config.correlation.enumerationWindowMinutes * 60_000;
      context.failedTrustUpdates = await state.countTrustFailures(
        event.account,
        actorPrincipal(event.actor),
        event.time,
        event.eventId,
        windowMs,
      );
    }
    const drafts = this.runRules(
      event,
      context,
      { account: event.account, resource: defaultResource(event), at: event.time },
      rules,
    );
    const findings = await this.record(drafts, event.time);
    return { eventId: event.eventId, status: 'processed', findings, resolved: [] };
  }

  private async processAccountEvent(event: TrailEvent): Promise<ProcessResult> {
    const context: RuleContext = { event, changed: [], trustChanged: false, config: this.deps.config };
    const drafts = this.runRules(event, context, { account: event.account, resource: defaultResource(event), at: event.time });
    const status = this.rulesByEvent.has(event.eventName) ? 'processed' : 'ignored';
    const findings = await this.record(drafts, event.time);
    return { eventId: event.eventId, status, findings, resolved: [] };
  }

  /** Runs the rules listening to the event; a rule that throws is logged and skipped, never stops the others. */
  private runRules(
    event: TrailEvent,
    context: RuleContext,
    where: { account: string; resource: string; roleName?: string; at: number },
    rules: readonly Rule[] = this.rulesByEvent.get(event.eventName) ?? [],
  ): FindingDraft[] {
    const drafts: FindingDraft[] = [];
    for (const rule of rules) {
      const matches = this.safeEvaluate(rule, context);
      if (matches.length === 0) continue;
      for (const match of matches) drafts.push(draftFinding(rule, match, { ...where, event }, this.deps.config));
    }
    return drafts;
  }

  /**
   * Ids of the posture findings that hold for a role's state. They depend only on the role's identity and
   * documents (parsed once, so named by object), hence are remembered: every change to a role asks.
   */
  private postureIds(view: RoleView): ReadonlySet<string> {
    const key = [
      view.account,
      view.arn,
      view.trust ? documentId(view.trust) : (view.trustError ?? ''),
      ...allPolicies(view).map(
        (ref) => `${ref.kind}:${ref.arn ?? ref.name}:${ref.document ? documentId(ref.document) : ref.error}`,
      ),
    ].join('\u0000');
    let ids = this.postureCache.get(key);
    if (!ids) {
      ids = new Set(this.postureDrafts(view, 0).map((draft) => draft.id));
      if (this.postureCache.size >= 10_000) this.postureCache.clear();
      this.postureCache.set(key, ids);
    }
    return ids;
  }

  /** Posture findings that hold for a role's whole current state. */
  private postureDrafts(view: RoleView, at: number): FindingDraft[] {
    const context: RuleContext = { role: view, changed: allPolicies(view), trustChanged: true, config: this.deps.config };
    return this.postureRules.flatMap((rule) =>
      this.safeEvaluate(rule, context).map((match) =>
        draftFinding(rule, match, { account: view.account, resource: view.arn, roleName: view.name, at }, this.deps.config),
      ),
    );
  }

  private safeEvaluate(rule: Rule, context: RuleContext) {
    try {
      return rule.evaluate(context);
    } catch (error) {
      this.deps.logger?.warn('rule failed; skipped', {
        ruleId: rule.id,
        eventId: context.event?.eventId,
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    }
  }

  private async resolvePosture(
    account: string,
    arn: string,
    view: RoleView | undefined,
    at: number,
    reason: string,
  ): Promise<Finding[]> {
    const stillTrue = view ? this.postureIds(view) : new Set<string>();
    return this.deps.findings.resolveMissing(
      account,
      arn,
      stillTrue,
      at,
      view ? `no longer true after ${reason}` : `role deleted (${reason})`,
    );
  }

  private async record(drafts: readonly FindingDraft[], at: number): Promise<RecordedFinding[]> {
    const { config, findings } = this.deps;
    const minimum = this.deps.alerting === false ? Number.POSITIVE_INFINITY : severityRank(config.alerts.minSeverity);
    const out: RecordedFinding[] = [];
    for (const draft of drafts) {
      const suppression = matchSuppression(config, draft, at);
      out.push(
        await findings.record(draft, { ...(suppression ? { suppression } : {}), alert: severityRank(draft.severity) >= minimum }),
      );
    }
    return out;
  }

  /** Fills in the principals a trust change trusts (what "newly added" is computed from). */
  private withPrincipals(change: RoleChange): RoleChange {
    if (change.part !== 'trust') return change;
    const parsed = this.resolver.parse(change.document);
    return parsed.ok ? { ...change, principals: trustedPrincipals(parsed.document) } : change;
  }
}

/**
 * The record as it was before a set of changes: every part they touch is taken back to its newest value
 * among `earlier` changes (or removed when none set it).
 */
function rewind(
  record: RoleRecord,
  touching: readonly RoleChange[],
  earlier: readonly { changes: readonly RoleChange[] }[],
): RoleRecord {
  const rewound: RoleRecord = { ...record, inline: { ...record.inline }, attached: { ...record.attached } };
  delete rewound.lastChange;
  for (const change of touching) {
    if (change.part === 'inline') delete rewound.inline[change.name];
    else if (change.part === 'attached') delete rewound.attached[change.arn];
    else delete rewound[change.part];
  }
  const keys = new Set(touching.map(partKey));
  return foldRoleChanges(
    rewound,
    earlier.map((entry) => ({ changes: entry.changes.filter((change) => keys.has(partKey(change))) })),
  );
}

function partKey(change: RoleChange): string {
  if (change.part === 'inline') return `inline:${change.name}`;
  if (change.part === 'attached') return `attached:${change.arn}`;
  return change.part;
}

/** The permission and boundary policies an event set, as the event made them, with what they replaced. */
function changedPolicies(
  changes: readonly RoleChange[],
  role: RoleView | undefined,
  previous: RoleView | undefined,
): PolicyRef[] {
  const refs: PolicyRef[] = [];
  for (const change of changes) {
    if (change.part === 'inline' && change.document !== null) {
      const ref = role?.policies.find((p) => p.kind === 'inline' && p.name === change.name);
      const old = previous?.policies.find((p) => p.kind === 'inline' && p.name === change.name)?.document;
      if (ref) refs.push(old ? { ...ref, previous: old } : ref);
    } else if (change.part === 'attached' && change.attached) {
      const ref = role?.policies.find((p) => p.kind === 'managed' && p.arn === change.arn);
      if (ref) refs.push(ref);
    } else if (change.part === 'boundary' && change.arn !== null && role?.boundary) {
      const old = previous?.boundary?.document;
      refs.push(old ? { ...role.boundary, previous: old } : role.boundary);
    }
  }
  return refs;
}

function historyDiff(
  changes: readonly RoleChange[],
  previous: RoleView | undefined,
  role: RoleView | undefined,
): { diff?: string[] } {
  const lines: string[] = [];
  for (const change of changes) {
    if (change.part === 'trust') lines.push(...formatDiff(diffPolicies(previous?.trust, role?.trust)));
    if (change.part === 'inline') {
      const find = (view: RoleView | undefined) =>
        view?.policies.find((p) => p.kind === 'inline' && p.name === change.name)?.document;
      lines.push(...formatDiff(diffPolicies(find(previous), change.document === null ? undefined : find(role))));
    }
  }
  return lines.length > 0 ? { diff: lines } : {};
}

function actorFields(event: TrailEvent): { actor?: string; sourceIp?: string; userAgent?: string } {
  return {
    actor: actorPrincipal(event.actor),
    ...(event.sourceIp ? { sourceIp: event.sourceIp } : {}),
    ...(event.userAgent ? { userAgent: event.userAgent } : {}),
  };
}

function defaultResource(event: TrailEvent): string {
  const roleName = getString(event.request, 'roleName');
  if (roleName) return `arn:aws:iam::${event.account}:role/${roleName}`;
  return event.resources.find((r) => r.arn)?.arn ?? `arn:aws:iam::${event.account}:root`;
}

/** The account field of an ARN, without splitting the whole ARN (this runs on every assumption). */
function accountOfArn(arn: string): string {
  let start = 0;
  for (let field = 0; field < 4; field++) {
    start = arn.indexOf(':', start) + 1;
    if (start === 0) return '';
  }
  const end = arn.indexOf(':', start);
  return end < 0 ? '' : arn.slice(start, end);
}

/** The role an assumption event assumed; undefined when the event names none. */
function assumedRole(event: TrailEvent): { account: string; roleArn: string; roleName: string } | undefined {
  const roleArn = getString(event.request, 'roleArn');
  if (!roleArn || !roleArn.includes(':role/')) return undefined;
  return { account: accountOfArn(roleArn) || event.account, roleArn, roleName: roleArn.slice(roleArn.lastIndexOf('/') + 1) };
}

/** An assumption as the log keeps it: the temporary credentials it returned are not RoleWatch's to store. */
function withoutCredentials(event: TrailEvent): TrailEvent {
  if (!isRecord(event.response) || !('credentials' in event.response)) return event;
  const { credentials: _dropped, ...response } = event.response;
  return { ...event, response };
}

/** Who assumed the role, as an edge source. */
function assumptionSource(event: TrailEvent): Pick<AssumptionFacts, 'source' | 'sourceAccount' | 'sourceType'> {
  const { actor } = event;
  if (event.eventName === 'AssumeRoleWithWebIdentity' || event.eventName === 'AssumeRoleWithSAML') {
    const provider =
      actor.identityProvider ??
      getString(event.response, 'provider') ??
      getString(event.request, 'principalArn') ??
      'unknown-provider';
    const subject =
      actor.userName ??
      getString(event.response, 'subjectFromWebIdentityToken') ??
      getString(event.response, 'subject') ??
      'unknown-subject';
    return { source: `${provider}:${subject}`, sourceType: event.eventName === 'AssumeRoleWithSAML' ? 'saml' : 'web-identity' };
  }
  if (actor.type === 'AWSService') return { source: actor.invokedBy ?? actorPrincipal(actor), sourceType: 'service' };
  const account = actor.accountId ?? actor.sessionIssuer?.accountId;
  return { source: actorPrincipal(actor), ...(account ? { sourceAccount: account } : {}), sourceType: 'aws' };
}
