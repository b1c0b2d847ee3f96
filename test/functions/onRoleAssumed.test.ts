import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/on-role-assumed/handler';
import { createDynamoStores } from '../../shared/context';
import { CORPUS } from '../support/corpus';
import { useLocalDynamo } from '../support/dynamo';
import { captureLogs, eventBridge, sqsBatch, useLambdaEnvironment } from '../support/lambda';
import { ACCOUNT, assumeRole, FOREIGN_ACCOUNT, resetClock } from '../support/trail';

// Real handlers over DynamoDB Local: the first test also loads them, seconds on a busy 2-core machine.
jest.setTimeout(20_000);
const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo, { knownAccounts: ['111122223333'] });
const logs = captureLogs();
const sns = mockClient(SNSClient);
const invocation = { functionName: 'on-role-assumed', awsRequestId: 'request' } as Parameters<typeof handler>[1];

const corpus = (file: string) => JSON.parse(readFileSync(path.join(CORPUS, 'events', file), 'utf8')) as Record<string, unknown>;
const stores = () => createDynamoStores({ client: dynamo.local.client, tableName });
const body = (record: Record<string, unknown>) => JSON.stringify(eventBridge(record));

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-id' });
  resetClock();
});

describe('on-role-assumed', () => {
  it('aggregates a batch of assumptions, real CloudTrail records among them, into one edge per source', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/app`;
    const caller = `arn:aws:iam::${ACCOUNT}:role/ci`;
    const records = Array.from({ length: 20 }, () => assumeRole(roleArn, caller));
    const documented = corpus('awsdocs/AssumeRole_962c3f7724a3.json');
    const response = await handler(sqsBatch([...records.map(body), body(documented)]), invocation);
    expect(response.batchItemFailures).toEqual([]);
    const edges = await stores().state.assumptionsOf(ACCOUNT, roleArn);
    expect(edges).toEqual([expect.objectContaining({ source: caller, count: 20, sourceAccount: ACCOUNT })]);
    const documentedRole = String((documented.requestParameters as { roleArn: string }).roleArn);
    const documentedAccount = documentedRole.split(':')[4] ?? '';
    expect((await stores().state.assumptionsOf(documentedAccount, documentedRole)).map((e) => e.count)).toEqual([1]);
  });

  it('leaves the records it has no time for to SQS, and counts those it processed before its timeout', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/late-batch`;
    const caller = `arn:aws:iam::${ACCOUNT}:role/ci`;
    const batch = sqsBatch(Array.from({ length: 5 }, () => body(assumeRole(roleArn, caller))));
    // Lambda's clock: 11 s left at the first look, 1 s less at each (the third finds less than the reserve).
    let remaining = 12_000;
    const closeToTimeout = { ...invocation, getRemainingTimeInMillis: () => (remaining -= 1_000) };
    const response = await handler(batch, closeToTimeout);
    expect(response.batchItemFailures).toEqual(batch.Records.slice(2).map((r) => ({ itemIdentifier: r.messageId })));
    expect(logs.some((line) => line.message === 'records left for redelivery: the invocation is close to its timeout')).toBe(
      true,
    );
    expect((await stores().state.assumptionsOf(ACCOUNT, roleArn)).map((e) => e.count)).toEqual([2]);
    // SQS delivers the three again, to an invocation with time.
    const again = { Records: batch.Records.slice(2) };
    expect((await handler(again, invocation)).batchItemFailures).toEqual([]);
    expect((await stores().state.assumptionsOf(ACCOUNT, roleArn)).map((e) => e.count)).toEqual([5]);
  });

  it('drops a malformed record, reports a failing record as a batch item failure, and processes the rest', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/vendor-access`;
    sns.on(PublishCommand).rejects(Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' }));
    const batch = sqsBatch([
      '{"not json',
      body(assumeRole(roleArn, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`)),
      body(assumeRole(roleArn, `arn:aws:iam::111122223333:role/ops`)),
    ]);
    const response = await handler(batch, invocation);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[1]?.messageId }]);
    expect(logs.some((line) => line.message === 'malformed message dropped: body is not JSON')).toBe(true);
    // The failed record's finding is recorded, its alert pending; its edge is counted when it succeeds.
    const sources = (await stores().state.assumptionsOf(ACCOUNT, roleArn)).map((e) => e.source).sort();
    expect(sources).toEqual(['arn:aws:iam::111122223333:role/ops']);

    // SQS redelivers the failed message once SNS is back: the alert goes out once, the edge is not counted twice.
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'recovered' });
    const retry = { Records: [batch.Records[1]].filter((r) => r !== undefined) };
    expect((await handler(retry, invocation)).batchItemFailures).toEqual([]);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.ruleId?.StringValue)).toEqual([
      'assumed-from-unknown-account',
    ]);
    const mallory = (await stores().state.assumptionsOf(ACCOUNT, roleArn)).find((e) => e.source.endsWith('mallory'));
    expect(mallory?.count).toBe(1);
  });
});
