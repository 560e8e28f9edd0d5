/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/query: the catalogue's definitions, shared by catalog.c
 * (names), request.c (parsing) and report.c (execution).
 */
#ifndef CN_QUERY_INTERNAL_H
#define CN_QUERY_INTERNAL_H

#include "query/query.h"

/* Where a dimension's key comes from. */
typedef enum cn_dimsrc {
    CN_DIMSRC_HIT_COL,    /* a hit column (DICT id or U8/U32 value) */
    CN_DIMSRC_VISIT_COL,  /* a visit column, through the hit's visit */
    CN_DIMSRC_EXIT_PAGE,  /* page of the visit's last page view in the range */
    CN_DIMSRC_NEW_RETURN, /* visit_num == 1 ? "new" : "returning" */
    CN_DIMSRC_HOUR,       /* local hour of day 0..23 */
    CN_DIMSRC_DOW,        /* local day of week, Monday = 0 */
    CN_DIMSRC_VAR,        /* eVarN / propN / listN value (var rows) */
    CN_DIMSRC_ITEM_COL,   /* product / category (item rows) */
    CN_DIMSRC_ITEM_MERCH, /* merchN: the merchandising eVar N value bound to each item row
                             (var rows CN_VAR_MERCH naming the item) */
} cn_dimsrc_t;

/* How a U8 column's values are named. */
typedef enum cn_dimenum {
    CN_DIMENUM_NONE = 0,
    CN_DIMENUM_REF_TYPE,
    CN_DIMENUM_DEVICE,
    CN_DIMENUM_HIT_TYPE,
    CN_DIMENUM_BOOL,
} cn_dimenum_t;

struct cn_dim_def {
    const char *name;
    const char *title;
    cn_dimsrc_t src;
    cn_store_col_t col;  /* HIT_COL, VISIT_COL, ITEM_COL */
    cn_dimenum_t names;  /* U8 columns */
    uint32_t var_family; /* VAR: CN_VAR_EVAR... */
    int max_arg;         /* VAR, ITEM_MERCH: highest N (0: the dimension takes no number) */
};

/* Units, for formatting and for the API's "type" of a metric. */
typedef enum cn_unit {
    CN_UNIT_COUNT,
    CN_UNIT_MONEY,   /* base currency */
    CN_UNIT_PERCENT, /* 0..100 */
    CN_UNIT_SECONDS,
    CN_UNIT_RATIO,
} cn_unit_t;

/* Base measures every aggregation keeps per key. */
enum {
    CN_M_HITS,
    CN_M_PAGEVIEWS,
    CN_M_VISITS,
    CN_M_VISITORS,
    CN_M_BOUNCES,
    CN_M_ENTRIES,
    CN_M_EXITS,
    CN_M_DURATION_US, /* sum of visit durations (first to last hit in range) */
    CN_M_ORDERS,
    CN_M_REVENUE, /* fixed point, CN_MONEY_SCALE */
    CN_M_UNITS,
    CN_M_CART_ADDS,
    CN_M_CHECKOUTS,
    CN_M_PROD_VIEWS,
    CN_M_ORDER_VISITS, /* visits with at least one order */
    CN_M_TOP_US,       /* time on page: sum of the gaps from a page view to its visit's next hit */
    CN_M_TOP_VIEWS,    /* time on page: page views that have a next hit in their visit */
    CN_M_BASE_COUNT,
};

struct cn_metric_def {
    const char *name;
    const char *title;
    cn_unit_t unit;
    int num, den;  /* value = base[num] / base[den] (den -1: base[num]) */
    double scale;  /* multiplied in: 100 for percent, 1e-6 for µs -> s, 1/CN_MONEY_SCALE */
    bool is_event; /* eventN: base index is a per-request extra slot */
};

const cn_dim_def_t *cn_query__dims(size_t *count);
/* The unit of metric def (number arg) in a suite whose events are ev (NULL: none is money):
 * def's own, except that a currency event (eventN, type=currency) is money. */
cn_unit_t cn_query__metric_unit(const cn_metric_def_t *def, int arg, const cn_query_events_t *ev);
const cn_metric_def_t *cn_query__metrics(size_t *count);
/* The name of dimension d with number arg as the catalogue spells it ("evar3",
 * "merch4"; "page" for a dimension without a number), in out (32 bytes are enough). */
void cn_query__dim_name(const cn_dim_def_t *d, int arg, char *out, size_t n);
/*
 * Whether dimension d can have several values on one hit: listN (one var row per value),
 * product, category and merchN (one value per item row). The one rule for every query that
 * needs one value per hit: paths refuse such a dimension (cn_query__paths_dim), entries, exits
 * and time_on_page cannot be broken down by it (report.c's item mode), and the catalogue says
 * so ("multi").
 */
bool cn_query__dim_is_multi(const cn_dim_def_t *d);
/*
 * Whether paths can follow dimension d (number arg, for the message): 0 when it has a text
 * value (a dictionary) and one value per hit, else CN_EINVAL with a message in err (NULL: not
 * wanted) that names the dimension and what to use instead. flow.c refuses a paths request
 * with it and the catalogue's "paths" reads it.
 */
int cn_query__paths_dim(const cn_dim_def_t *d, int arg, cn_err_t *err);
/* Name of value v of a U8 enum dimension (static), or NULL. */
const char *cn_query__enum_name(cn_dimenum_t e, unsigned v);
/*
 * A yes/no parameter (bots, empty): "1", "true" or "yes" is true, "0", "false" or "no"
 * false; anything else is CN_EINVAL naming the parameter (a misspelt value is never read as
 * one or the other). NULL leaves *out as it is.
 */
int cn_query__flag(const char *name, const char *value, bool *out, cn_err_t *err);

/* Calculated metrics: a formula over metric names, + - * / and parentheses. */
typedef struct cn_calc cn_calc_t;
/* Parses formula; an error message begins with name ("calc.rpv: unknown metric 'x' at position
 * 0"; NULL: "calculated metric"). Numbers are decimal only (100, 0.5): no hex, no exponent.
 * ev says which events are money (NULL: none), for the result's unit (cn_calc_unit). */
int cn_calc_parse(const char *name, const char *formula, const cn_query_events_t *ev,
                  cn_calc_t **out, cn_err_t *err);
void cn_calc_free(cn_calc_t *c);
/* Evaluates with lookup(name) giving each metric's value; division by 0 gives 0. */
double cn_calc_eval(const cn_calc_t *c, double (*lookup)(void *ud, const char *name), void *ud);
/* Calls fn for each metric name the formula uses. */
void cn_calc_names(const cn_calc_t *c, void (*fn)(void *ud, const char *name), void *ud);
/* The unit of the formula's result: CN_UNIT_MONEY when it is an amount of money (revenue /
 * visits, aov * orders, event10 / orders for a currency event: calc.c says how that is told),
 * else CN_UNIT_RATIO. */
cn_unit_t cn_calc_unit(const cn_calc_t *c);

/* A number as every JSON answer writes it (reports, funnels, paths: docs/api.md "Numbers"):
 * whole counts as integers, money to 4 decimals, anything else (percentages) to 10
 * significant digits, trailing zeros dropped; null when not finite. */
void cn_query__json_number(cn_buf_t *out, double v, cn_unit_t unit);

#endif
