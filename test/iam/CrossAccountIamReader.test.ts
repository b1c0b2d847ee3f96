import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { RoleWatchError } from '../../shared/errors';
import { CrossAccountIamReader, MemberAccounts, SESSION_REFRESH_MARGIN_MS } from '../../shared/iam/CrossAccountIamReader';

const SECURITY = '123456789012';
const MEMBER = '210987654321';
const OTHER_MEMBER = '345678901234';
const EXTERNAL_ID = 'rolewatch-test-external-id';
const SESSION = 'rolewatch-test-on-iam-change';
const T0 = Date.parse('2026-11-02T09:00:00Z');

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);

/** An AssumeRole response as STS returns it (the SDK turns Expiration into a Date). */
function assumeRoleResponse(account: string, keyId: string, expiresAt: number): AssumeRoleCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: 'c6104cbe-af31-11e0-8154-cbc7ccf896c7', attempts: 1, totalRetryDelay: 0 },
    Credentials: {
      AccessKeyId: keyId,
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
      SessionToken: 'IQoJb3JpZ2luX2VjEOz//////////wEaCXVzLWVhc3QtMSJHMEUCIDEXAMPLESESSIONTOKEN',
      Expiration: new Date(expiresAt),
    },
    AssumedRoleUser: {
      AssumedRoleId: `AROA3XFRBF535PLBIFPI4:${SESSION}`,
      Arn: `arn:aws:sts::${account}:assumed-role/RoleWatchReader/${SESSION}`,
    },
  };
}

const policyArn = (account: string) => `arn:aws:iam::${account}:policy/deploy`;
const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

let now = T0;
let ownClient: IAMClient;
function members(options: { externalId?: string } = { externalId: EXTERNAL_ID }) {
  return new MemberAccounts({
    ownAccount: SECURITY,
    ownClient,
    sts: new STSClient({ region: 'us-east-1' }),
    memberRoleName: 'RoleWatchReader',
    ...options,
    sessionName: SESSION,
    now: () => now,
  });
}

/** The access key of the credentials the IAM client of a call signed with. */
async function signedWith(call: { thisValue: unknown }): Promise<string> {
  const client = call.thisValue as IAMClient;
  const identity = await client.config.credentials();
  return identity.accessKeyId;
}

beforeEach(() => {
  now = T0;
  sts.reset();
  iam.reset();
  ownClient = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIAOWNFUNCTIONROLE1', secretAccessKey: 'x' } });
  sts
    .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${MEMBER}:role/RoleWatchReader` })
    .resolves(assumeRoleResponse(MEMBER, 'ASIAMEMBERSESSION001', T0 + 3_600_000));
  sts
    .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${OTHER_MEMBER}:role/RoleWatchReader` })
    .resolves(assumeRoleResponse(OTHER_MEMBER, 'ASIAOTHERSESSION0001', T0 + 3_600_000));
  iam.on(GetPolicyCommand).callsFake((input: { PolicyArn: string }) => ({
    Policy: { Arn: input.PolicyArn, PolicyName: 'deploy', DefaultVersionId: 'v2' },
  }));
  iam.on(GetPolicyVersionCommand).resolves({
    PolicyVersion: { VersionId: 'v2', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(document)) },
  });
});

describe('CrossAccountIamReader', () => {
  it("reads a member account's policy with credentials of that account's read role, assumed with the ExternalId", async () => {
    const reader = new CrossAccountIamReader(members());
    const version = await reader.getDefaultPolicyVersion(MEMBER, policyArn(MEMBER));
    expect(version).toEqual({ versionId: 'v2', document: JSON.stringify(document) });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      {
        RoleArn: `arn:aws:iam::${MEMBER}:role/RoleWatchReader`,
        RoleSessionName: SESSION,
        DurationSeconds: 3600,
        ExternalId: EXTERNAL_ID,
      },
    ]);
    const calls = [...iam.commandCalls(GetPolicyCommand), ...iam.commandCalls(GetPolicyVersionCommand)];
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(await signedWith(call)).toBe('ASIAMEMBERSESSION001');
  });

  it('reads its own account with the function role, without assuming anything', async () => {
    const reader = new CrossAccountIamReader(members());
    await reader.getPolicyVersion(SECURITY, policyArn(SECURITY), 'v2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    const [call] = iam.commandCalls(GetPolicyVersionCommand);
    expect(call?.thisValue).toBe(ownClient);
  });

  it('assumes each account once while its session is fresh, also under concurrent reads', async () => {
    const reader = new CrossAccountIamReader(members());
    await Promise.all([
      ...Array.from({ length: 5 }, () => reader.getDefaultPolicyVersion(MEMBER, policyArn(MEMBER))),
      reader.getDefaultPolicyVersion(OTHER_MEMBER, policyArn(OTHER_MEMBER)),
    ]);
    now = T0 + 3_600_000 - SESSION_REFRESH_MARGIN_MS - 1;
    await reader.getPolicyVersion(MEMBER, policyArn(MEMBER), 'v2');
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/RoleWatchReader`,
      `arn:aws:iam::${OTHER_MEMBER}:role/RoleWatchReader`,
    ]);
  });

  it('assumes the role again shortly before the session expires', async () => {
    const reader = new CrossAccountIamReader(members());
    await reader.getDefaultPolicyVersion(MEMBER, policyArn(MEMBER));
    sts
      .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${MEMBER}:role/RoleWatchReader` })
      .resolves(assumeRoleResponse(MEMBER, 'ASIAMEMBERSESSION002', T0 + 7_200_000));
    now = T0 + 3_600_000 - SESSION_REFRESH_MARGIN_MS;
    iam.resetHistory();
    await reader.getPolicyVersion(MEMBER, policyArn(MEMBER), 'v2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    const [call] = iam.commandCalls(GetPolicyVersionCommand);
    if (!call) throw new Error('no GetPolicyVersion');
    expect(await signedWith(call)).toBe('ASIAMEMBERSESSION002');
  });

  it('fails naming the role and the member stack when the role cannot be assumed, and tries again next time', async () => {
    const denied = Object.assign(
      new Error(
        `User: arn:aws:sts::${SECURITY}:assumed-role/rolewatch-test-us-east-1-on-iam-change/rolewatch-test-on-iam-change is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/RoleWatchReader`,
      ),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    );
    sts
      .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${MEMBER}:role/RoleWatchReader` })
      .rejectsOnce(denied)
      .resolves(assumeRoleResponse(MEMBER, 'ASIAMEMBERSESSION001', T0 + 3_600_000));
    const reader = new CrossAccountIamReader(members());
    const failure = reader.getDefaultPolicyVersion(MEMBER, policyArn(MEMBER));
    await expect(failure).rejects.toThrow(RoleWatchError);
    await expect(failure).rejects.toThrow(/cannot assume arn:aws:iam::210987654321:role\/RoleWatchReader .*member stack/);
    expect(iam.commandCalls(GetPolicyCommand)).toHaveLength(0);
    await expect(reader.getDefaultPolicyVersion(MEMBER, policyArn(MEMBER))).resolves.toMatchObject({ versionId: 'v2' });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('omits the ExternalId when none is configured', async () => {
    await new CrossAccountIamReader(members({})).getDefaultPolicyVersion(MEMBER, policyArn(MEMBER));
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.ExternalId).toBeUndefined();
  });
});
