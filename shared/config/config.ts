import { z } from 'zod';
import { ConfigError } from '../errors';
import { SEVERITIES } from '../findings/severity';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const severity = z.enum(SEVERITIES);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/, 'must be a date like 2027-01-31')
  .refine(isRealDate, 'is not a real date');

/** Date.parse accepts 2027-02-30 (as March 2): a real date reads back as the same day. */
function isRealDate(value: string): boolean {
  const time = Date.parse(value.slice(0, 10));
  return (
    !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value.slice(0, 10) && !Number.isNaN(Date.parse(value))
  );
}

/** What an organization member's read role trusts: IAM's own limits on role names and external ids. */
const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name: 1-64 letters, digits and +=,.@_-');
const externalId = z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 letters, digits and +=,.@:/_-');

/** True for names shaped like an AWS region (us-east-1, eu-central-2, us-gov-west-1, cn-north-1...). */
export function isRegionName(name: string): boolean {
  return /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/.test(name);
}

/** Default name of the read-only role the member stack creates in every member account. */
export const DEFAULT_MEMBER_ROLE_NAME = 'RoleWatchReader';

const organizationSchema = z
  .object({
    /** The AWS Organizations id (o-...): the central event bus accepts events from its accounts only. */
    id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id like o-a1b2c3d4e5'),
    /** The read-only role the member stack creates in each member account; RoleWatch assumes it. */
    memberRoleName: roleName.default(DEFAULT_MEMBER_ROLE_NAME),
    /** The sts:ExternalId the member role's trust requires. */
    externalId: externalId.optional(),
    /** The member accounts reconcile reads. Without it, reconcile lists them from AWS Organizations. */
    accounts: z.array(accountId).min(1, 'lists no account: leave it out to discover them').optional(),
    /** List the accounts with Organizations ListAccounts at each reconcile; on by default when `accounts` is absent. */
    discover: z.boolean().optional(),
  })
  .strict()
  .superRefine((org, ctx) => {
    if (org.accounts && org.discover === true)
      ctx.addIssue({
        code: 'custom',
        path: ['discover'],
        message: 'either list accounts or discover them, not both (remove accounts, or discover: true)',
      });
    if (!org.accounts && org.discover === false)
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message: 'is required when discover is false: name the member accounts reconcile reads',
      });
  })
  .transform(({ discover, ...org }) => ({ ...org, discover: discover ?? org.accounts === undefined }));

const configSchema = z
  .object({
    /** The organisation's own accounts. The role's own account is always known. */
    knownAccounts: z.array(accountId).default([]),
    trustedThirdParties: z
      .array(z.object({ account: accountId, name: z.string().min(1), requireExternalId: z.boolean().default(true) }).strict())
      .default([]),
    /** Role names or ARNs (wildcards allowed) whose every assumption is reported. */
    protectedRoles: z.array(z.string().min(1)).default([]),
    /** Principals (ARN patterns or service names) whose changes count as infrastructure as code. */
    iacPrincipals: z.array(z.string().min(1)).default(['cloudformation.amazonaws.com']),
    suppressions: z
      .array(
        z
          .object({
            rule: z.string().min(1),
            resource: z.string().min(1),
            reason: z.string().min(1, 'a suppression needs a reason'),
            until: isoDate.optional(),
          })
          .strict(),
      )
      .default([]),
    alerts: z
      .object({ minSeverity: severity.default('high'), digest: z.enum(['daily', 'off']).default('daily') })
      .strict()
      .default({ minSeverity: 'high', digest: 'daily' }),
    correlation: z
      .object({
        /** new-role-gets-admin and assumed-after-trust-change look back this far. */
        windowHours: z.number().positive().default(24),
        /** first-time-assumption, role-chaining and web-identity-new-subject stay quiet this long after monitoring starts. */
        learningPeriodDays: z.number().min(0).default(7),
        enumerationThreshold: z.number().int().positive().default(5),
        enumerationWindowMinutes: z.number().positive().default(15),
      })
      .strict()
      .default({ windowHours: 24, learningPeriodDays: 7, enumerationThreshold: 5, enumerationWindowMinutes: 15 }),
    /**
     * privileged-role-unused: days without use (IAM RoleLastUsed, or since creation when never used) after which a
     * role with admin or escalation rights is reported. At most 400: IAM tracks use over the last 400 days only.
     */
    unusedRoleDays: z.number().int().min(1).max(400).default(90),
    /** Names (wildcards allowed) of RoleWatch's own EventBridge rules, watched by monitor-tampering. */
    monitorRuleNames: z.array(z.string().min(1)).default(['rolewatch-*']),
    /** Per-rule overrides: turn a rule off or change its severity. */
    rules: z
      .record(z.string(), z.object({ enabled: z.boolean().optional(), severity: severity.optional() }).strict())
      .default({}),
    /** Organization mode: one RoleWatch in the security account watches every account of the organization. */
    organization: organizationSchema.optional(),
    /**
     * Regions besides us-east-1 and RoleWatch's own whose role assumptions are wanted (forwarders deployed
     * there): `rolewatch doctor` and reconcile's self-check verify the trail and the forwarder of each.
     */
    regions: z.array(z.string().refine(isRegionName, 'must be an AWS region name like eu-west-1')).default([]),
  })
  .strict();

/** The validated RoleWatch configuration: rolewatch.config.yml, each key described in shared/config/README.md. */
export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/**
 * Validates a configuration object. `ruleIds`, when given, checks that suppressions and overrides name
 * real rules. Throws ConfigError listing every bad key with its path, e.g. `suppressions[0].until`.
 */
export function validateConfig(input: unknown, ruleIds?: ReadonlySet<string>): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${describeIssue(issue)}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (ruleIds) {
    const unknown = [
      ...config.suppressions.map((s, i) => [`suppressions[${i}].rule`, s.rule] as const),
      ...Object.keys(config.rules).map((id) => [`rules.${id}`, id] as const),
    ].filter(([, id]) => !ruleIds.has(id));
    if (unknown.length > 0) {
      throw new ConfigError(
        `invalid configuration:\n${unknown.map(([path, id]) => `  ${path}: unknown rule id "${id}"`).join('\n')}`,
      );
    }
  }
  return config;
}

/** Organization mode settings, validated (`discover` always set). */
export type OrganizationConfig = NonNullable<Config['organization']>;

/**
 * The configuration with more accounts counted as known: `knownAccounts` plus `accounts` (the
 * organization's accounts, the account RoleWatch runs in). The rules read `knownAccounts` only, so this is
 * how organization mode makes every account of the organization known without listing them twice.
 */
export function withKnownAccounts(config: Config, accounts: readonly string[]): Config {
  const known = [...new Set([...config.knownAccounts, ...accounts])];
  return known.length === config.knownAccounts.length ? config : { ...config, knownAccounts: known };
}

/** The configuration with every default. */
export function defaultConfig(): Config {
  return validateConfig({});
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}
