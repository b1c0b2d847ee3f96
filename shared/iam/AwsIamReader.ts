import { GetPolicyCommand, GetPolicyVersionCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { IamReader, PolicyVersion } from '../ports/iamReader';

/**
 * Reads customer-managed policies from IAM (GetPolicy → GetPolicyVersion). IAM returns documents
 * URL-encoded; they are decoded here. A policy that does not exist, or that RoleWatch may not read (an
 * explicit deny, a service control policy), is `undefined`: retrying would never succeed, and the change is
 * still recorded with the document marked unavailable. Throttling is retried by the SDK's retry strategy
 * and any other failure propagates so the event is retried.
 */
export class AwsIamReader implements IamReader {
  constructor(private readonly client: IAMClient) {}

  async getDefaultPolicyVersion(account: string, policyArn: string): Promise<PolicyVersion | undefined> {
    const versionId = await this.orMissing(async () => {
      const out = await this.client.send(new GetPolicyCommand({ PolicyArn: policyArn }));
      return out.Policy?.DefaultVersionId;
    });
    return versionId ? this.getPolicyVersion(account, policyArn, versionId) : undefined;
  }

  async getPolicyVersion(_account: string, policyArn: string, versionId: string): Promise<PolicyVersion | undefined> {
    const document = await this.orMissing(async () => {
      const out = await this.client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }));
      return out.PolicyVersion?.Document;
    });
    return document === undefined ? undefined : { versionId, document: decodeDocument(document) };
  }

  private async orMissing<T>(call: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (UNREADABLE.has((error as { name?: string }).name ?? '')) return undefined;
      throw error;
    }
  }
}

/** Errors that mean the document cannot be read at all. IAM names its access error AccessDenied. */
const UNREADABLE: ReadonlySet<string> = new Set(['NoSuchEntityException', 'AccessDenied', 'AccessDeniedException']);

/** IAM read APIs URL-encode policy documents; a document that is already JSON is left as it is. */
export function decodeDocument(document: string): string {
  if (document.trimStart().startsWith('{')) return document;
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}
