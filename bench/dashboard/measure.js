// Measures the dashboard's first view for bench/dashboard/run: in headless
// Chromium (Debian's, through playwright-core), RUNS times, each in a fresh
// browser context (empty cache, as a first visit): navigation start to the
// last panel drawn (web/dashboard/app.js sets window.cantonReadyMs, the
// performance.now() at which every panel of the view has its data drawn).
//
//   node measure.js ORIGIN RUNS [PATH]
//
// Prints one JSON object: {"runs": [ms...], "warm": [ms...], "api": [ms...],
// "calls": [...], "first": [ms...], "last": [ms...], "sum": [ms...]};
// warm runs are reloads in the same context (cached assets); api is, per first
// view, the slowest report's own elapsed_ms (the server's query time); calls
// the number of /api/v1 requests; first and last when the first report
// request started and the last API answer ended (navigation start = 0); sum
// the reports' elapsed_ms added up (the server's work for the view).
'use strict';
const { chromium } = require('playwright-core');

const [origin, runsArg, target = '/'] = process.argv.slice(2);
const RUNS = Number(runsArg || 7);
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];

(async () => {
  // launch() runs the browser on a fresh temporary profile, removed on close.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  const out = { runs: [], warm: [], api: [], calls: [], first: [], last: [], sum: [], errors: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => out.errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
      const elapsed = [];
      const calls = []; // the API requests, from the page or boot.js's worker
      page.on('response', (r) => {
        if (!r.url().includes('/api/v1/')) return;
        calls.push(r);
        if (r.url().includes('/api/v1/report')) r.json().then((j) => elapsed.push(j.elapsed_ms)).catch(() => {});
      });
      await page.goto(origin + target);
      await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 60000 });
      out.runs.push(await page.evaluate(() => window.cantonReadyMs));
      out.api.push(Math.max(0, ...elapsed));
      out.sum.push(elapsed.reduce((a, b) => a + b, 0));
      // Request timing is wall-clock (ms since the epoch): relative to the navigation's start.
      const origin0 = await page.evaluate(() => performance.timeOrigin);
      const t = calls.map((r) => {
        const x = r.request().timing();
        return { report: r.url().includes('/api/v1/report'), start: x.startTime - origin0, end: x.startTime + x.responseEnd - origin0 };
      });
      calls.length = 0;
      out.calls.push(t.length);
      out.first.push(Math.min(...t.filter((e) => e.report).map((e) => e.start)));
      out.last.push(Math.max(...t.map((e) => e.end)));
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
