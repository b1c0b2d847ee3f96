/**
 * `npm run docs`: rewrites the rule catalogue of shared/rules/README.md from the rule registry (the text between
 * its marker comments; the rest of the file is left as it is). test/rules/catalogue.test.ts fails until it is run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withRuleCatalogue } from './catalogue';

const file = join(__dirname, 'README.md');
const before = readFileSync(file, 'utf8');
const after = withRuleCatalogue(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(`${after === before ? 'unchanged' : 'rewritten'}: shared/rules/README.md\n`);
