import { actorPrincipal } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import { diffPolicies, formatDiff } from '../policy/diff';
import type { RoleEventEffect } from '../roles/roleEvents';
import { applyRoleChanges, emptyRoleRecord, isNewerStamp, type RoleChange, type RoleRecord, stampOf } from '../roles/roleRecord';
import type { PolicyRef, RoleView } from '../rules/types';
import { accountKnowledge } from './accountFacts';
import { reevaluateAssumptions } from './assumptions';
import type { EngineCore, ProcessResult, RoleEvaluation, RolePlace } from './core';
import { removeUnreproduced, replayRoleFrom, withPrincipals } from './lateEvents';
import { roleContextEvidence } from './roleContext';

/**
 * Role changes: a role event is applied to the role's state, judged by the rules listening to it against the
 * role just before and just after it (or, when it arrived late, replayed with every later change of the role),
 * written to the role's history, and followed by posture resolution.
 */
export async function processRoleEvent(
  core: EngineCore,
  event: TrailEvent,
  effect: RoleEventEffect,
  since: number,
): Promise<ProcessResult> {
  const { state } = core;
  const account = event.account;
  const stamp = stampOf(event);
  const record = await state.getRole(account, effect.roleName);
  const arn = effect.arn ?? record?.arn ?? `arn:aws:iam::${account}:role/${effect.roleName}`;
  const base: RoleRecord = { ...(record ?? emptyRoleRecord(account, effect.roleName, arn)), arn };
  const changes = effect.changes.map(withPrincipals);
  const isLate = record?.lastChange !== undefined && isNewerStamp(record.lastChange, stamp);

  const where: RolePlace = { account, resource: arn, roleName: effect.roleName };
  const evaluations = isLate
    ? await replayRoleFrom(core, event, base, where, (e, before, c) => evaluateRoleChange(core, e, before, c, where))
    : [await evaluateRoleChange(core, event, base, changes, where)];
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
  const assumptions = await reevaluateAssumptions(core, evaluations, { ...where, roleArn: arn, since });
  const judged = assumptions.length > 0 ? [...evaluations, ...assumptions] : evaluations;
  const drafts = judged.length === 1 ? (judged[0] as RoleEvaluation).drafts : judged.flatMap((evaluation) => evaluation.drafts);
  const findings = await core.recorder.record(drafts, event.time);
  if (isLate || assumptions.length > 0) await removeUnreproduced(core, account, arn, judged);
  const current = isLate ? await core.resolver.view(await state.getRole(account, effect.roleName)) : own?.role;
  const resolved = await core.posture.resolve(
    account,
    arn,
    current,
    event.time,
    `${event.eventName} by ${actorPrincipal(event.actor)}`,
  );
  return { eventId: event.eventId, status: 'processed', findings, resolved };
}

/**
 * Judges the document of a role event that does not name its role (see `unnamedRoleEffect`) as if it were
 * the whole of an unknown role: the findings say the role is unknown. Nothing is remembered of the role.
 */
export async function processUnnamedRoleEvent(
  core: EngineCore,
  event: TrailEvent,
  effect: RoleEventEffect,
): Promise<ProcessResult> {
  const account = event.account;
  const arn = `arn:aws:iam::${account}:role/${effect.roleName}`;
  const changes = effect.changes.map(withPrincipals);
  const where: RolePlace = { account, resource: arn, roleName: effect.roleName };
  const evaluation = await evaluateRoleChange(core, event, emptyRoleRecord(account, effect.roleName, arn), changes, where);
  const findings = await core.recorder.record(evaluation.drafts, event.time);
  return { eventId: event.eventId, status: 'processed', findings, resolved: [] };
}

/** Evaluates one role change against the role as it was just before it. */
async function evaluateRoleChange(
  core: EngineCore,
  event: TrailEvent,
  before: RoleRecord,
  changes: readonly RoleChange[],
  where: RolePlace,
): Promise<RoleEvaluation> {
  const previous = await core.resolver.view(before);
  const after = applyRoleChanges(before, changes);
  // An event that changes no part (tags) leaves the role as it was: its view is the one just built.
  const role = changes.length === 0 ? previous : await core.resolver.view(after);
  const trustChanged = changes.some((change) => change.part === 'trust');
  const known = await accountKnowledge(event, core.rules.forEvent(event.eventName), core);
  const judged = core.rules.run(
    event,
    {
      path: 'role-change',
      event,
      ...(role ? { role } : {}),
      ...(previous ? { previous } : {}),
      changed: changedPolicies(changes, role, previous),
      trustChanged,
      config: core.config,
      ...known,
    },
    { ...where, at: event.time },
  );
  const context = judged.length > 0 ? await roleContextEvidence(event, where.account, where.roleName, core.state) : {};
  const drafts = judged.map((draft) =>
    draft.resource === where.resource && Object.keys(context).length > 0
      ? // Who really changed the role leads, so an alert's evidence list never leaves it out.
        {
          ...draft,
          evidence: {
            ...(context.changedThrough ? { changedThrough: context.changedThrough } : {}),
            ...draft.evidence,
            ...context,
          },
        }
      : draft,
  );
  return {
    eventId: event.eventId,
    drafts,
    ...(previous ? { previous } : {}),
    ...(role ? { role } : {}),
    ...(trustChanged && after.trust ? { trust: after.trust } : {}),
  };
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

/** The policy diff lines of a role event's history entry: trust and inline policies. */
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

/** Who made a change, for history entries. */
export function actorFields(event: TrailEvent): { actor?: string; sourceIp?: string; userAgent?: string } {
  return {
    actor: actorPrincipal(event.actor),
    ...(event.sourceIp ? { sourceIp: event.sourceIp } : {}),
    ...(event.userAgent ? { userAgent: event.userAgent } : {}),
  };
}
