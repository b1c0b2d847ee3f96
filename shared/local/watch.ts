import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { type AwsUse, withCredentialHint } from '../awsClients';
import { CredentialsError, RoleWatchError } from '../errors';
import type { WatchStatus } from '../ports/reportQueries';

/** Where to look: IAM is global and logged in us-east-1; STS is logged in every region it is called in. */
export interface WatchTarget {
  region: string;
  eventSource: 'iam.amazonaws.com' | 'sts.amazonaws.com';
}

/** The targets for a set of regions: IAM in us-east-1, STS in each region. */
export function watchTargets(regions: readonly string[]): WatchTarget[] {
  const stsRegions = [...new Set(regions.length > 0 ? regions : ['us-east-1'])];
  return [
    { region: 'us-east-1', eventSource: 'iam.amazonaws.com' },
    ...stsRegions.map((region) => ({ region, eventSource: 'sts.amazonaws.com' as const })),
  ];
}

/**
 * Reads the account's recent management events with CloudTrail LookupEvents (the user's credentials; the
 * last 90 days are available, at 2 requests per second per region), from `since` on, every page.
 * Returns the records, which the caller replays (the engine's ledger makes overlaps harmless).
 */
export async function lookupRecords(
  target: WatchTarget,
  since: number,
  client: CloudTrailClient,
): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const input: LookupEventsCommandInput = {
      LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: target.eventSource }],
      StartTime: new Date(since),
      MaxResults: 50,
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
    const page = await client.send(new LookupEventsCommand(input));
    for (const event of page.Events ?? []) {
      if (!event.CloudTrailEvent) continue;
      try {
        records.push(JSON.parse(event.CloudTrailEvent) as Record<string, unknown>);
      } catch {
        // A record CloudTrail could not serialise is skipped; the next poll overlaps anyway.
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return records;
}

/** The calls `--watch` makes with the user's credentials, for its hints and the README. */
export const WATCH_AWS_USE: AwsUse = {
  command: 'npm start -- --watch',
  permissions: ['cloudtrail:LookupEvents', 'iam:GetPolicy', 'iam:GetPolicyVersion'],
};

/** One CloudTrail client per region, made when first asked for; `destroy` closes them all. */
export function cloudTrailClients(): { clientFor: (target: WatchTarget) => CloudTrailClient; destroy: () => void } {
  const clients = new Map<string, CloudTrailClient>();
  return {
    clientFor: (target) => {
      let client = clients.get(target.region);
      if (!client) {
        client = new CloudTrailClient({ region: target.region });
        clients.set(target.region, client);
      }
      return client;
    },
    destroy: () => {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

/**
 * Checks, before the monitor says it is watching, that CloudTrail answers in every region with these
 * credentials: one LookupEvents of a single event per region. A credential problem throws a
 * {@link CredentialsError} saying what to set or grant; any other failure throws too, naming the region: a
 * monitor that cannot read CloudTrail must not look like one watching a quiet account.
 */
export async function checkWatchAccess(
  targets: readonly WatchTarget[],
  clientFor: (target: WatchTarget) => CloudTrailClient,
): Promise<void> {
  const byRegion = new Map(targets.map((target) => [target.region, target]));
  for (const target of byRegion.values()) {
    const probe = new LookupEventsCommand({
      LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: target.eventSource }],
      MaxResults: 1,
    });
    try {
      await withCredentialHint(WATCH_AWS_USE, () => clientFor(target).send(probe));
    } catch (error) {
      if (error instanceof CredentialsError) throw error;
      throw new RoleWatchError(`--watch: CloudTrail LookupEvents in ${target.region} failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
}

/** A running watch: its status, and how to stop it. */
export interface Watch {
  status(): WatchStatus;
  stop(): void;
}

/**
 * Polls every target at an interval and hands new records to `onRecords`. Each target reads from its own last
 * successful read, reaching back `overlapMs` (CloudTrail delivers within minutes, not instantly): a target that
 * fails for a while loses nothing once it answers again. Failures go to `onError` and into the status.
 */
export function startWatching(options: {
  targets: readonly WatchTarget[];
  intervalMs: number;
  overlapMs: number;
  since: number;
  onRecords: (records: Record<string, unknown>[]) => Promise<void>;
  onError: (error: unknown, target: WatchTarget) => void;
  clientFor: (target: WatchTarget) => CloudTrailClient;
  now?: () => number;
}): Watch {
  const now = options.now ?? Date.now;
  const key = (target: WatchTarget) => `${target.region}|${target.eventSource}`;
  const readFrom = new Map(options.targets.map((target) => [key(target), options.since]));
  const failingFrom = new Map<string, number>();
  const state: WatchStatus = {
    status: 'watching',
    startedAt: now(),
    regions: [...new Set(options.targets.map((target) => target.region))],
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const started = now();
    for (const target of options.targets) {
      if (stopped) return;
      try {
        const from = (readFrom.get(key(target)) ?? options.since) - options.overlapMs;
        const records = await lookupRecords(target, from, options.clientFor(target));
        if (records.length > 0) await options.onRecords(records);
        readFrom.set(key(target), started);
        failingFrom.delete(key(target));
      } catch (error) {
        const at = now();
        if (!failingFrom.has(key(target))) failingFrom.set(key(target), at);
        state.lastError = { at, region: target.region, eventSource: target.eventSource, message: messageOf(error) };
        options.onError(error, target);
      }
    }
    if (failingFrom.size === 0) {
      state.status = 'watching';
      state.lastSuccessAt = started;
      delete state.failingSince;
    } else {
      state.status = 'failing';
      state.failingSince = Math.min(...failingFrom.values());
    }
    if (!stopped) timer = setTimeout(() => void poll(), options.intervalMs);
  };
  void poll();
  return {
    status: () => structuredClone(state),
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
