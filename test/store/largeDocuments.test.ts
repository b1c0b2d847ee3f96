import { randomBytes } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/on-iam-change/handler';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, createDynamoStores, type DynamoStores } from '../../shared/context';
import type { ProcessResult } from '../../shared/engine/engine';
import { StaticIamReader } from '../../shared/iam/reader';
import { liveParts } from '../../shared/roles/roleRecord';
import { keys } from '../../shared/store/dynamo/keys';
import { useLocalDynamo } from '../support/dynamo';
import { captureLogs, eventBridge, useLambdaEnvironment } from '../support/lambda';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  events,
  iamRecord,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';

/**
 * A policy document of a megabyte, as a crafted archive or hand-made export can carry (IAM itself accepts 10,240
 * characters): its role's state, history and findings are recorded, however large the document, whatever it
 * compresses to. DynamoDB refuses items over 400 KB: before, the write failed on every retry.
 */
const dynamo = useLocalDynamo();
const lambda = useLambdaEnvironment(dynamo, { alerts: { minSeverity: 'high' } });
const sns = mockClient(SNSClient);
const logs = captureLogs();
const OWN_ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const MB = 1_000_000;

/** Random names: gzip saves only about a quarter of them. */
const random = () => randomBytes(24).toString('base64url');
/** The same name again and again: gzip makes a megabyte of it a few kilobytes. */
const repeated = (() => {
  let n = 0;
  return () => `bucket-${String(n++ % 10).padStart(40, '0')}`;
})();

/** Admin first, then buckets until the document weighs `bytes`. */
function hugePolicy(bytes: number, name: () => string): string {
  const resources: string[] = [];
  for (let size = 0; size < bytes; ) {
    const arn = `arn:aws:s3:::${name()}/*`;
    resources.push(arn);
    size += arn.length + 3;
  }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: resources },
    ],
  });
}

/** A trust policy of `bytes`: a foreign account among thousands of the account's own roles. */
function hugeTrust(bytes: number): string {
  const principals = ['arn:aws:iam::444455556666:root'];
  for (let size = 0; size < bytes; ) {
    const arn = `arn:aws:iam::${ACCOUNT}:role/r-${random()}`;
    principals.push(arn);
    size += arn.length + 3;
  }
  return trustDocument(...principals);
}

async function run(stores: DynamoStores, list: readonly TrailEvent[]): Promise<ProcessResult[]> {
  const engine = createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
  const results: ProcessResult[] = [];
  for (const event of list) results.push(await engine.process(event));
  return results;
}

const rulesOf = (result: ProcessResult | undefined) => (result?.findings ?? []).map((f) => f.finding.ruleId);

/** The stored items of a role's partition, raw. */
async function roleItems(stores: DynamoStores, roleName: string) {
  return stores.table.queryAll({ KeyConditionExpression: 'pk = :pk', values: { ':pk': keys.role(ACCOUNT, roleName) } });
}

beforeEach(() => resetClock());

describe('policy documents larger than a DynamoDB item', () => {
  it.each([
    ['barely compressible', random],
    ['compressible', repeated],
  ])(
    'a 1 MB %s inline policy: state, history and findings are recorded, and read back whole',
    async (_kind, name) => {
      const stores = await dynamo.newStores();
      const document = hugePolicy(MB, name);
      const results = await run(
        stores,
        events(createRole('big', trustDocument(OWN_ROOT)), putRolePolicy('big', 'huge', document)),
      );
      expect(results[1]?.status).toBe('processed');
      expect(rulesOf(results[1])).toContain('admin-equivalent-inline-policy');
      const role = await stores.state.getRole(ACCOUNT, 'big');
      expect(role?.inline.huge?.document).toBe(document);
      const open = await stores.findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/big`);
      expect(open.map((f) => f.ruleId)).toContain('admin-equivalent-inline-policy');
      const history = await stores.state.roleHistory(ACCOUNT, 'big');
      expect(history.map((entry) => entry.eventName)).toEqual(['PutRolePolicy', 'CreateRole']);
      expect(JSON.stringify(history[0]?.event?.request)).toContain(JSON.stringify(document).slice(1, 200));
      expect(history[0]?.diff?.join('\n')).toContain('s3:GetObject');
      for (const item of await roleItems(stores, 'big')) expect(JSON.stringify(item).length).toBeLessThan(400_000);
    },
    120_000,
  );

  it('the same event delivered again writes nothing new and changes nothing', async () => {
    const stores = await dynamo.newStores();
    const list = events(createRole('again', trustDocument(OWN_ROOT)), putRolePolicy('again', 'huge', hugePolicy(MB, random)));
    await run(stores, list);
    const before = await stores.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      values: { ':pk': keys.role(ACCOUNT, 'again') },
    });
    const replayed = await run(stores, list);
    expect(replayed.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(await roleItems(stores, 'again')).toEqual(before);
  }, 120_000);

  it('a 1 MB trust policy: trust findings, then a change to a small one is judged against it', async () => {
    const stores = await dynamo.newStores();
    // Under the parser's 1 MiB limit once indented.
    const trust = hugeTrust(850_000);
    expect(trust.length).toBeGreaterThan(400_000);
    const results = await run(
      stores,
      events(createRole('wide', trust), updateTrust('wide', trustDocument(OWN_ROOT, 'arn:aws:iam::777788889999:root'))),
    );
    expect(rulesOf(results[0])).toContain('trust-unknown-account');
    expect(rulesOf(results[1])).toContain('trust-policy-changed');
    const changed = results[1]?.findings.find((f) => f.finding.ruleId === 'trust-policy-changed')?.finding;
    expect(changed?.diff?.join('\n')).toContain('444455556666');
    // Stored whole: the finding read back has the diff of every principal removed.
    const stored = await stores.findings.get(changed?.id ?? '');
    expect(stored?.diff).toEqual(changed?.diff);
    expect(stored?.diff?.length).toBeGreaterThan(5_000);
    const role = await stores.state.getRole(ACCOUNT, 'wide');
    expect(role?.trust?.document).toBe(trustDocument(OWN_ROOT, 'arn:aws:iam::777788889999:root'));
  }, 120_000);

  it('a 1 MB version of a customer-managed policy is stored, and escalates the roles it is attached to', async () => {
    const stores = await dynamo.newStores();
    const arn = `arn:aws:iam::${ACCOUNT}:policy/ci`;
    const v1 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    const v2 = hugePolicy(MB, random);
    const results = await run(
      stores,
      events(
        createRole('ci', trustDocument(OWN_ROOT)),
        iamRecord(
          'CreatePolicy',
          { policyName: 'ci', policyDocument: v1 },
          { responseElements: { policy: { arn, policyName: 'ci', defaultVersionId: 'v1' } } },
        ),
        attachRolePolicy('ci', arn),
        iamRecord(
          'CreatePolicyVersion',
          { policyArn: arn, policyDocument: v2, setAsDefault: true },
          { responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true } } },
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect(rulesOf(results[3])).toContain('policy-version-escalation');
    const policy = await stores.state.getPolicy(ACCOUNT, arn);
    expect(policy?.versions).toEqual({ v1, v2 });
    expect(policy?.defaultVersion?.versionId).toBe('v2');
    expect(liveParts((await stores.state.getRole(ACCOUNT, 'ci')) ?? fail('no role')).attached).toEqual([arn]);
  }, 120_000);

  it('keeps documents IAM accepts as they are, readable in the table', async () => {
    const stores = await dynamo.newStores();
    const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    await run(stores, events(createRole('small', trustDocument(OWN_ROOT)), putRolePolicy('small', 'p', document)));
    const items = await roleItems(stores, 'small');
    expect(items.find((item) => item.sk === 'INLINE#p')?.document).toBe(document);
    expect(typeof items.find((item) => item.sk === 'TRUST')?.document).toBe('string');
  }, 60_000);

  it('a large document replaced by a small one leaves only the small one', async () => {
    const stores = await dynamo.newStores();
    const small = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    await run(
      stores,
      events(
        createRole('shrinks', trustDocument(OWN_ROOT)),
        putRolePolicy('shrinks', 'p', hugePolicy(MB, random)),
        putRolePolicy('shrinks', 'p', small),
      ),
    );
    const item = (await roleItems(stores, 'shrinks')).find((i) => i.sk === 'INLINE#p');
    expect(item).toMatchObject({ document: small });
    expect(Object.keys(item ?? {}).filter((key) => key.startsWith('document'))).toEqual(['document']);
    expect((await stores.state.getRole(ACCOUNT, 'shrinks'))?.inline.p?.document).toBe(small);
  }, 120_000);

  it('on-iam-change handles the 1 MB PutRolePolicy in one invocation (nothing to retry) and alerts once', async () => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'message-id' });
    const role = createRole('lambda-big', trustDocument(OWN_ROOT));
    const huge = putRolePolicy('lambda-big', 'huge', hugePolicy(MB, random));
    await handler(eventBridge(role));
    await handler(eventBridge(huge));
    expect(logs.filter((line) => line.level === 'ERROR' || line.level === 'WARN')).toEqual([]);
    const stores = createDynamoStores({ client: dynamo.local.client, tableName: lambda.tableName });
    const findings = await stores.findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/lambda-big`);
    expect(findings.map((f) => f.ruleId)).toContain('admin-equivalent-inline-policy');
    const alerts = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    const rules = alerts.map((input) => input.MessageAttributes?.ruleId?.StringValue);
    expect(rules.filter((rule) => rule === 'admin-equivalent-inline-policy')).toHaveLength(1);
    for (const input of alerts) expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(256 * 1024);
  }, 120_000);

  it('an assumption carrying a 1 MB session policy is recorded, and its log entry reads back whole', async () => {
    const stores = await dynamo.newStores();
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/target`;
    const policy = hugePolicy(MB, random);
    const assumption = assumeRole(roleArn, 'arn:aws:iam::444455556666:user/eve');
    const list = events(createRole('target', trustDocument('arn:aws:iam::444455556666:root')), {
      ...assumption,
      requestParameters: { ...(assumption.requestParameters as Record<string, unknown>), policy },
    });
    const results = await run(stores, list);
    expect(results.map((r) => r.status)).toEqual(['processed', 'processed']);
    expect(rulesOf(results[1])).toContain('assumed-from-unknown-account');
    const [edge] = await stores.state.assumptionsOf(ACCOUNT, roleArn);
    expect(edge?.count).toBe(1);
    const logged = await stores.state.assumptionsBetween(ACCOUNT, roleArn, 0, Date.parse('2030-01-01T00:00:00Z'));
    expect(logged.map((event) => event.request.policy)).toEqual([policy]);
  }, 120_000);
});
