import { CONTROL_IDS, FRAMEWORKS, findFramework, parseControl, securityHubRequirements } from '../../shared/rules/controls';
import { controlsOf, RULES, rulesWithControl } from '../../shared/rules/index';

describe('compliance and ATT&CK ids of the rules', () => {
  it('gives every registered rule at least one id', () => {
    const bare = RULES.filter((rule) => rule.controls.length === 0).map((rule) => rule.id);
    expect(bare).toEqual([]);
  });

  it.each(RULES.map((rule) => [rule.id, rule.controls] as const))(
    '%s names only ids listed with their source',
    (_id, controls) => {
      const unknown = controls.filter((control) => !CONTROL_IDS.has(control));
      expect(unknown).toEqual([]);
      expect(new Set(controls).size).toBe(controls.length);
    },
  );

  it('maps the admin rule to the CIS items, Security Hub control and ATT&CK technique for "*:*" policies', () => {
    expect(controlsOf('admin-policy-attached')).toEqual(
      expect.arrayContaining(['CIS-5.0-1.15', 'CIS-3.0-1.16', 'SecurityHub-IAM.1', 'ATTACK-T1098.003']),
    );
    expect(rulesWithControl('CIS-5.0-1.15').sort()).toEqual(['admin-equivalent-inline-policy', 'admin-policy-attached']);
    expect(controlsOf('no-such-rule')).toEqual([]);
  });

  it('maps monitoring of the trail to CIS 4.5 and the logging techniques', () => {
    expect(controlsOf('monitor-tampering')).toEqual(expect.arrayContaining(['CIS-5.0-4.5', 'ATTACK-T1562.008']));
  });
});

describe('the framework catalogue', () => {
  it('names a source and a scope for every framework, and no item twice', () => {
    for (const framework of FRAMEWORKS) {
      expect(framework.source.length).toBeGreaterThan(20);
      expect(framework.scope.length).toBeGreaterThan(10);
      const ids = framework.items.map((item) => item.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('keeps ids in each framework’s own form', () => {
    const forms: Record<string, RegExp> = {
      'CIS-5.0': /^[1-5]\.\d{1,2}(\.\d{1,2})?$/,
      'CIS-3.0': /^[1-5]\.\d{1,2}(\.\d{1,2})?$/,
      SecurityHub: /^[A-Za-z0-9]+\.\d{1,3}$/,
      'NIST-800-53-r5': /^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$/,
      'PCI-DSS-4.0': /^\d{1,2}(\.\d{1,2}){1,3}$/,
      ATTACK: /^T\d{4}(\.\d{3})?$/,
    };
    for (const framework of FRAMEWORKS) {
      const form = forms[framework.id];
      expect(form).toBeDefined();
      for (const item of framework.items) expect(item.id).toMatch(form as RegExp);
    }
  });

  it('parses a control id into its framework and item, and refuses ids it does not list', () => {
    expect(parseControl('CIS-5.0-1.15')?.item.title).toContain('"*:*" administrative privileges');
    expect(parseControl('NIST-800-53-r5-AC-6(10)')?.framework.id).toBe('NIST-800-53-r5');
    expect(parseControl('CIS-5.0-9.99')).toBeUndefined();
    expect(parseControl('CIS-5.0-')).toBeUndefined();
    expect(parseControl('ATTACK-T9999')).toBeUndefined();
    expect(findFramework('cis-5.0')?.id).toBe('CIS-5.0');
    expect(findFramework('CIS-4.0')).toBeUndefined();
  });

  it('writes requirements the way Security Hub does, leaving out frameworks it does not name there', () => {
    expect(
      securityHubRequirements([
        'CIS-5.0-1.15',
        'NIST-800-53-r5-AC-6(10)',
        'PCI-DSS-4.0-7.2.1',
        'SecurityHub-IAM.1',
        'ATTACK-T1098.003',
      ]),
    ).toEqual(['CIS AWS Foundations Benchmark v5.0.0/1.15', 'NIST.800-53.r5 AC-6(10)', 'PCI DSS v4.0/7.2.1']);
  });
});
