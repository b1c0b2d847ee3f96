import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { analysePermissions, escalationMethods } from '../analysis/permissions';
import { runCommand } from '../cli/main';
import { formatTable } from '../cli/output';
import { parseTrailRecord } from '../cloudtrail/parse';
import { createMemoryContext } from '../context';
import { ValidationError } from '../errors';
import { awsManagedPolicy, awsManagedPolicyArns } from '../policy/managed';
import type { PolicyDocument } from '../policy/types';
import { generateStream, mixWithRoleChanges, streamConfig } from '../syntheticTrail/stream';
import { type ApiBenchResult, measureApi } from './api';
import { type CapacityReport, measureCapacity } from './capacity';
import { type MemoryReport, measureMemory, measureStartup, STARTUP_SPAWNS, type StartupReport } from './processes';

/** Evaluate throughput should be at least this share of JSON.parse alone. */
export const TARGET_RATIO = 0.5;
const RECORDS_PER_FILE = 100;
const WARM_UP_EVENTS = 5_000;

/** Per-function targets: a bundle that loads fast keeps cold starts short. */
export const FUNCTION_TARGETS = { bundleBytes: 1_000_000, initMs: 100 } as const;
const INIT_SPAWNS = 5;
/** Packaging takes seconds; much longer means it is stuck (e.g. node_modules being reinstalled under it). */
const PACKAGE_TIMEOUT_MS = 120_000;
const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** Median cost targets of one event inside engine.process, by kind, in microseconds. */
export const KIND_TARGETS_US = { iamChange: 100, assumption: 10 } as const;
/** Shares of the watched events that are IAM role changes, in the two mixes measured. */
const MIXES = [
  { name: 'iam10', roleChangeShare: 0.1 },
  { name: 'iam1', roleChangeShare: 0.01 },
] as const;

const HELP = `usage: npm run bench -- [options]

Measures, in one run and on one generated CloudTrail stream (a management-event trail: half other
services' reads, a third AssumeRole, other writes, web identity, 1% IAM role changes over 300 roles,
failed calls; 1-3 KB per record, like real ones):
  plain     baseline = JSON.parse of each record; evaluate = what rolewatch evaluate does with it: JSON.parse,
            drop calls nothing watches, parseTrailRecord + engine.process (fresh in-memory context, eventTime order)
  gzipped   the same on CloudTrail log files ({"Records": [...]}, ${RECORDS_PER_FILE} records each), gunzip in both
  managed   analysePermissions + escalationMethods over every AWS-managed policy of the bundled dataset
  functions the Lambda packages osls builds (npx osls package into a temporary directory): size of each
            bundled handler.js and of its zip, and module init time = require() of handler.js in a fresh
            node process (NODE_PATH at the project's node_modules for the AWS SDK, which the Lambda
            runtime provides), median of ${INIT_SPAWNS} processes; targets < 1 MB and < ${FUNCTION_TARGETS.initMs} ms
  capacity  DynamoDB write capacity units per event (ReturnConsumedCapacity) on DynamoDB Local, by kind:
            AssumeRole by a principal already seen on that role (target <= 2), IAM changes (target <= 5);
            assumptions in SQS batches as on-role-assumed gets them (100 records, 10 s), each charged its
            share of its edge's writes
  mixes     the plain pipeline on two more streams, where IAM role changes are 10% and 1% of the watched
            events (assumptions, role changes, failed calls): the ratio of each (target >= ${TARGET_RATIO}), and the
            median cost of each kind of event inside engine.process (IAM change target <= ${KIND_TARGETS_US.iamChange} us,
            assumption <= ${KIND_TARGETS_US.assumption} us)
  startup   rolewatch --help against a bare node -e 0, in fresh processes, median of ${STARTUP_SPAWNS} each (target <= 3x)
  memory    peak RSS (resource usage of the child process) of rolewatch evaluate over a generated archive
            of CloudTrail log files (5-minute files in two Region folders), N and 4N events (default N = 100000):
            target 4N within 1.3x of N and under 400 MB
  api       p50/p99 latency of GET /findings?severity=high&limit=50 and GET /summary through the local server
            with 100,000 findings in DynamoDB Local (target p99 < 50 ms)
Each figure is the median of the rounds, after a warm-up. The target is evaluate/baseline >= ${TARGET_RATIO}.

options:
  --events N    events in the stream (default 100000)
  --rounds N    measured rounds (default 3)
  --seed S      stream seed (default 1)
  --json        print one JSON document instead of the table
  --no-functions  skip packaging and measuring the Lambda functions (quick runs)
  --capacity-events N  events of the stream replayed on DynamoDB Local (default 20000)
  --no-capacity   skip the DynamoDB capacity measurement (quick runs)
  --api-findings N     findings stored for the API latency figures (default 100000)
  --no-api        skip the API latency measurement (quick runs)
  --no-reconcile  skip the reconcile simulation (2,000 accounts, virtual time) and its DynamoDB measurement
  --no-mixes      skip the 10% and 1% IAM-change streams
  --no-startup    skip the start-up measurement
  --memory-events N    events of the smaller replay for the memory figures (default 100000; the larger has 4N)
  --no-memory     skip the memory measurement
`;

/** One measured pipeline. */
export interface Measure {
  medianMs: number;
  eventsPerSecond: number;
  roundsMs: number[];
}

/** A pipeline measured against its baseline. */
export interface Comparison {
  baseline: Measure;
  evaluate: Measure;
  /** evaluate events/s ÷ baseline events/s. */
  ratio: number;
  meetsTarget: boolean;
  /** Findings the last evaluate round recorded: evidence that the rules ran. */
  findings: number;
}

/** One Lambda function's package, measured. */
export interface FunctionMeasure {
  name: string;
  /** Bytes of the bundled handler.js. */
  bundleBytes: number;
  /** Bytes of the deployment zip (bundle and data files). */
  zipBytes: number;
  /** Median time to require() handler.js in a fresh node process. */
  initMs: number;
  meetsTargets: boolean;
}

/** The cost of one kind of event inside engine.process, over the last measured round. */
export interface KindCost {
  events: number;
  medianUs: number;
  p90Us: number;
  meanUs: number;
}

/** The plain pipeline on a stream where IAM role changes are a given share of the watched events. */
export interface MixReport extends Comparison {
  name: string;
  /** IAM role changes ÷ watched events, as generated. */
  roleChangeShare: number;
  perKind: { iamChange: KindCost; assumption: KindCost; other: KindCost };
  kindTargetsUs: typeof KIND_TARGETS_US;
}

/** What `npm run bench -- --json` prints. */
export interface BenchReport {
  node: string;
  cpus: number;
  events: number;
  rounds: number;
  seed: string;
  targetRatio: number;
  recordBytes: { mean: number; min: number; max: number };
  plain: Comparison;
  gzipped: Comparison & { files: number; recordsPerFile: number; compressedBytes: number };
  managedPolicies: {
    policies: number;
    /** Reading and parsing the bundled dataset. */
    loadMs: number;
    /** The first analysis of every policy, caches cold. */
    firstRunMs: number;
    /** Median of the rounds, on fresh copies of the documents (analysis results are memoised per document). */
    medianMs: number;
    adminEquivalent: number;
    escalationHits: number;
  };
  /** The Lambda packages; absent with --no-functions, empty (see functionsNote) when osls could not package. */
  functions?: FunctionMeasure[];
  /** Why the functions were not measured. */
  functionsNote?: string;
  /** Write capacity per event on DynamoDB Local; absent with --no-capacity. */
  capacity?: CapacityReport;
  /** Reporting API latency on DynamoDB Local; absent with --no-api. */
  api?: ApiBenchResult;
  /** The 10% and 1% IAM-change streams; absent with --no-mixes. */
  mixes?: MixReport[];
  /** `rolewatch --help` against `node -e 0`; absent with --no-startup. */
  startup?: StartupReport;
  /** Peak RSS of rolewatch evaluate over N and 4N events; absent with --no-memory. */
  memory?: MemoryReport;
}

/** `npm run bench`: prints the table, or with --json the {@link BenchReport}. No figure is judged here: exit 0. */
export async function runBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      'no-functions': { type: 'boolean' },
      'no-capacity': { type: 'boolean' },
      'capacity-events': { type: 'string' },
      'no-api': { type: 'boolean' },
      'api-findings': { type: 'string' },
      'no-reconcile': { type: 'boolean' },
      'no-mixes': { type: 'boolean' },
      'no-startup': { type: 'boolean' },
      'no-memory': { type: 'boolean' },
      'memory-events': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const events = positiveInteger('--events', values.events, 100_000);
  const rounds = positiveInteger('--rounds', values.rounds, 3);
  const report = await bench({
    events,
    rounds,
    seed: values.seed ?? '1',
    functions: values['no-functions'] !== true,
    capacityEvents: values['no-capacity'] ? 0 : positiveInteger('--capacity-events', values['capacity-events'], 20_000),
    apiFindings: values['no-api'] ? 0 : positiveInteger('--api-findings', values['api-findings'], 100_000),
    mixes: values['no-mixes'] !== true,
    startup: values['no-startup'] !== true,
    memoryEvents: values['no-memory'] ? 0 : positiveInteger('--memory-events', values['memory-events'], 100_000),
    progress: process.stderr.isTTY === true,
  });
  // Reconcile over an organization: a simulation in virtual time, with DynamoDB capacity measured here.
  const reconcile = values['no-reconcile'] ? undefined : await (await import('./reconcileSimulation')).reconcileBench();
  process.stdout.write(
    values.json
      ? `${JSON.stringify(reconcile ? { ...report, reconcile: reconcile.report } : report, null, 2)}\n`
      : `${formatReport(report)}\n${reconcile ? `\n${reconcile.text}\n` : ''}`,
  );
  return 0;
}

/**
 * Runs every measurement. `progress` writes a line to stderr as each step starts; `functions: false` skips
 * packaging and measuring the Lambda functions.
 */
export async function bench(options: {
  events: number;
  rounds: number;
  seed: string;
  functions?: boolean;
  /** Events replayed on DynamoDB Local for the capacity figures; 0 skips them. */
  capacityEvents?: number;
  /** Findings stored for the API latency figures; 0 skips them. */
  apiFindings?: number;
  /** Measure the 10% and 1% IAM-change streams. */
  mixes?: boolean;
  /** Measure `rolewatch --help` start-up against `node -e 0`. */
  startup?: boolean;
  /** Events of the smaller replay for the memory figures (the larger has 4×); 0 skips them. */
  memoryEvents?: number;
  progress?: boolean;
}): Promise<BenchReport> {
  const step = (message: string) => {
    if (options.progress) process.stderr.write(`bench: ${message}\n`);
  };
  // Before the engine runs: its AttachRolePolicy handling would warm the analysis caches this measures cold.
  step('AWS-managed policies');
  const managedPolicies = measureManagedPolicies(options.rounds);

  step(`generating ${options.events.toLocaleString('en-US')} events`);
  // Only the serialised stream is kept: the generated objects would stay on the heap through the rounds and
  // every full GC of the engine's runs would mark them, a cost `rolewatch evaluate` reading files never has.
  const { texts, files } = serialise(generateStream(options.events, options.seed));
  const eventCount = texts.length;
  const sizes = texts.map((text) => Buffer.byteLength(text));

  step('warm-up');
  const warmTexts = texts.slice(0, WARM_UP_EVENTS);
  const warmFiles = files.slice(0, Math.ceil(WARM_UP_EVENTS / RECORDS_PER_FILE));
  parsePlain(warmTexts);
  await evaluatePlain(warmTexts);
  parseFiles(warmFiles);
  await evaluateFiles(warmFiles);

  const plain = { baseline: [] as number[], evaluate: [] as number[], findings: 0 };
  const gzipped = { baseline: [] as number[], evaluate: [] as number[], findings: 0 };
  for (let round = 1; round <= options.rounds; round++) {
    step(`round ${round}/${options.rounds}`);
    // Baseline and evaluate alternate, so that drift (heat, other load) affects both alike.
    plain.baseline.push(timed(() => parsePlain(texts)).ms);
    const plainRun = await timedAsync(() => evaluatePlain(texts));
    plain.evaluate.push(plainRun.ms);
    plain.findings = plainRun.value;
    gzipped.baseline.push(timed(() => parseFiles(files)).ms);
    const fileRun = await timedAsync(() => evaluateFiles(files));
    gzipped.evaluate.push(fileRun.ms);
    gzipped.findings = fileRun.value;
  }

  const mixes: MixReport[] = [];
  if (options.mixes) {
    for (const mix of MIXES) {
      step(`IAM role changes ${mix.roleChangeShare * 100}% of watched events`);
      mixes.push(await measureMix(mix, options));
    }
  }

  // Last: the packaging and the child processes must not heat the machine under the in-process figures.
  let startup: StartupReport | undefined;
  if (options.startup) {
    step('start-up: rolewatch --help against node -e 0');
    startup = measureStartup();
  }
  let memory: MemoryReport | undefined;
  if (options.memoryEvents) {
    step(
      `peak memory of rolewatch evaluate over ${options.memoryEvents.toLocaleString('en-US')} and ${(4 * options.memoryEvents).toLocaleString('en-US')} events`,
    );
    memory = await measureMemory(options.memoryEvents, options.seed);
  }

  let functions: Pick<BenchReport, 'functions' | 'functionsNote'> = {};
  if (options.functions !== false) {
    step('Lambda functions (osls package, then fresh node processes)');
    functions = await measureFunctions();
  }

  let capacity: CapacityReport | undefined;
  if (options.capacityEvents) {
    step(`DynamoDB capacity on ${options.capacityEvents.toLocaleString('en-US')} events (DynamoDB Local)`);
    const replayed: Record<string, unknown>[] = texts.slice(0, options.capacityEvents).map((text) => JSON.parse(text));
    capacity = await measureCapacity(replayed, streamConfig());
  }

  let api: ApiBenchResult | undefined;
  if (options.apiFindings) {
    step(`reporting API on ${options.apiFindings.toLocaleString('en-US')} findings (DynamoDB Local)`);
    api = await measureApi({ findings: options.apiFindings });
  }

  return {
    node: process.version,
    cpus: availableParallelism(),
    events: eventCount,
    rounds: options.rounds,
    seed: options.seed,
    targetRatio: TARGET_RATIO,
    recordBytes: {
      mean: Math.round(sizes.reduce((sum, size) => sum + size, 0) / Math.max(1, sizes.length)),
      min: Math.min(...sizes),
      max: Math.max(...sizes),
    },
    plain: compare(eventCount, plain),
    gzipped: {
      ...compare(eventCount, gzipped),
      files: files.length,
      recordsPerFile: RECORDS_PER_FILE,
      compressedBytes: files.reduce((sum, file) => sum + file.length, 0),
    },
    managedPolicies,
    ...functions,
    ...(capacity ? { capacity } : {}),
    ...(api ? { api } : {}),
    ...(mixes.length > 0 ? { mixes } : {}),
    ...(startup ? { startup } : {}),
    ...(memory ? { memory } : {}),
  };
}

/** The plain pipeline on one mix: baseline and evaluate alternating over the rounds, per-kind costs of the last. */
async function measureMix(
  mix: (typeof MIXES)[number],
  options: { events: number; rounds: number; seed: string },
): Promise<MixReport> {
  const texts = generateStream(options.events, options.seed, mixWithRoleChanges(mix.roleChangeShare)).map((record) =>
    JSON.stringify(record),
  );
  await evaluateTimed(texts.slice(0, WARM_UP_EVENTS));
  const runs = { baseline: [] as number[], evaluate: [] as number[], findings: 0 };
  let costs: MixReport['perKind'] | undefined;
  for (let round = 1; round <= options.rounds; round++) {
    runs.baseline.push(timed(() => parsePlain(texts)).ms);
    const run = await timedAsync(() => evaluateTimed(texts));
    runs.evaluate.push(run.ms);
    runs.findings = run.value.findings;
    costs = run.value.perKind;
  }
  const watched = costs ? costs.iamChange.events + costs.assumption.events + costs.other.events : 0;
  return {
    name: mix.name,
    roleChangeShare: Math.round(((costs?.iamChange.events ?? 0) / Math.max(1, watched)) * 1000) / 1000,
    ...compare(texts.length, runs),
    perKind: costs ?? { iamChange: kindCost([]), assumption: kindCost([]), other: kindCost([]) },
    kindTargetsUs: KIND_TARGETS_US,
  };
}

/** The plain evaluate pipeline, timing each engine.process by kind of event. */
async function evaluateTimed(texts: readonly string[]): Promise<{ findings: number; perKind: MixReport['perKind'] }> {
  const { engine } = freshContext();
  let findings = 0;
  const times = { iamChange: [] as number[], assumption: [] as number[], other: [] as number[] };
  for (const text of texts) {
    const record: unknown = JSON.parse(text);
    if (!engine.isWatchedRecord(record)) continue;
    const event = parseTrailRecord(record);
    const start = performance.now();
    findings += (await engine.process(event)).findings.length;
    const us = (performance.now() - start) * 1000;
    const failed = event.errorCode !== undefined;
    if (!failed && event.eventSource === 'iam.amazonaws.com') times.iamChange.push(us);
    else if (!failed && event.eventSource === 'sts.amazonaws.com' && event.eventName.startsWith('AssumeRole'))
      times.assumption.push(us);
    else times.other.push(us);
  }
  return {
    findings,
    perKind: { iamChange: kindCost(times.iamChange), assumption: kindCost(times.assumption), other: kindCost(times.other) },
  };
}

function kindCost(us: number[]): KindCost {
  const sorted = [...us].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    events: us.length,
    medianUs: round(median(sorted)),
    p90Us: round(at(0.9)),
    meanUs: round(us.reduce((sum, value) => sum + value, 0) / Math.max(1, us.length)),
  };
}

/** The stream as the two pipelines read it: one JSON text per record, and gzipped log files. */
function serialise(records: readonly unknown[]): { texts: string[]; files: Buffer[] } {
  const texts = records.map((record) => JSON.stringify(record));
  const files: Buffer[] = [];
  for (let i = 0; i < records.length; i += RECORDS_PER_FILE) {
    files.push(gzipSync(JSON.stringify({ Records: records.slice(i, i + RECORDS_PER_FILE) })));
  }
  return { texts, files };
}

// The pipelines. Each returns something derived from every record, so that no work can be skipped.

function parsePlain(texts: readonly string[]): number {
  let objects = 0;
  for (const text of texts) if (JSON.parse(text) !== null) objects += 1;
  return objects;
}

async function evaluatePlain(texts: readonly string[]): Promise<number> {
  const { engine } = freshContext();
  let findings = 0;
  for (const text of texts) {
    const record: unknown = JSON.parse(text);
    if (engine.isWatchedRecord(record)) findings += (await engine.process(parseTrailRecord(record))).findings.length;
  }
  return findings;
}

function parseFiles(files: readonly Buffer[]): number {
  let records = 0;
  for (const file of files) records += recordsOf(JSON.parse(gunzipSync(file).toString('utf8'))).length;
  return records;
}

async function evaluateFiles(files: readonly Buffer[]): Promise<number> {
  const { engine } = freshContext();
  let findings = 0;
  for (const file of files) {
    for (const record of recordsOf(JSON.parse(gunzipSync(file).toString('utf8')))) {
      if (engine.isWatchedRecord(record)) findings += (await engine.process(parseTrailRecord(record))).findings.length;
    }
  }
  return findings;
}

function recordsOf(log: unknown): unknown[] {
  const records = log !== null && typeof log === 'object' ? (log as { Records?: unknown }).Records : undefined;
  return Array.isArray(records) ? records : [];
}

function freshContext() {
  collectGarbage();
  return createMemoryContext({ config: streamConfig() });
}

function measureManagedPolicies(rounds: number): BenchReport['managedPolicies'] {
  const load = timed(() =>
    awsManagedPolicyArns().flatMap((arn) => {
      const document = awsManagedPolicy(arn)?.document;
      return document ? [document] : [];
    }),
  );
  const documents = load.value;
  const analyse = (docs: readonly PolicyDocument[]) => {
    let adminEquivalent = 0;
    let escalationHits = 0;
    for (const doc of docs) {
      if (analysePermissions(doc).adminEquivalent.length > 0) adminEquivalent += 1;
      escalationHits += escalationMethods([doc]).length;
    }
    return { adminEquivalent, escalationHits };
  };
  const first = timed(() => analyse(documents));
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const copies = documents.map((doc) => structuredClone(doc));
    collectGarbage();
    times.push(timed(() => analyse(copies)).ms);
  }
  return {
    policies: documents.length,
    loadMs: round1(load.ms),
    firstRunMs: round1(first.ms),
    medianMs: round1(median(times)),
    ...first.value,
  };
}

/** Packages the service with osls into a temporary directory and measures every function's zip. */
async function measureFunctions(): Promise<Pick<BenchReport, 'functions' | 'functionsNote'>> {
  if (!existsSync(path.join(PROJECT_ROOT, 'serverless.yml')))
    return { functions: [], functionsNote: `skipped: no serverless.yml in ${PROJECT_ROOT}` };
  const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-bench-'));
  try {
    try {
      await promisify(execFile)('npx', ['osls', 'package', '--stage', 'bench', '--package', dir], {
        cwd: PROJECT_ROOT,
        timeout: PACKAGE_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      return { functions: [], functionsNote: `skipped: osls package failed: ${packageFailure(error)}` };
    }
    const zips = readdirSync(dir)
      .filter((file) => file.endsWith('.zip'))
      .sort();
    if (zips.length === 0) return { functions: [], functionsNote: 'skipped: osls packaged no function zip' };
    try {
      return { functions: zips.map((zip) => measureFunction(dir, zip)) };
    } catch (error) {
      // A handler that cannot even be loaded is reported, not hidden behind a crash of the whole bench.
      return { functions: [], functionsNote: `failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The line of osls's output that says why packaging failed. */
function packageFailure(error: unknown): string {
  const { stderr, stdout, killed, message } = error as { stderr?: string; stdout?: string; killed?: boolean; message?: string };
  if (killed) return `no result after ${PACKAGE_TIMEOUT_MS / 1000} s`;
  const lines = `${stdout ?? ''}\n${stderr ?? ''}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('npm warn'));
  return lines.find((line) => /error/i.test(line)) ?? lines.at(-1) ?? message ?? 'unknown error';
}

function measureFunction(dir: string, zip: string): FunctionMeasure {
  const name = zip.replace(/\.zip$/, '');
  const archive = readFileSync(path.join(dir, zip));
  // Unpacked like Lambda's /var/task: the handler finds its data files under the working directory.
  const taskRoot = path.join(dir, name);
  let bundleBytes = 0;
  let handler: string | undefined;
  for (const [entry, content] of unzip(archive)) {
    const target = path.join(taskRoot, entry);
    if (!target.startsWith(taskRoot + path.sep)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    if (path.basename(entry) === 'handler.js') {
      bundleBytes = content.length;
      handler = target;
    }
  }
  if (!handler) throw new Error(`${zip} holds no handler.js`);
  const runs = Array.from({ length: INIT_SPAWNS }, () => initTime(handler, taskRoot, name));
  const initMs = round1(median(runs));
  return {
    name,
    bundleBytes,
    zipBytes: archive.length,
    initMs,
    meetsTargets: bundleBytes < FUNCTION_TARGETS.bundleBytes && initMs < FUNCTION_TARGETS.initMs,
  };
}

/** Milliseconds a fresh node process takes to require() the handler module and find its export. */
function initTime(handler: string, taskRoot: string, name: string): number {
  const script = [
    'const start = process.hrtime.bigint();',
    'const mod = require(process.argv[1]);',
    'const ms = Number(process.hrtime.bigint() - start) / 1e6;',
    "if (typeof mod.handler !== 'function') { process.stderr.write('no handler export'); process.exit(1); }",
    'process.stdout.write(String(ms));',
  ].join('\n');
  const output = execFileSync(process.execPath, ['-e', script, handler], {
    cwd: taskRoot,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: `rolewatch-bench-${name}`,
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const ms = Number(output);
  if (!Number.isFinite(ms)) throw new Error(`cannot time ${name}: ${output}`);
  return ms;
}

/** The files of a zip archive (stored or deflated entries, as osls writes them), from its central directory. */
function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip archive');
  const entries = archive.readUInt16LE(end + 10);
  let offset = archive.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < entries; i++) {
    if (archive.readUInt32LE(offset) !== 0x02014b50) throw new Error('bad zip central directory');
    const method = archive.readUInt16LE(offset + 10);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localHeader = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
    const data = archive.subarray(dataStart, dataStart + compressedSize);
    if (method !== 0 && method !== 8) throw new Error(`${name}: unsupported zip compression method ${method}`);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
  }
  return files;
}

// Measuring

function timed<T>(run: () => T): { ms: number; value: T } {
  collectGarbage();
  const start = performance.now();
  const value = run();
  return { ms: performance.now() - start, value };
}

async function timedAsync<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  collectGarbage();
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

let gc: (() => void) | undefined;

/**
 * A full collection before each measurement, so that none pays for the garbage of the one before it.
 * `--expose-gc` cannot be passed through `npm run`; setting the flag at run time exposes `gc` to new contexts.
 */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    const candidate: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    gc = typeof candidate === 'function' ? () => candidate() : () => {};
  }
  gc();
}

function compare(events: number, runs: { baseline: number[]; evaluate: number[]; findings: number }): Comparison {
  const baseline = measure(events, runs.baseline);
  const evaluate = measure(events, runs.evaluate);
  const ratio = baseline.eventsPerSecond > 0 ? evaluate.eventsPerSecond / baseline.eventsPerSecond : 0;
  return {
    baseline,
    evaluate,
    ratio: Math.round(ratio * 1000) / 1000,
    meetsTarget: ratio >= TARGET_RATIO,
    findings: runs.findings,
  };
}

function measure(events: number, roundsMs: number[]): Measure {
  const medianMs = median(roundsMs);
  return {
    medianMs: round1(medianMs),
    eventsPerSecond: medianMs > 0 ? Math.round((events / medianMs) * 1000) : 0,
    roundsMs: roundsMs.map(round1),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function positiveInteger(option: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new ValidationError(option, `must be a positive integer, got "${value}"`);
  return parsed;
}

// Output

function formatReport(report: BenchReport): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const row = (name: string, c: Comparison) => [
    name,
    `${n(c.baseline.eventsPerSecond)} ev/s`,
    `${n(c.evaluate.eventsPerSecond)} ev/s`,
    c.ratio.toFixed(3),
    c.meetsTarget ? `>= ${report.targetRatio}: met` : `>= ${report.targetRatio}: MISSED`,
  ];
  const m = report.managedPolicies;
  return [
    `RoleWatch bench: ${n(report.events)} events (seed ${report.seed}), median of ${report.rounds} round(s) after warm-up, node ${report.node}, ${report.cpus} CPU(s)`,
    `records: ${n(report.recordBytes.mean)} bytes on average (${n(report.recordBytes.min)}-${n(report.recordBytes.max)}); ` +
      `${n(report.gzipped.files)} gzipped log files of ${report.gzipped.recordsPerFile} records, ${n(report.gzipped.compressedBytes)} bytes`,
    '',
    formatTable(
      ['PIPELINE', 'BASELINE (JSON.parse)', 'EVALUATE (parse + engine)', 'RATIO', 'TARGET'],
      [row('plain records', report.plain), row('gzipped log files', report.gzipped)],
    ),
    '',
    `AWS-managed policies: ${n(m.policies)} analysed (analysePermissions + escalationMethods) in ${n(m.firstRunMs)} ms cold, ` +
      `${n(m.medianMs)} ms warm (median); dataset load ${n(m.loadMs)} ms; ${m.adminEquivalent} admin-equivalent, ${n(m.escalationHits)} escalation hits`,
    ...formatFunctions(report),
    ...formatCapacity(report),
    ...formatMixes(report),
    ...formatStartupAndMemory(report),
    ...formatApi(report),
  ].join('\n');
}

function formatMixes(report: BenchReport): string[] {
  if (!report.mixes) return [];
  const n = (value: number) => value.toLocaleString('en-US');
  const us = (cost: KindCost, target?: number) =>
    `${cost.medianUs} us (p90 ${cost.p90Us}, mean ${cost.meanUs})${target === undefined ? '' : cost.medianUs <= target ? ' met' : ' MISSED'}`;
  return [
    '',
    `IAM-change mixes (plain records; cost = median time of engine.process per event; targets IAM change <= ${KIND_TARGETS_US.iamChange} us, assumption <= ${KIND_TARGETS_US.assumption} us):`,
    formatTable(
      ['MIX', 'IAM SHARE OF WATCHED', 'RATIO', 'TARGET', 'IAM CHANGE', 'ASSUMPTION', 'OTHER WATCHED'],
      report.mixes.map((mix) => [
        `${mix.name} (${n(mix.evaluate.eventsPerSecond)} ev/s)`,
        `${(mix.roleChangeShare * 100).toFixed(1)}%`,
        mix.ratio.toFixed(3),
        mix.meetsTarget ? `>= ${report.targetRatio}: met` : `>= ${report.targetRatio}: MISSED`,
        us(mix.perKind.iamChange, KIND_TARGETS_US.iamChange),
        us(mix.perKind.assumption, KIND_TARGETS_US.assumption),
        us(mix.perKind.other),
      ]),
    ),
  ];
}

function formatStartupAndMemory(report: BenchReport): string[] {
  const lines: string[] = [];
  const { startup, memory } = report;
  if (startup)
    lines.push(
      '',
      `Start-up: rolewatch --help ${startup.helpMs} ms, node -e 0 ${startup.nodeMs} ms (median of ${startup.spawns}): ` +
        `${startup.ratio}x, target <= ${startup.targetRatio}x ${startup.meetsTarget ? 'met' : 'MISSED'}`,
    );
  if (memory) {
    const row = (m: MemoryReport['small']) =>
      `${m.events.toLocaleString('en-US')} events (${m.files} files): peak RSS ${m.peakRssMb} MB, ${m.seconds} s`;
    lines.push(
      '',
      `Memory of rolewatch evaluate (child process, gzipped 5-minute log files in two Region folders): ${row(memory.small)}; ` +
        `${row(memory.large)}; ratio ${memory.ratio} (targets <= ${memory.targets.ratio}, < ${memory.targets.peakMb} MB: ${memory.meetsTargets ? 'met' : 'MISSED'})`,
    );
  }
  return lines;
}

function formatApi(report: BenchReport): string[] {
  const api = report.api;
  if (!api) return [];
  return [
    '',
    `Reporting API (${api.findings.toLocaleString('en-US')} findings, ${api.roles.toLocaleString('en-US')} roles in DynamoDB Local; local server, sequential requests):`,
    formatTable(
      ['REQUEST', 'P50', 'P99', 'MAX', 'TARGET'],
      api.endpoints.map((e) => [
        `GET ${e.target}`,
        `${e.p50Ms} ms`,
        `${e.p99Ms} ms`,
        `${e.maxMs} ms`,
        `p99 < ${api.targetP99Ms} ms: ${e.p99Ms < api.targetP99Ms ? 'met' : 'MISSED'}`,
      ]),
    ),
  ];
}

function formatCapacity(report: BenchReport): string[] {
  const capacity = report.capacity;
  if (!capacity) return [];
  const kinds: [keyof CapacityReport['wcuPerEvent'], string, number | undefined][] = [
    ['assumeRoleSeen', 'AssumeRole, principal already seen', capacity.targets.assumeRoleSeen],
    ['assumeRoleNew', 'AssumeRole, first time', undefined],
    ['iamChange', 'IAM role and policy changes', capacity.targets.iamChange],
    ['roleCreated', 'CreateRole', undefined],
    ['otherWatched', 'other watched events', undefined],
  ];
  const batches = capacity.assumptionBatches;
  return [
    '',
    `DynamoDB write capacity per event (${capacity.events.toLocaleString('en-US')} watched events on DynamoDB Local, ReturnConsumedCapacity;`,
    `assumptions in ${batches.batches.toLocaleString('en-US')} SQS batches of up to 100 within ${batches.windowSeconds} s of event time, ${batches.meanRecords} records on average, each charged a share of its batch's commit):`,
    formatTable(
      ['EVENTS', 'COUNT', 'MEAN WCU', 'MAX WCU', 'TARGET'],
      kinds.map(([kind, label, target]) => {
        const k = capacity.wcuPerEvent[kind];
        return [
          label,
          String(k.events),
          k.meanWcu.toFixed(2),
          String(k.maxWcu),
          target === undefined ? '-' : `<= ${target}: ${k.meanWcu <= target ? 'met' : 'MISSED'}`,
        ];
      }),
    ),
  ];
}

function formatFunctions(report: BenchReport): string[] {
  if (report.functions === undefined) return [];
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    '',
    `Lambda functions (osls package; init = require() of handler.js in a fresh node process, median of ${INIT_SPAWNS}; AWS SDK from node_modules):`,
  ];
  if (report.functionsNote) return [...lines, report.functionsNote];
  const kb = (bytes: number) => `${n(Math.round(bytes / 1024))} KB`;
  return [
    ...lines,
    formatTable(
      [
        'FUNCTION',
        'HANDLER.JS',
        'ZIP',
        'INIT',
        `TARGET (< ${FUNCTION_TARGETS.bundleBytes / 1_000_000} MB, < ${FUNCTION_TARGETS.initMs} ms)`,
      ],
      report.functions.map((fn) => [
        fn.name,
        kb(fn.bundleBytes),
        kb(fn.zipBytes),
        `${n(fn.initMs)} ms`,
        fn.meetsTargets ? 'met' : 'MISSED',
      ]),
    ),
  ];
}

/** `npm run bench`: the benchmark, run as its own command (it is tooling, not part of `rolewatch`). */
export function main(argv: string[]): Promise<number> {
  return runCommand('bench', runBench, argv);
}

// dist/bench.js, run by `npm run bench` (built first by prebench).
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
