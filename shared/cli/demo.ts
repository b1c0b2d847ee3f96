import { parseTrailRecord } from '../cloudtrail/parse';
import { createMemoryContext } from '../context';
import { ATTACKER_ACCOUNT, DEMO_ACCOUNT, DEMO_DAY, DEMO_ROLES, demoConfig, demoEvents, VENDOR_ACCOUNT } from '../demo/scenario';
import { severityRank } from '../findings/severity';
import { replayAndReport } from './evaluate';
import { defineCommand, FINDING_FORMATS, HELP_OPTION, parseFormat } from './options';

const HELP = `usage: rolewatch demo [--format table|jsonl]

Replays a realistic day of CloudTrail in account ${DEMO_ACCOUNT} (${DEMO_DAY}) through every rule with the
demo configuration, prints the findings, and explains what they show. Nothing leaves this machine.

options:
  --format FORMAT     table (default, with an explanation) or jsonl (one finding per line)
`;

/** `rolewatch demo`: what `npm start` runs until the full local monitor exists. Always exits 0. */
export const runDemo = defineCommand(HELP, { options: { format: { type: 'string' }, ...HELP_OPTION } }, async ({ values }) => {
  const format = parseFormat(values.format, FINDING_FORMATS);
  const records = demoEvents();
  const events = records.map((record) => parseTrailRecord(record));
  const { engine } = createMemoryContext({
    config: demoConfig(),
    logger: { warn: (message, data) => process.stderr.write(`warning: ${message} ${JSON.stringify(data ?? {})}\n`) },
  });
  if (format === 'table')
    process.stdout.write(`RoleWatch demo: ${events.length} CloudTrail events of account ${DEMO_ACCOUNT} on ${DEMO_DAY}\n\n`);
  const report = await replayAndReport(engine, events, { format });
  if (format === 'table') {
    const incident = report.reported
      .filter((r) => r.finding.roleName === DEMO_ROLES.backdoor && severityRank(r.finding.severity) >= severityRank('high'))
      .map((r) => r.finding.ruleId);
    process.stdout.write(`\n${explanation(events.length, [...new Set(incident)])}\n`);
  }
  return 0;
});

function explanation(events: number, incidentRules: readonly string[]): string {
  return `What you are seeing
  ${events} CloudTrail records of one day, replayed in eventTime order through the engine with in-memory state.
  Most of the day is ordinary: Lambda, ECS and EC2 refreshing role credentials, a monitoring vendor
  (${VENDOR_ACCOUNT}) assuming its role with an ExternalId, the organization's account auditing, GitHub Actions
  deploying with CDK so that CloudFormation creates and changes roles, engineers in Identity Center sessions.
  The incident: at 14:12 the access key of IAM user svc-reporting created role ${DEMO_ROLES.backdoor} trusting
  account ${ATTACKER_ACCOUNT}, attached AdministratorAccess, and an hour later ${ATTACKER_ACCOUNT} assumed it.
  Critical and high findings on it: ${incidentRules.join(', ') || 'none'}.
  Lesser issues: role ${DEMO_ROLES.broadOidc} trusts every GitHub repository of the organization (repo:acme/*),
  and a CloudTrail trail was stopped.

What next
  - Replay your own trail: npx rolewatch evaluate <CloudTrail files or directories> --config rolewatch.config.yml
    (log files, EventBridge events or JSON Lines, gzipped or not; --format jsonl for machines).
  - Describe your accounts in rolewatch.config.yml: knownAccounts, trustedThirdParties, protectedRoles,
    iacPrincipals (see shared/config/README.md). Without them, every other account looks unknown.
  - Check a policy before you deploy it: npx rolewatch check-policy policy.json (add --trust for trust policies).
  - Measure the engine on a large generated stream: npm run bench.`;
}
