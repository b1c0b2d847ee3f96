import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { eventPatterns, matchesPattern } from '../deploy/eventPatterns';

/** Which function a record reaches in the cloud: on-iam-change directly, on-role-assumed through the queue. */
export type Destination = 'on-iam-change' | 'on-role-assumed';

const patterns = eventPatterns();

/** The destination of a record under RoleWatch's EventBridge rules, or undefined when no rule matches. */
export function destinationOf(record: Record<string, unknown>): Destination | undefined {
  if (matchesPattern(patterns.roleAssumptions, record)) return 'on-role-assumed';
  if (matchesPattern(patterns.iamChanges, record) || matchesPattern(patterns.monitorTampering, record)) return 'on-iam-change';
  return undefined;
}

/** The EventBridge event that carries a CloudTrail record. */
export function envelope(
  record: Record<string, unknown>,
): EventBridgeEvent<'AWS API Call via CloudTrail', Record<string, unknown>> {
  const source = typeof record.eventSource === 'string' ? record.eventSource.replace('.amazonaws.com', '') : 'unknown';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${source}`,
    account: typeof record.recipientAccountId === 'string' ? record.recipientAccountId : '000000000000',
    time: typeof record.eventTime === 'string' ? record.eventTime : new Date().toISOString(),
    region: typeof record.awsRegion === 'string' ? record.awsRegion : 'us-east-1',
    resources: [],
    detail: record,
  };
}

/** An SQS batch of EventBridge events, as the role-assumptions queue hands it to Lambda. */
export function sqsBatch(events: readonly EventBridgeEvent<string, unknown>[]): SQSEvent {
  return { Records: events.map((event) => sqsRecord(JSON.stringify(event))) };
}

/** One message of such a batch; `receiveCount` says how often the queue has handed it out. */
export function sqsRecord(
  body: string,
  message: { messageId?: string; receiptHandle?: string; receiveCount?: number } = {},
): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: message.messageId ?? randomUUID(),
    receiptHandle: message.receiptHandle ?? randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount ?? 1),
      SentTimestamp: now,
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:rolewatch-assumptions',
    awsRegion: 'local',
  };
}
