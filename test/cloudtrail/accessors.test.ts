import fc from 'fast-check';
import {
  actorAccount,
  actorPrincipal,
  getBoolean,
  getRecord,
  getString,
  getStringList,
  isRecord,
} from '../../shared/cloudtrail/accessors';
import type { TrailActor } from '../../shared/cloudtrail/types';

describe('getString, getBoolean, getRecord, getStringList', () => {
  const obj: Record<string, unknown> = {
    name: 'role-a',
    empty: '',
    flag: false,
    nested: { a: 1 },
    list: ['a', 1, null, 'b'],
    nothing: null,
    array: [1],
    number: 7,
  };

  it.each([
    ['name', 'role-a'],
    ['empty', ''],
    ['flag', undefined],
    ['number', undefined],
    ['nothing', undefined],
    ['missing', undefined],
  ])('getString reads %s as %p', (key, expected) => {
    expect(getString(obj, key)).toBe(expected);
  });

  it.each([
    ['flag', false],
    ['name', undefined],
    ['number', undefined],
    ['missing', undefined],
  ])('getBoolean reads %s as %p', (key, expected) => {
    expect(getBoolean(obj, key)).toBe(expected);
  });

  it('getRecord returns the object itself and refuses null, arrays and scalars', () => {
    expect(getRecord(obj, 'nested')).toBe(obj.nested);
    expect(getRecord(obj, 'nothing')).toBeUndefined();
    expect(getRecord(obj, 'array')).toBeUndefined();
    expect(getRecord(obj, 'name')).toBeUndefined();
    expect(getRecord(obj, 'missing')).toBeUndefined();
  });

  it('getStringList turns one string into a list, keeps the strings of an array and gives [] otherwise', () => {
    expect(getStringList(obj, 'name')).toEqual(['role-a']);
    expect(getStringList(obj, 'list')).toEqual(['a', 'b']);
    expect(getStringList(obj, 'nested')).toEqual([]);
    expect(getStringList(obj, 'missing')).toEqual([]);
  });

  it.each([null, undefined, 'text', 42, true, ['name']])('returns nothing when the container is %p', (container) => {
    expect(getString(container, 'name')).toBeUndefined();
    expect(getBoolean(container, 'name')).toBeUndefined();
    expect(getRecord(container, 'name')).toBeUndefined();
    expect(getStringList(container, 'name')).toEqual([]);
  });

  it('never reads inherited properties such as __proto__ or constructor', () => {
    expect(getRecord({}, '__proto__')).toBeUndefined();
    expect(getRecord({}, 'constructor')).toBeUndefined();
    expect(getString({}, 'toString')).toBeUndefined();
    const parsed: unknown = JSON.parse('{"__proto__": {"a": "b"}}');
    expect(getRecord(parsed, '__proto__')).toEqual({ a: 'b' });
  });

  it('isRecord accepts objects only', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord(Object.create(null))).toBe(true);
    expect(isRecord([])).toBe(false);
    expect(isRecord(null)).toBe(false);
    expect(isRecord('x')).toBe(false);
  });

  it('never throws and always returns the promised type, whatever the container and key', () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true }),
        fc.string(),
        (container, key) => {
          const s = getString(container, key);
          expect(s === undefined || typeof s === 'string').toBe(true);
          const b = getBoolean(container, key);
          expect(b === undefined || typeof b === 'boolean').toBe(true);
          const r = getRecord(container, key);
          expect(r === undefined || isRecord(r)).toBe(true);
          expect(getStringList(container, key).every((item) => typeof item === 'string')).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('actorPrincipal', () => {
  const cases: [string, TrailActor, string][] = [
    [
      'an assumed-role session as the role that issued it',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111111111111:assumed-role/JohnRole1/JohnDoe',
        accountId: '111111111111',
        sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111111111111:role/JohnRole1', accountId: '111111111111' },
      },
      'arn:aws:iam::111111111111:role/JohnRole1',
    ],
    [
      'an assumed-role session without issuer as the role named in its ARN',
      { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/MyRole/session' },
      'arn:aws:iam::123456789012:role/MyRole',
    ],
    [
      'an assumed-role session in another partition with that partition',
      { type: 'AssumedRole', arn: 'arn:aws-cn:sts::123456789012:assumed-role/MyRole/s' },
      'arn:aws-cn:iam::123456789012:role/MyRole',
    ],
    [
      'an assumed-role session with an unreadable ARN as that ARN',
      { type: 'AssumedRole', arn: 'not-an-arn', principalId: 'AROA:x' },
      'not-an-arn',
    ],
    [
      'an IAM user as its ARN',
      { type: 'IAMUser', arn: 'arn:aws:iam::777788889999:user/JohnDoe', principalId: 'AIDA', userName: 'JohnDoe' },
      'arn:aws:iam::777788889999:user/JohnDoe',
    ],
    ['an IAM user known only by name as that name', { type: 'IAMUser', userName: 'example-user' }, 'example-user'],
    [
      'the root user as the account root ARN',
      { type: 'Root', accountId: '111122223333', principalId: '111122223333' },
      'arn:aws:iam::111122223333:root',
    ],
    [
      'the root user of a GovCloud account in its partition',
      { type: 'Root', arn: 'arn:aws-us-gov:iam::111122223333:root' },
      'arn:aws-us-gov:iam::111122223333:root',
    ],
    ['a root user with no account as its principal id', { type: 'Root', principalId: 'P' }, 'P'],
    ['an AWS service as the service', { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }, 'lambda.amazonaws.com'],
    [
      'another account as the account id',
      { type: 'AWSAccount', accountId: '111122223333', principalId: 'AIDAJ45Q7YFFAREXAMPLE' },
      '111122223333',
    ],
    [
      'another account without id as its principal id',
      { type: 'AWSAccount', principalId: 'AIDAJ45Q7YFFAREXAMPLE' },
      'AIDAJ45Q7YFFAREXAMPLE',
    ],
    [
      'a web identity user as provider and subject',
      { type: 'WebIdentityUser', identityProvider: 'accounts.google.com', userName: 'sub-1', principalId: 'x' },
      'accounts.google.com:sub-1',
    ],
    [
      'a web identity user without subject as the provider',
      { type: 'WebIdentityUser', identityProvider: 'cognito-identity.amazonaws.com' },
      'cognito-identity.amazonaws.com',
    ],
    [
      'a SAML user as provider and subject',
      { type: 'SAMLUser', identityProvider: 'bdGOnTesti4+ExamplexL/jEvs=', userName: 'SamlExample' },
      'bdGOnTesti4+ExamplexL/jEvs=:SamlExample',
    ],
    ['a SAML user without provider as its principal id', { type: 'SAMLUser', principalId: 'abc:SamlExample' }, 'abc:SamlExample'],
    [
      'a federated user as the user that issued the federation token',
      {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::123456789012:federated-user/Bob',
        sessionIssuer: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/Alice' },
      },
      'arn:aws:iam::123456789012:user/Alice',
    ],
    [
      'a federated user without issuer as its ARN',
      { type: 'FederatedUser', arn: 'arn:aws:sts::123456789012:federated-user/Bob' },
      'arn:aws:sts::123456789012:federated-user/Bob',
    ],
    [
      'an Identity Center user as its ARN',
      { type: 'IdentityCenterUser', arn: 'arn:aws:identitystore::123456789012:user/u', principalId: 'p' },
      'arn:aws:identitystore::123456789012:user/u',
    ],
    ['an unknown actor with only a principal id as that id', { type: 'Unknown', principalId: 'p-1' }, 'p-1'],
    ['an actor with nothing known as "unknown"', { type: 'Unknown' }, 'unknown'],
  ];

  it.each(cases)('names %s', (_name, actor, expected) => {
    expect(actorPrincipal(actor)).toBe(expected);
  });
});

describe('actorAccount', () => {
  it.each<[string, TrailActor, string | undefined]>([
    [
      'the accountId field',
      { type: 'IAMUser', accountId: '111122223333', arn: 'arn:aws:iam::999999999999:user/x' },
      '111122223333',
    ],
    [
      'the session issuer account when the actor has none',
      { type: 'AssumedRole', sessionIssuer: { accountId: '444455556666' } },
      '444455556666',
    ],
    [
      'the account in the ARN as a last resort',
      { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/R/s' },
      '123456789012',
    ],
    ['nothing for an AWS service', { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, undefined],
    ['nothing for an ARN without account', { type: 'Unknown', arn: 'arn:aws:s3:::bucket' }, undefined],
  ])('reads %s', (_name, actor, expected) => {
    expect(actorAccount(actor)).toBe(expected);
  });
});
