import type { TrailEvent } from '../cloudtrail/types';
import type { Finding, FindingDraft } from '../findings/finding';
import { diffPolicies, formatDiff } from '../policy/diff';
import { parsePolicyText } from '../policy/parse';
import type { PolicyEventEffect } from '../roles/roleEvents';
import { isNewerStamp, type Stamp } from '../roles/roleRecord';
import type { PolicyRef } from '../rules/types';
import type { EngineCore, ProcessResult } from './core';
import { actorFields } from './roleChanges';
import { withDocument } from './roleView';

/**
 * Policy-version fan-out: a customer-managed policy's new default version silently changes every role it is
 * attached to. Each such role is judged with the old and the new document, gets a history entry, and (when
 * the change is the newest of the policy) has its posture resolved again.
 */
export async function processPolicyEvent(
  core: EngineCore,
  event: TrailEvent,
  effect: PolicyEventEffect,
  stamp: Stamp,
): Promise<ProcessResult> {
  const { state, config } = core;
  const account = event.account;
  const before = await state.getPolicy(account, effect.arn);
  const drafts: FindingDraft[] = [];
  const touchedRoles: { name: string; arn: string; summary: string; diff: string[] }[] = [];

  if (effect.defaultChanged) {
    const { versionId } = effect.defaultChanged;
    const newText = effect.defaultChanged.document ?? (await core.resolver.policyVersion(account, effect.arn, versionId));
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
        : withDocument(base, parsePolicyText(oldText));
    const parsedNew = newText === undefined ? undefined : parsePolicyText(newText);
    const newRef: PolicyRef = parsedNew
      ? { ...withDocument(base, parsedNew), ...(oldRef.document ? { previous: oldRef.document } : {}) }
      : { ...base, error: `version ${versionId} document unavailable` };
    const roleNames = await state.rolesWithPolicy(account, effect.arn);
    for (const roleName of roleNames) {
      const record = await state.getRole(account, roleName);
      const previous = await core.resolver.view(record, { arn: effect.arn, ref: oldRef });
      const role = await core.resolver.view(record, { arn: effect.arn, ref: newRef });
      if (!record || !role) continue;
      drafts.push(
        ...core.rules.run(
          event,
          {
            path: 'policy-version',
            event,
            role,
            ...(previous ? { previous } : {}),
            changed: [newRef],
            trustChanged: false,
            config,
          },
          { account, resource: record.arn, roleName, at: event.time },
        ),
      );
      touchedRoles.push({
        name: roleName,
        arn: record.arn,
        summary: `${effect.summary} (attached to this role)`,
        diff: formatDiff(diffPolicies(oldRef.document, newRef.document)),
      });
    }
    if (roleNames.length === 0) {
      drafts.push(
        ...core.rules.run(
          event,
          { path: 'policy-version', event, changed: [newRef], trustChanged: false, config },
          { account, resource: effect.arn, at: event.time },
        ),
      );
    }
  } else {
    drafts.push(
      ...core.rules.run(
        event,
        { path: 'policy-version', event, changed: [], trustChanged: false, config },
        { account, resource: effect.arn, at: event.time },
      ),
    );
  }

  await state.applyPolicyChanges(account, effect.arn, effect.changes);
  core.resolver.forget(account, effect.arn);
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
  const findings = await core.recorder.record(drafts, event.time);
  if (isCurrent) {
    for (const role of touchedRoles) {
      const view = await core.resolver.view(await state.getRole(account, role.name));
      resolved.push(...(await core.posture.resolve(account, role.arn, view, event.time, `${event.eventName} on ${effect.arn}`)));
    }
  }
  return { eventId: event.eventId, status: 'processed', findings, resolved };
}
