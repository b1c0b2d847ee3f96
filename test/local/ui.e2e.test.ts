import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalDynamo, startDynamoLocal } from '../../shared/store/dynamoLocal';
import { browserIt, launchBrowser, type RunningCommand, startCommand, watchedPage } from '../support/browser';
import { runCli } from '../support/cli';
import { ACCOUNT, createRole, FOREIGN_ACCOUNT, trustDocument } from '../support/trail';

/**
 * `rolewatch ui` over a table that `rolewatch evaluate --table` filled, as a team does over its deployed table:
 * here DynamoDB Local stands for it. 230 roles trusting an unknown account give more than 200 open high
 * findings, so the page has to page past 200.
 */
const ROLES = 230;
const TABLE = 'rolewatch-deployed';

describe('rolewatch ui over a table filled by evaluate --table', () => {
  let dynamo: LocalDynamo | undefined;
  let ui: RunningCommand | undefined;
  const credentials = () => {
    if (!dynamo) throw new Error('DynamoDB Local is not running');
    return {
      AWS_ACCESS_KEY_ID: dynamo.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: dynamo.credentials.secretAccessKey,
    };
  };
  const uiArgs = () => ['ui', '--table', TABLE, '--endpoint', dynamo?.endpoint ?? '', '--region', 'us-east-1', '--port', '0'];

  beforeAll(async () => {
    dynamo = await startDynamoLocal();
    const dir = mkdtempSync(path.join(tmpdir(), 'rolewatch-ui-'));
    const records = Array.from({ length: ROLES }, (_, i) =>
      createRole(`vendor-${String(i).padStart(3, '0')}`, trustDocument(`arn:aws:iam::${FOREIGN_ACCOUNT}:root`)),
    );
    writeFileSync(path.join(dir, 'trail.json'), JSON.stringify({ Records: records }));
    const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, credentials());
    try {
      const args = [
        dir,
        '--table',
        TABLE,
        '--endpoint',
        dynamo.endpoint,
        '--region',
        'us-east-1',
        '--create-table',
        '--format',
        'jsonl',
      ];
      const loaded = await runCli('evaluate', ...args);
      expect(loaded.code).toBe(0);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = previous.id;
      process.env.AWS_SECRET_ACCESS_KEY = previous.secret;
    }
    ui = await startCommand(uiArgs(), credentials());
  }, 300_000);

  afterAll(async () => {
    await ui?.stop();
    await dynamo?.stop();
  }, 30_000);

  const running = () => {
    if (!ui) throw new Error('rolewatch ui is not running');
    return ui;
  };

  it('serves the API read-only: writes are refused, nothing is written', async () => {
    const { url } = running();
    const page = (await (await fetch(`${url}/findings?severity=high&limit=1`)).json()) as { items: { id: string }[] };
    const id = page.items[0]?.id;
    const refused = await fetch(`${url}/findings/${id}/suppress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'try' }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { reason: string } }).error.reason).toMatch(/--allow-writes/);
    const session = (await (await fetch(`${url}/ui/session.json`)).json()) as { writable: boolean; source: string };
    expect(session).toEqual({ writable: false, source: `table ${TABLE} (us-east-1)` });
    // Cursors work although no cursor key could be written.
    const first = (await (await fetch(`${url}/roles?limit=100`)).json()) as { cursor?: string };
    expect((await fetch(`${url}/roles?limit=100&cursor=${first.cursor}`)).status).toBe(200);
    expect(running().output()).not.toContain('[api error]');
  }, 30_000);

  browserIt(
    'pages past 200 findings, forwards and back, none twice',
    async () => {
      const browser = await launchBrowser();
      try {
        const { page, problems } = await watchedPage(browser);
        await page.goto(`${running().url}/ui/?status=open&severity=high&rule=trust-unknown-account&limit=200`);
        const rows = page.locator('#findings tr[data-finding]');
        await rows.first().waitFor();
        expect(await rows.count()).toBe(200);
        expect(await page.locator('#position').textContent()).toBe('Findings 1–200, more follow');
        expect(await page.locator('#source').textContent()).toBe(`table ${TABLE} (us-east-1) · read-only`);
        const first = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-finding')));
        await page.click('#next');
        await page.locator('#position', { hasText: /^Findings 201/ }).waitFor();
        const second = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-finding')));
        expect(second).toHaveLength(ROLES - 200);
        expect(await page.locator('#position').textContent()).toBe(`Findings 201–${ROLES} (the end)`);
        expect(await page.locator('#next').isDisabled()).toBe(true);
        expect(new Set([...first, ...second]).size).toBe(ROLES);
        await page.click('#prev');
        await page.locator('#position', { hasText: /^Findings 1–/ }).waitFor();
        expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-finding')))).toEqual(first);
        // Read-only: the details offer no suppression.
        await rows.first().locator('button.expand').click();
        await page.locator('tr.detail').waitFor();
        expect(await page.locator('tr.detail form.suppress').count()).toBe(0);
        expect(await page.locator('tr.detail').textContent()).toContain('Read-only');
        // The role's graph over the same table.
        await page.goto(`${running().url}/ui/role.html?name=vendor-007&account=${ACCOUNT}`);
        const trusted = page.locator(`#trusted li[data-principal="account:${FOREIGN_ACCOUNT}"]`);
        await trusted.waitFor();
        expect(await trusted.getAttribute('data-marks')).toBe('unknown foreign');
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    90_000,
  );

  it('with --allow-writes, records a suppression as by the caller', async () => {
    const writable = await startCommand([...uiArgs(), '--allow-writes'], credentials());
    try {
      const page = (await (await fetch(`${writable.url}/findings?severity=high&limit=1`)).json()) as { items: { id: string }[] };
      const id = page.items[0]?.id;
      const answer = await fetch(`${writable.url}/findings/${id}/suppress`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'vendor reviewed' }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { suppression: unknown }).suppression).toEqual({ reason: 'vendor reviewed', by: 'local' });
    } finally {
      expect(await writable.stop()).toBe(0);
    }
  }, 60_000);

  it('refuses a table that does not exist, naming it', async () => {
    const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, credentials());
    try {
      const result = await runCli('ui', '--table', 'no-such-table', '--endpoint', dynamo?.endpoint ?? '', '--port', '0');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('no table no-such-table in');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = previous.id;
      process.env.AWS_SECRET_ACCESS_KEY = previous.secret;
    }
  }, 30_000);
});
