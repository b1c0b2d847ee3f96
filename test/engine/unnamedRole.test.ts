import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import { RULE_IDS } from '../../shared/rules/index';

const FIXTURES = path.resolve(__dirname, '../fixtures/rules');

/** The event under test of a rule fixture, without its roleName. */
function withoutRoleName(file: string): Record<string, unknown> {
  const fixture = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { events: Record<string, unknown>[] };
  const record = structuredClone(fixture.events[fixture.events.length - 1] ?? {});
  const request = record.requestParameters as Record<string, unknown>;
  delete request.roleName;
  return record;
}

async function findingsOf(record: Record<string, unknown>) {
  const { engine } = createMemoryContext({ config: validateConfig({}, RULE_IDS) });
  const result = await engine.process(parseTrailRecord(record));
  return result.findings.map((f) => f.finding);
}

describe('a role event whose record lacks the role name', () => {
  it('still judges the inline policy it carries, on a role named unknown', async () => {
    const findings = await findingsOf(withoutRoleName('admin-equivalent-inline-policy/fires.put-star-on-star.json'));
    const admin = findings.find((f) => f.ruleId === 'admin-equivalent-inline-policy');
    expect(admin?.resource).toBe('arn:aws:iam::123456789012:role/(unknown)');
    expect(admin?.detail).toContain('role (unknown)');
  });

  it('still judges the trust policy it carries', async () => {
    const findings = await findingsOf(withoutRoleName('trust-any-principal/fires.create-role-aws-star.json'));
    expect(findings.map((f) => f.ruleId)).toContain('trust-any-principal');
  });
});
