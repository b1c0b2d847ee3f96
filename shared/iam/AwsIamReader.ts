import { GetPolicyCommand, GetPolicyVersionCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { IamReader, PolicyVersion } from './reader';

/**
 * Reads customer-managed policies from IAM (GetPolicy → GetPolicyVersion). IAM returns documents
 * URL-encoded; they are decoded here. A policy that does not exist is `undefined`; throttling is retried by
 * the SDK's retry strategy and any other failure propagates so the event is retried.
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
      if ((error as { name?: string }).name === 'NoSuchEntityException') return undefined;
      throw error;
    }
  }
}

/** IAM read APIs URL-encode policy documents; a document that is already JSON is left as it is. */
export function decodeDocument(document: string): string {
  if (document.trimStart().startsWith('{')) return document;
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}
