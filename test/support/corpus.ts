import path from 'node:path';

/**
 * Third-party CloudTrail records, AWS-managed policies and policy-analyser test cases, written outside this
 * project (sources and licences in test/fixtures/corpus/README.md and each folder's INDEX.jsonl).
 */
export const CORPUS = path.resolve(__dirname, '../fixtures/corpus');

/**
 * Corpus event files (under events/) whose record breaks AWS's own identifier rules, with the reason the parser gives.
 */
// Records AWS would never have written: hand-made test data with short account ids, and
// normalised exports with the eventTime removed. They are malformed, skipped, never state.
export const MALFORMED: Readonly<Record<string, string>> = {
  'otrf-security-datasets/AssumeRole_1a8719d2ae2d.json': 'invalid eventTime',
  'otrf-security-datasets/AssumeRole_8affb7312f7a.json': 'invalid eventTime',
  'otrf-security-datasets/AssumeRole_8cdc303e6ecb.json': 'invalid eventTime',
  'otrf-security-datasets/AssumeRole_aca246d4a1ff.json': 'invalid eventTime',
  'otrf-security-datasets/AssumeRole_db122d68bb9b.json': 'invalid eventTime',
  'panther-analysis/CreateAccessKey_1c608a508281.json': 'invalid account id',
  'panther-analysis/CreateAccessKey_5ea63aae7894.json': 'invalid account id',
  'panther-analysis/CreateAccessKey_7bedf3722f5a.json': 'invalid account id',
  'panther-analysis/CreateAccessKey_d92fe5d39402.json': 'invalid account id',
  'panther-analysis/CreateSAMLProvider_439a272e92b8.json': 'invalid account id',
  'panther-analysis/DeleteSAMLProvider_babd4fb9f6cf.json': 'invalid account id',
  'panther-analysis/DetachUserGroup_bdd8d33c1525.json': 'invalid account id',
  'panther-analysis/GetGroupPolicy_cf3fadf0fba1.json': 'invalid account id',
  'panther-analysis/GetGroup_917e6ac0ad4d.json': 'invalid account id',
  'panther-analysis/ListAccessKeys_afaf2a7b2c0d.json': 'invalid account id',
  'panther-analysis/ListAttachedGroupPolicies_5be53b12c3ec.json': 'invalid account id',
  'panther-analysis/ListGroupsForUser_950028395da2.json': 'invalid account id',
  'panther-analysis/ListGroups_67f1a9c78da5.json': 'invalid account id',
  'panther-analysis/UpdateLoginProfile_163c85a5714d.json': 'invalid account id',
  'panther-analysis/UpdateLoginProfile_9588000d1241.json': 'invalid account id',
  'panther-analysis/UpdateLoginProfile_b5f8d4d5e790.json': 'invalid account id',
  'panther-analysis/UpdateSAMLProvider_8781d19bdd64.json': 'invalid account id',
};
