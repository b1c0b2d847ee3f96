import { SEVERITIES, type Severity } from '../../config/config';
import { resourceName } from '../../engine/findings';
import { nextFinding, type RecordOptions, resolveFinding } from '../../engine/lifecycle';
import type { Finding, FindingDraft, FindingStore, FindingTransition } from '../../engine/ports';
import { RULES } from '../../rules';
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
 * status or severity then moves the account's summary counters (see recountSummary for their repair).
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
    const byId = new Map(
      items.map((item) => {
        const finding = toFinding(item);
        return [finding.id, finding];
      }),
    );
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
      if (
        await this.table.deleteIf(
          { pk: keys.finding(id), sk: FINDING_SK },
          { expression: 'version = :v', values: { ':v': stored.version } },
        )
      ) {
        await this.moveCounters(stored.finding, undefined);
        return;
      }
    }
    throw new Error(`could not retract finding ${id}: too many concurrent writers`);
  }

  /**
   * Counts every finding again and rewrites the summary counters (reconcile calls it). Counters move with
   * each change of status or severity, in a second write after the finding's: if an invocation dies between
   * the two, the counts are off until this runs.
   */
  async recountSummary(): Promise<void> {
    const tallies = new Map<string, Map<string, Map<string, number>>>();
    for (const status of ['open', 'resolved', 'suppressed']) {
      for (const severity of SEVERITIES) {
        let start: Item | undefined;
        do {
          const page = await this.listByStatus(status, severity, { limit: 100, ...(start ? { start } : {}) });
          for (const finding of page.findings) {
            for (const [sk, counter] of counterKeys(finding)) {
              const byItem = tallies.get(finding.account) ?? new Map<string, Map<string, number>>();
              const counters = byItem.get(sk) ?? new Map<string, number>();
              counters.set(counter, (counters.get(counter) ?? 0) + 1);
              byItem.set(sk, counters);
              tallies.set(finding.account, byItem);
            }
          }
          start = page.next;
        } while (start);
      }
    }
    for (const [account, byItem] of tallies) {
      for (const [sk, counters] of byItem) {
        await this.table.put({ pk: keys.summary(account), sk, ...Object.fromEntries(counters) });
      }
    }
  }

  /** The account's summary counters: by status and severity (`open#high`), and per rule (`rule-id` → `open`: n). */
  async summaryCounters(
    account: string,
  ): Promise<{ byStatus: Record<string, number>; byRule: Record<string, Record<string, number>> }> {
    const items = await this.table.queryAll({ KeyConditionExpression: 'pk = :pk', values: { ':pk': keys.summary(account) } });
    const counters = (item: Item) =>
      Object.fromEntries(
        Object.entries(item)
          .filter(([name]) => name !== 'pk' && name !== 'sk')
          .map(([name, value]) => [name, Number(value)]),
      );
    const byStatus = counters(items.find((item) => item.sk === 'STATUS') ?? {});
    const byRule = Object.fromEntries(
      items.filter((item) => String(item.sk).startsWith('RULE#')).map((item) => [String(item.sk).slice(5), counters(item)]),
    );
    return { byStatus, byRule };
  }

  /**
   * Suppresses a finding by a person's decision (the API): reason, who, until when. A suppression that
   * expires re-opens the finding at its next occurrence. Undefined when there is no such finding.
   */
  async suppress(id: string, suppression: { reason: string; by: string; until?: string }): Promise<Finding | undefined> {
    return this.change(id, (finding) => ({
      ...finding,
      status: 'suppressed',
      suppression,
      alert: { ...finding.alert, state: finding.alert.state === 'pending' ? 'none' : finding.alert.state },
    }));
  }

  /** Re-opens a resolved or suppressed finding by a person's decision (the API). */
  async reopen(id: string): Promise<Finding | undefined> {
    return this.change(id, (finding) => {
      const { suppression: _s, resolvedAt: _r, resolution: _why, ...rest } = finding;
      return { ...rest, status: 'open' };
    });
  }

  private async change(id: string, next: (finding: Finding) => Finding): Promise<Finding | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.load(id);
      if (!stored) return undefined;
      const changed = next(stored.finding);
      if (
        await this.write(
          changed,
          stored,
          changed.status === 'open' && stored.finding.status !== 'open' ? Date.now() : stored.openedAt,
        )
      )
        return changed;
    }
    throw new Error(`could not change finding ${id}: too many concurrent writers`);
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
    // The rule's title, rationale and remediation are not stored: they come from the registry when read, and
    // leaving them out keeps most findings under 1 KB, so a repeat costs one write unit.
    // Neither is anything derivable (id from the key, names from the resource, `at` equals lastSeen).
    const { title: _t, rationale: _r, remediation: _m, id: _i, resourceName: _n, roleName: _o, at: _a, ...kept } = finding;
    const item: Item = {
      pk: keys.finding(finding.id),
      sk: FINDING_SK,
      ...kept,
      version,
      openedAt,
      gsi1pk: keys.findingsByStatus(finding.status, finding.severity),
      gsi1sk: keys.findingsByStatusSort(openedAt, finding.id),
      gsi2pk: keys.findingsByResource(finding.account, finding.resource),
      gsi2sk: finding.id,
    };
    const condition = stored
      ? { expression: 'version = :v', values: { ':v': stored.version } }
      : { expression: 'attribute_not_exists(pk)' };
    if (!(await this.table.put(item, condition))) return false;
    await this.moveCounters(stored?.finding, finding);
    return true;
  }

  /**
   * Moves the summary counters for a finding going from `before` to `after` (either may be absent): one
   * small item per account for status × severity, one per rule for its statuses.
   */
  private async moveCounters(before: Finding | undefined, after: Finding | undefined): Promise<void> {
    const deltas = new Map<string, Map<string, number>>();
    const move = (finding: Finding | undefined, sign: number) => {
      if (!finding) return;
      for (const [sk, counter] of counterKeys(finding)) {
        const counters = deltas.get(sk) ?? new Map<string, number>();
        counters.set(counter, (counters.get(counter) ?? 0) + sign);
        deltas.set(sk, counters);
      }
    };
    move(before, -1);
    move(after, +1);
    const account = (after ?? before)?.account ?? '';
    for (const [sk, counters] of deltas) {
      const changed = [...counters].filter(([, delta]) => delta !== 0);
      if (changed.length > 0) await this.table.update({ pk: keys.summary(account), sk }, addExpression(changed));
    }
  }
}

/** The summary counters a finding counts in: [item sort key, counter name]. */
function counterKeys(finding: Finding): [string, string][] {
  return [
    ['STATUS', `${finding.status}#${finding.severity}`],
    [`RULE#${finding.ruleId}`, finding.status],
  ];
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
  const rule = RULES_BY_ID.get(String(finding.ruleId));
  const resource = String(finding.resource);
  const name = resourceName(resource);
  return {
    id: String(item.pk).slice('FINDING#'.length),
    title: rule?.title ?? String(finding.ruleId),
    rationale: rule?.rationale ?? '',
    remediation: rule?.remediation ?? '',
    resourceName: name,
    ...(resource.includes(':role/') ? { roleName: name } : {}),
    at: Number(finding.lastSeen),
    ...finding,
  } as Finding;
}

const RULES_BY_ID = new Map(RULES.map((rule) => [rule.id, rule]));
