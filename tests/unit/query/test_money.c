/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Money in reports (docs/api.md "Numbers"): one rule for every format, 4 decimals (the store's
 * fixed point, CN_MONEY_SCALE), and the built-in money ratios (revenue_per_visit, aov) are the
 * very doubles the calculated metrics revenue / visits and revenue / orders give. A hand-made
 * store: 7 visits, 3 of them with an order, revenue 100.0003 in all, so that both ratios have
 * more than 4 decimals and dividing before or after scaling gives different last bits.
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

static int64_t at(int64_t offset_s)
{
    return ((int64_t)D * 86400 + 10 * 3600 + offset_s) * 1000000LL;
}

static int setup(void **state)
{
    (void)state;
    fixture_open("money", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    static const char *const orders[] = {"ORD-1", "ORD-2", "ORD-3"};
    static const int64_t revenue[] = {333334, 333334, 333335}; /* 100.0003 in all */
    for (uint32_t i = 0; i < 7; i++) {
        cn_visit_row_t v = {
            .visitor = i, .visit_num = 1, .start_ts = at(60 * i), .entry_page = S("/")};
        assert_int_equal(k.visit(k.ud, i, &v), 0);
        cn_hit_row_t h = {0};
        h.ts = at(60 * i);
        h.visit = i;
        h.hit_num = 1;
        h.type = CN_HIT_PAGEVIEW;
        h.page = S("/");
        if (i < 3) {
            h.events = CN_EV_PURCHASE;
            h.order_id = cn_str_c(orders[i]);
            h.currency = S("CNY");
            h.revenue = revenue[i];
            h.units = 1;
        }
        uint32_t id;
        assert_int_equal(k.hit(k.ud, &h, &id), 0);
    }
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Runs a report over 2026-11-01 with the given parameters; free with done(). */
static cn_report_t *run(const char *params, cn_report_req_t *req)
{
    char qs[512];
    snprintf(qs, sizeof(qs), "from=2026-11-01&to=2026-11-01&%s", params);
    cn_err_t err = {0};
    cn_report_req_init(req);
    if (cn_report_req_parse_params(req, cn_str_c(qs), store, at(86400), &err) != 0)
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

static void calculated_metric_is_money_when_its_result_is_an_amount(void **state)
{
    (void)state;
    static const struct {
        const char *formula;
        cn_unit_t unit;
    } cases[] = {
        {"revenue / visits", CN_UNIT_MONEY},
        {"revenue/orders", CN_UNIT_MONEY},
        {"aov * orders", CN_UNIT_MONEY},
        {"revenue - 10", CN_UNIT_MONEY},
        {"10 + revenue", CN_UNIT_MONEY},
        {"-revenue / (visits * 2)", CN_UNIT_MONEY},
        {"revenue * revenue / revenue", CN_UNIT_MONEY},
        {"(revenue_per_visit + aov) / 2", CN_UNIT_MONEY},
        {"revenue / revenue", CN_UNIT_RATIO},
        {"orders / visits", CN_UNIT_RATIO},
        {"revenue * revenue", CN_UNIT_RATIO},
        {"revenue + visits", CN_UNIT_RATIO},
        {"(revenue + visits) / visits", CN_UNIT_RATIO},
        {"100 / revenue", CN_UNIT_RATIO},
        {"2 * 3", CN_UNIT_RATIO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_calc_t *c;
        cn_err_t err = {0};
        assert_int_equal(cn_calc_parse(NULL, cases[i].formula, NULL, &c, &err), 0);
        if (cn_calc_unit(c) != cases[i].unit)
            fail_msg("%s: unit %d, want %d", cases[i].formula, (int)cn_calc_unit(c),
                     (int)cases[i].unit);
        cn_calc_free(c);
    }
}

static void builtin_money_ratios_are_the_calculated_ones(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("metrics=revenue_per_visit,rpv,aov,apo,revenue,visits,orders"
                         "&calc.rpv=revenue%2Fvisits&calc.apo=revenue%2Forders",
                         &q);
    assert_true(r->totals[5] == 7 && r->totals[6] == 3);
    /* the same double, bit for bit (dividing the fixed point first gave another last bit) */
    assert_memory_equal(&r->totals[0], &r->totals[1], sizeof(double));
    assert_memory_equal(&r->totals[2], &r->totals[3], sizeof(double));
    cn_buf_t b = CN_BUF_INIT;
    cn_report_to_json(r, &q, &b);
    cn_buf_putc(&b, '\0');
    if (strstr(b.ptr, "\"totals\":{\"values\":[14.2858,14.2858,33.3334,33.3334,100.0003,7,3]}") ==
        NULL)
        fail_msg("json: %s", b.ptr);
    cn_buf_dispose(&b);
    done(r, &q);
}

/* cn_metric_text (CSV, TSV) writes what the JSON writes; cn_metric_format (the table) pads
 * money to the same 4 decimals. */
static void every_format_writes_money_to_4_decimals(void **state)
{
    (void)state;
    cn_report_req_t q;
    cn_report_t *r = run("metrics=revenue,rpv,share,orders,conversion_rate"
                         "&calc.rpv=revenue%2Fvisits&calc.share=orders%2Fvisits",
                         &q);
    static const struct {
        size_t m;
        double v;
        const char *text, *table;
    } cases[] = {
        {0, 100.0003, "100.0003", "100.0003"},
        {0, 12.5, "12.5", "12.5000"},
        {0, 1234567.89, "1234567.89", "1234567.8900"}, /* more than 10 digits: all kept */
        {0, -0.00001, "0", "0.0000"},                  /* no minus sign on a zero */
        {1, 100.0003 / 7, "14.2858", "14.2858"},
        {2, 3.0 / 7, "0.4285714286", "0.43"},
        {3, 12345678901.0, "12345678901", "12345678901"}, /* a count, not 1.23e+10 */
        {4, 3.0 / 7 * 100, "42.85714286", "42.86%"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_buf_t text = CN_BUF_INIT, table = CN_BUF_INIT;
        cn_metric_text(r, cases[i].m, cases[i].v, &text);
        cn_metric_format(r, cases[i].m, cases[i].v, &table);
        cn_buf_putc(&text, '\0');
        cn_buf_putc(&table, '\0');
        assert_string_equal(text.ptr, cases[i].text);
        assert_string_equal(table.ptr, cases[i].table);
        cn_buf_dispose(&text);
        cn_buf_dispose(&table);
    }
    done(r, &q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calculated_metric_is_money_when_its_result_is_an_amount),
        cmocka_unit_test(builtin_money_ratios_are_the_calculated_ones),
        cmocka_unit_test(every_format_writes_money_to_4_decimals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
