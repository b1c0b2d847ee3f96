import { getRecord, getString, getStringList } from '../cloudtrail/accessors';
import { eventFrom, factString, factsOfKind, lastSegment, privilegedRoles } from './accessPaths';
import { PRIVATE_CA_SOURCE } from './roles-anywhere-trust-anchor';
import { listForPeople } from './support';
import type { Rule, Severity } from './types';

const SOURCE = 'rolesanywhere.amazonaws.com';

/** The calls that leave a profile able to vend credentials for its roles. */
const OPENING_CALLS: ReadonlySet<string> = new Set(['CreateProfile', 'UpdateProfile', 'EnableProfile']);

export const rolesAnywhereProfileMapsRole: Rule = {
  id: 'roles-anywhere-profile-maps-role',
  title: 'IAM Roles Anywhere profile maps roles to certificates',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-6', 'NIST-800-53-r5-IA-8', 'ATTACK-T1484.002', 'ATTACK-T1078.004'],
  source: SOURCE,
  // Disable and Delete are watched so that RoleWatch forgets the profile (account facts); they raise nothing.
  events: ['CreateProfile', 'UpdateProfile', 'EnableProfile', 'DisableProfile', 'DeleteProfile'],
  facts: ['trust-anchor'],
  boundRoles: (event) =>
    event.eventSource === SOURCE
      ? [
          ...new Set([
            ...getStringList(getRecord(event.response, 'profile'), 'roleArns'),
            ...getStringList(event.request, 'roleArns'),
          ]),
        ]
      : [],
  references: [
    'https://docs.aws.amazon.com/rolesanywhere/latest/userguide/logging-using-cloudtrail.html',
    'https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateProfile.html',
    'https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_UpdateProfile.html',
  ],
  firesWhen: 'a Roles Anywhere profile maps roles to certificates; names the anchors and the privileged roles',
  severityNote: 'high for a privileged role without session policy; low when every anchor is AWS Private CA',
  rationale:
    "A profile turns certificates of the account's trust anchors into the credentials of its roles. Mapped to a role while an anchor trusts a CA outside AWS, and without a session policy to narrow it, whoever holds that CA's key holds the role.",
  remediation:
    'Map only the roles the workload needs, add a session policy or managed policies to the profile, condition the roles on the anchor (aws:SourceArn) and the certificate subject, and prefer AWS Private CA anchors.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event || !OPENING_CALLS.has(event.eventName)) return [];
    const profile = getRecord(event.response, 'profile');
    if (!profile || profile.enabled === false) return [];
    const roleArns = getStringList(profile, 'roleArns');
    if (roleArns.length === 0) return [];
    const name = getString(profile, 'name') ?? getString(profile, 'profileId') ?? 'unknown profile';
    const arn = getString(profile, 'profileArn');
    const narrowed =
      (typeof profile.sessionPolicy === 'string' && profile.sessionPolicy !== '') ||
      getStringList(profile, 'managedPolicyArns').length > 0;
    const anchors = factsOfKind(ctx, 'trust-anchor').filter((fact) => fact.value.enabled !== false);
    const external = anchors.filter((fact) => factString(fact, 'sourceType') !== PRIVATE_CA_SOURCE);
    const privileged = privilegedRoles(ctx.boundRoles);
    // Known anchors all on AWS Private CA: certificates come from a CA AWS holds the key of.
    const onlyPrivateCa = anchors.length > 0 && external.length === 0;
    const severity: Severity = onlyPrivateCa ? 'low' : privileged.length > 0 && !narrowed ? 'high' : 'medium';
    const anchorsText =
      anchors.length === 0
        ? 'trust anchors RoleWatch has not seen'
        : external.length > 0
          ? `certificates of external CA anchor${external.length > 1 ? 's' : ''} ${listForPeople(external.map((fact) => factString(fact, 'name') ?? fact.id))}`
          : `certificates of AWS Private CA anchor${anchors.length > 1 ? 's' : ''} ${listForPeople(anchors.map((fact) => factString(fact, 'name') ?? fact.id))}`;
    const privilegedText =
      privileged.length > 0 ? `; privileged: ${privileged.map((p) => `${p.role.name} (${p.why})`).join('; ')}` : '';
    return [
      {
        ...(arn ? { resource: arn } : {}),
        severity,
        detail: `profile ${name} lets ${anchorsText} assume ${listForPeople(roleArns.map(lastSegment))}${narrowed ? '' : ' with no session policy'}${privilegedText}`,
        evidence: {
          profile: name,
          roles: roleArns,
          sessionPolicy: narrowed,
          externalAnchors: external.map((fact) => fact.id),
          privilegedRoles: privileged.map((p) => p.role.arn),
        },
      },
    ];
  },
};
