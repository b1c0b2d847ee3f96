import type { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * Validates what a state machine hands one of its steps. A bad input is a deployment (or CLI) error, not data
 * to retry: it is refused naming every bad field, and Step Functions records that as the step's failure.
 */
export function parseStepInput<T>(schema: z.ZodType<T>, step: string, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
  throw new ValidationError(`${step} input`, fields.join('; '));
}
