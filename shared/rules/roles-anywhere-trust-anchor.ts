import { getRecord, getString } from '../cloudtrail/accessors';
import { eventFrom, factString, factsOfKind } from './accessPaths';
import { listForPeople } from './support';
import type { Rule } from './types';

const SOURCE = 'rolesanywhere.amazonaws.com';

/** The source type of a trust anchor backed by AWS Private CA; every other type is a CA outside AWS's control. */
export const PRIVATE_CA_SOURCE = 'AWS_ACM_PCA';

/** The calls that leave a trust anchor able to vend credentials. */
const OPENING_CALLS: ReadonlySet<string> = new Set(['CreateTrustAnchor', 'UpdateTrustAnchor', 'EnableTrustAnchor']);

export const rolesAnywhereTrustAnchor: Rule = {
  id: 'roles-anywhere-trust-anchor',
  title: 'Certificate authority trusted by IAM Roles Anywhere',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-IA-8', 'NIST-800-53-r5-AC-2', 'NIST-800-53-r5-SI-4', 'ATTACK-T1484.002'],
  source: SOURCE,
  // Disable and Delete are watched so that RoleWatch forgets the anchor (account facts); they raise nothing.
  events: ['CreateTrustAnchor', 'UpdateTrustAnchor', 'EnableTrustAnchor', 'DisableTrustAnchor', 'DeleteTrustAnchor'],
  facts: ['profile'],
  references: [
    'https://docs.aws.amazon.com/rolesanywhere/latest/userguide/logging-using-cloudtrail.html',
    'https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateTrustAnchor.html',
    'https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-rolesanywhere.html',
  ],
  firesWhen: 'a Roles Anywhere trust anchor is created, updated or enabled; an uploaded CA certificate is a CA outside AWS',
  severityNote: 'low for AWS Private CA',
  rationale:
    'A trust anchor lets anyone holding a certificate from its certificate authority obtain the credentials of the roles a profile maps: an uploaded CA bundle is a key pair outside AWS that no CloudTrail records, so whoever registers one can mint access at will.',
  remediation:
    'Confirm the CA and who controls its key; prefer AWS Private CA, scope the roles that trust rolesanywhere.amazonaws.com with aws:SourceArn on this anchor and certificate conditions, or delete the anchor.',
  evaluate: (ctx) => {
    const event = eventFrom(ctx, SOURCE);
    if (!event || !OPENING_CALLS.has(event.eventName)) return [];
    const anchor = getRecord(event.response, 'trustAnchor');
    if (!anchor || anchor.enabled === false) return [];
    const source = getRecord(anchor, 'source') ?? getRecord(event.request, 'source');
    const sourceType = getString(source, 'sourceType') ?? 'unknown';
    const name = getString(anchor, 'name') ?? getString(anchor, 'trustAnchorId') ?? 'unknown anchor';
    const arn = getString(anchor, 'trustAnchorArn');
    const isPrivateCa = sourceType === PRIVATE_CA_SOURCE;
    const caArn = getString(getRecord(source, 'sourceData'), 'acmPcaArn');
    const profiles = factsOfKind(ctx, 'profile').filter((fact) => fact.value.enabled !== false);
    const mapped = profiles.map((fact) => factString(fact, 'name') ?? fact.id);
    const what = isPrivateCa
      ? `AWS Private CA${caArn ? ` ${caArn}` : ''}`
      : `a certificate authority outside AWS (${sourceType === 'CERTIFICATE_BUNDLE' ? 'uploaded CA certificate' : sourceType})`;
    return [
      {
        ...(arn ? { resource: arn } : {}),
        severity: isPrivateCa ? 'low' : 'medium',
        detail: `${event.eventName}: Roles Anywhere trust anchor ${name} trusts ${what}${mapped.length > 0 ? `; profiles ${listForPeople(mapped)} map roles to certificates` : ''}`,
        evidence: { trustAnchor: name, sourceType, ...(caArn ? { acmPcaArn: caArn } : {}), profiles: mapped },
      },
    ];
  },
};
