import { RoleWatchError } from '../errors';
import type { EventKind } from '../roles/roleEvents';

/** A trail as CloudTrail DescribeTrails lists it in a region (shadow trails of other regions included). */
export interface TrailSummary {
  name: string;
  arn: string;
  homeRegion: string;
  multiRegion: boolean;
  organization: boolean;
}

/** A trail's event selectors (GetEventSelectors): basic or advanced, never both. */
export interface TrailSelectors {
  basic: { readWriteType: string; includeManagementEvents: boolean; excludedSources: string[] }[];
  advanced: { name?: string; fields: AdvancedField[] }[];
}

/** One field condition of an advanced event selector. */
export interface AdvancedField {
  field: string;
  equals?: string[];
  notEquals?: string[];
  startsWith?: string[];
  notStartsWith?: string[];
}

/** An EventBridge rule (DescribeRule) and how many targets it has (ListTargetsByRule). */
export interface RuleReading {
  name: string;
  state: string;
  eventPattern?: string;
  targets: number;
}

/** A subscription of a topic (ListSubscriptionsByTopic); `arn` is "PendingConfirmation" until confirmed. */
export interface SubscriptionReading {
  arn: string;
  protocol: string;
  endpoint: string;
}

/**
 * What `rolewatch doctor` and reconcile's self-check read, all read-only calls. An adapter throws
 * {@link MissingPermissionError} when a call is denied, so the check can say which permission it lacked.
 */
export interface MonitorProbe {
  /** Trails that apply in the region: its own and other regions' multi-region and organization trails. */
  trails(region: string): Promise<TrailSummary[]>;
  isLogging(trail: TrailSummary): Promise<boolean>;
  selectors(trail: TrailSummary): Promise<TrailSelectors>;
  /** The rule, or undefined when it does not exist. */
  rule(region: string, name: string, bus?: string): Promise<RuleReading | undefined>;
  subscriptions(topicArn: string): Promise<SubscriptionReading[]>;
  /** Messages in a queue, visible and in flight. */
  queueMessages(queueUrl: string): Promise<number>;
  /** When RoleWatch last processed an event of each kind (its table). */
  lastEvents(): Promise<Partial<Record<EventKind, number>>>;
}

/** A call the credentials may not make: the check cannot tell, and says what to grant. */
export class MissingPermissionError extends RoleWatchError {
  constructor(
    readonly permission: string,
    options?: { cause?: unknown },
  ) {
    super(`missing permission ${permission}`, options);
  }
}

/** AWS error names that mean "not allowed" (services spell it differently), or an HTTP 403. */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedOperation',
  'UnauthorizedException',
]);

/** Whether an AWS SDK error says the caller lacks a permission. */
export function isAccessDenied(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return DENIED.has(error.name) || status === 403;
}

/** Runs an AWS call; a denial becomes a {@link MissingPermissionError} naming `permission`. */
export async function calling<T>(permission: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAccessDenied(error)) throw new MissingPermissionError(permission, { cause: error });
    throw error;
  }
}
