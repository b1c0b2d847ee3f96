import { ASSUME_EVENTS } from './support';
import type { Rule } from './types';

export const assumedFromUnknownAccount: Rule = {
  id: 'assumed-from-unknown-account',
  title: 'Role assumed from an unknown account',
  severity: 'high',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-AC-20', 'NIST-800-53-r5-SI-4', 'ATTACK-T1078.004', 'ATTACK-T1199'],
  events: ASSUME_EVENTS,
  firesWhen: "the caller's account is not the role's own, known, or a declared vendor",
  rationale:
    "A role assumed by a principal of an account that is neither the role's own, nor the organization's, nor a declared vendor means someone outside is using access into this account.",
  remediation:
    "Identify the account; if it is not expected, remove it from the role's trust policy and revoke active sessions (an inline deny on aws:TokenIssueTime).",
  evaluate: (ctx) => {
    const facts = ctx.assumption;
    if (!facts || facts.sourceType !== 'aws' || !facts.sourceAccount) return [];
    const account = facts.sourceAccount;
    const known =
      account === facts.roleAccount ||
      ctx.config.knownAccounts.includes(account) ||
      ctx.config.trustedThirdParties.some((vendor) => vendor.account === account);
    if (known) return [];
    return [
      {
        qualifier: account,
        detail: `role ${facts.roleName} assumed by ${facts.source} from unknown account ${account}`,
        evidence: { source: facts.source, sourceAccount: account, sourceIp: ctx.event?.sourceIp },
      },
    ];
  },
};
