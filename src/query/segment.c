/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The segment parser: a recursive-descent parser over canton's compact text
 * form, and a reader of the JSON form, both building the same tree
 * (segment.h). Grammar (docs/segments.md):
 *
 *   segment := seq
 *   seq     := or { "then" or }       (only inside a visit or visitor container)
 *   or      := and { "or" and }
 *   and     := unary { "and" unary }
 *   unary   := "not" unary | primary
 *   primary := "(" seq ")" | SCOPE "(" seq ")" | cond
 *   cond    := FIELD OP value | FIELD "in" "(" value { "," value } ")"
 *   OP      := "=" | "!=" | ">" | "<" | ">=" | "<=" | "contains" | "starts" "with"
 *   value   := STRING | NUMBER
 *
 * Keywords are case-insensitive; strings are double-quoted with \" and \\
 * escapes; FIELD is [A-Za-z_][A-Za-z0-9_]*.
 */
#include "query/segment.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/xalloc.h"

/* The text parser's recursion (two steps for each pair of parentheses or
 * container, one for each 'not') has its own bound, apart from the tree's
 * depth (add_kid): the canonical text of a tree 32 deep takes 66 steps at most. */
#define MAX_TEXT_DEPTH (4 * CN_SEGMENT_MAX_DEPTH)

typedef struct parser {
    cn_arena_t *arena;
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    size_t nodes;
    cn_seg_scope_t scope; /* the innermost enclosing container (hit at the top) */
    cn_err_t *err;
    size_t err_pos;
    int rc;
} parser_t;

static int fail_at(parser_t *p, size_t pos, int code, const char *fmt, const char *what)
{
    if (p->rc == 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), fmt, what);
        p->rc = cn_err_set(p->err, code, "segment: %s at position %zu", msg, pos);
        p->err_pos = pos;
    }
    return p->rc;
}

static void skip_ws(parser_t *p)
{
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

static bool is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Length of the identifier at the current position (0 if none). */
static size_t peek_ident(parser_t *p)
{
    skip_ws(p);
    size_t i = p->pos;
    if (i >= p->len || !is_ident_start(p->s[i]))
        return 0;
    while (i < p->len && is_ident_char(p->s[i]))
        i++;
    return i - p->pos;
}

static bool peek_keyword(parser_t *p, const char *kw)
{
    size_t n = peek_ident(p);
    return n == strlen(kw) && strncasecmp(p->s + p->pos, kw, n) == 0;
}

static bool accept_keyword(parser_t *p, const char *kw)
{
    if (!peek_keyword(p, kw))
        return false;
    p->pos += strlen(kw);
    return true;
}

static bool accept_char(parser_t *p, char c)
{
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return true;
    }
    return false;
}

static cn_seg_node_t *new_node(parser_t *p, cn_seg_kind_t kind)
{
    if (++p->nodes > CN_SEGMENT_MAX_NODES) {
        fail_at(p, p->pos, CN_ETOOBIG, "more than %s conditions and operators", "1024");
        return NULL;
    }
    cn_seg_node_t *n = cn_arena_calloc(p->arena, 1, sizeof(*n));
    n->kind = kind;
    n->height = 1;
    return n;
}

/* Adds kid under parent. The depth limit is on the tree, as the JSON form
 * counts it: the same segment is as deep whatever parentheses its text has, so
 * that the canonical form of any segment read (which puts every combination in
 * parentheses) reads again. False (and the error) when the tree gets deeper. */
static bool add_kid(parser_t *p, cn_seg_node_t *parent, cn_seg_node_t *kid)
{
    if (kid->height + 1 > parent->height)
        parent->height = kid->height + 1;
    if (parent->height > CN_SEGMENT_MAX_DEPTH) {
        fail_at(p, p->pos, CN_ETOOBIG, "nested deeper than %s levels", "32");
        return false;
    }
    cn_seg_node_t **kids = cn_arena_alloc(p->arena, (parent->kid_count + 1) * sizeof(*kids));
    if (parent->kid_count)
        memcpy(kids, parent->kids, parent->kid_count * sizeof(*kids));
    kids[parent->kid_count++] = kid;
    parent->kids = kids;
    return true;
}

static int parse_value(parser_t *p, cn_seg_value_t *v)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return fail_at(p, p->pos, CN_EPARSE, "expected a %s, found the end", "value");
    char c = p->s[p->pos];
    if (c == '"') {
        size_t start = ++p->pos;
        char *out = cn_arena_alloc(p->arena, p->len - start + 1);
        size_t n = 0;
        while (p->pos < p->len && p->s[p->pos] != '"') {
            if (p->s[p->pos] == '\\') {
                if (p->pos + 1 >= p->len)
                    break;
                char e = p->s[p->pos + 1];
                if (e != '"' && e != '\\')
                    return fail_at(p, p->pos, CN_EPARSE, "unknown escape %s in a string",
                                   e == 'n' ? "\\n" : "\\?");
                out[n++] = e;
                p->pos += 2;
                continue;
            }
            out[n++] = p->s[p->pos++];
        }
        if (p->pos >= p->len)
            return fail_at(p, start - 1, CN_EPARSE, "unterminated %s", "string");
        p->pos++;
        out[n] = '\0';
        v->str = out;
        v->is_num = 0;
        return 0;
    }
    if (isdigit((unsigned char)c) || c == '-' || c == '.') {
        size_t start = p->pos;
        while (p->pos < p->len && (isdigit((unsigned char)p->s[p->pos]) || p->s[p->pos] == '.' ||
                                   p->s[p->pos] == '-' || p->s[p->pos] == 'e' ||
                                   p->s[p->pos] == 'E' || p->s[p->pos] == '+'))
            p->pos++;
        if (cn_str_to_double(cn_str(p->s + start, p->pos - start), &v->num) != 0)
            return fail_at(p, start, CN_EPARSE, "bad %s", "number");
        v->str = cn_arena_strndup(p->arena, p->s + start, p->pos - start);
        v->is_num = 1;
        return 0;
    }
    return fail_at(p, p->pos, CN_EPARSE, "expected a %s (a \"string\" or a number)", "value");
}

static cn_seg_node_t *parse_or(parser_t *p);
static cn_seg_node_t *parse_seq(parser_t *p);

static cn_seg_node_t *parse_cond(parser_t *p)
{
    size_t n = peek_ident(p);
    if (n == 0) {
        fail_at(p, p->pos, CN_EPARSE,
                p->pos >= p->len ? "expected a %s, found the end" : "expected a %s",
                "field name, 'not', a scope or '('");
        return NULL;
    }
    cn_seg_node_t *node = new_node(p, CN_SEG_COND);
    if (node == NULL)
        return NULL;
    node->field = cn_arena_strndup(p->arena, p->s + p->pos, n);
    for (char *c = node->field; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    p->pos += n;
    skip_ws(p);
    size_t op_pos = p->pos;
    const char *s = p->s + p->pos;
    size_t left = p->len - p->pos;
    if (left >= 2 && memcmp(s, "!=", 2) == 0) {
        node->op = CN_OP_NE;
        p->pos += 2;
    } else if (left >= 2 && memcmp(s, ">=", 2) == 0) {
        node->op = CN_OP_GE;
        p->pos += 2;
    } else if (left >= 2 && memcmp(s, "<=", 2) == 0) {
        node->op = CN_OP_LE;
        p->pos += 2;
    } else if (left >= 1 && s[0] == '=') {
        node->op = CN_OP_EQ;
        p->pos += 1;
    } else if (left >= 1 && s[0] == '>') {
        node->op = CN_OP_GT;
        p->pos += 1;
    } else if (left >= 1 && s[0] == '<') {
        node->op = CN_OP_LT;
        p->pos += 1;
    } else if (accept_keyword(p, "contains")) {
        node->op = CN_OP_CONTAINS;
    } else if (accept_keyword(p, "starts")) {
        if (!accept_keyword(p, "with")) {
            fail_at(p, p->pos, CN_EPARSE, "expected %s after 'starts'", "'with'");
            return NULL;
        }
        node->op = CN_OP_STARTS_WITH;
    } else if (accept_keyword(p, "in")) {
        node->op = CN_OP_IN;
        if (!accept_char(p, '(')) {
            fail_at(p, p->pos, CN_EPARSE, "expected %s after 'in'", "'('");
            return NULL;
        }
        cn_seg_value_t tmp[256];
        size_t count = 0;
        do {
            if (count == 256) {
                fail_at(p, p->pos, CN_ETOOBIG, "more than %s values in a list", "256");
                return NULL;
            }
            if (parse_value(p, &tmp[count++]) != 0)
                return NULL;
        } while (accept_char(p, ','));
        if (!accept_char(p, ')')) {
            fail_at(p, p->pos, CN_EPARSE, "expected %s to close the list", "')' or ','");
            return NULL;
        }
        node->values = cn_arena_alloc(p->arena, count * sizeof(*node->values));
        memcpy(node->values, tmp, count * sizeof(*tmp));
        node->value_count = count;
        return node;
    } else {
        fail_at(p, op_pos, CN_EPARSE,
                "expected an operator after '%s' (=, !=, >, <, >=, <=, "
                "contains, starts with, in)",
                node->field);
        return NULL;
    }
    node->values = cn_arena_alloc(p->arena, sizeof(*node->values));
    node->value_count = 1;
    if (parse_value(p, &node->values[0]) != 0)
        return NULL;
    return node;
}

static cn_seg_node_t *parse_primary(parser_t *p)
{
    if (accept_char(p, '(')) {
        cn_seg_node_t *n = parse_seq(p);
        if (n == NULL)
            return NULL;
        if (!accept_char(p, ')')) {
            fail_at(p, p->pos, CN_EPARSE, "expected %s", "')'");
            return NULL;
        }
        return n;
    }
    static const char *const scopes[] = {"hit", "visit", "visitor"};
    for (int s = 0; s < 3; s++) {
        if (peek_keyword(p, scopes[s])) {
            size_t save = p->pos;
            p->pos += strlen(scopes[s]);
            if (!accept_char(p, '(')) {
                p->pos = save; /* a field that happens to be named like a scope */
                break;
            }
            cn_seg_node_t *n = new_node(p, CN_SEG_SCOPE);
            if (n == NULL)
                return NULL;
            n->scope = (cn_seg_scope_t)s;
            cn_seg_scope_t outer = p->scope;
            p->scope = n->scope;
            cn_seg_node_t *kid = parse_seq(p);
            p->scope = outer;
            if (kid == NULL)
                return NULL;
            if (!accept_char(p, ')')) {
                fail_at(p, p->pos, CN_EPARSE, "expected %s to close the container", "')'");
                return NULL;
            }
            if (!add_kid(p, n, kid))
                return NULL;
            return n;
        }
    }
    return parse_cond(p);
}

static cn_seg_node_t *parse_unary(parser_t *p)
{
    if (++p->depth > MAX_TEXT_DEPTH) {
        fail_at(p, p->pos, CN_ETOOBIG, "%s nested too deeply", "parentheses, containers or 'not'");
        return NULL;
    }
    cn_seg_node_t *r;
    if (accept_keyword(p, "not")) {
        cn_seg_node_t *kid = parse_unary(p);
        if (kid == NULL)
            return NULL;
        r = new_node(p, CN_SEG_NOT);
        if (r != NULL && !add_kid(p, r, kid))
            r = NULL;
    } else {
        r = parse_primary(p);
    }
    p->depth--;
    return r;
}

static cn_seg_node_t *parse_list(parser_t *p, const char *kw, cn_seg_kind_t kind,
                                 cn_seg_node_t *(*sub)(parser_t *))
{
    cn_seg_node_t *first = sub(p);
    if (first == NULL || !peek_keyword(p, kw))
        return first;
    cn_seg_node_t *n = new_node(p, kind);
    if (n == NULL)
        return NULL;
    if (!add_kid(p, n, first))
        return NULL;
    while (accept_keyword(p, kw)) {
        cn_seg_node_t *kid = sub(p);
        if (kid == NULL || !add_kid(p, n, kid))
            return NULL;
    }
    return n;
}

static cn_seg_node_t *parse_and(parser_t *p)
{
    return parse_list(p, "and", CN_SEG_AND, parse_unary);
}

static cn_seg_node_t *parse_or(parser_t *p)
{
    if (++p->depth > MAX_TEXT_DEPTH) {
        fail_at(p, p->pos, CN_ETOOBIG, "%s nested too deeply", "parentheses, containers or 'not'");
        return NULL;
    }
    cn_seg_node_t *n = parse_list(p, "or", CN_SEG_OR, parse_and);
    p->depth--;
    return n;
}

/* True when n holds a sequence outside any nested container: a step must be
 * a condition on one hit, so such a step is an error. */
static bool has_bare_then(const cn_seg_node_t *n)
{
    if (n->kind == CN_SEG_THEN)
        return true;
    if (n->kind == CN_SEG_SCOPE)
        return false;
    for (size_t i = 0; i < n->kid_count; i++) {
        if (has_bare_then(n->kids[i]))
            return true;
    }
    return false;
}

#define NESTED_THEN_MSG                                                                            \
    "a step of a sequence is a condition on one hit; put %s sequence in a visit(...) or "          \
    "visitor(...) container"

/* A sequence: steps in order within the enclosing visit or visitor container. */
static cn_seg_node_t *parse_seq(parser_t *p)
{
    cn_seg_node_t *first = parse_or(p);
    if (first == NULL || !peek_keyword(p, "then"))
        return first;
    if (p->scope == CN_SCOPE_HIT) {
        fail_at(p, p->pos, CN_EPARSE, "%s needs a visit(...) or visitor(...) container", "'then'");
        return NULL;
    }
    cn_seg_node_t *n = new_node(p, CN_SEG_THEN);
    if (n == NULL)
        return NULL;
    if (!add_kid(p, n, first))
        return NULL;
    if (has_bare_then(first)) {
        fail_at(p, p->pos, CN_EPARSE, NESTED_THEN_MSG, "a nested");
        return NULL;
    }
    while (accept_keyword(p, "then")) {
        if (n->kid_count == CN_SEGMENT_MAX_STEPS) {
            fail_at(p, p->pos, CN_ETOOBIG, "more than %s steps in a sequence", "32");
            return NULL;
        }
        skip_ws(p);
        size_t at = p->pos;
        cn_seg_node_t *kid = parse_or(p);
        if (kid == NULL)
            return NULL;
        if (has_bare_then(kid)) {
            fail_at(p, at, CN_EPARSE, NESTED_THEN_MSG, "a nested");
            return NULL;
        }
        if (!add_kid(p, n, kid))
            return NULL;
    }
    return n;
}

static cn_segment_t *new_segment(void)
{
    cn_segment_t *seg = cn_xcalloc(1, sizeof(*seg));
    cn_arena_t *a = cn_xmalloc(sizeof(*a));
    cn_arena_init(a);
    seg->arena = a;
    return seg;
}

void cn_segment_free(cn_segment_t *seg)
{
    if (seg == NULL)
        return;
    cn_arena_dispose(seg->arena);
    free(seg->arena);
    free(seg);
}

int cn_segment_parse(cn_str_t text, cn_segment_t **out, size_t *err_pos, cn_err_t *err)
{
    if (text.len > CN_SEGMENT_MAX_TEXT) {
        if (err_pos)
            *err_pos = CN_SEGMENT_MAX_TEXT;
        return cn_err_set(err, CN_ETOOBIG, "segment: longer than %d bytes", CN_SEGMENT_MAX_TEXT);
    }
    cn_segment_t *seg = new_segment();
    parser_t p = {.arena = seg->arena, .s = text.ptr ? text.ptr : "", .len = text.len, .err = err};
    seg->root = parse_seq(&p);
    if (seg->root != NULL) {
        skip_ws(&p);
        if (p.pos < p.len)
            fail_at(&p, p.pos, CN_EPARSE, "unexpected text; expected %s or the end", "'and', 'or'");
    }
    if (p.rc != 0 || seg->root == NULL) {
        if (p.rc == 0)
            fail_at(&p, p.pos, CN_EPARSE, "%s", "syntax error");
        if (err_pos)
            *err_pos = p.err_pos;
        cn_segment_free(seg);
        return p.rc;
    }
    *out = seg;
    return 0;
}

/* --- JSON form --- */

static const char *const op_names[] = {"=", "!=", "contains", "starts with", "in",
                                       ">", "<",  ">=",       "<="};
static const char *const scope_names[] = {"hit", "visit", "visitor"};

const char *cn_seg_op_name(cn_seg_op_t op)
{
    return op_names[op];
}

const char *cn_seg_scope_name(cn_seg_scope_t scope)
{
    return scope_names[scope];
}

static cn_seg_node_t *jnode(parser_t *p, json_t *j);

static int jvalue(parser_t *p, json_t *j, cn_seg_value_t *v)
{
    if (json_is_string(j)) {
        v->str = cn_arena_strndup(p->arena, json_string_value(j), json_string_length(j));
        v->is_num = 0;
        return 0;
    }
    if (json_is_number(j)) {
        char tmp[64];
        v->num = json_number_value(j);
        snprintf(tmp, sizeof(tmp), "%.17g", v->num);
        v->str = cn_arena_strndup(p->arena, tmp, strlen(tmp));
        v->is_num = 1;
        return 0;
    }
    return fail_at(p, 0, CN_EPARSE, "a condition's %s must be a string or a number", "value");
}

static cn_seg_node_t *jlist(parser_t *p, json_t *arr, cn_seg_kind_t kind)
{
    const char *name = kind == CN_SEG_AND ? "and" : kind == CN_SEG_OR ? "or" : "then";
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        fail_at(p, 0, CN_EPARSE, "'%s' needs a non-empty array", name);
        return NULL;
    }
    if (kind == CN_SEG_THEN && p->scope == CN_SCOPE_HIT) {
        fail_at(p, 0, CN_EPARSE, "%s needs a \"visit\" or \"visitor\" scope", "'then'");
        return NULL;
    }
    if (kind == CN_SEG_THEN && json_array_size(arr) > CN_SEGMENT_MAX_STEPS) {
        fail_at(p, 0, CN_ETOOBIG, "more than %s steps in a sequence", "32");
        return NULL;
    }
    cn_seg_node_t *n = new_node(p, kind);
    size_t i;
    json_t *kid;
    if (n == NULL)
        return NULL;
    json_array_foreach(arr, i, kid)
    {
        cn_seg_node_t *k = jnode(p, kid);
        if (k == NULL)
            return NULL;
        if (kind == CN_SEG_THEN && has_bare_then(k)) {
            fail_at(p, 0, CN_EPARSE, NESTED_THEN_MSG, "a nested");
            return NULL;
        }
        if (!add_kid(p, n, k))
            return NULL;
    }
    return n->kid_count == 1 ? n->kids[0] : n;
}

static cn_seg_node_t *jnode(parser_t *p, json_t *j)
{
    if (!json_is_object(j)) {
        fail_at(p, 0, CN_EPARSE, "a segment node must be a JSON %s", "object");
        return NULL;
    }
    if (++p->depth > CN_SEGMENT_MAX_DEPTH) {
        fail_at(p, 0, CN_ETOOBIG, "nested deeper than %s levels", "32");
        return NULL;
    }
    cn_seg_node_t *r = NULL;
    json_t *scope = json_object_get(j, "scope");
    json_t *field = json_object_get(j, "field");
    if (scope != NULL) {
        const char *s = json_string_value(scope);
        int idx = -1;
        for (int i = 0; s != NULL && i < 3; i++) {
            if (strcmp(s, scope_names[i]) == 0)
                idx = i;
        }
        if (idx < 0) {
            fail_at(p, 0, CN_EPARSE, "'scope' must be %s", "\"hit\", \"visit\" or \"visitor\"");
            return NULL;
        }
        json_t *inner = json_object_get(j, "match");
        cn_seg_node_t *kid;
        cn_seg_scope_t outer = p->scope;
        p->scope = (cn_seg_scope_t)idx;
        if (inner != NULL) {
            kid = jnode(p, inner);
        } else {
            json_t *copy = json_copy(j);
            json_object_del(copy, "scope");
            kid = json_object_size(copy) ? jnode(p, copy) : NULL;
            if (json_object_size(copy) == 0)
                fail_at(p, 0, CN_EPARSE, "a scope needs %s", "'match', 'and', 'or' or a condition");
            json_decref(copy);
        }
        p->scope = outer;
        if (kid == NULL)
            return NULL;
        r = new_node(p, CN_SEG_SCOPE);
        if (r == NULL)
            return NULL;
        r->scope = (cn_seg_scope_t)idx;
        if (!add_kid(p, r, kid))
            return NULL;
    } else if (json_object_get(j, "and") != NULL) {
        r = jlist(p, json_object_get(j, "and"), CN_SEG_AND);
    } else if (json_object_get(j, "or") != NULL) {
        r = jlist(p, json_object_get(j, "or"), CN_SEG_OR);
    } else if (json_object_get(j, "then") != NULL) {
        r = jlist(p, json_object_get(j, "then"), CN_SEG_THEN);
    } else if (json_object_get(j, "not") != NULL) {
        cn_seg_node_t *kid = jnode(p, json_object_get(j, "not"));
        if (kid == NULL)
            return NULL;
        r = new_node(p, CN_SEG_NOT);
        if (r != NULL && !add_kid(p, r, kid))
            return NULL;
    } else if (json_is_string(field)) {
        const char *f = json_string_value(field);
        const char *op = json_string_value(json_object_get(j, "op"));
        if (f[0] == '\0' || !is_ident_start(f[0])) {
            fail_at(p, 0, CN_EPARSE, "bad field name '%s'", f);
            return NULL;
        }
        for (const char *c = f; *c; c++) {
            if (!is_ident_char(*c)) {
                fail_at(p, 0, CN_EPARSE, "bad field name '%s'", f);
                return NULL;
            }
        }
        int opi = -1;
        for (int i = 0; op != NULL && i < 9; i++) {
            if (strcasecmp(op, op_names[i]) == 0)
                opi = i;
        }
        if (opi < 0) {
            fail_at(p, 0, CN_EPARSE, "unknown op in a condition on '%s'", f);
            return NULL;
        }
        r = new_node(p, CN_SEG_COND);
        if (r == NULL)
            return NULL;
        r->field = cn_arena_strndup(p->arena, f, strlen(f));
        for (char *c = r->field; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        r->op = (cn_seg_op_t)opi;
        if (r->op == CN_OP_IN) {
            json_t *vals = json_object_get(j, "values");
            if (!json_is_array(vals) || json_array_size(vals) == 0 || json_array_size(vals) > 256) {
                fail_at(p, 0, CN_EPARSE, "'in' needs 'values': an array of 1 to %s values", "256");
                return NULL;
            }
            r->value_count = json_array_size(vals);
            r->values = cn_arena_calloc(p->arena, r->value_count, sizeof(*r->values));
            for (size_t i = 0; i < r->value_count; i++) {
                if (jvalue(p, json_array_get(vals, i), &r->values[i]) != 0)
                    return NULL;
            }
        } else {
            r->value_count = 1;
            r->values = cn_arena_calloc(p->arena, 1, sizeof(*r->values));
            json_t *v = json_object_get(j, "value");
            if (v == NULL) {
                fail_at(p, 0, CN_EPARSE, "a condition on '%s' needs a 'value'", f);
                return NULL;
            }
            if (jvalue(p, v, &r->values[0]) != 0)
                return NULL;
        }
    } else {
        fail_at(p, 0, CN_EPARSE, "a segment node needs %s",
                "'and', 'or', 'then', 'not', 'scope' or 'field'");
    }
    p->depth--;
    return r;
}

int cn_segment_parse_json(cn_str_t text, cn_segment_t **out, cn_err_t *err)
{
    if (text.len > CN_SEGMENT_MAX_TEXT * 4)
        return cn_err_set(err, CN_ETOOBIG, "segment: longer than %d bytes",
                          CN_SEGMENT_MAX_TEXT * 4);
    json_error_t jerr;
    json_t *j = json_loadb(text.ptr ? text.ptr : "", text.len, 0, &jerr);
    if (j == NULL)
        return cn_err_set(err, CN_EPARSE, "segment: bad JSON at position %d: %s", jerr.position,
                          jerr.text);
    cn_segment_t *seg = new_segment();
    parser_t p = {.arena = seg->arena, .err = err};
    seg->root = jnode(&p, j);
    json_decref(j);
    if (seg->root == NULL) {
        int rc = p.rc ? p.rc : cn_err_set(err, CN_EPARSE, "segment: empty");
        cn_segment_free(seg);
        return rc;
    }
    *out = seg;
    return 0;
}

/* --- Formatting --- */

static void format_value(const cn_seg_value_t *v, cn_buf_t *out)
{
    if (v->is_num) {
        cn_buf_append_c(out, v->str);
        return;
    }
    cn_buf_putc(out, '"');
    for (const char *c = v->str; *c; c++) {
        if (*c == '"' || *c == '\\')
            cn_buf_putc(out, '\\');
        cn_buf_putc(out, *c);
    }
    cn_buf_putc(out, '"');
}

static void format_node(const cn_seg_node_t *n, cn_buf_t *out)
{
    switch (n->kind) {
    case CN_SEG_AND:
    case CN_SEG_OR:
    case CN_SEG_THEN:
        cn_buf_putc(out, '(');
        for (size_t i = 0; i < n->kid_count; i++) {
            if (i)
                cn_buf_append_c(out, n->kind == CN_SEG_AND  ? " and "
                                     : n->kind == CN_SEG_OR ? " or "
                                                            : " then ");
            format_node(n->kids[i], out);
        }
        cn_buf_putc(out, ')');
        break;
    case CN_SEG_NOT:
        cn_buf_append_c(out, "not ");
        format_node(n->kids[0], out);
        break;
    case CN_SEG_SCOPE:
        cn_buf_append_c(out, scope_names[n->scope]);
        cn_buf_putc(out, '(');
        format_node(n->kids[0], out);
        cn_buf_putc(out, ')');
        break;
    case CN_SEG_COND:
        cn_buf_printf(out, "%s %s ", n->field, op_names[n->op]);
        if (n->op == CN_OP_IN) {
            cn_buf_putc(out, '(');
            for (size_t i = 0; i < n->value_count; i++) {
                if (i)
                    cn_buf_append_c(out, ", ");
                format_value(&n->values[i], out);
            }
            cn_buf_putc(out, ')');
        } else {
            format_value(&n->values[0], out);
        }
        break;
    }
}

void cn_segment_format(const cn_segment_t *seg, cn_buf_t *out)
{
    format_node(seg->root, out);
}
