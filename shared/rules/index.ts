import { accountAssignmentCreated } from './account-assignment-created';
import { adminEquivalentInlinePolicy } from './admin-equivalent-inline-policy';
import { adminPolicyAttached } from './admin-policy-attached';
import { allowWithNotActionOrNotResource } from './allow-with-not-action-or-not-resource';
import { assumedAfterTrustChange } from './assumed-after-trust-change';
import { assumedByLongTermCredentials } from './assumed-by-long-term-credentials';
import { assumedFromUnknownAccount } from './assumed-from-unknown-account';
import { changeOutsideIac } from './change-outside-iac';
import { credentialsOrDataExposure } from './credentials-or-data-exposure';
import { eksClusterAdminAccess } from './eks-cluster-admin-access';
import { firstTimeAssumption } from './first-time-assumption';
import { guardrailWeakened } from './guardrail-weakened';
import { iamChangeRecorded } from './iam-change-recorded';
import { iamWildcardPermissions } from './iam-wildcard-permissions';
import { identityCenterRoleProvisioned } from './identity-center-role-provisioned';
import { identityProviderChanged } from './identity-provider-changed';
import { malformedPolicy } from './malformed-policy';
import { monitorTampering } from './monitor-tampering';
import { newRoleGetsAdmin } from './new-role-gets-admin';
import { passroleAnyResource } from './passrole-any-resource';
import { permissionSetChanged } from './permission-set-changed';
import { permissionSetGrantsPrivilege } from './permission-set-grants-privilege';
import { permissionsBoundaryRemoved } from './permissions-boundary-removed';
import { policyVersionEscalation } from './policy-version-escalation';
import { privilegeEscalationPath } from './privilege-escalation-path';
import { privilegedRoleBoundToWorkload } from './privileged-role-bound-to-workload';
import { privilegedRoleUnused } from './privileged-role-unused';
import { protectedRoleAssumed } from './protected-role-assumed';
import { roleChaining } from './role-chaining';
import { rolesAnywhereProfileMapsRole } from './roles-anywhere-profile-maps-role';
import { rolesAnywhereTrustAnchor } from './roles-anywhere-trust-anchor';
import { rootAccessSettingsChanged } from './root-access-settings-changed';
import { rootSessionAssumed } from './root-session-assumed';
import { rootUserChangedRoleOrMonitor } from './root-user-changed-role-or-monitor';
import { serviceWildcardPermissions } from './service-wildcard-permissions';
import { sessionDurationRaised } from './session-duration-raised';
import { trailBucketTampering } from './trail-bucket-tampering';
import { trustAnyPrincipal } from './trust-any-principal';
import { trustAnyPrincipalWithConditions } from './trust-any-principal-with-conditions';
import { trustCrossAccountWithoutExternalId } from './trust-cross-account-without-external-id';
import { trustEnumeration } from './trust-enumeration';
import { trustForallvaluesSingleValuedKey } from './trust-forallvalues-single-valued-key';
import { trustGithubOidcWithoutSubject } from './trust-github-oidc-without-subject';
import { trustOidcBroadSubject } from './trust-oidc-broad-subject';
import { trustPolicyChanged } from './trust-policy-changed';
import { trustServiceWithoutSourceCondition } from './trust-service-without-source-condition';
import { trustUnknownAccount } from './trust-unknown-account';
import { trustWebIdentityWithoutConditions } from './trust-web-identity-without-conditions';
import type { Rule } from './types';
import { webIdentityNewSubject } from './web-identity-new-subject';

/** Every rule RoleWatch runs, in catalogue order. Ids are a contract: CLI, API, suppressions and tests use them. */
export const RULES: readonly Rule[] = [
  // Permission policies
  adminPolicyAttached,
  adminEquivalentInlinePolicy,
  iamWildcardPermissions,
  serviceWildcardPermissions,
  passroleAnyResource,
  privilegeEscalationPath,
  allowWithNotActionOrNotResource,
  credentialsOrDataExposure,
  policyVersionEscalation,
  permissionsBoundaryRemoved,
  malformedPolicy,
  // Trust policies
  trustAnyPrincipal,
  trustAnyPrincipalWithConditions,
  trustUnknownAccount,
  trustCrossAccountWithoutExternalId,
  trustGithubOidcWithoutSubject,
  trustOidcBroadSubject,
  trustWebIdentityWithoutConditions,
  trustServiceWithoutSourceCondition,
  trustForallvaluesSingleValuedKey,
  trustPolicyChanged,
  // Lifecycle and correlation
  newRoleGetsAdmin,
  privilegedRoleUnused,
  assumedAfterTrustChange,
  changeOutsideIac,
  identityProviderChanged,
  monitorTampering,
  trustEnumeration,
  iamChangeRecorded,
  // Role assumptions
  assumedFromUnknownAccount,
  protectedRoleAssumed,
  firstTimeAssumption,
  roleChaining,
  webIdentityNewSubject,
  assumedByLongTermCredentials,
  // Other ways into a role's power
  rolesAnywhereTrustAnchor,
  rolesAnywhereProfileMapsRole,
  rootSessionAssumed,
  rootAccessSettingsChanged,
  rootUserChangedRoleOrMonitor,
  permissionSetGrantsPrivilege,
  permissionSetChanged,
  accountAssignmentCreated,
  identityCenterRoleProvisioned,
  sessionDurationRaised,
  guardrailWeakened,
  privilegedRoleBoundToWorkload,
  eksClusterAdminAccess,
  trailBucketTampering,
];

/** The ids of all rules, for validating configuration. */
export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((rule) => rule.id));

const CONTROLS = new Map(RULES.map((rule) => [rule.id, rule.controls]));

/** The compliance and ATT&CK ids of a rule (none for an unknown rule id, e.g. a finding of a retired rule). */
export function controlsOf(ruleId: string): readonly string[] {
  return CONTROLS.get(ruleId) ?? [];
}

/** Ids of the rules that carry a control id. */
export function rulesWithControl(control: string, rules: readonly Rule[] = RULES): string[] {
  return rules.filter((rule) => rule.controls.includes(control)).map((rule) => rule.id);
}

/** Every CloudTrail eventName some rule listens to, sorted. */
export function ruleEventNames(rules: readonly Rule[] = RULES): string[] {
  return [...new Set(rules.flatMap((rule) => rule.events))].sort();
}
