import { rolePrivilege } from '../../shared/analysis/privilege';
import { parsePolicy } from '../../shared/policy/parse';
import type { PolicyDocument } from '../../shared/policy/types';

function doc(statement: Record<string, unknown> | Record<string, unknown>[]): PolicyDocument {
  const result = parsePolicy({ Version: '2012-10-17', Statement: statement });
  if (!result.ok) throw new Error(result.error);
  return result.document;
}

describe('rolePrivilege', () => {
  it('calls a role with an admin-equivalent policy privileged and names that policy', () => {
    const read = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' });
    const admin = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    expect(rolePrivilege([read, admin])).toMatchObject({ privileged: true, adminPolicies: [1] });
  });

  it('calls a role privileged through an escalation path split across two policies', () => {
    const passRole = doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    const lambda = doc({ Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' });
    const result = rolePrivilege([passRole, lambda]);
    expect(result.privileged).toBe(true);
    expect(result.adminPolicies).toEqual([]);
    expect(result.escalation.length).toBeGreaterThan(0);
  });

  it('does not call a read-only role privileged', () => {
    const read = doc({ Effect: 'Allow', Action: ['s3:Get*', 'iam:Get*', 'iam:List*'], Resource: '*' });
    expect(rolePrivilege([read])).toEqual({ privileged: false, adminPolicies: [], escalation: [] });
  });

  it('does not call an admin policy privileged under a narrow permissions boundary', () => {
    const admin = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    const boundary = doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
    expect(rolePrivilege([admin], boundary).privileged).toBe(false);
  });
});
