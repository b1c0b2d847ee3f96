/**
 * Order and duplication: CloudTrail delivers at least once and out of order, so the state RoleWatch ends in
 * must not depend on either. A generated stream, concentrated on a few roles so that changes and assumptions
 * interleave, is replayed in order, shuffled (seeded) and with every event twice, through the in-memory engine
 * and through the DynamoDB engine; the roles' live parts, the findings (rule, resource, qualifier, status,
 * count) and the assumption edges' counts must be the same.
 */
import fc from 'fast-check';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import { createDynamoEngine, createMemoryContext } from '../../shared/context';
import type { Engine } from '../../shared/engine/engine';
import { StaticIamReader } from '../../shared/iam/reader';
import type { FindingStore } from '../../shared/ports/findingStore';
import type { StateStore } from '../../shared/ports/roleState';
import { liveParts } from '../../shared/roles/roleRecord';
import { Prng, type TrailRecord } from '../../shared/syntheticTrail/records';
import { generateStream, STREAM_ACCOUNT, streamConfig } from '../../shared/syntheticTrail/stream';
import { useLocalDynamo } from '../support/dynamo';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  events,
  FOREIGN_ACCOUNT,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';

const ROLES = ['alpha', 'bravo', 'charlie', 'delta'].map((name) => `${name}-role`);
const roleArn = (role: string) => `arn:aws:iam::${STREAM_ACCOUNT}:role/${role}`;

/** The role a stream record is about (its roleName, or the role its roleArn names in the stream's account). */
function roleOf(record: TrailRecord): string | undefined {
  const request = record.requestParameters as { roleName?: unknown; roleArn?: unknown } | null | undefined;
  if (typeof request?.roleName === 'string') return request.roleName;
  if (typeof request?.roleArn === 'string' && request.roleArn.startsWith(`arn:aws:iam::${STREAM_ACCOUNT}:role/`))
    return request.roleArn.slice(request.roleArn.lastIndexOf('/') + 1);
  return undefined;
}

/**
 * `count` records of generateStream about roles, with the stream's 300 roles folded onto four: every role
 * name (and the inline policy names derived from it) is renamed, so each of the four roles is created,
 * changed, deleted, re-created and assumed many times over, by services, people, automation, CI and a vendor.
 * Every role change is kept and one assumption in eight (a quarter of the result is changes); reads are left out.
 */
function concentratedStream(count: number, seed: number): TrailEvent[] {
  let assumptions = 0;
  const records = generateStream(count * 12, seed).filter((record) => {
    if (roleOf(record) === undefined) return false;
    if (record.eventSource === 'sts.amazonaws.com') return assumptions++ % 8 === 0;
    return record.readOnly !== true;
  });
  const names = [...new Set(records.map((record) => roleOf(record) ?? ''))].sort(
    (a, b) => b.length - a.length || (a < b ? -1 : 1),
  );
  const renames = names.map((name, i) => [name, ROLES[i % ROLES.length] ?? ''] as const);
  return records.slice(0, count).map((record) => {
    let text = JSON.stringify(record);
    for (const [from, to] of renames) if (text.includes(from)) text = text.split(from).join(to);
    return parseTrailRecord(JSON.parse(text));
  });
}

/** A seeded Fisher–Yates shuffle. */
function shuffled<T>(list: readonly T[], seed: string): T[] {
  const random = new Prng(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Every event twice, the copies interleaved: each one again a few events later. */
function twice<T>(list: readonly T[]): T[] {
  const out: T[] = [];
  list.forEach((item, i) => {
    out.push(item);
    const earlier = list[i - 3];
    if (earlier !== undefined) out.push(earlier);
  });
  out.push(...list.slice(-3));
  return out;
}

/** Where the engine ended, as comparable text: live parts of every role, findings, their counts, edge counts. */
interface FinalState {
  roles: Record<string, unknown>;
  /** rule | resource | qualifier | status */
  findings: string[];
  /** rule | resource | qualifier | count */
  counts: string[];
  edges: string[];
}

async function finalState(state: StateStore, findings: FindingStore): Promise<FinalState> {
  const roles: Record<string, unknown> = {};
  for (const name of await state.roleNames(STREAM_ACCOUNT)) {
    const record = await state.getRole(STREAM_ACCOUNT, name);
    roles[name] = record && liveParts(record);
  }
  const out: FinalState = { roles, findings: [], counts: [], edges: [] };
  for (const role of ROLES) {
    for (const f of await findings.forResource(STREAM_ACCOUNT, roleArn(role))) {
      out.findings.push(`${f.ruleId} | ${f.resource} | ${f.qualifier ?? ''} | ${f.status}`);
      out.counts.push(`${f.ruleId} | ${f.resource} | ${f.qualifier ?? ''} | count ${f.count}`);
    }
    for (const edge of await state.assumptionsOf(STREAM_ACCOUNT, roleArn(role)))
      out.edges.push(`${edge.roleArn} | ${edge.source} | count ${edge.count}`);
  }
  out.findings.sort();
  out.counts.sort();
  out.edges.sort();
  return out;
}

async function replay(engine: Engine, list: readonly TrailEvent[]): Promise<void> {
  for (const event of list) await engine.process(event);
}

async function inMemory(list: readonly TrailEvent[]): Promise<FinalState> {
  const { engine, store } = createMemoryContext({ config: streamConfig() });
  await replay(engine, list);
  return finalState(store, store);
}

/**
 * What arrival order must not change and, as far as these tests show, does not: role state, edge counts, and
 * which findings exist with which status, except those of the one order-dependent rule (see the failing tests).
 */
function orderFree(state: FinalState): Omit<FinalState, 'counts'> {
  return {
    roles: state.roles,
    edges: state.edges,
    findings: state.findings.filter((line) => !line.startsWith(`${ORDER_DEPENDENT} |`)),
  };
}

const ORDER_DEPENDENT = 'assumed-after-trust-change';
const STREAM = concentratedStream(3_000, 7);

describe('the concentrated stream', () => {
  it('changes and assumes the same few roles many times', () => {
    const changes = STREAM.filter((e) => e.eventSource === 'iam.amazonaws.com' && !e.readOnly && !e.errorCode);
    const assumptions = STREAM.filter((e) => e.eventName.startsWith('AssumeRole') && !e.errorCode);
    expect(changes.length).toBeGreaterThan(300);
    expect(assumptions.length).toBeGreaterThan(1_500);
    expect(STREAM.filter((e) => e.eventName === 'DeleteRole').length).toBeGreaterThan(0);
    expect([...new Set(STREAM.map((e) => e.eventName))]).toEqual(
      expect.arrayContaining([
        'CreateRole',
        'PutRolePolicy',
        'AttachRolePolicy',
        'DetachRolePolicy',
        'UpdateAssumeRolePolicy',
        'AssumeRoleWithWebIdentity',
      ]),
    );
  });
});

describe('in-memory engine: order and duplication', () => {
  let reference: FinalState;
  let shuffledOnce: Promise<FinalState> | undefined;
  /** The stream shuffled with the first seed, replayed once for the tests that look at it. */
  const firstShuffle = () => (shuffledOnce ??= inMemory(shuffled(STREAM, 'shuffle-1')));
  beforeAll(async () => {
    reference = await inMemory(STREAM);
  });

  it('in order: ends with role state, findings and edges to compare', () => {
    expect(Object.keys(reference.roles).sort()).toEqual(ROLES);
    expect(reference.findings.length).toBeGreaterThan(20);
    expect(reference.findings.some((line) => line.startsWith(`${ORDER_DEPENDENT} |`))).toBe(true);
    expect(reference.edges.length).toBeGreaterThan(40);
  });

  it('every event twice, interleaved: the same role state, findings, counts and edges', async () => {
    expect(await inMemory(twice(STREAM))).toEqual(reference);
  });

  it.each(['shuffle-1', 'shuffle-2', 'shuffle-3'])(
    'shuffled (%s), also with every event twice: the same role state, edge counts, and findings with their status',
    async (seed) => {
      const arrival = seed === 'shuffle-1' ? firstShuffle() : inMemory(shuffled(STREAM, seed));
      expect(orderFree(await arrival)).toEqual(orderFree(reference));
      expect(orderFree(await inMemory(shuffled(twice(STREAM), seed)))).toEqual(orderFree(reference));
    },
  );

  it('any sub-stream in any order: the same role state, edge counts, and findings with their status (fast-check)', async () => {
    const subStream = fc.subarray(STREAM, { minLength: 1, maxLength: 120 });
    const arrival = subStream.chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }));
    await fc.assert(
      fc.asyncProperty(arrival, async (list) => {
        const inOrder = [...list].sort((a, b) => a.time - b.time || (a.eventId < b.eventId ? -1 : 1));
        expect(orderFree(await inMemory(list))).toEqual(orderFree(await inMemory(inOrder)));
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  // A late role event replays the role's later events: what they produced before is not counted again (every
  // occurrence is remembered), and what they no longer produce is taken back (smallest cases below).
  it('shuffled: the same finding counts as in order (rules other than assumed-after-trust-change)', async () => {
    const counts = (state: FinalState) => state.counts.filter((line) => !line.startsWith(`${ORDER_DEPENDENT} |`));
    expect(counts(await firstShuffle())).toEqual(counts(reference));
  });

  const role = 'r';
  const rulesAfter = async (list: readonly TrailEvent[]) => {
    const { engine, store } = createMemoryContext({ config: streamConfig() });
    await replay(engine, list);
    return (await store.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/${role}`))
      .map((f) => `${f.ruleId} ${f.status} count ${f.count}`)
      .sort();
  };

  it('counts each change once when a change older than twenty others of the role arrives late (22 events)', async () => {
    resetClock();
    const create = createRole(role, trustDocument(`arn:aws:iam::${ACCOUNT}:root`));
    const late = attachRolePolicy(role, 'arn:aws:iam::aws:policy/ReadOnlyAccess');
    const puts = Array.from({ length: 20 }, (_, i) =>
      putRolePolicy(role, `inline-${i}`, {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${i}/*` }],
      }),
    );
    const [created, attached, ...changes] = events(create, late, ...puts);
    if (!created || !attached) throw new Error('no events');
    const inOrder = await rulesAfter([created, attached, ...changes]);
    expect(inOrder).toContain('iam-change-recorded open count 22');
    expect(await rulesAfter([created, ...changes, attached])).toEqual(inOrder);
  });

  it('counts a trust change once when an identical later update arrived before it (3 events)', async () => {
    resetClock();
    const foreign = trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`);
    const [created, changed, repeated] = events(
      createRole(role, trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
      updateTrust(role, foreign),
      updateTrust(role, foreign),
    );
    if (!created || !changed || !repeated) throw new Error('no events');
    const inOrder = await rulesAfter([created, changed, repeated]);
    expect(inOrder).toContain('trust-policy-changed open count 1');
    expect(await rulesAfter([created, repeated, changed])).toEqual(inOrder);
  });

  // BUG (shared/engine/engine.ts processAssumption + shared/rules/assumed-after-trust-change.ts): an assumption
  // is evaluated once, against the trust policy known when it arrives. A trust change older than the assumption
  // that arrives after it is matched only against the edge's lastSeen, and a trust change newer than it that
  // arrives before it hides the principal the earlier change added. Either way the finding depends on arrival
  // order: backdoors used and cleaned up quickly are missed (smallest case below), and findings appear that
  // in-order processing does not give. shared/engine/README.md promises findings "those an in-order arrival would have given".
  it('shuffled: the same assumed-after-trust-change findings as in order', async () => {
    expect((await firstShuffle()).findings).toEqual(reference.findings);
  });

  // Three events: a role created trusting a foreign account, the foreign account assumes it, the trust is
  // narrowed back to the own account. In order the assumption is reported (assumed-after-trust-change, high); if
  // the narrowing arrives before the assumption (assumptions wait up to 10 s in SQS batching; IAM changes are
  // delivered directly), it is not.
  it('reports an assumption by a just-trusted foreign account even when the trust was narrowed before it arrived', async () => {
    resetClock();
    const [created, assumed, narrowed] = events(
      createRole(role, trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)),
      assumeRole(`arn:aws:iam::${ACCOUNT}:role/${role}`, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
      updateTrust(role, trustDocument(`arn:aws:iam::${ACCOUNT}:root`)),
    );
    if (!created || !assumed || !narrowed) throw new Error('no events');
    const inOrder = await rulesAfter([created, assumed, narrowed]);
    expect(inOrder).toContain(`${ORDER_DEPENDENT} open count 1`);
    expect(await rulesAfter([created, narrowed, assumed])).toEqual(inOrder);
  });
});

describe('DynamoDB engine: order and duplication', () => {
  const dynamo = useLocalDynamo();
  const SHORT = STREAM.slice(0, 200);

  async function inDynamo(list: readonly TrailEvent[]): Promise<FinalState> {
    const stores = await dynamo.newStores();
    const engine = createDynamoEngine({ stores, config: streamConfig(), iam: new StaticIamReader() });
    await replay(engine, list);
    return finalState(stores.state, stores.findings);
  }

  let reference: FinalState;
  beforeAll(async () => {
    reference = await inMemory(SHORT);
  });

  it('in order: the same role state, findings, counts and edges as the in-memory engine', async () => {
    expect(reference.findings.length).toBeGreaterThan(10);
    expect(await inDynamo(SHORT)).toEqual(reference);
  }, 60_000);

  it('every event twice, interleaved: the same as in order', async () => {
    expect(await inDynamo(twice(SHORT))).toEqual(reference);
  }, 60_000);

  it('shuffled: the same role state, edge counts, and findings with their status as in order', async () => {
    expect(orderFree(await inDynamo(shuffled(SHORT, 'dynamo-shuffle')))).toEqual(orderFree(reference));
  }, 60_000);
});
