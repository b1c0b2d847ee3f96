import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

/**
 * What ships to Lambda: each function bundled as serverless.yml bundles it (esbuild, one bundle per handler,
 * the AWS SDK left to the runtime). Tooling stays out: no command-line, local-mode, demo or benchmark code.
 */
const ROOT = join(__dirname, '..', '..');
const FUNCTIONS = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const TOOLING = [
  /^shared\/cli\//,
  /^shared\/local\//,
  /^shared\/demo\//,
  /^shared\/syntheticTrail\//,
  /^shared\/bench\//,
  /^test\//,
];

/** The project files a bundle of `entry` is made of, relative to the repository. */
async function bundleInputs(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs)
    .map((input) => relative(ROOT, join(process.cwd(), input)).split('\\').join('/'))
    .filter((input) => !input.startsWith('node_modules/'));
}

describe('the Lambda bundles', () => {
  it('cover every function', () => {
    expect(FUNCTIONS).toEqual(expect.arrayContaining(['on-iam-change', 'on-role-assumed', 'report-api', 'reconcile']));
  });

  it('would see tooling: the command line, bundled the same way, is made of it', async () => {
    const inputs = await bundleInputs('shared/cli/main.ts');
    expect(inputs.filter((input) => TOOLING.some((pattern) => pattern.test(input))).length).toBeGreaterThan(10);
  });

  it.each(FUNCTIONS)('%s holds no command-line, local-mode, demo or benchmark code', async (name) => {
    const inputs = await bundleInputs(`functions/${name}/handler.ts`);
    expect(inputs).toContain(`functions/${name}/handler.ts`);
    expect(inputs.filter((input) => TOOLING.some((pattern) => pattern.test(input)))).toEqual([]);
  });
});
