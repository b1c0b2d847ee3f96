import { accountOfArn } from '../arn';
import { mapLimit } from '../concurrency';
import type { Engine, RecordedFinding } from '../engine/engine';
import type { Finding } from '../findings/finding';
import { SEVERITIES, type Severity, severityRank } from '../findings/severity';
import type { AccountReader, AccountSnapshot, IamRole } from '../iam/accountReader';
import { trustedPrincipals } from '../policy/diff';
import { parsePolicy } from '../policy/parse';
import type { FindingStore } from '../ports/findingStore';
import type { StateStore } from '../ports/roleState';
import { liveParts, type RoleChange, type RoleRecord, roleExists, type Stamp } from '../roles/roleRecord';

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

/** What reconciling one account changed (the parts of a {@link ReconcileReport} one account contributes). */
export type AccountReconcile = Omit<ReconcileReport, 'failures' | 'alertsRetried'>;

/** The time a run stamps on everything it writes, so that older late events cannot undo it. */
export function reconcileStamp(at: number): Stamp {
  return { at, eventId: `reconcile-${new Date(at).toISOString()}` };
}

/**
 * Reads every account from IAM and makes RoleWatch's state match it: roles and parts that events missed are
 * written (stamped with the reconcile time, so older late events cannot undo them), roles that no longer
 * exist are deleted, every role is re-evaluated (findings whose cause is gone are resolved), the summary
 * counts are recomputed, and alerts that could not be sent before are sent now. An account that cannot be
 * read is reported in `failures` and left as it was while the others are reconciled; when no account can
 * be read, the first error is thrown.
 *
 * This is the one-process composition (`rolewatch scan`, local runs); deployed, the reconcile state machine
 * runs the same steps: {@link reconcileAccount} once per account, then {@link finishReconcile}.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const stamp = reconcileStamp(deps.now());
  // Each account is read and reconciled on its own, a few at once; the parts are merged in account order.
  const parts = await mapLimit(deps.accounts, ACCOUNTS_IN_PARALLEL, async (source) => {
    try {
      return { part: await reconcileAccount(source, stamp, deps) };
    } catch (error) {
      if (!(error instanceof AccountReadError)) throw error;
      return { failure: { account: source.account ?? 'own', error: error.message }, error: error.cause };
    }
  });
  const report = emptyReport();
  for (const { part, failure } of parts) {
    if (failure) report.failures.push(failure);
    if (!part) continue;
    for (const account of part.accounts) if (!report.accounts.includes(account)) report.accounts.push(account);
    report.roles += part.roles;
    report.policies += part.policies;
    report.corrected.push(...part.corrected);
    report.deleted.push(...part.deleted);
    report.findings.push(...part.findings);
    report.resolved.push(...part.resolved);
  }
  const firstFailure = parts.find((result) => result.failure);
  if (firstFailure && report.failures.length === deps.accounts.length) throw firstFailure.error;
  report.alertsRetried = await finishReconcile(deps);
  return report;
}

/** The steps after every account was read: what {@link finishReconcile} needs. */
export type FinishDeps = Pick<ReconcileDeps, 'findings' | 'minSeverity' | 'dispatch'>;

/**
 * The last step of a run, once every account has been reconciled (or has failed): recounts the summary and
 * sends the alerts still pending. Returns how many alerts were pending.
 */
export async function finishReconcile(deps: FinishDeps): Promise<number> {
  await deps.findings.recountSummary();
  if (!deps.dispatch) return 0;
  const severities = SEVERITIES.filter((s) => severityRank(s) >= severityRank(deps.minSeverity));
  const pending = await deps.findings.pendingAlerts(severities);
  if (pending.length > 0) await deps.dispatch(pending);
  return pending.length;
}

/**
 * Accounts reconciled at once by {@link reconcile}. Each member account has its own IAM request quota, so
 * reading several at a time multiplies what one process covers, while the table's writes stay modest.
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

/** The account could not be read from IAM (its read role, its quota, IAM itself): nothing of it was changed. */
export class AccountReadError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    // A literal: bundles are minified, and Step Functions matches the name a Lambda error carries.
    this.name = 'AccountReadError';
  }
}

/**
 * One step of a run: reads one account and makes the stored state match it (see {@link reconcile}). A read
 * that fails throws {@link AccountReadError} with the cause kept (a throttled read can be retried); what
 * fails after the read propagates as it is.
 */
export async function reconcileAccount(
  source: AccountSource,
  stamp: Stamp,
  deps: Pick<ReconcileDeps, 'engine' | 'state'>,
): Promise<AccountReconcile> {
  let snapshot: AccountSnapshot;
  try {
    snapshot = await source.reader.readAccount();
  } catch (error) {
    throw new AccountReadError((error as Error).message, { cause: error });
  }
  const { failures: _failures, alertsRetried: _retried, ...part } = emptyReport();
  await applySnapshot(snapshot, source.account, stamp, deps, part);
  return part;
}

/** Reconciles what one read of an account returned; state is written under each role's and policy's own account. */
async function applySnapshot(
  snapshot: AccountSnapshot,
  account: string | undefined,
  stamp: Stamp,
  deps: Pick<ReconcileDeps, 'engine' | 'state'>,
  report: AccountReconcile,
): Promise<void> {
  const now = stamp.at;
  report.roles += snapshot.roles.length;
  report.policies += snapshot.policies.length;
  for (const policy of snapshot.policies) {
    const policyAccount = accountOfArn(policy.arn) ?? '';
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
    // RoleLastUsed is an observation, written on every read with the run's stamp (a retried step writes the same
    // stamp: nothing changes), never a correction.
    await deps.state.applyRoleChanges(role.account, role.roleName, role.arn, [lastUsedObservation(role, stamp)]);
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

/** What IAM's RoleLastUsed says of a role, as read at `stamp`. */
export function lastUsedObservation(role: IamRole, stamp: Stamp): Extract<RoleChange, { part: 'lastUsed' }> {
  return {
    part: 'lastUsed',
    stamp,
    ...(role.lastUsed ? { usedAt: role.lastUsed.at } : {}),
    ...(role.lastUsed?.region ? { region: role.lastUsed.region } : {}),
  };
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
    case 'lastUsed':
      return 'last use observed';
  }
}
