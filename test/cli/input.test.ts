/**
 * The input contract of `evaluate` and `check-policy`: records are read as streams, a bad part skips only
 * itself, what was skipped is summarised per reason and sets the exit code (3), and `--fail-on` never passes a
 * run that skipped input. Large inputs are generated here, at test time, and deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../support/cli';
import { ACCOUNT, attachRolePolicy, createRole, FOREIGN_ACCOUNT, trustDocument } from '../support/trail';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-input-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const line = (record: unknown) => `${JSON.stringify(record)}\n`;
/** A role trusting a foreign account: trust-unknown-account, high. */
const backdoor = () => createRole('backdoor', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`));
/** A role trusting its own account: nothing high. */
const benign = (name: string) => createRole(name, trustDocument(`arn:aws:iam::${ACCOUNT}:root`));

/** A record of a call RoleWatch does not watch, `size` bytes long or so. */
function unwatched(i: number, size: number): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    eventID: `pad-${i}`,
    eventName: 'GetObject',
    eventSource: 's3.amazonaws.com',
    eventTime: '2026-11-02T08:00:00Z',
    awsRegion: 'us-east-1',
    recipientAccountId: ACCOUNT,
    requestParameters: { padding: 'x'.repeat(size) },
  };
}

/** Runs the built command in its own process (memory limits apply to it alone). */
function runProcess(
  args: string[],
  nodeOptions: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, path.join(__dirname, '../../shared/cli/rolewatch.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

describe('evaluate reads files of any size as a stream', () => {
  it('reads a 600 MB JSON Lines file, longer than any string V8 can hold, and finds the backdoor at its end', async () => {
    const file = path.join(dir, 'big.jsonl');
    const fd = openSync(file, 'w');
    const block = Buffer.from(Array.from({ length: 10 }, (_, i) => line(unwatched(i, 100_000))).join(''));
    let written = 0;
    while (written < 600 * 1024 * 1024) written += writeSync(fd, block);
    writeSync(fd, line(backdoor()));
    closeSync(fd);
    const { code, stdout, stderr } = await runProcess(['evaluate', file, '--format', 'jsonl', '--fail-on', 'high']);
    expect(stderr).not.toMatch(/skipped/);
    expect(stdout).toContain('"ruleId":"trust-unknown-account"');
    expect(code).toBe(1);
  }, 300_000);
});

describe('a bad part skips only itself, and the run says so', () => {
  function fileWithBadByte(records: unknown[]): string {
    const good = records.map((r) => Buffer.from(line(r)));
    const bad = Buffer.from(line(benign('latin1-cafQQQ')));
    bad[bad.indexOf('QQQ')] = 0xe9;
    // The bad record sits between the others, in the middle of the file.
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, Buffer.concat([...good.slice(0, 1), bad, ...good.slice(1)]));
    return file;
  }

  it('evaluates every other record of a file with one invalid byte, and exits 3', async () => {
    const file = fileWithBadByte([backdoor(), attachRolePolicy('backdoor', 'arn:aws:iam::aws:policy/AdministratorAccess')]);
    const { code, stdout, stderr } = await runCli('evaluate', file, '--format', 'jsonl');
    expect(stdout).toContain('"ruleId":"trust-unknown-account"');
    expect(stdout).toContain('"ruleId":"admin-policy-attached"');
    expect(stderr).toContain(`skipped ${file}:2: invalid UTF-8`);
    expect(stderr).toContain('skipped 1 in all: 1 invalid UTF-8');
    expect(code).toBe(3);
  });

  it('exits 0 with --allow-partial, and 1 when a finding reaches --fail-on whatever was skipped', async () => {
    const file = fileWithBadByte([backdoor(), benign('quiet')]);
    expect((await runCli('evaluate', file, '--allow-partial')).code).toBe(0);
    expect((await runCli('evaluate', file, '--fail-on', 'high')).code).toBe(1);
  });

  it('never passes --fail-on on a run that skipped input, even with --allow-partial', async () => {
    const file = fileWithBadByte([benign('one'), benign('two')]);
    for (const extra of [[], ['--allow-partial']]) {
      const { code, stderr } = await runCli('evaluate', file, '--fail-on', 'high', ...extra);
      expect(code).toBe(3);
      expect(stderr).toContain('exit 3: input was skipped, so --fail-on cannot pass this run');
    }
  });

  it('keeps the findings of the part of a cut-short gzip file that decompresses, and says how much was read', async () => {
    const records = [backdoor(), ...Array.from({ length: 1500 }, (_, i) => benign(`filler-${i}`))];
    const zipped = gzipSync(records.map(line).join(''));
    const file = path.join(dir, 'cut.jsonl.gz');
    writeFileSync(file, zipped.subarray(0, Math.floor(zipped.length * 0.7)));
    const { code, stdout, stderr } = await runCli('evaluate', file, '--format', 'jsonl', '--fail-on', 'critical');
    expect(stdout).toContain('"ruleId":"trust-unknown-account"');
    expect(stderr).toMatch(
      new RegExp(
        `skipped ${file.replace(/[.]/g, '\\.')}: cannot decompress gzip data: unexpected end of file; read ${Math.floor(
          zipped.length * 0.7,
        )} of ${Math.floor(zipped.length * 0.7)} bytes \\(\\d+ bytes decompressed\\); the \\d+ records before are kept`,
      ),
    );
    expect(stderr).toContain('skipped 1 in all: 1 file read incompletely');
    expect(code).toBe(3);
  }, 60_000);
});

describe('junk input is summarised, not echoed', () => {
  it('reads 100 MB of junk lines in bounded memory and prints a few lines per reason and the count', async () => {
    const file = path.join(dir, 'junk.txt');
    const fd = openSync(file, 'w');
    // A first good line makes the file JSON Lines: every junk line after it is a skip of its own.
    writeSync(fd, line(benign('first')));
    const junkLine = 'this is not json, nor is any line of this file at all\n';
    const block = Buffer.from(junkLine.repeat(20_000));
    const lines = Math.ceil((100 * 1024 * 1024) / block.length) * 20_000;
    for (let written = 0; written < lines; written += 20_000) writeSync(fd, block);
    writeSync(fd, line(backdoor()));
    closeSync(fd);
    // A heap far smaller than the file: reading it whole, or keeping a line per skip, would run out of memory.
    const { code, stdout, stderr } = await runProcess(['evaluate', file, '--format', 'jsonl'], ['--max-old-space-size=64']);
    expect(stdout).toContain('"ruleId":"trust-unknown-account"');
    const errorLines = stderr.split('\n').filter((text) => text !== '');
    expect(errorLines.length).toBeLessThan(15);
    expect(stderr).toContain(`skipped ${lines} in all: ${lines} invalid JSON`);
    expect(code).toBe(3);
  }, 300_000);
});

describe('check-policy input', () => {
  it('skips a file that holds no policy as an input error (exit 3), never as a low finding that --fail-on passes', async () => {
    const bad = path.join(dir, 'prod-admin.json');
    writeFileSync(bad, 'garbage{');
    const { code, stdout, stderr } = await runCli('check-policy', bad, '--fail-on', 'low', '--format', 'jsonl');
    expect(stdout).toBe('');
    expect(stderr).toContain(`skipped ${bad}: not a valid permission policy: policy document is not JSON`);
    expect(code).toBe(3);
  });

  it('names no role or policy after the file, but uses the names IAM output states', async () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const plain = path.join(dir, 'prod-admin.json');
    writeFileSync(plain, JSON.stringify(document));
    const named = path.join(dir, 'other.json');
    writeFileSync(named, JSON.stringify({ RoleName: 'ci-deployer', PolicyName: 'deploy', PolicyDocument: document }));
    const { code, stdout } = await runCli('check-policy', plain, named, '--format', 'jsonl');
    expect(code).toBe(0);
    const details = stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { file: string; detail: string });
    const of = (file: string) => details.filter((d) => d.file === file).map((d) => d.detail);
    expect(of(plain).join('\n')).not.toContain('prod-admin');
    expect(of(plain)[0]).toContain('<unnamed>');
    expect(of(named)[0]).toContain('ci-deployer');
  });
});
