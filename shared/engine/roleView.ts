import { BoundedCache } from '../boundedCache';
import { awsManagedPolicy, isAwsManagedPolicyArn } from '../policy/managed';
import { parsePolicyText } from '../policy/parse';
import type { PolicyParseResult } from '../policy/types';
import type { IamReader } from '../ports/iamReader';
import type { StateStore } from '../ports/roleState';
import { addedPrincipals, liveLastUsed, liveParts, type RoleRecord, roleExists, sameRoleState } from '../roles/roleRecord';
import type { PolicyRef, RoleView } from '../rules/types';

/** Roles whose last view is kept: the roles changing now. */
const VIEW_CACHE_LIMIT = 1_000;

/**
 * Resolves policy documents for role views: AWS-managed from the bundled dataset, customer-managed from
 * RoleWatch's own state or, failing that, from IAM. Documents are parsed through a cache by text
 * ({@link parsePolicyText}), so the same document is the same object and analyses memoised on it are computed once.
 */
export class PolicyResolver {
  /**
   * The view last built of each recently changed role, with the record it was built from: a change's "before"
   * is usually the state the change before it left, so that view is reused instead of built again.
   */
  private readonly views = new BoundedCache<string, { record: RoleRecord; view: RoleView }>(VIEW_CACHE_LIMIT);
  private readonly fetched = new Map<string, Promise<PolicyRef>>();

  constructor(
    private readonly state: StateStore,
    private readonly iam: IamReader,
  ) {}

  /** A managed policy's current default document, by ARN. Customer-managed lookups are cached until `forget`. */
  managed(account: string, arn: string): Promise<PolicyRef> {
    const aws = awsManagedPolicy(arn);
    if (aws) return Promise.resolve({ kind: 'managed', name: aws.name, arn, awsManaged: true, document: aws.document });
    if (isAwsManagedPolicyArn(arn)) {
      return Promise.resolve({
        kind: 'managed',
        name: nameOf(arn),
        arn,
        awsManaged: true,
        error: 'AWS-managed policy not in the bundled dataset',
      });
    }
    const key = `${account}\u0000${arn}`;
    let ref = this.fetched.get(key);
    if (!ref) {
      ref = this.customerManaged(account, arn);
      this.fetched.set(key, ref);
      ref.catch(() => this.fetched.delete(key));
    }
    return ref;
  }

  /** Drops cached customer-managed documents (after a policy version event, or at the end of an invocation). */
  forget(account?: string, arn?: string): void {
    if (account && arn) this.fetched.delete(`${account}\u0000${arn}`);
    else this.fetched.clear();
    // Views hold the documents they were built with.
    this.views.clear();
  }

  /** The document of one version of a customer-managed policy: from state, else from IAM. */
  async policyVersion(account: string, arn: string, versionId: string): Promise<string | undefined> {
    const record = await this.state.getPolicy(account, arn);
    const known = record?.versions[versionId];
    if (known !== undefined) return known;
    return (await this.iam.getPolicyVersion(account, arn, versionId))?.document;
  }

  private async customerManaged(account: string, arn: string): Promise<PolicyRef> {
    const base = { kind: 'managed' as const, name: nameOf(arn), arn, awsManaged: false };
    const record = await this.state.getPolicy(account, arn);
    let text = record?.defaultVersion ? record.versions[record.defaultVersion.versionId] : undefined;
    if (text === undefined) {
      const version = await this.iam.getDefaultPolicyVersion(account, arn);
      if (!version)
        return { ...base, error: 'customer-managed policy document unavailable (not seen in events and not readable from IAM)' };
      text = version.document;
      await this.state.applyPolicyChanges(account, arn, [
        { kind: 'version', versionId: version.versionId, document: version.document },
        // Stamped at time 0: any event-sourced default version is newer and wins.
        { kind: 'default', stamp: { at: 0, eventId: '' }, versionId: version.versionId },
      ]);
    }
    return withDocument(base, parsePolicyText(text));
  }

  /** Builds the view of a role record; undefined when the role does not exist (deleted or never created). */
  async view(record: RoleRecord | undefined, override?: { arn: string; ref: PolicyRef }): Promise<RoleView | undefined> {
    if (!record || !roleExists(record)) return undefined;
    if (override) return this.buildView(record, override);
    const key = `${record.account}\u0000${record.roleName}`;
    const last = this.views.get(key);
    if (last && sameRoleState(last.record, record)) return last.view;
    const view = await this.buildView(record);
    this.views.set(key, { record, view });
    return view;
  }

  private async buildView(record: RoleRecord, override?: { arn: string; ref: PolicyRef }): Promise<RoleView> {
    const parts = liveParts(record);
    const view: RoleView = { account: record.account, name: record.roleName, arn: record.arn, policies: [] };
    if (record.created) view.createdAt = record.created.at;
    const lastUsed = liveLastUsed(record);
    if (lastUsed) view.lastUsed = lastUsed;
    if (parts.trust) {
      const trust = parsePolicyText(parts.trust.document);
      if (trust.ok) view.trust = trust.document;
      else view.trustError = trust.error;
      view.trustChange = {
        at: parts.trust.at,
        added: addedPrincipals(parts.trust),
        initial: !parts.trust.previous && parts.trust.initial,
      };
    }
    for (const inline of parts.inline) {
      view.policies.push(
        withDocument({ kind: 'inline', name: inline.name, awsManaged: false }, parsePolicyText(inline.document)),
      );
    }
    const attached = await Promise.all(
      parts.attached.map((arn) => (override?.arn === arn ? override.ref : this.managed(record.account, arn))),
    );
    view.policies.push(...attached);
    if (parts.boundary) {
      const ref = override?.arn === parts.boundary ? override.ref : await this.managed(record.account, parts.boundary);
      view.boundary = { ...ref, kind: 'boundary' };
    }
    return view;
  }
}

/** Attaches a parse result to a policy reference. */
export function withDocument<T extends Omit<PolicyRef, 'document' | 'error'>>(ref: T, parsed: PolicyParseResult): T & PolicyRef {
  return parsed.ok ? { ...ref, document: parsed.document } : { ...ref, error: parsed.error };
}

/** Every permission policy and the boundary: what a full re-evaluation looks at. */
export function allPolicies(view: RoleView): PolicyRef[] {
  return view.boundary ? [...view.policies, view.boundary] : view.policies;
}

function nameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
