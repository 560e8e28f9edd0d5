/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "lib/url.h"

#include <cmocka.h>

static void query_next_splits_pairs_and_skips_empty(void **state)
{
    (void)state;
    cn_str_t rest = CN_STR_LIT("a=1&&c.&b=&=x&d"), n, v;
    bool eq;
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "a") && cn_str_eq_c(v, "1") && eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "c.") && v.len == 0 && !eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "b") && v.len == 0 && eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(n.len == 0 && cn_str_eq_c(v, "x") && eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "d") && !eq);
    assert_false(cn_query_next(&rest, &n, &v, &eq));
}

static void query_next_on_empty_returns_false(void **state)
{
    (void)state;
    cn_str_t rest = CN_STR_LIT(""), n, v;
    bool eq;
    assert_false(cn_query_next(&rest, &n, &v, &eq));
    rest = CN_STR_LIT("&&&");
    assert_false(cn_query_next(&rest, &n, &v, &eq));
}

static void decode_handles_plus_and_percent(void **state)
{
    (void)state;
    char out[64];
    cn_str_t s = CN_STR_LIT("red+mug%20%2Fx%2fY");
    size_t n = cn_url_decode_to(s, out);
    assert_int_equal(n, strlen("red mug /x/Y"));
    assert_memory_equal(out, "red mug /x/Y", n);
    assert_true(cn_url_needs_decode(s));
    assert_false(cn_url_needs_decode(CN_STR_LIT("plain")));
}

static void decode_keeps_malformed_escapes(void **state)
{
    (void)state;
    char out[16];
    size_t n = cn_url_decode_to(CN_STR_LIT("%zz%4"), out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "%zz%4", 5);
    n = cn_url_decode_to(CN_STR_LIT("%"), out);
    assert_int_equal(n, 1);
    n = cn_url_decode_to(CN_STR_LIT("a%41"), out);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "aA", 2);
}

static void decode_works_in_place(void **state)
{
    (void)state;
    char b[] = "a%3Db%26c";
    size_t n = cn_url_decode_to(cn_str(b, strlen(b)), b);
    assert_int_equal(n, 5);
    assert_memory_equal(b, "a=b&c", 5);
}

static void latin1_becomes_utf8(void **state)
{
    (void)state;
    char out[16];
    size_t n = cn_latin1_to_utf8(CN_STR_LIT("caf\xe9"), out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "caf\xc3\xa9", 5);
}

static void strip_query_and_host(void **state)
{
    (void)state;
    assert_true(
        cn_str_eq_c(cn_url_strip_query(CN_STR_LIT("https://a.b/c?x=1#f")), "https://a.b/c"));
    assert_true(cn_str_eq_c(cn_url_strip_query(CN_STR_LIT("https://a.b/c#f")), "https://a.b/c"));
    assert_true(
        cn_str_eq_c(cn_url_host(CN_STR_LIT("https://u:p@Shop.example:8443/x")), "Shop.example"));
    assert_true(cn_str_eq_c(cn_url_host(CN_STR_LIT("http://[::1]:80/")), "[::1]"));
    assert_true(cn_str_eq_c(cn_url_host(CN_STR_LIT("https://a.b")), "a.b"));
    assert_null(cn_url_host(CN_STR_LIT("/relative/path")).ptr);
    assert_null(cn_url_host(CN_STR_LIT("")).ptr);
}

static void query_param_finds_exact_name(void **state)
{
    (void)state;
    bool found;
    cn_str_t v = cn_url_query_param(CN_STR_LIT("https://x/?utm_source=nl&utm=2#utm_medium=no"),
                                    CN_STR_LIT("utm"), &found);
    assert_true(found && cn_str_eq_c(v, "2"));
    v = cn_url_query_param(CN_STR_LIT("https://x/?a=1#utm_medium=no"), CN_STR_LIT("utm_medium"),
                           &found);
    assert_false(found);
    v = cn_url_query_param(CN_STR_LIT("https://x/"), CN_STR_LIT("a"), &found);
    assert_false(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_next_splits_pairs_and_skips_empty),
        cmocka_unit_test(query_next_on_empty_returns_false),
        cmocka_unit_test(decode_handles_plus_and_percent),
        cmocka_unit_test(decode_keeps_malformed_escapes),
        cmocka_unit_test(decode_works_in_place),
        cmocka_unit_test(latin1_becomes_utf8),
        cmocka_unit_test(strip_query_and_host),
        cmocka_unit_test(query_param_finds_exact_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
