import type { Finding, FindingStatus } from '../findings/finding';
import type { Severity } from '../findings/severity';
import type { LastUsed, RoleRecord } from '../roles/roleRecord';
import type { RoleView } from '../rules/types';
import type { AssumptionEdge, HistoryEntry } from './roleState';

/**
 * Where a list continues: key values of the store, opaque to the API, which signs them into cursors.
 * The store only ever receives positions it produced itself (the cursor's signature guarantees it).
 */
export type Position = Record<string, string>;

/** One page of a list; `next` is absent when the list is exhausted. */
export interface Page<T> {
  items: T[];
  next?: Position;
}

/** How much of a list to read and from where. */
export interface PageRequest {
  limit: number;
  after?: Position;
}

/** Filters of GET /findings. `role` is a role name (any account, or `account`) or a role ARN. */
export interface FindingFilter {
  statuses: readonly FindingStatus[];
  severities: readonly Severity[];
  rules?: readonly string[];
  role?: string;
  account?: string;
  /** Epoch ms: findings (re)opened at or after this time. */
  since?: number;
  /** Epoch ms: findings (re)opened before this time. */
  until?: number;
}

/** A finding with the time it was last opened: the order of finding lists (newest first). */
export interface ListedFinding {
  finding: Finding;
  openedAt: number;
}

/** A role RoleWatch has state for. */
export interface RoleRef {
  account: string;
  roleName: string;
  arn: string;
}

/** A role in GET /roles: its open findings counted by severity. */
export interface RoleListing extends RoleRef {
  deleted: boolean;
  open: Record<Severity, number>;
  /** IAM's RoleLastUsed as reconcile or scan last read it. */
  lastUsed?: LastUsed;
}

/** What GET /roles/{name} shows: the stored parts of the role and its open findings. */
export interface RoleSnapshot {
  record: RoleRecord;
  openFindings: ListedFinding[];
  /** False for a role seen only through its assumptions or findings: whether it exists is unknown. */
  stateSeen?: boolean;
}

/** Filters of GET /assumptions: at least one of role, source, sourceAccount. */
export interface AssumptionFilter {
  /** Role name (with `account` when several accounts have it) or role ARN. */
  role?: string;
  account?: string;
  /** Source principal: ARN, service principal or web-identity subject. */
  source?: string;
  sourceAccount?: string;
  /** Epoch ms: edges last seen at or after this time. */
  since?: number;
}

/** A role with the most open critical and high findings among those read for the summary. */
export interface RiskyRole extends RoleRef {
  open: { critical: number; high: number };
  /** Newest lastSeen of those findings (epoch ms). */
  lastSeen: number;
}

/**
 * What the local monitor's CloudTrail watch (`npm start -- --watch`) says of itself; times in epoch ms. The
 * deployed API has none: EventBridge delivers there, and `rolewatch doctor` checks that path.
 */
export interface WatchStatus {
  /** `failing` while the last read of some region failed: events since `failingSince` may be missing. */
  status: 'watching' | 'failing';
  startedAt: number;
  regions: string[];
  /** The last round of reads in which every region answered. */
  lastSuccessAt?: number;
  /** Since when reads have been failing, while they are. */
  failingSince?: number;
  /** The newest failure, kept after recovery for the record. */
  lastError?: { at: number; region: string; eventSource: string; message: string };
}

/** What GET /summary shows. */
export interface ReportSummary {
  accounts: string[];
  /** From the summary counters: status → severity → count. */
  byStatus: Record<FindingStatus, Record<Severity, number>>;
  /** From the summary counters: rule id → status → count. */
  byRule: Record<string, Record<FindingStatus, number>>;
  riskiestRoles: RiskyRole[];
  /** `recorded` when the monitor records it, `findings` when derived from the findings read (a lower bound). */
  lastEvent?: { at: number; basis: 'recorded' | 'findings' };
}

/** Where the key that signs the API's cursors is kept, so that every container signs and checks alike. */
export interface CursorKeyStore {
  /** The stored key, or undefined before one is stored. */
  loadCursorKey(): Promise<Uint8Array | undefined>;
  /** Stores `key` unless one is stored already, and returns the key that is kept (the first stored wins). */
  keepCursorKey(key: Uint8Array): Promise<Uint8Array>;
}

/** The read side of the reporting API. Lists never scan: each filter says in the adapter what it costs. */
export interface ReportStore extends CursorKeyStore {
  listFindings(filter: FindingFilter, page: PageRequest): Promise<Page<ListedFinding>>;
  getFinding(id: string): Promise<ListedFinding | undefined>;
  /** The roles a name (in one account, or in any) or an ARN designates; empty when none is known. */
  resolveRole(role: string, account?: string): Promise<RoleRef[]>;
  listRoles(filter: { account?: string }, page: PageRequest): Promise<Page<RoleListing>>;
  roleSnapshot(role: RoleRef): Promise<RoleSnapshot | undefined>;
  roleHistory(role: RoleRef, page: PageRequest): Promise<Page<HistoryEntry>>;
  listAssumptions(filter: AssumptionFilter, page: PageRequest): Promise<Page<AssumptionEdge>>;
  summary(filter: { account?: string }): Promise<ReportSummary>;
  /** A role as the rules see it now (policies resolved from the table, never from IAM); undefined when it does not exist. */
  roleView(role: RoleRef): Promise<RoleView | undefined>;
  /** Up to `limit` assumption edges of a role, and whether it has more. */
  roleEdges(role: RoleRef, limit: number): Promise<{ edges: AssumptionEdge[]; truncated: boolean }>;
  /** Findings by the UTC day (`YYYY-MM-DD`) they were last opened, then severity, any status: index keys only. */
  openedPerDay(filter: { since: number; until: number; account?: string }): Promise<Map<string, Record<Severity, number>>>;
}

/** A person's decisions on a finding (DynamoFindingStore implements them). Undefined when there is no such finding. */
export interface FindingDecisions {
  suppress(id: string, suppression: { reason: string; by: string; until?: string }): Promise<Finding | undefined>;
  reopen(id: string): Promise<Finding | undefined>;
}
