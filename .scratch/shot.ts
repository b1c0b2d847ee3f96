import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
(async () => {
  const child = spawn(process.execPath, ['shared/cli/rolewatch.js', 'start', '--port', '0', '--mail-dir', '/tmp/i19/mail'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  let url = '';
  for (let i = 0; i < 600 && !url; i++) {
    const m = /ready\. Open (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) url = m[1];
    else await new Promise((r) => setTimeout(r, 200));
  }
  if (!url) { console.log(out); child.kill('SIGINT'); return; }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => console.log('console', m.type(), m.text()));
    page.on('response', (r) => { if (r.status() >= 400) console.log('HTTP', r.status(), r.url()); });
    page.on('pageerror', (e) => console.log('pageerror', e.message));
    const targets = (process.env.PAGES ?? 'triage,role,graph').split(',');
    if (targets.includes('triage')) {
      await page.goto(`${url}/ui/`);
      await page.waitForSelector('#findings tr[data-finding]');
      await page.waitForSelector('#per-day svg');
      await page.screenshot({ path: '/tmp/i19/triage.png', fullPage: false });
    }
    if (targets.includes('role')) {
      await page.goto(`${url}/ui/role.html?name=aws-support-sync&account=123456789012`);
      await page.waitForSelector('#observed li[data-story]');
      await page.waitForTimeout(500);
      await page.screenshot({ path: '/tmp/i19/role.png', fullPage: true });
    }
    if (targets.includes('graph')) {
      await page.goto(`${url}/ui/graph.html`);
      await page.waitForSelector('#paths tbody tr');
      await page.waitForTimeout(500);
      await page.screenshot({ path: '/tmp/i19/graph.png', fullPage: false });
    }
  } finally {
    await browser.close();
    child.kill('SIGINT');
  }
})();
