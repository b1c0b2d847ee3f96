import { SEVERITIES, type Severity, severityRank } from '../config/config';
import type { Engine, RecordedFinding } from '../engine/engine';
import type { Finding, FindingStore, StateStore } from '../engine/ports';
import { liveParts, type RoleChange, type RoleRecord, roleExists, type Stamp } from '../engine/roleRecord';
import type { AccountReader, IamRole } from '../iam/accountReader';
import { trustedPrincipals } from '../policy/diff';
import { parsePolicy } from '../policy/parse';

export interface ReconcileDeps {
  engine: Engine;
  state: StateStore;
  findings: FindingStore;
  reader: AccountReader;
  now: () => number;
  /** Alerts below this severity are never sent. */
  minSeverity: Severity;
  /** Sends alerts: for findings reconcile records and for findings whose alert is still pending. */
  dispatch?: (findings: Finding[]) => Promise<void>;
}

export interface ReconcileReport {
  roles: number;
  policies: number;
  /** Roles whose stored state differed from IAM, with what was corrected: events RoleWatch missed. */
  corrected: { account: string; roleName: string; changes: string[] }[];
  deleted: { account: string; roleName: string }[];
  findings: RecordedFinding[];
  resolved: Finding[];
  alertsRetried: number;
}

/**
 * Reads the whole account from IAM and makes RoleWatch's state match it: roles and parts that events
 * missed are written (stamped with the reconcile time, so older late events cannot undo them), roles that no
 * longer exist are deleted, every role is re-evaluated (findings whose cause is gone are resolved), the
 * summary counts are recomputed, and alerts that could not be sent before are sent now.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const now = deps.now();
  const stamp: Stamp = { at: now, eventId: `reconcile-${new Date(now).toISOString()}` };
  const snapshot = await deps.reader.readAccount();
  const report: ReconcileReport = {
    roles: snapshot.roles.length,
    policies: snapshot.policies.length,
    corrected: [],
    deleted: [],
    findings: [],
    resolved: [],
    alertsRetried: 0,
  };

  for (const policy of snapshot.policies) {
    const account = policy.arn.split(':')[4] ?? '';
    await deps.state.applyPolicyChanges(account, policy.arn, [
      ...policy.versions.map((v) => ({ kind: 'version' as const, versionId: v.versionId, document: v.document })),
      ...(policy.defaultVersionId ? [{ kind: 'default' as const, stamp, versionId: policy.defaultVersionId }] : []),
    ]);
  }

  const seen = new Map<string, Set<string>>();
  for (const role of snapshot.roles) {
    seen.set(role.account, (seen.get(role.account) ?? new Set()).add(role.roleName));
    const record = await deps.state.getRole(role.account, role.roleName);
    const changes = correctionsFor(record, role, stamp);
    if (changes.length === 0) continue;
    await deps.state.applyRoleChanges(role.account, role.roleName, role.arn, changes);
    const described = changes.map(describe);
    await deps.state.appendHistory({
      account: role.account,
      roleName: role.roleName,
      roleArn: role.arn,
      at: now,
      eventId: stamp.eventId,
      eventName: 'Reconcile',
      actor: 'rolewatch-reconcile',
      summary: `reconcile found changes no event reported: ${described.join('; ')}`,
    });
    report.corrected.push({ account: role.account, roleName: role.roleName, changes: described });
  }

  for (const [account, names] of seen) {
    for (const roleName of await deps.state.roleNames(account)) {
      if (names.has(roleName)) continue;
      const record = await deps.state.getRole(account, roleName);
      if (!record || !roleExists(record)) continue;
      await deps.state.applyRoleChanges(account, roleName, record.arn, [{ part: 'deleted', stamp }]);
      report.deleted.push({ account, roleName });
    }
  }

  const evaluated = [...snapshot.roles.map((r) => ({ account: r.account, roleName: r.roleName })), ...report.deleted];
  for (const { account, roleName } of evaluated) {
    const result = await deps.engine.reevaluateRole(account, roleName, now, 'reconcile');
    report.findings.push(...result.findings);
    report.resolved.push(...result.resolved);
  }

  await deps.findings.recountSummary();

  if (deps.dispatch) {
    const severities = SEVERITIES.filter((s) => severityRank(s) >= severityRank(deps.minSeverity));
    const pending = await deps.findings.pendingAlerts(severities);
    report.alertsRetried = pending.length;
    if (pending.length > 0) await deps.dispatch(pending);
  }
  return report;
}

/** The changes that make a stored role match what IAM says. */
export function correctionsFor(record: RoleRecord | undefined, role: IamRole, stamp: Stamp): RoleChange[] {
  const changes: RoleChange[] = [];
  const exists = record !== undefined && roleExists(record);
  const parts = record && exists ? liveParts(record) : { inline: [], attached: [] };
  if (!exists)
    changes.push({
      part: 'created',
      stamp: role.createdAt !== undefined && role.createdAt < stamp.at ? { at: role.createdAt, eventId: stamp.eventId } : stamp,
    });

  if (role.trustPolicy !== undefined && !sameDocument(parts.trust?.document, role.trustPolicy)) {
    const parsed = parsePolicy(role.trustPolicy);
    changes.push({
      part: 'trust',
      stamp,
      document: role.trustPolicy,
      principals: parsed.ok ? trustedPrincipals(parsed.document) : [],
      initial: !exists,
    });
  }
  const storedInline = new Map(parts.inline.map((p) => [p.name, p.document]));
  for (const policy of role.inlinePolicies) {
    if (!sameDocument(storedInline.get(policy.name), policy.document))
      changes.push({ part: 'inline', stamp, name: policy.name, document: policy.document });
  }
  for (const name of storedInline.keys()) {
    if (!role.inlinePolicies.some((p) => p.name === name)) changes.push({ part: 'inline', stamp, name, document: null });
  }
  for (const arn of role.attachedPolicies)
    if (!parts.attached.includes(arn)) changes.push({ part: 'attached', stamp, arn, attached: true });
  for (const arn of parts.attached)
    if (!role.attachedPolicies.includes(arn)) changes.push({ part: 'attached', stamp, arn, attached: false });
  if ((parts.boundary ?? null) !== (role.permissionsBoundary ?? null))
    changes.push({ part: 'boundary', stamp, arn: role.permissionsBoundary ?? null });
  return changes;
}

/** Same JSON once whitespace and encoding are set aside (IAM may return a document reformatted). */
function sameDocument(stored: string | undefined, current: string): boolean {
  if (stored === undefined) return false;
  if (stored === current) return true;
  try {
    return JSON.stringify(JSON.parse(stored)) === JSON.stringify(JSON.parse(current));
  } catch {
    return false;
  }
}

function describe(change: RoleChange): string {
  switch (change.part) {
    case 'created':
      return 'role exists';
    case 'deleted':
      return 'role deleted';
    case 'trust':
      return 'trust policy differs';
    case 'inline':
      return change.document === null ? `inline policy ${change.name} is gone` : `inline policy ${change.name} differs`;
    case 'attached':
      return `${change.arn} ${change.attached ? 'attached' : 'detached'}`;
    case 'boundary':
      return change.arn ? `permissions boundary ${change.arn}` : 'no permissions boundary';
  }
}
