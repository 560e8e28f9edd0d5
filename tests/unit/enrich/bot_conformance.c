/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bot flag conformance, both ways:
 *   1. every `instances` example of crawler-user-agents.json (the pinned npm
 *      copy) must be flagged as a bot;
 *   2. no browser UA of uap-core's test suite may be flagged: the cases of
 *      tests/test_ua.yaml, firefox_user_agent_strings.yaml and
 *      opera_mini_user_agent_strings.yaml whose expected family is a browser
 *      (see is_browser_family) and whose device is not uap's "Spider".
 * For every UA it also checks that the literal prefilter finds the same first
 * pattern as one PCRE2 alternation of all patterns (the slow reference).
 * Prints the counts and "N passed, N failed"; exits 1 on any failure.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"

/* Browser families (uap names) that real people browse with. */
static const char *const browser_families[] = {"Chrome",
                                               "Chrome Mobile",
                                               "Chrome Mobile iOS",
                                               "Chrome Mobile WebView",
                                               "Chromium",
                                               "Firefox",
                                               "Firefox Mobile",
                                               "Firefox iOS",
                                               "Firefox Beta",
                                               "Firefox Alpha",
                                               "Firefox (Minefield)",
                                               "Firefox (Shiretoko)",
                                               "Firefox (Namoroka)",
                                               "Firefox (GranParadiso)",
                                               "Firefox (BonEcho)",
                                               "Firefox Focus",
                                               "Safari",
                                               "Mobile Safari",
                                               "Mobile Safari UI/WKWebView",
                                               "Edge",
                                               "Edge Mobile",
                                               "Opera",
                                               "Opera Mobile",
                                               "Opera Mini",
                                               "Opera Tablet",
                                               "Opera Coast",
                                               "Opera Touch",
                                               "Samsung Internet",
                                               "IE",
                                               "IE Mobile",
                                               "UC Browser",
                                               "Yandex Browser",
                                               "Vivaldi",
                                               "Brave",
                                               "Silk",
                                               "Android",
                                               "QQ Browser",
                                               "QQ Browser Mobile",
                                               "Sogou Explorer",
                                               "Maxthon",
                                               "Iceweasel",
                                               "SeaMonkey",
                                               "Pale Moon",
                                               "Waterfox",
                                               "Camino",
                                               "Epiphany",
                                               "Konqueror",
                                               "Puffin",
                                               "Whale",
                                               "MiuiBrowser",
                                               "HeyTap Browser",
                                               "Huawei Browser",
                                               "Baidu Browser",
                                               "Baidu Explorer",
                                               "DuckDuckGo Mobile",
                                               "Facebook",
                                               "Instagram",
                                               "WeChat",
                                               "Amazon Silk",
                                               "BlackBerry WebKit",
                                               "NetFront",
                                               "Obigo",
                                               "Netscape",
                                               "Mozilla",
                                               "Iron",
                                               "Avast Secure Browser",
                                               "AVG Secure Browser",
                                               "Coc Coc",
                                               "Sleipnir",
                                               "Lunascape",
                                               "Yahoo! Japan",
                                               "Swiftfox",
                                               "Fennec",
                                               "Minimo",
                                               "Galeon",
                                               "Flock",
                                               "K-Meleon",
                                               "Palemoon",
                                               "IceCat",
                                               "Iceape",
                                               "GNU IceCat",
                                               NULL};

static bool is_browser_family(cn_str_t f)
{
    for (const char *const *b = browser_families; *b != NULL; b++)
        if (cn_str_eq_c(f, *b))
            return true;
    return false;
}

static const char *const uap_files[] = {"tests/test_ua.yaml",
                                        "test_resources/firefox_user_agent_strings.yaml",
                                        "test_resources/opera_mini_user_agent_strings.yaml"};

int main(void)
{
    const char *src = getenv("CANTON_SRC");
    const char *dir = getenv("CANTON_UAP_TESTS");
    if (dir == NULL || dir[0] == '\0')
        dir = "/usr/share/uap-core";
    cn_enrich_opts_t opts;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&opts, &paths, src);
    opts.geo_country = opts.geo_city_v4 = opts.geo_city_v6 = NULL;
    cn_err_t err;
    cn_enrich_t *e;
    if (cn_enrich_open(&opts, &e, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);
    size_t pass = 0, fail = 0, shown = 0, prefilter_diff = 0;

    /* 1. crawler-user-agents' own examples */
    json_error_t je;
    json_t *root = json_load_file(opts.crawlers, 0, &je);
    if (root == NULL) {
        fprintf(stderr, "%s: %s\n", opts.crawlers, je.text);
        return 1;
    }
    size_t n1 = 0, ok1 = 0;
    for (size_t i = 0; i < json_array_size(root); i++) {
        json_t *inst = json_object_get(json_array_get(root, i), "instances");
        for (size_t j = 0; j < json_array_size(inst); j++) {
            const char *ua = json_string_value(json_array_get(inst, j));
            if (ua == NULL)
                continue;
            cn_ua_info_t info;
            cn_enrich_ua(t, cn_str_c(ua), &info);
            n1++;
            if (cn_enrich__bot_pattern(e->bots, &t->m, cn_str_c(ua)) !=
                cn_enrich__bot_pattern_slow(e->bots, &t->m, cn_str_c(ua)))
                prefilter_diff++;
            if (info.is_bot && info.type == CN_DEVICE_BOT) {
                ok1++;
            } else if (shown++ < 20) {
                fprintf(stderr, "NOT FLAGGED: %s\n", ua);
            }
        }
    }
    json_decref(root);
    printf("crawler-user-agents instances flagged: %zu of %zu\n", ok1, n1);
    pass += ok1;
    fail += n1 - ok1;

    /* 2. uap-core's browser test UAs */
    size_t n2 = 0, ok2 = 0;
    cn_matcher_t m;
    cn_enrich__matcher_init(&m, 64);
    for (size_t f = 0; f < sizeof(uap_files) / sizeof(uap_files[0]); f++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, uap_files[f]);
        yaml_document_t doc;
        if (cn_enrich__yaml_load(path, &doc, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        yaml_node_t *cases =
            cn_enrich__yaml_get(&doc, yaml_document_get_root_node(&doc), "test_cases");
        for (yaml_node_item_t *it = cases->data.sequence.items.start;
             it < cases->data.sequence.items.top; it++) {
            yaml_node_t *tc = yaml_document_get_node(&doc, *it);
            cn_str_t ua = cn_enrich__yaml_str(cn_enrich__yaml_get(&doc, tc, "user_agent_string"));
            cn_str_t fam = cn_enrich__yaml_str(cn_enrich__yaml_get(&doc, tc, "family"));
            if (!is_browser_family(fam))
                continue;
            cn_ua_info_t info;
            cn_enrich_ua(t, ua, &info);
            if (cn_str_eq_c(info.device, "Spider"))
                continue; /* uap itself calls it a crawler */
            n2++;
            cn_str_t type;
            bool bot = cn_enrich__bot_check(e->bots, &m, ua, &type);
            if (cn_enrich__bot_pattern(e->bots, &m, ua) !=
                cn_enrich__bot_pattern_slow(e->bots, &m, ua))
                prefilter_diff++;
            if (!info.is_bot && !bot) {
                ok2++;
            } else if (shown++ < 40) {
                fprintf(stderr, "FLAGGED (%.*s): %.*s\n", CN_STR_FMT(info.bot), CN_STR_FMT(ua));
            }
        }
        yaml_document_delete(&doc);
    }
    cn_enrich__matcher_dispose(&m);
    printf("uap-core browser test UAs not flagged: %zu of %zu\n", ok2, n2);
    pass += ok2;
    fail += n2 - ok2;
    printf("crawler patterns without a literal prefilter: %zu of %zu\n",
           cn_enrich__bots_always_count(e->bots), cn_enrich__bots_count(e->bots));
    printf("literal prefilter vs one alternation: %zu UAs differ\n", prefilter_diff);
    fail += prefilter_diff;
    printf("%zu passed, %zu failed\n", pass, fail);
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
    return fail == 0 && pass > 0 ? 0 : 1;
}
