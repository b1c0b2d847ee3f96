import { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { AWS_CLIENT_OPTIONS } from '../awsClients';
import { RoleWatchError } from '../errors';
import type { IamReader, PolicyVersion } from '../ports/iamReader';
import { AwsIamReader } from './AwsIamReader';
import { type AccountReader, type AccountSnapshot, AwsAccountReader } from './accountReader';

/** Temporary credentials, in the shape the AWS SDK clients take them. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** How RoleWatch reaches the read role of the other accounts of its organization. */
export interface MemberAccountsOptions {
  /** The account RoleWatch runs in: read with the function's own role, never assumed. */
  ownAccount: string;
  /** The role's client in the own account. */
  ownClient: IAMClient;
  /** Made on the first AssumeRole when not given: a function that never reads another account never loads STS. */
  sts?: STSClient;
  /** The read-only role the member stack creates in every member account. */
  memberRoleName: string;
  /** The sts:ExternalId the member role's trust requires. */
  externalId?: string;
  /** Shown in the member account's CloudTrail as the session name (e.g. `rolewatch-on-iam-change`). */
  sessionName: string;
  partition?: string;
  /** Builds the IAM client of a member account; tests observe it. */
  iamClient?: (credentials: TemporaryCredentials) => IAMClient;
  now?: () => number;
}

/** A session is renewed this long before it expires, so that no call starts with credentials about to lapse. */
export const SESSION_REFRESH_MARGIN_MS = 5 * 60_000;
/** One hour: the default maximum of a role; shorter sessions mean more AssumeRole events in every member's trail. */
const SESSION_SECONDS = 3600;

interface Session {
  credentials: TemporaryCredentials;
  client: IAMClient;
}

/**
 * IAM clients for the accounts of the organization: the own client for the own account, and for any other
 * account one built on credentials of `arn:aws:iam::<account>:role/<memberRoleName>` obtained with
 * sts:AssumeRole (and the ExternalId). Sessions are cached per account for the life of the container,
 * until shortly before they expire, so one invocation or a burst of events assumes a role once; concurrent
 * callers share one AssumeRole call; a failure is not cached.
 */
export class MemberAccounts {
  private readonly sessions = new Map<string, Promise<Session>>();
  private sts: STSClient | undefined;

  constructor(private readonly options: MemberAccountsOptions) {
    this.sts = options.sts;
  }

  /** The ARN of the read role RoleWatch assumes in `account`. */
  roleArn(account: string): string {
    return `arn:${this.options.partition ?? 'aws'}:iam::${account}:role/${this.options.memberRoleName}`;
  }

  /** True for an account RoleWatch reads through its member role (a 12-digit id other than its own). */
  isMember(account: string): boolean {
    return /^\d{12}$/.test(account) && account !== this.options.ownAccount;
  }

  /** The IAM client that reads `account`. Throws RoleWatchError (with the cause) when the role cannot be assumed. */
  async iamClient(account: string): Promise<IAMClient> {
    if (!this.isMember(account)) return this.options.ownClient;
    const cached = this.sessions.get(account);
    if (cached) {
      // Callers sharing a call that fails all see its error; the failure itself is not kept.
      const session = await cached;
      const now = (this.options.now ?? Date.now)();
      if (session.credentials.expiration.getTime() - SESSION_REFRESH_MARGIN_MS > now) return session.client;
      if (this.sessions.get(account) === cached) this.sessions.delete(account);
      return this.iamClient(account);
    }
    const started = this.assume(account);
    this.sessions.set(account, started);
    started.catch(() => {
      if (this.sessions.get(account) === started) this.sessions.delete(account);
    });
    return (await started).client;
  }

  /** The member role's credentials in `account`; undefined for the own account (the function's own role). */
  async credentials(account: string): Promise<TemporaryCredentials | undefined> {
    if (!this.isMember(account)) return undefined;
    await this.iamClient(account);
    return (await this.sessions.get(account))?.credentials;
  }

  private async assume(account: string): Promise<Session> {
    const roleArn = this.roleArn(account);
    let credentials: TemporaryCredentials;
    try {
      const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/client-sts');
      this.sts ??= new STSClient(AWS_CLIENT_OPTIONS);
      const out = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.options.sessionName,
          DurationSeconds: SESSION_SECONDS,
          ...(this.options.externalId ? { ExternalId: this.options.externalId } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
        throw new Error('AssumeRole returned no credentials');
      credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
      };
    } catch (error) {
      throw new RoleWatchError(
        `cannot assume ${roleArn} to read account ${account}: ${(error as Error).message}. ` +
          'Is the RoleWatch member stack deployed there, with the same ExternalId?',
        { cause: error },
      );
    }
    const client = this.options.iamClient?.(credentials) ?? new IAMClient({ ...AWS_CLIENT_OPTIONS, credentials });
    return { credentials, client };
  }
}

/**
 * Organization mode's IamReader: reads a customer-managed policy in the account the event belongs to,
 * through that account's read role (see {@link MemberAccounts}); the own account with the function's role.
 */
export class CrossAccountIamReader implements IamReader {
  constructor(private readonly accounts: MemberAccounts) {}

  async getDefaultPolicyVersion(account: string, policyArn: string): Promise<PolicyVersion | undefined> {
    return new AwsIamReader(await this.accounts.iamClient(account)).getDefaultPolicyVersion(account, policyArn);
  }

  async getPolicyVersion(account: string, policyArn: string, versionId: string): Promise<PolicyVersion | undefined> {
    return new AwsIamReader(await this.accounts.iamClient(account)).getPolicyVersion(account, policyArn, versionId);
  }
}

/** Reads one account of the organization whole (reconcile), through its read role unless it is the own account. */
export function memberAccountReader(accounts: MemberAccounts, account: string): AccountReader {
  return {
    readAccount: async (): Promise<AccountSnapshot> => new AwsAccountReader(await accounts.iamClient(account)).readAccount(),
  };
}
