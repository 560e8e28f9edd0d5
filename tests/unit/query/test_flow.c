/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Funnels, paths and sequences (flow.c, sequence.c) with the dimensions that have several
 * values on one hit: listN (one var row per value in force) and product, category and merchN
 * (one value per item). Paths refuse them as their dimension (there is no order among the
 * values of one hit to follow); conditions on them (a path's condition, funnel steps, the
 * steps of a sequence) match a hit when one of its values does, and the values of one hit are
 * one step, never two in a row (docs/api.md "paths", docs/processing.md "List variables").
 * A hand-made store with known answers.
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
#define DAY   "from=2026-11-01&to=2026-11-01"

static int64_t at(int64_t offset_us)
{
    return (int64_t)D * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

static uint32_t add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, int64_t ts, const char *page)
{
    cn_hit_row_t h = {0};
    h.ts = ts;
    h.visit = visit;
    h.hit_num = num;
    h.type = CN_HIT_PAGEVIEW;
    h.page = cn_str_c(page);
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
    return id;
}

static void add_item(cn_sink_t *k, uint32_t hit, const char *sku)
{
    cn_item_row_t it = {.hit = hit, .sku = cn_str_c(sku), .category = S("Mugs"), .quantity = 1};
    assert_int_equal(k->item(k->ud, &it), 0);
}

static int setup(void **state)
{
    (void)state;
    fixture_open("flow", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    /* visit 0: /home with list1 a and b (items A and B), /cart with c, /done with none */
    cn_visit_row_t v = {.visitor = 0, .visit_num = 1, .start_ts = at(0), .entry_page = S("/home")};
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    uint32_t h = add_hit(&k, 0, 1, at(0), "/home");
    fixture_var(&k, h, CN_VAR_LIST | 1, "a");
    fixture_var(&k, h, CN_VAR_LIST | 1, "b");
    add_item(&k, h, "A");
    add_item(&k, h, "B");
    /* eVar 2: x set on /home and in force on /cart (processing writes it on every hit), y on
     * /done */
    fixture_var(&k, h, CN_VAR_EVAR | 2, "x");
    h = add_hit(&k, 0, 2, at(MIN), "/cart");
    fixture_var(&k, h, CN_VAR_LIST | 1, "c");
    fixture_var(&k, h, CN_VAR_EVAR | 2, "x");
    h = add_hit(&k, 0, 3, at(2 * MIN), "/done");
    fixture_var(&k, h, CN_VAR_EVAR | 2, "y");
    /* visit 1, another visitor: /home with b, then /done with a */
    v = (cn_visit_row_t){
        .visitor = 1, .visit_num = 1, .start_ts = at(3 * MIN), .entry_page = S("/home")};
    assert_int_equal(k.visit(k.ud, 1, &v), 0);
    h = add_hit(&k, 1, 1, at(3 * MIN), "/home");
    fixture_var(&k, h, CN_VAR_LIST | 1, "b");
    h = add_hit(&k, 1, 2, at(4 * MIN), "/done");
    fixture_var(&k, h, CN_VAR_LIST | 1, "a");
    fixture_var(&k, h, CN_VAR_EVAR | 2, "x");
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Runs fn on DAY "&" params; returns its JSON answer, or "ERRNAME: message". */
static const char *run(cn_query_fn_t fn, const char *params)
{
    static char out[4096];
    char qs[512];
    snprintf(qs, sizeof(qs), DAY "&%s", params);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_err_t err = {0};
    int rc = fn(NULL, store, snap, "t", cn_str_c(qs), false, at(0), &b, &err);
    if (rc != 0)
        snprintf(out, sizeof(out), "%s: %s", cn_errname(rc), err.msg);
    else
        snprintf(out, sizeof(out), "%.*s", CN_STR_FMT(cn_buf_str(&b)));
    cn_buf_dispose(&b);
    cn_store_snap_release(snap);
    return out;
}

/* Runs fn on a JSON body (from, to and the rest are the caller's); as run(). */
static const char *run_json(cn_query_fn_t fn, const char *body)
{
    static char out[4096];
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_err_t err = {0};
    int rc = fn(NULL, store, snap, "t", cn_str_c(body), true, at(0), &b, &err);
    if (rc != 0)
        snprintf(out, sizeof(out), "%s: %s", cn_errname(rc), err.msg);
    else
        snprintf(out, sizeof(out), "%.*s", CN_STR_FMT(cn_buf_str(&b)));
    cn_buf_dispose(&b);
    cn_store_snap_release(snap);
    return out;
}

/* The "total" and "rows" of a paths answer, or its error. */
static const char *paths(const char *params)
{
    const char *j = run(cn_paths_json, params);
    const char *t = strstr(j, "\"total\"");
    return t != NULL ? t : j;
}

/* The step counts of a funnel answer j as "total:step1,step2...", or its error. */
static const char *funnel_counts(const char *j)
{
    static char out[256];
    const char *t = strstr(j, "\"total\":");
    if (t == NULL)
        return j;
    int len = snprintf(out, sizeof(out), "%lld:", strtoll(t + 8, NULL, 10));
    for (const char *c = strstr(t, "\"count\":"); c != NULL; c = strstr(c + 1, "\"count\":"))
        len += snprintf(out + len, sizeof(out) - (size_t)len, "%s%lld",
                        out[len - 1] == ':' ? "" : ",", strtoll(c + 8, NULL, 10));
    return out;
}

/* The step counts of the funnel DAY "&" params, or its error. */
static const char *funnel(const char *params)
{
    return funnel_counts(run(cn_funnel_json, params));
}

static void paths_refuse_a_dimension_with_several_values_per_hit(void **state)
{
    (void)state;
    assert_string_equal(paths("condition=page%20%3D%20%22/home%22&dimension=list1"),
                        "EINVAL: list1 has several values per hit: paths cannot follow it; "
                        "use a report (dimension=list1) or a condition on it "
                        "(condition=list1 = \"...\")");
    /* the numbered spelling, pairs, previous: the same answer */
    assert_string_equal(paths("length=2&dimension=list:3"),
                        "EINVAL: list3 has several values per hit: paths cannot follow it; "
                        "use a report (dimension=list3) or a condition on it "
                        "(condition=list3 = \"...\")");
    /* items are several values too: product, category, merchN */
    assert_string_equal(paths("direction=previous&condition=page%20%3D%20%22/cart%22&"
                              "dimension=product"),
                        "EINVAL: product has several values per hit: paths cannot follow "
                        "it; use a report (dimension=product) or a condition on it "
                        "(condition=product = \"...\")");
    assert_string_equal(paths("length=2&dimension=category"),
                        "EINVAL: category has several values per hit: paths cannot follow "
                        "it; use a report (dimension=category) or a condition on it "
                        "(condition=category = \"...\")");
    assert_string_equal(paths("length=2&dimension=merch:4"),
                        "EINVAL: merch4 has several values per hit: paths cannot follow "
                        "it; use a report (dimension=merch4) or a condition on it "
                        "(condition=merch4 = \"...\")");
}

/* A visit dimension has one value for every page view of a visit: its path would be the value,
 * itself again, then (exit). Paths refuse it, naming the dimensions they take. */
static void paths_refuse_a_visit_dimension(void **state)
{
    (void)state;
    static const char *const dims[] = {"country", "channel", "entry_page", "exit_page"};
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        char params[128], want[400];
        snprintf(params, sizeof(params), "condition=page%%20%%3D%%20%%22/home%%22&dimension=%s",
                 dims[i]);
        snprintf(want, sizeof(want),
                 "EINVAL: paths cannot follow %s: it has one value per visit (it would only "
                 "follow itself); paths take page, url, page_type, section, server, link_url, "
                 "link_name, currency, evar1..evar250, prop1..prop75, hier1..hier5",
                 dims[i]);
        assert_string_equal(paths(params), want);
    }
    /* a dimension that is not text: the other refusal, which names them too */
    assert_string_equal(paths("length=2&dimension=hour"),
                        "EINVAL: paths cannot follow hour: it is not a text dimension; paths "
                        "take page, url, page_type, section, server, link_url, link_name, "
                        "currency, evar1..evar250, prop1..prop75, hier1..hier5");
}

static void a_path_condition_on_a_list_matches_any_of_a_hits_values(void **state)
{
    (void)state;
    /* page views with b: /home of both visits; next /cart and /done */
    assert_string_equal(paths("condition=list1%20%3D%20%22b%22"),
                        "\"total\":2,\"rows\":[{\"keys\":[\"/cart\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"/done\"],\"count\":1,\"share\":50}]}");
    /* page views with a: /home of visit 0 (entry) and /done of visit 1 (after /home); equal
     * counts by label, as in reports: "(" before "/" */
    assert_string_equal(paths("direction=previous&condition=list1%20%3D%20%22a%22"),
                        "\"total\":2,\"rows\":[{\"keys\":[\"(entry)\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"/home\"],\"count\":1,\"share\":50}]}");
    /* the same with a product: /home of visit 0 has A and B */
    assert_string_equal(paths("condition=product%20%3D%20%22B%22"),
                        "\"total\":1,\"rows\":[{\"keys\":[\"/cart\"],\"count\":1,\"share\":100}]}");
}

/* Paths by an eVar follow its value on each page view, the value in force there (as a report
 * credits it), a page view without one being ""; a value that persists is one step, unless
 * repeats=include keeps it following itself (docs/api.md "paths"). */
static void paths_by_an_evar_follow_the_value_in_force(void **state)
{
    (void)state;
    /* visit 0: x, x, y; visit 1: "", x. By default x, x is one step. */
    assert_string_equal(paths("length=2&dimension=evar2"),
                        "\"total\":2,\"rows\":[{\"keys\":[\"\",\"x\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"x\",\"y\"],\"count\":1,\"share\":50}]}");
    assert_string_equal(
        paths("length=2&dimension=evar2&repeats=include"),
        "\"total\":3,\"rows\":[{\"keys\":[\"\",\"x\"],\"count\":1,\"share\":33.33333333},"
        "{\"keys\":[\"x\",\"x\"],\"count\":1,\"share\":33.33333333},"
        "{\"keys\":[\"x\",\"y\"],\"count\":1,\"share\":33.33333333}]}");
    /* after x: y (after /home and /cart, one step), the end of visit 1 */
    assert_string_equal(paths("condition=evar2%20%3D%20%22x%22&dimension=evar2"),
                        "\"total\":2,\"rows\":[{\"keys\":[\"(exit)\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"y\"],\"count\":1,\"share\":50}]}");
    /* repeats included: x (/cart), y (/done), the end of visit 1 */
    assert_string_equal(
        paths("condition=evar2%20%3D%20%22x%22&dimension=evar2&repeats=include"),
        "\"total\":3,\"rows\":[{\"keys\":[\"(exit)\"],\"count\":1,\"share\":33.33333333},"
        "{\"keys\":[\"x\"],\"count\":1,\"share\":33.33333333},"
        "{\"keys\":[\"y\"],\"count\":1,\"share\":33.33333333}]}");
}

static void funnel_steps_on_a_list_need_a_later_hit(void **state)
{
    (void)state;
    /* a, then c: visit 0 (/home, /cart); visit 1 has a but no c after it */
    assert_string_equal(funnel("step=list1%20%3D%20%22a%22&step=list1%20%3D%20%22c%22"), "2:2,1");
    /* b, then a: visit 1 (/home b, /done a); visit 0 has both on one hit, and one hit is one
     * step */
    assert_string_equal(funnel("step=list1%20%3D%20%22b%22&step=list1%20%3D%20%22a%22"), "2:2,1");
    /* within the visitor: the same */
    assert_string_equal(
        funnel("within=visitor&step=list1%20%3D%20%22b%22&step=list1%20%3D%20%22a%22"), "2:2,1");
}

/* Funnels and paths take a segment as reports do: segment= (text) in a query string,
 * "segment" as text or as its JSON form in a body; segment_json is no parameter of theirs. */
static void flows_take_the_segment_as_reports_do(void **state)
{
    (void)state;
#define STEPS "step=page%20%3D%20%22/home%22&step=page%20%3D%20%22/cart%22"
#define JSTEPS                                                                                     \
    "{\"from\":\"2026-11-01\",\"to\":\"2026-11-01\",\"steps\":[\"page = \\\"/home\\\"\","          \
    "\"page = \\\"/cart\\\"\"]"
#define JSEG "{\"scope\":\"visit\",\"field\":\"list1\",\"op\":\"=\",\"value\":\"c\"}"
    /* /home then /cart: both visits start, visit 0 goes on; visit 0 alone has c */
    assert_string_equal(funnel(STEPS), "2:2,1");
    assert_string_equal(funnel(STEPS "&segment=visit(list1%20%3D%20%22c%22)"), "1:1,1");
    assert_string_equal(funnel_counts(run_json(cn_funnel_json, JSTEPS ",\"segment\":" JSEG "}")),
                        "1:1,1");
    assert_string_equal(funnel_counts(run_json(cn_funnel_json, JSTEPS
                                               ",\"segment\":\"visit(list1 = \\\"c\\\")\"}")),
                        "1:1,1");
    /* the old internal spelling is refused, named, whether or not "segment" is there */
    assert_string_equal(funnel(STEPS "&segment_json=" JSEG),
                        "EINVAL: unknown parameter 'segment_json'");
    assert_string_equal(
        run_json(cn_funnel_json, JSTEPS ",\"segment\":" JSEG ",\"segment_json\":\"{}\"}"),
        "EINVAL: unknown parameter 'segment_json'");
    assert_string_equal(paths("length=2&dimension=page&segment_json=" JSEG),
                        "EINVAL: unknown parameter 'segment_json'");
    /* paths: the segment's pairs, from the text and from the JSON form */
    const char *want = "\"total\":2,\"rows\":[{\"keys\":[\"/cart\",\"/done\"],\"count\":1,"
                       "\"share\":50},{\"keys\":[\"/home\",\"/cart\"],\"count\":1,\"share\":50}]}";
    assert_string_equal(paths("length=2&dimension=page&segment=visit(list1%20%3D%20%22c%22)"),
                        want);
    const char *j =
        run_json(cn_paths_json, "{\"from\":\"2026-11-01\",\"to\":\"2026-11-01\","
                                "\"length\":2,\"dimension\":\"page\",\"segment\":" JSEG "}");
    const char *t = strstr(j, "\"total\"");
    assert_string_equal(t != NULL ? t : j, want);
#undef STEPS
#undef JSTEPS
#undef JSEG
}

static void a_sequence_on_a_list_needs_a_later_hit(void **state)
{
    (void)state;
    /* visits with b then a: visit 1 only (its two page views) */
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    assert_int_equal(
        cn_report_req_parse_params(
            &req,
            S(DAY "&dimension=page&metrics=visits,pageviews&segment=visit(list1%20%3D%20%22b%22"
                  "%20then%20list1%20%3D%20%22a%22)"),
            store, at(0), &err),
        0);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r = NULL;
    if (cn_report_run(store, snap, &req, &r, &err) != 0)
        fail_msg("run: %s", err.msg);
    assert_int_equal(r->row_count, 2);
    assert_true(cn_str_eq_c(r->rows[0].keys[0], "/done") && r->rows[0].values[0] == 1 &&
                r->rows[0].values[1] == 1);
    assert_true(cn_str_eq_c(r->rows[1].keys[0], "/home") && r->rows[1].values[0] == 1 &&
                r->rows[1].values[1] == 1);
    assert_true(r->totals[0] == 1 && r->totals[1] == 2);
    cn_report_free(r);
    cn_store_snap_release(snap);
    cn_report_req_dispose(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_refuse_a_dimension_with_several_values_per_hit),
        cmocka_unit_test(paths_refuse_a_visit_dimension),
        cmocka_unit_test(a_path_condition_on_a_list_matches_any_of_a_hits_values),
        cmocka_unit_test(paths_by_an_evar_follow_the_value_in_force),
        cmocka_unit_test(funnel_steps_on_a_list_need_a_later_hit),
        cmocka_unit_test(a_sequence_on_a_list_needs_a_later_hit),
        cmocka_unit_test(flows_take_the_segment_as_reports_do),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
