import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/on-iam-change/handler';
import { useLocalDynamo } from '../support/dynamo';
import { eventBridge, useLambdaEnvironment } from '../support/lambda';
import { ACCOUNT, createRole, FOREIGN_ACCOUNT, resetClock, trustDocument, updateTrust } from '../support/trail';

const dynamo = useLocalDynamo();
useLambdaEnvironment(dynamo, { knownAccounts: ['111122223333'], alerts: { minSeverity: 'medium' } });
const sns = mockClient(SNSClient);
const sent = (ruleId: string) =>
  sns
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.MessageAttributes?.ruleId?.StringValue === ruleId);

describe('alert lifecycle through on-iam-change', () => {
  it('sends nothing for a finding below the threshold, one alert when it escalates, nothing on redelivery', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'id' });
    resetClock();
    const own = `arn:aws:iam::${ACCOUNT}:root`;
    await handler(eventBridge(createRole('deploy', trustDocument(own, 'arn:aws:iam::111122223333:root'))));
    // Narrowing: trust-policy-changed at info, below the medium threshold.
    await handler(eventBridge(updateTrust('deploy', trustDocument(own))));
    expect(sent('trust-policy-changed')).toHaveLength(0);
    // Widening: the same finding escalates to medium and alerts once.
    const widening = eventBridge(updateTrust('deploy', trustDocument(own, `arn:aws:iam::${FOREIGN_ACCOUNT}:root`)));
    await handler(widening);
    expect(sent('trust-policy-changed').map((input) => input.Subject)).toEqual([
      expect.stringMatching(/^\[MEDIUM\] RoleWatch: escalated: /),
    ]);
    expect(sent('trust-unknown-account')).toHaveLength(1);
    // A redelivery of the same event sends nothing more.
    await handler(widening);
    expect(sent('trust-policy-changed')).toHaveLength(1);
    expect(sent('trust-unknown-account')).toHaveLength(1);
  }, 30_000);
});
