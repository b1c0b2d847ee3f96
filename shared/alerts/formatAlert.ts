import type { Finding, FindingTransition } from '../findings/finding';
import { severityRank } from '../findings/severity';
import type { Alert } from '../ports/alertPublisher';
import { controlsOf } from '../rules/index';
import { chatNotification } from './chat';
import { SNS_MAX_MESSAGE_BYTES, snsPublishBytes } from './snsMessage';
import { type AlertReason, formatSubject } from './subject';
import { clip, oneLine, utf8Bytes, wrap } from './text';

export type { AlertReason } from './subject';

/** Options of {@link formatAlert}. */
export interface FormatAlertOptions {
  /** Base URL of the reporting API; when given, the alert says how to look the finding up there. */
  apiUrl?: string;
}

/** Lines of the text body stay within this width where they can (long ARNs and URLs are never broken). */
const WIDTH = 100;
/** Value column of `Label:  value` lines. */
const LABEL_WIDTH = 13;
const INDENT = '  ';
/** Headroom under SNS's limit for what SNS may count that we do not (envelope, encoding differences). */
const SIZE_TARGET = SNS_MAX_MESSAGE_BYTES - 4_096;
/** Evidence is a short list: this many fields, this many items per list. */
const MAX_EVIDENCE_FIELDS = 12;
const MAX_LIST_ITEMS = 10;
/** The largest epoch-ms value a Date can hold. */
const MAX_DATE_MS = 8.64e15;
/**
 * Evidence keys the body shows elsewhere (WHO, the detail) or that mean little to a person: statement
 * numbers are zero-based indexes no console shows (the detail names the statement where it matters).
 * The JSON form keeps them all.
 */
const HIDDEN_EVIDENCE = new Set([
  'newMethods',
  'sourceIp',
  'userAgent',
  'actor',
  'narrowsOnly',
  'via',
  'coverage',
  'length',
  'statements',
  'statement',
]);

/**
 * Size limits, tried in order until the SNS message fits: bytes of diff and evidence lines in the text
 * body and in the JSON form, and characters of any one value. When none fits, MINIMAL_LIMITS drops the
 * lists altogether.
 */
interface Limits {
  textDiff: number;
  textEvidence: number;
  jsonLists: number;
  field: number;
}
const LIMITS: readonly Limits[] = [
  { textDiff: 48_000, textEvidence: 12_000, jsonLists: 12_000, field: 2_000 },
  { textDiff: 16_000, textEvidence: 4_000, jsonLists: 4_000, field: 1_000 },
  { textDiff: 4_000, textEvidence: 1_000, jsonLists: 1_000, field: 500 },
];
/** Fits any finding: six copies of 200-character fields, escaped twice at worst, stay far below 256 KB. */
const MINIMAL_LIMITS: Limits = { textDiff: 0, textEvidence: 0, jsonLists: 0, field: 200 };

/**
 * Turns a finding that needs an alert into the message a person reads at 3 a.m.: an ASCII subject
 * (`[CRITICAL] RoleWatch: role deploy-bot now trusts any principal (123456789012)`), a plain-text body
 * (what happened, who, when, where, why it is risky, what changed, how to fix, the finding), a JSON form
 * for machine subscribers, and the routing attributes. Pure; the whole SNS message stays under 256 KB,
 * however large the finding's diff or evidence.
 *
 * `transition` is what recording did to the finding; for a pending alert that outlived its event (a retry,
 * a reconcile sweep) anything other than opened/reopened/escalated is read from the finding itself.
 */
export function formatAlert(finding: Finding, transition: FindingTransition, options: FormatAlertOptions = {}): Alert {
  const reason = alertReason(finding, transition);
  const base = {
    subject: formatSubject(finding, reason),
    attributes: { severity: finding.severity, ruleId: clip(finding.ruleId, 256), account: clip(finding.account, 256) },
  };
  const build = (limits: Limits): Alert => ({
    ...base,
    text: formatText(finding, reason, options, limits),
    json: formatJson(finding, reason, options, limits),
    chat: chatNotification(finding, reason, findingUrl(finding, options)),
  });
  for (const limits of LIMITS) {
    const alert = build(limits);
    if (snsPublishBytes(alert) <= SIZE_TARGET) return alert;
  }
  return build(MINIMAL_LIMITS);
}

/**
 * Why a finding whose alert is pending is alerted, read from the finding alone (for alerts retried later):
 * never alerted before → opened; alerted before at a lower severity → escalated; else re-opened.
 */
export function pendingReason(finding: Finding): AlertReason {
  const sentSeverity = finding.alert.severity;
  if (finding.alert.sentAt === undefined || sentSeverity === undefined) return 'opened';
  return severityRank(finding.severity) > severityRank(sentSeverity) ? 'escalated' : 'reopened';
}

function alertReason(finding: Finding, transition: FindingTransition): AlertReason {
  if (transition === 'opened' || transition === 'reopened' || transition === 'escalated') return transition;
  return pendingReason(finding);
}

function formatText(finding: Finding, reason: AlertReason, options: FormatAlertOptions, limits: Limits): string {
  const field = (value: string) => oneLine(clip(value, limits.field));
  const prose = (value: string) => wrap(field(value), WIDTH, INDENT);
  const event = finding.event;
  const lines: string[] = [];

  lines.push(...wrap(`RoleWatch ${finding.severity.toUpperCase()} finding: ${field(finding.title)}`, WIDTH, ''));
  if (reason === 'reopened') lines.push('(Re-opened: this finding had been resolved or suppressed and is true again.)');
  if (reason === 'escalated') lines.push(`(Escalated: its severity rose to ${finding.severity}.)`);

  const evidence = capLines(evidenceLines(finding.evidence, limits.field), limits.textEvidence);
  section(lines, 'WHAT HAPPENED', [...prose(sentence(finding.detail)), ...(evidence.length > 0 ? ['', ...evidence] : [])]);

  if (event) {
    const source = typeof finding.evidence?.source === 'string' ? finding.evidence.source : undefined;
    const actor = event.actor ?? (source ? `${source} (CloudTrail names no ARN for this caller)` : 'not named in the event');
    section(lines, 'WHO', [
      ...labelled('Actor', field(actor)),
      ...(event.actorType ? labelled('Actor type', field(event.actorType)) : []),
      ...labelled('Source IP', field(event.sourceIp ?? 'not recorded')),
      ...labelled('User agent', field(event.userAgent ?? 'not recorded')),
    ]);
    section(lines, 'WHEN', [
      ...labelled('Event time', `${isoTime(event.eventTime)} (UTC)`),
      ...labelled('API call', `${field(event.eventName)}, CloudTrail event id ${field(event.eventId)}`),
    ]);
  } else {
    section(lines, 'WHO', [
      ...prose("No single CloudTrail event: RoleWatch found this when it re-evaluated the resource's current state."),
    ]);
    section(lines, 'WHEN', labelled('Found at', `${isoTime(finding.at)} (UTC)`));
  }
  section(lines, 'WHERE', [
    ...labelled('Account', field(finding.account || 'unknown')),
    ...labelled('Region', field(finding.region ?? event?.region ?? 'not recorded')),
    ...labelled('Resource', field(finding.resource)),
  ]);
  section(lines, 'WHY IT IS RISKY', prose(finding.rationale));
  if (finding.diff && finding.diff.length > 0) {
    const diff = finding.diff.flatMap((line) => wrap(field(line), WIDTH, INDENT, `${INDENT}    `));
    section(lines, 'WHAT CHANGED', capLines(diff, limits.textDiff));
  }
  section(lines, 'HOW TO FIX', prose(finding.remediation));
  const url = findingUrl(finding, options);
  section(lines, 'FINDING', [
    ...labelled('Id', field(finding.id)),
    ...labelled('Rule', field(finding.ruleId)),
    ...controlsLine(finding.ruleId),
    ...labelled('Severity', finding.severity),
    ...labelled('Status', finding.status),
    ...labelled('First seen', `${isoTime(finding.firstSeen)} (UTC)`),
    ...labelled('Last seen', `${isoTime(finding.lastSeen)} (UTC)`),
    ...labelled('Count', String(finding.count)),
    ...(url ? labelled('Look up', `GET ${field(url)}`) : []),
  ]);
  return `${lines.join('\n')}\n`;
}

/** The compliance and ATT&CK ids of the finding's rule, when it has any. */
function controlsLine(ruleId: string): string[] {
  const controls = controlsOf(ruleId);
  return controls.length > 0 ? labelled('Controls', controls.join(' ')) : [];
}

function section(lines: string[], title: string, body: readonly string[]): void {
  lines.push('', title, ...body);
}

/** `  Label:       value`, continuation lines aligned under the value. */
function labelled(label: string, value: string): string[] {
  return wrap(value, WIDTH, `${INDENT}${`${label}:`.padEnd(LABEL_WIDTH)}`, ' '.repeat(INDENT.length + LABEL_WIDTH));
}

/** Lines up to `maxBytes`, then one line saying how many were left out. */
function capLines(lines: readonly string[], maxBytes: number): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    used += utf8Bytes(line) + 1;
    if (used > maxBytes) break;
    kept.push(line);
  }
  const left = lines.length - kept.length;
  return left > 0
    ? [...kept, `${INDENT}[${left} more line${left === 1 ? '' : 's'} left out to fit the message size limit]`]
    : kept;
}

/** Evidence as a short list: `Label: value`, lists inline when short, else one item per line. */
function evidenceLines(evidence: Record<string, unknown> | undefined, maxChars: number): string[] {
  if (!evidence) return [];
  const entries = Object.entries(evidence).filter(([key, value]) => !HIDDEN_EVIDENCE.has(key) && isShown(value));
  const lines: string[] = [];
  const shown = new Set<string>();
  for (const [key, value] of entries.slice(0, MAX_EVIDENCE_FIELDS)) {
    const label = clip(labelOf(key), 60);
    // The same value under two names (source and sourceAccount) says nothing new the second time.
    const identity = safeStringify(value) ?? key;
    if (shown.has(identity)) continue;
    shown.add(identity);
    if (key === 'changedThrough' && isRecord(value)) {
      lines.push(...wrap(`Really changed by: ${render(changedThroughText(value), maxChars)}`, WIDTH, INDENT, `${INDENT}  `));
    } else if (key === 'methods' && Array.isArray(value) && value.every(isMethod)) {
      const isNew = newMethodsOf(evidence, value);
      lines.push(`${INDENT}Escalation methods:`);
      lines.push(...listItems(value, (method) => methodLines(method, isNew(method), maxChars)));
    } else if (Array.isArray(value)) {
      const items = value.map((item) => render(item, maxChars));
      const inline = items.join(', ');
      if (items.length <= 3 && inline.length <= 60) lines.push(...wrap(`${label}: ${inline}`, WIDTH, INDENT, `${INDENT}  `));
      else
        lines.push(`${INDENT}${label}:`, ...listItems(items, (item) => wrap(`- ${item}`, WIDTH, `${INDENT}  `, `${INDENT}    `)));
    } else {
      lines.push(...wrap(`${label}: ${render(value, maxChars)}`, WIDTH, INDENT, `${INDENT}  `));
    }
  }
  const left = entries.length - MAX_EVIDENCE_FIELDS;
  if (left > 0) lines.push(`${INDENT}[${left} more evidence field${left === 1 ? '' : 's'} left out]`);
  return lines;
}

/** Who really changed a role Identity Center's service role changed: the permission-set change it echoes. */
function changedThroughText(value: Record<string, unknown>): string {
  const field = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  const set = field('permissionSet') ?? 'unknown';
  const call = field('eventName');
  return call
    ? `${field('author') ?? 'unknown'} (${call} on permission set ${set} at ${field('eventTime') ?? 'an unknown time'}), echoed by IAM Identity Center`
    : (field('author') ?? `IAM Identity Center's service role on behalf of permission set ${set}`);
}

function listItems<T>(items: readonly T[], toLines: (item: T) => string[]): string[] {
  const lines = items.slice(0, MAX_LIST_ITEMS).flatMap(toLines);
  const left = items.length - MAX_LIST_ITEMS;
  return left > 0 ? [...lines, `${INDENT}  - and ${left} more`] : lines;
}

/** Marks methods this change added, when the role already had others (if all are new, the mark is noise). */
function newMethodsOf(
  evidence: Record<string, unknown>,
  methods: readonly MethodEvidence[],
): (method: MethodEvidence) => boolean {
  const added = new Set(Array.isArray(evidence.newMethods) ? evidence.newMethods : []);
  const allNew = methods.every((method) => added.has(method.method));
  return (method) => !allNew && added.has(method.method);
}

interface MethodEvidence {
  method: string;
  reference?: unknown;
  actions?: unknown;
}

function isMethod(value: unknown): value is MethodEvidence {
  return typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string';
}

/** `- CreateNewPolicyVersion (new): iam:CreatePolicyVersion` and its reference URL. */
function methodLines(method: MethodEvidence, isNew: boolean, maxChars: number): string[] {
  const actions = Array.isArray(method.actions)
    ? method.actions.flatMap((grant) =>
        typeof grant === 'object' && grant !== null && typeof (grant as { action?: unknown }).action === 'string'
          ? [(grant as { action: string }).action]
          : [],
      )
    : [];
  const head = `- ${method.method}${isNew ? ' (new)' : ''}${actions.length > 0 ? `: ${actions.join(' + ')}` : ''}`;
  return [
    ...wrap(oneLine(clip(head, maxChars)), WIDTH, `${INDENT}  `, `${INDENT}    `),
    ...(typeof method.reference === 'string' ? [`${INDENT}    ${oneLine(clip(method.reference, maxChars))}`] : []),
  ];
}

/** Rule details start in lower case ("role x trusts..."); a body reads better starting with a capital. */
function sentence(detail: string): string {
  return /^[a-z]+ /.test(detail) ? detail.charAt(0).toUpperCase() + detail.slice(1) : detail;
}

function isShown(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  return !Array.isArray(value) || value.length > 0;
}

/** `addedPrincipals` → `Added principals`. */
function labelOf(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function render(value: unknown, maxChars: number): string {
  if (typeof value === 'string') return oneLine(clip(value, maxChars));
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return oneLine(clip(safeStringify(value) ?? String(value), maxChars));
}

function formatJson(finding: Finding, reason: AlertReason, options: FormatAlertOptions, limits: Limits): Record<string, unknown> {
  const field = (value: string) => clip(value, limits.field);
  const event = finding.event;
  const evidence = capEvidence(finding.evidence, limits.jsonLists);
  const diff = capDiff(finding.diff ?? [], limits.jsonLists, limits.field);
  const url = findingUrl(finding, options);
  return {
    id: field(finding.id),
    ruleId: field(finding.ruleId),
    severity: finding.severity,
    status: finding.status,
    transition: reason,
    account: field(finding.account),
    region: field(finding.region ?? event?.region ?? '') || null,
    resource: field(finding.resource),
    resourceName: field(finding.resourceName),
    ...(finding.roleName !== undefined ? { roleName: field(finding.roleName) } : {}),
    title: field(finding.title),
    detail: field(finding.detail),
    controls: [...controlsOf(finding.ruleId)],
    event: event
      ? Object.fromEntries(Object.entries(event).map(([key, value]) => [key, typeof value === 'string' ? field(value) : value]))
      : null,
    evidence: evidence.value ?? null,
    ...(evidence.truncated ? { evidenceTruncated: true } : {}),
    diff: diff.lines,
    ...(diff.omitted > 0 ? { diffLinesOmitted: diff.omitted } : {}),
    rationale: field(finding.rationale),
    remediation: field(finding.remediation),
    firstSeen: isoTime(finding.firstSeen),
    lastSeen: isoTime(finding.lastSeen),
    count: finding.count,
    links: url ? { finding: field(url) } : {},
  };
}

function capDiff(lines: readonly string[], maxBytes: number, maxChars: number): { lines: string[]; omitted: number } {
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const shown = clip(line, maxChars);
    used += utf8Bytes(shown) + 3;
    if (used > maxBytes) break;
    kept.push(shown);
  }
  return { lines: kept, omitted: lines.length - kept.length };
}

/** The evidence whole when it fits, else with lists and strings shortened step by step, else none. */
function capEvidence(
  evidence: Record<string, unknown> | undefined,
  maxBytes: number,
): { value?: Record<string, unknown>; truncated: boolean } {
  if (!evidence) return { truncated: false };
  if (fits(evidence, maxBytes)) return { value: evidence, truncated: false };
  for (const [items, chars] of [
    [20, 500],
    [5, 100],
    [2, 40],
  ] as const) {
    const shrunk = shrink(evidence, items, chars, 4);
    if (isRecord(shrunk) && fits(shrunk, maxBytes)) return { value: shrunk, truncated: true };
  }
  return { truncated: true };
}

function shrink(value: unknown, items: number, chars: number, depth: number): unknown {
  if (typeof value === 'string') return clip(value, chars);
  if (Array.isArray(value)) return depth <= 0 ? [] : value.slice(0, items).map((item) => shrink(item, items, chars, depth - 1));
  if (isRecord(value)) {
    if (depth <= 0) return {};
    return Object.fromEntries(
      Object.entries(value)
        .slice(0, items)
        .map(([key, item]) => [clip(key, chars), shrink(item, items, chars, depth - 1)]),
    );
  }
  return value;
}

function fits(value: unknown, maxBytes: number): boolean {
  const text = safeStringify(value);
  return text !== undefined && utf8Bytes(text) <= maxBytes;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Evidence is plain data, but an alert must go out even if a rule put something unserialisable in it. */
function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function findingUrl(finding: Finding, options: FormatAlertOptions): string | undefined {
  if (!options.apiUrl) return undefined;
  return `${options.apiUrl.replace(/\/+$/, '')}/findings/${encodeURIComponent(finding.id)}`;
}

/** ISO 8601 in UTC, without milliseconds when there are none: `2026-03-02T09:00:00Z`. */
function isoTime(time: number | string): string {
  const ms = typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return typeof time === 'string' ? oneLine(clip(time, 40)) : 'unknown';
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
