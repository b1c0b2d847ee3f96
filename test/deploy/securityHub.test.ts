import { MEMBER_READ_ROLE, memberTemplate } from '../../shared/deploy/forwarder';
import {
  isRecord,
  listOf,
  propertiesOf,
  resolveIntrinsics,
  resourcesOfType,
  TEST_TARGET,
  usePackagedService,
} from '../support/template';

/**
 * The securityHub deploy parameter: off by default (test/deploy/template.test.ts holds every function to its
 * grants without it), and when on, the functions that record findings may import them into this account's
 * Security Hub and change their workflow, nothing more; in organization mode the ones that did not assume the
 * member role before may now, to import a member account's findings there.
 */
const { account, region } = TEST_TARGET;
const service = usePackagedService({
  stage: 'test',
  params: { securityHub: 'true', organizationId: 'o-a1b2c3d4e5', externalId: 'rolewatch-test-external-id' },
});

/** action → resources of a role's inline policies, Allow statements only. */
function grantsOfRole(roleId: string): Record<string, string[]> {
  const template = service.template;
  const grants: Record<string, string[]> = {};
  for (const policy of listOf(propertiesOf(template, roleId).Policies).filter(isRecord)) {
    const document = resolveIntrinsics(template, policy.PolicyDocument) as { Statement?: unknown };
    for (const statement of listOf(document.Statement).filter(isRecord)) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of listOf(statement.Action).map(String)) {
        grants[action] = [...(grants[action] ?? []), ...listOf(statement.Resource).map(String)].sort();
      }
    }
  }
  return grants;
}

const PRODUCT = `arn:aws:securityhub:${region}:${account}:product/${account}/default`;
const HUB = `arn:aws:securityhub:${region}:${account}:hub/default`;

describe('deploy parameter securityHub=true', () => {
  it('lets exactly the functions that record findings import them and set their workflow, in this account only', () => {
    const roles = resourcesOfType(service.template, 'AWS::IAM::Role').map(([roleId]) => roleId);
    const withSecurityHub = Object.fromEntries(
      roles
        .map(
          (roleId) =>
            [roleId, Object.entries(grantsOfRole(roleId)).filter(([action]) => action.startsWith('securityhub:'))] as const,
        )
        .filter(([, grants]) => grants.length > 0),
    );
    const expected = Object.fromEntries(
      ['OnIamChangeRole', 'OnRoleAssumedRole', 'ReconcileRole', 'ReportApiRole'].map((roleId) => [
        roleId,
        [
          ['securityhub:BatchImportFindings', [PRODUCT]],
          ['securityhub:BatchUpdateFindings', [HUB]],
        ],
      ]),
    );
    expect(withSecurityHub).toEqual(expected);
  });

  it('in organization mode, lets the API and the assumption function reach the member role (to import there)', () => {
    const memberRole = ['arn:aws:iam::*:role/RoleWatchReader'];
    expect(grantsOfRole('OnRoleAssumedRole')['sts:AssumeRole']).toEqual(memberRole);
    expect(grantsOfRole('ReportApiRole')['sts:AssumeRole']).toEqual(memberRole);
  });

  it('tells the functions to export', () => {
    const fn = propertiesOf(service.template, 'OnDashiamDashchangeLambdaFunction');
    const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.SECURITY_HUB).toBe('true');
  });
});

describe('member stack with --security-hub', () => {
  const options = { targetBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/rolewatch-prod-organization', stage: 'prod' };
  const readRole = (securityHub: boolean) =>
    memberTemplate({ ...options, ...(securityHub ? { securityHub } : {}) }).Resources[MEMBER_READ_ROLE] as unknown as {
      Properties: {
        AssumeRolePolicyDocument: { Statement: { Principal: { AWS: string[] } }[] };
        Policies: { PolicyName: string; PolicyDocument: unknown }[];
      };
    };

  it('lets the read role import this account findings in RoleWatch region, trusted by every function that records findings', () => {
    const role = readRole(true);
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]?.Principal.AWS).toEqual(
      ['on-iam-change', 'reconcile', 'on-role-assumed', 'report-api'].map(
        (fn) => `arn:aws:iam::123456789012:role/rolewatch-prod-eu-west-1-${fn}`,
      ),
    );
    expect(role.Properties.Policies.find((policy) => policy.PolicyName === 'rolewatch-security-hub')?.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'securityhub:BatchImportFindings',
          Resource: {
            'Fn::Sub': 'arn:${AWS::Partition}:securityhub:eu-west-1:${AWS::AccountId}:product/${AWS::AccountId}/default',
          },
        },
        {
          Effect: 'Allow',
          Action: 'securityhub:BatchUpdateFindings',
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:eu-west-1:${AWS::AccountId}:hub/default' },
        },
      ],
    });
  });

  it('adds nothing without it', () => {
    const role = readRole(false);
    expect(role.Properties.Policies.map((policy) => policy.PolicyName)).toEqual(['rolewatch-read']);
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]?.Principal.AWS).toHaveLength(2);
  });
});
