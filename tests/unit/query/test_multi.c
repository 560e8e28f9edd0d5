/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segment conditions on the dimensions with several values per hit (listN, product, category,
 * merchN) follow one rule (docs/segments.md "Dimensions with several values"): a hit matches
 * when one of its values does, and a hit without a value matches no condition, != and ""
 * included. The same values are given to list1, to the items' product and category, and to
 * merchandising eVar 4 bound to each item, so every condition must keep the same hits on the
 * four. A hand-made store with known answers.
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

#define S(x) CN_STR_LIT(x)
#define MIN  (60 * 1000000LL)

static int64_t at(int64_t offset_us)
{
    return (int64_t)D * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

/* A page view of page with values vals[0..n): list1 values, and one item per value whose
 * product, category and merchandising eVar 4 are that value. */
static void add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, const char *page,
                    const char *const *vals, size_t n)
{
    cn_hit_row_t h = {0};
    h.ts = at((int64_t)(visit * 10 + num) * MIN);
    h.visit = visit;
    h.hit_num = num;
    h.type = CN_HIT_PAGEVIEW;
    h.page = cn_str_c(page);
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
    for (size_t i = 0; i < n; i++) {
        cn_item_row_t it = {.hit = id, .sku = cn_str_c(vals[i]), .category = cn_str_c(vals[i])};
        assert_int_equal(k->item(k->ud, &it), 0);
    }
    for (size_t i = 0; i < n; i++)
        fixture_var(k, id, CN_VAR_LIST | 1, vals[i]);
    for (size_t i = 0; i < n; i++)
        fixture_var(k, id, cn_var_merch(4, (unsigned)i), vals[i]);
}

static void add_visit(cn_sink_t *k, uint32_t visit)
{
    cn_visit_row_t v = {.visitor = visit,
                        .visit_num = 1,
                        .start_ts = at((int64_t)visit * 10 * MIN),
                        .entry_page = S("/p")};
    assert_int_equal(k->visit(k->ud, visit, &v), 0);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("multi", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    static const char *const ab[] = {"a", "b"}, *const abc[] = {"a", "b", "c"},
                             *const aa[] = {"a", "a"}, *const c[] = {"c"};
    /* visit 0: hits 1 (a, b), 2 (none), 3 (a, b, c), 4 (a twice) */
    add_visit(&k, 0);
    add_hit(&k, 0, 1, "/p", ab, 2);
    add_hit(&k, 0, 2, "/p", NULL, 0);
    add_hit(&k, 0, 3, "/p", abc, 3);
    add_hit(&k, 0, 4, "/p", aa, 2);
    /* visit 1: hit 5 (c); visit 2: hit 6 (none) */
    add_visit(&k, 1);
    add_hit(&k, 1, 1, "/p", c, 1);
    add_visit(&k, 2);
    add_hit(&k, 2, 1, "/p", NULL, 0);
    /* visit 3, page /q: an item y without a category and without merchandising eVar 4 */
    add_visit(&k, 3);
    cn_hit_row_t h = {
        .ts = at(30 * MIN), .visit = 3, .hit_num = 1, .type = CN_HIT_PAGEVIEW, .page = S("/q")};
    uint32_t id;
    assert_int_equal(k.hit(k.ud, &h, &id), 0);
    cn_item_row_t it = {.hit = id, .sku = S("y")};
    assert_int_equal(k.item(k.ud, &it), 0);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Hits and visits kept by segment (each "D" in it: the dimension dim), as "=hits,visits;"
 * ("=0,0;" when it keeps none: a report of totals always has its one row). */
static const char *count(const char *dim, const char *segment)
{
    char qs[400];
    size_t n = (size_t)snprintf(qs, sizeof(qs), "metrics=hits,visits&segment=");
    for (const char *p = segment; *p; p++) {
        if (*p == 'D')
            n += (size_t)snprintf(qs + n, sizeof(qs) - n, "%s", dim);
        else
            n += (size_t)snprintf(qs + n, sizeof(qs) - n, "%%%02X", (unsigned char)*p);
    }
    return fixture_report(store, at(0), qs, false);
}

static const char *const dims[] = {"list1", "product", "category", "merch4"};

static void check(const char *segment, const char *want)
{
    for (size_t d = 0; d < 4; d++) {
        const char *got = count(dims[d], segment);
        if (strcmp(got, want) != 0)
            fail_msg("%s with %s: %s, want %s", segment, dims[d], got, want);
    }
}

static void a_hit_matches_when_one_of_its_values_does(void **state)
{
    (void)state;
    check("page = \"/p\" and D = \"a\"", "=3,1;");
    check("page = \"/p\" and D in (\"c\", \"z\")", "=2,2;");
    check("page = \"/p\" and D starts with \"b\"", "=2,1;");
    check("page = \"/p\" and D contains \"\"", "=4,2;");
    /* not: the hits without a, those without values among them */
    check("page = \"/p\" and not D = \"a\"", "=3,3;");
}

static void a_hit_without_a_value_matches_no_condition(void **state)
{
    (void)state;
    /* != a: hits 1 and 3 (b, c), 5 (c); not hits 2 and 6, which have no value */
    check("page = \"/p\" and D != \"a\"", "=3,2;");
    check("page = \"/p\" and D = \"\"", "=0,0;");
    check("page = \"/p\" and D in (\"\", \"z\")", "=0,0;");
    /* != "": the hits with a value (Adobe's "exists"), not it: those without ("does not
     * exist") */
    check("page = \"/p\" and D != \"\"", "=4,2;");
    check("page = \"/p\" and not D != \"\"", "=2,2;");
    /* containers: visit 2 has no value, so no visit(!=) keeps it */
    check("page = \"/p\" and visit(D != \"a\")", "=5,2;");
    check("page = \"/p\" and visitor(D != \"c\")", "=4,1;");
    check("page = \"/p\" and not visit(D != \"\")", "=1,1;");
    /* a sequence step: the hit without a value after a is not "" */
    check("page = \"/p\" and visit(D = \"a\" then D = \"\")", "=0,0;");
    check("page = \"/p\" and visit(D = \"b\" then D != \"b\")", "=4,1;");
}

static void an_item_without_the_value_has_none(void **state)
{
    (void)state;
    /* the item y of page /q has no category and no merchandising eVar 4 */
    assert_string_equal(count("product", "page = \"/q\" and D = \"y\""), "=1,1;");
    assert_string_equal(count("product", "page = \"/q\" and D != \"a\""), "=1,1;");
    for (size_t d = 2; d < 4; d++) {
        assert_string_equal(count(dims[d], "page = \"/q\" and D = \"\""), "=0,0;");
        assert_string_equal(count(dims[d], "page = \"/q\" and D != \"a\""), "=0,0;");
        assert_string_equal(count(dims[d], "page = \"/q\" and not D != \"\""), "=1,1;");
    }
    /* the report still lists such items under "" */
    assert_string_equal(fixture_report(store, at(0),
                                       "dimension=category&metrics=hits&segment=page%3D%22%2Fq%22",
                                       false),
                        "=1;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_hit_matches_when_one_of_its_values_does),
        cmocka_unit_test(a_hit_without_a_value_matches_no_condition),
        cmocka_unit_test(an_item_without_the_value_has_none),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
