import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatAlert } from '../../shared/alerts/formatAlert';
import { ALERT_FIXTURES, API_URL, recordedFinding } from './support';

/**
 * Golden alerts: real findings (the engine run over CloudTrail records) formatted and compared, subject and
 * body, with messages reviewed by a person. Any change to what a person receives fails here; after
 * reviewing the new output, rewrite the files with `UPDATE_ALERT_GOLDENS=1 npx jest test/alerts`.
 */
const CASES = [
  'trust-any-principal',
  'github-oidc-without-subject',
  'administrator-access-attached',
  'privilege-escalation-path',
  'assumed-from-unknown-account',
  'trust-policy-changed',
  'trust-any-principal-reopened',
] as const;

const update = process.env.UPDATE_ALERT_GOLDENS === '1';

describe.each(CASES)('golden alert %s', (name) => {
  const subjectFile = path.join(ALERT_FIXTURES, `${name}.subject.txt`);
  const textFile = path.join(ALERT_FIXTURES, `${name}.txt`);

  it('is the reviewed subject and body', async () => {
    const { finding, transition } = await recordedFinding(name);
    const alert = formatAlert(finding, transition, { apiUrl: API_URL });
    if (update) {
      writeFileSync(subjectFile, `${alert.subject}\n`);
      writeFileSync(textFile, alert.text);
    }
    expect(existsSync(subjectFile) && existsSync(textFile)).toBe(true);
    expect(alert.subject).toBe(readFileSync(subjectFile, 'utf8').replace(/\n$/, ''));
    expect(alert.text).toBe(readFileSync(textFile, 'utf8'));
  });

  it('is an alert the lifecycle really sends', async () => {
    const { finding, transition } = await recordedFinding(name);
    expect(finding.alert.state).toBe('pending');
    expect(['opened', 'reopened', 'escalated']).toContain(transition);
  });

  it('keeps lines within 100 characters unless one word (an ARN, a URL) is longer', async () => {
    const { finding, transition } = await recordedFinding(name);
    const { text } = formatAlert(finding, transition, { apiUrl: API_URL });
    const wide = text.split('\n').filter((line) => line.length > 100);
    for (const line of wide) expect(Math.max(...line.split(' ').map((word) => word.length))).toBeGreaterThan(60);
  });
});
