/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calculated metrics: a formula over metric names and numbers with + - * /
 * and parentheses, e.g. "revenue / visits" or "(orders / visits) * 100".
 * Parsed once into a small postfix program; evaluated per row. A formula
 * whose result is an amount of money (revenue / visits) is money, formatted
 * as the built-in money metrics are (calc_unit).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "query/internal.h"

#define CALC_MAX_OPS 64

typedef enum { OP_NUM, OP_NAME, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG } calc_op_t;

typedef struct calc_ins {
    calc_op_t op;
    double num;
    char name[32];
} calc_ins_t;

struct cn_calc {
    calc_ins_t ins[CALC_MAX_OPS];
    size_t n;
    cn_unit_t unit; /* CN_UNIT_MONEY or CN_UNIT_RATIO (calc_unit) */
};

typedef struct cparser {
    const char *name; /* the calculated metric, for messages: "calc.rpv" */
    const char *s;
    size_t pos;
    cn_calc_t *c;
    cn_err_t *err;
    int rc;
    int depth;
} cparser_t;

/* "calc.rpv: unknown metric 'x' at position 0": which formula, what, where. */
static int cfail(cparser_t *p, const char *what)
{
    if (p->rc == 0)
        p->rc = cn_err_set(p->err, CN_EPARSE, "%s: %s at position %zu", p->name, what, p->pos);
    return p->rc;
}

/* The length of the decimal number at s ("12", "0.5", ".5", "3."), 0 when there is none. */
static size_t decimal_len(const char *s)
{
    size_t n = 0, digits = 0;
    while (isdigit((unsigned char)s[n]))
        n++, digits++;
    if (s[n] == '.') {
        n++;
        while (isdigit((unsigned char)s[n]))
            n++, digits++;
    }
    return digits > 0 ? n : 0;
}

static void emit(cparser_t *p, calc_ins_t ins)
{
    if (p->c->n >= CALC_MAX_OPS) {
        cfail(p, "formula too long");
        return;
    }
    p->c->ins[p->c->n++] = ins;
}

static void ws(cparser_t *p)
{
    while (isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

static void expr(cparser_t *p);

static void primary(cparser_t *p)
{
    ws(p);
    char ch = p->s[p->pos];
    if (++p->depth > 32) {
        cfail(p, "nested too deeply");
        return;
    }
    if (ch == '(') {
        p->pos++;
        expr(p);
        ws(p);
        if (p->s[p->pos] != ')') {
            cfail(p, "expected ')'");
            return;
        }
        p->pos++;
    } else if (ch == '-') {
        p->pos++;
        primary(p);
        emit(p, (calc_ins_t){.op = OP_NEG});
    } else if (isdigit((unsigned char)ch) || ch == '.') {
        /* decimal numbers only: strtod alone would also read 0x10, 1e5, 0x1p3 */
        const char *at = p->s + p->pos;
        size_t n = decimal_len(at);
        if (n == 0 || isalnum((unsigned char)at[n]) || at[n] == '_' || at[n] == '.') {
            size_t bad = n;
            while (isalnum((unsigned char)at[bad]) || at[bad] == '_' || at[bad] == '.')
                bad++;
            char what[96];
            snprintf(what, sizeof(what),
                     "bad number '%.*s' (decimal digits with at most one '.', e.g. 100 or 0.5)",
                     (int)(bad > 32 ? 32 : bad), at);
            cfail(p, what);
            return;
        }
        char tmp[1025]; /* a formula has at most 1024 bytes (cn_calc_parse) */
        memcpy(tmp, at, n);
        tmp[n] = '\0';
        p->pos += n;
        emit(p, (calc_ins_t){.op = OP_NUM, .num = strtod(tmp, NULL)});
    } else if (isalpha((unsigned char)ch) || ch == '_') {
        size_t start = p->pos;
        while (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_')
            p->pos++;
        size_t len = p->pos - start;
        int arg;
        if (len >= 32 || cn_metric_find(cn_str(p->s + start, len), &arg) == NULL) {
            p->pos = start;
            char what[96];
            snprintf(what, sizeof(what), "unknown metric '%.*s'%s", (int)(len > 32 ? 32 : len),
                     p->s + start, len > 32 ? "..." : "");
            cfail(p, what);
            return;
        }
        calc_ins_t ins = {.op = OP_NAME};
        memcpy(ins.name, p->s + start, len);
        emit(p, ins);
    } else {
        cfail(p, ch ? "expected a metric, a number or '('" : "unexpected end");
    }
    p->depth--;
}

static void term(cparser_t *p)
{
    primary(p);
    for (;;) {
        ws(p);
        char ch = p->s[p->pos];
        if (p->rc || (ch != '*' && ch != '/'))
            return;
        p->pos++;
        primary(p);
        emit(p, (calc_ins_t){.op = ch == '*' ? OP_MUL : OP_DIV});
    }
}

static void expr(cparser_t *p)
{
    term(p);
    for (;;) {
        ws(p);
        char ch = p->s[p->pos];
        if (p->rc || (ch != '+' && ch != '-'))
            return;
        p->pos++;
        term(p);
        emit(p, (calc_ins_t){.op = ch == '+' ? OP_ADD : OP_SUB});
    }
}

/*
 * The unit of a formula's result, by its power of money: a money metric (a currency event
 * too) is money^1, any other metric money^0; * adds the powers and / subtracts them, + and -
 * keep the one both sides share. A number takes the power of what it is added to, and counts
 * as money^0 in * and /. So revenue / visits, aov * orders and revenue - 10 are money,
 * revenue / revenue and orders / visits are not; revenue + visits mixes units and is a plain
 * ratio.
 */
enum { POW_NUMBER = 1000, POW_MIXED = 1001 };

static cn_unit_t calc_unit(const cn_calc_t *c, const cn_query_events_t *ev)
{
    int st[CALC_MAX_OPS];
    size_t sp = 0;
    for (size_t i = 0; i < c->n; i++) {
        const calc_ins_t *in = &c->ins[i];
        int arg;
        switch (in->op) {
        case OP_NUM:
            st[sp++] = POW_NUMBER;
            break;
        case OP_NAME: {
            const cn_metric_def_t *def = cn_metric_find(cn_str_c(in->name), &arg);
            st[sp++] = def != NULL && cn_query__metric_unit(def, arg, ev) == CN_UNIT_MONEY ? 1 : 0;
            break;
        }
        case OP_NEG:
            break;
        default: {
            int b = st[--sp], a = st[sp - 1], r;
            if (a == POW_MIXED || b == POW_MIXED)
                r = POW_MIXED;
            else if (in->op == OP_ADD || in->op == OP_SUB)
                r = a == POW_NUMBER ? b : b == POW_NUMBER || a == b ? a : POW_MIXED;
            else if (a == POW_NUMBER && b == POW_NUMBER)
                r = POW_NUMBER;
            else
                r = (a == POW_NUMBER ? 0 : a) +
                    (in->op == OP_MUL ? 1 : -1) * (b == POW_NUMBER ? 0 : b);
            st[sp - 1] = r;
        }
        }
    }
    return sp == 1 && st[0] == 1 ? CN_UNIT_MONEY : CN_UNIT_RATIO;
}

int cn_calc_parse(const char *name, const char *formula, const cn_query_events_t *ev,
                  cn_calc_t **out, cn_err_t *err)
{
    if (name == NULL)
        name = "calculated metric";
    if (strlen(formula) > 1024)
        return cn_err_set(err, CN_ETOOBIG, "%.64s: formula longer than 1024 bytes", name);
    cparser_t p = {.name = name, .s = formula, .c = cn_xcalloc(1, sizeof(cn_calc_t)), .err = err};
    expr(&p);
    ws(&p);
    if (p.rc == 0 && p.s[p.pos] != '\0')
        cfail(&p, "unexpected text");
    if (p.rc != 0) {
        free(p.c);
        return p.rc;
    }
    p.c->unit = calc_unit(p.c, ev);
    *out = p.c;
    return 0;
}

cn_unit_t cn_calc_unit(const cn_calc_t *c)
{
    return c->unit;
}

void cn_calc_free(cn_calc_t *c)
{
    free(c);
}

double cn_calc_eval(const cn_calc_t *c, double (*lookup)(void *ud, const char *name), void *ud)
{
    double st[CALC_MAX_OPS];
    size_t sp = 0;
    for (size_t i = 0; i < c->n; i++) {
        const calc_ins_t *in = &c->ins[i];
        switch (in->op) {
        case OP_NUM:
            st[sp++] = in->num;
            break;
        case OP_NAME:
            st[sp++] = lookup(ud, in->name);
            break;
        case OP_NEG:
            st[sp - 1] = -st[sp - 1];
            break;
        default: {
            double b = st[--sp], a = st[sp - 1];
            st[sp - 1] = in->op == OP_ADD   ? a + b
                         : in->op == OP_SUB ? a - b
                         : in->op == OP_MUL ? a * b
                         : b == 0           ? 0
                                            : a / b;
        }
        }
    }
    return sp == 1 ? st[0] : 0;
}

void cn_calc_names(const cn_calc_t *c, void (*fn)(void *ud, const char *name), void *ud)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->ins[i].op == OP_NAME)
            fn(ud, c->ins[i].name);
    }
}
