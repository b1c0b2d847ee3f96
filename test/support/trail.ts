import { randomUUID } from 'node:crypto';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import type { TrailEvent } from '../../shared/cloudtrail/types';

/** The monitored account in tests. */
export const ACCOUNT = '123456789012';
export const FOREIGN_ACCOUNT = '444455556666';

const ADMIN_USER = {
  type: 'IAMUser',
  principalId: 'AIDAJ45Q7YFFAREXAMPLE',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  accountId: ACCOUNT,
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  userName: 'alice',
};

let clock = Date.parse('2026-11-02T09:00:00Z');

/** Resets the time the builders stamp on records. */
export function resetClock(iso = '2026-11-02T09:00:00Z'): void {
  clock = Date.parse(iso);
}

function nextTime(minutes = 5): string {
  clock += minutes * 60_000;
  return new Date(clock).toISOString().replace('.000Z', 'Z');
}

/** A CloudTrail record of an IAM call, shaped like the ones CloudTrail writes (policy documents as JSON strings). */
export function iamRecord(
  eventName: string,
  requestParameters: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: ADMIN_USER,
    eventTime: nextTime(),
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64.ubuntu.22 prompt/off command/iam',
    requestParameters,
    responseElements: null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...overrides,
  };
}

/** A trust policy document trusting the given AWS principals. */
export function trustDocument(...principals: string[]): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: principals.length === 1 ? principals[0] : principals }, Action: 'sts:AssumeRole' },
      ],
    },
    null,
    2,
  );
}

export function createRole(roleName: string, trust: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return iamRecord(
    'CreateRole',
    { roleName, assumeRolePolicyDocument: trust },
    {
      responseElements: {
        role: {
          path: '/',
          roleName,
          roleId: 'AROAEXAMPLEROLEID1234',
          arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
          createDate: 'Nov 2, 2026, 9:00:00 AM',
          assumeRolePolicyDocument: encodeURIComponent(trust),
        },
      },
      ...overrides,
    },
  );
}

export function attachRolePolicy(
  roleName: string,
  policyArn: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return iamRecord('AttachRolePolicy', { roleName, policyArn }, overrides);
}

export function detachRolePolicy(roleName: string, policyArn: string): Record<string, unknown> {
  return iamRecord('DetachRolePolicy', { roleName, policyArn });
}

export function updateTrust(roleName: string, trust: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return iamRecord('UpdateAssumeRolePolicy', { roleName, policyDocument: trust }, overrides);
}

export function putRolePolicy(roleName: string, policyName: string, document: unknown): Record<string, unknown> {
  return iamRecord('PutRolePolicy', {
    roleName,
    policyName,
    policyDocument: typeof document === 'string' ? document : JSON.stringify(document),
  });
}

/** Marks a record as a call that failed, as CloudTrail records it. */
export function failed(record: Record<string, unknown>, errorCode = 'AccessDenied'): Record<string, unknown> {
  return {
    ...record,
    errorCode,
    errorMessage: `User: ${ADMIN_USER.arn} is not authorized to perform: iam:${String(record.eventName)}`,
    responseElements: null,
  };
}

/** An AssumeRole record by an IAM principal of `callerAccount`. */
export function assumeRole(roleArn: string, callerArn: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const callerAccount = callerArn.split(':')[4] ?? ACCOUNT;
  const isRole = callerArn.includes(':role/');
  const roleAccount = roleArn.split(':')[4] ?? ACCOUNT;
  return {
    eventVersion: '1.08',
    userIdentity: isRole
      ? {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLECALLER:session',
          arn: callerArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + '/session',
          accountId: callerAccount,
          accessKeyId: 'ASIAEXAMPLESESSION01',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLECALLER',
              arn: callerArn,
              accountId: callerAccount,
              userName: callerArn.split('/').pop(),
            },
            attributes: { creationDate: '2026-11-02T08:00:00Z', mfaAuthenticated: 'false' },
          },
        }
      : {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLECALLER',
          arn: callerArn,
          accountId: callerAccount,
          accessKeyId: 'AKIAEXAMPLECALLER01',
          userName: callerArn.split('/').pop(),
        },
    eventTime: nextTime(),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.50',
    userAgent: 'aws-cli/2.15.30',
    requestParameters: { roleArn, roleSessionName: 'session', durationSeconds: 3600 },
    responseElements: {
      credentials: { accessKeyId: 'ASIAEXAMPLENEWKEY001', sessionToken: 'token', expiration: 'Nov 2, 2026, 10:00:00 AM' },
      assumedRoleUser: {
        assumedRoleId: 'AROAEXAMPLEROLEID1234:session',
        arn: `arn:aws:sts::${roleAccount}:assumed-role/${roleArn.split('/').pop()}/session`,
      },
    },
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: true,
    resources: [{ accountId: roleAccount, type: 'AWS::IAM::Role', ARN: roleArn }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: roleAccount,
    eventCategory: 'Management',
    ...overrides,
  };
}

export function events(...records: Record<string, unknown>[]): TrailEvent[] {
  return records.map((record) => parseTrailRecord(record));
}
