import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import type { TrailEvent } from '../../shared/cloudtrail/types';
import {
  awsTrustPolicy,
  type Caller,
  failedCall,
  nameOfArn,
  type TrailRecord,
  TrailRecordBuilder,
} from '../../shared/syntheticTrail/records';

/** The monitored account in tests. */
export const ACCOUNT = '123456789012';
export const FOREIGN_ACCOUNT = '444455556666';

// One seeded builder per test file (jest gives every file its own module registry): records and their
// eventIDs are the same on every run, and never repeat within a file, whatever resetClock does.
const builder = new TrailRecordBuilder({ seed: 'rolewatch-tests', account: ACCOUNT });

const ADMIN_USER = builder.iamUser(ACCOUNT, 'alice', 'AKIAIOSFODNN7EXAMPLE');
const CLI_USER_AGENT = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64.ubuntu.22 prompt/off command/iam';

let clock = Date.parse('2026-11-02T09:00:00Z');

/** Resets the time the builders stamp on records. */
export function resetClock(iso = '2026-11-02T09:00:00Z'): void {
  clock = Date.parse(iso);
}

/** Every record is stamped five minutes after the previous one. */
function nextTime(minutes = 5): number {
  clock += minutes * 60_000;
  return clock;
}

function adminCall(): Caller {
  return { at: nextTime(), identity: ADMIN_USER, sourceIp: '198.51.100.23', userAgent: CLI_USER_AGENT };
}

/** A CloudTrail record of an IAM call, shaped like the ones CloudTrail writes (policy documents as JSON strings). */
export function iamRecord(
  eventName: string,
  requestParameters: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): TrailRecord {
  return { ...builder.iamCall(adminCall(), eventName, requestParameters), ...overrides };
}

/** A trust policy document trusting the given AWS principals. */
export function trustDocument(...principals: string[]): string {
  return JSON.stringify(awsTrustPolicy(principals), null, 2);
}

export function createRole(roleName: string, trust: string, overrides: Record<string, unknown> = {}): TrailRecord {
  return { ...builder.createRole(adminCall(), { roleName, trust }), ...overrides };
}

export function attachRolePolicy(roleName: string, policyArn: string, overrides: Record<string, unknown> = {}): TrailRecord {
  return { ...builder.attachRolePolicy(adminCall(), roleName, policyArn), ...overrides };
}

export function detachRolePolicy(roleName: string, policyArn: string): TrailRecord {
  return builder.detachRolePolicy(adminCall(), roleName, policyArn);
}

export function updateTrust(roleName: string, trust: string, overrides: Record<string, unknown> = {}): TrailRecord {
  return { ...builder.updateAssumeRolePolicy(adminCall(), roleName, trust), ...overrides };
}

export function putRolePolicy(roleName: string, policyName: string, document: unknown): TrailRecord {
  return builder.putRolePolicy(
    adminCall(),
    roleName,
    policyName,
    typeof document === 'string' ? document : JSON.stringify(document),
  );
}

/** Marks a record as a call that failed, as CloudTrail records it. */
export function failed(record: TrailRecord, errorCode = 'AccessDenied'): TrailRecord {
  return failedCall(record, errorCode, `User: ${ADMIN_USER.arn} is not authorized to perform: iam:${String(record.eventName)}`);
}

/** An AssumeRole record by an IAM principal of `callerArn`'s account: a role session when it is a role, else an IAM user. */
export function assumeRole(roleArn: string, callerArn: string, overrides: Record<string, unknown> = {}): TrailRecord {
  const at = nextTime();
  const callerAccount = callerArn.split(':')[4] ?? ACCOUNT;
  const identity = callerArn.includes(':role/')
    ? builder.roleSession(callerArn, 'session', { createdAt: at - 3_600_000 })
    : builder.iamUser(callerAccount, nameOfArn(callerArn));
  const record = builder.assumeRole(
    { at, identity, sourceIp: '203.0.113.50', userAgent: 'aws-cli/2.15.30' },
    { roleArn, roleSessionName: 'session', durationSeconds: 3600 },
  );
  return { ...record, ...overrides };
}

export function events(...records: TrailRecord[]): TrailEvent[] {
  return records.map((record) => parseTrailRecord(record));
}
