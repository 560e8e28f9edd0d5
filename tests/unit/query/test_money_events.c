/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Currency events are money (docs/api.md "Numbers"): an event a suite declares with
 * "eventN = type=currency" holds amounts in the base currency, as revenue does, so every way
 * out writes it as revenue is written (4 decimals, the store's fixed point), a calculated
 * metric over it is money, the catalogue names it and says "currency", and a segment
 * compares it as exactly as revenue (event10 = 48.7902). A numeric event with decimals stays a
 * number (2.5, not 2.5000). A hand-made store of suite t (base CNY):
 *
 *   2026-10-31  v0 /a  purchase; event10 1234567.8901
 *   2026-11-01  v1 /a  purchase; event10 48.7902, event5 2.5
 *               v2 /b  event10 5.5, event5 0.1234, event3 (a counter: 1)
 *               v3 /c  purchase; event10 12.3457, event7 0.3333
 *               v4 /d  purchase without events
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
#include "query/internal.h"
#include "query/query.h"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static int32_t D; /* 2026-11-01, UTC */

#define S(x) CN_STR_LIT(x)

static const char INI[] = "[suite t]\n"
                          "timezone = UTC\n"
                          "currency = CNY\n"
                          "event3 = name=Signups\n"
                          "event5 = name=Weight; type=numeric\n"
                          "event7 = currency\n"
                          "event10 = name=Shipping; type=currency\n";

static int64_t at(int32_t day, int64_t offset_s)
{
    return ((int64_t)day * 86400 + 10 * 3600 + offset_s) * 1000000LL;
}

static void add_event(cn_sink_t *k, uint32_t hit, uint32_t n, int64_t value)
{
    cn_event_row_t ev = {.hit = hit, .event = n, .value = value};
    assert_int_equal(k->event(k->ud, &ev), 0);
}

static uint32_t add_visit_hit(cn_sink_t *k, uint32_t v, int32_t day, const char *page,
                              const char *order)
{
    cn_visit_row_t vr = {
        .visitor = v, .visit_num = 1, .start_ts = at(day, 60 * v), .entry_page = cn_str_c(page)};
    assert_int_equal(k->visit(k->ud, v, &vr), 0);
    cn_hit_row_t h = {0};
    h.ts = at(day, 60 * v);
    h.visit = v;
    h.hit_num = 1;
    h.type = CN_HIT_PAGEVIEW;
    h.page = cn_str_c(page);
    if (order != NULL) {
        h.events = CN_EV_PURCHASE;
        h.order_id = cn_str_c(order);
        h.currency = S("CNY");
    }
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
    return id;
}

static int setup(void **state)
{
    (void)state;
    fixture_open("money_events", INI, dir, sizeof(dir), &conf, &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    uint32_t h = add_visit_hit(&k, 0, D - 1, "/a", "ORD-0");
    add_event(&k, h, 10, 12345678901);
    h = add_visit_hit(&k, 1, D, "/a", "ORD-1");
    add_event(&k, h, 10, 487902);
    add_event(&k, h, 5, 25000);
    h = add_visit_hit(&k, 2, D, "/b", NULL);
    add_event(&k, h, 10, 55000);
    add_event(&k, h, 5, 1234);
    add_event(&k, h, 3, CN_MONEY_SCALE);
    h = add_visit_hit(&k, 3, D, "/c", "ORD-2");
    add_event(&k, h, 10, 123457);
    add_event(&k, h, 7, 3333);
    add_visit_hit(&k, 4, D, "/d", "ORD-3");
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Runs a report of suite t over 2026-11-01 with the given parameters, as the API and the CLI
 * do (the request knows the suite's events); free with done(). */
static cn_report_t *run(const char *params, cn_report_req_t *req)
{
    char qs[512];
    snprintf(qs, sizeof(qs), "from=2026-11-01&to=2026-11-01&%s", params);
    cn_err_t err = {0};
    cn_report_req_init_suite(req, &conf->suites[0]);
    if (cn_report_req_parse_params(req, cn_str_c(qs), store, at(D + 1, 0), &err) != 0)
        fail_msg("parse %s: %s", qs, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    if (cn_report_run_ctx(NULL, store, snap, req, &r, &err) != 0)
        fail_msg("run %s: %s", qs, err.msg);
    cn_store_snap_release(snap);
    return r;
}

static void done(cn_report_t *r, cn_report_req_t *req)
{
    cn_report_free(r);
    cn_report_req_dispose(req);
}

/* The report's JSON, NUL-terminated in b. */
static void to_json(cn_report_t *r, cn_report_req_t *q, cn_buf_t *b)
{
    cn_report_to_json(r, q, b);
    cn_buf_putc(b, '\0');
}

static void the_suite_says_which_events_are_money(void **state)
{
    (void)state;
    cn_query_events_t ev;
    cn_query_events_init(&ev, &conf->suites[0]);
    assert_true(cn_query_event_is_money(&ev, 10));
    assert_true(cn_query_event_is_money(&ev, 7)); /* the bare word */
    assert_false(cn_query_event_is_money(&ev, 5));
    assert_false(cn_query_event_is_money(&ev, 3));
    assert_false(cn_query_event_is_money(&ev, 1000));
    assert_false(cn_query_event_is_money(&ev, 0));
    assert_false(cn_query_event_is_money(NULL, 10));
    /* a later attribute overrides an earlier one, as processing reads them */
    cn_conf_t *c;
    cn_err_t err;
    static const char ini[] = "[suite u]\nevent1 = type=currency; name=A; type=numeric\n"
                              "event2 = name=B; currency\nevent1000 = currency\n";
    if (cn_conf_parse("u", ini, sizeof(ini) - 1, &c, &err) != 0)
        fail_msg("conf: %s", err.msg);
    cn_query_events_init(&ev, &c->suites[0]);
    assert_false(cn_query_event_is_money(&ev, 1));
    assert_true(cn_query_event_is_money(&ev, 2));
    assert_true(cn_query_event_is_money(&ev, 1000));
    cn_buf_t b = CN_BUF_INIT;
    cn_query_events_json(&c->suites[0], true, &b);
    cn_buf_putc(&b, '\0');
    assert_string_equal(b.ptr, "{\"name\":\"event1\",\"title\":\"A\",\"type\":\"count\"},"
                               "{\"name\":\"event2\",\"title\":\"B\",\"type\":\"currency\"},"
                               "{\"name\":\"event1000\",\"title\":\"Event 1000\","
                               "\"type\":\"currency\"}");
    cn_buf_dispose(&b);
    cn_conf_free(c);
}

/* GET /api/v1/catalog?suite=t: the suite's events after the generic ones, with their names. */
static void the_catalogue_of_a_suite_names_its_events_and_their_units(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    cn_catalog_to_json(&conf->suites[0], &b);
    cn_buf_putc(&b, '\0');
    static const char tail[] =
        "{\"name\":\"event1..event1000\",\"title\":\"Event\",\"type\":\"count\"},"
        "{\"name\":\"event3\",\"title\":\"Signups\",\"type\":\"count\"},"
        "{\"name\":\"event5\",\"title\":\"Weight\",\"type\":\"count\"},"
        "{\"name\":\"event7\",\"title\":\"Event 7\",\"type\":\"currency\"},"
        "{\"name\":\"event10\",\"title\":\"Shipping\",\"type\":\"currency\"}]}";
    if (b.len < sizeof(tail) || strcmp(b.ptr + b.len - sizeof(tail), tail) != 0)
        fail_msg("catalog: %s", b.ptr);
    /* without a suite: the generic catalogue, no suite's event */
    cn_buf_clear(&b);
    cn_catalog_to_json(NULL, &b);
    cn_buf_putc(&b, '\0');
    assert_null(strstr(b.ptr, "\"event10\""));
    assert_non_null(strstr(b.ptr, "{\"name\":\"event1..event1000\",\"title\":\"Event\",\"type\":"
                                  "\"count\"}]}"));
    cn_buf_dispose(&b);
}

/* JSON (and so the API): event10 to 4 decimals like revenue, in the compared period and its
 * change too; a numeric event and a counter stay numbers. */
static void json_writes_a_currency_event_as_money(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r =
        run("metrics=event10,revenue,event5,event3,event7&compare=previous_period", &q);
    cn_buf_t b = CN_BUF_INIT;
    to_json(r, &q, &b);
    /* 1234567.8901 has 11 digits: as a count it was 1234567.89 */
    if (strstr(b.ptr, "\"totals\":{\"values\":[66.6359,0,2.6234,1,0.3333],"
                      "\"compare\":[1234567.8901,0,0,0,0],"
                      "\"change\":[-1234501.2542,0,2.6234,1,0.3333],") == NULL)
        fail_msg("json: %s", b.ptr);
    cn_buf_dispose(&b);
    done(r, &q);

    r = run("dimension=page&metrics=event10,event5&sort=key", &q);
    b = (cn_buf_t)CN_BUF_INIT;
    to_json(r, &q, &b);
    if (strstr(b.ptr, "\"rows\":[{\"keys\":[\"/a\"],\"values\":[48.7902,2.5]},"
                      "{\"keys\":[\"/b\"],\"values\":[5.5,0.1234]},"
                      "{\"keys\":[\"/c\"],\"values\":[12.3457,0]},"
                      "{\"keys\":[\"/d\"],\"values\":[0,0]}]") == NULL)
        fail_msg("json: %s", b.ptr);
    cn_buf_dispose(&b);
    done(r, &q);
}

/* The table pads money to 4 decimals (66.6359, not 66.64) and writes a numeric event's
 * decimals as kept (2.6234, not 2.62; 2.5, not 2.5000); CSV and TSV write what JSON writes. */
static void table_and_csv_write_a_currency_event_as_money(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("metrics=event10,event5,event3,event7,revenue", &q);
    static const struct {
        size_t m;
        double v;
        const char *text, *table;
    } cases[] = {
        {0, 66.6359, "66.6359", "66.6359"},
        {0, 5.5, "5.5", "5.5000"},
        {0, 1234567.8901, "1234567.8901", "1234567.8901"},
        {0, 0, "0", "0.0000"},
        {1, 2.6234, "2.6234", "2.6234"},
        {1, 2.5, "2.5", "2.5"},
        {1, 0.1 + 0.2, "0.3", "0.3"},
        {1, 1234567.8901, "1234567.89", "1234567.89"},
        {2, 1, "1", "1"},
        {3, 0.3333, "0.3333", "0.3333"},
        {4, 12.5, "12.5", "12.5000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_buf_t text = CN_BUF_INIT, table = CN_BUF_INIT;
        cn_metric_text(r, cases[i].m, cases[i].v, &text);
        cn_metric_format(r, cases[i].m, cases[i].v, &table);
        cn_buf_putc(&text, '\0');
        cn_buf_putc(&table, '\0');
        if (strcmp(text.ptr, cases[i].text) != 0 || strcmp(table.ptr, cases[i].table) != 0)
            fail_msg("case %zu: '%s' '%s', want '%s' '%s'", i, text.ptr, table.ptr, cases[i].text,
                     cases[i].table);
        cn_buf_dispose(&text);
        cn_buf_dispose(&table);
    }
    done(r, &q);
}

/* calc.X = event10 / orders is money, as revenue / orders is; event5 / orders is not. */
static void a_calculated_metric_over_a_currency_event_is_money(void **state)
{
    (void)state;
    cn_query_events_t ev;
    cn_query_events_init(&ev, &conf->suites[0]);
    static const struct {
        const char *formula;
        cn_unit_t unit;
    } cases[] = {
        {"event10 / orders", CN_UNIT_MONEY},
        {"event10 + revenue", CN_UNIT_MONEY},
        {"(revenue - event7) / visits", CN_UNIT_MONEY},
        {"event10 / revenue", CN_UNIT_RATIO},
        {"event5 / orders", CN_UNIT_RATIO},
        {"event3 * 2", CN_UNIT_RATIO},
        {"event10 + visits", CN_UNIT_RATIO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_calc_t *c;
        cn_err_t err = {0};
        assert_int_equal(cn_calc_parse(NULL, cases[i].formula, &ev, &c, &err), 0);
        if (cn_calc_unit(c) != cases[i].unit)
            fail_msg("%s: unit %d, want %d", cases[i].formula, (int)cn_calc_unit(c),
                     (int)cases[i].unit);
        cn_calc_free(c);
    }
    /* 66.6359 / 3 orders = 22.21196667: money to 4 decimals; event5 / orders a ratio */
    cn_report_req_t q;
    cn_report_t *r =
        run("metrics=spo,wpo,orders&calc.spo=event10%2Forders&calc.wpo=event5%2Forders", &q);
    cn_buf_t b = CN_BUF_INIT;
    to_json(r, &q, &b);
    if (strstr(b.ptr, "\"totals\":{\"values\":[22.212,0.8744666667,3]}") == NULL)
        fail_msg("json: %s", b.ptr);
    cn_buf_t table = CN_BUF_INIT;
    cn_metric_format(r, 0, r->totals[0], &table);
    cn_buf_putc(&table, '\0');
    assert_string_equal(table.ptr, "22.2120");
    cn_buf_dispose(&table);
    cn_buf_dispose(&b);
    done(r, &q);
}

/* Segment conditions on events compare the amount as kept, exactly, as revenue's do: 487902
 * ten-thousandths = 48.7902 (a product with 1/10000 is one ulp off and would miss it). */
static void a_segment_compares_an_event_exactly(void **state)
{
    (void)state;
    static const struct {
        const char *segment, *want;
    } cases[] = {
        {"event10%20%3D%2048.7902", "\"values\":[1]"},
        {"event10%20%3E%205.5", "\"values\":[2]"},
        {"event10%20%3E%3D%205.5", "\"values\":[3]"},
        {"event10%20in%20(5.5%2C%2012.3457)", "\"values\":[2]"},
        {"event10%20%3D%200", "\"values\":[1]"},
        {"event5%20%3D%200.1234", "\"values\":[1]"},
        {"event3%20%3D%201", "\"values\":[1]"},
        {"event7%20%3C%200.3334", "\"values\":[4]"},
        {"visit(event10%20%3E%2040)", "\"values\":[1]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char params[256];
        snprintf(params, sizeof(params), "metrics=hits&segment=%s", cases[i].segment);
        cn_report_req_t q;
        cn_report_t *r = run(params, &q);
        cn_buf_t b = CN_BUF_INIT;
        to_json(r, &q, &b);
        char want[64];
        snprintf(want, sizeof(want), "\"totals\":{%s}", cases[i].want);
        if (strstr(b.ptr, want) == NULL)
            fail_msg("%s: %s", cases[i].segment, b.ptr);
        cn_buf_dispose(&b);
        done(r, &q);
    }
    /* text is refused, naming the event */
    cn_report_req_t q;
    cn_err_t err = {0};
    cn_report_req_init_suite(&q, &conf->suites[0]);
    assert_int_equal(
        cn_report_req_parse_params(&q, S("from=2026-11-01&segment=event10%20%3D%20%22x%22"), store,
                                   at(D + 1, 0), &err),
        0);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r = NULL;
    assert_int_equal(cn_report_run_ctx(NULL, store, snap, &q, &r, &err), CN_EINVAL);
    assert_string_equal(err.msg,
                        "segment: 'event10' is a number; compare it with a number, not \"x\"");
    cn_store_snap_release(snap);
    cn_report_req_dispose(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_suite_says_which_events_are_money),
        cmocka_unit_test(the_catalogue_of_a_suite_names_its_events_and_their_units),
        cmocka_unit_test(json_writes_a_currency_event_as_money),
        cmocka_unit_test(table_and_csv_write_a_currency_event_as_money),
        cmocka_unit_test(a_calculated_metric_over_a_currency_event_is_money),
        cmocka_unit_test(a_segment_compares_an_event_exactly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
