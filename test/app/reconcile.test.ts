import { type AccountSource, reconcile } from '../../shared/app/reconcile';
import { defaultConfig } from '../../shared/config/config';
import { createMemoryContext } from '../../shared/context';
import type { AccountSnapshot } from '../../shared/iam/accountReader';
import { roleExists } from '../../shared/roles/roleRecord';

const ACCOUNTS = ['111111111111', '222222222222', '333333333333', '444444444444', '555555555555', '666666666666'];
const NOW = Date.parse('2026-11-02T09:00:00Z');

const ownTrust = (account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
  });

/** One role, `app`, in the account: what GetAccountAuthorizationDetails would give after decoding. */
function snapshotOf(account: string): AccountSnapshot {
  return {
    roles: [
      {
        account,
        roleName: 'app',
        arn: `arn:aws:iam::${account}:role/app`,
        trustPolicy: ownTrust(account),
        inlinePolicies: [],
        attachedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      },
    ],
    policies: [],
  };
}

/** Readers that count how many reads are in flight; later accounts answer first. */
function countingSources(fail: ReadonlySet<string> = new Set()) {
  const counter = { inFlight: 0, most: 0 };
  const sources: AccountSource[] = ACCOUNTS.map((account, i) => ({
    account,
    reader: {
      readAccount: async () => {
        counter.inFlight += 1;
        counter.most = Math.max(counter.most, counter.inFlight);
        await new Promise((resolve) => setTimeout(resolve, (ACCOUNTS.length - i) * 5));
        counter.inFlight -= 1;
        if (fail.has(account)) throw new Error(`AccessDenied: cannot assume the read role of ${account}`);
        return snapshotOf(account);
      },
    },
  }));
  return { counter, sources };
}

function run(sources: AccountSource[]) {
  const { engine, store } = createMemoryContext({ config: defaultConfig() });
  const done = reconcile({ engine, state: store, findings: store, accounts: sources, now: () => NOW, minSeverity: 'high' });
  return { store, done };
}

describe('reconcile of several accounts', () => {
  it('reads four accounts at a time and reports them in the order given, each role under its own account', async () => {
    const { counter, sources } = countingSources();
    const { store, done } = run(sources);
    const report = await done;

    expect(counter.most).toBe(4);
    expect(report.accounts).toEqual(ACCOUNTS);
    expect(report.roles).toBe(ACCOUNTS.length);
    expect(report.corrected.map((c) => c.account)).toEqual(ACCOUNTS);
    for (const account of ACCOUNTS) {
      const role = await store.getRole(account, 'app');
      expect(role && roleExists(role)).toBe(true);
    }
  });

  it('reports an account it cannot read and reconciles the others', async () => {
    const { sources } = countingSources(new Set([ACCOUNTS[1] as string, ACCOUNTS[4] as string]));
    const { store, done } = run(sources);
    const report = await done;

    expect(report.failures).toEqual([
      { account: ACCOUNTS[1], error: `AccessDenied: cannot assume the read role of ${ACCOUNTS[1]}` },
      { account: ACCOUNTS[4], error: `AccessDenied: cannot assume the read role of ${ACCOUNTS[4]}` },
    ]);
    expect(report.accounts).toEqual(ACCOUNTS.filter((_, i) => i !== 1 && i !== 4));
    expect(await store.getRole(ACCOUNTS[1] as string, 'app')).toBeUndefined();
    expect(await store.getRole(ACCOUNTS[0] as string, 'app')).toBeDefined();
  });

  it('throws the first error when no account can be read', async () => {
    const { sources } = countingSources(new Set(ACCOUNTS));
    await expect(run(sources).done).rejects.toThrow(`cannot assume the read role of ${ACCOUNTS[0]}`);
  });
});
