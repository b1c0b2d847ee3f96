import type { Finding } from '../findings/finding';
import { controlsOf } from '../rules/index';
import type { AlertReason } from './subject';
import { clip } from './text';

/**
 * An alert in the custom-notification format of Amazon Q Developer in chat applications (formerly AWS
 * Chatbot): `version` 1.0, `source` custom, `content` with `textType` client-markdown, a title, a markdown
 * description, next steps and keywords, and `metadata` that threads the updates of one finding. Subscribing
 * the alert topic to a Slack or Teams channel through it renders a readable message instead of raw JSON.
 *
 * Everything from CloudTrail or a policy is shown in code spans: IAM wildcards (`iam:*`, `Resource: *`) and
 * underscores would otherwise turn into bold or italics, and a code span shows them as written. Backticks
 * inside a value cannot close its span (they become '), and &, < and > are escaped as Slack requires.
 */

const TITLE_CHARS = 250;
const DESCRIPTION_CHARS = 3_500;
/** Identifiers (finding id, rule, account, resource) come from events too: bounded like everything else. */
const ID_CHARS = 256;

/** A value from CloudTrail, a policy or a person, as a code span that keeps `*` and `_` literal. */
export function chatCode(value: string, maxChars = 300): string {
  return `\`${escaped(value, maxChars).replace(/`/g, "'")}\``;
}

/** Plain words of RoleWatch's own (titles, rationale, remediation): escaped, with markdown markers made literal. */
function chatText(value: string, maxChars: number): string {
  return escaped(value, maxChars).replace(/([*_~`])/g, '\u200b$1\u200b');
}

/** One line (control characters and line separators as spaces), &, < and > escaped as Slack requires. */
function escaped(value: string, maxChars: number): string {
  return clip(value, maxChars)
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const REASON: Record<AlertReason, string> = { opened: 'New', reopened: 'Re-opened', escalated: 'Escalated' };

/** The custom notification of a finding's alert. Pure. */
export function chatNotification(finding: Finding, reason: AlertReason, url: string | undefined): Record<string, unknown> {
  const event = finding.event;
  const who = event?.actor
    ? `${chatCode(event.actor)}${event.sourceIp ? ` from ${chatCode(event.sourceIp, 64)}` : ''}`
    : 'not named in an event';
  const where = `${chatCode(finding.account || 'unknown', 20)}${(finding.region ?? event?.region) ? `, ${chatCode(finding.region ?? event?.region ?? '', 30)}` : ''}`;
  const lines = [
    `*${REASON[reason]} ${finding.severity.toUpperCase()} finding* (${chatCode(finding.ruleId, 80)})`,
    `*What:* ${chatCode(finding.detail, 600)}`,
    `*Role:* ${chatCode(finding.roleName ?? finding.resourceName, 128)} in ${where}`,
    `*Who:* ${who}`,
    ...(event ? [`*When:* ${chatCode(event.eventTime, 40)} ${chatCode(event.eventName, 80)}`] : []),
    ...(finding.diff && finding.diff.length > 0
      ? [`*What changed:*`, ...finding.diff.slice(0, 8).map((line) => `> ${chatCode(line, 300)}`)]
      : []),
    ...(finding.diff && finding.diff.length > 8 ? [`> ... and ${finding.diff.length - 8} more lines`] : []),
    `*Why it is risky:* ${chatText(finding.rationale, 600)}`,
    ...(url ? [`*Finding:* ${url}`] : [`*Finding:* ${chatCode(finding.id, 64)}`]),
  ];
  const controls = controlsOf(finding.ruleId);
  return {
    version: '1.0',
    source: 'custom',
    id: clip(`${finding.id}:${finding.lastSeen}`, ID_CHARS),
    content: {
      textType: 'client-markdown',
      title: chatText(
        `[${finding.severity.toUpperCase()}] ${finding.title}: ${finding.roleName ?? finding.resourceName}`,
        TITLE_CHARS,
      ),
      description: clip(lines.join('\n'), DESCRIPTION_CHARS),
      nextSteps: [chatText(finding.remediation, 600)],
      keywords: [
        finding.severity.toUpperCase(),
        finding.ruleId,
        ...controls.filter((c) => c.startsWith('CIS-5.0-') || c.startsWith('ATTACK-')),
      ]
        .slice(0, 6)
        .map((keyword) => clip(keyword, 64)),
    },
    metadata: {
      threadId: clip(finding.id, ID_CHARS),
      summary: clip(`RoleWatch ${finding.severity}: ${finding.title}`, 200),
      eventType: `rolewatch.${reason}`,
      relatedResources: [clip(finding.resource, ID_CHARS)],
      additionalContext: {
        findingId: clip(finding.id, ID_CHARS),
        ruleId: clip(finding.ruleId, ID_CHARS),
        severity: finding.severity,
        account: clip(finding.account, ID_CHARS),
      },
    },
  };
}
