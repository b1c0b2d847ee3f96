import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareTrailEvents } from '../../shared/cloudtrail/order';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import { validateConfig } from '../../shared/config/config';
import { createDynamoEngine, createMemoryContext } from '../../shared/context';
import type { Engine } from '../../shared/engine/engine';
import { StaticIamReader } from '../../shared/iam/reader';
import type { FindingStore } from '../../shared/ports/findingStore';
import { liveParts } from '../../shared/roles/roleRecord';
import { runCli } from '../support/cli';
import { useLocalDynamo } from '../support/dynamo';
import { ACCOUNT, attachRolePolicy, createRole, detachRolePolicy, events, iamRecord, trustDocument } from '../support/trail';

const dynamo = useLocalDynamo();

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/backdoor`;
const SECOND = '2026-11-02T09:30:07Z';
const LOW_ID = '00000000-1111-4111-8111-000000000001';
const HIGH_ID = 'ffffffff-1111-4111-8111-00000000000f';

/**
 * The script-speed backdoor: CreateRole and AttachRolePolicy(AdministratorAccess) within one second, as
 * CloudTrail records. With `attachFirstById` the attachment's eventID sorts before the creation's, the order
 * eventIDs alone would give.
 */
function backdoorRecords(attachFirstById: boolean) {
  return {
    create: createRole('backdoor', trustDocument(`arn:aws:iam::${ACCOUNT}:root`), {
      eventTime: SECOND,
      eventID: attachFirstById ? HIGH_ID : LOW_ID,
    }),
    attach: attachRolePolicy('backdoor', ADMIN, { eventTime: SECOND, eventID: attachFirstById ? LOW_ID : HIGH_ID }),
  };
}

function backdoor(attachFirstById: boolean): { create: TrailEvent; attach: TrailEvent } {
  const records = backdoorRecords(attachFirstById);
  const [create, attach] = events(records.create, records.attach);
  if (!create || !attach) throw new Error('no events');
  return { create, attach };
}

async function newRoleGetsAdmin(findings: FindingStore): Promise<string[]> {
  return (await findings.forResource(ACCOUNT, ROLE_ARN))
    .filter((finding) => finding.ruleId === 'new-role-gets-admin')
    .map((finding) => `${finding.status}|${finding.count}`);
}

const cases = [true, false].flatMap((attachFirstById) =>
  (['creation first', 'attachment first'] as const).map((arrival) => ({ attachFirstById, arrival })),
);
const ordered = ({ create, attach }: { create: TrailEvent; attach: TrailEvent }, arrival: string) =>
  arrival === 'creation first' ? [create, attach] : [attach, create];

async function run(engine: Engine, list: readonly TrailEvent[]): Promise<void> {
  for (const event of list) await engine.process(event);
}

describe('causal order within a second', () => {
  it('puts a creation before, and a deletion after, the other calls of its second whatever their eventIDs', () => {
    const [create, attach, detach, remove] = events(
      createRole('r', trustDocument(`arn:aws:iam::${ACCOUNT}:root`), { eventTime: SECOND, eventID: HIGH_ID }),
      attachRolePolicy('r', ADMIN, { eventTime: SECOND, eventID: LOW_ID }),
      { ...detachRolePolicy('r', ADMIN), eventTime: SECOND, eventID: HIGH_ID.replace('f', 'e') },
      iamRecord('DeleteRole', { roleName: 'r' }, { eventTime: SECOND, eventID: LOW_ID.replace('1', '2') }),
    );
    const list = [remove, detach, attach, create].map((e) => e ?? fail('no event'));
    expect(list.sort(compareTrailEvents).map((e) => e.eventName)).toEqual([
      'CreateRole',
      'AttachRolePolicy',
      'DetachRolePolicy',
      'DeleteRole',
    ]);
  });

  it.each(cases)('gives new-role-gets-admin in memory (attachment id first: $attachFirstById, $arrival)', async (c) => {
    const { engine, store } = createMemoryContext({ config: validateConfig({}) });
    await run(engine, ordered(backdoor(c.attachFirstById), c.arrival));
    expect(await newRoleGetsAdmin(store)).toEqual(['open|1']);
    const record = await store.getRole(ACCOUNT, 'backdoor');
    expect(liveParts(record ?? fail('missing')).attached).toEqual([ADMIN]);
  });

  it.each(cases)(
    'gives new-role-gets-admin on DynamoDB (attachment id first: $attachFirstById, $arrival)',
    async (c) => {
      const stores = await dynamo.newStores();
      const engine = createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
      await run(engine, ordered(backdoor(c.attachFirstById), c.arrival));
      expect(await newRoleGetsAdmin(stores.findings)).toEqual(['open|1']);
      const record = await stores.state.getRole(ACCOUNT, 'backdoor');
      expect(liveParts(record ?? fail('missing')).attached).toEqual([ADMIN]);
    },
    60_000,
  );

  it('stores the boundary set after the creation in the same second, on DynamoDB, whatever the eventIDs', async () => {
    const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const created = createRole('backdoor', trustDocument(`arn:aws:iam::${ACCOUNT}:root`), {
      eventTime: SECOND,
      eventID: HIGH_ID,
    });
    const [create, put] = events(
      { ...created, requestParameters: { ...(created.requestParameters as object), permissionsBoundary: ADMIN } },
      iamRecord(
        'PutRolePermissionsBoundary',
        { roleName: 'backdoor', permissionsBoundary: BOUNDARY },
        { eventTime: SECOND, eventID: LOW_ID },
      ),
    );
    const stores = await dynamo.newStores();
    const engine = createDynamoEngine({ stores, config: validateConfig({}), iam: new StaticIamReader() });
    await run(
      engine,
      [create, put].map((e) => e ?? fail('no event')),
    );
    expect(liveParts((await stores.state.getRole(ACCOUNT, 'backdoor')) ?? fail('missing')).boundary).toBe(BOUNDARY);
  }, 60_000);

  it.each([true, false])(
    'gives new-role-gets-admin through rolewatch evaluate (attachment id first: %s)',
    async (attachFirstById) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-causal-'));
      try {
        const { create, attach } = backdoorRecords(attachFirstById);
        // The attachment is written first in the log file: the replay must still apply the creation first.
        writeFileSync(path.join(dir, 'trail.json'), JSON.stringify({ Records: [attach, create] }));
        const { code, stdout } = await runCli('evaluate', dir, '--format', 'jsonl');
        expect(code).toBe(0);
        const rules = stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { ruleId: string; eventName: string });
        expect(rules).toContainEqual(expect.objectContaining({ ruleId: 'new-role-gets-admin', eventName: 'AttachRolePolicy' }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
