import type { CapacityMeter } from '../../shared/bench/capacityMeter';
import { createDynamoStores, type DynamoStores } from '../../shared/context';
import { createTable, type LocalDynamo, startDynamoLocal } from '../../shared/store/dynamoLocal';

/**
 * Starts DynamoDB Local for the test file (before all its tests) and stops it after; each call of
 * `newStores` gets a fresh table, so tests do not see each other's data.
 */
export function useLocalDynamo() {
  let local: LocalDynamo | undefined;
  let tables = 0;
  beforeAll(async () => {
    local = await startDynamoLocal();
  }, 90_000);
  afterAll(async () => {
    await local?.stop();
  }, 30_000);
  const running = () => {
    if (!local) throw new Error('DynamoDB Local is not running');
    return local;
  };
  return {
    get local(): LocalDynamo {
      return running();
    },
    async newStores(options: { meter?: CapacityMeter } = {}): Promise<DynamoStores> {
      tables += 1;
      const tableName = `rolewatch-test-${tables}`;
      await createTable(running().client, tableName);
      return createDynamoStores({ client: running().client, tableName, ...(options.meter ? { meter: options.meter } : {}) });
    },
  };
}
