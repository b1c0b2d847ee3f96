#!/usr/bin/env node
// The `rolewatch` command: runs the TypeScript sources through tsx, so `npx rolewatch` works right after `npm ci`.
require('tsx/cjs');
const { main } = require('./main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`rolewatch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
