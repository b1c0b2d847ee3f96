import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Severity } from '../../config/config';
import { nextFinding, type RecordOptions, resolveFinding } from '../../engine/lifecycle';
import type { Finding, FindingDraft, FindingStore, FindingTransition } from '../../engine/ports';
import type { DynamoTable, Item } from './DynamoTable';
import { keys, timeKey } from './keys';

const FINDING_SK = 'FINDING';
const MAX_ATTEMPTS = 10;

/** A stored finding: the domain object plus its version and the time it was last opened. */
interface StoredFinding {
  finding: Finding;
  version: number;
  openedAt: number;
}

/**
 * Findings in DynamoDB. Each finding is one item written with an optimistic version check, so two
 * invocations recording the same finding cannot lose a count or both claim its opening. A change of
 * status or severity is written in one transaction with the account's summary counters and the role's
 * open-finding counters, so the counts never drift from the findings.
 */
export class DynamoFindingStore implements FindingStore {
  constructor(private readonly table: DynamoTable) {}

  async record(draft: FindingDraft, options: RecordOptions): Promise<{ finding: Finding; transition: FindingTransition }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.load(draft.id);
      const result = nextFinding(stored?.finding, draft, options);
      if (result.transition === 'duplicate') return result;
      const reopened =
        result.transition === 'opened' || result.transition === 'reopened' || (!stored && result.transition === 'suppressed');
      const openedAt = reopened ? draft.at : (stored?.openedAt ?? result.finding.firstSeen);
      if (await this.write(result.finding, stored, openedAt)) return result;
    }
    throw new Error(`could not record finding ${draft.id}: too many concurrent writers`);
  }

  async resolveMissing(
    account: string,
    resource: string,
    stillTrue: ReadonlySet<string>,
    at: number,
    reason: string,
  ): Promise<Finding[]> {
    const resolved: Finding[] = [];
    for (const id of await this.idsForResource(account, resource)) {
      if (stillTrue.has(id)) continue;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const stored = await this.load(id);
        if (!stored || stored.finding.kind !== 'posture' || stored.finding.status === 'resolved') break;
        const next = resolveFinding(stored.finding, at, reason);
        if (await this.write(next, stored, stored.openedAt)) {
          resolved.push(next);
          break;
        }
      }
    }
    return resolved;
  }

  async get(id: string): Promise<Finding | undefined> {
    return (await this.load(id))?.finding;
  }

  async forResource(account: string, resource: string): Promise<Finding[]> {
    const ids = await this.idsForResource(account, resource);
    return (await this.getMany(ids)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Findings by id, in the order asked; unknown ids are left out. */
  async getMany(ids: readonly string[]): Promise<Finding[]> {
    const items = await this.table.batchGet(ids.map((id) => ({ pk: keys.finding(id), sk: FINDING_SK })));
    const byId = new Map(items.map((item) => [String(item.id), toFinding(item)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async pendingAlerts(severities: readonly Severity[]): Promise<Finding[]> {
    const pending: Finding[] = [];
    for (const severity of severities) {
      let start: Item | undefined;
      do {
        const page = await this.listByStatus('open', severity, { limit: 100, ...(start ? { start } : {}) });
        pending.push(...page.findings.filter((f) => f.alert.state === 'pending'));
        start = page.next;
      } while (start);
    }
    return pending;
  }

  /** One page of findings with a status and severity, newest opened first (gsi1, then one batch get). */
  async listByStatus(
    status: string,
    severity: Severity,
    options: { limit: number; start?: Item; since?: number },
  ): Promise<{ findings: Finding[]; next?: Item }> {
    const page = await this.table.query({
      IndexName: 'gsi1',
      KeyConditionExpression: options.since !== undefined ? 'gsi1pk = :pk AND gsi1sk >= :since' : 'gsi1pk = :pk',
      values: {
        ':pk': keys.findingsByStatus(status, severity),
        ...(options.since !== undefined ? { ':since': timeKey(options.since) } : {}),
      },
      ScanIndexForward: false,
      Limit: options.limit,
      ...(options.start ? { start: options.start } : {}),
    });
    const ids = page.items.map((item) => String(item.pk).slice('FINDING#'.length));
    return { findings: await this.getMany(ids), ...(page.next ? { next: page.next } : {}) };
  }

  async retract(id: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.load(id);
      if (!stored) return;
      const ok = await this.table.transact([
        {
          Delete: {
            TableName: this.table.name,
            Key: { pk: { S: keys.finding(id) }, sk: { S: FINDING_SK } },
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': { N: String(stored.version) } },
          },
        },
        ...this.counterUpdates(stored.finding, undefined),
      ]);
      if (ok) return;
    }
    throw new Error(`could not retract finding ${id}: too many concurrent writers`);
  }

  async markAlerted(id: string, at: number, severity: Severity): Promise<void> {
    // The version moves too: a concurrent record() that read the finding before must not write back "pending".
    await this.table.update(
      { pk: keys.finding(id), sk: FINDING_SK },
      {
        expression: 'SET #alert = :alert, version = version + :one',
        condition: 'attribute_exists(pk)',
        names: { '#alert': 'alert' },
        values: { ':alert': { state: 'sent', sentAt: at, severity }, ':one': 1 },
      },
    );
  }

  private async load(id: string): Promise<StoredFinding | undefined> {
    const item = await this.table.get({ pk: keys.finding(id), sk: FINDING_SK });
    if (!item) return undefined;
    return { finding: toFinding(item), version: Number(item.version ?? 0), openedAt: Number(item.openedAt ?? item.firstSeen) };
  }

  private async idsForResource(account: string, resource: string): Promise<string[]> {
    const items = await this.table.queryAll({
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      values: { ':pk': keys.findingsByResource(account, resource) },
    });
    return items.map((item) => String(item.pk).slice('FINDING#'.length));
  }

  /** Writes a finding if nobody changed it since it was read; counters move with status and severity changes. */
  private async write(finding: Finding, stored: StoredFinding | undefined, openedAt: number): Promise<boolean> {
    const version = (stored?.version ?? 0) + 1;
    const item: Item = {
      pk: keys.finding(finding.id),
      sk: FINDING_SK,
      ...finding,
      version,
      openedAt,
      gsi1pk: keys.findingsByStatus(finding.status, finding.severity),
      gsi1sk: keys.findingsByStatusSort(openedAt, finding.id),
      gsi2pk: keys.findingsByResource(finding.account, finding.resource),
      gsi2sk: `${finding.ruleId}#${finding.id}`,
    };
    const condition = stored
      ? { expression: 'version = :v', values: { ':v': stored.version } }
      : { expression: 'attribute_not_exists(pk)' };
    const counters = this.counterUpdates(stored?.finding, finding);
    if (counters.length === 0) return this.table.put(item, condition);
    return this.table.transact([this.table.transactPut(item, condition), ...counters]);
  }

  /**
   * Counter moves for a finding going from `before` to `after` (either may be absent): the account summary
   * (by status and severity, by rule and status) and, for role findings, the role's open findings by severity.
   */
  private counterUpdates(before: Finding | undefined, after: Finding | undefined): TransactWriteItem[] {
    const deltas = new Map<string, number>();
    const move = (finding: Finding | undefined, sign: number) => {
      if (!finding) return;
      for (const counter of [`${finding.status}#${finding.severity}`, `rule#${finding.ruleId}#${finding.status}`]) {
        deltas.set(counter, (deltas.get(counter) ?? 0) + sign);
      }
    };
    move(before, -1);
    move(after, +1);
    const changed = [...deltas].filter(([, delta]) => delta !== 0);
    if (changed.length === 0) return [];
    const account = (after ?? before)?.account ?? '';
    const updates = [this.table.transactUpdate({ pk: keys.summary(account), sk: 'SUMMARY' }, addExpression(changed))];
    const roleName = (after ?? before)?.roleName;
    const roleDeltas = new Map<string, number>();
    for (const [finding, sign] of [
      [before, -1],
      [after, +1],
    ] as const) {
      if (finding?.status === 'open')
        roleDeltas.set(`open#${finding.severity}`, (roleDeltas.get(`open#${finding.severity}`) ?? 0) + sign);
    }
    const roleChanged = [...roleDeltas].filter(([, delta]) => delta !== 0);
    if (roleName && roleChanged.length > 0) {
      updates.push(this.table.transactUpdate({ pk: keys.role(account, roleName), sk: 'META' }, addExpression(roleChanged)));
    }
    return updates;
  }
}

/** `ADD #c0 :c0, #c1 :c1` for named counters. */
function addExpression(counters: readonly [string, number][]): {
  expression: string;
  names: Record<string, string>;
  values: Item;
} {
  const names: Record<string, string> = {};
  const values: Item = {};
  const parts = counters.map(([name, delta], i) => {
    names[`#c${i}`] = name;
    values[`:c${i}`] = delta;
    return `#c${i} :c${i}`;
  });
  return { expression: `ADD ${parts.join(', ')}`, names, values };
}

function toFinding(item: Item): Finding {
  const { pk: _pk, sk: _sk, version: _v, openedAt: _o, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...finding } = item;
  return finding as Finding;
}
