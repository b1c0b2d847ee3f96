import { changedTrust, TRUST_EVENTS } from './support';
import type { Rule } from './types';

export const trustForallvaluesSingleValuedKey: Rule = {
  id: 'trust-forallvalues-single-valued-key',
  title: 'ForAllValues used with a single-valued condition key',
  severity: 'medium',
  kind: 'posture',
  controls: ['NIST-800-53-r5-AC-3', 'PCI-DSS-4.0-7.2.1'],
  events: TRUST_EVENTS,
  firesWhen: '`ForAllValues:` on a single-valued key such as an OIDC `:sub`',
  rationale:
    'ForAllValues is true when the key is absent from the request, so on a single-valued key such as an OIDC :sub it can let callers through that the condition was meant to stop.',
  remediation:
    'Use a plain StringEquals/StringLike operator for single-valued keys; keep ForAllValues/ForAnyValue for multivalued keys.',
  evaluate: (ctx) =>
    (changedTrust(ctx)?.forAllValuesOnSingleValued ?? []).map((entry) => ({
      qualifier: entry.clause.keyLower,
      detail: `role ${ctx.role?.name} uses ${entry.clause.operator} on single-valued key ${entry.clause.key} (statement ${entry.statement})`,
      evidence: {
        statement: entry.statement,
        operator: entry.clause.operator,
        key: entry.clause.key,
        values: entry.clause.values,
      },
    })),
};
