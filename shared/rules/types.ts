import type { TrailEvent } from '../cloudtrail/types';
import type { Config } from '../config/config';
import type { Severity } from '../findings/severity';
import type { PolicyDocument } from '../policy/types';
import type { LastUsed } from '../roles/roleRecord';

export type { Severity } from '../findings/severity';

/**
 * A permission policy (or boundary) as the rules see it: resolved to its document when possible.
 * `error` says why there is no document (malformed, or a customer policy that could not be read).
 */
export interface PolicyRef {
  kind: 'inline' | 'managed' | 'boundary';
  /** Inline policy name, or managed policy name. */
  name: string;
  arn?: string;
  awsManaged: boolean;
  document?: PolicyDocument;
  error?: string;
  /** The document this event replaced (new policy version, inline policy overwritten, boundary replaced). */
  previous?: PolicyDocument;
}

/** A role as the rules see it at one point in time. */
export interface RoleView {
  account: string;
  name: string;
  arn: string;
  /** Epoch ms of CreateRole, when known. */
  createdAt?: number;
  trust?: PolicyDocument;
  trustError?: string;
  /** Current permission policies: inline and attached. */
  policies: PolicyRef[];
  boundary?: PolicyRef;
  /**
   * The latest trust change: when, the principals it added ('AWS:…', 'Service:…', 'Federated:…', '*'),
   * and whether it was the role's creation (everything it trusts counts as added).
   */
  trustChange?: { at: number; added: string[]; initial: boolean };
  /**
   * IAM's RoleLastUsed as last read by reconcile or scan: `observedAt` when it was read (epoch ms), `at` the
   * LastUsedDate (absent: no use in IAM's tracking period), `region` where it was used.
   */
  lastUsed?: LastUsed;
}

/** What the engine knows about a role assumption (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML). */
export interface AssumptionFacts {
  roleArn: string;
  roleName: string;
  roleAccount: string;
  /** Canonical source: principal ARN, service name, `provider:subject`, or account id. */
  source: string;
  sourceAccount?: string;
  sourceType: 'aws' | 'service' | 'web-identity' | 'saml';
  /** This source never assumed this role before. */
  isFirstTime: boolean;
  /** Still within the learning period after monitoring began: no "first time" alerts yet. */
  isLearning: boolean;
  /** The caller is itself an assumed-role session. */
  isChained: boolean;
}

/**
 * One of an account's resources other than roles and policies, as RoleWatch knows it from the events that set
 * it (a Roles Anywhere trust anchor, a guardrail policy, a trail): `at` is the time of the event that last did.
 */
export interface AccountFact {
  kind: string;
  id: string;
  at: number;
  value: Record<string, unknown>;
}

/**
 * Everything a rule may look at. No I/O, no clock: time comes from events and state. One type per path of the
 * engine that calls rules, told apart by `path`: a rule narrows on it to see which path called it and what that
 * path gives (the fields another path never sets are typed `undefined` there).
 */
export type RuleContext =
  | RoleChangeContext
  | PolicyVersionContext
  | AssumptionContext
  | FailedCallContext
  | EventContext
  | PostureContext;

/** The engine path that called the rule. */
export type RulePath = RuleContext['path'];

interface ContextBase {
  /** The event under evaluation; absent when the engine re-evaluates a role's whole state (reconcile, resolution). */
  event?: TrailEvent;
  /** The role after the event. */
  role?: RoleView;
  /** The role before the event; absent when it was unknown. */
  previous?: RoleView;
  /** Permission and boundary policies this event introduced or replaced; all of the role's on a re-evaluation. */
  changed: PolicyRef[];
  /** The trust policy was set or replaced by this event (always true on a re-evaluation). */
  trustChanged: boolean;
  assumption?: AssumptionFacts;
  /** Failed UpdateAssumeRolePolicy calls by the same principal within the enumeration window, this one included. */
  failedTrustUpdates?: number;
  /** Epoch ms the judgement is for when there is no event (check-policy passes the current time). */
  at?: number;
  /** The account's facts of the kinds the rule reads (Rule.facts), before the event: live ones only, by kind. */
  facts?: Readonly<Record<string, readonly AccountFact[]>>;
  /** The roles the event binds to a workload or identity (Rule.boundRoles), as RoleWatch knows them now. */
  boundRoles?: readonly RoleView[];
  config: Config;
}

/** A role event (creation, trust, inline or attached policy, boundary, deletion, tags), in order or replayed late. */
export interface RoleChangeContext extends ContextBase {
  path: 'role-change';
  event: TrailEvent;
  assumption?: undefined;
  failedTrustUpdates?: undefined;
}

/**
 * A customer-managed policy event: with a new default version, once per role the policy is attached to (role and
 * previous set, the new version in `changed`); otherwise once, without a role.
 */
export interface PolicyVersionContext extends ContextBase {
  path: 'policy-version';
  event: TrailEvent;
  assumption?: undefined;
  failedTrustUpdates?: undefined;
}

/** A role assumption: the role (its identity, creation and latest trust change; no policies) and the facts. */
export interface AssumptionContext extends ContextBase {
  path: 'assumption';
  event: TrailEvent;
  role: RoleView;
  assumption: AssumptionFacts;
  previous?: undefined;
  failedTrustUpdates?: undefined;
}

/** A call that failed (errorCode set), for the rules that see failed calls. */
export interface FailedCallContext extends ContextBase {
  path: 'failed-call';
  event: TrailEvent;
  role?: undefined;
  previous?: undefined;
  assumption?: undefined;
}

/** Any other watched event (CloudTrail, GuardDuty, Organizations...): the event alone. */
export interface EventContext extends ContextBase {
  path: 'event';
  event: TrailEvent;
  role?: undefined;
  previous?: undefined;
  assumption?: undefined;
  failedTrustUpdates?: undefined;
}

/** A role's whole current state, outside any event: posture resolution, reconcile, check-policy. */
export interface PostureContext extends ContextBase {
  path: 'posture';
  event?: undefined;
  role: RoleView;
  previous?: undefined;
  assumption?: undefined;
  failedTrustUpdates?: undefined;
}

/** One thing a rule found. Several matches of one rule on one resource are told apart by `qualifier`. */
export interface RuleMatch {
  /** ARN of what the finding is about; defaults to the role's ARN. */
  resource?: string;
  /** Distinguishes findings of one rule on one resource: a policy ARN, a principal, a method name. */
  qualifier?: string;
  /** One line a person reads first. */
  detail: string;
  /** Overrides the rule's default severity for this match (e.g. a narrowing trust change is info). */
  severity?: Severity;
  /** Structured facts for the API and alerts (principals, actions, conditions). */
  evidence?: Record<string, unknown>;
  /** Human-readable policy diff lines. */
  diff?: string[];
}

/**
 * A detection rule: data plus a pure function.
 * - posture rules describe the role's current state; the engine re-checks them on every change and
 *   resolves their findings when they no longer hold;
 * - event rules describe something that happened; their findings stay until a person acts.
 */
export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  kind: 'posture' | 'event';
  /**
   * The compliance items and ATT&CK techniques a finding of this rule evidences, as `<framework>-<item>`
   * (`CIS-5.0-1.15`, `SecurityHub-IAM.1`, `NIST-800-53-r5-AC-6`, `PCI-DSS-4.0-7.2.2`, `ATTACK-T1098.003`).
   * Every id must be listed in controls.ts with its source; a test checks it. At least one.
   */
  controls: readonly string[];
  /** CloudTrail eventNames the rule listens to. */
  events: readonly string[];
  /**
   * The CloudTrail eventSource of `events` when it is not the one RoleWatch knows them by (IAM, STS, the
   * monitor's services): other services reuse IAM's names (organizations CreatePolicy). The engine hands a rule
   * every event of its names; the rule checks the source.
   */
  source?: string;
  /** Also sees calls that failed (errorCode set), e.g. to detect probing. Other rules never do. */
  includeFailedCalls?: boolean;
  /**
   * An assumption rule that judges the assumption by the role's trust change before it, for assumptions from
   * these kinds of source: when that trust change arrives after such assumptions, the rule is evaluated again
   * for them (the engine keeps them for that).
   */
  correlatesTrustChanges?: readonly AssumptionFacts['sourceType'][];
  /**
   * Kinds of account facts the rule reads (RuleContext.facts); as a function, those it needs for one event (so
   * that the engine reads none for the events the rule ignores).
   */
  facts?: readonly string[] | ((event: TrailEvent) => readonly string[]);
  /** The ARNs of the roles an event binds to a workload or identity: the engine gives the rule their state (RuleContext.boundRoles). */
  boundRoles?: (event: TrailEvent, facts: Readonly<Record<string, readonly AccountFact[]>>) => readonly string[];
  /** Where AWS documents the CloudTrail events the rule reads (eventSource, eventName, request and response fields). */
  references?: readonly string[];
  /**
   * When the rule raises a finding, in one line of markdown: the "fires when" cell of the rule catalogue
   * (shared/rules/README.md, rendered by catalogue.ts).
   */
  firesWhen: string;
  /** How a finding's severity departs from `severity`, when it does (markdown): 'info when it only narrows'. */
  severityNote?: string;
  rationale: string;
  remediation: string;
  evaluate(ctx: RuleContext): RuleMatch[];
}
