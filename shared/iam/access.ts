import { IAMClient } from '@aws-sdk/client-iam';
import { AWS_CLIENT_OPTIONS } from '../awsClients';
import type { OrganizationConfig } from '../config/config';
import type { IamReader } from '../ports/iamReader';
import { AwsIamReader } from './AwsIamReader';
import { type AccountReader, AwsAccountReader } from './accountReader';
import { CrossAccountIamReader, MemberAccounts, memberAccountReader } from './CrossAccountIamReader';

/** How a function reads IAM: policies for events, whole accounts for reconcile. */
export interface IamAccess {
  /** Customer-managed policies, read in the account named by each call. */
  reader: IamReader;
  /** Reads a whole account; without an account, the one the credentials belong to. */
  accountReader(account?: string): AccountReader;
}

/** What {@link awsIamAccess} needs to know, from the validated environment. */
export interface IamAccessSettings {
  /** The account the function runs in (required in organization mode). */
  ownAccount?: string;
  organization?: OrganizationConfig;
  /** Session name of the member-role sessions, shown in the members' CloudTrail. */
  sessionName: string;
}

/**
 * IAM access for a Lambda function: its own role in its own account and, in organization mode, every other
 * account through the member read role (sts:AssumeRole with the ExternalId). Only the functions that read
 * IAM build it, so the others load neither the IAM nor the STS client (loaded at the first AssumeRole).
 */
export function awsIamAccess(settings: IamAccessSettings): IamAccess {
  const client = new IAMClient(AWS_CLIENT_OPTIONS);
  const { organization, ownAccount } = settings;
  if (!organization || !ownAccount)
    return { reader: new AwsIamReader(client), accountReader: () => new AwsAccountReader(client) };
  const members = new MemberAccounts({
    ownAccount,
    ownClient: client,
    memberRoleName: organization.memberRoleName,
    ...(organization.externalId ? { externalId: organization.externalId } : {}),
    sessionName: settings.sessionName,
  });
  return {
    reader: new CrossAccountIamReader(members),
    accountReader: (account) => memberAccountReader(members, account ?? ownAccount),
  };
}
