/**
 * "Is this role privileged?": the one question other rules ask of the permission analysis. A role is
 * privileged when its effective permissions (its policies together, less every Deny, within its boundary)
 * are admin-equivalent or contain a path of the escalation catalogue.
 */

import type { PolicyDocument } from '../policy/types';
import { analysePermissions, type EffectiveOptions, type EscalationHit, escalationMethods } from './permissions';

/** What makes a role privileged; `privileged` is false only when both lists are empty. */
export interface RolePrivilege {
  privileged: boolean;
  /** Indexes (into `policies`) of the admin-equivalent policies. */
  adminPolicies: number[];
  /** Escalation paths the effective permissions contain. */
  escalation: EscalationHit[];
}

/**
 * Judges a role by its permission policies (inline and attached documents) and its permissions boundary.
 * `options.at` (epoch ms, the event's time) decides time conditions; without it they count as conditioned.
 */
export function rolePrivilege(
  policies: readonly PolicyDocument[],
  boundary?: PolicyDocument,
  options: EffectiveOptions = {},
): RolePrivilege {
  const context = {
    others: policies,
    ...(boundary ? { boundary } : {}),
    ...(options.at !== undefined ? { at: options.at } : {}),
  };
  const adminPolicies = policies.flatMap((doc, index) =>
    analysePermissions(doc, context).adminEquivalent.length > 0 ? [index] : [],
  );
  const escalation = escalationMethods(policies, boundary, options);
  return { privileged: adminPolicies.length > 0 || escalation.length > 0, adminPolicies, escalation };
}
