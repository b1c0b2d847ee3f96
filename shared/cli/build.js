#!/usr/bin/env node
// Builds the `rolewatch` command into dist/rolewatch.js (and the benchmark, tooling kept out of the command, into
// dist/bench.js): CommonJS bundles of RoleWatch's own code (packages
// stay in node_modules, loaded when a command needs them), so the command runs plain JavaScript and starts fast.
// Runs on `npm ci`/`npm install` (the root package's `prepare`), before `npm start`, `npm run bench` and tests.
const { readFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const OUT_DIR = path.join(ROOT, 'dist');

/**
 * A module that reads files beside itself (`__dirname`: data files, the web page) must find them from the
 * bundle too: each module's `__dirname` becomes its source directory, relative to the bundle.
 */
const sourceDirname = {
  name: 'source-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const relative = path.relative(OUT_DIR, path.dirname(args.path)).split(path.sep).join('/');
      return {
        contents: source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(relative)})`),
        loader: 'ts',
      };
    });
  },
};

async function build() {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: { rolewatch: path.join(ROOT, 'shared/cli/main.ts'), bench: path.join(ROOT, 'shared/bench/bench.ts') },
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [sourceDirname],
  });
}

module.exports = { build, OUT_DIR };

if (require.main === module) {
  build().catch((error) => {
    process.stderr.write(`rolewatch build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
