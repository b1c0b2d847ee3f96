import { z } from 'zod';
import { FINDING_STATUSES } from '../findings/finding';
import { SEVERITIES } from '../findings/severity';
import { CONTROL_IDS } from '../rules/controls';
import { RULES } from '../rules/index';

/**
 * Every input and output of the reporting API as zod schemas: requests are validated with them and the
 * OpenAPI document is generated from them, so the two cannot drift apart.
 */

// Inputs --------------------------------------------------------------------------------------------------

const RULE_IDS = RULES.map((rule) => rule.id) as [string, ...string[]];
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** A 12-digit AWS account id. */
export const accountId = z
  .string()
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
  .meta({ description: 'AWS account id', examples: ['123456789012'] });

const roleName = z.string().regex(ROLE_NAME, 'must be an IAM role name');
const roleNameOrArn = z
  .string()
  .refine((value) => ROLE_NAME.test(value) || ROLE_ARN.test(value), 'must be an IAM role name or role ARN')
  .meta({ description: 'Role name (in any account, or in `account`) or role ARN' });

/** `a,b,c` (API Gateway joins repeated query parameters with commas; the Node server does the same). */
function listOf<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z
    .string()
    .transform((value) => [...new Set(value.split(',').map((part) => part.trim()))].filter((part) => part !== ''))
    .pipe(z.array(z.enum(values)).min(1, `give one or more of ${values.join(', ')}`))
    .meta({ description: `${description}: one or more, comma-separated or repeated` });
}

const since = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be a date like 2026-11-02 or a date-time like 2026-11-02T09:00:00Z',
  })
  .transform((value) => Date.parse(value))
  .meta({ description: 'Date (UTC midnight) or date-time with offset' });

/** The end of a time range, as an exclusive bound in epoch ms: a date covers its whole day. */
const until = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be a date like 2026-11-02 or a date-time like 2026-11-02T09:00:00Z',
  })
  .transform((value) => Date.parse(value) + (value.length === 10 ? 86_400_000 : 1))
  .meta({ description: 'Last date (UTC, the whole day) or date-time with offset, inclusive' });

const limit = z.coerce
  .number()
  .int('must be a whole number')
  .min(1, 'must be between 1 and 200')
  .max(200, 'must be between 1 and 200')
  .default(50)
  .meta({ description: 'Items per page' });

const cursor = z
  .string()
  .max(4096, 'is not a valid cursor')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a valid cursor')
  .optional()
  .meta({ description: 'The `cursor` of the previous page (same filters)' });

/** Query parameters every list accepts. */
const page = { limit, cursor };

/** No parameters at all (an unknown one is refused). */
export const noParams = z.strictObject({});

/** Path of /findings/{id} and its actions. */
export const findingIdParams = z.strictObject({
  id: z
    .string()
    .regex(/^(\d{12}|unknown)-[A-Za-z0-9_-]{22}$/, 'is not a finding id')
    .meta({ description: 'Finding id' }),
});

/** `format=ocsf`: the findings as OCSF Detection Findings (as `Accept: application/ocsf+json` asks). */
const format = z
  .enum(['json', 'ocsf'])
  .optional()
  .meta({ description: 'ocsf: OCSF 1.x Detection Finding records (class 2004), as Accept: application/ocsf+json asks' });

/** Query of GET /findings/{id}. */
export const findingQuery = z.strictObject({ format });

/** Query of GET /findings. */
export const findingsQuery = z.strictObject({
  status: listOf(FINDING_STATUSES, 'Finding status').prefault('open'),
  severity: listOf(SEVERITIES, 'Severity').prefault(SEVERITIES.join(',')),
  rule: listOf(RULE_IDS, 'Rule id').optional(),
  control: z
    .string()
    .max(64, 'is not a control id RoleWatch maps')
    .refine((value) => CONTROL_IDS.has(value), 'is not a control id RoleWatch maps (rolewatch report --framework lists them)')
    .optional()
    .meta({
      description: 'A compliance or ATT&CK id: findings of the rules that evidence it',
      examples: ['CIS-5.0-1.15', 'NIST-800-53-r5-AC-6', 'ATTACK-T1098.003'],
    }),
  role: roleNameOrArn.optional(),
  account: accountId.optional(),
  since: since.optional(),
  until: until.optional(),
  format,
  ...page,
});

/** Body of POST /findings/{id}/suppress (the caller is taken from the request, never from the body). */
export const suppressBody = z.strictObject({
  reason: z
    .string('is required')
    .trim()
    .min(1, 'is required')
    .max(1000, 'is longer than 1000 characters')
    .meta({ description: 'Why the finding is accepted' }),
  until: z.iso
    .date('must be a date like 2027-01-31')
    .optional()
    .meta({ description: 'Last day of the suppression (UTC); the finding re-opens at its next occurrence after it' }),
});

/** Query of GET /roles. */
export const rolesQuery = z.strictObject({ account: accountId.optional(), ...page });

/** Path of /roles/{name} and its history. */
export const roleParams = z.strictObject({ name: roleName.meta({ description: 'Role name' }) });

/** Query of GET /roles/{name}. */
export const roleQuery = z.strictObject({
  account: accountId
    .optional()
    .meta({ description: 'Account of the role, needed when several accounts have a role of that name' }),
});

/** Query of GET /roles/{name}/history. */
export const historyQuery = z.strictObject({ account: roleQuery.shape.account, ...page });

/** Query of GET /assumptions. */
export const assumptionsQuery = z.strictObject({
  role: roleNameOrArn.optional(),
  account: accountId.optional().meta({ description: "The assumed role's account" }),
  source: z.string().min(1).max(1024, 'is longer than 1024 characters').optional().meta({
    description: 'Source principal: ARN, service principal or web-identity subject',
  }),
  sourceAccount: accountId.optional().meta({ description: "The source principal's account" }),
  since: since.optional().meta({ description: 'Edges last seen at or after this date' }),
  ...page,
});

/** Query of GET /summary. */
export const summaryQuery = z.strictObject({ account: accountId.optional() });

/** The request headers the API reads; others are ignored. */
export const requestHeaders = z.looseObject({
  accept: z.string().max(1024, 'is too long').optional(),
});

/** The content type of a request with a body: JSON, or none said. */
export const bodyHeaders = z.looseObject({
  'content-type': z
    .string()
    .regex(/^application\/json\s*(;.*)?$/i, 'must be application/json')
    .optional(),
});

// Outputs -------------------------------------------------------------------------------------------------

const timestamp = z.string().meta({ format: 'date-time' });
const severity = z.enum(SEVERITIES);
const status = z.enum(FINDING_STATUSES);
const bySeverity = z.object(
  Object.fromEntries(SEVERITIES.map((name) => [name, z.number().int()])) as Record<(typeof SEVERITIES)[number], z.ZodNumber>,
);

/** A finding as the API shows it. */
export const findingView = z.object({
  id: z.string(),
  ruleId: z.string(),
  title: z.string(),
  severity,
  status,
  controls: z.array(z.string()).meta({
    description: 'Compliance and ATT&CK ids the finding evidences (CIS-5.0-1.15, SecurityHub-IAM.1, NIST-800-53-r5-AC-6, ...)',
  }),
  kind: z.enum(['posture', 'event']),
  account: z.string(),
  region: z.string().optional(),
  resource: z.string(),
  resourceName: z.string(),
  roleName: z.string().optional(),
  qualifier: z.string().optional(),
  detail: z.string(),
  evidence: z.record(z.string(), z.unknown()).optional(),
  diff: z.array(z.string()).optional(),
  rationale: z.string(),
  remediation: z.string(),
  openedAt: timestamp.meta({ description: 'When the finding was last opened: the order of lists' }),
  firstSeen: timestamp,
  lastSeen: timestamp,
  count: z.number().int(),
  resolvedAt: timestamp.optional(),
  resolution: z.string().optional(),
  suppression: z.object({ reason: z.string(), by: z.string(), until: z.string().optional() }).optional(),
  event: z
    .object({
      eventId: z.string(),
      eventName: z.string(),
      eventTime: z.string(),
      region: z.string(),
      actor: z.string().optional(),
      actorType: z.string().optional(),
      sourceIp: z.string().optional(),
      userAgent: z.string().optional(),
    })
    .optional(),
  alert: z.object({ state: z.enum(['none', 'pending', 'sent']), sentAt: timestamp.optional(), severity: severity.optional() }),
});

/** IAM's RoleLastUsed as reconcile or scan last read it. */
const lastUsed = z
  .object({
    at: timestamp.nullable().meta({ description: 'LastUsedDate; null when IAM reports no use in its 400-day tracking period' }),
    region: z.string().optional().meta({ description: 'The Region the role was last used in' }),
    observedAt: timestamp.meta({ description: 'When reconcile or scan read it from IAM' }),
  })
  .meta({ description: "IAM's RoleLastUsed, present once reconcile or scan has read the role" });

/** A role in GET /roles. */
export const roleListView = z.object({
  account: z.string(),
  roleName: z.string(),
  arn: z.string(),
  deleted: z.boolean(),
  openFindings: z.number().int(),
  openBySeverity: bySeverity,
  highestOpenSeverity: severity.nullable(),
  lastUsed: lastUsed.optional(),
});

/** A role in GET /roles/{name}. */
export const roleView = z.object({
  account: z.string(),
  roleName: z.string(),
  arn: z.string(),
  exists: z
    .boolean()
    .nullable()
    .meta({ description: 'null when the role is known only from its assumptions or findings (no IAM change or state seen)' }),
  createdAt: timestamp.optional(),
  createdBy: z.string().optional(),
  deletedAt: timestamp.optional(),
  lastChangeAt: timestamp.optional(),
  trustPolicy: z
    .object({ document: z.unknown(), principals: z.array(z.string()), changedAt: timestamp })
    .optional()
    .meta({ description: 'The current trust policy (the document as stored when it is not JSON)' }),
  inlinePolicies: z.array(z.object({ name: z.string(), document: z.unknown(), changedAt: timestamp })),
  attachedPolicies: z.array(z.string()),
  permissionsBoundary: z.string().optional(),
  lastUsed: lastUsed.optional(),
  openFindings: z.array(findingView),
});

/** An entry of a role's history. */
export const historyView = z.object({
  at: timestamp,
  eventId: z.string(),
  eventName: z.string(),
  actor: z.string().optional(),
  sourceIp: z.string().optional(),
  userAgent: z.string().optional(),
  summary: z.string(),
  diff: z.array(z.string()).optional(),
});

/** Who assumed a role: one entry per role and source. */
export const assumptionView = z.object({
  account: z.string().meta({ description: "The assumed role's account" }),
  roleArn: z.string(),
  source: z.string(),
  sourceType: z.enum(['aws', 'service', 'web-identity', 'saml']),
  sourceAccount: z.string().optional(),
  firstSeen: timestamp,
  lastSeen: timestamp,
  count: z.number().int(),
  regions: z.array(z.string()),
  sampleIps: z.array(z.string()),
});

/** GET /summary. */
export const summaryView = z.object({
  accounts: z.array(z.string()),
  open: z.object({ total: z.number().int(), bySeverity }),
  byStatus: z.object(
    Object.fromEntries(FINDING_STATUSES.map((name) => [name, bySeverity])) as Record<
      (typeof FINDING_STATUSES)[number],
      typeof bySeverity
    >,
  ),
  byRule: z.array(
    z.object({
      ruleId: z.string(),
      title: z.string(),
      open: z.number().int(),
      suppressed: z.number().int(),
      resolved: z.number().int(),
    }),
  ),
  riskiestRoles: z
    .array(
      z.object({
        account: z.string(),
        roleName: z.string(),
        arn: z.string(),
        openCritical: z.number().int(),
        openHigh: z.number().int(),
        lastSeen: timestamp,
      }),
    )
    .meta({ description: 'Roles with the most open critical, then high findings among the newest of them' }),
  lastEventSeen: z
    .object({
      at: timestamp,
      basis: z.enum(['recorded', 'findings']),
    })
    .optional()
    .meta({
      description:
        '`recorded` when the monitor records it; `findings` when derived from the newest findings read (a lower bound)',
    }),
  watch: z
    .object({
      status: z.enum(['watching', 'failing']),
      startedAt: timestamp,
      regions: z.array(z.string()),
      lastSuccessAt: timestamp.optional().meta({ description: 'The last round of reads in which every region answered' }),
      failingSince: timestamp.optional().meta({ description: 'While failing: since when (events after it may be missing)' }),
      lastError: z
        .object({ at: timestamp, region: z.string(), eventSource: z.string(), message: z.string() })
        .optional()
        .meta({ description: 'The newest failed read, kept after recovery' }),
    })
    .optional()
    .meta({
      description:
        "The local monitor's CloudTrail watch (npm start -- --watch) only: `failing` while reading CloudTrail fails (credentials expired, throttled beyond retries)",
    }),
});

/** Every error response. */
export const errorView = z.object({
  error: z.object({
    field: z.string().optional().meta({ description: 'The input that was wrong (400)' }),
    reason: z.string(),
    requestId: z.string().optional().meta({ description: 'For the logs (500)' }),
  }),
});

/** A page of a list: `cursor` is absent on the last page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), cursor: z.string().optional() });
}

/** The TypeScript shapes of the responses, from their schemas. */
export type FindingView = z.infer<typeof findingView>;
export type RoleListView = z.infer<typeof roleListView>;
export type RoleView = z.infer<typeof roleView>;
export type HistoryView = z.infer<typeof historyView>;
export type AssumptionView = z.infer<typeof assumptionView>;
export type SummaryView = z.infer<typeof summaryView>;

// The access graph and the picture of time ----------------------------------------------------------------

const relation = z.enum(['own', 'known', 'third-party', 'unknown']);

/** A principal a role's trust policy allows. */
export const trustedView = z.object({
  principal: z.string().meta({ description: '`*`, `AWS:<account or ARN>`, `Service:<name>` or `Federated:<provider>`' }),
  kind: z.enum(['any', 'account', 'role', 'user', 'session', 'service', 'web-identity', 'saml', 'other']),
  account: z.string().optional(),
  relation: relation.optional(),
  statement: z.number().int(),
  conditions: z.array(z.string()).meta({ description: 'The conditions of its statement, one clause each' }),
  foreign: z.boolean().meta({ description: 'Outside the own and known accounts' }),
  unknown: z.boolean().meta({ description: 'Neither own, known nor a configured vendor' }),
  notes: z.array(z.string()),
  used: z.boolean().meta({ description: 'Some observed assumption came through it' }),
  addedAt: timestamp.optional().meta({ description: 'When the latest trust change added it (creation counts)' }),
});

/** A principal seen assuming a role (one aggregated edge). */
export const observedView = z.object({
  source: z.string(),
  sourceType: z.enum(['aws', 'service', 'web-identity', 'saml']),
  sourceAccount: z.string().optional(),
  relation: relation.optional(),
  foreign: z.boolean(),
  unknown: z.boolean(),
  new: z.boolean().meta({ description: 'First seen within 7 days of the newest assumption of the role' }),
  privileged: z.boolean().meta({ description: 'The source is a role RoleWatch knows to be admin-capable' }),
  trustedBy: z
    .array(z.string())
    .meta({ description: 'Trusted principals that cover it now; empty: the trust no longer allows it' }),
  count: z.number().int(),
  firstSeen: timestamp,
  lastSeen: timestamp,
  regions: z.array(z.string()),
});

/** Who can reach a role and who did, and what the role itself reaches. */
export const accessView = z.object({
  role: z.object({
    account: z.string(),
    roleName: z.string(),
    arn: z.string(),
    exists: z.boolean(),
    createdAt: timestamp.optional(),
    trustKnown: z.boolean().meta({ description: 'RoleWatch knows its trust policy (saw it created or changed)' }),
    trustChangedAt: timestamp.optional(),
    trustError: z.string().optional(),
    reach: z.object({
      adminCapable: z.boolean(),
      adminPolicies: z.array(z.string()),
      escalation: z.array(z.string()).meta({ description: 'Privilege-escalation methods its permissions contain' }),
      mayAssume: z.array(z.string()).meta({ description: 'Resources of its sts:AssumeRole grants' }),
      unreadablePolicies: z.array(z.string()),
    }),
  }),
  trusted: z.array(trustedView),
  observed: z.array(observedView),
  edgesTruncated: z.boolean().meta({ description: 'More sources assumed the role than were read (see /assumptions)' }),
});

/** Query of GET /access (the account graph, a page of roles at a time). */
export const accessQuery = z.strictObject({ account: accountId.optional(), ...page });

/** Query of GET /findings/daily. */
export const dailyQuery = z.strictObject({
  since: since.meta({ description: 'First day (UTC)' }),
  until: until.optional().meta({ description: 'Last day (UTC, inclusive; default: today)' }),
  account: accountId.optional(),
});

/** GET /findings/daily: findings by the UTC day they were (last) opened, and severity, whatever their status now. */
export const dailyView = z.object({
  days: z.array(z.object({ day: z.string(), bySeverity })),
});

export type TrustedView = z.infer<typeof trustedView>;
export type ObservedView = z.infer<typeof observedView>;
export type AccessView = z.infer<typeof accessView>;
export type DailyView = z.infer<typeof dailyView>;
