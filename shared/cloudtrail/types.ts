/**
 * The one typed shape of a CloudTrail event inside RoleWatch, whatever envelope it arrived in
 * (single record, EventBridge event, log file, JSON Lines). Fields that CloudTrail may omit are optional;
 * containers (`request`, `response`, `additional`) are always objects, never null.
 */
export interface TrailActor {
  /** userIdentity.type: Root, IAMUser, AssumedRole, FederatedUser, AWSService, AWSAccount, WebIdentityUser, SAMLUser, IdentityCenterUser, Unknown. */
  type: string;
  arn?: string;
  accountId?: string;
  principalId?: string;
  accessKeyId?: string;
  userName?: string;
  /** Service that made the call on the caller's behalf (userIdentity.invokedBy), e.g. cloudformation.amazonaws.com. */
  invokedBy?: string;
  /** For AssumedRole/FederatedUser: the role or user that issued the session. */
  sessionIssuer?: SessionIssuer;
  /** For WebIdentityUser/SAMLUser: the identity provider (userIdentity.identityProvider). */
  identityProvider?: string;
}

export interface SessionIssuer {
  type?: string;
  arn?: string;
  accountId?: string;
  userName?: string;
  principalId?: string;
}

export interface TrailEvent {
  eventId: string;
  eventName: string;
  /** e.g. iam.amazonaws.com */
  eventSource: string;
  /** ISO-8601 as CloudTrail wrote it. */
  eventTime: string;
  /** eventTime in epoch milliseconds (0 when eventTime is missing or unreadable). */
  time: number;
  /** Account the event belongs to: recipientAccountId, else the caller's account, else ''. */
  account: string;
  region: string;
  actor: TrailActor;
  sourceIp?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  /** True for read-only calls. When the record omits it, inferred from the event name (Get/List/Describe). */
  readOnly: boolean;
  /** requestParameters, or {} when absent or not an object. */
  request: Record<string, unknown>;
  /** responseElements, or {} when absent or not an object. */
  response: Record<string, unknown>;
  /** additionalEventData, or {}. */
  additional: Record<string, unknown>;
  resources: TrailResource[];
}

export interface TrailResource {
  arn?: string;
  accountId?: string;
  type?: string;
}
