import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';

/** `it` where Chromium is installed (or ROLEWATCH_REQUIRE_BROWSER insists), `it.skip` elsewhere. */
export const browserIt = existsSync(CHROMIUM) || process.env.ROLEWATCH_REQUIRE_BROWSER ? it : it.skip;

/** A `rolewatch` command running as its own process. */
export interface RunningCommand {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `rolewatch <args>` and waits until it prints `ready. Open <url>/ui/`. */
export async function startCommand(args: string[], env: Record<string, string> = {}): Promise<RunningCommand> {
  const child = spawn(process.execPath, [path.join(ROOT, 'shared/cli/rolewatch.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ready = /RoleWatch: ready\. Open (http:\/\/127\.0\.0\.1:\d+)\/ui\//.exec(output);
    if (ready?.[1])
      return {
        child,
        url: ready[1],
        output: () => output,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGINT');
          return exited;
        },
      };
    if (child.exitCode !== null || Date.now() > deadline) {
      await abandon(child, exited, output);
      throw new Error(`rolewatch ${args[0]} did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Stops a command that never became ready: SIGINT (it stops what it started), SIGKILL after 10 s, and the
 * DynamoDB Local it said it started is killed if it outlived it.
 */
async function abandon(child: ChildProcess, exited: Promise<number | null>, output: string): Promise<void> {
  if (child.exitCode === null) {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  const pid = Number(/DynamoDB Local +\S+ +\(pid (\d+)\)/.exec(output)?.[1]);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Headless Chromium, as installed. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page that records what the browser refused or failed at: CSP violations, script errors, failed requests. */
export async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/favicon/.test(message.location().url)) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}
