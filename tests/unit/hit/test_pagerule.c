/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hit/pagerule.h"

#include <cmocka.h>

/* The type of a row given as "name=value" pairs (values not encoded), with exts. */
static int row_type(const char *const *kv, const char *exts)
{
    cn_hit_rowfacts_t f = {0};
    for (size_t i = 0; kv[i] != NULL; i++) {
        const char *eq = strchr(kv[i], '=');
        cn_hit_rowfacts_add(&f, cn_str(kv[i], (size_t)(eq - kv[i])), cn_str_c(eq + 1));
    }
    return cn_hit_row_type(&f, exts);
}

#define ROW(...) ((const char *const[]){__VA_ARGS__, NULL})

static void row_without_type_url_is_a_page_view(void **state)
{
    (void)state;
    assert_int_equal(row_type(ROW("url=/home"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("url=https://a.example/p?x=1.css"), NULL), CN_HIT_PAGEVIEW);
}

static void row_without_type_static_url_is_a_request(void **state)
{
    (void)state;
    assert_int_equal(row_type(ROW("url=/logo.PNG"), NULL), CN_HIT_REQUEST);
    assert_int_equal(row_type(ROW("url=https://a.example/a.css?v=2#x"), NULL), CN_HIT_REQUEST);
    assert_int_equal(row_type(ROW("url=https://a.example"), NULL), CN_HIT_PAGEVIEW);
    /* the suite's list replaces the default one */
    assert_int_equal(row_type(ROW("url=/logo.png"), "css"), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("url=/feed.rss"), "rss, css"), CN_HIT_REQUEST);
}

static void row_without_type_page_name_is_a_page_view(void **state)
{
    (void)state;
    assert_int_equal(row_type(ROW("page=Checkout"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("title=Home"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("visitor=v1"), NULL), CN_HIT_LINK);
}

static void row_with_commerce_is_a_link(void **state)
{
    (void)state;
    assert_int_equal(row_type(ROW("url=/thanks", "order_id=A1"), NULL), CN_HIT_LINK);
    assert_int_equal(row_type(ROW("url=/thanks", "revenue=0.0001"), NULL), CN_HIT_LINK);
    assert_int_equal(row_type(ROW("url=/thanks", "revenue=0.00"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("url=/p", "events=event5=2,scAdd"), NULL), CN_HIT_LINK);
    assert_int_equal(row_type(ROW("url=/p", "event_rows=prodView"), NULL), CN_HIT_LINK);
    assert_int_equal(row_type(ROW("url=/p", "events=2"), NULL), CN_HIT_LINK);
    /* custom events only are not commerce events */
    assert_int_equal(row_type(ROW("url=/p", "events=event5"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("url=/p", "events=[{\"event\":5}]"), NULL), CN_HIT_PAGEVIEW);
}

static void row_implied_purchase(void **state)
{
    (void)state;
    cn_hit_rowfacts_t f = {0};
    cn_hit_rowfacts_add(&f, CN_STR_LIT("order_id"), CN_STR_LIT("A1"));
    assert_true(cn_hit_row_implies_purchase(&f));
    /* flags given (even 0): the events say what it is */
    cn_hit_rowfacts_add(&f, CN_STR_LIT("events"), CN_STR_LIT("0"));
    assert_false(cn_hit_row_implies_purchase(&f));
    assert_int_equal(cn_hit_row_type(&f, NULL), CN_HIT_LINK);
}

static void row_type_column_decides(void **state)
{
    (void)state;
    assert_int_equal(row_type(ROW("type=pageview", "url=/logo.png"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("type=0", "page=P"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("type=00", "page=P"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("type=Page View", "url=/"), NULL), CN_HIT_PAGEVIEW);
    assert_int_equal(row_type(ROW("type=link", "url=/"), NULL), CN_HIT_LINK);
    assert_int_equal(row_type(ROW("type=4", "url=/"), NULL), CN_HIT_REQUEST);
    /* refused by processing: unknown, or a page view without url or page */
    assert_int_equal(row_type(ROW("type=5", "url=/"), NULL), -1);
    assert_int_equal(row_type(ROW("type=nope", "url=/"), NULL), -1);
    assert_int_equal(row_type(ROW("type=pageview"), NULL), -1);
}

static void log_page_rule(void **state)
{
    (void)state;
    cn_str_t none = CN_STR_LIT(""), get = CN_STR_LIT("GET");
    assert_true(cn_hit_log_is_page(get, 200, CN_STR_LIT("/"), none, NULL));
    assert_true(cn_hit_log_is_page(get, 0, CN_STR_LIT("/a"), none, NULL));
    assert_true(cn_hit_log_is_page(get, 304, CN_STR_LIT("/a"),
                                   CN_STR_LIT(" text/html; charset=utf-8"), NULL));
    assert_false(cn_hit_log_is_page(get, 301, CN_STR_LIT("/a"), none, NULL));
    assert_false(cn_hit_log_is_page(get, 404, CN_STR_LIT("/a"), none, NULL));
    assert_false(cn_hit_log_is_page(get, 200, CN_STR_LIT("/a.js"), none, NULL));
    assert_false(cn_hit_log_is_page(get, 200, CN_STR_LIT("/a"), CN_STR_LIT("image/png"), NULL));
    assert_true(cn_hit_log_is_page(get, 200, CN_STR_LIT("/a.js"), none, "css"));
    /* a HEAD is no page view (no page was sent) */
    assert_false(cn_hit_log_is_page(CN_STR_LIT("HEAD"), 200, CN_STR_LIT("/"), none, NULL));
    assert_false(cn_hit_log_is_page(CN_STR_LIT("HEAD"), 0, CN_STR_LIT("/a"), none, NULL));
}

static void log_page_methods(void **state)
{
    (void)state;
    cn_str_t html = CN_STR_LIT("text/html");
    /* the methods that fetch a page, and no method (the import's default, GET) */
    assert_true(cn_hit_log_is_page(CN_STR_LIT("GET"), 200, CN_STR_LIT("/a"), html, NULL));
    assert_true(cn_hit_log_is_page(CN_STR_LIT("POST"), 200, CN_STR_LIT("/a"), html, NULL));
    assert_true(cn_hit_log_is_page(CN_STR_NULL, 200, CN_STR_LIT("/a"), html, NULL));
    assert_true(cn_hit_log_is_page(CN_STR_LIT(""), 200, CN_STR_LIT("/a"), html, NULL));
    /* every other method is a request, even answered 200 with HTML */
    static const char *const other[] = {
        "OPTIONS", "PUT",       "DELETE", "PATCH", "CONNECT",     "TRACE",    "PROPFIND",
        "MKCOL",   "PROPPATCH", "COPY",   "MOVE",  "LOCK",        "UNLOCK",   "REPORT",
        "SEARCH",  "PURGE",     "GETX",   "POSTS", "GE",          "G",        "BREW",
        "get",     "post",      "Get",    "QUERY", "RPC_IN_DATA", "CHECKOUT", "MERGE",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        cn_str_t m = cn_str_c(other[i]);
        assert_false(cn_hit_log_is_page(m, 200, CN_STR_LIT("/a"), html, NULL));
        assert_false(cn_hit_log_is_page(m, 0, CN_STR_LIT("/"), CN_STR_LIT(""), NULL));
        assert_false(cn_hit_log_is_page(m, 304, CN_STR_LIT("/a"), CN_STR_LIT(""), "css"));
    }
    /* the method is one rule among the others: a POST answered 303 is a redirect */
    assert_false(cn_hit_log_is_page(CN_STR_LIT("POST"), 303, CN_STR_LIT("/a"), html, NULL));
    assert_false(cn_hit_log_is_page(CN_STR_LIT("POST"), 200, CN_STR_LIT("/a.json"), html, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_without_type_url_is_a_page_view),
        cmocka_unit_test(row_without_type_static_url_is_a_request),
        cmocka_unit_test(row_without_type_page_name_is_a_page_view),
        cmocka_unit_test(row_with_commerce_is_a_link),
        cmocka_unit_test(row_implied_purchase),
        cmocka_unit_test(row_type_column_decides),
        cmocka_unit_test(log_page_rule),
        cmocka_unit_test(log_page_methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
