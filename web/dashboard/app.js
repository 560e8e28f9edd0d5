// SPDX-License-Identifier: Apache-2.0
// The canton dashboard: every figure comes from the public /api/v1/ (docs/api.md).
// State lives in the URL (suite, range, from/to, compare, f=filters, segment,
// view, metric, gran, page, pathdim, repeats, var); a view's panels ask their reports in one
// POST /api/v1/batch (api() below) and the document gets data-ready="1" when
// the last one is drawn (tests and bench/dashboard).

performance.mark('canton-start');
// index.html's inline boot (boot.js) read the URL and started the first requests.
const boot = window.cantonBoot;
const $ = (sel, root = document) => root.querySelector(sel);
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k.nodeType ? k : String(k));
  return e;
}

// --- State in the URL ---

const VIEWS = [
  ['overview', 'Overview'], ['pages', 'Pages'], ['acquisition', 'Acquisition'],
  ['geography', 'Geography'], ['technology', 'Technology'], ['ecommerce', 'E-commerce'],
  ['paths', 'Paths'], ['vars', 'eVars, props, events'], ['realtime', 'Realtime'],
];
const DEFAULTS = boot.DEFAULTS;
const readState = () => boot.readState(location.search);
let state = readState();

function stateQuery(s) {
  const q = new URLSearchParams();
  for (const k of Object.keys(DEFAULTS)) {
    if (k === 'compare') { if (s.compare !== DEFAULTS.compare) q.set('compare', s.compare || 'off'); continue; }
    if ((k === 'from' || k === 'to') && s.range !== 'custom') continue;
    if (s[k] && s[k] !== DEFAULTS[k]) q.set(k, s[k]);
  }
  for (const [d, v] of s.filters) q.append('f', d + ':' + v);
  return q.toString();
}

function go(change, replace) {
  state = { ...state, ...change };
  const url = location.pathname + (stateQuery(state) ? '?' + stateQuery(state) : '');
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}
addEventListener('popstate', () => { state = readState(); render(); });

// --- The API ---

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
const cache = new Map();
let tokenAsk = null;

const token = boot.token;

function askToken(why) {
  if (tokenAsk) return tokenAsk;
  const dlg = $('#token-dialog');
  $('#token-why').textContent = why;
  $('#token-input').value = '';
  tokenAsk = new Promise((resolve) => {
    $('#token-form').onsubmit = () => {
      try { sessionStorage.setItem('canton.token', $('#token-input').value.trim()); } catch (e) { /* private mode */ }
      tokenAsk = null;
      cache.clear();
      resolve();
    };
  });
  dlg.showModal();
  return tokenAsk;
}

// One round trip per render: the requests api() is asked for in one turn of
// the event loop (a view's panels, each synchronously up to its request) wait
// in `queue` and leave together after it, in a microtask, as one
// POST /api/v1/batch (docs/api.md; at most BATCH_MAX requests a batch, a
// lone request as a plain GET). Each request still gets its own answer: a
// 401 asks for the token and asks again, any other error fails that request
// only. When the batch itself fails (network, 5xx, not a batch answer), its
// requests are asked one by one with plain GETs.
const BATCH_MAX = 32;
let queue = [];

function authHeaders() {
  const k = token();
  return k ? { Authorization: 'Bearer ' + k } : {};
}
// {status, body, token} of a plain GET (token: the one it was sent with).
async function getOne(url) {
  const k = token();
  const r = await fetch(url, { headers: authHeaders() });
  return { status: r.status, body: await r.json().catch(() => null), token: k };
}
async function postBatch(part) {
  const k = token();
  let j = null;
  try {
    const r = await fetch('/api/v1/batch', { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ requests: part.map((x) => x.url.slice('/api/v1/'.length)) }) });
    if (r.ok) j = await r.json();
  } catch (e) { j = null; }
  const ok = j && Array.isArray(j.responses) && j.responses.length === part.length;
  part.forEach((x, i) => {
    const a = ok ? j.responses[i] : null;
    if (a && typeof a.status === 'number') x.resolve({ status: a.status, body: a.body ?? null, token: k });
    else getOne(x.url).then(x.resolve, x.reject);
  });
}
function flush() {
  const q = queue;
  queue = [];
  for (let i = 0; i < q.length; i += BATCH_MAX) {
    const part = q.slice(i, i + BATCH_MAX);
    if (part.length === 1) getOne(part[0].url).then(part[0].resolve, part[0].reject);
    else postBatch(part);
  }
}
// The answer to url, {status, body, token}, asked with the others of this turn.
function send(url) {
  return new Promise((resolve, reject) => {
    queue.push({ url, resolve, reject });
    if (queue.length === 1) queueMicrotask(flush);
  });
}

// early: index.html's boot batch's answer to url, or null.
async function answer(url, early) {
  // A 401 of the boot batch is stale once a token has been given since: ask again with it.
  if (early && early.status === 401 && token()) early = null;
  for (;;) {
    const { status, body, token: sent } = early || await send(url);
    early = null;
    if (status === 401) {
      // Asked without the token given since (another request's dialog): ask again with it.
      if (sent !== undefined && sent !== token()) continue;
      await askToken((body && body.error) || 'This suite needs a token.');
      continue;
    }
    if (status < 200 || status > 299 || body == null) throw new ApiError(status, (body && body.error) || 'HTTP ' + status);
    return body;
  }
}

function api(path, params, { fresh = false } = {}) {
  const url = boot.apiUrl(path, params);
  const hit = cache.get(url);
  if (!fresh && hit && performance.now() - hit.t < 60000) return hit.p;
  // index.html's boot asked the first view's requests in one batch: the first use takes its answer.
  // Once it has answered (always so by the first render), at once: the request joins this turn's batch.
  const p = fresh ? answer(url, null) : boot.settled() ? answer(url, boot.takeNow(url))
    : boot.take(url).then((early) => answer(url, early));
  if (!fresh) {
    cache.set(url, { t: performance.now(), p });
    p.catch(() => cache.delete(url));
  }
  return p;
}

// --- Catalogue, formats ---

let catalog = { dims: new Map(), metrics: new Map() };
let suites = [];
const suiteInfo = () => suites.find((s) => s.id === state.suite) || {};

// A metric's title and type ("currency" formats as money): the suite's own events first
// (/suites: "event10 = name=Shipping; type=currency" is money, titled Shipping), then the catalogue.
function metricInfo(name) {
  const own = (suiteInfo().events || []).find((e) => e.name === name);
  if (own) return own;
  const m = catalog.metrics.get(name);
  if (m) return m;
  const ev = /^event(\d+)$/.exec(name);
  if (ev) return { title: 'Event ' + ev[1], type: 'count' };
  return { title: name, type: 'count' };
}
function dimTitle(name) {
  const d = catalog.dims.get(name);
  if (d) return d.title;
  const v = /^(evar|prop|list|hier|merch)(\d+)$/.exec(name);
  if (v) return v[1] === 'merch' ? 'eVar ' + v[2] + ' (merchandising)'
    : { evar: 'eVar', prop: 'Prop', list: 'List', hier: 'Hierarchy' }[v[1]] + ' ' + v[2];
  return name;
}

const nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
// A count with decimals is a numeric event's sum (2.5): its decimals as the store keeps them (4).
const nf4 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const moneyFmts = new Map();
function moneyFormat(cur, compact, digits) {
  const k = cur + compact + digits;
  if (!moneyFmts.has(k)) {
    moneyFmts.set(k, new Intl.NumberFormat(undefined, { style: 'currency', currency: cur,
      notation: compact ? 'compact' : 'standard', maximumFractionDigits: digits }));
  }
  return moneyFmts.get(k);
}
const nfc = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
function money(v, compact) {
  const cur = suiteInfo().currency || 'USD';
  try {
    return moneyFormat(cur, !!compact, compact ? 1 : Math.abs(v) >= 1000 ? 0 : 2).format(v);
  } catch (e) { return nf.format(v) + ' ' + cur; }
}
function duration(s) {
  s = Math.round(s);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(s / 3600) + 'h ' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
}
function fmt(type, v, compact) {
  if (v == null || Number.isNaN(v)) return '–';
  switch (type) {
    case 'currency': return money(v, compact);
    case 'percent': return v.toFixed(1) + '%';
    case 'seconds': return duration(v);
    case 'ratio': return v.toFixed(2);
    default: return compact ? nfc.format(v) : Number.isInteger(v) ? nf.format(v) : nf4.format(v);
  }
}
const LOWER_IS_BETTER = new Set(['bounce_rate', 'bounces']);
// growth: percent, or null when the compared value is 0 ("new" when the value is not).
function change(name, growth, value) {
  if (growth == null) return h('span', { class: 'chg flat', text: state.compare && value ? 'new' : '' });
  const good = LOWER_IS_BETTER.has(name) ? growth < 0 : growth > 0;
  const cls = Math.abs(growth) < 0.05 ? 'flat' : good ? 'up' : 'down';
  const arrow = growth > 0 ? '▲' : growth < 0 ? '▼' : '•';
  return h('span', { class: 'chg ' + cls, title: 'vs comparison period', text: arrow + ' ' + Math.abs(growth).toFixed(1) + '%' });
}

// Country codes (ISO 3166-1 alpha-2) by their names in the browser's language: the one source
// of country names (tables, filter chips, the map's tooltips and CSV). regionName: "China", or
// '' for a code the browser has no name for; countryName: "China (CN)", or the code alone.
let regionNames = null;
function regionName(code) {
  try {
    if (!regionNames) regionNames = new Intl.DisplayNames(undefined, { type: 'region' });
    const n = /^[A-Z]{2}$/.test(code) ? regionNames.of(code) : null;
    return n && n !== code ? n : '';
  } catch (e) { return ''; }
}
function countryName(code) {
  const n = regionName(code);
  return n ? n + ' (' + code + ')' : code;
}

// --- Request parameters shared by every panel ---

// (boot.js builds them, so that its early requests and these have the same URLs.)
const quote = boot.quote;
const base = (extra = {}) => boot.base(state, extra);
const granularity = () => boot.granularity(state);

// --- Panels ---

let gen = 0;
let timers = [];
function panel(title, opts = {}) {
  const head = h('h2', {}, h('span', { text: title }), h('span', { class: 'grow' }));
  const body = h('div', { class: 'body' }, h('p', { class: 'empty', text: 'Loading…' }));
  const sec = h('section', { class: 'panel' + (opts.wide ? ' wide' : ''), 'aria-label': title, 'data-panel': opts.id || title }, head, body);
  $('#main').append(sec);
  return { sec, head, body };
}
function showError(body, e) {
  body.replaceChildren(h('p', { class: 'err', role: 'alert', text: e.message || String(e) }));
}
// The period line under the header: every view's panels set it from their answers (render()
// empties it), one with the comparison over one without (the overview's tables ask none).
function setPeriod(r) {
  if (!r || !r.from) return;
  const el = $('#period');
  if (!r.compare_from && el.dataset.cmp === '1') return;
  el.dataset.cmp = r.compare_from ? '1' : '';
  let t = r.from === r.to ? r.from : r.from + ' – ' + r.to;
  if (r.compare_from) t += '  ·  compared with ' + (r.compare_from === r.compare_to ? r.compare_from : r.compare_from + ' – ' + r.compare_to);
  const tz = suiteInfo().timezone;
  el.textContent = t + (tz ? '  (' + tz + ')' : '');
  if (state.range !== 'custom') { $('#from').value = r.from; $('#to').value = r.to; }
}

// Headline figures and the trend of one of them, from one request: a trend
// of every figure, whose totals are the figures. Clicking a figure charts it.
// gate: the chart waits for it (the overview's tables), so that one layout covers the page.
async function summary(my, metrics, chartMetric, gate) {
  const p = panel('Summary', { wide: true, id: 'figures' });
  p.head.remove();
  const tp = panel(metricInfo(chartMetric).title + ' over time', { wide: true, id: 'trend' });
  const g = granularity();
  let r;
  try {
    r = await api('report', boot.summaryParams(state, metrics));
  } catch (e) {
    if (my === gen) { showError(p.body, e); showError(tp.body, e); }
    return;
  }
  if (my !== gen) return;
  setPeriod(r);
  figures(p, r, metrics, chartMetric);
  await drawTrend(my, tp, r, metrics.indexOf(chartMetric), chartMetric, g, gate);
}

function figures(p, r, metrics, chartMetric) {
  const t = r.totals || {};
  p.body.replaceChildren(h('div', { class: 'figures' }, metrics.map((m, i) => {
    const info = metricInfo(m);
    const v = t.values ? t.values[i] : null;
    return h('button', { type: 'button', class: 'fig', 'data-metric': m, 'data-value': v,
      'aria-pressed': String(m === chartMetric), onclick: () => go({ metric: m }, true) },
    h('span', { class: 'label', text: info.title }),
    h('span', { class: 'value', title: fmt(info.type, v), text: fmt(info.type, v).length > 9 ? fmt(info.type, v, true) : fmt(info.type, v) }),
    state.compare && t.growth ? change(m, t.growth[i], v) : h('span', { class: 'chg' }));
  })));
}

const monthFmt = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', month: 'short', year: 'numeric' });
const dayFmt = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', month: 'short', day: 'numeric' });
function shortLabel(l, g) {
  if (g === 'hour') return l.slice(11, 16);
  const d = new Date(l.length === 7 ? l + '-01T00:00Z' : l.length === 10 ? l + 'T00:00Z' : l + 'Z');
  if (Number.isNaN(d.getTime())) return l;
  return (g === 'month' ? monthFmt : dayFmt).format(d);
}
function longLabel(l, g) {
  if (g === 'hour') return l.replace('T', ' ');
  if (g === 'week') return 'week of ' + l;
  return l;
}
let colors = null; // the scheme's colours, read once per render
function cssVar(n) {
  if (!colors) colors = getComputedStyle(document.documentElement);
  return colors.getPropertyValue(n).trim();
}

// A line chart over time buckets: series [{label, values, cmp}] (cmp drawn behind, dashed).
function chart(container, labels, series, type, g, kind = 'line') {
  const tip = $('#tip');
  const fg = cssVar('--muted');
  const grid = cssVar('--line');
  const data = [labels.map((_, i) => i), ...series.map((s) => s.values)];
  const bars = kind === 'bars' && typeof window.uPlot.paths.bars === 'function' ? window.uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
  const opts = {
    width: Math.max(container.clientWidth, 280),
    height: container.clientWidth < 500 ? 200 : 260,
    legend: { show: false },
    cursor: { points: { size: 7 }, drag: { x: false, y: false } },
    scales: { x: { time: false, range: bars ? () => [-0.5, labels.length - 0.5] : undefined }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    axes: [
      { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 60,
        values: (u, splits) => splits.map((i) => (Number.isInteger(i) && labels[i] ? shortLabel(labels[i], g) : '')) },
      { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 64,
        values: (u, splits) => splits.map((v) => fmt(type, v, true)) },
    ],
    series: [{}, ...series.map((s) => ({
      label: s.label,
      stroke: s.cmp ? cssVar('--cmp') : cssVar('--accent'),
      width: s.cmp ? 1.5 : 2,
      dash: s.cmp ? [5, 4] : undefined,
      fill: s.cmp ? undefined : cssVar('--accent-soft'),
      paths: bars,
      points: { show: !bars && labels.length < 40 },
    }))],
    hooks: {
      setCursor: [(u) => {
        const i = u.cursor.idx;
        if (i == null || u.cursor.left < 0) { tip.hidden = true; return; }
        tip.replaceChildren(h('b', { text: longLabel(labels[i], g) }),
          ...series.map((s) => h('div', {}, h('span', { text: s.label + ': ' }),
            h('b', { text: fmt(type, s.values[i]) }),
            s.cmpLabels && s.cmpLabels[i] ? h('span', { text: ' (' + s.cmpLabels[i] + ')' }) : null)));
        const box = u.over.getBoundingClientRect();
        tip.hidden = false;
        const x = box.left + u.cursor.left + 12;
        tip.style.left = Math.min(x, innerWidth - tip.offsetWidth - 8) + 'px';
        tip.style.top = box.top + Math.max(u.cursor.top - 30, 0) + 'px';
      }],
    },
  };
  if (container.cantonRO) container.cantonRO.disconnect();
  container.replaceChildren();
  const u = new window.uPlot(opts, data, container);
  u.over.addEventListener('mouseleave', () => { tip.hidden = true; });
  const ro = new ResizeObserver(() => {
    const w = Math.max(container.clientWidth, 280);
    if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: opts.height });
  });
  ro.observe(container);
  container.cantonRO = ro;
  container.setAttribute('role', 'img');
  container.setAttribute('aria-label', series.map((s) => s.label).join(', ') + ' over time');
  container.dataset.drawn = '1';
  return u;
}

// uPlot's script comes after this module, so that the API requests start first.
const uplotReady = new Promise((resolve) => {
  if (window.uPlot) resolve();
  else document.getElementById('uplot').addEventListener('load', resolve);
});

async function trend(my, metric, title) {
  const g = granularity();
  const p = panel(title || metricInfo(metric).title + ' over time', { wide: true, id: 'trend' });
  let r;
  try {
    r = await api('report', base({ granularity: g, metrics: metric, compare: state.compare, limit: 0 }));
  } catch (e) {
    if (my === gen) showError(p.body, e);
    return;
  }
  if (my !== gen) return;
  setPeriod(r);
  await drawTrend(my, p, r, 0, metric, g);
}

// The trend of column mi of r (a report by time) in panel p, the comparison behind it.
async function drawTrend(my, p, r, mi, metric, g, gate) {
  const info = metricInfo(metric);
  // The API's hourly trends cover at most 93 days (boot.granularity() does not ask more).
  const noHours = boot.rangeDays(state) > boot.MAX_HOUR_DAYS;
  const tabs = h('span', { class: 'tabs', role: 'group', 'aria-label': 'Granularity' },
    ['hour', 'day', 'week', 'month'].map((x) => h('button', { type: 'button', 'aria-pressed': String(x === g),
      disabled: x === 'hour' && noHours, title: x === 'hour' && noHours ? 'Hourly trends cover at most ' + boot.MAX_HOUR_DAYS + ' days' : null,
      onclick: () => go({ gran: x }, true), text: x })));
  const labels = r.rows.map((x) => x.keys[0]);
  const series = [];
  const hasCmp = !!r.compare_from && r.rows.some((x) => x.compare);
  if (hasCmp) series.push({ label: 'Comparison', cmp: true, values: r.rows.map((x) => (x.compare ? x.compare[mi] : null)) });
  series.push({ label: info.title, values: r.rows.map((x) => x.values[mi]) });
  const box = h('div', { class: 'chart' });
  const legend = h('div', { class: 'legend' },
    h('span', {}, h('i', { style: 'background:' + cssVar('--accent') }), info.title + ' (' + (r.from === r.to ? r.from : r.from + ' – ' + r.to) + ')'),
    hasCmp ? h('span', {}, h('i', { style: 'background:' + cssVar('--cmp') }), 'Comparison (' + r.compare_from + ' – ' + r.compare_to + ')') : null);
  p.head.append(tabs, csvButton(() => [['time', ...(hasCmp ? ['comparison ' + metric] : []), metric],
    ...r.rows.map((x) => [x.keys[0], ...(hasCmp ? [x.compare ? x.compare[mi] : ''] : []), x.values[mi]])], 'trend-' + metric));
  await uplotReady;
  if (gate) await gate;
  if (my !== gen) return;
  p.body.replaceChildren(box, legend);
  chart(box, labels, series, info.type, g);
}

function csv(rows) {
  return rows.map((r) => r.map((c) => {
    const s = c == null ? '' : String(c);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }).join(',')).join('\r\n') + '\r\n';
}
function download(name, text) {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' })), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
function csvButton(rowsFn, what) {
  return h('button', { type: 'button', class: 'csv', title: 'Download this table as CSV', 'aria-label': 'Export as CSV',
    onclick: () => {
      const r = rowsFn();
      download(['canton', state.suite, typeof what === 'function' ? what() : what, $('#from').value, $('#to').value].filter(Boolean).join('-')
        .replace(/[^\w.-]+/g, '_') + '.csv', csv(r));
    } }, 'CSV');
}

// A ranked table with tabs: tabs [{label, dim, metrics, share}]; clicking a key filters by it.
async function table(my, title, tabs, { limit = 10, wide = false, id } = {}) {
  const p = panel(title, { wide, id: id || tabs[0].dim });
  let current = 0;
  const tabBox = tabs.length > 1 ? h('span', { class: 'tabs', role: 'group', 'aria-label': title }) : null;
  let csvRows = () => [];
  const csvBtn = csvButton(() => csvRows(), () => tabs[current].dim);
  if (tabBox) p.head.append(tabBox);
  p.head.append(csvBtn);
  async function load(i) {
    current = i;
    const t = tabs[i];
    if (tabBox) {
      tabBox.replaceChildren(...tabs.map((x, j) => h('button', { type: 'button', 'aria-pressed': String(j === i),
        onclick: () => load(j).catch((e) => showError(p.body, e)), text: x.label })));
    }
    const filtered = state.filters.some(([d]) => d === t.dim);
    const r = await api('report', boot.tableParams(state, t, limit));
    if (my !== gen) return;
    setPeriod(r);
    const total = r.totals && r.totals.values ? r.totals.values[0] : 0;
    const max = Math.max(...r.rows.map((x) => x.values[0]), 0) || 1;
    const infos = t.metrics.map(metricInfo);
    p.sec.dataset.dim = t.dim;
    csvRows = () => [[dimTitle(t.dim), ...infos.map((x) => x.title), ...(t.share ? ['Share %'] : []),
      ...(state.compare && r.compare_from ? infos.map((x) => x.title + ' (comparison)') : [])],
    ...r.rows.map((x) => [x.keys[0] === '' ? '(none)' : x.keys[0], ...x.values,
      ...(t.share ? [total ? (100 * x.values[0] / total).toFixed(1) : ''] : []),
      ...(state.compare && x.compare ? x.compare : [])])];
    if (!r.rows.length) { p.body.replaceChildren(h('p', { class: 'empty', text: 'No data for this period.' })); return; }
    p.body.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: dimTitle(t.dim) }),
        infos.map((x, j) => h('th', { scope: 'col', class: j > 1 ? 'xtra' : null, text: x.title })), t.share ? h('th', { scope: 'col', text: 'Share' }) : null)),
      h('tbody', {}, r.rows.map((x) => {
        const key = x.keys[0];
        const label = key === '' ? '(none)' : t.dim === 'country' ? countryName(key) : key;
        return h('tr', { 'data-key': key },
          h('td', { title: label },
            h('span', { class: 'barfill', style: 'width:' + (100 * x.values[0] / max).toFixed(1) + '%' }),
            filtered || t.nofilter ? h('span', { class: 'key', text: label })
              : h('button', { type: 'button', class: 'key', text: label, title: 'Filter by ' + dimTitle(t.dim) + ' = ' + label,
                onclick: () => addFilter(t.dim, key) })),
          x.values.map((v, j) => h('td', { class: j > 1 ? 'xtra' : null }, fmt(infos[j].type, v),
            j === 0 && state.compare && x.growth ? h('small', {}, change(t.metrics[0], x.growth[0], v)) : null)),
          t.share ? h('td', { text: total ? (100 * x.values[0] / total).toFixed(1) + '%' : '–' }) : null);
      }))));
  }
  // An error shows in this table's panel (another panel's may still be loading).
  await load(0).catch((e) => { if (my === gen) showError(p.body, e); });
}

function addFilter(dim, value) {
  if (state.filters.some(([d, v]) => d === dim && v === value)) return;
  go({ filters: [...state.filters, [dim, value]] });
}

async function funnel(my) {
  const p = panel('Funnel: product view → cart → checkout → purchase', { wide: true, id: 'funnel' });
  const steps = [['Product view', 'product_views > 0'], ['Cart', 'cart_adds > 0'], ['Checkout', 'checkouts > 0'], ['Purchase', 'orders > 0']];
  const r = await api('funnel', base({ step: steps.map((s) => s[1]) }));
  if (my !== gen) return;
  const top = Math.max(r.total || 0, 1);
  p.head.append(csvButton(() => [['step', 'condition', 'visits', 'conversion %', 'conversion from start %', 'drop-off'],
    ...r.steps.map((s, i) => [steps[i] ? steps[i][0] : s.condition, s.condition, s.count, s.conversion, s.conversion_from_start, s.dropoff])], 'funnel'));
  p.body.replaceChildren(h('div', { class: 'funnel' },
    h('p', { class: 'fmeta', style: 'grid-column:1/-1', text: nf.format(r.total) + ' ' + (r.within || 'visit') + 's in the period' }),
    r.steps.map((s, i) => h('div', { class: 'fstep', 'data-step': i + 1, 'data-count': s.count },
      h('b', { text: (i + 1) + '. ' + (steps[i] ? steps[i][0] : s.condition) }),
      h('div', { class: 'fbar', role: 'img', 'aria-label': nf.format(s.count) + ' ' + (r.within || 'visit') + 's' },
        h('div', { style: 'width:' + (100 * s.count / top).toFixed(2) + '%' })),
      h('span', { class: 'fmeta' }, h('b', { text: nf.format(s.count) }),
        ' · ' + (s.conversion_from_start ?? 0).toFixed(1) + '% of all' +
        (i ? ' · ' + (s.conversion ?? 0).toFixed(1) + '% from the step before' : '') +
        ' · ' + nf.format(s.dropoff) + ' dropped off')))));
}

// Paths follow one value per page view: the dimensions the catalogue marks "paths" (text, one
// value per hit, hit scope). Those with several values on one hit ("multi": listN, product,
// category, merchN) and visit dimensions (one value per visit) are refused by /api/v1/paths and
// never offered.
function pathDims() {
  const out = [];
  for (const [name, d] of catalog.dims) {
    if (d.paths !== true || d.multi !== false) continue;
    const m = /^([a-z]+)(\d+)\.\.\1(\d+)$/.exec(name);
    if (!m) { out.push(name); continue; }
    for (let i = Number(m[2]); i <= Number(m[3]); i++) out.push(m[1] + i);
  }
  return out;
}

async function paths(my) {
  const dims = pathDims();
  const dim = dims.includes(state.pathdim) ? state.pathdim : 'page';
  const label = dim === 'page' ? 'Page' : dimTitle(dim);
  const pick = panel('Path dimension', { id: 'path-dim-pick' });
  pick.body.replaceChildren(picker('pathdim', 'Dimension', dims, dim, dimTitle, (x) => go({ pathdim: x, page: '' })),
    h('p', { class: 'note', text: 'Paths follow one value per page view (' + dims.length + ' dimensions). List variables, products, categories and merchandising eVars can have several values on one hit, and visit dimensions (country, channel, entry page...) have one value per visit, so paths cannot follow them: report on them, or filter by one of their values.' }));
  const p = panel(dim === 'page' ? 'Next and previous pages' : 'Next and previous: ' + label, { wide: true, id: 'paths' });
  // The top values for the input's list; without one in the URL, the first of them.
  const top = api('report', base({ dimension: dim, metrics: 'pageviews', limit: 50, empty: 0 }));
  let page = state.page;
  if (!page) {
    const r = await top;
    page = r.rows.length ? r.rows[0].keys[0] : dim === 'page' ? '/' : '';
  }
  if (my !== gen) return;
  const list = h('datalist', { id: 'page-list' });
  top.then((r) => {
    list.replaceChildren(...r.rows.map((x) => h('option', { value: x.keys[0] })));
  }).catch(() => {});
  const input = h('input', { type: 'text', id: 'path-page', list: 'page-list', value: page, 'aria-label': label });
  // Repeats (docs/api.md "Repeats"): by default consecutive page views with the same value are
  // one step, as in Workspace's Flow; the box counts each page view instead.
  const include = state.repeats === 'include';
  const repeats = h('input', { type: 'checkbox', id: 'path-repeats', checked: include,
    onchange: (e) => go({ repeats: e.target.checked ? 'include' : 'exclude' }) });
  p.body.replaceChildren(h('form', { class: 'pathbar', onsubmit: (e) => { e.preventDefault(); go({ page: input.value.trim() }); } },
    h('label', { for: 'path-page', text: label }), input, list, h('button', { type: 'submit', text: 'Show' }),
    h('label', { class: 'pathrepeats', title: 'Off: consecutive page views with the same value (a reload, a value that persists) are one step. On: each page view is a step, so a value can follow itself.' },
      repeats, ' Include repeats')));
  const cond = dim + ' = ' + quote(page);
  // The API's defaults (dimension page, repeats exclude) are left out of the requests.
  const by = { ...(dim === 'page' ? {} : { dimension: dim }), ...(include ? { repeats: 'include' } : {}) };
  const shown = page === '' ? '(none)' : page;
  await Promise.all([
    pathTable(my, 'Next after ' + shown, { condition: cond, direction: 'next', ...by }, false, label),
    pathTable(my, 'Previous before ' + shown, { condition: cond, direction: 'previous', ...by }, false, label),
    pathTable(my, dim === 'page' ? 'Most common page pairs' : 'Most common pairs: ' + label, { length: 2, ...by }, true, label),
  ]);
}
async function pathTable(my, title, params, wide, label) {
  const p = panel(title, { wide, id: 'path-' + (params.direction || 'pairs') });
  const r = await api('paths', base({ ...params, limit: 15 }));
  if (my !== gen) return;
  setPeriod(r);
  // A page view without a value of the dimension is the key "": "(none)", as in the tables.
  const text = (x) => x.keys.map((k) => (k === '' ? '(none)' : k)).join(' → ');
  p.head.append(csvButton(() => [['value', 'count', 'share %'], ...r.rows.map((x) => [text(x), x.count, x.share])], 'paths-' + (params.direction || 'pairs')));
  if (!r.rows.length) { p.body.replaceChildren(h('p', { class: 'empty', text: 'No page views match.' })); return; }
  const max = Math.max(...r.rows.map((x) => x.count), 1);
  p.body.replaceChildren(h('table', {},
    h('thead', {}, h('tr', {}, h('th', { text: label === 'Page' ? (params.length ? 'Pages' : 'Page') : label }), h('th', { text: 'Count' }), h('th', { text: 'Share' }))),
    h('tbody', {}, r.rows.map((x) => h('tr', {},
      h('td', { title: text(x) }, h('span', { class: 'barfill', style: 'width:' + (100 * x.count / max).toFixed(1) + '%' }),
        x.keys.length === 1 && x.keys[0] !== '' && !/^\((exit|entry)\)$/.test(x.keys[0])
          ? h('button', { type: 'button', class: 'key', text: x.keys[0], title: 'Paths of ' + x.keys[0], onclick: () => go({ page: x.keys[0] }) })
          : h('span', { class: 'key', text: text(x) })),
      h('td', { text: nf.format(x.count) }), h('td', { text: (x.share ?? 0).toFixed(1) + '%' }))))));
}

// --- Pickers: every eVar/prop/event of the catalogue, with a filter box ---

// The catalogue names ranges ("evar1..evar250", "event1..event1000"): every name of those whose stem matches.
function catalogRange(kind, stem) {
  const out = [];
  for (const name of (kind === 'metrics' ? catalog.metrics : catalog.dims).keys()) {
    const m = /^([a-z]+)(\d+)\.\.\1(\d+)$/.exec(name);
    if (!m || !stem.test(m[1])) continue;
    for (let i = Number(m[2]); i <= Number(m[3]); i++) out.push(m[1] + i);
  }
  return out;
}

// A filter box over a list box of names: typing narrows the list (by name or
// title, spaces ignored), Enter or a pick in the list chooses.
function picker(id, label, names, value, title, onpick) {
  const norm = (x) => x.toLowerCase().replace(/[\s-]+/g, '');
  const list = h('select', { id: id + '-select', size: 8, 'aria-label': label, class: 'picklist',
    onchange: () => { if (list.value) onpick(list.value); } });
  const count = h('span', { class: 'pickcount', 'aria-live': 'polite' });
  const fill = (text) => {
    const q = norm(text);
    const shown = names.filter((n) => !q || norm(n).includes(q) || norm(title(n)).includes(q));
    list.replaceChildren(...shown.map((n) => h('option', { value: n, selected: n === value, text: title(n) + (norm(title(n)) === n ? '' : '  (' + n + ')') })));
    count.textContent = shown.length + ' of ' + names.length;
  };
  const box = h('input', { type: 'search', id: id + '-filter', class: 'pickfilter', placeholder: 'Filter: ' + names.slice(0, 2).concat(names.length > 2 ? [names[names.length - 1]] : []).join(', ') + '…',
    'aria-label': 'Filter the ' + label.toLowerCase() + ' list', 'aria-controls': id + '-select', autocomplete: 'off',
    oninput: () => fill(box.value),
    onkeydown: (e) => {
      if (e.key === 'Enter' && list.options.length) { e.preventDefault(); onpick(list.options[0].value); }
      if (e.key === 'ArrowDown' && list.options.length) { e.preventDefault(); list.focus(); }
    } });
  fill('');
  const sel = list.querySelector('option[selected]');
  if (sel) requestAnimationFrame(() => sel.scrollIntoView({ block: 'nearest' }));
  return h('div', { class: 'picker' }, h('label', { for: id + '-filter', text: label }), box, count, list);
}

// --- The world map (geography): countries shaded by visitors or revenue ---

// The shapes: web/build_map.py's world.json (Natural Earth via npm world-atlas,
// projected at build time), named in index.html's <meta name="canton-map">.
let worldP = null;
function world() {
  if (!worldP) {
    const url = $('meta[name="canton-map"]').content;
    worldP = fetch(url).then((r) => {
      if (!r.ok) throw new Error('the map did not load: HTTP ' + r.status);
      return r.json();
    });
    worldP.catch(() => { worldP = null; });
  }
  return worldP;
}
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
  return e;
}
const MAP_METRICS = ['visitors', 'revenue'];
// Shade 1..5 of a value: a square-root scale, so that the small countries still show.
function shade(v, max) { return v > 0 && max > 0 ? Math.max(1, Math.ceil(5 * Math.sqrt(v / max))) : 0; }

async function countryMap(my) {
  const m = MAP_METRICS.includes(state.metric) ? state.metric : 'visitors';
  const mi = MAP_METRICS.indexOf(m);
  const info = metricInfo(m);
  const p = panel('Map', { wide: true, id: 'map' });
  p.head.firstChild.textContent = info.title + ' by country';
  p.head.append(h('span', { class: 'tabs', role: 'group', 'aria-label': 'Map metric' },
    MAP_METRICS.map((x) => h('button', { type: 'button', 'aria-pressed': String(x === m), 'data-metric': x,
      onclick: () => go({ metric: x }, true), text: metricInfo(x).title }))));
  const [w, r] = await Promise.all([world(),
    api('report', base({ dimension: 'country', metrics: MAP_METRICS.join(','), limit: 0, empty: 0 }))]);
  if (my !== gen) return;
  setPeriod(r);
  const values = new Map(r.rows.map((x) => [x.keys[0], x.values]));
  const total = r.totals && r.totals.values ? r.totals.values[mi] : 0;
  const max = Math.max(0, ...r.rows.map((x) => x.values[mi]));
  // The names the tables give (countryName); the map data's own (Natural Earth's, "United States
  // of America") only for a code the browser has no name for.
  const names = new Map(w.countries.map((c) => [c[0], c[1]]));
  for (const d of w.dots) if (!names.has(d[0])) names.set(d[0], d[1]);
  for (const cc of [...names.keys(), ...values.keys()]) names.set(cc, regionName(cc) || names.get(cc) || '');
  p.head.append(csvButton(() => [['country', 'name', ...MAP_METRICS.map((x) => metricInfo(x).title)],
    ...r.rows.map((x) => [x.keys[0], names.get(x.keys[0]) || '', ...x.values])], 'map'));
  const full = (cc) => (names.get(cc) ? names.get(cc) + ' (' + cc + ')' : cc);
  const label = (cc) => {
    const v = values.get(cc);
    return full(cc) + ': ' + (v ? fmt(info.type, v[mi]) + ' ' + info.title.toLowerCase() : 'no ' + info.title.toLowerCase());
  };
  const map = svg('svg', { viewBox: '0 0 ' + w.w + ' ' + w.h, class: 'map', role: 'group',
    'aria-label': 'World map of ' + info.title.toLowerCase() + ' by country; Enter on a country filters by it' });
  const shape = (el, cc) => {
    const v = values.get(cc);
    const lv = v ? shade(v[mi], max) : 0;
    el.setAttribute('data-cc', cc);
    el.setAttribute('class', 'c l' + lv);
    if (v) {
      el.setAttribute('data-value', v[mi]);
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'button');
      el.setAttribute('aria-label', label(cc));
    }
    return el;
  };
  for (const [cc, , d] of w.countries) map.append(shape(svg('path', { d }), cc));
  // Countries too small to see get a dot when they have data.
  for (const [cc, , x, y] of w.dots) if (values.has(cc)) map.append(shape(svg('circle', { cx: x, cy: y, r: 3.5 }), cc));
  const tip = $('#tip');
  const show = (el, x, y) => {
    const cc = el.getAttribute('data-cc');
    const v = values.get(cc);
    tip.replaceChildren(h('b', { text: full(cc) }),
      ...MAP_METRICS.map((x2, j) => h('div', {}, h('span', { text: metricInfo(x2).title + ': ' }),
        h('b', { text: v ? fmt(metricInfo(x2).type, v[j]) : '–' }),
        j === mi && v && total ? h('span', { text: ' (' + (100 * v[j] / total).toFixed(1) + '%)' }) : null)),
      v ? h('div', { class: 'hint', text: 'Click to filter' }) : null);
    tip.hidden = false;
    tip.style.left = Math.max(4, Math.min(x + 14, innerWidth - tip.offsetWidth - 8)) + 'px';
    tip.style.top = Math.max(4, y - tip.offsetHeight - 10) + 'px';
  };
  const target = (e) => (e.target && e.target.getAttribute && e.target.getAttribute('data-cc') ? e.target : null);
  map.addEventListener('mousemove', (e) => { const t = target(e); if (t) show(t, e.clientX, e.clientY); else tip.hidden = true; });
  map.addEventListener('mouseleave', () => { tip.hidden = true; });
  map.addEventListener('focusin', (e) => {
    const t = target(e);
    if (!t) return;
    const b = t.getBoundingClientRect();
    show(t, b.left + b.width / 2, b.top + b.height / 2);
  });
  map.addEventListener('focusout', () => { tip.hidden = true; });
  const pick = (t) => { if (t && values.has(t.getAttribute('data-cc'))) { tip.hidden = true; addFilter('country', t.getAttribute('data-cc')); } };
  map.addEventListener('click', (e) => pick(target(e)));
  map.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(target(e)); }
  });
  const steps = [1, 2, 3, 4, 5].map((k) => (info.type === 'count' ? Math.ceil : (x) => x)(max * (k / 5) ** 2));
  const legend = h('div', { class: 'legend maplegend' }, h('span', { text: info.title + ':' }),
    h('span', {}, h('i', { class: 'sw l0' }), 'none'),
    ...steps.map((hi, k) => h('span', {}, h('i', { class: 'sw l' + (k + 1) }), '≤ ' + fmt(info.type, hi, true))));
  p.body.replaceChildren(h('div', { class: 'mapbox' }, map), legend);
  p.sec.dataset.drawn = '1';
}

async function events(my) {
  const p = panel('Event totals', { id: 'events' });
  // event1..event20, and the one picked to chart (any of event1..event1000).
  const names = Array.from({ length: 20 }, (_, i) => 'event' + (i + 1));
  if (/^event\d+$/.test(state.ev) && !names.includes(state.ev)) names.push(state.ev);
  const r = await api('report', base({ metrics: names.join(','), compare: state.compare }));
  if (my !== gen) return;
  const rows = names.map((n, i) => [n, r.totals.values[i], r.totals.growth ? r.totals.growth[i] : null]).filter((x) => x[1]);
  p.head.append(csvButton(() => [['event', 'total'], ...rows.map((x) => [x[0], x[1]])], 'events'));
  if (!rows.length) { p.body.replaceChildren(h('p', { class: 'empty', text: 'No custom events (event1–event20' + (names.length > 20 ? ', ' + state.ev : '') + ') in this period.' })); return; }
  p.body.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, h('th', { text: 'Event' }), h('th', { text: 'Total' }))),
    h('tbody', {}, rows.map((x) => h('tr', { 'data-key': x[0] }, h('td', {}, h('button', { type: 'button', class: 'key', text: metricInfo(x[0]).title,
      title: 'Chart ' + metricInfo(x[0]).title, onclick: () => go({ ev: x[0] }) })),
      h('td', {}, fmt(metricInfo(x[0]).type, x[1]), state.compare && r.totals.growth ? h('small', {}, change(x[0], x[2], x[1])) : null))))));
}

// Realtime: the last 30 minutes by minute, refreshed every 5 seconds.
async function realtime(my) {
  const fig = panel('Right now', { wide: true, id: 'realtime' });
  const chartP = panel('Page views per minute, last 30 minutes', { wide: true, id: 'realtime-chart' });
  const pages = panel('Top pages, last 30 minutes', { wide: true, id: 'realtime-pages' });
  let u = null;
  let rows = [];
  pages.head.append(csvButton(() => [['page', 'pageviews'], ...rows.map((x) => [x.page, x.pageviews])], 'realtime-pages'));
  async function tick() {
    const r = await api('realtime', { suite: state.suite, minutes: 30 }, { fresh: true });
    if (my !== gen) return;
    rows = r.top_pages || [];
    fig.body.replaceChildren(h('div', { class: 'figures' },
      [['Visitors', r.visitors], ['Page views', r.pageviews], ['Hits', r.hits]].map(([l, v]) =>
        h('div', { class: 'fig', 'data-metric': l.toLowerCase().replace(' ', ''), 'data-value': v },
          h('span', { class: 'label', text: l }), h('span', { class: 'value', text: nf.format(v) }), h('span', { class: 'chg flat' })))),
    h('p', { class: 'fmeta' }, h('span', { class: 'live', 'aria-hidden': 'true' }), ' updated ' + new Date().toLocaleTimeString() + ', every 5 seconds'));
    await uplotReady;
    if (my !== gen) return;
    const labels = r.minutes.map((m) => m.time);
    const data = [labels.map((_, i) => i), r.minutes.map((m) => m.pageviews)];
    if (u) u.destroy();
    let box = chartP.body.querySelector('.chart');
    if (!box) { box = h('div', { class: 'chart' }); chartP.body.replaceChildren(box); }
    u = chart(box, labels, [{ label: 'Page views', values: data[1] }], 'count', 'hour', 'bars');
    if (!rows.length) pages.body.replaceChildren(h('p', { class: 'empty', text: 'No page views in the last 30 minutes.' }));
    else {
      const max = Math.max(...rows.map((x) => x.pageviews), 1);
      pages.body.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, h('th', { text: 'Page' }), h('th', { text: 'Page views' }))),
        h('tbody', {}, rows.map((x) => h('tr', {}, h('td', { title: x.page }, h('span', { class: 'barfill', style: 'width:' + (100 * x.pageviews / max).toFixed(1) + '%' }),
          h('span', { class: 'key', text: x.page })), h('td', { text: nf.format(x.pageviews) }))))));
    }
    fig.sec.dataset.updated = String(Date.now());
  }
  await tick();
  const id = setInterval(() => { tick().catch((e) => showError(fig.body, e)); }, 5000);
  timers.push(id);
}

// --- Views ---

const OVERVIEW_FIGS = boot.OVERVIEW_FIGS;
const ECOM_FIGS = ['revenue', 'orders', 'aov', 'conversion_rate', 'units', 'revenue_per_visit'];
const V = ['visitors', 'visits'];

function viewTasks(my) {
  const metricOf = (list, def) => (list.includes(state.metric) ? state.metric : def);
  switch (state.view) {
    case 'pages': return [
      table(my, 'Pages', [{ label: 'Pages', dim: 'page', metrics: ['pageviews', 'visitors', 'visits', 'time_on_page', 'visit_duration'] },
        { label: 'Page URLs', dim: 'url', metrics: ['pageviews', 'visitors'] }], { wide: true, limit: 25 }),
      table(my, 'Entry pages', [{ label: 'Entry', dim: 'entry_page', metrics: ['entries', 'bounce_rate', 'visit_duration'] }], { limit: 15 }),
      table(my, 'Exit pages', [{ label: 'Exit', dim: 'exit_page', metrics: ['exits', 'visits'] }], { limit: 15 }),
      table(my, 'Page types', [{ label: 'Type', dim: 'page_type', metrics: ['pageviews', 'visits'] },
        { label: 'Section', dim: 'section', metrics: ['pageviews', 'visits'] }]),
      table(my, 'Links and downloads', [{ label: 'Links', dim: 'link_name', metrics: ['hits', 'visits'], params: { empty: 0 } },
        { label: 'Link URLs', dim: 'link_url', metrics: ['hits', 'visits'], params: { empty: 0 } }]),
    ];
    case 'acquisition': return [
      trend(my, 'visits', 'Visits over time'),
      table(my, 'Channels', [{ label: 'Channels', dim: 'channel', metrics: ['visits', 'visitors', 'bounce_rate', 'conversion_rate', 'revenue'] }], { wide: true, limit: 15 }),
      table(my, 'Referrers', [{ label: 'Domains', dim: 'referrer_domain', metrics: [...V, 'bounce_rate'] },
        { label: 'URLs', dim: 'referrer', metrics: V }, { label: 'Types', dim: 'referrer_type', metrics: V }], { limit: 15 }),
      table(my, 'Campaigns', [{ label: 'Campaigns', dim: 'campaign', metrics: ['visits', 'orders', 'revenue'] },
        { label: 'UTM source', dim: 'utm_source', metrics: ['visits', 'orders', 'revenue'] },
        { label: 'UTM medium', dim: 'utm_medium', metrics: ['visits', 'orders', 'revenue'] }], { limit: 15 }),
      table(my, 'Search terms', [{ label: 'Terms', dim: 'search_term', metrics: V, params: { empty: 0 } }], { limit: 15 }),
    ];
    case 'geography': return [
      countryMap(my),
      table(my, 'Countries', [{ label: 'Countries', dim: 'country', metrics: ['visits', 'visitors', 'orders', 'revenue'], share: true }], { wide: true, limit: 25 }),
      table(my, 'Regions', [{ label: 'Regions', dim: 'region', metrics: V }], { limit: 15 }),
      table(my, 'Cities', [{ label: 'Cities', dim: 'city', metrics: V }], { limit: 15 }),
      table(my, 'Cross-border visits', [{ label: 'Cross-border', dim: 'cross_border', metrics: ['visits', 'orders', 'revenue'], share: true }]),
      table(my, 'Languages', [{ label: 'Languages', dim: 'language', metrics: V }]),
    ];
    case 'technology': return [
      table(my, 'Devices', [{ label: 'Device type', dim: 'device', metrics: [...V, 'bounce_rate'], share: true }]),
      table(my, 'Browsers', [{ label: 'Browsers', dim: 'browser', metrics: V, share: true },
        { label: 'Versions', dim: 'browser_version', metrics: V }], { limit: 15 }),
      table(my, 'Operating systems', [{ label: 'OS', dim: 'os', metrics: V, share: true },
        { label: 'Versions', dim: 'os_version', metrics: V }], { limit: 15 }),
      table(my, 'Screens', [{ label: 'Screen size', dim: 'screen', metrics: V }], { limit: 15 }),
    ];
    case 'ecommerce': {
      const m = metricOf(ECOM_FIGS, 'revenue');
      return [
        summary(my, ECOM_FIGS, m),
        funnel(my),
        table(my, 'By order currency', [{ label: 'Currency', dim: 'currency', metrics: ['orders', 'revenue', 'aov'], params: { empty: 0 } }]),
        table(my, 'By country', [{ label: 'Country', dim: 'country', metrics: ['revenue', 'orders', 'aov', 'conversion_rate'] }]),
        table(my, 'Products', [{ label: 'Products', dim: 'product', metrics: ['revenue', 'units', 'orders', 'product_views', 'cart_adds'], params: { empty: 0 } }], { wide: true, limit: 20 }),
        table(my, 'Categories', [{ label: 'Categories', dim: 'category', metrics: ['revenue', 'units', 'product_views', 'cart_adds'], params: { empty: 0 } }], { wide: true, limit: 15 }),
      ];
    }
    case 'paths': return [paths(my)];
    case 'vars': {
      const vars = catalogRange('dimensions', /^(evar|prop|list|hier|merch)$/);
      const v = vars.includes(state.var) ? state.var : vars[0] || 'evar1';
      const evs = catalogRange('metrics', /^event$/);
      const ev = evs.includes(state.ev) ? state.ev : '';
      const pick = panel('eVars, props, lists, hierarchies, merchandising eVars', { id: 'var-pick' });
      pick.body.replaceChildren(picker('var', 'Variable', vars, v, dimTitle, (x) => go({ var: x })),
        h('p', { class: 'note', text: 'Every variable the API knows (' + vars.length + '). eVars and props are set by Adobe AppMeasurement (eVar1, prop1...) or canton JSON; a merchandising eVar is the value a products string bound to each product, credited with that product\'s units and revenue; empty values are left out.' }));
      const epick = panel('All events', { id: 'event-pick' });
      epick.body.replaceChildren(picker('event', 'Event', evs, ev, (x) => metricInfo(x).title, (x) => go({ ev: x })),
        h('p', { class: 'note', text: 'Every event the API knows (' + evs.length + '): pick one to chart it.' }));
      return [
        events(my),
        table(my, dimTitle(v), [{ label: dimTitle(v), dim: v, metrics: v.startsWith('merch') ? ['revenue', 'units', 'orders', 'product_views', 'cart_adds'] : ['visits', 'hits', 'orders', 'revenue'], params: { empty: 0 } }], { wide: true, limit: 25, id: 'var' }),
        ev ? trend(my, ev, metricInfo(ev).title + ' over time') : null,
      ].filter(Boolean);
    }
    case 'realtime': return [realtime(my)];
    default: {
      const m = metricOf(OVERVIEW_FIGS, 'visitors');
      // The figures and tables first, the chart last (their answers come together, in one batch).
      let open;
      const gate = new Promise((resolve) => { open = resolve; });
      const sum = summary(my, OVERVIEW_FIGS, m, gate);
      const tables = boot.OVERVIEW_TABLES.map((t) => table(my, t.title, t.tabs, { id: t.id }));
      Promise.allSettled(tables).then(open);
      return [sum, ...tables];
    }
  }
}

// --- Chrome: header controls, chips, segment editor ---

function renderChrome() {
  $('#range').value = state.range;
  $('#compare').value = state.compare;
  $('#custom').hidden = state.range !== 'custom';
  if (state.range === 'custom') { $('#from').value = state.from; $('#to').value = state.to; }
  $('#suite').value = state.suite;
  $('#views').replaceChildren(...VIEWS.map(([id, label]) => {
    const q = stateQuery({ ...state, view: id, metric: '' });
    return h('a', { href: '?' + q, 'aria-current': id === state.view ? 'page' : null, 'data-view': id,
      onclick: (e) => { if (e.button || e.metaKey || e.ctrlKey || e.shiftKey) return; e.preventDefault(); go({ view: id, metric: '' }); },
      text: label });
  }));
  const chips = state.filters.map(([d, v], i) => h('span', { class: 'chip', 'data-filter': d },
    h('span', { text: dimTitle(d) + ' is ' + (v === '' ? '(none)' : d === 'country' ? countryName(v) : v) }),
    h('button', { type: 'button', 'aria-label': 'Remove filter ' + dimTitle(d) + ' is ' + v, text: '×',
      onclick: () => go({ filters: state.filters.filter((_, j) => j !== i) }) })));
  if (state.segment) {
    chips.push(h('span', { class: 'chip', 'data-filter': 'segment' }, h('span', { text: 'Segment: ' + state.segment, title: state.segment }),
      h('button', { type: 'button', 'aria-label': 'Remove segment', text: '×', onclick: () => go({ segment: '' }) })));
  }
  $('#chips').replaceChildren(...chips);
  if (!$('#seg-editor').hidden && document.activeElement !== $('#seg-text')) $('#seg-text').value = state.segment;
}

function byteToChar(text, pos) {
  const bytes = new TextEncoder().encode(text);
  return new TextDecoder().decode(bytes.slice(0, Math.min(pos, bytes.length))).length;
}

async function applySegment(e) {
  e.preventDefault();
  const text = $('#seg-text').value.trim();
  const out = $('#seg-error');
  out.hidden = true;
  if (!text) { go({ segment: '' }); return; }
  try {
    // The segment alone, so that the error position is one in the editor's text.
    const p = { suite: state.suite, metrics: 'visits', segment: text, limit: 1 };
    if (state.range === 'custom' && state.from) { p.from = state.from; p.to = state.to; } else p.range = state.range;
    await api('report', p, { fresh: true });
  } catch (err) {
    let msg = err.message;
    const m = /position (\d+)/.exec(msg);
    if (m) {
      const col = byteToChar(text, Number(m[1]));
      const line = text.replace(/\n/g, ' ');
      msg += '\n' + line + '\n' + ' '.repeat(col) + '^';
      $('#seg-text').focus();
      $('#seg-text').setSelectionRange(col, Math.min(col + 1, text.length));
    }
    out.textContent = msg;
    out.hidden = false;
    out.dataset.position = m ? m[1] : '';
    return;
  }
  go({ segment: text });
}

function setupChrome() {
  $('#range').addEventListener('change', (e) => {
    if (e.target.value === 'custom') {
      $('#custom').hidden = false;
      $('#from').focus();
      return;
    }
    go({ range: e.target.value, from: '', to: '', gran: '' });
  });
  $('#apply-custom').addEventListener('click', () => {
    const from = $('#from').value;
    const to = $('#to').value;
    if (!from || !to || from > to) { $('#from').focus(); return; }
    go({ range: 'custom', from, to, gran: '' });
  });
  $('#compare').addEventListener('change', (e) => go({ compare: e.target.value }));
  $('#suite').addEventListener('change', (e) => go({ suite: e.target.value, filters: [], segment: '', page: '' }));
  $('#theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
    const next = dark ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem('canton.theme', next); } catch (e) { /* private mode */ }
    render();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => render());
  $('#seg-toggle').addEventListener('click', () => {
    const ed = $('#seg-editor');
    ed.hidden = !ed.hidden;
    $('#seg-toggle').setAttribute('aria-expanded', String(!ed.hidden));
    if (!ed.hidden) { $('#seg-text').value = state.segment; $('#seg-text').focus(); }
  });
  $('#seg-editor').addEventListener('submit', applySegment);
  $('#seg-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || !e.shiftKey)) { e.preventDefault(); $('#seg-editor').requestSubmit(); }
  });
  $('#seg-clear').addEventListener('click', () => { $('#seg-text').value = ''; $('#seg-error').hidden = true; go({ segment: '' }); });
}

// --- Render ---

function render() {
  const my = ++gen;
  colors = null;
  timers.forEach(clearInterval);
  timers = [];
  document.documentElement.dataset.ready = '0';
  $('#tip').hidden = true;
  // The suite's days decide a preset's length, hence the trend's granularity (boot.rangeDays).
  if (suiteInfo().timezone) boot.setZone(suiteInfo().timezone);
  renderChrome();
  const main = $('#main');
  main.replaceChildren();
  main.dataset.view = state.view;
  $('#period').textContent = '';
  $('#period').dataset.cmp = '';
  document.title = 'canton · ' + (VIEWS.find((v) => v[0] === state.view) || VIEWS[0])[1] + (state.suite ? ' · ' + state.suite : '');
  if (!state.suite) {
    main.append(h('section', { class: 'panel wide' }, h('p', { class: 'empty', text: 'No report suites yet: send hits to canton, or run `canton gen`.' })));
    document.documentElement.dataset.ready = '1';
    return;
  }
  const tasks = viewTasks(my).map((t) => t.catch((e) => {
    if (my !== gen) return;
    const sec = [...$('#main').querySelectorAll('.panel')].find((s) => s.querySelector('.body > .empty'));
    const body = sec ? sec.querySelector('.body') : h('div');
    showError(body, e);
    if (!sec) $('#main').append(h('section', { class: 'panel wide' }, body));
  }));
  Promise.all(tasks).then(() => {
    if (my !== gen) return;
    document.documentElement.dataset.ready = '1';
    performance.mark('canton-ready');
    window.cantonReadyMs = performance.now();
  });
}

async function start() {
  const first = Promise.all([api('suites', {}), api('catalog', {})]);
  setupChrome();
  try {
    const [s, c] = await first;
    suites = s.suites || [];
    for (const d of c.dimensions || []) catalog.dims.set(d.name, d);
    for (const m of c.metrics || []) catalog.metrics.set(m.name, m);
    // /suites lists only the suites the token may read: none (or not the one
    // in the URL) means a token is needed.
    for (let tries = 0; tries < 5 && (!suites.length || (state.suite && !suites.some((x) => x.id === state.suite))); tries++) {
      if (suites.length && tries > 0) break;
      await askToken(token() ? 'This token does not grant access to ' + (state.suite || 'any suite') + '.'
        : 'The suite' + (state.suite ? ' ' + state.suite : 's') + ' on this server need a token.');
      suites = (await api('suites', {}, { fresh: true })).suites || [];
    }
  } catch (e) {
    $('#main').replaceChildren(h('section', { class: 'panel wide' }, h('p', { class: 'err', role: 'alert', text: 'The API did not answer: ' + e.message })));
    document.documentElement.dataset.ready = '1';
    return;
  }
  $('#suite').replaceChildren(...suites.map((x) => h('option', { value: x.id, text: x.name && x.name !== x.id ? x.name + ' (' + x.id + ')' : x.id })));
  if (!suites.some((x) => x.id === state.suite)) {
    state.suite = suites.length ? suites[0].id : '';
    history.replaceState(null, '', location.pathname + '?' + stateQuery(state));
  }
  render();
}
start();
