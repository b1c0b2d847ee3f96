import type { Alert } from '../ports/alertPublisher';
import { utf8Bytes } from './text';

/** SNS's limit for one published message, body and attributes together: 256 KB of UTF-8. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** Protocols that receive the JSON form; every other one (e-mail, SMS, Firehose) gets the text body. */
const JSON_PROTOCOLS = ['sqs', 'lambda', 'http', 'https'] as const;

/**
 * The `Message` of a publish with `MessageStructure: 'json'`: the text body for `default` and `email`, the
 * JSON form (serialised: SNS wants string values) for machine subscribers, and for `https` the chat
 * notification when the alert has one: Amazon Q Developer in chat applications subscribes to the topic over
 * HTTPS, and renders that format in Slack or Teams.
 */
export function snsMessage(alert: Alert): string {
  const json = JSON.stringify(alert.json);
  const variants: Record<string, string> = { default: alert.text, email: alert.text };
  for (const protocol of JSON_PROTOCOLS) variants[protocol] = json;
  if (alert.chat) variants.https = JSON.stringify(alert.chat);
  return JSON.stringify(variants);
}

/** `MessageAttributes` for subscription filter policies: severity, ruleId, account. */
export function snsMessageAttributes(alert: Alert): Record<string, { DataType: 'String'; StringValue: string }> {
  const attribute = (value: string) => ({ DataType: 'String' as const, StringValue: value || 'unknown' });
  return {
    severity: attribute(alert.attributes.severity),
    ruleId: attribute(alert.attributes.ruleId),
    account: attribute(alert.attributes.account),
  };
}

/** What SNS counts against its size limit: the message, the subject, and each attribute's name, type and value. */
export function snsPublishBytes(alert: Alert): number {
  const attributes = Object.entries(snsMessageAttributes(alert)).reduce(
    (sum, [name, value]) => sum + utf8Bytes(name) + utf8Bytes(value.DataType) + utf8Bytes(value.StringValue),
    0,
  );
  return utf8Bytes(snsMessage(alert)) + utf8Bytes(alert.subject) + attributes;
}
