import { diffPolicies, formatDiff, principalStrings } from '../../shared/policy/diff';
import { parsePolicy } from '../../shared/policy/parse';
import type { PolicyDocument } from '../../shared/policy/types';

function doc(value: unknown): PolicyDocument {
  const result = parsePolicy(value);
  if (!result.ok) throw new Error(result.error);
  return result.document;
}

function trust(...statements: unknown[]): PolicyDocument {
  return doc({ Version: '2012-10-17', Statement: statements });
}

const assume = (principal: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: principal,
  Action: 'sts:AssumeRole',
  ...extra,
});

const lambdaTrust = trust(assume({ Service: 'lambda.amazonaws.com' }));

describe('diffPolicies on trust policies', () => {
  it('reports an added account principal and says the change broadens', () => {
    const after = trust(assume({ Service: 'lambda.amazonaws.com' }), assume({ AWS: 'arn:aws:iam::999988887777:root' }));
    const diff = diffPolicies(lambdaTrust, after);
    expect(diff.addedPrincipals).toEqual(['AWS:arn:aws:iam::999988887777:root']);
    expect(diff.removedPrincipals).toEqual([]);
    expect(diff.addedStatements).toHaveLength(1);
    expect(diff.narrowsOnly).toBe(false);
    expect(diff.isEmpty).toBe(false);
    expect(formatDiff(diff)).toEqual(['+ principal AWS:arn:aws:iam::999988887777:root']);
  });

  it('reports a principal added inside an existing statement', () => {
    const before = trust(assume({ AWS: 'arn:aws:iam::111122223333:role/ci' }));
    const after = trust(assume({ AWS: ['arn:aws:iam::111122223333:role/ci', 'arn:aws:iam::999988887777:role/x'] }));
    const diff = diffPolicies(before, after);
    expect(diff.addedPrincipals).toEqual(['AWS:arn:aws:iam::999988887777:role/x']);
    expect(diff.narrowsOnly).toBe(false);
  });

  it('treats a removed principal as narrowing', () => {
    const before = trust(assume({ AWS: ['arn:aws:iam::111122223333:role/ci', 'arn:aws:iam::999988887777:role/x'] }));
    const after = trust(assume({ AWS: 'arn:aws:iam::111122223333:role/ci' }));
    const diff = diffPolicies(before, after);
    expect(diff.removedPrincipals).toEqual(['AWS:arn:aws:iam::999988887777:role/x']);
    expect(diff.narrowsOnly).toBe(true);
    expect(formatDiff(diff)).toEqual(['- principal AWS:arn:aws:iam::999988887777:role/x']);
  });

  it('reports Principal "*" as the principal *', () => {
    const diff = diffPolicies(lambdaTrust, trust(assume({ Service: 'lambda.amazonaws.com' }), assume('*')));
    expect(diff.addedPrincipals).toEqual(['*']);
    expect(diff.narrowsOnly).toBe(false);
  });

  it('sees no change between a bare account id and its root ARN', () => {
    const diff = diffPolicies(trust(assume({ AWS: '999988887777' })), trust(assume({ AWS: 'arn:aws:iam::999988887777:root' })));
    expect(diff.isEmpty).toBe(true);
  });

  it('sees no change when statements are reordered, Sids renamed or lists respelled', () => {
    const before = trust(
      assume({ Service: 'lambda.amazonaws.com' }, { Sid: 'A' }),
      assume({ AWS: ['arn:aws:iam::1:role/a', 'arn:aws:iam::1:role/b'] }, { Sid: 'B' }),
    );
    const after = doc(
      encodeURIComponent(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: ['arn:aws:iam::1:role/b', 'arn:aws:iam::1:role/a'] },
              Action: ['STS:AssumeRole'],
            },
            { Sid: 'Renamed', Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' },
          ],
        }),
      ),
    );
    const diff = diffPolicies(before, after);
    expect(diff.isEmpty).toBe(true);
    expect(diff.narrowsOnly).toBe(true);
    expect(formatDiff(diff)).toEqual([]);
  });

  it('treats an added restricting condition as narrowing and shows it', () => {
    const before = trust(assume({ AWS: 'arn:aws:iam::999988887777:root' }));
    const after = trust(
      assume({ AWS: 'arn:aws:iam::999988887777:root' }, { Condition: { StringEquals: { 'sts:ExternalId': 'x1' } } }),
    );
    const diff = diffPolicies(before, after);
    expect(diff.changedConditions).toHaveLength(1);
    expect(diff.changedConditions[0]?.added.map((c) => c.key)).toEqual(['sts:ExternalId']);
    expect(diff.addedPrincipals).toEqual([]);
    expect(diff.narrowsOnly).toBe(true);
    expect(formatDiff(diff)).toEqual(['~ condition on statement 0: + StringEquals sts:ExternalId = x1']);
  });

  it('treats a removed condition as broadening', () => {
    const before = trust(
      assume({ AWS: 'arn:aws:iam::999988887777:root' }, { Condition: { StringEquals: { 'sts:ExternalId': 'x1' } } }),
    );
    const after = trust(assume({ AWS: 'arn:aws:iam::999988887777:root' }));
    const diff = diffPolicies(before, after);
    expect(diff.changedConditions[0]?.removed.map((c) => c.key)).toEqual(['sts:ExternalId']);
    expect(diff.narrowsOnly).toBe(false);
  });

  it('judges condition value changes by operator: fewer allowed subjects narrow, more broaden', () => {
    const oidc = (values: string[]) =>
      trust(
        assume(
          { Federated: 'arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com' },
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': values } },
          },
        ),
      );
    expect(diffPolicies(oidc(['repo:o/a:*', 'repo:o/b:*']), oidc(['repo:o/a:*'])).narrowsOnly).toBe(true);
    expect(diffPolicies(oidc(['repo:o/a:*']), oidc(['repo:o/a:*', 'repo:o/b:*'])).narrowsOnly).toBe(false);
    const notEquals = (values: string[]) =>
      trust(assume('*', { Condition: { StringNotEquals: { 'aws:PrincipalAccount': values } } }));
    expect(diffPolicies(notEquals(['1']), notEquals(['1', '2'])).narrowsOnly).toBe(true);
    expect(diffPolicies(notEquals(['1', '2']), notEquals(['1'])).narrowsOnly).toBe(false);
  });

  it('treats an added Deny as narrowing and a removed Deny as broadening', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'sts:AssumeRole' };
    const withDeny = trust(assume('*'), deny);
    const without = trust(assume('*'));
    const added = diffPolicies(without, withDeny);
    expect(added.narrowsOnly).toBe(true);
    expect(added.addedPrincipals).toEqual([]);
    expect(formatDiff(added)).toEqual(['+ statement 1: Deny sts:AssumeRole for AWS:arn:aws:iam::999988887777:root']);
    expect(diffPolicies(withDeny, without).narrowsOnly).toBe(false);
  });

  it('handles a policy that appears or disappears', () => {
    const created = diffPolicies(undefined, lambdaTrust);
    expect(created.addedPrincipals).toEqual(['Service:lambda.amazonaws.com']);
    expect(created.narrowsOnly).toBe(false);
    const deleted = diffPolicies(lambdaTrust, undefined);
    expect(deleted.removedPrincipals).toEqual(['Service:lambda.amazonaws.com']);
    expect(deleted.narrowsOnly).toBe(true);
    expect(diffPolicies(undefined, undefined).isEmpty).toBe(true);
  });
});

describe('diffPolicies on permission policies', () => {
  const allow = (action: unknown, resource: unknown = '*') =>
    doc({ Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

  it('lists added and removed actions as written, comparing them case-insensitively', () => {
    const diff = diffPolicies(allow('s3:GetObject'), allow(['S3:GetObject', 's3:PutObject']));
    expect(diff.addedActions).toEqual(['s3:PutObject']);
    expect(diff.removedActions).toEqual([]);
    expect(diff.narrowsOnly).toBe(false);
    expect(formatDiff(diff)).toEqual(['+ action s3:PutObject']);
  });

  it('treats replacing a wildcard by an action it covers as narrowing', () => {
    const diff = diffPolicies(allow('s3:*', 'arn:aws:s3:::b/*'), allow('s3:GetObject', 'arn:aws:s3:::b/*'));
    expect(diff.removedActions).toEqual(['s3:*']);
    expect(diff.addedActions).toEqual(['s3:GetObject']);
    expect(diff.narrowsOnly).toBe(true);
  });

  it('treats a move to another resource as broadening', () => {
    expect(diffPolicies(allow('s3:GetObject', 'arn:aws:s3:::a/*'), allow('s3:GetObject', 'arn:aws:s3:::b/*')).narrowsOnly).toBe(
      false,
    );
    expect(diffPolicies(allow('s3:GetObject', '*'), allow('s3:GetObject', 'arn:aws:s3:::b/*')).narrowsOnly).toBe(true);
  });

  it('shows a resource-only change as statement lines', () => {
    const diff = diffPolicies(allow('s3:GetObject', 'arn:aws:s3:::a/*'), allow('s3:GetObject', 'arn:aws:s3:::b/*'));
    expect(formatDiff(diff)).toEqual([
      '+ statement 0: Allow s3:GetObject on arn:aws:s3:::b/*',
      '- statement 0: Allow s3:GetObject on arn:aws:s3:::a/*',
    ]);
  });

  it('does not call a switch from NotAction to Action narrowing without proof', () => {
    const before = doc({ Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' } });
    const after = doc({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } });
    expect(diffPolicies(before, after).narrowsOnly).toBe(false);
  });

  it('treats excluding more with NotAction as narrowing', () => {
    const before = doc({ Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' } });
    const after = doc({ Statement: { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' } });
    expect(diffPolicies(before, after).narrowsOnly).toBe(true);
    expect(diffPolicies(after, before).narrowsOnly).toBe(false);
  });
});

describe('principalStrings', () => {
  it('flattens every principal type', () => {
    expect(
      principalStrings({
        any: true,
        aws: ['123456789012', 'arn:aws:iam::123456789012:role/r'],
        service: ['s.amazonaws.com'],
        federated: ['cognito-identity.amazonaws.com'],
        canonicalUser: ['c'],
      }),
    ).toEqual([
      '*',
      'AWS:arn:aws:iam::123456789012:root',
      'AWS:arn:aws:iam::123456789012:role/r',
      'Service:s.amazonaws.com',
      'Federated:cognito-identity.amazonaws.com',
      'CanonicalUser:c',
    ]);
    expect(principalStrings(undefined)).toEqual([]);
  });
});
