/*! canton.js: canton's tracker (Apache-2.0), see docs/collect.md */
(function (w, d, n) {
  'use strict';
  var s = d.currentScript || d.querySelector('script[data-suite][src*="canton"]');
  var old = w.canton;
  if (!s || (old && old.v)) return; // no tag, or loaded twice

  var o = s.dataset; // the data-* options
  var loc = w.location;
  var q = (old && old.q) || [];
  var api = (o.endpoint || new URL(s.src, loc.href).origin).replace(/\/+$/, '') + '/api/collect';
  var hashes = o.hash == 'true';
  var TYPES = /^(pageview|event|product_view|cart_add|cart_remove|checkout|purchase|outbound|download)$/;
  var FILES = /\.(pdf|zip|t?gz|xz|7z|rar|dmg|exe|msi|deb|rpm|apk|iso|csv|xlsx?|docx?|pptx?|mp[34]|mov)$/i;
  var visitor, ref = d.referrer, last, batch = [], i;

  // Do-Not-Track / Global Privacy Control: do nothing at all
  if (o.respectDnt == 'true' && (n.doNotTrack == '1' || n.globalPrivacyControl)) {
    w.canton = function () {};
    w.canton.v = 1;
    return;
  }

  // Cookie mode: random 128-bit id kept 2 years. Default: no cookie, no storage
  if (o.cookie == 'true') {
    visitor = (d.cookie.match(/(?:^|;\s*)_cn_id=([0-9a-f]{32})/) || [])[1];
    if (!visitor) {
      var r = crypto.getRandomValues(new Uint8Array(16));
      for (visitor = '', i = 0; i < 16; i++) visitor += (r[i] + 256).toString(16).slice(1);
    }
    d.cookie = '_cn_id=' + visitor + ';path=/;max-age=63072000;SameSite=Lax' + (loc.protocol == 'https:' ? ';Secure' : '');
  }

  // Events made together go in one request, text/plain: no CORS preflight
  function send(e) {
    if (batch.push(e) == 1) Promise.resolve().then(flush);
  }
  function flush() {
    var b = { suite: o.suite, visitor: visitor, sent_at: Date.now(), events: batch };
    batch = [];
    b = JSON.stringify(b);
    if (!(n.sendBeacon && n.sendBeacon(api, b)) && w.fetch)
      fetch(api, { method: 'POST', body: b, keepalive: !n.sendBeacon }).catch(function () {});
  }

  // canton(type, {data}) or canton('event', name, {props})
  function track(type, a, b) {
    if (!TYPES.test(type) || (type == 'event' && !a)) return;
    if (last && type != 'pageview') page(); // a new SPA page is viewed first
    var e = {
      type: type,
      ts: Date.now(),
      url: loc.href,
      referrer: type == 'pageview' ? ref : '',
      title: d.title,
      screen: screen.width + 'x' + screen.height,
      lang: n.language
    };
    var x = type == 'event' ? { name: a, props: b } : a, k;
    for (k in x) e[k] = x[k];
    for (k in e) if (e[k] == null || e[k] === '') delete e[k];
    send(e);
  }

  // Page views: the first page, then each URL change of a single-page app
  function page() {
    var u = hashes ? loc.href : loc.href.split('#')[0];
    if (u == last) return;
    if (last) ref = last;
    last = u;
    track('pageview');
  }
  function later() {
    setTimeout(page, 0); // after the app sets document.title
  }

  // Clicks on links to other hosts, and downloads
  function click(ev) {
    var a = ev.target.closest && ev.target.closest('a[href]');
    if (!a || !/^https?:$/.test(a.protocol) || (ev.type == 'auxclick' && ev.button != 1)) return;
    var dl = a.hasAttribute('download') || FILES.test(a.pathname);
    if (dl || a.host != loc.host)
      track(dl ? 'download' : 'outbound', { target: a.href, name: a.textContent.trim().slice(0, 200) });
  }
  d.addEventListener('click', click, true);
  d.addEventListener('auxclick', click, true);

  w.canton = function () {
    try {
      track.apply(null, arguments);
    } catch (x) {}
  };
  w.canton.v = 1;

  if (o.auto != 'false') {
    ['pushState', 'replaceState'].forEach(function (m) {
      var f = history[m];
      history[m] = function () {
        var r = f.apply(this, arguments);
        later();
        return r;
      };
    });
    w.addEventListener('popstate', later);
    if (d.prerendering) d.addEventListener('prerenderingchange', page, { once: true });
    else page();
  }

  // Calls queued by the stub before the script loaded
  for (i = 0; i < q.length; i++) w.canton.apply(null, q[i]);
})(window, document, navigator);
