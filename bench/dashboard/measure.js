// Measures the dashboard's first view for bench/dashboard/run: in headless
// Chromium (Debian's, through playwright-core), RUNS times, each in a fresh
// browser context (empty cache, as a first visit): navigation start to the
// last panel drawn (web/dashboard/app.js sets window.cantonReadyMs, the
// performance.now() at which every panel of the view has its data drawn).
//
//   node measure.js ORIGIN RUNS [PATH]
//
// Prints one JSON object: {"runs": [ms...], "warm": [ms...], "api": [ms...]};
// warm runs are reloads in the same context (cached assets); api is, per first
// view, the slowest report's own elapsed_ms (the server's query time).
'use strict';
const { chromium } = require('playwright-core');

const [origin, runsArg, target = '/'] = process.argv.slice(2);
const RUNS = Number(runsArg || 7);
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];

(async () => {
  // launch() runs the browser on a fresh temporary profile, removed on close.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  const out = { runs: [], warm: [], api: [], errors: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => out.errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
      const elapsed = [];
      page.on('response', (r) => {
        if (r.url().includes('/api/v1/report')) r.json().then((j) => elapsed.push(j.elapsed_ms)).catch(() => {});
      });
      await page.goto(origin + target);
      await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 60000 });
      out.runs.push(await page.evaluate(() => window.cantonReadyMs));
      out.api.push(Math.max(0, ...elapsed));
      await page.reload();
      await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 60000 });
      out.warm.push(await page.evaluate(() => window.cantonReadyMs));
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})();
