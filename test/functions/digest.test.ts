import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/digest/handler';
import { handler as onIamChange } from '../../functions/on-iam-change/handler';
import { useLocalDynamo } from '../support/dynamo';
import { eventBridge, useLambdaEnvironment } from '../support/lambda';
import { ACCOUNT, attachRolePolicy, createRole, putRolePolicy, resetClock, trustDocument } from '../support/trail';

const dynamo = useLocalDynamo();
useLambdaEnvironment(dynamo, { alerts: { minSeverity: 'high' } });
const sns = mockClient(SNSClient);

describe('digest', () => {
  it("sends one e-mail per account with the day's findings that did not alert and its role changes", async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'id' });
    resetClock(new Date(Date.now() - 3 * 3_600_000).toISOString());
    await onIamChange(eventBridge(createRole('reporting', trustDocument(`arn:aws:iam::${ACCOUNT}:root`))));
    await onIamChange(eventBridge(attachRolePolicy('reporting', 'arn:aws:iam::aws:policy/ReadOnlyAccess')));
    await onIamChange(
      eventBridge(
        putRolePolicy('reporting', 'metrics', {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'cloudwatch:*', Resource: '*' }],
        }),
      ),
    );
    sns.resetHistory();

    await handler();

    const inputs = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(1);
    const [digest] = inputs;
    expect(digest?.Subject).toMatch(
      /^\[DIGEST\] RoleWatch \d{4}-\d{2}-\d{2}: \d+ findings not alerted, 3 role changes \(123456789012\)$/,
    );
    expect(digest?.MessageAttributes?.ruleId?.StringValue).toBe('digest');
    const body = JSON.parse(String(digest?.Message)) as { email: string; sqs: string };
    expect(body.email).toContain('ROLES THAT CHANGED MOST');
    expect(body.email).toMatch(/\s+3 {2}reporting {2}\(by arn:aws:iam::123456789012:user\/alice\)/);
    expect(body.email).toMatch(/\d+ {2}service-wildcard-permissions/);
    expect(body.email).toMatch(/\d+ {2}change-outside-iac/);
    expect(body.email).toContain('CONTROLS EVIDENCED');
    expect(body.email).toMatch(/\d+ {2}SecurityHub-IAM\.21\n/);
    expect(JSON.parse(body.sqs).findingsByControl).toMatchObject({ 'SecurityHub-IAM.21': 1, 'NIST-800-53-r5-CM-3': 2 });
    expect(JSON.parse(body.sqs)).toMatchObject({ kind: 'digest', account: ACCOUNT, changesByRole: { reporting: 3 } });
  }, 30_000);
});
