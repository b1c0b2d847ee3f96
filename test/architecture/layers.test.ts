import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * Dependencies run one way: the domain (policies, CloudTrail records, findings, roles) at the bottom, then
 * judgement (analysis, rules), the ports, the engine, the adapters, the application and, on top, the entry
 * points. A module may import from its own layer or a lower one, never from a higher one.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['shared/errors', 'shared/concurrency', 'shared/arn', 'shared/boundedCache'],
  ['shared/policy', 'shared/cloudtrail'],
  ['shared/findings', 'shared/roles'],
  ['shared/config'],
  ['shared/analysis'],
  ['shared/rules'],
  ['shared/ports'],
  ['shared/engine'],
  ['shared/store', 'shared/alerts', 'shared/export', 'shared/iam', 'shared/deploy', 'shared/doctor', 'shared/awsClients'],
  ['shared/syntheticTrail', 'shared/demo'],
  ['shared/app'],
  ['shared/api', 'shared/local', 'shared/cli', 'shared/context', 'functions'],
  ['shared/bench'],
];

const root = join(__dirname, '..', '..');

function layerOf(module: string): number {
  const index = LAYERS.findIndex((layer) => layer.some((prefix) => module === prefix || module.startsWith(`${prefix}/`)));
  if (index < 0) throw new Error(`${module} belongs to no layer: add it to LAYERS`);
  return index;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'data' ? [] : sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative module a file names: static imports and re-exports (types included), dynamic imports, require. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)'(\.[^']+)'/gm)].map(
    (m) => m[1] ?? '',
  );
  return specifiers.map((spec) => relative(root, normalize(join(root, dirname(file), spec))).replace(/\.(ts|js)$/, ''));
}

function layerViolations(files: readonly { file: string; text: string }[]): string[] {
  return files.flatMap(({ file, text }) => {
    const from = layerOf(file.replace(/\.(ts|js)$/, ''));
    return importsOf(file, text)
      .filter((target) => target.startsWith('shared/') || target.startsWith('functions/'))
      .filter((target) => layerOf(target) > from)
      .map((target) => `${file} imports ${target} (layer ${layerOf(target)} above ${from})`);
  });
}

describe('the import graph', () => {
  const files = [...sourceFiles('shared'), ...sourceFiles('functions')].map((file) => ({
    file,
    text: readFileSync(join(root, file), 'utf8'),
  }));

  it('reads every product file and places it in a layer', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const { file } of files) expect(() => layerOf(file.replace(/\.(ts|js)$/, ''))).not.toThrow();
  });

  it('has no import from a lower layer to a higher one', () => {
    expect(layerViolations(files)).toEqual([]);
  });

  it('reports an upward import, static, dynamic or type-only', () => {
    const engine = 'shared/engine/example.ts';
    expect(
      layerViolations([
        { file: engine, text: "import { DynamoStateStore } from '../store/dynamo/DynamoStateStore';" },
        { file: engine, text: "const { startMonitor } = await import('../local/monitor');" },
        { file: 'shared/rules/example.ts', text: "import type {\n  StateStore,\n} from '../ports/roleState';" },
        { file: 'shared/store/example.ts', text: "import type { Finding } from '../findings/finding';" },
      ]),
    ).toEqual([
      'shared/engine/example.ts imports shared/store/dynamo/DynamoStateStore (layer 8 above 7)',
      'shared/engine/example.ts imports shared/local/monitor (layer 11 above 7)',
      'shared/rules/example.ts imports shared/ports/roleState (layer 6 above 5)',
    ]);
  });
});
