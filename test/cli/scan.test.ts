import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { GetAccountAuthorizationDetailsCommand, IAMClient, IAMServiceException } from '@aws-sdk/client-iam';
import { CredentialsProviderError } from '@smithy/core/config';
import { mockClient } from 'aws-sdk-client-mock';
import { scanPermissions } from '../../shared/cli/scan';
import { runCli } from '../support/cli';

const iam = mockClient(IAMClient);
const DAY = 86_400_000;
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));

/** An account with a role trusting anyone with admin, and one passing any role through a customer policy. */
const account = {
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
      AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
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
};

describe('rolewatch scan', () => {
  it('reads every role through GetAccountAuthorizationDetails and prints what holds now', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).resolves(account);
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

  describe('without usable credentials', () => {
    /** An error as IAM (query protocol) returns it. */
    const iamError = (name: string, status: number, message: string) =>
      new IAMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });

    it('says which variables to set and which permission scan needs, and exits 2', async () => {
      // What the SDK's default chain throws when no provider has credentials.
      iam
        .on(GetAccountAuthorizationDetailsCommand)
        .rejects(new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false }));
      const { code, stdout, stderr } = await runCli('scan');
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^rolewatch scan: no AWS credentials found \(Could not load credentials from any providers\)/);
      for (const hint of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'iam:GetAccountAuthorizationDetails'])
        expect(stderr).toContain(hint);
      expect(stderr).not.toMatch(/\n\s+at /);
    });

    it('says expired credentials must be refreshed', async () => {
      iam
        .on(GetAccountAuthorizationDetailsCommand)
        .rejects(iamError('ExpiredToken', 403, 'The security token included in the request is expired'));
      const { code, stderr } = await runCli('scan');
      expect(code).toBe(2);
      expect(stderr).toContain('the AWS credentials have expired (The security token included in the request is expired)');
      expect(stderr).toContain('aws sso login');
    });

    it('names the permission a denied call lacked', async () => {
      iam
        .on(GetAccountAuthorizationDetailsCommand)
        .rejects(
          iamError(
            'AccessDenied',
            403,
            'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:GetAccountAuthorizationDetails on resource: *',
          ),
        );
      const { code, stderr } = await runCli('scan');
      expect(code).toBe(2);
      expect(stderr).toContain('To fix: grant iam:GetAccountAuthorizationDetails.');
    });
  });

  it('names every permission of the calls it makes, with --table the table writes too', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).resolves(account);
    const dynamo = mockClient(DynamoDBClient);
    dynamo.onAnyCommand().resolves({});
    try {
      const { code } = await runCli('scan', '--table', 'rolewatch-test', '--region', 'us-east-1');
      expect(code).toBe(0);
      const actionsOf = (command: unknown): string[] => {
        if (command instanceof TransactWriteItemsCommand)
          return (command.input.TransactItems ?? []).flatMap((item) =>
            Object.keys(item).map((kind) => `dynamodb:${kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`}`),
          );
        return [`dynamodb:${(command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '')}`];
      };
      const called = new Set([
        ...iam.calls().map((call) => `iam:${call.args[0].constructor.name.replace(/Command$/, '')}`),
        ...dynamo.calls().flatMap((call) => actionsOf(call.args[0])),
      ]);
      expect(called.size).toBeGreaterThan(3);
      expect([...called].filter((action) => !scanPermissions(true).includes(action))).toEqual([]);
      expect(scanPermissions(false)).toEqual([...called].filter((action) => action.startsWith('iam:')));
    } finally {
      dynamo.restore();
    }
  });
});
