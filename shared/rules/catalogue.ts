import { RULES } from './index';
import type { Rule } from './types';

/** The marker comments in shared/rules/README.md between which the catalogue is rendered. */
export const CATALOGUE_START = '<!-- rules:start -->';
export const CATALOGUE_END = '<!-- rules:end -->';

/** A value as the text of one table cell: on one line, a `|` escaped so that it does not end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\\?\|/g, '\\|');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function severityOf(rule: Rule): string {
  return rule.severityNote ? `${rule.severity} (${rule.severityNote})` : rule.severity;
}

function eventsOf(rule: Rule): string {
  const names = rule.events.map(code).join(', ');
  return rule.source ? `${names} (${code(rule.source)})` : names;
}

/**
 * The rule catalogue as markdown, from the registry: what each rule fires on and at which severity, then what
 * each one reads (CloudTrail events) and which compliance and ATT&CK ids its findings evidence.
 */
export function renderRuleCatalogue(rules: readonly Rule[] = RULES): string {
  return [
    row(['id', 'severity', 'fires when']),
    row(['---', '---', '---']),
    ...rules.map((rule) => row([rule.id, severityOf(rule), rule.firesWhen])),
    '',
    'What each rule is called in alerts, the CloudTrail calls it reads, and the ids its findings evidence:',
    '',
    row(['id', 'title', 'kind', 'CloudTrail events', 'compliance and ATT&CK ids']),
    row(['---', '---', '---', '---', '---']),
    ...rules.map((rule) => row([rule.id, rule.title, rule.kind, eventsOf(rule), rule.controls.map(code).join(' ')])),
  ].join('\n');
}

/**
 * `markdown` with the text between the catalogue markers replaced by `catalogue`. Throws when the markers are
 * missing or out of order: the rule table would otherwise be silently left out.
 */
export function withRuleCatalogue(markdown: string, catalogue: string = renderRuleCatalogue()): string {
  const start = markdown.indexOf(CATALOGUE_START);
  const end = markdown.indexOf(CATALOGUE_END);
  if (start < 0 || end < start) throw new Error(`expected ${CATALOGUE_START} then ${CATALOGUE_END} around the rule table`);
  return `${markdown.slice(0, start + CATALOGUE_START.length)}\n${catalogue}\n${markdown.slice(end)}`;
}
