import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_ROLES } from '../../shared/demo/scenario';
import { browserIt, launchBrowser } from '../support/browser';
import { withoutSdkNoticeSwitch } from '../support/cli';

const ROOT = path.resolve(__dirname, '../..');

interface Running {
  child: ChildProcess;
  url: string;
  dynamoPid: number;
  mailDir: string;
  output: () => string;
}

/** Starts `rolewatch start` (what npm start runs) as its own process and waits until it says it is ready. */
async function startMonitor(): Promise<Running> {
  const mailDir = mkdtempSync(path.join(tmpdir(), 'rolewatch-mail-'));
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'shared/cli/rolewatch.js'), 'start', '--port', '0', '--mail-dir', mailDir],
    {
      cwd: ROOT,
      // As a user starts it: without the variable the test setup sets to keep the AWS SDK's notice out of tests.
      env: withoutSdkNoticeSwitch(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ready = /RoleWatch: ready\. Open (http:\/\/127\.0\.0\.1:\d+)\/ui\//.exec(output);
    const pid = /DynamoDB Local +\S+ +\(pid (\d+)\)/.exec(output);
    if (ready?.[1] && pid?.[1]) return { child, url: ready[1], dynamoPid: Number(pid[1]), mailDir, output: () => output };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the monitor did not become ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portAnswers(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface FindingView {
  id: string;
  ruleId: string;
  roleName?: string;
  alert: { state: string };
}

describe('npm start: the whole monitor on one machine', () => {
  let monitor: Running | undefined;

  beforeAll(async () => {
    monitor = await startMonitor();
  }, 120_000);

  afterAll(async () => {
    if (monitor && monitor.child.exitCode === null) monitor.child.kill('SIGKILL');
    if (monitor && isAlive(monitor.dynamoPid)) process.kill(monitor.dynamoPid, 'SIGKILL');
  });

  const running = () => {
    if (!monitor) throw new Error('the monitor is not running');
    return monitor;
  };

  it("starts without the AWS SDK's ten-line Node 20 notice", () => {
    expect(running().output()).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });

  it('replays the demo: the backdoor is found through the API, and each alert arrived once as e-mail', async () => {
    const { url, mailDir } = running();
    const page = await getJson<{ items: FindingView[] }>(`${url}/findings?status=open&severity=critical&severity=high&limit=200`);
    const backdoor = page.items.filter((f) => f.roleName === DEMO_ROLES.backdoor).map((f) => f.ruleId);
    expect(backdoor).toEqual(
      expect.arrayContaining([
        'trust-unknown-account',
        'admin-policy-attached',
        'new-role-gets-admin',
        'assumed-from-unknown-account',
      ]),
    );
    const mails = readdirSync(mailDir).filter((file) => file.endsWith('.eml'));
    const sent = page.items.filter((f) => f.alert.state === 'sent');
    expect(sent.length).toBeGreaterThan(0);
    for (const finding of sent) {
      const files = mails.filter((file) => file.includes(finding.id.replace(/[^A-Za-z0-9._-]+/g, '_')));
      expect({ finding: finding.ruleId, files: files.length }).toEqual({ finding: finding.ruleId, files: 1 });
    }
    expect(mails).toHaveLength(sent.length);
    const first = readFileSync(path.join(mailDir, mails[0] ?? ''), 'utf8');
    expect(first).toMatch(/^From: .*\r\nTo: .*\r\nDate: .*\r\nSubject: \[(CRITICAL|HIGH)\] RoleWatch: /m);
    const summary = await getJson<{ open: { total: number } }>(`${url}/summary`);
    expect(summary.open.total).toBeGreaterThanOrEqual(page.items.length);
  });

  browserIt(
    'shows open findings in the browser, opens the backdoor role and its history with the diff',
    async () => {
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(`${running().url}/`);
        await page.waitForSelector('#findings tr[data-finding]');
        expect(await page.locator('#findings .severity.critical').count()).toBeGreaterThan(0);
        await page.locator('#findings a', { hasText: DEMO_ROLES.backdoor }).first().click();
        await page.waitForSelector('#history li');
        expect(await page.locator('#role-title').textContent()).toContain(`:role/${DEMO_ROLES.backdoor}`);
        expect(await page.locator('#trust').textContent()).toContain('444455556666');
        const added = page.locator('#history .diff .added');
        expect(await added.count()).toBeGreaterThan(0);
        expect(await added.first().textContent()).toMatch(/^\+ /);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it('stops on Ctrl-C and leaves no process or port behind', async () => {
    const { child, url, dynamoPid } = running();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(running().output()).toContain('RoleWatch: stopped');
    expect(isAlive(dynamoPid)).toBe(false);
    expect(await portAnswers(url)).toBe(false);
  }, 30_000);
});
