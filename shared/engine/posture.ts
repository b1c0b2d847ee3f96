import { BoundedCache } from '../boundedCache';
import type { Finding, FindingDraft } from '../findings/finding';
import { findingId } from '../findings/ids';
import { documentId } from '../policy/identity';
import type { PolicyDocument } from '../policy/types';
import type { FindingStore } from '../ports/findingStore';
import type { PolicyRef, RoleView, Rule, RuleMatch } from '../rules/types';
import { draftFinding } from './draft';
import { allPolicies } from './roleView';
import type { RuleRunner } from './ruleRunner';

/** Role states whose posture is remembered: the current state of each recently changed role. */
const CACHE_LIMIT = 1_000;

/**
 * Posture resolution: which posture findings hold for a role's whole current state, and resolving those that
 * no longer do. What holds depends only on the role's identity and documents (parsed once, so named by object):
 * it is remembered by that, so a change that leaves the documents as they were (tags, settings, a repeat) costs
 * a lookup, and one that changes one document re-runs the posture rules over documents whose analyses are
 * memoised on them.
 */
export class PostureResolver {
  private readonly cache = new BoundedCache<string, ReadonlySet<string>>(CACHE_LIMIT);

  constructor(
    private readonly rules: RuleRunner,
    private readonly findings: FindingStore,
    private readonly config: RuleRunnerConfig,
  ) {}

  /** Posture findings that hold for a role's whole current state. */
  drafts(view: RoleView, at: number): FindingDraft[] {
    const where = { account: view.account, resource: view.arn, roleName: view.name, at };
    return this.matches(view).map(({ rule, match }) => draftFinding(rule, match, where, this.config));
  }

  /**
   * Ids of the posture findings that hold for a role's state: the id `drafts` gives each match, without drafting
   * the rest of the finding.
   */
  ids(view: RoleView): ReadonlySet<string> {
    const key = stateKey(view);
    let ids = this.cache.get(key);
    if (!ids) {
      ids = new Set(
        this.matches(view).map(({ rule, match }) =>
          findingId(view.account, rule.id, match.resource ?? view.arn, match.qualifier),
        ),
      );
      this.cache.set(key, ids);
    }
    return ids;
  }

  /**
   * Resolves the role's open posture findings that its state (undefined: the role is gone) no longer gives.
   * What still holds is worked out only when the role has a finding to resolve.
   */
  resolve(account: string, arn: string, view: RoleView | undefined, at: number, reason: string): Promise<Finding[]> {
    return this.findings.resolveMissing(
      account,
      arn,
      view ? () => this.ids(view) : NOTHING,
      at,
      view ? `no longer true after ${reason}` : `role deleted (${reason})`,
    );
  }

  /** Every match of every posture rule on the role's whole current state. */
  private matches(view: RoleView): { rule: Rule; match: RuleMatch }[] {
    const context = { path: 'posture', role: view, changed: allPolicies(view), trustChanged: true, config: this.config } as const;
    return this.rules.posture.flatMap((rule) => this.rules.evaluate(rule, context).map((match) => ({ rule, match })));
  }
}

type RuleRunnerConfig = Parameters<typeof draftFinding>[3];

const NOTHING: ReadonlySet<string> = new Set();

/**
 * The role's identity, the identity of each of its documents, and what the unused-role rule reads (creation, the
 * last RoleLastUsed observation): equal keys, equal posture.
 */
function stateKey(view: RoleView): string {
  let key = `${view.account}\u0000${view.arn}\u0000${view.trust ? documentId(view.trust) : (view.trustError ?? '')}`;
  const used = view.lastUsed;
  if (used) key += `\u0000used:${view.createdAt ?? ''}:${used.observedAt}:${used.at ?? ''}:${used.region ?? ''}`;
  for (const ref of view.policies) key += policyKey(ref);
  if (view.boundary) key += policyKey(view.boundary);
  return key;
}

function policyKey(ref: PolicyRef): string {
  return `\u0000${ref.kind}:${ref.arn ?? ref.name}:${ref.document ? documentId(ref.document as PolicyDocument) : ref.error}`;
}
