/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The visit_duration metric (docs/api.md) on a hand-made store with known
 * answers, in a suite whose local midnight is not UTC's (Asia/Shanghai,
 * UTC+8). A visit's time runs from each of its selected hits to the next
 * one; a time bucket (a trend's hour, day, week or month, the hour and
 * day_of_week dimensions) gets the time of its own hits, so a visit over
 * midnight adds up to its duration over the days instead of counting it on
 * both. Other dimensions get the visit's whole time (in the bucket). Each
 * report runs without threads and with 2 and 3 (one local day each): the
 * answers must be the same.
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
static int32_t D; /* 2026-11-01 */

#define S(x) CN_STR_LIT(x)

/* Local time (UTC+8) on day D + day at hh:mm, in µs. */
static int64_t lt(int day, int hh, int mm)
{
    return ((int64_t)(D + day) * 86400 + hh * 3600 + mm * 60 - 8 * 3600) * 1000000LL;
}

static void add_visit(cn_sink_t *k, uint32_t id, uint32_t visitor, int64_t t)
{
    cn_visit_row_t v = {0};
    v.visitor = visitor;
    v.visit_num = 1;
    v.start_ts = t;
    v.entry_page = S("/a");
    v.country = S("CN");
    v.channel = S("direct");
    v.bot = S("");
    v.device = CN_DEVICE_DESKTOP;
    assert_int_equal(k->visit(k->ud, id, &v), 0);
}

static void add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, int64_t t, const char *page)
{
    cn_hit_row_t h = {0};
    h.ts = t;
    h.visit = visit;
    h.hit_num = num;
    h.type = CN_HIT_PAGEVIEW;
    h.page = cn_str_c(page);
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
}

/*
 * Local days 11-01 (Sunday) to 11-03, hits in time order:
 *   v0 11-01 10:00 /a, 10:05 /b                          5 min, all on 11-01
 *   v1 11-01 23:50 /a, 11-02 00:20 /b, 00:30 /a         40 min: 30 on 11-01, 10 on 11-02
 *   v2 11-01 23:55 /c, 11-02 00:05 /c, 23:59 /c,
 *      11-03 00:01 /c                                   1446 min: 10, 1436, 0 (the store takes
 *                                                       a visit as given, gaps and all)
 *   v3 11-02 12:00 /a                                    a bounce: 0
 *   v4 11-03 09:00 /a, 09:01 /b, 09:02 /a, 09:03 /b      3 min on 11-03
 * 4, 5 and 5 hits a day: three threads read one day each.
 */
static int setup(void **state)
{
    (void)state;
    fixture_open("vdur", "[suite t]\ntimezone = Asia/Shanghai\ncurrency = CNY\n", dir, sizeof(dir),
                 &conf, &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    add_visit(&k, 0, 0, lt(0, 10, 0));
    add_hit(&k, 0, 1, lt(0, 10, 0), "/a");
    add_hit(&k, 0, 2, lt(0, 10, 5), "/b");
    add_visit(&k, 1, 1, lt(0, 23, 50));
    add_hit(&k, 1, 1, lt(0, 23, 50), "/a");
    add_visit(&k, 2, 2, lt(0, 23, 55));
    add_hit(&k, 2, 1, lt(0, 23, 55), "/c");
    add_hit(&k, 2, 2, lt(1, 0, 5), "/c");
    add_hit(&k, 1, 2, lt(1, 0, 20), "/b");
    add_hit(&k, 1, 3, lt(1, 0, 30), "/a");
    add_visit(&k, 3, 3, lt(1, 12, 0));
    add_hit(&k, 3, 1, lt(1, 12, 0), "/a");
    add_hit(&k, 2, 3, lt(1, 23, 59), "/c");
    add_hit(&k, 2, 4, lt(2, 0, 1), "/c");
    add_visit(&k, 4, 4, lt(2, 9, 0));
    add_hit(&k, 4, 1, lt(2, 9, 0), "/a");
    add_hit(&k, 4, 2, lt(2, 9, 1), "/b");
    add_hit(&k, 4, 3, lt(2, 9, 2), "/a");
    add_hit(&k, 4, 4, lt(2, 9, 3), "/b");
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* The rows of r as "key[/key2]=v1,v2;" in the report's order (values to the millisecond),
 * then "total=v1,v2". Static buffer, valid until the next call. */
static const char *text_of(const cn_report_t *r)
{
    static char out[4096];
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i <= r->row_count; i++) {
        const double *v = i < r->row_count ? r->rows[i].values : r->totals;
        if (i < r->row_count) {
            for (size_t p = 0; p < r->key_count; p++)
                n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s", p ? "/" : "",
                                      (int)r->rows[i].keys[p].len, r->rows[i].keys[p].ptr);
        } else {
            n += (size_t)snprintf(out + n, sizeof(out) - n, "total");
        }
        for (size_t m = 0; m < r->metric_count; m++)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%c%.3f", m ? ',' : '=', v[m]);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", i < r->row_count ? ";" : "");
        assert_true(n < sizeof(out));
    }
    return out;
}

/* Runs a report without a query context, then with 2 and with 3 threads; the three answers
 * must be the same text, which is compared with want. */
static void expect(const char *params, const char *want)
{
    static const unsigned threads[] = {0, 2, 3};
    char first[4096];
    for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
        cn_report_req_t req;
        cn_err_t err = {0};
        cn_report_req_init(&req);
        if (cn_report_req_parse_params(&req, cn_str_c(params), store, lt(3, 0, 0), &err) != 0)
            fail_msg("parse %s: %s", params, err.msg);
        cn_store_snap_t *snap;
        assert_int_equal(cn_store_snapshot(store, &snap), 0);
        cn_query_ctx_t *ctx = threads[t] ? cn_query_ctx_new((size_t)16 << 20, threads[t]) : NULL;
        cn_report_t *r;
        if (cn_report_run_ctx(ctx, store, snap, &req, &r, &err) != 0)
            fail_msg("run %s: %s", params, err.msg);
        const char *got = text_of(r);
        if (t == 0)
            snprintf(first, sizeof(first), "%s", got);
        else if (strcmp(got, first) != 0)
            fail_msg("%s: %u threads give\n%s\nwithout a context\n%s", params, threads[t], got,
                     first);
        cn_report_free(r);
        cn_query_ctx_free(ctx);
        cn_store_snap_release(snap);
        cn_report_req_dispose(&req);
    }
    if (strcmp(first, want) != 0)
        fail_msg("%s:\n got %s\nwant %s", params, first, want);
}

#define RANGE3 "from=2026-11-01&to=2026-11-03"

/* Each local day gets the time of its own hits: v1's 23:50 hit has the 30 minutes to 00:20,
 * the next day the 10 after. The days add up to the range: 45 + 1446 + 3 = 1494 minutes. */
static void day_trend_splits_a_visit_over_midnight(void **state)
{
    (void)state;
    expect(RANGE3 "&granularity=day&metrics=visit_duration,visits",
           "2026-11-01=900.000,3.000;"   /* (30 + 5 + 10) / 3 min */
           "2026-11-02=28920.000,3.000;" /* (10 + 0 + 1436) / 3 */
           "2026-11-03=90.000,2.000;"    /* (0 + 3) / 2 */
           "total=17928.000,5.000");     /* (40 + 5 + 0 + 1446 + 3) / 5 */
}

/* Weeks (Monday) and months alike: 11-01 is a Sunday, the last day of its week. */
static void week_and_month_trends(void **state)
{
    (void)state;
    expect(RANGE3 "&granularity=week&metrics=visit_duration,visits",
           "2026-10-26=900.000,3.000;"
           "2026-11-02=21735.000,4.000;" /* (10 + 0 + 1436 + 3) / 4 min */
           "total=17928.000,5.000");
    expect(RANGE3 "&granularity=month&metrics=visit_duration,visits",
           "2026-11=17928.000,5.000;total=17928.000,5.000");
}

/* Hours: the range ends on 11-02, so v2's time ends at its 23:59 hit (1444 minutes in range). */
static void hour_trend_and_hour_of_day(void **state)
{
    (void)state;
    expect("from=2026-11-01&to=2026-11-02&granularity=hour&metrics=visit_duration,visits"
           "&sort=visits&limit=5",
           "2026-11-01T23:00=1200.000,2.000;"  /* (30 + 10) / 2 min */
           "2026-11-02T00:00=43320.000,2.000;" /* (10 + 1434) / 2 */
           "2026-11-01T10:00=300.000,1.000;"
           "2026-11-02T12:00=0.000,1.000;"
           "2026-11-02T23:00=0.000,1.000;"
           "total=22335.000,4.000"); /* (40 + 5 + 0 + 1444) / 4 */
    expect("from=2026-11-01&to=2026-11-02&dimension=hour&metrics=visit_duration,visits&sort=key",
           "00=43320.000,2.000;10=300.000,1.000;12=0.000,1.000;23=1200.000,2.000;"
           "total=22335.000,4.000");
    expect(RANGE3 "&dimension=day_of_week&metrics=visit_duration,visits&sort=key",
           "Monday=28920.000,3.000;Tuesday=90.000,2.000;Sunday=900.000,3.000;"
           "total=17928.000,5.000");
}

/* Another dimension: a row gets the whole time of each visit with its key (in the row's time
 * bucket, when there is a trend). */
static void other_dimensions_get_the_visit_time(void **state)
{
    (void)state;
    expect(RANGE3 "&dimension=page&metrics=visit_duration,visits&sort=key",
           "/a=720.000,4.000;"   /* (40 + 5 + 0 + 3) / 4 min */
           "/b=960.000,3.000;"   /* (40 + 5 + 3) / 3 */
           "/c=86760.000,1.000;" /* 1446 */
           "total=17928.000,5.000");
    expect(RANGE3 "&granularity=day&dimension=page&metrics=visit_duration,visits&sort=key",
           "2026-11-01//a=1050.000,2.000;" /* (30 + 5) / 2 */
           "2026-11-01//b=300.000,1.000;"
           "2026-11-01//c=600.000,1.000;"
           "2026-11-02//a=300.000,2.000;" /* (10 + 0) / 2 */
           "2026-11-02//b=600.000,1.000;"
           "2026-11-02//c=86160.000,1.000;"
           "2026-11-03//a=180.000,1.000;"
           "2026-11-03//b=180.000,1.000;"
           "2026-11-03//c=0.000,1.000;"
           "total=17928.000,5.000");
}

/* A hit segment: the time runs between the selected hits only (v1: 23:50 to 00:30, on
 * 11-01). */
static void hit_segment_times_the_selected_hits(void **state)
{
    (void)state;
    expect("from=2026-11-01&to=2026-11-02&granularity=day&metrics=visit_duration,visits"
           "&segment=hit(page%20%3D%20%22%2Fa%22)",
           "2026-11-01=1200.000,2.000;2026-11-02=0.000,2.000;total=800.000,3.000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(day_trend_splits_a_visit_over_midnight),
        cmocka_unit_test(week_and_month_trends),
        cmocka_unit_test(hour_trend_and_hour_of_day),
        cmocka_unit_test(other_dimensions_get_the_visit_time),
        cmocka_unit_test(hit_segment_times_the_selected_hits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
