// SPDX-License-Identifier: Apache-2.0
// The dashboard's first moments. web/embed_dashboard.py inlines this file into
// index.html, so it runs as soon as the HTML is parsed, before app.js, uPlot
// and the CSS have arrived: it sets the scheme before the first paint, reads
// the state from the URL and starts the first view's API requests at once
// (/suites, /catalog and the overview's reports, in one POST /api/v1/batch).
// app.js takes the answers over: it builds its requests with the same
// functions (window.cantonBoot), so the URLs are the same, and `take(url)`
// hands it the batch's answer to one of them.
(function () {
  'use strict';
  const VIEWS = ['overview', 'pages', 'acquisition', 'geography', 'technology', 'ecommerce', 'paths', 'vars', 'realtime'];
  const RANGES = ['today', 'yesterday', 'last_7_days', 'last_30_days', 'last_90_days', 'month_to_date',
    'last_month', 'year_to_date', 'last_12_months', 'custom'];
  const DEFAULTS = { suite: '', range: 'last_30_days', from: '', to: '', compare: 'previous_period',
    segment: '', view: 'overview', metric: '', gran: '', page: '', pathdim: 'page', repeats: 'exclude', var: 'evar1', ev: '' };

  function readState(search) {
    const q = new URLSearchParams(search);
    const s = { ...DEFAULTS, filters: [] };
    for (const k of Object.keys(DEFAULTS)) if (q.has(k)) s[k] = q.get(k);
    if (q.get('compare') === 'off') s.compare = '';
    for (const f of q.getAll('f')) {
      const i = f.indexOf(':');
      if (i > 0) s.filters.push([f.slice(0, i), f.slice(i + 1)]);
    }
    if (!RANGES.includes(s.range)) s.range = DEFAULTS.range;
    if (!VIEWS.includes(s.view)) s.view = 'overview';
    if (s.repeats !== 'include') s.repeats = DEFAULTS.repeats;
    return s;
  }

  function token() { try { return sessionStorage.getItem('canton.token') || ''; } catch (e) { return ''; } }

  function qs(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v == null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else q.set(k, v);
    }
    return q.toString();
  }
  function apiUrl(path, params) {
    const q = qs(params || {});
    return '/api/v1/' + path + (q ? '?' + q : '');
  }

  // Filters (dimension = value) and the segment, as one segment for the API.
  const quote = (v) => '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  const DOW = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  function condition(dim, value) {
    if (dim === 'day_of_week' && DOW.includes(value)) return dim + ' = ' + DOW.indexOf(value);
    if ((dim === 'hour' || dim === 'visit_number') && /^\d+$/.test(value)) return dim + ' = ' + Number(value);
    return dim + ' = ' + quote(value);
  }
  function segmentText(s) {
    const parts = [];
    if (s.segment.trim()) parts.push('(' + s.segment.trim() + ')');
    for (const [d, v] of s.filters) parts.push(condition(d, v));
    return parts.join(' and ');
  }
  // The parameters every panel's request shares: suite, range, segment.
  function base(s, extra) {
    const p = { suite: s.suite };
    if (s.range === 'custom' && s.from && s.to) { p.from = s.from; p.to = s.to; }
    else p.range = s.range === 'custom' ? 'last_30_days' : s.range;
    const seg = segmentText(s);
    if (seg) p.segment = seg;
    return { ...p, ...(extra || {}) };
  }
  // The time zone of the suite shown: the server resolves presets (month_to_date...) by the
  // suite's days. app.js sets it from /suites (setZone); until then, the one of the suite shown
  // last (saved), else the browser's.
  let zone = '';
  try { zone = localStorage.getItem('canton.tz') || ''; } catch (e) { /* storage off */ }
  function setZone(tz) {
    zone = tz || '';
    try { if (zone) localStorage.setItem('canton.tz', zone); } catch (e) { /* storage off */ }
  }
  // Today in the zone (the browser's when tz is empty or unknown) as a day number (days since 1970-01-01).
  function today(tz) {
    let f;
    try { f = new Intl.DateTimeFormat('en-US', { timeZone: tz || undefined, year: 'numeric', month: 'numeric', day: 'numeric' }); }
    catch (e) { f = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric' }); }
    const p = {};
    for (const x of f.formatToParts(new Date())) p[x.type] = Number(x.value);
    return Date.UTC(p.year, p.month - 1, p.day) / 864e5;
  }
  // The first day of the month `back` months before the month of day t.
  function monthStart(t, back) {
    const d = new Date(t * 864e5);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1) / 864e5;
  }
  // The number of days of the range, as the server resolves it (src/query/request.c) on the
  // suite's today: month_to_date is 1 day long on the 1st, year_to_date 10 days on January 10.
  function rangeDays(s, t) {
    if (t == null) t = today(zone);
    const y = new Date(t * 864e5).getUTCFullYear();
    const from = { today: t, yesterday: t - 1, last_7_days: t - 6, last_30_days: t - 29, last_90_days: t - 89,
      month_to_date: monthStart(t, 0), last_month: monthStart(t, 1), year_to_date: Date.UTC(y, 0, 1) / 864e5,
      last_12_months: monthStart(t, 11) };
    const to = { yesterday: t - 1, last_month: monthStart(t, 0) - 1 };
    if (s.range !== 'custom') return from[s.range] === undefined ? 30 : (to[s.range] ?? t) - from[s.range] + 1;
    const d = (Date.parse(s.to) - Date.parse(s.from)) / 864e5 + 1;
    return d > 0 ? d : 30;
  }
  // The longest range /api/v1/report gives an hourly trend of.
  const MAX_HOUR_DAYS = 93;
  function granularity(s) {
    if (['hour', 'day', 'week', 'month'].includes(s.gran) && !(s.gran === 'hour' && rangeDays(s) > MAX_HOUR_DAYS)) return s.gran;
    const d = rangeDays(s);
    return d <= 2 ? 'hour' : d <= 92 ? 'day' : d <= 400 ? 'week' : 'month';
  }

  // The overview: headline figures (one trend of all of them) and four ranked tables.
  const V = ['visitors', 'visits'];
  const OVERVIEW_FIGS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'orders', 'revenue', 'conversion_rate'];
  const OVERVIEW_TABLES = [
    { title: 'Top pages', id: 'pages', tabs: [{ label: 'Pages', dim: 'page', metrics: ['pageviews', 'visitors'] },
      { label: 'Entry', dim: 'entry_page', metrics: ['entries', 'visitors'] },
      { label: 'Exit', dim: 'exit_page', metrics: ['exits', 'visitors'] }] },
    { title: 'Sources', id: 'sources', tabs: [{ label: 'Channels', dim: 'channel', metrics: V },
      { label: 'Referrers', dim: 'referrer_domain', metrics: V },
      { label: 'Campaigns', dim: 'campaign', metrics: V, params: { empty: 0 } }] },
    { title: 'Countries', id: 'countries', tabs: [{ label: 'Countries', dim: 'country', metrics: V }] },
    { title: 'Devices', id: 'devices', tabs: [{ label: 'Device type', dim: 'device', metrics: V },
      { label: 'Browser', dim: 'browser', metrics: V }, { label: 'OS', dim: 'os', metrics: V }] },
  ];
  // A trend of metrics (their totals are the headline figures) against the comparison.
  function summaryParams(s, metrics) {
    return base(s, { granularity: granularity(s), metrics: metrics.join(','), compare: s.compare, limit: 0 });
  }
  // A ranked table's tab; the overview's tables leave the comparison out (half the scanning).
  function tableParams(s, tab, limit) {
    return base(s, { dimension: tab.dim, metrics: tab.metrics.join(','), limit,
      compare: s.view === 'overview' ? '' : s.compare, ...(tab.params || {}) });
  }
  function firstUrls(s) {
    if (s.view !== 'overview') return [];
    const m = OVERVIEW_FIGS.includes(s.metric) ? s.metric : 'visitors';
    return [apiUrl('report', summaryParams({ ...s, metric: m }, OVERVIEW_FIGS)),
      ...OVERVIEW_TABLES.map((t) => apiUrl('report', tableParams(s, t.tabs[0], 10)))];
  }

  // The first view's answers, by URL, until app.js takes them: {status, body}.
  // One POST /api/v1/batch asks them all (/suites, /catalog and the view's
  // reports) at once; requests without a suite read the first suite the token
  // may read, the one app.js shows when the URL names none, and the answer says
  // which it is, so the URLs app.js will ask are known when the answer comes.
  const early = new Map();
  function startBatch(s) {
    const urlsFor = (suite) => ['/api/v1/suites', '/api/v1/catalog', ...firstUrls({ ...s, suite })];
    const k = token();
    const headers = { 'Content-Type': 'application/json' };
    if (k) headers.Authorization = 'Bearer ' + k;
    const body = JSON.stringify({ suite: s.suite || null, requests: urlsFor('').map((u) => u.slice(8)) });
    return fetch('/api/v1/batch', { method: 'POST', headers, body })
      .then((r) => (r.ok ? r.json() : null))
      .then((j) => {
        if (!j || !Array.isArray(j.responses)) return;
        performance.mark('canton-batch');
        const keys = urlsFor(j.suite || s.suite);
        j.responses.forEach((x, i) => { if (keys[i] && x && typeof x.status === 'number') early.set(keys[i], x); });
      })
      .catch(() => {});
  }
  // Settles when the batch has answered (or failed: app.js then asks each request itself).
  let started = Promise.resolve();
  try {
    started = startBatch(readState(location.search));
  } catch (e) { /* app.js asks again */ }
  // The scheme before the first paint (after the batch has left): the saved toggle, else the system's.
  try {
    const t = localStorage.getItem('canton.theme');
    if (t) document.documentElement.dataset.theme = t;
  } catch (e) { /* storage off */ }

  // Once the batch has answered (or failed), app.js takes its answers at once
  // (takeNow), so that a render's requests are asked in the same turn.
  let settled = false;
  started = started.then(() => { settled = true; });
  // takeNow(url): the batch's {status, body} for url, or null when it has none.
  function takeNow(url) {
    const x = early.get(url);
    early.delete(url);
    return x || null;
  }
  // take(url): the same, as a promise that waits for the batch.
  function take(url) {
    return started.then(() => takeNow(url));
  }

  window.cantonBoot = { VIEWS, RANGES, DEFAULTS, readState, qs, apiUrl, quote, condition, segmentText, base,
    setZone, today, rangeDays, granularity, MAX_HOUR_DAYS, OVERVIEW_FIGS, OVERVIEW_TABLES, summaryParams, tableParams, take, takeNow,
    settled: () => settled, token, started };
})();
