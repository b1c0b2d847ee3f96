import fc from 'fast-check';
import { MAX_POLICY_CHARS, parsePolicy, splitOperator } from '../../shared/policy/parse';
import type { PolicyDocument } from '../../shared/policy/types';

function parsed(input: unknown): PolicyDocument {
  const result = parsePolicy(input);
  if (!result.ok) throw new Error(`expected a document, got: ${result.error}`);
  return result.document;
}

function failure(input: unknown): string {
  const result = parsePolicy(input);
  if (result.ok) throw new Error('expected a parse failure');
  return result.error;
}

const trustPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Vendor',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::999988887777:root' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'abc-123' } },
    },
  ],
};

describe('parsePolicy spellings', () => {
  it('accepts a single Statement object as well as an array', () => {
    const single = parsed({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } });
    const list = parsed({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    expect(single.statements).toEqual(list.statements);
    expect(single.statements[0]).toMatchObject({ index: 0, effect: 'Allow', action: ['s3:GetObject'], resource: ['*'] });
  });

  it('turns string and array forms of Action, NotAction, Resource and NotResource into arrays', () => {
    const doc = parsed({
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'] },
        { Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::secret/*' },
      ],
    });
    expect(doc.statements[0]).toMatchObject({
      action: ['s3:GetObject', 's3:PutObject'],
      resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
    });
    expect(doc.statements[1]).toMatchObject({ index: 1, notAction: ['iam:*'], notResource: ['arn:aws:s3:::secret/*'] });
    expect(doc.statements[1]?.action).toBeUndefined();
  });

  it('keeps Version, Id and Sid, and drops an empty Sid', () => {
    const doc = parsed({ Version: '2012-10-17', Id: 'p1', Statement: [{ Sid: '', Effect: 'Deny', Action: '*', Resource: '*' }] });
    expect(doc.version).toBe('2012-10-17');
    expect(doc.id).toBe('p1');
    expect(doc.statements[0]?.sid).toBeUndefined();
    expect(parsed(trustPolicy).statements[0]?.sid).toBe('Vendor');
  });

  it('reads Principal "*" and {"AWS": "*"} both as any principal', () => {
    for (const principal of ['*', { AWS: '*' }, { AWS: ['*'] }]) {
      const doc = parsed({ Statement: { Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' } });
      expect(doc.statements[0]?.principal).toEqual({ any: true, aws: [], service: [], federated: [], canonicalUser: [] });
    }
  });

  it('sorts AWS, Service, Federated and CanonicalUser principals into their lists, whatever the key case', () => {
    const doc = parsed({
      Statement: {
        Effect: 'Allow',
        Principal: {
          AWS: ['123456789012', 'arn:aws:iam::111122223333:role/ci'],
          service: 'lambda.amazonaws.com',
          Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
          CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
        },
        Action: ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity'],
      },
    });
    expect(doc.statements[0]?.principal).toEqual({
      any: false,
      aws: ['123456789012', 'arn:aws:iam::111122223333:role/ci'],
      service: ['lambda.amazonaws.com'],
      federated: ['arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'],
      canonicalUser: ['79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be'],
    });
  });

  it('reads NotPrincipal', () => {
    const doc = parsed({ Statement: { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: '*' } });
    expect(doc.statements[0]?.notPrincipal?.aws).toEqual(['arn:aws:iam::123456789012:root']);
  });

  it('splits condition operators into base, set qualifier and IfExists, and stringifies numbers and booleans', () => {
    const doc = parsed({
      Statement: {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' },
        Condition: {
          'ForAllValues:StringLike': { 'token.actions.githubusercontent.com:sub': ['repo:org/a:*', 'repo:org/b:*'] },
          StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc' },
          NumericLessThan: { 'aws:MultiFactorAuthAge': 3600 },
          Bool: { 'aws:SecureTransport': true },
          Null: { 'aws:TokenIssueTime': 'false' },
        },
      },
    });
    const clauses = doc.statements[0]?.conditions ?? [];
    expect(clauses).toHaveLength(5);
    expect(clauses[0]).toEqual({
      operator: 'ForAllValues:StringLike',
      base: 'StringLike',
      set: 'ForAllValues',
      ifExists: false,
      key: 'token.actions.githubusercontent.com:sub',
      keyLower: 'token.actions.githubusercontent.com:sub',
      values: ['repo:org/a:*', 'repo:org/b:*'],
    });
    expect(clauses[1]).toMatchObject({ base: 'StringEquals', ifExists: true, keyLower: 'aws:principalorgid' });
    expect(clauses[2]?.values).toEqual(['3600']);
    expect(clauses[3]?.values).toEqual(['true']);
    expect(clauses[4]).toMatchObject({ base: 'Null', ifExists: false });
    expect(splitOperator('ForAnyValue:StringNotEqualsIgnoreCaseIfExists')).toEqual({
      base: 'StringNotEqualsIgnoreCase',
      set: 'ForAnyValue',
      ifExists: true,
    });
  });

  it('accepts element names in any case, as IAM does', () => {
    const doc = parsed({ version: '2012-10-17', statement: [{ effect: 'Allow', action: 's3:ListBucket', resource: '*' }] });
    expect(doc.statements[0]).toMatchObject({ effect: 'Allow', action: ['s3:ListBucket'], resource: ['*'] });
  });
});

describe('parsePolicy encodings', () => {
  it('decodes a plain JSON string (CloudTrail requestParameters)', () => {
    expect(parsed(JSON.stringify(trustPolicy))).toEqual(parsed(trustPolicy));
  });

  it('decodes a URL-encoded JSON string (IAM read APIs) to the same document', () => {
    expect(parsed(encodeURIComponent(JSON.stringify(trustPolicy)))).toEqual(parsed(trustPolicy));
  });

  it('decodes form-style encoding where spaces are +', () => {
    const text = encodeURIComponent(JSON.stringify(trustPolicy, null, 1)).replace(/%20/g, '+');
    expect(parsed(text)).toEqual(parsed(trustPolicy));
  });

  it('keeps a literal % or + inside a plain JSON document', () => {
    const doc = parsed(
      JSON.stringify({ Statement: { Sid: 'a', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/100%+x' } }),
    );
    expect(doc.statements[0]?.resource).toEqual(['arn:aws:s3:::b/100%+x']);
  });

  it('decodes URL-encoded multi-byte characters', () => {
    const text = encodeURIComponent(
      JSON.stringify({ Statement: { Sid: 'Résumé✓', Effect: 'Allow', Action: '*', Resource: '*' } }),
    );
    expect(parsed(text).statements[0]?.sid).toBe('Résumé✓');
  });
});

describe('parsePolicy malformed input', () => {
  it.each([
    ['not JSON', 'not json', /not JSON/],
    ['a JSON array', '[]', /must be a JSON object/],
    ['null', null, /JSON string or object/],
    ['a number', 42, /JSON string or object/],
    ['undefined', undefined, /JSON string or object/],
    ['no Statement', { Version: '2012-10-17' }, /no Statement/],
    ['a bad Effect', { Statement: { Effect: 'allow', Action: '*', Resource: '*' } }, /Effect/],
    [
      'both Action and NotAction',
      { Statement: { Effect: 'Allow', Action: 'a:b', NotAction: 'a:b', Resource: '*' } },
      /both Action and NotAction/,
    ],
    ['neither Action nor NotAction', { Statement: { Effect: 'Allow', Resource: '*' } }, /neither Action nor NotAction/],
    [
      'both Resource and NotResource',
      { Statement: { Effect: 'Allow', Action: '*', Resource: '*', NotResource: '*' } },
      /both Resource/,
    ],
    ['an empty Action list', { Statement: { Effect: 'Allow', Action: [], Resource: '*' } }, /is empty/],
    ['a non-string action', { Statement: { Effect: 'Allow', Action: [1], Resource: '*' } }, /must hold strings/],
    ['a statement that is a string', { Statement: ['x'] }, /must be an object/],
    [
      'an unknown principal type',
      { Statement: { Effect: 'Allow', Principal: { Robot: 'x' }, Action: '*' } },
      /unknown principal type/,
    ],
    [
      'a principal string other than *',
      { Statement: { Effect: 'Allow', Principal: 'arn:aws:iam::1:root', Action: '*' } },
      /must be "\*"/,
    ],
    [
      'a condition that is not an object',
      { Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: 'x' } },
      /Condition/,
    ],
    [
      'a condition value that is an object',
      { Statement: { Effect: 'Allow', Action: '*', Condition: { StringEquals: { k: { a: 1 } } } } },
      /must hold strings/,
    ],
    ['broken URL encoding', '%7B%E0%A4%A', /neither JSON nor URL-encoded JSON/],
    ['URL-encoded text that is not JSON', '%7Bnot%20json', /URL-decoded policy document is not JSON/],
  ])('reports %s as an error instead of throwing', (_name, input, message) => {
    expect(failure(input)).toMatch(message);
  });

  const bigStatements = (count: number) =>
    Array.from({ length: count }, (_, i) => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::bucket-${i}/*`,
    }));

  it('parses a 1 MB document string', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: bigStatements(10_000) });
    expect(text.length).toBeGreaterThan(900_000);
    expect(text.length).toBeLessThanOrEqual(MAX_POLICY_CHARS);
    const doc = parsed(text);
    expect(doc.statements).toHaveLength(10_000);
    expect(doc.statements[9_999]?.index).toBe(9_999);
  });

  it('parses the largest AWS-managed policy URL-encoded with indentation, as IAM read APIs return it', () => {
    const statements = bigStatements(2_000);
    const text = encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 4));
    expect(text.length).toBeGreaterThan(430_000);
    expect(parsed(text).statements).toHaveLength(2_000);
  });

  it('refuses a document string over the limit up front, with the limit in the message', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: bigStatements(13_000) });
    expect(text.length).toBeGreaterThan(MAX_POLICY_CHARS);
    expect(failure(text)).toContain(String(MAX_POLICY_CHARS));
  });

  it('parses a 1 MB document that arrives already decoded', () => {
    expect(parsed({ Version: '2012-10-17', Statement: bigStatements(13_000) }).statements).toHaveLength(13_000);
  });
});

describe('parsePolicy odd unicode', () => {
  it('keeps emoji, combining marks and right-to-left text in Sids, resources and condition values', () => {
    const doc = parsed({
      Statement: {
        Sid: 'team🚀',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::bucket/שלום/e\u0301',
        Condition: { StringEquals: { 'aws:PrincipalTag/team': '데이터' } },
      },
    });
    expect(doc.statements[0]?.sid).toBe('team🚀');
    expect(doc.statements[0]?.resource).toEqual(['arn:aws:s3:::bucket/שלום/e\u0301']);
    expect(doc.statements[0]?.conditions[0]?.values).toEqual(['데이터']);
  });

  it('does not throw on lone surrogates, NUL characters or a byte-order mark', () => {
    expect(parsePolicy('{"Statement":{"Effect":"Allow","Action":"\\ud800","Resource":"\\u0000"}}').ok).toBe(true);
    expect(() => parsePolicy(`\uFEFF${JSON.stringify(trustPolicy)}`)).not.toThrow();
    expect(() => parsePolicy('%F0%9F%98')).not.toThrow();
  });
});

describe('parsePolicy properties', () => {
  it('never throws for any JSON value, as an object or as text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const asObject = parsePolicy(value);
        const asText = parsePolicy(JSON.stringify(value) ?? '');
        return typeof asObject.ok === 'boolean' && typeof asText.ok === 'boolean';
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary strings, including URL-encoded ones', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const plain = parsePolicy(text);
        // encodeURIComponent itself throws on lone surrogates; the raw text is still tried above.
        const encoded = parsePolicy(/[\ud800-\udfff]/.test(text) ? `%${text}` : encodeURIComponent(text));
        return typeof plain.ok === 'boolean' && typeof encoded.ok === 'boolean';
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for policy-shaped objects with arbitrary element values', () => {
    const element = fc.oneof(fc.jsonValue(), fc.constantFrom('*', 'Allow', 'Deny', 's3:*'), fc.array(fc.string()));
    const statement = fc.record(
      {
        Effect: element,
        Action: element,
        NotAction: element,
        Resource: element,
        Principal: element,
        Condition: element,
        Sid: element,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(statement, fc.array(statement)), (Statement) => {
        const result = parsePolicy({ Version: '2012-10-17', Statement });
        return typeof result.ok === 'boolean';
      }),
      { numRuns: 1000 },
    );
  });

  it('parses a valid document identically from an object, plain JSON and URL-encoded JSON', () => {
    const action = fc.constantFrom('s3:GetObject', 'iam:*', '*', 'ec2:Describe*', 'sts:AssumeRole');
    const statement = fc.record({
      Effect: fc.constantFrom('Allow', 'Deny'),
      Action: fc.oneof(action, fc.array(action, { minLength: 1 })),
      Resource: fc.oneof(fc.constant('*'), fc.array(fc.string({ minLength: 1 }), { minLength: 1 })),
    });
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 5 }), (Statement) => {
        const value = { Version: '2012-10-17', Statement };
        const fromObject = parsePolicy(value);
        const text = JSON.stringify(value);
        expect(parsePolicy(text)).toEqual(fromObject);
        expect(parsePolicy(encodeURIComponent(text))).toEqual(fromObject);
        return fromObject.ok;
      }),
      { numRuns: 200 },
    );
  });
});
