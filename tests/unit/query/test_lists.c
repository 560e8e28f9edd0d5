/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The list dimensions listN: a hit is credited to each distinct value of the list it has,
 * in full (its hits, orders, revenue, visits, visitors and events), a hit without one to
 * "", and the totals count it once (docs/api.md, docs/processing.md "List variables");
 * crossed with a hit dimension and a trend; not with an item dimension; no entries or exits
 * per value (errors); a segment condition on a list matches a hit when one of its values
 * does; the scan layer refuses to read a list as one value per hit. A hand-made store
 * with known answers.
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
#include "query/scan.h"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static int32_t D; /* 2026-11-01, UTC */

#define S(x)  CN_STR_LIT(x)
#define MIN   (60 * 1000000LL)
#define MONEY CN_MONEY_SCALE

static int64_t at(int64_t offset_us)
{
    return (int64_t)D * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

static uint32_t add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, int64_t ts, uint8_t events,
                        int64_t revenue, uint32_t units)
{
    cn_hit_row_t h = {0};
    h.ts = ts;
    h.visit = visit;
    h.hit_num = num;
    h.type = CN_HIT_PAGEVIEW;
    h.events = events;
    h.page = S("/p");
    h.revenue = revenue;
    h.units = units;
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
    return id;
}

static void add_event(cn_sink_t *k, uint32_t hit, uint16_t num, int64_t value)
{
    cn_event_row_t e = {.hit = hit, .event = num, .value = value};
    assert_int_equal(k->event(k->ud, &e), 0);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("lists", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    cn_visit_row_t v = {.visitor = 0, .visit_num = 1, .start_ts = at(0), .entry_page = S("/p")};
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    /* visit 0: list1 a and b set; an event hit without list rows; an order with a, b and c in
     * force (event1 = 2); a hit that gives a twice */
    uint32_t h = add_hit(&k, 0, 1, at(0), 0, 0, 0);
    fixture_var(&k, h, CN_VAR_LIST | 1, "a");
    fixture_var(&k, h, CN_VAR_LIST | 1, "b");
    h = add_hit(&k, 0, 2, at(MIN), 0, 0, 0);
    add_event(&k, h, 1, 1 * MONEY);
    h = add_hit(&k, 0, 3, at(2 * MIN), CN_EV_PURCHASE, 10 * MONEY, 1);
    fixture_var(&k, h, CN_VAR_EVAR | 2, "e");
    fixture_var(&k, h, CN_VAR_LIST | 1, "a");
    fixture_var(&k, h, CN_VAR_LIST | 1, "b");
    fixture_var(&k, h, CN_VAR_LIST | 1, "c");
    fixture_var(&k, h, CN_VAR_LIST | 2, "z");
    add_event(&k, h, 1, 2 * MONEY);
    add_event(&k, h, 5, 1 * MONEY);
    h = add_hit(&k, 0, 4, at(3 * MIN), 0, 0, 0);
    fixture_var(&k, h, CN_VAR_LIST | 1, "a");
    fixture_var(&k, h, CN_VAR_LIST | 1, "a");
    /* visit 1, another visitor: c with event1 = 4 */
    v = (cn_visit_row_t){
        .visitor = 1, .visit_num = 1, .start_ts = at(4 * MIN), .entry_page = S("/p")};
    assert_int_equal(k.visit(k.ud, 1, &v), 0);
    h = add_hit(&k, 1, 1, at(4 * MIN), 0, 0, 0);
    fixture_var(&k, h, CN_VAR_LIST | 1, "c");
    add_event(&k, h, 1, 4 * MONEY);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

static const char *report(const char *params)
{
    return fixture_report(store, at(0), params, true);
}

static void list_values_get_the_hits_and_events_in_full(void **state)
{
    (void)state;
    assert_string_equal(
        report("dimension=list1&metrics=hits,event1,event5,orders,revenue,visits,visitors"),
        "=1,1,0,0,0,1,1;a=3,2,1,1,10,1,1;b=2,2,1,1,10,1,1;c=2,6,1,1,10,2,2;"
        "total=5,7,1,1,10,2,2");
    /* only pageviews and hits: the same path */
    assert_string_equal(report("dimension=list1&metrics=pageviews&empty=0"), "a=3;b=2;c=2;total=5");
    /* list2: one hit has z */
    assert_string_equal(report("dimension=list2&metrics=hits,event1"), "=4,5;z=1,2;total=5,7");
}

static void list_values_crossed_and_by_day(void **state)
{
    (void)state;
    assert_string_equal(report("dimension=list1,evar2&metrics=hits,event1"),
                        "/=1,1;a/=2,0;a/e=1,2;b/=1,0;b/e=1,2;c/=1,4;c/e=1,2;total=5,7");
    assert_string_equal(report("dimension=list1&metrics=event1&granularity=day&empty=0"),
                        "2026-11-01/a=2;2026-11-01/b=2;2026-11-01/c=6;total=7");
    /* a condition on a list: a hit matches when one of its values does */
    assert_string_equal(report("metrics=hits,event1&segment=list1%20%3D%20%22b%22"),
                        "=2,2;total=2,2");
    assert_string_equal(report("dimension=list1&metrics=hits&segment=list1%20%3D%20%22c%22"),
                        "a=1;b=1;c=2;total=2");
    /* a segment keeps the hits, the list credits their values */
    assert_string_equal(report("dimension=list1&metrics=hits&segment=orders%20>%200"),
                        "a=1;b=1;c=1;total=1");
}

static void a_list_is_not_crossed_with_an_item_dimension(void **state)
{
    (void)state;
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    assert_int_equal(
        cn_report_req_parse_params(&req, S("from=2026-11-01&dimension=list1,product&metrics=hits"),
                                   store, at(0), &err),
        0);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r = NULL;
    assert_int_equal(cn_report_run(store, snap, &req, &r, &err), CN_EINVAL);
    assert_string_equal(err.msg, "a list dimension (listN) cannot be crossed with product, "
                                 "category, merchN or another list");
    cn_store_snap_release(snap);
    cn_report_req_dispose(&req);
}

/* The run error of a report request, or "" when it runs. */
static const char *report_error(const char *params)
{
    static char out[512];
    char qs[512];
    snprintf(qs, sizeof(qs), "from=2026-11-01&to=2026-11-01&%s", params);
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    assert_int_equal(cn_report_req_parse_params(&req, cn_str_c(qs), store, at(0), &err), 0);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r = NULL;
    int rc = cn_report_run(store, snap, &req, &r, &err);
    snprintf(out, sizeof(out), "%s", rc == 0 ? "" : err.msg);
    if (rc == 0)
        cn_report_free(r);
    else
        assert_int_equal(rc, CN_EINVAL);
    cn_store_snap_release(snap);
    cn_report_req_dispose(&req);
    return out;
}

static void entries_and_exits_are_not_broken_down_by_a_list(void **state)
{
    (void)state;
    /* the first page view of visit 0 has a and b: no one value gets the entry */
    assert_string_equal(report_error("dimension=list1&metrics=visits,entries"),
                        "entries and exits credit a visit's first and last page view to one "
                        "value: they cannot be broken down by list1, which has several values per "
                        "hit; use visits, or entry_page and exit_page with a segment on list1");
    assert_string_equal(report_error("dimension=page,list2&metrics=exits"),
                        "entries and exits credit a visit's first and last page view to one "
                        "value: they cannot be broken down by list2, which has several values per "
                        "hit; use visits, or entry_page and exit_page with a segment on list2");
    /* items too (each hit may have several), and through a calculated metric */
    assert_string_equal(report_error("dimension=product&metrics=x&calc.x=exits/visits"),
                        "entries and exits credit a visit's first and last page view to one "
                        "value: they cannot be broken down by product, which has several values "
                        "per hit; use visits, or entry_page and exit_page with a segment on "
                        "product");
    /* the totals alone and single-valued dimensions are fine (visit 0 enters and leaves on
     * hits without evar2) */
    assert_string_equal(report_error("metrics=entries,exits&segment=list1%20%3D%20%22a%22"), "");
    assert_string_equal(
        report("dimension=evar2&metrics=entries,exits&segment=list1%20%3D%20%22a%22"),
        "=1,1;e=0,0;total=1,1");
}

static void not_equal_on_a_list_and_not_equal(void **state)
{
    (void)state;
    /* != keeps a hit that has another value: not the hit with only a, nor the event hit
     * without a value (test_multi.c) */
    assert_string_equal(report("metrics=hits&segment=list1%20!%3D%20%22a%22"), "=3;total=3");
    /* not(= a) keeps the hits without a: the event hit of visit 0 and visit 1's hit */
    assert_string_equal(report("metrics=hits&segment=not%20list1%20%3D%20%22a%22"), "=2;total=2");
}

static void no_query_reads_a_list_as_one_value_per_hit(void **state)
{
    (void)state;
    /* the scan layer refuses a list as a per-hit field, as a new query path would get it */
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_scan_t scan;
    cn_err_t err = {0};
    assert_int_equal(cn_scan_open(&scan, NULL, store, snap, D, D, false, &err), 0);
    assert_true(scan.seg_count > 0);
    int arg;
    cn_field_t f = {.dim = cn_dim_find(S("list2"), &arg)};
    f.arg = arg;
    int64_t *vals = calloc(scan.segs[0].n + 1, sizeof(*vals));
    assert_int_equal(cn_scan_field(&scan, 0, &f, vals), CN_EINVAL);
    assert_string_equal(err.msg,
                        "list2 has several values per hit: this query cannot read it as one value "
                        "per hit");
    /* an eVar is one value per hit: hit 3 of visit 0 has e */
    f.dim = cn_dim_find(S("evar2"), &arg);
    f.arg = arg;
    assert_int_equal(scan.seg_count, 1);
    assert_int_equal(scan.segs[0].n, 5);
    assert_int_equal(cn_scan_field(&scan, 0, &f, vals), 0);
    for (size_t i = 0; i < 5; i++) {
        cn_str_t v = cn_store_snap_dict_str(snap, cn_field_dict(&f), (uint32_t)vals[i]);
        assert_true(cn_str_eq_c(v, i == 2 ? "e" : ""));
    }
    free(vals);
    cn_scan_close(&scan);
    cn_store_snap_release(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_values_get_the_hits_and_events_in_full),
        cmocka_unit_test(list_values_crossed_and_by_day),
        cmocka_unit_test(a_list_is_not_crossed_with_an_item_dimension),
        cmocka_unit_test(entries_and_exits_are_not_broken_down_by_a_list),
        cmocka_unit_test(not_equal_on_a_list_and_not_equal),
        cmocka_unit_test(no_query_reads_a_list_as_one_value_per_hit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
