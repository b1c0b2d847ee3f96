import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustAnyPrincipalWithConditions: Rule = {
  id: 'trust-any-principal-with-conditions',
  title: 'Role trusts any principal, restricted only by conditions',
  severity: 'high',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'NIST-800-53-r5-AC-20', 'PCI-DSS-4.0-7.2.1', 'ATTACK-T1078.004'],
  events: TRUST_EVENTS,
  firesWhen: '`Principal: "*"` restricted only by conditions (reported for review)',
  rationale:
    'Principal "*" restricted by conditions is only as safe as those conditions: a wrong operator, an IfExists or a broad value opens the role to everyone.',
  remediation:
    'Name the trusted principals explicitly where possible; otherwise review that each condition pins the caller (organization, account or ARN).',
  evaluate: (ctx) => {
    const restricted = changedTrust(ctx)?.anyPrincipal.filter((entry) => entry.restrictingConditions.length > 0) ?? [];
    if (restricted.length === 0) return [];
    const conditions = restricted.flatMap((e) =>
      e.restrictingConditions.map((c) => `${c.operator} ${c.key} = ${c.values.join('|')}`),
    );
    return [
      {
        detail: `role ${ctx.role?.name} trusts any principal restricted only by conditions: ${conditions.join('; ')}`,
        evidence: { statements: restricted.map((e) => e.statement), conditions },
      },
    ];
  },
};
