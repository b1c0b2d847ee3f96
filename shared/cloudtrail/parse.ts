import { createHash } from 'node:crypto';
import { InvalidEventError } from '../errors';
import { isRecord } from './accessors';
import type { SessionIssuer, TrailActor, TrailEvent, TrailResource } from './types';

/** An EventBridge event as CloudTrail delivers it: the record is in `detail`. */
export interface EventBridgeEnvelope {
  'detail-type': string;
  detail: unknown;
  [key: string]: unknown;
}

/**
 * True for an EventBridge event (`{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}`), whatever its
 * detail-type. A CloudTrail record never has a `detail-type` key, so the two cannot be confused.
 */
export function isEventBridgeEnvelope(value: unknown): value is EventBridgeEnvelope {
  return isRecord(value) && typeof value['detail-type'] === 'string' && Object.hasOwn(value, 'detail');
}

/**
 * Turns one CloudTrail record, or an EventBridge event carrying one, into a {@link TrailEvent}.
 *
 * Only eventID, eventName and eventSource are required (non-empty strings). Real records always carry an eventID;
 * AWS documentation examples and hand-made exports often leave it out, so a record that has an eventTime but no
 * eventID gets one derived from its content (`derived-<hash>`): the same record twice is the same event. Every other field is read
 * defensively: a missing or mistyped field is absent in the result, never a crash. The containers
 * (`request`, `response`, `additional`) are the record's own objects, not copies: treat them as read-only.
 *
 * Identifiers are checked against AWS's own rules, so that a crafted record cannot become state: eventTime must be
 * a time CloudTrail can have written (2013 to a day after `now`), `recipientAccountId` and `userIdentity.accountId`
 * 12-digit account ids, and the role and policy names and ARNs of IAM and STS requests what IAM accepts.
 *
 * @throws InvalidEventError when the input is not an object, lacks a required field or carries an identifier
 *   AWS would never write (with the eventID when one is readable, and a `reason` from {@link REASONS}).
 */
export function parseTrailRecord(raw: unknown, options: { now?: number } = {}): TrailEvent {
  let record = raw;
  let wrapper = '';
  if (isEventBridgeEnvelope(raw)) {
    record = raw.detail;
    wrapper = `EventBridge event "${raw['detail-type']}": `;
  }
  if (!isRecord(record)) throw new InvalidEventError(`${wrapper}CloudTrail record must be a JSON object, got ${kindOf(record)}`);

  const eventId = text(record, 'eventID') ?? derivedEventId(record);
  if (eventId === undefined) throw new InvalidEventError(`${wrapper}CloudTrail record has no eventID`);
  const eventName = text(record, 'eventName');
  if (eventName === undefined) throw new InvalidEventError(`${wrapper}CloudTrail record ${eventId} has no eventName`, eventId);
  const eventSource = text(record, 'eventSource');
  if (eventSource === undefined)
    throw new InvalidEventError(`${wrapper}CloudTrail record ${eventId} has no eventSource`, eventId);

  const identity = isRecord(record.userIdentity) ? record.userIdentity : undefined;
  const malformed = (reason: string, detail: string) =>
    new InvalidEventError(`${wrapper}CloudTrail record ${eventId}: ${detail}`, eventId, { reason });
  const eventTime = text(record, 'eventTime') ?? '';
  const time = eventTime === '' ? 0 : parseTrailTime(eventTime);
  const latest = (options.now ?? Date.now()) + DAY_MS;
  if (time === 0) throw malformed(REASONS.time, `eventTime ${describe(record.eventTime)} is not a time`);
  if (time < EARLIEST_EVENT_TIME || time > latest)
    throw malformed(
      REASONS.time,
      `eventTime ${eventTime} is outside the times CloudTrail can have written (2013 to a day from now)`,
    );
  const recipient = record.recipientAccountId;
  // A string that is not an account id is crafted (a value of another type is ignored, like every mistyped field).
  if (typeof recipient === 'string' && !isAccountId(recipient))
    throw malformed(REASONS.account, `recipientAccountId ${describe(recipient)} is not a 12-digit account id`);
  const callerAccount = identity?.accountId;
  if (typeof callerAccount === 'string' && !isAccountId(callerAccount) && callerAccount !== 'ANONYMOUS_PRINCIPAL')
    throw malformed(REASONS.account, `userIdentity.accountId ${describe(callerAccount)} is not a 12-digit account id`);
  const request = objectOrEmpty(record.requestParameters);
  if (eventSource === 'iam.amazonaws.com' || eventSource === 'sts.amazonaws.com') {
    const problem = identifierProblem(request);
    if (problem) throw malformed(problem.reason, problem.detail);
  }
  const readOnly = record.readOnly;
  const event: TrailEvent = {
    eventId,
    eventName,
    eventSource,
    eventTime,
    time,
    account: (isAccountId(recipient) ? recipient : undefined) ?? (isAccountId(callerAccount) ? callerAccount : undefined) ?? '',
    region: text(record, 'awsRegion') ?? '',
    actor: identity === undefined ? { type: 'Unknown' } : readActor(identity),
    readOnly: typeof readOnly === 'boolean' ? readOnly : isReadOnlyEventName(eventName),
    request,
    response: objectOrEmpty(record.responseElements),
    additional: objectOrEmpty(record.additionalEventData),
    resources: readResources(record.resources),
  };
  const sourceIp = text(record, 'sourceIPAddress');
  if (sourceIp !== undefined) event.sourceIp = sourceIp;
  const userAgent = text(record, 'userAgent');
  if (userAgent !== undefined) event.userAgent = userAgent;
  const errorCode = text(record, 'errorCode');
  if (errorCode !== undefined) event.errorCode = errorCode;
  const errorMessage = text(record, 'errorMessage');
  if (errorMessage !== undefined) event.errorMessage = errorMessage;
  return event;
}

/** The reasons a record is malformed, as skip summaries count them. */
export const REASONS = {
  time: 'invalid eventTime',
  account: 'invalid account id',
  identifier: 'invalid IAM identifier',
} as const;

/** CloudTrail started in November 2013: no record it wrote is older. */
const EARLIEST_EVENT_TIME = Date.UTC(2013, 0, 1);

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && /^\d{12}$/.test(value);
}

// IAM's own rules (CreateRole, CreatePolicy, PutRolePolicy): names of letters, digits and +=,.@_- (roles up to 64
// characters, policies up to 128), paths `/` or `/.../` of printable ASCII.
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PATH = '(?:/|/[\\x21-\\x7e]{1,510}/)';
const PARTITION = 'arn:aws(?:-[a-z]+){0,3}';
const ROLE_ARN = new RegExp(`^${PARTITION}:iam::\\d{12}:role${PATH}[\\w+=,.@-]{1,64}$`);
const POLICY_ARN = new RegExp(`^${PARTITION}:iam::(?:\\d{12}|aws):policy${PATH}[\\w+=,.@-]{1,128}$`);

const IDENTIFIERS: readonly { key: string; pattern: RegExp; what: string }[] = [
  { key: 'roleName', pattern: ROLE_NAME, what: 'a role name' },
  { key: 'policyName', pattern: POLICY_NAME, what: 'a policy name' },
  { key: 'roleArn', pattern: ROLE_ARN, what: 'a role ARN' },
  { key: 'policyArn', pattern: POLICY_ARN, what: 'a policy ARN' },
  { key: 'permissionsBoundary', pattern: POLICY_ARN, what: 'a policy ARN' },
];

/**
 * The first role or policy identifier of an IAM or STS request that IAM would refuse: such a call changed nothing
 * and named nothing that exists, and its text must not become a role in RoleWatch's state.
 */
function identifierProblem(request: Record<string, unknown>): { reason: string; detail: string } | undefined {
  for (const { key, pattern, what } of IDENTIFIERS) {
    const value = request[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !pattern.test(value))
      return { reason: REASONS.identifier, detail: `requestParameters.${key} ${describe(value)} is not ${what} IAM accepts` };
  }
  return undefined;
}

/** A value for a message: quoted as JSON (control characters escaped), cut at 80 characters. */
function describe(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 80)}...` : json;
}

const READ_ONLY_PREFIXES = ['Get', 'List', 'Describe', 'Head', 'Lookup'];
// CloudTrail marks role assumptions read-only (`readOnly: true`) although their names do not say so; records written by
// hand (AWS documentation examples, rule tests) often omit the flag.
const READ_ONLY_NAMES = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity']);

/**
 * Whether an API call only reads, judged by its name, for records that omit `readOnly`: Get*, List*,
 * Describe*, Head*, Lookup* (the prefix followed by an upper-case letter) and the AssumeRole calls.
 */
export function isReadOnlyEventName(eventName: string): boolean {
  if (READ_ONLY_NAMES.has(eventName)) return true;
  for (const prefix of READ_ONLY_PREFIXES) {
    if (eventName.startsWith(prefix)) {
      const next = eventName.charCodeAt(prefix.length);
      return next >= 65 && next <= 90;
    }
  }
  return false;
}

/**
 * Epoch milliseconds of a CloudTrail timestamp, 0 when unreadable. Accepts ISO-8601 as CloudTrail writes it
 * (`2024-01-15T10:30:00Z`) and the variants found in exported and normalised logs: a space instead of `T`,
 * fractional seconds of any length, a numeric offset, no zone at all. A time without a zone is UTC (CloudTrail
 * times always are); `Date.parse` would read it in the machine's local zone.
 */
export function parseTrailTime(value: string): number {
  const length = value.length;
  if (length < 10 || value.charCodeAt(4) !== DASH || value.charCodeAt(7) !== DASH) return 0;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 0;
  const date = daysFromCivil(year, month, day) * DAY_MS;
  if (length === 10) return date;

  const separator = value.charCodeAt(10);
  if ((separator !== UPPER_T && separator !== LOWER_T && separator !== SPACE) || value.charCodeAt(13) !== COLON) return 0;
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return 0;
  let second = 0;
  let millis = 0;
  let i = 16;
  if (value.charCodeAt(i) === COLON) {
    second = digits(value, 17, 2);
    if (second < 0 || second > 60) return 0;
    i = 19;
    const mark = value.charCodeAt(i);
    if (mark === DOT || mark === COMMA) {
      i++;
      const start = i;
      // Only milliseconds matter; exports carry up to nanoseconds.
      for (; i < length && isDigit(value.charCodeAt(i)); i++) {
        if (i - start < 3) millis = millis * 10 + (value.charCodeAt(i) - 48);
      }
      const taken = i - start;
      if (taken === 0) return 0;
      if (taken < 3) millis *= taken === 1 ? 100 : 10;
    }
  }

  let offset = 0;
  if (i < length) {
    const zone = value.charCodeAt(i);
    if (zone === UPPER_Z || zone === LOWER_Z) {
      if (i + 1 !== length) return 0;
    } else if (zone === PLUS || zone === DASH) {
      const offsetHours = digits(value, i + 1, 2);
      let offsetMinutes = 0;
      if (i + 3 !== length) {
        const minutesAt = value.charCodeAt(i + 3) === COLON ? i + 4 : i + 3;
        if (minutesAt + 2 !== length) return 0;
        offsetMinutes = digits(value, minutesAt, 2);
      }
      if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) return 0;
      offset = (zone === PLUS ? 1 : -1) * (offsetHours * 60 + offsetMinutes) * MINUTE_MS;
    } else {
      return 0;
    }
  }
  return date + hour * HOUR_MS + minute * MINUTE_MS + second * 1000 + millis - offset;
}

const DASH = 45;
const PLUS = 43;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const SPACE = 32;
const UPPER_T = 84;
const LOWER_T = 116;
const UPPER_Z = 90;
const LOWER_Z = 122;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The non-negative integer written by `count` digits at `start`, or -1. */
function digits(value: string, start: number, count: number): number {
  if (start + count > value.length) return -1;
  let result = 0;
  for (let i = start; i < start + count; i++) {
    const code = value.charCodeAt(i);
    if (!isDigit(code)) return -1;
    result = result * 10 + (code - 48);
  }
  return result;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm); `Date.UTC` maps years 0–99 to 19xx. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** A non-empty string field of a record. CloudTrail fields never have a meaningful empty value. */
function text(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function readActor(identity: Record<string, unknown>): TrailActor {
  const actor: TrailActor = { type: text(identity, 'type') ?? 'Unknown' };
  const arn = text(identity, 'arn');
  if (arn !== undefined) actor.arn = arn;
  const accountId = text(identity, 'accountId');
  if (accountId !== undefined) actor.accountId = accountId;
  const principalId = text(identity, 'principalId');
  if (principalId !== undefined) actor.principalId = principalId;
  const accessKeyId = text(identity, 'accessKeyId');
  if (accessKeyId !== undefined) actor.accessKeyId = accessKeyId;
  const userName = text(identity, 'userName');
  if (userName !== undefined) actor.userName = userName;
  const invokedBy = text(identity, 'invokedBy');
  if (invokedBy !== undefined) actor.invokedBy = invokedBy;
  const identityProvider = text(identity, 'identityProvider');
  if (identityProvider !== undefined) actor.identityProvider = identityProvider;
  const context = identity.sessionContext;
  if (isRecord(context) && isRecord(context.sessionIssuer)) {
    const issuer = readIssuer(context.sessionIssuer);
    if (issuer !== undefined) actor.sessionIssuer = issuer;
  }
  return actor;
}

/** The session issuer, or undefined when it has no readable field (CloudTrail writes `{}` for non-role sessions). */
function readIssuer(raw: Record<string, unknown>): SessionIssuer | undefined {
  const issuer: SessionIssuer = {};
  const type = text(raw, 'type');
  if (type !== undefined) issuer.type = type;
  const arn = text(raw, 'arn');
  if (arn !== undefined) issuer.arn = arn;
  const accountId = text(raw, 'accountId');
  if (accountId !== undefined) issuer.accountId = accountId;
  const userName = text(raw, 'userName');
  if (userName !== undefined) issuer.userName = userName;
  const principalId = text(raw, 'principalId');
  if (principalId !== undefined) issuer.principalId = principalId;
  const found = type ?? arn ?? accountId ?? userName ?? principalId;
  return found === undefined ? undefined : issuer;
}

function readResources(value: unknown): TrailResource[] {
  if (!Array.isArray(value)) return [];
  const resources: TrailResource[] = [];
  for (const item of value) {
    if (!isRecord(item)) continue;
    const resource: TrailResource = {};
    // CloudTrail writes `ARN`; some normalised exports write `arn`.
    const arn = text(item, 'ARN') ?? text(item, 'arn');
    if (arn !== undefined) resource.arn = arn;
    const accountId = text(item, 'accountId');
    if (accountId !== undefined) resource.accountId = accountId;
    const type = text(item, 'type');
    if (type !== undefined) resource.type = type;
    resources.push(resource);
  }
  return resources;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * An id for a record without eventID, from a hash of its content, so that a copy of the same record is
 * recognised as a redelivery. Only for records that look like events (they have an eventTime).
 */
function derivedEventId(record: Record<string, unknown>): string | undefined {
  if (text(record, 'eventTime') === undefined) return undefined;
  return `derived-${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32)}`;
}
