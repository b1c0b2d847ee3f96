import { parseTrailRecord } from '../cloudtrail/parse';
import type { Config } from '../config/config';
import { createDynamoEngine, createDynamoStores, DEFAULT_RETENTION } from '../context';
import type { EngineBatch } from '../engine/engine';
import { StaticIamReader } from '../iam/reader';
import type { AssumptionFailure, AssumptionObservation } from '../ports/roleState';
import { ASSUMPTION_EVENTS } from '../roles/roleEvents';
import { DynamoStateStore } from '../store/dynamo/DynamoStateStore';
import type { DynamoTable } from '../store/dynamo/DynamoTable';
import { createTable, startDynamoLocal } from '../store/dynamoLocal';
import { CapacityMeter } from './capacityMeter';

/** Write capacity consumed per event, by kind of event. */
export interface CapacityReport {
  events: number;
  /** Mean WCU per event of each kind, with how many events of that kind were measured. */
  wcuPerEvent: Record<CapacityKind, { events: number; meanWcu: number; maxWcu: number }>;
  /** How the assumptions were batched, as on-role-assumed's queue would: size of the batches, and their limits. */
  assumptionBatches: { batches: number; meanRecords: number; maxRecords: number; windowSeconds: number };
  targets: { assumeRoleSeen: number; iamChange: number };
  meetsTargets: { assumeRoleSeen: boolean; iamChange: boolean };
}

type CapacityKind = 'assumeRoleSeen' | 'assumeRoleNew' | 'iamChange' | 'roleCreated' | 'otherWatched';

/** On-role-assumed's event source mapping (serverless.yml): batches of up to 100, 10 s batching window. */
const BATCH_RECORDS = 100;
const BATCH_WINDOW_MS = 10_000;

/** An SQS batch being filled: its engine batch, when it opened (event time), and what its records cost. */
interface OpenBatch {
  engine: EngineBatch;
  opened: number;
  records: number;
  /** The assumptions the batch will count when it commits: their kind and what processing each cost. */
  counted: { eventId: string; kind: CapacityKind; wcu: number }[];
}

/**
 * The DynamoDB state store, recording a batch's assumptions edge by edge (as it does anyway) to charge each
 * assumption its share of its own edge's writes: the edge's update (or creation, with its index entries) and
 * the log entries.
 */
class ChargingStateStore extends DynamoStateStore {
  /** What recording each assumption cost, by eventID. */
  readonly charged = new Map<string, number>();

  constructor(
    table: DynamoTable,
    private readonly meter: CapacityMeter,
  ) {
    super(table, DEFAULT_RETENTION);
  }

  override async recordAssumptions(observations: readonly AssumptionObservation[]): Promise<AssumptionFailure[]> {
    const edges = new Map<string, AssumptionObservation[]>();
    for (const o of observations) {
      const edge = `${o.account}\u0000${o.roleArn}\u0000${o.source}`;
      edges.set(edge, [...(edges.get(edge) ?? []), o]);
    }
    const failures: AssumptionFailure[] = [];
    for (const group of edges.values()) {
      const before = this.meter.write;
      failures.push(...(await super.recordAssumptions(group)));
      for (const o of group) this.charged.set(o.eventId, (this.meter.write - before) / group.length);
    }
    return failures;
  }
}

/**
 * Replays records through the engine on DynamoDB Local (started and stopped here) and reads the write
 * capacity every call reports (ReturnConsumedCapacity), per event: AssumeRole by a principal already seen
 * assuming that role, AssumeRole by a new one, CreateRole, the other IAM role and policy changes, and the
 * rest the engine watches. Assumptions go through SQS batches as on-role-assumed gets them (up to 100 records,
 * closed 10 s of event time after their first: events arrive about as fast as they happen): each is charged
 * what processing it cost plus its share of its edge's writes when the batch commits.
 * Other events are processed one by one, as on-iam-change does.
 */
export async function measureCapacity(records: readonly Record<string, unknown>[], config: Config): Promise<CapacityReport> {
  const local = await startDynamoLocal();
  try {
    await createTable(local.client, 'rolewatch-bench');
    const meter = new CapacityMeter();
    const stores = createDynamoStores({ client: local.client, tableName: 'rolewatch-bench', meter });
    const state = new ChargingStateStore(stores.table, meter);
    const engine = createDynamoEngine({ stores: { ...stores, state }, config, iam: new StaticIamReader(), alerting: false });
    const totals: Record<CapacityKind, { events: number; wcu: number; max: number }> = {
      assumeRoleSeen: { events: 0, wcu: 0, max: 0 },
      assumeRoleNew: { events: 0, wcu: 0, max: 0 },
      iamChange: { events: 0, wcu: 0, max: 0 },
      roleCreated: { events: 0, wcu: 0, max: 0 },
      otherWatched: { events: 0, wcu: 0, max: 0 },
    };
    const charge = (kind: CapacityKind, wcu: number) => {
      totals[kind].events += 1;
      totals[kind].wcu += wcu;
      totals[kind].max = Math.max(totals[kind].max, wcu);
    };
    const sizes: number[] = [];
    let open: OpenBatch | undefined;
    const commit = async (batch: OpenBatch) => {
      const failures = await batch.engine.commit();
      if (failures.length > 0) throw new Error(`${failures.length} assumption(s) not recorded`, { cause: failures[0]?.error });
      for (const { eventId, kind, wcu } of batch.counted) charge(kind, wcu + (state.charged.get(eventId) ?? 0));
      state.charged.clear();
      sizes.push(batch.records);
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
      if (event.eventSource === 'sts.amazonaws.com' && ASSUMPTION_EVENTS.has(event.eventName)) {
        if (open && (open.records >= BATCH_RECORDS || event.time - open.opened > BATCH_WINDOW_MS)) {
          await commit(open);
          open = undefined;
        }
        open ??= { engine: engine.batch(), opened: event.time, records: 0, counted: [] };
        open.records += 1;
        const before = meter.write;
        const result = await open.engine.process(event);
        const used = meter.write - before;
        // Only an assumption the batch counts has a share of its commit (a duplicate or a failed call has none).
        if (result.status === 'processed' && !event.errorCode) open.counted.push({ eventId: event.eventId, kind, wcu: used });
        else charge(kind, used);
        continue;
      }
      const before = meter.write;
      await engine.process(event);
      charge(kind, meter.write - before);
    }
    if (open) await commit(open);
    const wcuPerEvent = Object.fromEntries(
      Object.entries(totals).map(([kind, t]) => [
        kind,
        { events: t.events, meanWcu: round2(t.events ? t.wcu / t.events : 0), maxWcu: round2(t.max) },
      ]),
    ) as CapacityReport['wcuPerEvent'];
    const targets = { assumeRoleSeen: 2, iamChange: 5 };
    return {
      events: Object.values(totals).reduce((sum, t) => sum + t.events, 0),
      wcuPerEvent,
      assumptionBatches: {
        batches: sizes.length,
        meanRecords: round2(sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0),
        maxRecords: Math.max(0, ...sizes),
        windowSeconds: BATCH_WINDOW_MS / 1000,
      },
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
