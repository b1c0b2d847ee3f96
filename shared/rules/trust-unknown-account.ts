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
  firesWhen:
    "trusts an account that is neither the role's own, nor known, nor a declared vendor (and says when it may also set session tags or source identity)",
  rationale:
    'A trust policy naming an account outside the organization and outside the declared vendors hands the role to whoever controls that account: the classic persistence backdoor.',
  remediation:
    'Remove the account from the trust policy, or, if it is legitimate, add it to knownAccounts (own organization) or trustedThirdParties (vendor, with an ExternalId).',
  evaluate: (ctx) => {
    const accounts = changedTrust(ctx)?.accounts.filter((entry) => entry.relation === 'unknown') ?? [];
    const byAccount = new Map<string, { principals: Set<string>; sessionControls: Set<string> }>();
    for (const entry of accounts) {
      const known = byAccount.get(entry.account) ?? { principals: new Set<string>(), sessionControls: new Set<string>() };
      known.principals.add(entry.principal);
      for (const action of entry.sessionControls) known.sessionControls.add(action);
      byAccount.set(entry.account, known);
    }
    return [...byAccount].map(([account, { principals, sessionControls }]) => {
      // Session tags and source identity set by the outsider feed attribute-based access and audit trails.
      const controls = [...sessionControls];
      const also = controls.length > 0 ? `; it may also set the session's ${controls.join(' and ')}` : '';
      return {
        qualifier: account,
        detail: `role ${ctx.role?.name} trusts unknown account ${account} (${[...principals].join(', ')})${also}`,
        evidence: { account, principals: [...principals], ...(controls.length > 0 ? { sessionControls: controls } : {}) },
      };
    });
  },
};
