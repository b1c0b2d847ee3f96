import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE_END, CATALOGUE_START, renderRuleCatalogue, withRuleCatalogue } from '../../shared/rules/catalogue';
import { RULES } from '../../shared/rules/index';
import type { Rule } from '../../shared/rules/types';

const ROOT = join(__dirname, '..', '..');
const CATALOGUE_FILE = 'shared/rules/README.md';

/** The first line where two texts differ, for a failure a person can act on. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = a.findIndex((text, i) => text !== e[i]);
  const at = line < 0 ? a.length : line;
  return `line ${at + 1}:\n  in the file:  ${a[at] ?? '(end of file)'}\n  rendered:     ${e[at] ?? '(end of file)'}`;
}

const rule = (overrides: Partial<Rule>): Rule => ({
  id: 'example-rule',
  title: 'Example rule',
  severity: 'high',
  kind: 'posture',
  controls: ['ATTACK-T1098.003', 'CIS-5.0-1.15'],
  events: ['AttachRolePolicy', 'PutRolePolicy'],
  firesWhen: 'a policy grants `iam:*`',
  rationale: 'why',
  remediation: 'what',
  evaluate: () => [],
  ...overrides,
});

describe('the rule catalogue', () => {
  it(`in ${CATALOGUE_FILE} is the one the rule registry renders (run \`npm run docs\` after changing a rule)`, () => {
    const file = readFileSync(join(ROOT, CATALOGUE_FILE), 'utf8');
    const rendered = withRuleCatalogue(file);
    if (file !== rendered) {
      throw new Error(
        `${CATALOGUE_FILE} differs from the rule registry: run \`npm run docs\` and commit the result.\n${firstDifference(file, rendered)}`,
      );
    }
  });

  it('has a row for every rule, in registry order, with its severity and what it fires on', () => {
    const rows = renderRuleCatalogue()
      .split('\n')
      .filter((line) => /^\| [a-z0-9]+(-[a-z0-9]+)+ \| (critical|high|medium|low|info)\b/.test(line));
    expect(rows.map((line) => line.split(' | ')[0]?.slice(2))).toEqual(RULES.map((r) => r.id));
    for (const r of RULES) expect(r.firesWhen.length).toBeGreaterThan(10);
  });

  it('renders severity notes, events with their source, and ids; escapes what would break a cell', () => {
    const table = renderRuleCatalogue([
      rule({}),
      rule({
        id: 'other-rule',
        severity: 'medium',
        severityNote: 'low when | narrowed',
        firesWhen: 'a line\nthat wraps, with a | pipe',
        events: ['CreatePolicy'],
        source: 'organizations.amazonaws.com',
        kind: 'event',
      }),
    ]);
    expect(table.split('\n')).toEqual([
      '| id | severity | fires when |',
      '| --- | --- | --- |',
      '| example-rule | high | a policy grants `iam:*` |',
      '| other-rule | medium (low when \\| narrowed) | a line that wraps, with a \\| pipe |',
      '',
      'What each rule is called in alerts, the CloudTrail calls it reads, and the ids its findings evidence:',
      '',
      '| id | title | kind | CloudTrail events | compliance and ATT&CK ids |',
      '| --- | --- | --- | --- | --- |',
      '| example-rule | Example rule | posture | `AttachRolePolicy`, `PutRolePolicy` | `ATTACK-T1098.003` `CIS-5.0-1.15` |',
      '| other-rule | Example rule | event | `CreatePolicy` (`organizations.amazonaws.com`) | `ATTACK-T1098.003` `CIS-5.0-1.15` |',
    ]);
  });

  it('replaces only the text between the markers, and refuses a file without them', () => {
    const doc = `# Rules\n\nintro\n\n${CATALOGUE_START}\nold table\n${CATALOGUE_END}\n\nafter\n`;
    expect(withRuleCatalogue(doc, 'new table')).toBe(
      `# Rules\n\nintro\n\n${CATALOGUE_START}\nnew table\n${CATALOGUE_END}\n\nafter\n`,
    );
    expect(withRuleCatalogue(withRuleCatalogue(doc, 'new table'), 'new table')).toBe(withRuleCatalogue(doc, 'new table'));
    expect(() => withRuleCatalogue('# Rules\n\nno markers\n', 'table')).toThrow(CATALOGUE_START);
    expect(() => withRuleCatalogue(`${CATALOGUE_END}\n${CATALOGUE_START}\n`, 'table')).toThrow(CATALOGUE_START);
  });

  it('is counted right on the front page', () => {
    const front = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(front.match(/catalogue of (\d+) rules/)?.[1]).toBe(String(RULES.length));
  });
});
