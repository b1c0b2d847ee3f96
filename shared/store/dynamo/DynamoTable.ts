import {
  BatchGetItemCommand,
  type ConsumedCapacity,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, type NativeAttributeValue, unmarshall } from '@aws-sdk/util-dynamodb';

export type Item = Record<string, NativeAttributeValue>;
export type Key = { pk: string; sk: string };
export type Condition = { expression: string; names?: Record<string, string>; values?: Item };

/** One write of a transaction. */
export type TransactWrite =
  | { put: Item; condition?: Condition }
  | { update: Key; expression: string; names?: Record<string, string>; values?: Item; condition?: string }
  | { delete: Key; condition?: Condition };

/**
 * Write and read capacity consumed, summed over calls (ReturnConsumedCapacity), for benchmarks and cost
 * estimates on DynamoDB Local. DynamoDB bills each item of a transaction twice (2 WCU per KB); DynamoDB Local
 * reports it at the plain rate, so transactional writes are counted double here.
 */
export class CapacityMeter {
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

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };

/** True when DynamoDB refused a write because its condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'ConditionalCheckFailedException' || (name === 'TransactionCanceledException' && hasConditionReason(error));
}

function hasConditionReason(error: unknown): boolean {
  return cancellationCodes(error).includes('ConditionalCheckFailed');
}

function cancellationCodes(error: unknown): string[] {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

/** A transaction cancelled only because a condition failed or another transaction held an item. */
function isContention(error: unknown): boolean {
  if ((error as { name?: string } | null)?.name !== 'TransactionCanceledException') return false;
  const codes = cancellationCodes(error).filter((code) => code !== 'None');
  return codes.length > 0 && codes.every((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict');
}

/**
 * One DynamoDB table, with the few operations the adapters use, in plain JavaScript values. Failures
 * propagate (the event is retried); only condition failures are turned into a result where asked.
 */
export class DynamoTable {
  constructor(
    readonly client: DynamoDBClient,
    readonly name: string,
    readonly meter?: CapacityMeter,
  ) {}

  async get(key: Key, consistent = true): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.name,
        Key: marshall(key),
        ConsistentRead: consistent,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.record(out.ConsumedCapacity, 'read');
    return out.Item ? unmarshall(out.Item) : undefined;
  }

  /** Puts an item; with a condition, returns false instead of throwing when it does not hold. */
  async put(item: Item, condition?: Condition): Promise<boolean> {
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.name,
          Item: marshall(item, marshallOptions),
          ReturnConsumedCapacity: 'TOTAL',
          ...(condition ? conditionParts(condition) : {}),
        }),
      );
      this.record(out.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (condition && isConditionFailure(error)) {
        this.meter?.refused();
        return false;
      }
      throw error;
    }
  }

  /** Updates an item; returns the new item, or undefined when the condition did not hold. */
  async update(
    key: Key,
    update: { expression: string; names?: Record<string, string>; values?: Item; condition?: string },
  ): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.name,
          Key: marshall(key),
          UpdateExpression: update.expression,
          ...(update.condition ? { ConditionExpression: update.condition } : {}),
          ...(update.names ? { ExpressionAttributeNames: update.names } : {}),
          ...(update.values ? { ExpressionAttributeValues: marshall(update.values, marshallOptions) } : {}),
          ReturnValues: 'ALL_NEW',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.record(out.ConsumedCapacity, 'write');
      return out.Attributes ? unmarshall(out.Attributes) : {};
    } catch (error) {
      if (update.condition && isConditionFailure(error)) {
        this.meter?.refused();
        return undefined;
      }
      throw error;
    }
  }

  /** Deletes an item if the condition holds; false when it did not. */
  async deleteIf(key: Key, condition: Condition): Promise<boolean> {
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.name,
          Key: marshall(key),
          ReturnConsumedCapacity: 'TOTAL',
          ...conditionParts(condition),
        }),
      );
      this.record(out.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        this.meter?.refused();
        return false;
      }
      throw error;
    }
  }

  /**
   * Writes all or nothing (TransactWriteItems). False when a condition did not hold or another transaction
   * held one of the items: the caller reads again and decides again. The SDK sends a client request token,
   * so its own retry of a transaction whose answer was lost is not applied twice.
   */
  async transact(writes: readonly TransactWrite[]): Promise<boolean> {
    try {
      const out = await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: writes.map((write) => this.transactItem(write)),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.meter?.add('write', out.ConsumedCapacity, true);
      return true;
    } catch (error) {
      if (isContention(error)) {
        this.meter?.refused();
        return false;
      }
      throw error;
    }
  }

  private transactItem(write: TransactWrite): TransactWriteItem {
    const TableName = this.name;
    if ('put' in write)
      return {
        Put: {
          TableName,
          Item: marshall(write.put, marshallOptions),
          ...(write.condition ? conditionParts(write.condition) : {}),
        },
      };
    if ('delete' in write)
      return { Delete: { TableName, Key: marshall(write.delete), ...(write.condition ? conditionParts(write.condition) : {}) } };
    return {
      Update: {
        TableName,
        Key: marshall(write.update),
        UpdateExpression: write.expression,
        ...(write.condition ? { ConditionExpression: write.condition } : {}),
        ...(write.names ? { ExpressionAttributeNames: write.names } : {}),
        ...(write.values ? { ExpressionAttributeValues: marshall(write.values, marshallOptions) } : {}),
      },
    };
  }

  async delete(key: Key): Promise<void> {
    const out = await this.client.send(
      new DeleteItemCommand({ TableName: this.name, Key: marshall(key), ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.record(out.ConsumedCapacity, 'write');
  }

  /** Queries one page. `start` continues from a previous page's `next`. */
  async query(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'ExpressionAttributeValues'> & {
      values: Item;
      start?: Item;
    },
  ): Promise<{ items: Item[]; next?: Item; count: number }> {
    const { values, start, ...rest } = input;
    const out = await this.client.send(
      new QueryCommand({
        ...rest,
        TableName: this.name,
        ExpressionAttributeValues: marshall(values, marshallOptions),
        ...(start ? { ExclusiveStartKey: marshall(start) } : {}),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.record(out.ConsumedCapacity, 'read');
    return {
      items: (out.Items ?? []).map((item) => unmarshall(item)),
      ...(out.LastEvaluatedKey ? { next: unmarshall(out.LastEvaluatedKey) } : {}),
      count: out.Count ?? 0,
    };
  }

  /** Every item of a query, following pages. */
  async queryAll(input: Parameters<DynamoTable['query']>[0]): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.query({ ...input, ...(start ? { start } : {}) });
      items.push(...page.items);
      start = page.next;
    } while (start);
    return items;
  }

  /** Gets many items by key (any number; unprocessed keys are retried), in no particular order. */
  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const items: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100).map((key) => marshall(key));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await delay(Math.min(1000, 25 * 2 ** attempt));
        const out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.name]: { Keys: pending as never, ConsistentRead: true } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        this.record(out.ConsumedCapacity, 'read');
        items.push(...(out.Responses?.[this.name] ?? []).map((item) => unmarshall(item)));
        pending = out.UnprocessedKeys?.[this.name]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return items;
  }

  private record(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined, kind: 'read' | 'write'): void {
    this.meter?.add(kind, consumed);
  }
}

function conditionParts(condition: Condition) {
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: marshall(condition.values, marshallOptions) } : {}),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
