import { readFileSync, statSync } from 'node:fs';
import packageJson from '../../package.json';
import { isRecord } from '../cloudtrail/accessors';
import { checkPolicyDocument, type PolicyCheckResult, unwrapPolicy } from '../engine/checkPolicy';
import { ValidationError } from '../errors';
import { severityRank } from '../findings/severity';
import { MAX_POLICY_CHARS, parsePolicy } from '../policy/parse';
import { RULES } from '../rules/index';
import { partialRunExit } from './evaluate';
import { defineCommand, HELP_OPTION, parseFormat, parseSeverity, resolveConfig } from './options';
import { formatTable } from './output';
import { type SarifInput, sarifLog } from './sarif';
import { SkipReport } from './skips';

const HELP = `usage: rolewatch check-policy <file>... [options]

Analyses IAM policy documents with RoleWatch's rules: permission policies by default, trust policies
with --trust. A file holds a policy document, or IAM API output that contains one. A file that cannot be
read or holds no valid policy is skipped and reported (exit 3, see --allow-partial).

options:
  --trust             the files are trust (assume-role) policies
  --account ID        the account the policies live in (default 123456789012)
  --config FILE       rolewatch.config.yml/.json (knownAccounts, trustedThirdParties...)
  --format FORMAT     table (default), jsonl: {"file","ruleId","severity","detail"} per line, or
                      sarif: SARIF 2.1.0 for code scanning (results at the statement's line)
  --fail-on SEVERITY  exit 1 if a finding at or above SEVERITY is reported (and 3 if any file was skipped)
  --allow-partial     exit 0, not 3, when a file was skipped (never with --fail-on)
`;

export const runCheckPolicy = defineCommand(
  HELP,
  {
    allowPositionals: true,
    options: {
      trust: { type: 'boolean' },
      account: { type: 'string' },
      config: { type: 'string' },
      format: { type: 'string' },
      'fail-on': { type: 'string' },
      'allow-partial': { type: 'boolean' },
      ...HELP_OPTION,
    },
  },
  async ({ values, positionals }) => {
    if (positionals.length === 0) throw new ValidationError('files', 'give at least one policy file');
    const account = values.account ?? '123456789012';
    if (!/^\d{12}$/.test(account)) throw new ValidationError('--account', 'must be a 12-digit account id');
    const format = values.format === 'sarif' ? 'sarif' : parseFormat(values.format);
    const failOn = parseSeverity('--fail-on', values['fail-on']);
    const config = resolveConfig(values.config);
    const trust = values.trust === true;

    const rows: { file: string; result: PolicyCheckResult }[] = [];
    const checked: SarifInput[] = [];
    const unreadable: { path: string; message: string }[] = [];
    // A standalone document is judged as of now: a grant whose time condition has passed allows nothing.
    const at = Date.now();
    const skips = new SkipReport((text) => process.stderr.write(text));
    const skip = (file: string, message: string, reason: string) => {
      unreadable.push({ path: file, message });
      skips.add({ source: file, message, reason });
    };
    for (const file of positionals) {
      const read = readPolicyFile(file);
      if ('error' in read) {
        skip(file, read.error, read.reason);
        continue;
      }
      const input = unwrapPolicy(read.value, trust);
      // A document that is not a policy is input that cannot be checked, not a finding about a policy.
      const parsed = parsePolicy(input);
      if (!parsed.ok) {
        skip(file, `not a valid ${trust ? 'trust' : 'permission'} policy: ${parsed.error}`, 'invalid policy');
        continue;
      }
      const results: PolicyCheckResult[] = [];
      checked.push({ path: file, text: read.text, results });
      // The names are those the file states (IAM API output); a file's own name says nothing about the role.
      const name = namesIn(read.value) ?? UNNAMED;
      for (const result of checkPolicyDocument(input, { trust, account, name, config, at })) {
        rows.push({ file, result });
        results.push(result);
        if (format === 'jsonl') process.stdout.write(`${JSON.stringify({ file, ...result })}\n`);
      }
    }
    if (format === 'table') {
      process.stdout.write(
        rows.length > 0
          ? `${formatTable(
              ['FILE', 'SEVERITY', 'RULE', 'DETAIL'],
              rows.map(({ file, result }) => [file, result.severity.toUpperCase(), result.ruleId, result.detail]),
            )}\n`
          : 'no findings\n',
      );
    }
    if (format === 'sarif') {
      const log = sarifLog(checked, { rules: RULES, version: packageJson.version, unreadable });
      process.stdout.write(`${JSON.stringify(log, null, 2)}\n`);
    }
    process.stderr.write(`${positionals.length - unreadable.length} policies checked, ${rows.length} findings\n`);
    return partialRunExit({
      failed: failOn !== undefined && rows.some(({ result }) => severityRank(result.severity) >= severityRank(failOn)),
      skips,
      allowPartial: values['allow-partial'] === true,
      gated: failOn !== undefined,
    });
  },
);

/** The role and policy name shown when the file does not state one. */
const UNNAMED = '<unnamed>';

/** The file's text and its content as JSON, or as text when it is not JSON (the parser reads URL-encoded documents). */
function readPolicyFile(file: string): { text: string; value: unknown } | { error: string; reason: string } {
  let text: string;
  try {
    // No IAM policy comes near this size: a larger file is not one, and is not read whole.
    const size = statSync(file).size;
    if (size > MAX_POLICY_CHARS * 4) return { error: `${size} bytes, larger than any IAM policy`, reason: 'not a policy' };
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch (error) {
    const message = isRecord(error) && typeof error.message === 'string' ? error.message : String(error);
    return { error: `cannot read file: ${message}`, reason: 'file cannot be read' };
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch {
    return { text, value: text };
  }
}

/** The role or policy name stated by IAM API output (GetRole, GetRolePolicy, GetPolicy...), if any. */
function namesIn(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const role = isRecord(value.Role) ? value.Role : undefined;
  const policy = isRecord(value.Policy) ? value.Policy : undefined;
  for (const candidate of [role?.RoleName, value.RoleName, value.PolicyName, policy?.PolicyName])
    if (typeof candidate === 'string' && /^[\w+=,.@-]{1,128}$/.test(candidate)) return candidate;
  return undefined;
}
