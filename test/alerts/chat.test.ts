import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { chatCode } from '../../shared/alerts/chat';
import { formatAlert } from '../../shared/alerts/formatAlert';
import { SnsAlertPublisher } from '../../shared/alerts/SnsAlertPublisher';
import { API_URL, finding, recordedFinding } from './support';

/** The markdown outside code spans: where `*` and `_` would be read as formatting. */
function outsideCode(markdown: string): string {
  return markdown.replace(/`[^`\n]*`/g, '');
}

interface ChatNotification {
  version: string;
  source: string;
  content: { textType: string; title: string; description: string; nextSteps: string[]; keywords: string[] };
  metadata: { threadId: string; eventType: string; relatedResources: string[] };
}

describe('alerts for chat (Amazon Q Developer in chat applications custom notifications)', () => {
  it('have the custom-notification shape: version 1.0, source custom, client-markdown content, threaded by finding', async () => {
    const { finding: admin, transition } = await recordedFinding('administrator-access-attached');
    const chat = formatAlert(admin, transition, { apiUrl: API_URL }).chat as unknown as ChatNotification;
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: '[CRITICAL] Role given an administrator policy: data-migration' },
      metadata: { threadId: admin.id, eventType: 'rolewatch.opened', relatedResources: [admin.resource] },
    });
    const { description } = chat.content;
    expect(description).toContain(
      '*What:* `role data-migration has admin-equivalent policy arn:aws:iam::aws:policy/AdministratorAccess attached`',
    );
    expect(description).toContain('*Who:* `arn:aws:iam::123456789012:user/alice`');
    expect(description).toContain(`*Finding:* ${API_URL}/findings/${admin.id}`);
    expect(chat.content.nextSteps[0]).toContain('Detach the policy');
    expect(chat.content.keywords).toEqual(['CRITICAL', 'admin-policy-attached', 'CIS-5.0-1.15', 'ATTACK-T1098.003']);
  });

  it('keeps IAM wildcards literal: every * and _ from the finding stands inside a code span', () => {
    const wild = finding({
      detail: 'role ci_deploy may call iam:* and s3:Get* on * (statement 0)',
      roleName: 'ci_deploy_*',
      diff: ['+ Action: iam:*', '+ Resource: arn:aws:s3:::bucket_*/*'],
      event: {
        eventId: 'e-1',
        eventName: 'PutRolePolicy',
        eventTime: '2026-03-02T09:00:00Z',
        region: 'us-east-1',
        actor: 'arn:aws:sts::123456789012:assumed-role/ops_*/x',
      },
    });
    const chat = formatAlert(wild, 'opened').chat as unknown as ChatNotification;
    const outside = outsideCode(chat.content.description);
    // What is left of * outside code spans is only the bold labels RoleWatch writes (*What:*, *Role:*...).
    expect(outside.replace(/\*[A-Z][A-Za-z ]*:\*/g, '').replace(/\*(New|Re-opened|Escalated) [A-Z]+ finding\*/, '')).not.toMatch(
      /[*_]/,
    );
    expect(chat.content.description).toContain('`role ci_deploy may call iam:* and s3:Get* on * (statement 0)`');
    expect(chat.content.description).toContain('> `+ Action: iam:*`');
  });

  it('cannot be broken out of: backticks, Slack control characters and line breaks in values stay inside their span', () => {
    expect(chatCode('a`b <!channel> & c\nd')).toBe("`a'b &lt;!channel&gt; &amp; c d`");
    const hostile = finding({ detail: '`*bold*` <!here> \u202e', title: 'x_*y*' });
    const chat = formatAlert(hostile, 'opened').chat as unknown as ChatNotification;
    expect(chat.content.description).not.toContain('<!here>');
    expect(chat.content.title).not.toMatch(/(^|[^\u200b])\*/);
  });

  it('reach Slack through the topic: the https variant of the SNS message is the chat notification', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const client = new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's' } });
    await new SnsAlertPublisher(client, 'arn:aws:sns:us-east-1:123456789012:rolewatch-alerts').publish(
      formatAlert(finding(), 'opened'),
    );
    const message = JSON.parse(String(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message)) as Record<string, string>;
    expect(JSON.parse(message.https ?? '{}')).toMatchObject({ version: '1.0', source: 'custom' });
    expect(JSON.parse(message.sqs ?? '{}')).toMatchObject({ ruleId: expect.any(String) });
    sns.restore();
  });
});
