import { runBench, runCli } from '../support/cli';

describe('rolewatch demo', () => {
  it('prints the findings of the day, the backdoor among them, then what to do next', async () => {
    const { code, stdout } = await runCli('demo');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SEVERITY\s+RULE\s+RESOURCE/m);
    expect(stdout).toMatch(/CRITICAL\s+admin-policy-attached\s+aws-support-sync/);
    expect(stdout).toContain('What you are seeing');
    expect(stdout).toContain('What next');
  });

  it('prints one JSON finding per line with --format jsonl', async () => {
    const { code, stdout } = await runCli('demo', '--format', 'jsonl');
    expect(code).toBe(0);
    const findings = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.map((f) => f.ruleId)).toContain('assumed-from-unknown-account');
    expect(Object.keys(findings[0] ?? {})).toEqual(
      expect.arrayContaining(['ruleId', 'severity', 'eventId', 'eventName', 'account', 'resource', 'title']),
    );
  });
});

describe('npm run bench', () => {
  it('prints one JSON document with the documented fields', async () => {
    const { code, stdout } = await runBench(
      '--json',
      '--events',
      '300',
      '--rounds',
      '1',
      '--no-functions',
      '--no-capacity',
      '--no-api',
      '--no-mixes',
      '--no-startup',
      '--no-memory',
      '--no-reconcile',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    const measure = { medianMs: expect.any(Number), eventsPerSecond: expect.any(Number), roundsMs: [expect.any(Number)] };
    const comparison = {
      baseline: measure,
      evaluate: measure,
      ratio: expect.any(Number),
      meetsTarget: expect.any(Boolean),
      findings: expect.any(Number),
    };
    expect(report).toEqual({
      node: process.version,
      cpus: expect.any(Number),
      events: 300,
      rounds: 1,
      seed: '1',
      targetRatio: 0.5,
      recordBytes: { mean: expect.any(Number), min: expect.any(Number), max: expect.any(Number) },
      plain: comparison,
      gzipped: { ...comparison, files: 3, recordsPerFile: 100, compressedBytes: expect.any(Number) },
      managedPolicies: {
        policies: expect.any(Number),
        loadMs: expect.any(Number),
        firstRunMs: expect.any(Number),
        medianMs: expect.any(Number),
        adminEquivalent: expect.any(Number),
        escalationHits: expect.any(Number),
      },
    });
  }, 240_000);

  it('measures each packaged Lambda function and the write capacity per event, unless told not to', async () => {
    const { code, stdout } = await runBench(
      '--json',
      '--events',
      '300',
      '--rounds',
      '1',
      '--capacity-events',
      '300',
      '--no-api',
      '--no-mixes',
      '--no-startup',
      '--no-memory',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { functions?: unknown[]; functionsNote?: string; capacity?: unknown };
    const kind = { events: expect.any(Number), meanWcu: expect.any(Number), maxWcu: expect.any(Number) };
    expect(report.capacity).toEqual({
      events: expect.any(Number),
      wcuPerEvent: { assumeRoleSeen: kind, assumeRoleNew: kind, iamChange: kind, roleCreated: kind, otherWatched: kind },
      assumptionBatches: {
        batches: expect.any(Number),
        meanRecords: expect.any(Number),
        maxRecords: expect.any(Number),
        windowSeconds: 10,
      },
      targets: { assumeRoleSeen: 2, iamChange: 5 },
      meetsTargets: { assumeRoleSeen: expect.any(Boolean), iamChange: expect.any(Boolean) },
    });
    const measured = {
      name: expect.any(String),
      bundleBytes: expect.any(Number),
      zipBytes: expect.any(Number),
      initMs: expect.any(Number),
      meetsTargets: expect.any(Boolean),
    };
    // Without osls (or when it fails) the section is empty and says why.
    if (report.functionsNote) expect(report.functions).toEqual([]);
    else expect(report.functions).toEqual(expect.arrayContaining([{ ...measured, name: 'on-iam-change' }, measured]));
  }, 240_000);

  it('measures both IAM-change mixes with per-kind costs, the start-up against node, and peak memory of two replays', async () => {
    const { code, stdout } = await runBench(
      '--json',
      '--events',
      '400',
      '--rounds',
      '1',
      '--memory-events',
      '300',
      '--no-functions',
      '--no-capacity',
      '--no-api',
      '--no-reconcile',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      mixes: { name: string; roleChangeShare: number; ratio: number; perKind: Record<string, { events: number }> }[];
      startup: { nodeMs: number; helpMs: number; ratio: number };
      memory: { small: { events: number; peakRssMb: number }; large: { events: number; peakRssMb: number }; ratio: number };
    };
    expect(report.mixes.map((mix) => mix.name)).toEqual(['iam10', 'iam1']);
    const [heavy, light] = report.mixes;
    expect(heavy?.roleChangeShare).toBeGreaterThan(light?.roleChangeShare ?? 1);
    for (const mix of report.mixes) {
      expect(mix.ratio).toBeGreaterThan(0);
      expect(mix.perKind.assumption?.events).toBeGreaterThan(0);
      expect(Object.keys(mix.perKind).sort()).toEqual(['assumption', 'iamChange', 'other']);
    }
    expect(report.startup.nodeMs).toBeGreaterThan(0);
    expect(report.startup.ratio).toBeCloseTo(report.startup.helpMs / report.startup.nodeMs, 1);
    expect([report.memory.small.events, report.memory.large.events]).toEqual([300, 1200]);
    expect(report.memory.small.peakRssMb).toBeGreaterThan(20);
    expect(report.memory.ratio).toBeCloseTo(report.memory.large.peakRssMb / report.memory.small.peakRssMb, 1);
  }, 240_000);

  it('rejects a count that is not a positive integer', async () => {
    const { code, stderr } = await runBench('--events', '0');
    expect(code).toBe(2);
    expect(stderr).toContain('--events');
  });
});
