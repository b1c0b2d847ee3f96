import fc from 'fast-check';
import { formatAlert, pendingReason } from '../../shared/alerts/formatAlert';
import { SNS_MAX_MESSAGE_BYTES, snsMessage, snsPublishBytes } from '../../shared/alerts/snsMessage';
import { SUBJECT_PHRASES } from '../../shared/alerts/subject';
import type { Finding, FindingTransition } from '../../shared/findings/finding';
import { SEVERITIES } from '../../shared/findings/severity';
import { RULE_IDS } from '../../shared/rules/index';
import { finding } from './support';

const TRANSITIONS: FindingTransition[] = ['opened', 'reopened', 'escalated', 'repeated', 'duplicate', 'suppressed'];

/** Printable ASCII, no line break, not starting with a space, under 100 characters: what SNS accepts. */
function expectValidSubject(subject: string): void {
  expect(subject.length).toBeLessThan(100);
  expect(subject).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
}

describe('formatAlert subject', () => {
  it('names severity, what happened, the role and the account', () => {
    expect(formatAlert(finding(), 'opened').subject).toBe(
      '[CRITICAL] RoleWatch: role deploy-bot now trusts any principal (123456789012)',
    );
  });

  it('says when a finding is re-opened or escalated', () => {
    expect(formatAlert(finding({ severity: 'high' }), 'reopened').subject).toBe(
      '[HIGH] RoleWatch: re-opened: role deploy-bot now trusts any principal (123456789012)',
    );
    expect(formatAlert(finding(), 'escalated').subject).toMatch(/^\[CRITICAL\] RoleWatch: escalated: role deploy-bot /);
  });

  it('falls back to the rule title for a rule without a phrase', () => {
    const alert = formatAlert(finding({ ruleId: 'some-future-rule', title: 'Something odd' }), 'opened');
    expect(alert.subject).toBe('[CRITICAL] RoleWatch: Something odd: role deploy-bot (123456789012)');
  });

  it('has a phrase for every rule of the catalogue, and only for real rule ids', () => {
    expect(Object.keys(SUBJECT_PHRASES).sort()).toEqual([...RULE_IDS].sort());
  });

  it('shortens a long role name in the middle and keeps the account visible', () => {
    const name = `payments-${'x'.repeat(80)}-prod`;
    const { subject } = formatAlert(finding({ roleName: name, resourceName: name }), 'opened');
    expectValidSubject(subject);
    expect(subject).toMatch(/^\[CRITICAL\] RoleWatch: role payments-x+\.\.\.x+-prod now trusts any principal \(123456789012\)$/);
  });

  it('cuts the prose after the role name before it shortens a name that fits', () => {
    const name = 'aws-support-replication-data-sync-01';
    const { subject } = formatAlert(
      finding({ roleName: name, resourceName: name, ruleId: 'trust-any-principal-with-conditions' }),
      'opened',
    );
    expectValidSubject(subject);
    expect(subject).toBe(`[CRITICAL] RoleWatch: role ${name} trusts any princi... (123456789012)`);
  });

  it('cuts the prose before the role name when the name comes last, keeping the name whole', () => {
    const name = 'aws-support-replication-data-sync-01';
    const { subject } = formatAlert(
      finding({ roleName: name, resourceName: name, ruleId: 'policy-version-escalation' }),
      'opened',
    );
    expectValidSubject(subject);
    expect(subject).toBe(`[CRITICAL] RoleWatch: new policy versio... role ${name} (123456789012)`);
  });

  it('never shortens a role name that fits the subject on its own', () => {
    const named = (ruleId: string, name: string) =>
      formatAlert(finding({ roleName: name, resourceName: name, ruleId }), 'opened').subject;
    const naming = [...RULE_IDS].filter((ruleId) => named(ruleId, 'probe-name').includes('probe-name'));
    fc.assert(
      fc.property(fc.stringMatching(/^[\w+=,.@-]{1,57}$/), fc.constantFrom(...naming), (name, ruleId) => {
        const { subject } = formatAlert(finding({ roleName: name, resourceName: name, ruleId }), 'opened');
        expectValidSubject(subject);
        expect(subject).toContain(name);
      }),
      { numRuns: 500 },
    );
  });

  it('transliterates accents and symbols and turns line breaks into spaces', () => {
    const { subject } = formatAlert(finding({ roleName: 'café–straße\nbcc: x', resourceName: 'r' }), 'opened');
    expect(subject).toBe('[CRITICAL] RoleWatch: role cafe-strasse bcc: x now trusts any principal (123456789012)');
  });

  it('shows characters it cannot spell in ASCII as one ? per run', () => {
    const { subject } = formatAlert(finding({ roleName: '部署-bot', resourceName: 'r' }), 'opened');
    expect(subject).toBe('[CRITICAL] RoleWatch: role ?-bot now trusts any principal (123456789012)');
  });

  it('is valid for SNS and keeps a 12-digit account visible whatever the names, details and evidence hold', () => {
    const text = fc.string({ unit: 'binary', maxLength: 300 });
    fc.assert(
      fc.property(
        fc.record({
          roleName: fc.option(text, { nil: undefined }),
          resourceName: text,
          title: text,
          ruleId: fc.oneof(fc.constantFrom(...RULE_IDS), text),
          severity: fc.constantFrom(...SEVERITIES),
          account: fc.stringMatching(/^\d{12}$/),
          qualifier: fc.option(text, { nil: undefined }),
          evidence: fc.dictionary(
            fc.constantFrom('policy', 'services', 'account', 'vendor', 'service', 'sourceAccount', 'current'),
            fc.oneof(text, fc.array(text, { maxLength: 3 })),
          ),
        }),
        fc.constantFrom(...TRANSITIONS),
        (fields, transition) => {
          const { subject } = formatAlert(finding(fields), transition);
          expectValidSubject(subject);
          expect(subject.endsWith(` (${fields.account})`)).toBe(true);
          expect(subject.startsWith(`[${fields.severity.toUpperCase()}] RoleWatch: `)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is valid even for a very long unicode name with an odd account', () => {
    const name = '🚀é\u202e\u0000'.repeat(5_000);
    const { subject } = formatAlert(finding({ roleName: name, resourceName: name, account: ' \n' }), 'opened');
    expectValidSubject(subject);
    expect(subject.endsWith('(unknown account)')).toBe(true);
  });
});

describe('formatAlert body', () => {
  it('tells what, who, when, where, why, what changed and how to fix, then the finding', () => {
    const { text } = formatAlert(
      finding({ diff: ['+ principal *', '- principal AWS:arn:aws:iam::111122223333:root'] }),
      'opened',
      {
        apiUrl: 'https://api.example.com/',
      },
    );
    const sections = text.split('\n').filter((line) => /^[A-Z][A-Z ]+$/.test(line));
    expect(sections).toEqual([
      'WHAT HAPPENED',
      'WHO',
      'WHEN',
      'WHERE',
      'WHY IT IS RISKY',
      'WHAT CHANGED',
      'HOW TO FIX',
      'FINDING',
    ]);
    expect(text).toContain('\n  + principal *\n  - principal AWS:arn:aws:iam::111122223333:root\n');
    expect(text).toContain('  Look up:     GET https://api.example.com/findings/123456789012-deploybotTrustAnyPrincipal\n');
  });

  it('has no look-up line without an API URL, and no WHAT CHANGED without a diff', () => {
    const { text } = formatAlert(finding(), 'opened');
    expect(text).not.toContain('Look up');
    expect(text).not.toContain('GET ');
    expect(text).not.toContain('WHAT CHANGED');
  });

  it('says so when a finding comes from re-evaluating state rather than from one event', () => {
    const { text } = formatAlert(finding({ event: undefined }), 'opened');
    expect(text).toContain('No single CloudTrail event');
    expect(text).toContain('  Found at:    2026-03-02T09:00:00Z (UTC)');
  });

  it('escapes control characters and bidi overrides so a caller-chosen user agent cannot forge lines', () => {
    const base = finding();
    const forged = 'curl\n\nHOW TO FIX\n  Nothing to do, ignore this alert\u202e';
    const { text } = formatAlert(
      finding({ event: { ...base.event, eventId: 'e1', eventName: 'X', eventTime: 'x', region: 'r', userAgent: forged } }),
      'opened',
    );
    expect(text.split('\n').filter((line) => line === 'HOW TO FIX')).toHaveLength(1);
    expect(text).toContain('curl\\n\\nHOW TO FIX\\n Nothing to do, ignore this alert\\u202e');
  });

  it('keeps unicode in the body (it is UTF-8) and shows the headline of a re-opened finding', () => {
    const { text } = formatAlert(finding({ detail: 'role café trusts any principal' }), 'reopened');
    expect(text).toContain('Role café trusts any principal');
    expect(text.split('\n')[1]).toBe('(Re-opened: this finding had been resolved or suppressed and is true again.)');
  });
});

describe('formatAlert size limits', () => {
  const megabyteDiff = Array.from({ length: 20_000 }, (_, i) => `+ action s3:GetObject on arn:aws:s3:::bücket-€-${i}/*`);
  const hugeEvidence = {
    principals: Array.from({ length: 50_000 }, (_, i) => `arn:aws:iam::444455556666:role/r-é-${i}`),
    policy: '€'.repeat(500_000),
    nested: { deeper: { list: Array.from({ length: 10_000 }, (_, i) => ({ i, s: '😀'.repeat(20) })) } },
  };
  const huge = finding({ diff: megabyteDiff, evidence: hugeEvidence });

  it('keeps the whole SNS message under 256 KB for a 1 MB diff and huge evidence', () => {
    expect(megabyteDiff.join('\n').length).toBeGreaterThan(1_000_000);
    const alert = formatAlert(huge, 'opened', { apiUrl: 'https://api.example.com' });
    expect(snsPublishBytes(alert)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
  });

  it('says how many diff lines were left out, and the JSON form how many it omitted', () => {
    const alert = formatAlert(huge, 'opened');
    const note = alert.text.match(/\[(\d+) more lines left out to fit the message size limit\]/);
    expect(note).not.toBeNull();
    const shown = alert.text.split('\n').filter((line) => line.startsWith('  + action')).length;
    expect(shown + Number(note?.[1])).toBe(megabyteDiff.length);
    expect(alert.json.diffLinesOmitted).toBe(megabyteDiff.length - (alert.json.diff as string[]).length);
    expect(alert.json.evidenceTruncated).toBe(true);
  });

  it('never cuts a multi-byte character', () => {
    const long = finding({ detail: `${'é😀'.repeat(100_000)}`, diff: ['😀'.repeat(600_000)] });
    const alert = formatAlert(long, 'opened');
    expect(snsPublishBytes(alert)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    for (const text of [alert.text, snsMessage(alert)]) {
      expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
    }
  });

  it('stays under the limit for any mix of large fields', () => {
    const big = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.repeat(2_000));
    fc.assert(
      fc.property(
        fc.record({
          id: big,
          account: big,
          ruleId: big,
          region: big,
          detail: big,
          resource: big,
          rationale: big,
          remediation: big,
          diff: fc.array(big, { maxLength: 40 }),
        }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(big, fc.array(big, { maxLength: 20 }))),
        big,
        (fields, evidence, userAgent) => {
          const base = finding();
          const event = { eventId: 'e', eventName: 'X', eventTime: 'x', region: 'r', ...base.event, userAgent, actor: userAgent };
          const alert = formatAlert(finding({ ...fields, evidence, event }), 'opened', { apiUrl: 'https://api.example.com' });
          expect(snsPublishBytes(alert)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('formatAlert JSON form', () => {
  it('carries the finding for machines and survives the SNS message as a JSON string', () => {
    const alert = formatAlert(finding({ diff: ['+ principal *'] }), 'reopened', { apiUrl: 'https://api.example.com' });
    const sqs = JSON.parse(JSON.parse(snsMessage(alert)).sqs);
    expect(sqs).toEqual(alert.json);
    expect(sqs).toMatchObject({
      id: '123456789012-deploybotTrustAnyPrincipal',
      ruleId: 'trust-any-principal',
      severity: 'critical',
      status: 'open',
      transition: 'reopened',
      account: '123456789012',
      region: 'us-east-1',
      resource: 'arn:aws:iam::123456789012:role/deploy-bot',
      title: 'Role trusts any principal',
      event: { eventName: 'UpdateAssumeRolePolicy', actor: 'arn:aws:iam::123456789012:user/alice' },
      evidence: { statements: [0], via: ['principal'] },
      diff: ['+ principal *'],
      firstSeen: '2026-03-02T09:00:00Z',
      lastSeen: '2026-03-02T09:00:00Z',
      count: 1,
      links: { finding: 'https://api.example.com/findings/123456789012-deploybotTrustAnyPrincipal' },
    });
  });

  it('routes on severity, rule and account', () => {
    expect(formatAlert(finding(), 'opened').attributes).toEqual({
      severity: 'critical',
      ruleId: 'trust-any-principal',
      account: '123456789012',
    });
  });
});

describe('pendingReason', () => {
  const sent = (severity: Finding['severity']): Finding['alert'] => ({ state: 'pending', sentAt: 1, severity });

  it('reads why a pending alert is due from the finding alone', () => {
    expect(pendingReason(finding())).toBe('opened');
    expect(pendingReason(finding({ severity: 'critical', alert: sent('high') }))).toBe('escalated');
    expect(pendingReason(finding({ severity: 'high', alert: sent('high') }))).toBe('reopened');
  });

  it('is what formatAlert uses for a transition that is not itself a reason to alert', () => {
    expect(formatAlert(finding({ severity: 'critical', alert: sent('high') }), 'duplicate').subject).toContain(': escalated: ');
    expect(formatAlert(finding(), 'repeated').subject).not.toContain('re-opened');
  });
});

describe('formatAlert on a role changed through Identity Center, under guardrails', () => {
  it('shows who really changed the role and the guardrails over its account, in the text and the JSON', () => {
    const changedThrough = {
      permissionSet: 'Admins',
      author: 'arn:aws:iam::123456789012:user/alice',
      eventName: 'AttachManagedPolicyToPermissionSet',
      eventTime: '2026-05-04T09:05:00Z',
    };
    const guardrails = [{ policyId: 'p-rootdeny1', type: 'SERVICE_CONTROL_POLICY', target: 'r-ab12' }];
    const many = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`field${i}`, `value ${i}`]));
    const alert = formatAlert(finding({ evidence: { changedThrough, ...many, guardrails } }), 'opened');
    expect(alert.text.replace(/\s+/g, ' ')).toContain(
      'Really changed by: arn:aws:iam::123456789012:user/alice (AttachManagedPolicyToPermissionSet on permission set Admins at 2026-05-04T09:05:00Z)',
    );
    expect(alert.json.evidence).toMatchObject({ changedThrough, guardrails });
  });
});
