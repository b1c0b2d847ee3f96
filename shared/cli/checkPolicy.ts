import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { severityRank } from '../config/config';
import { checkPolicyDocument, type PolicyCheckResult, unwrapPolicy } from '../engine/checkPolicy';
import { ValidationError } from '../errors';
import { parseFormat, parseSeverity, resolveConfig } from './options';
import { formatTable } from './output';

const HELP = `usage: rolewatch check-policy <file>... [options]

Analyses IAM policy documents with RoleWatch's rules: permission policies by default, trust policies
with --trust. A file holds a policy document, or IAM API output that contains one.

options:
  --trust             the files are trust (assume-role) policies
  --account ID        the account the policies live in (default 123456789012)
  --config FILE       rolewatch.config.yml/.json (knownAccounts, trustedThirdParties...)
  --format FORMAT     table (default) or jsonl: {"file","ruleId","severity","detail"} per line
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
  const format = parseFormat(values.format);
  const failOn = parseSeverity('--fail-on', values['fail-on']);
  const config = resolveConfig(values.config);
  const trust = values.trust === true;

  const rows: { file: string; result: PolicyCheckResult }[] = [];
  let unreadable = 0;
  for (const file of positionals) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      unreadable += 1;
      process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
      continue;
    }
    const input = unwrapPolicy(tryParse(text), trust);
    const name = basename(file).replace(/\.json$/i, '');
    for (const result of checkPolicyDocument(input, { trust, account, name, config })) {
      rows.push({ file, result });
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
  process.stderr.write(`${positionals.length - unreadable} policies checked, ${rows.length} findings\n`);
  if (unreadable > 0) return 2;
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
