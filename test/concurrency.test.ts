import { mapLimit } from '../shared/concurrency';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([30, 10, 20, 5, 1], 2, async (ms) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await tick(ms);
      inFlight -= 1;
      return ms * 2;
    });
    expect(results).toEqual([60, 20, 40, 10, 2]);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure and throws it once the calls in flight have settled', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick(n === 1 ? 1 : 20);
      settled.push(n);
      if (n === 1) throw new Error('throttled');
      return n;
    });
    await expect(run).rejects.toThrow('throttled');
    expect(started).toEqual([1, 2]);
    expect(settled).toEqual([1, 2]);
  });

  it('maps an empty list to an empty list', async () => {
    expect(await mapLimit([], 4, async (n: number) => n)).toEqual([]);
  });
});
