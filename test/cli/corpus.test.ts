import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli';

import { CORPUS, MALFORMED } from '../support/corpus';

const eventFiles = readdirSync(path.join(CORPUS, 'events'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .sort();

describe('rolewatch on the third-party corpus', () => {
  it('evaluates the whole events directory without a failed event', async () => {
    const { code, stderr } = await runCli('evaluate', path.join(CORPUS, 'events'), '--format', 'jsonl');
    expect(stderr).not.toMatch(/error evaluating|events failed/);
    expect(stderr).toMatch(/\d+ events evaluated/);
    // INDEX.jsonl describes the corpus's files and holds no CloudTrail record: its lines, and only they, are
    // skipped, so the run is partial (exit 3).
    // and so are the records AWS would never have written (see MALFORMED).
    const sources = [...stderr.matchAll(/^skipped (\S+?)(?: \(eventID [^)]*\))?: /gm)].map((match) =>
      path.relative(path.join(CORPUS, 'events'), match[1] ?? ''),
    );
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => !source.startsWith('INDEX.jsonl:') && !(source in MALFORMED))).toEqual([]);
    expect(code).toBe(3);
  });

  it.each(eventFiles)('evaluates %s alone', async (file) => {
    const { code, stderr } = await runCli('evaluate', path.join(CORPUS, 'events', file), '--format', 'jsonl');
    // A malformed record of a call RoleWatch does not watch is dropped unparsed; one it watches is skipped (exit 3).
    if (code === 3) expect(stderr).toContain(`1 ${MALFORMED[file]}`);
    else expect(code).toBe(0);
    expect(stderr).not.toMatch(/error evaluating/);
  });

  it('checks all 1,641 AWS-managed policies: ReadOnlyAccess and SecurityAudit are not admin, IAMFullAccess grants IAM wildcards', async () => {
    const dir = path.join(CORPUS, 'policies/managed');
    const files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => path.join(dir, file));
    expect(files).toHaveLength(1641);
    const { code, stdout, stderr } = await runCli('check-policy', ...files, '--format', 'jsonl');
    expect(code).toBe(0);
    expect(stderr).toContain('1641 policies checked');
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { file: string; ruleId: string });
    const rulesOf = (name: string) => rows.filter((r) => path.basename(r.file) === `${name}.json`).map((r) => r.ruleId);
    for (const name of ['ReadOnlyAccess', 'SecurityAudit']) {
      expect(rulesOf(name)).not.toContain('admin-policy-attached');
      expect(rulesOf(name)).not.toContain('iam-wildcard-permissions');
    }
    expect(rulesOf('IAMFullAccess')).toContain('iam-wildcard-permissions');
    expect(rows.some((r) => r.ruleId === 'malformed-policy')).toBe(false);
  }, 60_000);
});
