import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../support/cli';

const iam = mockClient(IAMClient);
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));

describe('rolewatch scan', () => {
  it('reads every role through GetAccountAuthorizationDetails and prints what holds now', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      IsTruncated: false,
      RoleDetailList: [
        {
          RoleName: 'vendor-backdoor',
          Arn: 'arn:aws:iam::123456789012:role/vendor-backdoor',
          CreateDate: new Date('2026-10-01T00:00:00Z'),
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
          CreateDate: new Date('2026-10-01T00:00:00Z'),
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
});
