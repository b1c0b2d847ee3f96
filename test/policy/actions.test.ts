import {
  accessLevel,
  actionDataVersion,
  actionsOfService,
  allActions,
  allServices,
  canonicalAction,
  decodeFrontCoded,
  expandActionPattern,
  isKnownAction,
  matchesAction,
} from '../../shared/policy/actions';
import { frontCode } from '../../shared/policy/data/build';
import { compileWildcard, compileWildcardList, hasWildcard, wildcardMatch } from '../../shared/policy/match';

describe('action table', () => {
  it('knows more than 20,000 actions across more than 400 services, with the data version', () => {
    expect(allActions().length).toBeGreaterThan(20_000);
    expect(allServices().length).toBeGreaterThan(400);
    expect(actionDataVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('gives access levels case-insensitively, with the combined levels folded', () => {
    expect(accessLevel('s3:GetObject')).toBe('Read');
    expect(accessLevel('S3:GETOBJECT')).toBe('Read');
    expect(accessLevel('s3:PutObject')).toBe('Write');
    expect(accessLevel('ec2:DescribeInstances')).toBe('List');
    expect(accessLevel('s3:PutObjectTagging')).toBe('Tagging');
    expect(accessLevel('iam:PutRolePolicy')).toBe('Permissions management');
    expect(accessLevel('iam:AttachRolePolicy')).toBe('Permissions management');
  });

  it('answers undefined for unknown actions and malformed names', () => {
    expect(accessLevel('s3:NoSuchThing')).toBeUndefined();
    expect(accessLevel('nosuchservice:GetObject')).toBeUndefined();
    expect(accessLevel('GetObject')).toBeUndefined();
    expect(isKnownAction('iam:passrole')).toBe(true);
    expect(isKnownAction('iam:PassRoles')).toBe(false);
  });

  it("returns AWS's spelling of an action", () => {
    expect(canonicalAction('IAM:PASSROLE')).toBe('iam:PassRole');
    expect(canonicalAction('nope:x')).toBeUndefined();
  });

  it('lists the actions of a service in any case, and nothing for an unknown service', () => {
    const iam = actionsOfService('IAM');
    expect(iam).toContain('iam:PassRole');
    expect(iam.every((a) => a.startsWith('iam:'))).toBe(true);
    expect(actionsOfService('nosuchservice')).toEqual([]);
  });

  it('has no duplicate action', () => {
    const lower = allActions().map((a) => a.toLowerCase());
    expect(new Set(lower).size).toBe(lower.length);
  });
});

describe('expandActionPattern', () => {
  it('expands * and *:* to every action', () => {
    expect(expandActionPattern('*')).toHaveLength(allActions().length);
    expect(expandActionPattern('*:*')).toHaveLength(allActions().length);
  });

  it('expands a service wildcard to that service only', () => {
    const s3 = expandActionPattern('s3:*');
    expect(s3.length).toBeGreaterThan(100);
    expect(s3.every((a) => a.startsWith('s3:'))).toBe(true);
    expect(s3).not.toContain('s3express:CreateSession');
  });

  it('expands * and ? inside names, case-insensitively', () => {
    expect(expandActionPattern('iam:Pass*')).toEqual(['iam:PassRole']);
    expect(expandActionPattern('s3:get?bject')).toEqual(['s3:GetObject']);
    expect(expandActionPattern('IAM:*ROLEPOLICY')).toEqual(
      expect.arrayContaining(['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:GetRolePolicy']),
    );
  });

  it('expands a wildcard in the service part across services', () => {
    const hits = expandActionPattern('*:GetObject');
    expect(hits).toContain('s3:GetObject');
    expect(hits.every((a) => a.toLowerCase().endsWith(':getobject'))).toBe(true);
  });

  it('gives the one action for a literal, and nothing for unknown actions', () => {
    expect(expandActionPattern('sts:assumerole')).toEqual(['sts:AssumeRole']);
    expect(expandActionPattern('s3:NoSuchThing')).toEqual([]);
    expect(expandActionPattern('nosuch:*')).toEqual([]);
  });

  it('returns a fresh array that callers may change', () => {
    const first = expandActionPattern('iam:Pass*');
    first.push('x:y');
    expect(expandActionPattern('iam:Pass*')).toEqual(['iam:PassRole']);
  });
});

describe('matchesAction', () => {
  it('matches IAM wildcards case-insensitively', () => {
    expect(matchesAction('*', 'anything:AtAll')).toBe(true);
    expect(matchesAction('iam:*', 'IAM:PassRole')).toBe(true);
    expect(matchesAction('iam:Pass*', 'iam:passrole')).toBe(true);
    expect(matchesAction('iam:Pass?ole', 'iam:PassRole')).toBe(true);
    expect(matchesAction('iam:Pass?', 'iam:PassRole')).toBe(false);
    expect(matchesAction('iam:PassRole', 'iam:PassRoleX')).toBe(false);
    expect(matchesAction('s3:*', 's3express:CreateSession')).toBe(false);
  });

  it('matches without loading the action table', () => {
    jest.isolateModules(() => {
      jest.doMock('../../shared/policy/dataFiles', () => ({
        readDataFile: () => {
          throw new Error('table loaded');
        },
      }));
      const isolated: typeof import('../../shared/policy/actions') = require('../../shared/policy/actions');
      expect(isolated.matchesAction('iam:Pass*', 'iam:PassRole')).toBe(true);
      expect(() => isolated.accessLevel('iam:PassRole')).toThrow('table loaded');
    });
    jest.dontMock('../../shared/policy/dataFiles');
  });

  it('matches actions the table does not know (new services)', () => {
    expect(matchesAction('madeup:Do*', 'madeup:DoThing')).toBe(true);
    expect(isKnownAction('madeup:DoThing')).toBe(false);
  });
});

describe('wildcardMatch', () => {
  it('is case-sensitive by default, as ARNs are', () => {
    expect(wildcardMatch('arn:aws:iam::*:role/Admin', 'arn:aws:iam::123456789012:role/Admin')).toBe(true);
    expect(wildcardMatch('arn:aws:iam::*:role/Admin', 'arn:aws:iam::123456789012:role/admin')).toBe(false);
    expect(wildcardMatch('arn:aws:iam::*:role/Admin', 'arn:aws:iam::123456789012:role/admin', { caseInsensitive: true })).toBe(
      true,
    );
  });

  it('lets * span slashes and colons and ? match exactly one character', () => {
    expect(wildcardMatch('arn:aws:iam::*:role/*', 'arn:aws:iam::123456789012:role/path/to/r')).toBe(true);
    expect(wildcardMatch('role/??', 'role/ab')).toBe(true);
    expect(wildcardMatch('role/??', 'role/abc')).toBe(false);
    expect(wildcardMatch('a**b', 'ab')).toBe(true);
    expect(wildcardMatch('', '')).toBe(true);
    expect(wildcardMatch('', 'x')).toBe(false);
  });

  it('treats regular-expression characters literally', () => {
    expect(wildcardMatch('arn:aws:s3:::my.bucket(1)/+[x]{2}$^|\\', 'arn:aws:s3:::my.bucket(1)/+[x]{2}$^|\\')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::my.bucket', 'arn:aws:s3:::myXbucket')).toBe(false);
  });

  it('matches policy variables literally (no substitution offline)', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JS template
    const pattern = 'arn:aws:s3:::home/${aws:username}/*';
    expect(wildcardMatch(pattern, `${pattern.slice(0, -1)}f`)).toBe(true);
    expect(wildcardMatch(pattern, 'arn:aws:s3:::home/alice/f')).toBe(false);
  });

  it('lets ? match one whole unicode character', () => {
    expect(wildcardMatch('team-?', 'team-🚀')).toBe(true);
    expect(wildcardMatch('TEAM-?', 'team-é', { caseInsensitive: true })).toBe(true);
  });

  it('keeps working past the cache bound', () => {
    for (let i = 0; i < 25_000; i++) expect(compileWildcard(`p${i}*`)(`p${i}x`)).toBe(true);
    expect(wildcardMatch('p1*', 'p1y')).toBe(true);
  });

  it('compiles a list of patterns into one matcher', () => {
    const any = compileWildcardList(['s3:GetObject', 'iam:Pass*'], { caseInsensitive: true });
    expect(any('S3:getobject')).toBe(true);
    expect(any('iam:PassRole')).toBe(true);
    expect(any('iam:GetRole')).toBe(false);
    expect(compileWildcardList([])('x')).toBe(false);
    expect(compileWildcardList(['*'])('x')).toBe(true);
    expect(hasWildcard('a?')).toBe(true);
    expect(hasWildcard('a')).toBe(false);
  });
});

describe('front coding of the committed table', () => {
  it('round-trips sorted names, including shared prefixes that end before a digit', () => {
    const names = ['CreateV1Thing', 'CreateV2Thing', 'CreateV20', 'Get', 'GetBucket', 'GetBucketAcl', 'GetObject'];
    const encoded = frontCode(names);
    expect(decodeFrontCoded(encoded)).toEqual(names);
    expect(encoded).toContain(',6V2Thing');
  });

  it('decodes an empty group to no names', () => {
    expect(decodeFrontCoded('')).toEqual([]);
  });
});
