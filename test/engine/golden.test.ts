import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { collectTrailEvents } from '../../shared/cloudtrail/read';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import type { Config } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import { demoConfig, demoEvents } from '../../shared/demo/scenario';
import type { Finding } from '../../shared/findings/finding';
import { RULE_IDS } from '../../shared/rules/index';
import { generateStream, mixWithRoleChanges, streamConfig } from '../../shared/syntheticTrail/stream';
import { runCli } from '../support/cli';
import { CORPUS } from '../support/corpus';

/**
 * Golden replays: what the engine finds in the demo day, the third-party corpus and generated streams (in
 * order, and with events arriving late), compared with what it found when the files were written. Any
 * change to a finding, a transition, a resolution or an assumption count fails here. The files keep the
 * rule ids they were written with and only those rules are compared, so adding a rule changes nothing here;
 * after a reviewed change of behaviour, rewrite them with `UPDATE_ENGINE_GOLDENS=1 npx jest test/engine/golden`.
 */
const GOLDEN = path.resolve(__dirname, '../fixtures/golden');
const update = process.env.UPDATE_ENGINE_GOLDENS === '1';

/** What one replay produced, in a form that compares exactly. */
interface Replay {
  rules: string[];
  /** Per event that recorded or resolved something: eventId, status, [findingId, ruleId, transition]..., resolved ids. */
  steps: [string, string, [string, string, string][], string[]][];
  /** Final findings, without the rule's own constant texts (title, rationale, remediation). */
  findings: Omit<Finding, 'title' | 'rationale' | 'remediation'>[];
  edges: { roleArn: string; source: string; count: number; firstSeen: number; lastSeen: number; regions: string[] }[];
  warnings: string[];
}

async function replay(events: readonly TrailEvent[], config: Config): Promise<Replay> {
  const warnings: string[] = [];
  const { engine, store } = createMemoryContext({
    config,
    logger: { warn: (message, data) => warnings.push(`${message} ${String(data?.eventId ?? '')}`) },
  });
  const steps: Replay['steps'] = [];
  for (const event of events) {
    const result = await engine.process(event);
    const recorded = result.findings.map(({ finding, transition }): [string, string, string] => [
      finding.id,
      finding.ruleId,
      transition,
    ]);
    const resolved = result.resolved.map((finding) => finding.id);
    if (recorded.length > 0 || resolved.length > 0) steps.push([result.eventId, result.status, recorded, resolved]);
  }
  const findings = (await store.allFindings())
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map(({ title: _t, rationale: _r, remediation: _m, ...finding }) => finding);
  const edges = (await store.assumptions())
    .map(({ roleArn, source, count, firstSeen, lastSeen, regions }) => ({ roleArn, source, count, firstSeen, lastSeen, regions }))
    .sort((a, b) => (a.roleArn + a.source < b.roleArn + b.source ? -1 : 1));
  return { rules: [...RULE_IDS].sort(), steps, findings, edges, warnings };
}

/** The replay restricted to the rules the golden file knew (rules added since do not count). */
function restrict(current: Replay, rules: readonly string[]): Replay {
  const known = new Set(rules);
  const ruleOf = new Map(current.findings.map((f) => [f.id, f.ruleId]));
  const steps: Replay['steps'] = [];
  for (const [eventId, status, recorded, resolved] of current.steps) {
    const kept = recorded.filter(([, ruleId]) => known.has(ruleId));
    const keptResolved = resolved.filter((id) => known.has(ruleOf.get(id) ?? ''));
    if (kept.length > 0 || keptResolved.length > 0) steps.push([eventId, status, kept, keptResolved]);
  }
  return {
    ...current,
    rules: [...rules],
    steps,
    findings: current.findings.filter((f) => known.has(f.ruleId)),
  };
}

function compareWithGolden(name: string, current: Replay): void {
  const file = path.join(GOLDEN, `${name}.json`);
  if (update) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, `${JSON.stringify(current)}\n`);
  }
  expect(existsSync(file)).toBe(true);
  const golden = JSON.parse(readFileSync(file, 'utf8')) as Replay;
  const restricted = restrict(current, golden.rules);
  // Piece by piece, so that a failure names what changed before printing the whole replay.
  expect(restricted.steps.length).toBe(golden.steps.length);
  expect(restricted.findings.map((f) => f.id)).toEqual(golden.findings.map((f) => f.id));
  expect(restricted.steps).toEqual(golden.steps);
  expect(restricted.findings).toEqual(golden.findings);
  expect(restricted.edges).toEqual(golden.edges);
  expect(restricted.warnings).toEqual(golden.warnings);
}

/** Moves every `stride`-th event `by` places later: a stream where some events arrive after newer ones. */
function withLateArrivals<T>(items: readonly T[], stride: number, by: number): T[] {
  const out = [...items];
  for (let i = 0; i + by < out.length; i += stride) {
    const [late] = out.splice(i, 1);
    out.splice(i + by, 0, late as T);
  }
  return out;
}

describe('golden replays: the engine finds today what it found when these files were written', () => {
  it('the demo day', async () => {
    compareWithGolden(
      'demo',
      await replay(
        demoEvents().map((record) => parseTrailRecord(record)),
        demoConfig(),
      ),
    );
  });

  it('the demo day backwards: every role change and assumption arrives before the ones that preceded it', async () => {
    const events = demoEvents().map((record) => parseTrailRecord(record));
    compareWithGolden('demo-backwards', await replay(events.reverse(), demoConfig()));
  });

  it('the third-party corpus, every events file in eventTime order', async () => {
    const events = await collectTrailEvents([path.join(CORPUS, 'events')], () => {});
    expect(events.length).toBeGreaterThan(50);
    compareWithGolden('corpus', await replay(events, streamConfig()));
  });

  it('a generated stream where IAM role changes are a tenth of the watched events', async () => {
    const events = generateStream(10_000, 'golden', mixWithRoleChanges(0.1)).map((record) => parseTrailRecord(record));
    compareWithGolden('stream-iam10', await replay(events, streamConfig()));
  }, 60_000);

  it('an IAM-heavy stream with events arriving late (role changes and assumptions out of order)', async () => {
    const events = generateStream(3_000, 'golden-late', mixWithRoleChanges(0.4)).map((record) => parseTrailRecord(record));
    compareWithGolden('stream-late', await replay(withLateArrivals(events, 3, 40), streamConfig()));
  }, 60_000);
});

describe('golden CLI replay of the corpus', () => {
  const eventFiles = readdirSync(path.join(CORPUS, 'events'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json'))
    .sort();

  it('rolewatch evaluate reports the same findings, in the same order, for the whole directory', async () => {
    // The corpus's INDEX.jsonl describes the files and holds no CloudTrail record: its lines are skipped.
    const { code, stdout } = await runCli('evaluate', path.join(CORPUS, 'events'), '--format', 'jsonl', '--allow-partial');
    expect(code).toBe(0);
    const file = path.join(GOLDEN, 'corpus-cli.json');
    const rows = stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { ruleId: string });
    if (update) writeFileSync(file, `${JSON.stringify({ rules: [...RULE_IDS].sort(), files: eventFiles.length, rows })}\n`);
    const golden = JSON.parse(readFileSync(file, 'utf8')) as { rules: string[]; rows: { ruleId: string }[] };
    const known = new Set(golden.rules);
    expect(rows.filter((row) => known.has(row.ruleId))).toEqual(golden.rows);
  });
});
