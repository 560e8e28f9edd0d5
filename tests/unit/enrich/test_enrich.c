/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/enrich through its header: user agents, bots, device
 * types, the UA cache and thread handles, geography (both mmdb layouts),
 * IP anonymization, referrers, campaigns and channel rules. The data sets
 * are the pinned ones (CANTON_SRC/node_modules, Debian's referers.yml); the
 * GeoLite2-layout database is written by mkmmdb.py (its path is argv[1]).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich/enrich.h"
#include "enrich/internal.h"
#include "lib/url.h"

#include <cmocka.h>

static cn_enrich_t *E;
static cn_enrich_thread_t *T;
static const char *test_mmdb; /* argv[1]: the GeoLite2-layout file mkmmdb.py wrote */

#define assert_str(slice, lit) assert_string_equal(cstr(slice), lit)

/* Copies a slice into a rotating static buffer, for assert_string_equal. */
static const char *cstr(cn_str_t s)
{
    static char bufs[8][1024];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 1024, "%.*s", CN_STR_FMT(s));
    return b;
}

static int setup(void **state)
{
    (void)state;
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    cn_err_t err;
    if (cn_enrich_open(&o, &E, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    T = cn_enrich_thread_new(E);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cn_enrich_thread_free(T);
    cn_enrich_unref(E);
    return 0;
}

/* --- User agents --- */

static void ua_chrome_windows_is_desktop(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) Chrome/120.0.0.0 Safari/537.36"),
                 &u);
    assert_str(u.browser, "Chrome");
    assert_str(u.browser_ver, "120");
    assert_str(u.os, "Windows");
    assert_str(u.os_ver, "10");
    assert_str(u.device, "Other");
    assert_int_equal(u.type, CN_DEVICE_DESKTOP);
    assert_false(u.is_bot);
    assert_str(u.bot, "");
}

static void ua_iphone_safari_is_mobile(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                            "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
                            "Mobile/15E148 Safari/604.1"),
                 &u);
    assert_str(u.browser, "Mobile Safari");
    assert_str(u.browser_ver, "17");
    assert_str(u.os, "iOS");
    assert_str(u.os_ver, "17");
    assert_str(u.device, "iPhone");
    assert_str(u.brand, "Apple");
    assert_str(u.model, "iPhone");
    assert_int_equal(u.type, CN_DEVICE_MOBILE);
    assert_false(u.is_bot);
}

static void ua_ipad_is_tablet(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
                            "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
                 &u);
    assert_str(u.device, "iPad");
    assert_str(u.os, "iOS");
    assert_str(u.os_ver, "16");
    assert_int_equal(u.type, CN_DEVICE_TABLET);
}

static void ua_android_without_mobile_is_tablet(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) Chrome/120.0.0.0 Safari/537.36"),
                 &u);
    assert_str(u.browser, "Chrome");
    assert_str(u.os, "Android");
    assert_str(u.os_ver, "13");
    assert_str(u.brand, "Generic_Android_Tablet"); /* uap does not know SM-X700 */
    assert_int_equal(u.type, CN_DEVICE_TABLET);
}

static void ua_android_phone_is_mobile(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"),
                 &u);
    assert_str(u.browser, "Chrome Mobile");
    assert_str(u.browser_ver, "120");
    assert_str(u.os, "Android");
    assert_str(u.os_ver, "14");
    assert_str(u.brand, "Google");
    assert_str(u.model, "Pixel 8");
    assert_int_equal(u.type, CN_DEVICE_MOBILE);
}

static void ua_mac_firefox_is_desktop(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) "
                            "Gecko/20100101 Firefox/121.0"),
                 &u);
    assert_str(u.browser, "Firefox");
    assert_str(u.browser_ver, "121");
    assert_str(u.os, "Mac OS X");
    assert_str(u.os_ver, "10");
    assert_str(u.device, "Mac");
    assert_int_equal(u.type, CN_DEVICE_DESKTOP);
}

static void ua_tv_and_console_are_other(void **state)
{
    (void)state;
    cn_ua_info_t u;
    /* Tizen is a mobile OS too: the TV marker must win */
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV "
                            "Safari/537.36"),
                 &u);
    assert_str(u.browser, "Samsung Internet");
    assert_str(u.os, "Tizen");
    assert_int_equal(u.type, CN_DEVICE_OTHER);
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 "
                            "(KHTML, like Gecko) Version/13.0 Safari/605.1.15"),
                 &u);
    assert_str(u.device, "PlayStation 5");
    assert_int_equal(u.type, CN_DEVICE_OTHER);
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) Chrome/120.0.0.0 Safari/537.36"),
                 &u);
    assert_str(u.os, "Chrome OS");
    assert_int_equal(u.type, CN_DEVICE_DESKTOP);
}

static void ua_unknown_is_other(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T, CN_STR_LIT("SomethingNobodyKnows"), &u);
    assert_str(u.browser, "Other");
    assert_str(u.browser_ver, "");
    assert_str(u.os, "Other");
    assert_str(u.device, "Other");
    assert_int_equal(u.type, CN_DEVICE_OTHER);
    assert_false(u.is_bot);
}

/*
 * A user agent's names are valid UTF-8 whatever its bytes (an imported log's Latin-1 byte): each
 * invalid byte or sequence a rule captures becomes one U+FFFD (EF BF BD), as values are decoded.
 */
static void ua_names_are_valid_utf8(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T, CN_STR_LIT("Liferea/1\xe9.2.3"), &u);
    assert_str(u.browser, "Liferea");
    assert_str(u.browser_ver, "1\xef\xbf\xbd");
    cn_enrich_ua(T, CN_STR_LIT("Peapod/\xe9\xff.2"), &u);
    assert_str(u.browser_ver, "\xef\xbf\xbd\xef\xbf\xbd");
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (Linux; Android 10; Caf\xe9 \xc3\xa9 Build/QP1A) "
                            "AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"),
                 &u);
    assert_str(u.browser, "Chrome");
    assert_str(u.os, "Android");
    assert_str(u.model, "Caf\xef\xbf\xbd \xc3\xa9");      /* valid UTF-8 stays */
    cn_enrich_ua(T, CN_STR_LIT("Liferea/1\xe9.2.3"), &u); /* from the cache */
    assert_str(u.browser_ver, "1\xef\xbf\xbd");
}

/* --- Bots --- */

static void bot_googlebot_has_list_tag(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(
        T, CN_STR_LIT("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        &u);
    assert_true(u.is_bot);
    assert_str(u.bot, "search-engine");
    assert_str(u.device, "Spider");
    assert_int_equal(u.type, CN_DEVICE_BOT);
}

static void bot_http_libraries_and_headless(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T, CN_STR_LIT("curl/8.4.0"), &u);
    assert_true(u.is_bot);
    assert_int_equal(u.type, CN_DEVICE_BOT);
    cn_enrich_ua(T, CN_STR_LIT("Go-http-client/2.0"), &u);
    assert_true(u.is_bot);
    cn_enrich_ua(T,
                 CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                            "Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"),
                 &u);
    assert_true(u.is_bot);
    assert_str(u.bot, "browser-automation");
    /* not in the list: the simple rule */
    cn_enrich_ua(T, CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64) SlimerJS/1.0"), &u);
    assert_true(u.is_bot);
    assert_str(u.bot, "headless");
}

static void bot_empty_ua(void **state)
{
    (void)state;
    cn_ua_info_t u;
    cn_enrich_ua(T, CN_STR_LIT(""), &u);
    assert_true(u.is_bot);
    assert_str(u.bot, "empty");
    assert_int_equal(u.type, CN_DEVICE_BOT);
    cn_enrich_ua(T, CN_STR_NULL, &u);
    assert_str(u.bot, "empty");
    cn_enrich_ua(T, CN_STR_LIT("-"), &u);
    assert_str(u.bot, "empty");
}

static void bot_digit_pattern_not_inside_version(void **state)
{
    (void)state;
    cn_ua_info_t u;
    /* "008\/" must not match inside "39008/37" (Opera Mini) */
    cn_enrich_ua(T,
                 CN_STR_LIT("Opera/9.80 (MAUI Runtime; Opera Mini/4.4.39008/37.9178; U; en) "
                            "Presto/2.12.423 Version/12.16"),
                 &u);
    assert_false(u.is_bot);
    assert_str(u.browser, "Opera Mini");
    cn_enrich_ua(T, CN_STR_LIT("008/0.83 (http://www.advancedwebranking.com)"), &u);
    assert_true(u.is_bot);
    assert_str(u.bot, "seo");
}

static void bot_prefilter_agrees_with_alternation(void **state)
{
    (void)state;
    static const char *const uas[] = {
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Safari/537.36"),
        "Wget/1.21",
        "python-requests/2.31.0",
        "facebookexternalhit/1.1",
        "",
        "x",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"};
    for (size_t i = 0; i < sizeof(uas) / sizeof(uas[0]); i++) {
        cn_str_t ua = cn_str_c(uas[i]);
        long fast = cn_enrich__bot_pattern(E->bots, &T->m, ua);
        long slow = cn_enrich__bot_pattern_slow(E->bots, &T->m, ua);
        assert_int_equal(fast, slow);
    }
    assert_true(cn_enrich__bots_count(E->bots) >= 1500);
}

/* The literal prefilter runs a regex only when the UA holds a literal of each set its match
 * needs ("is12f" and " build" or ") applewebkit"), and reads "[Ss]" as the letter s. */
static void litidx_needs_every_set(void **state)
{
    (void)state;
    static const char *const res[] = {
        "; {0,2}(IS12F)(?: Build|\\) AppleWebKit)",
        ("^.{0,200}?((?:[A-z0-9]{1,50}|[A-z\\-]{1,50} ?|)(?: the |)"
         "(?:[Ss][Pp][Ii][Dd][Ee][Rr]|[Ss]crape|[Cc][Rr][Aa][Ww][Ll])[A-z0-9]{0,50})"),
        "(Chrome|CriOS)/(\\d+)",
        "\\d+",
        "(Mobile Safari)/(\\d+)(?:\\.(\\d+)|)",
    };
    cn_litidx_t x;
    memset(&x, 0, sizeof(x));
    for (uint32_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
        cn_enrich__litidx_add(&x, res[i], strlen(res[i]), i);
    cn_enrich__litidx_build(&x);
    assert_int_equal(x.always_count, 1); /* \d+ */
    static const struct {
        const char *ua;
        const char *want;
    } cases[] = {
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Safari/537.36",
         "2 3"},
        {"Mozilla/5.0 (Linux; U; Android 2.3; ja-jp; IS12F Build/GRJ22) AppleWebKit/533.1", "0 3"},
        {"Mozilla/5.0 (compatible; MySpider/1.0)", "1 3"},
        {"SuperCRAWLer", "1 3"},
        {"IS12F Mobile Safari/534", "3 4"},
        {"", "3"},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char lower[512];
        cn_str_t ua = cn_str_c(cases[c].ua);
        size_t n = cn_enrich__lower(ua, lower, sizeof(lower));
        uint32_t ids[16];
        size_t nc = cn_enrich__litidx_candidates(&x, cn_str(lower, n), ids, 16);
        char got[64] = "";
        for (size_t i = 0; i < nc; i++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u", i ? " " : "", ids[i]);
        assert_string_equal(got, cases[c].want);
    }
    cn_enrich__litidx_dispose(&x);
    /* in uap-core's lists, every UA regex has literals now (the spider/crawl one did not) */
    assert_int_equal(cn_enrich__uap_always_count(E->uap, 0), 0);
}

/* --- Cache and thread handles --- */

static void ua_cache_hit_returns_same_strings(void **state)
{
    (void)state;
    cn_str_t ua =
        CN_STR_LIT("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0");
    cn_enrich_stats_t s0, s1;
    cn_ua_info_t a, b;
    cn_enrich_ua(T, ua, &a);
    cn_enrich_thread_stats(T, &s0);
    char copy[200];
    memcpy(copy, ua.ptr, ua.len); /* the key is the bytes, not the pointer */
    cn_enrich_ua(T, cn_str(copy, ua.len), &b);
    cn_enrich_thread_stats(T, &s1);
    assert_int_equal(s1.ua_lookups, s0.ua_lookups + 1);
    assert_int_equal(s1.ua_cache_hits, s0.ua_cache_hits + 1);
    assert_ptr_equal(a.browser.ptr, b.browser.ptr);
    assert_str(b.browser, "Firefox");
    assert_str(b.os, "Linux");
    assert_int_equal(b.type, CN_DEVICE_DESKTOP);
}

static void ua_strings_survive_eviction(void **state)
{
    (void)state;
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    o.crawlers = o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    o.ua_cache_entries = 4; /* one set of 4 ways */
    cn_enrich_t *e;
    assert_int_equal(cn_enrich_open(&o, &e, NULL), 0);
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);
    cn_ua_info_t first;
    cn_enrich_ua(t, CN_STR_LIT("Mozilla/5.0 (Windows NT 6.1) Gecko/20100101 Firefox/52.0"), &first);
    for (int i = 0; i < 50; i++) {
        char ua[100];
        snprintf(ua, sizeof(ua), "Mozilla/5.0 (Windows NT 10.0) Chrome/%d.0 Safari/537.36", 60 + i);
        cn_ua_info_t u;
        cn_enrich_ua(t, cn_str_c(ua), &u);
        assert_int_equal(atoi(cstr(u.browser_ver)), 60 + i);
    }
    assert_str(first.browser, "Firefox");
    assert_str(first.browser_ver, "52");
    assert_str(first.os_ver, "7");
    cn_enrich_stats_t s;
    cn_enrich_thread_stats(t, &s);
    assert_int_equal(s.ua_lookups, 51);
    assert_int_equal(s.ua_cache_hits, 0);
    /* rebinding to the same snapshot empties the cache */
    cn_enrich_thread_rebind(t, e);
    cn_enrich_thread_stats(t, &s);
    assert_int_equal(s.ua_lookups, 0);
    cn_enrich_unref(e); /* the handle still holds it */
    cn_enrich_ua(t, CN_STR_LIT("Mozilla/5.0 (Windows NT 6.1) Gecko/20100101 Firefox/52.0"), &first);
    assert_str(first.browser, "Firefox");
    cn_enrich_thread_free(t);
}

static void reload_rebinds_to_a_new_snapshot(void **state)
{
    (void)state;
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    cn_enrich_t *a, *b;
    assert_int_equal(cn_enrich_open(&o, &a, NULL), 0);
    o.crawlers = NULL; /* the "new data" of this reload: no crawler list */
    assert_int_equal(cn_enrich_open(&o, &b, NULL), 0);
    cn_enrich_thread_t *t = cn_enrich_thread_new(a);
    cn_enrich_unref(a); /* the handle keeps a alive */
    cn_str_t ua =
        CN_STR_LIT("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)");
    cn_ua_info_t u;
    cn_enrich_ua(t, ua, &u);
    assert_true(u.is_bot);
    assert_str(u.bot, "social-preview");
    cn_enrich_thread_rebind(t, b); /* frees a: its last reference goes */
    cn_enrich_unref(b);
    cn_enrich_ua(t, ua, &u);
    assert_str(u.bot, "spider"); /* uap-core alone still calls it a Spider */
    cn_geo_t g;
    assert_int_equal(cn_enrich_geo(t, "8.8.8.8", &g), 0); /* no geo files: empty, no error */
    assert_str(g.country, "");
    cn_enrich_thread_free(t);
}

typedef struct worker {
    cn_enrich_t *e;
    int bad;
} worker_t;

static void *work(void *arg)
{
    worker_t *w = arg;
    cn_enrich_thread_t *t = cn_enrich_thread_new(w->e);
    for (int i = 0; i < 300; i++) {
        char ua[120];
        snprintf(ua, sizeof(ua),
                 "Mozilla/5.0 (Linux; Android 12; Pixel 6) Chrome/%d.0.0.0 Mobile Safari/537.36",
                 90 + i % 30);
        cn_ua_info_t u;
        cn_enrich_ua(t, cn_str_c(ua), &u);
        char ver[16]; /* not cstr(): its buffers are shared */
        snprintf(ver, sizeof(ver), "%.*s", CN_STR_FMT(u.browser_ver));
        if (atoi(ver) != 90 + i % 30 || u.type != CN_DEVICE_MOBILE)
            w->bad++;
        cn_geo_t g;
        if (cn_enrich_geo(t, "8.8.8.8", &g) != 0 || !cn_str_eq_c(g.country, "US"))
            w->bad++;
    }
    cn_enrich_thread_free(t);
    return NULL;
}

static void threads_share_one_snapshot(void **state)
{
    (void)state;
    pthread_t th[4];
    worker_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){E, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
}

/* --- Regexes JIT-compiled when first run (cn_lazy_re_t) --- */

static const char *const jit_uas[] = {
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.1 Mobile/15E148 Safari/604.1"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Mobile Safari/537.36"),
    ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/119.0.0.0 Safari/537.36"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.4.0",
};
#define JIT_UA_COUNT (sizeof(jit_uas) / sizeof(jit_uas[0]))

/* A snapshot of its own (no geo or referrer files), so that no other test has run its regexes. */
static cn_enrich_t *open_ua_only(void)
{
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    o.referers = o.referers_extra = NULL;
    cn_enrich_t *e = NULL;
    cn_err_t err;
    assert_int_equal(cn_enrich_open(&o, &e, &err), 0);
    return e;
}

/* "browser major / os major / device / type / bot" of a UA. */
static void ua_line(cn_enrich_thread_t *t, const char *ua, char *out, size_t cap)
{
    cn_ua_info_t u;
    cn_enrich_ua(t, cn_str_c(ua), &u);
    snprintf(out, cap, "%.*s %.*s / %.*s %.*s / %.*s / %d / %.*s", CN_STR_FMT(u.browser),
             CN_STR_FMT(u.browser_ver), CN_STR_FMT(u.os), CN_STR_FMT(u.os_ver),
             CN_STR_FMT(u.device), (int)u.type, CN_STR_FMT(u.bot));
}

/* Opening compiles no regex for the JIT; a parse compiles those it runs, once each; the slow
 * reference's alternation is compiled when it first runs; the answers are the usual ones. */
static void regexes_jit_compiled_when_first_run(void **state)
{
    (void)state;
    cn_enrich_t *e = open_ua_only();
    bool alt = true;
    size_t os, dev, ua = cn_enrich__uap_count(e->uap, &os, &dev);
    assert_int_equal(cn_enrich__uap_jit_count(e->uap), 0);
    assert_int_equal(cn_enrich__bots_jit_count(e->bots, &alt), 0);
    assert_false(alt);
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);
    char line[256];
    ua_line(t, jit_uas[0], line, sizeof(line));
    assert_string_equal(line, "Chrome 120 / Windows 10 / Other / 1 / ");
    size_t n = cn_enrich__uap_jit_count(e->uap);
    assert_true(n >= 3 && n < (ua + os + dev) / 10); /* a match in each list, few tried */
    cn_uap_result_t r;
    cn_enrich__uap_parse(e->uap, &t->m, cn_str_c(jit_uas[0]), &r); /* past the UA cache */
    assert_int_equal(cn_enrich__uap_jit_count(e->uap), n);
    assert_int_equal(cn_enrich__bots_jit_count(e->bots, &alt), 0); /* no crawler literal */
    ua_line(t, jit_uas[5], line, sizeof(line));
    assert_string_equal(line, "Googlebot 2 / Other  / Spider / 4 / search-engine");
    size_t b = cn_enrich__bots_jit_count(e->bots, &alt);
    assert_true(b >= 1 && b < 20);
    assert_false(alt);
    long p = cn_enrich__bot_pattern(e->bots, &t->m, cn_str_c(jit_uas[5]));
    assert_true(p >= 0);
    assert_int_equal(cn_enrich__bot_pattern_slow(e->bots, &t->m, cn_str_c(jit_uas[5])), p);
    cn_enrich__bots_jit_count(e->bots, &alt);
    assert_true(alt);
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

typedef struct jit_worker {
    cn_enrich_t *e;
    int first; /* where in jit_uas this thread starts */
    char lines[JIT_UA_COUNT][256];
} jit_worker_t;

static void *jit_work(void *arg)
{
    jit_worker_t *w = arg;
    cn_enrich_thread_t *t = cn_enrich_thread_new(w->e);
    for (size_t i = 0; i < JIT_UA_COUNT; i++) {
        size_t k = (i + (size_t)w->first) % JIT_UA_COUNT;
        ua_line(t, jit_uas[k], w->lines[k], sizeof(w->lines[k]));
        cn_enrich__bot_pattern_slow(w->e->bots, &t->m, cn_str_c(jit_uas[k]));
    }
    cn_enrich_thread_free(t);
    return NULL;
}

/* Threads that share a fresh snapshot race to make the same JIT code: each gets the answers
 * one thread alone gets, and one copy of each regex is kept (ASan: the losers' are freed). */
static void threads_make_jit_code_once(void **state)
{
    (void)state;
    cn_enrich_t *alone = open_ua_only();
    jit_worker_t *ref = calloc(1, sizeof(*ref));
    ref->e = alone;
    jit_work(ref);
    cn_enrich_t *e = open_ua_only();
    enum { N = 4 };
    jit_worker_t *w = calloc(N, sizeof(*w));
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i].e = e;
        w[i].first = i % 2; /* two pairs of threads, each pair in step */
        assert_int_equal(pthread_create(&th[i], NULL, jit_work, &w[i]), 0);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < JIT_UA_COUNT; k++)
            assert_string_equal(w[i].lines[k], ref->lines[k]);
    bool alt_a, alt_b;
    assert_int_equal(cn_enrich__uap_jit_count(e->uap), cn_enrich__uap_jit_count(alone->uap));
    assert_int_equal(cn_enrich__bots_jit_count(e->bots, &alt_a),
                     cn_enrich__bots_jit_count(alone->bots, &alt_b));
    assert_true(alt_a && alt_b);
    free(w);
    free(ref);
    cn_enrich_unref(e);
    cn_enrich_unref(alone);
}

/* cn_enrich__contains answers as memmem, for every needle cut from a haystack and a few that
 * are not in it. */
static void contains_like_memmem(void **state)
{
    (void)state;
    static const char *const hay[] = {"",
                                      "a",
                                      "aa",
                                      "aab",
                                      "Mozilla/5.0 (Linux; Android 14) Mobile Safari",
                                      "MobiMobiMobile",
                                      "SMART-TVSMART-T",
                                      "xyzxyzxyzx"};
    static const char *const extra[] = {
        "",       "Mobile",      "SMART-TV", "zz",
        "Tablet", "xyzxyzxyzxy", "aaa",      "Mozilla/5.0 (Linux; Android 14) Mobile Safari!"};
    size_t checked = 0;
    for (size_t h = 0; h < sizeof(hay) / sizeof(hay[0]); h++) {
        cn_str_t s = cn_str_c(hay[h]);
        for (size_t i = 0; i <= s.len; i++) {
            for (size_t n = 0; i + n <= s.len; n++) {
                assert_true(cn_enrich__contains(s, s.ptr + i, n));
                checked++;
            }
        }
        for (size_t x = 0; x < sizeof(extra) / sizeof(extra[0]); x++) {
            size_t n = strlen(extra[x]);
            bool want = memmem(s.ptr, s.len, extra[x], n) != NULL;
            assert_int_equal(cn_enrich__contains(s, extra[x], n), want);
            checked++;
        }
    }
    assert_int_equal(checked, 1487);
    /* a needle whose first byte is the haystack's last: no read past the end */
    assert_false(cn_enrich__contains(cn_str("ab", 2), "bc", 2));
    assert_true(cn_enrich__contains(cn_str("ab", 2), "b", 1));
}

static void device_names(void **state)
{
    (void)state;
    assert_string_equal(cn_enrich_device_name(CN_DEVICE_DESKTOP), "desktop");
    assert_string_equal(cn_enrich_device_name(CN_DEVICE_MOBILE), "mobile");
    assert_string_equal(cn_enrich_device_name(CN_DEVICE_TABLET), "tablet");
    assert_string_equal(cn_enrich_device_name(CN_DEVICE_BOT), "bot");
    assert_string_equal(cn_enrich_device_name(CN_DEVICE_OTHER), "other");
}

static void open_reports_missing_file(void **state)
{
    (void)state;
    cn_enrich_opts_t o = {.uap_regexes = "/nonexistent/regexes.yaml"};
    cn_enrich_t *e = (cn_enrich_t *)1;
    cn_err_t err;
    assert_true(cn_enrich_open(&o, &e, &err) < 0);
    assert_null(e);
    assert_non_null(strstr(err.msg, "/nonexistent/regexes.yaml"));
    cn_enrich_opts_t none = {0};
    assert_int_equal(cn_enrich_open(&none, &e, &err), CN_ECONFIG);
}

/* --- Geography --- */

static void geo_ipv4_dbip_layout(void **state)
{
    (void)state;
    cn_geo_t g;
    assert_int_equal(cn_enrich_geo(T, "8.8.8.8", &g), 0);
    assert_str(g.country, "US");
    assert_str(g.region, "California");
    assert_str(g.city, "Mountain View");
    assert_int_equal(cn_enrich_geo(T, "81.2.69.160", &g), 0);
    assert_str(g.country, "GB");
    assert_str(g.region, "England");
    assert_str(g.city, "London");
}

static void geo_ipv6_and_mapped(void **state)
{
    (void)state;
    cn_geo_t g;
    assert_int_equal(cn_enrich_geo(T, "2a00:1450:4001:80b::200e", &g), 0);
    assert_true(g.country.len == 2);
    assert_int_equal(cn_enrich_geo(T, "::ffff:8.8.8.8", &g), 0);
    assert_str(g.country, "US");
    assert_str(g.city, "Mountain View");
}

static void geo_private_and_invalid(void **state)
{
    (void)state;
    cn_geo_t g;
    assert_int_equal(cn_enrich_geo(T, "10.1.2.3", &g), 0);
    assert_str(g.country, "");
    assert_str(g.region, "");
    assert_str(g.city, "");
    assert_int_equal(cn_enrich_geo(T, "not-an-ip", &g), CN_EPARSE);
    assert_str(g.country, "");
    assert_int_equal(cn_enrich_geo(T, "", &g), CN_EPARSE);
    assert_int_equal(cn_enrich_geo(T, NULL, &g), CN_EPARSE);
    assert_int_equal(cn_enrich_geo(T, "1.2.3.4.5", &g), CN_EPARSE);
}

/* The network cache answers exactly what an uncached lookup answers. */
static void geo_cache_agrees_with_lookups(void **state)
{
    (void)state;
    cn_enrich_thread_t *t = cn_enrich_thread_new(E);
    uint64_t x = 0x2545f4914f6cdd1dULL;
    static const unsigned steps[] = {1, 37, 255, 4099, 65537};
    size_t n = 0;
    for (int base = 0; base < 3000; base++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        bool v6 = base % 4 == 3;
        uint8_t a[16] = {0};
        if (v6) {
            static const uint8_t pre[][4] = {
                {0x24, 0x0e, 0x00, 0x00}, {0x2a, 0x00, 0x14, 0x50}, {0x20, 0x01, 0x48, 0x60}};
            memcpy(a, pre[x % 3], 4);
            for (int i = 4; i < 16; i++)
                a[i] = (uint8_t)(x >> (i * 5 % 56));
        } else {
            uint32_t v = (uint32_t)(x >> 16);
            memcpy(a, &v, 4);
        }
        for (int k = 0; k < 24; k++) {
            uint8_t b[16];
            memcpy(b, a, 16);
            /* walk forward from the base address in strides of several sizes */
            unsigned add = steps[base % 5] * (unsigned)k, carry = 0;
            int last = v6 ? 15 : 3;
            for (int i = last; i >= 0; i--) {
                unsigned s = b[i] + (add & 0xff) + carry;
                b[i] = (uint8_t)s;
                carry = s >> 8;
                add >>= 8;
            }
            char ip[64];
            if (v6)
                snprintf(ip, sizeof(ip), "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1],
                         b[2] << 8 | b[3], b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9],
                         b[10] << 8 | b[11], b[12] << 8 | b[13], b[14] << 8 | b[15]);
            else
                snprintf(ip, sizeof(ip), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
            cn_geo_t got, want;
            unsigned plen;
            assert_int_equal(cn_enrich_geo(t, ip, &got), 0);
            assert_true(cn_enrich__geo_lookup(&E->geo, NULL, b, v6, &want, &plen));
            if (!cn_str_eq(got.country, want.country) || !cn_str_eq(got.region, want.region) ||
                !cn_str_eq(got.city, want.city))
                fail_msg("%s: cached %s/%s/%s, lookup %s/%s/%s", ip, cstr(got.country),
                         cstr(got.region), cstr(got.city), cstr(want.country), cstr(want.region),
                         cstr(want.city));
            n++;
        }
    }
    cn_enrich_stats_t st;
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.geo_lookups, n);
    /* the neighbours of each base address mostly share its network */
    assert_true(st.geo_cache_hits > n / 3);
    assert_true(st.geo_cache_hits < n);
    /* and many of the others lie in a country file's network seen before */
    assert_true(st.geo_country_hits > (n - st.geo_cache_hits) / 4);
    cn_enrich_thread_free(t);
}

/* cn_enrich_geo_str gives cn_enrich_geo's answer for the slice's text (NUL-terminated; 64
 * bytes or more are not an address): random addresses, the same with a byte after them, an
 * embedded NUL or a cut, IPv6 and IPv4-mapped texts, and lengths around the limits. So does
 * cn_enrich_geo_ip_text, whose text is cn_enrich_ip_text's, kept or anonymized. */
static void geo_str_equals_geo(void **state)
{
    (void)state;
    cn_enrich_thread_t *t = cn_enrich_thread_new(E), *t2 = cn_enrich_thread_new(E);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t found = 0, geo_ip_checked = 0;
    for (int n = 0; n < 60000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char s[80];
        int len;
        switch (n % 6) {
        case 0:
        case 1:
            len = snprintf(s, sizeof(s), "%u.%u.%u.%u", (unsigned)(x >> 8) & 255,
                           (unsigned)(x >> 16) & 255, (unsigned)(x >> 24) & 255,
                           (unsigned)(x >> 32) & 255);
            break;
        case 2: /* a byte after it, or one changed */
            len = snprintf(s, sizeof(s), "%u.%u.%u.%u", (unsigned)(x >> 8) & 255,
                           (unsigned)(x >> 16) & 255, (unsigned)(x >> 24) & 255,
                           (unsigned)(x >> 32) & 255);
            s[(x >> 40) % (unsigned)(len + 1)] = "0.:x \0"[(x >> 48) % 6];
            if ((x >> 56) & 1)
                len++;
            break;
        case 3:
            len = snprintf(s, sizeof(s), "%x:%x::%x", (unsigned)(x >> 8) & 0xffff,
                           (unsigned)(x >> 24) & 0xffff, (unsigned)(x >> 40) & 0xffff);
            break;
        case 4:
            len = snprintf(s, sizeof(s), "::ffff:%u.%u.%u.%u", (unsigned)(x >> 8) & 255,
                           (unsigned)(x >> 16) & 255, (unsigned)(x >> 24) & 255,
                           (unsigned)(x >> 32) & 255);
            break;
        default: /* 0 to 79 bytes of an address and padding */
            len = (int)((x >> 8) % 80);
            memset(s, '0', sizeof(s));
            memcpy(s, "1.2.3.4", 7);
            if ((x >> 20) & 1)
                s[7] = 0;
            break;
        }
        cn_geo_t got, want = {0};
        int rc = cn_enrich_geo_str(t, cn_str(s, (size_t)len), &got);
        int wrc = CN_EPARSE;
        if (len < 64) {
            char text[64];
            memcpy(text, s, (size_t)len);
            text[len] = 0;
            wrc = cn_enrich_geo(t2, text, &want);
        } else {
            want.country = want.region = want.city = CN_STR_LIT("");
        }
        if (rc != wrc || !cn_str_eq(got.country, want.country) ||
            !cn_str_eq(got.region, want.region) || !cn_str_eq(got.city, want.city))
            fail_msg("'%.*s' (%d bytes): %d %s/%s/%s, want %d %s/%s/%s", len, s, len, rc,
                     cstr(got.country), cstr(got.region), cstr(got.city), wrc, cstr(want.country),
                     cstr(want.region), cstr(want.city));
        found += got.country.len > 0;
        /* cn_enrich_geo_ip_text: both answers from one call, for either kind of ip text */
        for (int keep = 0; keep < 2; keep++) {
            cn_geo_t g2;
            char text[CN_ENRICH_IP_TEXT_CAP], wtext[CN_ENRICH_IP_TEXT_CAP];
            size_t tlen = 99;
            int rc2 = cn_enrich_geo_ip_text(t, cn_str(s, (size_t)len), keep, &g2, text, &tlen);
            size_t wlen = cn_enrich_ip_text(cn_str(s, (size_t)len), keep, wtext);
            if (rc2 != wrc || !cn_str_eq(g2.country, want.country) ||
                !cn_str_eq(g2.region, want.region) || !cn_str_eq(g2.city, want.city) ||
                tlen != wlen || memcmp(text, wtext, wlen + 1) != 0)
                fail_msg("'%.*s' (%d bytes, keep %d): %d %s '%s' (%zu), want %d %s '%s' (%zu)", len,
                         s, len, keep, rc2, cstr(g2.country), text, tlen, wrc, cstr(want.country),
                         wtext, wlen);
        }
        geo_ip_checked += len > 0 && len <= 15;
    }
    assert_true(geo_ip_checked > 30000); /* the parse-once path's share */
    assert_true(found > 20000);
    cn_enrich_thread_free(t);
    cn_enrich_thread_free(t2);
}

static void geo_geolite2_layout(void **state)
{
    (void)state;
    const char *mmdb = test_mmdb;
    assert_non_null(mmdb);
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    o.crawlers = o.geo_country = NULL;
    o.geo_city_v4 = o.geo_city_v6 = mmdb;
    cn_enrich_t *e;
    cn_err_t err;
    assert_int_equal(cn_enrich_open(&o, &e, &err), 0);
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);
    cn_geo_t g;
    assert_int_equal(cn_enrich_geo(t, "1.2.3.4", &g), 0);
    assert_str(g.country, "AU");
    assert_str(g.region, "New South Wales");
    assert_str(g.city, "Sydney");
    assert_int_equal(cn_enrich_geo(t, "5.6.255.1", &g), 0);
    assert_str(g.country, "DE");
    assert_str(g.city, "Berlin");
    assert_int_equal(cn_enrich_geo(t, "9.9.9.9", &g), 0);
    assert_str(g.country, "FR");
    assert_str(g.region, "");
    assert_str(g.city, "");
    assert_int_equal(cn_enrich_geo(t, "9.9.9.8", &g), 0);
    assert_str(g.country, "");
    /* an IPv6 address in an IPv4-only database: not found, not an error */
    assert_int_equal(cn_enrich_geo(t, "2001:db8::1", &g), 0);
    assert_str(g.country, "");
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

static void anonymize_ip(void **state)
{
    (void)state;
    char out[CN_ENRICH_IP_TEXT_CAP];
    assert_int_equal(cn_enrich_ip_text(cn_str_c("192.168.1.77"), false, out), 11);
    assert_string_equal(out, "192.168.1.0");
    assert_int_equal(cn_enrich_ip_text(cn_str_c("2001:db8:abcd:1234:5678::1"), false, out), 15);
    assert_string_equal(out, "2001:db8:abcd::");
    assert_int_equal(cn_enrich_ip_text(cn_str_c("::ffff:1.2.3.4"), false, out), 7);
    assert_string_equal(out, "1.2.3.0");
    assert_int_equal(cn_enrich_ip_text(cn_str_c("nope"), false, out), 0);
    assert_string_equal(out, "");
}

/* --- Referrers --- */

static cn_suite_conf_t shop_suite(void)
{
    static char *domains[] = {"shop.example.com", "www.example.cn"};
    return (cn_suite_conf_t){.id = "shop", .domains = domains, .domain_count = 2};
}

static void referrer_search_with_terms(void **state)
{
    (void)state;
    cn_ref_info_t r;
    assert_int_equal(
        cn_enrich_referrer(T, CN_STR_LIT("https://www.google.com/search?q=red+shoes&hl=en"),
                           CN_STR_LIT("https://shop.example.com/"), NULL, &r),
        0);
    assert_int_equal(r.type, CN_REF_SEARCH);
    assert_str(r.domain, "www.google.com");
    assert_str(r.source, "Google");
    assert_str(r.medium, "search");
    assert_str(r.terms, "red shoes");
    assert_int_equal(
        cn_enrich_referrer(T, CN_STR_LIT("https://www.bing.com/search?q=%E4%B8%AD%E6%96%87"),
                           CN_STR_NULL, NULL, &r),
        0);
    assert_str(r.source, "Bing");
    assert_str(r.terms, "\xe4\xb8\xad\xe6\x96\x87");
    assert_int_equal(cn_enrich_referrer(T, CN_STR_LIT("https://www.baidu.com/s?ie=utf-8&wd=phone"),
                                        CN_STR_NULL, NULL, &r),
                     0);
    assert_str(r.source, "Baidu");
    assert_str(r.terms, "phone");
    /* origin only (strict-origin-when-cross-origin): search, no terms */
    assert_int_equal(
        cn_enrich_referrer(T, CN_STR_LIT("https://WWW.Google.CO.UK/"), CN_STR_NULL, NULL, &r), 0);
    assert_int_equal(r.type, CN_REF_SEARCH);
    assert_str(r.domain, "www.google.co.uk");
    assert_str(r.terms, "");
}

static void referrer_social_email_ai_other(void **state)
{
    (void)state;
    cn_ref_info_t r;
    cn_enrich_referrer(T, CN_STR_LIT("https://m.facebook.com/story.php?id=1"), CN_STR_NULL, NULL,
                       &r);
    assert_int_equal(r.type, CN_REF_SOCIAL);
    assert_str(r.source, "Facebook");
    assert_str(r.domain, "m.facebook.com");
    cn_enrich_referrer(T, CN_STR_LIT("https://mail.google.com/mail/u/0/"), CN_STR_NULL, NULL, &r);
    assert_int_equal(r.type, CN_REF_EMAIL);
    assert_str(r.source, "Gmail");
    cn_enrich_referrer(T, CN_STR_LIT("android-app://com.google.android.gm/"), CN_STR_NULL, NULL,
                       &r);
    assert_int_equal(r.type, CN_REF_EMAIL);
    cn_enrich_referrer(T, CN_STR_LIT("https://chatgpt.com/"), CN_STR_NULL, NULL, &r);
    assert_int_equal(r.type, CN_REF_OTHER);
    assert_str(r.medium, "ai");
    assert_str(r.source, "ChatGPT");
    cn_enrich_referrer(T, CN_STR_LIT("https://www.perplexity.ai/search/abc"), CN_STR_NULL, NULL,
                       &r);
    assert_str(r.source, "Perplexity");
    cn_enrich_referrer(T, CN_STR_LIT("https://blog.someone.net:8443/post?id=3"), CN_STR_NULL, NULL,
                       &r);
    assert_int_equal(r.type, CN_REF_OTHER);
    assert_str(r.domain, "blog.someone.net");
    assert_str(r.source, "");
    assert_str(r.medium, "");
}

static void referrer_internal_paid_none_bad(void **state)
{
    (void)state;
    cn_suite_conf_t s = shop_suite();
    cn_ref_info_t r;
    assert_int_equal(
        cn_enrich_referrer(T, CN_STR_LIT("https://shop.example.com/cart"), CN_STR_NULL, &s, &r), 0);
    assert_int_equal(r.type, CN_REF_INTERNAL);
    cn_enrich_referrer(T, CN_STR_LIT("http://example.cn/"), CN_STR_NULL, &s, &r);
    assert_int_equal(r.type, CN_REF_INTERNAL); /* www. is ignored on both sides */
    cn_enrich_referrer(T, CN_STR_LIT("https://m.shop.example.com/"), CN_STR_NULL, &s, &r);
    assert_int_equal(r.type, CN_REF_INTERNAL); /* subdomains are internal */
    cn_enrich_referrer(T, CN_STR_LIT("https://notshop.example.com/"), CN_STR_NULL, &s, &r);
    assert_int_equal(r.type, CN_REF_OTHER);
    cn_enrich_referrer(T, CN_STR_LIT("https://www.google.com/"),
                       CN_STR_LIT("https://shop.example.com/p?gclid=Cj0KCQ&x=1"), &s, &r);
    assert_int_equal(r.type, CN_REF_PAID);
    assert_str(r.source, "Google");
    assert_str(r.medium, "search");
    assert_int_equal(
        cn_enrich_referrer(T, CN_STR_LIT(""), CN_STR_LIT("https://shop.example.com/"), &s, &r), 0);
    assert_int_equal(r.type, CN_REF_NONE);
    assert_str(r.domain, "");
    cn_enrich_referrer(T, CN_STR_NULL, CN_STR_LIT("/p?msclkid=abc"), &s, &r);
    assert_int_equal(r.type, CN_REF_PAID);
    cn_enrich_referrer(T, CN_STR_NULL, CN_STR_LIT("/p?gclid="), &s, &r);
    assert_int_equal(r.type, CN_REF_NONE); /* an empty click id is no click id */
    assert_int_equal(cn_enrich_referrer(T, CN_STR_LIT("garbage"), CN_STR_NULL, &s, &r), CN_EPARSE);
    assert_int_equal(r.type, CN_REF_OTHER);
    assert_str(r.domain, "");
}

/* cn_enrich__has_scheme_sep answers as memmem(s, "://") does. */
static void scheme_sep_like_memmem(void **state)
{
    (void)state;
    const char *cases[] = {
        "",       ":",    "://",   "a://",      "https://x", "x:/", "x:/y://", "::://",
        ":/:/:/", "abc:", "abc:/", "p&gclid=1", "a:b:c://d", "//x", "x://"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_str_t c = cn_str_c(cases[i]);
        bool want = c.len >= 3 && memmem(c.ptr, c.len, "://", 3) != NULL;
        assert_int_equal(cn_enrich__has_scheme_sep(c), want);
        /* and on a slice that ends inside the separator */
        if (c.len > 0)
            assert_int_equal(cn_enrich__has_scheme_sep(cn_str(c.ptr, c.len - 1)),
                             c.len - 1 >= 3 && memmem(c.ptr, c.len - 1, "://", 3) != NULL);
    }
    assert_false(cn_enrich__has_scheme_sep(CN_STR_NULL));
}

static void url_split_parts(void **state)
{
    (void)state;
    cn_url_t u;
    assert_int_equal(
        cn_enrich__url_split(CN_STR_LIT("https://user:pw@Host.com:8080/p/q?a=1&b#frag"), &u), 0);
    assert_str(u.scheme, "https");
    assert_str(u.host, "Host.com");
    assert_str(u.path, "/p/q");
    assert_str(u.query, "a=1&b");
    assert_int_equal(cn_enrich__url_split(CN_STR_LIT("//cdn.example.org"), &u), 0);
    assert_str(u.host, "cdn.example.org");
    assert_str(u.path, "");
    assert_int_equal(cn_enrich__url_split(CN_STR_LIT("http://[2001:db8::1]:80/x"), &u), 0);
    assert_str(u.host, "2001:db8::1");
    assert_int_equal(cn_enrich__url_split(CN_STR_LIT("http://example.com.?q"), &u), 0);
    assert_str(u.host, "example.com");
    assert_str(u.query, "q");
    assert_int_equal(cn_enrich__url_split(CN_STR_LIT("http://"), &u), CN_EPARSE);
    assert_int_equal(cn_enrich__url_split(CN_STR_LIT("http://[::1"), &u), CN_EPARSE);
    assert_int_equal(cn_enrich__url_split(CN_STR_LIT("/relative"), &u), CN_EPARSE);
    char buf[8];
    assert_int_equal(cn_enrich__pct_decode(CN_STR_LIT("a%2Bb+c%zz%4"), buf, sizeof(buf)), 8);
    assert_memory_equal(buf, "a+b c%zz", 8);
}

/* --- Campaigns and channels --- */

static void campaign_from_utm_cid_and_v0(void **state)
{
    (void)state;
    cn_campaign_t c;
    cn_enrich_campaign(T,
                       CN_STR_LIT("https://shop.example.com/?utm_source=news&utm_medium=email&"
                                  "utm_campaign=spring%20sale&utm_term=shoes&utm_content=top#x"),
                       CN_STR_NULL, NULL, &c);
    assert_str(c.campaign, "spring sale");
    assert_str(c.utm_source, "news");
    assert_str(c.utm_medium, "email");
    assert_str(c.utm_campaign, "spring sale");
    assert_str(c.utm_term, "shoes");
    assert_str(c.utm_content, "top");
    assert_str(c.click_id, "");
    cn_enrich_campaign(T, CN_STR_LIT("/p?cid=abc123&gclid=XYZ"), CN_STR_NULL, NULL, &c);
    assert_str(c.campaign, "abc123");
    assert_str(c.click_id, "gclid");
    cn_enrich_campaign(T, CN_STR_LIT("utm_campaign=u&cid=c"), CN_STR_LIT(" adobe_cmp "), NULL, &c);
    assert_str(c.campaign, "adobe_cmp");
    assert_str(c.utm_campaign, "u");
    cn_enrich_campaign(T, CN_STR_LIT("https://shop.example.com/p"), CN_STR_NULL, NULL, &c);
    assert_str(c.campaign, "");
    cn_enrich_campaign(T, CN_STR_NULL, CN_STR_NULL, NULL, &c);
    assert_str(c.campaign, "");
}

static cn_str_t channel_of(const char *ref, const char *landing, const cn_suite_conf_t *s)
{
    cn_ref_info_t r;
    cn_campaign_t c;
    cn_enrich_referrer(T, cn_str_c(ref), cn_str_c(landing), s, &r);
    cn_enrich_campaign(T, cn_str_c(landing), CN_STR_NULL, s, &c);
    return cn_enrich_channel(T, s, &r, &c);
}

static bool str_same(cn_str_t a, cn_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* cn_enrich_landing gives what cn_enrich_referrer and cn_enrich_campaign give, and the same
 * channel, including URLs where the campaign sees no query but the referrer sees a click id. */
static void landing_equals_referrer_and_campaign(void **state)
{
    (void)state;
    cn_suite_conf_t s = shop_suite();
    const char *refs[] = {"",
                          "https://www.google.com/search?q=red+shoes",
                          "https://l.facebook.com/",
                          "https://shop.example.com/cart",
                          "https://blog.someone.net/post",
                          "not a url",
                          "https://outlook.live.com/mail/0/",
                          "https://chatgpt.com/"};
    const char *lands[] = {
        "",
        "https://shop.example.com/",
        "https://shop.example.com/?gclid=1&utm_source=g",
        "https://shop.example.com/p&gclid=1",
        "https://shop.example.com/?gclid=&fbclid=x",
        "https://shop.example.com/?utm_medium=cpc&utm_campaign=%20spring%20&cid=c9#gclid=2",
        "/p?cid=abc&msclkid=z",
        "utm_medium=e-mail&li_fat_id=7",
        "gclid=5",
        "https://shop.example.com/?utm_medium=banner&ttclid=1&gclid=2",
        "https:/x&gclid=1",
        "?",
    };
    const char *v0s[] = {NULL, " cmp1 "};
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        for (size_t j = 0; j < sizeof(lands) / sizeof(lands[0]); j++) {
            for (size_t k = 0; k < 2; k++) {
                cn_str_t v0 = v0s[k] ? cn_str_c(v0s[k]) : CN_STR_NULL;
                cn_ref_info_t r1, r2;
                cn_campaign_t c1, c2;
                int rc1 = cn_enrich_referrer(T, cn_str_c(refs[i]), cn_str_c(lands[j]), &s, &r1);
                cn_enrich_campaign(T, cn_str_c(lands[j]), v0, &s, &c1);
                cn_str_t ch1 = cn_enrich_channel(T, &s, &r1, &c1);
                char want[2048];
                snprintf(want, sizeof(want),
                         "%d %d %.*s %.*s %.*s %.*s|%.*s %.*s %.*s %.*s %.*s %s", rc1, (int)r1.type,
                         CN_STR_FMT(r1.domain), CN_STR_FMT(r1.source), CN_STR_FMT(r1.medium),
                         CN_STR_FMT(r1.terms), CN_STR_FMT(c1.campaign), CN_STR_FMT(c1.utm_source),
                         CN_STR_FMT(c1.utm_medium), CN_STR_FMT(c1.utm_campaign),
                         CN_STR_FMT(c1.click_id), ch1.ptr);
                int rc2 =
                    cn_enrich_landing(T, cn_str_c(refs[i]), cn_str_c(lands[j]), v0, &s, &r2, &c2);
                cn_str_t ch2 = cn_enrich_channel(T, &s, &r2, &c2);
                char got[2048];
                snprintf(got, sizeof(got), "%d %d %.*s %.*s %.*s %.*s|%.*s %.*s %.*s %.*s %.*s %s",
                         rc2, (int)r2.type, CN_STR_FMT(r2.domain), CN_STR_FMT(r2.source),
                         CN_STR_FMT(r2.medium), CN_STR_FMT(r2.terms), CN_STR_FMT(c2.campaign),
                         CN_STR_FMT(c2.utm_source), CN_STR_FMT(c2.utm_medium),
                         CN_STR_FMT(c2.utm_campaign), CN_STR_FMT(c2.click_id), ch2.ptr);
                assert_string_equal(got, want);
                assert_true(str_same(c1.utm_term, c2.utm_term));
                assert_true(str_same(c1.utm_content, c2.utm_content));
            }
        }
    }
    /* a URL with a scheme and no '?' has no query: "gclid=1" in its path is no click id, for
     * the referrer as for the campaign */
    cn_ref_info_t r;
    cn_campaign_t c;
    cn_enrich_landing(T, cn_str_c("https://www.google.com/"),
                      cn_str_c("https://shop.example.com/p&gclid=1"), CN_STR_NULL, &s, &r, &c);
    assert_int_equal(r.type, CN_REF_SEARCH);
    assert_str(c.click_id, "");
    cn_enrich_landing(T, cn_str_c("https://www.google.com/"), cn_str_c("/p?x=1&gclid=1#y"),
                      CN_STR_NULL, &s, &r, &c);
    assert_int_equal(r.type, CN_REF_PAID);
    assert_str(c.click_id, "gclid");
}

static void channel_default_rules(void **state)
{
    (void)state;
    cn_suite_conf_t s = shop_suite();
    const char *home = "https://shop.example.com/";
    assert_str(channel_of("https://www.google.com/", "https://shop.example.com/?gclid=1", &s),
               "Paid Search");
    assert_str(channel_of("", "https://shop.example.com/?utm_medium=cpc&utm_source=bing", &s),
               "Paid Search");
    assert_str(channel_of("https://www.google.com/search?q=shoes", home, &s), "Natural Search");
    assert_str(channel_of("https://l.facebook.com/", home, &s), "Social Networks");
    assert_str(channel_of("https://l.facebook.com/", "https://shop.example.com/?fbclid=IwAR", &s),
               "Social Networks");
    assert_str(channel_of("https://outlook.live.com/mail/0/", home, &s), "Email");
    assert_str(channel_of("", "https://shop.example.com/?utm_medium=e-mail&utm_campaign=n1", &s),
               "Email");
    assert_str(channel_of("https://news.site/", "https://shop.example.com/?utm_medium=banner", &s),
               "Display");
    assert_str(channel_of("https://chatgpt.com/", home, &s), "AI Assistants");
    assert_str(channel_of("https://blog.someone.net/post", home, &s), "Referring Domains");
    assert_str(channel_of("https://shop.example.com/cart", home, &s), "Internal");
    assert_str(channel_of("", home, &s), "Direct");
    assert_str(channel_of("", "https://shop.example.com/?cid=x1", &s), "Other Campaigns");
}

/* An enrichment snapshot for conf without the crawler list and the geo databases, and a thread
 * handle on it. */
static cn_enrich_thread_t *open_without_geo(const cn_conf_t *conf, cn_enrich_t **e)
{
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    o.crawlers = o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    o.conf = conf;
    cn_err_t err;
    assert_int_equal(cn_enrich_open(&o, e, &err), 0);
    return cn_enrich_thread_new(*e);
}

/* The channel memo answers what the walk of the rules answers: two suites with different rules
 * over the same key values, more combinations than the memo has slots (evictions and
 * collisions), values too long to keep, and each combination seen many times. */
static void channel_memo_equals_walk(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/enrich/channels-test.conf", getenv("CANTON_SRC"));
    cn_conf_kv_t kv[] = {{"channel_rules", path, 1}, {"campaign_params", "src, cmp", 2}};
    char *domains[] = {"shop.example.com"};
    cn_suite_conf_t suites[2] = {
        {.id = "custom", .domains = domains, .domain_count = 1, .kv = kv, .kv_count = 2},
        {.id = "plain", .domains = domains, .domain_count = 1},
    };
    cn_conf_t conf = {.suites = suites, .suite_count = 2};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    const char *refs[] = {"",
                          "https://www.google.com/search?q=red+shoes",
                          "https://l.facebook.com/",
                          "https://shop.example.com/cart",
                          "https://affiliate.partners.example/x",
                          "https://outlook.live.com/mail/0/",
                          "https://www.bing.com/?q=x"};
    const char *lands[] = {"https://shop.example.com/",
                           "https://shop.example.com/?gclid=1&utm_source=g",
                           "/?cmp=summer&utm_campaign=ignored",
                           "/?utm_medium=cpc&utm_campaign=c%u",
                           "/?utm_medium=e-mail&utm_source=news%u",
                           "/?src=aff&utm_medium=banner&cid=x%u"};
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    size_t walked = 0;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned n = 0; n < 60; n++) {
            for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
                for (size_t j = 0; j < sizeof(lands) / sizeof(lands[0]) + 1; j++) {
                    char land[600];
                    if (j == sizeof(lands) / sizeof(lands[0]))
                        snprintf(land, sizeof(land), "/?utm_medium=cpc&utm_campaign=%s%u", big,
                                 n % 3);
                    else
                        snprintf(land, sizeof(land), lands[j], n % 20);
                    for (size_t si = 0; si < 2; si++) {
                        cn_ref_info_t r;
                        cn_campaign_t c;
                        cn_enrich_landing(t, cn_str_c(refs[i]), cn_str_c(land), CN_STR_NULL,
                                          &suites[si], &r, &c);
                        cn_str_t want = cn_enrich__channel_walk(t, &suites[si], &r, &c);
                        cn_str_t got = cn_enrich_channel(t, &suites[si], &r, &c);
                        assert_string_equal(cstr(got), cstr(want));
                        walked++;
                    }
                }
            }
        }
    }
    assert_true(walked > 3 * CN_ENRICH_CHAN_SLOTS);
    /* the rules of the two suites differ on the same values: the memo keeps them apart */
    cn_ref_info_t r;
    cn_campaign_t c;
    cn_enrich_landing(t, CN_STR_LIT("https://affiliate.partners.example/x"),
                      CN_STR_LIT("/?src=aff&cmp=summer"), CN_STR_NULL, &suites[0], &r, &c);
    cn_str_t a = cn_enrich_channel(t, &suites[0], &r, &c);
    cn_str_t b = cn_enrich_channel(t, &suites[1], &r, &c);
    assert_string_equal(cstr(a), cstr(cn_enrich__channel_walk(t, &suites[0], &r, &c)));
    assert_string_equal(cstr(b), cstr(cn_enrich__channel_walk(t, &suites[1], &r, &c)));
    assert_string_not_equal(cstr(a), cstr(b));
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

/* One visit's source as the full path gives it, without memos, formatted for a compare. */
static void source_text(cn_enrich_thread_t *t, int rc, const cn_ref_info_t *r,
                        const cn_campaign_t *c, cn_str_t ch, char *out, size_t cap)
{
    (void)t;
    snprintf(out, cap, "%d %d %.*s %.*s %.*s %.*s|%.*s %.*s %.*s %.*s %.*s %.*s %.*s|%.*s", rc,
             (int)r->type, CN_STR_FMT(r->domain), CN_STR_FMT(r->source), CN_STR_FMT(r->medium),
             CN_STR_FMT(r->terms), CN_STR_FMT(c->campaign), CN_STR_FMT(c->utm_source),
             CN_STR_FMT(c->utm_medium), CN_STR_FMT(c->utm_campaign), CN_STR_FMT(c->utm_term),
             CN_STR_FMT(c->utm_content), CN_STR_FMT(c->click_id), CN_STR_FMT(ch));
}

static void source_want(cn_enrich_thread_t *t, const char *ref, const char *land, cn_str_t v0,
                        const cn_suite_conf_t *s, char *out, size_t cap)
{
    cn_ref_info_t r;
    cn_campaign_t c;
    int rc = cn_enrich__referrer_nomemo(t, cn_str_c(ref), cn_str_c(land), s, &r);
    cn_enrich__campaign_nomemo(t, cn_str_c(land), v0, s, &c);
    source_text(t, rc, &r, &c, cn_enrich__channel_walk(t, s, &r, &c), out, cap);
}

/* cn_enrich_source answers what the referrer, the campaign and the channel rules answer
 * without their memos: suites with their own rules and campaign parameters, and two suites of
 * one id (one snapshot entry) whose domains differ, so that one key is internal for one and
 * not for the other; more keys than the memo has slots (evictions), click ids, keys too long
 * to keep, unparseable referrers, and each key seen several times. */
static void source_memo_equals_full_path(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/enrich/channels-test.conf", getenv("CANTON_SRC"));
    cn_conf_kv_t kv[] = {{"channel_rules", path, 1}, {"campaign_params", "src, cmp", 2}};
    char *domains[] = {"shop.example.com"};
    char *domains2[] = {"www.partners.example", "shop.example.com"};
    cn_suite_conf_t suites[3] = {
        {.id = "custom", .domains = domains, .domain_count = 1, .kv = kv, .kv_count = 2},
        {.id = "plain", .domains = domains, .domain_count = 1},
        {.id = "plain", .domains = domains2, .domain_count = 2},
    };
    cn_conf_t conf = {.suites = suites, .suite_count = 2};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    const char *refs[] = {"",
                          " https://www.google.com/search?q=red+shoes ",
                          "https://l.facebook.com/",
                          "https://shop.example.com/cart",
                          "https://affiliate.partners.example/x%u",
                          "https://outlook.live.com/mail/%u",
                          "not a url",
                          "https://www.bing.com/?q=x%u"};
    const char *lands[] = {"https://shop.example.com/",
                           "https://shop.example.com/?gclid=%u&utm_source=g",
                           "/?cmp=summer&utm_campaign=ignored",
                           "/?utm_medium=cpc&utm_campaign=c%u",
                           "/?utm_medium=e-mail&utm_source=news%u&utm_term=t&utm_content=x",
                           "/?src=aff&utm_medium=banner&cid=x%u#frag",
                           "https://shop.example.com/p&gclid=1"};
    const char *v0s[] = {NULL, " cmp%u "};
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    size_t calls = 0;
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned n = 0; n < 90; n++) {
            for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
                char ref[100];
                snprintf(ref, sizeof(ref), refs[i], n % 30);
                for (size_t j = 0; j < sizeof(lands) / sizeof(lands[0]) + 1; j++) {
                    char land[600];
                    if (j == sizeof(lands) / sizeof(lands[0]))
                        snprintf(land, sizeof(land), "/?utm_campaign=%s%u", big, n % 3);
                    else
                        snprintf(land, sizeof(land), lands[j], n % 45);
                    for (size_t k = 0; k < 2; k++) {
                        char v0b[40];
                        if (v0s[k] != NULL)
                            snprintf(v0b, sizeof(v0b), v0s[k], n % 2);
                        cn_str_t v0 = v0s[k] != NULL ? cn_str_c(v0b) : CN_STR_NULL;
                        for (size_t si = 0; si < 3; si++) {
                            cn_ref_info_t r;
                            cn_campaign_t c;
                            cn_str_t ch;
                            int rc = cn_enrich_source(t, cn_str_c(ref), cn_str_c(land), v0,
                                                      &suites[si], &r, &c, &ch);
                            char got[2048], want[2048];
                            source_text(t, rc, &r, &c, ch, got, sizeof(got));
                            source_want(t, ref, land, v0, &suites[si], want, sizeof(want));
                            assert_string_equal(got, want);
                            calls++;
                        }
                    }
                }
            }
        }
    }
    cn_enrich_stats_t st;
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.source_lookups, calls);
    assert_true(st.source_hits > calls / 8); /* 15,120 of 69,120 */
    assert_true(calls - st.source_hits > CN_ENRICH_SRC_SLOTS);
    /* one key, two suites of one id: internal where the domain is the suite's own */
    cn_ref_info_t r;
    cn_campaign_t c;
    cn_str_t ch;
    for (int i = 0; i < 2; i++) {
        cn_enrich_source(t, CN_STR_LIT("https://affiliate.partners.example/y"),
                         CN_STR_LIT("/?src=aff"), CN_STR_NULL, &suites[1], &r, &c, &ch);
        assert_int_equal(r.type, CN_REF_OTHER);
        cn_enrich_source(t, CN_STR_LIT("https://affiliate.partners.example/y"),
                         CN_STR_LIT("/?src=aff"), CN_STR_NULL, &suites[2], &r, &c, &ch);
        assert_int_equal(r.type, CN_REF_INTERNAL);
        assert_str(r.medium, "internal");
        assert_str(r.domain, "affiliate.partners.example");
    }
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

/* The visit-source memo keeps a key that comes back; a key with paid click ids is kept masked
 * (their values, new with each click, left out), so that the clicks of one ad share a slot,
 * but not for a suite whose campaign_params name a click id (its value is then the campaign);
 * a handle rebound to a new snapshot starts with an empty memo. */
static void source_memo_keeps_click_ids_masked(void **state)
{
    (void)state;
    cn_conf_kv_t kv[] = {{"campaign_params", "gclid, utm_campaign", 1}};
    cn_suite_conf_t s = shop_suite(), clicks = shop_suite();
    clicks.id = "clicks";
    clicks.kv = kv;
    clicks.kv_count = 1;
    cn_conf_t conf = {.suites = &clicks, .suite_count = 1};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    cn_ref_info_t r;
    cn_campaign_t c;
    cn_str_t ch;
    cn_enrich_stats_t st;
    const char *lands[] = {"/?utm_medium=email&utm_campaign=w47", "/?utm_medium=email&gclid=%d",
                           "/?utm_medium=email&gclid=", "/?utm_medium=email&gclid=%d&fbclid=%d"};
    const char *chans[] = {"Email", "Paid Search", "Email", "Paid Search"};
    const char *ids[] = {"", "gclid", "", "gclid"};
    for (int i = 0; i < 4; i++) {
        for (int n = 0; n < 3; n++) {
            char land[100];
            snprintf(land, sizeof(land), lands[i], 100 + n, 7 * n);
            cn_enrich_source(t, CN_STR_LIT("https://mail.qq.com/"), cn_str_c(land), CN_STR_NULL, &s,
                             &r, &c, &ch);
            assert_str(ch, chans[i]);
            assert_str(c.click_id, ids[i]);
            assert_str(c.utm_campaign, i == 0 ? "w47" : "");
        }
    }
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.source_lookups, 12);
    assert_int_equal(st.source_hits, 8); /* each landing's 2nd and 3rd: other gclid values too */
    /* the suite whose campaign is the gclid's value: every click its own key, none kept */
    for (int n = 0; n < 3; n++) {
        char land[100], want[8];
        snprintf(land, sizeof(land), lands[1], 100 + n % 2);
        snprintf(want, sizeof(want), "%d", 100 + n % 2);
        cn_enrich_source(t, CN_STR_LIT("https://mail.qq.com/"), cn_str_c(land), CN_STR_NULL,
                         &clicks, &r, &c, &ch);
        assert_str(c.campaign, want);
        assert_str(c.click_id, "gclid");
        assert_str(ch, "Paid Search");
    }
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.source_hits, 8);
    cn_enrich_source(t, CN_STR_LIT("https://mail.qq.com/"), cn_str_c(lands[0]), CN_STR_NULL, &s, &r,
                     &c, &ch);
    assert_str(c.utm_campaign, "w47");
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.source_hits, 9);
    cn_enrich_thread_rebind(t, e);
    cn_enrich_source(t, CN_STR_LIT("https://mail.qq.com/"), cn_str_c(lands[0]), CN_STR_NULL, &s, &r,
                     &c, &ch);
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.source_lookups, 1);
    assert_int_equal(st.source_hits, 0);
    assert_str(ch, "Email");
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

/* A landing query of `pairs` pairs drawn by *seed from a pool that has click ids with and
 * without values (and names that only look like one), utm_* fields, campaign parameters, a
 * value that is the mask's own byte, empty pairs and fragments. A click id's value is one of
 * 1,000, the others' one of two. */
static void gen_query(unsigned *seed, unsigned pairs, char *out, size_t cap)
{
    static const char *const clicks[] = {
        "gclid=%u", "gclid=",   "gclid",       "fbclid=IwAR%u", "msclkid=%u", "li_fat_id=%u",
        "epik=e%u", "ScCid=%u", "wbraid=%u&x", "gclid==%u",     "gclid=\x01"};
    static const char *const others[] = {"sccid=%u",         "gcl%%69d=%u",     "=gclid",
                                         "gclid=%%01",       "utm_source=g",    "utm_medium=cpc",
                                         "utm_campaign=c%u", "utm_campaign=",   "cid=aff%u",
                                         "cmp=summer%u",     "src=aff",         "",
                                         "utm_term=t+%u",    "utm_medium=email"};
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < pairs; i++) {
        *seed = *seed * 1103515245u + 12345u;
        unsigned r = *seed >> 8;
        char pair[64];
        if (r & 1)
            snprintf(pair, sizeof(pair), clicks[r / 2 % (sizeof(clicks) / sizeof(clicks[0]))],
                     r / 64 % 1000);
        else
            snprintf(pair, sizeof(pair), others[r / 2 % (sizeof(others) / sizeof(others[0]))],
                     r / 64 % 2);
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i > 0 ? "&" : "", pair);
    }
    *seed = *seed * 1103515245u + 12345u;
    unsigned tail = *seed >> 8 & 7;
    if (tail == 0)
        snprintf(out + n, cap - n, "&");
    else if (tail == 1)
        snprintf(out + n, cap - n, "#f&gclid=%u", *seed >> 12 & 3);
}

/* The masked keys (cn_enrich_source keeps a query with click ids without their values) answer
 * what the full path answers without memos, over generated landing queries: click ids with
 * and without values, several per query, names that only look like one, the mask's own byte
 * as a value, fragments; three suites, one whose campaign_params name gclid (no masking).
 * Click-id queries are answered from the memo, which the old memo never did. */
static void source_memo_masked_equals_full_path(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/enrich/channels-test.conf", getenv("CANTON_SRC"));
    cn_conf_kv_t kv[] = {{"channel_rules", path, 1}, {"campaign_params", "src, cmp", 2}};
    cn_conf_kv_t kv2[] = {{"campaign_params", "utm_source, gclid, cmp", 1}};
    char *domains[] = {"shop.example.com"};
    cn_suite_conf_t suites[3] = {
        {.id = "custom", .domains = domains, .domain_count = 1, .kv = kv, .kv_count = 2},
        {.id = "plain", .domains = domains, .domain_count = 1},
        {.id = "clicks", .domains = domains, .domain_count = 1, .kv = kv2, .kv_count = 1},
    };
    cn_conf_t conf = {.suites = suites, .suite_count = 3};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    const char *refs[] = {"", "https://www.google.com/", "https://www.bing.com/search?q=tea",
                          "https://shop.example.com/x", "https://l.facebook.com/"};
    const char *prefixes[] = {"https://shop.example.com/p?", "/?", "", "https://shop.example.com/"};
    unsigned seed = 7;
    size_t calls = 0, click_calls = 0, click_hits = 0;
    for (unsigned n = 0; n < 12000; n++) {
        char q[400], land[500];
        gen_query(&seed, 1 + n % 3, q, sizeof(q));
        snprintf(land, sizeof(land), "%s%s", prefixes[n / 5 % 4], q);
        const char *ref = refs[n / 20 % 5];
        cn_str_t v0 = n % 7 == 0 ? CN_STR_LIT(" v0 ") : CN_STR_NULL;
        const cn_suite_conf_t *s = &suites[n % 3];
        cn_enrich_stats_t before, after;
        cn_enrich_thread_stats(t, &before);
        cn_ref_info_t r;
        cn_campaign_t c;
        cn_str_t ch;
        int rc = cn_enrich_source(t, cn_str_c(ref), cn_str_c(land), v0, s, &r, &c, &ch);
        cn_enrich_thread_stats(t, &after);
        char got[2048], want[2048];
        source_text(t, rc, &r, &c, ch, got, sizeof(got));
        source_want(t, ref, land, v0, s, want, sizeof(want));
        assert_string_equal(got, want);
        calls++;
        if (c.click_id.len > 0) {
            click_calls++;
            click_hits += after.source_hits - before.source_hits;
        }
    }
    cn_enrich_stats_t st;
    cn_enrich_thread_stats(t, &st);
    assert_int_equal(st.source_lookups, calls);
    assert_true(click_calls > calls / 4);
    assert_true(click_hits > click_calls / 4); /* the old memo: none */
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

/* One visit's enrichment as processing asks for it (cn_enrich_prefetch first when pf), as
 * text for a compare. */
static void visit_text(cn_enrich_thread_t *t, bool pf, char *ua, char *ip, char *ref, char *land,
                       char *out, size_t cap)
{
    cn_str_t u = cn_str_c(ua), i = cn_str_c(ip), r = cn_str_c(ref), l = cn_str_c(land);
    if (pf)
        cn_enrich_prefetch(t, u, i);
    cn_ua_info_t ui;
    cn_enrich_ua(t, u, &ui);
    cn_geo_t g;
    char text[CN_ENRICH_IP_TEXT_CAP];
    size_t text_len;
    int grc = cn_enrich_geo_ip_text(t, i, false, &g, text, &text_len);
    cn_ref_info_t ri;
    cn_campaign_t c;
    cn_str_t ch;
    int rc = cn_enrich_source(t, r, l, CN_STR_NULL, NULL, &ri, &c, &ch);
    snprintf(out, cap, "%.*s %.*s %d|%d %.*s %.*s %.*s %.*s|%d %d %.*s %.*s %.*s|%.*s %.*s",
             CN_STR_FMT(ui.browser), CN_STR_FMT(ui.os), (int)ui.type, grc, CN_STR_FMT(g.country),
             CN_STR_FMT(g.region), CN_STR_FMT(g.city), (int)text_len, text, rc, (int)ri.type,
             CN_STR_FMT(ri.domain), CN_STR_FMT(ri.terms), CN_STR_FMT(c.utm_campaign),
             CN_STR_FMT(c.click_id), CN_STR_FMT(ch));
}

/* cn_enrich_prefetch changes no answer: not when the calls that follow read the same inputs,
 * not when they read other ones, and not when the bytes it read were changed in place before
 * them (the hashes it kept are then stale: they may only pick another place to look). */
static void prefetch_changes_no_answer(void **state)
{
    (void)state;
    cn_enrich_thread_t *t = cn_enrich_thread_new(E), *plain = cn_enrich_thread_new(E);
    const char *uas[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        "curl/8.0"};
    const char *ips[] = {"81.2.69.160", "81.2.69.1", "2001:db8::1", "175.16.199.7", "x"};
    const char *refs[] = {"", "https://www.google.com/search?q=tea", "https://shop.example.com/"};
    const char *lands[] = {"https://shop.example.com/", "/?utm_campaign=w47&utm_medium=email",
                           "/?a?utm_campaign=b"};
    char want[1024], got[1024];
    for (int round = 0; round < 2; round++) {
        for (size_t a = 0; a < 3; a++) {
            for (size_t b = 0; b < 5; b++) {
                for (size_t c = 0; c < 3; c++) {
                    for (size_t d = 0; d < 3; d++) {
                        char ua[300], ip[40], ref[100], land[100];
                        snprintf(ua, sizeof(ua), "%s", uas[a]);
                        snprintf(ip, sizeof(ip), "%s", ips[b]);
                        snprintf(ref, sizeof(ref), "%s", refs[c]);
                        snprintf(land, sizeof(land), "%s", lands[d]);
                        visit_text(plain, false, ua, ip, ref, land, want, sizeof(want));
                        visit_text(t, true, ua, ip, ref, land, got, sizeof(got));
                        assert_string_equal(got, want);
                        /* prefetch one visit, then change its bytes in place (same lengths)
                         * and ask for the changed one */
                        cn_enrich_prefetch(t, cn_str_c(ua), cn_str_c(ip));
                        snprintf(ua, sizeof(ua), "%s", uas[(a + 1) % 3]);
                        snprintf(ip, sizeof(ip), "%s", ips[(b + 1) % 5]);
                        snprintf(ref, sizeof(ref), "%s", refs[(c + 1) % 3]);
                        snprintf(land, sizeof(land), "%s", lands[(d + 1) % 3]);
                        visit_text(plain, false, ua, ip, ref, land, want, sizeof(want));
                        visit_text(t, false, ua, ip, ref, land, got, sizeof(got));
                        assert_string_equal(got, want);
                    }
                }
            }
        }
    }
    /* changed in place to other bytes of the same lengths: the same slices, other answers */
    char ua[] = "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0.0.0", ip[] = "81.2.69.160",
         ref[] = "https://www.google.com/", land[] = "/x?utm_campaign=ab";
    for (int n = 0; n < 2; n++) {
        cn_enrich_prefetch(t, cn_str_c(ua), cn_str_c(ip));
        memcpy(ua, "Mozilla/5.0 (Macintosh; Mac) Firefox/131.0.0.00", sizeof(ua) - 1);
        memcpy(ip, "175.16.199.", sizeof(ip) - 1);
        memcpy(ref, "https://www.bing.co.uk/", sizeof(ref) - 1);
        memcpy(land, "/?xutm_campaign=ab", sizeof(land) - 1);
        visit_text(plain, false, ua, ip, ref, land, want, sizeof(want));
        visit_text(t, false, ua, ip, ref, land, got, sizeof(got));
        assert_string_equal(got, want);
        memcpy(ua, "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0.0.0", sizeof(ua) - 1);
        memcpy(ip, "81.2.69.160", sizeof(ip) - 1);
        memcpy(ref, "https://www.google.com/", sizeof(ref) - 1);
        memcpy(land, "/x?utm_campaign=ab", sizeof(land) - 1);
    }
    /* the same bytes at another address take the prefetched parse of the IP */
    char ip1[16] = "81.2.69.160", ip2[16] = "81.2.69.160";
    cn_enrich_prefetch(t, CN_STR_LIT("curl/8.0"), cn_str_c(ip1));
    visit_text(t, false, "curl/8.0", ip2, "", "", got, sizeof(got));
    visit_text(plain, false, "curl/8.0", ip2, "", "", want, sizeof(want));
    assert_string_equal(got, want);
    /* a rebind between the prefetch and the lookup: what it kept (the geo sets it found) was
     * the old tables' and is not taken */
    cn_enrich_prefetch(t, CN_STR_LIT("curl/8.0"), cn_str_c(ip1));
    cn_enrich_thread_rebind(t, E);
    visit_text(t, false, "curl/8.0", ip2, "", "", got, sizeof(got));
    assert_string_equal(got, want);
    cn_enrich_thread_free(t);
    cn_enrich_thread_free(plain);
}

/* The referrer memo answers what classifying anew answers, through cn_enrich_referrer and
 * cn_enrich_landing: internal, search with terms, social, unknown, unparseable and too-long
 * referrers, landing URLs with and without click ids, three suites (own domains and lists
 * differ), more referrers than slots, each seen many times. */
static void referrer_memo_equals_classifying(void **state)
{
    (void)state;
    char refs_path[4096];
    snprintf(refs_path, sizeof(refs_path), "%s/tests/data/enrich/referers-suite.yml",
             getenv("CANTON_SRC"));
    cn_conf_kv_t kv[] = {{"referer_list", refs_path, 1}};
    char *domains0[] = {"partner-shop.example", "shop.example.com"};
    char *domains1[] = {"www.example.cn"};
    cn_suite_conf_t suites[2] = {
        {.id = "custom", .domains = domains0, .domain_count = 2, .kv = kv, .kv_count = 1},
        {.id = "plain", .domains = domains1, .domain_count = 1},
    };
    cn_conf_t conf = {.suites = suites, .suite_count = 2};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    const char *refs[] = {"",
                          "  ",
                          "https://www.google.com/search?q=red+shoes%20x&hl=en",
                          "https://www.google.com/search?q=%u",
                          "https://www.bing.com/?q=x",
                          "https://l.facebook.com/",
                          "https://shop.example.com/cart",
                          "https://www.example.cn/p",
                          "https://affiliate.partners.example/x",
                          "https://chatgpt.com/",
                          "https://blog%u.someone.net/post",
                          "not a url",
                          " https://WWW.Google.COM/ ",
                          "//x.example/",
                          "https://[::1]/x",
                          "https://outlook.live.com/mail/0/"};
    const char *lands[] = {"", "https://shop.example.com/", "https://shop.example.com/?gclid=1",
                           "/p?x=1&msclkid=z", "utm_medium=cpc&fbclid=2"};
    char big[500];
    snprintf(big, sizeof(big), "https://www.google.com/search?q=%0400d", 7);
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned n = 0; n < 150; n++) {
            for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]) + 1; i++) {
                char ref[600];
                if (i == sizeof(refs) / sizeof(refs[0]))
                    snprintf(ref, sizeof(ref), "%s", big);
                else
                    snprintf(ref, sizeof(ref), refs[i], n % 97);
                for (size_t j = 0; j < sizeof(lands) / sizeof(lands[0]); j++) {
                    for (size_t si = 0; si < 3; si++) {
                        const cn_suite_conf_t *s = si < 2 ? &suites[si] : NULL;
                        cn_ref_info_t want, got;
                        int rcw = cn_enrich__referrer_nomemo(t, cn_str_c(ref), cn_str_c(lands[j]),
                                                             s, &want);
                        char wbuf[2048];
                        snprintf(wbuf, sizeof(wbuf), "%d %d %.*s|%.*s|%.*s|%.*s", rcw,
                                 (int)want.type, CN_STR_FMT(want.domain), CN_STR_FMT(want.source),
                                 CN_STR_FMT(want.medium), CN_STR_FMT(want.terms));
                        int rcg = cn_enrich_referrer(t, cn_str_c(ref), cn_str_c(lands[j]), s, &got);
                        char gbuf[2048];
                        snprintf(gbuf, sizeof(gbuf), "%d %d %.*s|%.*s|%.*s|%.*s", rcg,
                                 (int)got.type, CN_STR_FMT(got.domain), CN_STR_FMT(got.source),
                                 CN_STR_FMT(got.medium), CN_STR_FMT(got.terms));
                        assert_string_equal(gbuf, wbuf);
                        cn_campaign_t c;
                        rcg = cn_enrich_landing(t, cn_str_c(ref), cn_str_c(lands[j]), CN_STR_NULL,
                                                s, &got, &c);
                        snprintf(gbuf, sizeof(gbuf), "%d %d %.*s|%.*s|%.*s|%.*s", rcg,
                                 (int)got.type, CN_STR_FMT(got.domain), CN_STR_FMT(got.source),
                                 CN_STR_FMT(got.medium), CN_STR_FMT(got.terms));
                        assert_string_equal(gbuf, wbuf);
                    }
                }
            }
        }
    }
    /* the same referrer is internal for one suite and not for the other */
    cn_ref_info_t a, b;
    cn_enrich_referrer(t, CN_STR_LIT("https://www.example.cn/p"), CN_STR_LIT("/?gclid=1"),
                       &suites[1], &a);
    cn_enrich_referrer(t, CN_STR_LIT("https://www.example.cn/p"), CN_STR_LIT("/?gclid=1"),
                       &suites[0], &b);
    assert_int_equal(a.type, CN_REF_INTERNAL);
    assert_int_equal(b.type, CN_REF_PAID);
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

static void camp_text(const cn_campaign_t *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s|%.*s|%.*s|%.*s|%.*s|%.*s|%.*s", CN_STR_FMT(c->campaign),
             CN_STR_FMT(c->utm_source), CN_STR_FMT(c->utm_medium), CN_STR_FMT(c->utm_campaign),
             CN_STR_FMT(c->utm_term), CN_STR_FMT(c->utm_content), CN_STR_FMT(c->click_id));
}

/* The campaign memo answers what reading the query anew answers: utm_* fields, campaign
 * parameters of a suite and the defaults, v0 (blank, set, too long to keep), click ids,
 * fragments, percent-escapes, bare queries, more queries than slots, each seen many times. */
static void campaign_memo_equals_reading(void **state)
{
    (void)state;
    cn_conf_kv_t kv[] = {{"campaign_params", "src, cmp", 1}};
    /* more parameters than the one walk of the query looks for, utm_* fields among them, one
     * twice */
    cn_conf_kv_t many[] = {
        {"campaign_params", "x1, utm_term, cmp, x2, x3, x4, cmp, x5, x6, utm_medium, src", 1}};
    cn_suite_conf_t suites[3] = {{.id = "custom", .kv = kv, .kv_count = 1},
                                 {.id = "plain"},
                                 {.id = "many", .kv = many, .kv_count = 1}};
    cn_conf_t conf = {.suites = suites, .suite_count = 3};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    const char *lands[] = {"",
                           "/?cmp=+&cmp=later%u&src=s&x6=six",
                           "/?utm_term=%%20&x5=&src=a%u&utm_term=t2&cmp=%%20",
                           "/?utm_medium=m%u&src=s&utm_campaign=",
                           "/?x6=six%u&x5=five",
                           "https://shop.example.com/",
                           "https://shop.example.com/?utm_source=g&utm_medium=cpc&utm_campaign=c%u",
                           "https://shop.example.com/?cid=aff_%u",
                           "/?cmp=summer%u&utm_campaign=ignored&src=s",
                           "/p?src=&cmp=&cid=x&gclid=%u",
                           "utm_medium=e-mail&utm_term=%%20shoes%%20&utm_content=top+%u",
                           "https://shop.example.com/?fbclid=&msclkid=z%u#utm_source=no",
                           "?",
                           "https://shop.example.com/p?utm_campaign=%%E4%%B9%%8C%u&x=1"};
    char big_v0[700];
    memset(big_v0, 'v', sizeof(big_v0) - 1);
    big_v0[sizeof(big_v0) - 1] = 0;
    const char *v0s[] = {NULL, "", "  ", " brand_search ", big_v0};
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned n = 0; n < 120; n++) {
            for (size_t i = 0; i < sizeof(lands) / sizeof(lands[0]) + 1; i++) {
                char land[1200];
                if (i == sizeof(lands) / sizeof(lands[0]))
                    snprintf(land, sizeof(land), "/?utm_campaign=%s%u", big_v0, n % 2);
                else
                    snprintf(land, sizeof(land), lands[i], n % 70);
                for (size_t k = 0; k < sizeof(v0s) / sizeof(v0s[0]); k++) {
                    cn_str_t v0 = v0s[k] ? cn_str_c(v0s[k]) : CN_STR_NULL;
                    for (size_t si = 0; si < 4; si++) {
                        const cn_suite_conf_t *s = si < 3 ? &suites[si] : NULL;
                        cn_campaign_t want, got;
                        char wbuf[4096], gbuf[4096];
                        /* a walk per parameter, then the one walk, then through the memo */
                        cn_enrich__campaign_slow(t, cn_str_c(land), v0, s, &want);
                        camp_text(&want, wbuf, sizeof(wbuf));
                        cn_enrich__campaign_nomemo(t, cn_str_c(land), v0, s, &got);
                        camp_text(&got, gbuf, sizeof(gbuf));
                        assert_string_equal(gbuf, wbuf);
                        cn_enrich_campaign(t, cn_str_c(land), v0, s, &got);
                        camp_text(&got, gbuf, sizeof(gbuf));
                        assert_string_equal(gbuf, wbuf);
                    }
                }
            }
        }
    }
    /* the same query reads differently for a suite with its own campaign parameters */
    cn_campaign_t a, b;
    cn_enrich_campaign(t, CN_STR_LIT("/?cmp=summer&cid=c1"), CN_STR_NULL, &suites[0], &a);
    cn_enrich_campaign(t, CN_STR_LIT("/?cmp=summer&cid=c1"), CN_STR_NULL, &suites[0], &a);
    assert_str(a.campaign, "summer");
    cn_enrich_campaign(t, CN_STR_LIT("/?cmp=summer&cid=c1"), CN_STR_NULL, &suites[1], &b);
    assert_str(b.campaign, "c1");
    /* the first parameter with a value wins, wherever it stands in the query; an empty or
     * blank value does not count */
    cn_enrich_campaign(t, CN_STR_LIT("/?src=s1&x6=six&cmp=%20&x5=five&cmp=c2"), CN_STR_NULL,
                       &suites[2], &a);
    assert_str(a.campaign, "c2");
    cn_enrich_campaign(t, CN_STR_LIT("/?src=s1&utm_medium=m&x6=six"), CN_STR_NULL, &suites[2], &a);
    assert_str(a.campaign, "six");
    cn_enrich_campaign(t, CN_STR_LIT("/?src=s1&utm_medium=m"), CN_STR_NULL, &suites[2], &a);
    assert_str(a.campaign, "m");
    cn_enrich_campaign(t, CN_STR_LIT("/?src=s1&utm_term=+t+"), CN_STR_NULL, &suites[2], &a);
    assert_str(a.campaign, "t");
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

/* cn_enrich__ipv4_parse answers as inet_pton(AF_INET) does: chosen edge cases, then random
 * strings over digits, dots and a few other characters. */
static void ipv4_parse_equals_inet_pton(void **state)
{
    (void)state;
    const char *cases[] = {"1.2.3.4",        "0.0.0.0",    "255.255.255.255", "256.1.1.1",
                           "01.2.3.4",       "1.2.3.04",   "1.2.3",           "1.2.3.4.",
                           ".1.2.3.4",       "1..2.3",     "1.2.3.4.5",       "",
                           "1.2.3.4 ",       " 1.2.3.4",   "1.2.3.-4",        "::1",
                           "::ffff:1.2.3.4", "0.00.0.0",   "192.168.001.1",   "1.2.3.999",
                           "1.2.3.25a",      "4294967296", "10.0.0.255",      "100.200.250.199"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t a[16] = {0}, b[16] = {0};
        int want = inet_pton(AF_INET, cases[i], a);
        int got = cn_enrich__ipv4_parse(cases[i], b);
        assert_int_equal(got, want);
        if (want == 1)
            assert_memory_equal(a, b, 4);
    }
    /* 3 to 5 groups of 0 to 4 characters, mostly digits, joined mostly by dots */
    const char alpha[] = "01234567890123456789012345678901234567890123456789.:x ";
    const char seps[] = "........:x";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t ok = 0;
    for (int n = 0; n < 300000; n++) {
        char s[40];
        size_t len = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned groups = 3 + (unsigned)(x % 3);
        for (unsigned g = 0; g < groups; g++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (g > 0)
                s[len++] = seps[x % (sizeof(seps) - 1)];
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned glen = (unsigned)(x % 5);
            for (unsigned i = 0; i < glen; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                s[len++] = alpha[x % (sizeof(alpha) - 1)];
            }
        }
        s[len] = 0;
        uint8_t a[16] = {0}, b[16] = {0};
        int want = inet_pton(AF_INET, s, a);
        int got = cn_enrich__ipv4_parse(s, b);
        if (got != want)
            fail_msg("'%s': inet_pton %d, ours %d", s, want, got);
        if (want == 1) {
            assert_memory_equal(a, b, 4);
            ok++;
        }
    }
    assert_true(ok > 1000); /* the random strings do hold addresses */
}

static void channel_and_campaign_params_per_suite(void **state)
{
    (void)state;
    char path[4096], refs[4096];
    snprintf(path, sizeof(path), "%s/tests/data/enrich/channels-test.conf", getenv("CANTON_SRC"));
    snprintf(refs, sizeof(refs), "%s/tests/data/enrich/referers-suite.yml", getenv("CANTON_SRC"));
    cn_conf_kv_t kv[] = {
        {"channel_rules", path, 1}, {"campaign_params", "src, cmp", 2}, {"referer_list", refs, 3}};
    char *domains[] = {"partner-shop.example"};
    cn_suite_conf_t suites[2] = {
        {.id = "custom", .domains = domains, .domain_count = 1, .kv = kv, .kv_count = 3},
        {.id = "plain"},
    };
    cn_conf_t conf = {.suites = suites, .suite_count = 2};
    cn_enrich_t *e;
    cn_enrich_thread_t *t = open_without_geo(&conf, &e);
    cn_ref_info_t r;
    cn_campaign_t c;
    cn_enrich_referrer(t, CN_STR_LIT("https://affiliate.partners.example/x"), CN_STR_NULL,
                       &suites[0], &r);
    cn_enrich_campaign(t, CN_STR_LIT("/?cmp=summer&utm_campaign=ignored"), CN_STR_NULL, &suites[0],
                       &c);
    assert_str(c.campaign, "summer");
    assert_str(cn_enrich_channel(t, &suites[0], &r, &c), "Affiliates");
    /* the suite's referer_list comes first, then the global lists */
    assert_int_equal(r.type, CN_REF_SOCIAL);
    assert_str(r.source, "Partner Network");
    cn_enrich_referrer(t, CN_STR_LIT("https://chatgpt.com/"), CN_STR_NULL, &suites[0], &r);
    assert_str(r.source, "Chat Test");
    assert_str(r.medium, "unknown");
    cn_enrich_referrer(t, CN_STR_LIT("https://chatgpt.com/"), CN_STR_NULL, &suites[1], &r);
    assert_str(r.source, "ChatGPT");
    cn_enrich_referrer(t, CN_STR_LIT("https://www.bing.com/?q=x"), CN_STR_NULL, &suites[0], &r);
    assert_str(r.source, "Bing");
    cn_enrich_referrer(t, CN_STR_LIT("https://www.google.com/"), CN_STR_NULL, &suites[0], &r);
    assert_str(cn_enrich_channel(t, &suites[0], &r, &c), "Everything Else");
    /* the other suite keeps the defaults */
    cn_enrich_campaign(t, CN_STR_LIT("/?cmp=summer&utm_campaign=u"), CN_STR_NULL, &suites[1], &c);
    assert_str(c.campaign, "u");
    assert_str(cn_enrich_channel(t, &suites[1], &r, &c), "Natural Search");
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

/* A regex condition on an empty value (most visits have no utm_medium) is
 * answered as the regex answers "", for = and !~ alike. */
static void channel_regex_on_empty_values(void **state)
{
    (void)state;
    char path[] = "/tmp/cn-test-chan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *rules = "A: utm_medium~/^a/ & ref_type=none\n"
                        "B: utm_medium!~/^a/ & ref_type=none\n"
                        "C: utm_medium~/^(x|)$/ & ref_type=internal\n"
                        "D: ref_type=internal\n";
    assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t)strlen(rules));
    close(fd);
    cn_conf_kv_t kv[] = {{"channel_rules", path, 1}};
    char *domains[] = {"shop.example.com"};
    cn_suite_conf_t suite = {
        .id = "shop", .domains = domains, .domain_count = 1, .kv = kv, .kv_count = 1};
    cn_conf_t conf = {.suites = &suite, .suite_count = 1};
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    o.crawlers = o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    o.conf = &conf;
    cn_enrich_t *e;
    cn_err_t err;
    assert_int_equal(cn_enrich_open(&o, &e, &err), 0);
    unlink(path);
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);
    static const struct {
        const char *ref, *landing, *want;
    } cases[] = {
        {"", "https://shop.example.com/", "B"},
        {"", "https://shop.example.com/?utm_medium=abc", "A"},
        {"", "https://shop.example.com/?utm_medium=b", "B"},
        {"https://shop.example.com/cart", "https://shop.example.com/", "C"},
        {"https://shop.example.com/cart", "https://shop.example.com/?utm_medium=x", "C"},
        {"https://shop.example.com/cart", "https://shop.example.com/?utm_medium=y", "D"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_ref_info_t r;
        cn_campaign_t c;
        cn_enrich_referrer(t, cn_str_c(cases[i].ref), cn_str_c(cases[i].landing), &suite, &r);
        cn_enrich_campaign(t, cn_str_c(cases[i].landing), CN_STR_NULL, &suite, &c);
        assert_str(cn_enrich_channel(t, &suite, &r, &c), cases[i].want);
    }
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
}

static void channel_rules_errors_name_the_line(void **state)
{
    (void)state;
    cn_chanrules_t *c;
    cn_err_t err;
    const char *bad_key = "# x\nA: ref_type=none\nB: colour=red\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", bad_key, strlen(bad_key), &c, &err),
                     CN_ECONFIG);
    assert_non_null(strstr(err.msg, "r.conf:3:"));
    const char *bad_re = "A: utm_medium~/(/\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", bad_re, strlen(bad_re), &c, &err),
                     CN_ECONFIG);
    const char *no_colon = "just words\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", no_colon, strlen(no_colon), &c, &err),
                     CN_ECONFIG);
    const char *empty = "# nothing\n\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", empty, strlen(empty), &c, &err),
                     CN_ECONFIG);
    const char *ok = "X: utm_medium!~/^a/ & ref_type!=none,internal | campaign?\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", ok, strlen(ok), &c, &err), 0);
    cn_enrich__chanrules_free(c);
}

/* ref_type and click_id take a fixed set of values: another value (or a regex matching none of
 * them) never matches, so it is refused at load with the line, the value and the known values. */
static void channel_rules_refuse_unknown_values(void **state)
{
    (void)state;
    cn_chanrules_t *c;
    cn_err_t err;
    const char *bogus = "A: ref_type=search\n\nB: utm_medium=x | ref_type=Social,bogus\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", bogus, strlen(bogus), &c, &err),
                     CN_ECONFIG);
    assert_string_equal(err.msg, "r.conf:3: unknown ref_type \"bogus\" (known: none, internal, "
                                 "search, social, email, paid, other)");
    const char *ne = "A: ref_type!=none,direct\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", ne, strlen(ne), &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "r.conf:1: unknown ref_type \"direct\" (known: none, internal, "
                                 "search, social, email, paid, other)");
    const char *click = "A: click_id=gclid,gclidd\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", click, strlen(click), &c, &err),
                     CN_ECONFIG);
    assert_string_equal(err.msg,
                        "r.conf:1: unknown click_id \"gclidd\" (known: gclid, gbraid, "
                        "wbraid, dclid, msclkid, fbclid, ttclid, twclid, li_fat_id, yclid, "
                        "ScCid, epik)");
    const char *empty = "A: ref_type=paid,\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", empty, strlen(empty), &c, &err),
                     CN_ECONFIG);
    assert_string_equal(err.msg, "r.conf:1: empty value in ref_type= (known: none, internal, "
                                 "search, social, email, paid, other; ref_type? tests for a "
                                 "value, ref_type! for none)");
    const char *re = "A: campaign? & ref_type~/^(organic|seo)$/\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", re, strlen(re), &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "r.conf:1: ref_type regex matches none of the known values "
                                 "(none, internal, search, social, email, paid, other)");
    const char *key = "A: refType=search\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", key, strlen(key), &c, &err), CN_ECONFIG);
    assert_string_equal(err.msg, "r.conf:1: unknown key \"refType\" (ref_type, ref_medium, "
                                 "ref_source, ref_domain, campaign, utm_source, utm_medium, "
                                 "utm_campaign, click_id)");
    /* known values in any case, regexes matching one, click_id~ matching no click id, and the
     * free-text keys (ref_medium takes the referrer list's media, which a suite may extend) */
    const char *ok = "A: ref_type=SEARCH,paid & click_id!=GCLID | ref_type!~/^(none|internal)$/\n"
                     "B: click_id~/^$/ & ref_medium=ai,anything & utm_medium=whatever\n";
    assert_int_equal(cn_enrich__chanrules_parse("r.conf", ok, strlen(ok), &c, &err), 0);
    cn_enrich__chanrules_free(c);
    /* the default rules pass their own check */
    assert_int_equal(cn_enrich__chanrules_parse("d", cn_enrich__default_channel_rules,
                                                strlen(cn_enrich__default_channel_rules), &c, &err),
                     0);
    cn_enrich__chanrules_free(c);
}

int main(int argc, char **argv)
{
    test_mmdb = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ua_chrome_windows_is_desktop),
        cmocka_unit_test(ua_iphone_safari_is_mobile),
        cmocka_unit_test(ua_ipad_is_tablet),
        cmocka_unit_test(ua_android_without_mobile_is_tablet),
        cmocka_unit_test(ua_android_phone_is_mobile),
        cmocka_unit_test(ua_mac_firefox_is_desktop),
        cmocka_unit_test(ua_tv_and_console_are_other),
        cmocka_unit_test(ua_unknown_is_other),
        cmocka_unit_test(ua_names_are_valid_utf8),
        cmocka_unit_test(bot_googlebot_has_list_tag),
        cmocka_unit_test(bot_http_libraries_and_headless),
        cmocka_unit_test(bot_empty_ua),
        cmocka_unit_test(bot_digit_pattern_not_inside_version),
        cmocka_unit_test(bot_prefilter_agrees_with_alternation),
        cmocka_unit_test(litidx_needs_every_set),
        cmocka_unit_test(ua_cache_hit_returns_same_strings),
        cmocka_unit_test(ua_strings_survive_eviction),
        cmocka_unit_test(threads_share_one_snapshot),
        cmocka_unit_test(reload_rebinds_to_a_new_snapshot),
        cmocka_unit_test(regexes_jit_compiled_when_first_run),
        cmocka_unit_test(threads_make_jit_code_once),
        cmocka_unit_test(contains_like_memmem),
        cmocka_unit_test(device_names),
        cmocka_unit_test(open_reports_missing_file),
        cmocka_unit_test(geo_ipv4_dbip_layout),
        cmocka_unit_test(geo_ipv6_and_mapped),
        cmocka_unit_test(geo_private_and_invalid),
        cmocka_unit_test(geo_cache_agrees_with_lookups),
        cmocka_unit_test(geo_str_equals_geo),
        cmocka_unit_test(geo_geolite2_layout),
        cmocka_unit_test(anonymize_ip),
        cmocka_unit_test(referrer_search_with_terms),
        cmocka_unit_test(referrer_social_email_ai_other),
        cmocka_unit_test(referrer_internal_paid_none_bad),
        cmocka_unit_test(url_split_parts),
        cmocka_unit_test(scheme_sep_like_memmem),
        cmocka_unit_test(campaign_from_utm_cid_and_v0),
        cmocka_unit_test(channel_default_rules),
        cmocka_unit_test(landing_equals_referrer_and_campaign),
        cmocka_unit_test(channel_and_campaign_params_per_suite),
        cmocka_unit_test(channel_memo_equals_walk),
        cmocka_unit_test(source_memo_equals_full_path),
        cmocka_unit_test(source_memo_keeps_click_ids_masked),
        cmocka_unit_test(source_memo_masked_equals_full_path),
        cmocka_unit_test(prefetch_changes_no_answer),
        cmocka_unit_test(ipv4_parse_equals_inet_pton),
        cmocka_unit_test(referrer_memo_equals_classifying),
        cmocka_unit_test(campaign_memo_equals_reading),
        cmocka_unit_test(channel_rules_errors_name_the_line),
        cmocka_unit_test(channel_rules_refuse_unknown_values),
        cmocka_unit_test(channel_regex_on_empty_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
