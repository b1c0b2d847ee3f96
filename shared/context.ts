import type { Config } from './config/config';
import { Engine, type EngineLogger } from './engine/engine';
import { type PolicyFixtures, StaticIamReader } from './iam/reader';
import { RULES } from './rules';
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
