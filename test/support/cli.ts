import { main as bench } from '../../shared/bench/bench';
import { main } from '../../shared/cli/main';

/** Runs the rolewatch command in process and returns its exit code and what it printed. */
export function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return captured(main, argv);
}

/** Runs the benchmark (`npm run bench`) in process and returns its exit code and what it printed. */
export function runBench(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return captured(bench, argv);
}

async function captured(
  run: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  try {
    return { code: await run(argv), stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/**
 * The environment without AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, which the test setup sets: a command
 * started with it runs as a user's would, and shows whether `rolewatch` itself keeps the SDK's notice quiet.
 */
export function withoutSdkNoticeSwitch(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _switch, ...rest } = env;
  return rest;
}
