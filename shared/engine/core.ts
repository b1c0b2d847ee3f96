import type { TrailEvent } from '../cloudtrail/types';
import type { Config } from '../config/config';
import type { Finding, FindingDraft } from '../findings/finding';
import type { EventLedger } from '../ports/eventLedger';
import type { FindingStore } from '../ports/findingStore';
import type { IamReader } from '../ports/iamReader';
import type { StateStore } from '../ports/roleState';
import type { TrustPart } from '../roles/roleRecord';
import type { RoleView, Rule } from '../rules/types';
import type { PostureResolver } from './posture';
import type { FindingRecorder, RecordedFinding } from './recording';
import type { PolicyResolver } from './roleView';
import type { EngineLogger, RuleRunner } from './ruleRunner';

export type { RecordedFinding } from './recording';
export type { EngineLogger } from './ruleRunner';

export interface EngineDeps {
  state: StateStore;
  findings: FindingStore;
  ledger: EventLedger;
  iam: IamReader;
  config: Config;
  rules: readonly Rule[];
  logger?: EngineLogger;
  /**
   * Called with the findings an event recorded, before the event is marked processed: alerts go out
   * here, so that if they fail the event is retried and its still-pending alerts are sent then. `resolved`:
   * the findings the event resolved (Security Hub archives them).
   */
  notify?: (recorded: RecordedFinding[], resolved: Finding[]) => Promise<void>;
  /** False for backfills of old archives: findings are recorded but never marked for alerting. */
  alerting?: boolean;
}

/** What every stage of the engine works with: the ports, the configuration and the shared pieces. */
export interface EngineCore {
  state: StateStore;
  findings: FindingStore;
  config: Config;
  logger: EngineLogger | undefined;
  rules: RuleRunner;
  resolver: PolicyResolver;
  posture: PostureResolver;
  recorder: FindingRecorder;
}

export interface ProcessResult {
  eventId: string;
  /** processed; duplicate (eventID seen before); ignored (nothing RoleWatch watches, or unusable). */
  status: 'processed' | 'duplicate' | 'ignored';
  findings: RecordedFinding[];
  resolved: Finding[];
}

/** An evaluated event; `commit` marks it processed (with the write that must happen exactly once, if any). */
export interface Evaluation extends ProcessResult {
  commit?: () => Promise<void>;
}

/** The findings one event produces for a role, with the role before and after it. */
export interface RoleEvaluation {
  eventId: string;
  drafts: FindingDraft[];
  previous?: RoleView;
  role?: RoleView;
  /** The trust the event set, when it changed the trust policy. */
  trust?: TrustPart;
  /** Only these rules judged the event again (an assumption after a trust change); others' findings stand. */
  onlyRules?: ReadonlySet<string>;
}

/** Where a role event happens. */
export interface RolePlace {
  account: string;
  resource: string;
  roleName: string;
}

/** The result of an event that needed nothing more. */
export function nothing(event: TrailEvent, status: ProcessResult['status']): ProcessResult {
  return { eventId: event.eventId, status, findings: [], resolved: [] };
}
