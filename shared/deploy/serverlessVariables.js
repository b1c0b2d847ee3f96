// Values serverless.yml reads at packaging time (${file(./shared/deploy/serverlessVariables.js):name}).
// They come from RoleWatch's own code, so the deployed EventBridge patterns cannot drift from the rules.
require('tsx/cjs');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { eventPatterns } = require('./eventPatterns.ts');
const { validateConfig } = require('../config/config.ts');
const { RULE_IDS } = require('../rules/index.ts');

const root = path.resolve(__dirname, '../..');

/** The rolewatch configuration (rolewatch.config.yml/.yaml/.json at the project root), validated, as JSON. */
function config() {
  const file = ['rolewatch.config.yml', 'rolewatch.config.yaml', 'rolewatch.config.json']
    .map((name) => path.join(root, name))
    .find((candidate) => existsSync(candidate));
  if (!file) return JSON.stringify(validateConfig({}, RULE_IDS));
  const text = readFileSync(file, 'utf8');
  const data = file.endsWith('.json') ? JSON.parse(text) : require('yaml').parse(text);
  const json = JSON.stringify(validateConfig(data, RULE_IDS));
  // Lambda allows 4 KB for all environment variables of a function together.
  if (json.length > 3000) {
    throw new Error(
      `${path.basename(file)} is ${json.length} characters as JSON; Lambda environment variables hold 4 KB in all. Shorten it (e.g. wildcards in protectedRoles and suppressions).`,
    );
  }
  return json;
}

const patterns = eventPatterns();
module.exports = {
  iamChangesPattern: patterns.iamChanges,
  monitorTamperingPattern: patterns.monitorTampering,
  roleAssumptionsPattern: patterns.roleAssumptions,
  config,
};
