/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequential segments (A then later B within a visit or visitor): the text
 * and JSON forms, their errors, and exact answers on a small hand-made
 * store whose visits interleave in time.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "query/query.h"
#include "query/segment.h"

#include <cmocka.h>

/* --- Parsing --- */

static char *canon(const char *text)
{
    cn_segment_t *seg;
    cn_err_t err;
    if (cn_segment_parse(cn_str_c(text), &seg, NULL, &err) != 0)
        return NULL;
    cn_buf_t b = CN_BUF_INIT;
    cn_segment_format(seg, &b);
    cn_segment_free(seg);
    return b.ptr;
}

static void then_parses_in_visit_and_visitor_containers(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visit(page = \"home\" THEN page starts with "
                                                 "\"product\" then orders > 0 or units > 1)"),
                                      &seg, NULL, &err),
                     0);
    const cn_seg_node_t *r = seg->root;
    assert_int_equal(r->kind, CN_SEG_SCOPE);
    assert_int_equal(r->scope, CN_SCOPE_VISIT);
    const cn_seg_node_t *t = r->kids[0];
    assert_int_equal(t->kind, CN_SEG_THEN);
    assert_int_equal(t->kid_count, 3);
    assert_string_equal(t->kids[0]->field, "page");
    assert_int_equal(t->kids[1]->op, CN_OP_STARTS_WITH);
    assert_int_equal(t->kids[2]->kind, CN_SEG_OR); /* "then" binds loosest */
    cn_segment_free(seg);

    char *s = canon("visit(page = \"home\" then page starts with \"product\")");
    assert_string_equal(s, "visit((page = \"home\" then page starts with \"product\"))");
    char *s2 = canon(s); /* the canonical form parses to itself */
    assert_string_equal(s, s2);
    free(s);
    free(s2);
    s = canon("visitor(visit(channel = \"email\") then orders > 0) and country = \"US\"");
    assert_string_equal(s, "(visitor((visit(channel = \"email\") then orders > 0)) and country = "
                           "\"US\")");
    free(s);
    s = canon("visit(not (a = \"1\" then b = \"2\") and c = \"3\")");
    assert_string_equal(s, "visit((not (a = \"1\" then b = \"2\") and c = \"3\"))");
    free(s);
}

static void then_outside_a_visit_or_visitor_is_an_error(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    size_t pos;
    assert_int_equal(
        cn_segment_parse(CN_STR_LIT("page = \"a\" then page = \"b\""), &seg, &pos, &err),
        CN_EPARSE);
    assert_string_equal(err.msg, "segment: 'then' needs a visit(...) or visitor(...) container at "
                                 "position 11");
    assert_int_equal(pos, 11);
    assert_int_equal(
        cn_segment_parse(CN_STR_LIT("visit(hit(a = \"1\" then b = \"2\"))"), &seg, &pos, &err),
        CN_EPARSE);
    assert_int_equal(pos, 18);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visit(a = \"1\" then)"), &seg, &pos, &err),
                     CN_EPARSE);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visit(then a = \"1\")"), &seg, &pos, &err),
                     CN_EPARSE);
    /* a step is a condition on one hit: a sequence in a step needs its own container */
    assert_int_equal(
        cn_segment_parse(CN_STR_LIT("visit((a = \"1\" then b = \"2\") then c = \"3\")"), &seg, &pos,
                         &err),
        CN_EPARSE);
    assert_string_equal(err.msg, "segment: a step of a sequence is a condition on one hit; put a "
                                 "nested sequence in a visit(...) or visitor(...) container at "
                                 "position 29");
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visit(c = \"3\" then not (a = \"1\" then "
                                                 "b = \"2\"))"),
                                      &seg, &pos, &err),
                     CN_EPARSE);
    assert_int_equal(pos, 19);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visitor(visit(a = \"1\" then b = \"2\") then "
                                                 "c = \"3\")"),
                                      &seg, &pos, &err),
                     0);
    cn_segment_free(seg);
    /* 32 steps are fine, 33 are too many */
    char text[2048] = "visit(a = 1";
    for (int i = 1; i < 32; i++)
        strcat(text, " then a = 1");
    strcat(text, ")");
    assert_int_equal(cn_segment_parse(cn_str_c(text), &seg, NULL, &err), 0);
    cn_segment_free(seg);
    text[strlen(text) - 1] = '\0';
    strcat(text, " then a = 1)");
    assert_int_equal(cn_segment_parse(cn_str_c(text), &seg, NULL, &err), CN_ETOOBIG);
}

static void then_in_json(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    assert_int_equal(
        cn_segment_parse_json(CN_STR_LIT("{\"scope\":\"visit\",\"then\":["
                                         "{\"field\":\"page\",\"op\":\"=\",\"value\":\"home\"},"
                                         "{\"field\":\"page\",\"op\":\"starts with\","
                                         "\"value\":\"product\"}]}"),
                              &seg, &err),
        0);
    cn_buf_t b = CN_BUF_INIT;
    cn_segment_format(seg, &b);
    cn_buf_putc(&b, 0);
    assert_string_equal(b.ptr, "visit((page = \"home\" then page starts with \"product\"))");
    cn_buf_dispose(&b);
    cn_segment_free(seg);
    assert_int_equal(
        cn_segment_parse_json(CN_STR_LIT("{\"scope\":\"visitor\",\"match\":{\"then\":"
                                         "[{\"field\":\"a\",\"op\":\"=\",\"value\":1},"
                                         "{\"field\":\"b\",\"op\":\"=\",\"value\":2}]}}"),
                              &seg, &err),
        0);
    assert_int_equal(seg->root->kids[0]->kind, CN_SEG_THEN);
    cn_segment_free(seg);
    assert_int_equal(cn_segment_parse_json(CN_STR_LIT("{\"then\":[{\"field\":\"a\",\"op\":\"=\","
                                                      "\"value\":1}]}"),
                                           &seg, &err),
                     CN_EPARSE);
    assert_string_equal(err.msg, "segment: 'then' needs a \"visit\" or \"visitor\" scope at "
                                 "position 0");
    assert_int_equal(
        cn_segment_parse_json(CN_STR_LIT("{\"scope\":\"visit\",\"then\":[]}"), &seg, &err),
        CN_EPARSE);
    assert_int_equal(
        cn_segment_parse_json(CN_STR_LIT("{\"scope\":\"visit\",\"then\":[{\"then\":["
                                         "{\"field\":\"a\",\"op\":\"=\",\"value\":1},"
                                         "{\"field\":\"b\",\"op\":\"=\",\"value\":1}]},"
                                         "{\"field\":\"c\",\"op\":\"=\",\"value\":1}]}"),
                              &seg, &err),
        CN_EPARSE);
    assert_int_equal(cn_segment_parse_json(
                         CN_STR_LIT("{\"scope\":\"visit\",\"match\":{\"scope\":\"hit\",\"then\":"
                                    "[{\"field\":\"a\",\"op\":\"=\",\"value\":1}]}}"),
                         &seg, &err),
                     CN_EPARSE);
}

/* --- Evaluation on a hand-made store --- */

static char dir[256];
static cn_conf_t *conf;
static cn_store_t *store;
static int32_t D; /* 2026-11-01, UTC */

#define MIN (60 * 1000000LL)

static int64_t at(int32_t day, int64_t offset_us)
{
    return (int64_t)day * 86400 * 1000000LL + 10 * 3600 * 1000000LL + offset_us;
}

static void add_visit(cn_sink_t *k, uint32_t id, uint32_t visitor, uint32_t num, int64_t ts)
{
    cn_visit_row_t v = {0};
    v.visitor = visitor;
    v.visit_num = num;
    v.start_ts = ts;
    v.country = CN_STR_LIT("US");
    v.channel = CN_STR_LIT("direct");
    v.device = CN_DEVICE_DESKTOP;
    assert_int_equal(k->visit(k->ud, id, &v), 0);
}

static void add_hit(cn_sink_t *k, uint32_t visit, uint32_t num, int64_t ts, const char *page)
{
    cn_hit_row_t h = {0};
    h.ts = ts;
    h.visit = visit;
    h.hit_num = num;
    h.type = CN_HIT_PAGEVIEW;
    h.page = cn_str_c(page);
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
}

/*
 * Day D:   v0 (visitor 0): /home 0:00, /p/a 1:00, /cart 3:00
 *          v1 (visitor 1): /p/b 0:30, /home 2:00      (interleaved with v0)
 *          v2 (visitor 2): /home 5:00                 (one hit)
 * Day D+1: v3 (visitor 0): /p/c 0:00
 *          v4 (visitor 1): /cart 1:00
 */
static int setup(void **state)
{
    (void)state;
    fixture_open("sequence", "[suite t]\ntimezone = UTC\ncurrency = CNY\n", dir, sizeof(dir), &conf,
                 &store);
    D = cn_store_day_from_ymd(2026, 11, 1);
    cn_sink_t k = cn_store_sink(store);
    add_visit(&k, 0, 0, 1, at(D, 0));
    add_hit(&k, 0, 1, at(D, 0), "/home");
    add_visit(&k, 1, 1, 1, at(D, MIN / 2));
    add_hit(&k, 1, 1, at(D, MIN / 2), "/p/b");
    add_hit(&k, 0, 2, at(D, 1 * MIN), "/p/a");
    add_hit(&k, 1, 2, at(D, 2 * MIN), "/home");
    add_hit(&k, 0, 3, at(D, 3 * MIN), "/cart");
    add_visit(&k, 2, 2, 1, at(D, 5 * MIN));
    add_hit(&k, 2, 1, at(D, 5 * MIN), "/home");
    add_visit(&k, 3, 0, 2, at(D + 1, 0));
    add_hit(&k, 3, 1, at(D + 1, 0), "/p/c");
    add_visit(&k, 4, 1, 2, at(D + 1, 1 * MIN));
    add_hit(&k, 4, 1, at(D + 1, 1 * MIN), "/cart");
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_close(dir, conf, store);
}

/* Page views, visits and visitors of the segment (a JSON string or object) over [D, D+to]. */
static void totals(const char *segment_json, int to, double out[3])
{
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"from\":\"2026-11-01\",\"to\":\"2026-11-0%d\",\"metrics\":[\"pageviews\","
             "\"visits\",\"visitors\"],\"segment\":%s}",
             1 + to, segment_json);
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    if (cn_report_req_parse_json(&req, cn_str_c(body), store, at(D + 1, 0), &err) != 0)
        fail_msg("parse %s: %s", body, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    if (cn_report_run(store, snap, &req, &r, &err) != 0)
        fail_msg("run %s: %s", body, err.msg);
    cn_store_snap_release(snap);
    for (int i = 0; i < 3; i++)
        out[i] = r->totals[i];
    cn_report_free(r);
    cn_report_req_dispose(&req);
}

static void expect(const char *text, int to, double pv, double visits, double visitors)
{
    json_t *s = json_string(text);
    char *js = json_dumps(s, JSON_ENCODE_ANY);
    double t[3];
    totals(js, to, t);
    if (t[0] != pv || t[1] != visits || t[2] != visitors)
        fail_msg("%s: got %g page views, %g visits, %g visitors; want %g, %g, %g", text, t[0], t[1],
                 t[2], pv, visits, visitors);
    free(js);
    json_decref(s);
}

static void sequences_in_visits(void **state)
{
    (void)state;
    expect("visit(page = \"/home\")", 1, 6, 3, 3); /* sanity: no sequence */
    /* v0 only: v1 has the product before home */
    expect("visit(page = \"/home\" then page starts with \"/p/\")", 1, 3, 1, 1);
    /* v1 only */
    expect("visit(page starts with \"/p/\" then page = \"/home\")", 1, 2, 1, 1);
    /* a later hit: v2's one /home does not match both steps, v1's /home is its last hit */
    expect("visit(page = \"/home\" then page starts with \"/\")", 1, 3, 1, 1);
    expect("visit(page = \"/home\" then page = \"/cart\")", 1, 3, 1, 1);
    expect("visit(page = \"/home\" then page starts with \"/p/\" then page = \"/cart\")", 1, 3, 1,
           1);
    expect("visit(page = \"/home\" then page starts with \"/p/\" then page = \"/home\")", 1, 0, 0,
           0);
    /* steps are any condition on a hit */
    expect("visit((page = \"/p/b\" or page = \"/p/a\") then page = \"/home\")", 1, 2, 1, 1);
    /* combined with and, not */
    expect("visit((page = \"/home\" then page starts with \"/p/\") and page = \"/cart\")", 1, 3, 1,
           1);
    expect("not visit(page = \"/home\" then page starts with \"/p/\")", 1, 5, 4, 3);
    /* the same step twice needs two hits */
    expect("visit(page starts with \"/\" then page starts with \"/\" then page starts with \"/\")",
           1, 3, 1, 1);
}

static void sequences_in_visitors(void **state)
{
    (void)state;
    /* visitor 1 goes home on day D and to the cart on D+1, in another visit */
    expect("visitor(page = \"/home\" then page = \"/cart\")", 1, 7, 4, 2);
    /* the range bounds the sequence: on day D alone only visitor 0 */
    expect("visitor(page = \"/home\" then page = \"/cart\")", 0, 3, 1, 1);
    /* a step that is a visit container: any hit of a visit with the cart */
    expect("visitor(visit(page = \"/cart\") then page = \"/p/c\")", 1, 4, 2, 1);
    expect("visitor(page = \"/p/c\" then page = \"/home\")", 1, 0, 0, 0);
}

static void sequences_in_json(void **state)
{
    (void)state;
    double t[3];
    totals("{\"scope\":\"visit\",\"then\":[{\"field\":\"page\",\"op\":\"=\",\"value\":\"/home\"},"
           "{\"field\":\"page\",\"op\":\"starts with\",\"value\":\"/p/\"}]}",
           1, t);
    assert_true(t[0] == 3 && t[1] == 1 && t[2] == 1);
    totals("{\"scope\":\"visitor\",\"match\":{\"then\":[{\"field\":\"page\",\"op\":\"=\","
           "\"value\":\"/home\"},{\"field\":\"page\",\"op\":\"=\",\"value\":\"/cart\"}]}}",
           1, t);
    assert_true(t[0] == 7 && t[1] == 4 && t[2] == 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(then_parses_in_visit_and_visitor_containers),
        cmocka_unit_test(then_outside_a_visit_or_visitor_is_an_error),
        cmocka_unit_test(then_in_json),
        cmocka_unit_test_setup_teardown(sequences_in_visits, setup, teardown),
        cmocka_unit_test_setup_teardown(sequences_in_visitors, setup, teardown),
        cmocka_unit_test_setup_teardown(sequences_in_json, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
