import { getString } from '../cloudtrail/accessors';
import type { Rule } from './types';

/** OIDC and SAML provider calls; their ARNs sit under different request and response keys. */
const PROVIDER_EVENTS = [
  'CreateOpenIDConnectProvider',
  'DeleteOpenIDConnectProvider',
  'UpdateOpenIDConnectProviderThumbprint',
  'AddClientIDToOpenIDConnectProvider',
  'RemoveClientIDFromOpenIDConnectProvider',
  'CreateSAMLProvider',
  'UpdateSAMLProvider',
  'DeleteSAMLProvider',
] as const;

export const identityProviderChanged: Rule = {
  id: 'identity-provider-changed',
  title: 'Identity provider created, changed or deleted',
  severity: 'high',
  kind: 'event',
  controls: [
    'NIST-800-53-r5-AC-2',
    'NIST-800-53-r5-IA-8',
    'NIST-800-53-r5-AU-6',
    'NIST-800-53-r5-SI-4',
    'PCI-DSS-4.0-10.2.1.5',
    'ATTACK-T1484.002',
  ],
  events: PROVIDER_EVENTS,
  firesWhen: 'an OIDC or SAML provider is created, updated or deleted, or a client id added',
  rationale:
    'An OIDC or SAML provider decides which outside identities can become AWS principals; a new provider, a new client id or new SAML metadata can open every role that trusts it.',
  remediation:
    'Confirm the change with the identity team; check the roles that trust this provider and their sub/aud conditions.',
  evaluate: (ctx) => {
    const event = ctx.event;
    if (!event) return [];
    const { request, response } = event;
    const url = getString(request, 'url');
    const host = url?.replace(/^https:\/\//, '').replace(/\/$/, '');
    const arn =
      getString(request, 'openIDConnectProviderArn') ??
      getString(response, 'openIDConnectProviderArn') ??
      getString(request, 'sAMLProviderArn') ??
      getString(response, 'sAMLProviderArn') ??
      (host ? `arn:aws:iam::${event.account}:oidc-provider/${host}` : undefined) ??
      (getString(request, 'name') ? `arn:aws:iam::${event.account}:saml-provider/${getString(request, 'name')}` : undefined);
    const clientId = getString(request, 'clientID');
    return [
      {
        ...(arn ? { resource: arn } : {}),
        detail: `${event.eventName} on ${arn ?? 'an identity provider'}${clientId ? ` (client id ${clientId})` : ''}`,
        evidence: { provider: arn, ...(clientId ? { clientId } : {}) },
      },
    ];
  },
};
