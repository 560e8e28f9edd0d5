/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths (flow.c) with and without repeats (docs/api.md "Repeats"): by default consecutive page
 * views of a visit with the same value are one step, as in Analysis Workspace's Flow;
 * repeats=include makes each page view a step. A hand-made store with known answers, each asked
 * with one thread and with two.
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
#define DAY "from=2026-11-01&to=2026-11-01"

static int64_t at(int64_t offset_us)
{
    return (int64_t)D * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Runs fn on a query string (is_json false) or a JSON body with ctx; returns its JSON answer, or
 * "ERRNAME: message". */
static const char *run_ctx(cn_query_ctx_t *ctx, const char *input, bool is_json)
{
    static char out[4096];
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_err_t err = {0};
    int rc = cn_paths_json(ctx, store, snap, "t", cn_str_c(input), is_json, at(0), &b, &err);
    if (rc != 0)
        snprintf(out, sizeof(out), "%s: %s", cn_errname(rc), err.msg);
    else
        snprintf(out, sizeof(out), "%.*s", CN_STR_FMT(cn_buf_str(&b)));
    cn_buf_dispose(&b);
    cn_store_snap_release(snap);
    return out;
}

/*
 * Three visits on one day, written in four segments (a flush inside visit A's /cart run and
 * inside visit B), with a page and eVar 3 as processing would write it (the value in force):
 *
 *   A  /home ""  /home ""  /list s  /p/mug s  (a link click)  /p/mug s  /cart s | /cart c  /done c
 *   B  /list s  /p/mug s | /list s  /list s
 *   C  /cart ""  /cart ""
 *
 * Without repeats the steps are A: /home /list /p/mug /cart /done, B: /list /p/mug /list,
 * C: /cart; by eVar 3, A: "" s c, B: s, C: "".
 */
static int setup(void **state)
{
    (void)state;
    fixture_open("flow_repeats", "[suite t]\ntimezone = UTC\n", dir, sizeof(dir), &conf, &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    static const struct {
        uint32_t visit;
        const char *page, *evar3;
        bool link;
        bool flush_after;
    } hits[] = {
        {0, "/home", NULL, false, false}, {0, "/home", NULL, false, false},
        {0, "/list", "s", false, false},  {0, "/p/mug", "s", false, false},
        {0, "/p/mug", "s", true, false},  {0, "/p/mug", "s", false, false},
        {0, "/cart", "s", false, true},   {0, "/cart", "c", false, false},
        {0, "/done", "c", false, false},  {1, "/list", "s", false, false},
        {1, "/p/mug", "s", false, true},  {1, "/list", "s", false, false},
        {1, "/list", "s", false, true},   {2, "/cart", NULL, false, false},
        {2, "/cart", NULL, false, false},
    };
    uint32_t num = 0;
    for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
        uint32_t vis = hits[i].visit;
        if (i == 0 || hits[i - 1].visit != vis) {
            cn_visit_row_t v = {.visitor = 10 + vis,
                                .visit_num = 1,
                                .start_ts = at((int64_t)i * MIN),
                                .entry_page = cn_str_c(hits[i].page)};
            assert_int_equal(k.visit(k.ud, vis, &v), 0);
            num = 0;
        }
        cn_hit_row_t h = {0};
        h.ts = at((int64_t)i * MIN);
        h.visit = vis;
        h.hit_num = ++num;
        h.type = hits[i].link ? CN_HIT_LINK : CN_HIT_PAGEVIEW;
        h.page = cn_str_c(hits[i].page);
        uint32_t id;
        assert_int_equal(k.hit(k.ud, &h, &id), 0);
        if (hits[i].evar3 != NULL)
            fixture_var(&k, id, CN_VAR_EVAR | 3, hits[i].evar3);
        if (hits[i].flush_after)
            assert_int_equal(cn_store_flush(store), 0);
    }
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

/* The "repeats", "total" and "rows" of the paths answer to DAY "&" params (a query string) or
 * to a JSON body, the same with one thread and with two (a split through the visits of the
 * segments), or its error. */
static const char *answer(const char *input, bool is_json)
{
    static char one[4096];
    char qs[512];
    snprintf(qs, sizeof(qs), is_json ? "%s" : DAY "&%s", input);
    const char *j = run_ctx(NULL, qs, is_json);
    const char *t = strstr(j, "\"repeats\"");
    snprintf(one, sizeof(one), "%s", t != NULL ? t : j);
    cn_query_ctx_t *ctx = cn_query_ctx_new((size_t)16 << 20, 2);
    j = run_ctx(ctx, qs, is_json);
    t = strstr(j, "\"repeats\"");
    assert_string_equal(t != NULL ? t : j, one);
    cn_query_ctx_free(ctx);
    return one;
}

static const char *paths_steps(const char *params)
{
    return answer(params, false);
}

#define PAGE_IS(p) "page%20%3D%20%22" p "%22"

/* length=2: without repeats a pair is two consecutive steps, never a value and itself. */
static void paths_pairs_without_and_with_repeats(void **state)
{
    (void)state;
    const char *without = "\"repeats\":\"exclude\",\"total\":6,\"rows\":["
                          "{\"keys\":[\"/list\",\"/p/mug\"],\"count\":2,\"share\":33.33333333},"
                          "{\"keys\":[\"/cart\",\"/done\"],\"count\":1,\"share\":16.66666667},"
                          "{\"keys\":[\"/home\",\"/list\"],\"count\":1,\"share\":16.66666667},"
                          "{\"keys\":[\"/p/mug\",\"/cart\"],\"count\":1,\"share\":16.66666667},"
                          "{\"keys\":[\"/p/mug\",\"/list\"],\"count\":1,\"share\":16.66666667}]}";
    assert_string_equal(paths_steps("length=2"), without);
    assert_string_equal(paths_steps("length=2&repeats=exclude"), without);
    assert_string_equal(paths_steps("length=2&repeats=include&limit=0"),
                        "\"repeats\":\"include\",\"total\":11,\"rows\":["
                        "{\"keys\":[\"/cart\",\"/cart\"],\"count\":2,\"share\":18.18181818},"
                        "{\"keys\":[\"/list\",\"/p/mug\"],\"count\":2,\"share\":18.18181818},"
                        "{\"keys\":[\"/cart\",\"/done\"],\"count\":1,\"share\":9.090909091},"
                        "{\"keys\":[\"/home\",\"/home\"],\"count\":1,\"share\":9.090909091},"
                        "{\"keys\":[\"/home\",\"/list\"],\"count\":1,\"share\":9.090909091},"
                        "{\"keys\":[\"/list\",\"/list\"],\"count\":1,\"share\":9.090909091},"
                        "{\"keys\":[\"/p/mug\",\"/cart\"],\"count\":1,\"share\":9.090909091},"
                        "{\"keys\":[\"/p/mug\",\"/list\"],\"count\":1,\"share\":9.090909091},"
                        "{\"keys\":[\"/p/mug\",\"/p/mug\"],\"count\":1,\"share\":9.090909091}]}");
}

/* next: a run that matches is one step, followed by the first different value after it, or
 * (exit); total is the number of matching steps. */
static void paths_next_skips_the_rest_of_a_run(void **state)
{
    (void)state;
    /* /p/mug, /p/mug (a link click between them) in A is one step, then /cart; B's then /list */
    assert_string_equal(paths_steps("condition=" PAGE_IS("/p/mug")),
                        "\"repeats\":\"exclude\",\"total\":2,\"rows\":["
                        "{\"keys\":[\"/cart\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"/list\"],\"count\":1,\"share\":50}]}");
    assert_string_equal(paths_steps("condition=" PAGE_IS("/p/mug") "&repeats=include"),
                        "\"repeats\":\"include\",\"total\":3,\"rows\":["
                        "{\"keys\":[\"/cart\"],\"count\":1,\"share\":33.33333333},"
                        "{\"keys\":[\"/list\"],\"count\":1,\"share\":33.33333333},"
                        "{\"keys\":[\"/p/mug\"],\"count\":1,\"share\":33.33333333}]}");
    /* /list: A's and B's first lead to /p/mug; B's last run (/list, /list) ends the visit */
    assert_string_equal(paths_steps("condition=" PAGE_IS("/list")),
                        "\"repeats\":\"exclude\",\"total\":3,\"rows\":["
                        "{\"keys\":[\"/p/mug\"],\"count\":2,\"share\":66.66666667},"
                        "{\"keys\":[\"(exit)\"],\"count\":1,\"share\":33.33333333}]}");
    assert_string_equal(paths_steps("condition=" PAGE_IS("/list") "&repeats=include"),
                        "\"repeats\":\"include\",\"total\":4,\"rows\":["
                        "{\"keys\":[\"/p/mug\"],\"count\":2,\"share\":50},"
                        "{\"keys\":[\"(exit)\"],\"count\":1,\"share\":25},"
                        "{\"keys\":[\"/list\"],\"count\":1,\"share\":25}]}");
    /* a persisting eVar: s (4 page views in A, 4 in B) is one step in each visit */
    assert_string_equal(paths_steps("dimension=evar3&condition=evar3%20%3D%20%22s%22"),
                        "\"repeats\":\"exclude\",\"total\":2,\"rows\":["
                        "{\"keys\":[\"(exit)\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"c\"],\"count\":1,\"share\":50}]}");
    assert_string_equal(
        paths_steps("dimension=evar3&condition=evar3%20%3D%20%22s%22&repeats=include"),
        "\"repeats\":\"include\",\"total\":8,\"rows\":["
        "{\"keys\":[\"s\"],\"count\":6,\"share\":75},"
        "{\"keys\":[\"(exit)\"],\"count\":1,\"share\":12.5},"
        "{\"keys\":[\"c\"],\"count\":1,\"share\":12.5}]}");
}

/* previous: a run that matches is one step, preceded by the last different value before it, or
 * (entry). */
static void paths_previous_reads_the_step_before_the_run(void **state)
{
    (void)state;
    /* A's /cart, /cart after /p/mug; C's /cart, /cart at the start */
    assert_string_equal(paths_steps("direction=previous&condition=" PAGE_IS("/cart")),
                        "\"repeats\":\"exclude\",\"total\":2,\"rows\":["
                        "{\"keys\":[\"(entry)\"],\"count\":1,\"share\":50},"
                        "{\"keys\":[\"/p/mug\"],\"count\":1,\"share\":50}]}");
    assert_string_equal(
        paths_steps("direction=previous&condition=" PAGE_IS("/cart") "&repeats=include"),
        "\"repeats\":\"include\",\"total\":4,\"rows\":["
        "{\"keys\":[\"/cart\"],\"count\":2,\"share\":50},"
        "{\"keys\":[\"(entry)\"],\"count\":1,\"share\":25},"
        "{\"keys\":[\"/p/mug\"],\"count\":1,\"share\":25}]}");
}

/* A condition on another field than the dimension: a step (a run of the dimension's value)
 * matches when one of its page views does, and counts once. By eVar 3 after and before /cart:
 * A's run s matches on its last page view (/cart), A's run c on its first (/cart, then /done),
 * C's run "" on both. */
static void paths_a_run_matches_when_one_of_its_page_views_does(void **state)
{
    (void)state;
    assert_string_equal(paths_steps("dimension=evar3&condition=" PAGE_IS("/cart")),
                        "\"repeats\":\"exclude\",\"total\":3,\"rows\":["
                        "{\"keys\":[\"(exit)\"],\"count\":2,\"share\":66.66666667},"
                        "{\"keys\":[\"c\"],\"count\":1,\"share\":33.33333333}]}");
    assert_string_equal(
        paths_steps("dimension=evar3&condition=" PAGE_IS("/cart") "&repeats=include"),
        "\"repeats\":\"include\",\"total\":4,\"rows\":["
        "{\"keys\":[\"c\"],\"count\":2,\"share\":50},"
        "{\"keys\":[\"\"],\"count\":1,\"share\":25},"
        "{\"keys\":[\"(exit)\"],\"count\":1,\"share\":25}]}");
    assert_string_equal(
        paths_steps("dimension=evar3&direction=previous&condition=" PAGE_IS("/cart")),
        "\"repeats\":\"exclude\",\"total\":3,\"rows\":["
        "{\"keys\":[\"\"],\"count\":1,\"share\":33.33333333},"
        "{\"keys\":[\"(entry)\"],\"count\":1,\"share\":33.33333333},"
        "{\"keys\":[\"s\"],\"count\":1,\"share\":33.33333333}]}");
    assert_string_equal(paths_steps("dimension=evar3&direction=previous&condition=" PAGE_IS(
                            "/cart") "&repeats=include"),
                        "\"repeats\":\"include\",\"total\":4,\"rows\":["
                        "{\"keys\":[\"s\"],\"count\":2,\"share\":50},"
                        "{\"keys\":[\"\"],\"count\":1,\"share\":25},"
                        "{\"keys\":[\"(entry)\"],\"count\":1,\"share\":25}]}");
}

/* repeats takes exclude or include, in a query string or a JSON body; anything else is named. */
static void paths_repeats_takes_exclude_or_include(void **state)
{
    (void)state;
    const char *want = "EINVAL: repeats must be exclude (the default: consecutive page views "
                       "with the same value are one step) or include, not '%s'";
    char msg[256];
    static const char *const bad[] = {"yes", "", "Include", "true"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char params[64];
        snprintf(params, sizeof(params), "length=2&repeats=%s", bad[i]);
        snprintf(msg, sizeof(msg), want, bad[i]);
        assert_string_equal(paths_steps(params), msg);
    }
    snprintf(msg, sizeof(msg), want, "true");
    assert_string_equal(
        answer("{\"from\":\"2026-11-01\",\"to\":\"2026-11-01\",\"length\":2,\"repeats\":true}",
               true),
        msg);
    assert_string_equal(paths_steps("length=2&repeats=include&repeats=exclude"),
                        "EINVAL: 'repeats' is given twice (give it once)");
    /* a body answers as the query string */
    char body[4096];
    snprintf(body, sizeof(body), "%s",
             answer("{\"from\":\"2026-11-01\",\"to\":\"2026-11-01\",\"direction\":\"previous\","
                    "\"condition\":\"page = \\\"/cart\\\"\",\"repeats\":\"include\"}",
                    true));
    assert_string_equal(
        body, paths_steps("direction=previous&condition=" PAGE_IS("/cart") "&repeats=include"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_pairs_without_and_with_repeats),
        cmocka_unit_test(paths_next_skips_the_rest_of_a_run),
        cmocka_unit_test(paths_previous_reads_the_step_before_the_run),
        cmocka_unit_test(paths_a_run_matches_when_one_of_its_page_views_does),
        cmocka_unit_test(paths_repeats_takes_exclude_or_include),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
