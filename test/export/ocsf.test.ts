import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTrailRecord } from '../../shared/cloudtrail/parse';
import { validateConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import { ocsfDetectionFinding } from '../../shared/export/ocsf';
import { RULE_IDS } from '../../shared/rules/index';
import { runCli } from '../support/cli';
import { ocsfErrors } from '../support/ocsf';

const ALERTS = path.resolve(__dirname, '../fixtures/alerts');
const CASES = [
  'administrator-access-attached',
  'trust-policy-changed',
  'github-oidc-without-subject',
  'privilege-escalation-path',
];

function fixtureRecords(): unknown[] {
  return CASES.flatMap(
    (name) => (JSON.parse(readFileSync(path.join(ALERTS, `${name}.events.json`), 'utf8')) as { events: unknown[] }).events,
  );
}

describe('rolewatch evaluate --format ocsf', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-ocsf-'));
    writeFileSync(path.join(dir, 'trail.json'), JSON.stringify({ Records: fixtureRecords() }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one Detection Finding (class 2004) per line, each valid against the OCSF class', async () => {
    const { code, stdout } = await runCli('evaluate', path.join(dir, 'trail.json'), '--format', 'ocsf');
    expect(code).toBe(0);
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) expect(ocsfErrors(record)).toEqual([]);
    const admin = records.find((r) => (r.unmapped as { rule_id: string }).rule_id === 'admin-policy-attached');
    expect(admin).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      severity_id: 5,
      status_id: 1,
      cloud: { provider: 'AWS', account: { uid: '123456789012' } },
      resources: [{ type: 'AWS::IAM::Role', cloud_partition: 'aws' }],
      finding_info: {
        attacks: [
          {
            technique: { uid: 'T1098', name: 'Account Manipulation' },
            sub_technique: { uid: 'T1098.003', name: 'Additional Cloud Roles' },
          },
        ],
      },
    });
    expect((admin?.unmapped as { controls: string[] } | undefined)?.controls).toContain('CIS-5.0-1.15');
  });
});

describe('ocsfDetectionFinding', () => {
  async function findings() {
    const { engine, store } = createMemoryContext({ config: validateConfig({}, RULE_IDS) });
    for (const record of fixtureRecords()) await engine.process(parseTrailRecord(record));
    return store.allFindings();
  }

  it('maps resolved findings to Close / Resolved and suppressed ones to Update / Suppressed, all valid', async () => {
    const [first, second] = await findings();
    if (!first || !second) throw new Error('no findings');
    const resolved = ocsfDetectionFinding(
      { ...first, status: 'resolved', resolvedAt: first.lastSeen, resolution: 'policy detached' },
      { productVersion: '0.1.0' },
    );
    expect(resolved).toMatchObject({ activity_id: 3, type_uid: 200403, status_id: 4, status_detail: 'policy detached' });
    const suppressed = ocsfDetectionFinding(
      { ...second, status: 'suppressed', count: 2, suppression: { reason: 'accepted', by: 'alice' } },
      { productVersion: '0.1.0' },
    );
    expect(suppressed).toMatchObject({ activity_id: 2, status_id: 3 });
    for (const record of [resolved, suppressed]) expect(ocsfErrors(record)).toEqual([]);
  });

  it('keeps hostile strings as data and stays valid', async () => {
    const [first] = await findings();
    if (!first) throw new Error('no findings');
    const record = ocsfDetectionFinding(
      { ...first, detail: '"},{"class_uid":1\u0000\u202e', resourceName: '<script>', account: 'not-an-account' },
      { productVersion: '0.1.0' },
    );
    expect(ocsfErrors(record)).toEqual([]);
    expect(record.message).toBe('"},{"class_uid":1\u0000\u202e');
    expect(record.cloud).toEqual({ provider: 'AWS', region: 'us-east-1' });
  });
});

describe('the OCSF check', () => {
  it('refuses records that break the class (the check can fail)', async () => {
    const { engine, store } = createMemoryContext({ config: validateConfig({}, RULE_IDS) });
    for (const record of fixtureRecords()) await engine.process(parseTrailRecord(record));
    const [finding] = await store.allFindings();
    if (!finding) throw new Error('no findings');
    const good = ocsfDetectionFinding(finding, { productVersion: '0.1.0' });
    const { finding_info: _info, ...withoutInfo } = good;
    expect(ocsfErrors(withoutInfo).length).toBeGreaterThan(0);
    expect(ocsfErrors({ ...good, severity_ids: 3 }).length).toBeGreaterThan(0);
    expect(ocsfErrors({ ...good, type_uid: 200499 })).toContain('type_uid is not class_uid * 100 + activity_id');
    expect(ocsfErrors({ ...good, status_id: 7 }).length).toBeGreaterThan(0);
    expect(ocsfErrors({ ...good, metadata: { product: { name: 'x' } } }).length).toBeGreaterThan(0);
    expect(ocsfErrors({ ...good, time: '2026-01-01' }).length).toBeGreaterThan(0);
  });
});
