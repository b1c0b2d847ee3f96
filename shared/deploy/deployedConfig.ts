import { type Config, DEFAULT_MEMBER_ROLE_NAME, validateConfig } from '../config/config';
import { ConfigError } from '../errors';

/** Organization settings as deployment parameters (`npx osls deploy --param organizationId=o-...`). */
export interface OrganizationParams {
  /** Empty: organization mode is off and no organization resource is created. */
  organizationId: string;
  memberRoleName: string;
  externalId: string;
}

function organizationInput(input: unknown): Record<string, unknown> | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const organization = (input as Record<string, unknown>).organization;
  return organization !== null && typeof organization === 'object' ? (organization as Record<string, unknown>) : undefined;
}

/**
 * The parameters' defaults: what the configuration file's `organization` block sets. Read as written:
 * the block may lack an id that a parameter supplies, and {@link deployedConfig} validates the result.
 */
export function organizationParamDefaults(input: unknown): OrganizationParams {
  const organization = organizationInput(input) ?? {};
  const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
  return {
    organizationId: text(organization.id, ''),
    memberRoleName: text(organization.memberRoleName, DEFAULT_MEMBER_ROLE_NAME),
    externalId: text(organization.externalId, ''),
  };
}

/**
 * The configuration the deployed functions run with: the file's, with the organization parameters applied,
 * so that the template (which reads the parameters) and the code (which reads the configuration) agree.
 * A parameter that contradicts a value the file sets is refused, as is organization mode without an
 * ExternalId (the member read role trusts no call without one).
 */
export function deployedConfig(input: unknown, params: OrganizationParams, ruleIds?: ReadonlySet<string>): Config {
  const fromFile = organizationInput(input) ?? {};
  const conflicts = (
    [
      ['id', 'organizationId', params.organizationId],
      ['memberRoleName', 'memberRoleName', params.memberRoleName],
      ['externalId', 'externalId', params.externalId],
    ] as const
  ).filter(([key, , value]) => fromFile[key] !== undefined && fromFile[key] !== value);
  if (conflicts.length > 0)
    throw new ConfigError(
      `invalid configuration:\n${conflicts
        .map(([key, param, value]) => `  organization.${key}: is "${String(fromFile[key])}" but --param ${param} is "${value}"`)
        .join('\n')}`,
    );
  if (params.organizationId === '') return validateConfig(input, ruleIds);
  const base = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const config = validateConfig(
    {
      ...base,
      organization: {
        ...fromFile,
        id: params.organizationId,
        memberRoleName: params.memberRoleName || DEFAULT_MEMBER_ROLE_NAME,
        ...(params.externalId ? { externalId: params.externalId } : {}),
      },
    },
    ruleIds,
  );
  if (!config.organization?.externalId)
    throw new ConfigError(
      'invalid configuration:\n  organization.externalId: is required in organization mode (or --param externalId=...): the member read role trusts no call without it',
    );
  return config;
}
