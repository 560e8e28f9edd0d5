// Drives tests/browser/shop.html in headless Chromium (Debian's, through
// playwright-core; never a downloaded browser) for
// tests/integration/test_tracker_browser.py.
//
//   node drive_shop.js WEB_ORIGIN CANTON_ORIGIN
//
// Each mode runs in a fresh profile; the page's data attributes per mode are
// set by the test's web server (MODES in the Python test):
//   default  cookieless: page views (load, pushState, back), events, e-commerce,
//            a download and an outbound click
//   cookie   data-cookie="true": one id across a reload
//   fetch    no navigator.sendBeacon (fetch keepalive instead), data-endpoint,
//            data-hash="true"; then Global Privacy Control with data-respect-dnt
//   manual   data-auto="false": page views only by hand; sendBeacon refuses
//            every beacon (as over its quota), so a plain fetch sends them
//   dnt      data-respect-dnt="true" with the browser's Do-Not-Track setting on
// Prints one JSON object: per mode, what the browser saw (requests to
// /api/collect, their kind and answer, the events they carried, cookies,
// storage). The Python test checks what canton stored.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [web, canton] = process.argv.slice(2);
if (!web || !canton) {
  console.error('usage: node drive_shop.js WEB_ORIGIN CANTON_ORIGIN');
  process.exit(2);
}
const collectUrl = canton + '/api/collect';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// mode: sent as the header X-Canton-Test-Mode with every request, so that the
// test can tell the modes' hits apart in the hitlog.
async function withBrowser(mode, prefs, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canton-chromium-'));
  if (prefs) {
    fs.mkdirSync(path.join(dir, 'Default'));
    fs.writeFileSync(path.join(dir, 'Default', 'Preferences'), JSON.stringify(prefs));
  }
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    acceptDownloads: true,
    extraHTTPHeaders: { 'X-Canton-Test-Mode': mode },
  });
  // Requests to canton's /api/collect as the browser saw them.
  const net = { sent: 0, events: 0, kinds: [], answered: [], failed: [] };
  ctx.on('request', (r) => {
    if (r.url() !== collectUrl) return;
    net.sent++;
    net.kinds.push(r.resourceType()); // "ping" for sendBeacon, "fetch" for fetch
    try {
      net.events += JSON.parse(r.postData()).events.length;
    } catch (e) {
      net.events = NaN;
    }
  });
  ctx.on('requestfinished', async (r) => {
    if (r.url() !== collectUrl) return;
    const resp = await r.response();
    net.answered.push(resp ? resp.status() : 0);
  });
  // A beacon sent as the page is left may show as aborted here and still arrive.
  ctx.on('requestfailed', (r) => { if (r.url() === collectUrl) net.failed.push(r.failure().errorText); });
  // The outbound link's host and the download, answered locally (no network).
  await ctx.route('http://partner.example/**', (r) => r.fulfill({ contentType: 'text/html', body: '<title>Partner</title>partner' }));
  await ctx.route('**/files/manual.pdf', (r) => r.fulfill({
    contentType: 'application/pdf', body: '%PDF-1.4\n%%EOF\n',
    headers: { 'Content-Disposition': 'attachment; filename="manual.pdf"' },
  }));
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    return await fn(ctx, page, net);
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Waits until requests carrying at least `events` events were sent and each has ended.
async function settle(net, events, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (net.events >= events && net.answered.length + net.failed.length === net.sent) break;
    await sleep(50);
  }
  await sleep(300); // and nothing comes late
  return { ...net, kinds: [...net.kinds], answered: [...net.answered], failed: [...net.failed] };
}

async function open(page, mode) {
  const resp = await page.goto(`${web}/shop.html?mode=${mode}`, { waitUntil: 'load' });
  if (!resp || resp.status() !== 200) throw new Error(`shop.html: ${resp && resp.status()}`);
  await page.waitForFunction(() => window.canton && window.canton.v === 1, null, { timeout: 5000 });
}

async function storage(ctx, page) {
  return {
    cookies: await ctx.cookies(),
    documentCookie: await page.evaluate(() => document.cookie),
    localStorage: await page.evaluate(() => localStorage.length),
    sessionStorage: await page.evaluate(() => sessionStorage.length),
  };
}

async function main() {
  const out = {};

  out.default = await withBrowser('default', null, async (ctx, page, net) => {
    await open(page, 'default'); // page view + the queued event
    await page.click('#nav-mug'); // pushState: page view + product view
    await page.waitForFunction(() => document.title.startsWith('Red Mug'));
    await page.click('#signup');
    await page.click('#add');
    await page.click('#nav-cart'); // page view
    await page.click('#checkout');
    await page.click('#buy');
    await settle(net, 9, 5000); // all sent before going back
    await page.goBack(); // popstate: page view + product view
    await page.waitForFunction(() => location.pathname === '/p/red-mug');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#manual')]);
    await download.path();
    const st = await storage(ctx, page);
    await Promise.all([page.waitForURL('http://partner.example/**'), page.click('#partner')]);
    return { ...st, net: await settle(net, 13) };
  });

  out.cookie = await withBrowser('cookie', null, async (ctx, page, net) => {
    await open(page, 'cookie');
    await page.click('#signup');
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => window.canton && window.canton.v === 1);
    const st = await storage(ctx, page);
    return { ...st, net: await settle(net, 5) };
  });

  out.fetch = await withBrowser('fetch', null, async (ctx, page, net) => {
    await ctx.addInitScript(() => { delete Navigator.prototype.sendBeacon; });
    await open(page, 'fetch');
    await page.click('#reviews'); // #reviews: a page view with data-hash="true"
    await page.waitForFunction(() => document.title.startsWith('Reviews'));
    await page.click('#signup');
    // Not sent: an unknown type and an event without a name (and no exception).
    const misuse = await page.evaluate(() => {
      try {
        canton('no_such_type', {});
        canton('event');
        return 'ok';
      } catch (e) {
        return String(e);
      }
    });
    const res = { misuse, beaconApi: await page.evaluate(() => typeof navigator.sendBeacon),
      net: await settle(net, 4) };
    // Global Privacy Control with data-respect-dnt="true": nothing more may be sent.
    await ctx.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
    });
    await open(page, 'gpc');
    res.globalPrivacyControl = await page.evaluate(() => navigator.globalPrivacyControl);
    await page.click('#nav-mug');
    await page.click('#signup');
    await page.click('#buy');
    await sleep(1000);
    res.gpcSent = net.sent - res.net.sent;
    return res;
  });

  out.manual = await withBrowser('manual', null, async (ctx, page, net) => {
    await ctx.addInitScript(() => {
      window.refusedBeacons = 0;
      Navigator.prototype.sendBeacon = function () {
        window.refusedBeacons++;
        return false;
      };
    });
    await open(page, 'manual'); // no page view, the queued event
    await page.evaluate(() => canton('pageview', { url: location.origin + '/virtual/step-2', title: 'Step 2 - Canton Test Shop' }));
    await page.click('#nav-mug'); // no page view; the product view
    await page.waitForFunction(() => document.title.startsWith('Red Mug'));
    const res = { net: await settle(net, 3) };
    res.refusedBeacons = await page.evaluate(() => window.refusedBeacons);
    return res;
  });

  out.dnt = await withBrowser('dnt', { enable_do_not_track: true }, async (ctx, page, net) => {
    await open(page, 'dnt');
    const dnt = await page.evaluate(() => navigator.doNotTrack);
    await page.click('#nav-mug');
    await page.click('#signup');
    await page.click('#buy');
    await Promise.all([page.waitForURL('http://partner.example/**'), page.click('#partner')]);
    return { doNotTrack: dnt, net: await settle(net, 0, 1000) };
  });

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error((e && e.stack) || e);
  process.exit(1);
});
