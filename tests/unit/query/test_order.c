/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a report is ordered and named, on a small hand-made store: sorting by
 * key (text by the bytes of its UTF-8 label, numbers and days of the week by
 * value, time buckets by time) in both directions, the :asc/:desc of every
 * sort, the compared range of whole calendar months, and the names of
 * numbered dimensions (evar3, merch4) in the answer.
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
#include "query/query.h"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static uint32_t next_visit, next_visitor;

#define S(x) CN_STR_LIT(x)
#define MIN  (60 * 1000000LL)

static int64_t at(int y, int m, int d, int hour)
{
    return (int64_t)cn_store_day_from_ymd(y, m, d) * 86400 * 1000000LL +
           (int64_t)hour * 3600 * 1000000LL;
}

/* A visit of pageviews page views, one a minute from ts. */
static void visit(cn_sink_t *k, int64_t ts, const char *country, const char *city, uint32_t num,
                  uint8_t device, uint32_t pageviews)
{
    cn_visit_row_t v = {0};
    uint32_t id = next_visit++;
    v.visitor = next_visitor++;
    v.visit_num = num;
    v.start_ts = ts;
    v.entry_page = S("/home");
    v.country = cn_str_c(country);
    v.city = cn_str_c(city);
    v.device = device;
    assert_int_equal(k->visit(k->ud, id, &v), 0);
    for (uint32_t i = 0; i < pageviews; i++) {
        cn_hit_row_t h = {0};
        h.ts = ts + (int64_t)i * MIN;
        h.visit = id;
        h.hit_num = i + 1;
        h.type = CN_HIT_PAGEVIEW;
        h.page = S("/home");
        uint32_t hid;
        assert_int_equal(k->hit(k->ud, &h, &hid), 0);
    }
}

/* One page view on a day, for the compared ranges. */
static void day_hit(cn_sink_t *k, int y, int m, int d)
{
    visit(k, at(y, m, d, 12), "US", "Boston", 1, CN_DEVICE_DESKTOP, 1);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("order", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    cn_sink_t k = cn_store_sink(store);
    /* one page view on each edge of the months the comparisons read */
    day_hit(&k, 2024, 2, 1);
    day_hit(&k, 2024, 2, 29);
    day_hit(&k, 2025, 2, 1);
    day_hit(&k, 2025, 2, 28);
    day_hit(&k, 2025, 10, 1);
    day_hit(&k, 2025, 10, 30);
    day_hit(&k, 2025, 10, 31);
    day_hit(&k, 2025, 11, 1);
    day_hit(&k, 2025, 11, 30);
    day_hit(&k, 2026, 1, 1);
    day_hit(&k, 2026, 1, 28);
    day_hit(&k, 2026, 1, 29);
    day_hit(&k, 2026, 1, 31);
    day_hit(&k, 2026, 2, 1);
    day_hit(&k, 2026, 2, 28);
    /* November 2026 (the 1st is a Sunday): countries first seen CN, US, KR, AU, then none */
    visit(&k, at(2026, 11, 1, 10), "CN", "東京", 10, CN_DEVICE_TABLET, 1);
    visit(&k, at(2026, 11, 1, 11), "US", "Zürich", 2, CN_DEVICE_OTHER, 3);
    visit(&k, at(2026, 11, 2, 10), "KR", "Berlin", 1, CN_DEVICE_MOBILE, 2);
    visit(&k, at(2026, 11, 4, 10), "AU", "Ålesund", 2, CN_DEVICE_DESKTOP, 2);
    visit(&k, at(2026, 11, 4, 11), "", "", 1, CN_DEVICE_DESKTOP, 1);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

static cn_report_t *run(const char *params, cn_report_req_t *req)
{
    cn_err_t err = {0};
    cn_report_req_init(req);
    int64_t now = at(2026, 11, 5, 12);
    if (cn_report_req_parse_params(req, cn_str_c(params), store, now, &err) != 0)
        fail_msg("parse %s: %s", params, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    if (cn_report_run(store, snap, req, &r, &err) != 0)
        fail_msg("run %s: %s", params, err.msg);
    cn_store_snap_release(snap);
    return r;
}

static void done(cn_report_t *r, cn_report_req_t *req)
{
    cn_report_free(r);
    cn_report_req_dispose(req);
}

/* The rows' labels, "|" between rows and "," between the keys of a row. */
static void labels(const cn_report_t *r, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->row_count; i++) {
        for (size_t k = 0; k < r->key_count; k++) {
            const cn_str_t s = r->rows[i].keys[k];
            len += (size_t)snprintf(out + len, n - len, "%s%.*s",
                                    k   ? ","
                                    : i ? "|"
                                        : "",
                                    (int)s.len, s.ptr);
            assert_true(len < n);
        }
    }
}

#define NOVEMBER "from=2026-11-01&to=2026-11-04"

static void expect_order(const char *params, const char *want)
{
    cn_report_req_t q;
    cn_report_t *r = run(params, &q);
    char got[512];
    labels(r, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s: got %s, want %s", params, got, want);
    done(r, &q);
}

static void sort_by_key_orders_text_by_its_bytes(void **state)
{
    (void)state;
    /* the empty key ("(none)") is the empty string: first up, last down */
    expect_order(NOVEMBER "&dimension=country&sort=key:asc", "|AU|CN|KR|US");
    expect_order(NOVEMBER "&dimension=country&sort=key", "|AU|CN|KR|US");
    expect_order(NOVEMBER "&dimension=country&sort=key:desc", "US|KR|CN|AU|");
    expect_order(NOVEMBER "&dimension=country&sort=key&empty=0", "AU|CN|KR|US");
    /* UTF-8 by bytes, as SQL's binary collation: ASCII, then Latin, then CJK */
    expect_order(NOVEMBER "&dimension=city&sort=key:asc", "|Berlin|Zürich|Ålesund|東京");
    expect_order(NOVEMBER "&dimension=city&sort=key:desc", "東京|Ålesund|Zürich|Berlin|");
    /* named values by their names, not by their codes */
    expect_order(NOVEMBER "&dimension=device&sort=key", "desktop|mobile|other|tablet");
    /* a limited page is the same slice of the sorted rows */
    expect_order(NOVEMBER "&dimension=country&sort=key:desc&limit=2&offset=1", "KR|CN");
    /* two dimensions: by the first, then by the second */
    expect_order(NOVEMBER "&dimension=device,country&sort=key",
                 "desktop,|desktop,AU|mobile,KR|other,US|tablet,CN");
    expect_order(NOVEMBER "&dimension=device,country&sort=key:desc",
                 "tablet,CN|other,US|mobile,KR|desktop,AU|desktop,");
}

static void sort_by_key_orders_numbers_by_value(void **state)
{
    (void)state;
    expect_order(NOVEMBER "&dimension=visit_number&sort=key", "1|2|10");
    expect_order(NOVEMBER "&dimension=visit_number&sort=key:desc", "10|2|1");
    /* days of the week from Monday */
    expect_order(NOVEMBER "&dimension=day_of_week&sort=key", "Monday|Wednesday|Sunday");
    expect_order(NOVEMBER "&dimension=day_of_week&sort=key:desc", "Sunday|Wednesday|Monday");
    expect_order(NOVEMBER "&dimension=hour&sort=key:desc", "11|10");
}

static void sort_by_time_in_both_directions(void **state)
{
    (void)state;
    expect_order(NOVEMBER "&granularity=day", "2026-11-01|2026-11-02|2026-11-03|2026-11-04");
    expect_order(NOVEMBER "&granularity=day&sort=time",
                 "2026-11-01|2026-11-02|2026-11-03|2026-11-04");
    expect_order(NOVEMBER "&granularity=day&sort=time:desc",
                 "2026-11-04|2026-11-03|2026-11-02|2026-11-01");
    expect_order(NOVEMBER "&granularity=day&sort=key:desc",
                 "2026-11-04|2026-11-03|2026-11-02|2026-11-01");
    expect_order(NOVEMBER "&granularity=day&sort=time:asc",
                 "2026-11-01|2026-11-02|2026-11-03|2026-11-04");
    expect_order("range=last_7_days&granularity=day&sort=time:desc&limit=3",
                 "2026-11-05|2026-11-04|2026-11-03");
    /* a trend with a dimension: by time, then by the dimension's label */
    expect_order(NOVEMBER "&granularity=day&dimension=country&sort=time",
                 "2026-11-01,CN|2026-11-01,US|2026-11-02,KR|2026-11-04,|2026-11-04,AU");
    expect_order(NOVEMBER "&granularity=day&dimension=country&sort=time:desc",
                 "2026-11-04,AU|2026-11-04,|2026-11-02,KR|2026-11-01,US|2026-11-01,CN");
}

static void sort_directions_of_metrics(void **state)
{
    (void)state;
    /* page views: "" 1, AU 2, CN 1, KR 2, US 3; ties by label, ascending */
    expect_order(NOVEMBER "&dimension=country&metrics=pageviews", "US|AU|KR||CN");
    expect_order(NOVEMBER "&dimension=country&metrics=pageviews&sort=pageviews:desc",
                 "US|AU|KR||CN");
    expect_order(NOVEMBER "&dimension=country&metrics=pageviews&sort=pageviews:asc",
                 "|CN|AU|KR|US");
    expect_order(NOVEMBER "&dimension=country&metrics=visits,pageviews&sort=pageviews",
                 "US|AU|KR||CN");
    expect_order(NOVEMBER "&granularity=day&metrics=pageviews&sort=pageviews",
                 "2026-11-01|2026-11-04|2026-11-02|2026-11-03");
    expect_order(NOVEMBER "&granularity=day&metrics=pageviews&sort=pageviews:asc",
                 "2026-11-03|2026-11-02|2026-11-04|2026-11-01");

    struct {
        const char *sort;
        int metric;
        bool asc;
    } cases[] = {
        {"", 0, false},
        {"key", -1, true},
        {"key:asc", -1, true},
        {"key:desc", -1, false},
        {"time:desc", -1, false},
        {"time", -1, true},
        {"visits", 1, false},
        {"visits:asc", 1, true},
        {"visits:desc", 1, false},
        {"pageviews:asc", 0, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char qs[128];
        snprintf(qs, sizeof(qs), NOVEMBER "&metrics=pageviews,visits&sort=%s", cases[i].sort);
        cn_report_req_t q;
        cn_err_t err = {0};
        cn_report_req_init(&q);
        assert_int_equal(cn_report_req_parse_params(&q, cn_str_c(qs), store, 0, &err), 0);
        if (q.sort_metric != cases[i].metric || q.sort_asc != cases[i].asc)
            fail_msg("sort=%s: metric %d asc %d", cases[i].sort, q.sort_metric, q.sort_asc);
        cn_report_req_dispose(&q);
    }
    /* a trend sorts by time, ascending, unless asked otherwise */
    cn_report_req_t q;
    cn_err_t err = {0};
    cn_report_req_init(&q);
    assert_int_equal(
        cn_report_req_parse_params(&q, S(NOVEMBER "&granularity=week"), store, 0, &err), 0);
    assert_true(q.sort_metric == -1 && q.sort_asc);
    cn_report_req_dispose(&q);
    cn_report_req_init(&q);
    assert_int_equal(cn_report_req_parse_params(&q, S("sort=pagez:desc"), store, 0, &err),
                     CN_EINVAL);
    assert_non_null(strstr(err.msg, "sort by 'pagez'"));
    cn_report_req_dispose(&q);
}

/* The compared range and its page views (one per day listed in setup). */
static void expect_compare(const char *params, const char *cfrom, const char *cto, double cur,
                           double prev)
{
    cn_report_req_t q;
    cn_report_t *r = run(params, &q);
    cn_buf_t j = CN_BUF_INIT;
    cn_report_to_json(r, &q, &j);
    json_t *o = json_loadb(j.ptr, j.len, 0, NULL);
    assert_non_null(o);
    const char *f = json_string_value(json_object_get(o, "compare_from"));
    const char *t = json_string_value(json_object_get(o, "compare_to"));
    if (f == NULL || t == NULL || strcmp(f, cfrom) != 0 || strcmp(t, cto) != 0)
        fail_msg("%s: compared %s..%s, want %s..%s", params, f ? f : "-", t ? t : "-", cfrom, cto);
    if (r->totals[0] != cur || r->compare_totals[0] != prev)
        fail_msg("%s: page views %g against %g, want %g against %g", params, r->totals[0],
                 r->compare_totals[0], cur, prev);
    json_decref(o);
    cn_buf_dispose(&j);
    done(r, &q);
}

static void whole_months_compare_with_whole_months(void **state)
{
    (void)state;
    /* previous period: the whole month before, whatever its length */
    expect_compare("from=2026-02-01&to=2026-02-28&metrics=pageviews&compare=previous_period",
                   "2026-01-01", "2026-01-31", 2, 4);
    expect_compare("from=2025-11-01&to=2025-11-30&metrics=pageviews&compare=previous_period",
                   "2025-10-01", "2025-10-31", 2, 3);
    expect_compare("from=2025-11-01&to=2025-12-31&metrics=pageviews&compare=previous_period",
                   "2025-09-01", "2025-10-31", 2, 3);
    expect_compare("from=2026-01-01&to=2026-02-28&metrics=pageviews&compare=previous_period",
                   "2025-11-01", "2025-12-31", 6, 2);
    expect_compare("range=last_month&metrics=pageviews&compare=previous_period", "2026-09-01",
                   "2026-09-30", 0, 0);
    /* not whole months: the same number of days just before */
    expect_compare("from=2026-01-29&to=2026-01-31&metrics=pageviews&compare=previous_period",
                   "2026-01-26", "2026-01-28", 2, 1);
    expect_compare("from=2026-02-02&to=2026-02-28&metrics=pageviews&compare=previous_period",
                   "2026-01-06", "2026-02-01", 1, 4);
    /* previous year: whole months to whole months, leap days included */
    expect_compare("from=2026-02-01&to=2026-02-28&metrics=pageviews&compare=previous_year",
                   "2025-02-01", "2025-02-28", 2, 2);
    expect_compare("from=2025-02-01&to=2025-02-28&metrics=pageviews&compare=previous_year",
                   "2024-02-01", "2024-02-29", 2, 2);
    expect_compare("from=2024-02-01&to=2024-02-29&metrics=pageviews&compare=previous_year",
                   "2023-02-01", "2023-02-28", 2, 0);
    /* and the same days otherwise, 29 February becoming the 28th */
    expect_compare("from=2025-02-01&to=2025-02-27&metrics=pageviews&compare=previous_year",
                   "2024-02-01", "2024-02-27", 1, 1);
    expect_compare("from=2024-02-29&to=2024-02-29&metrics=pageviews&compare=previous_year",
                   "2023-02-28", "2023-02-28", 1, 0);
    /* monthly buckets, each against the month before */
    cn_report_req_t q;
    cn_report_t *r = run("from=2025-10-01&to=2025-11-30&granularity=month&metrics=pageviews"
                         "&compare=previous_bucket",
                         &q);
    assert_int_equal(r->cmp_from_day, cn_store_day_from_ymd(2025, 9, 1));
    assert_int_equal(r->cmp_to_day, cn_store_day_from_ymd(2025, 10, 31));
    assert_int_equal(r->row_count, 2);
    assert_true(cn_str_eq_c(r->rows[1].keys[0], "2025-11"));
    assert_true(r->rows[0].values[0] == 3 && r->rows[0].compare[0] == 0);
    assert_true(r->rows[1].values[0] == 2 && r->rows[1].compare[0] == 3);
    done(r, &q);
}

static void numbered_dimensions_keep_their_number(void **state)
{
    (void)state;
    const char *asked[] = {"evar3", "evar:3", "merch:4", "merch4", "prop2", "list1", "hier5"};
    const char *named[] = {"evar3", "evar3", "merch4", "merch4", "prop2", "list1", "hier5"};
    for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
        char qs[128];
        snprintf(qs, sizeof(qs), NOVEMBER "&dimension=%s", asked[i]);
        cn_report_req_t q;
        cn_report_t *r = run(qs, &q);
        assert_int_equal(r->key_count, 1);
        assert_string_equal(r->key_names[0], named[i]);
        cn_buf_t j = CN_BUF_INIT;
        cn_report_to_json(r, &q, &j);
        cn_buf_putc(&j, '\0');
        char want[64];
        snprintf(want, sizeof(want), "\"keys\":[\"%s\"]", named[i]);
        if (strstr(j.ptr, want) == NULL)
            fail_msg("%s: %s", qs, j.ptr);
        cn_buf_dispose(&j);
        done(r, &q);
    }
    cn_report_req_t q;
    cn_report_t *r = run(NOVEMBER "&granularity=day&dimension=evar:12", &q);
    assert_int_equal(r->key_count, 2);
    assert_string_equal(r->key_names[0], "time");
    assert_string_equal(r->key_names[1], "evar12");
    done(r, &q);
    r = run(NOVEMBER "&dimension=country,evar250", &q);
    assert_string_equal(r->key_names[0], "country");
    assert_string_equal(r->key_names[1], "evar250");
    done(r, &q);
    /* paths name their dimension the same way */
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_buf_t out = CN_BUF_INIT;
    cn_err_t err = {0};
    if (cn_paths_json(NULL, store, snap, "t", S(NOVEMBER "&length=2&dimension=evar:7"), false, 0,
                      &out, &err) != 0)
        fail_msg("paths: %s", err.msg);
    cn_buf_putc(&out, '\0');
    assert_non_null(strstr(out.ptr, "\"dimension\":\"evar7\""));
    cn_buf_dispose(&out);
    cn_store_snap_release(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_by_key_orders_text_by_its_bytes),
        cmocka_unit_test(sort_by_key_orders_numbers_by_value),
        cmocka_unit_test(sort_by_time_in_both_directions),
        cmocka_unit_test(sort_directions_of_metrics),
        cmocka_unit_test(whole_months_compare_with_whole_months),
        cmocka_unit_test(numbered_dimensions_keep_their_number),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
