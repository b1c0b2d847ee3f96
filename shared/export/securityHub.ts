import type { AwsSecurityFinding, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { clip } from '../alerts/text';
import { RoleWatchError } from '../errors';
import type { Finding, FindingTransition } from '../findings/finding';
import type { Severity } from '../findings/severity';
import { parseControl, securityHubRequirements } from '../rules/controls';
import { controlsOf } from '../rules/index';

/**
 * AWS Security Hub CSPM export: each finding becomes an ASFF finding of the account it is about (Security Hub
 * takes BatchImportFindings only from the account named in AwsAccountId, so organization mode imports through
 * the member role), re-imported when it changes, archived when it resolves, and its workflow set to
 * SUPPRESSED with the reason when a person suppresses it (BatchImportFindings cannot change Workflow once a
 * finding exists: that is BatchUpdateFindings).
 */

/** One finding state to send: the finding, and what recording did to it when known. */
export interface FindingChange {
  finding: Finding;
  transition?: FindingTransition | 'resolved';
}

/** Where findings go besides alerts (Security Hub when enabled). */
export interface FindingExporter {
  export(changes: readonly FindingChange[]): Promise<void>;
}

export interface SecurityHubExporterOptions {
  /** The Security Hub client of an account (its own role's, or the member role's in organization mode). */
  clientFor(account: string): Promise<Pick<SecurityHubClient, 'send'>>;
  /** The region RoleWatch runs and imports in (Security Hub is regional; findings of IAM, a global service, go to one region). */
  region: string;
  partition?: string;
  productVersion: string;
  /** The reporting API's base URL, for links to the finding. */
  apiUrl?: string;
  /** Attempts per batch (throttling, failed findings), with exponential back-off. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** BatchImportFindings and BatchUpdateFindings take at most 100 findings. */
export const SECURITY_HUB_BATCH = 100;

const LABEL: Record<Severity, 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL'> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFORMATIONAL',
};

/** The first ATT&CK tactic of each technique RoleWatch maps to, as ASFF's TTPs category names it. */
const TACTIC: Record<string, string> = {
  T1078: 'Initial Access',
  T1087: 'Discovery',
  T1098: 'Persistence',
  T1136: 'Persistence',
  T1199: 'Initial Access',
  T1484: 'Privilege Escalation',
  T1530: 'Collection',
  T1548: 'Privilege Escalation',
  T1555: 'Credential Access',
  T1562: 'Defense Evasion',
};

/** ASFF resource types of the ARNs findings are about (AwsIamRole, AwsIamPolicy...), else Other. */
function resourceType(arn: string): string {
  const [, , service, , , resource = ''] = arn.split(':');
  const kind = resource.split('/')[0];
  const types: Record<string, string> = {
    'iam:role': 'AwsIamRole',
    'iam:policy': 'AwsIamPolicy',
    'iam:user': 'AwsIamUser',
    'cloudtrail:trail': 'AwsCloudTrailTrail',
  };
  return types[`${service}:${kind}`] ?? 'Other';
}

/** The finding's ASFF id: stable, so a change re-imports the same Security Hub finding. */
export function securityHubId(finding: Pick<Finding, 'id'>): string {
  return `rolewatch/${finding.id}`;
}

/** The default product ARN of an account: custom findings an account imports itself. */
export function productArn(account: string, region: string, partition = 'aws'): string {
  return `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`;
}

/** A finding in the AWS Security Finding Format. Pure. */
export function toAsff(
  finding: Finding,
  options: { region: string; partition?: string; productVersion: string; apiUrl?: string; now?: number },
): AwsSecurityFinding {
  const partition = options.partition ?? (finding.resource.split(':')[1] || 'aws');
  const controls = controlsOf(finding.ruleId);
  const tactics = [
    ...new Set(
      controls.flatMap((control) => {
        const parsed = parseControl(control);
        const tactic = parsed?.framework.id === 'ATTACK' ? TACTIC[parsed.item.id.split('.')[0] ?? ''] : undefined;
        return tactic ? [`TTPs/${tactic}`] : [];
      }),
    ),
  ];
  const types = [
    ...(finding.kind === 'posture' ? ['Software and Configuration Checks/AWS Security Best Practices'] : []),
    ...tactics,
  ];
  if (types.length === 0) types.push('Unusual Behaviors/User');
  const label = LABEL[finding.severity];
  const requirements = securityHubRequirements(controls);
  const url = options.apiUrl ? `${options.apiUrl.replace(/\/+$/, '')}/findings/${finding.id}` : undefined;
  const updatedAt = Math.max(finding.lastSeen, finding.resolvedAt ?? 0);
  const productFields: Record<string, string> = {
    'RoleWatch/RuleId': finding.ruleId,
    'RoleWatch/FindingId': finding.id,
    'RoleWatch/Status': finding.status,
    'RoleWatch/Count': String(finding.count),
    ...(controls.length > 0 ? { 'RoleWatch/Controls': clip(controls.join(' '), 2000) } : {}),
    ...(finding.event ? { 'RoleWatch/EventName': clip(finding.event.eventName, 256) } : {}),
    ...(finding.event ? { 'RoleWatch/EventId': clip(finding.event.eventId, 256) } : {}),
    ...(finding.event?.actor ? { 'RoleWatch/Actor': clip(finding.event.actor, 2000) } : {}),
    ...(finding.suppression ? { 'RoleWatch/SuppressionReason': clip(finding.suppression.reason, 2000) } : {}),
    ...(finding.resolution ? { 'RoleWatch/Resolution': clip(finding.resolution, 2000) } : {}),
  };
  return {
    SchemaVersion: '2018-10-08',
    Id: securityHubId(finding),
    ProductArn: productArn(finding.account, options.region, partition),
    ProductName: 'RoleWatch',
    CompanyName: 'RoleWatch',
    GeneratorId: `rolewatch/${finding.ruleId}`,
    AwsAccountId: finding.account,
    Region: options.region,
    Types: types,
    CreatedAt: iso(finding.firstSeen),
    UpdatedAt: iso(updatedAt),
    FirstObservedAt: iso(finding.firstSeen),
    LastObservedAt: iso(finding.lastSeen),
    Severity: { Label: label, Original: finding.severity },
    FindingProviderFields: { Severity: { Label: label, Original: finding.severity }, Types: types },
    Title: clip(finding.title, 256),
    Description: clip(finding.detail, 1024),
    Remediation: { Recommendation: { Text: clip(finding.remediation, 512), ...(url ? { Url: url } : {}) } },
    ...(url ? { SourceUrl: url } : {}),
    ProductFields: productFields,
    Resources: [
      {
        Type: resourceType(finding.resource),
        Id: finding.resource,
        Partition: partition as 'aws',
        Region: finding.region ?? finding.event?.region ?? options.region,
        ...(resourceType(finding.resource) === 'AwsIamRole'
          ? { Details: { AwsIamRole: { RoleName: finding.resourceName } } }
          : {}),
      },
    ],
    ...(requirements.length > 0
      ? { Compliance: { Status: finding.status === 'resolved' ? 'PASSED' : 'FAILED', RelatedRequirements: requirements } }
      : {}),
    RecordState: finding.status === 'resolved' ? 'ARCHIVED' : 'ACTIVE',
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Errors worth another attempt: throttling and Security Hub's own failures. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalException',
  'InternalServerError',
  'ServiceUnavailable',
]);

function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  return RETRYABLE.has(e?.name ?? '') || (e?.$metadata?.httpStatusCode ?? 0) >= 500 || e?.$retryable !== undefined;
}

/**
 * Sends findings to Security Hub, per account and in batches of at most 100: BatchImportFindings for every
 * state, then BatchUpdateFindings for workflow changes (SUPPRESSED with the reason; NEW when re-opened).
 * Throttling and findings Security Hub reports as failed are tried again with back-off; what still fails
 * after the last attempt is thrown (the caller's event or run is retried, and imports are idempotent).
 */
export class SecurityHubExporter implements FindingExporter {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;

  constructor(private readonly options: SecurityHubExporterOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  async export(changes: readonly FindingChange[]): Promise<void> {
    // The latest state of each finding; accounts that are not 12-digit ids cannot import.
    const latest = new Map<string, FindingChange>();
    for (const change of changes) if (/^\d{12}$/.test(change.finding.account)) latest.set(change.finding.id, change);
    const byAccount = new Map<string, FindingChange[]>();
    for (const change of latest.values()) {
      const list = byAccount.get(change.finding.account) ?? [];
      list.push(change);
      byAccount.set(change.finding.account, list);
    }
    const failures: string[] = [];
    for (const [account, list] of byAccount) {
      try {
        await this.exportAccount(account, list);
      } catch (error) {
        failures.push(`${account}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new RoleWatchError(`Security Hub export failed for ${failures.join('; ')}`);
  }

  private async exportAccount(account: string, changes: readonly FindingChange[]): Promise<void> {
    const client = await this.options.clientFor(account);
    const asff = changes.map(({ finding }) =>
      toAsff(finding, {
        region: this.options.region,
        ...(this.options.partition ? { partition: this.options.partition } : {}),
        productVersion: this.options.productVersion,
        ...(this.options.apiUrl ? { apiUrl: this.options.apiUrl } : {}),
      }),
    );
    for (let i = 0; i < asff.length; i += SECURITY_HUB_BATCH)
      await this.importBatch(client, asff.slice(i, i + SECURITY_HUB_BATCH));

    const arn = productArn(account, this.options.region, this.options.partition ?? 'aws');
    const suppressed = changes.filter(({ finding }) => finding.status === 'suppressed');
    const reopened = changes.filter(({ finding, transition }) => finding.status === 'open' && transition === 'reopened');
    // One update per suppression (its reason is its note); re-opened findings go back to NEW together.
    for (const { finding } of suppressed) {
      const reason = finding.suppression
        ? `Suppressed in RoleWatch by ${finding.suppression.by}: ${finding.suppression.reason}${
            finding.suppression.until ? ` (until ${finding.suppression.until})` : ''
          }`
        : 'Suppressed in RoleWatch';
      await this.updateBatch(client, [securityHubId(finding)], arn, {
        Workflow: { Status: 'SUPPRESSED' },
        Note: { Text: clip(reason, 512), UpdatedBy: 'RoleWatch' },
      });
    }
    const reopenedIds = reopened.map(({ finding }) => securityHubId(finding));
    for (let i = 0; i < reopenedIds.length; i += SECURITY_HUB_BATCH) {
      await this.updateBatch(client, reopenedIds.slice(i, i + SECURITY_HUB_BATCH), arn, {
        Workflow: { Status: 'NEW' },
        Note: { Text: 'Re-opened in RoleWatch: the finding is true again', UpdatedBy: 'RoleWatch' },
      });
    }
  }

  /** Imports one batch; findings reported as failed, and throttled calls, are sent again. */
  private async importBatch(client: Pick<SecurityHubClient, 'send'>, findings: AwsSecurityFinding[]): Promise<void> {
    let pending = findings;
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(backoff(attempt));
      try {
        const { BatchImportFindingsCommand } = await sdk();
        const out = await client.send(new BatchImportFindingsCommand({ Findings: pending }));
        const failed = new Set((out.FailedFindings ?? []).map((f) => f.Id));
        lastError = (out.FailedFindings ?? []).map((f) => `${f.Id}: ${f.ErrorCode} ${f.ErrorMessage}`).join(', ');
        pending = pending.filter((finding) => failed.has(finding.Id));
      } catch (error) {
        if (!isRetryable(error)) throw error;
        lastError = (error as Error).message;
      }
    }
    if (pending.length > 0) throw new RoleWatchError(`${pending.length} finding(s) not imported: ${lastError}`);
  }

  /** Updates the workflow of findings; unprocessed ones and throttled calls are sent again. */
  private async updateBatch(
    client: Pick<SecurityHubClient, 'send'>,
    ids: string[],
    arn: string,
    update: { Workflow: { Status: 'SUPPRESSED' | 'NEW' }; Note: { Text: string; UpdatedBy: string } },
  ): Promise<void> {
    let pending = ids;
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(backoff(attempt));
      try {
        const { BatchUpdateFindingsCommand } = await sdk();
        const out = await client.send(
          new BatchUpdateFindingsCommand({ FindingIdentifiers: pending.map((Id) => ({ Id, ProductArn: arn })), ...update }),
        );
        const unprocessed = out.UnprocessedFindings ?? [];
        lastError = unprocessed.map((f) => `${f.FindingIdentifier?.Id}: ${f.ErrorCode} ${f.ErrorMessage}`).join(', ');
        const left = new Set(unprocessed.map((f) => f.FindingIdentifier?.Id));
        pending = pending.filter((id) => left.has(id));
      } catch (error) {
        if (!isRetryable(error)) throw error;
        lastError = (error as Error).message;
      }
    }
    if (pending.length > 0) throw new RoleWatchError(`${pending.length} finding(s) not updated: ${lastError}`);
  }
}

/** The Security Hub SDK, loaded at the first export: functions of a deployment without it never load it. */
const sdk = () => import('@aws-sdk/client-securityhub');

/** 200 ms, 400 ms, 800 ms... with jitter, at most 5 s. */
function backoff(attempt: number): number {
  const base = Math.min(5_000, 100 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}
