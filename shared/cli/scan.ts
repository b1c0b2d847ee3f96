import { IAMClient } from '@aws-sdk/client-iam';
import { reconcile } from '../app/reconcile';
import { withCredentialHint } from '../awsClients';
import { createDynamoEngine, createDynamoStores, createMemoryContext, dynamoClient } from '../context';
import { severityRank } from '../findings/severity';
import { AwsIamReader } from '../iam/AwsIamReader';
import { AwsAccountReader } from '../iam/accountReader';
import {
  defineCommand,
  FINDING_FORMATS,
  FINDINGS_OPTIONS,
  parseFormat,
  parseSeverity,
  resolveConfig,
  tableRegion,
} from './options';
import { findingLine, findingsTable } from './output';

/** What the DynamoDB store calls (TransactWriteItems is authorised as the puts, updates and deletes it holds). */
const TABLE_PERMISSIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

const HELP = `usage: rolewatch scan [options]

Reads every role and customer-managed policy of the account your AWS credentials belong to
(iam:GetAccountAuthorizationDetails) and reports what holds now: the same code as the scheduled
reconcile function. Nothing is changed in the account.

options:
  --config FILE       rolewatch.config.yml/.json (default: ./rolewatch.config.* if present)
  --format FORMAT     table (default), jsonl or ocsf (OCSF Detection Findings)
  --fail-on SEVERITY  exit 1 if a finding at or above SEVERITY is reported
  --table NAME        record into RoleWatch's DynamoDB table instead of memory (--endpoint, --region)
  --endpoint URL      DynamoDB endpoint (DynamoDB Local)
  --region REGION     region for DynamoDB (IAM is global)

Credentials: the SDK's usual chain (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, SSO, the
instance or task role). Permissions: iam:GetAccountAuthorizationDetails; with --table also
${TABLE_PERMISSIONS.join(', ')} on the table and its indexes.
Without usable credentials scan says what to set and exits 2.
`;

/** The IAM actions scan calls: one full read of IAM and, with --table, the store's reads and writes. */
export function scanPermissions(table: boolean): string[] {
  return ['iam:GetAccountAuthorizationDetails', ...(table ? TABLE_PERMISSIONS : [])];
}

/** `rolewatch scan`: a full read of IAM, evaluated now. */
export const runScan = defineCommand(HELP, { options: FINDINGS_OPTIONS }, async ({ values }) => {
  const format = parseFormat(values.format, FINDING_FORMATS);
  const failOn = parseSeverity('--fail-on', values['fail-on']);
  const config = resolveConfig(values.config);
  const iamClient = new IAMClient({ region: 'us-east-1' });
  const iam = new AwsIamReader(iamClient);
  let deps: Pick<Parameters<typeof reconcile>[0], 'engine' | 'state' | 'findings'>;
  if (values.table) {
    const client = dynamoClient({ region: tableRegion(values.region), endpoint: values.endpoint });
    const stores = createDynamoStores({ client, tableName: values.table });
    deps = {
      engine: createDynamoEngine({ stores, config, iam, alerting: false }),
      state: stores.state,
      findings: stores.findings,
    };
  } else {
    const { engine, store } = createMemoryContext({ config, iam });
    deps = { engine, state: store, findings: store };
  }
  const use = { command: 'rolewatch scan', permissions: scanPermissions(values.table !== undefined) };
  const report = await withCredentialHint(use, () =>
    reconcile({
      ...deps,
      accounts: [{ reader: new AwsAccountReader(iamClient) }],
      now: Date.now,
      minSeverity: config.alerts.minSeverity,
    }),
  );
  const reported = report.findings.filter(
    (f) => f.transition === 'opened' || f.transition === 'reopened' || f.transition === 'escalated',
  );
  if (format !== 'table') for (const r of reported) process.stdout.write(findingLine(r.finding, r.transition, format));
  else process.stdout.write(findingsTable(reported.map((r) => r.finding)));
  process.stderr.write(
    `${report.roles} roles and ${report.policies} customer-managed policies read, ${reported.length} findings, ${report.resolved.length} resolved\n`,
  );
  return failOn && reported.some((r) => severityRank(r.finding.severity) >= severityRank(failOn)) ? 1 : 0;
});
