import { deliveryTime, Heap, type MergeFile, type MergeStats, mergeByTime } from '../../shared/cli/merge';
import { compareTrailEvents } from '../../shared/cloudtrail/order';
import type { TrailEvent } from '../../shared/cloudtrail/types';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-02T00:00:00Z');

function event(time: number, id: string, eventName = 'AssumeRole'): TrailEvent {
  return {
    eventId: id,
    eventName,
    eventSource: eventName === 'AssumeRole' ? 'sts.amazonaws.com' : 'iam.amazonaws.com',
    eventTime: new Date(time).toISOString(),
    time,
    account: '123456789012',
    region: 'us-east-1',
    actor: { type: 'AWSService' },
    readOnly: false,
    request: {},
    response: {},
    additional: {},
    resources: [],
  };
}

/**
 * A trail as CloudTrail delivers it: every 5 minutes one file per region, holding that region's events of the
 * 5 minutes before its delivery, in time order.
 */
function trail(minutes: number, regions: readonly string[], perMinute: number) {
  const files = new Map<string, TrailEvent[]>();
  let n = 0;
  for (let m = 0; m < minutes; m++) {
    for (const region of regions) {
      const delivered = T0 + (Math.floor(m / 5) + 1) * 5 * MINUTE;
      const stamp = new Date(delivered).toISOString().replace(/[-:]/g, '').slice(0, 13);
      const name = `AWSLogs/123456789012/CloudTrail/${region}/123456789012_CloudTrail_${region}_${stamp}Z_abc.json.gz`;
      const list = files.get(name) ?? [];
      for (let i = 0; i < perMinute; i++)
        list.push(event(T0 + m * MINUTE + Math.floor((i * MINUTE) / perMinute), `e${String(n++).padStart(6, '0')}`));
      files.set(name, list);
    }
  }
  return files;
}

async function collect(files: Map<string, TrailEvent[]>, windowMs: number, from?: (name: string) => number) {
  const stats: MergeStats = { files: 0, filesOpened: 0, late: 0, heldBack: 0 };
  const list: MergeFile[] = [...files.keys()].map((file) => ({
    file,
    from: from ? from(file) : (deliveryTime(file) ?? Number.NEGATIVE_INFINITY) - windowMs,
  }));
  const opened: string[] = [];
  const out: TrailEvent[] = [];
  const openedWhenFirst: number[] = [];
  async function* open(file: string) {
    opened.push(file);
    yield* files.get(file) ?? [];
  }
  for await (const e of mergeByTime(list, open, { windowMs, stats })) {
    out.push(e);
    openedWhenFirst.push(stats.filesOpened);
  }
  return { out, stats, opened, openedWhenFirst };
}

describe('deliveryTime', () => {
  it("reads the delivery time of CloudTrail's log file names, and nothing else", () => {
    expect(deliveryTime('x/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz')).toBe(
      Date.parse('2015-08-01T02:10:00Z'),
    );
    expect(deliveryTime('trail.jsonl.gz')).toBeUndefined();
    expect(deliveryTime('111122223333_CloudTrail-Digest_us-east-2_20150801T0210Z_x.json.gz')).toBeUndefined();
    expect(deliveryTime('111122223333_CloudTrail_us-east-2_20151341T0210Z_x.json.gz')).toBeUndefined();
  });
});

describe('mergeByTime', () => {
  it('gives the events of many files, listed region by region, in eventTime order, every one once', async () => {
    const files = trail(120, ['us-east-1', 'eu-west-1', 'ap-south-1'], 7);
    // Listed as a directory walk lists them: one region's whole day, then the next.
    const all = [...files.values()].flat();
    const { out, stats } = await collect(files, 15 * MINUTE);
    expect(out.map((e) => e.eventId)).toEqual([...all].sort(compareTrailEvents).map((e) => e.eventId));
    expect(stats.late).toBe(0);
    expect(stats.filesOpened).toBe(files.size);
  });

  it('holds back about one window of events, not the input, and opens files only as the replay reaches them', async () => {
    const files = trail(600, ['us-east-1', 'eu-west-1'], 10);
    const { out, stats, openedWhenFirst } = await collect(files, 15 * MINUTE);
    expect(out).toHaveLength(600 * 2 * 10);
    // A window of 15 minutes plus one delivery period, two regions, 10 events a minute: ~400 events.
    expect(stats.heldBack).toBeLessThan(2 * 10 * 25);
    expect(openedWhenFirst[0]).toBeLessThan(12);
  });

  it('passes an event later than the window on as late, after newer ones, and counts it', async () => {
    const files = trail(60, ['us-east-1'], 4);
    const [lastFile] = [...files.keys()].slice(-1);
    // A file delivered last holds one event from an hour before.
    const straggler = event(T0 - 60 * MINUTE, 'straggler');
    files.get(lastFile as string)?.unshift(straggler);
    const { out, stats } = await collect(files, 15 * MINUTE);
    expect(stats.late).toBe(1);
    expect(out).toHaveLength(60 * 4 + 1);
    expect(out.findIndex((e) => e.eventId === 'straggler')).toBeGreaterThan(100);
  });

  it('puts events of one second in causal order whatever file they are in', async () => {
    const at = T0 + 30_000;
    const files = new Map<string, TrailEvent[]>([
      ['a.json', [event(at, 'z-attach', 'AttachRolePolicy')]],
      ['b.json', [event(at, 'y-delete', 'DeleteRole'), event(at + 1000, 'w-later')]],
      ['c.json', [event(at, 'x-create', 'CreateRole')]],
    ]);
    const { out } = await collect(files, MINUTE, () => Number.NEGATIVE_INFINITY);
    expect(out.map((e) => e.eventId)).toEqual(['x-create', 'z-attach', 'y-delete', 'w-later']);
  });

  it('merges files whose start is known from a first reading (not CloudTrail names), out of order within the window', async () => {
    const files = new Map<string, TrailEvent[]>([
      ['one.jsonl', [event(T0 + 2000, 'b'), event(T0 + 1000, 'a'), event(T0 + 9000, 'e')]],
      ['two.jsonl', [event(T0 + 3000, 'c'), event(T0 + 8000, 'd')]],
    ]);
    const starts: Record<string, number> = { 'one.jsonl': T0 + 1000, 'two.jsonl': T0 + 3000 };
    const { out, stats } = await collect(files, 5000, (name) => starts[name] ?? 0);
    expect(out.map((e) => e.eventId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(stats.late).toBe(0);
  });
});

describe('Heap', () => {
  it('pops in order', () => {
    const heap = new Heap<number>((a, b) => a - b);
    const values = [5, 3, 9, 1, 1, 7, 2, 8, 6, 4, 0];
    for (const v of values) heap.push(v);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop() as number);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
  });
});
