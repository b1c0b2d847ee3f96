import type { AssumptionEdge, AssumptionFailure, AssumptionObservation, StateStore } from '../ports/roleState';

/** Source IP addresses an edge keeps as samples, for the person investigating. */
export const SAMPLE_IPS = 5;

/** The edge of a source's first assumption of a role. */
export function newEdge(o: AssumptionObservation): AssumptionEdge {
  const edge: AssumptionEdge = {
    account: o.account,
    roleArn: o.roleArn,
    source: o.source,
    sourceType: o.sourceType,
    firstSeen: o.at,
    lastSeen: o.at,
    count: 1,
    regions: [o.region],
    sampleIps: o.sourceIp ? [o.sourceIp] : [],
  };
  if (o.sourceAccount) edge.sourceAccount = o.sourceAccount;
  return edge;
}

/**
 * Counts one more assumption into an edge, in place. Its arrays are replaced, never changed, so a shallow copy
 * of an edge can be counted into without touching the original.
 */
export function countAssumption(edge: AssumptionEdge, o: AssumptionObservation, sampleIps = SAMPLE_IPS): void {
  edge.count += 1;
  if (o.at < edge.firstSeen) edge.firstSeen = o.at;
  if (o.at > edge.lastSeen) edge.lastSeen = o.at;
  if (!edge.regions.includes(o.region)) edge.regions = [...edge.regions, o.region];
  if (o.sourceIp && edge.sampleIps.length < sampleIps && !edge.sampleIps.includes(o.sourceIp))
    edge.sampleIps = [...edge.sampleIps, o.sourceIp];
}

/** The key of an edge: role and source. */
function edgeKey(account: string, roleArn: string, source: string): string {
  return `${account}\u0000${roleArn}\u0000${source}`;
}

/**
 * The assumptions of one SQS batch, recorded together when the batch is done: one write per edge instead of
 * one per event. Until then the batch answers for what it holds, so the events after an assumption see it as
 * the store would (the edge counts it, its event is a duplicate), and the rules judge each event as if every
 * earlier one had been recorded at once.
 */
export class AssumptionBatch {
  private readonly observations = new Map<string, AssumptionObservation>();
  /** Edges as the store had them when first read in this batch, with the batch's assumptions counted in. */
  private readonly edges = new Map<string, AssumptionEdge | undefined>();

  constructor(private readonly state: StateStore) {}

  /** Whether the store recorded this assumption, or this batch holds it. */
  async isAssumptionRecorded(account: string, roleArn: string, at: number, eventId: string): Promise<boolean> {
    return this.observations.has(eventId) || this.state.isAssumptionRecorded(account, roleArn, at, eventId);
  }

  /** The edge as it will be once the batch is recorded (as far as this batch knows). */
  async getAssumption(account: string, roleArn: string, source: string): Promise<AssumptionEdge | undefined> {
    const key = edgeKey(account, roleArn, source);
    if (!this.edges.has(key)) this.edges.set(key, await this.state.getAssumption(account, roleArn, source));
    return this.edges.get(key);
  }

  /** Holds an assumption for the batch's write. Its edge must have been read through `getAssumption` first. */
  add(o: AssumptionObservation): void {
    if (this.observations.has(o.eventId)) return;
    this.observations.set(o.eventId, o);
    const key = edgeKey(o.account, o.roleArn, o.source);
    const known = this.edges.get(key);
    if (!known) {
      this.edges.set(key, newEdge(o));
      return;
    }
    const edge = { ...known };
    countAssumption(edge, o);
    this.edges.set(key, edge);
  }

  /** Records every assumption held (once each), and returns those that could not be recorded. */
  async commit(): Promise<AssumptionFailure[]> {
    const held = [...this.observations.values()];
    this.observations.clear();
    this.edges.clear();
    return held.length > 0 ? this.state.recordAssumptions(held) : [];
  }
}
