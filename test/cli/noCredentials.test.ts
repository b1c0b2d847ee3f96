import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withoutSdkNoticeSwitch } from '../support/cli';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A user's environment with no AWS credentials anywhere: no AWS_* variables, an empty home (no ~/.aws), no
 * instance metadata. The SDK's credential chain fails for real, as on a newcomer's laptop.
 */
let home = '';
beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), 'rolewatch-home-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function bareEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(withoutSdkNoticeSwitch(process.env)).filter(([name]) => !name.startsWith('AWS_')),
  );
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Runs `rolewatch ARGS` to its end (or kills it after 60 s) and returns its exit code and output. */
function rolewatch(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'shared/cli/rolewatch.js'), ...args], {
      cwd: ROOT,
      env: bareEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const SDK_NOTICE = /NodeVersionSupportWarning|AWS SDK for JavaScript/;

describe('commands that read AWS, run without credentials', () => {
  it('rolewatch scan says what to set and which permission it needs, exits 2, and prints no SDK notice', async () => {
    const { code, stdout, stderr } = await rolewatch('scan');
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^rolewatch scan: no AWS credentials found/);
    for (const hint of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'needs iam:GetAccountAuthorizationDetails'])
      expect(stderr).toContain(hint);
    expect(stderr).not.toMatch(SDK_NOTICE);
  }, 90_000);

  it('npm start -- --watch fails at start, before DynamoDB Local, saying what to set and that LookupEvents is needed', async () => {
    const { code, stdout, stderr } = await rolewatch('start', '--watch', '--port', '0');
    expect(code).toBe(2);
    expect(stdout).not.toContain('ready');
    expect(stdout).not.toContain('DynamoDB Local');
    expect(stderr).toMatch(/^rolewatch start: no AWS credentials found/);
    for (const hint of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'cloudtrail:LookupEvents']) expect(stderr).toContain(hint);
    expect(stderr).not.toMatch(SDK_NOTICE);
  }, 90_000);
});
