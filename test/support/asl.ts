/**
 * asl-validator (Apache-2.0) ships no types: its one function, typed here. It checks a definition against the
 * Amazon States Language JSON schemas, the paths, and (by default) that Resource values are ARNs.
 */
type Validator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: { message?: string; path?: string }[] };

const aslValidator = require('asl-validator') as Validator;

/** The errors asl-validator finds in a definition: none for a valid one. */
export function validateStateMachine(definition: unknown, options: { checkArns?: boolean } = {}): string[] {
  // A copy: the validator writes a default QueryLanguage into every state it reads.
  const copy: unknown = JSON.parse(JSON.stringify(definition));
  const { isValid, errors } = aslValidator(copy, { checkPaths: true, checkArn: options.checkArns ?? true });
  return isValid ? [] : errors.map((error) => `${error.path ?? ''} ${error.message ?? JSON.stringify(error)}`.trim());
}
