/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the Adobe request router and query helpers (collect/internal.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "collect/internal.h"
#include "lib/err.h"

#include <cmocka.h>

static void assert_str(cn_str_t s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.ptr, want, s.len);
}

static void path_full_form(void **state)
{
    cn_adobe_path_t p;
    assert_int_equal(
        cn_collect__adobe_path(CN_STR_LIT("/b/ss/cantonshopprod/1/JS-2.21.0/s86387584541131"), &p),
        0);
    assert_str(p.suite, "cantonshopprod");
    assert_str(p.hit_source, "1");
    assert_str(p.code_version, "JS-2.21.0");
    assert_str(p.cache_buster, "s86387584541131");
}

static void path_hard_coded_short_form(void **state)
{
    cn_adobe_path_t p;
    assert_int_equal(cn_collect__adobe_path(CN_STR_LIT("/b/ss/demo/1"), &p), 0);
    assert_str(p.suite, "demo");
    assert_str(p.hit_source, "1");
    assert_int_equal(p.code_version.len, 0);
    assert_int_equal(p.cache_buster.len, 0);
    assert_non_null(p.code_version.ptr);
}

static void path_three_segments_and_trailing_slash(void **state)
{
    cn_adobe_path_t p;
    assert_int_equal(cn_collect__adobe_path(CN_STR_LIT("/b/ss/demo/10/H.27.5"), &p), 0);
    assert_str(p.hit_source, "10");
    assert_str(p.code_version, "H.27.5");
    assert_int_equal(p.cache_buster.len, 0);
    assert_int_equal(cn_collect__adobe_path(CN_STR_LIT("/b/ss/demo/1/"), &p), 0);
    assert_str(p.hit_source, "1");
    assert_int_equal(cn_collect__adobe_path(CN_STR_LIT("/b/ss/demo/5.1/JS-2.0/s1/"), &p), 0);
    assert_str(p.hit_source, "5.1");
    assert_str(p.cache_buster, "s1");
}

static void path_keeps_multi_suite_list_raw(void **state)
{
    cn_adobe_path_t p;
    assert_int_equal(
        cn_collect__adobe_path(CN_STR_LIT("/b/ss/shop-prod,shop.global/1/JS-2.21.0/s1"), &p), 0);
    assert_str(p.suite, "shop-prod,shop.global");
}

static void path_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        "/",
        "/b/ss",
        "/b/ss/",
        "/b/ss/demo",
        "/b/ss/demo/",          /* no hit source */
        "/b/ss//1/JS/s1",       /* empty suite */
        "/b/ss/demo//JS/s1",    /* empty hit source */
        "/b/ss/demo/1/JS/s1/x", /* a fifth segment */
        "/b/ss/demo/1/JS/s1//",
        "/b/ss/de mo/1",
        "/b/ss/de%20mo/1",
        "/b/ss/demo/1;x/JS",
        "/b/ss/demo/12345678901234567/JS", /* hit source over 16 bytes */
        "/b/sx/demo/1",
        "/B/SS/demo/1",
        "b/ss/demo/1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cn_adobe_path_t p;
        if (cn_collect__adobe_path(cn_str_c(bad[i]), &p) != CN_EPARSE)
            fail_msg("accepted '%s'", bad[i]);
    }
}

static void path_suite_length_limit(void **state)
{
    char buf[CN_COLLECT_MAX_SUITE_FIELD + 32];
    cn_adobe_path_t p;
    memcpy(buf, "/b/ss/", 6);
    memset(buf + 6, 'a', CN_COLLECT_MAX_SUITE_FIELD);
    memcpy(buf + 6 + CN_COLLECT_MAX_SUITE_FIELD, "/1", 2);
    assert_int_equal(cn_collect__adobe_path(cn_str(buf, 6 + CN_COLLECT_MAX_SUITE_FIELD + 2), &p),
                     0);
    assert_int_equal(p.suite.len, CN_COLLECT_MAX_SUITE_FIELD);
    memset(buf + 6, 'a', CN_COLLECT_MAX_SUITE_FIELD + 1);
    memcpy(buf + 6 + CN_COLLECT_MAX_SUITE_FIELD + 1, "/1", 2);
    assert_int_equal(cn_collect__adobe_path(cn_str(buf, 6 + CN_COLLECT_MAX_SUITE_FIELD + 3), &p),
                     CN_EPARSE);
}

static void query_get_is_exact_and_first(void **state)
{
    cn_str_t q = CN_STR_LIT("pageName=a&pagename=b&pageName=c&callbackx=1"), v;
    assert_true(cn_collect__query_get(q, CN_STR_LIT("pageName"), &v));
    assert_str(v, "a");
    assert_true(cn_collect__query_get(q, CN_STR_LIT("pagename"), &v));
    assert_str(v, "b");
    assert_false(cn_collect__query_get(q, CN_STR_LIT("callback"), &v));
}

static void callback_names(void **state)
{
    assert_true(cn_collect__callback_ok(CN_STR_LIT("s_c_il[0].doPostbacks")));
    assert_true(cn_collect__callback_ok(CN_STR_LIT("$jsonp_1")));
    assert_false(cn_collect__callback_ok(CN_STR_LIT("")));
    assert_false(cn_collect__callback_ok(CN_STR_LIT("1abc")));
    assert_false(cn_collect__callback_ok(CN_STR_LIT("alert(1);x")));
    assert_false(cn_collect__callback_ok(CN_STR_LIT("a b")));
    assert_false(cn_collect__callback_ok(CN_STR_LIT("a</script>")));
    char longname[CN_COLLECT_MAX_CALLBACK + 1];
    memset(longname, 'a', sizeof(longname));
    assert_true(cn_collect__callback_ok(cn_str(longname, CN_COLLECT_MAX_CALLBACK)));
    assert_false(cn_collect__callback_ok(cn_str(longname, CN_COLLECT_MAX_CALLBACK + 1)));
}

static void answer_kinds(void **state)
{
    cn_adobe_path_t p1, p10;
    char buf[CN_COLLECT_MAX_CALLBACK];
    cn_str_t cb;
    assert_int_equal(cn_collect__adobe_path(CN_STR_LIT("/b/ss/demo/1/JS/s1"), &p1), 0);
    assert_int_equal(cn_collect__adobe_path(CN_STR_LIT("/b/ss/demo/10/JS/s1"), &p10), 0);
    assert_int_equal(cn_collect__adobe_answer(CN_STR_LIT("GET"), &p1, CN_STR_LIT("AQB=1&AQE=1"),
                                              CN_STR_LIT(""), buf, &cb),
                     CN_ADOBE_GIF);
    assert_int_equal(
        cn_collect__adobe_answer(CN_STR_LIT("GET"), &p10,
                                 CN_STR_LIT("AQB=1&ndh=1&callback=s_c_il%5B0%5D.doPostbacks&et=1"),
                                 CN_STR_LIT(""), buf, &cb),
        CN_ADOBE_JS);
    assert_str(cb, "s_c_il[0].doPostbacks");
    assert_int_equal(cn_collect__adobe_answer(CN_STR_LIT("GET"), &p10,
                                              CN_STR_LIT("callback=x%3Balert(1)"), CN_STR_LIT(""),
                                              buf, &cb),
                     CN_ADOBE_GIF);
    assert_int_equal(cn_collect__adobe_answer(CN_STR_LIT("POST"), &p10, CN_STR_LIT(""),
                                              CN_STR_LIT("AQB=1&AQE=1"), buf, &cb),
                     CN_ADOBE_JSON);
    /* without postbacks (hit source 1) or without a body: the GIF */
    assert_int_equal(cn_collect__adobe_answer(CN_STR_LIT("POST"), &p1, CN_STR_LIT(""),
                                              CN_STR_LIT("AQB=1&AQE=1"), buf, &cb),
                     CN_ADOBE_GIF);
    assert_int_equal(cn_collect__adobe_answer(CN_STR_LIT("POST"), &p10, CN_STR_LIT("AQB=1"),
                                              CN_STR_LIT(""), buf, &cb),
                     CN_ADOBE_GIF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_full_form),
        cmocka_unit_test(path_hard_coded_short_form),
        cmocka_unit_test(path_three_segments_and_trailing_slash),
        cmocka_unit_test(path_keeps_multi_suite_list_raw),
        cmocka_unit_test(path_rejects),
        cmocka_unit_test(path_suite_length_limit),
        cmocka_unit_test(query_get_is_exact_and_first),
        cmocka_unit_test(callback_names),
        cmocka_unit_test(answer_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
