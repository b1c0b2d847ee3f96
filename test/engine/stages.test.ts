import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { assumedRole, assumptionSource } from '../../shared/engine/assumptions';
import { EventFilter } from '../../shared/engine/dispatch';
import { defaultResource } from '../../shared/engine/failedCalls';
import { rewind } from '../../shared/engine/lateEvents';
import { PostureResolver } from '../../shared/engine/posture';
import { FindingRecorder } from '../../shared/engine/recording';
import { PolicyResolver } from '../../shared/engine/roleView';
import { RuleRunner } from '../../shared/engine/ruleRunner';
import { StaticIamReader } from '../../shared/iam/reader';
import { parsePolicy } from '../../shared/policy/parse';
import type { PolicyDocument } from '../../shared/policy/types';
import {
  applyRoleChanges,
  emptyRoleRecord,
  foldRoleChanges,
  type RoleChange,
  type RoleRecord,
  sameRoleState,
} from '../../shared/roles/roleRecord';
import type { RoleView, Rule, RuleContext } from '../../shared/rules/types';
import { MemoryStore } from '../../shared/store/MemoryStore';
import { ACCOUNT, assumeRole, createRole, failed, trustDocument, updateTrust } from '../support/trail';

/** The stages of the engine, each on its own (the engine's behaviour as a whole: engine.test.ts, golden.test.ts). */

const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app`;

function rule(overrides: Partial<Rule> & Pick<Rule, 'id'>): Rule {
  return {
    title: overrides.id,
    severity: 'high',
    kind: 'event',
    events: ['AssumeRole'],
    firesWhen: 'when',
    rationale: 'why',
    remediation: 'what',
    controls: ['NIST-800-53-r5-SI-4'],
    evaluate: () => [],
    ...overrides,
  };
}

function document(text: unknown): PolicyDocument {
  const parsed = parsePolicy(JSON.stringify(text));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.document;
}

const view = (trust: PolicyDocument): RoleView => ({ account: ACCOUNT, name: 'app', arn: ROLE_ARN, trust, policies: [] });

describe('running rules (RuleRunner)', () => {
  const event = parseTrailRecord(assumeRole(ROLE_ARN, `arn:aws:iam::${ACCOUNT}:user/bob`));
  const context: RuleContext = {
    path: 'event',
    event,
    changed: [],
    trustChanged: false,
    config: validateConfig({}),
  };

  it('indexes enabled rules by event, skips disabled ones, and drafts a finding per match', () => {
    const config = validateConfig({ rules: { off: { enabled: false } } });
    const runner = new RuleRunner(
      [
        rule({ id: 'on', evaluate: () => [{ detail: 'a' }, { detail: 'b', qualifier: 'q' }] }),
        rule({ id: 'off', evaluate: () => [{ detail: 'never' }] }),
      ],
      config,
    );
    expect(runner.listensTo('AssumeRole')).toBe(true);
    expect(runner.listensTo('CreateRole')).toBe(false);
    expect(runner.forEvent('AssumeRole').map((r) => r.id)).toEqual(['on']);
    const drafts = runner.run(event, { ...context, config }, { account: ACCOUNT, resource: ROLE_ARN, at: event.time });
    expect(drafts.map((d) => [d.ruleId, d.detail, d.event?.eventId])).toEqual([
      ['on', 'a', event.eventId],
      ['on', 'b', event.eventId],
    ]);
    expect(new Set(drafts.map((d) => d.id)).size).toBe(2);
  });

  it('logs a rule that throws and goes on with the others', () => {
    const warnings: unknown[] = [];
    const runner = new RuleRunner(
      [
        rule({
          id: 'broken',
          evaluate: () => {
            throw new Error('boom');
          },
        }),
        rule({ id: 'fine', evaluate: () => [{ detail: 'ok' }] }),
      ],
      validateConfig({}),
      { warn: (message, data) => warnings.push({ message, ...data }) },
    );
    const drafts = runner.run(event, context, { account: ACCOUNT, resource: ROLE_ARN, at: event.time });
    expect(drafts.map((d) => d.ruleId)).toEqual(['fine']);
    expect(warnings).toEqual([{ message: 'rule failed; skipped', ruleId: 'broken', eventId: event.eventId, error: 'boom' }]);
  });

  it('knows the posture rules and the sources that correlating rules judge again', () => {
    const runner = new RuleRunner(
      [rule({ id: 'p', kind: 'posture' }), rule({ id: 'c', correlatesTrustChanges: ['aws', 'saml'] })],
      validateConfig({}),
    );
    expect(runner.posture.map((r) => r.id)).toEqual(['p']);
    expect([...runner.correlatingIds]).toEqual(['c']);
    expect([...runner.correlatedSources].sort()).toEqual(['aws', 'saml']);
  });
});

describe('dispatch (EventFilter)', () => {
  const filter = new EventFilter(new RuleRunner([rule({ id: 'r', events: ['StopLogging'] })], validateConfig({})));

  it('watches state changes, rule events and assumptions; of read-only calls only assumptions', () => {
    expect(filter.isWatched({ eventName: 'AttachRolePolicy', eventSource: 'iam.amazonaws.com', readOnly: false })).toBe(true);
    expect(filter.isWatched({ eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com', readOnly: false })).toBe(true);
    expect(filter.isWatched({ eventName: 'AssumeRole', eventSource: 'sts.amazonaws.com', readOnly: true })).toBe(true);
    expect(filter.isWatched({ eventName: 'GetRole', eventSource: 'iam.amazonaws.com', readOnly: true })).toBe(false);
    expect(filter.isWatched({ eventName: 'PutObject', eventSource: 's3.amazonaws.com', readOnly: false })).toBe(false);
  });

  it('judges raw records and EventBridge envelopes before parsing; what it cannot judge counts as watched', () => {
    expect(filter.isWatchedRecord({ eventName: 'Decrypt', eventSource: 'kms.amazonaws.com', readOnly: true })).toBe(false);
    expect(filter.isWatchedRecord({ eventName: 'ListRoles', eventSource: 'iam.amazonaws.com' })).toBe(false);
    expect(
      filter.isWatchedRecord({
        'detail-type': 'AWS API Call via CloudTrail',
        detail: { eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com' },
      }),
    ).toBe(true);
    expect(filter.isWatchedRecord({ eventName: 42 })).toBe(true);
    expect(filter.isWatchedRecord('text')).toBe(true);
  });
});

describe('recording findings (FindingRecorder)', () => {
  const config = validateConfig({
    alerts: { minSeverity: 'high' },
    suppressions: [{ rule: 'r', resource: 'role/legacy-*', reason: 'accepted' }],
  });
  const runner = new RuleRunner([rule({ id: 'r', evaluate: () => [{ detail: 'x' }] })], config);
  const at = Date.parse('2026-11-02T10:00:00Z');
  const draft = (resource: string, severity: 'high' | 'low') => ({
    ...(runner.run(
      undefined,
      {
        path: 'posture',
        role: { account: ACCOUNT, name: 'app', arn: ROLE_ARN, policies: [] },
        changed: [],
        trustChanged: true,
        config,
      },
      {
        account: ACCOUNT,
        resource,
        at,
      },
      runner.forEvent('AssumeRole'),
    )[0] as NonNullable<ReturnType<RuleRunner['run']>[0]>),
    severity,
  });

  it('applies the configured suppression and the alert threshold', async () => {
    const store = new MemoryStore();
    const recorder = new FindingRecorder(store, config, true);
    const [high, low, suppressed] = await recorder.record(
      [
        draft(ROLE_ARN, 'high'),
        draft(`arn:aws:iam::${ACCOUNT}:role/other`, 'low'),
        draft(`arn:aws:iam::${ACCOUNT}:role/legacy-etl`, 'high'),
      ],
      at,
    );
    expect([high?.transition, high?.finding.alert.state]).toEqual(['opened', 'pending']);
    expect([low?.transition, low?.finding.alert.state]).toEqual(['opened', 'none']);
    expect([suppressed?.transition, suppressed?.finding.suppression?.reason]).toEqual(['suppressed', 'accepted']);
  });

  it('never marks an alert when alerting is off (backfills)', async () => {
    const recorder = new FindingRecorder(new MemoryStore(), config, false);
    const [recorded] = await recorder.record([draft(ROLE_ARN, 'high')], at);
    expect(recorded?.finding.alert.state).toBe('none');
    expect(await recorder.record([], at)).toEqual([]);
  });
});

describe('posture resolution (PostureResolver)', () => {
  const config = validateConfig({});
  const open = document({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }] });
  const closed = document({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  let calls = 0;
  const anyPrincipal = rule({
    id: 'any-principal',
    kind: 'posture',
    events: ['UpdateAssumeRolePolicy'],
    evaluate: (ctx) => {
      calls += 1;
      return ctx.role?.trust === open ? [{ detail: 'trusts anyone' }] : [];
    },
  });

  it('judges a state once: the same documents give the remembered answer', () => {
    calls = 0;
    const posture = new PostureResolver(new RuleRunner([anyPrincipal], config), new MemoryStore(), config);
    const ids = posture.ids(view(open));
    expect(ids.size).toBe(1);
    expect(posture.ids(view(open))).toBe(ids);
    expect(calls).toBe(1);
    expect(posture.ids(view(closed)).size).toBe(0);
    expect(calls).toBe(2);
  });

  it('resolves what no longer holds, and everything of a deleted role', async () => {
    const store = new MemoryStore();
    const runner = new RuleRunner([anyPrincipal], config);
    const posture = new PostureResolver(runner, store, config);
    const at = Date.parse('2026-11-02T10:00:00Z');
    await new FindingRecorder(store, config, true).record(posture.drafts(view(open), at), at);
    expect(await posture.resolve(ACCOUNT, ROLE_ARN, view(open), at + 1, 'a change')).toEqual([]);
    const [resolved] = await posture.resolve(ACCOUNT, ROLE_ARN, view(closed), at + 2, 'UpdateAssumeRolePolicy by alice');
    expect([resolved?.status, resolved?.resolution]).toEqual([
      'resolved',
      'no longer true after UpdateAssumeRolePolicy by alice',
    ]);
    await new FindingRecorder(store, config, true).record(posture.drafts(view(open), at + 3), at + 3);
    const [deleted] = await posture.resolve(ACCOUNT, ROLE_ARN, undefined, at + 4, 'DeleteRole by alice');
    expect(deleted?.resolution).toBe('role deleted (DeleteRole by alice)');
  });
});

describe('late-event replay: rewind', () => {
  const stamp = (minute: number, eventId: string) => ({ at: Date.UTC(2026, 10, 2, 9, minute), eventId });
  const trust = (minute: number, document: string): RoleChange => ({
    part: 'trust',
    stamp: stamp(minute, `t${minute}`),
    document,
    principals: [],
    initial: false,
  });

  it('takes every part the later changes touch back to its newest earlier value, and leaves the others', () => {
    const earlier = [{ changes: [trust(1, 'first')] }, { changes: [trust(2, 'second')] }];
    const attach: RoleChange = {
      part: 'attached',
      stamp: stamp(3, 'a3'),
      arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      attached: true,
    };
    const later = [trust(5, 'fifth')];
    const record: RoleRecord = foldRoleChanges(emptyRoleRecord(ACCOUNT, 'app', ROLE_ARN), [
      ...earlier,
      { changes: [attach] },
      { changes: later },
    ]);
    expect(record.trust?.document).toBe('fifth');
    const rewound = rewind(record, later, earlier);
    expect(rewound.trust?.document).toBe('second');
    expect(rewound.attached['arn:aws:iam::aws:policy/ReadOnlyAccess']?.attached).toBe(true);
    expect(rewound.lastChange).toEqual(stamp(2, 't2'));
  });
});

describe('role views (PolicyResolver)', () => {
  const at = (minute: number, eventId: string) => ({ at: Date.UTC(2026, 10, 2, 9, minute), eventId });
  const CUSTOMER = `arn:aws:iam::${ACCOUNT}:policy/app-access`;
  const allow = (action: string) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
  const changes: RoleChange[] = [
    { part: 'created', stamp: at(1, 'c1'), by: 'deployer' },
    {
      part: 'trust',
      stamp: at(1, 'c1'),
      document: trustDocument('arn:aws:iam::444455556666:root'),
      principals: ['AWS:arn:aws:iam::444455556666:root'],
      initial: true,
    },
    { part: 'inline', stamp: at(2, 'p2'), name: 'logs', document: allow('logs:PutLogEvents') },
    { part: 'attached', stamp: at(3, 'a3'), arn: CUSTOMER, attached: true },
  ];
  // Two records of the same state built apart, as the engine and a store each apply the same changes.
  const record = () => applyRoleChanges(emptyRoleRecord(ACCOUNT, 'app', ROLE_ARN), changes);

  it('tells records of the same state from records that differ in any part', () => {
    expect(sameRoleState(record(), record())).toBe(true);
    const differing: RoleChange[] = [
      { part: 'inline', stamp: at(4, 'p4'), name: 'logs', document: allow('logs:*') },
      { part: 'inline', stamp: at(4, 'p4'), name: 'more', document: allow('s3:GetObject') },
      { part: 'inline', stamp: at(4, 'd4'), name: 'logs', document: null },
      { part: 'attached', stamp: at(4, 'a4'), arn: CUSTOMER, attached: false },
      {
        part: 'trust',
        stamp: at(4, 't4'),
        document: trustDocument('arn:aws:iam::111122223333:root'),
        principals: [],
        initial: false,
      },
      { part: 'boundary', stamp: at(4, 'b4'), arn: CUSTOMER },
      { part: 'lastUsed', stamp: at(4, 'r4'), usedAt: at(3, '').at },
      { part: 'deleted', stamp: at(4, 'x4') },
    ];
    for (const change of differing) expect(sameRoleState(record(), applyRoleChanges(record(), [change]))).toBe(false);
    // An older trust version arriving late changes only the predecessor, which says who was just added.
    const late = applyRoleChanges(record(), [
      {
        part: 'trust',
        stamp: at(0, 't0'),
        document: trustDocument('arn:aws:iam::111122223333:root'),
        principals: ['AWS:arn:aws:iam::111122223333:root'],
        initial: false,
      },
    ]);
    expect(late.trust?.previous).toBeDefined();
    expect(sameRoleState(record(), late)).toBe(false);
    // A part name such as __proto__ is compared as an own key, never through the prototype.
    const hostile = applyRoleChanges(record(), [
      { part: 'inline', stamp: at(5, 'h5'), name: '__proto__', document: allow('iam:*') },
    ]);
    expect(sameRoleState(hostile, record())).toBe(false);
    expect(sameRoleState(record(), hostile)).toBe(false);
  });

  it('reuses the view of an unchanged state, builds a new one for a changed state, and forgets views with their documents', async () => {
    const state = new MemoryStore();
    await state.applyPolicyChanges(ACCOUNT, CUSTOMER, [
      { kind: 'version', versionId: 'v1', document: allow('s3:GetObject') },
      { kind: 'default', stamp: at(0, 'v1'), versionId: 'v1' },
    ]);
    const resolver = new PolicyResolver(state, new StaticIamReader());
    const first = await resolver.view(record());
    expect(first?.policies.map((ref) => ref.kind === 'managed' && ref.document?.statements[0]?.action)).toEqual([
      false,
      ['s3:GetObject'],
    ]);
    expect(await resolver.view(record())).toBe(first);

    const changed = await resolver.view(
      applyRoleChanges(record(), [{ part: 'inline', stamp: at(4, 'p4'), name: 'logs', document: allow('logs:*') }]),
    );
    expect(changed).not.toBe(first);
    expect(changed?.policies[0]?.document?.statements[0]?.action).toEqual(['logs:*']);

    // A new default version of the attached policy: the engine forgets the policy, and views built with it go too.
    await state.applyPolicyChanges(ACCOUNT, CUSTOMER, [
      { kind: 'version', versionId: 'v2', document: allow('s3:*') },
      { kind: 'default', stamp: at(5, 'v2'), versionId: 'v2' },
    ]);
    resolver.forget(ACCOUNT, CUSTOMER);
    const after = await resolver.view(record());
    expect(after).not.toBe(first);
    expect(after?.policies[1]?.document?.statements[0]?.action).toEqual(['s3:*']);
  });
});

describe('assumptions: the role assumed and who assumed it', () => {
  it('reads the role from the request, its account from the ARN, and nothing from a request without one', () => {
    const event = parseTrailRecord(assumeRole('arn:aws:iam::210987654321:role/path/deploy', `arn:aws:iam::${ACCOUNT}:user/bob`));
    expect(assumedRole(event)).toEqual({
      account: '210987654321',
      roleArn: 'arn:aws:iam::210987654321:role/path/deploy',
      roleName: 'deploy',
    });
    expect(assumedRole({ ...event, request: {} })).toBeUndefined();
    expect(assumedRole({ ...event, request: { roleArn: 'arn:aws:iam::1:user/x' } })).toBeUndefined();
  });

  it('names the source by the calling principal, its account, and its kind', () => {
    const event = parseTrailRecord(assumeRole(ROLE_ARN, `arn:aws:iam::${ACCOUNT}:user/bob`));
    expect(assumptionSource(event)).toMatchObject({ sourceType: 'aws', sourceAccount: ACCOUNT });
    const service = { ...event, actor: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' } };
    expect(assumptionSource(service)).toEqual({ source: 'lambda.amazonaws.com', sourceType: 'service' });
    const web = {
      ...event,
      eventName: 'AssumeRoleWithWebIdentity',
      actor: {
        type: 'WebIdentityUser',
        identityProvider: 'token.actions.githubusercontent.com',
        userName: 'repo:acme/app:ref:refs/heads/main',
      },
    };
    expect(assumptionSource(web)).toEqual({
      source: 'token.actions.githubusercontent.com:repo:acme/app:ref:refs/heads/main',
      sourceType: 'web-identity',
    });
  });
});

describe('failed calls: what an event without a role of its own is about', () => {
  it('is the role the request names, else a resource of the event, else the account', () => {
    const update = parseTrailRecord(failed(updateTrust('app', trustDocument('*')), 'MalformedPolicyDocumentException'));
    expect(defaultResource(update)).toBe(ROLE_ARN);
    const create = parseTrailRecord(createRole('app', trustDocument('*')));
    expect(defaultResource({ ...create, request: {}, resources: [{ arn: 'arn:aws:s3:::bucket' }] })).toBe('arn:aws:s3:::bucket');
    expect(defaultResource({ ...create, request: {}, resources: [] })).toBe(`arn:aws:iam::${ACCOUNT}:root`);
  });
});
