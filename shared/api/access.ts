import { statementMatchesAction } from '../analysis/permissions';
import { rolePrivilege } from '../analysis/privilege';
import { type AccountRelation, analyseTrust, principalMatchesSource, type ThirdParty } from '../analysis/trust';
import type { ConditionClause, PolicyDocument, Statement } from '../policy/types';
import type { AssumptionEdge } from '../ports/roleState';
import type { PolicyRef, RoleView } from '../rules/types';
import type { AccessView, ObservedView, TrustedView } from './schemas';

/**
 * Who can reach a role and who did: the principals its trust policy allows, beside the principals seen
 * assuming it (the aggregated edges), each marked foreign, unknown, new or privileged; and the role's own
 * reach (admin, escalation methods, roles it may assume). Pure: the store reads, this judges.
 */

/** What the marks are judged against: the configuration's accounts. */
export interface AccessContext {
  knownAccounts: readonly string[];
  thirdParties: readonly ThirdParty[];
}

/** A source first seen this close to the newest assumption of the role is marked new. */
export const NEW_SOURCE_WINDOW_MS = 7 * 24 * 3_600_000;

/** What a role is, for the access view: its policies resolved (the store's PolicyResolver does it). */
export interface AccessInputs {
  view: RoleView | undefined;
  role: { account: string; roleName: string; arn: string };
  edges: readonly AssumptionEdge[];
  /** True when the role has more edges than were read. */
  edgesTruncated: boolean;
  /** Roles among the sources (by ARN) that are admin-capable: filled by the caller, which reads them. */
  privilegedSources?: ReadonlySet<string>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** How an account relates to the role's account. */
export function relationOf(account: string, own: string, ctx: AccessContext): AccountRelation {
  if (account === own) return 'own';
  if (ctx.knownAccounts.includes(account)) return 'known';
  if (ctx.thirdParties.some((party) => party.account === account)) return 'third-party';
  return 'unknown';
}

/** A role's reach: whether its effective permissions are admin, the escalation methods they contain, what it may assume. */
export function reachOf(view: RoleView | undefined): AccessView['role']['reach'] {
  if (!view) return { adminCapable: false, adminPolicies: [], escalation: [], mayAssume: [], unreadablePolicies: [] };
  const readable = view.policies.filter((ref): ref is PolicyRef & { document: PolicyDocument } => ref.document !== undefined);
  const documents = readable.map((ref) => ref.document);
  const privilege = rolePrivilege(documents, view.boundary?.document);
  return {
    adminCapable: privilege.privileged,
    adminPolicies: privilege.adminPolicies.flatMap((index) => {
      const ref = readable[index];
      return ref ? [policyName(ref)] : [];
    }),
    escalation: privilege.escalation.map((hit) => hit.name),
    mayAssume: [...new Set(documents.flatMap(assumableResources))].sort(),
    unreadablePolicies: view.policies.filter((ref) => ref.error !== undefined).map(policyName),
  };
}

/** The access view of one role. */
export function accessView(inputs: AccessInputs, ctx: AccessContext): AccessView {
  const { view, role } = inputs;
  const trust = view?.trust;
  const trusted = trust ? trustedPrincipals(trust, role.account, ctx) : [];
  const added = new Set(view?.trustChange?.added ?? []);
  const newest = Math.max(0, ...inputs.edges.map((edge) => edge.lastSeen));
  const observed: ObservedView[] = inputs.edges.map((edge) => {
    const relation = edge.sourceAccount !== undefined ? relationOf(edge.sourceAccount, role.account, ctx) : undefined;
    const trustedBy = trusted.filter((entry) => coversEdge(entry.principal, edge)).map((entry) => entry.principal);
    return {
      source: edge.source,
      sourceType: edge.sourceType,
      ...(edge.sourceAccount !== undefined ? { sourceAccount: edge.sourceAccount } : {}),
      ...(relation ? { relation } : {}),
      foreign: relation !== undefined && relation !== 'own' && relation !== 'known',
      unknown: relation === 'unknown',
      new: newest - edge.firstSeen <= NEW_SOURCE_WINDOW_MS,
      privileged: inputs.privilegedSources?.has(edge.source) ?? false,
      trustedBy,
      count: edge.count,
      firstSeen: iso(edge.firstSeen),
      lastSeen: iso(edge.lastSeen),
      regions: edge.regions,
    };
  });
  const changedAt = view?.trustChange ? iso(view.trustChange.at) : undefined;
  return {
    role: {
      account: role.account,
      roleName: role.roleName,
      arn: role.arn,
      exists: view !== undefined,
      trustKnown: trust !== undefined,
      ...(view?.createdAt !== undefined ? { createdAt: iso(view.createdAt) } : {}),
      ...(changedAt ? { trustChangedAt: changedAt } : {}),
      ...(view?.trustError ? { trustError: view.trustError } : {}),
      reach: reachOf(view),
    },
    trusted: trusted.map((entry) => ({
      ...entry,
      used: observed.some((edge) => edge.trustedBy.includes(entry.principal)),
      ...(changedAt && added.has(entry.principal) ? { addedAt: changedAt } : {}),
    })),
    observed: observed.sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0)),
    edgesTruncated: inputs.edgesTruncated,
  };
}

type Trusted = Omit<TrustedView, 'used' | 'addedAt'>;

/** Every principal the trust policy allows, with the conditions of its statement. */
function trustedPrincipals(doc: PolicyDocument, account: string, ctx: AccessContext): Trusted[] {
  const analysis = analyseTrust(doc, { account, knownAccounts: ctx.knownAccounts, thirdParties: ctx.thirdParties });
  const conditionsOf = (index: number) => (doc.statements.find((s) => s.index === index)?.conditions ?? []).map(clauseText);
  const plain = (relation: AccountRelation | undefined) => ({
    foreign: relation !== undefined && relation !== 'own' && relation !== 'known',
    unknown: relation === 'unknown',
  });
  /** One trusted principal: the statement that trusts it and that statement's conditions, then what its kind adds. */
  const trusted = (
    principal: string,
    kind: Trusted['kind'],
    statement: number,
    rest: Omit<Trusted, 'principal' | 'kind' | 'statement' | 'conditions'>,
  ): Trusted => ({ principal, kind, statement, conditions: conditionsOf(statement), ...rest });
  const local = { foreign: false, unknown: false };
  return [
    ...analysis.anyPrincipal.map((any) =>
      trusted('*', 'any', any.statement, {
        foreign: true,
        unknown: true,
        notes: any.via === 'not-principal' ? [`NotPrincipal: everyone but ${any.excluded.join(', ') || 'nobody'}`] : [],
      }),
    ),
    ...analysis.accounts.map((entry) =>
      trusted(`AWS:${entry.principal}`, awsKind(entry.principal), entry.statement, {
        account: entry.account,
        relation: entry.relation,
        ...plain(entry.relation),
        notes: [
          ...(entry.thirdParty ? [`vendor ${entry.thirdParty.name}`] : []),
          ...(entry.relation !== 'own' && !entry.hasExternalId ? ['no sts:ExternalId'] : []),
        ],
      }),
    ),
    ...analysis.unresolved.map((entry) =>
      trusted(`AWS:${entry.principal}`, 'other', entry.statement, {
        foreign: false,
        unknown: true,
        notes: ['not an account or ARN (a deleted principal?)'],
      }),
    ),
    ...analysis.services.map((entry) =>
      trusted(`Service:${entry.principal}`, 'service', entry.statement, {
        ...local,
        notes: entry.crossAccountCapable && !entry.hasSourceCondition ? ['no aws:SourceAccount/SourceArn'] : [],
      }),
    ),
    ...analysis.webIdentity.map((entry) =>
      trusted(`Federated:${entry.principal}`, 'web-identity', entry.statement, {
        ...local,
        notes: entry.problems.map((problem) => `OIDC ${problem}`),
      }),
    ),
    ...analysis.saml.map((entry) =>
      trusted(`Federated:${entry.principal}`, 'saml', entry.statement, {
        ...local,
        notes: entry.hasAudienceCondition ? [] : ['no SAML:aud'],
      }),
    ),
  ];
}

/** Whether a trusted principal covers an edge's source. */
function coversEdge(principal: string, edge: AssumptionEdge): boolean {
  switch (edge.sourceType) {
    case 'aws':
      return principalMatchesSource(principal, {
        ...(edge.source.startsWith('arn:') ? { arn: edge.source } : {}),
        ...(edge.sourceAccount !== undefined ? { account: edge.sourceAccount } : {}),
      });
    case 'service':
      return principalMatchesSource(principal, { service: edge.source });
    default: {
      // `<provider>:<subject>`: the provider (a host, or a SAML provider ARN) ends at one of the colons.
      for (let at = edge.source.indexOf(':'); at > 0; at = edge.source.indexOf(':', at + 1))
        if (principalMatchesSource(principal, { provider: edge.source.slice(0, at) })) return true;
      return false;
    }
  }
}

function awsKind(principal: string): TrustedView['kind'] {
  if (/^\d{12}$/.test(principal)) return 'account';
  const resource = principal.split(':').slice(5).join(':');
  if (resource === 'root') return 'account';
  if (resource.startsWith('role/')) return 'role';
  if (resource.startsWith('user/')) return 'user';
  if (resource.startsWith('assumed-role/')) return 'session';
  return 'other';
}

/** `StringEquals sts:ExternalId = a, b` */
function clauseText(clause: ConditionClause): string {
  return `${clause.operator} ${clause.key} = ${clause.values.join(', ')}`;
}

function policyName(ref: PolicyRef): string {
  return ref.arn ?? `inline:${ref.name}`;
}

/** Resources an Allow statement lets the role assume roles on. */
function assumableResources(doc: PolicyDocument): string[] {
  return doc.statements
    .filter((s: Statement) => s.effect === 'Allow' && statementMatchesAction(s, 'sts:AssumeRole'))
    .flatMap((s) => s.resource ?? (s.notResource ?? []).map((r) => `!${r}`));
}
