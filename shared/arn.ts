/**
 * The fields of an ARN, `arn:partition:service:region:account:resource`, read without splitting the whole
 * string (the account is read on every assumption of a replay).
 */

/** The `index`th colon-separated field of an ARN (0 is `arn`), or undefined when the ARN is shorter. */
function arnField(arn: string, index: number): string | undefined {
  let start = 0;
  for (let field = 0; field < index; field++) {
    start = arn.indexOf(':', start) + 1;
    if (start === 0) return undefined;
  }
  const end = arn.indexOf(':', start);
  return end < 0 ? undefined : arn.slice(start, end);
}

/** `arn:aws:iam::123456789012:role/x` → `123456789012`; undefined when the string is no ARN or names no account. */
export function accountOfArn(arn: string | undefined): string | undefined {
  if (arn === undefined || !arn.startsWith('arn:')) return undefined;
  return arnField(arn, 4) || undefined;
}

/** `arn:aws-cn:iam::1:role/x` → `aws-cn`; `aws` when the string is no ARN. */
export function partitionOfArn(arn: string | undefined): string {
  if (arn === undefined || !arn.startsWith('arn:')) return 'aws';
  return arnField(arn, 1) || 'aws';
}
