import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Reads one of RoleWatch's bundled data files (`shared/policy/data/`), from beside this module in the source
 * tree or under the working directory: a Lambda package keeps `shared/policy/data/` beside the bundle, which
 * stays small because the data is read from disk, once, only by the code that needs it.
 */
export function readDataFile(name: string): { path: string; content: Buffer } {
  const candidates = [path.join(__dirname, 'data', name), path.join(process.cwd(), 'shared', 'policy', 'data', name)];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`RoleWatch data file ${name} not found (looked for ${candidates.join(', ')})`);
  return { path: file, content: readFileSync(file) };
}
