/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The catalogue (catalog.c, GET /api/v1/catalog, `canton report --catalog`): each dimension
 * says whether it has several values per hit ("multi": listN, product, category, merchN) and
 * whether paths can follow it ("paths"), and what it says is what the queries do: for every
 * dimension of the catalogue, paths refuse it, and entries, exits and time_on_page cannot be
 * broken down by it, exactly when the catalogue says so (docs/api.md "GET /api/v1/catalog").
 * A hand-made store with one visit, so that every request can run.
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

/* The dimensions paths take, as their refusals name them. */
#define PATHS_TAKE                                                                                 \
    "page, url, page_type, section, server, link_url, link_name, currency, evar1..evar250, "       \
    "prop1..prop75, hier1..hier5"

#include <cmocka.h>

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static int32_t D; /* 2026-11-01, UTC */
static char catalog[32768];

#define S(x) CN_STR_LIT(x)

static int64_t at(int64_t offset_s)
{
    return ((int64_t)D * 86400 + 10 * 3600 + offset_s) * 1000000LL;
}

static int setup(void **state)
{
    (void)state;
    fixture_open("catalog", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    cn_visit_row_t v = {.visitor = 0, .visit_num = 1, .start_ts = at(0), .entry_page = S("/a")};
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    for (uint32_t i = 0; i < 2; i++) {
        cn_hit_row_t h = {0};
        h.ts = at(60 * i);
        h.visit = 0;
        h.hit_num = i + 1;
        h.type = CN_HIT_PAGEVIEW;
        h.page = i ? S("/b") : S("/a");
        uint32_t id;
        assert_int_equal(k.hit(k.ud, &h, &id), 0);
        fixture_var(&k, id, CN_VAR_EVAR | 1, "e");
        fixture_var(&k, id, CN_VAR_LIST | 1, "x");
        fixture_var(&k, id, CN_VAR_LIST | 1, "y");
        cn_item_row_t it = {.hit = id, .sku = S("A"), .category = S("Mugs"), .quantity = 1};
        assert_int_equal(k.item(k.ud, &it), 0);
    }
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_catalog_to_json(NULL, &b);
    assert_true(b.len < sizeof(catalog));
    memcpy(catalog, b.ptr, b.len);
    catalog[b.len] = 0;
    cn_buf_dispose(&b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

static void catalogue_says_which_dimensions_have_several_values_per_hit(void **state)
{
    (void)state;
    static const char *const want[] = {
        /* several values per hit: paths refuse them */
        "{\"name\":\"product\",\"title\":\"Product\",\"scope\":\"item\",\"multi\":true,"
        "\"paths\":false}",
        "{\"name\":\"category\",\"title\":\"Product category\",\"scope\":\"item\","
        "\"multi\":true,\"paths\":false}",
        "{\"name\":\"list1..list3\",\"title\":\"List variable\",\"scope\":\"hit\","
        "\"multi\":true,\"paths\":false}",
        "{\"name\":\"merch1..merch250\",\"title\":\"eVar (merchandising)\",\"scope\":\"item\","
        "\"multi\":true,\"paths\":false}",
        /* one value per hit, text: paths follow them */
        "{\"name\":\"page\",\"title\":\"Page\",\"scope\":\"hit\",\"multi\":false,\"paths\":true}",
        "{\"name\":\"evar1..evar250\",\"title\":\"eVar\",\"scope\":\"hit\",\"multi\":false,"
        "\"paths\":true}",
        "{\"name\":\"prop1..prop75\",\"title\":\"Prop\",\"scope\":\"hit\",\"multi\":false,"
        "\"paths\":true}",
        /* one value per visit: a path would only follow it to itself */
        "{\"name\":\"country\",\"title\":\"Country\",\"scope\":\"visit\",\"multi\":false,"
        "\"paths\":false}",
        "{\"name\":\"exit_page\",\"title\":\"Exit page\",\"scope\":\"visit\",\"multi\":false,"
        "\"paths\":false}",
        /* one value per hit, not text: paths need text */
        "{\"name\":\"hour\",\"title\":\"Hour of day\",\"scope\":\"hit\",\"multi\":false,"
        "\"paths\":false}",
        "{\"name\":\"device\",\"title\":\"Device type\",\"scope\":\"visit\",\"multi\":false,"
        "\"paths\":false}",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (strstr(catalog, want[i]) == NULL)
            fail_msg("the catalogue lacks %s", want[i]);
    /* those four, and no other */
    size_t multi = 0;
    for (const char *p = strstr(catalog, "\"multi\":true"); p != NULL;
         p = strstr(p + 1, "\"multi\":true"))
        multi++;
    assert_int_equal(multi, 4);
}

/* The value of "key": true/false in the catalogue's object that starts at obj: 1, 0, or -1
 * when it is not there. */
static int flag(const char *obj, const char *key)
{
    const char *end = strchr(obj, '}');
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(obj, pat);
    if (p == NULL || p > end)
        return -1;
    p += strlen(pat);
    return strncmp(p, "true", 4) == 0 ? 1 : strncmp(p, "false", 5) == 0 ? 0 : -1;
}

/* Runs fn on 2026-11-01 "&" params: its error message, or "" when it answers. */
static const char *run(cn_query_fn_t fn, const char *params)
{
    static char out[512];
    char qs[512];
    snprintf(qs, sizeof(qs), "from=2026-11-01&to=2026-11-01&%s", params);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_err_t err = {0};
    int rc = fn(NULL, store, snap, "t", cn_str_c(qs), false, at(600), &b, &err);
    snprintf(out, sizeof(out), "%s", rc == 0 ? "" : err.msg);
    cn_buf_dispose(&b);
    cn_store_snap_release(snap);
    return out;
}

/* A report's error message, or "" when it runs. */
static const char *report(const char *params)
{
    static char out[512];
    char qs[512];
    snprintf(qs, sizeof(qs), "from=2026-11-01&to=2026-11-01&%s", params);
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    int rc = cn_report_req_parse_params(&req, cn_str_c(qs), store, at(600), &err);
    if (rc == 0) {
        cn_store_snap_t *snap;
        assert_int_equal(cn_store_snapshot(store, &snap), 0);
        cn_report_t *r = NULL;
        rc = cn_report_run(store, snap, &req, &r, &err);
        if (rc == 0)
            cn_report_free(r);
        cn_store_snap_release(snap);
    }
    cn_report_req_dispose(&req);
    snprintf(out, sizeof(out), "%s", rc == 0 ? "" : err.msg);
    return out;
}

static void catalogue_agrees_with_what_paths_and_entries_refuse(void **state)
{
    (void)state;
    const char *p = strstr(catalog, "\"dimensions\":[");
    const char *stop = strstr(catalog, "\"metrics\":[");
    assert_non_null(p);
    assert_non_null(stop);
    size_t seen = 0, multi = 0, paths = 0, visit_text = 0;
    while ((p = strstr(p, "{\"name\":\"")) != NULL && p < stop) {
        const char *obj = p;
        p += 9;
        /* "evar1..evar250": evar1 and evar250; "page": page */
        char name[2][40];
        size_t len = strcspn(p, "\".");
        assert_true(len > 0 && len < 32);
        int n = 1;
        if (p[len] == '.') {
            const char *last = p + len + 2;
            size_t llen = strcspn(last, "\"");
            assert_true(llen < 40);
            snprintf(name[0], sizeof(name[0]), "%.*s", (int)len, p);
            snprintf(name[1], sizeof(name[1]), "%.*s", (int)llen, last);
            n = 2;
        } else {
            snprintf(name[0], sizeof(name[0]), "%.*s", (int)len, p);
        }
        int is_multi = flag(obj, "multi"), is_paths = flag(obj, "paths");
        /* the catalogue's scope; the dimensions with numbers or named values, not text */
        const char *end = strchr(obj, '}');
        const char *scope = strstr(obj, "\"scope\":\"visit\"");
        bool is_visit = scope != NULL && scope < end;
        static const char *const not_text[] = {"hit_type", "referrer_type", "cross_border",
                                               "device",   "visit_number",  "new_returning",
                                               "hour",     "day_of_week"};
        bool is_text = true;
        for (size_t k = 0; k < sizeof(not_text) / sizeof(not_text[0]); k++)
            is_text &= strcmp(name[0], not_text[k]) != 0;
        if (is_multi < 0 || is_paths < 0)
            fail_msg("%s: the catalogue says no \"multi\" and \"paths\"", name[0]);
        for (int i = 0; i < n; i++) {
            char params[200], want[512];
            snprintf(params, sizeof(params), "length=2&dimension=%s", name[i]);
            const char *got = run(cn_paths_json, params);
            if (is_multi)
                snprintf(want, sizeof(want),
                         "%s has several values per hit: paths cannot follow it; use a report "
                         "(dimension=%s) or a condition on it (condition=%s = \"...\")",
                         name[i], name[i], name[i]);
            else if (!is_text)
                snprintf(want, sizeof(want),
                         "paths cannot follow %s: it is not a text dimension; paths take %s",
                         name[i], PATHS_TAKE);
            else if (is_visit)
                snprintf(want, sizeof(want),
                         "paths cannot follow %s: it has one value per visit (it would only "
                         "follow itself); paths take %s",
                         name[i], PATHS_TAKE);
            else
                want[0] = 0;
            if (strcmp(got, want) != 0)
                fail_msg("paths by %s (multi %d, paths %d): \"%s\"", name[i], is_multi, is_paths,
                         got);
            /* entries, exits and time on page credit one value per page view */
            snprintf(params, sizeof(params), "dimension=%s&metrics=entries,visits", name[i]);
            got = report(params);
            if (is_multi != (strstr(got, "which has several values per hit") != NULL) ||
                (!is_multi && got[0] != 0))
                fail_msg("entries by %s (multi %d): \"%s\"", name[i], is_multi, got);
            snprintf(params, sizeof(params), "dimension=%s&metrics=time_on_page", name[i]);
            got = report(params);
            if (is_multi != (strstr(got, "time_on_page is per page view") != NULL) ||
                (!is_multi && got[0] != 0))
                fail_msg("time_on_page by %s (multi %d): \"%s\"", name[i], is_multi, got);
        }
        seen++;
        multi += (size_t)is_multi;
        paths += (size_t)is_paths;
        visit_text += is_visit && is_text && !is_multi;
    }
    /* every dimension was tried: 43 in the catalogue, 4 with several values, 11 for paths (the
     * text dimensions of hits), 20 text dimensions of visits refused */
    assert_int_equal(seen, 43);
    assert_int_equal(multi, 4);
    assert_int_equal(paths, 11);
    assert_int_equal(visit_text, 20);
}

/* Names are found in any ASCII case, as Adobe users write them ("eVar3", "Revenue"); the same
 * definition and number as the catalogue's spelling, and nothing else matches. */
static void names_are_found_in_any_case(void **state)
{
    (void)state;
    int a = -1, b = -1;
    assert_non_null(cn_dim_find(S("evar3"), &a));
    assert_ptr_equal(cn_dim_find(S("eVar3"), &b), cn_dim_find(S("evar3"), &a));
    assert_int_equal(b, 3);
    assert_ptr_equal(cn_dim_find(S("EVAR:250"), &b), cn_dim_find(S("evar250"), &a));
    assert_int_equal(b, 250);
    assert_ptr_equal(cn_dim_find(S("Page"), &b), cn_dim_find(S("page"), &a));
    assert_int_equal(b, 0);
    assert_null(cn_dim_find(S("eVar251"), &b));
    assert_null(cn_dim_find(S("pages"), &b));
    assert_non_null(cn_metric_find(S("revenue"), &a));
    assert_ptr_equal(cn_metric_find(S("Revenue"), &b), cn_metric_find(S("revenue"), &a));
    assert_ptr_equal(cn_metric_find(S("Event5"), &b), cn_metric_find(S("event5"), &a));
    assert_int_equal(b, 5);
    assert_null(cn_metric_find(S("revenues"), &b));
    /* a request in Adobe's spelling runs, and answers under the catalogue's names */
    assert_string_equal(report("dimension=eVar1&metrics=Visits,Event5"), "");
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    assert_int_equal(cn_report_req_parse_params(
                         &req,
                         S("from=2026-11-01&to=2026-11-01&dimension=eVar1&metrics=Visits,Event5"),
                         store, at(600), &err),
                     0);
    assert_int_equal(req.metric_count, 2);
    assert_string_equal(req.metrics[0].name, "visits");
    assert_string_equal(req.metrics[1].name, "event5");
    char dname[32];
    cn_query__dim_name(req.dims[0].def, req.dims[0].arg, dname, sizeof(dname));
    assert_string_equal(dname, "evar1");
    cn_report_req_dispose(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalogue_says_which_dimensions_have_several_values_per_hit),
        cmocka_unit_test(catalogue_agrees_with_what_paths_and_entries_refuse),
        cmocka_unit_test(names_are_found_in_any_case),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
