/**
 * Normalised IAM policy documents. Every form AWS accepts (a single statement object or an array,
 * strings or arrays of strings, Principal "*" or {"AWS": "*"}) becomes one shape, so that analysis never
 * branches on the JSON's spelling.
 */
export type Effect = 'Allow' | 'Deny';

/** A Principal or NotPrincipal element. `any` is true for "*" and for {"AWS": "*"}. */
export interface PrincipalSet {
  any: boolean;
  aws: string[];
  service: string[];
  federated: string[];
  canonicalUser: string[];
}

/**
 * One condition clause: operator + key + values. `Condition: {"ForAllValues:StringLike": {"k": ["a","b"]}}`
 * becomes {operator: 'ForAllValues:StringLike', base: 'StringLike', set: 'ForAllValues', ifExists: false,
 * key: 'k', values: ['a','b']}.
 */
export interface ConditionClause {
  /** The operator as written. */
  operator: string;
  /** The operator without set qualifier and IfExists suffix, e.g. StringLike. */
  base: string;
  set?: 'ForAllValues' | 'ForAnyValue';
  ifExists: boolean;
  /** The condition key as written (keys are case-insensitive: compare with `keyLower`). */
  key: string;
  keyLower: string;
  values: string[];
}

export interface Statement {
  /** Position in the document, for messages and diffs. */
  index: number;
  sid?: string;
  effect: Effect;
  /** Exactly one of action / notAction is set in a valid statement. */
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  principal?: PrincipalSet;
  notPrincipal?: PrincipalSet;
  conditions: ConditionClause[];
}

export interface PolicyDocument {
  version?: string;
  id?: string;
  statements: Statement[];
}

/** Outcome of parsing a document: never throws on bad input. */
export type PolicyParseResult = { ok: true; document: PolicyDocument } | { ok: false; error: string };

/** IAM access levels, as the service authorization reference names them. */
export type AccessLevel = 'List' | 'Read' | 'Write' | 'Tagging' | 'Permissions management';
