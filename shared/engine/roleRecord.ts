/**
 * What RoleWatch remembers of a role: each part (trust, each inline policy, each attachment, the
 * boundary, creation, deletion) carries the time and eventID of the change that set it, and a change is
 * applied only if it is newer than what is stored (last writer wins on (eventTime, eventID)). So the
 * state after a set of events does not depend on the order they arrived in, a redelivered event changes
 * nothing, and two writers on different parts of one role never lose each other's update.
 */

/** When a part was last set: event time (epoch ms) with the eventID as tie-breaker. */
export interface Stamp {
  at: number;
  eventId: string;
}

export interface RoleRecord {
  account: string;
  roleName: string;
  arn: string;
  created?: Stamp & { by?: string };
  deleted?: Stamp;
  trust?: Stamp & { document: string; added: string[] };
  inline: Record<string, Stamp & { document: string | null }>;
  attached: Record<string, Stamp & { attached: boolean }>;
  boundary?: Stamp & { arn: string | null };
}

/** One change to one part of a role. */
export type RoleChange =
  | { part: 'created'; stamp: Stamp; by?: string }
  | { part: 'deleted'; stamp: Stamp }
  | { part: 'trust'; stamp: Stamp; document: string; added: string[] }
  | { part: 'inline'; stamp: Stamp; name: string; document: string | null }
  | { part: 'attached'; stamp: Stamp; arn: string; attached: boolean }
  | { part: 'boundary'; stamp: Stamp; arn: string | null };

/** True when `candidate` should replace `current`. Equal stamps are the same event: no change. */
export function isNewerStamp(candidate: Stamp, current: Stamp | undefined): boolean {
  if (!current) return true;
  if (candidate.at !== current.at) return candidate.at > current.at;
  return candidate.eventId > current.eventId;
}

export function emptyRoleRecord(account: string, roleName: string, arn: string): RoleRecord {
  return { account, roleName, arn, inline: {}, attached: {} };
}

/**
 * Applies changes with last-writer-wins per part. Returns a new record; the input is not modified.
 * `force` applies them whatever their time: the role as this event made it, for evaluating the event
 * itself even when it arrived after a newer one.
 */
export function applyRoleChanges(
  record: RoleRecord,
  changes: readonly RoleChange[],
  options: { force?: boolean } = {},
): RoleRecord {
  const next: RoleRecord = { ...record, inline: { ...record.inline }, attached: { ...record.attached } };
  const isNewer = options.force ? () => true : isNewerStamp;
  for (const change of changes) {
    switch (change.part) {
      case 'created':
        if (isNewer(change.stamp, next.created)) next.created = { ...change.stamp, ...(change.by ? { by: change.by } : {}) };
        break;
      case 'deleted':
        if (isNewer(change.stamp, next.deleted)) next.deleted = change.stamp;
        break;
      case 'trust':
        if (isNewer(change.stamp, next.trust)) next.trust = { ...change.stamp, document: change.document, added: change.added };
        break;
      case 'inline':
        if (isNewer(change.stamp, next.inline[change.name]))
          next.inline[change.name] = { ...change.stamp, document: change.document };
        break;
      case 'attached':
        if (isNewer(change.stamp, next.attached[change.arn]))
          next.attached[change.arn] = { ...change.stamp, attached: change.attached };
        break;
      case 'boundary':
        if (isNewer(change.stamp, next.boundary)) next.boundary = { ...change.stamp, arn: change.arn };
        break;
    }
  }
  return next;
}

/** A role exists unless its latest deletion is newer than its latest creation. */
export function roleExists(record: RoleRecord): boolean {
  return !record.deleted || (record.created !== undefined && isNewerStamp(record.created, record.deleted));
}

/**
 * The live parts of a role: parts set before the role was (re)created belong to an earlier role of the
 * same name and are ignored.
 */
export function liveParts(record: RoleRecord): {
  trust?: RoleRecord['trust'];
  inline: { name: string; document: string }[];
  attached: string[];
  boundary?: string;
} {
  const since = record.created;
  const live = (stamp: Stamp) => !since || !isNewerStamp(since, stamp);
  const inline = Object.entries(record.inline)
    .filter(([, part]) => part.document !== null && live(part))
    .map(([name, part]) => ({ name, document: part.document as string }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const attached = Object.entries(record.attached)
    .filter(([, part]) => part.attached && live(part))
    .map(([arn]) => arn)
    .sort();
  const trust = record.trust && live(record.trust) ? record.trust : undefined;
  const boundary = record.boundary && record.boundary.arn !== null && live(record.boundary) ? record.boundary.arn : undefined;
  return { ...(trust ? { trust } : {}), inline, attached, ...(boundary ? { boundary } : {}) };
}
