import { isAccessDenied } from './doctor/probe';
import { CredentialsError } from './errors';

/**
 * Options of every AWS client a function builds: a request that does not answer is abandoned and retried by
 * the SDK well within the function's timeout (the default socket timeout is five minutes).
 */
export const AWS_CLIENT_OPTIONS = {
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
} as const;

/**
 * What is wrong with the caller's AWS credentials, as an SDK error tells it: none found (`missing`), no longer
 * valid (`expired`), refused by AWS (`invalid`), or valid but without the permission (`denied`).
 */
export type CredentialProblem = 'missing' | 'expired' | 'invalid' | 'denied';

/** Errors of the SDK's credential and token providers: the chain found nothing usable. */
const MISSING = new Set(['CredentialsProviderError', 'TokenProviderError']);
/** Error codes of temporary credentials past their expiry (STS/IAM spell it one way, JSON services another). */
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
/** Error codes of credentials AWS does not accept: unknown key, wrong secret, malformed signature. */
const INVALID = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'AuthFailure',
]);

/** The credential problem an AWS SDK error reports, or undefined when it is about something else. */
export function credentialProblem(error: unknown): CredentialProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  // Checked before denial: IAM answers an expired or unknown token with HTTP 403 too.
  if (MISSING.has(error.name)) return 'missing';
  if (EXPIRED.has(error.name)) return 'expired';
  if (INVALID.has(error.name)) return 'invalid';
  if (isAccessDenied(error)) return 'denied';
  return undefined;
}

const SET_CREDENTIALS =
  'set AWS_PROFILE to a profile of your AWS config (after `aws sso login` or `aws configure`), or ' +
  'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary credentials)';

/** What a command does with AWS, for its credential hints. */
export interface AwsUse {
  /** The command as the user typed it: `rolewatch scan`, `--watch`. */
  command: string;
  /** The IAM actions it calls, e.g. `iam:GetAccountAuthorizationDetails`. */
  permissions: readonly string[];
}

/**
 * One line saying what went wrong with the credentials and what to do: which variables to set, or which
 * permissions to grant. Undefined when the error is not a credential problem.
 */
export function credentialHint(error: unknown, use: AwsUse): string | undefined {
  const problem = credentialProblem(error);
  if (!problem) return undefined;
  const said = error instanceof Error ? error.message : String(error);
  const needs = `${use.command} needs ${use.permissions.join(', ')}.`;
  switch (problem) {
    case 'missing':
      return lines(`no AWS credentials found (${said}).`, `To fix: ${SET_CREDENTIALS}.`, needs);
    case 'expired':
      return lines(
        `the AWS credentials have expired (${said}).`,
        'To fix: refresh them (`aws sso login`, or new temporary keys).',
        needs,
      );
    case 'invalid':
      return lines(
        `AWS refused the credentials (${said}).`,
        'To fix: check AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN).',
        needs,
      );
    case 'denied':
      return lines(`the AWS credentials may not make this call (${said}).`, `To fix: grant ${use.permissions.join(', ')}.`);
  }
}

function lines(first: string, ...rest: string[]): string {
  return [first, ...rest.map((line) => `  ${line}`)].join('\n');
}

/** Runs an AWS call; a credential problem becomes a {@link CredentialsError} carrying the hint, the rest propagates. */
export async function withCredentialHint<T>(use: AwsUse, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const hint = credentialHint(error, use);
    if (hint) throw new CredentialsError(hint, { cause: error });
    throw error;
  }
}
