/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/segment.h"

#include <cmocka.h>

/* Parses text and returns its canonical form (caller frees), or NULL. */
static char *roundtrip(const char *text)
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

static void parses_visit_container(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visit(channel = \"natural search\" and "
                                                 "country = \"US\")"),
                                      &seg, NULL, &err),
                     0);
    cn_seg_node_t *r = seg->root;
    assert_int_equal(r->kind, CN_SEG_SCOPE);
    assert_int_equal(r->scope, CN_SCOPE_VISIT);
    assert_int_equal(r->kids[0]->kind, CN_SEG_AND);
    assert_int_equal(r->kids[0]->kid_count, 2);
    cn_seg_node_t *c = r->kids[0]->kids[0];
    assert_string_equal(c->field, "channel");
    assert_int_equal(c->op, CN_OP_EQ);
    assert_string_equal(c->values[0].str, "natural search");
    cn_segment_free(seg);
}

static void and_binds_tighter_than_or(void **state)
{
    (void)state;
    char *s = roundtrip("a = 1 or b = 2 and c = 3");
    assert_string_equal(s, "(a = 1 or (b = 2 and c = 3))");
    free(s);
}

static void all_operators_round_trip(void **state)
{
    (void)state;
    const char *text = "hit(page starts with \"/p/\" and page contains \"mug\" and revenue >= 10.5 "
                       "and units < 3 and units <= 2 and units > 0 and country != \"CN\" and "
                       "country in (\"US\", \"GB\") and not visitor(evar1 = \"a\\\"b\"))";
    char *s = roundtrip(text);
    assert_non_null(s);
    char *s2 = roundtrip(s);
    assert_string_equal(s, s2);
    assert_non_null(strstr(s, "country in (\"US\", \"GB\")"));
    assert_non_null(strstr(s, "not visitor(evar1 = \"a\\\"b\")"));
    free(s);
    free(s2);
}

static void keywords_are_case_insensitive_fields_lowercased(void **state)
{
    (void)state;
    char *s = roundtrip("VISIT(Country = \"US\" AND NOT Page Starts With \"/x\")");
    assert_string_equal(s, "visit((country = \"US\" and not page starts with \"/x\"))");
    free(s);
}

static void a_field_named_visit_is_a_field(void **state)
{
    (void)state;
    char *s = roundtrip("visit_num > 1 and visit = 3");
    assert_string_equal(s, "(visit_num > 1 and visit = 3)");
    free(s);
}

static void errors_give_position(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    size_t pos;
    assert_int_equal(cn_segment_parse(CN_STR_LIT("visit(country = \"US\""), &seg, &pos, &err),
                     CN_EPARSE);
    assert_int_equal(pos, 20);
    assert_non_null(strstr(err.msg, "position 20"));
    assert_int_equal(cn_segment_parse(CN_STR_LIT("country ~ \"US\""), &seg, &pos, &err), CN_EPARSE);
    assert_int_equal(pos, 8);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("country = \"US"), &seg, &pos, &err), CN_EPARSE);
    assert_int_equal(pos, 10);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("country = US"), &seg, &pos, &err), CN_EPARSE);
    assert_int_equal(cn_segment_parse(CN_STR_LIT(""), &seg, &pos, &err), CN_EPARSE);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("a = 1 b = 2"), &seg, &pos, &err), CN_EPARSE);
    assert_int_equal(pos, 6);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("a in ()"), &seg, &pos, &err), CN_EPARSE);
    assert_int_equal(cn_segment_parse(CN_STR_LIT("page starts \"x\""), &seg, &pos, &err),
                     CN_EPARSE);
}

static void depth_and_size_are_bounded(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    char deep[400];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        deep[n++] = '(';
    memcpy(deep + n, "a = 1", 5);
    n += 5;
    for (int i = 0; i < 100; i++)
        deep[n++] = ')';
    assert_int_equal(cn_segment_parse(cn_str(deep, n), &seg, NULL, &err), CN_ETOOBIG);
    char *big = malloc(CN_SEGMENT_MAX_TEXT + 2);
    memset(big, ' ', CN_SEGMENT_MAX_TEXT + 1);
    assert_int_equal(cn_segment_parse(cn_str(big, CN_SEGMENT_MAX_TEXT + 1), &seg, NULL, &err),
                     CN_ETOOBIG);
    free(big);
}

/* "a = 1 or b = 1 and not (...)", k times around "c = 1": three levels (or, and,
 * not) for each k, with one pair of parentheses where the canonical form has
 * three. */
static void deep_text(char *out, size_t cap, const char *head, int k)
{
    size_t n = (size_t)snprintf(out, cap, "%s", head);
    for (int i = 0; i < k; i++)
        n += (size_t)snprintf(out + n, cap - n, "a = 1 or b = 1 and not (");
    n += (size_t)snprintf(out + n, cap - n, "c = 1");
    for (int i = 0; i < k; i++)
        n += (size_t)snprintf(out + n, cap - n, ")");
    if (*head)
        snprintf(out + n, cap - n, ")");
}

/* The depth limit counts the levels of the segment, not the parentheses of its
 * text: a segment 32 levels deep reads, whether written with few parentheses or
 * in the canonical form (every combination in parentheses), and 33 levels do
 * not. Found by fuzz_segment: the canonical form of a deep segment, the one a
 * report's answer gives back, used to be refused. */
static void depth_counts_levels_not_parentheses(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    char text[1024];
    deep_text(text, sizeof(text), "not (", 10); /* 1 + 3 * 10 + 1 = 32 levels */
    char *canon = roundtrip(text);
    assert_non_null(canon);
    const char *start = "not (a = 1 or (b = 1 and not (a = 1 or (b = 1 and not (";
    assert_int_equal(strncmp(canon, start, strlen(start)), 0);
    char *again = roundtrip(canon);
    assert_non_null(again);
    assert_string_equal(again, canon);
    free(again);
    free(canon);

    deep_text(text, sizeof(text), "not not (", 10); /* 33 levels */
    size_t len = strlen(text);
    assert_int_equal(cn_segment_parse(cn_str(text, len), &seg, NULL, &err), CN_ETOOBIG);
    char want[128];
    snprintf(want, sizeof(want), "segment: nested deeper than 32 levels at position %zu", len);
    assert_string_equal(err.msg, want);

    /* the JSON form counts levels too: 31 nots around a condition read, and so does
     * their canonical text */
    char json[1024];
    size_t n = 0;
    for (int i = 0; i < 31; i++)
        n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"not\":");
    n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"field\":\"a\",\"op\":\"=\",\"value\":1}");
    for (int i = 0; i < 31; i++)
        json[n++] = '}';
    assert_int_equal(cn_segment_parse_json(cn_str(json, n), &seg, &err), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_segment_format(seg, &b);
    cn_segment_free(seg);
    assert_int_equal(b.len, 31 * 4 + 5);
    canon = roundtrip(b.ptr);
    assert_non_null(canon);
    assert_string_equal(canon, b.ptr);
    free(canon);
    cn_buf_dispose(&b);
}

static void json_form_matches_text_form(void **state)
{
    (void)state;
    cn_segment_t *seg;
    cn_err_t err;
    const char *json = "{\"scope\":\"visit\",\"and\":[{\"field\":\"channel\",\"op\":\"=\","
                       "\"value\":\"natural search\"},{\"field\":\"country\",\"op\":\"in\","
                       "\"values\":[\"US\",\"GB\"]},{\"not\":{\"field\":\"revenue\",\"op\":\">\","
                       "\"value\":100}}]}";
    assert_int_equal(cn_segment_parse_json(cn_str_c(json), &seg, &err), 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_segment_format(seg, &b);
    assert_string_equal(b.ptr, "visit((channel = \"natural search\" and country in (\"US\", "
                               "\"GB\") and not revenue > 100))");
    cn_buf_dispose(&b);
    cn_segment_free(seg);
    assert_int_equal(
        cn_segment_parse_json(CN_STR_LIT("{\"field\":\"x\",\"op\":\"~\",\"value\":1}"), &seg, &err),
        CN_EPARSE);
    assert_int_equal(
        cn_segment_parse_json(CN_STR_LIT("{\"scope\":\"session\",\"match\":{}}"), &seg, &err),
        CN_EPARSE);
    assert_int_equal(cn_segment_parse_json(CN_STR_LIT("[1"), &seg, &err), CN_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_visit_container),
        cmocka_unit_test(and_binds_tighter_than_or),
        cmocka_unit_test(all_operators_round_trip),
        cmocka_unit_test(keywords_are_case_insensitive_fields_lowercased),
        cmocka_unit_test(a_field_named_visit_is_a_field),
        cmocka_unit_test(errors_give_position),
        cmocka_unit_test(depth_and_size_are_bounded),
        cmocka_unit_test(depth_counts_levels_not_parentheses),
        cmocka_unit_test(json_form_matches_text_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
