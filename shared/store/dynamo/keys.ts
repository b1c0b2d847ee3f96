/**
 * The single-table key design. Every partition key carries the account id, so that several accounts can
 * feed one deployment. The access pattern each key serves is listed in shared/store/README.md.
 */

/** Sort keys sort lexically: times are zero-padded epoch milliseconds. */
export function timeKey(at: number): string {
  return String(Math.max(0, Math.floor(at))).padStart(15, '0');
}

const FINDING_PREFIX = 'FINDING#';

export const keys = {
  /** One item per part of a role: META, CREATED, DELETED, TRUST, BOUNDARY, INLINE#<name>, ATTACHED#<arn>. */
  role: (account: string, roleName: string) => `ROLE#${account}#${roleName}`,
  /** All roles (gsi3): for listing roles without scanning. */
  roleIndex: () => 'ROLES',
  roleIndexSort: (account: string, roleName: string) => `${account}#${roleName}`,
  /** Roles a managed policy is attached to (gsi3, on ATTACHED items). */
  attachedIndex: (account: string, policyArn: string) => `ATTACHED#${account}#${policyArn}`,
  history: (account: string, roleName: string) => `HISTORY#${account}#${roleName}`,
  historySort: (at: number, eventId: string, index: number) => `${timeKey(at)}#${eventId}#${index}`,
  policy: (account: string, arn: string) => `POLICY#${account}#${arn}`,
  /** Assumption edges of a role, one item per source. */
  edges: (account: string, roleArn: string) => `ASSUMED#${account}#${roleArn}`,
  /** Edges by source principal (gsi2) and by source account (gsi3). */
  edgesBySource: (source: string) => `SOURCE#${source}`,
  edgesBySourceAccount: (sourceAccount: string) => `SOURCEACCOUNT#${sourceAccount}`,
  edgeSort: (account: string, roleArn: string) => `${account}#${roleArn}`,
  /** Each assumption of a role (sk `<time>#<eventID>`): the event's mark of processed, and the correlation log. */
  assumptionLog: (account: string, roleArn: string) => `ASSUMPTIONS#${account}#${roleArn}`,
  trustFailures: (account: string, principal: string) => `TRUSTFAIL#${account}#${principal}`,
  monitor: () => 'MONITOR',
  event: (eventId: string) => `EVENT#${eventId}`,
  finding: (id: string) => `${FINDING_PREFIX}${id}`,
  /** Findings by status and severity (gsi1), newest opened first. */
  findingsByStatus: (status: string, severity: string) => `FINDINGS#${status}#${severity}`,
  findingsByStatusSort: (openedAt: number, id: string) => `${timeKey(openedAt)}#${id}`,
  /** Findings of one resource (gsi2). */
  findingsByResource: (account: string, resource: string) => `RESOURCE#${account}#${resource}`,
  summary: (account: string) => `SUMMARY#${account}`,
  /** Facts of one kind about an account's other resources (trust anchors, guardrails, trails): sk the resource id. */
  facts: (account: string, kind: string) => `FACTS#${account}#${kind}`,
  /** The organization's accounts as reconcile last listed them (sk `ACCOUNTS`). */
  organization: (organizationId: string) => `ORG#${organizationId}`,
  /**
   * The parts of a text too large for its item (a megabyte policy document), sk `00000`, `00001`...: named by the
   * text's SHA-256, not by account, as the same text is the same parts wherever it is stored.
   */
  textParts: (sha256: string) => `PARTS#${sha256}`,
  /** The outcome of each account of a reconcile run (sk `ACCOUNT#<account>`); the state machine writes failures. */
  reconcileRun: (runId: string) => `RECONCILE#${runId}`,
  reconcileRunAccount: (account: string) => `ACCOUNT#${account}`,
} as const;

/** The finding id of a finding item's partition key (`FINDING#<id>`). */
export function findingIdOfKey(pk: unknown): string {
  return String(pk).slice(FINDING_PREFIX.length);
}

/** The account and role name of a roles-index sort key (`<account>#<role name>`). */
export function roleOfIndexSort(sortKey: unknown): { account: string; roleName: string } {
  const text = String(sortKey);
  const split = text.indexOf('#');
  return { account: text.slice(0, split), roleName: text.slice(split + 1) };
}

/** The account and role ARN of an assumption-edge partition key (`ASSUMED#<account>#<role arn>`). */
export function roleOfEdgeKey(pk: unknown): { account: string; roleArn: string } {
  const text = String(pk).slice('ASSUMED#'.length);
  const split = text.indexOf('#');
  return { account: text.slice(0, split), roleArn: text.slice(split + 1) };
}
