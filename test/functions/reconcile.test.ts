import {
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
  IAMClient,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as onIamChange } from '../../functions/on-iam-change/handler';
import { createDynamoStores } from '../../shared/context';
import { liveParts } from '../../shared/roles/roleRecord';
import { useLocalDynamo } from '../support/dynamo';
import { eventBridge, useLambdaEnvironment } from '../support/lambda';
import { runReconcileMachine } from '../support/stepFunctions';
import { ACCOUNT, attachRolePolicy, createRole, FOREIGN_ACCOUNT, resetClock, trustDocument } from '../support/trail';

const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo);
const sns = mockClient(SNSClient);
const iam = mockClient(IAMClient);
const stores = () => createDynamoStores({ client: dynamo.local.client, tableName });
const reconcile = () => runReconcileMachine({ dynamo: dynamo.local.client, tableName });

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));
const ownTrust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
};

/** Two pages of GetAccountAuthorizationDetails, shaped like IAM's (documents URL-encoded, dates as Date). */
function authorizationDetails(): GetAccountAuthorizationDetailsCommandOutput[] {
  const meta = { $metadata: {} };
  return [
    {
      ...meta,
      IsTruncated: true,
      Marker: 'page-2',
      RoleDetailList: [
        {
          RoleName: 'app',
          RoleId: 'AROAEXAMPLEAPP000001',
          Arn: `arn:aws:iam::${ACCOUNT}:role/app`,
          Path: '/',
          CreateDate: new Date('2026-10-01T00:00:00Z'),
          AssumeRolePolicyDocument: encoded(ownTrust),
          RolePolicyList: [],
          AttachedManagedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }],
        },
      ],
      Policies: [],
    },
    {
      ...meta,
      IsTruncated: false,
      RoleDetailList: [
        {
          RoleName: 'missed',
          RoleId: 'AROAEXAMPLEMISSED001',
          Arn: `arn:aws:iam::${ACCOUNT}:role/missed`,
          Path: '/',
          CreateDate: new Date('2026-10-02T00:00:00Z'),
          AssumeRolePolicyDocument: encoded({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${FOREIGN_ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
            ],
          }),
          RolePolicyList: [
            {
              PolicyName: 'inline',
              PolicyDocument: encoded({
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' }],
              }),
            },
          ],
          AttachedManagedPolicies: [],
        },
      ],
      Policies: [],
    },
  ];
}

beforeEach(() => {
  sns.reset();
  iam.reset();
  resetClock('2026-11-02T09:00:00Z');
});

describe('reconcile', () => {
  it('corrects missed events from IAM, resolves findings whose cause is gone, and retries pending alerts', async () => {
    // Events seen: app created, AdministratorAccess attached (its alert could not be sent).
    sns.on(PublishCommand).rejects(Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' }));
    await onIamChange(eventBridge(createRole('app', trustDocument(`arn:aws:iam::${ACCOUNT}:root`)))).catch(() => undefined);
    await expect(onIamChange(eventBridge(attachRolePolicy('app', ADMIN)))).rejects.toThrow();
    // Not seen: AdministratorAccess was detached and ReadOnlyAccess attached; role "missed" was created.
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
    const [first, second] = authorizationDetails();
    iam.on(GetAccountAuthorizationDetailsCommand, { Filter: ['Role', 'LocalManagedPolicy'] }).resolves(first ?? fail('page'));
    iam
      .on(GetAccountAuthorizationDetailsCommand, { Filter: ['Role', 'LocalManagedPolicy'], Marker: 'page-2' })
      .resolves(second ?? fail('page'));

    expect(await reconcile()).toMatchObject({ status: 'SUCCEEDED', output: { accounts: 1, reconciled: 1, failed: 0 } });

    expect(iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(2);
    const { state, findings } = stores();
    const app = await state.getRole(ACCOUNT, 'app');
    expect(liveParts(app ?? fail('app missing')).attached).toEqual([READ_ONLY]);
    const missed = await state.getRole(ACCOUNT, 'missed');
    expect(liveParts(missed ?? fail('missed missing')).inline.map((p) => p.name)).toEqual(['inline']);

    const appFindings = await findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/app`);
    expect(appFindings.find((f) => f.ruleId === 'admin-policy-attached')?.status).toBe('resolved');
    const missedFindings = await findings.forResource(ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/missed`);
    expect(missedFindings.find((f) => f.ruleId === 'trust-unknown-account')?.status).toBe('open');

    // The new-role-gets-admin alert that failed earlier goes out now; the admin finding resolved before it could.
    const sent = sns
      .commandCalls(PublishCommand)
      .map((c) => c.args[0].input.MessageAttributes?.ruleId?.StringValue)
      .sort();
    expect(sent).toEqual(['new-role-gets-admin', 'trust-unknown-account']);
    const history = await state.roleHistory(ACCOUNT, 'app');
    expect(history[0]?.summary).toMatch(/reconcile found changes no event reported: .*AdministratorAccess detached/);

    // A second run finds nothing to correct and sends nothing.
    sns.resetHistory();
    expect(await reconcile()).toMatchObject({ status: 'SUCCEEDED', output: { corrected: 0, alertsRetried: 0 } });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect((await state.roleHistory(ACCOUNT, 'app')).filter((h) => h.eventName === 'Reconcile')).toHaveLength(1);
  }, 30_000);

  it('retries a read IAM throttles with backoff, then reconciles the account', async () => {
    const [first, second] = authorizationDetails();
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
      $retryable: { throttling: true },
    });
    iam
      .on(GetAccountAuthorizationDetailsCommand, { Filter: ['Role', 'LocalManagedPolicy'] })
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves(first ?? fail('page'));
    iam
      .on(GetAccountAuthorizationDetailsCommand, { Filter: ['Role', 'LocalManagedPolicy'], Marker: 'page-2' })
      .resolves(second ?? fail('page'));
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
    const calls = new Map<string, number>();

    const run = await runReconcileMachine({ dynamo: dynamo.local.client, tableName, calls });

    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { reconciled: 1, failed: 0, failures: [] } });
    expect(calls.get('ReconcileAccount')).toBe(3);
  }, 30_000);

  it('fails the run with a report naming the account and why when it cannot be read, and sends nothing', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: iam:GetAccountAuthorizationDetails'), {
        name: 'AccessDenied',
      }),
    );
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
    const calls = new Map<string, number>();

    const run = await runReconcileMachine({ dynamo: dynamo.local.client, tableName, calls });

    expect(run).toEqual({
      status: 'FAILED',
      error: 'RoleWatch.AccountsNotReconciled',
      cause: `reconcile could not read 1 of 1 account(s): ${ACCOUNT} (AccountReadError: User is not authorized to perform: iam:GetAccountAuthorizationDetails)`,
    });
    // Not a throttle: not retried. Nothing recounted or sent when no account could be read.
    expect(calls.get('ReconcileAccount')).toBe(1);
    expect(calls.get('RecordFailure')).toBe(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  }, 30_000);
});
