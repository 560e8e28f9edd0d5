/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Segments: filters with a scope (DESIGN.md "segment"), parsed from
 * canton's compact text form (docs/segments.md) or from its JSON form.
 *
 *   visit(channel = "natural search" and country = "US")
 *   hit(page starts with "/product/") and not visitor(country in ("CN", "HK"))
 *   revenue > 100
 *   visit(page = "home" then page starts with "product:")
 *
 * A segment is a tree of nodes: and/or/not, a scope container (hit, visit,
 * visitor) and conditions (field op value). A condition outside any
 * container has hit scope. The tree lives in one allocation owned by the
 * cn_segment_t; free it with cn_segment_free().
 */
#ifndef CN_QUERY_SEGMENT_H
#define CN_QUERY_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

typedef enum cn_seg_scope {
    CN_SCOPE_HIT = 0,
    CN_SCOPE_VISIT,
    CN_SCOPE_VISITOR,
} cn_seg_scope_t;

typedef enum cn_seg_op {
    CN_OP_EQ,          /* =  */
    CN_OP_NE,          /* != */
    CN_OP_CONTAINS,    /* contains */
    CN_OP_STARTS_WITH, /* starts with */
    CN_OP_IN,          /* in ("a", "b") */
    CN_OP_GT,          /* >  */
    CN_OP_LT,          /* <  */
    CN_OP_GE,          /* >= */
    CN_OP_LE,          /* <= */
} cn_seg_op_t;

typedef enum cn_seg_kind {
    CN_SEG_AND,
    CN_SEG_OR,
    CN_SEG_NOT,
    CN_SEG_SCOPE, /* a container: its child matches within the scope */
    CN_SEG_COND,
    CN_SEG_THEN, /* a sequence: kids[0] then later kids[1] ... within the enclosing visit or
                    visitor container (each kid is a condition on one hit) */
} cn_seg_kind_t;

typedef struct cn_seg_value {
    char *str;  /* the value as text (NUL-terminated) */
    double num; /* the value as a number when is_num */
    int is_num;
} cn_seg_value_t;

typedef struct cn_seg_node cn_seg_node_t;
struct cn_seg_node {
    cn_seg_kind_t kind;
    cn_seg_scope_t scope; /* CN_SEG_SCOPE: the container's scope */
    cn_seg_node_t **kids; /* AND/OR: 2+; NOT/SCOPE: 1 */
    size_t kid_count;
    int height; /* nodes on the longest path down from this one, itself included */
    /* CN_SEG_COND: */
    char *field; /* dimension or metric name, e.g. "country", "evar3", "revenue" */
    cn_seg_op_t op;
    cn_seg_value_t *values; /* 1 value, or several for CN_OP_IN */
    size_t value_count;
};

typedef struct cn_segment {
    cn_seg_node_t *root;
    void *arena; /* every node and string; private */
} cn_segment_t;

/* Limits that keep a hostile segment cheap: depth, nodes and text length. */
#define CN_SEGMENT_MAX_TEXT  16384
#define CN_SEGMENT_MAX_DEPTH 32
#define CN_SEGMENT_MAX_NODES 1024
#define CN_SEGMENT_MAX_STEPS 32 /* steps of one sequence (a then b then ...) */

/*
 * Parses the text form. Returns 0 and *out (free with cn_segment_free), or
 * CN_EPARSE / CN_ETOOBIG with err saying what is wrong and where:
 * "segment: expected ')' at position 17". Field names are not checked here
 * (the query planner checks them against the catalogue) except for syntax.
 * *err_pos (may be NULL) gets the 0-based byte position of the error.
 */
int cn_segment_parse(cn_str_t text, cn_segment_t **out, size_t *err_pos, cn_err_t *err);

/*
 * Parses the JSON form:
 *   {"scope":"visit","and":[{"field":"channel","op":"=","value":"natural search"}, ...]}
 * node = {"and":[...]} | {"or":[...]} | {"not":node} | {"scope":"hit|visit|visitor",
 * "match":node} (or the and/or/not keys directly beside "scope") |
 * {"field":F,"op":OP,"value":V} ("in" takes "values":[...]) |
 * {"then":[node, node, ...]} (a sequence; only inside a visit or visitor scope).
 */
int cn_segment_parse_json(cn_str_t json, cn_segment_t **out, cn_err_t *err);

/* Writes the canonical text form of seg to out (parses back to the same tree). */
void cn_segment_format(const cn_segment_t *seg, cn_buf_t *out);

void cn_segment_free(cn_segment_t *seg);

const char *cn_seg_op_name(cn_seg_op_t op);
const char *cn_seg_scope_name(cn_seg_scope_t scope);

#endif
