/**
 * Builders of CloudTrail records shaped exactly like the ones CloudTrail writes (eventVersion 1.08): the demo
 * scenario, the benchmark stream and the tests all use these, so there is one idea of what a record looks like.
 *
 * Everything random comes from a seeded generator: the same seed and the same calls give the same records,
 * eventIDs included, so a stream is reproducible. Times are given by the caller (epoch milliseconds).
 */
import { createHash } from 'node:crypto';
import { accountOfArn } from '../arn';

/** A CloudTrail record as it appears in a log file or in an EventBridge event's `detail`. */
export type TrailRecord = Record<string, unknown>;

/** `userIdentity` of a record, for the identity types RoleWatch sees in IAM and STS events. */
export interface UserIdentity {
  type: 'IAMUser' | 'AssumedRole' | 'AWSService' | 'WebIdentityUser' | 'AWSAccount' | 'Root';
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: {
    sessionIssuer: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
    webIdFederationData: Record<string, unknown>;
    attributes: { creationDate: string; mfaAuthenticated: string };
    sourceIdentity?: string;
  };
  invokedBy?: string;
  identityProvider?: string;
}

/** Who makes a call, when and from where. */
export interface Caller {
  /** Epoch milliseconds of the call. */
  at: number;
  identity: UserIdentity;
  sourceIp: string;
  userAgent: string;
  /** Region of the endpoint called; IAM is global and always logs us-east-1. */
  region?: string;
  /** The call came from the AWS console with console session credentials (`sessionCredentialFromConsole`). */
  console?: boolean;
}

/** Everything a record says about one API call. */
export interface ApiCall extends Caller {
  eventSource: string;
  eventName: string;
  request: Record<string, unknown> | null;
  response?: unknown;
  additionalEventData?: Record<string, unknown>;
  readOnly?: boolean;
  resources?: { accountId: string; type: string; ARN: string }[];
  /** Account the record belongs to (recipientAccountId); the builder's account by default. */
  recipient?: string;
  /** The call is logged in two accounts (cross-account, or made by a service): a sharedEventID links the copies. */
  shared?: boolean;
}

/** A policy document: an object (written as compact JSON, as CloudFormation sends it) or text as the caller sent it. */
export type PolicyText = string | Record<string, unknown>;

/** Seeded pseudo-random numbers (sfc32, seeded through a string hash): fast, and the same for the same seed. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    const text = String(seed);
    let h = 1779033703 ^ text.length;
    const next = () => {
      h = Math.imul(h ^ (h >>> 16), 2246822507);
      h = Math.imul(h ^ (h >>> 13), 3266489909);
      h ^= h >>> 16;
      return h >>> 0;
    };
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Every STS session token starts with these bytes ("!\n\torigin_ec" in base64). */
const TOKEN_PREFIX = 'IQoJb3JpZ2luX2VjE';
const TOKEN_POOL_LENGTH = 16_384;

/** `2026-11-02T09:00:00Z`: how CloudTrail writes eventTime (no fraction). */
export function trailTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}

/** `Nov 2, 2026, 9:00:00 AM`: how IAM and STS responses in CloudTrail write dates (createDate, expiration). */
export function responseDate(at: number): string {
  const d = new Date(at);
  const hours = d.getUTCHours();
  const clock = `${hours % 12 === 0 ? 12 : hours % 12}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${clock}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The last path segment of a role or user ARN (`arn:aws:iam::1:role/a/b/Name` → `Name`). */
export function nameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** A policy document as the JSON string CloudTrail carries in requestParameters. */
export function policyText(document: PolicyText): string {
  return typeof document === 'string' ? document : JSON.stringify(document);
}

/** A trust policy of one Allow statement: `principal` may call `action` (under `condition`). */
export function trustPolicy(
  principal: Record<string, unknown>,
  action: string,
  condition?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: action, ...(condition ? { Condition: condition } : {}) }],
  };
}

/** A trust policy trusting AWS principals (account roots, roles, users) with sts:AssumeRole. */
export function awsTrustPolicy(principals: readonly string[], condition?: Record<string, unknown>): Record<string, unknown> {
  return trustPolicy({ AWS: principals.length === 1 ? principals[0] : [...principals] }, 'sts:AssumeRole', condition);
}

/** A trust policy for an AWS service principal (lambda.amazonaws.com, ecs-tasks.amazonaws.com...). */
export function serviceTrustPolicy(service: string, condition?: Record<string, unknown>): Record<string, unknown> {
  return trustPolicy({ Service: service }, 'sts:AssumeRole', condition);
}

/** A trust policy for GitHub Actions through the account's OIDC provider, with `:aud` and the given `:sub` values. */
export function githubTrustPolicy(
  account: string,
  subjects: readonly string[],
  operator = 'StringEquals',
): Record<string, unknown> {
  const host = 'token.actions.githubusercontent.com';
  const sub = subjects.length === 1 ? subjects[0] : [...subjects];
  const condition: Record<string, Record<string, unknown>> = operator === 'StringEquals'
    ? { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com', [`${host}:sub`]: sub } }
    : { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' }, [operator]: { [`${host}:sub`]: sub } };
  return trustPolicy({ Federated: `arn:aws:iam::${account}:oidc-provider/${host}` }, 'sts:AssumeRoleWithWebIdentity', condition);
}

/** An identity policy of Allow statements. */
export function permissionPolicy(
  ...statements: { Action: string | string[]; Resource: string | string[]; Sid?: string }[]
): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => ({ ...(s.Sid ? { Sid: s.Sid } : {}), Effect: 'Allow', ...s })),
  };
}

/**
 * Makes CloudTrail records for one account. Holds the seeded generator: ids (eventID, requestID, access keys,
 * session tokens) come from it, and the stable ids of principals (a role's AROA id, a user's AIDA id) are
 * derived from the seed and the principal's ARN, so a role has the same id in every record of a stream.
 */
export class TrailRecordBuilder {
  /** The monitored account: recipient of IAM events. */
  readonly account: string;
  readonly random: Prng;
  private readonly seed: string;
  private readonly stableIds = new Map<string, string>();
  private readonly tokenPool: string;

  constructor(options: { seed: number | string; account: string }) {
    this.seed = String(options.seed);
    this.account = options.account;
    this.random = new Prng(options.seed);
    let pool = '';
    for (let i = 0; i < TOKEN_POOL_LENGTH; i++) pool += BASE64[this.random.uint32() & 63];
    this.tokenPool = pool;
  }

  // Ids

  /** A version-4 UUID from the generator (eventID, requestID, sharedEventID). */
  uuid(): string {
    let out = '';
    for (let i = 0; i < 4; i++) {
      let word = this.random.uint32();
      for (let j = 0; j < 8; j++) {
        const position = i * 8 + j;
        let nibble = word & 15;
        word >>>= 4;
        if (position === 12) nibble = 4;
        else if (position === 16) nibble = 8 | (nibble & 3);
        out += HEX[nibble];
        if (position === 7 || position === 11 || position === 15 || position === 19) out += '-';
      }
    }
    return out;
  }

  /** A temporary (`ASIA`) or long-term (`AKIA`) access key id. */
  accessKeyId(prefix: 'ASIA' | 'AKIA' = 'ASIA'): string {
    return prefix + this.base32(16);
  }

  /** The stable unique id IAM gives a principal (`AROA…` role, `AIDA…` user, `ANPA…` policy), derived from the seed. */
  stableId(prefix: 'AROA' | 'AIDA' | 'ANPA', key: string): string {
    const cacheKey = `${prefix}${key}`;
    const known = this.stableIds.get(cacheKey);
    if (known) return known;
    const digest = createHash('sha256').update(`${this.seed}\u0000${cacheKey}`).digest();
    let id = prefix;
    for (let i = 0; i < 17; i++) id += BASE32[(digest[i] ?? 0) & 31];
    this.stableIds.set(cacheKey, id);
    return id;
  }

  /** An STS session token of realistic length (real ones are several hundred base64 characters). */
  sessionToken(): string {
    const length = this.random.int(560, 880);
    const start = this.random.int(0, TOKEN_POOL_LENGTH - length);
    return TOKEN_PREFIX + this.tokenPool.slice(start, start + length);
  }

  /** Lower-case hex of the given length (ECS task ids, EC2 instance id suffixes). */
  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += HEX[this.random.uint32() & 15];
    return out;
  }

  private base32(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += BASE32[this.random.uint32() & 31];
    return out;
  }

  // Identities

  /** An IAM user calling with a long-term access key (AKIA…). */
  iamUser(account: string, userName: string, accessKeyId?: string): UserIdentity {
    const arn = `arn:aws:iam::${account}:user/${userName}`;
    return {
      type: 'IAMUser',
      principalId: this.stableId('AIDA', arn),
      arn,
      accountId: account,
      accessKeyId: accessKeyId ?? `AKIA${this.stableId('AIDA', `${arn}#key`).slice(4, 20)}`,
      userName,
    };
  }

  /**
   * A role session: `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` (the role's path is not in a session ARN),
   * with its session issuer. `invokedBy` is set when a service calls with the session (CloudFormation).
   */
  roleSession(
    roleArn: string,
    sessionName: string,
    options: { createdAt: number; mfa?: boolean; invokedBy?: string; accessKeyId?: string; sourceIdentity?: string },
  ): UserIdentity {
    const account = accountOfArn(roleArn) ?? this.account;
    const roleName = nameOfArn(roleArn);
    const roleId = this.stableId('AROA', roleArn);
    return {
      type: 'AssumedRole',
      principalId: `${roleId}:${sessionName}`,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      accountId: account,
      accessKeyId: options.accessKeyId ?? this.accessKeyId('ASIA'),
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId: account, userName: roleName },
        webIdFederationData: {},
        attributes: { creationDate: trailTime(options.createdAt), mfaAuthenticated: options.mfa ? 'true' : 'false' },
        ...(options.sourceIdentity ? { sourceIdentity: options.sourceIdentity } : {}),
      },
      ...(options.invokedBy ? { invokedBy: options.invokedBy } : {}),
    };
  }

  /** An AWS service acting on its own behalf (lambda.amazonaws.com assuming a function's role). */
  service(invokedBy: string): UserIdentity {
    return { type: 'AWSService', invokedBy };
  }

  /** A web identity (OIDC) user: GitHub Actions, EKS pods, Cognito. */
  webIdentityUser(providerArn: string, subject: string, audience: string): UserIdentity {
    return {
      type: 'WebIdentityUser',
      principalId: `${providerArn}:${audience}:${subject}`,
      userName: subject,
      identityProvider: providerArn,
    };
  }

  /**
   * A principal of another account as the role's own account logs it: CloudTrail gives the recipient only the
   * caller's account and principal id (`AROA…:session` or `AIDA…`); the caller's account gets the full identity.
   */
  awsAccount(account: string, principalId: string): UserIdentity {
    return { type: 'AWSAccount', principalId, accountId: account };
  }

  // Records

  /** A record with the fields every management event has, in CloudTrail's order. */
  apiCall(call: ApiCall): TrailRecord {
    const region = call.region ?? 'us-east-1';
    const record: TrailRecord = {
      eventVersion: '1.08',
      userIdentity: call.identity,
      eventTime: trailTime(call.at),
      eventSource: call.eventSource,
      eventName: call.eventName,
      awsRegion: region,
      sourceIPAddress: call.sourceIp,
      userAgent: call.userAgent,
      requestParameters: call.request,
      responseElements: call.response ?? null,
    };
    if (call.additionalEventData) record.additionalEventData = call.additionalEventData;
    record.requestID = this.uuid();
    record.eventID = this.uuid();
    record.readOnly = call.readOnly ?? false;
    if (call.resources) record.resources = call.resources;
    record.eventType = 'AwsApiCall';
    record.managementEvent = true;
    record.recipientAccountId = call.recipient ?? this.account;
    if (call.shared) record.sharedEventID = this.uuid();
    record.eventCategory = 'Management';
    // Calls a service makes on the caller's behalf carry no TLS details: the service, not the client, connected.
    if (call.identity.invokedBy === undefined && call.identity.type !== 'AWSService')
      record.tlsDetails = tlsDetails(endpointHost(call.eventSource, region));
    if (call.console) record.sessionCredentialFromConsole = 'true';
    return record;
  }

  /** An IAM call (global service: us-east-1). */
  iamCall(call: Caller, eventName: string, request: Record<string, unknown>, response?: unknown): TrailRecord {
    return this.apiCall({ ...call, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, request, response });
  }

  /** CreateRole: the trust policy as sent, and the role in the response with its document URL-encoded. */
  createRole(
    call: Caller,
    role: {
      roleName: string;
      trust: PolicyText;
      path?: string;
      description?: string;
      maxSessionDuration?: number;
      permissionsBoundary?: string;
      tags?: Record<string, string>;
    },
  ): TrailRecord {
    const path = role.path ?? '/';
    const arn = `arn:aws:iam::${this.account}:role${path}${role.roleName}`;
    const trust = policyText(role.trust);
    const tags = role.tags ? Object.entries(role.tags).map(([key, value]) => ({ key, value })) : undefined;
    const request: Record<string, unknown> = {
      ...(role.path ? { path } : {}),
      roleName: role.roleName,
      assumeRolePolicyDocument: trust,
      ...(role.description ? { description: role.description } : {}),
      ...(role.maxSessionDuration ? { maxSessionDuration: role.maxSessionDuration } : {}),
      ...(role.permissionsBoundary ? { permissionsBoundary: role.permissionsBoundary } : {}),
      ...(tags ? { tags } : {}),
    };
    const response = {
      role: {
        path,
        roleName: role.roleName,
        roleId: this.stableId('AROA', arn),
        arn,
        createDate: responseDate(call.at),
        assumeRolePolicyDocument: encodeURIComponent(trust),
        ...(role.description ? { description: role.description } : {}),
        ...(role.maxSessionDuration ? { maxSessionDuration: role.maxSessionDuration } : {}),
        ...(role.permissionsBoundary
          ? { permissionsBoundary: { permissionsBoundaryType: 'Policy', permissionsBoundaryArn: role.permissionsBoundary } }
          : {}),
        ...(tags ? { tags } : {}),
      },
    };
    return this.iamCall(call, 'CreateRole', request, response);
  }

  updateAssumeRolePolicy(call: Caller, roleName: string, trust: PolicyText): TrailRecord {
    return this.iamCall(call, 'UpdateAssumeRolePolicy', { roleName, policyDocument: policyText(trust) });
  }

  putRolePolicy(call: Caller, roleName: string, policyName: string, document: PolicyText): TrailRecord {
    return this.iamCall(call, 'PutRolePolicy', { roleName, policyName, policyDocument: policyText(document) });
  }

  deleteRolePolicy(call: Caller, roleName: string, policyName: string): TrailRecord {
    return this.iamCall(call, 'DeleteRolePolicy', { roleName, policyName });
  }

  attachRolePolicy(call: Caller, roleName: string, policyArn: string): TrailRecord {
    return this.iamCall(call, 'AttachRolePolicy', { roleName, policyArn });
  }

  detachRolePolicy(call: Caller, roleName: string, policyArn: string): TrailRecord {
    return this.iamCall(call, 'DetachRolePolicy', { roleName, policyArn });
  }

  deleteRole(call: Caller, roleName: string): TrailRecord {
    return this.iamCall(call, 'DeleteRole', { roleName });
  }

  tagRole(call: Caller, roleName: string, tags: Record<string, string>): TrailRecord {
    return this.iamCall(call, 'TagRole', { roleName, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }

  updateRole(call: Caller, roleName: string, settings: { maxSessionDuration?: number; description?: string }): TrailRecord {
    return this.iamCall(call, 'UpdateRole', { roleName, ...settings });
  }

  /** CreatePolicy of a customer-managed policy (version v1, default). */
  createPolicy(call: Caller, policyName: string, document: PolicyText, description?: string): TrailRecord {
    const arn = `arn:aws:iam::${this.account}:policy/${policyName}`;
    return this.iamCall(
      call,
      'CreatePolicy',
      { policyName, policyDocument: policyText(document), ...(description ? { description } : {}) },
      {
        policy: {
          policyName,
          policyId: this.stableId('ANPA', arn),
          arn,
          path: '/',
          defaultVersionId: 'v1',
          attachmentCount: 0,
          permissionsBoundaryUsageCount: 0,
          isAttachable: true,
          createDate: responseDate(call.at),
          updateDate: responseDate(call.at),
        },
      },
    );
  }

  /** CreatePolicyVersion, with the new version in the response as CloudTrail logs it. */
  createPolicyVersion(
    call: Caller,
    policyArn: string,
    document: PolicyText,
    versionId: string,
    setAsDefault: boolean,
  ): TrailRecord {
    return this.iamCall(
      call,
      'CreatePolicyVersion',
      { policyArn, policyDocument: policyText(document), setAsDefault },
      { policyVersion: { versionId, isDefaultVersion: setAsDefault, createDate: responseDate(call.at) } },
    );
  }

  /** A read-only IAM call (GetRole, ListRoles...): RoleWatch ignores them, real trails are full of them. */
  iamRead(call: Caller, eventName: string, request: Record<string, unknown> | null): TrailRecord {
    return this.apiCall({ ...call, region: 'us-east-1', eventSource: 'iam.amazonaws.com', eventName, request, readOnly: true });
  }

  /**
   * AssumeRole. The record is the role account's copy: a caller of another account appears as `AWSAccount`
   * (pass {@link awsAccount}) and both copies share a `sharedEventID`, as do service-made assumptions.
   */
  assumeRole(
    call: Caller,
    request: { roleArn: string; roleSessionName: string; durationSeconds?: number; externalId?: string; sourceIdentity?: string },
  ): TrailRecord {
    const roleAccount = accountOfArn(request.roleArn) ?? this.account;
    const callerAccount = call.identity.accountId;
    const sts = this.stsCall(call, 'AssumeRole', request.roleArn, roleAccount);
    sts.request = { ...request };
    sts.response = this.assumedRoleResponse(call.at, request.roleArn, request.roleSessionName, request.durationSeconds);
    sts.shared = call.identity.type === 'AWSService' || (callerAccount !== undefined && callerAccount !== roleAccount);
    return this.apiCall(sts);
  }

  /** AssumeRoleWithWebIdentity by an OIDC user (see {@link webIdentityUser}). */
  assumeRoleWithWebIdentity(
    call: Caller,
    request: { roleArn: string; roleSessionName: string; durationSeconds?: number },
    token: { subject: string; provider: string; audience: string },
  ): TrailRecord {
    const roleAccount = accountOfArn(request.roleArn) ?? this.account;
    const base = this.assumedRoleResponse(call.at, request.roleArn, request.roleSessionName, request.durationSeconds);
    const sts = this.stsCall(call, 'AssumeRoleWithWebIdentity', request.roleArn, roleAccount);
    sts.request = { ...request };
    sts.response = {
      credentials: base.credentials,
      subjectFromWebIdentityToken: token.subject,
      assumedRoleUser: base.assumedRoleUser,
      provider: token.provider,
      audience: token.audience,
    };
    sts.additionalEventData = { identityProviderConnectionVerificationMethod: 'IAMTrustStore', ...sts.additionalEventData };
    return this.apiCall(sts);
  }

  /** CloudTrail StopLogging on a trail. */
  stopLogging(call: Caller, trailArn: string): TrailRecord {
    return this.apiCall({
      ...call,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      request: { name: trailArn },
      resources: [{ accountId: accountOfArn(trailArn) ?? this.account, type: 'AWS::CloudTrail::Trail', ARN: trailArn }],
    });
  }

  /** What every STS assumption record has: the serving region, the role as a resource, the role's account as recipient. */
  private stsCall(call: Caller, eventName: string, roleArn: string, roleAccount: string): ApiCall {
    const region = call.region ?? 'us-east-1';
    return {
      at: call.at,
      identity: call.identity,
      sourceIp: call.sourceIp,
      userAgent: call.userAgent,
      region,
      console: call.console,
      eventSource: 'sts.amazonaws.com',
      eventName,
      request: null,
      readOnly: true,
      recipient: roleAccount,
      additionalEventData: { RequestDetails: { awsServingRegion: region, endpointType: 'regional' } },
      resources: [{ accountId: roleAccount, type: 'AWS::IAM::Role', ARN: roleArn }],
    };
  }

  private assumedRoleResponse(at: number, roleArn: string, sessionName: string, durationSeconds = 3600) {
    const account = accountOfArn(roleArn) ?? this.account;
    return {
      credentials: {
        accessKeyId: this.accessKeyId('ASIA'),
        sessionToken: this.sessionToken(),
        expiration: responseDate(at + durationSeconds * 1000),
      },
      assumedRoleUser: {
        assumedRoleId: `${this.stableId('AROA', roleArn)}:${sessionName}`,
        arn: `arn:aws:sts::${account}:assumed-role/${nameOfArn(roleArn)}/${sessionName}`,
      },
    };
  }
}

/** A copy of a record as a call that failed: errorCode and errorMessage after userAgent, and no response (CloudTrail logs null). */
export function failedCall(record: TrailRecord, errorCode: string, errorMessage: string): TrailRecord {
  const out: TrailRecord = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'errorCode' || key === 'errorMessage') continue;
    if (key === 'requestParameters') {
      out.errorCode = errorCode;
      out.errorMessage = errorMessage;
    }
    out[key] = key === 'responseElements' ? null : value;
  }
  return out;
}

function endpointHost(eventSource: string, region: string): string {
  const service = eventSource.replace('.amazonaws.com', '');
  return service === 'iam' ? 'iam.amazonaws.com' : `${service}.${region}.amazonaws.com`;
}

function tlsDetails(host: string): Record<string, string> {
  return { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host };
}
