import type { Finding } from '../findings/finding';
import { clip, toAsciiLine } from './text';

/** SNS documents the Subject as "less than 100 characters"; the product promise is at most 100. */
export const SUBJECT_MAX_CHARS = 99;

/** Why a finding is alerted: it is new, it was resolved (or its suppression ended) and is true again, or it got more severe. */
export type AlertReason = 'opened' | 'reopened' | 'escalated';

type Phrase = (target: string, finding: Finding) => string;

/**
 * What happened, in a few words, per rule id: the subject a person reads first. `target` is "role NAME"
 * for role findings, else the resource name. Rules not listed fall back to their title.
 */
export const SUBJECT_PHRASES: Readonly<Record<string, Phrase>> = {
  'admin-policy-attached': (t, f) => {
    const policy = lastSegment(evidenceString(f, 'policy'));
    return policy === 'AdministratorAccess' ? `${t} given AdministratorAccess` : `${t} given admin policy ${policy ?? ''}`.trim();
  },
  'admin-equivalent-inline-policy': (t) => `${t} has an admin-equivalent inline policy`,
  'iam-wildcard-permissions': (t) => `${t} may manage IAM on all resources`,
  'service-wildcard-permissions': (t, f) => {
    const services = evidenceStrings(f, 'services');
    return services.length === 1 ? `${t} granted ${services[0]}:*` : `${t} granted every action of a service`;
  },
  'passrole-any-resource': (t) => `${t} may pass any role to a service`,
  'privilege-escalation-path': (t) => `${t} can escalate its privileges`,
  'allow-with-not-action-or-not-resource': (t) => `${t} has an Allow with NotAction/NotResource`,
  'credentials-or-data-exposure': (t) => `${t} may read credentials or data on all resources`,
  'policy-version-escalation': (t) => `new policy version escalates ${t}`,
  'permissions-boundary-removed': (t, f) =>
    `permissions boundary of ${t} ${evidenceString(f, 'current') ? 'loosened' : 'removed'}`,
  'malformed-policy': (t) => `unreadable policy document on ${t}`,
  'trust-any-principal': (t) => `${t} now trusts any principal`,
  'trust-any-principal-with-conditions': (t) => `${t} trusts any principal, only conditions restrict it`,
  'trust-unknown-account': (t, f) =>
    `${t} now trusts unknown account ${evidenceString(f, 'account') ?? f.qualifier ?? ''}`.trim(),
  'trust-cross-account-without-external-id': (t, f) =>
    `${t} trusts ${evidenceString(f, 'vendor') ?? 'a third party'} without ExternalId`,
  'trust-github-oidc-without-subject': (t) => `${t} trusts any GitHub repository`,
  'trust-oidc-broad-subject': (t) => `${t} trusts a too broad OIDC subject`,
  'trust-web-identity-without-conditions': (t) => `${t} trusts a web identity provider without conditions`,
  'trust-service-without-source-condition': (t, f) =>
    `${t} trusts ${evidenceString(f, 'service') ?? 'a service'} without a source condition`,
  'trust-forallvalues-single-valued-key': (t) => `${t} trust uses ForAllValues on a single-valued key`,
  'trust-policy-changed': (t, f) => `trust policy of ${t} ${f.evidence?.narrowsOnly === true ? 'narrowed' : 'changed'}`,
  'new-role-gets-admin': (t) => `new ${t} got admin or escalation rights`,
  'privileged-role-unused': (t, f) =>
    `privileged ${t} unused for ${typeof f.evidence?.idleDays === 'number' ? `${f.evidence.idleDays} days` : 'a long time'}`,
  'assumed-after-trust-change': (t) => `${t} assumed by a principal just added to its trust`,
  'change-outside-iac': (t, f) => `${f.event?.eventName ?? 'change'} on ${t} outside IaC`,
  'identity-provider-changed': (t, f) => `identity provider ${t} ${providerVerb(f.event?.eventName)}`,
  'monitor-tampering': (t, f) => `monitoring tampered with: ${f.event?.eventName ?? 'change'} on ${t}`,
  'trust-enumeration': (t) => `repeated failed trust policy updates by ${t}`,
  'iam-change-recorded': (t, f) => `${f.event?.eventName ?? 'change'} on ${t}`,
  'assumed-from-unknown-account': (t, f) =>
    `${t} assumed from unknown account ${evidenceString(f, 'sourceAccount') ?? f.qualifier ?? ''}`.trim(),
  'protected-role-assumed': (t) => `protected ${t} assumed`,
  'first-time-assumption': (t) => `${t} assumed by a new principal`,
  'role-chaining': (t) => `${t} assumed through role chaining`,
  'web-identity-new-subject': (t) => `${t} assumed by a new web identity`,
  'assumed-by-long-term-credentials': (t) => `${t} assumed with an IAM user access key`,
  'root-session-assumed': (t, f) => `root session obtained for ${evidenceString(f, 'targetPrincipal') ?? t}`,
  'root-access-settings-changed': (t, f) => `centralized root access changed: ${f.event?.eventName ?? t}`,
  'root-user-changed-role-or-monitor': (t, f) => `root user called ${f.event?.eventName ?? 'an API'} on ${t}`,
  'permission-set-changed': (t) => `Identity Center permission set ${t} changed`,
  'permission-set-grants-privilege': (t) => `Identity Center permission set ${t} grants admin or escalation`,
  'account-assignment-created': (t, f) =>
    `permission set ${evidenceString(f, 'permissionSet') ?? t} assigned in ${evidenceString(f, 'account') ?? 'an account'}`,
  'identity-center-role-provisioned': (t) => `Identity Center changed ${t}`,
  'guardrail-weakened': (t, f) => `organization guardrail weakened: ${f.event?.eventName ?? 'change'} on ${t}`,
  'roles-anywhere-trust-anchor': (t) => `Roles Anywhere now trusts certificate authority ${t}`,
  'roles-anywhere-profile-maps-role': (t) => `Roles Anywhere profile ${t} maps roles to certificates`,
  'privileged-role-bound-to-workload': (t) => `privileged ${t} bound to a workload`,
  'eks-cluster-admin-access': (t, f) =>
    `EKS cluster ${evidenceString(f, 'cluster') ?? t} admin access given to ${evidenceString(f, 'principal') ?? 'a principal'}`,
  'trail-bucket-tampering': (t) => `trail log bucket ${t} set to expire or block logs`,
  'session-duration-raised': (t) => `longer sessions allowed on ${t}`,
};

/**
 * The e-mail subject: `[CRITICAL] RoleWatch: role deploy-bot now trusts any principal (123456789012)`.
 * Printable ASCII on one line, under 100 characters. The name is what a reader acts on, so the prose gives way
 * first: the words after the name are cut with `...`, then those before it; only a name that alone cannot fit is
 * shortened in the middle (its start and end usually tell roles apart). The account stays.
 */
export function formatSubject(finding: Finding, reason: AlertReason): string {
  const note = reason === 'reopened' ? 're-opened: ' : reason === 'escalated' ? 'escalated: ' : '';
  const prefix = `[${finding.severity.toUpperCase()}] RoleWatch: ${note}`;
  const suffix = ` (${clip(toAsciiLine(finding.account), 20) || 'unknown account'})`;
  const room = SUBJECT_MAX_CHARS - prefix.length - suffix.length;
  const name = toAsciiLine(finding.roleName ?? finding.resourceName) || '?';
  const phrase = (shown: string) => toAsciiLine(describe(finding, shown));

  let text = phrase(name);
  if (text.length > room) {
    const whole = keepNameWhole(text, finding.roleName !== undefined ? `role ${name}` : name, room);
    if (whole !== undefined) return prefix + whole + suffix;
    const nameRoom = room - (phrase('x').length - 1);
    if (nameRoom >= 9) text = phrase(shortenMiddle(name, nameRoom));
  }
  if (text.length > room) text = `${text.slice(0, room - 3).trimEnd()}...`;
  return prefix + text + suffix;
}

/** `text` cut to `room` with `target` (the name) left whole: prose after it cut first, then prose before it. */
function keepNameWhole(text: string, target: string, room: number): string | undefined {
  const start = text.indexOf(target);
  if (start < 0 || target.length > room) return undefined;
  const end = start + target.length;
  if (end + 3 <= room) return `${text.slice(0, room - 3).trimEnd()}...`;
  const before = text.slice(0, Math.max(0, room - target.length - 4)).trimEnd();
  return before.length > 0 ? `${before}... ${target}` : target;
}

function describe(finding: Finding, name: string): string {
  const target = finding.roleName !== undefined ? `role ${name}` : name;
  const phrase = Object.hasOwn(SUBJECT_PHRASES, finding.ruleId) ? SUBJECT_PHRASES[finding.ruleId] : undefined;
  return phrase ? phrase(target, finding) : `${finding.title}: ${target}`;
}

function shortenMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = max - 3;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}...${text.slice(text.length - (keep - head))}`;
}

function evidenceString(finding: Finding, key: string): string | undefined {
  const value = finding.evidence?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function evidenceStrings(finding: Finding, key: string): string[] {
  const value = finding.evidence?.[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** `arn:aws:iam::aws:policy/AdministratorAccess` → `AdministratorAccess`; `inline:ops` → `ops`. */
function lastSegment(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.slice(Math.max(value.lastIndexOf('/'), value.lastIndexOf(':')) + 1) || value;
}

function providerVerb(eventName: string | undefined): string {
  if (eventName?.startsWith('Create')) return 'created';
  if (eventName?.startsWith('Delete')) return 'deleted';
  return 'changed';
}
