/**
 * Statement-level differences between two versions of a policy (trust or permission), for findings and
 * alerts: what was added and removed, who gained or lost access, and whether the change only narrows.
 */
import { wildcardMatch } from './match';
import type { ConditionClause, PolicyDocument, PrincipalSet, Statement } from './types';

/** A statement whose grant stayed the same while its conditions changed. */
export interface ConditionChange {
  before: Statement;
  after: Statement;
  added: ConditionClause[];
  removed: ConditionClause[];
}

/** Result of {@link diffPolicies}. Statements keep their `index` in their own document. */
export interface PolicyDiff {
  /** Statements of `after` with no identical statement in `before` (order, Sid and spelling ignored). */
  addedStatements: Statement[];
  /** Statements of `before` with no identical statement in `after`. */
  removedStatements: Statement[];
  /** Principals of Allow statements, as 'AWS:arn…', 'Service:…', 'Federated:…', 'CanonicalUser:…' or '*'. */
  addedPrincipals: string[];
  removedPrincipals: string[];
  /** Action patterns of Allow statements as written (compared case-insensitively). */
  addedActions: string[];
  removedActions: string[];
  /** Added/removed statement pairs that differ only in their conditions. */
  changedConditions: ConditionChange[];
  /**
   * True when the change can only reduce access: it removes Allow statements, principals or actions, adds
   * Deny statements or restricting conditions, or replaces a statement by a narrower one. Anything not
   * provably narrower (e.g. NotAction replaced by Action) counts as broadening.
   */
  narrowsOnly: boolean;
  /** True when both documents grant and deny exactly the same (reordering and Sids do not count). */
  isEmpty: boolean;
}

const diffs = new WeakMap<PolicyDocument, WeakMap<PolicyDocument, PolicyDiff>>();

/**
 * Compares two policy documents; either may be undefined (a policy created or deleted). A diff of two parsed
 * documents is remembered on them: a trust change is diffed by its rule and again for the role's history.
 * `narrowsOnly` is worked out when first read (the history reads only the lines).
 */
export function diffPolicies(before: PolicyDocument | undefined, after: PolicyDocument | undefined): PolicyDiff {
  if (!before || !after) return computeDiff(before, after);
  let byAfter = diffs.get(before);
  if (!byAfter) {
    byAfter = new WeakMap();
    diffs.set(before, byAfter);
  }
  let diff = byAfter.get(after);
  if (!diff) {
    diff = computeDiff(before, after);
    byAfter.set(after, diff);
  }
  return diff;
}

function computeDiff(before: PolicyDocument | undefined, after: PolicyDocument | undefined): PolicyDiff {
  const beforeStatements = before?.statements ?? [];
  const afterStatements = after?.statements ?? [];
  const removedStatements = unmatched(beforeStatements, afterStatements);
  const addedStatements = unmatched(afterStatements, beforeStatements);

  const beforePrincipals = allowPrincipals(beforeStatements);
  const afterPrincipals = allowPrincipals(afterStatements);
  const beforeActions = allowActions(beforeStatements);
  const afterActions = allowActions(afterStatements);

  const changedConditions = pairConditionChanges(removedStatements, addedStatements);
  const isEmpty = addedStatements.length === 0 && removedStatements.length === 0;
  let narrowsOnly: boolean | undefined;
  return {
    addedStatements,
    removedStatements,
    addedPrincipals: [...afterPrincipals].filter((p) => !beforePrincipals.has(p)).sort(),
    removedPrincipals: [...beforePrincipals].filter((p) => !afterPrincipals.has(p)).sort(),
    addedActions: [...afterActions]
      .filter(([a]) => !beforeActions.has(a))
      .map(([, written]) => written)
      .sort(),
    removedActions: [...beforeActions]
      .filter(([a]) => !afterActions.has(a))
      .map(([, written]) => written)
      .sort(),
    changedConditions,
    get narrowsOnly() {
      narrowsOnly ??= isEmpty || onlyNarrows(addedStatements, removedStatements);
      return narrowsOnly;
    },
    isEmpty,
  };
}

/** Human-readable lines, e.g. `+ principal AWS:arn:aws:iam::999988887777:root`. */
export function formatDiff(diff: PolicyDiff): string[] {
  const lines: string[] = [];
  for (const p of diff.addedPrincipals) lines.push(`+ principal ${p}`);
  for (const p of diff.removedPrincipals) lines.push(`- principal ${p}`);
  for (const a of diff.addedActions) lines.push(`+ action ${a}`);
  for (const a of diff.removedActions) lines.push(`- action ${a}`);
  const paired = new Set<Statement>();
  for (const change of diff.changedConditions) {
    paired.add(change.before);
    paired.add(change.after);
    const parts = [...change.added.map((c) => `+ ${formatClause(c)}`), ...change.removed.map((c) => `- ${formatClause(c)}`)];
    lines.push(`~ condition on ${describeStatement(change.after)}: ${parts.join('; ')}`);
  }
  const flattenedLines = lines.length > 0;
  for (const [before, after] of pairGrantChanges(diff.removedStatements, diff.addedStatements)) {
    if (paired.has(before) || paired.has(after) || !flattenedLines) continue;
    paired.add(before);
    paired.add(after);
  }
  const addedPrincipals = new Set(diff.addedPrincipals);
  const removedPrincipals = new Set(diff.removedPrincipals);
  // Statements whose change the lines above do not show (a Deny, a resource, a NotAction, a condition).
  for (const s of diff.addedStatements) {
    if (paired.has(s) || isPlainTrustGrantOf(s, addedPrincipals)) continue;
    lines.push(`+ statement ${summariseStatement(s)}`);
  }
  for (const s of diff.removedStatements) {
    if (paired.has(s) || isPlainTrustGrantOf(s, removedPrincipals)) continue;
    lines.push(`- statement ${summariseStatement(s)}`);
  }
  return lines;
}

/** The principals of a Principal element as flat strings ('*' for anyone). */
export function principalStrings(set: PrincipalSet | undefined): string[] {
  if (!set) return [];
  const out: string[] = [];
  if (set.any) out.push('*');
  for (const a of set.aws) out.push(`AWS:${normaliseAwsPrincipal(a)}`);
  for (const s of set.service) out.push(`Service:${s}`);
  for (const f of set.federated) out.push(`Federated:${f}`);
  for (const c of set.canonicalUser) out.push(`CanonicalUser:${c}`);
  return out;
}

/** IAM stores a bare account id as the account's root ARN; compare in that form. */
function normaliseAwsPrincipal(value: string): string {
  return /^\d{12}$/.test(value) ? `arn:aws:iam::${value}:root` : value;
}

/** The principals a document's Allow statements trust, sorted: what "newly added to a trust policy" is computed from. */
export function trustedPrincipals(document: PolicyDocument): string[] {
  return [...allowPrincipals(document.statements)].sort();
}

function allowPrincipals(statements: Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) if (s.effect === 'Allow') for (const p of principalStrings(s.principal)) out.add(p);
  return out;
}

/** Actions of Allow statements, by lower-case name (IAM action names are case-insensitive), as first written. */
function allowActions(statements: Statement[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of statements)
    if (s.effect === 'Allow') for (const a of s.action ?? []) if (!out.has(a.toLowerCase())) out.set(a.toLowerCase(), a);
  return out;
}

function canonicalClause(c: ConditionClause): string {
  return JSON.stringify([c.operator.toLowerCase(), c.keyLower, [...new Set(c.values)].sort()]);
}

const grantKeys = new WeakMap<Statement, string>();
const statementKeys = new WeakMap<Statement, string>();

/** The statement's grant in a canonical spelling; remembered per parsed statement (every change diffs its policy). */
function canonicalGrant(s: Statement): string {
  let key = grantKeys.get(s);
  if (key === undefined) {
    key = computeCanonicalGrant(s);
    grantKeys.set(s, key);
  }
  return key;
}

function computeCanonicalGrant(s: Statement): string {
  const lower = (list: string[] | undefined) => (list ? [...new Set(list.map((x) => x.toLowerCase()))].sort() : null);
  const exact = (list: string[] | undefined) => (list ? [...new Set(list)].sort() : null);
  const principals = (set: PrincipalSet | undefined) => (set ? [...new Set(principalStrings(set))].sort() : null);
  return JSON.stringify([
    s.effect,
    lower(s.action),
    lower(s.notAction),
    exact(s.resource),
    exact(s.notResource),
    principals(s.principal),
    principals(s.notPrincipal),
  ]);
}

function canonicalStatement(s: Statement): string {
  let key = statementKeys.get(s);
  if (key === undefined) {
    key = `${canonicalGrant(s)}|${[...new Set(s.conditions.map(canonicalClause))].sort().join(',')}`;
    statementKeys.set(s, key);
  }
  return key;
}

/** Statements of `from` that have no identical counterpart in `other` (as multisets). */
function unmatched(from: Statement[], other: Statement[]): Statement[] {
  const available = new Map<string, number>();
  for (const s of other) {
    const key = canonicalStatement(s);
    available.set(key, (available.get(key) ?? 0) + 1);
  }
  const out: Statement[] = [];
  for (const s of from) {
    const key = canonicalStatement(s);
    const count = available.get(key) ?? 0;
    if (count > 0) available.set(key, count - 1);
    else out.push(s);
  }
  return out;
}

function pairConditionChanges(removed: Statement[], added: Statement[]): ConditionChange[] {
  const changes: ConditionChange[] = [];
  const used = new Set<Statement>();
  for (const before of removed) {
    const grant = canonicalGrant(before);
    const after = added.find((s) => !used.has(s) && canonicalGrant(s) === grant);
    if (!after) continue;
    used.add(after);
    const beforeKeys = new Set(before.conditions.map(canonicalClause));
    const afterKeys = new Set(after.conditions.map(canonicalClause));
    changes.push({
      before,
      after,
      added: after.conditions.filter((c) => !beforeKeys.has(canonicalClause(c))),
      removed: before.conditions.filter((c) => !afterKeys.has(canonicalClause(c))),
    });
  }
  return changes;
}

function onlyNarrows(added: Statement[], removed: Statement[]): boolean {
  const removedAllows = removed.filter((s) => s.effect === 'Allow');
  const addedDenies = added.filter((s) => s.effect === 'Deny');
  for (const s of added) if (s.effect === 'Allow' && !removedAllows.some((wider) => covers(wider, s))) return false;
  for (const s of removed) if (s.effect === 'Deny' && !addedDenies.some((wider) => covers(wider, s))) return false;
  return true;
}

/** True when statement `wide` applies to every request that `narrow` applies to (same effect). */
function covers(wide: Statement, narrow: Statement): boolean {
  return (
    wide.effect === narrow.effect &&
    coversList(wide.action, wide.notAction, narrow.action, narrow.notAction, true) &&
    coversList(wide.resource, wide.notResource, narrow.resource, narrow.notResource, false) &&
    coversPrincipals(wide, narrow) &&
    conditionsNarrower(narrow.conditions, wide.conditions)
  );
}

function coversList(
  wide: string[] | undefined,
  wideNot: string[] | undefined,
  narrow: string[] | undefined,
  narrowNot: string[] | undefined,
  caseInsensitive: boolean,
): boolean {
  const match = (pattern: string, value: string) => wildcardMatch(pattern, value, { caseInsensitive });
  if (!wide && !wideNot && !narrow && !narrowNot) return true;
  if (wide && narrow) return narrow.every((n) => wide.some((w) => match(w, n)));
  // The narrow statement must exclude at least everything the wide one excludes.
  if (wideNot && narrowNot) return wideNot.every((w) => narrowNot.some((n) => match(n, w)));
  return false;
}

function coversPrincipals(wide: Statement, narrow: Statement): boolean {
  if (!wide.principal && !wide.notPrincipal && !narrow.principal && !narrow.notPrincipal) return true;
  if (wide.principal && narrow.principal) {
    if (wide.principal.any) return true;
    if (narrow.principal.any) return false;
    const wider = new Set(principalStrings(wide.principal));
    return principalStrings(narrow.principal).every((p) => wider.has(p));
  }
  if (wide.notPrincipal && narrow.notPrincipal) {
    const excluded = new Set(principalStrings(narrow.notPrincipal));
    return principalStrings(wide.notPrincipal).every((p) => excluded.has(p));
  }
  return false;
}

/** Operators for which fewer values match fewer requests; the `Not` forms are the opposite. */
const FEWER_IS_NARROWER = new Set(['stringequals', 'stringequalsignorecase', 'stringlike', 'arnequals', 'arnlike', 'ipaddress']);
const MORE_IS_NARROWER = new Set([
  'stringnotequals',
  'stringnotequalsignorecase',
  'stringnotlike',
  'arnnotequals',
  'arnnotlike',
  'notipaddress',
]);

/**
 * Conditions are ANDed, so extra clauses only restrict. Every clause of the wide statement must be at
 * least as strict in the narrow one: same operator and key, and a value set that can only match less.
 */
function conditionsNarrower(narrow: ConditionClause[], wide: ConditionClause[]): boolean {
  return wide.every((w) =>
    narrow.some((n) => {
      if (n.operator.toLowerCase() !== w.operator.toLowerCase() || n.keyLower !== w.keyLower) return false;
      const base = w.base.toLowerCase();
      if (FEWER_IS_NARROWER.has(base)) return n.values.every((v) => w.values.includes(v));
      if (MORE_IS_NARROWER.has(base)) return w.values.every((v) => n.values.includes(v));
      const a = [...new Set(n.values)].sort();
      const b = [...new Set(w.values)].sort();
      return a.length === b.length && a.every((v, i) => v === b[i]);
    }),
  );
}

/** Everything but the Principal and Action lists: statements equal in this differ only in who or what. */
function grantShape(s: Statement): string {
  return JSON.stringify([
    s.effect,
    s.action ? 'Action' : (s.notAction ?? []).map((a) => a.toLowerCase()).sort(),
    s.resource ? [...s.resource].sort() : null,
    s.notResource ? [...s.notResource].sort() : null,
    s.principal ? 'Principal' : null,
    s.notPrincipal ? principalStrings(s.notPrincipal).sort() : null,
    s.conditions.map(canonicalClause).sort(),
  ]);
}

function pairGrantChanges(removed: Statement[], added: Statement[]): [Statement, Statement][] {
  const pairs: [Statement, Statement][] = [];
  const used = new Set<Statement>();
  for (const before of removed) {
    const shape = grantShape(before);
    const after = added.find((s) => !used.has(s) && grantShape(s) === shape);
    if (!after) continue;
    used.add(after);
    pairs.push([before, after]);
  }
  return pairs;
}

/** A trust statement that only grants to principals the principal lines already name. */
function isPlainTrustGrantOf(s: Statement, principals: Set<string>): boolean {
  if (s.effect !== 'Allow' || s.resource || s.notResource || s.notAction || s.conditions.length > 0) return false;
  const own = principalStrings(s.principal);
  return own.length > 0 && own.every((p) => principals.has(p));
}

function formatClause(c: ConditionClause): string {
  return `${c.operator} ${c.key} = ${c.values.join(', ')}`;
}

function describeStatement(s: Statement): string {
  return s.sid ? `statement ${s.index} (${s.sid})` : `statement ${s.index}`;
}

function abbreviate(list: string[]): string {
  return list.length <= 5 ? list.join(', ') : `${list.slice(0, 5).join(', ')} and ${list.length - 5} more`;
}

function summariseStatement(s: Statement): string {
  const parts = [`${s.index}${s.sid ? ` (${s.sid})` : ''}: ${s.effect}`];
  if (s.action) parts.push(abbreviate(s.action));
  if (s.notAction) parts.push(`all but ${abbreviate(s.notAction)}`);
  if (s.resource) parts.push(`on ${abbreviate(s.resource)}`);
  if (s.notResource) parts.push(`on all but ${abbreviate(s.notResource)}`);
  const principals = principalStrings(s.principal);
  if (principals.length > 0) parts.push(`for ${abbreviate(principals)}`);
  const notPrincipals = principalStrings(s.notPrincipal);
  if (notPrincipals.length > 0) parts.push(`for all but ${abbreviate(notPrincipals)}`);
  if (s.conditions.length > 0) parts.push(`if ${s.conditions.map(formatClause).join(' and ')}`);
  return parts.join(' ');
}
