import { GetEventSelectorsCommand } from '@aws-sdk/client-cloudtrail';
import { PublishCommand } from '@aws-sdk/client-sns';
import { handler as finish } from '../../functions/reconcile-finish/handler';
import { monitorResource } from '../../shared/app/selfCheck';
import { createDynamoStores } from '../../shared/context';
import { useLocalDynamo } from '../support/dynamo';
import { useLambdaEnvironment } from '../support/lambda';
import {
  ACCOUNT,
  ASSUMPTION_DLQ,
  cloudTrail,
  EVENTS_DLQ,
  healthyAccount,
  STAGE,
  sns,
  TRAIL_ARN,
} from '../support/monitorAccount';

// The last step of every reconcile runs rolewatch doctor's checks first, with its own role, on the deployed
// environment serverless.yml gives it (STAGE and the dead-letter queues).
const handler = () => finish({ runId: 'reconcile-2026-12-06', accounts: [] });
const dynamo = useLocalDynamo();
const { tableName } = useLambdaEnvironment(dynamo);
const stores = () => createDynamoStores({ client: dynamo.local.client, tableName });

beforeAll(() => {
  Object.assign(process.env, {
    STAGE,
    ACCOUNT_ID: ACCOUNT,
    EVENTS_DEAD_LETTER_QUEUE_URL: EVENTS_DLQ,
    ASSUMPTION_DEAD_LETTER_QUEUE_URL: ASSUMPTION_DLQ,
    MAX_SILENCE_HOURS: '24',
  });
});

beforeEach(() => {
  healthyAccount();
  sns.on(PublishCommand).resolves({ MessageId: 'ok' });
});

describe('reconcile-finish self-check', () => {
  it('records a monitor-blind finding for a trail that logs write events only, and alerts', async () => {
    await stores().state.noteLastEvent(Date.now() - 600_000, 'assumption');
    cloudTrail.on(GetEventSelectorsCommand).resolves({
      TrailARN: TRAIL_ARN,
      EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true, DataResources: [] }],
    });

    await handler();

    const found = await stores().findings.forResource(ACCOUNT, monitorResource({ stage: STAGE, region: 'us-east-1' }, ACCOUNT));
    expect(found.map((f) => [f.ruleId, f.qualifier, f.severity, f.status])).toEqual([
      ['monitor-blind', 'trail:us-east-1', 'high', 'open'],
    ]);
    const alerts = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(alerts.map((input) => input.MessageAttributes?.ruleId?.StringValue)).toEqual(['monitor-blind']);
    expect(alerts[0]?.Message).toContain('put-event-selectors');

    // Fixed: the next reconcile resolves it and sends nothing more.
    healthyAccount();
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
    await handler();
    const [after] = await stores().findings.forResource(ACCOUNT, monitorResource({ stage: STAGE, region: 'us-east-1' }, ACCOUNT));
    expect(after?.status).toBe('resolved');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  }, 30_000);
});
