/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports on a small hand-made store with known answers: every base
 * measure, visit- and visitor-scope segments, trends, comparisons, items,
 * eVars and events.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "lib/clock.h"
#include "query/query.h"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static int32_t D; /* 2026-11-01, UTC */
/* The query context of the current group: none, or a cache and threads
 * (each query then runs twice: decoding, then from the cache). */
static size_t ctx_cache_bytes;
static unsigned ctx_threads;
static cn_query_ctx_t *qctx;

#define S(x) CN_STR_LIT(x)
#define MIN  (60 * 1000000LL)

static int64_t at(int32_t day, int64_t offset_us)
{
    return (int64_t)day * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

static void add_visit(cn_sink_t *k, uint32_t id, uint32_t visitor, uint32_t num,
                      const char *country, const char *channel, const char *bot, int64_t ts)
{
    cn_visit_row_t v = {0};
    v.visitor = visitor;
    v.visit_num = num;
    v.start_ts = ts;
    v.entry_page = S("/home");
    v.country = cn_str_c(country);
    v.channel = cn_str_c(channel);
    v.bot = cn_str_c(bot);
    v.device = bot[0] ? CN_DEVICE_BOT : CN_DEVICE_DESKTOP;
    assert_int_equal(k->visit(k->ud, id, &v), 0);
}

static uint32_t add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, int64_t ts, const char *page,
                        uint8_t events, int64_t revenue, uint32_t units)
{
    cn_hit_row_t h = {0};
    h.ts = ts;
    h.visit = visit;
    h.hit_num = num;
    h.type = CN_HIT_PAGEVIEW;
    h.events = events;
    h.page = cn_str_c(page);
    h.revenue = revenue;
    h.units = units;
    if (events & CN_EV_PURCHASE) {
        h.order_id = S("ORD-1");
        h.currency = S("CNY");
    }
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
    return id;
}

static int setup(void **state)
{
    (void)state;
    fixture_open("report", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    /* v0: a converting visit from natural search in the US */
    add_visit(&k, 0, 0, 1, "US", "natural search", "", at(D, 0));
    add_hit(&k, 0, 1, at(D, 0), "/home", 0, 0, 0);
    uint32_t h = add_hit(&k, 0, 2, at(D, 1 * MIN), "/p/mug", CN_EV_PROD_VIEW, 0, 0);
    cn_item_row_t it = {.hit = h, .sku = S("SKU-MUG"), .category = S("Kitchen")};
    assert_int_equal(k.item(k.ud, &it), 0);
    /* v1: a bounce from China, interleaved in time with v0 */
    add_visit(&k, 1, 1, 1, "CN", "direct", "", at(D, 90 * 1000000LL));
    add_hit(&k, 1, 1, at(D, 90 * 1000000LL), "/home", 0, 0, 0);
    add_hit(&k, 0, 3, at(D, 2 * MIN), "/cart", CN_EV_CART_ADD, 0, 0);
    h = add_hit(&k, 0, 4, at(D, 3 * MIN), "/checkout", CN_EV_PURCHASE, 1005000, 2);
    cn_item_row_t it2 = {
        .hit = h, .sku = S("SKU-MUG"), .category = S("Kitchen"), .quantity = 2, .revenue = 1005000};
    assert_int_equal(k.item(k.ud, &it2), 0);
    cn_var_row_t var = {.hit = h, .var = CN_VAR_EVAR | 3, .value = S("alipay")};
    assert_int_equal(k.var(k.ud, &var), 0);
    cn_event_row_t ev = {.hit = h, .event = 10, .value = 10 * CN_MONEY_SCALE};
    assert_int_equal(k.event(k.ud, &ev), 0);
    /* a bot */
    add_visit(&k, 2, 2, 1, "US", "direct", "search-engine", at(D, 5 * MIN));
    add_hit(&k, 2, 1, at(D, 5 * MIN), "/home", 0, 0, 0);
    /* v3: visitor 0 returns the next day */
    add_visit(&k, 3, 0, 2, "US", "direct", "", at(D + 1, 0));
    add_hit(&k, 3, 1, at(D + 1, 0), "/home", 0, 0, 0);
    add_hit(&k, 3, 2, at(D + 1, 1 * MIN), "/p/mug", CN_EV_PROD_VIEW, 0, 0);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    if (ctx_threads > 0)
        qctx = cn_query_ctx_new(ctx_cache_bytes, ctx_threads);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cn_query_ctx_free(qctx);
    qctx = NULL;
    return fixture_close(dir, conf, store);
}

static void same_text(cn_buf_t *a, cn_buf_t *b)
{
    cn_buf_putc(a, '\0');
    cn_buf_putc(b, '\0');
    assert_string_equal(a->ptr, b->ptr);
    a->len--;
    b->len--;
}

/* Runs a report from URL parameters; returns it (caller frees with done()). */
static cn_report_t *run(const char *params, cn_report_req_t *req)
{
    cn_err_t err = {0};
    cn_report_req_init(req);
    int rc = cn_report_req_parse_params(req, cn_str_c(params), store, at(D + 1, 0), &err);
    if (rc != 0)
        fail_msg("parse %s: %s", params, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    rc = cn_report_run_ctx(qctx, store, snap, req, &r, &err);
    if (rc != 0)
        fail_msg("run %s: %s", params, err.msg);
    if (qctx != NULL) {
        /* again, from the cache: the same answer */
        cn_report_t *r2;
        if (cn_report_run_ctx(qctx, store, snap, req, &r2, &err) != 0)
            fail_msg("run %s again: %s", params, err.msg);
        cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT;
        r->elapsed_ms = r2->elapsed_ms = 0;
        cn_report_to_json(r, req, &a);
        cn_report_to_json(r2, req, &b);
        same_text(&a, &b);
        cn_buf_dispose(&a);
        cn_buf_dispose(&b);
        cn_report_free(r2);
    }
    cn_store_snap_release(snap);
    return r;
}

static void done(cn_report_t *r, cn_report_req_t *req)
{
    cn_report_free(r);
    cn_report_req_dispose(req);
}

static const cn_report_row_t *row(const cn_report_t *r, const char *key)
{
    for (size_t i = 0; i < r->row_count; i++) {
        if (cn_str_eq_c(r->rows[i].keys[0], key))
            return &r->rows[i];
    }
    fail_msg("no row %s", key);
    return NULL;
}

#define RANGE "from=2026-11-01&to=2026-11-02"

static void totals_are_exact_and_bots_excluded(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run(RANGE "&metrics=pageviews,visits,visitors,bounces,bounce_rate,"
                               "visit_duration,orders,revenue,units,conversion_rate,entries",
                         &q);
    assert_int_equal(r->row_count, 1);
    double *t = r->totals;
    assert_true(t[0] == 7);
    assert_true(t[1] == 3);
    assert_true(t[2] == 2);
    assert_true(t[3] == 1);
    assert_float_equal(t[4], 100.0 / 3, 1e-9);
    assert_float_equal(t[5], (180 + 0 + 60) / 3.0, 1e-9);
    assert_true(t[6] == 1);
    assert_float_equal(t[7], 100.5, 1e-9);
    assert_true(t[8] == 2);
    assert_float_equal(t[9], 100.0 / 3, 1e-9);
    assert_true(t[10] == 3);
    done(r, &q);
}

/* A report of totals (no dimension, no trend) has its one row whether anything matched or not:
 * zeros when nothing did, as its totals are; never "rows": []. With a segment that keeps
 * nothing, with a range without hits, with a comparison, in JSON; paging does not apply (an
 * offset once answered "rows": [] while `canton report --format csv` printed the row). */
static void totals_only_always_has_one_row(void **state)
{
    (void)state;
    static const char *const params[] = {
        RANGE "&metrics=pageviews,visits,revenue",
        "from=2025-01-01&to=2025-01-31&metrics=pageviews,visits,revenue",
        RANGE "&metrics=pageviews,visits,revenue&segment=page%3D%22/nowhere%22",
        "from=2025-01-01&to=2025-01-31&metrics=pageviews,visits,revenue&compare=previous_year",
        RANGE "&metrics=pageviews,visits,revenue&offset=1",
        RANGE "&metrics=pageviews,visits,revenue&offset=8&limit=1",
    };
    static const double want[][3] = {{7, 3, 100.5}, {0, 0, 0},     {0, 0, 0},
                                     {0, 0, 0},     {7, 3, 100.5}, {7, 3, 100.5}};
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        cn_report_req_t q;
        cn_report_t *r = run(params[i], &q);
        if (r->row_count != 1 || r->total_rows != 1)
            fail_msg("%s: %zu rows (total_rows %zu), want 1", params[i], r->row_count,
                     r->total_rows);
        assert_int_equal(r->key_count, 0);
        for (size_t m = 0; m < 3; m++) {
            assert_float_equal(r->rows[0].values[m], want[i][m], 1e-9);
            assert_float_equal(r->totals[m], want[i][m], 1e-9);
        }
        cn_buf_t b = CN_BUF_INIT;
        r->elapsed_ms = 0;
        cn_report_to_json(r, &q, &b);
        cn_buf_putc(&b, '\0');
        if (i == 1)
            assert_string_equal(b.ptr,
                                "{\"suite\":\"\",\"from\":\"2025-01-01\",\"to\":\"2025-01-31\","
                                "\"keys\":[],\"metrics\":[\"pageviews\",\"visits\",\"revenue\"],"
                                "\"rows\":[{\"keys\":[],\"values\":[0,0,0]}],"
                                "\"totals\":{\"values\":[0,0,0]},\"total_rows\":1,"
                                "\"elapsed_ms\":0.000}");
        if (i == 3)
            assert_non_null(strstr(b.ptr, "\"rows\":[{\"keys\":[],\"values\":[0,0,0],"
                                          "\"compare\":[0,0,0],\"change\":[0,0,0],"
                                          "\"growth\":[null,null,null]}]"));
        cn_buf_dispose(&b);
        done(r, &q);
    }
}

/* A limited page of a ranked report (the top rows kept by insertion) is the
 * same slice of the fully sorted report, ties and ascending sorts included. */
static void limited_pages_match_the_full_sort(void **state)
{
    (void)state;
    const char *sorts[] = {"", "&sort=pageviews:asc", "&sort=visits"};
    for (size_t s = 0; s < 3; s++) {
        cn_report_req_t fq;
        char qs[200];
        snprintf(qs, sizeof(qs), RANGE "&dimension=page&metrics=pageviews,visits&limit=0%s",
                 sorts[s]);
        cn_report_t *full = run(qs, &fq);
        assert_int_equal(full->row_count, 4);
        for (size_t off = 0; off < 4; off++) {
            for (size_t lim = 1; lim <= 3; lim++) {
                cn_report_req_t q;
                snprintf(qs, sizeof(qs),
                         RANGE "&dimension=page&metrics=pageviews,visits&limit=%zu&offset=%zu%s",
                         lim, off, sorts[s]);
                cn_report_t *r = run(qs, &q);
                size_t want = off + lim <= 4 ? lim : 4 - off;
                assert_int_equal(r->row_count, want);
                assert_int_equal(r->total_rows, 4);
                for (size_t i = 0; i < want; i++)
                    assert_true(cn_str_eq(r->rows[i].keys[0], full->rows[off + i].keys[0]));
                done(r, &q);
            }
        }
        done(full, &fq);
    }
}

static void ranked_by_page_with_visits_entries_exits(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r =
        run(RANGE "&dimension=page&metrics=pageviews,visits,visitors,entries,exits", &q);
    assert_int_equal(r->row_count, 4);
    assert_true(cn_str_eq_c(r->rows[0].keys[0], "/home"));
    const cn_report_row_t *home = row(r, "/home"), *mug = row(r, "/p/mug");
    assert_true(home->values[0] == 3 && home->values[1] == 3 && home->values[2] == 2);
    assert_true(home->values[3] == 3 && home->values[4] == 1);
    assert_true(mug->values[0] == 2 && mug->values[1] == 2 && mug->values[2] == 1);
    assert_true(mug->values[3] == 0 && mug->values[4] == 1);
    assert_true(row(r, "/checkout")->values[4] == 1);
    /* ties sort by label: /cart before /checkout */
    assert_true(cn_str_eq_c(r->rows[2].keys[0], "/cart"));
    done(r, &q);
}

static void visit_dimension_counts_each_visit_once(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run(RANGE "&dimension=country&metrics=pageviews,visits,visitors,revenue,"
                               "orders,conversion_rate",
                         &q);
    assert_int_equal(r->row_count, 2);
    const cn_report_row_t *us = row(r, "US"), *cn = row(r, "CN");
    assert_true(us->values[0] == 6 && us->values[1] == 2 && us->values[2] == 1);
    assert_float_equal(us->values[3], 100.5, 1e-9);
    assert_true(us->values[4] == 1);
    assert_float_equal(us->values[5], 50.0, 1e-9);
    assert_true(cn->values[0] == 1 && cn->values[1] == 1 && cn->values[5] == 0);
    done(r, &q);
}

static void segments_by_scope(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run(RANGE "&metrics=pageviews&segment=visit(channel%20%3D%20%22natural%20"
                               "search%22)",
                         &q);
    assert_true(r->totals[0] == 4);
    done(r, &q);
    /* a visit that contains a purchase: all its hits */
    r = run(RANGE "&metrics=pageviews,visits&segment=visit(orders%20>%200)", &q);
    assert_true(r->totals[0] == 4 && r->totals[1] == 1);
    done(r, &q);
    /* visitor scope: visitor 0 bought once, so both of their visits count */
    r = run(RANGE "&metrics=pageviews,visits&segment=visitor(revenue%20>%20100)", &q);
    assert_true(r->totals[0] == 6 && r->totals[1] == 2);
    done(r, &q);
    /* hit scope and not */
    r = run(RANGE "&metrics=pageviews&segment=page%20starts%20with%20%22/p/%22", &q);
    assert_true(r->totals[0] == 2);
    done(r, &q);
    r = run(RANGE "&metrics=pageviews&segment=not%20visit(country%20%3D%20%22US%22)", &q);
    assert_true(r->totals[0] == 1);
    done(r, &q);
    /* bots in only when asked, with any spelling of yes; a spelling of no leaves them out */
    static const char *const yes[] = {"1", "true", "yes"}, *const no[] = {"0", "false", "no"};
    for (size_t i = 0; i < 3; i++) {
        char p[256];
        snprintf(p, sizeof(p), RANGE "&metrics=pageviews&bots=%s", yes[i]);
        r = run(p, &q);
        assert_true(r->totals[0] == 8);
        done(r, &q);
        snprintf(p, sizeof(p), RANGE "&metrics=pageviews&bots=%s", no[i]);
        r = run(p, &q);
        assert_true(r->totals[0] == 7);
        done(r, &q);
    }
    /* per-hit event flags, set and not set */
    r = run(RANGE "&metrics=pageviews&segment=product_views%20>%200", &q);
    assert_true(r->totals[0] == 2);
    done(r, &q);
    r = run(RANGE "&metrics=pageviews&segment=product_views%20%3D%200", &q);
    assert_true(r->totals[0] == 5);
    done(r, &q);
    r = run(RANGE "&metrics=pageviews&segment=orders%20<%201", &q);
    assert_true(r->totals[0] == 6);
    done(r, &q);
    /* a visit filter leaves the bot's US visit out, unless bots are asked for */
    r = run(RANGE "&dimension=page&metrics=pageviews&segment=visit(country%20%3D%20%22US%22)", &q);
    assert_true(r->totals[0] == 6);
    done(r, &q);
    r = run(RANGE
            "&dimension=page&metrics=pageviews&bots=1&segment=visit(country%20%3D%20%22US%22)",
            &q);
    assert_true(r->totals[0] == 7);
    done(r, &q);
}

static void trend_by_day_with_compare(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run(RANGE "&granularity=day&metrics=pageviews,visits", &q);
    assert_int_equal(r->row_count, 2);
    assert_true(cn_str_eq_c(r->rows[0].keys[0], "2026-11-01"));
    assert_true(r->rows[0].values[0] == 5 && r->rows[0].values[1] == 2);
    assert_true(r->rows[1].values[0] == 2 && r->rows[1].values[1] == 1);
    done(r, &q);
    r = run("from=2026-11-02&to=2026-11-02&metrics=pageviews&compare=previous_period", &q);
    assert_true(r->totals[0] == 2 && r->compare_totals[0] == 5);
    done(r, &q);
    /* previous bucket: additive measures take one pass by day over both
     * ranges (folded); with visits, two passes: the same page views */
    const char *with[] = {"pageviews", "pageviews,visits"};
    for (size_t k = 0; k < 2; k++) {
        char qs[200];
        snprintf(qs, sizeof(qs), RANGE "&granularity=day&metrics=%s&compare=previous_bucket",
                 with[k]);
        r = run(qs, &q);
        assert_int_equal(r->row_count, 2);
        assert_true(cn_str_eq_c(r->rows[0].keys[0], "2026-11-01"));
        assert_true(r->rows[0].values[0] == 5 && r->rows[0].compare[0] == 0);
        assert_true(r->rows[1].values[0] == 2 && r->rows[1].compare[0] == 5);
        assert_true(r->totals[0] == 7 && r->compare_totals[0] == 5);
        done(r, &q);
    }
}

/* Trends with few keys count distinct visits and visitors with a bitset per
 * key, and convert time to buckets once per 15 minutes: the same answers. */
static void trend_visit_measures_by_day_and_hour(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r =
        run(RANGE "&granularity=day&metrics=visits,visitors,bounces,conversion_rate,entries", &q);
    assert_int_equal(r->row_count, 2);
    assert_true(r->rows[0].values[0] == 2 && r->rows[0].values[1] == 2);
    assert_true(r->rows[0].values[2] == 1 && r->rows[0].values[4] == 2);
    assert_float_equal(r->rows[0].values[3], 50, 1e-9);
    assert_true(r->rows[1].values[0] == 1 && r->rows[1].values[1] == 1);
    assert_true(r->rows[1].values[2] == 0 && r->rows[1].values[3] == 0);
    assert_true(r->totals[0] == 3 && r->totals[1] == 2);
    done(r, &q);
    r = run(RANGE "&granularity=hour&dimension=country&metrics=visitors,pageviews&sort=pageviews",
            &q);
    /* every hit is at 10:00-10:05 UTC: two (hour, country) keys on day 1, one on day 2 */
    size_t nonzero = 0;
    double pv = 0;
    for (size_t i = 0; i < r->row_count; i++) {
        if (r->rows[i].values[1] > 0) {
            nonzero++;
            pv += r->rows[i].values[1];
        }
    }
    assert_int_equal(nonzero, 3);
    assert_true(pv == 7 && r->totals[0] == 2);
    done(r, &q);
    r = run(RANGE "&dimension=hour&metrics=pageviews", &q);
    assert_int_equal(r->row_count, 1);
    assert_true(cn_str_eq_c(r->rows[0].keys[0], "10") && r->rows[0].values[0] == 7);
    done(r, &q);
}

static void products_evars_and_events(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run(RANGE "&dimension=product&metrics=product_views,orders,revenue,units", &q);
    assert_int_equal(r->row_count, 1);
    assert_true(r->rows[0].values[0] == 1 && r->rows[0].values[1] == 1);
    assert_float_equal(r->rows[0].values[2], 100.5, 1e-9);
    assert_true(r->rows[0].values[3] == 2);
    done(r, &q);
    r = run(RANGE "&dimension=evar3&metrics=orders,event10&empty=0", &q);
    assert_int_equal(r->row_count, 1);
    assert_true(cn_str_eq_c(r->rows[0].keys[0], "alipay"));
    assert_true(r->rows[0].values[0] == 1 && r->rows[0].values[1] == 10);
    done(r, &q);
    r = run(RANGE "&metrics=rpv&calc.rpv=revenue%2Fvisits", &q);
    assert_float_equal(r->totals[0], 33.5, 1e-9);
    done(r, &q);
}

static void bad_requests_say_what_is_wrong(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_err_t err = {0};
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(&q, S("dimension=pagez"), store, 0, &err),
                     CN_EINVAL);
    assert_non_null(strstr(err.msg, "unknown dimension 'pagez'"));
    cn_report_req_dispose(&q);
    cn_report_req_init(&q);
    /* days: exactly YYYY-MM-DD, a day that exists, from 1970 on; each error says which */
    static const struct {
        const char *params, *msg;
    } days[] = {
        {"from=2026-02-30", "bad date from='2026-02-30' (no such day)"},
        {"to=2026-13-01", "bad date to='2026-13-01' (no such day)"},
        {"from=2026-1-5", "bad date from='2026-1-5' (expected YYYY-MM-DD)"},
        {"from=%202026-01-05", "bad date from=' 2026-01-05' (expected YYYY-MM-DD)"},
        {"to=2026-01-05x", "bad date to='2026-01-05x' (expected YYYY-MM-DD)"},
        {"from=1969-12-31", "date from='1969-12-31' is before 1970-01-01, where reports begin"},
        /* a preset and days: an error naming both, whatever their order (range won before) */
        {"range=last_7_days&from=2026-11-01",
         "give either range or from/to, not both (range=last_7_days, from=2026-11-01)"},
        {"to=2026-11-30&range=today",
         "give either range or from/to, not both (range=today, to=2026-11-30)"},
        {"from=2026-11-01&range=last_month&to=2026-11-30",
         "give either range or from/to, not both (range=last_month, from=2026-11-01, "
         "to=2026-11-30)"},
    };
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        cn_report_req_init(&q);
        assert_int_equal(cn_report_req_parse_params(&q, cn_str_c(days[i].params), store, 0, &err),
                         CN_EINVAL);
        assert_string_equal(err.msg, days[i].msg);
        cn_report_req_dispose(&q);
    }
    cn_report_req_init(&q);
    assert_int_equal(
        cn_report_req_parse_params(&q, S("from=1970-01-01&to=1970-01-31"), store, 0, &err), 0);
    cn_report_req_dispose(&q);
    /* an empty range is no range: from/to decide */
    cn_report_req_init(&q);
    assert_int_equal(
        cn_report_req_parse_params(&q, S("range=&from=1970-01-01&to=1970-01-31"), store, 0, &err),
        0);
    cn_report_req_dispose(&q);
    /* the API answers JSON: a format asked for is not quietly left out */
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(&q, S("format=csv"), store, 0, &err), CN_EINVAL);
    assert_string_equal(err.msg, "unknown parameter 'format'");
    cn_report_req_dispose(&q);
    /* calculated metrics: each error names its formula; decimal numbers only; a formula no
     * metric asks for, or one given twice, is an error naming it */
    static const struct {
        const char *params, *msg;
    } calcs[] = {
        {"metrics=rpv,apo&calc.apo=revenue%2Forders&calc.rpv=x%2Fvisits",
         "calc.rpv: unknown metric 'x' at position 0"},
        {"metrics=apo,rpv&calc.apo=revenue%2F(orders&calc.rpv=revenue%2Fvisits",
         "calc.apo: expected ')' at position 15"},
        {"metrics=a&calc.a=visits*0x10", "calc.a: bad number '0x10' (decimal digits with at "
                                         "most one '.', e.g. 100 or 0.5) at position 7"},
        {"metrics=a&calc.a=1e5", "calc.a: bad number '1e5' (decimal digits with at most one "
                                 "'.', e.g. 100 or 0.5) at position 0"},
        {"metrics=a&calc.a=1.2.3", "calc.a: bad number '1.2.3' (decimal digits with at most "
                                   "one '.', e.g. 100 or 0.5) at position 0"},
        {"metrics=a&calc.a=visits%2B.", "calc.a: bad number '.' (decimal digits with at most "
                                        "one '.', e.g. 100 or 0.5) at position 7"},
        {"metrics=pageviews&calc.rpv=revenue%2Fvisits",
         "calc.rpv is not in metrics: add it (metrics=...,rpv) or leave the formula out"},
        {"calc.rpv=revenue%2Fvisits",
         "calc.rpv is not in metrics: add it (metrics=...,rpv) or leave the formula out"},
        {"metrics=rpv&calc.rpv=revenue%2Fvisits&calc.rpv=revenue",
         "'calc.rpv' is given twice (give it once)"},
        /* sort: a metric not asked for, or a direction misspelled (not "not a metric") */
        {"metrics=visits&sort=revenue", "sort by 'revenue': not one of the metrics asked for"},
        {"metrics=visits&sort=key:up", "sort 'key:up': the direction after ':' is asc or desc"},
        {"metrics=visits&sort=visits:descending",
         "sort 'visits:descending': the direction after ':' is asc or desc"},
        /* previous_bucket without a trend: not "unknown compare", which it is not */
        {"metrics=visits&compare=previous_bucket",
         "compare=previous_bucket needs a trend: give a granularity (hour, day, week or month), "
         "or compare with previous_period or previous_year"},
        {"metrics=visits&compare=previous_month",
         "unknown compare 'previous_month' (previous_period, previous_year, or previous_bucket "
         "with a granularity)"},
    };
    for (size_t i = 0; i < sizeof(calcs) / sizeof(calcs[0]); i++) {
        cn_report_req_init(&q);
        if (cn_report_req_parse_params(&q, cn_str_c(calcs[i].params), store, 0, &err) == 0)
            fail_msg("%s parsed", calcs[i].params);
        assert_string_equal(err.msg, calcs[i].msg);
        cn_report_req_dispose(&q);
    }
    cn_report_req_init(&q);
    assert_int_not_equal(
        cn_report_req_parse_json(
            &q, S("{\"metrics\": \"pageviews\", \"calculated\": {\"r\": \"1\"}}"), store, 0, &err),
        0);
    assert_string_equal(
        err.msg, "calc.r is not in metrics: add it (metrics=...,r) or leave the formula out");
    cn_report_req_dispose(&q);
    /* decimal numbers: 12, 0.5, .5 and 3. */
    cn_report_req_init(&q);
    assert_int_equal(
        cn_report_req_parse_params(&q, S("metrics=a&calc.a=12*0.5%2B.5-3."), store, 0, &err), 0);
    cn_report_req_dispose(&q);
    /* a calculated metric's name may hold a ':' (sorted by its whole name) */
    cn_report_req_init(&q);
    assert_int_equal(
        cn_report_req_parse_params(&q, S("metrics=a:b&calc.a:b=visits&sort=a:b"), store, 0, &err),
        0);
    assert_int_equal(q.sort_metric, 0);
    cn_report_req_dispose(&q);
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(&q, S("segment=visit(a%20%3D"), store, 0, &err),
                     CN_EPARSE);
    assert_non_null(strstr(err.msg, "position"));
    cn_report_req_dispose(&q);
}

/* A report that parses but does not run: its error (rc, message in msg). */
static int run_error(const char *params, char *msg, size_t n)
{
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    int rc = cn_report_req_parse_params(&req, cn_str_c(params), store, at(D + 1, 0), &err);
    if (rc != 0)
        fail_msg("parse %s: %s", params, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r = NULL;
    rc = cn_report_run_ctx(qctx, store, snap, &req, &r, &err);
    cn_store_snap_release(snap);
    if (rc == 0) {
        cn_report_free(r);
        fail_msg("%s ran", params);
    }
    snprintf(msg, n, "%s", err.msg);
    cn_report_req_dispose(&req);
    return rc;
}

/* device, referrer_type, hit_type, cross_border and new_returning have a fixed set of names:
 * one that is not among them is an error, not a segment that keeps nothing. */
static void named_values_outside_their_names_are_errors(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run(RANGE "&metrics=pageviews&segment=device%20%3D%20%22desktop%22", &q);
    assert_true(r->totals[0] == 7);
    done(r, &q);
    r = run(RANGE "&metrics=pageviews&segment=device%20contains%20%22phone%22", &q);
    assert_true(r->totals[0] == 0);
    done(r, &q);
    char msg[256];
    assert_int_equal(run_error(RANGE "&segment=device%20%3D%20%22phone%22", msg, sizeof(msg)),
                     CN_EINVAL);
    assert_string_equal(msg, "segment: 'device' is one of \"other\", \"desktop\", \"mobile\", "
                             "\"tablet\", \"bot\", not \"phone\"");
    assert_int_equal(run_error(RANGE "&segment=referrer_type%20in%20(%22search%22%2C%22Search%22)",
                               msg, sizeof(msg)),
                     CN_EINVAL);
    assert_non_null(strstr(msg, "not \"Search\""));
    assert_int_equal(
        run_error(RANGE "&segment=new_returning%20!%3D%20%22repeat%22", msg, sizeof(msg)),
        CN_EINVAL);
    assert_string_equal(msg, "segment: 'new_returning' is one of \"new\", \"returning\", not "
                             "\"repeat\"");
}

/* hour (0..23), day_of_week (0..6) and visit_number (1 and up) take known numbers: a value
 * outside them, or a comparison no value meets, is an error naming them, not a segment that
 * keeps nothing; comparisons every value meets (hour < 24, hour >= 0) still run. */
static void bounded_numbers_outside_their_range_are_errors(void **state)
{
    (void)state;
    cn_report_req_t q;
    static const char *const all[] = {
        "hour%20%3C%2024",                              /* hour < 24 */
        "hour%20%3E%3D%200",                            /* hour >= 0 */
        "day_of_week%20%3C%3D%206",                     /* day_of_week <= 6 */
        "visit_number%20%3E%3D%201",                    /* visit_number >= 1 */
        "hour%20in%20(0%2C23)%20or%20hour%20!%3D%2023", /* hour in (0,23) or hour != 23 */
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        char params[256];
        snprintf(params, sizeof(params), RANGE "&metrics=pageviews&segment=%s", all[i]);
        cn_report_t *r = run(params, &q);
        assert_true(r->totals[0] == 7);
        done(r, &q);
    }
    static const struct {
        const char *segment, *msg;
    } bad[] = {
        {"hour%20%3E%3D%2025",
         "segment: 'hour >= 25' keeps nothing: 'hour' is a whole number 0..23"},
        {"hour%20%3E%2023", "segment: 'hour > 23' keeps nothing: 'hour' is a whole number 0..23"},
        {"hour%20%3C%200", "segment: 'hour < 0' keeps nothing: 'hour' is a whole number 0..23"},
        {"hour%20%3D%2024", "segment: 'hour' is a whole number 0..23, not 24"},
        {"hour%20%3D%2010.5", "segment: 'hour' is a whole number 0..23, not 10.5"},
        {"hour%20in%20(10%2C-1)", "segment: 'hour' is a whole number 0..23, not -1"},
        {"day_of_week%20%3D%207",
         "segment: 'day_of_week' is a whole number 0..6 (Monday = 0, Sunday = 6), not 7"},
        {"day_of_week%20!%3D%207",
         "segment: 'day_of_week' is a whole number 0..6 (Monday = 0, Sunday = 6), not 7"},
        {"day_of_week%20%3E%206", "segment: 'day_of_week > 6' keeps nothing: 'day_of_week' is a "
                                  "whole number 0..6 (Monday = 0, Sunday = 6)"},
        {"visit_number%20%3D%200", "segment: 'visit_number' is a whole number 1 or more, not 0"},
        {"visit_number%20%3C%201",
         "segment: 'visit_number < 1' keeps nothing: 'visit_number' is a whole number 1 or more"},
        /* in a container too */
        {"visit(hour%20%3D%2099)", "segment: 'hour' is a whole number 0..23, not 99"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char params[256], msg[256];
        snprintf(params, sizeof(params), RANGE "&metrics=pageviews&segment=%s", bad[i].segment);
        assert_int_equal(run_error(params, msg, sizeof(msg)), CN_EINVAL);
        assert_string_equal(msg, bad[i].msg);
    }
}

/* A POST body's value of the wrong type is an error that names the key, never left out. */
static void json_values_of_the_wrong_type_are_errors(void **state)
{
    (void)state;
    static const struct {
        const char *body, *msg;
    } bad[] = {
        {"{\"limit\": 2.5}", "'limit' must be a string, a whole number or true/false"},
        {"{\"limit\": [2]}", "'limit' must be a string, a whole number or true/false"},
        {"{\"dimension\": [\"page\", 3]}", "'dimension' must be a string or an array of strings"},
        {"{\"metrics\": {\"a\": 1}}", "'metrics' must be a string or an array of strings"},
        {"{\"calculated\": \"rpv=revenue/visits\"}",
         "'calculated' must be an object of formulas: {\"NAME\": \"FORMULA\"}"},
        {"{\"calculated\": {\"rpv\": 1}}", "calculated metric 'rpv': the formula must be a string"},
        /* a yes/no parameter spelt otherwise is not read as either */
        {"{\"bots\": \"all\"}", "'bots' is 1, true or yes, or 0, false or no, not 'all'"},
        {"{\"empty\": \"none\"}", "'empty' is 1, true or yes, or 0, false or no, not 'none'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_report_req_t q;
        cn_err_t err = {0};
        cn_report_req_init(&q);
        assert_int_equal(cn_report_req_parse_json(&q, cn_str_c(bad[i].body), store, 0, &err),
                         CN_EINVAL);
        assert_string_equal(err.msg, bad[i].msg);
        cn_report_req_dispose(&q);
    }
    /* null is a key left out: the default limit */
    cn_report_req_t q;
    cn_err_t err = {0};
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_json(&q, S("{\"limit\": null}"), store, 0, &err), 0);
    assert_int_equal(q.limit, 100);
    cn_report_req_dispose(&q);
}

/* Runs a flow query (funnel, paths, realtime) and returns its parsed JSON answer. */
static json_t *flow(cn_query_fn_t fn, const char *params, int64_t now)
{
    cn_store_snap_t *snap;
    cn_buf_t out = CN_BUF_INIT;
    cn_err_t err = {0};
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    int rc = fn(qctx, store, snap, "t", cn_str_c(params), false, now, &out, &err);
    if (rc != 0)
        fail_msg("%s: %s", params, err.msg);
    if (qctx != NULL) {
        cn_buf_t again = CN_BUF_INIT;
        if (fn(qctx, store, snap, "t", cn_str_c(params), false, now, &again, &err) != 0)
            fail_msg("%s again: %s", params, err.msg);
        same_text(&out, &again);
        cn_buf_dispose(&again);
    }
    cn_store_snap_release(snap);
    json_error_t jerr;
    json_t *j = json_loadb(out.ptr, out.len, 0, &jerr);
    assert_non_null(j);
    cn_buf_dispose(&out);
    return j;
}

static json_int_t jint(json_t *j, const char *path)
{
    /* "steps.1.count": object keys and array indexes separated by dots */
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *tok = strtok(buf, "."); tok != NULL && j != NULL; tok = strtok(NULL, "."))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(tok)) : json_object_get(j, tok);
    if (!json_is_integer(j))
        fail_msg("%s is not an integer", path);
    return json_integer_value(j);
}

static const char *jstr(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *tok = strtok(buf, "."); tok != NULL && j != NULL; tok = strtok(NULL, "."))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(tok)) : json_object_get(j, tok);
    if (!json_is_string(j))
        fail_msg("%s is not a string", path);
    return json_string_value(j);
}

static void funnel_counts_ordered_steps(void **state)
{
    (void)state;
    json_t *j =
        flow(cn_funnel_json,
             RANGE "&step=product_views%20>%200&step=cart_adds%20>%200&step=orders%20>%200", 0);
    assert_int_equal(jint(j, "total"), 3);
    assert_int_equal(jint(j, "steps.0.count"), 2);
    assert_int_equal(jint(j, "steps.1.count"), 1);
    assert_int_equal(jint(j, "steps.1.dropoff"), 1);
    assert_int_equal(jint(j, "steps.2.count"), 1);
    json_decref(j);
    /* order matters: a cart add before any purchase, never a purchase before a product view */
    j = flow(cn_funnel_json, RANGE "&step=orders%20>%200&step=product_views%20>%200", 0);
    assert_int_equal(jint(j, "steps.0.count"), 1);
    assert_int_equal(jint(j, "steps.1.count"), 0);
    json_decref(j);
    /* within a visitor, visitor 0's next-day product view follows the purchase */
    j = flow(cn_funnel_json, RANGE "&within=visitor&step=orders%20>%200&step=product_views%20>%200",
             0);
    assert_int_equal(jint(j, "total"), 2);
    assert_int_equal(jint(j, "steps.1.count"), 1);
    json_decref(j);
}

static void paths_next_previous_and_pairs(void **state)
{
    (void)state;
    json_t *j = flow(cn_paths_json, RANGE "&condition=page%20%3D%20%22/home%22", 0);
    assert_int_equal(jint(j, "total"), 3);
    assert_string_equal(jstr(j, "rows.0.keys.0"), "/p/mug");
    assert_int_equal(jint(j, "rows.0.count"), 2);
    assert_string_equal(jstr(j, "rows.1.keys.0"), "(exit)");
    json_decref(j);
    j = flow(cn_paths_json, RANGE "&direction=previous&condition=page%20%3D%20%22/p/mug%22", 0);
    assert_string_equal(jstr(j, "rows.0.keys.0"), "/home");
    assert_int_equal(jint(j, "rows.0.count"), 2);
    json_decref(j);
    j = flow(cn_paths_json, RANGE "&length=2", 0);
    assert_int_equal(jint(j, "total"), 4);
    assert_string_equal(jstr(j, "rows.0.keys.0"), "/home");
    assert_string_equal(jstr(j, "rows.0.keys.1"), "/p/mug");
    assert_int_equal(jint(j, "rows.0.count"), 2);
    size_t all = json_array_size(json_object_get(j, "rows"));
    assert_true(all >= 2);
    json_decref(j);
    /* limit: 1 row; 0 every row, as a report's limit=0; past 10000 an error */
    j = flow(cn_paths_json, RANGE "&length=2&limit=1", 0);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 1);
    json_decref(j);
    j = flow(cn_paths_json, RANGE "&length=2&limit=0", 0);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), all);
    json_decref(j);
    cn_store_snap_t *snap;
    cn_buf_t out = CN_BUF_INIT;
    cn_err_t err = {0};
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    assert_int_equal(cn_paths_json(qctx, store, snap, "t", S(RANGE "&length=2&limit=10001"), false,
                                   0, &out, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg, "limit must be 0 (all rows) or 1..10000");
    cn_buf_dispose(&out);
    cn_store_snap_release(snap);
}

static void realtime_counts_the_last_minutes(void **state)
{
    (void)state;
    json_t *j = flow(cn_realtime_json, "minutes=30", at(D + 1, 2 * MIN));
    assert_int_equal(jint(j, "hits"), 2);
    assert_int_equal(jint(j, "pageviews"), 2);
    assert_int_equal(jint(j, "visitors"), 1);
    assert_int_equal(json_array_size(json_object_get(j, "minutes")), 30);
    assert_int_equal(jint(j, "minutes.29.hits"), 0);
    assert_int_equal(jint(j, "minutes.28.hits"), 1);
    assert_int_equal(jint(j, "minutes.27.hits"), 1);
    json_decref(j);
    /* a date range is not what realtime reads: an error, not a range left unread */
    cn_store_snap_t *snap;
    cn_buf_t out = CN_BUF_INIT;
    cn_err_t err = {0};
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    assert_int_equal(cn_realtime_json(qctx, store, snap, "t", S("minutes=30&range=today"), false,
                                      at(D + 1, 2 * MIN), &out, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg,
                        "realtime reads the last minutes=N (1..180), not a date range ('range')");
    cn_buf_clear(&out);
    assert_int_equal(cn_realtime_json(qctx, store, snap, "t", S("minutes=30&bots=maybe"), false,
                                      at(D + 1, 2 * MIN), &out, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg, "'bots' is 1, true or yes, or 0, false or no, not 'maybe'");
    cn_buf_dispose(&out);
    cn_store_snap_release(snap);
}

/* A funnel step sent as a JSON object is an error naming it, not a step left out. */
static void funnel_json_steps_must_be_text(void **state)
{
    (void)state;
    cn_store_snap_t *snap;
    cn_buf_t out = CN_BUF_INIT;
    cn_err_t err = {0};
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    const char *body = "{\"from\": \"2026-11-01\", \"to\": \"2026-11-02\", \"steps\": "
                       "[{\"field\": \"product_views\", \"op\": \">\", \"value\": 0}, "
                       "\"orders > 0\"]}";
    assert_int_equal(cn_funnel_json(qctx, store, snap, "t", cn_str_c(body), true, 0, &out, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg, "'steps': item 1 is not a string (a condition is segment text)");
    cn_buf_clear(&out);
    body = "{\"from\": \"2026-11-01\", \"to\": \"2026-11-02\", \"within\": 1.5, "
           "\"steps\": [\"product_views > 0\", \"orders > 0\"]}";
    assert_int_equal(cn_funnel_json(qctx, store, snap, "t", cn_str_c(body), true, 0, &out, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg, "'within' must be a string, a whole number or true/false");
    cn_buf_clear(&out);
    /* the same funnel with text steps */
    body = "{\"from\": \"2026-11-01\", \"to\": \"2026-11-02\", \"segment\": null, "
           "\"steps\": [\"product_views > 0\", \"orders > 0\"]}";
    assert_int_equal(cn_funnel_json(qctx, store, snap, "t", cn_str_c(body), true, 0, &out, &err),
                     0);
    json_error_t jerr;
    json_t *j = json_loadb(out.ptr, out.len, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(jint(j, "steps.0.count"), 2);
    assert_int_equal(jint(j, "steps.1.count"), 1);
    json_decref(j);
    cn_buf_dispose(&out);
    cn_store_snap_release(snap);
}

/* A parameter given twice (or a key of a POST body), and parameters that are two different
 * questions, are errors: one of the values would otherwise go unread. List parameters
 * (dimension, metrics, step) add up, as documented. */
static void parameters_given_twice_are_errors(void **state)
{
    (void)state;
    static const struct {
        const char *params, *msg;
    } bad[] = {
        {RANGE "&limit=1&limit=2", "'limit' is given twice (give it once)"},
        {RANGE "&segment=page%3D%22/home%22&segment=orders%3E0",
         "'segment' is given twice (give it once)"},
        {RANGE "&to=2026-11-02", "'to' is given twice (give it once)"},
        /* not a repeat, but read by the same loop: %00 would cut the value short */
        {RANGE "&limit=5%00x", "parameter 'limit' holds a NUL byte (%00): parameters are text"},
        {RANGE "&metrics=visits%00&x",
         "parameter 'metrics' holds a NUL byte (%00): parameters are text"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_report_req_t q;
        cn_err_t err = {0};
        cn_report_req_init(&q);
        assert_int_equal(cn_report_req_parse_params(&q, cn_str_c(bad[i].params), store, 0, &err),
                         CN_EINVAL);
        assert_string_equal(err.msg, bad[i].msg);
        cn_report_req_dispose(&q);
    }
    static const struct {
        const char *body, *msg;
    } jbad[] = {
        {"{\"limit\": 1, \"limit\": 2}",
         "bad JSON at line 1 column 20: duplicate object key near '\"limit\"'"},
        {"{\"dimension\": \"page\", \"dimensions\": [\"country\"]}",
         "both 'dimension' and 'dimensions' are given (they are one list: give one of them)"},
        {"{\"dimensions\": [\"country\"], \"dimension\": \"page\"}",
         "both 'dimension' and 'dimensions' are given (they are one list: give one of them)"},
    };
    for (size_t i = 0; i < sizeof(jbad) / sizeof(jbad[0]); i++) {
        cn_report_req_t q;
        cn_err_t err = {0};
        cn_report_req_init(&q);
        assert_int_not_equal(cn_report_req_parse_json(&q, cn_str_c(jbad[i].body), store, 0, &err),
                             0);
        assert_string_equal(err.msg, jbad[i].msg);
        cn_report_req_dispose(&q);
    }
    /* 33 calculated metrics: an error, not the 33rd left out */
    char qs[2048];
    size_t n = (size_t)snprintf(qs, sizeof(qs), RANGE "&metrics=c0");
    for (int c = 0; c <= CN_REPORT_MAX_METRICS; c++)
        n += (size_t)snprintf(qs + n, sizeof(qs) - n, "&calc.c%d=hits", c);
    cn_report_req_t q;
    cn_err_t err = {0};
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(&q, cn_str_c(qs), store, 0, &err), CN_EINVAL);
    assert_string_equal(err.msg, "at most 32 calculated metrics");
    cn_report_req_dispose(&q);
    /* a calculated metric named as a metric of the catalogue: it would never be read */
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(
                         &q, S(RANGE "&metrics=pageviews&calc.pageviews=visits*2"), store, 0, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg, "calculated metric 'pageviews': the catalogue has a metric of "
                                 "that name; give the formula another name");
    cn_report_req_dispose(&q);
    cn_report_req_init(&q);
    assert_int_equal(
        cn_report_req_parse_json(&q, S("{\"metrics\": \"x\", \"calculated\": {\"event7\": \"1\"}}"),
                                 store, 0, &err),
        CN_EINVAL);
    assert_string_equal(err.msg, "calculated metric 'event7': the catalogue has a metric of "
                                 "that name; give the formula another name");
    cn_report_req_dispose(&q);
    /* paths and funnels: a second condition, limit or within; length=2 with a condition */
    static const struct {
        cn_query_fn_t fn;
        const char *params, *msg;
    } fbad[] = {
        {cn_paths_json, RANGE "&condition=page%3D%22/home%22&condition=page%3D%22/p/mug%22",
         "'condition' is given twice (give it once)"},
        {cn_paths_json, RANGE "&length=2&limit=1&limit=2", "'limit' is given twice (give it once)"},
        {cn_paths_json, RANGE "&length=2&condition=page%3D%22/home%22",
         "length=2 gives the top pairs of the range: it takes no condition (that is the next or "
         "previous values after condition=...)"},
        {cn_paths_json, RANGE "&length=2&direction=previous",
         "length=2 gives the top pairs of the range: it takes no direction (that is the next or "
         "previous values after condition=...)"},
        {cn_funnel_json, RANGE "&step=hits%3E0&step=orders%3E0&within=visit&within=visitor",
         "'within' is given twice (give it once)"},
        /* a NUL byte (%00) is no text cut where it is (a JSON body cannot hold one either) */
        {cn_paths_json, RANGE "&length=2&limit=5%00x",
         "parameter 4 holds a NUL byte (%00): parameters are text"},
        {cn_funnel_json, RANGE "&step=hits%3E0%00junk&step=orders%3E0",
         "parameter 3 holds a NUL byte (%00): parameters are text"},
        {cn_funnel_json, RANGE "&step=hits%3E0&step=orders%3E0&a%00b=1",
         "parameter 5 holds a NUL byte (%00): parameters are text"},
    };
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    for (size_t i = 0; i < sizeof(fbad) / sizeof(fbad[0]); i++) {
        cn_buf_t out = CN_BUF_INIT;
        cn_err_t ferr = {0};
        assert_int_equal(
            fbad[i].fn(qctx, store, snap, "t", cn_str_c(fbad[i].params), false, 0, &out, &ferr),
            CN_EINVAL);
        assert_string_equal(ferr.msg, fbad[i].msg);
        cn_buf_dispose(&out);
    }
    /* a JSON body: a key twice, and a list for a one-value key */
    const char *body = "{\"from\": \"2026-11-01\", \"to\": \"2026-11-02\", \"length\": 2, "
                       "\"limit\": [1, 2]}";
    cn_buf_t out = CN_BUF_INIT;
    assert_int_equal(cn_paths_json(qctx, store, snap, "t", cn_str_c(body), true, 0, &out, &err),
                     CN_EINVAL);
    assert_string_equal(err.msg, "'limit' is given twice (give it once)");
    body = "{\"length\": 2, \"length\": 2}";
    assert_int_equal(cn_paths_json(qctx, store, snap, "t", cn_str_c(body), true, 0, &out, &err),
                     CN_EPARSE);
    assert_string_equal(err.msg,
                        "bad JSON at line 1 column 22: duplicate object key near '\"length\"'");
    /* steps add up */
    assert_int_equal(cn_funnel_json(qctx, store, snap, "t",
                                    S(RANGE "&step=hits%3E0&step=orders%3E0"), false, 0, &out,
                                    &err),
                     0);
    cn_buf_dispose(&out);
    cn_store_snap_release(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totals_are_exact_and_bots_excluded),
        cmocka_unit_test(totals_only_always_has_one_row),
        cmocka_unit_test(named_values_outside_their_names_are_errors),
        cmocka_unit_test(bounded_numbers_outside_their_range_are_errors),
        cmocka_unit_test(json_values_of_the_wrong_type_are_errors),
        cmocka_unit_test(funnel_json_steps_must_be_text),
        cmocka_unit_test(parameters_given_twice_are_errors),
        cmocka_unit_test(ranked_by_page_with_visits_entries_exits),
        cmocka_unit_test(limited_pages_match_the_full_sort),
        cmocka_unit_test(visit_dimension_counts_each_visit_once),
        cmocka_unit_test(segments_by_scope),
        cmocka_unit_test(trend_by_day_with_compare),
        cmocka_unit_test(trend_visit_measures_by_day_and_hour),
        cmocka_unit_test(products_evars_and_events),
        cmocka_unit_test(bad_requests_say_what_is_wrong),
        cmocka_unit_test(funnel_counts_ordered_steps),
        cmocka_unit_test(paths_next_previous_and_pairs),
        cmocka_unit_test(realtime_counts_the_last_minutes),
    };
#if defined(QUERY_CTX_CACHE)
    /* a cache and two threads: every query runs twice (decoding, then cached) */
    ctx_cache_bytes = (size_t)64 << 20;
    ctx_threads = 2;
#elif defined(QUERY_CTX_TINY_CACHE)
    /* a cache too small for any column, more threads than segments */
    ctx_cache_bytes = 8;
    ctx_threads = 3;
#endif
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed;
}
