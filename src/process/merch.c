/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Merchandising eVar bindings (Adobe's product syntax, docs/processing.md
 * "Merchandising eVars"): per visitor, (eVar N, product SKU) -> value, set
 * when a products string gives eVarN for that SKU (with eVar N's allocation:
 * most recent, a new value replaces the old; original, the first value stays
 * until the binding ends), ending with eVar N's configured expiry
 * (visit, hit, N days, event, never). A later hit whose products string
 * lists the SKU without its own eVarN gets a CN_VAR_MERCH row for that item
 * with the bound value, so that the item's units and revenue are credited
 * to the value the product was found with.
 *
 * State: a 16-byte list header per visitor ordinal, each list sorted by
 * (eVar, SKU hash), at most CN_MERCH_MAX entries (the oldest set is
 * dropped). A SKU is known by its 64-bit XXH3 hash (an item is matched with
 * a binding by it), a value by its id in the suite's value pool; the
 * checkpoint keeps both, so a restart and a reprocess emit the same rows.
 * A bit in the visitor's record (cn_visitor_t.merch, kept here) tells
 * process.c whether the visitor has bindings: a hit that binds nothing, of a
 * visitor without any, does not come here (nor load its list header).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib/xalloc.h"
#include "process/internal.h"

typedef struct cn_merch_bind {
    uint64_t fp;        /* sku_fp() of the SKU */
    int64_t set_ts;     /* when it was set */
    uint32_t val;       /* pool id of the value */
    uint32_t set_visit; /* the visitor's visit number then */
    uint16_t evar;      /* N of eVarN */
} cn_merch_bind_t;

/* The SKU's identity within a visitor's bindings: items are matched by it, and the
 * checkpoint keeps it, so SKUs never go into the value pool (a hash-table probe per binding). */
static inline uint64_t sku_fp(cn_str_t s)
{
    return XXH3_64bits_withSeed(s.ptr ? s.ptr : "", s.len, 0x6d65726368);
}

typedef struct cn_merch_list {
    uint16_t count, cap;
    uint32_t checked_visit; /* the visit number its visit-scoped bindings were expired for */
    cn_merch_bind_t *b;     /* sorted by (evar, fp) */
} cn_merch_list_t;

struct cn_merch {
    cn_merch_list_t *lists; /* by visitor ordinal (cn_xmalloc_huge: read at random) */
    size_t list_len;
    uint64_t (*mask)[4]; /* scratch: per item of a hit, the eVars it gives itself (bit N) */
    size_t mask_cap;
    cn_bpool_t pool; /* the lists' first arrays (cn__bpool_grow) */
    bool any_days;   /* some eVar expires after N days: expiry is checked on every hit */
    bool any_event;  /* some eVar expires on an event */
};

static cn_merch_t *merch_of(cn_suite_state_t *s)
{
    if (s->merch == NULL) {
        cn_merch_t *m = s->merch = cn_xcalloc(1, sizeof(*s->merch));
        cn__bpool_init(&m->pool, CN_BPOOL_CAP * sizeof(cn_merch_bind_t));
        for (int n = 1; n <= 250; n++) {
            m->any_days |= s->evar[n].exp == CN_EXP_DAYS;
            m->any_event |= s->evar[n].exp == CN_EXP_EVENT;
        }
    }
    return s->merch;
}

void cn__merch_free(cn_merch_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->list_len; i++) {
        if (m->lists[i].cap > CN_BPOOL_CAP)
            free(m->lists[i].b); /* the pool's blocks go with its chunks */
    }
    cn__bpool_dispose(&m->pool);
    free(m->lists);
    free(m->mask);
    free(m);
}

static cn_merch_list_t *list_of(const cn_merch_t *m, uint32_t vord)
{
    if (m == NULL || vord >= m->list_len)
        return NULL;
    return &m->lists[vord];
}

void cn__merch_prefetch(const cn_suite_state_t *s, uint32_t vord)
{
    const cn_merch_t *m = s->merch;
    if (m != NULL && vord < m->list_len)
        __builtin_prefetch(&m->lists[vord], 1);
}

void cn__merch_prefetch_binds(const cn_suite_state_t *s, uint32_t vord)
{
    const cn_merch_list_t *l = list_of(s->merch, vord);
    if (l != NULL && l->b != NULL)
        __builtin_prefetch(l->b);
}

static cn_merch_list_t *list_make(cn_suite_state_t *s, uint32_t vord)
{
    cn_merch_t *m = merch_of(s);
    if (vord >= m->list_len) {
        size_t n = m->list_len ? m->list_len : 1024;
        while (n <= vord)
            n *= 2;
        cn_merch_list_t *nl = cn_xmalloc_huge(n * sizeof(*nl), true);
        if (m->list_len > 0)
            memcpy(nl, m->lists, m->list_len * sizeof(*nl));
        free(m->lists);
        m->lists = nl;
        m->list_len = n;
    }
    return &m->lists[vord];
}

static void list_remove(cn_merch_list_t *l, size_t i)
{
    memmove(&l->b[i], &l->b[i + 1], (l->count - i - 1) * sizeof(l->b[0]));
    l->count--;
}

/* The index of (evar, fp) in l, or where it would go; *found tells which. */
static size_t find(const cn_merch_list_t *l, uint16_t evar, uint64_t fp, bool *found)
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const cn_merch_bind_t *e = &l->b[mid];
        if (e->evar < evar || (e->evar == evar && e->fp < fp))
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < l->count && l->b[lo].evar == evar && l->b[lo].fp == fp;
    return lo;
}

/* Sets (evar, SKU) -> val at lo (from find()): replaces the value in force (found), or
 * inserts in order, dropping the oldest set binding when the list is full. */
static void bind_at(cn_merch_t *m, cn_merch_list_t *l, size_t lo, bool found, cn_merch_bind_t nb)
{
    if (found) {
        l->b[lo] = nb;
        return;
    }
    if (l->count == CN_MERCH_MAX) {
        size_t old = 0;
        for (size_t i = 1; i < l->count; i++) {
            if (l->b[i].set_ts < l->b[old].set_ts)
                old = i;
        }
        list_remove(l, old);
        if (old < lo)
            lo--;
    }
    if (l->count == l->cap)
        l->b =
            cn__bpool_grow(&m->pool, l->b, sizeof(*l->b), l->count, &l->cap, (size_t)l->count + 1);
    if (lo < l->count) /* (a new SKU of a list of one eVar goes anywhere) */
        memmove(&l->b[lo + 1], &l->b[lo], (l->count - lo) * sizeof(l->b[0]));
    l->b[lo] = nb;
    l->count++;
}

int cn__merch_restore(cn_suite_state_t *s, uint32_t vord, unsigned evar, uint64_t sku_fp,
                      uint32_t val, int64_t set_ts, uint32_t set_visit)
{
    if (evar < 1 || evar > 250 || val >= s->pool_count)
        return -1;
    cn_merch_list_t *l = list_make(s, vord);
    if (l->count == CN_MERCH_MAX)
        return -1;
    bool found;
    size_t at = find(l, (uint16_t)evar, sku_fp, &found);
    bind_at(s->merch, l, at, found,
            (cn_merch_bind_t){sku_fp, set_ts, val, set_visit, (uint16_t)evar});
    cn__vis_at(s, vord)->merch = 1;
    return 0;
}

/* A binding of this visitor that can never be used again: an eVar that ends with its visit,
 * set in an earlier one (visit numbers only grow). */
static bool dead(const cn_suite_state_t *s, const cn_visitor_t *v, const cn_merch_bind_t *e)
{
    return s->evar[e->evar].exp == CN_EXP_VISIT && e->set_visit != v->visit_num;
}

void cn__merch_put(const cn_suite_state_t *s, uint32_t vord, cn_buf_t *b)
{
    const cn_merch_list_t *l = list_of(s->merch, vord);
    const cn_visitor_t *v = cn__vis_at(s, vord);
    size_t live = 0;
    for (size_t i = 0; l != NULL && i < l->count; i++)
        live += !dead(s, v, &l->b[i]);
    cn_buf_put_varint(b, live);
    for (size_t i = 0; live > 0 && i < l->count; i++) {
        const cn_merch_bind_t *e = &l->b[i];
        if (dead(s, v, e))
            continue;
        cn_buf_put_varint(b, e->evar);
        cn_buf_put_varint(b, e->fp);
        cn_buf_put_varint(b, e->val);
        cn_buf_put_varint(b, ((uint64_t)e->set_ts << 1) ^ (uint64_t)(e->set_ts >> 63));
        cn_buf_put_varint(b, e->set_visit);
    }
}

/* True when eVar config c ends on a hit with these events (as the visitor's eVars do). */
static bool ends_on(const cn_evar_conf_t *c, const cn_dbatch_t *b, const cn_dhit_t *h,
                    uint8_t events, const int64_t *ev_val)
{
    if (c->exp != CN_EXP_EVENT)
        return false;
    if (c->exp_flag != 0 && (events & c->exp_flag) != 0)
        return true;
    for (uint32_t k = 0; c->exp_event != 0 && k < h->ev_count; k++) {
        if (b->events[h->ev_first + k].num == c->exp_event && ev_val[k] != CN_EV_REPEAT)
            return true;
    }
    return false;
}

int cn__merch_hit(cn_process_t *p, cn_suite_state_t *s, uint32_t vord, const cn_dbatch_t *b,
                  const cn_dhit_t *h, uint32_t hid, int64_t ts, uint8_t events,
                  const int64_t *ev_val, uint32_t own)
{
    cn_merch_list_t *l = list_of(s->merch, vord);
    cn_visitor_t *v = cn__vis_at(s, vord);
    bool explicit = own < h->var_count && h->prod_count > 0;
    if ((l == NULL || l->count == 0) && !explicit) {
        v->merch = 0;
        return 0;
    }

    /* 1. Bindings that expired before this hit (visit end, N days; hit-scoped ones are never
     * kept), as evars_expire_before does for the visitor's eVars. Once per visit unless some
     * eVar expires after N days: the bindings made since are this visit's. */
    bool check = l != NULL && l->count > 0 &&
                 (l->checked_visit != v->visit_num || (s->merch != NULL && s->merch->any_days));
    if (l != NULL)
        l->checked_visit = v->visit_num;
    for (size_t i = check ? l->count : 0; i > 0; i--) {
        const cn_merch_bind_t *e = &l->b[i - 1];
        const cn_evar_conf_t *c = &s->evar[e->evar];
        if ((c->exp == CN_EXP_VISIT && e->set_visit != v->visit_num) ||
            (c->exp == CN_EXP_DAYS && ts >= e->set_ts + c->exp_us) || c->exp == CN_EXP_HIT)
            list_remove(l, i - 1);
    }

    /* 2. The hit's own values: bound to their SKU, and marked so that the item gets no
     * carried row for that eVar (its own row is written already). */
    cn_merch_t *m = s->merch;
    if (explicit) {
        m = merch_of(s);
        if (h->prod_count > m->mask_cap) {
            m->mask_cap = h->prod_count;
            m->mask = cn_xrealloc(m->mask, m->mask_cap * sizeof(*m->mask));
        }
        for (uint32_t k = 0; k < h->prod_count; k++) /* (most hits have one product) */
            m->mask[k][0] = m->mask[k][1] = m->mask[k][2] = m->mask[k][3] = 0;
        for (uint32_t i = own; i < h->var_count; i++) {
            const cn_dvar_t *dv = &b->vars[h->var_first + i];
            if (dv->product < 0 || (dv->var & CN_VAR_FAMILY_MASK) != CN_VAR_EVAR ||
                (uint32_t)dv->product >= h->prod_count)
                continue;
            unsigned n = dv->var & 0xffff;
            m->mask[dv->product][n >> 6] |= 1ull << (n & 63);
            if (dv->value.len == 0 || s->evar[n].exp == CN_EXP_HIT)
                continue;
            uint64_t fp = sku_fp(b->prods[h->prod_first + (uint32_t)dv->product].sku);
            l = list_make(s, vord); /* may move the lists */
            bool found;
            size_t at = find(l, (uint16_t)n, fp, &found);
            if (found && s->evar[n].alloc == CN_ALLOC_ORIGINAL)
                continue; /* the first value stays until it expires */
            uint32_t vid = UINT32_MAX;
            /* the value's pool id without hashing when the visitor has it at hand: its eVar N
             * in force (this hit set it) */
            for (size_t j = 0; j < v->evar_count && vid == UINT32_MAX; j++) {
                if (v->evars[j].num == n &&
                    cn_str_eq_short(cn__pool_get(s, v->evars[j].str), dv->value))
                    vid = v->evars[j].str;
            }
            if (vid == UINT32_MAX)
                vid = cn__pool_intern(s, dv->value);
            bind_at(m, l, at, found, (cn_merch_bind_t){fp, ts, vid, v->visit_num, (uint16_t)n});
        }
    }

    /* 3. Carried rows: each item whose SKU is bound, for each bound eVar it does not give
     * itself, in products order, then eVar order. */
    for (uint32_t k = 0; l != NULL && l->count > 0 && k < h->prod_count; k++) {
        unsigned only = l->b[0].evar == l->b[l->count - 1].evar ? l->b[0].evar : 0;
        if (explicit && only != 0 && (m->mask[k][only >> 6] >> (only & 63) & 1))
            continue; /* the one eVar bound: the item gives it itself */
        uint64_t fp = sku_fp(b->prods[h->prod_first + k].sku);
        for (size_t i = 0; i < l->count; i++) {
            const cn_merch_bind_t *e = &l->b[i];
            if (e->fp != fp || (explicit && (m->mask[k][e->evar >> 6] >> (e->evar & 63) & 1)))
                continue;
            cn_var_row_t vr = {
                .hit = hid, .var = cn_var_merch(e->evar, k), .value = cn__pool_get(s, e->val)};
            int rc = s->sink.var(s->sink.ud, &vr);
            if (rc != 0)
                return rc;
            p->stats.vars++;
        }
    }

    /* 4. After the hit: bindings of eVars that end on one of its events. */
    bool ev = l != NULL && m != NULL && m->any_event && (events != 0 || h->ev_count > 0);
    for (size_t i = ev ? l->count : 0; i > 0; i--) {
        if (ends_on(&s->evar[l->b[i - 1].evar], b, h, events, ev_val))
            list_remove(l, i - 1);
    }
    v->merch = l != NULL && l->count > 0;
    return 0;
}
