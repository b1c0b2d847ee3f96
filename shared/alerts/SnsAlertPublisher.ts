import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { type Alert, AlertDeliveryError, type AlertPublisher } from '../ports/alertPublisher';
import { snsMessage, snsMessageAttributes } from './snsMessage';

/**
 * Publishes each alert as one SNS message: the text body to e-mail (and any protocol without its own
 * variant), the JSON form to SQS, Lambda and HTTP(S) subscribers, and `severity`, `ruleId` and `account`
 * as message attributes for subscription filter policies. Sends only; formatting is formatAlert's.
 */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  /** Publishes one alert; throws AlertDeliveryError (the SNS error as its cause) when SNS refuses or is unreachable. */
  async publish(alert: Alert): Promise<void> {
    try {
      await this.client.send(new PublishCommand(publishInput(alert, this.topicArn)));
    } catch (error) {
      throw new AlertDeliveryError(
        `SNS publish to ${this.topicArn} failed for finding ${String(alert.json.id ?? alert.attributes.ruleId)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

/** The PublishCommand input for an alert. */
export function publishInput(alert: Alert, topicArn: string): PublishCommandInput {
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    MessageStructure: 'json',
    Message: snsMessage(alert),
    MessageAttributes: snsMessageAttributes(alert),
  };
}
