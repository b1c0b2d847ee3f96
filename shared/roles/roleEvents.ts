import { getBoolean, getRecord, getString } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import type { PolicyChange } from './policyRecord';
import type { RoleChange, Stamp } from './roleRecord';

/**
 * How each IAM call changes what RoleWatch remembers. A table, not a switch: the set of state-changing
 * events is visible in one place and a test can compare it with the EventBridge pattern.
 */

/** A role-change event, reduced to the role it touches and the parts it sets. */
export interface RoleEventEffect {
  roleName: string;
  /** The role's ARN when the event states it (CreateRole's response), else undefined. */
  arn?: string;
  changes: RoleChange[];
  summary: string;
}

type RoleEffectReader = (event: TrailEvent, stamp: Stamp) => Omit<RoleEventEffect, 'roleName'> | undefined;

const req = (event: TrailEvent, key: string) => getString(event.request, key);

/** Role events and their effect on role state. UpdateRole and tagging change nothing RoleWatch tracks, but are history. */
export const ROLE_EVENTS: Readonly<Record<string, RoleEffectReader>> = {
  CreateRole: (event, stamp) => {
    const document = req(event, 'assumeRolePolicyDocument');
    const boundary = req(event, 'permissionsBoundary');
    const changes: RoleChange[] = [{ part: 'created', stamp, ...(event.actor.arn ? { by: event.actor.arn } : {}) }];
    if (document !== undefined) changes.push({ part: 'trust', stamp, document, principals: [], initial: true });
    if (boundary) changes.push({ part: 'boundary', stamp, arn: boundary });
    const arn = getString(getRecord(event.response, 'role'), 'arn');
    return { ...(arn ? { arn } : {}), changes, summary: 'created the role' };
  },
  DeleteRole: (_event, stamp) => ({ changes: [{ part: 'deleted', stamp }], summary: 'deleted the role' }),
  UpdateAssumeRolePolicy: (event, stamp) => {
    const document = req(event, 'policyDocument');
    if (document === undefined) return undefined;
    return {
      changes: [{ part: 'trust', stamp, document, principals: [], initial: false }],
      summary: 'replaced the trust policy',
    };
  },
  PutRolePolicy: (event, stamp) => {
    const name = req(event, 'policyName');
    const document = req(event, 'policyDocument');
    if (!name || document === undefined) return undefined;
    return { changes: [{ part: 'inline', stamp, name, document }], summary: `put inline policy ${name}` };
  },
  DeleteRolePolicy: (event, stamp) => {
    const name = req(event, 'policyName');
    if (!name) return undefined;
    return { changes: [{ part: 'inline', stamp, name, document: null }], summary: `deleted inline policy ${name}` };
  },
  AttachRolePolicy: (event, stamp) => {
    const arn = req(event, 'policyArn');
    if (!arn) return undefined;
    return { changes: [{ part: 'attached', stamp, arn, attached: true }], summary: `attached ${arn}` };
  },
  DetachRolePolicy: (event, stamp) => {
    const arn = req(event, 'policyArn');
    if (!arn) return undefined;
    return { changes: [{ part: 'attached', stamp, arn, attached: false }], summary: `detached ${arn}` };
  },
  PutRolePermissionsBoundary: (event, stamp) => {
    const arn = req(event, 'permissionsBoundary');
    if (!arn) return undefined;
    return { changes: [{ part: 'boundary', stamp, arn }], summary: `set permissions boundary ${arn}` };
  },
  DeleteRolePermissionsBoundary: (_event, stamp) => ({
    changes: [{ part: 'boundary', stamp, arn: null }],
    summary: 'deleted the permissions boundary',
  }),
  UpdateRole: () => ({ changes: [], summary: 'updated the role settings' }),
  UpdateRoleDescription: () => ({ changes: [], summary: 'updated the role description' }),
  TagRole: () => ({ changes: [], summary: 'tagged the role' }),
  UntagRole: () => ({ changes: [], summary: 'untagged the role' }),
};

/**
 * How a role is named when its event does not say which role: a name IAM never gives a role (parentheses are
 * not allowed in role names), so it cannot be mistaken for a real one.
 */
export const UNKNOWN_ROLE = '(unknown)';

/** Events whose request carries a whole trust or permission document, which can be judged without the role. */
const DOCUMENT_EVENTS: ReadonlySet<string> = new Set(['CreateRole', 'UpdateAssumeRolePolicy', 'PutRolePolicy']);

/**
 * A role event that carries a trust or permission document but no role name (a truncated or hostile
 * record): the document is still judged, against a role named {@link UNKNOWN_ROLE}; undefined otherwise.
 */
export function unnamedRoleEffect(event: TrailEvent, stamp: Stamp): RoleEventEffect | undefined {
  if (!DOCUMENT_EVENTS.has(event.eventName) || event.eventSource !== 'iam.amazonaws.com' || req(event, 'roleName'))
    return undefined;
  const effect = ROLE_EVENTS[event.eventName]?.(event, stamp);
  if (!effect?.changes.some((change) => change.part === 'trust' || change.part === 'inline')) return undefined;
  const { arn: _unnamed, ...rest } = effect;
  return { roleName: UNKNOWN_ROLE, ...rest };
}

/** Reads a role event's effect; undefined when the event is not a role change or lacks its role name. */
export function roleEventEffect(event: TrailEvent, stamp: Stamp): RoleEventEffect | undefined {
  const reader = ROLE_EVENTS[event.eventName];
  if (!reader || event.eventSource !== 'iam.amazonaws.com') return undefined;
  const roleName = req(event, 'roleName');
  if (!roleName) return undefined;
  const effect = reader(event, stamp);
  return effect ? { roleName, ...effect } : undefined;
}

/** A managed-policy event, reduced to the policy it touches and what it changes. */
export interface PolicyEventEffect {
  arn: string;
  changes: PolicyChange[];
  /** The default version changed: every role with the policy attached changed permissions. */
  defaultChanged?: { versionId: string; document?: string };
  summary: string;
}

type PolicyEffectReader = (event: TrailEvent, stamp: Stamp) => PolicyEventEffect | undefined;

/** Customer-managed policy events. CreatePolicyVersion/SetDefaultPolicyVersion silently change every attached role. */
export const POLICY_EVENTS: Readonly<Record<string, PolicyEffectReader>> = {
  CreatePolicy: (event, stamp) => {
    const policy = getRecord(event.response, 'policy');
    const arn = getString(policy, 'arn');
    const document = req(event, 'policyDocument');
    if (!arn || document === undefined) return undefined;
    const versionId = getString(policy, 'defaultVersionId') ?? 'v1';
    return {
      arn,
      changes: [
        { kind: 'version', versionId, document },
        { kind: 'default', stamp, versionId },
      ],
      summary: `created policy ${arn}`,
    };
  },
  CreatePolicyVersion: (event, stamp) => {
    const arn = req(event, 'policyArn');
    const document = req(event, 'policyDocument');
    const versionId = getString(getRecord(event.response, 'policyVersion'), 'versionId');
    if (!arn || document === undefined || !versionId) return undefined;
    const changes: PolicyChange[] = [{ kind: 'version', versionId, document }];
    const isDefault = getBoolean(event.request, 'setAsDefault') ?? false;
    if (isDefault) changes.push({ kind: 'default', stamp, versionId });
    return {
      arn,
      changes,
      ...(isDefault ? { defaultChanged: { versionId, document } } : {}),
      summary: `created version ${versionId} of ${arn}${isDefault ? ' as default' : ''}`,
    };
  },
  SetDefaultPolicyVersion: (event, stamp) => {
    const arn = req(event, 'policyArn');
    const versionId = req(event, 'versionId');
    if (!arn || !versionId) return undefined;
    return {
      arn,
      changes: [{ kind: 'default', stamp, versionId }],
      defaultChanged: { versionId },
      summary: `set version ${versionId} of ${arn} as default`,
    };
  },
  DeletePolicy: (event, stamp) => {
    const arn = req(event, 'policyArn');
    if (!arn) return undefined;
    return { arn, changes: [{ kind: 'deleted', stamp }], summary: `deleted policy ${arn}` };
  },
};

export function policyEventEffect(event: TrailEvent, stamp: Stamp): PolicyEventEffect | undefined {
  const reader = POLICY_EVENTS[event.eventName];
  return reader && event.eventSource === 'iam.amazonaws.com' ? reader(event, stamp) : undefined;
}

/** STS calls that assume a role. */
export const ASSUMPTION_EVENTS: ReadonlySet<string> = new Set(['AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML']);

/**
 * The read-only calls RoleWatch watches (a trail is mostly read-only calls, dropped unread): the role
 * assumptions, and AssumeRoot, which hands out a root session of a member account.
 */
export const READ_ONLY_WATCHED: ReadonlySet<string> = new Set([...ASSUMPTION_EVENTS, 'AssumeRoot']);

export function isAssumption(event: TrailEvent): boolean {
  return event.eventSource === 'sts.amazonaws.com' && ASSUMPTION_EVENTS.has(event.eventName);
}

/**
 * The kinds of event RoleWatch receives, each through its own EventBridge rule: a kind that stops arriving
 * means that path is broken (`rolewatch doctor` and reconcile's self-check read when each was last seen).
 */
export const EVENT_KINDS = ['iam-change', 'assumption', 'monitor-call'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** IAM calls, STS calls, or the other services' calls (they arrive through the monitor-tampering rule). */
export function eventKind(event: Pick<TrailEvent, 'eventSource'>): EventKind {
  if (event.eventSource === 'iam.amazonaws.com') return 'iam-change';
  if (event.eventSource === 'sts.amazonaws.com') return 'assumption';
  return 'monitor-call';
}

/** Every event name that changes RoleWatch's state (rules add the ones they listen to). */
export const STATE_EVENT_NAMES: readonly string[] = [
  ...Object.keys(ROLE_EVENTS),
  ...Object.keys(POLICY_EVENTS),
  ...ASSUMPTION_EVENTS,
];
