import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { formatAlert } from '../../shared/alerts/formatAlert';
import { SnsAlertPublisher } from '../../shared/alerts/SnsAlertPublisher';
import { AlertDeliveryError } from '../../shared/ports/alertPublisher';
import { finding } from './support';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:rolewatch-alerts';

describe('SnsAlertPublisher', () => {
  const sns = mockClient(SNSClient);
  const client = new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const alert = formatAlert(finding(), 'opened', { apiUrl: 'https://api.example.com' });

  beforeEach(() => sns.reset());

  it('publishes one message with the subject, per-protocol variants and filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsAlertPublisher(client, TOPIC).publish(alert);

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      Subject: '[CRITICAL] RoleWatch: role deploy-bot now trusts any principal (123456789012)',
      MessageStructure: 'json',
      Message: expect.any(String),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        ruleId: { DataType: 'String', StringValue: 'trust-any-principal' },
        account: { DataType: 'String', StringValue: '123456789012' },
      },
    });
    const message = JSON.parse(input?.Message ?? '') as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'http', 'https', 'lambda', 'sqs']);
    expect(message.default).toBe(alert.text);
    expect(message.email).toBe(alert.text);
    for (const protocol of ['sqs', 'lambda', 'http']) expect(JSON.parse(message[protocol] ?? '')).toEqual(alert.json);
    // Amazon Q Developer in chat applications subscribes over HTTPS: it gets the chat notification.
    expect(JSON.parse(message.https ?? '')).toEqual(alert.chat);
  });

  it('publishes each alert as its own message', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const publisher = new SnsAlertPublisher(client, TOPIC);
    await publisher.publish(alert);
    await publisher.publish(formatAlert(finding({ id: 'other', severity: 'high' }), 'opened'));
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject)).toEqual([
      '[CRITICAL] RoleWatch: role deploy-bot now trusts any principal (123456789012)',
      '[HIGH] RoleWatch: role deploy-bot now trusts any principal (123456789012)',
    ]);
  });

  it('lets an SNS error propagate, as the cause of an AlertDeliveryError', async () => {
    const throttled = new SNSServiceException({ name: 'Throttled', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });
    sns.on(PublishCommand).rejects(throttled);
    const publishing = new SnsAlertPublisher(client, TOPIC).publish(alert);
    await expect(publishing).rejects.toBeInstanceOf(AlertDeliveryError);
    await expect(publishing).rejects.toMatchObject({ cause: throttled, message: expect.stringContaining('Rate exceeded') });
  });
});
