/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A day or hour trend compared with the previous year compares each day with the same day a
 * year before (docs/api.md "Compared ranges"), 29 February with the 28th, also when the range
 * spans 29 February on either side: not bucket i of the range with bucket i of the compared
 * range, which would put 1 March 2028 against 2 March 2027. A hand-made store: on each day
 * 2027-02-27..03-02 and 2028-02-27..03-02 as many page views as the day of the month (1 March:
 * 1), at 10:00 UTC, plus 100 on 29 February 2028.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "hit/hit.h"
#include "query/query.h"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;

static void add_day(cn_sink_t *k, uint32_t *visit, int y, int m, int d, int views)
{
    int64_t t0 = ((int64_t)cn_store_day_from_ymd(y, m, d) * 86400 + 10 * 3600) * 1000000LL;
    cn_visit_row_t v = {
        .visitor = *visit, .visit_num = 1, .start_ts = t0, .entry_page = CN_STR_LIT("/p")};
    assert_int_equal(k->visit(k->ud, *visit, &v), 0);
    for (int i = 0; i < views; i++) {
        cn_hit_row_t h = {.ts = t0 + i * 1000000LL,
                          .visit = *visit,
                          .hit_num = (uint32_t)i + 1,
                          .type = CN_HIT_PAGEVIEW,
                          .page = CN_STR_LIT("/p")};
        uint32_t id;
        assert_int_equal(k->hit(k->ud, &h, &id), 0);
    }
    (*visit)++;
}

static int setup(void **state)
{
    (void)state;
    fixture_open("compare", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    cn_sink_t k = cn_store_sink(store);
    uint32_t visit = 0;
    for (int y = 2027; y <= 2028; y++) {
        add_day(&k, &visit, y, 2, 27, 27);
        add_day(&k, &visit, y, 2, 28, 28);
        if (y == 2028)
            add_day(&k, &visit, y, 2, 29, 100);
        add_day(&k, &visit, y, 3, 1, 1);
        add_day(&k, &visit, y, 3, 2, 2);
    }
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* The rows of a previous_year trend as "time=pageviews/compared;" in the order given. */
static const char *trend(const char *params)
{
    static char out[4096];
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    char qs[256];
    snprintf(qs, sizeof(qs), "metrics=pageviews&compare=previous_year&limit=0&%s", params);
    if (cn_report_req_parse_params(&req, cn_str_c(qs), store, 0, &err) != 0)
        fail_msg("parse %s: %s", qs, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    if (cn_report_run(store, snap, &req, &r, &err) != 0)
        fail_msg("run %s: %s", qs, err.msg);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->row_count; i++) {
        if (r->rows[i].values[0] == 0 && r->rows[i].compare[0] == 0)
            continue; /* the hours without page views */
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%.*s=%g/%g;",
                                CN_STR_FMT(r->rows[i].keys[0]), r->rows[i].values[0],
                                r->rows[i].compare[0]);
    }
    cn_report_free(r);
    cn_store_snap_release(snap);
    cn_report_req_dispose(&req);
    return out;
}

static void each_day_with_the_same_day_a_year_before(void **state)
{
    (void)state;
    /* a leap year's range: 29 February with the 28th, then 1 and 2 March with theirs */
    assert_string_equal(trend("from=2028-02-27&to=2028-03-02&granularity=day"),
                        "2028-02-27=27/27;2028-02-28=28/28;2028-02-29=100/28;2028-03-01=1/1;"
                        "2028-03-02=2/2;");
    /* the year after: its compared range holds 29 February, which no day of it compares with */
    assert_string_equal(trend("from=2029-02-27&to=2029-03-02&granularity=day"),
                        "2029-02-27=0/27;2029-02-28=0/28;2029-03-01=0/1;2029-03-02=0/2;");
    /* whole months: February 2028 (29 days) with February 2027 (28) */
    assert_string_equal(trend("from=2028-02-01&to=2028-02-29&granularity=day"),
                        "2028-02-27=27/27;2028-02-28=28/28;2028-02-29=100/28;");
    /* hours: the same hour of the same day */
    assert_string_equal(trend("from=2028-02-29&to=2028-03-01&granularity=hour"),
                        "2028-02-29T10:00=100/28;2028-03-01T10:00=1/1;");
    /* with a dimension: the bucket is matched so, the key as it is */
    assert_string_equal(trend("from=2028-03-01&to=2028-03-02&granularity=day&dimension=page"),
                        "2028-03-01=1/1;2028-03-02=2/2;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_day_with_the_same_day_a_year_before),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
