import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
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
import { WriteContentionError } from '../../errors';

export type Item = Record<string, NativeAttributeValue>;
export type Key = { pk: string; sk: string };
export type Condition = { expression: string; names?: Record<string, string>; values?: Item };

/** One write of a transaction. */
export type TransactWrite =
  | { put: Item; condition?: Condition }
  | { update: Key; expression: string; names?: Record<string, string>; values?: Item; condition?: string }
  | { delete: Key; condition?: Condition };

/**
 * Told the capacity each call consumed (ReturnConsumedCapacity) and each conditional write refused: how
 * benchmarks and cost estimates measure the table's use. Nothing in the product observes it.
 */
export interface CapacityObserver {
  add(kind: 'read' | 'write', consumed: ConsumedCapacity | ConsumedCapacity[] | undefined, transactional?: boolean): void;
  refused(): void;
}

/** BatchGetItem takes up to 100 keys. */
const BATCH_GET_KEYS = 100;

/** What an optimistic attempt returns when another writer changed the item between its read and its write. */
export const LOST_RACE: unique symbol = Symbol('lost race');

/**
 * Read, decide, write with a condition, again until written: `attempt` returns its result, or LOST_RACE when
 * its conditional write was refused because another writer got there first. After `attempts` refusals it
 * throws WriteContentionError, so the event is retried later and nothing is half-written.
 */
export async function untilWritten<T>(what: string, attempt: () => Promise<T | typeof LOST_RACE>, attempts = 10): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const result = await attempt();
    if (result !== LOST_RACE) return result;
  }
  throw new WriteContentionError(`could not ${what}: too many concurrent writers`);
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
    readonly meter?: CapacityObserver,
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

  /**
   * Gets many items by key (any number; unprocessed keys are retried), in no particular order; missing items
   * are left out. Chunks of 100 keys are read in parallel: a batch answers when its slowest item is read.
   * `attributes` reads only those (a projection); `consistent: false` reads eventually consistent, at half
   * the read units.
   */
  async batchGet(keys: readonly Key[], options: { attributes?: readonly string[]; consistent?: boolean } = {}): Promise<Item[]> {
    const names = options.attributes ? Object.fromEntries(options.attributes.map((name, i) => [`#a${i}`, name])) : undefined;
    const projection = names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {};
    const chunks: Key[][] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) chunks.push(keys.slice(i, i + BATCH_GET_KEYS));
    const read = await Promise.all(
      chunks.map(async (chunk) => {
        const items: Item[] = [];
        let pending: Record<string, unknown>[] | undefined = chunk.map((key) => marshall(key));
        for (let attempt = 0; pending && pending.length > 0; attempt++) {
          if (attempt > 0) await delay(Math.min(1000, 25 * 2 ** attempt));
          const out = await this.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.name]: { Keys: pending as never, ConsistentRead: options.consistent ?? true, ...projection },
              },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          this.record(out.ConsumedCapacity, 'read');
          items.push(...(out.Responses?.[this.name] ?? []).map((item) => unmarshall(item)));
          pending = out.UnprocessedKeys?.[this.name]?.Keys as Record<string, unknown>[] | undefined;
        }
        return items;
      }),
    );
    return read.flat();
  }

  /**
   * Puts many items without conditions (BatchWriteItem, 25 a request; unprocessed items are retried): each
   * item costs what a PutItem of it would, in a fraction of the requests.
   */
  async batchPut(items: readonly Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = items
        .slice(i, i + 25)
        .map((item) => ({ PutRequest: { Item: marshall(item, marshallOptions) } }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        // DynamoDB leaves items unprocessed when it throttles: back off, and give up (the caller retries) at last.
        if (attempt >= BATCH_ATTEMPTS)
          throw new Error(`BatchWriteItem left ${pending.length} item(s) unprocessed ${attempt} times`);
        if (attempt > 0) await delay(Math.min(1000, 25 * 2 ** attempt));
        const out = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.name]: pending as never }, ReturnConsumedCapacity: 'TOTAL' }),
        );
        this.record(out.ConsumedCapacity, 'write');
        pending = out.UnprocessedItems?.[this.name] as Record<string, unknown>[] | undefined;
      }
    }
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

const BATCH_ATTEMPTS = 8;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
