import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';

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
  client: CloudTrailClient = new CloudTrailClient({ region: target.region }),
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

/**
 * Polls every target at an interval and hands new records to `onRecords`. Each poll reaches back `overlapMs`
 * before the previous one (CloudTrail delivers within minutes, not instantly). Returns a stop function.
 */
export function startWatching(options: {
  targets: readonly WatchTarget[];
  intervalMs: number;
  overlapMs: number;
  since: number;
  onRecords: (records: Record<string, unknown>[]) => Promise<void>;
  onError: (error: unknown, target: WatchTarget) => void;
  clients?: (target: WatchTarget) => CloudTrailClient;
}): () => void {
  let since = options.since;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const clients = new Map<string, CloudTrailClient>();
  const clientFor = (target: WatchTarget) => {
    if (options.clients) return options.clients(target);
    let client = clients.get(target.region);
    if (!client) {
      client = new CloudTrailClient({ region: target.region });
      clients.set(target.region, client);
    }
    return client;
  };
  const poll = async () => {
    const started = Date.now();
    for (const target of options.targets) {
      if (stopped) return;
      try {
        const records = await lookupRecords(target, since - options.overlapMs, clientFor(target));
        if (records.length > 0) await options.onRecords(records);
      } catch (error) {
        options.onError(error, target);
      }
    }
    since = started;
    if (!stopped) timer = setTimeout(() => void poll(), options.intervalMs);
  };
  void poll();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    for (const client of clients.values()) client.destroy();
  };
}
