import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context as LambdaInvocation, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseTrailRecord } from '../cloudtrail/parse';
import type { TrailEvent } from '../cloudtrail/types';
import type { Engine, ProcessResult } from '../engine/engine';
import { InvalidEventError } from '../errors';

/** Where handlers report. Powertools' Logger fits. */
export interface HandlerLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface TrailHandlerDeps {
  engine: Engine;
  logger: HandlerLogger;
}

/**
 * Handles one EventBridge "AWS API Call via CloudTrail" event. A malformed event is logged with its eventID
 * and dropped (returns undefined: retrying cannot fix it); a store, IAM or SNS failure propagates so the
 * invocation fails and the event is retried, then lands in the dead-letter queue.
 */
export async function handleTrailEvent(event: unknown, deps: TrailHandlerDeps): Promise<ProcessResult | undefined> {
  const trail = parseOrReport(event, deps.logger, envelopeId(event));
  if (!trail) return undefined;
  try {
    const result = await deps.engine.process(trail);
    logResult(result, trail, deps.logger);
    return result;
  } finally {
    deps.engine.clearCaches();
  }
}

/**
 * Time an invocation keeps for counting its batch's assumptions: a record not started when less than this
 * remains is left for SQS to deliver again, rather than the timeout ending the whole batch mid-way.
 */
export const COMMIT_RESERVE_MS = 10_000;

/**
 * Handles an SQS batch of EventBridge events (the high-volume role assumptions). Records are processed one
 * by one in eventTime order; malformed ones are logged and dropped; a record whose processing fails is
 * reported as a batch item failure, so SQS retries only it (and, after maxReceiveCount, moves it to the
 * dead-letter queue) while the rest of the batch is done. The batch's assumptions are counted at its end,
 * one write per edge (Engine.batch); those that could not be counted are reported as failures too, and so
 * are the records not started because the invocation was about to time out (COMMIT_RESERVE_MS).
 */
export async function handleTrailEventBatch(
  batch: SQSEvent,
  deps: TrailHandlerDeps,
  invocation?: LambdaInvocation,
): Promise<SQSBatchResponse> {
  const parsed = new Map<string, TrailEvent | undefined>();
  for (const record of batch.Records) parsed.set(record.messageId, parseRecord(record, deps.logger));
  const time = (record: SQSRecord) => parsed.get(record.messageId)?.time ?? 0;
  const ordered = { ...batch, Records: [...batch.Records].sort((a, b) => time(a) - time(b)) };
  const engine = deps.engine.batch();
  let deferred = 0;
  try {
    const response = await processPartialResponse(
      ordered,
      async (record: SQSRecord) => {
        const trail = parsed.get(record.messageId);
        if (!trail) return;
        if (remainingMs(invocation) < COMMIT_RESERVE_MS) {
          deferred += 1;
          throw new Error('not started: the invocation is close to its timeout');
        }
        logResult(await engine.process(trail), trail, deps.logger);
      },
      new BatchProcessor(EventType.SQS),
      { ...(invocation ? { context: invocation } : {}), processInParallel: false, throwOnFullBatchFailure: false },
    );
    if (deferred > 0)
      deps.logger.warn('records left for redelivery: the invocation is close to its timeout', {
        deferred,
        remainingMs: remainingMs(invocation),
      });
    const uncounted = new Set<string>();
    for (const { eventId, error } of await engine.commit()) {
      uncounted.add(eventId);
      deps.logger.error('assumption not recorded; its record is retried', {
        eventId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    // A new response: Powertools answers a batch without failures with one shared object.
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const record of ordered.Records) {
      const eventId = parsed.get(record.messageId)?.eventId;
      if (eventId !== undefined && uncounted.has(eventId)) failed.add(record.messageId);
    }
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  } finally {
    deps.engine.clearCaches();
  }
}

/** What is left of the invocation's time (unbounded without a Lambda context, as in a local run). */
function remainingMs(invocation: LambdaInvocation | undefined): number {
  return typeof invocation?.getRemainingTimeInMillis === 'function'
    ? invocation.getRemainingTimeInMillis()
    : Number.POSITIVE_INFINITY;
}

function parseRecord(record: SQSRecord, logger: HandlerLogger): TrailEvent | undefined {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    logger.error('malformed message dropped: body is not JSON', {
      messageId: record.messageId,
      reason: (error as Error).message,
    });
    return undefined;
  }
  return parseOrReport(body, logger, envelopeId(body) ?? record.messageId);
}

function parseOrReport(event: unknown, logger: HandlerLogger, fallbackId: string | undefined): TrailEvent | undefined {
  try {
    return parseTrailRecord(event);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    logger.error('malformed event dropped', {
      eventId: error.eventId ?? 'unknown',
      envelopeId: fallbackId,
      reason: error.message,
    });
    return undefined;
  }
}

function logResult(result: ProcessResult, event: TrailEvent, logger: HandlerLogger): void {
  logger.info('event processed', {
    eventId: event.eventId,
    eventName: event.eventName,
    account: event.account,
    status: result.status,
    findings: result.findings.map((f) => ({ id: f.finding.id, ruleId: f.finding.ruleId, transition: f.transition })),
    resolved: result.resolved.map((f) => f.id),
  });
}

/** The EventBridge envelope's own id, to name a record whose CloudTrail eventID cannot be read. */
function envelopeId(event: unknown): string | undefined {
  return event !== null && typeof event === 'object' && typeof (event as { id?: unknown }).id === 'string'
    ? (event as { id: string }).id
    : undefined;
}
