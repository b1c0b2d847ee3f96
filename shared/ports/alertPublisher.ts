import { RoleWatchError } from '../errors';

/**
 * One alert, ready for any channel: an e-mail subject and plain-text body for people, a JSON form for
 * machine subscribers, and the attributes subscriptions filter on.
 */
export interface Alert {
  /** ASCII only, one line, under 100 characters (SNS Subject rules). */
  subject: string;
  /** Plain-text body, UTF-8. */
  text: string;
  /** The finding's important fields for machine subscribers (SQS, Lambda, HTTP). */
  json: Record<string, unknown>;
  /** The custom notification of Amazon Q Developer in chat applications (Slack, Teams), for HTTPS subscribers. */
  chat?: Record<string, unknown>;
  /** Routing keys: SNS MessageAttributes, e-mail X- headers. */
  attributes: { severity: string; ruleId: string; account: string };
}

/** Delivers alerts to people and systems. */
export interface AlertPublisher {
  /** Delivers one alert; throws (AlertDeliveryError) when delivery fails, so the caller can retry. */
  publish(alert: Alert): Promise<void>;
}

/** An alert could not be delivered; the finding stays pending and is sent on the next attempt. */
export class AlertDeliveryError extends RoleWatchError {}
