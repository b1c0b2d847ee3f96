import { GetAccountAuthorizationDetailsCommand, type IAMClient } from '@aws-sdk/client-iam';
import { accountOfArn } from '../arn';
import { decodeDocument } from './AwsIamReader';

/** A role as IAM reports it, documents decoded. */
export interface IamRole {
  account: string;
  roleName: string;
  arn: string;
  /** Epoch ms. */
  createdAt?: number;
  trustPolicy?: string;
  inlinePolicies: { name: string; document: string }[];
  attachedPolicies: string[];
  permissionsBoundary?: string;
  /**
   * RoleLastUsed: when (epoch ms) and in which Region the role was last used; absent when IAM reports no use
   * in its tracking period (the last 400 days).
   */
  lastUsed?: { at: number; region?: string };
}

/** A customer-managed policy with its versions. */
export interface IamPolicy {
  arn: string;
  defaultVersionId?: string;
  versions: { versionId: string; document: string }[];
}

/** Everything reconcile needs to know about an account's roles. */
export interface AccountSnapshot {
  roles: IamRole[];
  policies: IamPolicy[];
}

/** Reads a whole account's roles and customer-managed policies. */
export interface AccountReader {
  readAccount(): Promise<AccountSnapshot>;
}

/**
 * GetAccountAuthorizationDetails, every page (roles and local managed policies only). IAM returns
 * documents URL-encoded; they are decoded here.
 */
export class AwsAccountReader implements AccountReader {
  constructor(private readonly client: IAMClient) {}

  async readAccount(): Promise<AccountSnapshot> {
    const snapshot: AccountSnapshot = { roles: [], policies: [] };
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['Role', 'LocalManagedPolicy'],
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      for (const role of page.RoleDetailList ?? []) {
        if (!role.RoleName || !role.Arn) continue;
        snapshot.roles.push({
          account: accountOfArn(role.Arn) ?? '',
          roleName: role.RoleName,
          arn: role.Arn,
          ...(role.CreateDate ? { createdAt: new Date(role.CreateDate).getTime() } : {}),
          ...(role.AssumeRolePolicyDocument ? { trustPolicy: decodeDocument(role.AssumeRolePolicyDocument) } : {}),
          inlinePolicies: (role.RolePolicyList ?? []).flatMap((p) =>
            p.PolicyName && p.PolicyDocument ? [{ name: p.PolicyName, document: decodeDocument(p.PolicyDocument) }] : [],
          ),
          attachedPolicies: (role.AttachedManagedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])),
          ...(role.PermissionsBoundary?.PermissionsBoundaryArn
            ? { permissionsBoundary: role.PermissionsBoundary.PermissionsBoundaryArn }
            : {}),
          ...lastUsedOf(role.RoleLastUsed),
        });
      }
      for (const policy of page.Policies ?? []) {
        if (!policy.Arn) continue;
        snapshot.policies.push({
          arn: policy.Arn,
          ...(policy.DefaultVersionId ? { defaultVersionId: policy.DefaultVersionId } : {}),
          versions: (policy.PolicyVersionList ?? []).flatMap((v) =>
            v.VersionId && v.Document ? [{ versionId: v.VersionId, document: decodeDocument(v.Document) }] : [],
          ),
        });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return snapshot;
  }
}

/** RoleLastUsed as IAM returns it (LastUsedDate, Region), when it reports a use with a valid date. */
function lastUsedOf(value: { LastUsedDate?: Date | string; Region?: string } | undefined): Pick<IamRole, 'lastUsed'> {
  if (!value?.LastUsedDate) return {};
  const at = new Date(value.LastUsedDate).getTime();
  if (!Number.isFinite(at)) return {};
  const region = typeof value.Region === 'string' && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value.Region) ? value.Region : undefined;
  return { lastUsed: { at, ...(region ? { region } : {}) } };
}
