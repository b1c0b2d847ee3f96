import type { Config } from '../config/config';
import type { Severity } from '../findings/severity';
import { parsePolicy } from '../policy/parse';
import { RULES } from '../rules/index';
import type { PolicyRef, RoleView, Rule, RuleContext } from '../rules/types';

/** One problem found in a standalone policy document. */
export interface PolicyCheckResult {
  ruleId: string;
  severity: Severity;
  detail: string;
  /** Zero-based indexes of the statements the finding is about, when the rule says (SARIF locates them). */
  statements?: number[];
}

export interface PolicyCheckOptions {
  /** Analyse as a trust policy instead of a permission policy. */
  trust: boolean;
  /** The account the policy lives in (own-account principals are not foreign). */
  account: string;
  /** Name shown in details. */
  name: string;
  config: Config;
  rules?: readonly Rule[];
  /** Epoch ms the document is judged at (time conditions are decided against it); undecided without it. */
  at?: number;
}

/**
 * Checks one policy document with the posture rules, outside any event: the document becomes the only
 * permission policy (or the trust policy) of a role. Used by `rolewatch check-policy` and by the checks
 * that RoleWatch's own deployment passes its rules. Never throws on a bad document: it is a finding.
 */
export function checkPolicyDocument(input: unknown, options: PolicyCheckOptions): PolicyCheckResult[] {
  const parsed = parsePolicy(input);
  if (!parsed.ok) return [{ ruleId: 'malformed-policy', severity: 'low', detail: `policy cannot be analysed: ${parsed.error}` }];
  const role: RoleView = {
    account: options.account,
    name: options.name,
    arn: `arn:aws:iam::${options.account}:role/${options.name}`,
    policies: [],
  };
  let context: RuleContext;
  if (options.trust) {
    context = {
      path: 'posture',
      role: { ...role, trust: parsed.document },
      changed: [],
      trustChanged: true,
      config: options.config,
      ...atOf(options),
    };
  } else {
    const ref: PolicyRef = {
      kind: 'managed',
      name: options.name,
      arn: `arn:aws:iam::${options.account}:policy/${options.name}`,
      awsManaged: false,
      document: parsed.document,
    };
    context = {
      path: 'posture',
      role: { ...role, policies: [ref] },
      changed: [ref],
      trustChanged: false,
      config: options.config,
      ...atOf(options),
    };
  }
  const rules = (options.rules ?? RULES).filter(
    (rule) => rule.kind === 'posture' && options.config.rules[rule.id]?.enabled !== false,
  );
  return rules.flatMap((rule) =>
    rule.evaluate(context).map((match) => {
      const statements = statementsOf(match.evidence);
      return {
        ruleId: rule.id,
        severity: options.config.rules[rule.id]?.severity ?? match.severity ?? rule.severity,
        detail: match.detail,
        ...(statements.length > 0 ? { statements } : {}),
      };
    }),
  );
}

function atOf(options: PolicyCheckOptions): { at?: number } {
  return options.at === undefined ? {} : { at: options.at };
}

/**
 * The statement indexes a rule's evidence names: `statements`, `statement`, or the statements of the actions
 * of escalation methods (`methods[].actions[].statement`).
 */
function statementsOf(evidence: Record<string, unknown> | undefined): number[] {
  if (!evidence) return [];
  const methods = Array.isArray(evidence.methods) ? evidence.methods : [];
  const fromMethods = methods.flatMap((method: unknown) => {
    const actions = (method as { actions?: unknown } | null)?.actions;
    return Array.isArray(actions) ? actions.map((action: unknown) => (action as { statement?: unknown } | null)?.statement) : [];
  });
  const candidates = [...(Array.isArray(evidence.statements) ? evidence.statements : []), evidence.statement, ...fromMethods];
  const indexes = candidates.filter((value): value is number => Number.isInteger(value) && (value as number) >= 0);
  return [...new Set(indexes)].sort((a, b) => a - b);
}

/**
 * Finds the policy inside common wrappers: IAM API output (GetPolicyVersion, GetRole, GetRolePolicy) or a
 * CloudFormation-style `PolicyDocument`; anything else is taken as the document itself.
 */
export function unwrapPolicy(value: unknown, trust: boolean): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const nested = (obj: unknown, key: string) =>
    obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
  const candidates = trust
    ? [nested(record.Role, 'AssumeRolePolicyDocument'), record.AssumeRolePolicyDocument]
    : [nested(record.PolicyVersion, 'Document'), record.PolicyDocument];
  return candidates.find((candidate) => candidate !== undefined) ?? value;
}
