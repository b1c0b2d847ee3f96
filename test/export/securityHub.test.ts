import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  SecurityHubClient,
  SecurityHubServiceException,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { productArn, SecurityHubExporter, securityHubId, toAsff } from '../../shared/export/securityHub';
import type { Finding } from '../../shared/findings/finding';
import { findingId } from '../../shared/findings/ids';
import { finding } from '../alerts/support';

const OWN = '123456789012';
const MEMBER = '210987654321';
const REGION = 'us-east-1';

function role(name: string, account = OWN, overrides: Partial<Finding> = {}): Finding {
  return finding({
    id: findingId(account, 'admin-policy-attached', `arn:aws:iam::${account}:role/${name}`),
    ruleId: 'admin-policy-attached',
    kind: 'posture',
    severity: 'critical',
    title: 'Role given an administrator policy',
    account,
    resource: `arn:aws:iam::${account}:role/${name}`,
    resourceName: name,
    roleName: name,
    detail: `role ${name} has admin-equivalent policy arn:aws:iam::aws:policy/AdministratorAccess attached`,
    ...overrides,
  });
}

function throttled(): SecurityHubServiceException {
  return new SecurityHubServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 429 },
    message: 'Rate exceeded',
  });
}

describe('toAsff', () => {
  it('names the finding, its account, resource and requirements as Security Hub expects', () => {
    const asff = toAsff(role('deploy-bot'), { region: REGION, productVersion: '0.1.0', apiUrl: 'https://api.example.com/' });
    expect(asff).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: securityHubId(role('deploy-bot')),
      ProductArn: `arn:aws:securityhub:us-east-1:${OWN}:product/${OWN}/default`,
      GeneratorId: 'rolewatch/admin-policy-attached',
      AwsAccountId: OWN,
      Severity: { Label: 'CRITICAL', Original: 'critical' },
      RecordState: 'ACTIVE',
      Resources: [
        {
          Type: 'AwsIamRole',
          Id: `arn:aws:iam::${OWN}:role/deploy-bot`,
          Partition: 'aws',
          Details: { AwsIamRole: { RoleName: 'deploy-bot' } },
        },
      ],
      Compliance: { Status: 'FAILED' },
      SourceUrl: `https://api.example.com/findings/${role('deploy-bot').id}`,
    });
    expect(asff.Types).toEqual(['Software and Configuration Checks/AWS Security Best Practices', 'TTPs/Persistence']);
    expect(asff.Compliance?.RelatedRequirements).toEqual(
      expect.arrayContaining(['CIS AWS Foundations Benchmark v5.0.0/1.15', 'NIST.800-53.r5 AC-6(10)', 'PCI DSS v4.0/7.2.2']),
    );
    expect(asff.Compliance?.RelatedRequirements?.length).toBeLessThanOrEqual(32);
    expect(asff.ProductFields?.['RoleWatch/Controls']).toContain('ATTACK-T1098.003');
  });

  it('archives a resolved finding and keeps every text within Security Hub limits', () => {
    const long = 'x'.repeat(5_000);
    const asff = toAsff(
      role('r', OWN, { status: 'resolved', resolvedAt: 2_000_000, detail: long, title: long, remediation: long }),
      {
        region: REGION,
        productVersion: '0.1.0',
      },
    );
    expect(asff.RecordState).toBe('ARCHIVED');
    expect(asff.Compliance?.Status).toBe('PASSED');
    expect(asff.Title?.length).toBeLessThanOrEqual(256);
    expect(asff.Description?.length).toBeLessThanOrEqual(1024);
    expect(asff.Remediation?.Recommendation?.Text?.length).toBeLessThanOrEqual(512);
  });
});

describe('SecurityHubExporter', () => {
  const hub = mockClient(SecurityHubClient);
  const clients: string[] = [];
  const exporter = (maxAttempts = 4) =>
    new SecurityHubExporter({
      clientFor: async (account) => {
        clients.push(account);
        return new SecurityHubClient({ region: REGION, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
      },
      region: REGION,
      productVersion: '0.1.0',
      maxAttempts,
      sleep: async () => {},
    });

  beforeEach(() => {
    hub.reset();
    clients.length = 0;
  });

  it('imports new findings in batches of at most 100, each batch with the findings of one account', async () => {
    hub.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({
      SuccessCount: input.Findings.length,
      FailedCount: 0,
      FailedFindings: [],
    }));
    const own = Array.from({ length: 150 }, (_, i) => ({ finding: role(`own-${i}`), transition: 'opened' as const }));
    const member = Array.from({ length: 3 }, (_, i) => ({ finding: role(`member-${i}`, MEMBER), transition: 'opened' as const }));
    await exporter().export([...own, ...member]);
    const calls = hub.commandCalls(BatchImportFindingsCommand).map((call) => call.args[0].input.Findings ?? []);
    expect(calls.map((findings) => findings.length)).toEqual([100, 50, 3]);
    for (const findings of calls) expect(new Set(findings.map((f) => f.AwsAccountId)).size).toBe(1);
    expect(clients).toEqual([OWN, MEMBER]);
    expect(hub.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  it('retries a throttled import and then only the findings Security Hub reported as failed', async () => {
    const a = role('a');
    const b = role('b');
    hub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(throttled())
      .resolvesOnce({
        SuccessCount: 1,
        FailedCount: 1,
        FailedFindings: [{ Id: securityHubId(b), ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      })
      .resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    await exporter().export([{ finding: a }, { finding: b }]);
    const calls = hub
      .commandCalls(BatchImportFindingsCommand)
      .map((call) => (call.args[0].input.Findings ?? []).map((f) => f.Id));
    expect(calls).toEqual([[securityHubId(a), securityHubId(b)], [securityHubId(a), securityHubId(b)], [securityHubId(b)]]);
  });

  it('fails, naming the findings, when they keep failing after the last attempt', async () => {
    const a = role('a');
    hub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 0,
      FailedCount: 1,
      FailedFindings: [{ Id: securityHubId(a), ErrorCode: 'InvalidInput', ErrorMessage: 'bad' }],
    });
    await expect(exporter(3).export([{ finding: a }])).rejects.toThrow(
      /1 finding\(s\) not imported: rolewatch\/.* InvalidInput bad/,
    );
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(3);
  });

  it('does not retry an error that is not throttling (access denied)', async () => {
    hub.on(BatchImportFindingsCommand).rejects(
      new SecurityHubServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'no',
      }),
    );
    await expect(exporter().export([{ finding: role('a') }])).rejects.toThrow(/Security Hub export failed for 123456789012: no/);
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
  });

  it('archives a resolved finding by re-importing it with RecordState ARCHIVED', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    const open = role('a');
    const resolvedAt = open.lastSeen + 60_000;
    await exporter().export([{ finding: { ...open, status: 'resolved', resolvedAt }, transition: 'resolved' }]);
    const [sent] = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings ?? [];
    expect(sent?.RecordState).toBe('ARCHIVED');
    expect(sent?.UpdatedAt).toBe(new Date(resolvedAt).toISOString());
    expect(hub.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  it('sets the workflow of a suppressed finding to SUPPRESSED with the reason, retrying unprocessed ones', async () => {
    const a = role('a', MEMBER, {
      status: 'suppressed',
      suppression: { reason: 'break-glass role', by: 'arn:aws:iam::1:user/alice', until: '2027-01-31' },
    });
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    hub
      .on(BatchUpdateFindingsCommand)
      .resolvesOnce({
        ProcessedFindings: [],
        UnprocessedFindings: [
          {
            FindingIdentifier: { Id: securityHubId(a), ProductArn: productArn(MEMBER, REGION) },
            ErrorCode: 'FindingNotFound',
            ErrorMessage: 'not yet',
          },
        ],
      })
      .resolves({
        ProcessedFindings: [{ Id: securityHubId(a), ProductArn: productArn(MEMBER, REGION) }],
        UnprocessedFindings: [],
      });
    await exporter().export([{ finding: a, transition: 'suppressed' }]);
    const updates = hub.commandCalls(BatchUpdateFindingsCommand).map((call) => call.args[0].input);
    expect(updates).toHaveLength(2);
    expect(updates[1]).toEqual({
      FindingIdentifiers: [
        { Id: securityHubId(a), ProductArn: `arn:aws:securityhub:us-east-1:${MEMBER}:product/${MEMBER}/default` },
      ],
      Workflow: { Status: 'SUPPRESSED' },
      Note: {
        Text: 'Suppressed in RoleWatch by arn:aws:iam::1:user/alice: break-glass role (until 2027-01-31)',
        UpdatedBy: 'RoleWatch',
      },
    });
  });

  it('sets a re-opened finding back to NEW, and sends each finding once with its latest state', async () => {
    const a = role('a');
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    await exporter().export([
      { finding: { ...a, count: 1 }, transition: 'repeated' },
      { finding: { ...a, count: 2 }, transition: 'reopened' },
    ]);
    const imported = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings ?? [];
    expect(imported.map((f) => f.ProductFields?.['RoleWatch/Count'])).toEqual(['2']);
    expect(hub.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input.Workflow).toEqual({ Status: 'NEW' });
  });

  it('skips findings without a 12-digit account (Security Hub could not take them)', async () => {
    await exporter().export([{ finding: role('a', 'unknown') }]);
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
  });
});
