import type { EventLedger } from '../../ports/eventLedger';
import type { DynamoTable } from './DynamoTable';
import { keys } from './keys';

const DAY = 86_400_000;

/**
 * Processed eventIDs, each kept for `ttlDays` (DynamoDB TTL), so a redelivered event is recognised.
 * CloudTrail redelivers within minutes to hours; a week is ample.
 */
export class DynamoEventLedger implements EventLedger {
  constructor(
    private readonly table: DynamoTable,
    private readonly options: { ttlDays: number; now?: () => number },
  ) {}

  async isProcessed(eventId: string): Promise<boolean> {
    return (await this.table.get({ pk: keys.event(eventId), sk: 'EVENT' })) !== undefined;
  }

  async markProcessed(eventId: string, at: number): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    await this.table.put({
      pk: keys.event(eventId),
      sk: 'EVENT',
      at,
      expiresAt: Math.floor((now + this.options.ttlDays * DAY) / 1000),
    });
  }
}
