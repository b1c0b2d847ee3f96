import { accountOfArn } from '../arn';
import { actorPrincipal, getString, isRecord } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import type { FindingDraft } from '../findings/finding';
import type { AssumptionEdge, AssumptionObservation, StateStore } from '../ports/roleState';
import { addedPrincipals, type TrustPart } from '../roles/roleRecord';
import type { AssumptionFacts, RoleView, Rule } from '../rules/types';
import type { AssumptionBatch } from './assumptionBatch';
import type { EngineCore, Evaluation, RoleEvaluation } from './core';
import { nothing } from './core';
import { trustAsOf } from './lateEvents';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The role an assumption assumed. */
export interface AssumedRole {
  account: string;
  roleArn: string;
  roleName: string;
}

/** Who assumed a role, as an edge source. */
export type AssumptionSource = Pick<AssumptionFacts, 'source' | 'sourceAccount' | 'sourceType'>;

/**
 * Assumptions: the high-volume path (every assumption of every service), kept to plain objects and the reads it
 * needs: the edge from this source, the role (its creation and trust). The rules listening to the call judge it;
 * the edge is counted last, with the assumption's log entry, which is its mark of processed.
 */
export async function processAssumption(
  core: EngineCore,
  event: TrailEvent,
  target: AssumedRole | undefined,
  since: number,
  batch?: AssumptionBatch,
): Promise<Evaluation> {
  if (!target) {
    core.logger?.warn('role assumption without a role ARN; skipped', { eventId: event.eventId, eventName: event.eventName });
    return nothing(event, 'ignored');
  }
  const { state } = core;
  const source = assumptionSource(event);
  const edge = await (batch ?? state).getAssumption(target.account, target.roleArn, source.source);
  const record = await state.getRole(target.account, target.roleName);
  // Rarely, the trust changed after this assumption (it arrived late): it was made under an older policy.
  const trust =
    record?.trust && record.trust.at > event.time
      ? await trustAsOf(core, target.account, target.roleName, target.roleArn, event.time)
      : record?.trust;
  const drafts = assumptionDrafts(core, event, target, source, edge, trust, since, record?.created?.at);
  const observation = assumptionObservation(core, event, target, source);
  const findings = drafts.length > 0 ? await core.recorder.record(drafts, event.time) : [];
  // The edge is counted last, with the assumption's log entry (its ledger): a retry of anything before
  // recounts nothing. In a batch, when the batch commits.
  const commit = batch ? async () => batch.add(observation) : () => recordAssumption(state, observation);
  return { eventId: event.eventId, status: 'processed', findings, resolved: [], commit };
}

/** What the store counts of one assumption: its edge, its time and place, and the event when a rule may judge it again. */
function assumptionObservation(
  core: EngineCore,
  event: TrailEvent,
  target: AssumedRole,
  source: AssumptionSource,
): AssumptionObservation {
  const observation: AssumptionObservation = {
    account: target.account,
    roleArn: target.roleArn,
    source: source.source,
    sourceType: source.sourceType,
    at: event.time,
    eventId: event.eventId,
    region: event.region,
  };
  if (core.rules.correlatedSources.has(source.sourceType)) observation.event = withoutCredentials(event);
  if (source.sourceAccount !== undefined) observation.sourceAccount = source.sourceAccount;
  if (event.sourceIp) observation.sourceIp = event.sourceIp;
  return observation;
}

/** Records one assumption on its own; a failure propagates (the event is retried). */
async function recordAssumption(state: StateStore, observation: AssumptionObservation): Promise<void> {
  const [failure] = await state.recordAssumptions([observation]);
  if (failure) throw failure.error;
}

/**
 * The assumptions logged after each trust change of `evaluations`, up to the next one (or the end of the
 * correlation window), judged again by the rules that correlate them with it: a trust change that arrives
 * after the assumptions it preceded finds them, and what they were judged by before it is corrected.
 */
export async function reevaluateAssumptions(
  core: EngineCore,
  evaluations: readonly RoleEvaluation[],
  where: { account: string; roleArn: string; roleName: string; since: number },
): Promise<RoleEvaluation[]> {
  const { rules, state, config } = core;
  if (rules.correlating.length === 0) return [];
  const changes: TrustPart[] = [];
  for (const evaluation of evaluations) if (evaluation.trust) changes.push(evaluation.trust);
  if (changes.length === 0) return [];
  const onlyRules = rules.correlatingIds;
  const window = config.correlation.windowHours * HOUR;
  const judged: RoleEvaluation[] = [];
  let edges: Map<string, AssumptionEdge> | undefined;
  for (const [i, trust] of changes.entries()) {
    const until = Math.min(trust.at + window + 1, changes[i + 1]?.at ?? Number.POSITIVE_INFINITY);
    for (const assumption of await state.assumptionsBetween(where.account, where.roleArn, trust.at, until)) {
      edges ??= new Map((await state.assumptionsOf(where.account, where.roleArn)).map((edge) => [edge.source, edge]));
      const source = assumptionSource(assumption);
      const drafts = assumptionDrafts(
        core,
        assumption,
        where,
        source,
        edges.get(source.source),
        trust,
        where.since,
        undefined,
        rules.correlating,
      );
      judged.push({ eventId: assumption.eventId, drafts, onlyRules });
    }
  }
  return judged;
}

/** What the rules find in one assumption, given the edge and the role's trust as of it. */
function assumptionDrafts(
  core: EngineCore,
  event: TrailEvent,
  target: AssumedRole,
  source: AssumptionSource,
  edge: AssumptionEdge | undefined,
  trust: TrustPart | undefined,
  since: number,
  created: number | undefined,
  rules?: readonly Rule[],
): FindingDraft[] {
  const { config } = core;
  const facts: AssumptionFacts = {
    roleArn: target.roleArn,
    roleName: target.roleName,
    roleAccount: target.account,
    source: source.source,
    sourceType: source.sourceType,
    isFirstTime: !edge || event.time < edge.firstSeen,
    isLearning: event.time < since + config.correlation.learningPeriodDays * DAY,
    isChained: event.actor.type === 'AssumedRole',
  };
  if (source.sourceAccount !== undefined) facts.sourceAccount = source.sourceAccount;
  const role: RoleView = { account: target.account, name: target.roleName, arn: target.roleArn, policies: [] };
  if (created !== undefined) role.createdAt = created;
  const trustChange = trust && trustChangeOf(trust);
  if (trustChange) role.trustChange = trustChange;
  return core.rules.run(
    event,
    { path: 'assumption', event, role, assumption: facts, changed: [], trustChanged: false, config },
    { account: target.account, resource: target.roleArn, roleName: target.roleName, at: event.time },
    rules,
  );
}

/**
 * A role's trust part as the rules see its latest change, made once per part: every assumption of the role
 * reads it until the trust changes again (a part is replaced on change, never modified), and rules only read it.
 */
const trustChanges = new WeakMap<TrustPart, NonNullable<RoleView['trustChange']>>();

function trustChangeOf(trust: TrustPart): RoleView['trustChange'] {
  if (!trust.previous && !trust.initial) return undefined;
  let change = trustChanges.get(trust);
  if (!change) {
    change = { at: trust.at, added: addedPrincipals(trust), initial: !trust.previous };
    trustChanges.set(trust, change);
  }
  return change;
}

/** The role an assumption event assumed; undefined when the event names none. */
export function assumedRole(event: TrailEvent): AssumedRole | undefined {
  const roleArn = getString(event.request, 'roleArn');
  if (!roleArn || !roleArn.includes(':role/')) return undefined;
  return { account: accountOfArn(roleArn) ?? event.account, roleArn, roleName: roleArn.slice(roleArn.lastIndexOf('/') + 1) };
}

/** An assumption as the log keeps it: the temporary credentials it returned are not RoleWatch's to store. */
function withoutCredentials(event: TrailEvent): TrailEvent {
  if (!isRecord(event.response) || !('credentials' in event.response)) return event;
  const { credentials: _dropped, ...response } = event.response;
  return { ...event, response };
}

/** Who assumed the role, as an edge source. */
export function assumptionSource(event: TrailEvent): AssumptionSource {
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
  const source = actorPrincipal(actor);
  return account ? { source, sourceAccount: account, sourceType: 'aws' } : { source, sourceType: 'aws' };
}
