/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The time_on_page metric (docs/api.md) on a hand-made store with known
 * answers: a page view's time is the seconds to its visit's next hit in the
 * range (any hit: a link hit or a hit outside the segment ends it too); page
 * views without a later hit do not count. One visit runs over midnight, so
 * with two threads its page view is closed across the two runs' merge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "query/query.h"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static int32_t D; /* 2026-11-01, UTC */

#define S(x) CN_STR_LIT(x)

static int64_t ts(int32_t day, int64_t sec)
{
    return ((int64_t)day * 86400 + sec) * 1000000LL;
}

static void add_visit(cn_sink_t *k, uint32_t id, uint32_t visitor, const char *bot, int64_t t)
{
    cn_visit_row_t v = {0};
    v.visitor = visitor;
    v.visit_num = 1;
    v.start_ts = t;
    v.entry_page = S("/a");
    v.country = S("US");
    v.channel = S("direct");
    v.bot = cn_str_c(bot);
    v.device = bot[0] ? CN_DEVICE_BOT : CN_DEVICE_DESKTOP;
    assert_int_equal(k->visit(k->ud, id, &v), 0);
}

static void add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, int64_t t, uint8_t type,
                    const char *page)
{
    cn_hit_row_t h = {0};
    h.ts = t;
    h.visit = visit;
    h.hit_num = num;
    h.type = type;
    h.page = cn_str_c(page);
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("top", "[suite t]\ntimezone = UTC\ncurrency = USD\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    /* hits in time order; v0: /a 30 s, /b 70 s (ended by a link hit), /a last */
    add_visit(&k, 0, 0, "", ts(D, 36000));
    add_hit(&k, 0, 1, ts(D, 36000), CN_HIT_PAGEVIEW, "/a");
    add_hit(&k, 0, 2, ts(D, 36030), CN_HIT_PAGEVIEW, "/b");
    /* v1 interleaved: /b 10 s, /b last */
    add_visit(&k, 1, 1, "", ts(D, 36050));
    add_hit(&k, 1, 1, ts(D, 36050), CN_HIT_PAGEVIEW, "/b");
    add_hit(&k, 1, 2, ts(D, 36060), CN_HIT_PAGEVIEW, "/b");
    add_hit(&k, 0, 3, ts(D, 36100), CN_HIT_LINK, "/b");
    add_hit(&k, 0, 4, ts(D, 36400), CN_HIT_PAGEVIEW, "/a");
    /* a bot: never counted */
    add_visit(&k, 2, 2, "search-engine", ts(D, 41000));
    add_hit(&k, 2, 1, ts(D, 41000), CN_HIT_PAGEVIEW, "/a");
    add_hit(&k, 2, 2, ts(D, 42000), CN_HIT_PAGEVIEW, "/a");
    /* v3 over midnight: /a 90 s (its next hit is on the next day), /c 120 s, /c last */
    add_visit(&k, 3, 3, "", ts(D, 86340));
    add_hit(&k, 3, 1, ts(D, 86340), CN_HIT_PAGEVIEW, "/a");
    add_hit(&k, 3, 2, ts(D + 1, 30), CN_HIT_PAGEVIEW, "/c");
    add_hit(&k, 3, 3, ts(D + 1, 150), CN_HIT_PAGEVIEW, "/c");
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Runs a report without a context and with one of two threads: both answers
 * must be the same; returns the threaded one. */
static cn_report_t *run(const char *params, cn_report_req_t *req)
{
    cn_err_t err = {0};
    cn_report_req_init(req);
    if (cn_report_req_parse_params(req, cn_str_c(params), store, ts(D + 1, 0), &err) != 0)
        fail_msg("parse %s: %s", params, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r1, *r2;
    if (cn_report_run(store, snap, req, &r1, &err) != 0)
        fail_msg("run %s: %s", params, err.msg);
    cn_query_ctx_t *ctx = cn_query_ctx_new((size_t)16 << 20, 2);
    if (cn_report_run_ctx(ctx, store, snap, req, &r2, &err) != 0)
        fail_msg("run %s: %s", params, err.msg);
    cn_query_ctx_free(ctx);
    cn_store_snap_release(snap);
    assert_int_equal(r1->row_count, r2->row_count);
    for (size_t i = 0; i < r1->row_count; i++) {
        assert_true(cn_str_eq(r1->rows[i].keys[0], r2->rows[i].keys[0]));
        for (size_t m = 0; m < r1->metric_count; m++)
            assert_true(r1->rows[i].values[m] == r2->rows[i].values[m]);
    }
    for (size_t m = 0; m < r1->metric_count; m++)
        assert_true(r1->totals[m] == r2->totals[m]);
    cn_report_free(r1);
    return r2;
}

static double value(const cn_report_t *r, const char *key, size_t m)
{
    for (size_t i = 0; i < r->row_count; i++) {
        if (cn_str_eq_c(r->rows[i].keys[0], key))
            return r->rows[i].values[m];
    }
    fail_msg("no row %s", key);
    return -1;
}

static void done(cn_report_t *r, cn_report_req_t *req)
{
    cn_report_free(r);
    cn_report_req_dispose(req);
}

static void by_page_over_two_days(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("from=2026-11-01&to=2026-11-02&dimension=page"
                         "&metrics=time_on_page,pageviews",
                         &q);
    assert_int_equal(r->row_count, 3);
    assert_float_equal(value(r, "/a", 0), (30 + 90) / 2.0, 1e-9);
    assert_float_equal(value(r, "/b", 0), (70 + 10) / 2.0, 1e-9);
    assert_float_equal(value(r, "/c", 0), 120, 1e-9);
    assert_true(value(r, "/a", 1) == 3);
    assert_float_equal(r->totals[0], (30 + 70 + 10 + 90 + 120) / 5.0, 1e-9);
    done(r, &q);
}

/* The range cuts visits: v3's /a has no later hit on 11-01. */
static void a_day_ends_the_range(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("from=2026-11-01&to=2026-11-01&dimension=page&metrics=time_on_page", &q);
    assert_float_equal(value(r, "/a", 0), 30, 1e-9);
    assert_float_equal(value(r, "/b", 0), 40, 1e-9);
    assert_float_equal(r->totals[0], (30 + 70 + 10) / 3.0, 1e-9);
    done(r, &q);
    r = run("from=2026-11-02&to=2026-11-02&metrics=time_on_page", &q);
    assert_float_equal(r->totals[0], 120, 1e-9);
    done(r, &q);
}

/* A page view is credited to its own trend bucket, even when the next hit is
 * in the next one. */
static void trend_by_day(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("from=2026-11-01&to=2026-11-02&granularity=day&metrics=time_on_page", &q);
    assert_float_equal(value(r, "2026-11-01", 0), (30 + 70 + 10 + 90) / 4.0, 1e-9);
    assert_float_equal(value(r, "2026-11-02", 0), 120, 1e-9);
    done(r, &q);
}

/* Hits outside a hit segment still end the page views in it. */
static void segment_keeps_the_next_hit(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("from=2026-11-01&to=2026-11-02&dimension=page&metrics=time_on_page"
                         "&segment=hit(page%20%3D%20%22%2Fa%22)",
                         &q);
    assert_int_equal(r->row_count, 1);
    assert_float_equal(value(r, "/a", 0), 60, 1e-9);
    assert_float_equal(r->totals[0], 60, 1e-9);
    done(r, &q);
}

static void not_by_product(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_err_t err = {0};
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(&q, S("dimension=product&metrics=time_on_page"),
                                                store, ts(D + 1, 0), &err),
                     0);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r = NULL;
    assert_int_equal(cn_report_run(store, snap, &q, &r, &err), CN_EINVAL);
    assert_non_null(strstr(err.msg, "time_on_page"));
    cn_store_snap_release(snap);
    cn_report_req_dispose(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(by_page_over_two_days), cmocka_unit_test(a_day_ends_the_range),
        cmocka_unit_test(trend_by_day),          cmocka_unit_test(segment_keeps_the_next_hit),
        cmocka_unit_test(not_by_product),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
