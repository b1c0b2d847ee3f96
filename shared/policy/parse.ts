import { BoundedCache } from '../boundedCache';
import type { ConditionClause, Effect, PolicyDocument, PolicyParseResult, PrincipalSet, Statement } from './types';

/**
 * Larger documents are refused before parsing. IAM's limits for customer policies are far below this
 * (inline 10,240, managed 6,144 characters, whitespace not counted), but AWS-managed policies are exempt:
 * AWSSupportServiceRolePolicy is 152 K characters as compact JSON and about 430 K URL-encoded with
 * indentation, as GetAccountAuthorizationDetails returns it.
 */
export const MAX_POLICY_CHARS = 1_048_576;

/**
 * Decodes a policy document as CloudTrail and IAM deliver it: a plain JSON string (CloudTrail request
 * parameters), a URL-encoded JSON string (IAM read APIs), or an already parsed object. Never throws.
 */
export function decodePolicyText(input: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (input !== null && typeof input === 'object') return { ok: true, value: input };
  if (typeof input !== 'string')
    return { ok: false, error: `policy document must be a JSON string or object, got ${kindOf(input)}` };
  if (input.length > MAX_POLICY_CHARS)
    return { ok: false, error: `policy document is ${input.length} characters, over the ${MAX_POLICY_CHARS} limit` };
  const plain = tryJson(input);
  if (plain.ok) return plain;
  if (input.includes('%')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(input.replace(/\+/g, '%20'));
    } catch {
      return { ok: false, error: `policy document is neither JSON nor URL-encoded JSON: ${plain.error}` };
    }
    const fromUrl = tryJson(decoded);
    if (fromUrl.ok) return fromUrl;
    return { ok: false, error: `URL-decoded policy document is not JSON: ${fromUrl.error}` };
  }
  return { ok: false, error: `policy document is not JSON: ${plain.error}` };
}

/** Parsed texts kept: the documents roles use now stay, old ones go first. */
const PARSED_TEXTS_LIMIT = 1_500;
const parsedTexts = new BoundedCache<string, PolicyParseResult>(PARSED_TEXTS_LIMIT);

/**
 * {@link parsePolicy} of a document's text, through a cache of recent texts: the same text gives the same result
 * object, so the role views built from it, the rules reading the event that carried it and the analyses memoised
 * on its document all share one parse. Results are shared: never mutate them.
 */
export function parsePolicyText(text: string): PolicyParseResult {
  let result = parsedTexts.get(text);
  if (!result) {
    result = parsePolicy(text);
    parsedTexts.set(text, result);
  }
  return result;
}

/** Parses and normalises a policy document (permission or trust policy). Never throws. */
export function parsePolicy(input: unknown): PolicyParseResult {
  const decoded = decodePolicyText(input);
  if (!decoded.ok) return decoded;
  try {
    return { ok: true, document: normalisePolicy(decoded.value) };
  } catch (error) {
    if (error instanceof PolicyShapeError) return { ok: false, error: error.message };
    throw error;
  }
}

class PolicyShapeError extends Error {}

function fail(message: string): never {
  throw new PolicyShapeError(message);
}

function normalisePolicy(value: unknown): PolicyDocument {
  if (!isRecord(value)) fail(`policy document must be a JSON object, got ${kindOf(value)}`);
  const raw = getCaseInsensitive(value, 'Statement');
  if (raw === undefined) fail('policy document has no Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  const statements = list.map((s, index) => normaliseStatement(s, index));
  const version = getCaseInsensitive(value, 'Version');
  const id = getCaseInsensitive(value, 'Id');
  return {
    ...(typeof version === 'string' ? { version } : {}),
    ...(typeof id === 'string' ? { id } : {}),
    statements,
  };
}

function normaliseStatement(value: unknown, index: number): Statement {
  const where = `Statement[${index}]`;
  if (!isRecord(value)) fail(`${where} must be an object, got ${kindOf(value)}`);
  const effect = getCaseInsensitive(value, 'Effect');
  if (effect !== 'Allow' && effect !== 'Deny') fail(`${where}.Effect must be "Allow" or "Deny"`);
  const statement: Statement = { index, effect: effect as Effect, conditions: [] };
  const sid = getCaseInsensitive(value, 'Sid');
  if (typeof sid === 'string' && sid !== '') statement.sid = sid;

  const action = stringList(value, 'Action', where);
  const notAction = stringList(value, 'NotAction', where);
  if (action && notAction) fail(`${where} has both Action and NotAction`);
  if (!action && !notAction) fail(`${where} has neither Action nor NotAction`);
  if (action) statement.action = action;
  if (notAction) statement.notAction = notAction;

  const resource = stringList(value, 'Resource', where);
  const notResource = stringList(value, 'NotResource', where);
  if (resource && notResource) fail(`${where} has both Resource and NotResource`);
  if (resource) statement.resource = resource;
  if (notResource) statement.notResource = notResource;

  const principal = getCaseInsensitive(value, 'Principal');
  const notPrincipal = getCaseInsensitive(value, 'NotPrincipal');
  if (principal !== undefined && notPrincipal !== undefined) fail(`${where} has both Principal and NotPrincipal`);
  if (principal !== undefined) statement.principal = normalisePrincipal(principal, `${where}.Principal`);
  if (notPrincipal !== undefined) statement.notPrincipal = normalisePrincipal(notPrincipal, `${where}.NotPrincipal`);

  const condition = getCaseInsensitive(value, 'Condition');
  if (condition !== undefined) statement.conditions = normaliseConditions(condition, `${where}.Condition`);
  return statement;
}

function stringList(record: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const value = getCaseInsensitive(record, key);
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`${where}.${key} is empty`);
  for (const item of list) if (typeof item !== 'string') fail(`${where}.${key} must hold strings, got ${kindOf(item)}`);
  return list as string[];
}

const PRINCIPAL_KINDS = { aws: 'AWS', service: 'Service', federated: 'Federated', canonicalUser: 'CanonicalUser' } as const;

function normalisePrincipal(value: unknown, where: string): PrincipalSet {
  const set: PrincipalSet = { any: false, aws: [], service: [], federated: [], canonicalUser: [] };
  if (value === '*') return { ...set, any: true };
  if (!isRecord(value)) fail(`${where} must be "*" or an object, got ${kindOf(value)}`);
  for (const [key, entry] of Object.entries(value)) {
    const kind = (Object.keys(PRINCIPAL_KINDS) as (keyof typeof PRINCIPAL_KINDS)[]).find(
      (k) => PRINCIPAL_KINDS[k].toLowerCase() === key.toLowerCase(),
    );
    if (!kind) fail(`${where} has unknown principal type "${key}"`);
    const list = Array.isArray(entry) ? entry : [entry];
    for (const item of list) {
      if (typeof item !== 'string') fail(`${where}.${key} must hold strings, got ${kindOf(item)}`);
      if (kind === 'aws' && item === '*') set.any = true;
      else set[kind].push(item);
    }
  }
  return set;
}

function normaliseConditions(value: unknown, where: string): ConditionClause[] {
  if (!isRecord(value)) fail(`${where} must be an object, got ${kindOf(value)}`);
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isRecord(block)) fail(`${where}.${operator} must be an object of condition keys`);
    const { base, set, ifExists } = splitOperator(operator);
    for (const [key, raw] of Object.entries(block)) {
      const list = Array.isArray(raw) ? raw : [raw];
      const values = list.map((item) => {
        if (typeof item === 'string') return item;
        if (typeof item === 'number' || typeof item === 'boolean') return String(item);
        return fail(`${where}.${operator}.${key} must hold strings, numbers or booleans, got ${kindOf(item)}`);
      });
      clauses.push({ operator, base, ...(set ? { set } : {}), ifExists, key, keyLower: key.toLowerCase(), values });
    }
  }
  return clauses;
}

/** Splits "ForAllValues:StringLikeIfExists" into its parts. */
export function splitOperator(operator: string): Pick<ConditionClause, 'base' | 'set' | 'ifExists'> {
  let rest = operator;
  let set: ConditionClause['set'];
  const colon = rest.indexOf(':');
  if (colon > 0) {
    const qualifier = rest.slice(0, colon).toLowerCase();
    if (qualifier === 'forallvalues') set = 'ForAllValues';
    else if (qualifier === 'foranyvalue') set = 'ForAnyValue';
    if (set) rest = rest.slice(colon + 1);
  }
  const ifExists = /IfExists$/i.test(rest) && rest.toLowerCase() !== 'null';
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  return set ? { base, set, ifExists } : { base, ifExists };
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Policy element names are case-sensitive in AWS's grammar, but IAM accepts any case for them; so do we. */
function getCaseInsensitive(record: Record<string, unknown>, key: string): unknown {
  if (key in record) return record[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(record)) if (k.toLowerCase() === lower) return record[k];
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
