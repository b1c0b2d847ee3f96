import path from 'node:path';

/**
 * Third-party CloudTrail records, AWS-managed policies and policy-analyser test cases, written outside this
 * project (sources and licences in test/fixtures/corpus/README.md and each folder's INDEX.jsonl).
 */
export const CORPUS = path.resolve(__dirname, '../fixtures/corpus');
