/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A segment condition on revenue compares the amount the hit has, to the cent and below:
 * `revenue = 48.7902` keeps the order of 48.7902 (stored as 487902 ten-thousandths), as every
 * other comparison does. Amounts from a generated demo log that a product with 1 / 10000 put
 * one ulp away from the value the segment names. A hand-made store with known answers.
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

#define MIN (60 * 1000000LL)

/* Revenue of the orders, in ten-thousandths of the base currency. */
static const int64_t amounts[] = {487902,  906004, 2301306, 975804,
                                  7537004, 348302, 1736624, 369873};
#define N_AMOUNTS (sizeof(amounts) / sizeof(amounts[0]))

static int64_t at(int64_t offset_us)
{
    return (int64_t)D * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

static int setup(void **state)
{
    (void)state;
    fixture_open("money", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    /* one visit per order */
    for (uint32_t i = 0; i < N_AMOUNTS; i++) {
        cn_visit_row_t v = {.visitor = i,
                            .visit_num = 1,
                            .start_ts = at((int64_t)i * MIN),
                            .entry_page = CN_STR_LIT("/done")};
        assert_int_equal(k.visit(k.ud, i, &v), 0);
        char order[16];
        snprintf(order, sizeof(order), "ORD-%u", i);
        cn_hit_row_t h = {.ts = at((int64_t)i * MIN),
                          .visit = i,
                          .hit_num = 1,
                          .type = CN_HIT_PAGEVIEW,
                          .events = CN_EV_PURCHASE,
                          .page = CN_STR_LIT("/done"),
                          .order_id = cn_str_c(order),
                          .currency = CN_STR_LIT("CNY"),
                          .revenue = amounts[i],
                          .units = 1};
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

/* Orders kept by "revenue OP amount", as "=orders;" ("=0;" when none: the one row of totals). */
static const char *orders(const char *op, int64_t amount)
{
    char qs[128];
    snprintf(qs, sizeof(qs), "metrics=orders&segment=revenue%%20%s%%20%lld.%04lld", op,
             (long long)(amount / CN_MONEY_SCALE), (long long)(amount % CN_MONEY_SCALE));
    return fixture_report(store, at(0), qs, false);
}

static void revenue_compares_the_exact_amount(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_AMOUNTS; i++) {
        int below = 0, above = 0;
        for (size_t j = 0; j < N_AMOUNTS; j++) {
            below += amounts[j] < amounts[i];
            above += amounts[j] > amounts[i];
        }
        char want[32];
        assert_string_equal(orders("%3D", amounts[i]), "=1;");
        snprintf(want, sizeof(want), "=%d;", (int)N_AMOUNTS - 1);
        assert_string_equal(orders("!%3D", amounts[i]), want);
        snprintf(want, sizeof(want), "=%d;", below + 1);
        assert_string_equal(orders("<%3D", amounts[i]), want);
        snprintf(want, sizeof(want), "=%d;", above);
        assert_string_equal(orders(">", amounts[i]), want);
    }
    /* in (...) too */
    assert_string_equal(
        fixture_report(store, at(0), "metrics=orders&segment=revenue%20in%20(48.7902%2C%2090.6004)",
                       false),
        "=2;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(revenue_compares_the_exact_amount),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
