import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import packageJson from '../../package.json';
import { severityRank } from '../config/config';
import { checkPolicyDocument, type PolicyCheckResult, unwrapPolicy } from '../engine/checkPolicy';
import { ValidationError } from '../errors';
import { RULES } from '../rules';
import { parseFormat, parseSeverity, resolveConfig } from './options';
import { formatTable } from './output';
import { type SarifInput, sarifLog } from './sarif';

const HELP = `usage: rolewatch check-policy <file>... [options]

Analyses IAM policy documents with RoleWatch's rules: permission policies by default, trust policies
with --trust. A file holds a policy document, or IAM API output that contains one.

options:
  --trust             the files are trust (assume-role) policies
  --account ID        the account the policies live in (default 123456789012)
  --config FILE       rolewatch.config.yml/.json (knownAccounts, trustedThirdParties...)
  --format FORMAT     table (default), jsonl: {"file","ruleId","severity","detail"} per line, or
                      sarif: SARIF 2.1.0 for code scanning (results at the statement's line)
  --fail-on SEVERITY  exit 1 if a finding at or above SEVERITY is reported
`;

export async function runCheckPolicy(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      trust: { type: 'boolean' },
      account: { type: 'string' },
      config: { type: 'string' },
      format: { type: 'string' },
      'fail-on': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
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
  for (const file of positionals) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      unreadable.push({ path: file, message: (error as Error).message });
      process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
      continue;
    }
    const results: PolicyCheckResult[] = [];
    checked.push({ path: file, text, results });
    const input = unwrapPolicy(tryParse(text), trust);
    const name = basename(file).replace(/\.json$/i, '');
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
  if (unreadable.length > 0) return 2;
  return failOn && rows.some(({ result }) => severityRank(result.severity) >= severityRank(failOn)) ? 1 : 0;
}

/** Text that is not JSON is handed on as text: the policy parser reports it (URL-encoded documents included). */
function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
