import { existsSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, defaultConfig } from '../config/config';
import { loadConfigFile } from '../config/file';
import { ValidationError } from '../errors';
import { SEVERITIES, type Severity } from '../findings/severity';
import { RULE_IDS } from '../rules/index';

/** Config files looked for in the working directory when --config is not given. */
const DEFAULT_CONFIG_FILES = ['rolewatch.config.yml', 'rolewatch.config.yaml', 'rolewatch.config.json'];

/** The option every command has: `--help`/`-h` prints its help. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * The options `evaluate` and `scan` share: configuration, output, and the DynamoDB table written with
 * --table (--endpoint, --region).
 */
export const FINDINGS_OPTIONS = {
  config: { type: 'string' },
  format: { type: 'string' },
  'fail-on': { type: 'string' },
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  ...HELP_OPTION,
} as const;

/** The table's region: --region, else AWS_REGION, else us-east-1. */
export function tableRegion(region: string | undefined): string {
  return region ?? process.env.AWS_REGION ?? 'us-east-1';
}

/** Loads --config, else a rolewatch.config.* of the working directory, else the defaults. */
export function resolveConfig(path: string | undefined): Config {
  const file = path ?? DEFAULT_CONFIG_FILES.find((name) => existsSync(name));
  return file ? loadConfigFile(file, RULE_IDS) : defaultConfig();
}

/** table for people; jsonl (RoleWatch's fields) and ocsf (OCSF Detection Findings) one finding per line. */
export type OutputFormat = 'table' | 'jsonl' | 'ocsf';

/** The --format value among those a command prints (table and jsonl unless it says more). */
export function parseFormat(value: string | undefined, formats: readonly OutputFormat[] = ['table', 'jsonl']): OutputFormat {
  if (value === undefined) return 'table';
  const format = formats.find((candidate) => candidate === value);
  if (format) return format;
  throw new ValidationError('--format', `must be ${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}, got "${value}"`);
}

/** The formats of the commands that print findings. */
export const FINDING_FORMATS: readonly OutputFormat[] = ['table', 'jsonl', 'ocsf'];

export function parseSeverity(option: string, value: string | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  if ((SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  throw new ValidationError(option, `must be one of ${SEVERITIES.join(', ')}, got "${value}"`);
}

/**
 * A command: its help text, its options (node:util parseArgs, {@link HELP_OPTION} among them) and what it does
 * with what was parsed. `--help` prints the help and exits 0 before anything runs; an unknown option or a
 * missing value is a usage error (see main).
 */
export function defineCommand<const T extends Omit<ParseArgsConfig, 'args'> & { options: typeof HELP_OPTION }>(
  help: string,
  config: T,
  run: (parsed: ReturnType<typeof parseArgs<T & { args: string[] }>>) => Promise<number>,
): (args: string[]) => Promise<number> {
  return async (args) => {
    const parsed = parseArgs({ ...config, args });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(help);
      return 0;
    }
    return run(parsed);
  };
}
