import { SEVERITIES, type Severity } from '../findings/severity';
import { decodePolicyText } from '../policy/parse';
import type { ListedFinding, ReportSummary, RoleListing, RoleSnapshot, WatchStatus } from '../ports/reportQueries';
import type { AssumptionEdge, HistoryEntry } from '../ports/roleState';
import { type LastUsed, liveLastUsed, liveParts, roleExists } from '../roles/roleRecord';
import { controlsOf, RULES } from '../rules/index';
import type { CsvColumn } from './csv';
import type { AccessView, AssumptionView, FindingView, HistoryView, RoleListView, RoleView, SummaryView } from './schemas';

/** How the API shows what the stores hold: times as ISO 8601, internals (recent event ids, replay events) left out. */

const iso = (ms: number) => new Date(ms).toISOString();

/** A finding with its times as ISO 8601 and without internals (recent event ids). */
export function findingView({ finding: f, openedAt }: ListedFinding): FindingView {
  const opt = <K extends string, V>(key: K, value: V | undefined) =>
    value === undefined ? {} : ({ [key]: value } as Record<K, V>);
  return {
    id: f.id,
    ruleId: f.ruleId,
    title: f.title,
    severity: f.severity,
    status: f.status,
    controls: [...controlsOf(f.ruleId)],
    kind: f.kind,
    account: f.account,
    ...opt('region', f.region),
    resource: f.resource,
    resourceName: f.resourceName,
    ...opt('roleName', f.roleName),
    ...opt('qualifier', f.qualifier),
    detail: f.detail,
    ...opt('evidence', f.evidence),
    ...opt('diff', f.diff),
    rationale: f.rationale,
    remediation: f.remediation,
    openedAt: iso(openedAt),
    firstSeen: iso(f.firstSeen),
    lastSeen: iso(f.lastSeen),
    count: f.count,
    ...opt('resolvedAt', f.resolvedAt === undefined ? undefined : iso(f.resolvedAt)),
    ...opt('resolution', f.resolution),
    ...opt('suppression', f.suppression),
    ...opt('event', f.event),
    alert: {
      state: f.alert.state,
      ...opt('sentAt', f.alert.sentAt === undefined ? undefined : iso(f.alert.sentAt)),
      ...opt('severity', f.alert.severity),
    },
  };
}

/** A role listing with its open-findings total and highest open severity. */
export function roleListView(role: RoleListing): RoleListView {
  const highest = SEVERITIES.find((severity) => role.open[severity] > 0) ?? null;
  return {
    account: role.account,
    roleName: role.roleName,
    arn: role.arn,
    deleted: role.deleted,
    openFindings: SEVERITIES.reduce((sum, severity) => sum + role.open[severity], 0),
    openBySeverity: role.open,
    highestOpenSeverity: highest,
    ...withLastUsed(role.lastUsed),
  };
}

function withLastUsed(lastUsed: LastUsed | undefined): Pick<RoleView, 'lastUsed'> {
  return lastUsed ? { lastUsed: lastUsedView(lastUsed) } : {};
}

/** RoleLastUsed for the API: when the role was last used and where, and when IAM was read. */
function lastUsedView(lastUsed: LastUsed): NonNullable<RoleView['lastUsed']> {
  return {
    at: lastUsed.at === undefined ? null : iso(lastUsed.at),
    ...(lastUsed.region ? { region: lastUsed.region } : {}),
    observedAt: iso(lastUsed.observedAt),
  };
}

/** A role snapshot: only the live parts (those set since the role was last created); policies as JSON. */
export function roleView({ record, openFindings, stateSeen }: RoleSnapshot): RoleView {
  const exists = stateSeen === false ? null : roleExists(record);
  const parts = liveParts(record);
  return {
    account: record.account,
    roleName: record.roleName,
    arn: record.arn,
    exists,
    ...(record.created ? { createdAt: iso(record.created.at) } : {}),
    ...(record.created?.by ? { createdBy: record.created.by } : {}),
    ...(record.deleted && !exists ? { deletedAt: iso(record.deleted.at) } : {}),
    ...(record.lastChange ? { lastChangeAt: iso(record.lastChange.at) } : {}),
    ...(parts.trust
      ? {
          trustPolicy: {
            document: policyDocument(parts.trust.document),
            principals: parts.trust.principals,
            changedAt: iso(parts.trust.at),
          },
        }
      : {}),
    inlinePolicies: parts.inline.map(({ name, document }) => ({
      name,
      document: policyDocument(document),
      changedAt: iso(record.inline[name]?.at ?? 0),
    })),
    attachedPolicies: parts.attached,
    ...(parts.boundary ? { permissionsBoundary: parts.boundary } : {}),
    ...withLastUsed(liveLastUsed(record)),
    openFindings: openFindings.map(findingView),
  };
}

/** A stored policy as JSON when it decodes (plain or URL-encoded), else the text as stored. */
function policyDocument(text: string): unknown {
  const decoded = decodePolicyText(text);
  return decoded.ok ? decoded.value : text;
}

/** A history entry without the replay copy of its event. */
export function historyView(entry: HistoryEntry): HistoryView {
  return {
    at: iso(entry.at),
    eventId: entry.eventId,
    eventName: entry.eventName,
    ...(entry.actor ? { actor: entry.actor } : {}),
    ...(entry.sourceIp ? { sourceIp: entry.sourceIp } : {}),
    ...(entry.userAgent ? { userAgent: entry.userAgent } : {}),
    summary: entry.summary,
    ...(entry.diff && entry.diff.length > 0 ? { diff: entry.diff } : {}),
  };
}

/** An assumption edge with its times as ISO 8601. */
export function assumptionView(edge: AssumptionEdge): AssumptionView {
  return { ...edge, firstSeen: iso(edge.firstSeen), lastSeen: iso(edge.lastSeen) };
}

const TITLES = new Map(RULES.map((rule) => [rule.id, rule.title]));

/** The summary with rule titles, rules without any finding left out. */
export function summaryView(summary: ReportSummary, watch?: WatchStatus): SummaryView {
  const open = summary.byStatus.open;
  return {
    accounts: summary.accounts,
    open: { total: SEVERITIES.reduce((sum, severity: Severity) => sum + open[severity], 0), bySeverity: open },
    byStatus: summary.byStatus,
    byRule: Object.entries(summary.byRule)
      .map(([ruleId, counts]) => ({ ruleId, title: TITLES.get(ruleId) ?? ruleId, ...counts }))
      .filter((rule) => rule.open + rule.suppressed + rule.resolved > 0)
      .sort((a, b) => b.open - a.open || (a.ruleId < b.ruleId ? -1 : 1)),
    riskiestRoles: summary.riskiestRoles.map((role) => ({
      account: role.account,
      roleName: role.roleName,
      arn: role.arn,
      openCritical: role.open.critical,
      openHigh: role.open.high,
      lastSeen: iso(role.lastSeen),
    })),
    ...(summary.lastEvent ? { lastEventSeen: { at: iso(summary.lastEvent.at), basis: summary.lastEvent.basis } } : {}),
    ...(watch ? { watch: watchView(watch) } : {}),
  };
}

function watchView(watch: WatchStatus): NonNullable<SummaryView['watch']> {
  return {
    status: watch.status,
    startedAt: iso(watch.startedAt),
    regions: watch.regions,
    ...(watch.lastSuccessAt !== undefined ? { lastSuccessAt: iso(watch.lastSuccessAt) } : {}),
    ...(watch.failingSince !== undefined ? { failingSince: iso(watch.failingSince) } : {}),
    ...(watch.lastError ? { lastError: { ...watch.lastError, at: iso(watch.lastError.at) } } : {}),
  };
}

// CSV columns of the lists: flat, one row per item.

/** CSV columns of GET /findings. */
export const findingColumns: CsvColumn<FindingView>[] = [
  { header: 'id', value: (f) => f.id },
  { header: 'status', value: (f) => f.status },
  { header: 'severity', value: (f) => f.severity },
  { header: 'ruleId', value: (f) => f.ruleId },
  { header: 'title', value: (f) => f.title },
  { header: 'account', value: (f) => f.account },
  { header: 'resource', value: (f) => f.resource },
  { header: 'roleName', value: (f) => f.roleName },
  { header: 'detail', value: (f) => f.detail },
  { header: 'openedAt', value: (f) => f.openedAt },
  { header: 'firstSeen', value: (f) => f.firstSeen },
  { header: 'lastSeen', value: (f) => f.lastSeen },
  { header: 'count', value: (f) => f.count },
  { header: 'actor', value: (f) => f.event?.actor },
  { header: 'suppressedBy', value: (f) => f.suppression?.by },
  { header: 'suppressionReason', value: (f) => f.suppression?.reason },
  { header: 'suppressedUntil', value: (f) => f.suppression?.until },
  // Last, so the columns before keep their positions for existing readers.
  { header: 'controls', value: (f) => f.controls.join(' ') },
];

/** CSV columns of GET /roles. */
export const roleColumns: CsvColumn<RoleListView>[] = [
  { header: 'account', value: (r) => r.account },
  { header: 'roleName', value: (r) => r.roleName },
  { header: 'arn', value: (r) => r.arn },
  { header: 'deleted', value: (r) => r.deleted },
  { header: 'openFindings', value: (r) => r.openFindings },
  { header: 'highestOpenSeverity', value: (r) => r.highestOpenSeverity },
  ...SEVERITIES.map((severity) => ({ header: `open_${severity}`, value: (r: RoleListView) => r.openBySeverity[severity] })),
];

/** CSV columns of GET /roles/{name}/history. */
export const historyColumns: CsvColumn<HistoryView>[] = [
  { header: 'at', value: (h) => h.at },
  { header: 'eventName', value: (h) => h.eventName },
  { header: 'eventId', value: (h) => h.eventId },
  { header: 'actor', value: (h) => h.actor },
  { header: 'sourceIp', value: (h) => h.sourceIp },
  { header: 'userAgent', value: (h) => h.userAgent },
  { header: 'summary', value: (h) => h.summary },
  { header: 'diff', value: (h) => h.diff?.join('\n') },
];

/** CSV columns of GET /assumptions. */
export const assumptionColumns: CsvColumn<AssumptionView>[] = [
  { header: 'account', value: (a) => a.account },
  { header: 'roleArn', value: (a) => a.roleArn },
  { header: 'source', value: (a) => a.source },
  { header: 'sourceType', value: (a) => a.sourceType },
  { header: 'sourceAccount', value: (a) => a.sourceAccount },
  { header: 'firstSeen', value: (a) => a.firstSeen },
  { header: 'lastSeen', value: (a) => a.lastSeen },
  { header: 'count', value: (a) => a.count },
  { header: 'regions', value: (a) => a.regions.join(' ') },
  { header: 'sampleIps', value: (a) => a.sampleIps.join(' ') },
];

/** CSV columns of GET /access: one row per role. */
export const accessColumns: CsvColumn<AccessView>[] = [
  { header: 'account', value: (a) => a.role.account },
  { header: 'roleArn', value: (a) => a.role.arn },
  { header: 'adminCapable', value: (a) => a.role.reach.adminCapable },
  { header: 'escalation', value: (a) => a.role.reach.escalation.join(' ') },
  { header: 'trusted', value: (a) => a.trusted.map((t) => t.principal).join(' ') },
  { header: 'observed', value: (a) => a.observed.map((o) => o.source).join(' ') },
  {
    header: 'untrustedObserved',
    value: (a) =>
      a.observed
        .filter((o) => o.trustedBy.length === 0)
        .map((o) => o.source)
        .join(' '),
  },
];
