/** A version of a customer-managed policy: its id and its document as IAM returns it (possibly URL-encoded). */
export interface PolicyVersion {
  versionId: string;
  document: string;
}

/**
 * Reads customer-managed policy documents that events do not carry (AttachRolePolicy names only the ARN).
 * `undefined` means the policy or version does not exist; failures to reach IAM throw.
 */
export interface IamReader {
  getDefaultPolicyVersion(account: string, policyArn: string): Promise<PolicyVersion | undefined>;
  getPolicyVersion(account: string, policyArn: string, versionId: string): Promise<PolicyVersion | undefined>;
}
