import { type DigestData, formatDigest } from '../alerts/digest';
import type { Finding } from '../findings/finding';
import { SEVERITIES, type Severity, severityRank } from '../findings/severity';
import type { AlertPublisher } from '../ports/alertPublisher';
import type { HistoryEntry } from '../ports/roleState';
import { privilegedRoleUnused } from '../rules/privileged-role-unused';
import type { DynamoFindingStore } from '../store/dynamo/DynamoFindingStore';
import type { DynamoStateStore } from '../store/dynamo/DynamoStateStore';
import type { HandlerLogger } from './trailEvents';

const DAY = 86_400_000;

export interface DigestDeps {
  findings: Pick<DynamoFindingStore, 'listByStatus'>;
  state: Pick<DynamoStateStore, 'roleNames' | 'roleHistoryPage'>;
  publisher: AlertPublisher;
  /** Accounts to report on. */
  accounts: readonly string[];
  minSeverity: Severity;
  now: () => number;
  apiUrl?: string;
}

/**
 * Gathers the last day of each account (low and info findings opened, role changes from the histories) and
 * sends one digest per account. Reads partitions by key: findings by status and severity from the day's
 * start; the role list, then each role's history back to the day's start.
 */
export async function sendDigests(deps: DigestDeps): Promise<DigestData[]> {
  const to = deps.now();
  const from = to - DAY;
  const sent: DigestData[] = [];
  for (const account of deps.accounts) {
    const quiet = SEVERITIES.filter(
      (s) => severityRank(s) < severityRank(deps.minSeverity) && (s === 'low' || s === 'info' || s === 'medium'),
    );
    const findings = (await openedSince(deps, quiet, from)).filter((f) => f.account === account);
    const open = (await openedSince(deps, SEVERITIES, 0)).filter((f) => f.account === account);
    const openAlerted = open.filter((f) => severityRank(f.severity) >= severityRank(deps.minSeverity)).length;
    const unusedRoles = open.filter((f) => f.ruleId === privilegedRoleUnused.id);
    const changes: DigestData['changes'] = [];
    for (const roleName of await deps.state.roleNames(account)) {
      const entries = await historySince(deps, account, roleName, from);
      if (entries.length > 0) changes.push({ roleName, entries });
    }
    const data: DigestData = { account, from, to, findings, changes, openAlerted, unusedRoles };
    await deps.publisher.publish(formatDigest(data, deps.apiUrl ? { apiUrl: deps.apiUrl } : {}));
    sent.push(data);
  }
  return sent;
}

async function openedSince(deps: DigestDeps, severities: readonly Severity[], since: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const severity of severities) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await deps.findings.listByStatus('open', severity, { limit: 100, since, ...(start ? { start } : {}) });
      out.push(...page.findings);
      start = page.next;
    } while (start);
  }
  return out.sort((a, b) => b.lastSeen - a.lastSeen);
}

async function historySince(deps: DigestDeps, account: string, roleName: string, since: number): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.state.roleHistoryPage(account, roleName, 50, start);
    const recent = page.entries.filter((entry) => entry.at >= since);
    out.push(...recent);
    // Newest first: once a page reaches back past the period, the rest is older still.
    if (recent.length < page.entries.length) break;
    start = page.next;
  } while (start);
  return out;
}

/**
 * The daily digest as the scheduled function runs it: one e-mail per account of RoleWatch's state, unless the
 * configuration turns digests off or there is no alert topic.
 */
export async function runDigest(
  deps: Omit<DigestDeps, 'accounts' | 'publisher'> & {
    publisher?: AlertPublisher;
    state: DigestDeps['state'] & Pick<DynamoStateStore, 'accounts'>;
    digest: 'daily' | 'off';
    logger: HandlerLogger;
  },
): Promise<void> {
  const { publisher, logger } = deps;
  if (deps.digest === 'off' || !publisher) {
    logger.info('digest skipped', { digest: deps.digest });
    return;
  }
  const sent = await sendDigests({ ...deps, publisher, accounts: await deps.state.accounts() });
  logger.info('digest sent', {
    digests: sent.map((d) => ({ account: d.account, findings: d.findings.length, roles: d.changes.length })),
  });
}
