// Drives the dashboard (web/dashboard/, served by `canton serve` at /) in
// headless Chromium (Debian's, through playwright-core; never a downloaded
// browser) for tests/integration/test_dashboard.py.
//
//   node drive_dashboard.js CANTON_ORIGIN SCREENSHOT_DIR [main|realtime|token]
//
// Walks through: the overview; a new date range; a new comparison; a click on
// a country row (a filter); a bad segment; a CSV export; every detail view
// (the geography map: tooltip, click and Enter filter, revenue; the paths
// view's dimension picker; the eVars view's pickers with their filter boxes);
// realtime for a few refreshes; then every view at phone width. Saves a
// screenshot of each view (desktop and phone) in SCREENSHOT_DIR and prints
// one JSON object with what the page showed at each step (URL, headline
// figures with their raw values, each table's keys and values, errors shown,
// the CSV text, console errors). The Python test compares it with the API.
// Every request the page makes to /api/ is logged (method, path, a batch's
// requests and their statuses): result.requests has those of the first view
// (first), the date range change (range), each view (by its name), a direct
// load of a view (direct) and, in phase "token", a batch answered 401
// (token401), so that the test can tell that each view's reports came in one
// POST /api/v1/batch. At the end: an hourly trend asked over a year (longHours) and a
// range the API refuses (badRange); presets early in their period on a set clock (periodStart).
// Phase "realtime" (run while live hits arrive) opens the realtime view only,
// waits for a refresh and saves its screenshots. Phase "token" (a server whose
// suite needs the token in $CANTON_TEST_TOKEN) answers the token prompt.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [origin, shots, phase = 'main'] = process.argv.slice(2);
if (!origin || !shots) {
  console.error('usage: node drive_dashboard.js CANTON_ORIGIN SCREENSHOT_DIR');
  process.exit(2);
}
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];
const VIEWS = ['overview', 'pages', 'acquisition', 'geography', 'technology', 'ecommerce', 'paths', 'vars', 'realtime'];

async function ready(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 30000 });
}

// What the page shows: figures, tables, chips, errors.
function snapshot(page) {
  return page.evaluate(() => {
    const out = { url: location.href, query: location.search, figures: {}, growth: {}, tables: {}, chips: [], errors: [], charts: 0 };
    for (const f of document.querySelectorAll('.fig[data-metric]')) {
      out.figures[f.dataset.metric] = f.dataset.value === undefined ? null : Number(f.dataset.value);
      const c = f.querySelector('.chg');
      out.growth[f.dataset.metric] = c ? c.textContent : '';
      out.figures[f.dataset.metric + ':text'] = f.querySelector('.value').textContent;
    }
    for (const sec of document.querySelectorAll('section.panel')) {
      const rows = [...sec.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.firstChild && td.firstChild.nodeType === 3 ? td.firstChild.textContent : td.textContent));
      const keys = [...sec.querySelectorAll('tbody tr')].map((tr) => tr.dataset.key);
      out.tables[sec.dataset.panel] = { dim: sec.dataset.dim || null, keys, rows };
      const err = sec.querySelector('.err');
      if (err) out.errors.push(sec.dataset.panel + ': ' + err.textContent);
    }
    // Figures in tables that do not fit their cell (cut, "CN¥505,…"): labels may be cut, numbers not.
    out.cut = [...document.querySelectorAll('section.panel tbody td:not(:first-child)')]
      .filter((td) => td.scrollWidth > td.clientWidth + 1)
      .map((td) => td.closest('section').dataset.panel + ': ' + td.textContent);
    out.chips = [...document.querySelectorAll('.chip')].map((c) => c.firstChild.textContent);
    out.charts = document.querySelectorAll('.chart[data-drawn="1"] canvas').length;
    out.funnel = [...document.querySelectorAll('.fstep')].map((s) => Number(s.dataset.count));
    out.period = document.querySelector('#period').textContent;
    return out;
  });
}

// The world map of the geography view: which countries it draws, the tooltip
// of the second country of the table (hovered with the mouse at a point
// inside its shape), a click on it (a filter), Enter on a focused country (a
// filter), and the revenue switch.
async function checkMap(page, shots) {
  const out = {};
  await page.waitForSelector('svg.map');
  out.codes = await page.$$eval('svg.map [data-cc]', (els) => [...new Set(els.map((e) => e.getAttribute('data-cc')))]);
  out.withData = await page.$$eval('svg.map [data-value]', (els) => els.map((e) => [e.getAttribute('data-cc'), Number(e.getAttribute('data-value'))]));
  const keys = await page.$$eval('section[data-panel="country"] tbody tr', (trs) => trs.map((tr) => tr.dataset.key));
  out.target = keys.find((k, i) => i > 0 && out.withData.some(([c]) => c === k)) || keys[0];
  // A point inside the target's shape (its bounding box's centre may be another country).
  const pt = await page.evaluate((cc) => {
    const els = [...document.querySelectorAll('svg.map [data-cc="' + cc + '"]')];
    for (const el of els) {
      el.scrollIntoView({ block: 'center' });
      const b = el.getBoundingClientRect();
      for (let i = 1; i < 24; i++) {
        for (let j = 1; j < 24; j++) {
          const x = b.left + (b.width * i) / 24;
          const y = b.top + (b.height * j) / 24;
          if (document.elementFromPoint(x, y) === el) return { x, y };
        }
      }
    }
    return null;
  }, out.target);
  if (!pt) throw new Error('no point inside the shape of ' + out.target);
  await page.mouse.move(pt.x, pt.y);
  await page.waitForSelector('#tip:not([hidden])');
  out.tip = await page.textContent('#tip');
  out.tipName = await page.textContent('#tip b');
  // The names of the countries table (its rows' labels) and of the map's CSV download.
  out.tableNames = await page.$$eval('section[data-panel="country"] tbody tr', (trs) =>
    trs.map((tr) => [tr.dataset.key, tr.querySelector('td .key').textContent]));
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('section[data-panel="map"] button.csv')]);
  out.csv = fs.readFileSync(await dl.path(), 'utf8');
  await page.screenshot({ path: path.join(shots, 'geography-map-tooltip-desktop.png') });
  await page.mouse.click(pt.x, pt.y);
  await page.waitForFunction(() => location.search.includes('f=country'));
  await ready(page);
  out.clicked = await snapshot(page);
  out.clickedQuery = out.clicked.query;
  await page.click('.chip button');
  await page.waitForFunction(() => !location.search.includes('f=country'));
  await ready(page);
  // Keyboard: a country with data takes the focus (its tooltip shows) and Enter filters.
  const first = out.withData[0][0];
  await page.focus('svg.map [data-cc="' + first + '"][tabindex="0"]');
  await page.waitForSelector('#tip:not([hidden])');
  out.focusTip = await page.textContent('#tip');
  out.focusLabel = await page.getAttribute('svg.map [data-cc="' + first + '"][tabindex="0"]', 'aria-label');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.search.includes('f=country'));
  await ready(page);
  out.keyboardCountry = first;
  out.keyboardQuery = await page.evaluate(() => location.search);
  await page.click('.chip button');
  await page.waitForFunction(() => !location.search.includes('f=country'));
  await ready(page);
  // Revenue instead of visitors.
  await page.click('section[data-panel="map"] .tabs button[data-metric="revenue"]');
  await page.waitForFunction(() => location.search.includes('metric=revenue'));
  await ready(page);
  out.revenue = { query: await page.evaluate(() => location.search), title: await page.textContent('section[data-panel="map"] h2 span'),
    withData: await page.$$eval('svg.map [data-value]', (els) => els.map((e) => [e.getAttribute('data-cc'), Number(e.getAttribute('data-value'))])) };
  await page.screenshot({ path: path.join(shots, 'geography-revenue-desktop.png') });
  await page.click('section[data-panel="map"] .tabs button[data-metric="visitors"]');
  await ready(page);
  return out;
}

// The pickers of the eVars view: every variable and event of the catalogue, a filter box.
async function checkPickers(page) {
  const out = {};
  out.vars = await page.$$eval('#var-select option', (os) => os.map((o) => o.value));
  out.events = await page.$$eval('#event-select option', (os) => os.map((o) => o.value));
  await page.fill('#var-filter', 'prop7');
  out.filtered = await page.$$eval('#var-select option', (os) => os.map((o) => o.value));
  out.count = await page.textContent('.pickcount');
  await page.press('#var-filter', 'Enter');
  await page.waitForFunction(() => location.search.includes('var=prop7'));
  await ready(page);
  out.varQuery = await page.evaluate(() => location.search);
  out.varTable = await page.getAttribute('section[data-panel="var"]', 'data-dim');
  await page.fill('#event-filter', 'event 10');
  out.eventFiltered = await page.$$eval('#event-select option', (os) => os.map((o) => o.value));
  await page.selectOption('#event-select', 'event10');
  await page.waitForFunction(() => location.search.includes('ev=event10'));
  await ready(page);
  out.eventQuery = await page.evaluate(() => location.search);
  out.eventChart = await page.evaluate(() => document.querySelectorAll('section[data-panel="trend"] .chart[data-drawn="1"] canvas').length);
  // event10 (the suite's Shipping, a currency event) in the event totals and the chart's title
  out.eventRow = await page.$$eval('section[data-panel="events"] tr[data-key="event10"] td', (tds) => tds.map((t) => t.textContent));
  out.eventTitle = await page.textContent('section[data-panel="trend"] h2');
  out.eventSearch = await page.evaluate(() => location.search);
  return out;
}

// The paths view's dimension picker: the dimensions of the catalogue that paths follow (none
// with several values per hit); picking one (filter box, Enter) shows its paths.
async function checkPathPicker(page) {
  const out = {};
  out.dims = await page.$$eval('#pathdim-select option', (os) => os.map((o) => o.value));
  out.selected = await page.$$eval('#pathdim-select', (s) => (s.length ? s[0].value : null));
  if (out.selected === null) return out; // no picker: the test says so, the walk goes on
  await page.fill('#pathdim-filter', 'section');
  out.filtered = await page.$$eval('#pathdim-select option', (os) => os.map((o) => o.value));
  await page.press('#pathdim-filter', 'Enter');
  await page.waitForFunction(() => location.search.includes('pathdim=section'));
  await ready(page);
  out.picked = await snapshot(page);
  out.value = await page.inputValue('#path-page');
  out.label = await page.textContent('label[for="path-page"]');
  // "Include repeats": off by default; ticked, it is in the URL and the tables count each page view.
  out.repeatsBefore = await page.isChecked('#path-repeats');
  await page.check('#path-repeats');
  await page.waitForFunction(() => location.search.includes('repeats=include'));
  await ready(page);
  out.repeats = await snapshot(page);
  out.repeatsAfter = await page.isChecked('#path-repeats');
  out.repeatsValue = await page.inputValue('#path-page');
  await page.uncheck('#path-repeats');
  await page.waitForFunction(() => !location.search.includes('repeats='));
  await ready(page);
  out.repeatsOff = await snapshot(page);
  return out;
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canton-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const result = { steps: {}, console: [], views: {}, phone: {}, requests: {} };
  const page = ctx.pages()[0] || await ctx.newPage();
  // The page's API requests: {method, path, requests (a batch's), status, statuses (a batch's answers)}.
  const apiLog = [];
  const entries = new Map();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!u.pathname.startsWith('/api/')) return;
    const e = { method: r.method(), path: u.pathname, query: u.search };
    if (u.pathname === '/api/v1/batch') {
      try { e.requests = JSON.parse(r.postData() || '{}').requests || null; } catch (err) { e.requests = null; }
    }
    apiLog.push(e);
    entries.set(r, e);
  });
  page.on('response', (resp) => {
    const e = entries.get(resp.request());
    if (!e) return;
    e.status = resp.status();
    if (e.path === '/api/v1/batch' && e.status === 200) {
      resp.json().then((j) => { e.statuses = (j.responses || []).map((x) => x.status); }, () => {});
    }
  });
  // The API requests made while fn runs (fn ends when the page is ready).
  const counted = async (name, fn) => {
    const mark = apiLog.length;
    await fn();
    await page.waitForTimeout(50);
    result.requests[name] = apiLog.slice(mark);
  };
  // Console messages, tagged with the step: the bad segment's 400 answer is
  // logged by Chromium itself ("Failed to load resource") and is expected there.
  let step = 'start';
  const note = (what) => {
    if (step === 'badSegment' && /status of 400/.test(what)) result.expected400 = what;
    else if (step === 'fallback' && /status of 503/.test(what)) result.expected503 = what;
    else result.console.push(step + ': ' + what);
  };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') note(m.type() + ': ' + m.text()); });
  page.on('pageerror', (e) => note('pageerror: ' + e.message));
  page.on('requestfailed', (r) => { if (!/\/api\/v1\/realtime/.test(r.url()) || !closing) note('requestfailed: ' + r.url() + ' ' + (r.failure() || {}).errorText); });
  let closing = false;
  try {
    fs.mkdirSync(shots, { recursive: true });
    if (phase === 'token') {
      // The suite needs a token: the dialog asks once, the token stays in sessionStorage.
      const tok = process.env.CANTON_TEST_TOKEN;
      await page.goto(origin + '/');
      await page.waitForSelector('#token-dialog[open]');
      result.steps.dialog = await page.textContent('#token-why');
      await page.screenshot({ path: path.join(shots, 'token-desktop.png') });
      await page.fill('#token-input', tok);
      await page.press('#token-input', 'Enter');
      await ready(page);
      result.steps.afterToken = await snapshot(page);
      result.steps.stored = await page.evaluate(() => sessionStorage.getItem('canton.token'));
      await page.reload();
      await ready(page);
      result.steps.reloaded = { dialogOpen: await page.evaluate(() => document.querySelector('#token-dialog').open),
        snap: await snapshot(page) };
      // A token that stops working: the next view's batch answers 401 for each
      // report; the dialog asks once and the reports are asked again, together.
      await page.evaluate(() => sessionStorage.setItem('canton.token', 'not-the-token'));
      await counted('token401', async () => {
        await page.click('#views a[data-view="technology"]');
        await page.waitForSelector('#token-dialog[open]');
        result.steps.dialog401 = await page.textContent('#token-why');
        await page.fill('#token-input', tok);
        await page.press('#token-input', 'Enter');
        await page.waitForFunction(() => document.querySelector('main').dataset.view === 'technology');
        await ready(page);
      });
      result.steps.retried = await snapshot(page);
      return;
    }
    if (phase === 'realtime') {
      await page.goto(origin + '/?view=realtime');
      await ready(page);
      result.views.realtime = await snapshot(page);
      const t0 = await page.getAttribute('section[data-panel="realtime"]', 'data-updated');
      await page.waitForFunction((b) => document.querySelector('section[data-panel="realtime"]').dataset.updated !== b, t0, { timeout: 15000 });
      result.views.realtime_refreshed = await snapshot(page);
      await page.screenshot({ path: path.join(shots, 'realtime-desktop.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, 'realtime-phone.png'), fullPage: true });
      return;
    }
    // 1. The overview, as `scripts/run` opens it.
    await counted('first', async () => {
      await page.goto(origin + '/');
      await ready(page);
    });
    result.steps.overview = await snapshot(page);
    await page.screenshot({ path: path.join(shots, 'overview-desktop.png'), fullPage: true });

    // 2. Another date range, then another comparison.
    await counted('range', async () => {
      await page.selectOption('#range', 'last_7_days');
      await page.waitForFunction(() => location.search.includes('range=last_7_days'));
      await ready(page);
    });
    result.steps.range = await snapshot(page);
    await page.selectOption('#compare', 'previous_year');
    await page.waitForFunction(() => location.search.includes('compare=previous_year'));
    await ready(page);
    result.steps.compare = await snapshot(page);
    // A custom range: from/to in the URL.
    await page.selectOption('#range', 'custom');
    await page.fill('#from', process.env.CANTON_TEST_FROM || '2026-11-01');
    await page.fill('#to', process.env.CANTON_TEST_TO || '2026-11-10');
    await page.click('#apply-custom');
    await page.waitForFunction(() => location.search.includes('range=custom'));
    await ready(page);
    result.steps.custom = await snapshot(page);
    // Back to 30 days against the previous period for the rest.
    await page.selectOption('#range', 'last_30_days');
    await page.waitForFunction(() => !location.search.includes('range='));
    await ready(page);
    await page.selectOption('#compare', 'previous_period');
    await ready(page);

    // 3. A click on the second country row (the first is often the home country).
    const rows = page.locator('section[data-panel="countries"] tbody tr button.key');
    const n = await rows.count();
    const target = rows.nth(n > 1 ? 1 : 0);
    result.steps.clicked = await target.evaluate((b) => b.closest('tr').dataset.key);
    result.steps.clickedText = await target.textContent();
    await target.click();
    await page.waitForFunction(() => location.search.includes('f=country'));
    await ready(page);
    result.steps.filtered = await snapshot(page);
    await page.screenshot({ path: path.join(shots, 'overview-filtered-desktop.png'), fullPage: true });

    // 4. CSV export of the (filtered) pages table: the file has the rows shown.
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click('section[data-panel="pages"] button.csv')]);
    result.steps.csv = { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };

    // Remove the filter with its chip button.
    await page.click('.chip button');
    await page.waitForFunction(() => !location.search.includes('f=country'));
    await ready(page);
    result.steps.unfiltered = await snapshot(page);

    // 5. A bad segment shows the API's error with its position; a good one applies.
    step = 'badSegment';
    await page.click('#seg-toggle');
    await page.fill('#seg-text', 'visit(country = "US"');
    await page.click('#seg-editor button[type="submit"]');
    await page.waitForSelector('#seg-error:not([hidden])');
    result.steps.badSegment = { error: await page.textContent('#seg-error'), url: page.url(),
      position: await page.getAttribute('#seg-error', 'data-position') };
    await page.screenshot({ path: path.join(shots, 'segment-error-desktop.png') });
    step = 'goodSegment';
    await page.fill('#seg-text', 'visit(device = "mobile")');
    await page.click('#seg-editor button[type="submit"]');
    await page.waitForFunction(() => location.search.includes('segment='));
    await ready(page);
    result.steps.goodSegment = await snapshot(page);
    await page.click('#seg-clear');
    await page.waitForFunction(() => !location.search.includes('segment='));
    await ready(page);
    await page.click('#seg-toggle');

    // 6. Every view, by its link in the navigation.
    for (const v of VIEWS) {
      await counted(v, async () => {
        await page.click(`#views a[data-view="${v}"]`);
        await page.waitForFunction((x) => document.querySelector('main').dataset.view === x, v);
        await ready(page);
      });
      result.views[v] = await snapshot(page);
      await page.screenshot({ path: path.join(shots, v + '-desktop.png'), fullPage: true });
      if (v === 'geography') { step = 'map'; result.map = await checkMap(page, shots); step = 'views'; }
      if (v === 'vars') { step = 'pickers'; result.pickers = await checkPickers(page); step = 'views'; }
      if (v === 'paths') { step = 'pathPicker'; result.pathPicker = await checkPathPicker(page); step = 'views'; }
    }
    // Realtime refreshes by itself.
    const before = await page.getAttribute('section[data-panel="realtime"]', 'data-updated');
    await page.waitForFunction((b) => document.querySelector('section[data-panel="realtime"]').dataset.updated !== b, before, { timeout: 15000 });
    result.views.realtime_refreshed = await snapshot(page);

    // 7. Dark scheme by the toggle, then every view at phone width.
    await page.click('#views a[data-view="overview"]');
    await ready(page);
    await page.click('#theme');
    await ready(page);
    result.steps.dark = await page.evaluate(() => ({ theme: document.documentElement.dataset.theme,
      bg: getComputedStyle(document.body).backgroundColor }));
    await page.screenshot({ path: path.join(shots, 'overview-dark-desktop.png'), fullPage: true });
    await page.click('#views a[data-view="geography"]');
    await ready(page);
    result.steps.darkMap = await page.evaluate(() => ({ countries: document.querySelectorAll('svg.map [data-cc]').length,
      fill: getComputedStyle(document.querySelector('svg.map .c.l0')).fill }));
    await page.screenshot({ path: path.join(shots, 'geography-dark-desktop.png'), fullPage: true });
    await page.click('#theme');
    await ready(page);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const v of VIEWS) {
      await page.click(`#views a[data-view="${v}"]`);
      await page.waitForFunction((x) => document.querySelector('main').dataset.view === x, v);
      await ready(page);
      result.phone[v] = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        map: document.querySelector('svg.map') ? document.querySelector('svg.map').getBoundingClientRect().width : null }));
      await page.screenshot({ path: path.join(shots, v + '-phone.png'), fullPage: true });
      if (v === 'overview') await page.screenshot({ path: path.join(shots, 'overview-phone-screen.png') });
    }
    // 8. Keyboard: Tab reaches a table row's filter button and Enter adds the filter.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('#views a[data-view="overview"]');
    await ready(page);
    await page.focus('section[data-panel="devices"] tbody tr button.key');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.search.includes('f=device'));
    await ready(page);
    result.steps.keyboard = await snapshot(page);

    // 9. A view other than the overview loaded directly: boot.js's batch
    // (/suites, /catalog), then the view's reports in one batch.
    await counted('direct', async () => {
      await page.goto(origin + '/?view=acquisition&range=last_90_days');
      await ready(page);
    });
    result.views.direct = await snapshot(page);

    // 10. A batch that fails (503): its requests are asked again as plain GETs.
    step = 'fallback';
    await page.route('**/api/v1/batch', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"down"}' }));
    await counted('fallback', async () => {
      await page.goto(origin + '/?view=technology&range=last_7_days');
      await ready(page);
    });
    result.views.fallback = await snapshot(page);
    await page.unroute('**/api/v1/batch');

    // 11. An hourly trend asked for over more days than the API gives one of (93): the trend
    // falls back to the range's own granularity and the hour button is disabled.
    step = 'longHours';
    await page.goto(origin + '/?range=last_12_months&gran=hour');
    await ready(page);
    result.steps.longHours = await snapshot(page);
    result.steps.longHours.hourDisabled = await page.$eval('section[data-panel="trend"] .tabs button', (b) => b.textContent === 'hour' && b.disabled);
    result.steps.longHours.gran = await page.$$eval('section[data-panel="trend"] .tabs button[aria-pressed="true"]', (bs) => bs.map((b) => b.textContent));

    // 12. A range the API refuses (from after to, by hand in the URL): each panel shows the
    // error in its own place, none is left loading.
    step = 'badRange';
    await page.goto(origin + '/?range=custom&from=2026-11-12&to=2026-11-10');
    await ready(page);
    result.steps.badRange = await snapshot(page);
    result.steps.badRange.loading = await page.$$eval('section.panel', (ss) => ss.filter((x) => x.querySelector('.body > .empty') && /Loading/.test(x.textContent)).map((x) => x.dataset.panel));

    // 13. A preset early in its period, on a browser clock set to a day of the suite
    // (Asia/Shanghai, UTC+8; the browser's own zone may differ): the trend's granularity
    // follows the range's real length (month_to_date on the 1st is one day: hours).
    step = 'periodStart';
    result.steps.periodStart = [];
    for (const [at, range] of [['2026-11-30T17:00:00Z', 'month_to_date'], ['2026-12-20T04:00:00Z', 'month_to_date'],
      ['2027-01-10T04:00:00Z', 'year_to_date'], ['2027-04-01T04:00:00Z', 'year_to_date'], ['2027-03-01T04:00:00Z', 'last_month']]) {
      const p2 = await ctx.newPage();
      await p2.clock.setFixedTime(new Date(at));
      const asked = [];
      p2.on('request', (r) => {
        const u = new URL(r.url());
        // the trend's granularity, asked alone or in boot.js's batch
        let urls = [u.pathname.slice(8) + u.search];
        if (u.pathname === '/api/v1/batch') try { urls = JSON.parse(r.postData() || '{}').requests || []; } catch (err) { urls = []; }
        for (const x of urls) {
          const q = new URLSearchParams(x.slice(x.indexOf('?') + 1));
          if (x.startsWith('report?') && q.has('granularity')) asked.push(q.get('granularity'));
        }
      });
      await p2.goto(origin + '/?range=' + range);
      await ready(p2);
      const gran = await p2.$$eval('section[data-panel="trend"] .tabs button[aria-pressed="true"]', (bs) => bs.map((b) => b.textContent));
      result.steps.periodStart.push({ at, range, gran, asked });
      await p2.close();
    }
    step = 'end';
  } catch (e) {
    result.failure = String(e && e.stack || e);
    try { await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }); } catch (e2) { /* closed */ }
  } finally {
    closing = true;
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write(JSON.stringify(result) + '\n');
  }
})();
