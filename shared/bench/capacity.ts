import { parseTrailRecord } from '../cloudtrail/parse';
import type { Config } from '../config/config';
import { createDynamoEngine, createDynamoStores } from '../context';
import { StaticIamReader } from '../iam/reader';
import { createTable, startDynamoLocal } from '../store/dynamoLocal';
import { CapacityMeter } from './capacityMeter';

/** Write capacity consumed per event, by kind of event. */
export interface CapacityReport {
  events: number;
  /** Mean WCU per event of each kind, with how many events of that kind were measured. */
  wcuPerEvent: Record<CapacityKind, { events: number; meanWcu: number; maxWcu: number }>;
  targets: { assumeRoleSeen: number; iamChange: number };
  meetsTargets: { assumeRoleSeen: boolean; iamChange: boolean };
}

type CapacityKind = 'assumeRoleSeen' | 'assumeRoleNew' | 'iamChange' | 'roleCreated' | 'otherWatched';

/**
 * Replays records through the engine on DynamoDB Local (started and stopped here) and reads the write
 * capacity every call reports (ReturnConsumedCapacity), per event: AssumeRole by a principal already seen
 * assuming that role, AssumeRole by a new one, CreateRole, the other IAM role and policy changes, and the
 * rest the engine watches.
 */
export async function measureCapacity(records: readonly Record<string, unknown>[], config: Config): Promise<CapacityReport> {
  const local = await startDynamoLocal();
  try {
    await createTable(local.client, 'rolewatch-bench');
    const meter = new CapacityMeter();
    const stores = createDynamoStores({ client: local.client, tableName: 'rolewatch-bench', meter });
    const engine = createDynamoEngine({ stores, config, iam: new StaticIamReader(), alerting: false });
    const totals: Record<CapacityKind, { events: number; wcu: number; max: number }> = {
      assumeRoleSeen: { events: 0, wcu: 0, max: 0 },
      assumeRoleNew: { events: 0, wcu: 0, max: 0 },
      iamChange: { events: 0, wcu: 0, max: 0 },
      roleCreated: { events: 0, wcu: 0, max: 0 },
      otherWatched: { events: 0, wcu: 0, max: 0 },
    };
    const seen = new Set<string>();
    for (const record of records) {
      if (!engine.isWatchedRecord(record)) continue;
      const event = parseTrailRecord(record);
      let kind: CapacityKind = event.eventSource === 'iam.amazonaws.com' && !event.errorCode ? 'iamChange' : 'otherWatched';
      // A role's creation opens its first findings (and lists the role): counted apart from later changes.
      if (kind === 'iamChange' && event.eventName === 'CreateRole') kind = 'roleCreated';
      if (event.eventName === 'AssumeRole' && !event.errorCode) {
        const edge = `${String(event.request.roleArn)}\u0000${event.actor.sessionIssuer?.arn ?? event.actor.arn ?? event.actor.invokedBy ?? event.actor.accountId}`;
        kind = seen.has(edge) ? 'assumeRoleSeen' : 'assumeRoleNew';
        seen.add(edge);
      }
      const before = meter.write;
      await engine.process(event);
      const used = meter.write - before;
      totals[kind].events += 1;
      totals[kind].wcu += used;
      totals[kind].max = Math.max(totals[kind].max, used);
    }
    const wcuPerEvent = Object.fromEntries(
      Object.entries(totals).map(([kind, t]) => [
        kind,
        { events: t.events, meanWcu: round2(t.events ? t.wcu / t.events : 0), maxWcu: t.max },
      ]),
    ) as CapacityReport['wcuPerEvent'];
    const targets = { assumeRoleSeen: 1, iamChange: 5 };
    return {
      events: Object.values(totals).reduce((sum, t) => sum + t.events, 0),
      wcuPerEvent,
      targets,
      meetsTargets: {
        assumeRoleSeen: wcuPerEvent.assumeRoleSeen.meanWcu <= targets.assumeRoleSeen,
        iamChange: wcuPerEvent.iamChange.meanWcu <= targets.iamChange,
      },
    };
  } finally {
    await local.stop();
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
