import { actorPrincipal, getRecord, getString, getStringList } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';
import type { StateStore, StoredFact } from '../ports/roleState';
import { stampOf } from '../roles/roleRecord';
import type { AccountFact, RoleView, Rule, RuleContext } from '../rules/types';
import type { PolicyResolver } from './roleView';

/**
 * What the calls of other services than IAM and STS leave behind that later judgements need: the trust anchors
 * and profiles of IAM Roles Anywhere, the organization's guardrail policies and where they are attached, the
 * trails and their buckets, Identity Center permission sets, instance profiles. A table, not a switch: one
 * reader per CloudTrail event source and name. Facts are the account's, except those of kinds starting with
 * `org:`, which belong to the whole organization (one deployment watches one organization).
 */

type Fact = Omit<StoredFact, 'stamp'>;
type FactReader = (event: TrailEvent) => Fact[];

const ROLES_ANYWHERE = 'rolesanywhere.amazonaws.com';
const ORGANIZATIONS = 'organizations.amazonaws.com';
const CLOUDTRAIL = 'cloudtrail.amazonaws.com';
const SSO = 'sso.amazonaws.com';
const IAM = 'iam.amazonaws.com';

/** A trust anchor as Roles Anywhere returns it (CreateTrustAnchor, UpdateTrustAnchor, Enable/DisableTrustAnchor). */
function trustAnchorFact(event: TrailEvent): Fact[] {
  const anchor = getRecord(event.response, 'trustAnchor');
  const id = getString(anchor, 'trustAnchorId');
  if (!anchor || !id) return [];
  const source = getRecord(anchor, 'source') ?? getRecord(event.request, 'source');
  const value: Record<string, unknown> = {
    name: getString(anchor, 'name') ?? id,
    sourceType: getString(source, 'sourceType') ?? 'unknown',
  };
  const arn = getString(anchor, 'trustAnchorArn');
  if (arn) value.arn = arn;
  if (typeof anchor.enabled === 'boolean') value.enabled = anchor.enabled;
  return [{ kind: 'trust-anchor', id, value }];
}

/** A profile as Roles Anywhere returns it: the roles it lets certificate holders assume. */
function profileFact(event: TrailEvent): Fact[] {
  const profile = getRecord(event.response, 'profile');
  const id = getString(profile, 'profileId');
  if (!profile || !id) return [];
  const value: Record<string, unknown> = {
    name: getString(profile, 'name') ?? id,
    roleArns: getStringList(profile, 'roleArns'),
    hasSessionPolicy: typeof profile.sessionPolicy === 'string' && profile.sessionPolicy !== '',
    managedPolicyArns: getStringList(profile, 'managedPolicyArns'),
  };
  const arn = getString(profile, 'profileArn');
  if (arn) value.arn = arn;
  if (typeof profile.enabled === 'boolean') value.enabled = profile.enabled;
  return [{ kind: 'profile', id, value }];
}

/** An organization policy (SCP, RCP...) as CreatePolicy/UpdatePolicy return it, content included. */
function organizationPolicyFact(event: TrailEvent): Fact[] {
  const policy = getRecord(event.response, 'policy');
  const summary = getRecord(policy, 'policySummary');
  const id = getString(summary, 'id') ?? getString(event.request, 'policyId');
  if (!id) return [];
  const value: Record<string, unknown> = {
    name: getString(summary, 'name') ?? id,
    type: getString(summary, 'type') ?? getString(event.request, 'type') ?? 'unknown',
  };
  const content = getString(policy, 'content') ?? getString(event.request, 'content');
  if (content !== undefined) value.content = content;
  return [{ kind: 'org:policy', id, value }];
}

function organizationAttachment(event: TrailEvent, attached: boolean): Fact[] {
  const policyId = getString(event.request, 'policyId');
  const targetId = getString(event.request, 'targetId');
  if (!policyId || !targetId) return [];
  return [{ kind: 'org:attachment', id: `${policyId}@${targetId}`, value: attached ? { policyId, targetId } : null }];
}

/** The organizational unit (or root) an account was moved to: the only record of an account's place RoleWatch gets. */
function accountParent(event: TrailEvent): Fact[] {
  const account = getString(event.request, 'accountId');
  const parentId = getString(event.request, 'destinationParentId');
  return account && parentId ? [{ kind: 'org:account-parent', id: account, value: { parentId } }] : [];
}

/** A trail and the bucket it writes to, as CreateTrail/UpdateTrail return them. */
function trailFact(event: TrailEvent): Fact[] {
  const arn = getString(event.response, 'trailARN');
  const bucket = getString(event.response, 's3BucketName');
  if (!arn || !bucket) return [];
  return [{ kind: 'trail', id: arn, value: { name: getString(event.response, 'name') ?? arn, bucket } }];
}

/** What a trail logs, as PutEventSelectors returns it. */
function trailSelectorsFact(event: TrailEvent): Fact[] {
  const arn = getString(event.response, 'trailARN');
  if (!arn) return [];
  const value: Record<string, unknown> = {};
  if (Array.isArray(event.response.eventSelectors)) value.eventSelectors = event.response.eventSelectors;
  if (Array.isArray(event.response.advancedEventSelectors)) value.advancedEventSelectors = event.response.advancedEventSelectors;
  return [{ kind: 'trail-selectors', id: arn, value }];
}

/**
 * Facts whose kind starts with this are the organization's, not one account's: an Identity Center permission set
 * is changed in the management account and echoed into every member account it is provisioned to.
 */
export const ORGANIZATION_FACT_PREFIX = 'org:';
export const ORGANIZATION_SCOPE = 'organization';

/** An Identity Center permission set's name, by ARN (the other calls name it by ARN only), and who changed it last. */
function permissionSetFact(event: TrailEvent): Fact[] {
  const set = getRecord(event.response, 'permissionSet');
  const arn = getString(set, 'permissionSetArn');
  const name = getString(set, 'name');
  return arn && name ? [{ kind: 'org:permission-set', id: arn, value: { name } }, ...permissionSetChange(event)] : [];
}

/** The last change made to a permission set: its author and call, for the member-account roles it echoes into. */
function permissionSetChange(event: TrailEvent): Fact[] {
  const arn =
    getString(event.request, 'permissionSetArn') ?? getString(getRecord(event.response, 'permissionSet'), 'permissionSetArn');
  if (!arn) return [];
  return [
    {
      kind: 'org:permission-set-change',
      id: arn,
      value: {
        actor: actorPrincipal(event.actor),
        eventName: event.eventName,
        eventTime: event.eventTime,
        account: event.account,
      },
    },
  ];
}

/** A policy of a permission set: the inline document, or an attached AWS-managed policy. */
function permissionSetPolicy(event: TrailEvent, kind: 'inline' | 'managed', present: boolean): Fact[] {
  const arn = getString(event.request, 'permissionSetArn');
  if (!arn) return [];
  const policy = kind === 'inline' ? 'inline' : getString(event.request, 'managedPolicyArn');
  if (!policy) return [];
  const document = kind === 'inline' ? getString(event.request, 'inlinePolicy') : undefined;
  const value = present
    ? { permissionSetArn: arn, ...(kind === 'managed' ? { policyArn: policy } : { document: document ?? '' }) }
    : null;
  return [{ kind: 'org:permission-set-policy', id: `${arn}|${policy}`, value }, ...permissionSetChange(event)];
}

/** The role of an instance profile (a profile holds at most one). */
function instanceProfileRole(event: TrailEvent, added: boolean): Fact[] {
  const profile = getString(event.request, 'instanceProfileName');
  const roleName = getString(event.request, 'roleName');
  if (!profile || !roleName) return [];
  return [{ kind: 'instance-profile', id: profile, value: added ? { roleName } : null }];
}

const deleted =
  (kind: string, ...keys: string[]): FactReader =>
  (event) => {
    const id = keys.map((key) => getString(event.request, key)).find((value) => value !== undefined);
    return id ? [{ kind, id, value: null }] : [];
  };

/** Fact readers by `<eventSource> <eventName>`. */
const FACT_READERS: Readonly<Record<string, FactReader>> = {
  [`${ROLES_ANYWHERE} CreateTrustAnchor`]: trustAnchorFact,
  [`${ROLES_ANYWHERE} UpdateTrustAnchor`]: trustAnchorFact,
  [`${ROLES_ANYWHERE} EnableTrustAnchor`]: trustAnchorFact,
  [`${ROLES_ANYWHERE} DisableTrustAnchor`]: trustAnchorFact,
  [`${ROLES_ANYWHERE} DeleteTrustAnchor`]: deleted('trust-anchor', 'trustAnchorId'),
  [`${ROLES_ANYWHERE} CreateProfile`]: profileFact,
  [`${ROLES_ANYWHERE} UpdateProfile`]: profileFact,
  [`${ROLES_ANYWHERE} EnableProfile`]: profileFact,
  [`${ROLES_ANYWHERE} DisableProfile`]: profileFact,
  [`${ROLES_ANYWHERE} DeleteProfile`]: deleted('profile', 'profileId'),
  [`${ORGANIZATIONS} CreatePolicy`]: organizationPolicyFact,
  [`${ORGANIZATIONS} UpdatePolicy`]: organizationPolicyFact,
  [`${ORGANIZATIONS} DeletePolicy`]: deleted('org:policy', 'policyId'),
  [`${ORGANIZATIONS} MoveAccount`]: accountParent,
  [`${ORGANIZATIONS} AttachPolicy`]: (event) => organizationAttachment(event, true),
  [`${ORGANIZATIONS} DetachPolicy`]: (event) => organizationAttachment(event, false),
  [`${CLOUDTRAIL} CreateTrail`]: trailFact,
  [`${CLOUDTRAIL} UpdateTrail`]: trailFact,
  [`${CLOUDTRAIL} PutEventSelectors`]: trailSelectorsFact,
  [`${SSO} CreatePermissionSet`]: permissionSetFact,
  [`${SSO} DeletePermissionSet`]: deleted('org:permission-set', 'permissionSetArn'),
  [`${SSO} UpdatePermissionSet`]: permissionSetChange,
  [`${SSO} PutInlinePolicyToPermissionSet`]: (event) => permissionSetPolicy(event, 'inline', true),
  [`${SSO} DeleteInlinePolicyFromPermissionSet`]: (event) => permissionSetPolicy(event, 'inline', false),
  [`${SSO} AttachManagedPolicyToPermissionSet`]: (event) => permissionSetPolicy(event, 'managed', true),
  [`${SSO} DetachManagedPolicyFromPermissionSet`]: (event) => permissionSetPolicy(event, 'managed', false),
  [`${SSO} AttachCustomerManagedPolicyReferenceToPermissionSet`]: permissionSetChange,
  [`${SSO} DetachCustomerManagedPolicyReferenceFromPermissionSet`]: permissionSetChange,
  [`${SSO} PutPermissionsBoundaryToPermissionSet`]: permissionSetChange,
  [`${SSO} DeletePermissionsBoundaryFromPermissionSet`]: permissionSetChange,
  [`${IAM} AddRoleToInstanceProfile`]: (event) => instanceProfileRole(event, true),
  [`${IAM} RemoveRoleFromInstanceProfile`]: (event) => instanceProfileRole(event, false),
};

/** The facts a successful call sets, stamped like role changes. */
export function factsOf(event: TrailEvent): StoredFact[] {
  const reader = FACT_READERS[`${event.eventSource} ${event.eventName}`];
  if (!reader || event.errorCode) return [];
  const stamp = stampOf(event);
  return reader(event).map((fact) => ({ ...fact, stamp }));
}

/**
 * Gathers what the rules listening to an event read: the account's live facts of the kinds they ask for, as they
 * were before the event (an updated guardrail is judged against the content it replaced), and the state of the
 * roles the event binds to a workload; then records the facts the event sets.
 */
export async function accountKnowledge(
  event: TrailEvent,
  rules: readonly Rule[],
  deps: { state: StateStore; resolver: PolicyResolver },
): Promise<Pick<RuleContext, 'facts' | 'boundRoles'>> {
  const kinds = [
    ...new Set(rules.flatMap((rule) => (typeof rule.facts === 'function' ? rule.facts(event) : (rule.facts ?? [])))),
  ];
  const known: Pick<RuleContext, 'facts' | 'boundRoles'> = {};
  const facts: Record<string, AccountFact[]> = {};
  for (const kind of kinds) {
    const scope = kind.startsWith(ORGANIZATION_FACT_PREFIX) ? ORGANIZATION_SCOPE : event.account;
    facts[kind] = (await deps.state.accountFacts(scope, kind)).flatMap((fact) =>
      fact.value ? [{ kind, id: fact.id, at: fact.stamp.at, value: fact.value }] : [],
    );
  }
  if (kinds.length > 0) known.facts = facts;
  const changes = factsOf(event);
  const own = changes.filter((fact) => !fact.kind.startsWith(ORGANIZATION_FACT_PREFIX));
  const organization = changes.filter((fact) => fact.kind.startsWith(ORGANIZATION_FACT_PREFIX));
  if (own.length > 0) await deps.state.applyAccountFacts(event.account, own);
  if (organization.length > 0) await deps.state.applyAccountFacts(ORGANIZATION_SCOPE, organization);
  const arns = [...new Set(rules.flatMap((rule) => (rule.boundRoles ? rule.boundRoles(event, facts) : [])))];
  if (arns.length > 0) {
    const roles: RoleView[] = [];
    for (const arn of arns) {
      const role = roleOfArn(arn, event.account);
      if (!role) continue;
      const view = await deps.resolver.view(await deps.state.getRole(role.account, role.name));
      if (view) roles.push(view);
    }
    known.boundRoles = roles;
  }
  return known;
}

/** The account and name of a role ARN (`arn:aws:iam::<account>:role/<path/>name`), or of a bare role name. */
export function roleOfArn(value: string, account: string): { account: string; name: string } | undefined {
  const match = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(value);
  if (match?.[1] && match[2]) return { account: match[1], name: match[2] };
  return /^[\w+=,.@-]{1,64}$/.test(value) ? { account, name: value } : undefined;
}
