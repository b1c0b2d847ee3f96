/**
 * Agreement and speed against @cloud-copilot/iam-simulate on the AWS-managed policies (a measurement, not a
 * test; nothing here ships). iam-simulate is AGPL-licensed, so it is never a dependency of RoleWatch: this
 * script installs a pinned version into a temporary folder with npm and loads it from there.
 *
 *   npx tsx test/measure/simulateAgreement.ts [--limit N]
 *
 * The question both answer, for every managed policy of the corpus and every action of the escalation
 * catalogue: is the action allowed by the policy on some resource (request on `*`, conditions satisfiable:
 * iam-simulate's Discovery mode; RoleWatch's conditioned grants)? Recall is the share of iam-simulate's
 * "allowed" pairs that RoleWatch also allows; both tools answer the same pairs in the same run, and the
 * ratio of their times is reported.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ESCALATION_PATHS } from '../../shared/analysis/escalationPaths';
import { escalationMethods, isAllowed } from '../../shared/analysis/permissions';
import { parsePolicy } from '../../shared/policy/parse';
import type { PolicyDocument } from '../../shared/policy/types';

const SIMULATOR = '@cloud-copilot/iam-simulate@0.1.173';
const MANAGED_DIR = path.resolve(__dirname, '../fixtures/corpus/policies/managed');
const ACCOUNT = '123456789012';

interface SimulatorModule {
  runSimulation(simulation: unknown, options: unknown): Promise<{ resultType: string; overallResult?: string }>;
}

function installSimulator(): { module: SimulatorModule; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-iam-simulate-'));
  writeFileSync(path.join(dir, 'package.json'), '{"private":true}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', SIMULATOR], {
    cwd: dir,
    stdio: 'ignore',
  });
  const load = createRequire(path.join(dir, 'index.js'));
  return {
    module: load('@cloud-copilot/iam-simulate') as SimulatorModule,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function main(): Promise<void> {
  const limitAt = process.argv.indexOf('--limit');
  const limit = limitAt > 0 ? Number(process.argv[limitAt + 1]) : Number.POSITIVE_INFINITY;
  const files = readdirSync(MANAGED_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .slice(0, limit);
  const policies = files.map((file) => {
    const text = readFileSync(path.join(MANAGED_DIR, file), 'utf8');
    const parsed = parsePolicy(text);
    return { name: file.replace(/\.json$/, ''), raw: JSON.parse(text) as unknown, doc: parsed.ok ? parsed.document : undefined };
  });
  const actions = [...new Set(ESCALATION_PATHS.flatMap((p) => p.steps.map((s) => s.action)))].sort();
  const pairs = policies.length * actions.length;
  const { module: simulator, cleanup } = installSimulator();
  try {
    // iam-simulate: one simulation per pair.
    const theirs = new Map<string, boolean>();
    let errors = 0;
    const simulateStart = process.hrtime.bigint();
    for (const policy of policies)
      for (const action of actions) {
        const result = await simulator.runSimulation(
          {
            request: {
              principal: `arn:aws:iam::${ACCOUNT}:role/probe`,
              action,
              resource: { resource: '*', accountId: ACCOUNT },
              contextVariables: {},
            },
            identityPolicies: [{ name: policy.name, policy: policy.raw }],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          { simulationMode: 'Discovery' },
        );
        if (result.resultType === 'error') errors += 1;
        theirs.set(`${policy.name}|${action}`, result.overallResult === 'Allowed');
      }
    const simulateMs = Number(process.hrtime.bigint() - simulateStart) / 1e6;

    // RoleWatch: the same pairs, then the escalation paths of every policy (what the rules ask).
    const ours = new Map<string, boolean>();
    const oursStart = process.hrtime.bigint();
    for (const policy of policies)
      for (const action of actions)
        ours.set(`${policy.name}|${action}`, policy.doc !== undefined && isAllowed([policy.doc as PolicyDocument], action));
    const oursMs = Number(process.hrtime.bigint() - oursStart) / 1e6;
    const pathsStart = process.hrtime.bigint();
    let escalating = 0;
    for (const policy of policies) if (policy.doc && escalationMethods([policy.doc]).length > 0) escalating += 1;
    const pathsMs = Number(process.hrtime.bigint() - pathsStart) / 1e6;

    let both = 0;
    let onlyTheirs = 0;
    let onlyOurs = 0;
    const missed: string[] = [];
    for (const [key, allowed] of theirs) {
      const mine = ours.get(key) === true;
      if (allowed && mine) both += 1;
      else if (allowed) {
        onlyTheirs += 1;
        if (missed.length < 15) missed.push(key);
      } else if (mine) onlyOurs += 1;
    }
    const recall = both / Math.max(1, both + onlyTheirs);
    const precision = both / Math.max(1, both + onlyOurs);
    process.stdout.write(
      `${[
        `policies ${policies.length}, actions ${actions.length}, pairs ${pairs} (iam-simulate errors ${errors})`,
        `allowed by both ${both}, only iam-simulate ${onlyTheirs}, only RoleWatch ${onlyOurs}`,
        `recall ${recall.toFixed(4)}, precision ${precision.toFixed(4)}`,
        `time: iam-simulate ${simulateMs.toFixed(0)} ms, RoleWatch ${oursMs.toFixed(0)} ms (${(simulateMs / Math.max(oursMs, 0.001)).toFixed(1)}x faster)`,
        `RoleWatch escalation paths of every policy: ${pathsMs.toFixed(0)} ms, ${escalating} policies escalate`,
        ...(missed.length > 0 ? [`first pairs only iam-simulate allows: ${missed.join(', ')}`] : []),
      ].join('\n')}\n`,
    );
  } finally {
    cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
