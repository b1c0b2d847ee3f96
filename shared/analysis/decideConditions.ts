/**
 * What a statement's Condition block means for a permission grant, decided where it can be:
 * - time keys (aws:CurrentTime, aws:EpochTime) against the time of the judgement (the event's time);
 * - iam:PassedToService against the services an escalation path passes a role to;
 * - combinations no request can satisfy (a key required absent and present, two different exact values
 *   of one key, Bool true and false) make the statement never apply.
 * Everything else stays undecided: the grant is "conditioned" and the clauses are named. A clause that
 * narrows who can use the grant (organization, account, network origin, MFA...) is told apart, because it
 * lowers the risk of the grant.
 */
import type { ConditionClause, Statement } from '../policy/types';
import { restrictsWho, wildcardMatch } from './conditions';

/** What the judgement knows about the request an attacker would make. */
export interface DecisionContext {
  /** Epoch ms of the judgement (the event's time); time conditions stay undecided without it. */
  at?: number;
  /** Service principals the role would be passed to (`lambda.amazonaws.com`); decides iam:PassedToService. */
  passedToServices?: readonly string[];
}

/** The verdict on a statement's conditions. */
export type ConditionVerdict =
  | { kind: 'always' }
  | { kind: 'never'; because: ConditionClause[] }
  | { kind: 'conditioned'; clauses: ConditionClause[]; restrictsWho: boolean };

const ALWAYS: ConditionVerdict = { kind: 'always' };

const TIME_KEYS: ReadonlySet<string> = new Set(['aws:currenttime', 'aws:epochtime']);

/** Keys that decide with the context: their presence makes a statement's verdict depend on it. */
export function dependsOnContext(s: Statement): { time: boolean; passedTo: boolean } {
  let time = false;
  let passedTo = false;
  for (const clause of s.conditions) {
    if (TIME_KEYS.has(clause.keyLower)) time = true;
    if (clause.keyLower === 'iam:passedtoservice') passedTo = true;
  }
  return { time, passedTo };
}

/** Decides a statement's Condition block (see the module comment). */
export function decideConditions(s: Statement, ctx: DecisionContext = {}): ConditionVerdict {
  if (s.conditions.length === 0) return ALWAYS;
  const impossible = impossibleCombination(s.conditions);
  if (impossible) return { kind: 'never', because: impossible };
  const undecided: ConditionClause[] = [];
  for (const clause of s.conditions) {
    const decided = decideClause(clause, ctx);
    if (decided === false) return { kind: 'never', because: [clause] };
    if (decided === undefined) undecided.push(clause);
  }
  if (undecided.length === 0) return ALWAYS;
  return { kind: 'conditioned', clauses: undecided, restrictsWho: undecided.some(restrictsCaller) };
}

/** Whether a clause narrows who may use a grant: the trust-side who-keys, and MFA required. */
export function restrictsCaller(clause: ConditionClause): boolean {
  if (restrictsWho(clause)) return true;
  const base = clause.base.toLowerCase();
  if (clause.ifExists || clause.set) return false;
  if (clause.keyLower === 'aws:multifactorauthpresent')
    return base === 'bool' && clause.values.every((v) => v.toLowerCase() === 'true');
  if (clause.keyLower === 'aws:multifactorauthage') return base === 'numericlessthan' || base === 'numericlessthanequals';
  return false;
}

/** true / false when the context decides the clause, undefined when it cannot. */
function decideClause(clause: ConditionClause, ctx: DecisionContext): boolean | undefined {
  if (clause.set) return undefined;
  if (TIME_KEYS.has(clause.keyLower) && ctx.at !== undefined) return decideTime(clause, ctx.at);
  if (clause.keyLower === 'iam:passedtoservice' && ctx.passedToServices) return decideService(clause, ctx.passedToServices);
  return undefined;
}

function decideTime(clause: ConditionClause, at: number): boolean | undefined {
  const base = clause.base.toLowerCase();
  const compare = TIME_COMPARISONS[base.replace(/^numeric/, 'date')];
  if (!compare || clause.values.length === 0) return undefined;
  const times = clause.values.map((value) => timeOf(value, clause.keyLower, base.startsWith('numeric')));
  if (times.some((t) => t === undefined)) return undefined;
  const results = (times as number[]).map((t) => compare(at, t));
  // Values are alternatives; for a negated operator the request must differ from every one of them.
  return base.endsWith('notequals') ? results.every(Boolean) : results.some(Boolean);
}

const TIME_COMPARISONS: Record<string, (at: number, value: number) => boolean> = {
  dateequals: (at, v) => at === v,
  datenotequals: (at, v) => at !== v,
  datelessthan: (at, v) => at < v,
  datelessthanequals: (at, v) => at <= v,
  dategreaterthan: (at, v) => at > v,
  dategreaterthanequals: (at, v) => at >= v,
};

/** Epoch ms of a condition value: ISO 8601 for Date operators, epoch seconds for aws:EpochTime or numbers. */
function timeOf(value: string, key: string, numeric: boolean): number | undefined {
  if (/^\d{1,12}$/.test(value) && (numeric || key === 'aws:epochtime')) return Number(value) * 1000;
  if (numeric) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function decideService(clause: ConditionClause, services: readonly string[]): boolean | undefined {
  const base = clause.base.toLowerCase();
  const like = base.includes('like');
  const matches = (service: string) =>
    clause.values.some((value) =>
      like ? wildcardMatch(value.toLowerCase(), service.toLowerCase()) : value.toLowerCase() === service.toLowerCase(),
    );
  if (base === 'stringequals' || base === 'stringequalsignorecase' || base === 'stringlike') return services.some(matches);
  if (base === 'stringnotequals' || base === 'stringnotequalsignorecase' || base === 'stringnotlike')
    return services.some((service) => !matches(service));
  return undefined;
}

/**
 * Clauses that no request can satisfy together (IfExists and set qualifiers excluded, as both admit absent
 * keys or sets): `Null: true` beside a clause that needs the key present; Bool true beside Bool false;
 * two StringEquals with no value in common on one key, or a StringEquals whose every value a
 * StringNotEquals on the same key excludes.
 */
function impossibleCombination(clauses: readonly ConditionClause[]): ConditionClause[] | undefined {
  const plain = clauses.filter((c) => !c.ifExists && !c.set);
  const byKey = new Map<string, ConditionClause[]>();
  for (const clause of plain) byKey.set(clause.keyLower, [...(byKey.get(clause.keyLower) ?? []), clause]);
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    const nullTrue = list.find((c) => c.base.toLowerCase() === 'null' && c.values.every((v) => v.toLowerCase() === 'true'));
    const needsPresent = list.find((c) => c.base.toLowerCase() !== 'null');
    if (nullTrue && needsPresent) return [nullTrue, needsPresent];
    const equals = list.filter((c) => c.base.toLowerCase() === 'stringequals' || c.base.toLowerCase() === 'bool');
    for (let i = 0; i < equals.length; i++)
      for (let j = i + 1; j < equals.length; j++) {
        const a = equals[i];
        const b = equals[j];
        if (!a || !b || a.base.toLowerCase() !== b.base.toLowerCase()) continue;
        const fold = a.base.toLowerCase() === 'bool' ? (v: string) => v.toLowerCase() : (v: string) => v;
        const other = new Set(b.values.map(fold));
        if (!a.values.some((v) => other.has(fold(v)))) return [a, b];
      }
    for (const eq of list.filter((c) => c.base.toLowerCase() === 'stringequals'))
      for (const ne of list.filter((c) => c.base.toLowerCase() === 'stringnotequals')) {
        const excluded = new Set(ne.values);
        if (eq.values.every((v) => excluded.has(v))) return [eq, ne];
      }
  }
  return undefined;
}

/** "aws:PrincipalOrgID (StringEquals)" for details. */
export function describeClauses(clauses: readonly ConditionClause[]): string[] {
  return [...new Set(clauses.map((c) => `${c.key} (${c.operator})`))];
}
