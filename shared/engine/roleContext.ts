import type { TrailEvent } from '../cloudtrail/types';
import type { StateStore } from '../ports/roleState';
import {
  appliedGuardrails,
  echoedPermissionSetChange,
  factString,
  isIdentityCenterService,
  reservedSsoPermissionSet,
} from '../rules/accessPaths';
import type { AccountFact } from '../rules/types';
import { ORGANIZATION_SCOPE } from './accountFacts';

/**
 * What every finding about a role changed by an event adds to its evidence, from the organization's recorded
 * facts: who really changed the role when Identity Center's service role echoed a permission-set change
 * (`changedThrough`), and the guardrails (SCPs, RCPs) recorded as attached over the role's account (`guardrails`).
 */
export async function roleContextEvidence(
  event: TrailEvent,
  account: string,
  roleName: string,
  state: StateStore,
): Promise<Record<string, unknown>> {
  const live = async (kind: string): Promise<AccountFact[]> =>
    (await state.accountFacts(ORGANIZATION_SCOPE, kind)).flatMap((fact) =>
      fact.value ? [{ kind, id: fact.id, at: fact.stamp.at, value: fact.value }] : [],
    );
  const evidence: Record<string, unknown> = {};
  const setName = reservedSsoPermissionSet(roleName);
  if (setName && isIdentityCenterService(event)) {
    const change = echoedPermissionSetChange(
      await live('org:permission-set'),
      await live('org:permission-set-change'),
      setName,
      event.time,
    );
    evidence.changedThrough = change
      ? {
          permissionSet: setName,
          permissionSetArn: change.id,
          author: factString(change, 'actor') ?? 'unknown',
          eventName: factString(change, 'eventName') ?? 'unknown',
          eventTime: factString(change, 'eventTime') ?? new Date(change.at).toISOString(),
        }
      : {
          permissionSet: setName,
          author: `unknown: made by IAM Identity Center's service role on behalf of permission set ${setName} (the permission-set change was not seen)`,
        };
  }
  const attachments = await live('org:attachment');
  if (attachments.length > 0) {
    const guardrails = appliedGuardrails(account, {
      attachments,
      policies: await live('org:policy'),
      parents: await live('org:account-parent'),
    });
    if (guardrails.length > 0) evidence.guardrails = guardrails;
  }
  return evidence;
}
