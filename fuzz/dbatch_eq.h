/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For fuzz targets that compare a fast decoder with its reference: aborts
 * unless two decode results are the same (reason, message, and on success
 * every hit, event, product, variable and context entry, strings by content).
 */
#ifndef CN_FUZZ_DBATCH_EQ_H
#define CN_FUZZ_DBATCH_EQ_H

#include <stdlib.h>
#include <string.h>

#include "process/internal.h"

static void eq_str(cn_str_t a, cn_str_t b)
{
    if (a.len != b.len || (a.len > 0 && memcmp(a.ptr, b.ptr, a.len) != 0))
        abort();
}

static void eq_hit(const cn_dhit_t *a, const cn_dhit_t *b)
{
    if (a->type != b->type || a->events != b->events || a->vid_src != b->vid_src ||
        a->truncated != b->truncated || a->dup_purchase != b->dup_purchase ||
        a->ts_us != b->ts_us || a->has_revenue != b->has_revenue || a->revenue != b->revenue ||
        a->ev_first != b->ev_first || a->ev_count != b->ev_count ||
        a->prod_first != b->prod_first || a->prod_count != b->prod_count ||
        a->var_first != b->var_first || a->var_count != b->var_count ||
        a->ctx_first != b->ctx_first || a->ctx_count != b->ctx_count)
        abort();
    const cn_str_t *sa[] = {&a->page_name, &a->url,         &a->referrer, &a->section,
                            &a->server,    &a->page_type,   &a->link_url, &a->link_name,
                            &a->campaign,  &a->purchase_id, &a->currency, &a->visitor_id,
                            &a->screen,    &a->language};
    const cn_str_t *sb[] = {&b->page_name, &b->url,         &b->referrer, &b->section,
                            &b->server,    &b->page_type,   &b->link_url, &b->link_name,
                            &b->campaign,  &b->purchase_id, &b->currency, &b->visitor_id,
                            &b->screen,    &b->language};
    for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++)
        eq_str(*sa[i], *sb[i]);
}

/* Aborts unless results a (reason ra, message ea) and b are the same. */
static void dbatch_expect_eq(const cn_dbatch_t *a, int ra, const cn_err_t *ea, const cn_dbatch_t *b,
                             int rb, const cn_err_t *eb)
{
    if (ra != rb)
        abort();
    if (ra != 0) {
        if (strcmp(ea->msg, eb->msg) != 0)
            abort();
        return;
    }
    eq_str(a->suites, b->suites);
    if (a->hit_count != b->hit_count || a->event_count != b->event_count ||
        a->prod_count != b->prod_count || a->var_count != b->var_count ||
        a->ctx_count != b->ctx_count)
        abort();
    for (size_t i = 0; i < a->hit_count; i++)
        eq_hit(&a->hits[i], &b->hits[i]);
    for (size_t i = 0; i < a->event_count; i++) {
        const cn_devent_t *x = &a->events[i], *y = &b->events[i];
        if (x->num != y->num || x->flag != y->flag || x->has_value != y->has_value ||
            x->value != y->value || x->product != y->product)
            abort();
        eq_str(x->serial, y->serial);
    }
    for (size_t i = 0; i < a->prod_count; i++) {
        const cn_dprod_t *x = &a->prods[i], *y = &b->prods[i];
        if (x->has_qty != y->has_qty || x->has_price != y->has_price || x->qty != y->qty ||
            x->price != y->price)
            abort();
        eq_str(x->category, y->category);
        eq_str(x->sku, y->sku);
    }
    for (size_t i = 0; i < a->var_count; i++) {
        if (a->vars[i].var != b->vars[i].var || a->vars[i].product != b->vars[i].product)
            abort();
        eq_str(a->vars[i].value, b->vars[i].value);
    }
    for (size_t i = 0; i < a->ctx_count; i++) {
        eq_str(a->ctx[i].key, b->ctx[i].key);
        eq_str(a->ctx[i].value, b->ctx[i].value);
    }
}

#endif
