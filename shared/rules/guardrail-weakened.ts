import { actorPrincipal, getRecord, getString, isRecord } from '../cloudtrail/accessors';
import { decodePolicyText } from '../policy/parse';
import { ALLOW_ALL_POLICIES, eventFrom, factString, factsOfKind, GUARDRAIL_TYPES } from './accessPaths';
import { listForPeople } from './support';
import type { AccountFact, Rule, RuleMatch, Severity } from './types';

const SOURCE = 'organizations.amazonaws.com';

/** Where a guardrail applies, for people: the organization root, an OU or one account. */
function targetKind(targetId: string): { label: string; severity: Severity } {
  if (/^r-[0-9a-z]{4,32}$/.test(targetId)) return { label: `the organization root ${targetId}`, severity: 'high' };
  if (/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(targetId)) return { label: `organizational unit ${targetId}`, severity: 'high' };
  return { label: `account ${targetId}`, severity: 'medium' };
}

/** The Deny statements of a guardrail policy's content, each as canonical JSON. */
function denyStatements(content: string | undefined): Map<string, Record<string, unknown>> {
  const denies = new Map<string, Record<string, unknown>>();
  const decoded = content === undefined ? undefined : decodePolicyText(content);
  if (!decoded?.ok || !isRecord(decoded.value)) return denies;
  const statements = decoded.value.Statement;
  for (const statement of Array.isArray(statements) ? statements : [statements]) {
    if (isRecord(statement) && statement.Effect === 'Deny') denies.set(canonical(statement), statement);
  }
  return denies;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .filter((key) => key !== 'Sid')
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What a removed Deny protected, for people: its actions, and whether they touch IAM roles or STS. */
function describeDeny(statement: Record<string, unknown>): { text: string; touchesRoles: boolean } {
  const actions = [statement.Action, statement.NotAction].flatMap((value) =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [],
  );
  const touchesRoles = actions.some((action) => /^(\*|iam:|sts:)/i.test(action)) || statement.NotAction !== undefined;
  return { text: actions.length > 0 ? listForPeople(actions, 3) : 'a deny', touchesRoles };
}

function policyName(facts: readonly AccountFact[], policyId: string): string {
  const fact = facts.find((f) => f.id === policyId);
  return fact ? `${factString(fact, 'name') ?? policyId} (${policyId})` : policyId;
}

export const guardrailWeakened: Rule = {
  id: 'guardrail-weakened',
  title: 'Organization guardrail weakened',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-CM-3', 'NIST-800-53-r5-CM-5', 'ATTACK-T1484.002', 'ATTACK-T1562.001'],
  source: SOURCE,
  events: [
    'CreatePolicy',
    'UpdatePolicy',
    'DeletePolicy',
    'AttachPolicy',
    'DetachPolicy',
    'DisablePolicyType',
    'MoveAccount',
    'LeaveOrganization',
    'RemoveAccountFromOrganization',
  ],
  facts: ['org:policy', 'org:attachment'],
  references: [
    'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_cloudtrail-integration.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_UpdatePolicy.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_DisablePolicyType.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_MoveAccount.html',
  ],
  firesWhen:
    "an SCP/RCP detached from the root, an OU or an account; a Deny removed from a guardrail (named, high when it covered IAM or STS); `DisablePolicyType`; an account moved out from under an OU's guardrails (`MoveAccount`), or leaving the organization",
  severityNote:
    'critical when a policy type is disabled; medium for one account; low for a deletion or an update whose previous content is unknown',
  rationale:
    'Service and resource control policies are the ceiling over every role of the organization: a Deny that protected roles or STS removed, a guardrail detached from the root or an OU, a policy type disabled or an account leaving the organization lifts that ceiling for everything below it at once.',
  remediation:
    'Restore the guardrail (re-attach it, bring back the removed Deny, re-enable the policy type) and find who changed it; guardrails should change only through reviewed code in the management account.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event) return [];
    const policies = factsOfKind(ctx, 'org:policy');
    const actor = actorPrincipal(event.actor);
    const policyId = getString(event.request, 'policyId');
    const match = (m: Omit<RuleMatch, 'evidence'> & { evidence?: Record<string, unknown> }): RuleMatch[] => [
      { ...m, evidence: { actor, ...(m.evidence ?? {}) } },
    ];
    switch (event.eventName) {
      case 'DetachPolicy': {
        const targetId = getString(event.request, 'targetId');
        if (!policyId || !targetId || ALLOW_ALL_POLICIES.has(policyId)) return [];
        const target = targetKind(targetId);
        const type = policies.find((f) => f.id === policyId)?.value.type;
        // Tag, backup and AI opt-out policies are no guardrail over roles.
        if (typeof type === 'string' && !GUARDRAIL_TYPES.has(type)) return [];
        return match({
          resource: `organizations:${policyId}@${targetId}`,
          qualifier: targetId,
          severity: target.severity,
          detail: `${actor} detached ${typeof type === 'string' ? `${type} ` : ''}${policyName(policies, policyId)} from ${target.label}`,
          evidence: { policyId, targetId },
        });
      }
      case 'UpdatePolicy': {
        if (!policyId) return [];
        const content = getString(event.request, 'content') ?? getString(getRecord(event.response, 'policy'), 'content');
        if (content === undefined) return [];
        const before = policies.find((f) => f.id === policyId);
        const previous = before ? factString(before, 'content') : undefined;
        const targets = factsOfKind(ctx, 'org:attachment')
          .filter((f) => factString(f, 'policyId') === policyId)
          .map((f) => factString(f, 'targetId') ?? f.id);
        const where = targets.length > 0 ? ` (attached to ${listForPeople(targets)})` : '';
        if (previous === undefined) {
          return match({
            resource: `organizations:${policyId}`,
            severity: 'low',
            detail: `${actor} replaced the content of guardrail ${policyName(policies, policyId)}${where}; its previous content is unknown to RoleWatch`,
            evidence: { policyId },
          });
        }
        const after = denyStatements(content);
        const removed = [...denyStatements(previous).entries()]
          .filter(([key]) => !after.has(key))
          .map(([, s]) => describeDeny(s));
        if (removed.length === 0) return [];
        const touchesRoles = removed.some((r) => r.touchesRoles);
        return match({
          resource: `organizations:${policyId}`,
          severity: touchesRoles ? 'high' : 'medium',
          detail: `${actor} removed ${removed.length === 1 ? 'a Deny' : `${removed.length} Deny statements`} (${removed.map((r) => r.text).join('; ')}) from guardrail ${policyName(policies, policyId)}${where}`,
          evidence: { policyId, removedDenies: removed.map((r) => r.text), targets },
        });
      }
      case 'DeletePolicy':
        return policyId
          ? match({
              resource: `organizations:${policyId}`,
              severity: 'low',
              detail: `${actor} deleted guardrail ${policyName(policies, policyId)}`,
              evidence: { policyId },
            })
          : [];
      case 'DisablePolicyType': {
        const type = getString(event.request, 'policyType') ?? 'a policy type';
        if (!GUARDRAIL_TYPES.has(type)) return [];
        return match({
          resource: `organizations:${getString(event.request, 'rootId') ?? 'root'}`,
          qualifier: type,
          severity: 'critical',
          detail:
            `${actor} disabled ${type} for the organization root ${getString(event.request, 'rootId') ?? ''}: none of its policies apply any more`.replace(
              '  ',
              ' ',
            ),
          evidence: { policyType: type },
        });
      }
      case 'MoveAccount': {
        const account = getString(event.request, 'accountId');
        const from = getString(event.request, 'sourceParentId');
        const to = getString(event.request, 'destinationParentId');
        if (!account || !from || !to) return [];
        // Guardrails attached right on the parent it leaves and not on the one it joins (as far as RoleWatch saw them).
        const attached = (target: string) =>
          factsOfKind(ctx, 'org:attachment')
            .filter((f) => factString(f, 'targetId') === target)
            .map((f) => factString(f, 'policyId') ?? '')
            .filter((id) => {
              const type = policies.find((p) => p.id === id)?.value.type;
              return id !== '' && !ALLOW_ALL_POLICIES.has(id) && (typeof type !== 'string' || GUARDRAIL_TYPES.has(type));
            });
        const kept = new Set(attached(to));
        const lost = attached(from).filter((id) => !kept.has(id));
        if (lost.length === 0) return [];
        return match({
          resource: `arn:aws:iam::${account}:root`,
          qualifier: `${from}>${to}`,
          detail: `${actor} moved account ${account} from ${from} to ${to}, out from under ${listForPeople(lost.map((id) => policyName(policies, id)))}`,
          evidence: { account, from, to, lost },
        });
      }
      case 'LeaveOrganization':
      case 'RemoveAccountFromOrganization': {
        const account = getString(event.request, 'accountId') ?? event.account;
        return match({
          resource: `arn:aws:iam::${account}:root`,
          qualifier: event.eventName,
          severity: 'high',
          detail: `account ${account} left the organization (${event.eventName} by ${actor}): no guardrail applies to its roles any more`,
          evidence: { account },
        });
      }
      default:
        return [];
    }
  },
};
