import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent, SQSEvent } from 'aws-lambda';
import { sqsRecord } from '../../shared/local/routing';
import { createTable } from '../../shared/store/dynamoLocal';
import type { useLocalDynamo } from './dynamo';

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:rolewatch-alerts';

/** Wraps a CloudTrail record the way EventBridge delivers it. */
export function eventBridge(
  record: Record<string, unknown>,
): EventBridgeEvent<'AWS API Call via CloudTrail', Record<string, unknown>> {
  const source = String(record.eventSource ?? 'iam.amazonaws.com').replace('.amazonaws.com', '');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${source}`,
    account: String(record.recipientAccountId ?? '123456789012'),
    time: String(record.eventTime ?? '2026-11-02T09:00:00Z'),
    region: String(record.awsRegion ?? 'us-east-1'),
    resources: [],
    detail: record,
  };
}

/** An SQS batch of message bodies, as the role-assumptions queue hands it to Lambda. */
export function sqsBatch(bodies: string[]): SQSEvent {
  return { Records: bodies.map((body) => sqsRecord(body)) };
}

/**
 * Points the Lambda environment at DynamoDB Local (a fresh table) before the handler's first invocation
 * builds its context; SNS and IAM are mocked by the tests with aws-sdk-client-mock.
 */
export function useLambdaEnvironment(dynamo: ReturnType<typeof useLocalDynamo>, config: Record<string, unknown> = {}) {
  const saved = { ...process.env };
  const tableName = `rolewatch-lambda-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    await createTable(dynamo.local.client, tableName);
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: dynamo.local.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: dynamo.local.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.local.endpoint,
      TABLE_NAME: tableName,
      ALERT_TOPIC_ARN: TOPIC_ARN,
      // What serverless.yml sets: the account the functions run in (reconcile's list step reads it).
      ACCOUNT_ID: '123456789012',
      ROLEWATCH_CONFIG: JSON.stringify(config),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });
  afterAll(() => {
    process.env = saved;
  });
  return { tableName };
}

/** Captures what the handlers log (Powertools writes JSON lines to stdout, errors to stderr). */
export function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const spies: jest.SpyInstance[] = [];
  const collect = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.trim().startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    return true;
  };
  beforeEach(() => {
    lines.length = 0;
    spies.push(
      jest.spyOn(process.stdout, 'write').mockImplementation(collect),
      jest.spyOn(process.stderr, 'write').mockImplementation(collect),
    );
  });
  afterEach(() => {
    for (const spy of spies.splice(0)) spy.mockRestore();
  });
  return lines;
}
