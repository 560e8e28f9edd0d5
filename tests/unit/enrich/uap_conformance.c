/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uap-core conformance: runs every case of uap-core's test suite (Debian's
 * uap-core package: tests/test_ua.yaml, test_os.yaml, test_device.yaml and
 * the test_resources files that uap-core's own tests/test.js reads) against
 * the pinned regexes.yaml from node_modules, through canton's parser, and
 * compares every field. Prints per-file counts and "N passed, N failed";
 * exits 1 on any failure.
 *
 * Environment: CANTON_SRC (the repo, for node_modules/uap-core/regexes.yaml),
 * CANTON_UAP_TESTS (default /usr/share/uap-core).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"

enum kind { UA, OS, DEV };

static const struct {
    const char *file;
    enum kind kind;
} files[] = {
    {"test_resources/firefox_user_agent_strings.yaml", UA},
    {"tests/test_ua.yaml", UA},
    {"test_resources/pgts_browser_list.yaml", UA},
    {"test_resources/opera_mini_user_agent_strings.yaml", UA},
    {"test_resources/podcasting_user_agent_strings.yaml", UA},
    {"tests/test_os.yaml", OS},
    {"test_resources/additional_os_tests.yaml", OS},
    {"tests/test_device.yaml", DEV},
};

/* Expected value: NULL for YAML null (missing, empty plain, ~, null). */
static cn_str_t expected(yaml_document_t *doc, yaml_node_t *tc, const char *key, bool *is_null)
{
    yaml_node_t *n = cn_enrich__yaml_get(doc, tc, key);
    cn_str_t s = cn_enrich__yaml_str(n);
    *is_null = s.ptr == NULL || (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                                 (s.len == 0 || cn_str_eq_c(s, "~") || cn_str_eq_c(s, "null")));
    return s;
}

static int check(yaml_document_t *doc, yaml_node_t *tc, const char *key, cn_str_t got,
                 const char *ua, int *shown)
{
    bool is_null;
    cn_str_t want = expected(doc, tc, key, &is_null);
    bool ok = is_null ? got.len == 0 : cn_str_eq(got, want);
    if (!ok && (*shown)++ < 20)
        fprintf(stderr, "FAIL %s: want %s%.*s%s got \"%.*s\" for %s\n", key,
                is_null ? "null" : "\"", is_null ? 0 : CN_STR_FMT(want), is_null ? "" : "\"",
                CN_STR_FMT(got), ua);
    return ok ? 0 : 1;
}

int main(void)
{
    const char *src = getenv("CANTON_SRC");
    const char *dir = getenv("CANTON_UAP_TESTS");
    if (dir == NULL || dir[0] == '\0')
        dir = "/usr/share/uap-core";
    char path[4096];
    snprintf(path, sizeof(path), "%s/node_modules/uap-core/regexes.yaml", src ? src : ".");
    cn_err_t err;
    cn_uap_t *u;
    if (cn_enrich__uap_load(path, &u, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    cn_matcher_t m;
    cn_enrich__matcher_init(&m, cn_enrich__uap_max_groups(u));
    size_t total_pass = 0, total_fail = 0, prefilter_diff = 0;
    int shown = 0;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[f].file);
        yaml_document_t doc;
        if (cn_enrich__yaml_load(path, &doc, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        yaml_node_t *cases =
            cn_enrich__yaml_get(&doc, yaml_document_get_root_node(&doc), "test_cases");
        if (cases == NULL || cases->type != YAML_SEQUENCE_NODE) {
            fprintf(stderr, "%s: no test_cases\n", path);
            return 1;
        }
        size_t pass = 0, fail = 0;
        for (yaml_node_item_t *it = cases->data.sequence.items.start;
             it < cases->data.sequence.items.top; it++) {
            yaml_node_t *tc = yaml_document_get_node(&doc, *it);
            cn_str_t ua = cn_enrich__yaml_str(cn_enrich__yaml_get(&doc, tc, "user_agent_string"));
            char uaz[8192];
            snprintf(uaz, sizeof(uaz), "%.*s", CN_STR_FMT(ua));
            cn_uap_result_t r;
            cn_enrich__uap_parse(u, &m, ua, &r);
            int bad = 0;
            switch (files[f].kind) {
            case UA:
                bad += check(&doc, tc, "family", r.ua_family, uaz, &shown);
                bad += check(&doc, tc, "major", r.ua_major, uaz, &shown);
                bad += check(&doc, tc, "minor", r.ua_minor, uaz, &shown);
                bad += check(&doc, tc, "patch", r.ua_patch, uaz, &shown);
                break;
            case OS:
                bad += check(&doc, tc, "family", r.os_family, uaz, &shown);
                bad += check(&doc, tc, "major", r.os_major, uaz, &shown);
                bad += check(&doc, tc, "minor", r.os_minor, uaz, &shown);
                bad += check(&doc, tc, "patch", r.os_patch, uaz, &shown);
                bad += check(&doc, tc, "patch_minor", r.os_patch_minor, uaz, &shown);
                break;
            case DEV:
                bad += check(&doc, tc, "family", r.dev_family, uaz, &shown);
                bad += check(&doc, tc, "brand", r.dev_brand, uaz, &shown);
                bad += check(&doc, tc, "model", r.dev_model, uaz, &shown);
                break;
            }
            /* the literal prefilter must not change any result */
            cn_uap_result_t slow;
            cn_matcher_t *ms = &m;
            char keep[sizeof(m.scratch)];
            memcpy(keep, m.scratch, m.scratch_used);
            cn_uap_result_t fast = r;
            cn_enrich__uap_parse_slow(u, ms, ua, &slow);
            cn_str_t *fa = &fast.ua_family, *sl = &slow.ua_family;
            for (size_t k = 0; k < sizeof(fast) / sizeof(cn_str_t); k++) {
                /* fast's scratch-backed slices were overwritten: compare against the copy */
                cn_str_t a = fa[k];
                if (a.ptr >= m.scratch && a.ptr < m.scratch + sizeof(m.scratch))
                    a.ptr = keep + (a.ptr - m.scratch);
                if (!cn_str_eq(a, sl[k])) {
                    prefilter_diff++;
                    bad++;
                    if (shown++ < 20)
                        fprintf(stderr, "PREFILTER DIFFERS (field %zu): %s\n", k, uaz);
                    break;
                }
            }
            if (bad)
                fail++;
            else
                pass++;
        }
        printf("%-52s %6zu passed, %zu failed\n", files[f].file, pass, fail);
        total_pass += pass;
        total_fail += fail;
        yaml_document_delete(&doc);
    }
    size_t n_os, n_dev;
    size_t n_ua = cn_enrich__uap_count(u, &n_os, &n_dev);
    printf("regexes: %zu ua, %zu os, %zu device; without a literal prefilter: %zu, %zu, %zu\n",
           n_ua, n_os, n_dev, cn_enrich__uap_always_count(u, 0), cn_enrich__uap_always_count(u, 1),
           cn_enrich__uap_always_count(u, 2));
    printf("literal prefilter vs plain first match: %zu cases differ\n", prefilter_diff);
    printf("%zu passed, %zu failed\n", total_pass, total_fail);
    cn_enrich__matcher_dispose(&m);
    cn_enrich__uap_free(u);
    return total_fail == 0 && total_pass > 0 ? 0 : 1;
}
