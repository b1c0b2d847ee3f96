import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { CapacityObserver } from '../store/dynamo/DynamoTable';

/**
 * Write and read capacity consumed, summed over calls (ReturnConsumedCapacity), for benchmarks and cost
 * estimates on DynamoDB Local. DynamoDB bills each item of a transaction twice (2 WCU per KB); DynamoDB Local
 * reports it at the plain rate, so transactional writes are counted double here.
 */
export class CapacityMeter implements CapacityObserver {
  write = 0;
  read = 0;
  /** Conditional writes refused. DynamoDB bills them (at least 1 WCU) but returns no consumed capacity: counted as 1 each. */
  refusedWrites = 0;

  add(kind: 'read' | 'write', consumed: ConsumedCapacity | ConsumedCapacity[] | undefined, transactional = false): void {
    for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      // DynamoDB Local reports only the total CapacityUnits.
      const units = (kind === 'write' ? entry.WriteCapacityUnits : entry.ReadCapacityUnits) ?? entry.CapacityUnits ?? 0;
      this[kind] += transactional ? 2 * units : units;
    }
  }

  refused(): void {
    this.refusedWrites += 1;
    this.write += 1;
  }
}
