import { getString } from '../cloudtrail/accessors';
import { parsePolicyText } from '../policy/parse';
import type { PolicyParseResult } from '../policy/types';
import type { Rule } from './types';

/** Where each event carries a policy document, and whether it is a trust policy. */
const DOCUMENTS: Readonly<Record<string, { key: string; trust: boolean }>> = {
  CreateRole: { key: 'assumeRolePolicyDocument', trust: true },
  UpdateAssumeRolePolicy: { key: 'policyDocument', trust: true },
  PutRolePolicy: { key: 'policyDocument', trust: false },
  CreatePolicy: { key: 'policyDocument', trust: false },
  CreatePolicyVersion: { key: 'policyDocument', trust: false },
};

export const malformedPolicy: Rule = {
  id: 'malformed-policy',
  title: 'Policy document in an event cannot be analysed',
  severity: 'low',
  kind: 'event',
  controls: ['CIS-5.0-4.4', 'CIS-3.0-4.4', 'NIST-800-53-r5-AU-6', 'NIST-800-53-r5-SI-4'],
  events: Object.keys(DOCUMENTS),
  firesWhen: 'a policy document in an event cannot be parsed or is invalid',
  rationale:
    'RoleWatch cannot judge a document it cannot parse (CloudTrail may truncate or redact large documents); the change it carries must be reviewed by hand or by the next reconcile.',
  remediation:
    'Read the role or policy with the IAM API (GetRole, GetRolePolicy, GetPolicyVersion) and review the document; reconcile re-reads it.',
  evaluate: (ctx) => {
    const event = ctx.event;
    const where = event ? DOCUMENTS[event.eventName] : undefined;
    if (!event || !where) return [];
    const text = getString(event.request, where.key);
    if (text === undefined) return [];
    const result = where.trust ? checkTrust(parsePolicyText(text)) : parsePolicyText(text);
    if (result.ok) return [];
    const name = getString(event.request, 'policyName') ?? (where.trust ? 'trust policy' : 'policy');
    return [
      {
        qualifier: `${event.eventName}:${name}`,
        ...(getString(event.request, 'policyArn') ? { resource: getString(event.request, 'policyArn') } : {}),
        detail: `${event.eventName} carried a ${where.trust ? 'trust' : 'permission'} policy (${name}) that cannot be analysed: ${result.error}`,
        evidence: { error: result.error, length: text.length },
      },
    ];
  },
};

/** A trust policy must name who it trusts in every statement. */
function checkTrust(result: PolicyParseResult): PolicyParseResult {
  if (!result.ok) return result;
  const missing = result.document.statements.find((s) => !s.principal && !s.notPrincipal);
  return missing ? { ok: false, error: `Statement[${missing.index}] has no Principal` } : result;
}
