/**
 * The privilege-escalation catalogue: one list of paths, loaded once from three data files kept as their
 * sources wrote them (see data/README.md):
 * - pathfinding.cloud's paths (id, category, required actions, link), the backbone;
 * - cloudsplaining's methods (Rhino Security Labs' and later ones): a method with the same actions as a
 *   path becomes its alias; one whose actions contain a path's is redundant (the path already fires) and
 *   becomes that path's alias; one whose actions are contained in a path's (cloudsplaining's shorter
 *   Data Pipeline method) yields to the path, which needs every action to work; the rest are classified in
 *   RoleWatch's own file;
 * - RoleWatch's additions, each with its reference.
 * What each required action must be allowed on follows from the action and the category (see
 * {@link stepOf}), the same rule for every path.
 */
import { canonicalAction } from '../policy/actions';
import pathfinding from './data/pathfinding/paths.json';
import privescData from './data/privescMethods.json';
import rolewatch from './data/rolewatchPaths.json';
import type { Target } from './resources';

/** How a path escalates; `existing-passrole` depends on resources that already exist with a role. */
export type PathCategory = 'self-escalation' | 'principal-access' | 'new-passrole' | 'existing-passrole';

/** One action a path needs, and what it must be allowed on. */
export interface PathStep {
  /** AWS's spelling when the action is known. */
  action: string;
  target: Target;
}

/** A privilege-escalation path. */
export interface EscalationPath {
  /** Stable id: pathfinding.cloud's (`iam-001`), or RoleWatch's in the same form. */
  id: string;
  name: string;
  category: PathCategory;
  steps: PathStep[];
  /** Service principals the path passes a role to (decides iam:PassedToService); empty when it passes none. */
  passedTo: string[];
  link: string | null;
  source: 'pathfinding.cloud' | 'cloudsplaining' | 'rolewatch';
  /** Other names of the same path (cloudsplaining's method names). */
  aliases: string[];
}

const CATEGORIES: readonly PathCategory[] = ['self-escalation', 'principal-access', 'new-passrole', 'existing-passrole'];

/**
 * What an action of a path must be allowed on:
 * - iam:PassRole and sts:AssumeRole: every role (the privileged role is one the author did not name);
 * - IAM actions on roles, users and groups: every one of them; on the caller's own user too when the path
 *   raises the caller's own permissions (self-escalation), not when it takes over another principal;
 * - policy versions: every customer-managed policy (AWS-managed ones cannot be versioned);
 * - other services: reads on any resource; for paths through existing resources, every resource of the
 *   type (the function or stack that runs with a privileged role); for new resources, any resource, since
 *   the caller names what it creates.
 */
export function stepOf(action: string, category: PathCategory): PathStep {
  const spelled = canonicalAction(action) ?? action;
  const lower = action.toLowerCase();
  const self = category === 'self-escalation';
  const colon = lower.indexOf(':');
  const service = lower.slice(0, colon);
  const name = lower.slice(colon + 1);
  const step = (target: Target): PathStep => ({ action: spelled, target });
  if (lower === 'iam:passrole' || lower === 'sts:assumerole') return step({ kind: 'role', reach: 'all' });
  if (service === 'iam') {
    if (name.endsWith('policyversion')) return step({ kind: 'customer-policy', reach: 'all' });
    if (name.includes('group')) return step({ kind: 'group', reach: 'all' });
    if (name.includes('role')) return step({ kind: 'role', reach: 'all', selfAllowed: self });
    return step({ kind: 'user', reach: 'all', selfAllowed: self });
  }
  if (/^(describe|list|get)/.test(name)) return step({ kind: 'resource', reach: 'some', service });
  return step({ kind: 'resource', reach: category === 'existing-passrole' ? 'all' : 'some', service });
}

function passedToOf(actions: readonly string[]): string[] {
  const services = rolewatch.passRoleServices as Record<string, string[]>;
  if (!actions.some((a) => a.toLowerCase() === 'iam:passrole')) return [];
  const out = new Set<string>();
  for (const action of actions)
    for (const principal of services[action.slice(0, action.indexOf(':')).toLowerCase()] ?? []) out.add(principal);
  return [...out];
}

function categoryOf(value: string, where: string): PathCategory {
  const found = CATEGORIES.find((c) => c === value);
  if (!found) throw new Error(`escalation catalogue: ${where} has unknown category ${value}`);
  return found;
}

function makePath(
  raw: { id: string; name: string; category: string; required: string[]; link?: string | null },
  source: EscalationPath['source'],
): EscalationPath {
  const category = categoryOf(raw.category, raw.id);
  return {
    id: raw.id,
    name: raw.name,
    category,
    steps: raw.required.map((action) => stepOf(action, category)),
    passedTo: passedToOf(raw.required),
    link: raw.link ?? null,
    source,
    aliases: [],
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && contains(a, b);
const contains = (outer: readonly string[], inner: readonly string[]) => inner.every((x) => outer.includes(x));
const lowered = (path: EscalationPath) => path.steps.map((s) => s.action.toLowerCase());

function loadCatalogue(): EscalationPath[] {
  const paths = pathfinding.paths.map((raw) => makePath(raw, 'pathfinding.cloud'));
  paths.push(...rolewatch.paths.map((raw) => makePath(raw, 'rolewatch')));
  const classified = rolewatch.cloudsplainingMethods as Record<string, { id: string; category: string }>;
  for (const method of privescData.methods) {
    const actions = method.actions.map((a) => a.toLowerCase());
    const match =
      paths.find((p) => sameSet(lowered(p), actions)) ??
      paths.find((p) => contains(actions, lowered(p)) && p.id === pathIdOf(method.reference)) ??
      paths.find((p) => contains(lowered(p), actions) && p.id === pathIdOf(method.reference));
    if (match) {
      match.aliases.push(method.name);
      continue;
    }
    const own = classified[method.name];
    if (!own) throw new Error(`escalation catalogue: cloudsplaining method ${method.name} is neither merged nor classified`);
    const path = makePath(
      { id: own.id, name: method.name, category: own.category, required: method.actions, link: method.reference },
      'cloudsplaining',
    );
    path.aliases.push(method.name);
    paths.push(path);
  }
  return paths;
}

/** `https://pathfinding.cloud/paths/lambda-002` → `lambda-002`. */
function pathIdOf(reference: string | null): string | undefined {
  return reference?.match(/\/paths\/([a-z0-9-]+)$/)?.[1];
}

/** Every path of the catalogue. */
export const ESCALATION_PATHS: readonly EscalationPath[] = loadCatalogue();

/** How a path found in a role is named: `PassExistingRoleToNewLambdaThenInvoke [lambda-001, new-passrole]`. */
export function pathLabel(hit: { name: string; id: string; category: PathCategory }): string {
  return `${hit.name} [${hit.id}, ${hit.category}]`;
}
