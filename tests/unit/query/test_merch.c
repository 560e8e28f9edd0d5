/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The merchandising eVar dimension merchN (merch:N): item rows attributed to
 * the value of the CN_VAR_MERCH row of eVar N that names them (docs/hit.md),
 * alone, crossed with product, as a segment, in the catalogue. A hand-made
 * store with known answers.
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

static void add_item(cn_sink_t *k, uint32_t hit, const char *sku, uint32_t qty, int64_t rev)
{
    cn_item_row_t it = {
        .hit = hit, .sku = cn_str_c(sku), .category = S("Mugs"), .quantity = qty, .revenue = rev};
    assert_int_equal(k->item(k->ud, &it), 0);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("merch", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    cn_visit_row_t v = {.visitor = 0, .visit_num = 1, .start_ts = at(0), .entry_page = S("/p")};
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    /* visit 0: A found by search, B by browse, then an order of A, B and C (C unbound) */
    uint32_t h = add_hit(&k, 0, 1, at(0), CN_EV_PROD_VIEW, 0, 0);
    add_item(&k, h, "A", 0, 0);
    fixture_var(&k, h, cn_var_merch(4, 0), "search");
    h = add_hit(&k, 0, 2, at(MIN), CN_EV_PROD_VIEW, 0, 0);
    add_item(&k, h, "B", 0, 0);
    fixture_var(&k, h, cn_var_merch(4, 0), "browse");
    h = add_hit(&k, 0, 3, at(2 * MIN), CN_EV_PURCHASE, 35 * MONEY, 4);
    add_item(&k, h, "A", 2, 20 * MONEY);
    add_item(&k, h, "B", 1, 5 * MONEY);
    add_item(&k, h, "C", 1, 10 * MONEY);
    fixture_var(&k, h, CN_VAR_PROP | 1, "p");
    fixture_var(&k, h, cn_var_merch(4, 0), "search");
    fixture_var(&k, h, cn_var_merch(4, 1), "browse");
    fixture_var(&k, h, CN_VAR_EVAR | 4, "browse");
    /* visit 1: one order of A and D, both found by search; A also has eVar6 = M */
    v = (cn_visit_row_t){
        .visitor = 1, .visit_num = 1, .start_ts = at(3 * MIN), .entry_page = S("/p")};
    assert_int_equal(k.visit(k.ud, 1, &v), 0);
    h = add_hit(&k, 1, 1, at(3 * MIN), CN_EV_PURCHASE, 14 * MONEY, 2);
    add_item(&k, h, "A", 1, 10 * MONEY);
    add_item(&k, h, "D", 1, 4 * MONEY);
    fixture_var(&k, h, cn_var_merch(4, 0), "search");
    fixture_var(&k, h, cn_var_merch(6, 0), "M");
    fixture_var(&k, h, cn_var_merch(4, 1), "search");
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
    return fixture_report(store, at(0), params, false);
}

static void merch_values_get_their_items_units_and_revenue(void **state)
{
    (void)state;
    /* units, revenue, orders, product views, hits, visits: an order counts once per value
     * (visit 1's order has two search items), units and revenue are the items' sums; C has
     * no value: the "(none)" row "" */
    assert_string_equal(
        report("dimension=merch4&metrics=units,revenue,orders,product_views,hits,visits"),
        "=1,10,1,0,1,1;browse=1,5,1,1,2,1;search=4,34,2,1,3,2;");
    /* "merch:4" is the same dimension; empty=0 leaves out items without a value */
    assert_string_equal(report("dimension=merch:4&metrics=units,revenue&empty=0"),
                        "browse=1,5;search=4,34;");
    assert_string_equal(report("dimension=merch6&metrics=units,revenue&empty=0"), "M=1,10;");
}

static void merch_values_by_product(void **state)
{
    (void)state;
    assert_string_equal(report("dimension=merch4,product&metrics=units,revenue,orders&empty=0"),
                        "browse/B=1,5,1;search/A=3,30,2;search/D=1,4,1;");
    assert_string_equal(report("dimension=product,merch4&metrics=units&empty=0"),
                        "A/search=3;B/browse=1;D/search=1;");
    /* two item dimensions of the same item: product and category */
    assert_string_equal(report("dimension=category,product&metrics=units"),
                        "Mugs/A=3;Mugs/B=1;Mugs/C=1;Mugs/D=1;");
}

static void merch_values_as_a_segment_and_in_the_catalogue(void **state)
{
    (void)state;
    /* hits with an item bound to browse: the view of B and the first order */
    assert_string_equal(report("metrics=hits,orders&segment=merch4%20%3D%20%22browse%22"), "=2,1;");
    assert_string_equal(report("dimension=merch4&metrics=hits&empty=0&segment=orders%20>%200"),
                        "browse=1;search=2;");
    cn_buf_t b = CN_BUF_INIT;
    cn_catalog_to_json(NULL, &b);
    cn_buf_putc(&b, 0);
    assert_non_null(strstr(
        b.ptr,
        "{\"name\":\"merch1..merch250\",\"title\":\"eVar (merchandising)\",\"scope\":\"item\","
        "\"multi\":true,\"paths\":false}"));
    cn_buf_dispose(&b);
    int arg = 0;
    assert_non_null(cn_dim_find(S("merch250"), &arg));
    assert_int_equal(arg, 250);
    assert_null(cn_dim_find(S("merch251"), &arg));
    assert_null(cn_dim_find(S("merch"), &arg));
    assert_non_null(cn_dim_find(S("evar:3"), &arg));
    assert_int_equal(arg, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merch_values_get_their_items_units_and_revenue),
        cmocka_unit_test(merch_values_by_product),
        cmocka_unit_test(merch_values_as_a_segment_and_in_the_catalogue),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
