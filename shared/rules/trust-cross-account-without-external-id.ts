import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustCrossAccountWithoutExternalId: Rule = {
  id: 'trust-cross-account-without-external-id',
  title: 'Third-party account trusted without an ExternalId',
  severity: 'medium',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-AC-20', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1199'],
  events: TRUST_EVENTS,
  firesWhen: 'trusts a declared vendor without `sts:ExternalId`',
  rationale:
    'Without an sts:ExternalId condition, any customer of the vendor can make the vendor assume this role for them (the confused deputy problem).',
  remediation: 'Add a StringEquals condition on sts:ExternalId with the unique id the vendor issued for this account.',
  evaluate: (ctx) =>
    (changedTrust(ctx)?.accounts ?? [])
      .filter((entry) => entry.relation === 'third-party' && entry.thirdParty?.requireExternalId && !entry.hasExternalId)
      .map((entry) => ({
        qualifier: entry.account,
        detail: `role ${ctx.role?.name} trusts ${entry.thirdParty?.name ?? 'third party'} (${entry.account}) without sts:ExternalId`,
        evidence: { account: entry.account, vendor: entry.thirdParty?.name, principal: entry.principal },
      })),
};
