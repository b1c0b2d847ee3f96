import type { IamReader, PolicyVersion } from '../ports/iamReader';

/** Customer-managed policies known in advance, by ARN: default version id and documents by version id. */
export type PolicyFixtures = Record<string, { defaultVersionId: string; versions: Record<string, unknown> }>;

/**
 * An IamReader over policies known in advance (test fixtures, an offline replay). Knows nothing else:
 * offline, a customer policy seen only through AttachRolePolicy stays unavailable and is reported so.
 */
export class StaticIamReader implements IamReader {
  constructor(private readonly policies: PolicyFixtures = {}) {}

  async getDefaultPolicyVersion(_account: string, policyArn: string): Promise<PolicyVersion | undefined> {
    const policy = this.policies[policyArn];
    return policy ? this.getPolicyVersion(_account, policyArn, policy.defaultVersionId) : undefined;
  }

  async getPolicyVersion(_account: string, policyArn: string, versionId: string): Promise<PolicyVersion | undefined> {
    const document = this.policies[policyArn]?.versions[versionId];
    if (document === undefined) return undefined;
    return { versionId, document: typeof document === 'string' ? document : JSON.stringify(document) };
  }
}
