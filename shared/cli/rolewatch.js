#!/usr/bin/env node
// The `rolewatch` command: runs the JavaScript that `npm run build` makes (on `npm ci`, before `npm start`). In a
// checkout where nothing was built yet, it runs the TypeScript sources through tsx instead, and says so.
const { existsSync } = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '../../dist/rolewatch.js');
let main;
if (existsSync(built)) {
  ({ main } = require(built));
} else {
  process.stderr.write('rolewatch: not built (npm run build); running the TypeScript sources, which starts slower\n');
  require('tsx/cjs');
  ({ main } = require('./main.ts'));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`rolewatch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
