import { actorPrincipal, getString } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import type { FailedCallContext } from '../rules/types';
import { accountKnowledge } from './accountFacts';
import type { EngineCore, ProcessResult } from './core';
import { nothing } from './core';

/**
 * Failed calls: only the rules that ask to see failed calls judge them (probing, enumeration); a failed
 * UpdateAssumeRolePolicy refused as a malformed policy is counted per principal, the enumeration signal.
 */
export async function processFailedCall(core: EngineCore, event: TrailEvent): Promise<ProcessResult> {
  const rules = core.rules.forEvent(event.eventName).filter((rule) => rule.includeFailedCalls);
  if (rules.length === 0) return nothing(event, 'processed');
  const { config, state } = core;
  const context: FailedCallContext = { path: 'failed-call', event, changed: [], trustChanged: false, config };
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
  const drafts = core.rules.run(
    event,
    context,
    { account: event.account, resource: defaultResource(event), at: event.time },
    rules,
  );
  const findings = await core.recorder.record(drafts, event.time);
  return { eventId: event.eventId, status: 'processed', findings, resolved: [] };
}

/** Any other watched event: the rules listening to it judge the event alone. */
export async function processOtherEvent(core: EngineCore, event: TrailEvent): Promise<ProcessResult> {
  const known = await accountKnowledge(event, core.rules.forEvent(event.eventName), core);
  const drafts = core.rules.run(
    event,
    { path: 'event', event, changed: [], trustChanged: false, config: core.config, ...known },
    { account: event.account, resource: defaultResource(event), at: event.time },
  );
  const status = core.rules.listensTo(event.eventName) ? 'processed' : 'ignored';
  const findings = await core.recorder.record(drafts, event.time);
  return { eventId: event.eventId, status, findings, resolved: [] };
}

/** What an event without a role of its own is about: the role it names, a resource, else the account. */
export function defaultResource(event: TrailEvent): string {
  const roleName = getString(event.request, 'roleName');
  if (roleName) return `arn:aws:iam::${event.account}:role/${roleName}`;
  return event.resources.find((r) => r.arn)?.arn ?? `arn:aws:iam::${event.account}:root`;
}
