import { compareTrailEvents } from '../cloudtrail/order';
import type { TrailEvent } from '../cloudtrail/types';
import { trustedPrincipals } from '../policy/diff';
import { parsePolicyText } from '../policy/parse';
import { roleEventEffect } from '../roles/roleEvents';
import {
  applyRoleChanges,
  emptyRoleRecord,
  foldRoleChanges,
  partKey,
  type RoleChange,
  type RoleRecord,
  stampOf,
  type TrustPart,
} from '../roles/roleRecord';
import type { EngineCore, RoleEvaluation, RolePlace } from './core';

/**
 * Late-event replay. An event older than the role's newest change arrived late: the role is rewound to just
 * before it (from its history) and this event and every later one are evaluated again in time order, so the
 * findings are those an in-order arrival would have given. The first evaluation is the late event's own.
 */
export async function replayRoleFrom(
  core: EngineCore,
  event: TrailEvent,
  current: RoleRecord,
  where: RolePlace,
  evaluate: (event: TrailEvent, before: RoleRecord, changes: readonly RoleChange[]) => Promise<RoleEvaluation>,
): Promise<RoleEvaluation[]> {
  const history = (await historyEvents(core, where.account, where.roleName)).filter((e) => e.eventId !== event.eventId);
  const timeline = [...history, event].sort(compareTrailEvents);
  const index = timeline.findIndex((e) => e.eventId === event.eventId);
  const later = timeline.slice(index);
  let record = rewind(
    current,
    later.flatMap(roleChangesOf),
    timeline.slice(0, index).map((e) => ({ changes: roleChangesOf(e) })),
  );
  const evaluations: RoleEvaluation[] = [];
  for (const e of later) {
    const changes = roleChangesOf(e);
    evaluations.push(await evaluate(e, record, changes));
    record = applyRoleChanges(record, changes);
  }
  return evaluations;
}

/**
 * After a replay, occurrences that replayed events had produced and no longer produce were artefacts of
 * evaluating with an event missing: they are taken back (a finding left with none disappears).
 */
export async function removeUnreproduced(
  core: EngineCore,
  account: string,
  arn: string,
  judged: readonly RoleEvaluation[],
): Promise<void> {
  const { findings } = core;
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
 * The role's trust as it was at `time`, from its history: an assumption that arrives after a later trust
 * change is judged against the trust policy it was made under.
 */
export async function trustAsOf(
  core: EngineCore,
  account: string,
  roleName: string,
  arn: string,
  time: number,
): Promise<TrustPart | undefined> {
  const earlier = (await historyEvents(core, account, roleName)).filter((e) => e.time <= time);
  return foldRoleChanges(
    emptyRoleRecord(account, roleName, arn),
    earlier.map((e) => ({ changes: roleChangesOf(e) })),
  ).trust;
}

/** Fills in the principals a trust change trusts (what "newly added" is computed from). */
export function withPrincipals(change: RoleChange): RoleChange {
  if (change.part !== 'trust') return change;
  const parsed = parsePolicyText(change.document);
  return parsed.ok ? { ...change, principals: trustedPrincipals(parsed.document) } : change;
}

/** The role events of a role's history, each once, in time order. */
async function historyEvents(core: EngineCore, account: string, roleName: string): Promise<TrailEvent[]> {
  const seen = new Set<string>();
  const events: TrailEvent[] = [];
  for (const entry of await core.state.roleHistory(account, roleName)) {
    if (!entry.event || seen.has(entry.event.eventId)) continue;
    seen.add(entry.event.eventId);
    events.push(entry.event);
  }
  return events.sort(compareTrailEvents);
}

function roleChangesOf(event: TrailEvent): RoleChange[] {
  return (roleEventEffect(event, stampOf(event))?.changes ?? []).map(withPrincipals);
}

/**
 * The record as it was before a set of changes: every part they touch is taken back to its newest value
 * among `earlier` changes (or removed when none set it).
 */
export function rewind(
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
