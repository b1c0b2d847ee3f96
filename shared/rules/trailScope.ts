import { getBoolean, getRecord, getString, getStringList, isRecord } from '../cloudtrail/accessors';
import type { TrailEvent } from '../cloudtrail/types';

/**
 * What a PutEventSelectors or UpdateTrail call does to what a trail logs: the ways it narrows it (management
 * events, reads or writes, Regions, global services, sources excluded, another bucket). Widening it, or changing
 * only data events, narrows nothing. RoleWatch watches write calls and the read-only AssumeRole*: losing either
 * blinds it.
 */

/** The management events a set of selectors logs: reads, writes, and the event sources it leaves out. */
interface ManagementScope {
  reads: boolean;
  writes: boolean;
  excluded: string[];
}

const NOTHING: ManagementScope = { reads: false, writes: false, excluded: [] };

function union(a: ManagementScope, b: ManagementScope): ManagementScope {
  // An event source is left out only if every selector that logs management events leaves it out.
  const excluded =
    a === NOTHING ? b.excluded : b === NOTHING ? a.excluded : a.excluded.filter((source) => b.excluded.includes(source));
  return { reads: a.reads || b.reads, writes: a.writes || b.writes, excluded };
}

/** Basic event selectors: `includeManagementEvents`, `readWriteType`, `excludeManagementEventSources`. */
function basicScope(selectors: readonly unknown[]): ManagementScope {
  return selectors.filter(isRecord).reduce<ManagementScope>((scope, selector) => {
    if (getBoolean(selector, 'includeManagementEvents') === false) return scope;
    const type = getString(selector, 'readWriteType') ?? 'All';
    const excluded = getStringList(selector, 'excludeManagementEventSources');
    return union(scope, { reads: type !== 'WriteOnly', writes: type !== 'ReadOnly', excluded });
  }, NOTHING);
}

/** Advanced event selectors: those whose `eventCategory` equals Management, narrowed by `readOnly` and `eventSource`. */
function advancedScope(selectors: readonly unknown[]): ManagementScope {
  return selectors.filter(isRecord).reduce<ManagementScope>((scope, selector) => {
    const fields = (Array.isArray(selector.fieldSelectors) ? selector.fieldSelectors : []).filter(isRecord);
    const field = (name: string) => fields.find((f) => getString(f, 'field') === name);
    if (!getStringList(field('eventCategory'), 'equals').includes('Management')) return scope;
    const readOnly = getStringList(field('readOnly'), 'equals');
    const excluded = getStringList(field('eventSource'), 'notEquals');
    return union(scope, {
      reads: readOnly.length === 0 || readOnly.includes('true'),
      writes: readOnly.length === 0 || readOnly.includes('false'),
      excluded,
    });
  }, NOTHING);
}

/** The management scope the selectors of a call (or a stored fact) describe; undefined when it names none. */
export function managementScope(source: unknown): ManagementScope | undefined {
  if (!isRecord(source)) return undefined;
  if (Array.isArray(source.advancedEventSelectors)) return advancedScope(source.advancedEventSelectors);
  if (Array.isArray(source.eventSelectors)) return basicScope(source.eventSelectors);
  return undefined;
}

/** How the selectors of `after` narrow what `before` logged (everything, when before is unknown). */
export function selectorNarrowing(after: ManagementScope, before?: ManagementScope): string[] {
  const was = before ?? { reads: true, writes: true, excluded: [] };
  const lost: string[] = [];
  if (was.writes && was.reads && !after.writes && !after.reads) return ['management events are no longer logged'];
  if (was.writes && !after.writes) lost.push('write management events are no longer logged');
  if (was.reads && !after.reads) lost.push('read-only management events (AssumeRole among them) are no longer logged');
  const newly = after.excluded.filter((source) => !was.excluded.includes(source));
  if (newly.length > 0 && (after.reads || after.writes))
    lost.push(`management events of ${newly.join(', ')} are no longer logged`);
  return lost;
}

/** How an UpdateTrail call narrows its trail: only the settings it names count. */
export function updateTrailNarrowing(event: TrailEvent): string[] {
  const request = event.request;
  const lost: string[] = [];
  if (getBoolean(request, 'isMultiRegionTrail') === false) lost.push('the trail now logs one Region only');
  if (getBoolean(request, 'includeGlobalServiceEvents') === false)
    lost.push('global service events (IAM, STS) are no longer logged');
  if (getBoolean(request, 'isOrganizationTrail') === false) lost.push("the organization's member accounts are no longer logged");
  if (getBoolean(request, 'enableLogFileValidation') === false)
    lost.push('log file validation is off: tampered logs go unnoticed');
  const bucket = getString(request, 's3BucketName');
  if (bucket) lost.push(`logs now go to bucket ${bucket}`);
  return lost;
}

/** The selectors a trail was known to have before this call, from the account's facts. */
export function knownSelectors(facts: readonly { id: string; value: Record<string, unknown> }[], trail: string): unknown {
  return facts.find((fact) => fact.id === trail || fact.id.endsWith(`:trail/${trail}`))?.value;
}

/** The request of a PutEventSelectors call, or its response (which echoes what the trail now logs). */
export function selectorsOf(event: TrailEvent): unknown {
  return managementScope(event.request) ? event.request : getRecord(event, 'response');
}
