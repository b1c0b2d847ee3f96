import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ATTACKER_ACCOUNT, DEMO_ACCOUNT, DEMO_ROLES } from '../../shared/demo/scenario';
import { browserIt, launchBrowser, type RunningCommand, startCommand, watchedPage } from '../support/browser';

/**
 * The web page in Chromium over `rolewatch start` (the demo day): triage filters, suppress and re-open, the
 * backdoor's access graph and timeline. With ROLEWATCH_SCREENSHOTS=DIR it also writes the screenshots of shared/local/README.md.
 */
const SCREENSHOTS = process.env.ROLEWATCH_SCREENSHOTS;

interface Summary {
  byRule: { ruleId: string; open: number }[];
}

describe('the web page over the demo', () => {
  let monitor: RunningCommand | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const mailDir = mkdtempSync(path.join(tmpdir(), 'rolewatch-page-'));
    monitor = await startCommand(['start', '--port', '0', '--mail-dir', mailDir]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    expect(await monitor?.stop()).toBe(0);
  }, 30_000);

  const running = () => {
    if (!monitor) throw new Error('the monitor is not running');
    return monitor;
  };
  const open = async () => {
    browser ??= await launchBrowser();
    return watchedPage(browser);
  };

  browserIt(
    'filters to one rule: every row is of that rule, as many as the summary counts',
    async () => {
      const { page, problems } = await open();
      const response = await page.goto(`${running().url}/ui/`);
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self';/);
      await page.waitForSelector('#findings tr[data-finding]');
      const summary = (await (await fetch(`${running().url}/summary`)).json()) as Summary;
      const rule = summary.byRule.find((r) => r.ruleId === 'trust-unknown-account');
      expect(rule?.open).toBeGreaterThan(0);
      await page.selectOption('#filters select[name="rule"]', 'trust-unknown-account');
      await page.waitForURL(/[?&]rule=trust-unknown-account/);
      await page.waitForSelector('#findings tr[data-finding]');
      const rules = await page
        .locator('#findings tr[data-finding]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-rule')));
      expect(rules).toEqual(new Array(rule?.open).fill('trust-unknown-account'));
      expect(await page.locator('#position').textContent()).toContain('(the end)');
      // A count filters when clicked: only critical.
      await page.click('#reset');
      await page.waitForURL((url) => !url.search.includes('rule='));
      await page.click('#counts button[data-count="critical"]');
      await page.waitForURL(/[?&]severity=critical(&|$)/);
      await page.waitForSelector('#findings tr[data-finding]');
      const severities = await page.locator('#findings tr[data-finding] .severity').allTextContents();
      expect(new Set(severities)).toEqual(new Set(['critical']));
      // Grouped by role, the roles come by their highest severity: the backdoor, with the critical, first.
      await page.click('#reset');
      await page.waitForURL((url) => !url.search.includes('severity='));
      await page.check('#filters input[name="group"]');
      await page.waitForURL(/[?&]group=role/);
      const group = page.locator('#findings tr.group').first();
      await group.waitFor();
      expect(await group.getAttribute('data-role')).toBe(DEMO_ROLES.backdoor);
      expect(await group.locator('.severity').textContent()).toBe('critical');
      // Newest first: opening times never go up.
      await page.selectOption('#filters select[name="sort"]', 'time');
      await page.waitForURL(/[?&]sort=time/);
      await page.locator('#findings tr.group').first().waitFor();
      await page.uncheck('#filters input[name="group"]');
      await page.waitForURL((url) => !url.search.includes('group='));
      await page.locator('#findings tr[data-finding]').first().waitFor();
      const opened = await page
        .locator('#findings tr[data-finding] td:nth-child(5) time')
        .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('datetime') ?? ''));
      expect(opened.length).toBeGreaterThan(10);
      expect(opened).toEqual([...opened].sort().reverse());
      expect(problems).toEqual([]);
      if (SCREENSHOTS) {
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.setViewportSize({ width: 1200, height: 780 });
        await page.goto(`${running().url}/ui/`);
        await page.waitForSelector('#findings tr[data-finding]');
        await page.waitForSelector('#per-day svg');
        await page.screenshot({ path: path.join(SCREENSHOTS, 'triage.png') });
      }
    },
    90_000,
  );

  browserIt(
    'suppresses a finding with a reason and an end date, shows who and why, and re-opens it',
    async () => {
      const { page, problems } = await open();
      await page.goto(`${running().url}/ui/?status=open&severity=high`);
      const row = page.locator('#findings tr[data-finding]').first();
      await row.waitFor();
      const id = await row.getAttribute('data-finding');
      await row.locator('button.expand').click();
      const detail = page.locator(`tr[data-detail="${id}"]`);
      await detail.locator('input[name="reason"]').fill('accepted: vendor access reviewed');
      await detail.locator('input[name="until"]').fill('2099-01-31');
      await detail.locator('button[type="submit"]').click();
      const suppressed = page.locator(`tr[data-finding="${id}"] .status.suppressed`);
      await suppressed.waitFor();
      expect(await suppressed.textContent()).toBe('suppressed by local');
      expect(await detail.textContent()).toContain('by local: “accepted: vendor access reviewed” until 2099-01-31');
      const stored = (await (await fetch(`${running().url}/findings/${id}`)).json()) as Record<string, unknown>;
      expect(stored).toMatchObject({
        status: 'suppressed',
        suppression: { by: 'local', reason: 'accepted: vendor access reviewed', until: '2099-01-31' },
      });
      await detail.locator('button.reopen').click();
      await page.locator(`tr[data-finding="${id}"] .status.open`).waitFor();
      const reopened = (await (await fetch(`${running().url}/findings/${id}`)).json()) as Record<string, unknown>;
      expect(reopened.status).toBe('open');
      expect(problems).toEqual([]);
    },
    60_000,
  );

  browserIt(
    "draws the backdoor's graph: the foreign account untrusted until the role was made, then used",
    async () => {
      const { page, problems } = await open();
      await page.goto(`${running().url}/ui/role.html?name=${DEMO_ROLES.backdoor}&account=${DEMO_ACCOUNT}`);
      const used = page.locator(`#observed li[data-principal="account:${ATTACKER_ACCOUNT}"]`);
      await used.waitFor();
      expect(await used.getAttribute('data-story')).toBe('untrusted-then-used');
      expect((await used.getAttribute('data-marks'))?.split(' ')).toEqual(expect.arrayContaining(['foreign', 'unknown']));
      expect(await used.locator('.story').textContent()).toMatch(
        /^untrusted before 2026-11-02 14:12:\d\d, trusted from then, first used 2026-11-02 15:14/,
      );
      const trusted = page.locator(`#trusted li[data-principal="account:${ATTACKER_ACCOUNT}"]`);
      expect((await trusted.getAttribute('data-marks'))?.split(' ')).toEqual(expect.arrayContaining(['foreign', 'unknown']));
      // Cytoscape drew it: the account and the role, a trust edge and an assumption edge at least.
      const graph = page.locator('#graph');
      expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
      expect(Number(await graph.getAttribute('data-nodes'))).toBeGreaterThanOrEqual(2);
      expect(Number(await graph.getAttribute('data-edges'))).toBeGreaterThanOrEqual(2);
      expect(await page.locator('#role-marks .badge.admin').count()).toBe(1);
      // The timeline links each change to its diff.
      await page.waitForSelector('#timeline svg a.change-link');
      const created = page.locator('#timeline a.change-link', { hasText: 'CreateRole' });
      await created.locator('text').click();
      const target = decodeURIComponent(new URL(page.url()).hash.slice(1));
      const entry = page.locator(`#${target}`);
      expect(await entry.locator('strong').textContent()).toBe('CreateRole');
      expect(await entry.locator('.diff .added').first().textContent()).toContain(ATTACKER_ACCOUNT);
      expect(problems).toEqual([]);
      if (SCREENSHOTS) {
        await page.evaluate('window.scrollTo(0, 0)');
        await page.locator('#access').screenshot({ path: path.join(SCREENSHOTS, 'graph.png') });
      }
    },
    60_000,
  );

  browserIt(
    'draws the account graph and narrows it to the paths into admin-capable roles',
    async () => {
      const { page, problems } = await open();
      await page.goto(`${running().url}/ui/graph.html`);
      await page.waitForSelector('#paths tbody tr');
      const all = await page.locator('#paths tbody tr').count();
      await page.check('#graph-filters input[name="admin"]');
      await page.locator('#graph-status', { hasText: /paths shown/ }).waitFor();
      await page.locator(`#paths tbody tr[data-role="${DEMO_ROLES.backdoor}"]`).first().waitFor();
      const roles = await page.locator('#paths tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-role')));
      const access = (await (await fetch(`${running().url}/access?limit=200`)).json()) as {
        items: { role: { roleName: string; reach: { adminCapable: boolean } }; trusted: unknown[]; observed: unknown[] }[];
      };
      const admin = access.items.filter((a) => a.role.reach.adminCapable && a.trusted.length + a.observed.length > 0);
      expect(new Set(roles)).toEqual(new Set(admin.map((a) => a.role.roleName)));
      expect(roles).toContain(DEMO_ROLES.backdoor);
      expect(problems).toEqual([]);
      if (SCREENSHOTS) {
        await page.setViewportSize({ width: 1200, height: 760 });
        await page.uncheck('#graph-filters input[name="admin"]');
        await page.locator('#graph-status', { hasText: `, ${all} paths shown` }).waitFor();
        await page.screenshot({ path: path.join(SCREENSHOTS, 'account-graph.png') });
      }
    },
    60_000,
  );
});
