import type { Rule } from './types';

export const firstTimeAssumption: Rule = {
  id: 'first-time-assumption',
  title: 'Principal assumed a role for the first time',
  severity: 'low',
  kind: 'event',
  controls: ['NIST-800-53-r5-AC-2(12)', 'NIST-800-53-r5-SI-4', 'ATTACK-T1078.004', 'ATTACK-T1548.005'],
  events: ['AssumeRole'],
  firesWhen: 'a principal assumes a role it never assumed before, after the learning period',
  rationale:
    'After the learning period, a principal using a role it never used before is a change in who accesses what, worth a glance.',
  remediation: "Confirm the new access path is expected; if not, narrow the role's trust policy.",
  evaluate: (ctx) => {
    const facts = ctx.assumption;
    // Services assume the roles made for them; web identities have their own rule.
    if (!facts || !facts.isFirstTime || facts.isLearning || facts.sourceType !== 'aws') return [];
    return [
      {
        qualifier: facts.source,
        detail: `${facts.source} assumed role ${facts.roleName} for the first time`,
        evidence: { source: facts.source, sourceAccount: facts.sourceAccount },
      },
    ];
  },
};
