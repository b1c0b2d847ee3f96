import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeArchive } from '../../shared/bench/processes';
import { trailEventsInOrder } from '../../shared/cli/replayOrder';
import { compareTrailEvents } from '../../shared/cloudtrail/order';
import { mixWithRoleChanges, streamRecords } from '../../shared/syntheticTrail/stream';
import { runCli } from '../support/cli';

/** `rolewatch evaluate` over an archive laid out as CloudTrail writes it, merged by time as it is read. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-replay-'));
  writeArchive(path.join(dir, 'archive'), 3_000, 'replay-order');
  writeArchive(path.join(dir, 'long'), 9_000, 'replay-long');
  // The same records as one JSON Lines file, in time order.
  const lines = [...streamRecords(3_000, 'replay-order', mixWithRoleChanges(0.1))].map((r) => JSON.stringify(r));
  writeFileSync(path.join(dir, 'all.jsonl'), `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replaying an archive of CloudTrail log files', () => {
  it('reads the Region folders one after the other but gives every event once, in eventTime order', async () => {
    const stats = { files: 0, filesOpened: 0, late: 0, heldBack: 0 };
    const events = [];
    // 75 minutes of records in 5-minute files; a window of 6 minutes covers how long before its delivery a file's
    // events are: memory holds about a window and a delivery period of events, not the archive.
    for await (const event of trailEventsInOrder([path.join(dir, 'long')], { windowMs: 6 * 60_000, onError: () => {}, stats }))
      events.push(event);
    expect(events).toHaveLength(9_000);
    expect(events.map((e) => e.eventId)).toEqual([...events].sort(compareTrailEvents).map((e) => e.eventId));
    const regions = readdirSync(path.join(dir, 'long/AWSLogs/123456789012/CloudTrail'));
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(stats.files).toBeGreaterThanOrEqual(30);
    expect(stats.late).toBe(0);
    expect(stats.heldBack).toBeLessThan(9_000 / 4);
  });

  it('finds in the archive exactly what it finds in the same records as one time-ordered file', async () => {
    const archive = await runCli('evaluate', path.join(dir, 'archive'), '--format', 'jsonl');
    const single = await runCli('evaluate', path.join(dir, 'all.jsonl'), '--format', 'jsonl');
    expect(archive.code).toBe(0);
    expect(archive.stdout.split('\n').length).toBeGreaterThan(10);
    expect(archive.stdout).toBe(single.stdout);
    expect(archive.stderr).not.toMatch(/later than the reorder window/);
  }, 60_000);

  it('says how many events came later than the window, and refuses a window that is not a number of minutes', async () => {
    const late = await runCli('evaluate', path.join(dir, 'archive'), '--format', 'jsonl', '--reorder-window', '0.01');
    expect(late.code).toBe(0);
    expect(late.stderr).toMatch(/\d+ events read later than the reorder window/);
    const bad = await runCli('evaluate', path.join(dir, 'archive'), '--reorder-window', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--reorder-window');
  }, 60_000);
});
