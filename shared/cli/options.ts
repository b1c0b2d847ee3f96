import { existsSync } from 'node:fs';
import { type Config, defaultConfig, SEVERITIES, type Severity } from '../config/config';
import { loadConfigFile } from '../config/file';
import { ValidationError } from '../errors';
import { RULE_IDS } from '../rules';

/** Config files looked for in the working directory when --config is not given. */
const DEFAULT_CONFIG_FILES = ['rolewatch.config.yml', 'rolewatch.config.yaml', 'rolewatch.config.json'];

/** Loads --config, else a rolewatch.config.* of the working directory, else the defaults. */
export function resolveConfig(path: string | undefined): Config {
  const file = path ?? DEFAULT_CONFIG_FILES.find((name) => existsSync(name));
  return file ? loadConfigFile(file, RULE_IDS) : defaultConfig();
}

export type OutputFormat = 'table' | 'jsonl';

export function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table' || value === 'jsonl') return value ?? 'table';
  throw new ValidationError('--format', `must be table or jsonl, got "${value}"`);
}

export function parseSeverity(option: string, value: string | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  if ((SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  throw new ValidationError(option, `must be one of ${SEVERITIES.join(', ')}, got "${value}"`);
}
