import { MissingPermissionError } from './probe';

/** pass; fail (with the fix); cannot-tell (with the permission that was missing, or what went wrong). */
export type CheckStatus = 'pass' | 'fail' | 'cannot-tell';

/** The answer of one check. `check` is a stable id: `trail:us-east-1`, `rule:<name>`, `alert-subscription`... */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
  missingPermission?: string;
}

export function pass(check: string, detail: string): CheckResult {
  return { check, status: 'pass', detail };
}

export function fail(check: string, detail: string, fix: string): CheckResult {
  return { check, status: 'fail', detail, fix };
}

/** A check that could not read what it needs: never a pass. */
export function cannotTell(check: string, error: unknown): CheckResult {
  if (error instanceof MissingPermissionError)
    return {
      check,
      status: 'cannot-tell',
      detail: `cannot tell: the credentials lack ${error.permission}`,
      fix: `grant ${error.permission} (read-only) and run again`,
      missingPermission: error.permission,
    };
  const message = error instanceof Error ? error.message : String(error);
  return { check, status: 'cannot-tell', detail: `cannot tell: ${message}` };
}

/** Runs a check; anything it throws makes it cannot-tell rather than stopping the others. */
export async function guarded(check: string, run: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    const result = await run();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [cannotTell(check, error)];
  }
}
