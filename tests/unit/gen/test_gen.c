/* SPDX-License-Identifier: Apache-2.0 */
/*
 * canton gen: the same seed gives the same bytes, another seed other bytes;
 * a small run has the shape of real shop traffic (purchase rate, bots,
 * returning visitors, currencies, time order); every Adobe request has
 * AQB/AQE and decodes, every canton JSON body is valid and uses the v1
 * vocabulary; access-log output has the mix the import benchmark needs.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#include <cmocka.h>

#define DAY_US ((int64_t)86400 * 1000000)

/* 2026-11-09 00:00 UTC: a week that runs into Singles' Day. */
#define FROM_US ((int64_t)1794182400 * 1000000)

static cn_gen_opts_t small_opts(uint64_t seed)
{
    cn_gen_opts_t o;
    cn_gen_opts_init(&o);
    o.seed = seed;
    o.suite = "demo";
    o.from_us = FROM_US;
    o.to_us = FROM_US + 2 * DAY_US;
    o.visits_per_day = 3000;
    return o;
}

/* Renders a whole run as JSON lines into out. */
static uint64_t run_json(const cn_gen_opts_t *o, cn_buf_t *out)
{
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(o, &g, NULL), 0);
    cn_gen_hit_t h;
    uint64_t n = 0;
    while (cn_gen_next(g, &h) == 1) {
        if (o->mode == CN_GEN_ACCESS_LOG)
            cn_gen_format_nginx(&h, out);
        else
            cn_gen_format_json(&h, ++n, out);
    }
    cn_gen_free(g);
    return n;
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    cn_gen_opts_t o = small_opts(7);
    cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT, c = CN_BUF_INIT;
    uint64_t na = run_json(&o, &a);
    uint64_t nb = run_json(&o, &b);
    assert_true(na > 5000);
    assert_int_equal(na, nb);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    o.seed = 8;
    run_json(&o, &c);
    assert_true(c.len != a.len || memcmp(a.ptr, c.ptr, a.len) != 0);
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
    cn_buf_dispose(&c);
}

static void access_log_is_deterministic(void **state)
{
    (void)state;
    cn_gen_opts_t o = small_opts(3);
    o.mode = CN_GEN_ACCESS_LOG;
    o.to_us = FROM_US + DAY_US;
    cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT;
    run_json(&o, &a);
    run_json(&o, &b);
    assert_true(a.len > 100000);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
}

/* --- Adobe query decoding, as a collector would --- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s into out; false when an escape is malformed. */
static bool pct_decode(cn_str_t s, cn_buf_t *out)
{
    cn_buf_clear(out);
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '%') {
            if (i + 2 >= s.len)
                return false;
            int hi = hexval(s.ptr[i + 1]), lo = hexval(s.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            cn_buf_putc(out, (char)(hi * 16 + lo));
            i += 2;
        } else {
            cn_buf_putc(out, s.ptr[i]);
        }
    }
    return true;
}

/* Finds parameter name in an Adobe query and decodes its value; false when absent. */
static bool adobe_param(cn_str_t q, const char *name, cn_buf_t *out)
{
    cn_str_t rest = q, pair;
    size_t nl = strlen(name);
    while (rest.len) {
        rest = cn_str_split(rest, '&', &pair);
        if (pair.len > nl && memcmp(pair.ptr, name, nl) == 0 && pair.ptr[nl] == '=')
            return pct_decode(cn_str(pair.ptr + nl + 1, pair.len - nl - 1), out);
    }
    return false;
}

static const char *const json_types[] = {"pageview", "event",       "product_view",
                                         "cart_add", "cart_remove", "checkout",
                                         "purchase", "outbound",    "download"};

static bool is_json_type(const char *t)
{
    for (size_t i = 0; i < sizeof(json_types) / sizeof(json_types[0]); i++)
        if (strcmp(t, json_types[i]) == 0)
            return true;
    return false;
}

typedef struct tally {
    uint64_t hits, adobe, json, visits, bot_visits, returning, purchases, posts;
    uint64_t cur[5];
    uint64_t items[5];
} tally_t;

static const char *const currencies[] = {"CNY", "USD", "EUR", "GBP", "AUD"};

static void count_currency(tally_t *t, const char *cc, const char *country)
{
    int k = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(cc, currencies[i]) == 0)
            k = i;
    assert_true(k >= 0);
    t->cur[k]++;
    /* The currency follows the country. */
    if (strcmp(country, "CN") == 0)
        assert_string_equal(cc, "CNY");
    if (strcmp(country, "US") == 0 || strcmp(country, "IL") == 0 || strcmp(country, "BY") == 0 ||
        strcmp(country, "UA") == 0)
        assert_string_equal(cc, "USD");
    if (strcmp(country, "GB") == 0)
        assert_string_equal(cc, "GBP");
    if (strcmp(country, "DE") == 0)
        assert_string_equal(cc, "EUR");
    if (strcmp(country, "AU") == 0 || strcmp(country, "NZ") == 0)
        assert_string_equal(cc, "AUD");
}

/* A tiny open-addressing set of 64-bit keys. */
typedef struct set {
    uint64_t *k;
    uint64_t *v;
    size_t cap;
} set_t;

static void set_init(set_t *s, size_t cap)
{
    s->cap = cap;
    s->k = cn_xcalloc(cap, sizeof(uint64_t));
    s->v = cn_xcalloc(cap, sizeof(uint64_t));
}

/* Returns the slot of key (inserting it with value v when new) and whether it was there. */
static bool set_put(set_t *s, uint64_t key, uint64_t v, uint64_t *old)
{
    key |= 1;
    size_t i = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) % s->cap;
    while (s->k[i] && s->k[i] != key)
        i = (i + 1) % s->cap;
    if (s->k[i]) {
        *old = s->v[i];
        return true;
    }
    s->k[i] = key;
    s->v[i] = v;
    return false;
}

static uint64_t str_hash(cn_str_t s)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (unsigned char)s.ptr[i]) * 1099511628211ULL;
    return h;
}

static void traffic_looks_real(void **state)
{
    (void)state;
    cn_gen_opts_t o = small_opts(42);
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_gen_hit_t h;
    tally_t t = {0};
    cn_buf_t val = CN_BUF_INIT, q = CN_BUF_INIT;
    set_t orders, visitors;
    set_init(&orders, 1 << 16);
    set_init(&visitors, 1 << 18);
    int64_t last = 0;
    while (cn_gen_next(g, &h) == 1) {
        t.hits++;
        /* In time order, inside the range. */
        assert_true(h.raw.recv_us >= last);
        assert_true(h.raw.recv_us >= o.from_us && h.raw.recv_us < o.to_us);
        last = h.raw.recv_us;
        assert_true(h.raw.ip.len >= 7);
        assert_true(h.raw.ua.len > 10);
        /* Headers: "name: value\n" with lower-case names, user-agent among them. */
        assert_true(h.raw.headers.len > 0 && h.raw.headers.ptr[h.raw.headers.len - 1] == '\n');
        cn_str_t uah = cn_rawhit_header(&h.raw, CN_STR_LIT("user-agent"));
        assert_true(cn_str_eq(uah, h.raw.ua));
        if (h.is_visit_start) {
            t.visits++;
            t.bot_visits += h.is_bot;
            t.returning += h.is_returning;
        }
        /* A returning visitor keeps its browser. */
        if (!h.is_bot) {
            uint64_t old;
            uint64_t uh = str_hash(h.raw.ua);
            if (set_put(&visitors, h.visitor, uh, &old))
                assert_true(old == uh);
        }
        if (h.raw.proto == CN_PROTO_ADOBE) {
            t.adobe++;
            assert_true(cn_str_starts_with(h.raw.path, CN_STR_LIT("/b/ss/demo/1/JS-2.21.0/s")));
            cn_str_t query = h.raw.query.len ? h.raw.query : h.raw.body;
            if (h.raw.body.len) {
                t.posts++;
                assert_int_equal(h.raw.query.len, 0);
                assert_true(h.raw.body.len > 2047);
            }
            assert_true(cn_str_starts_with(query, CN_STR_LIT("AQB=1&")));
            assert_true(query.len > 6 && memcmp(query.ptr + query.len - 6, "&AQE=1", 6) == 0);
            /* Every pair decodes. */
            cn_str_t rest = query, pair;
            while (rest.len) {
                rest = cn_str_split(rest, '&', &pair);
                assert_true(pct_decode(pair, &val));
            }
            assert_true(adobe_param(query, "mid", &val));
            assert_int_equal(val.len, 38);
            assert_true(adobe_param(query, "g", &val));
            assert_true(strncmp(val.ptr, "https://shop.canton.test/", 25) == 0);
            assert_true(adobe_param(query, "pageName", &val));
            assert_true(adobe_param(query, "cc", &val));
            char cc[8];
            snprintf(cc, sizeof(cc), "%s", val.ptr);
            if (adobe_param(query, "purchaseID", &val)) {
                t.purchases++;
                assert_true(h.is_purchase);
                assert_true(cn_str_eq(cn_buf_str(&val), h.order_id));
                count_currency(&t, cc, h.country);
                assert_true(adobe_param(query, "events", &val));
                assert_true(strncmp(val.ptr, "purchase,event10=", 17) == 0);
                assert_true(adobe_param(query, "products", &val));
                /* Category;SKU;quantity;line total, 1..4 products. */
                unsigned n = 1, semis = 0;
                for (size_t i = 0; i < val.len; i++) {
                    n += val.ptr[i] == ',';
                    semis += val.ptr[i] == ';';
                }
                assert_true(n >= 1 && n <= 4);
                assert_int_equal(semis, 3 * n);
                assert_int_equal(n, h.order_items);
                t.items[n]++;
            }
        } else {
            assert_int_equal(h.raw.proto, CN_PROTO_CANTON_JSON);
            t.json++;
            assert_true(cn_str_eq_c(h.raw.method, "POST"));
            assert_true(cn_str_eq_c(h.raw.path, "/api/collect"));
            json_error_t je;
            json_t *root = json_loadb(h.raw.body.ptr, h.raw.body.len, 0, &je);
            assert_non_null(root);
            assert_string_equal(json_string_value(json_object_get(root, "suite")), "demo");
            json_t *events = json_object_get(root, "events");
            assert_true(json_is_array(events) && json_array_size(events) >= 1);
            size_t i;
            json_t *e;
            json_array_foreach(events, i, e)
            {
                const char *type = json_string_value(json_object_get(e, "type"));
                assert_non_null(type);
                assert_true(is_json_type(type));
                assert_true(json_is_integer(json_object_get(e, "ts")));
                assert_non_null(json_string_value(json_object_get(e, "url")));
                if (strcmp(type, "purchase") == 0) {
                    t.purchases++;
                    assert_true(h.is_purchase);
                    const char *oid = json_string_value(json_object_get(e, "order_id"));
                    assert_non_null(oid);
                    assert_true(cn_str_eq_c(h.order_id, oid));
                    assert_true(json_is_number(json_object_get(e, "revenue")));
                    count_currency(&t, json_string_value(json_object_get(e, "currency")),
                                   h.country);
                    json_t *items = json_object_get(e, "items");
                    size_t n = json_array_size(items);
                    assert_true(n >= 1 && n <= 4);
                    t.items[n]++;
                    json_t *it = json_array_get(items, 0);
                    assert_non_null(json_string_value(json_object_get(it, "sku")));
                    assert_true(json_is_integer(json_object_get(it, "quantity")));
                    assert_true(json_is_number(json_object_get(it, "price")));
                }
            }
            json_decref(root);
        }
        if (h.is_purchase) {
            uint64_t old;
            assert_false(set_put(&orders, str_hash(h.order_id), 1, &old)); /* unique */
        }
    }
    cn_gen_stats_t st;
    cn_gen_stats(g, &st);
    cn_gen_free(g);
    print_message("# hits %llu visits %llu bots %llu returning %llu purchases %llu adobe %llu "
                  "json %llu posts %llu\n",
                  (unsigned long long)t.hits, (unsigned long long)t.visits,
                  (unsigned long long)t.bot_visits, (unsigned long long)t.returning,
                  (unsigned long long)t.purchases, (unsigned long long)t.adobe,
                  (unsigned long long)t.json, (unsigned long long)t.posts);
    assert_int_equal(st.hits, t.hits);
    assert_int_equal(st.orders, t.purchases);
    /* Two days at 3000 visits a day (plus festival lift): about 6000-9000 visits. */
    assert_true(t.visits > 5000 && t.visits < 11000);
    double purchase_rate = (double)t.purchases / (double)(t.visits - t.bot_visits);
    assert_true(purchase_rate > 0.015 && purchase_rate < 0.04);
    double bot_share = (double)t.bot_visits / (double)t.visits;
    assert_true(bot_share > 0.02 && bot_share < 0.09);
    double returning = (double)t.returning / (double)t.visits;
    assert_true(returning > 0.05 && returning < 0.5);
    double json_share = (double)t.json / (double)t.hits;
    assert_true(json_share > 0.1 && json_share < 0.3);
    double hits_per_visit = (double)t.hits / (double)t.visits;
    assert_true(hits_per_visit > 2 && hits_per_visit < 8);
    /* Mostly CNY (China is home), every currency present. */
    for (int i = 0; i < 5; i++)
        assert_true(t.cur[i] > 0);
    assert_true(t.cur[0] > t.cur[1]);
    /* Several multi-item orders. */
    assert_true(t.items[1] > 0 && t.items[2] + t.items[3] + t.items[4] > 0);
    cn_buf_dispose(&val);
    cn_buf_dispose(&q);
    free(orders.k);
    free(orders.v);
    free(visitors.k);
    free(visitors.v);
}

/* Runs --hits n over [from, to) and returns the hits made; *first and *last get their times. */
static uint64_t sized_run(uint64_t seed, uint64_t n, int64_t from, int64_t to, cn_gen_mode_t mode,
                          int64_t *first, int64_t *last, uint64_t *per_day, size_t days)
{
    cn_gen_opts_t o = small_opts(seed);
    o.visits_per_day = 0;
    o.max_hits = n;
    o.from_us = from;
    o.to_us = to;
    o.mode = mode;
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_gen_hit_t h;
    uint64_t got = 0;
    *first = *last = 0;
    while (cn_gen_next(g, &h) == 1) {
        if (got++ == 0)
            *first = h.raw.recv_us;
        assert_true(h.raw.recv_us >= *last && h.raw.recv_us >= from && h.raw.recv_us < to);
        *last = h.raw.recv_us;
        if (per_day != NULL) {
            size_t d = (size_t)((h.raw.recv_us - from) / DAY_US);
            assert_true(d < days);
            per_day[d]++;
        }
    }
    cn_gen_free(g);
    return got;
}

static void hits_option_gives_exactly_n(void **state)
{
    (void)state;
    int64_t first, last;
    /* The volume is planned for the range: exactly N hits, the last in the range's last hour
     * (the run used to aim 6 % high and stop at N, a day and more before the end). */
    static const struct {
        uint64_t seed, n;
        int64_t days;
        cn_gen_mode_t mode;
    } runs[] = {
        {5, 20000, 3, CN_GEN_TRACKER},   {1, 3000, 1, CN_GEN_TRACKER},
        {2, 400, 2, CN_GEN_TRACKER},     {9, 12000, 40, CN_GEN_TRACKER},
        {3, 8000, 2, CN_GEN_ACCESS_LOG},
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        int64_t to = FROM_US + runs[i].days * DAY_US;
        uint64_t n =
            sized_run(runs[i].seed, runs[i].n, FROM_US, to, runs[i].mode, &first, &last, NULL, 0);
        assert_int_equal(n, runs[i].n);
        assert_true(first < FROM_US + 3 * 3600 * (int64_t)1000000);
        assert_true(last > to - 3600 * (int64_t)1000000);
    }
    /* The same seed gives the same run. */
    uint64_t a[2] = {0}, b[2] = {0};
    int64_t first2, last2;
    sized_run(2, 400, FROM_US, FROM_US + 2 * DAY_US, CN_GEN_TRACKER, &first, &last, a, 2);
    sized_run(2, 400, FROM_US, FROM_US + 2 * DAY_US, CN_GEN_TRACKER, &first2, &last2, b, 2);
    assert_true(first == first2 && last == last2 && a[0] == b[0] && a[1] == b[1]);
    /* A volume that fits the range: every hit of the run, none cut. */
    assert_int_equal(
        sized_run(7, 1, FROM_US, FROM_US + DAY_US, CN_GEN_TRACKER, &first, &last, NULL, 0), 1);
}

static void hits_option_keeps_the_cycles(void **state)
{
    (void)state;
    /* 28 days from Monday 2026-11-09: Singles' Day (11.11) and Black Friday (11.27) peak over
     * the days around them, and the last week carries its share as the first does. */
    enum { DAYS = 28 };
    uint64_t per_day[DAYS] = {0};
    int64_t first, last;
    uint64_t n = sized_run(11, 30000, FROM_US, FROM_US + DAYS * DAY_US, CN_GEN_TRACKER, &first,
                           &last, per_day, DAYS);
    assert_int_equal(n, 30000);
    uint64_t week[4] = {0};
    for (size_t d = 0; d < DAYS; d++)
        week[d / 7] += per_day[d];
    assert_true(per_day[2] * 10 > per_day[9] * 13);
    assert_true(per_day[18] * 10 > per_day[17] * 13);
    assert_true(week[3] * 10 > week[0] * 9);
}

static void json_lines_are_valid(void **state)
{
    (void)state;
    cn_gen_opts_t o = small_opts(9);
    o.to_us = FROM_US + DAY_US / 4;
    cn_buf_t out = CN_BUF_INIT;
    uint64_t n = run_json(&o, &out);
    assert_true(n > 100);
    cn_str_t rest = cn_buf_str(&out), line;
    uint64_t lines = 0;
    while (rest.len) {
        rest = cn_str_split(rest, '\n', &line);
        if (!line.len)
            continue;
        lines++;
        json_error_t je;
        json_t *r = json_loadb(line.ptr, line.len, 0, &je);
        assert_non_null(r);
        assert_int_equal(json_integer_value(json_object_get(r, "seq")), lines);
        assert_non_null(json_string_value(json_object_get(r, "method")));
        assert_non_null(json_string_value(json_object_get(r, "path")));
        assert_true(json_is_string(json_object_get(r, "query")));
        json_t *hd = json_object_get(r, "headers");
        assert_non_null(json_string_value(json_object_get(hd, "user-agent")));
        assert_non_null(json_string_value(json_object_get(hd, "host")));
        json_decref(r);
    }
    assert_int_equal(lines, n);
    cn_buf_dispose(&out);
}

static void access_log_has_the_benchmark_mix(void **state)
{
    (void)state;
    cn_gen_opts_t o = small_opts(11);
    o.mode = CN_GEN_ACCESS_LOG;
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_gen_hit_t h;
    uint64_t n = 0, stat = 0, s200 = 0, s304 = 0, s404 = 0, bots = 0;
    cn_buf_t line = CN_BUF_INIT;
    while (cn_gen_next(g, &h) == 1) {
        n++;
        if (cn_str_starts_with(h.raw.path, CN_STR_LIT("/static/"))) {
            stat++;
            assert_true(h.raw.query.len == 0);
        }
        s200 += h.status == 200;
        s304 += h.status == 304;
        s404 += h.status == 404;
        bots += h.is_bot;
        cn_buf_clear(&line);
        cn_gen_format_nginx(&h, &line);
        /* ip - - [dd/Mon/yyyy:hh:mm:ss +0800] "GET /path HTTP/1.1" status bytes "ref" "ua" */
        assert_true(cn_str_starts_with(cn_buf_str(&line), h.raw.ip));
        assert_non_null(strstr(line.ptr, " +0800] \""));
        assert_non_null(strstr(line.ptr, " HTTP/1.1\" "));
        assert_true(line.ptr[line.len - 1] == '\n' && line.ptr[line.len - 2] == '"');
        int quotes = 0;
        for (size_t i = 0; i < line.len; i++)
            quotes += line.ptr[i] == '"';
        assert_int_equal(quotes, 6);
    }
    cn_gen_free(g);
    cn_buf_dispose(&line);
    print_message("# lines %llu static %llu 200 %llu 304 %llu 404 %llu bots %llu\n",
                  (unsigned long long)n, (unsigned long long)stat, (unsigned long long)s200,
                  (unsigned long long)s304, (unsigned long long)s404, (unsigned long long)bots);
    double st = (double)stat / (double)n;
    assert_true(st > 0.2 && st < 0.4);
    assert_true((double)s200 / (double)n > 0.85);
    assert_true(s304 > 0 && s404 > 0);
    assert_int_equal(s200 + s304 + s404, n);
    double bot = (double)bots / (double)n;
    assert_true(bot > 0.02 && bot < 0.2);
}

/* A year of traffic: the last month has about 60 % more visits than the first, and China's
 * visits follow the local day (evening peak, night low) and peak on Singles' Day. */
static void cycles_and_growth(void **state)
{
    (void)state;
    cn_gen_opts_t o;
    cn_gen_opts_init(&o);
    o.seed = 21;
    o.from_us = (int64_t)1764547200 * 1000000; /* 2025-12-01 */
    o.to_us = (int64_t)1796083200 * 1000000;   /* 2026-12-01 */
    o.visits_per_day = 150;
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_gen_hit_t h;
    uint64_t first_month = 0, last_month = 0, cn_hour[24] = {0}, cn_day[400] = {0};
    int64_t month = (int64_t)30 * DAY_US;
    while (cn_gen_next(g, &h) == 1) {
        if (!h.is_visit_start || h.is_bot)
            continue;
        if (h.raw.recv_us < o.from_us + month)
            first_month++;
        if (h.raw.recv_us >= o.to_us - month)
            last_month++;
        if (strcmp(h.country, "CN") == 0) {
            int64_t local = h.raw.recv_us + (int64_t)8 * 3600 * 1000000;
            cn_hour[(local / 3600000000) % 24]++;
            cn_day[(local - o.from_us) / DAY_US]++;
        }
    }
    cn_gen_free(g);
    double growth = (double)last_month / (double)first_month;
    print_message("# first month %llu last month %llu growth %.2f\n",
                  (unsigned long long)first_month, (unsigned long long)last_month, growth);
    assert_true(growth > 1.35 && growth < 1.9);
    uint64_t evening = cn_hour[19] + cn_hour[20] + cn_hour[21];
    uint64_t night = cn_hour[2] + cn_hour[3] + cn_hour[4];
    assert_true(evening > 5 * night);
    /* 2026-11-11 is day 345 of the run. */
    uint64_t around = (cn_day[338] + cn_day[339] + cn_day[340] + cn_day[350] + cn_day[351]) / 5;
    assert_true(cn_day[345] > 2 * around);
}

/* Hits longer than 2047 bytes go as AppMeasurement sends them: POST, query in the body. */
static void long_adobe_hits_are_posted(void **state)
{
    (void)state;
    char site[1200] = "https://";
    memset(site + 8, 'a', 1100);
    strcpy(site + 1108, ".example");
    cn_gen_opts_t o = small_opts(13);
    o.site = site;
    o.json_share = 0;
    o.to_us = FROM_US + DAY_US / 8;
    cn_gen_t *g;
    assert_int_equal(cn_gen_new(&o, &g, NULL), 0);
    cn_gen_hit_t h;
    uint64_t posts = 0;
    while (cn_gen_next(g, &h) == 1) {
        if (h.raw.proto != CN_PROTO_ADOBE || h.raw.body.len == 0)
            continue;
        posts++;
        assert_true(cn_str_eq_c(h.raw.method, "POST"));
        assert_int_equal(h.raw.query.len, 0);
        assert_true(h.raw.body.len > 2047);
        assert_true(cn_str_starts_with(h.raw.body, CN_STR_LIT("AQB=1&")));
        assert_true(memcmp(h.raw.body.ptr + h.raw.body.len - 6, "&AQE=1", 6) == 0);
        cn_str_t ct = cn_rawhit_header(&h.raw, CN_STR_LIT("content-type"));
        assert_true(cn_str_eq_c(ct, "text/plain;charset=UTF-8"));
    }
    cn_gen_free(g);
    assert_true(posts > 10);
}

static void rejects_bad_options(void **state)
{
    (void)state;
    cn_gen_t *g;
    cn_err_t err;
    cn_gen_opts_t o = small_opts(1);
    o.to_us = o.from_us;
    assert_int_equal(cn_gen_new(&o, &g, &err), CN_EINVAL);
    o = small_opts(1);
    o.suite = "bad suite";
    assert_int_equal(cn_gen_new(&o, &g, &err), CN_EINVAL);
    o = small_opts(1);
    o.visits_per_day = 0;
    assert_int_equal(cn_gen_new(&o, &g, &err), CN_EINVAL);
    o = small_opts(1);
    o.site = "shop.example";
    assert_int_equal(cn_gen_new(&o, &g, &err), CN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(access_log_is_deterministic),
        cmocka_unit_test(traffic_looks_real),
        cmocka_unit_test(hits_option_gives_exactly_n),
        cmocka_unit_test(hits_option_keeps_the_cycles),
        cmocka_unit_test(json_lines_are_valid),
        cmocka_unit_test(access_log_has_the_benchmark_mix),
        cmocka_unit_test(cycles_and_growth),
        cmocka_unit_test(long_adobe_hits_are_posted),
        cmocka_unit_test(rejects_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
