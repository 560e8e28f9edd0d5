// Measures the dashboard's first view for bench/dashboard/run: in headless
// Chromium (Debian's, through playwright-core), RUNS times, each in a fresh
// browser context (empty cache, as a first visit): navigation start to the
// last panel drawn (web/dashboard/app.js sets window.cantonReadyMs, the
// performance.now() at which every panel of the view has its data drawn).
//
//   node measure.js ORIGIN RUNS [PATH]
//
// Prints one JSON object: {"runs": [ms...], "warm": [ms...], "api": [ms...],
// "calls": [...], "first": [ms...], "last": [ms...], "sum": [ms...],
// "settle": [ms...], "errors": [...]};
// warm runs are reloads in the same context (cached assets); api is, per first
// view, the slowest report's own elapsed_ms (the server's query time); calls
// the number of /api/v1 requests (a batch counts once); first and last when
// the first report (or batch) request started and the last API answer ended (navigation start = 0); sum
// the reports' elapsed_ms added up (the server's work for the view); settle
// how long each run waited for the new window's browser UI (see settle()).
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const [origin, runsArg, target = '/'] = process.argv.slice(2);
const RUNS = Number(runsArg || 7);
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];

// CPU time (ms) used so far by the browser: the Chromium that launch() started
// (a child of this process) and every process under it (Linux /proc).
function browserCpuMs() {
  const kids = new Map();
  const cpu = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let st;
    try { st = fs.readFileSync('/proc/' + d + '/stat', 'utf8'); } catch (e) { continue; }
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(Number(d));
    cpu.set(Number(d), Number(f[11]) + Number(f[12]));
  }
  let ticks = 0;
  const todo = [process.pid];
  while (todo.length) {
    for (const c of kids.get(todo.pop()) || []) { ticks += cpu.get(c); todo.push(c); }
  }
  return ticks * 10; // USER_HZ is 100
}

// A new context opens a new browser window, and headless Chromium then builds
// that window's own UI (the omnibox popup's WebUI renderer loads some 300
// chrome:// resources: 200-600 ms of CPU, and the browser process as much
// again), at the same time as the page if the page is opened at once. Each
// run waits until the browser is idle (under 10 ms of CPU in 100 ms, at most
// 5 s) before it navigates, so that the time measured is the page's; the cache
// is empty all the same. SETTLE=0 navigates at once, as before.
async function settle() {
  if (process.env.SETTLE === '0' || process.platform !== 'linux') return 0;
  const t0 = Date.now();
  let prev = browserCpuMs();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = browserCpuMs();
    if (now - prev <= 10 || Date.now() - t0 > 5000) return Date.now() - t0;
    prev = now;
  }
}

(async () => {
  // launch() runs the browser on a fresh temporary profile, removed on close.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  const out = { runs: [], warm: [], api: [], calls: [], first: [], last: [], sum: [], settle: [], errors: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      out.settle.push(await settle());
      page.on('pageerror', (e) => out.errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
      const elapsed = [];
      const calls = []; // the API requests, from the page or boot.js's worker
      page.on('response', (r) => {
        if (!r.url().includes('/api/v1/')) return;
        calls.push(r);
        if (r.url().includes('/api/v1/report')) r.json().then((j) => elapsed.push(j.elapsed_ms)).catch(() => {});
        // POST /api/v1/batch (boot.js's first requests): each report's own elapsed_ms.
        if (r.url().includes('/api/v1/batch')) {
          r.json().then((j) => j.responses.forEach((x) => {
            if (x.body && typeof x.body.elapsed_ms === 'number') elapsed.push(x.body.elapsed_ms);
          })).catch(() => {});
        }
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
        return { report: /\/api\/v1\/(report|batch)/.test(r.url()), start: x.startTime - origin0, end: x.startTime + x.responseEnd - origin0 };
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
