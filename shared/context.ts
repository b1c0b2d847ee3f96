import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from './config/config';
import { Engine, type EngineLogger } from './engine/engine';
import { type IamReader, type PolicyFixtures, StaticIamReader } from './iam/reader';
import { RULES } from './rules';
import { DynamoEventLedger } from './store/dynamo/DynamoEventLedger';
import { DynamoFindingStore } from './store/dynamo/DynamoFindingStore';
import { DynamoStateStore } from './store/dynamo/DynamoStateStore';
import { type CapacityMeter, DynamoTable } from './store/dynamo/DynamoTable';
import { MemoryStore } from './store/MemoryStore';

/** What a running RoleWatch needs: the engine and the stores behind it. */
export interface MemoryContext {
  engine: Engine;
  store: MemoryStore;
  config: Config;
}

/**
 * The composition root for in-memory runs (`rolewatch evaluate`, engine tests): memory store, IAM reader
 * over known policies (offline, nothing else is readable), every rule.
 */
export function createMemoryContext(options: {
  config: Config;
  policies?: PolicyFixtures;
  logger?: EngineLogger;
}): MemoryContext {
  const store = new MemoryStore();
  const engine = new Engine({
    state: store,
    findings: store,
    ledger: store,
    iam: new StaticIamReader(options.policies),
    config: options.config,
    rules: RULES,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return { engine, store, config: options.config };
}

/** Stores on one DynamoDB table. */
export interface DynamoStores {
  table: DynamoTable;
  state: DynamoStateStore;
  findings: DynamoFindingStore;
  ledger: DynamoEventLedger;
}

/** Retention of history and of the processed-event ledger, in days. */
export const DEFAULT_RETENTION = { historyTtlDays: 400, ledgerTtlDays: 7 } as const;

export function createDynamoStores(options: {
  client: DynamoDBClient;
  tableName: string;
  meter?: CapacityMeter;
  historyTtlDays?: number;
  ledgerTtlDays?: number;
}): DynamoStores {
  const table = new DynamoTable(options.client, options.tableName, options.meter);
  return {
    table,
    state: new DynamoStateStore(table, { historyTtlDays: options.historyTtlDays ?? DEFAULT_RETENTION.historyTtlDays }),
    findings: new DynamoFindingStore(table),
    ledger: new DynamoEventLedger(table, { ttlDays: options.ledgerTtlDays ?? DEFAULT_RETENTION.ledgerTtlDays }),
  };
}

/** The engine over DynamoDB stores. */
export function createDynamoEngine(options: {
  stores: DynamoStores;
  config: Config;
  iam: IamReader;
  logger?: EngineLogger;
}): Engine {
  const { stores } = options;
  return new Engine({
    state: stores.state,
    findings: stores.findings,
    ledger: stores.ledger,
    iam: options.iam,
    config: options.config,
    rules: RULES,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
