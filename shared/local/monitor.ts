import { LocalAlertPublisher } from '../alerts/LocalAlertPublisher';
import { type HandlerLogger, handleTrailEvent, handleTrailEventBatch } from '../app/trailEvents';
import type { Config } from '../config/config';
import { alertDelivery, createDynamoEngine, createDynamoStores, type DynamoStores } from '../context';
import type { Engine } from '../engine/engine';
import { StaticIamReader } from '../iam/reader';
import type { IamReader } from '../ports/iamReader';
import { createTable, type LocalDynamo, startDynamoLocal } from '../store/dynamoLocal';
import { destinationOf, envelope, sqsBatch } from './routing';

/** Records per SQS batch, as the deployed event source mapping reads them. */
const BATCH_SIZE = 100;

export interface LocalMonitorOptions {
  config: Config;
  /** Where alerts are written as .eml files. */
  mailDirectory: string;
  /** Where alerts and progress are printed. */
  stream: NodeJS.WritableStream;
  /** Reads customer-managed policies (offline by default). */
  iam?: IamReader;
  tableName?: string;
  logger?: HandlerLogger;
}

/** What the local monitor did with a set of records. */
export interface FeedReport {
  /** Records that reached a function (the rest match no RoleWatch rule, as in the cloud). */
  routed: number;
  ignored: number;
  /** Records the functions dropped as malformed, or that failed. */
  failed: number;
}

/** RoleWatch on one machine: DynamoDB Local, the functions' code, alerts as e-mail files. */
export interface LocalMonitor {
  dynamo: LocalDynamo;
  stores: DynamoStores;
  engine: Engine;
  tableName: string;
  /** Sends records through the routes the EventBridge rules define, in eventTime order. */
  feed(records: readonly Record<string, unknown>[]): Promise<FeedReport>;
  /** Stops DynamoDB Local (its java process is killed and awaited). */
  stop(): Promise<void>;
}

/**
 * Starts the monitor's back end: DynamoDB Local with RoleWatch's table, and the engine wired as in Lambda,
 * with alerts delivered by the local publisher (printed, and written as .eml files) instead of SNS.
 */
export async function startLocalMonitor(options: LocalMonitorOptions): Promise<LocalMonitor> {
  const dynamo = await startDynamoLocal();
  try {
    const tableName = options.tableName ?? 'rolewatch-local';
    await createTable(dynamo.client, tableName);
    const stores = createDynamoStores({ client: dynamo.client, tableName });
    const publisher = new LocalAlertPublisher({ directory: options.mailDirectory, stream: options.stream });
    const engine = createDynamoEngine({
      stores,
      config: options.config,
      iam: options.iam ?? new StaticIamReader(),
      ...alertDelivery({ publisher, findings: stores.findings }),
    });
    const logger = options.logger ?? quietLogger(options.stream);
    const deps = { engine, logger };
    return {
      dynamo,
      stores,
      engine,
      tableName,
      feed: (records) => feed(records, deps),
      stop: () => dynamo.stop(),
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}

async function feed(
  records: readonly Record<string, unknown>[],
  deps: { engine: Engine; logger: HandlerLogger },
): Promise<FeedReport> {
  const report: FeedReport = { routed: 0, ignored: 0, failed: 0 };
  const ordered = [...records].sort((a, b) => String(a.eventTime ?? '').localeCompare(String(b.eventTime ?? '')));
  let assumptions: ReturnType<typeof envelope>[] = [];
  const flush = async () => {
    if (assumptions.length === 0) return;
    const response = await handleTrailEventBatch(sqsBatch(assumptions), deps);
    report.failed += response.batchItemFailures.length;
    assumptions = [];
  };
  for (const record of ordered) {
    const destination = destinationOf(record);
    if (!destination) {
      report.ignored += 1;
      continue;
    }
    report.routed += 1;
    if (destination === 'on-role-assumed') {
      assumptions.push(envelope(record));
      if (assumptions.length >= BATCH_SIZE) await flush();
      continue;
    }
    // IAM changes and assumptions interleave in time: deliver the queued assumptions first.
    await flush();
    try {
      await handleTrailEvent(envelope(record), deps);
    } catch (error) {
      report.failed += 1;
      deps.logger.error('event failed', {
        eventId: String(record.eventID ?? ''),
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  await flush();
  return report;
}

/** Handler logs locally: errors only, as one line each; the findings speak through the alerts and the API. */
function quietLogger(stream: NodeJS.WritableStream): HandlerLogger {
  const line =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      stream.write(`[${level}] ${message} ${extra.map((e) => JSON.stringify(e)).join(' ')}\n`);
  return { info: () => undefined, warn: line('warn'), error: line('error') };
}
