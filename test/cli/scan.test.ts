import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../support/cli';

const iam = mockClient(IAMClient);
const DAY = 86_400_000;
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));

describe('rolewatch scan', () => {
  it('reads every role through GetAccountAuthorizationDetails and prints what holds now', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      IsTruncated: false,
      RoleDetailList: [
        {
          RoleName: 'vendor-backdoor',
          Arn: 'arn:aws:iam::123456789012:role/vendor-backdoor',
          CreateDate: new Date(Date.now() - 20 * DAY),
          AssumeRolePolicyDocument: encoded({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
          }),
          RolePolicyList: [],
          AttachedManagedPolicies: [
            { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
          ],
        },
        {
          RoleName: 'reader',
          Arn: 'arn:aws:iam::123456789012:role/reader',
          CreateDate: new Date(Date.now() - 20 * DAY),
          AssumeRolePolicyDocument: encoded({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          }),
          RolePolicyList: [],
          AttachedManagedPolicies: [{ PolicyName: 'ci', PolicyArn: 'arn:aws:iam::123456789012:policy/ci' }],
        },
      ],
      Policies: [
        {
          PolicyName: 'ci',
          Arn: 'arn:aws:iam::123456789012:policy/ci',
          DefaultVersionId: 'v2',
          PolicyVersionList: [
            {
              VersionId: 'v2',
              IsDefaultVersion: true,
              Document: encoded({
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }],
              }),
            },
          ],
        },
      ],
      $metadata: {},
    });
    const { code, stdout } = await runCli('scan', '--format', 'jsonl', '--fail-on', 'critical');
    expect(code).toBe(1);
    const findings = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ruleId: string; resource: string });
    const on = (role: string) =>
      findings
        .filter((f) => f.resource.endsWith(`:role/${role}`))
        .map((f) => f.ruleId)
        .sort();
    expect(on('vendor-backdoor')).toEqual(['admin-policy-attached', 'trust-any-principal']);
    expect(on('reader')).toEqual(['passrole-any-resource']);
  });

  it('keeps RoleLastUsed and reports a privileged role unused for longer than unusedRoleDays', async () => {
    const trust = encoded({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const admin = [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }];
    const adminRole = (name: string, lastUsed: Date | undefined) => ({
      RoleName: name,
      Arn: `arn:aws:iam::123456789012:role/${name}`,
      CreateDate: new Date(Date.now() - 300 * DAY),
      AssumeRolePolicyDocument: trust,
      RolePolicyList: [],
      AttachedManagedPolicies: admin,
      RoleLastUsed: lastUsed ? { LastUsedDate: lastUsed, Region: 'eu-west-1' } : {},
    });
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      IsTruncated: false,
      RoleDetailList: [adminRole('dormant', new Date(Date.now() - 150 * DAY)), adminRole('busy', new Date(Date.now() - DAY))],
      Policies: [],
      $metadata: {},
    });
    const { stdout } = await runCli('scan', '--format', 'jsonl');
    const unused = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ruleId: string; resource: string; detail: string })
      .filter((f) => f.ruleId === 'privileged-role-unused');
    expect(unused.map((f) => f.resource)).toEqual(['arn:aws:iam::123456789012:role/dormant']);
    expect(unused[0]?.detail).toContain('was not used for 150 days (limit 90)');
  });
});
