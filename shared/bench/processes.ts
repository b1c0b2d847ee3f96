import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { mixWithRoleChanges, STREAM_ACCOUNT, streamRecords } from '../syntheticTrail/stream';

/** What the figures measured in child processes are compared with. */
export const STARTUP_TARGET_RATIO = 3;
export const MEMORY_TARGETS = { ratio: 1.3, peakMb: 400 } as const;
export const STARTUP_SPAWNS = 10;
const PROJECT_ROOT = path.resolve(__dirname, '../..');
const COMMAND = path.join(PROJECT_ROOT, 'shared/cli/rolewatch.js');
/** CloudTrail delivers a file per Region about every 5 minutes. */
const DELIVERY_MS = 5 * 60_000;
const REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** `rolewatch --help` against a bare `node -e 0`, each in fresh processes. */
export interface StartupReport {
  spawns: number;
  nodeMs: number;
  helpMs: number;
  /** helpMs ÷ nodeMs. */
  ratio: number;
  targetRatio: number;
  meetsTarget: boolean;
}

/** One `rolewatch evaluate` over a generated archive, in a child process. */
export interface ReplayMemory {
  events: number;
  files: number;
  /** Peak resident set size of the process (getrusage ru_maxrss). */
  peakRssMb: number;
  seconds: number;
  eventsPerSecond: number;
}

export interface MemoryReport {
  small: ReplayMemory;
  large: ReplayMemory;
  /** large.peakRssMb ÷ small.peakRssMb. */
  ratio: number;
  targets: typeof MEMORY_TARGETS;
  meetsTargets: boolean;
}

/** Median wall time of `node -e 0` and of `rolewatch --help`, spawned alternately. */
export function measureStartup(): StartupReport {
  const node: number[] = [];
  const help: number[] = [];
  const time = (args: string[]) => {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
    return performance.now() - start;
  };
  // One of each first: the files come into the page cache.
  time(['-e', '0']);
  time([COMMAND, '--help']);
  for (let i = 0; i < STARTUP_SPAWNS; i++) {
    node.push(time(['-e', '0']));
    help.push(time([COMMAND, '--help']));
  }
  const nodeMs = middle(node);
  const helpMs = middle(help);
  const ratio = Math.round((helpMs / nodeMs) * 100) / 100;
  return {
    spawns: STARTUP_SPAWNS,
    nodeMs: Math.round(nodeMs * 10) / 10,
    helpMs: Math.round(helpMs * 10) / 10,
    ratio,
    targetRatio: STARTUP_TARGET_RATIO,
    meetsTarget: ratio <= STARTUP_TARGET_RATIO,
  };
}

/**
 * Writes archives of `events` and 4 × `events` generated records (IAM role changes a tenth of the watched
 * events) as CloudTrail lays them out, and runs `rolewatch evaluate` over each in a child process.
 */
export async function measureMemory(events: number, seed: string): Promise<MemoryReport> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-memory-'));
  try {
    const small = await replayMemory(path.join(dir, 'small'), events, seed);
    const large = await replayMemory(path.join(dir, 'large'), 4 * events, seed);
    const ratio = Math.round((large.peakRssMb / small.peakRssMb) * 100) / 100;
    return {
      small,
      large,
      ratio,
      targets: MEMORY_TARGETS,
      meetsTargets: ratio <= MEMORY_TARGETS.ratio && large.peakRssMb < MEMORY_TARGETS.peakMb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function replayMemory(dir: string, events: number, seed: string): Promise<ReplayMemory> {
  const files = writeArchive(dir, events, seed);
  const rssFile = path.join(dir, 'rss');
  const preload = path.join(dir, 'rss.js');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const start = performance.now();
  await promisify(execFile)(process.execPath, ['--require', preload, COMMAND, 'evaluate', dir, '--format', 'jsonl'], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const seconds = (performance.now() - start) / 1000;
  const peakRssMb = Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024);
  return { events, files, peakRssMb, seconds: Math.round(seconds * 10) / 10, eventsPerSecond: Math.round(events / seconds) };
}

/**
 * The records as CloudTrail delivers them: per Region (two here), one gzipped log file per 5 minutes, named by
 * its delivery time, in `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`. Returns the number of files.
 */
export function writeArchive(dir: string, events: number, seed: string): number {
  let files = 0;
  let windowEnd = Number.NaN;
  const open = new Map<string, unknown[]>();
  const flush = () => {
    const stamp = new Date(windowEnd).toISOString();
    for (const [region, records] of open) {
      if (records.length === 0) continue;
      const folder = path.join(
        dir,
        'AWSLogs',
        STREAM_ACCOUNT,
        'CloudTrail',
        region,
        stamp.slice(0, 4),
        stamp.slice(5, 7),
        stamp.slice(8, 10),
      );
      mkdirSync(folder, { recursive: true });
      const name = `${STREAM_ACCOUNT}_CloudTrail_${region}_${stamp.slice(0, 16).replace(/[-:]/g, '')}Z_${String(files).padStart(16, '0')}.json.gz`;
      writeFileSync(path.join(folder, name), gzipSync(JSON.stringify({ Records: records })));
      files += 1;
    }
    open.clear();
  };
  let n = 0;
  for (const record of streamRecords(events, seed, mixWithRoleChanges(0.1))) {
    const at = Date.parse(String(record.eventTime));
    if (Number.isNaN(windowEnd)) windowEnd = Math.ceil((at + 1) / DELIVERY_MS) * DELIVERY_MS;
    if (at >= windowEnd) {
      flush();
      windowEnd = Math.ceil((at + 1) / DELIVERY_MS) * DELIVERY_MS;
    }
    const region = REGIONS[n++ % REGIONS.length] as string;
    const list = open.get(region) ?? [];
    list.push(record);
    open.set(region, list);
  }
  flush();
  return files;
}

function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
