import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateStatements } from '../../shared/cli/sarif';
import { RULES } from '../../shared/rules/index';
import { runCli } from '../support/cli';
import { draft04Errors } from '../support/schemas';

const SARIF_SCHEMA = 'sarif/sarif-2.1.0-rtm.5.json';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number } } }[];
}
interface SarifRun {
  tool: { driver: { rules: { id: string; help: { text: string }; properties: { tags: string[] } }[] } };
  results: SarifResult[];
  invocations: { executionSuccessful: boolean }[];
}

const ADMIN_SECOND = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadLogs",
      "Effect": "Allow",
      "Action": "logs:GetLogEvents",
      "Resource": "*"
    },
    {
      "Sid": "Everything",
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}
`;

const PASSROLE_THIRD = `{"Version": "2012-10-17",
 "Statement": [
  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
  {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
 ]}
`;

const OPEN_TRUST = `{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": "sts:AssumeRole"
  }
}
`;

describe('rolewatch check-policy --format sarif', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const target = path.join(dir, name);
    writeFileSync(target, text);
    return target;
  };
  let cwd: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-sarif-'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  async function sarif(...args: string[]): Promise<{ log: Record<string, unknown>; run: SarifRun; code: number }> {
    const { code, stdout } = await runCli('check-policy', '--format', 'sarif', ...args);
    const log = JSON.parse(stdout) as Record<string, unknown>;
    return { log, run: (log.runs as SarifRun[])[0] as SarifRun, code };
  }

  it('writes a log that validates against the SARIF 2.1.0 schema, one rule per RoleWatch rule', async () => {
    file('admin.json', ADMIN_SECOND);
    file('passrole.json', PASSROLE_THIRD);
    const { log, run, code } = await sarif('admin.json', 'passrole.json');
    expect(code).toBe(0);
    expect(draft04Errors(SARIF_SCHEMA, log)).toEqual([]);
    expect(run.tool.driver.rules.map((rule) => rule.id)).toEqual(RULES.map((rule) => rule.id));
    const passrole = run.tool.driver.rules.find((rule) => rule.id === 'passrole-any-resource');
    expect(passrole?.help.text).toContain('How to fix: Scope iam:PassRole');
    expect(passrole?.properties.tags).toContain('ATTACK-T1548.005');
  });

  it('locates each result at the line of the statement it is about', async () => {
    file('admin.json', ADMIN_SECOND);
    file('passrole.json', PASSROLE_THIRD);
    const { run } = await sarif('admin.json', 'passrole.json');
    const admin = run.results.find((result) => result.ruleId === 'admin-policy-attached');
    expect(admin?.level).toBe('error');
    expect(admin?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'admin.json', uriBaseId: '%SRCROOT%' },
      region: { startLine: 10 },
    });
    const passrole = run.results.find((result) => result.ruleId === 'passrole-any-resource');
    expect(passrole?.locations[0]?.physicalLocation.region.startLine).toBe(5);
    expect(passrole?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('passrole.json');
    for (const result of run.results) {
      expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
    }
  });

  it('locates trust findings in a single-statement trust policy; a file that is not a policy fails the invocation', async () => {
    file('trust.json', OPEN_TRUST);
    file('broken.json', '{"Version": "2012-10-17", "Statement": [\n');
    const { log, run, code } = await sarif('--trust', 'trust.json', 'broken.json');
    expect(draft04Errors(SARIF_SCHEMA, log)).toEqual([]);
    const open = run.results.find((result) => result.ruleId === 'trust-any-principal');
    expect(open?.locations[0]?.physicalLocation.region.startLine).toBe(3);
    // Input that cannot be checked is not a finding about a policy: it is skipped, and the run is partial (exit 3).
    expect(run.results.filter((result) => result.locations[0]?.physicalLocation.artifactLocation.uri === 'broken.json')).toEqual(
      [],
    );
    expect(run.invocations[0]?.executionSuccessful).toBe(false);
    expect(code).toBe(3);
  });

  it('reports an unreadable file as a failed invocation, still valid SARIF, and exits 3', async () => {
    file('admin.json', ADMIN_SECOND);
    const { log, run, code } = await sarif('admin.json', 'missing.json');
    expect(code).toBe(3);
    expect(run.invocations[0]?.executionSuccessful).toBe(false);
    expect(draft04Errors(SARIF_SCHEMA, log)).toEqual([]);
  });

  it('encodes file names so any name is a valid URI reference', async () => {
    file('odd name #1%.json', ADMIN_SECOND);
    const { log, run } = await sarif('odd name #1%.json');
    expect(run.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('odd%20name%20%231%25.json');
    expect(draft04Errors(SARIF_SCHEMA, log)).toEqual([]);
  });
});

describe('the schema check', () => {
  it('refuses a log that breaks SARIF 2.1.0 (the test can fail)', () => {
    expect(draft04Errors(SARIF_SCHEMA, { version: '2.1.0', runs: [{ results: [] }] }).length).toBeGreaterThan(0);
    expect(draft04Errors(SARIF_SCHEMA, { version: '2.2.0', runs: [] }).length).toBeGreaterThan(0);
  });
});

describe('locateStatements', () => {
  it('finds the statements inside IAM API output and CloudFormation-style wrappers', () => {
    const text = JSON.stringify({ PolicyVersion: { Document: { Version: '2012-10-17', Statement: [{}, {}] } } }, null, 2);
    expect(locateStatements(text)).toEqual({ statementKey: 5, statements: [6, 7] });
  });

  it('answers undefined for text that is not JSON, for JSON without statements, and for hostile nesting', () => {
    expect(locateStatements('Version: 2012-10-17')).toBeUndefined();
    expect(locateStatements('{"a": [1, 2, "x\\"y"]}')).toBeUndefined();
    expect(locateStatements(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBeUndefined();
    expect(locateStatements('{"Statement": [] } trailing')).toBeUndefined();
  });
});
