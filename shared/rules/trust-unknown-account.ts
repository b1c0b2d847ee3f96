import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustUnknownAccount: Rule = {
  id: 'trust-unknown-account',
  title: 'Role trusts an unknown AWS account',
  severity: 'high',
  kind: 'posture',
  controls: [
    'NIST-800-53-r5-AC-3',
    'NIST-800-53-r5-AC-20',
    'PCI-DSS-4.0-7.2.1',
    'PCI-DSS-4.0-7.2.4',
    'ATTACK-T1098.003',
    'ATTACK-T1199',
  ],
  events: TRUST_EVENTS,
  rationale:
    'A trust policy naming an account outside the organization and outside the declared vendors hands the role to whoever controls that account: the classic persistence backdoor.',
  remediation:
    'Remove the account from the trust policy, or, if it is legitimate, add it to knownAccounts (own organization) or trustedThirdParties (vendor, with an ExternalId).',
  evaluate: (ctx) => {
    const accounts = changedTrust(ctx)?.accounts.filter((entry) => entry.relation === 'unknown') ?? [];
    const byAccount = new Map<string, string[]>();
    for (const entry of accounts) byAccount.set(entry.account, [...(byAccount.get(entry.account) ?? []), entry.principal]);
    return [...byAccount].map(([account, principals]) => ({
      qualifier: account,
      detail: `role ${ctx.role?.name} trusts unknown account ${account} (${principals.join(', ')})`,
      evidence: { account, principals },
    }));
  },
};
