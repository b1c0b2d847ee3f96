import type { MonitorProbe, TrailSelectors, TrailSummary } from './probe';
import { type CheckResult, cannotTell, fail, pass } from './result';

/** Which management events a trail's selectors log, as far as RoleWatch needs them. */
export interface ManagementCoverage {
  /** Read-only management events of STS: AssumeRole and the other assume calls. */
  reads: boolean;
  /** Write management events of IAM, CloudTrail and EventBridge. */
  writes: boolean;
}

/**
 * Reads basic selectors (ReadWriteType, IncludeManagementEvents) and advanced ones (eventCategory =
 * Management, optionally readOnly, optionally eventSource NotEquals). A selector that excludes
 * sts.amazonaws.com gives no assumption; one that excludes iam.amazonaws.com gives no IAM change.
 */
export function managementCoverage(selectors: TrailSelectors): ManagementCoverage {
  const coverage: ManagementCoverage = { reads: false, writes: false };
  for (const selector of selectors.basic) {
    if (!selector.includeManagementEvents) continue;
    if (selector.readWriteType === 'All' || selector.readWriteType === 'ReadOnly') coverage.reads = true;
    if (selector.readWriteType === 'All' || selector.readWriteType === 'WriteOnly') coverage.writes = true;
  }
  for (const selector of selectors.advanced) {
    const field = (name: string) => selector.fields.find((f) => f.field === name);
    if (!field('eventCategory')?.equals?.includes('Management')) continue;
    const readOnly = field('readOnly');
    const logsReads = readOnly === undefined || readOnly.equals?.includes('true') || readOnly.notEquals?.includes('false');
    const logsWrites = readOnly === undefined || readOnly.equals?.includes('false') || readOnly.notEquals?.includes('true');
    const excluded = field('eventSource')?.notEquals ?? [];
    if (logsReads && !excluded.includes('sts.amazonaws.com')) coverage.reads = true;
    if (logsWrites && !excluded.includes('iam.amazonaws.com')) coverage.writes = true;
  }
  return coverage;
}

/** How one trail does for RoleWatch: fine, a problem with its fix, or unreadable. */
type TrailVerdict = { trail: TrailSummary; ok: true } | { trail: TrailSummary; ok: false; problem: string; fix: string };

async function judgeTrail(probe: MonitorProbe, trail: TrailSummary): Promise<TrailVerdict> {
  const [logging, selectors] = await Promise.all([probe.isLogging(trail), probe.selectors(trail)]);
  const at = `--region ${trail.homeRegion}`;
  if (!logging)
    return {
      trail,
      ok: false,
      problem: `${describeTrail(trail)} is not logging: no event reaches EventBridge`,
      fix: `aws cloudtrail start-logging --name ${trail.arn} ${at}`,
    };
  const { reads, writes } = managementCoverage(selectors);
  if (reads && writes) return { trail, ok: true };
  const what = writes
    ? 'write management events only: AssumeRole is a read event, so RoleWatch sees no role assumption'
    : reads
      ? 'read management events only: RoleWatch sees no IAM change'
      : 'no management events';
  const selectorFix =
    selectors.advanced.length > 0
      ? `--advanced-event-selectors '[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]'`
      : `--event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`;
  return {
    trail,
    ok: false,
    problem: `${describeTrail(trail)} logs ${what}`,
    fix: `aws cloudtrail put-event-selectors --trail-name ${trail.arn} ${at} ${selectorFix} (this replaces the trail's selectors: list its data event selectors too, if it has any)`,
  };
}

function describeTrail(trail: TrailSummary): string {
  const scope = [trail.organization ? 'organization' : '', trail.multiRegion ? 'multi-region' : trail.homeRegion]
    .filter(Boolean)
    .join(', ');
  return `trail ${trail.name} (${scope})`;
}

/**
 * Is a trail logging management events, read and write, in this region, and logging? A trail of the region,
 * a multi-region trail or an organization trail all count; one good trail is enough.
 */
export async function checkTrail(probe: MonitorProbe, region: string): Promise<CheckResult> {
  const check = `trail:${region}`;
  const trails = (await probe.trails(region)).filter((trail) => trail.multiRegion || trail.homeRegion === region);
  if (trails.length === 0)
    return fail(
      check,
      `no trail logs ${region}: without one, CloudTrail delivers no API call to EventBridge and RoleWatch sees nothing`,
      `aws cloudtrail create-trail --name rolewatch-trail --s3-bucket-name <a bucket whose policy lets CloudTrail write> --is-multi-region-trail --region ${region} && aws cloudtrail start-logging --name rolewatch-trail --region ${region}`,
    );
  const verdicts = await Promise.all(
    trails.map((trail) => judgeTrail(probe, trail).catch((error: unknown) => ({ trail, error }))),
  );
  const good = verdicts.find((v) => 'ok' in v && v.ok);
  if (good) return pass(check, `${describeTrail(good.trail)} logs read and write management events and is logging`);
  const unreadable = verdicts.find((v) => 'error' in v);
  if (unreadable && 'error' in unreadable) return cannotTell(check, unreadable.error);
  const problems = verdicts.flatMap((v) => ('problem' in v ? [v] : []));
  const [first] = problems;
  if (!first) throw new Error(`no verdict for the trails of ${region}`);
  return fail(check, problems.map((p) => p.problem).join('; '), first.fix);
}
