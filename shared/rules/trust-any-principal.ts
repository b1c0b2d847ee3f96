import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustAnyPrincipal: Rule = {
  id: 'trust-any-principal',
  title: 'Role trusts any principal',
  severity: 'critical',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-AC-20', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1078.004', 'ATTACK-T1098.003'],
  events: TRUST_EVENTS,
  firesWhen: '`Principal: "*"` with no condition restricting who',
  rationale:
    'A trust policy with Principal "*" and no condition on who the caller is lets any AWS identity in any account assume the role and act with its permissions.',
  remediation:
    'Replace "*" with the accounts or roles that need access, or restrict it with aws:PrincipalOrgID, aws:PrincipalAccount or aws:PrincipalArn.',
  evaluate: (ctx) => {
    const open = changedTrust(ctx)?.anyPrincipal.filter((entry) => entry.restrictingConditions.length === 0) ?? [];
    if (open.length === 0) return [];
    const via = open.some((entry) => entry.via === 'not-principal') ? ' (Allow with NotPrincipal)' : '';
    return [
      {
        detail: `role ${ctx.role?.name} trusts any principal${via}: statement ${open.map((e) => e.statement).join(', ')} has no condition restricting who can assume it`,
        evidence: { statements: open.map((e) => e.statement), via: open.map((e) => e.via) },
      },
    ];
  },
};
