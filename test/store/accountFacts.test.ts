import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, createMemoryContext } from '../../shared/context';
import type { Engine } from '../../shared/engine/engine';
import { severityRank } from '../../shared/findings/severity';
import { StaticIamReader } from '../../shared/iam/reader';
import type { StoredFact } from '../../shared/ports/roleState';
import { RULE_IDS } from '../../shared/rules/index';
import { useLocalDynamo } from '../support/dynamo';

const dynamo = useLocalDynamo();
const FIXTURES = path.resolve(__dirname, '../fixtures/rules/roles-anywhere-profile-maps-role');
const ACCOUNT = '123456789012';

const fact = (id: string, at: number, value: Record<string, unknown> | null, eventId = `e${at}`): StoredFact => ({
  kind: 'trust-anchor',
  id,
  stamp: { at, eventId },
  value,
});

/** The severity of the profile finding the last event of a fixture raises. */
async function profileSeverity(engine: Engine, file: string): Promise<string | undefined> {
  const { events } = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { events: unknown[] };
  let severity: string | undefined;
  for (const record of events) {
    const result = await engine.process(parseTrailRecord(record));
    severity = result.findings.find((f) => f.finding.ruleId === 'roles-anywhere-profile-maps-role')?.finding.severity ?? severity;
  }
  return severity;
}

const config = () => validateConfig({ ...JSON.parse(readFileSync(path.resolve(FIXTURES, '../config.json'), 'utf8')) }, RULE_IDS);

describe('account facts on DynamoDB', () => {
  it('keeps the newest fact per kind and id, whatever the arrival order, and remembers deletions', async () => {
    const { state } = await dynamo.newStores();
    await state.applyAccountFacts(ACCOUNT, [fact('a', 2000, { sourceType: 'CERTIFICATE_BUNDLE' })]);
    await state.applyAccountFacts(ACCOUNT, [fact('a', 1000, { sourceType: 'AWS_ACM_PCA' })]);
    await state.applyAccountFacts(ACCOUNT, [fact('b', 1000, { sourceType: 'AWS_ACM_PCA' }), fact('b', 3000, null)]);
    const facts = await state.accountFacts(ACCOUNT, 'trust-anchor');
    expect(facts.map((f) => [f.id, f.value])).toEqual([
      ['a', { sourceType: 'CERTIFICATE_BUNDLE' }],
      ['b', null],
    ]);
    expect(await state.accountFacts('210987654321', 'trust-anchor')).toEqual([]);
  }, 60_000);

  it('judges a profile after an external CA anchor at medium or above, and the same after an AWS Private CA anchor lower', async () => {
    const external = await profileSeverity(
      createDynamoEngine({ stores: await dynamo.newStores(), config: config(), iam: new StaticIamReader() }),
      'fires.external-ca-then-profile.json',
    );
    const privateCa = await profileSeverity(
      createDynamoEngine({ stores: await dynamo.newStores(), config: config(), iam: new StaticIamReader() }),
      'fires.private-ca-then-profile-judged-low.json',
    );
    expect(external).toBeDefined();
    expect(privateCa).toBeDefined();
    expect(severityRank(external as never)).toBeGreaterThanOrEqual(severityRank('medium'));
    expect(severityRank(privateCa as never)).toBeLessThan(severityRank(external as never));
    // The in-memory replay judges the same.
    const memory = createMemoryContext({ config: config() }).engine;
    expect(await profileSeverity(memory, 'fires.external-ca-then-profile.json')).toBe(external);
  }, 60_000);
});
