import type { Finding, FindingStatus } from '../../../findings/finding';
import { FINDING_STATUSES } from '../../../findings/finding';
import { SEVERITIES, type Severity } from '../../../findings/severity';
import type { Position } from '../../../ports/reportQueries';
import type { Stamp } from '../../../roles/roleRecord';
import type { DynamoFindingStore } from '../DynamoFindingStore';
import type { DynamoStateStore } from '../DynamoStateStore';
import type { DynamoTable, Item, Key } from '../DynamoTable';
import { keys } from '../keys';

/**
 * What the report queries share: the table and the stores whose item formats they read through (findings and
 * role state have one reader each), and the small conversions between items, keys and API positions.
 */
export interface ReportTables {
  table: DynamoTable;
  findings: DynamoFindingStore;
  state: DynamoStateStore;
}

/** Items one list request examines at most (index keys and items) before it answers a short page with a cursor. */
export const MAX_EXAMINED = 2_000;
/** Concurrent requests one API call sends at most (per-role queries, edge reads). */
export const PARALLEL = 16;
/** Keys per batch get of finding reads (BatchGetItem takes up to 100). */
const READ_CHUNK = 100;
/** A role name as IAM allows it. */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/;

/** A few attributes of many items: a projected, eventually consistent batch get. Missing items are left out. */
export function readItems(table: DynamoTable, keyList: readonly Key[], attributes: readonly string[]): Promise<Item[]> {
  return table.batchGet(keyList, { attributes, consistent: false });
}

/** Findings in full, through DynamoFindingStore (its item format has one reader), in parallel chunks. */
export async function findingsById(findings: DynamoFindingStore, ids: readonly string[]): Promise<Map<string, Finding>> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += READ_CHUNK) chunks.push(ids.slice(i, i + READ_CHUNK));
  const found = await Promise.all(chunks.map((chunk) => findings.getMany(chunk)));
  return new Map(found.flat().map((finding) => [finding.id, finding]));
}

export function findingKey(id: string): Key {
  return { pk: keys.finding(id), sk: 'FINDING' };
}

/** gsi1sk is `<zero-padded opened-at ms>#<id>`. */
export function openedAtOf(sortKey: string): number {
  return Number(sortKey.slice(0, sortKey.indexOf('#')));
}

export function stampOf(item: Item | undefined): Stamp | undefined {
  if (!item) return undefined;
  return item.phase === 0 || item.phase === 2
    ? { at: Number(item.at), eventId: String(item.eventId), phase: item.phase }
    : { at: Number(item.at), eventId: String(item.eventId) };
}

/** A position's value; a position without it is not one this store made. */
export function positionValue(position: Position, name: string): string {
  const value = position[name];
  if (typeof value !== 'string') throw new Error('the position is not one of this list (the API signs positions into cursors)');
  return value;
}

/** A position that is a DynamoDB key (LastEvaluatedKey, or the key of the last item returned). */
export function stringPosition(key: Item): Position {
  return Object.fromEntries(Object.entries(key).map(([name, value]) => [name, String(value)]));
}

export function startKey(position: Position): Item {
  if (typeof position.pk !== 'string' || typeof position.sk !== 'string')
    throw new Error('the position is not one of this list (the API signs positions into cursors)');
  return { ...position };
}

export function zeroBySeverity(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function isStatus(value: unknown): value is FindingStatus {
  return typeof value === 'string' && (FINDING_STATUSES as readonly string[]).includes(value);
}

/** Code-unit order, as DynamoDB sorts keys (localeCompare would not). */
export function ascending(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function descending(a: string, b: string): number {
  return ascending(b, a);
}
