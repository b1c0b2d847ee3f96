import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { actorAccount, actorPrincipal, isRecord } from '../../shared/cloudtrail/accessors';
import { isEventBridgeEnvelope, isReadOnlyEventName, parseTrailRecord, parseTrailTime } from '../../shared/cloudtrail/parse';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import { InvalidEventError } from '../../shared/errors';
import { CORPUS, MALFORMED } from '../support/corpus';

const corpusDir = path.join(CORPUS, 'events');

function listJsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listJsonFiles(full);
      return entry.name.endsWith('.json') ? [full] : [];
    })
    .sort();
}

const corpusFiles = listJsonFiles(corpusDir).map((file) => path.relative(corpusDir, file));
const indexRows: { file: string; eventName: string }[] = readFileSync(path.join(corpusDir, 'INDEX.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

function readCorpusRecord(file: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readFileSync(path.join(corpusDir, file), 'utf8'));
  if (!isRecord(value)) throw new Error(`${file} is not a JSON object`);
  return value;
}

function envelope(detail: unknown): Record<string, unknown> {
  return {
    version: '0',
    id: '6f87d04b-9f74-4f04-a780-7acf4b0a9b38',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account: '123456789012',
    time: '2024-01-15T10:30:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

function parseError(raw: unknown): InvalidEventError {
  try {
    parseTrailRecord(raw);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected parseTrailRecord to throw');
}

const base = {
  eventVersion: '1.08',
  eventID: 'e-1',
  eventName: 'CreateRole',
  eventSource: 'iam.amazonaws.com',
  eventTime: '2024-01-15T10:30:00Z',
  awsRegion: 'us-east-1',
  recipientAccountId: '123456789012',
  userIdentity: {
    type: 'IAMUser',
    arn: 'arn:aws:iam::123456789012:user/alice',
    accountId: '123456789012',
    principalId: 'AIDAEXAMPLE',
    userName: 'alice',
  },
  requestParameters: { roleName: 'deploy-bot', assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' },
  responseElements: { role: { roleName: 'deploy-bot' } },
};

describe('parseTrailRecord on the third-party corpus', () => {
  it('finds the whole corpus, and its index names the same files and event names', () => {
    expect(corpusFiles.length).toBeGreaterThanOrEqual(70);
    const indexed = new Map(indexRows.map((row) => [row.file.replace(/^events\//, ''), row.eventName]));
    expect([...indexed.keys()].sort()).toEqual(corpusFiles);
    for (const file of corpusFiles) expect(readCorpusRecord(file).eventName).toBe(indexed.get(file));
  });

  it.each(Object.entries(MALFORMED))('rejects %s as malformed (%s)', (file, reason) => {
    const record = readCorpusRecord(file);
    const error = parseError({ eventID: 'x', ...record });
    expect(error.reason).toBe(reason);
  });

  it.each(corpusFiles.filter((file) => !(file in MALFORMED)))('parses %s, raw and inside an EventBridge envelope', (file) => {
    const original = readCorpusRecord(file);
    // Documentation examples and hand-written rule tests often leave eventID out; see the rejection test below.
    const record = typeof original.eventID === 'string' ? original : { ...original, eventID: `corpus:${file}` };
    const identity = isRecord(record.userIdentity) ? record.userIdentity : {};
    const expectedAccount = record.recipientAccountId ?? identity.accountId ?? '';

    const event = parseTrailRecord(record);
    expect(event.eventId).toBe(record.eventID);
    expect(event.eventName).toBe(record.eventName);
    expect(event.eventSource).toBe(record.eventSource);
    expect(event.account).toBe(expectedAccount);
    expect(event.region).toBe(record.awsRegion);
    expect(event.actor.type).toBe(identity.type);
    expect(event.errorCode).toBe(record.errorCode);
    if (typeof record.readOnly === 'boolean') expect(event.readOnly).toBe(record.readOnly);
    if (isRecord(record.requestParameters)) expect(event.request).toBe(record.requestParameters);
    if (typeof record.eventTime === 'string') {
      // Corpus times come as `2024-01-15T10:30:00Z`, `2022-09-27 17:09:18` or with nanoseconds, all UTC.
      expect(new Date(event.time).toISOString().slice(0, 19)).toBe(record.eventTime.slice(0, 19).replace(' ', 'T'));
    } else {
      expect(event.time).toBe(0);
    }
    expect(typeof actorPrincipal(event.actor)).toBe('string');

    expect(parseTrailRecord(envelope(record))).toEqual(event);
  });

  const withoutEventId = corpusFiles.filter((file) => typeof readCorpusRecord(file).eventID !== 'string');
  it.each(withoutEventId)('derives a stable eventID for %s, which has an eventTime but no eventID', (file) => {
    const record = readCorpusRecord(file);
    const event = parseTrailRecord(record);
    expect(event.eventId).toMatch(/^derived-[0-9a-f]{32}$/);
    expect(parseTrailRecord(structuredClone(record)).eventId).toBe(event.eventId);
    expect(parseTrailRecord({ ...record, eventTime: '2020-01-01T00:00:00Z' }).eventId).not.toBe(event.eventId);
  });

  it('reads the actor of corpus records the way edges and history need it', () => {
    const assumedRole = parseTrailRecord(readCorpusRecord('awsdocs/AssumeRole_962c3f7724a3.json'));
    expect(actorPrincipal(assumedRole.actor)).toBe('arn:aws:iam::111111111111:role/JohnRole1');
    expect(assumedRole.actor.sessionIssuer?.type).toBe('Role');

    const webIdentity = parseTrailRecord({
      ...readCorpusRecord('awsdocs/AssumeRoleWithWebIdentity_cb388233dd7f.json'),
      eventID: 'w',
    });
    expect(webIdentity.actor.identityProvider).toBe('accounts.google.com');
    expect(actorPrincipal(webIdentity.actor)).toBe('accounts.google.com:<id of user>');
    expect(actorAccount(webIdentity.actor)).toBeUndefined();

    const service = parseTrailRecord({
      ...readCorpusRecord('otrf-security-datasets/AssumeRole_1a8719d2ae2d.json'),
      eventTime: '2020-09-02T16:06:51Z',
    });
    expect(actorPrincipal(service.actor)).toBe('ec2.amazonaws.com');
    expect(service.resources).toEqual([
      {
        arn: 'arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0',
        accountId: '123456789123',
        type: 'AWS::IAM::Role',
      },
    ]);

    // CloudTrail writes `sessionIssuer: {}` for sessions no role issued: that is no issuer.
    const root = parseTrailRecord(readCorpusRecord('awsdocs/EnableMFADevice_472eb704166e.json'));
    expect(root.actor.sessionIssuer).toBeUndefined();
  });

  it('reads a space-separated eventTime without zone as UTC, whatever the machine zone', () => {
    const event = parseTrailRecord({
      ...readCorpusRecord('panther-analysis/CreateAccessKey_1c608a508281.json'),
      recipientAccountId: '123456789012',
      userIdentity: { type: 'IAMUser', accountId: '123456789012' },
    });
    expect(event.eventTime).toBe('2022-09-27 17:09:18');
    expect(event.time).toBe(Date.UTC(2022, 8, 27, 17, 9, 18));
  });
});

describe('parseTrailRecord on odd input', () => {
  it('maps a complete record field by field', () => {
    const event = parseTrailRecord({
      ...base,
      sourceIPAddress: '198.51.100.7',
      userAgent: 'aws-cli/2.15.0',
      errorCode: 'MalformedPolicyDocumentException',
      errorMessage: 'bad policy',
      readOnly: false,
      additionalEventData: { x: 1 },
      resources: [{ ARN: 'arn:aws:iam::123456789012:role/deploy-bot', accountId: '123456789012', type: 'AWS::IAM::Role' }],
      userIdentity: {
        ...base.userIdentity,
        type: 'AssumedRole',
        accessKeyId: 'ASIAEXAMPLE',
        invokedBy: 'cloudformation.amazonaws.com',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: 'arn:aws:iam::123456789012:role/ci',
            accountId: '123456789012',
            userName: 'ci',
            principalId: 'AROA',
          },
        },
      },
    });
    expect(event).toEqual<TrailEvent>({
      eventId: 'e-1',
      eventName: 'CreateRole',
      eventSource: 'iam.amazonaws.com',
      eventTime: '2024-01-15T10:30:00Z',
      time: Date.UTC(2024, 0, 15, 10, 30),
      account: '123456789012',
      region: 'us-east-1',
      actor: {
        type: 'AssumedRole',
        arn: 'arn:aws:iam::123456789012:user/alice',
        accountId: '123456789012',
        principalId: 'AIDAEXAMPLE',
        accessKeyId: 'ASIAEXAMPLE',
        userName: 'alice',
        invokedBy: 'cloudformation.amazonaws.com',
        sessionIssuer: {
          type: 'Role',
          arn: 'arn:aws:iam::123456789012:role/ci',
          accountId: '123456789012',
          userName: 'ci',
          principalId: 'AROA',
        },
      },
      sourceIp: '198.51.100.7',
      userAgent: 'aws-cli/2.15.0',
      errorCode: 'MalformedPolicyDocumentException',
      errorMessage: 'bad policy',
      readOnly: false,
      request: base.requestParameters,
      response: base.responseElements,
      additional: { x: 1 },
      resources: [{ arn: 'arn:aws:iam::123456789012:role/deploy-bot', accountId: '123456789012', type: 'AWS::IAM::Role' }],
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /must be a JSON object, got null/],
    ['a number', 42, /got a number/],
    ['a string', '{"eventID":"x"}', /got a string/],
    ['an array', [base], /got an array/],
    ['undefined', undefined, /got undefined/],
    ['an object without eventID', { eventName: 'CreateRole', eventSource: 'iam.amazonaws.com' }, /no eventID/],
    ['a numeric eventID and no eventTime', { ...base, eventID: 123, eventTime: undefined }, /no eventID/],
    ['an empty eventID and no eventTime', { ...base, eventID: '', eventTime: undefined }, /no eventID/],
    ['an EventBridge event whose detail is null', envelope(null), /EventBridge event "AWS API Call via CloudTrail".*got null/],
    [
      'an EventBridge event that is not from CloudTrail',
      { 'detail-type': 'EC2 Instance State-change Notification', detail: { state: 'running' } },
      /"EC2 Instance State-change Notification".*no eventID/,
    ],
  ])('rejects %s with InvalidEventError', (_name, raw, message) => {
    const error = parseError(raw);
    expect(error.message).toMatch(message);
    expect(error.eventId).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no eventName', { ...base, eventName: undefined }, /e-1 has no eventName/],
    ['a null eventName', { ...base, eventName: null }, /no eventName/],
    ['an object as eventSource', { ...base, eventSource: { a: 1 } }, /e-1 has no eventSource/],
  ])('rejects a record with %s and names its eventID', (_name, raw, message) => {
    const error = parseError(raw);
    expect(error.message).toMatch(message);
    expect(error.eventId).toBe('e-1');
    expect(parseError(envelope(raw)).eventId).toBe('e-1');
  });

  it.each<[string, Record<string, unknown>, (event: TrailEvent) => void]>([
    ['userIdentity is a string', { userIdentity: 'alice' }, (e) => expect(e.actor).toEqual({ type: 'Unknown' })],
    ['userIdentity is an array', { userIdentity: [base.userIdentity] }, (e) => expect(e.actor).toEqual({ type: 'Unknown' })],
    ['userIdentity is missing', { userIdentity: undefined }, (e) => expect(e.actor).toEqual({ type: 'Unknown' })],
    [
      'userIdentity.type is a number',
      { userIdentity: { type: 7, arn: 'arn:x' } },
      (e) => expect(e.actor).toEqual({ type: 'Unknown', arn: 'arn:x' }),
    ],
    [
      'identity fields have wrong types',
      { userIdentity: { type: 'IAMUser', arn: null, accountId: 1234, userName: ['a'], invokedBy: {}, identityProvider: true } },
      (e) => expect(e.actor).toEqual({ type: 'IAMUser' }),
    ],
    [
      'sessionContext is a string',
      { userIdentity: { type: 'AssumedRole', sessionContext: 'x' } },
      (e) => expect(e.actor).toEqual({ type: 'AssumedRole' }),
    ],
    [
      'sessionIssuer is an array',
      { userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: [{ arn: 'arn:aws:iam::1:role/r' }] } } },
      (e) => expect(e.actor.sessionIssuer).toBeUndefined(),
    ],
    [
      'sessionIssuer fields have wrong types',
      { userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: 5, type: 'Role' } } } },
      (e) => expect(e.actor.sessionIssuer).toEqual({ type: 'Role' }),
    ],
    ['requestParameters is null', { requestParameters: null }, (e) => expect(e.request).toEqual({})],
    ['requestParameters is an array', { requestParameters: [{ roleName: 'x' }] }, (e) => expect(e.request).toEqual({})],
    ['requestParameters is a string', { requestParameters: '{"roleName":"x"}' }, (e) => expect(e.request).toEqual({})],
    ['responseElements is null', { responseElements: null }, (e) => expect(e.response).toEqual({})],
    ['additionalEventData is a number', { additionalEventData: 3 }, (e) => expect(e.additional).toEqual({})],
    ['resources is an object', { resources: { ARN: 'arn:x' } }, (e) => expect(e.resources).toEqual([])],
    [
      'resources holds junk',
      { resources: [null, 'arn:x', 7, { ARN: 5, arn: 'arn:lower', type: null }, []] },
      (e) => expect(e.resources).toEqual([{ arn: 'arn:lower' }]),
    ],
    ['awsRegion is missing', { awsRegion: undefined }, (e) => expect(e.region).toBe('')],
    ['readOnly is the string "true"', { eventName: 'DeleteRole', readOnly: 'true' }, (e) => expect(e.readOnly).toBe(false)],
    ['readOnly is false on a Get call', { eventName: 'GetRole', readOnly: false }, (e) => expect(e.readOnly).toBe(false)],
    ['readOnly is missing on a List call', { eventName: 'ListRoles', readOnly: undefined }, (e) => expect(e.readOnly).toBe(true)],
    [
      'recipientAccountId is a number',
      { recipientAccountId: 123456789012, userIdentity: { type: 'IAMUser', accountId: '444455556666' } },
      (e) => expect(e.account).toBe('444455556666'),
    ],
    [
      'no account is known anywhere',
      { recipientAccountId: undefined, userIdentity: { type: 'AWSService' } },
      (e) => expect(e.account).toBe(''),
    ],
    [
      'errorCode and sourceIPAddress have wrong types',
      { errorCode: 403, errorMessage: null, sourceIPAddress: ['1.2.3.4'], userAgent: {} },
      (e) => expect([e.errorCode, e.errorMessage, e.sourceIp, e.userAgent]).toEqual([undefined, undefined, undefined, undefined]),
    ],
    ['errorCode is empty', { errorCode: '' }, (e) => expect('errorCode' in e).toBe(false)],
  ])('reads a record where %s without failing', (_name, patch, check) => {
    check(parseTrailRecord({ ...base, ...patch }));
  });

  const NOW = Date.parse('2026-11-02T12:00:00Z');
  it.each<[string, Record<string, unknown>, string]>([
    ['no eventTime', { eventTime: undefined }, 'invalid eventTime'],
    ['an unparseable eventTime', { eventTime: 'yesterday' }, 'invalid eventTime'],
    ['a number as eventTime', { eventTime: 1705314600000 }, 'invalid eventTime'],
    ['an impossible date', { eventTime: '2023-02-29T00:00:00Z' }, 'invalid eventTime'],
    ['an eventTime in year 9999', { eventTime: '9999-12-31T23:59:59Z' }, 'invalid eventTime'],
    ['an eventTime more than a day after now', { eventTime: '2026-11-03T12:00:01Z' }, 'invalid eventTime'],
    ['an eventTime before CloudTrail existed', { eventTime: '2012-12-31T23:59:59Z' }, 'invalid eventTime'],
    [
      'a recipientAccountId carrying a mail header',
      { recipientAccountId: '12345678901\r\nBcc: x@evil.example' },
      'invalid account id',
    ],
    ['an 11-digit recipientAccountId', { recipientAccountId: '12345678901' }, 'invalid account id'],
    ['a caller account that is not 12 digits', { userIdentity: { type: 'IAMUser', accountId: '1234' } }, 'invalid account id'],
    ['a role name IAM refuses', { requestParameters: { roleName: 'prod\u202eadmin' } }, 'invalid IAM identifier'],
    ['a role name over 64 characters', { requestParameters: { roleName: 'r'.repeat(65) } }, 'invalid IAM identifier'],
    ['a role name that is not a string', { requestParameters: { roleName: ['admin'] } }, 'invalid IAM identifier'],
    ['a policy name with a slash', { requestParameters: { roleName: 'r', policyName: 'a/b' } }, 'invalid IAM identifier'],
    [
      'a policy ARN of another service',
      { requestParameters: { roleName: 'r', policyArn: 'arn:aws:s3:::bucket' } },
      'invalid IAM identifier',
    ],
    [
      'a role ARN with a space in its name',
      {
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        requestParameters: { roleArn: 'arn:aws:iam::123456789012:role/a b' },
      },
      'invalid IAM identifier',
    ],
  ])('rejects a record with %s as malformed, naming the reason', (_name, patch, reason) => {
    let error: unknown;
    try {
      parseTrailRecord({ ...base, ...patch }, { now: NOW });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).reason).toBe(reason);
    expect((error as InvalidEventError).eventId).toBe('e-1');
  });

  it.each<[string, Record<string, unknown>]>([
    ['the first day CloudTrail could have written', { eventTime: '2013-01-01T00:00:00Z' }],
    ['a clock a little ahead of ours', { eventTime: '2026-11-03T11:59:59Z' }],
    ['an anonymous caller', { userIdentity: { type: 'AWSAccount', accountId: 'ANONYMOUS_PRINCIPAL' } }],
    ['a role with a path and every character IAM allows', { requestParameters: { roleName: 'a+=,.@_-Z9' } }],
    [
      'AWS-managed and customer policy ARNs with paths',
      {
        requestParameters: {
          roleName: 'r',
          policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          permissionsBoundary: 'arn:aws-us-gov:iam::123456789012:policy/team/boundary',
        },
      },
    ],
    [
      'a role ARN with a path',
      {
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        requestParameters: { roleArn: 'arn:aws:iam::123456789012:role/ops/x' },
      },
    ],
    ['names another service uses its own way', { eventSource: 's3.amazonaws.com', requestParameters: { roleName: 'any thing' } }],
  ])('accepts %s', (_name, patch) => {
    expect(parseTrailRecord({ ...base, ...patch }, { now: NOW }).eventId).toBe('e-1');
  });

  it('leaves absent optional fields out of the result rather than set to undefined', () => {
    const event = parseTrailRecord({
      eventID: 'e',
      eventName: 'CreateRole',
      eventSource: 'iam.amazonaws.com',
      eventTime: '2024-01-15T10:30:00Z',
    });
    expect(Object.keys(event).sort()).toEqual(
      [
        'account',
        'actor',
        'additional',
        'eventId',
        'eventName',
        'eventSource',
        'eventTime',
        'readOnly',
        'region',
        'request',
        'resources',
        'response',
        'time',
      ].sort(),
    );
    expect(Object.values(event).every((value) => value !== undefined)).toBe(true);
  });

  it.each([
    ['an emoji and a combining accent', 'rôle-🚀-é'],
    ['a lone surrogate', 'bad-\ud800-half'],
    ['zero-width and right-to-left override characters', 'admin\u200b\u202etxt.exe'],
    ['a NUL character', 'nul\u0000byte'],
  ])('keeps %s in string fields verbatim', (_name, value) => {
    const event = parseTrailRecord({
      ...base,
      eventID: value,
      userIdentity: { type: 'IAMUser', userName: value, arn: `arn:aws:iam::123456789012:user/${value}` },
      requestParameters: { roleName: 'r', description: value },
    });
    expect(event.eventId).toBe(value);
    expect(event.actor.userName).toBe(value);
    expect(event.request.description).toBe(value);
    expect(actorPrincipal(event.actor)).toBe(`arn:aws:iam::123456789012:user/${value}`);
  });

  it('passes a 1 MB policy document through without copying it', () => {
    const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"${'x'.repeat(1 << 20)}"}]}`;
    const requestParameters = { roleName: 'r', policyDocument: policy };
    const event = parseTrailRecord({ ...base, requestParameters, userAgent: 'u'.repeat(1 << 20) });
    expect(event.request).toBe(requestParameters);
    expect(event.request.policyDocument).toBe(policy);
    expect(event.userAgent?.length).toBe(1 << 20);
  });

  it('reads a record whose JSON carries __proto__ without polluting prototypes', () => {
    const raw: unknown = JSON.parse(
      '{"eventID":"p","eventName":"CreateRole","eventSource":"iam.amazonaws.com","eventTime":"2024-01-15T10:30:00Z","__proto__":{"polluted":true},"requestParameters":{"__proto__":{"polluted":true}}}',
    );
    const event = parseTrailRecord(raw);
    expect(event.eventId).toBe('p');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unwraps an EventBridge envelope once, not a record nested deeper', () => {
    expect(parseTrailRecord(envelope(base)).eventId).toBe('e-1');
    expect(parseError(envelope(envelope(base))).message).toMatch(/no eventID/);
  });
});

describe('isEventBridgeEnvelope', () => {
  it.each<[unknown, boolean]>([
    [{ 'detail-type': 'AWS API Call via CloudTrail', detail: {} }, true],
    [{ 'detail-type': 'AWS API Call via CloudTrail', detail: null }, true],
    [{ 'detail-type': 'AWS API Call via CloudTrail' }, false],
    [{ detail: {} }, false],
    [{ 'detail-type': 7, detail: {} }, false],
    [base, false],
    [null, false],
    [[{ 'detail-type': 'x', detail: {} }], false],
  ])('tells an EventBridge event from other input: %p → %p', (value, expected) => {
    expect(isEventBridgeEnvelope(value)).toBe(expected);
  });
});

describe('isReadOnlyEventName', () => {
  it.each<[string, boolean]>([
    ['GetRole', true],
    ['ListRoles', true],
    ['DescribeTrails', true],
    ['HeadObject', true],
    ['LookupEvents', true],
    ['AssumeRole', true],
    ['AssumeRoleWithWebIdentity', true],
    ['AssumeRoleWithSAML', true],
    ['CreateRole', false],
    ['PutRolePolicy', false],
    ['UpdateAssumeRolePolicy', false],
    ['Get', false],
    ['Getaway', false],
    ['Listen', false],
    ['', false],
  ])('%s → %p', (name, expected) => {
    expect(isReadOnlyEventName(name)).toBe(expected);
  });
});

describe('parseTrailTime', () => {
  it.each<[string, number]>([
    ['2024-01-15T10:30:00Z', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15t10:30:00z', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15T10:30:00.123Z', Date.UTC(2024, 0, 15, 10, 30, 0, 123)],
    ['2024-01-15T10:30:00.5Z', Date.UTC(2024, 0, 15, 10, 30, 0, 500)],
    ['2024-01-15T10:30:00.12Z', Date.UTC(2024, 0, 15, 10, 30, 0, 120)],
    ['2024-06-02 19:41:40.000000000', Date.UTC(2024, 5, 2, 19, 41, 40)],
    ['2024-06-02 19:41:40.987654321', Date.UTC(2024, 5, 2, 19, 41, 40, 987)],
    ['2022-09-27 17:09:18', Date.UTC(2022, 8, 27, 17, 9, 18)],
    ['2024-01-15T10:30Z', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15', Date.UTC(2024, 0, 15)],
    ['2024-01-15T12:30:00+02:00', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15T05:00:00-0530', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15T12:30:00+02', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['0099-12-31T00:00:00Z', new Date('0099-12-31T00:00:00Z').getTime()],
    ['1969-12-31T23:59:59Z', -1000],
  ])('reads %s', (text, expected) => {
    expect(parseTrailTime(text)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    'Sep 14, 2020, 6:57:19 AM',
    '1705314600',
    '2024-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-04-31',
    '2024-01-00',
    '2024-01-15T24:00:00Z',
    '2024-01-15T10:60:00Z',
    '2024-01-15T10:30:61Z',
    '2024-01-15T10:30:00.Z',
    '2024-01-15T10:30:00ZZ',
    '2024-01-15T10:30:00+02:',
    '2024-01-15T10:30:00+2:00',
    '2024-01-15T10:30:00+24:00',
    '2024-01-15T10:30:00 UTC',
    '2024-01-15X10:30:00Z',
    '2024-1-15T10:30:00Z',
    '２０２４-01-15',
  ])('gives 0 for %p', (text) => {
    expect(parseTrailTime(text)).toBe(0);
  });

  const anyDate = fc.date({
    min: new Date('0001-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  });

  it('reads back every ISO-8601 instant, with T or a space, with or without Z', () => {
    fc.assert(
      fc.property(anyDate, (date) => {
        const iso = date.toISOString();
        expect(parseTrailTime(iso)).toBe(date.getTime());
        expect(parseTrailTime(iso.replace('T', ' ').replace('Z', ''))).toBe(date.getTime());
      }),
      { numRuns: 2000 },
    );
  });

  it('applies numeric offsets', () => {
    const modernDate = fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(modernDate, fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), (date, offsetMinutes) => {
        const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
        const magnitude = Math.abs(offsetMinutes);
        const zone = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(magnitude / 60)).padStart(2, '0')}:${String(magnitude % 60).padStart(2, '0')}`;
        expect(parseTrailTime(local + zone)).toBe(date.getTime());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseTrailRecord properties', () => {
  function checkEvent(event: TrailEvent): void {
    expect(typeof event.eventId).toBe('string');
    expect(event.eventId).not.toBe('');
    expect(typeof event.eventName).toBe('string');
    expect(typeof event.eventSource).toBe('string');
    expect(typeof event.eventTime).toBe('string');
    expect(Number.isFinite(event.time)).toBe(true);
    expect(typeof event.account).toBe('string');
    expect(typeof event.region).toBe('string');
    expect(typeof event.readOnly).toBe('boolean');
    expect(isRecord(event.request)).toBe(true);
    expect(isRecord(event.response)).toBe(true);
    expect(isRecord(event.additional)).toBe(true);
    expect(Array.isArray(event.resources)).toBe(true);
    expect(typeof event.actor.type).toBe('string');
    for (const value of [
      event.sourceIp,
      event.userAgent,
      event.errorCode,
      event.errorMessage,
      event.actor.arn,
      event.actor.userName,
    ]) {
      expect(value === undefined || typeof value === 'string').toBe(true);
    }
    expect(typeof actorPrincipal(event.actor)).toBe('string');
    const account = actorAccount(event.actor);
    expect(account === undefined || typeof account === 'string').toBe(true);
  }

  function parsesOrRejects(raw: unknown): TrailEvent | InvalidEventError {
    try {
      const event = parseTrailRecord(raw);
      checkEvent(event);
      return event;
    } catch (error) {
      if (error instanceof InvalidEventError) return error;
      throw error;
    }
  }

  const someJson = fc.jsonValue({ maxDepth: 3 });
  const identityArb = fc.oneof(
    someJson,
    fc.record(
      {
        type: fc.oneof(
          fc.constantFrom(
            'Root',
            'IAMUser',
            'AssumedRole',
            'FederatedUser',
            'AWSService',
            'AWSAccount',
            'WebIdentityUser',
            'SAMLUser',
            'Unknown',
          ),
          someJson,
        ),
        arn: fc.oneof(
          fc.constantFrom('arn:aws:sts::123456789012:assumed-role/R/s', 'arn:aws:iam::123456789012:user/u', 'arn:', ''),
          fc.string(),
          someJson,
        ),
        accountId: fc.oneof(fc.string(), someJson),
        principalId: fc.oneof(fc.string(), someJson),
        userName: fc.oneof(fc.string(), someJson),
        invokedBy: fc.oneof(fc.string(), someJson),
        identityProvider: fc.oneof(fc.string(), someJson),
        sessionContext: fc.oneof(
          someJson,
          fc.record({
            sessionIssuer: fc.oneof(
              someJson,
              fc.dictionary(
                fc.constantFrom('type', 'arn', 'accountId', 'userName', 'principalId'),
                fc.oneof(fc.string(), someJson),
              ),
            ),
          }),
        ),
      },
      { requiredKeys: [] },
    ),
  );
  const recordArb = fc.record(
    {
      eventID: fc.oneof(fc.string(), someJson),
      eventName: fc.oneof(fc.constantFrom('AssumeRole', 'GetRole', 'CreateRole', ''), fc.string(), someJson),
      eventSource: fc.oneof(fc.constantFrom('iam.amazonaws.com', 'sts.amazonaws.com'), someJson),
      eventTime: fc.oneof(fc.constantFrom('2024-01-15T10:30:00Z', '2022-09-27 17:09:18'), fc.string(), someJson),
      awsRegion: fc.oneof(fc.string(), someJson),
      recipientAccountId: fc.oneof(fc.string(), someJson),
      readOnly: someJson,
      userIdentity: identityArb,
      requestParameters: someJson,
      responseElements: someJson,
      additionalEventData: someJson,
      resources: fc.oneof(
        someJson,
        fc.array(fc.oneof(someJson, fc.record({ ARN: fc.oneof(fc.string(), someJson), type: someJson }))),
      ),
      errorCode: fc.oneof(fc.string(), someJson),
      sourceIPAddress: fc.oneof(fc.string(), someJson),
    },
    { requiredKeys: [] },
  );

  it('gives a TrailEvent or an InvalidEventError for any JSON value, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        parsesOrRejects(value);
        parsesOrRejects(envelope(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives a TrailEvent or an InvalidEventError for any value at all, null-prototype objects included', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true }), (value) => {
        parsesOrRejects(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a TrailEvent or an InvalidEventError for record-shaped values whose fields have any type', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const request = record.requestParameters;
        fc.pre(
          !isRecord(request) ||
            !['roleName', 'policyName', 'roleArn', 'policyArn', 'permissionsBoundary'].some((k) => k in request),
        );
        const result = parsesOrRejects(record);
        const time = typeof record.eventTime === 'string' ? parseTrailTime(record.eventTime) : 0;
        const callerAccount = isRecord(record.userIdentity) ? record.userIdentity.accountId : undefined;
        const accountOk = (value: unknown) => typeof value !== 'string' || /^\d{12}$/.test(value);
        const valid =
          typeof record.eventName === 'string' &&
          record.eventName !== '' &&
          typeof record.eventSource === 'string' &&
          record.eventSource !== '' &&
          time >= Date.UTC(2013, 0, 1) &&
          time <= Date.now() + 86_400_000 &&
          accountOk(record.recipientAccountId) &&
          (accountOk(callerAccount) || callerAccount === 'ANONYMOUS_PRINCIPAL');
        expect(result instanceof InvalidEventError).toBe(!valid);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same result for a record and for the record inside an EventBridge envelope', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const raw = parsesOrRejects(record);
        const wrapped = parsesOrRejects(envelope(record));
        if (raw instanceof InvalidEventError) {
          expect(wrapped).toBeInstanceOf(InvalidEventError);
          expect(wrapped instanceof InvalidEventError && wrapped.eventId).toBe(raw.eventId);
        } else {
          expect(wrapped).toEqual(raw);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
