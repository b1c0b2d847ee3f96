import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';

const SCHEMAS = path.resolve(__dirname, '../fixtures/schemas');

/** The errors of validating `value` against a vendored schema (draft-04, with formats checked); [] when valid. */
export function draft04Errors(schemaFile: string, value: unknown): ErrorObject[] {
  let validate = compiled.get(schemaFile);
  if (!validate) {
    validate = compile(schemaFile);
    compiled.set(schemaFile, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []);
}

const compiled = new Map<string, ValidateFunction>();

function compile(schemaFile: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(path.join(SCHEMAS, schemaFile), 'utf8')) as Record<string, unknown>;
  // unicodeRegExp off: the SARIF 2.1.0 rtm.5 schema's `language` pattern has a stray `]` that only the `u` flag refuses.
  const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}
