import fc from 'fast-check';
import {
  accountOfPrincipal,
  conditionsOnKey,
  isExternalIdCondition,
  isRequiringClause,
  isSingleValuedKey,
  isSourceCondition,
  restrictsWho,
  splitArn,
  webIdentityClaim,
  wildcardMatch,
} from '../../shared/analysis/conditions';
import { splitOperator } from '../../shared/policy/parse';
import type { ConditionClause, Statement } from '../../shared/policy/types';

function clause(operator: string, key: string, values: string | string[]): ConditionClause {
  const { base, set, ifExists } = splitOperator(operator);
  return {
    operator,
    base,
    ...(set ? { set } : {}),
    ifExists,
    key,
    keyLower: key.toLowerCase(),
    values: Array.isArray(values) ? values : [values],
  };
}

describe('conditionsOnKey', () => {
  const statement: Statement = {
    index: 0,
    effect: 'Allow',
    action: ['sts:AssumeRole'],
    conditions: [
      clause('StringEquals', 'aws:PrincipalOrgID', 'o-a1b2c3d4e5'),
      clause('StringLike', 'token.actions.githubusercontent.com:sub', 'repo:org/app:*'),
      clause('StringEquals', 'AWS:principalorgid', 'o-zzzzzzzzzz'),
    ],
  };

  it('returns every clause on the key whatever its case, in document order', () => {
    expect(conditionsOnKey(statement, 'aws:principalOrgId').map((c) => c.values[0])).toEqual(['o-a1b2c3d4e5', 'o-zzzzzzzzzz']);
  });

  it('returns nothing for a key the statement does not condition', () => {
    expect(conditionsOnKey(statement, 'aws:SourceArn')).toEqual([]);
  });
});

describe('restrictsWho', () => {
  it.each<[string, ConditionClause, boolean]>([
    ['an organization id', clause('StringEquals', 'aws:PrincipalOrgID', 'o-a1b2c3d4e5'), true],
    ['an organization id, key in another case', clause('StringEquals', 'AWS:PRINCIPALORGID', 'o-a1b2c3d4e5'), true],
    ['an organization id matched with StringLike "*"', clause('StringLike', 'aws:PrincipalOrgID', '*'), false],
    ['a partly wildcarded organization id', clause('StringLike', 'aws:PrincipalOrgID', 'o-a1*'), false],
    ['an organization id with IfExists', clause('StringEqualsIfExists', 'aws:PrincipalOrgID', 'o-a1b2c3d4e5'), false],
    ['an organization id with ForAllValues', clause('ForAllValues:StringEquals', 'aws:PrincipalOrgID', 'o-a1b2c3d4e5'), false],
    ['an organization id excluded with StringNotEquals', clause('StringNotEquals', 'aws:PrincipalOrgID', 'o-a1b2c3d4e5'), false],
    ['a Null test on the organization id', clause('Null', 'aws:PrincipalOrgID', 'false'), false],
    [
      'an organization path',
      clause('ForAnyValue:StringLike', 'aws:PrincipalOrgPaths', 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*'),
      true,
    ],
    [
      'an organization path with a wildcard organization',
      clause('ForAnyValue:StringLike', 'aws:PrincipalOrgPaths', 'o-*/*'),
      false,
    ],
    ['a principal account', clause('StringEquals', 'aws:PrincipalAccount', '111122223333'), true],
    ['two accounts, one wildcarded', clause('StringLike', 'aws:PrincipalAccount', ['111122223333', '*']), false],
    ['a principal ARN in one account', clause('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::111122223333:role/deploy-*'), true],
    ['a principal ARN in any account', clause('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/deploy'), false],
    ['a principal ARN pattern that is not an ARN', clause('ArnLike', 'aws:PrincipalArn', 'arn:*'), false],
    [
      'a principal ARN with ArnEquals and a wildcard account',
      clause('ArnEquals', 'aws:PrincipalArn', 'arn:aws:iam::*:root'),
      false,
    ],
    ['a source ARN of a rule', clause('ArnLike', 'aws:SourceArn', 'arn:aws:events:eu-west-1:111122223333:rule/*'), true],
    ['a source ARN of a bucket (no account field)', clause('ArnLike', 'aws:SourceArn', 'arn:aws:s3:::audit-logs'), true],
    ['a wildcard bucket ARN', clause('ArnLike', 'aws:SourceArn', 'arn:aws:s3:::audit-*'), false],
    ['a source account', clause('StringEquals', 'aws:SourceAccount', '111122223333'), true],
    ['a source organization', clause('StringEquals', 'aws:SourceOrgID', 'o-a1b2c3d4e5'), true],
    ['a unique user id with any session', clause('StringLike', 'aws:userid', 'AROAEXAMPLEID:*'), true],
    ['a wildcard unique id', clause('StringLike', 'aws:userid', '*:alice'), false],
    ['a user name (any account can create that user)', clause('StringEquals', 'aws:username', 'alice'), false],
    ['a service name', clause('StringEquals', 'aws:PrincipalServiceName', 'cloudtrail.amazonaws.com'), true],
    ['a wildcard service name', clause('StringLike', 'aws:PrincipalServiceName', '*.amazonaws.com'), false],
    ['a VPC endpoint', clause('StringEquals', 'aws:SourceVpce', 'vpce-1a2b3c4d'), true],
    ['an IP range', clause('IpAddress', 'aws:SourceIp', '203.0.113.0/24'), true],
    ['the whole IPv4 space', clause('IpAddress', 'aws:SourceIp', '0.0.0.0/0'), false],
    ['an external id alone', clause('StringEquals', 'sts:ExternalId', 'a1b2c3'), false],
    ['a principal tag (callers tag themselves)', clause('StringEquals', 'aws:PrincipalTag/team', 'platform'), false],
    ['a literal "*" under StringEquals (matches no caller)', clause('StringEquals', 'aws:PrincipalAccount', '*'), true],
    ['an empty value list', clause('StringEquals', 'aws:PrincipalAccount', []), false],
  ])('%s → %s', (_name, c, expected) => {
    expect(restrictsWho(c)).toBe(expected);
  });
});

describe('isRequiringClause', () => {
  it('accepts ForAnyValue and rejects ForAllValues and IfExists', () => {
    expect(isRequiringClause(clause('ForAnyValue:StringLike', 'k', 'v'))).toBe(true);
    expect(isRequiringClause(clause('ForAllValues:StringLike', 'k', 'v'))).toBe(false);
    expect(isRequiringClause(clause('StringLikeIfExists', 'k', 'v'))).toBe(false);
    expect(isRequiringClause(clause('StringNotLike', 'k', 'v'))).toBe(false);
  });
});

describe('isSourceCondition', () => {
  it.each<[string, ConditionClause, boolean]>([
    ['aws:SourceAccount', clause('StringEquals', 'aws:SourceAccount', '111122223333'), true],
    ['aws:SourceArn', clause('ArnLike', 'aws:SourceArn', 'arn:aws:logs:eu-west-1:111122223333:*'), true],
    ['aws:SourceOrgID', clause('StringEquals', 'aws:SourceOrgID', 'o-a1b2c3d4e5'), true],
    ['aws:SourceOrgPaths', clause('ForAnyValue:StringLike', 'aws:SourceOrgPaths', 'o-a1b2c3d4e5/r-ab12/*'), true],
    ['a wildcard aws:SourceArn account', clause('ArnLike', 'aws:SourceArn', 'arn:aws:logs:*:*:*'), false],
    ['aws:SourceAccount with IfExists', clause('StringEqualsIfExists', 'aws:SourceAccount', '111122223333'), false],
    ['aws:PrincipalOrgID (not a source key)', clause('StringEquals', 'aws:PrincipalOrgID', 'o-a1b2c3d4e5'), false],
  ])('%s → %s', (_name, c, expected) => {
    expect(isSourceCondition(c)).toBe(expected);
  });
});

describe('isExternalIdCondition', () => {
  it.each<[string, ConditionClause, boolean]>([
    ['StringEquals', clause('StringEquals', 'sts:ExternalId', 'f3a1c9e2'), true],
    ['StringLike with a prefix', clause('StringLike', 'sts:ExternalId', 'acme-*'), true],
    ['a key in lower case', clause('StringEquals', 'sts:externalid', 'f3a1c9e2'), true],
    ['StringLike "*"', clause('StringLike', 'sts:ExternalId', '*'), false],
    ['StringEqualsIfExists', clause('StringEqualsIfExists', 'sts:ExternalId', 'f3a1c9e2'), false],
    ['ForAllValues', clause('ForAllValues:StringEquals', 'sts:ExternalId', 'f3a1c9e2'), false],
    ['StringNotEquals', clause('StringNotEquals', 'sts:ExternalId', 'f3a1c9e2'), false],
    ['another key', clause('StringEquals', 'aws:SourceAccount', '111122223333'), false],
  ])('%s → %s', (_name, c, expected) => {
    expect(isExternalIdCondition(c)).toBe(expected);
  });
});

describe('isSingleValuedKey', () => {
  it.each<[string, boolean]>([
    ['token.actions.githubusercontent.com:sub', true],
    ['token.actions.githubusercontent.com:aud', true],
    ['oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub', true],
    ['accounts.google.com:oaud', true],
    ['cognito-identity.amazonaws.com:aud', true],
    ['cognito-identity.amazonaws.com:amr', false],
    ['aws:PrincipalArn', true],
    ['AWS:SOURCEACCOUNT', true],
    ['aws:SourceArn', true],
    ['aws:PrincipalAccount', true],
    ['aws:PrincipalOrgID', true],
    ['sts:ExternalId', true],
    ['SAML:aud', true],
    ['aws:PrincipalTag/team', true],
    ['aws:PrincipalOrgPaths', false],
    ['aws:SourceOrgPaths', false],
    ['aws:TagKeys', false],
    ['aws:CalledVia', false],
    ['sts:TransitiveTagKeys', false],
    ['SAML:eduPersonAffiliation', false],
  ])('%s → %s', (key, expected) => {
    expect(isSingleValuedKey(key)).toBe(expected);
  });
});

describe('webIdentityClaim', () => {
  it('takes the claim after the last colon of an issuer key', () => {
    expect(webIdentityClaim('oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub')).toBe('sub');
    expect(webIdentityClaim('graph.facebook.com:app_id')).toBe('app_id');
  });

  it('does not treat service keys as web-identity claims', () => {
    expect(webIdentityClaim('aws:SourceArn')).toBeUndefined();
    expect(webIdentityClaim('saml:aud')).toBeUndefined();
    expect(webIdentityClaim('no-colon')).toBeUndefined();
  });
});

describe('accountOfPrincipal', () => {
  it.each<[string, string | undefined]>([
    ['111122223333', '111122223333'],
    ['arn:aws:iam::111122223333:root', '111122223333'],
    ['arn:aws:iam::111122223333:role/path/deploy', '111122223333'],
    ['arn:aws:iam::111122223333:user/alice', '111122223333'],
    ['arn:aws:sts::111122223333:assumed-role/deploy/session', '111122223333'],
    ['arn:aws-cn:iam::111122223333:root', '111122223333'],
    ['arn:aws-us-gov:iam::111122223333:role/x', '111122223333'],
    ['AROAEXAMPLEID1234567', undefined],
    ['AIDAEXAMPLEID1234567', undefined],
    ['11112222333', undefined],
    ['1111222233334', undefined],
    ['arn:aws:iam::*:root', undefined],
    ['arn:aws:s3:::bucket', undefined],
    ['arn:aws:iam::111122223333:', undefined],
    ['*', undefined],
  ])('%s → %s', (value, expected) => {
    expect(accountOfPrincipal(value)).toBe(expected);
  });
});

describe('splitArn', () => {
  it('keeps colons inside the resource', () => {
    expect(splitArn('arn:aws:logs:eu-west-1:111122223333:log-group:/aws/x:*')).toEqual({
      partition: 'aws',
      service: 'logs',
      region: 'eu-west-1',
      account: '111122223333',
      resource: 'log-group:/aws/x:*',
    });
  });

  it('rejects values that are not six-part ARNs', () => {
    expect(splitArn('arn:aws:iam')).toBeUndefined();
    expect(splitArn('o-a1b2c3d4e5')).toBeUndefined();
  });
});

describe('wildcardMatch', () => {
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['*', 'anything', true],
    ['sts:*', 'sts:assumerole', true],
    ['sts:assume*', 'sts:assumerolewithsaml', true],
    ['sts:assumerole', 'sts:assumerolewithsaml', false],
    ['sts:?ssumerole', 'sts:assumerole', true],
    ['*:pull_request', 'pull_request', false],
    ['pull*', 'pull_request', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['', '', true],
    ['', 'x', false],
  ])('%s matches %s → %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });

  it('agrees with the equivalent regular expression', () => {
    const alphabet = fc.constantFrom('a', 'b', ':', '*', '?');
    const text = fc.constantFrom('a', 'b', ':');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(text, { maxLength: 10 }), (p, v) => {
        const pattern = p.join('');
        const value = v.join('');
        const source = pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.');
        expect(wildcardMatch(pattern, value)).toBe(new RegExp(`^${source}$`, 's').test(value));
      }),
    );
  });
});
