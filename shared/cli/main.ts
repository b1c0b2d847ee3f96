import { ConfigError, RoleWatchError, ValidationError } from '../errors';

import { EXIT } from './exitCodes';

export { EXIT } from './exitCodes';

type Run = (args: string[]) => Promise<number>;

/**
 * Each command's module is loaded when the command runs: `rolewatch --help` loads none of them, and a command
 * loads only what it uses (the AWS SDK only for the commands that talk to AWS).
 */
const COMMANDS: Record<string, { summary: string; run: Run }> = {
  evaluate: {
    summary: 'replay CloudTrail files through the rules and print findings',
    run: async (args) => (await import('./evaluate')).runEvaluate(args),
  },
  'check-policy': {
    summary: 'analyse IAM policy documents (permission, or trust with --trust)',
    run: async (args) => (await import('./checkPolicy')).runCheckPolicy(args),
  },
  start: {
    summary: 'run the whole monitor on this machine (npm start): DynamoDB Local, alerts, API, web page',
    run: async (args) => (await import('./start')).runStart(args),
  },
  report: {
    summary: 'per item of a compliance framework (cis-5.0, nist-800-53-r5, ...): rules, open findings, evidence, gaps',
    run: async (args) => (await import('./report')).runReport(args),
  },
  ui: {
    summary: 'serve the web page over a deployed RoleWatch table with your AWS credentials (read-only by default)',
    run: async (args) => (await import('./ui')).runUi(args),
  },
  scan: {
    summary: 'read every role of your AWS account (your credentials) and report what holds now',
    run: async (args) => (await import('./scan')).runScan(args),
  },
  backfill: {
    summary: 'load a CloudTrail archive from S3 into deployed RoleWatch, in AWS (Step Functions), with progress',
    run: async (args) => (await import('./backfill')).runBackfill(args),
  },
  demo: {
    summary: 'replay a realistic day with a backdoor role through the rules and explain the findings',
    run: async (args) => (await import('./demo')).runDemo(args),
  },
  doctor: {
    summary: 'check, read-only, that deployed RoleWatch can see what it watches, and how to fix what it cannot',
    run: async (args) => (await import('./doctor')).runDoctorCommand(args),
  },
  'forwarder-template': {
    summary: "print the template that forwards other regions' (or member accounts') events to RoleWatch",
    run: async (args) => (await import('./forwarderTemplate')).runForwarderTemplate(args),
  },
};

const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;

const USAGE = `usage: rolewatch <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(NAME_WIDTH)}${command.summary}`)
  .join('\n')}

rolewatch <command> --help shows the command's options.
`;

/**
 * The AWS SDK warns on every start under Node 20 that its releases after early January 2027 will need Node 22
 * (ten lines of stderr). RoleWatch supports Node 20 and pins its SDK versions, so the notice asks nothing of its
 * user: the SDK's own switch turns it off, unless the user set that variable (to `false`, to see it).
 */
export function silenceSdkNodeNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Runs the CLI and returns the exit code. Errors of the user's making print a message, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  silenceSdkNodeNotice();
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`rolewatch: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  return runCommand(`rolewatch ${name}`, command.run, args);
}

/** Runs a command and returns its exit code; an error of the user's making is a usage error, printed without a stack. */
export async function runCommand(name: string, run: Run, args: string[]): Promise<number> {
  try {
    return await run(args);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof ValidationError ||
      error instanceof RoleWatchError ||
      isArgError(error)
    ) {
      process.stderr.write(`${name}: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

/** node:util parseArgs errors (unknown option, missing value) are usage errors. */
function isArgError(error: unknown): error is Error {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
