/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query context (cache.c): answers with a decoded-column cache and
 * several threads equal the answers without, on a store whose visits span
 * many small segments (so that a split of the scan cuts through visits);
 * the cache stays within its budget; entries of segments a merge replaced
 * are dropped.
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
#define DAYS 3

static uint64_t rng = 42;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33) % n;
}

static const char *const pages[] = {"/",     "/home",     "/p/mug", "/p/cup",
                                    "/cart", "/checkout", "/help"};
static const char *const countries[] = {"US", "CN", "DE", "FR"};
static const char *const channels[] = {"Direct", "Natural Search", "Email"};

/* Visits of 1..12 hits, a minute apart, starting every few minutes over
 * DAYS days (some cross midnight); a flush every 40 hits makes many small
 * segments per day. */
static void fill(void)
{
    cn_sink_t k = cn_store_sink(store);
    int64_t t0 = (int64_t)D * 86400 * 1000000LL;
    uint32_t visit = 0, hits = 0;
    for (int64_t start = t0; start < t0 + (int64_t)DAYS * 86400 * 1000000LL;
         start += (int64_t)(1 + rnd(20)) * 60 * 1000000LL) {
        cn_visit_row_t v = {0};
        v.visitor = rnd(150);
        v.visit_num = 1 + rnd(3);
        v.start_ts = start;
        v.entry_page = S("/");
        v.country = cn_str_c(countries[rnd(4)]);
        v.channel = cn_str_c(channels[rnd(3)]);
        bool bot = rnd(20) == 0;
        v.bot = bot ? S("crawler") : S("");
        v.device = bot ? CN_DEVICE_BOT : CN_DEVICE_DESKTOP;
        assert_int_equal(k.visit(k.ud, visit, &v), 0);
        uint32_t n = 1 + rnd(12);
        for (uint32_t h = 0; h < n; h++) {
            cn_hit_row_t r = {0};
            /* visits overlap: their hits interleave in time order only roughly,
             * as processing emits them, so emit each visit's hits at once */
            r.ts = start + (int64_t)h * 60 * 1000000LL;
            r.visit = visit;
            r.hit_num = h + 1;
            r.type = rnd(5) == 0 ? CN_HIT_LINK : CN_HIT_PAGEVIEW;
            r.page = cn_str_c(pages[rnd(7)]);
            uint32_t e = rnd(10);
            r.events = e == 0   ? CN_EV_PROD_VIEW
                       : e == 1 ? CN_EV_CART_ADD
                       : e == 2 ? CN_EV_PURCHASE
                                : 0;
            if (r.events & CN_EV_PURCHASE) {
                r.revenue = (int64_t)(1 + rnd(500)) * 10000;
                r.units = 1 + rnd(3);
                r.order_id = S("O");
                r.currency = S("USD");
            }
            uint32_t id;
            assert_int_equal(k.hit(k.ud, &r, &id), 0);
            if (++hits % 40 == 0)
                assert_int_equal(cn_store_flush(store), 0);
        }
        visit++;
    }
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("qctx", "[suite t]\ntimezone = UTC\n", dir, sizeof(dir), &conf, &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    fill();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* A report's JSON (without the timing) on the latest snapshot. */
static void report(cn_query_ctx_t *ctx, const char *params, cn_buf_t *out)
{
    cn_err_t err = {0};
    cn_report_req_t req;
    cn_report_req_init(&req);
    if (cn_report_req_parse_params(&req, cn_str_c(params), store, 0, &err) != 0)
        fail_msg("parse %s: %s", params, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    if (cn_report_run_ctx(ctx, store, snap, &req, &r, &err) != 0)
        fail_msg("run %s: %s", params, err.msg);
    r->elapsed_ms = 0;
    cn_buf_clear(out);
    cn_report_to_json(r, &req, out);
    cn_buf_putc(out, '\0');
    cn_report_free(r);
    cn_report_req_dispose(&req);
    cn_store_snap_release(snap);
}

static void flow(cn_query_ctx_t *ctx, cn_query_fn_t fn, const char *params, cn_buf_t *out)
{
    cn_err_t err = {0};
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_buf_clear(out);
    if (fn(ctx, store, snap, "t", cn_str_c(params), false, 0, out, &err) != 0)
        fail_msg("%s: %s", params, err.msg);
    cn_buf_putc(out, '\0');
    cn_store_snap_release(snap);
}

#define RANGE "from=2026-11-01&to=2026-11-03"

static const char *const reports[] = {
    RANGE "&metrics=pageviews,hits,visits,visitors,bounces,entries,exits,visit_duration,orders,"
          "revenue,units,conversion_rate",
    RANGE "&dimension=page&metrics=pageviews,visits,visitors,bounces,entries,exits,visit_duration",
    RANGE "&dimension=country&metrics=revenue,orders,units",
    RANGE "&dimension=country&metrics=visits,visitors,conversion_rate,revenue",
    RANGE "&dimension=channel&metrics=conversion_rate",
    RANGE "&granularity=day&metrics=pageviews,visits,visitors",
    RANGE "&granularity=hour&metrics=revenue,orders",
    RANGE "&granularity=day&metrics=revenue&compare=previous_bucket",
    RANGE "&dimension=page&metrics=pageviews&segment=visit(channel%20%3D%20%22Email%22%20and%20"
          "country%20%3D%20%22US%22)",
    RANGE "&dimension=country&metrics=revenue&segment=visit(channel%20%3D%20%22Email%22)",
    RANGE
    "&dimension=channel&metrics=visits,conversion_rate&segment=visit(country%20%3D%20%22DE%22)",
    RANGE "&dimension=page&metrics=visits,visitors&segment=visitor(orders%20>%200)",
    RANGE "&dimension=exit_page&metrics=visits,bounces",
    RANGE "&dimension=country&dimension=page&metrics=pageviews,visitors",
    RANGE "&metrics=visitors&bots=true",
    "from=2026-11-02&to=2026-11-02&dimension=page&metrics=pageviews,visits",
};

static const char *const funnels[] = {
    RANGE "&step=product_views%20>%200&step=cart_adds%20>%200&step=orders%20>%200",
    RANGE "&within=visitor&step=product_views%20>%200&step=orders%20>%200",
};

static const char *const paths[] = {
    RANGE "&condition=page%20starts%20with%20%22/p/%22",
    RANGE "&direction=previous&condition=page%20%3D%20%22/cart%22",
    RANGE "&length=2",
    RANGE "&condition=page%20starts%20with%20%22/p/%22&repeats=include",
    RANGE "&direction=previous&condition=page%20%3D%20%22/cart%22&repeats=include",
    RANGE "&length=2&repeats=include",
};

/* Every query with ctx equals the same without a context. */
static void all_equal(cn_query_ctx_t *ctx)
{
    cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT;
    for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
        report(NULL, reports[i], &a);
        report(ctx, reports[i], &b);
        assert_string_equal(a.ptr, b.ptr);
        report(ctx, reports[i], &b); /* from the cache */
        assert_string_equal(a.ptr, b.ptr);
    }
    for (size_t i = 0; i < sizeof(funnels) / sizeof(funnels[0]); i++) {
        flow(NULL, cn_funnel_json, funnels[i], &a);
        flow(ctx, cn_funnel_json, funnels[i], &b);
        assert_string_equal(a.ptr, b.ptr);
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        flow(NULL, cn_paths_json, paths[i], &a);
        flow(ctx, cn_paths_json, paths[i], &b);
        assert_string_equal(a.ptr, b.ptr);
    }
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
}

static void threads_and_cache_give_the_same_answers(void **state)
{
    (void)state;
    static const unsigned threads[] = {2, 3, 8};
    for (size_t i = 0; i < 3; i++) {
        cn_query_ctx_t *ctx = cn_query_ctx_new((size_t)64 << 20, threads[i]);
        all_equal(ctx);
        size_t bytes, entries;
        cn_query_ctx_stats(ctx, &bytes, &entries);
        assert_true(bytes > 0 && entries > 0);
        cn_query_ctx_free(ctx);
    }
}

static void the_cache_stays_within_its_budget(void **state)
{
    (void)state;
    cn_query_ctx_t *ctx = cn_query_ctx_new(4096, 2);
    all_equal(ctx);
    size_t bytes, entries;
    cn_query_ctx_stats(ctx, &bytes, &entries);
    assert_true(bytes <= 4096);
    cn_query_ctx_free(ctx);
    /* no cache at all, more threads */
    ctx = cn_query_ctx_new(0, 4);
    all_equal(ctx);
    cn_query_ctx_stats(ctx, &bytes, &entries);
    assert_int_equal(bytes, 0);
    cn_query_ctx_free(ctx);
}

static void merged_segments_leave_the_cache(void **state)
{
    (void)state;
    cn_query_ctx_t *ctx = cn_query_ctx_new((size_t)64 << 20, 2);
    cn_buf_t a = CN_BUF_INIT;
    report(ctx, reports[1], &a);
    size_t before, entries;
    cn_query_ctx_stats(ctx, &before, &entries);
    assert_true(before > 0);
    /* closed days merge into one segment each: their old segments leave */
    assert_int_equal(cn_store_maintain(store, 0), 0);
    all_equal(ctx);
    report(ctx, reports[1], &a);
    size_t after;
    cn_query_ctx_stats(ctx, &after, &entries);
    /* what a fresh cache holds after the same query */
    cn_query_ctx_t *fresh = cn_query_ctx_new((size_t)64 << 20, 2);
    all_equal(fresh);
    report(fresh, reports[1], &a);
    size_t want, want_entries;
    cn_query_ctx_stats(fresh, &want, &want_entries);
    assert_int_equal(after, want);
    assert_int_equal(entries, want_entries);
    cn_query_ctx_free(fresh);
    cn_query_ctx_free(ctx);
    cn_buf_dispose(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_and_cache_give_the_same_answers),
        cmocka_unit_test(the_cache_stays_within_its_budget),
        cmocka_unit_test(merged_segments_leave_the_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
