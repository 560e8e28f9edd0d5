/* SPDX-License-Identifier: Apache-2.0 */
/*
 * canton gen's user agents: about 200 real browser strings across the
 * families and devices a cross-border shop sees, plus crawlers; every
 * crawler matches a pattern of npm crawler-user-agents (the list canton's
 * bot flag uses) and no browser string matches any.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/internal.h"

#include <cmocka.h>

static void the_list_covers_browsers_and_devices(void **state)
{
    (void)state;
    size_t dev[4] = {0};
    for (size_t i = 0; i < cn_gen__ua_count; i++) {
        dev[cn_gen__uas[i].device]++;
        assert_true(strncmp(cn_gen__uas[i].ua, "Mozilla/5.0 ", 12) == 0 ||
                    cn_gen__uas[i].device == GEN_DEV_BOT);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(cn_gen__uas[i].ua, cn_gen__uas[j].ua);
    }
    assert_true(dev[GEN_DEV_DESKTOP] + dev[GEN_DEV_MOBILE] + dev[GEN_DEV_TABLET] >= 180);
    assert_true(dev[GEN_DEV_MOBILE] >= 50 && dev[GEN_DEV_TABLET] >= 10);
    assert_true(dev[GEN_DEV_BOT] >= 15);
    const char *families[] = {"Chrome/",         "Version/",        "Firefox/", "Edg/",
                              "SamsungBrowser/", "MicroMessenger/", "CriOS/",   "UCBrowser/",
                              "HuaweiBrowser/",  "YaBrowser/",      "OPR/",     "Googlebot",
                              "Baiduspider",     "bingbot"};
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        size_t n = 0;
        for (size_t i = 0; i < cn_gen__ua_count; i++)
            n += strstr(cn_gen__uas[i].ua, families[f]) != NULL;
        if (n == 0)
            fail_msg("no user agent with %s", families[f]);
    }
}

static void crawlers_match_crawler_user_agents_and_browsers_do_not(void **state)
{
    (void)state;
    const char *src = getenv("CANTON_SRC");
    char path[4096];
    snprintf(path, sizeof(path), "%s/node_modules/crawler-user-agents/crawler-user-agents.json",
             src ? src : ".");
    json_error_t je;
    json_t *list = json_load_file(path, 0, &je);
    if (!list)
        fail_msg("cannot read %s: %s", path, je.text);
    size_t n = json_array_size(list);
    assert_true(n > 1000);
    pcre2_code **re = calloc(n, sizeof(*re));
    for (size_t i = 0; i < n; i++) {
        const char *p = json_string_value(json_object_get(json_array_get(list, i), "pattern"));
        assert_non_null(p);
        int ec;
        PCRE2_SIZE eo;
        re[i] = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        assert_non_null(re[i]);
    }
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    for (size_t u = 0; u < cn_gen__ua_count; u++) {
        const char *ua = cn_gen__uas[u].ua;
        const char *hit = NULL;
        for (size_t i = 0; i < n && !hit; i++)
            if (pcre2_match(re[i], (PCRE2_SPTR)ua, strlen(ua), 0, 0, md, NULL) >= 0)
                hit = json_string_value(json_object_get(json_array_get(list, i), "pattern"));
        if (cn_gen__uas[u].device == GEN_DEV_BOT && !hit)
            fail_msg("crawler not recognised: %s", ua);
        if (cn_gen__uas[u].device != GEN_DEV_BOT && hit)
            fail_msg("browser taken for a crawler by /%s/: %s", hit, ua);
    }
    pcre2_match_data_free(md);
    for (size_t i = 0; i < n; i++)
        pcre2_code_free(re[i]);
    free(re);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_list_covers_browsers_and_devices),
        cmocka_unit_test(crawlers_match_crawler_user_agents_and_browsers_do_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
