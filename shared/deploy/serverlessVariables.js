// Values serverless.yml reads at packaging time (${file(./shared/deploy/serverlessVariables.js):name}).
// They come from RoleWatch's own code, so the deployed EventBridge patterns cannot drift from the rules.
require('tsx/cjs');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { eventPatterns } = require('./eventPatterns.ts');
const { deployedConfig, organizationParamDefaults } = require('./deployedConfig.ts');
const { RULE_IDS } = require('../rules/index.ts');
const { backfillDefinition, reconcileDefinition } = require('./stateMachines.ts');

const root = path.resolve(__dirname, '../..');

/** The configuration file as written (rolewatch.config.yml/.yaml/.json at the project root), or {}. */
function configInput() {
  const file = ['rolewatch.config.yml', 'rolewatch.config.yaml', 'rolewatch.config.json']
    .map((name) => path.join(root, name))
    .find((candidate) => existsSync(candidate));
  if (!file) return { file: undefined, data: {} };
  const text = readFileSync(file, 'utf8');
  return { file, data: file.endsWith('.json') ? JSON.parse(text) : require('yaml').parse(text) };
}

/** The organization parameters as given (--param) or defaulted from the configuration file. */
async function organizationParams(resolveVariable) {
  const [organizationId, memberRoleName, externalId] = await Promise.all(
    ['organizationId', 'memberRoleName', 'externalId'].map((name) => resolveVariable(`param:${name}`)),
  );
  return { organizationId: organizationId ?? '', memberRoleName: memberRoleName ?? '', externalId: externalId ?? '' };
}

/**
 * The rolewatch configuration the functions run with, validated, as JSON: the file's, with the organization
 * parameters applied (shared/deploy/deployedConfig.ts), so template and code agree.
 */
async function config({ resolveVariable }) {
  const { file, data } = configInput();
  const json = JSON.stringify(deployedConfig(data, await organizationParams(resolveVariable), RULE_IDS));
  // Lambda allows 4 KB for all environment variables of a function together.
  if (json.length > 3000) {
    throw new Error(
      `${file ? path.basename(file) : 'the configuration'} is ${json.length} characters as JSON; Lambda environment variables hold 4 KB in all. ` +
        'Shorten it (e.g. wildcards in protectedRoles and suppressions; organization.discover instead of a long organization.accounts).',
    );
  }
  return json;
}

/** "true" when reconcile lists the organization's accounts (its role then may call organizations:ListAccounts). */
async function organizationDiscovery({ resolveVariable }) {
  const params = await organizationParams(resolveVariable);
  if (params.organizationId === '') return 'false';
  return String(deployedConfig(configInput().data, params, RULE_IDS).organization?.discover === true);
}

/** The retention periods CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** --param logRetentionDays as a number, refused unless CloudWatch Logs accepts it. */
async function logRetentionDays({ resolveVariable }) {
  const value = String(await resolveVariable('param:logRetentionDays'));
  const days = Number(value);
  if (!/^\d+$/.test(value) || !LOG_RETENTION_DAYS.includes(days))
    throw new Error(`--param logRetentionDays=${value}: CloudWatch Logs keeps logs for ${LOG_RETENTION_DAYS.join(', ')} days`);
  return days;
}

/**
 * --param noEventAlarmHours as a number: the alarm evaluates one-hour periods, and CloudWatch evaluates at most
 * 7 days of them.
 */
async function noEventAlarmHours({ resolveVariable }) {
  const value = String(await resolveVariable('param:noEventAlarmHours'));
  const hours = Number(value);
  if (!/^\d+$/.test(value) || hours < 1 || hours > 168)
    throw new Error(`--param noEventAlarmHours=${value}: a whole number of hours from 1 to 168 (7 days)`);
  return hours;
}

/** A concurrency parameter: a whole number a Distributed Map accepts (1 to 10,000). */
async function concurrency(resolveVariable, name) {
  const text = String(await resolveVariable(`param:${name}`));
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 10000) {
    throw new Error(`--param ${name}=${text}: give a whole number from 1 to 10000`);
  }
  return value;
}

const defaults = () => organizationParamDefaults(configInput().data);
const patterns = eventPatterns();
module.exports = {
  iamChangesPattern: patterns.iamChanges,
  monitorTamperingPattern: patterns.monitorTampering,
  roleAssumptionsPattern: patterns.roleAssumptions,
  config,
  organizationDiscovery,
  logRetentionDays,
  noEventAlarmHours,
  reconcileDefinition: async ({ resolveVariable }) =>
    reconcileDefinition(await concurrency(resolveVariable, 'reconcileConcurrency')),
  backfillDefinition: async ({ resolveVariable }) =>
    backfillDefinition(await concurrency(resolveVariable, 'backfillConcurrency')),
  organizationId: () => defaults().organizationId,
  memberRoleName: () => defaults().memberRoleName,
  externalId: () => defaults().externalId,
};
