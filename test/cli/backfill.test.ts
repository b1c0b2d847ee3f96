import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDynamoStores } from '../../shared/context';
import { liveParts } from '../../shared/roles/roleRecord';
import { runCli } from '../support/cli';
import { useLocalDynamo } from '../support/dynamo';
import { ACCOUNT, assumeRole, attachRolePolicy, createRole, FOREIGN_ACCOUNT, trustDocument } from '../support/trail';

const dynamo = useLocalDynamo();

describe('rolewatch evaluate --table (backfill)', () => {
  it('writes state, history and findings of an archive into a DynamoDB table, without alerting', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-backfill-'));
    const records = [
      createRole('backdoor', trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)),
      attachRolePolicy('backdoor', 'arn:aws:iam::aws:policy/AdministratorAccess'),
      assumeRole(`arn:aws:iam::${ACCOUNT}:role/backdoor`, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
    ];
    writeFileSync(path.join(dir, 'trail.json'), JSON.stringify({ Records: records }));
    const args = [
      dir,
      '--table',
      'backfill',
      '--endpoint',
      dynamo.local.endpoint,
      '--region',
      'us-east-1',
      '--create-table',
      '--format',
      'jsonl',
    ];
    const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = dynamo.local.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = dynamo.local.credentials.secretAccessKey;
    let first: Awaited<ReturnType<typeof runCli>>;
    try {
      first = await runCli('evaluate', ...args);
      expect(first.code).toBe(0);
      // A second load of the same archive changes nothing: every event is already processed.
      expect((await runCli('evaluate', ...args)).code).toBe(0);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = previous.id;
      process.env.AWS_SECRET_ACCESS_KEY = previous.secret;
    }
    const printed = first.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ruleId: string });
    expect(printed.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining([
        'trust-unknown-account',
        'admin-policy-attached',
        'new-role-gets-admin',
        'assumed-from-unknown-account',
      ]),
    );
    const stores = createDynamoStores({ client: dynamo.local.client, tableName: 'backfill' });
    const role = await stores.state.getRole(ACCOUNT, 'backdoor');
    expect(liveParts(role ?? fail('role missing')).attached).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    expect(await stores.state.roleHistory(ACCOUNT, 'backdoor')).toHaveLength(2);
    const findings = await stores.findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/backdoor`);
    expect(findings.length).toBeGreaterThanOrEqual(4);
    expect(findings.map((f) => f.alert.state)).toEqual(findings.map(() => 'none'));
    // Counted once per event although the archive was loaded twice.
    expect(findings.find((f) => f.ruleId === 'iam-change-recorded')?.count).toBe(2);
    expect(findings.find((f) => f.ruleId === 'admin-policy-attached')?.count).toBe(1);
  }, 60_000);
});
