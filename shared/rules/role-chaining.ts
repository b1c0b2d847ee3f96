import type { Rule } from './types';

export const roleChaining: Rule = {
  id: 'role-chaining',
  title: 'Role chaining: a session assumed a further role for the first time',
  severity: 'medium',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-SI-4', 'ATTACK-T1078.004', 'ATTACK-T1548.005'],
  events: ['AssumeRole'],
  firesWhen: 'an assumed-role session assumes a further role for the first time',
  rationale:
    'A role session assuming another role moves laterally and hides the original identity one hop further; a new chain is a new path through the account.',
  remediation:
    "Confirm the chain is part of a known workflow; otherwise remove the first role from the second role's trust policy.",
  evaluate: (ctx) => {
    const facts = ctx.assumption;
    if (!facts || !facts.isChained || !facts.isFirstTime || facts.isLearning) return [];
    return [
      {
        qualifier: facts.source,
        detail: `a session of ${facts.source} assumed role ${facts.roleName} (role chaining, first time)`,
        evidence: { source: facts.source, session: ctx.event?.actor.arn },
      },
    ];
  },
};
