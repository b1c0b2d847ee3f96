import type { TrailEvent } from '../../shared/cloudtrail/types';
import { type ConfigInput, validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import type { ProcessResult } from '../../shared/engine/engine';
import { Engine } from '../../shared/engine/engine';
import { StaticIamReader } from '../../shared/iam/reader';
import { liveParts } from '../../shared/roles/roleRecord';
import { RULES } from '../../shared/rules/index';
import type { Rule } from '../../shared/rules/types';
import { MemoryStore } from '../../shared/store/MemoryStore';
import {
  ACCOUNT,
  assumeRole,
  attachRolePolicy,
  createRole,
  detachRolePolicy,
  events,
  FOREIGN_ACCOUNT,
  failed,
  iamRecord,
  putRolePolicy,
  resetClock,
  trustDocument,
  updateTrust,
} from '../support/trail';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const OWN_ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const FOREIGN_ROOT = `arn:aws:iam::${FOREIGN_ACCOUNT}:root`;

function setup(config: ConfigInput = {}) {
  const warnings: unknown[] = [];
  const context = createMemoryContext({
    config: validateConfig(config),
    logger: { warn: (message, data) => warnings.push({ message, data }) },
  });
  return { ...context, warnings };
}

async function run(engine: Engine, list: readonly TrailEvent[]): Promise<ProcessResult[]> {
  const results: ProcessResult[] = [];
  for (const event of list) results.push(await engine.process(event));
  return results;
}

const rulesOf = (result: ProcessResult | undefined) => (result?.findings ?? []).map((f) => f.finding.ruleId).sort();

beforeEach(() => resetClock());

describe('Engine on role changes', () => {
  it('reports a backdoor role: trust to a foreign account, then AdministratorAccess', async () => {
    const { engine } = setup();
    const [created, attached] = await run(
      engine,
      events(createRole('backdoor', trustDocument(FOREIGN_ROOT)), attachRolePolicy('backdoor', ADMIN)),
    );
    expect(rulesOf(created)).toEqual(expect.arrayContaining(['trust-unknown-account']));
    expect(rulesOf(attached)).toEqual(expect.arrayContaining(['admin-policy-attached', 'new-role-gets-admin']));
    const unknown = created?.findings.find((f) => f.finding.ruleId === 'trust-unknown-account')?.finding;
    expect(unknown?.detail).toContain(FOREIGN_ACCOUNT);
    expect(unknown?.severity).toBe('high');
  });

  it('reports a trust update adding a foreign account, naming the added principal', async () => {
    const { engine } = setup();
    const results = await run(
      engine,
      events(createRole('deploy', trustDocument(OWN_ROOT)), updateTrust('deploy', trustDocument(OWN_ROOT, FOREIGN_ROOT))),
    );
    const update = results[1];
    expect(rulesOf(update)).toEqual(expect.arrayContaining(['trust-unknown-account', 'trust-policy-changed']));
    const changed = update?.findings.find((f) => f.finding.ruleId === 'trust-policy-changed')?.finding;
    expect(changed?.detail).toContain(`AWS:${FOREIGN_ROOT}`);
    expect(changed?.severity).toBe('medium');
    expect(changed?.diff?.join('\n')).toContain(FOREIGN_ROOT);
  });

  it('lowers trust-policy-changed to info when the change only removes a principal', async () => {
    const { engine } = setup({ knownAccounts: [FOREIGN_ACCOUNT] });
    const results = await run(
      engine,
      events(createRole('deploy', trustDocument(OWN_ROOT, FOREIGN_ROOT)), updateTrust('deploy', trustDocument(OWN_ROOT))),
    );
    const changed = results[1]?.findings.find((f) => f.finding.ruleId === 'trust-policy-changed')?.finding;
    expect(changed?.severity).toBe('info');
  });

  it('ignores calls that failed: no state change, no change finding', async () => {
    const { engine, store } = setup();
    await run(engine, events(createRole('app', trustDocument(OWN_ROOT))));
    const before = await store.getRole(ACCOUNT, 'app');
    const results = await run(
      engine,
      events(
        failed(attachRolePolicy('app', ADMIN)),
        failed(updateTrust('app', trustDocument(FOREIGN_ROOT))),
        failed(iamRecord('DeleteRole', { roleName: 'app' }), 'DeleteConflict'),
        failed(
          putRolePolicy('app', 'all', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
        ),
      ),
    );
    expect(results.flatMap((r) => r.findings)).toEqual([]);
    expect(await store.getRole(ACCOUNT, 'app')).toEqual(before);
    expect(await store.roleHistory(ACCOUNT, 'app')).toHaveLength(1);
  });

  it('treats a redelivered event as a no-op', async () => {
    const { engine, store } = setup();
    const list = events(createRole('app', trustDocument(FOREIGN_ROOT)), attachRolePolicy('app', ADMIN));
    await run(engine, list);
    const findings = await store.allFindings();
    const again = await run(engine, list);
    expect(again.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(again.flatMap((r) => r.findings)).toEqual([]);
    expect(await store.allFindings()).toEqual(findings);
    expect(await store.roleHistory(ACCOUNT, 'app')).toHaveLength(2);
  });

  it('ends in the same state and findings whatever the order of arrival', async () => {
    const list = events(
      createRole('app', trustDocument(OWN_ROOT)),
      attachRolePolicy('app', ADMIN),
      putRolePolicy('app', 'extra', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] }),
      updateTrust('app', trustDocument(OWN_ROOT, FOREIGN_ROOT)),
      detachRolePolicy('app', ADMIN),
      attachRolePolicy('app', READ_ONLY),
      iamRecord('DeleteRolePolicy', { roleName: 'app', policyName: 'extra' }),
      updateTrust('app', trustDocument(FOREIGN_ROOT)),
    );
    const inOrder = setup();
    await run(inOrder.engine, list);
    const reversed = setup();
    await run(reversed.engine, [...list].reverse());
    const interleaved = setup();
    await run(interleaved.engine, [...list.filter((_, i) => i % 2 === 1), ...list.filter((_, i) => i % 2 === 0)]);

    const summary = async (store: MemoryStore) => ({
      parts: liveParts((await store.getRole(ACCOUNT, 'app')) ?? fail('role missing')),
      findings: (await store.allFindings()).map((f) => `${f.ruleId}|${f.qualifier ?? ''}|${f.status}`).sort(),
    });
    const expected = await summary(inOrder.store);
    expect(expected.parts.attached).toEqual([READ_ONLY]);
    expect(expected.parts.inline).toEqual([]);
    expect(await summary(reversed.store)).toEqual(expected);
    expect(await summary(interleaved.store)).toEqual(expected);
  });

  it('never lets an older event overwrite newer state', async () => {
    const { engine, store } = setup();
    const [create, attach, detach] = events(
      createRole('app', trustDocument(OWN_ROOT)),
      attachRolePolicy('app', ADMIN),
      detachRolePolicy('app', ADMIN),
    );
    await run(
      engine,
      [create, detach, attach].filter((e): e is TrailEvent => e !== undefined),
    );
    expect(liveParts((await store.getRole(ACCOUNT, 'app')) ?? fail('role missing')).attached).toEqual([]);
  });

  it('resolves a posture finding when its cause goes and re-opens it when it returns', async () => {
    const { engine, store } = setup();
    const results = await run(
      engine,
      events(
        createRole('app', trustDocument(OWN_ROOT)),
        attachRolePolicy('app', ADMIN),
        detachRolePolicy('app', ADMIN),
        attachRolePolicy('app', ADMIN),
      ),
    );
    const adminId = results[1]?.findings.find((f) => f.finding.ruleId === 'admin-policy-attached')?.finding.id;
    expect(results[2]?.resolved.map((f) => f.id)).toContain(adminId);
    const reopened = results[3]?.findings.find((f) => f.finding.id === adminId);
    expect(reopened?.transition).toBe('reopened');
    expect(reopened?.finding.status).toBe('open');
    expect((await store.get(adminId ?? ''))?.count).toBe(2);
  });

  it('resolves every posture finding of a deleted role', async () => {
    const { engine, store } = setup();
    await run(engine, events(createRole('app', trustDocument(FOREIGN_ROOT)), attachRolePolicy('app', ADMIN)));
    const [deleted] = await run(engine, events(iamRecord('DeleteRole', { roleName: 'app' })));
    expect(deleted?.resolved.map((f) => f.ruleId).sort()).toEqual(['admin-policy-attached', 'trust-unknown-account']);
    const open = (await store.allFindings()).filter((f) => f.kind === 'posture' && f.status === 'open');
    expect(open).toEqual([]);
  });

  it('applies a configured suppression, and re-opens the finding once it expires', async () => {
    const { engine } = setup({
      suppressions: [
        { rule: 'trust-unknown-account', resource: 'role/legacy-*', reason: 'vendor migration', until: '2026-11-02' },
      ],
    });
    const [created] = await run(engine, events(createRole('legacy-sync', trustDocument(FOREIGN_ROOT))));
    const suppressed = created?.findings.find((f) => f.finding.ruleId === 'trust-unknown-account');
    expect(suppressed?.transition).toBe('suppressed');
    expect(suppressed?.finding.suppression?.reason).toBe('vendor migration');
    resetClock('2026-11-03T10:00:00Z');
    const [updated] = await run(engine, events(updateTrust('legacy-sync', trustDocument(FOREIGN_ROOT, OWN_ROOT))));
    expect(updated?.findings.find((f) => f.finding.ruleId === 'trust-unknown-account')?.transition).toBe('reopened');
  });

  it('marks findings at or above alerts.minSeverity as pending alert, others as none', async () => {
    const { engine } = setup({ alerts: { minSeverity: 'high' } });
    const [created] = await run(engine, events(createRole('app', trustDocument(FOREIGN_ROOT))));
    const alerts = Object.fromEntries((created?.findings ?? []).map((f) => [f.finding.ruleId, f.finding.alert.state]));
    expect(alerts['trust-unknown-account']).toBe('pending');
    expect(alerts['iam-change-recorded']).toBe('none');
  });

  it('evaluates a new default policy version against every role it is attached to', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:policy/ci-deploy`;
    const v1 = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::artifacts/*' }],
    };
    const v2 = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' }],
    };
    const store = new MemoryStore();
    const engine = new Engine({
      state: store,
      findings: store,
      ledger: store,
      iam: new StaticIamReader({ [arn]: { defaultVersionId: 'v1', versions: { v1 } } }),
      config: validateConfig({}),
      rules: RULES,
    });
    resetClock();
    const list = events(
      createRole('ci-a', trustDocument(OWN_ROOT)),
      createRole('ci-b', trustDocument(OWN_ROOT)),
      attachRolePolicy('ci-a', arn),
      attachRolePolicy('ci-b', arn),
      iamRecord(
        'CreatePolicyVersion',
        { policyArn: arn, policyDocument: JSON.stringify(v2), setAsDefault: true },
        { responseElements: { policyVersion: { versionId: 'v2', isDefaultVersion: true } } },
      ),
    );
    const results = await run(engine, list);
    const escalation = results[4]?.findings.filter((f) => f.finding.ruleId === 'policy-version-escalation') ?? [];
    expect(escalation.map((f) => f.finding.roleName).sort()).toEqual(['ci-a', 'ci-b']);
    expect(escalation[0]?.finding.detail).toContain('PassExistingRoleToNewLambdaThenInvoke');
    expect(await store.roleHistory(ACCOUNT, 'ci-a')).toHaveLength(3);
  });

  it('records a malformed policy document and goes on', async () => {
    const { engine, store } = setup();
    const results = await run(
      engine,
      events(
        createRole('app', trustDocument(OWN_ROOT)),
        putRolePolicy('app', 'broken', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '),
        putRolePolicy('app', 'huge', {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'x'.repeat(1_000_000) }],
        }),
        putRolePolicy('app', 'unicode', {
          Version: '2012-10-17',
          Statement: [{ Sid: 'Ünïcødé\u0000\ud83d\ude00', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
        attachRolePolicy('app', ADMIN),
      ),
    );
    expect(rulesOf(results[1])).toContain('malformed-policy');
    expect(results[2]?.status).toBe('processed');
    expect(rulesOf(results[3])).not.toContain('malformed-policy');
    expect(rulesOf(results[4])).toContain('admin-policy-attached');
    expect(liveParts((await store.getRole(ACCOUNT, 'app')) ?? fail('role missing')).inline.map((p) => p.name)).toEqual([
      'broken',
      'huge',
      'unicode',
    ]);
  });

  it('keeps going when a rule throws, and logs the rule and event', async () => {
    const broken: Rule = {
      id: 'broken',
      title: 'broken',
      severity: 'low',
      kind: 'event',
      controls: [],
      events: ['CreateRole'],
      firesWhen: 'never: it throws',
      rationale: '',
      remediation: '',
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const store = new MemoryStore();
    const warnings: { message: string; data?: Record<string, unknown> }[] = [];
    const engine = new Engine({
      state: store,
      findings: store,
      ledger: store,
      iam: new StaticIamReader(),
      config: validateConfig({}),
      rules: [broken, ...RULES],
      logger: { warn: (message, data) => warnings.push({ message, ...(data ? { data } : {}) }) },
    });
    const [created] = await run(engine, events(createRole('app', trustDocument(FOREIGN_ROOT))));
    expect(rulesOf(created)).toContain('trust-unknown-account');
    expect(warnings).toEqual([
      { message: 'rule failed; skipped', data: expect.objectContaining({ ruleId: 'broken', error: 'boom' }) },
    ]);
  });
});

describe('Engine on role assumptions', () => {
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/deploy`;

  it('reports an assumption from an unknown account, and by a principal just added to the trust policy', async () => {
    const { engine } = setup();
    const results = await run(
      engine,
      events(
        createRole('deploy', trustDocument(OWN_ROOT)),
        updateTrust('deploy', trustDocument(OWN_ROOT, FOREIGN_ROOT)),
        assumeRole(roleArn, `arn:aws:iam::${FOREIGN_ACCOUNT}:user/mallory`),
      ),
    );
    expect(rulesOf(results[2])).toEqual(expect.arrayContaining(['assumed-from-unknown-account', 'assumed-after-trust-change']));
  });

  it('aggregates many assumptions by one principal into one edge', async () => {
    const { engine, store } = setup();
    const caller = `arn:aws:iam::${ACCOUNT}:role/ci`;
    await run(engine, events(...Array.from({ length: 50 }, () => assumeRole(roleArn, caller))));
    const edges = await store.assumptions();
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({ source: caller, count: 50, sourceAccount: ACCOUNT });
  });

  it('stays quiet about first-time assumptions during the learning period, and reports them after', async () => {
    const { engine } = setup({ correlation: { learningPeriodDays: 1 } });
    const early = await run(engine, events(assumeRole(roleArn, `arn:aws:iam::${ACCOUNT}:user/bob`)));
    expect(rulesOf(early[0])).not.toContain('first-time-assumption');
    resetClock('2026-11-05T09:00:00Z');
    const later = await run(
      engine,
      events(
        assumeRole(roleArn, `arn:aws:iam::${ACCOUNT}:user/carol`),
        assumeRole(roleArn, `arn:aws:iam::${ACCOUNT}:user/carol`),
      ),
    );
    expect(rulesOf(later[0])).toContain('first-time-assumption');
    expect(rulesOf(later[1])).not.toContain('first-time-assumption');
  });
});
