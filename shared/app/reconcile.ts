import { mapLimit } from '../concurrency';
import { SEVERITIES, type Severity, severityRank } from '../config/config';
import type { Engine, RecordedFinding } from '../engine/engine';
import type { Finding, FindingStore, StateStore } from '../engine/ports';
import { liveParts, type RoleChange, type RoleRecord, roleExists, type Stamp } from '../engine/roleRecord';
import type { AccountReader, AccountSnapshot, IamRole } from '../iam/accountReader';
import { trustedPrincipals } from '../policy/diff';
import { parsePolicy } from '../policy/parse';

/** One account to read. `account` is known when the account is chosen (organization mode); unset, it is the credentials' own. */
export interface AccountSource {
  account?: string;
  reader: AccountReader;
}

export interface ReconcileDeps {
  engine: Engine;
  state: StateStore;
  findings: FindingStore;
  /**
   * The accounts to read: one for a single account, every account of the organization in organization mode.
   * Several are read at once; the report lists them in this order.
   */
  accounts: readonly AccountSource[];
  now: () => number;
  /** Alerts below this severity are never sent. */
  minSeverity: Severity;
  /** Sends alerts: for findings reconcile records and for findings whose alert is still pending. */
  dispatch?: (findings: Finding[]) => Promise<void>;
}

export interface ReconcileReport {
  /** Accounts read (named ones; a source without an account adds the accounts its roles belong to). */
  accounts: string[];
  /** Accounts that could not be read: nothing of theirs was corrected, deleted or resolved. */
  failures: { account: string; error: string }[];
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
 * Reads every account from IAM and makes RoleWatch's state match it: roles and parts that events missed are
 * written (stamped with the reconcile time, so older late events cannot undo them), roles that no longer
 * exist are deleted, every role is re-evaluated (findings whose cause is gone are resolved), the summary
 * counts are recomputed, and alerts that could not be sent before are sent now. An account that cannot be
 * read is reported in `failures` and left as it was while the others are reconciled; when no account can
 * be read, the first error is thrown.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const now = deps.now();
  const stamp: Stamp = { at: now, eventId: `reconcile-${new Date(now).toISOString()}` };
  // Each account is read and reconciled on its own, a few at once; the parts are merged in account order.
  const parts = await mapLimit(deps.accounts, ACCOUNTS_IN_PARALLEL, async (source) => {
    const part = emptyReport();
    let snapshot: AccountSnapshot;
    try {
      snapshot = await source.reader.readAccount();
    } catch (error) {
      part.failures.push({ account: source.account ?? 'own', error: (error as Error).message });
      return { part, error };
    }
    await reconcileAccount(snapshot, source.account, stamp, deps, part);
    return { part };
  });
  const report = emptyReport();
  for (const { part } of parts) {
    for (const account of part.accounts) if (!report.accounts.includes(account)) report.accounts.push(account);
    report.failures.push(...part.failures);
    report.roles += part.roles;
    report.policies += part.policies;
    report.corrected.push(...part.corrected);
    report.deleted.push(...part.deleted);
    report.findings.push(...part.findings);
    report.resolved.push(...part.resolved);
  }
  const firstError = parts.find((result) => 'error' in result)?.error;
  if (report.failures.length === deps.accounts.length && firstError !== undefined) throw firstError;

  await deps.findings.recountSummary();

  if (deps.dispatch) {
    const severities = SEVERITIES.filter((s) => severityRank(s) >= severityRank(deps.minSeverity));
    const pending = await deps.findings.pendingAlerts(severities);
    report.alertsRetried = pending.length;
    if (pending.length > 0) await deps.dispatch(pending);
  }
  return report;
}

/**
 * Accounts reconciled at once. Each member account has its own IAM request quota, so reading several at a
 * time multiplies what one run (15 minutes at most) covers, while the table's writes stay modest.
 */
const ACCOUNTS_IN_PARALLEL = 4;

function emptyReport(): ReconcileReport {
  return {
    accounts: [],
    failures: [],
    roles: 0,
    policies: 0,
    corrected: [],
    deleted: [],
    findings: [],
    resolved: [],
    alertsRetried: 0,
  };
}

/** Reconciles what one read of an account returned; state is written under each role's and policy's own account. */
async function reconcileAccount(
  snapshot: AccountSnapshot,
  account: string | undefined,
  stamp: Stamp,
  deps: ReconcileDeps,
  report: ReconcileReport,
): Promise<void> {
  const now = stamp.at;
  report.roles += snapshot.roles.length;
  report.policies += snapshot.policies.length;
  for (const policy of snapshot.policies) {
    const policyAccount = policy.arn.split(':')[4] ?? '';
    await deps.state.applyPolicyChanges(policyAccount, policy.arn, [
      ...policy.versions.map((v) => ({ kind: 'version' as const, versionId: v.versionId, document: v.document })),
      ...(policy.defaultVersionId ? [{ kind: 'default' as const, stamp, versionId: policy.defaultVersionId }] : []),
    ]);
  }

  // A named account read with no role at all still has its stored roles deleted.
  const seen = new Map<string, Set<string>>(account ? [[account, new Set<string>()]] : []);
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

  const deleted: { account: string; roleName: string }[] = [];
  for (const [roleAccount, names] of seen) {
    if (!report.accounts.includes(roleAccount)) report.accounts.push(roleAccount);
    for (const roleName of await deps.state.roleNames(roleAccount)) {
      if (names.has(roleName)) continue;
      const record = await deps.state.getRole(roleAccount, roleName);
      if (!record || !roleExists(record)) continue;
      await deps.state.applyRoleChanges(roleAccount, roleName, record.arn, [{ part: 'deleted', stamp }]);
      deleted.push({ account: roleAccount, roleName });
    }
  }
  report.deleted.push(...deleted);

  const evaluated = [...snapshot.roles.map((r) => ({ account: r.account, roleName: r.roleName })), ...deleted];
  for (const { account: roleAccount, roleName } of evaluated) {
    const result = await deps.engine.reevaluateRole(roleAccount, roleName, now, 'reconcile');
    report.findings.push(...result.findings);
    report.resolved.push(...result.resolved);
  }
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
