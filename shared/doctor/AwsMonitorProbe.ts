import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeRuleCommand,
  type DescribeRuleCommandOutput,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CLIENT_OPTIONS } from '../awsClients';
import { RoleWatchError } from '../errors';
import type { EventKind } from '../roles/roleEvents';
import {
  type AdvancedField,
  calling,
  type MonitorProbe,
  type RuleReading,
  type SubscriptionReading,
  type TrailSelectors,
  type TrailSummary,
} from './probe';

/** The clients the probe uses: CloudTrail and EventBridge in any region, SNS and SQS in RoleWatch's. */
export interface MonitorClients {
  cloudTrail(region: string): CloudTrailClient;
  eventBridge(region: string): EventBridgeClient;
  sns: SNSClient;
  sqs: SQSClient;
  /** Reads RoleWatch's table (the monitor's last-event items). */
  lastEvents(): Promise<Partial<Record<EventKind, number>>>;
}

/** Pages listed at most, so that a hostile or broken answer cannot loop forever. */
const MAX_PAGES = 50;

/** {@link MonitorProbe} over the AWS SDK: read-only calls, each denial reported with the permission it needs. */
export class AwsMonitorProbe implements MonitorProbe {
  constructor(private readonly clients: MonitorClients) {}

  async trails(region: string): Promise<TrailSummary[]> {
    const answer = await calling('cloudtrail:DescribeTrails', () =>
      this.clients.cloudTrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true })),
    );
    return (answer.trailList ?? []).flatMap((trail) =>
      trail.Name && trail.TrailARN
        ? [
            {
              name: trail.Name,
              arn: trail.TrailARN,
              homeRegion: trail.HomeRegion ?? region,
              multiRegion: trail.IsMultiRegionTrail === true,
              organization: trail.IsOrganizationTrail === true,
            },
          ]
        : [],
    );
  }

  async isLogging(trail: TrailSummary): Promise<boolean> {
    const answer = await calling('cloudtrail:GetTrailStatus', () =>
      this.clients.cloudTrail(trail.homeRegion).send(new GetTrailStatusCommand({ Name: trail.arn })),
    );
    return answer.IsLogging === true;
  }

  async selectors(trail: TrailSummary): Promise<TrailSelectors> {
    const answer = await calling('cloudtrail:GetEventSelectors', () =>
      this.clients.cloudTrail(trail.homeRegion).send(new GetEventSelectorsCommand({ TrailName: trail.arn })),
    );
    return {
      basic: (answer.EventSelectors ?? []).map((selector) => ({
        readWriteType: selector.ReadWriteType ?? 'All',
        // CloudTrail's default for a basic selector is to include management events.
        includeManagementEvents: selector.IncludeManagementEvents !== false,
        excludedSources: selector.ExcludeManagementEventSources ?? [],
      })),
      advanced: (answer.AdvancedEventSelectors ?? []).map((selector) => ({
        ...(selector.Name ? { name: selector.Name } : {}),
        fields: (selector.FieldSelectors ?? []).map(
          (field): AdvancedField => ({
            field: field.Field ?? '',
            ...(field.Equals ? { equals: field.Equals } : {}),
            ...(field.NotEquals ? { notEquals: field.NotEquals } : {}),
            ...(field.StartsWith ? { startsWith: field.StartsWith } : {}),
            ...(field.NotStartsWith ? { notStartsWith: field.NotStartsWith } : {}),
          }),
        ),
      })),
    };
  }

  async rule(region: string, name: string, bus?: string): Promise<RuleReading | undefined> {
    const client = this.clients.eventBridge(region);
    const where = { ...(bus ? { EventBusName: bus } : {}) };
    let described: DescribeRuleCommandOutput;
    try {
      described = await calling('events:DescribeRule', () => client.send(new DescribeRuleCommand({ Name: name, ...where })));
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
    let targets = 0;
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await calling('events:ListTargetsByRule', () =>
        client.send(new ListTargetsByRuleCommand({ Rule: name, ...where, ...(token ? { NextToken: token } : {}) })),
      );
      targets += answer.Targets?.length ?? 0;
      token = answer.NextToken;
      if (!token) break;
    }
    return {
      name: described.Name ?? name,
      state: described.State ?? 'UNKNOWN',
      ...(described.EventPattern ? { eventPattern: described.EventPattern } : {}),
      targets,
    };
  }

  async subscriptions(topicArn: string): Promise<SubscriptionReading[]> {
    const found: SubscriptionReading[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await calling('sns:ListSubscriptionsByTopic', () =>
        this.clients.sns.send(
          new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(token ? { NextToken: token } : {}) }),
        ),
      );
      for (const s of answer.Subscriptions ?? [])
        found.push({ arn: s.SubscriptionArn ?? '', protocol: s.Protocol ?? '', endpoint: s.Endpoint ?? '' });
      token = answer.NextToken;
      if (!token) break;
    }
    return found;
  }

  async queueMessages(queueUrl: string): Promise<number> {
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const answer = await calling('sqs:GetQueueAttributes', () =>
      this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...names] })),
    );
    return names.reduce((total, name) => {
      const value = answer.Attributes?.[name];
      if (value === undefined || !/^\d+$/.test(value)) throw new RoleWatchError(`SQS answered no ${name} for ${queueUrl}`);
      return total + Number(value);
    }, 0);
  }

  async lastEvents(): Promise<Partial<Record<EventKind, number>>> {
    return calling('dynamodb:Query', () => this.clients.lastEvents());
  }
}

/**
 * The probe over real clients: CloudTrail and EventBridge made once per region asked, SNS and SQS in
 * RoleWatch's region, with the credentials of the environment (the user's, or the function's role).
 */
export function createAwsMonitorProbe(options: {
  region: string;
  lastEvents: () => Promise<Partial<Record<EventKind, number>>>;
}): AwsMonitorProbe {
  const perRegion = <T>(make: (region: string) => T) => {
    const made = new Map<string, T>();
    return (region: string): T => {
      const client = made.get(region) ?? make(region);
      made.set(region, client);
      return client;
    };
  };
  const at = (region: string) => ({ ...AWS_CLIENT_OPTIONS, region });
  return new AwsMonitorProbe({
    cloudTrail: perRegion((region) => new CloudTrailClient(at(region))),
    eventBridge: perRegion((region) => new EventBridgeClient(at(region))),
    sns: new SNSClient(at(options.region)),
    sqs: new SQSClient(at(options.region)),
    lastEvents: options.lastEvents,
  });
}
