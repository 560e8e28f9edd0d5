/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ranked and trended reports: one pass over the hits (or the items) of the
 * range, keys from the requested dimensions, base measures accumulated per
 * key, then metrics derived from the measures (catalog.c), sorted, limited
 * and joined with the comparison period.
 *
 * Exact distinct counts: visits per key are distinct (key, visit) pairs and
 * unique visitors distinct (key, visitor) pairs, kept in hash sets; the
 * totals use bitsets over the dense visit and visitor ordinals. Visit-level
 * measures (bounce, duration, conversion, entry, exit) are gathered per
 * visit during the pass and credited to the visit's keys after it, because
 * a visit's last hit is only known at the end.
 *
 * Visit duration by time: a visit's time runs from each selected hit to its
 * next selected hit, and belongs to the earlier hit (Adobe's time spent, as
 * time on page). A key's time part (trend bucket, hour, day of week) gets
 * only the time of the visit's hits in it, so a visit over midnight adds up
 * to its duration over the days instead of counting whole on each. While a
 * visit's hits keep one time part (a run) only the run's start is kept; a
 * run that ends is added to a small map by (visit, time part) (spans_t).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/xalloc.h"
#include "query/internal.h"
#include "query/scan.h"

#define NONE32 UINT32_MAX

/* --- Hash map u64 -> u32 and hash set of u64 (open addressing) --- */

typedef struct hmap {
    uint64_t *keys; /* key + 1; 0 = empty slot */
    uint32_t *vals;
    size_t cap, count;
} hmap_t;

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void hmap_grow(hmap_t *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    uint64_t *nk = cn_xcalloc(ncap, 8);
    uint32_t *nv = m->vals || m->cap == 0 ? cn_xmalloc(ncap * 4) : NULL;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0)
            continue;
        size_t j = mix64(m->keys[i]) & (ncap - 1);
        while (nk[j] != 0)
            j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i];
        if (nv)
            nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
}

/* Finds key; when absent inserts it with value *val and returns false. */
static bool hmap_get_or_put(hmap_t *m, uint64_t key, uint32_t *val)
{
    if ((m->count + 1) * 4 >= m->cap * 3)
        hmap_grow(m);
    uint64_t k = key + 1;
    size_t j = mix64(k) & (m->cap - 1);
    while (m->keys[j] != 0) {
        if (m->keys[j] == k) {
            if (m->vals)
                *val = m->vals[j];
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = k;
    if (m->vals)
        m->vals[j] = *val;
    m->count++;
    return false;
}

static bool hmap_find(const hmap_t *m, uint64_t key, uint32_t *val)
{
    if (m->cap == 0)
        return false;
    uint64_t k = key + 1;
    size_t j = mix64(k) & (m->cap - 1);
    while (m->keys[j] != 0) {
        if (m->keys[j] == k) {
            *val = m->vals[j];
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return false;
}

static void hmap_free(hmap_t *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* A set: a map without values (hmap_grow keeps vals NULL once keys exist). */
static void hset_init(hmap_t *m)
{
    memset(m, 0, sizeof(*m));
    m->cap = 1024;
    m->keys = cn_xcalloc(m->cap, 8);
}

/* --- Visit time by time part: (visit index, time part) -> microseconds --- */

typedef struct spans {
    uint64_t *vis; /* visit index + 1; 0 = empty slot */
    uint64_t *tk;  /* time part of a key (plan_t time_mask) */
    int64_t *us;
    size_t cap, count;
} spans_t;

static inline size_t spans_slot(const spans_t *m, uint64_t vi, uint64_t tk)
{
    return mix64(tk * 0x9e3779b97f4a7c15ULL ^ (vi + 1)) & (m->cap - 1);
}

static void spans_add(spans_t *m, uint64_t vi, uint64_t tk, int64_t us)
{
    if (us == 0)
        return;
    if ((m->count + 1) * 4 >= m->cap * 3) {
        spans_t n = {.cap = m->cap ? m->cap * 2 : 256};
        n.vis = cn_xcalloc(n.cap, 8);
        n.tk = cn_xmalloc(n.cap * 8);
        n.us = cn_xmalloc(n.cap * 8);
        for (size_t i = 0; i < m->cap; i++) {
            if (m->vis[i] == 0)
                continue;
            size_t j = spans_slot(&n, m->vis[i] - 1, m->tk[i]);
            while (n.vis[j] != 0)
                j = (j + 1) & (n.cap - 1);
            n.vis[j] = m->vis[i];
            n.tk[j] = m->tk[i];
            n.us[j] = m->us[i];
        }
        n.count = m->count;
        free(m->vis);
        free(m->tk);
        free(m->us);
        *m = n;
    }
    size_t j = spans_slot(m, vi, tk);
    while (m->vis[j] != 0) {
        if (m->vis[j] == vi + 1 && m->tk[j] == tk) {
            m->us[j] += us;
            return;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->vis[j] = vi + 1;
    m->tk[j] = tk;
    m->us[j] = us;
    m->count++;
}

static int64_t spans_get(const spans_t *m, uint64_t vi, uint64_t tk)
{
    if (m->count == 0)
        return 0;
    for (size_t j = spans_slot(m, vi, tk); m->vis[j] != 0; j = (j + 1) & (m->cap - 1)) {
        if (m->vis[j] == vi + 1 && m->tk[j] == tk)
            return m->us[j];
    }
    return 0;
}

static void spans_free(spans_t *m)
{
    free(m->vis);
    free(m->tk);
    free(m->us);
    memset(m, 0, sizeof(*m));
}

/* --- Aggregation state --- */

typedef struct agg {
    size_t nm;       /* measures per key: base + events */
    hmap_t map;      /* key -> acc index (when not dense) */
    uint32_t *dense; /* key -> acc index (single small key) */
    uint32_t dense_len;
    uint64_t *keyv; /* acc index -> key */
    int64_t *acc;   /* nacc x nm */
    size_t nacc, cap;
    int64_t *tot;             /* nm */
    hmap_t visit_pairs;       /* (acc << 32 | visit index) */
    hmap_t visitor_pairs;     /* (acc << 32 | visitor) */
    uint64_t *acc_seen_visit; /* visit-level keys: one key per visit, no pair set needed */
    uint64_t **vbits;         /* few keys: a bitset of visitors per acc instead of visitor_pairs */
    size_t vbits_words, vbits_len;
    uint64_t **wbits; /* few keys: a bitset of visit indexes per acc instead of visit_pairs */
    size_t wbits_words, wbits_len;
} agg_t;

/* Per-visit state gathered during a pass (arrays by visit index). */
typedef struct vstate {
    uint64_t *seen; /* bitset */
    uint32_t *pv;   /* page views in the selection */
    int64_t *first_ts, *last_ts;
    uint8_t *order; /* has an order */
    uint32_t *entry_acc, *exit_acc;
    uint32_t *visit_acc; /* visit-level key: the visit's acc */
    uint64_t *visitor_seen;
    /* time on page (any hit of the range, selected or not, closes a page view's gap) */
    uint64_t *top_seen;   /* bitset: the visit had a hit in this run */
    int64_t *top_first;   /* ts of the visit's first hit in this run */
    int64_t *top_pend_ts; /* ts of the visit's last selected page view still open */
    uint32_t *top_pend;   /* its acc, NONE32 when none is open */
    /* visit duration by time part (plan_t time_mask): the time part of the visit's current
     * run of hits and the run's first hit; the time of runs that ended */
    uint64_t *run_tk;
    int64_t *run_ts;
    spans_t spans;
    uint64_t *split; /* bitset: visits with an ended run (in spans) */
} vstate_t;

typedef struct plan {
    const cn_report_req_t *req;
    cn_field_t fields[CN_REPORT_MAX_DIMS]; /* non-trend keys */
    size_t field_count;
    bool item_mode;                      /* an item dimension (product, category, merchN): */
    int item_fields[CN_REPORT_MAX_DIMS]; /* rows are items; which fields are item ones */
    size_t item_count;
    bool list_mode;   /* item_mode for a list dimension (listN): rows are the hits' list values,
                         item_fields[0] its field (list_pass) */
    bool visit_level; /* every key is constant within a visit */
    bool need[CN_M_BASE_COUNT];
    int events[CN_REPORT_MAX_METRICS]; /* eventN numbers, in slot order */
    size_t event_count;
    bool need_ts, need_money;
    bool need_top; /* time on page: every hit of the range is walked */
    bool additive; /* only hit-additive measures: no per-visit or per-visitor state */
    /* additive, and every metric asked for is made of orders, revenue and
     * units: only the commerce rows of a segment (cn_scan_orders) add to them */
    bool orders_only;
    bool visit_keys; /* every field is constant within a visit (and there is no trend) */
    /* visit-level keys, and only visits, visitors, order visits and commerce
     * sums asked for: a visit counts once, whatever its hits (visits_pass) */
    bool by_visits;
    bool by_visits_trend; /* by_visits for a day/week/month trend without dimensions */
    /* hits and page views by one text hit column: counted in flat arrays by id */
    bool count_only;
    uint64_t key_bound[CN_REPORT_MAX_DIMS + 1]; /* exclusive bound of each key part, 0 unknown */
    /* the bits of a key that are its time parts (trend bucket, hour, day_of_week); with
     * visit_duration asked for, a visit's time is credited by time part (vstate_t run_tk) */
    uint64_t time_mask;
} plan_t;

static void agg_init(agg_t *a, const plan_t *pl)
{
    memset(a, 0, sizeof(*a));
    a->nm = CN_M_BASE_COUNT + pl->event_count;
    a->tot = cn_xcalloc(a->nm, 8);
    size_t nkeys = pl->field_count + (pl->req->gran != CN_GRAN_NONE);
    if (nkeys == 0 || (nkeys == 1 && pl->key_bound[0] > 0 && pl->key_bound[0] <= (1u << 24))) {
        a->dense_len = nkeys == 0 ? 1 : (uint32_t)pl->key_bound[0];
        a->dense = cn_xmalloc(a->dense_len * 4 + 4);
        memset(a->dense, 0xff, a->dense_len * 4 + 4);
    }
    a->map.cap = 1024;
    a->map.keys = cn_xcalloc(a->map.cap, 8);
    a->map.vals = cn_xmalloc(a->map.cap * 4);
    if (pl->need[CN_M_VISITS] && !pl->visit_level)
        hset_init(&a->visit_pairs);
    if (pl->need[CN_M_VISITORS])
        hset_init(&a->visitor_pairs);
}

/* With few possible keys, distinct (key, visitor) pairs are bits in one
 * bitset per key (allocated when the key first appears): no hashing. */
#define VBITS_MAX_KEYS  4096
#define VBITS_MAX_BYTES ((uint64_t)128 << 20)

static uint64_t few_keys(const plan_t *pl)
{
    uint64_t keys = 1;
    size_t nkeys = pl->field_count + (pl->req->gran != CN_GRAN_NONE);
    for (size_t i = 0; i < nkeys; i++) {
        if (pl->key_bound[i] == 0 || pl->key_bound[i] > VBITS_MAX_KEYS)
            return 0;
        keys *= pl->key_bound[i];
        if (keys > VBITS_MAX_KEYS)
            return 0;
    }
    return keys;
}

static void agg_init_vbits(agg_t *a, const plan_t *pl, size_t visitor_count, size_t visit_count)
{
    uint64_t keys = few_keys(pl);
    if (keys == 0)
        return;
    size_t words = (visitor_count + 63) / 64 + 1;
    if (pl->need[CN_M_VISITORS] && keys * words * 8 <= VBITS_MAX_BYTES) {
        a->vbits_words = words;
        a->vbits_len = (size_t)keys;
        a->vbits = cn_xcalloc(keys, sizeof(*a->vbits));
    }
    words = (visit_count + 63) / 64 + 1;
    if (pl->need[CN_M_VISITS] && !pl->visit_level && keys * words * 8 <= VBITS_MAX_BYTES) {
        a->wbits_words = words;
        a->wbits_len = (size_t)keys;
        a->wbits = cn_xcalloc(keys, sizeof(*a->wbits));
    }
}

static void agg_free(agg_t *a)
{
    hmap_free(&a->map);
    free(a->dense);
    free(a->keyv);
    free(a->acc);
    free(a->tot);
    hmap_free(&a->visit_pairs);
    hmap_free(&a->visitor_pairs);
    for (size_t i = 0; i < a->vbits_len; i++)
        free(a->vbits[i]);
    free(a->vbits);
    for (size_t i = 0; i < a->wbits_len; i++)
        free(a->wbits[i]);
    free(a->wbits);
    memset(a, 0, sizeof(*a));
}

static uint32_t acc_new(agg_t *a, uint64_t key)
{
    if (a->nacc == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->keyv = cn_xrealloc(a->keyv, a->cap * 8);
        a->acc = cn_xrealloc(a->acc, a->cap * a->nm * 8);
    }
    uint32_t idx = (uint32_t)a->nacc++;
    a->keyv[idx] = key;
    memset(a->acc + (size_t)idx * a->nm, 0, a->nm * 8);
    return idx;
}

static inline uint32_t acc_of(agg_t *a, uint64_t key)
{
    if (a->dense != NULL && key < a->dense_len) {
        uint32_t idx = a->dense[key];
        if (idx == NONE32)
            idx = a->dense[key] = acc_new(a, key);
        return idx;
    }
    uint32_t idx = (uint32_t)a->nacc;
    if (!hmap_get_or_put(&a->map, key, &idx))
        acc_new(a, key);
    return idx;
}

static void vstate_init(vstate_t *v, const cn_scan_t *s, const plan_t *pl)
{
    memset(v, 0, sizeof(*v));
    size_t n = s->visit_count ? s->visit_count : 1;
    v->seen = cn_xcalloc((n + 63) / 64 + 1, 8);
    /* page views per visit: for bounces, entries and exits only */
    if (pl->need[CN_M_BOUNCES] || pl->need[CN_M_ENTRIES] || pl->need[CN_M_EXITS])
        v->pv = cn_xcalloc(n, 4);
    if (pl->need[CN_M_DURATION_US]) {
        v->first_ts = cn_xcalloc(n, 8);
        v->last_ts = cn_xcalloc(n, 8);
        if (pl->time_mask != 0) {
            v->run_tk = cn_xcalloc(n, 8);
            v->run_ts = cn_xcalloc(n, 8);
            v->split = cn_xcalloc((n + 63) / 64 + 1, 8);
        }
    }
    v->order = cn_xcalloc(n, 1);
    if (pl->need[CN_M_ENTRIES] || pl->need[CN_M_EXITS]) {
        v->entry_acc = cn_xmalloc(n * 4);
        v->exit_acc = cn_xmalloc(n * 4);
        memset(v->entry_acc, 0xff, n * 4);
        memset(v->exit_acc, 0xff, n * 4);
    }
    if (pl->visit_level) {
        v->visit_acc = cn_xmalloc(n * 4);
        memset(v->visit_acc, 0xff, n * 4);
    }
    v->visitor_seen = cn_xcalloc((s->visitor_count + 63) / 64 + 1, 8);
    if (pl->need_top) {
        v->top_seen = cn_xcalloc((n + 63) / 64 + 1, 8);
        v->top_first = cn_xmalloc(n * 8);
        v->top_pend_ts = cn_xmalloc(n * 8);
        v->top_pend = cn_xmalloc(n * 4);
        memset(v->top_pend, 0xff, n * 4);
    }
}

static void vstate_free(vstate_t *v)
{
    free(v->seen);
    free(v->pv);
    free(v->first_ts);
    free(v->last_ts);
    free(v->order);
    free(v->entry_acc);
    free(v->exit_acc);
    free(v->visit_acc);
    free(v->visitor_seen);
    free(v->top_seen);
    free(v->top_first);
    free(v->top_pend_ts);
    free(v->top_pend);
    free(v->run_tk);
    free(v->run_ts);
    spans_free(&v->spans);
    free(v->split);
}

/* --- Planning --- */

static void need_metric(plan_t *pl, const cn_metric_def_t *m)
{
    if (m->num >= 0)
        pl->need[m->num] = true;
    if (m->den >= 0)
        pl->need[m->den] = true;
}

static int event_slot(plan_t *pl, int num)
{
    for (size_t i = 0; i < pl->event_count; i++) {
        if (pl->events[i] == num)
            return (int)i;
    }
    pl->events[pl->event_count] = num;
    return (int)pl->event_count++;
}

static void need_by_name(void *ud, const char *name)
{
    plan_t *pl = ud;
    int arg;
    const cn_metric_def_t *m = cn_metric_find(cn_str_c(name), &arg);
    if (m != NULL && m->is_event)
        event_slot(pl, arg);
    else if (m != NULL)
        need_metric(pl, m);
}

/* Number of trend buckets of a range. */
static uint64_t bucket_count(cn_gran_t g, int32_t from, int32_t to)
{
    int y0, m0, d0, y1, m1, d1;
    switch (g) {
    case CN_GRAN_HOUR:
        return (uint64_t)(to - from + 1) * 24;
    case CN_GRAN_DAY:
        return (uint64_t)(to - from + 1);
    case CN_GRAN_WEEK: {
        int32_t monday = from - (((from % 7) + 7 + 3) % 7);
        return (uint64_t)((to - monday) / 7 + 1);
    }
    case CN_GRAN_MONTH:
        cn_store_day_to_ymd(from, &y0, &m0, &d0);
        cn_store_day_to_ymd(to, &y1, &m1, &d1);
        return (uint64_t)((y1 * 12 + m1) - (y0 * 12 + m0) + 1);
    default:
        return 0;
    }
}

static int plan_build(plan_t *pl, const cn_report_req_t *req, const cn_store_snap_t *snap,
                      cn_err_t *err)
{
    memset(pl, 0, sizeof(*pl));
    pl->req = req;
    pl->visit_level = true;
    size_t kp = 0;
    if (req->gran != CN_GRAN_NONE) {
        pl->need_ts = true;
        pl->visit_level = false;
        pl->key_bound[kp++] = bucket_count(req->gran, req->from_day, req->to_day);
    }
    for (size_t i = 0; i < req->dim_count; i++) {
        cn_field_t *f = &pl->fields[pl->field_count++];
        f->dim = req->dims[i].def;
        f->arg = req->dims[i].arg;
        cn_dimsrc_t src = f->dim->src;
        if (cn_query__dim_is_multi(f->dim)) {
            pl->item_mode = true;
            pl->list_mode |= src == CN_DIMSRC_VAR;
            pl->item_fields[pl->item_count++] = (int)i;
        }
        if (src == CN_DIMSRC_HOUR || src == CN_DIMSRC_DOW)
            pl->need_ts = true;
        if (src != CN_DIMSRC_VISIT_COL && src != CN_DIMSRC_EXIT_PAGE && src != CN_DIMSRC_NEW_RETURN)
            pl->visit_level = false;
        int dict = cn_field_dict(f);
        uint64_t bound = dict >= 0                          ? cn_store_snap_dict_len(snap, dict)
                         : f->dim->names != CN_DIMENUM_NONE ? 256
                         : src == CN_DIMSRC_NEW_RETURN      ? 2
                         : src == CN_DIMSRC_HOUR            ? 24
                         : src == CN_DIMSRC_DOW             ? 7
                                                            : 0;
        pl->key_bound[kp++] = bound;
    }
    /* the time parts of a key (key_of() packs two parts as high and low 32 bits) */
    for (size_t k = 0; k < kp; k++) {
        bool time = req->gran != CN_GRAN_NONE && k == 0;
        if (!time) {
            cn_dimsrc_t src = pl->fields[k - (req->gran != CN_GRAN_NONE)].dim->src;
            time = src == CN_DIMSRC_HOUR || src == CN_DIMSRC_DOW;
        }
        if (time)
            pl->time_mask |= kp == 1 ? UINT64_MAX : k == 0 ? 0xffffffff00000000ULL : 0xffffffffULL;
    }
    if (pl->list_mode && pl->item_count > 1)
        return cn_err_set(err, CN_EINVAL,
                          "a list dimension (listN) cannot be crossed with product, category, "
                          "merchN or another list");
    if (req->dim_count == 0 && req->gran == CN_GRAN_NONE)
        pl->visit_level = true; /* one key: everything */
    for (size_t i = 0; i < req->metric_count; i++) {
        const cn_req_metric_t *m = &req->metrics[i];
        if (m->calc != NULL)
            cn_calc_names(m->calc, need_by_name, pl);
        else if (m->def->is_event)
            event_slot(pl, m->arg);
        else
            need_metric(pl, m->def);
    }
    if (pl->need[CN_M_BOUNCES] || pl->need[CN_M_DURATION_US] || pl->need[CN_M_ORDER_VISITS])
        pl->need[CN_M_VISITS] = true;
    bool commerce = pl->event_count == 0, visits = pl->event_count == 0 && !pl->item_mode;
    bool counts = visits, hit_counts = pl->event_count == 0;
    for (int m = 0; m < CN_M_BASE_COUNT; m++) {
        hit_counts &= !pl->need[m] || m == CN_M_HITS || m == CN_M_PAGEVIEWS;
        bool sum = m == CN_M_ORDERS || m == CN_M_REVENUE || m == CN_M_UNITS;
        bool distinct = m == CN_M_VISITS || m == CN_M_VISITORS || m == CN_M_ORDER_VISITS;
        commerce &= !pl->need[m] || sum;
        visits &= !pl->need[m] || sum || distinct;
        counts &= !pl->need[m] || sum || distinct || m == CN_M_HITS || m == CN_M_PAGEVIEWS;
    }
    pl->need[CN_M_HITS] = true;
    pl->need_top = pl->need[CN_M_TOP_US] || pl->need[CN_M_TOP_VIEWS];
    if (pl->need_top && pl->item_mode)
        return cn_err_set(err, CN_EINVAL,
                          "time_on_page is per page view: it cannot be broken down by product, "
                          "category, merchN or listN");
    if ((pl->need[CN_M_ENTRIES] || pl->need[CN_M_EXITS]) && pl->item_mode) {
        /* A visit's entry (exit) is credited to one key, the one of its first (last) page view;
         * a hit with several values has no one key to credit. */
        char dname[32];
        const cn_field_t *f = &pl->fields[pl->item_fields[0]];
        cn_query__dim_name(f->dim, f->arg, dname, sizeof(dname));
        return cn_err_set(err, CN_EINVAL,
                          "entries and exits credit a visit's first and last page view to one "
                          "value: they cannot be broken down by %s, which has several values per "
                          "hit; use visits, or entry_page and exit_page with a segment on %s",
                          dname, dname);
    }
    pl->need_ts |= pl->need[CN_M_DURATION_US] || pl->need_top;
    pl->need_money = pl->need[CN_M_REVENUE] || pl->need[CN_M_UNITS];
    if (pl->item_mode)
        pl->need_money = true;
    pl->additive = !pl->item_mode && !pl->need[CN_M_VISITS] && !pl->need[CN_M_VISITORS] &&
                   !pl->need[CN_M_BOUNCES] && !pl->need[CN_M_ENTRIES] && !pl->need[CN_M_EXITS] &&
                   !pl->need[CN_M_DURATION_US] && !pl->need[CN_M_ORDER_VISITS] && !pl->need_top;
    pl->orders_only = pl->additive && commerce;
    pl->by_visits = visits && pl->visit_level && req->gran == CN_GRAN_NONE;
    pl->count_only = hit_counts && !pl->item_mode && req->gran == CN_GRAN_NONE &&
                     pl->field_count == 1 && pl->fields[0].dim->src == CN_DIMSRC_HIT_COL &&
                     cn_store_col(pl->fields[0].dim->col)->kind != CN_COLK_U8 &&
                     pl->key_bound[0] > 0 && pl->key_bound[0] <= (1u << 22);
    /* partitions are local days: a day, week or month bucket is one per segment */
    pl->by_visits_trend =
        counts && pl->field_count == 0 &&
        (req->gran == CN_GRAN_DAY || req->gran == CN_GRAN_WEEK || req->gran == CN_GRAN_MONTH);
    pl->visit_keys = req->gran == CN_GRAN_NONE && pl->field_count > 0;
    for (size_t f = 0; f < pl->field_count; f++) {
        cn_dimsrc_t src = pl->fields[f].dim->src;
        pl->visit_keys &=
            src == CN_DIMSRC_VISIT_COL || src == CN_DIMSRC_NEW_RETURN || src == CN_DIMSRC_EXIT_PAGE;
    }
    return 0;
}

/* --- The pass --- */

typedef struct pass {
    cn_scan_t *scan;
    const plan_t *pl;
    agg_t *agg;
    vstate_t vs;
    const uint64_t *filter;  /* NULL: every hit */
    const uint64_t *vfilter; /* NULL: every visit; else only hits of these visits (by index) */
    int32_t from_day;
    int32_t week_monday;
    int month0;
    int64_t tb_slot; /* trend_bucket's cache */
    uint32_t tb_val;
    uint32_t *cnt; /* count_only plans: hits, page views by key (pairs: one cache line) */
    /* visit_key() without the call: one visit column as the whole key */
    const uint32_t *vkey32;
    const uint8_t *vkey8;
    bool one_key; /* visits_pass credited no visit or visitor to the one key */
    /* day trends: buckets whose day is one segment (by bucket, or NULL);
     * their visits and visitors are counted directly, with vmark (a
     * bitset by visitor: those the segment counted so far, cleared after it) */
    const uint8_t *direct;
    uint64_t *vmark;
} pass_t;

/* Time zone offsets are whole quarter hours, so the local day and hour are
 * the same for every instant of a 15-minute UTC slot: one conversion per
 * slot (hits come in time order). */
#define SLOT_US ((int64_t)900 * 1000000)

static uint32_t trend_bucket_slow(const pass_t *p, int64_t ts);

static inline uint32_t trend_bucket(pass_t *p, int64_t ts)
{
    int64_t slot = ts >= 0 ? ts / SLOT_US : (ts - SLOT_US + 1) / SLOT_US;
    if (slot != p->tb_slot) {
        p->tb_slot = slot;
        p->tb_val = trend_bucket_slow(p, ts);
    }
    return p->tb_val;
}

static uint32_t trend_bucket_slow(const pass_t *p, int64_t ts)
{
    int32_t day;
    int hour;
    cn_scan_local(p->scan, ts, &day, &hour);
    switch (p->pl->req->gran) {
    case CN_GRAN_HOUR:
        return (uint32_t)((day - p->from_day) * 24 + hour);
    case CN_GRAN_DAY:
        return (uint32_t)(day - p->from_day);
    case CN_GRAN_WEEK:
        return (uint32_t)((day - p->week_monday) / 7);
    case CN_GRAN_MONTH: {
        int y, m, d;
        cn_store_day_to_ymd(day, &y, &m, &d);
        return (uint32_t)(y * 12 + m - p->month0);
    }
    default:
        return 0;
    }
}

/* A hit (segment row i of visit index vi) is in the report: not a bot's,
 * in the segment. (With only a visit filter, any i of the visit answers.) */
static inline bool hit_selected(const pass_t *p, const cn_scanseg_t *ss, size_t i, uint64_t vi)
{
    /* a visit filter has no bot visits (aggregate() takes them out) */
    if (p->vfilter != NULL ? !cn_bit_get(p->vfilter, vi) : p->scan->v_bot[vi])
        return false;
    return p->filter == NULL || cn_bit_get(p->filter, ss->base + i);
}

static inline void credit_visitor(pass_t *p, uint32_t acc, uint32_t visitor)
{
    agg_t *a = p->agg;
    if (p->pl->need[CN_M_VISITORS] && a->vbits != NULL && acc < a->vbits_len) {
        uint64_t *b = a->vbits[acc];
        if (b == NULL)
            b = a->vbits[acc] = cn_xcalloc(a->vbits_words, 8);
        uint64_t bit = (uint64_t)1 << (visitor & 63);
        if ((b[visitor >> 6] & bit) == 0) {
            b[visitor >> 6] |= bit;
            a->acc[(size_t)acc * a->nm + CN_M_VISITORS]++;
        }
    } else if (p->pl->need[CN_M_VISITORS]) {
        uint32_t dummy = 0;
        if (!hmap_get_or_put(&p->agg->visitor_pairs, (uint64_t)acc << 32 | visitor, &dummy))
            p->agg->acc[(size_t)acc * p->agg->nm + CN_M_VISITORS]++;
    }
}

/* Credits a selected hit (or item) to acc; vi is the visit index. */
static inline void credit(pass_t *p, uint32_t acc, uint64_t vi, uint8_t type, uint8_t events,
                          int64_t revenue, uint32_t units, bool is_item)
{
    agg_t *a = p->agg;
    int64_t *m = a->acc + (size_t)acc * a->nm;
    m[CN_M_HITS]++;
    m[CN_M_PAGEVIEWS] += type == CN_HIT_PAGEVIEW;
    m[CN_M_ORDERS] += (events & CN_EV_PURCHASE) != 0;
    m[CN_M_CART_ADDS] += (events & CN_EV_CART_ADD) != 0;
    m[CN_M_CHECKOUTS] += (events & CN_EV_CHECKOUT) != 0;
    m[CN_M_PROD_VIEWS] += (events & CN_EV_PROD_VIEW) != 0;
    if (!is_item || (events & CN_EV_PURCHASE)) {
        m[CN_M_REVENUE] += revenue;
        m[CN_M_UNITS] += units;
    }
    if (p->pl->need[CN_M_VISITS]) {
        if (p->pl->visit_level) {
            p->vs.visit_acc[vi] = acc;
        } else if (a->wbits != NULL && acc < a->wbits_len) {
            uint64_t *b = a->wbits[acc];
            if (b == NULL)
                b = a->wbits[acc] = cn_xcalloc(a->wbits_words, 8);
            uint64_t bit = (uint64_t)1 << (vi & 63);
            if ((b[vi >> 6] & bit) == 0) {
                b[vi >> 6] |= bit;
                m[CN_M_VISITS]++;
            }
        } else {
            uint32_t dummy = 0;
            if (!hmap_get_or_put(&a->visit_pairs, (uint64_t)acc << 32 | vi, &dummy))
                m[CN_M_VISITS]++;
        }
    }
    credit_visitor(p, acc, p->scan->v_visitor[vi]);
}

/* Credits a selected hit to acc and the totals when the plan is additive:
 * no visit or visitor measure is asked for, so no per-visit state. */
static inline void credit_additive(pass_t *p, uint32_t acc, uint8_t type, uint8_t events,
                                   int64_t revenue, uint32_t units)
{
    agg_t *a = p->agg;
    int64_t *m = a->acc + (size_t)acc * a->nm;
    m[CN_M_HITS]++;
    m[CN_M_PAGEVIEWS] += type == CN_HIT_PAGEVIEW;
    if (events != 0) {
        m[CN_M_ORDERS] += (events & CN_EV_PURCHASE) != 0;
        m[CN_M_CART_ADDS] += (events & CN_EV_CART_ADD) != 0;
        m[CN_M_CHECKOUTS] += (events & CN_EV_CHECKOUT) != 0;
        m[CN_M_PROD_VIEWS] += (events & CN_EV_PROD_VIEW) != 0;
    }
    m[CN_M_REVENUE] += revenue;
    m[CN_M_UNITS] += units;
}

/* Additive plans credit only the keys; the totals are their sums. */
static void additive_totals(agg_t *a)
{
    for (size_t i = 0; i < a->nacc; i++) {
        for (size_t j = 0; j < CN_M_BASE_COUNT; j++)
            a->tot[j] += a->acc[i * a->nm + j];
    }
}

/* The value of a visit-level field for visit index vi (cn_scan_prepare'd). */
static uint32_t visit_value(const cn_scan_t *s, const cn_field_t *f, uint64_t vi)
{
    switch (f->dim->src) {
    case CN_DIMSRC_EXIT_PAGE:
        return s->v_exit_page[vi];
    case CN_DIMSRC_NEW_RETURN:
        return s->v_cols32[CN_COL_VISIT_visit_num][vi] > 1;
    default:
        return cn_store_col(f->dim->col)->kind == CN_COLK_U8 ? s->v_cols8[f->dim->col][vi]
                                                             : s->v_cols32[f->dim->col][vi];
    }
}

static uint64_t visit_key_slow(const pass_t *p, uint64_t vi)
{
    uint64_t key = 0;
    for (size_t f = 0; f < p->pl->field_count; f++) {
        uint32_t v = visit_value(p->scan, &p->pl->fields[f], vi);
        key = f == 0 ? v : key << 32 | v;
    }
    return key;
}

static inline uint64_t visit_key(const pass_t *p, uint64_t vi)
{
    if (p->vkey32 != NULL)
        return p->vkey32[vi];
    if (p->vkey8 != NULL)
        return p->vkey8[vi];
    if (p->pl->field_count == 0)
        return 0;
    return visit_key_slow(p, vi);
}

static uint32_t day_bucket(cn_gran_t g, int32_t from, int32_t day);

/* Order rows are far apart: the visit arrays a later row reads are fetched
 * while this one is credited. */
#define ORDER_PREFETCH 48

static inline __attribute__((always_inline)) void prefetch_visit(const pass_t *p,
                                                                 const cn_orders_t *o, size_t j)
{
    if (j + ORDER_PREFETCH >= o->n)
        return;
    uint64_t vi = o->visit[j + ORDER_PREFETCH] - p->scan->first_visit;
    __builtin_prefetch(&p->scan->v_bot[vi]);
    if (p->vkey32 != NULL)
        __builtin_prefetch(&p->vkey32[vi]);
    else if (p->vkey8 != NULL)
        __builtin_prefetch(&p->vkey8[vi]);
    if (p->vfilter != NULL)
        __builtin_prefetch(&p->vfilter[vi >> 6]);
}

/*
 * An orders-only plan on segment k: the keys that have selected hits (a
 * row with zeros where they have no order), then the commerce rows. Keys
 * are the trend bucket alone (every bucket is a row anyway) or visit-level
 * fields without a segment filter (a key is present when one of the
 * segment's non-bot visits has it). Returns 1 when done, 0 when the plan
 * needs the general pass, or an error.
 */
static int orders_pass(pass_t *p, size_t k)
{
    cn_scan_t *s = p->scan;
    const plan_t *pl = p->pl;
    bool visit_keys = pl->visit_keys && p->filter == NULL;
    const uint64_t *vf = p->vfilter;
    if (!pl->orders_only || (pl->field_count > 0 && !visit_keys))
        return 0;
    cn_scanseg_t *ss = &s->segs[k];
    const uint32_t *visits;
    size_t nvisits;
    cn_orders_t o;
    int rc;
    /* day, week and month buckets are the segment's (a partition is a local
     * day): only hour trends read the time of each row */
    bool hourly = pl->req->gran == CN_GRAN_HOUR;
    uint32_t seg_bucket = 0;
    if (pl->req->gran != CN_GRAN_NONE && !hourly)
        seg_bucket =
            day_bucket(pl->req->gran, p->from_day, cn_store_snap_partition_day(s->snap, ss->part));
    if ((rc = cn_scan_load(s, k, hourly, false)) != 0 || (rc = cn_scan_orders(s, k, &o)) != 0)
        return rc;
    if (visit_keys && vf == NULL && pl->field_count == 1 &&
        pl->fields[0].dim->src == CN_DIMSRC_VISIT_COL) {
        /* the keys present: the segment's distinct values, cached */
        const uint32_t *keys;
        size_t nkeys;
        if ((rc = cn_scan_seg_keys(s, k, pl->fields[0].dim->col, &keys, &nkeys)) != 0)
            return rc;
        for (size_t j = 0; j < nkeys; j++)
            (void)acc_of(p->agg, keys[j]);
    } else if (visit_keys) {
        if ((rc = cn_scan_seg_visits(s, k, &visits, &nvisits)) != 0)
            return rc;
        for (size_t j = 0; j < nvisits; j++) {
            uint64_t vi = visits[j] - s->first_visit;
            if (!s->v_bot[vi] && (vf == NULL || cn_bit_get(vf, vi)))
                (void)acc_of(p->agg, visit_key(p, vi));
        }
    }
    for (size_t j = 0; j < o.n; j++) {
        size_t i = o.row[j];
        uint64_t vi = o.visit[j] - s->first_visit;
        prefetch_visit(p, &o, j);
        if (!hit_selected(p, ss, i, vi))
            continue;
        uint64_t key;
        if (visit_keys)
            key = visit_key(p, vi);
        else if (hourly)
            key = trend_bucket(p, ss->ts[i]);
        else
            key = seg_bucket;
        credit_additive(p, acc_of(p->agg, key), ss->type[i], o.events[j], o.revenue[j], o.units[j]);
    }
    return 1;
}

/* Per-visit and total bookkeeping for one selected hit; tk is its key's time part (when the
 * visit's time is kept by time part: vstate_t run_tk). */
static inline void note_hit(pass_t *p, uint64_t vi, uint8_t type, uint8_t events, int64_t ts,
                            int64_t revenue, uint32_t units, uint32_t acc, uint64_t tk)
{
    vstate_t *v = &p->vs;
    int64_t *t = p->agg->tot;
    t[CN_M_HITS]++;
    t[CN_M_PAGEVIEWS] += type == CN_HIT_PAGEVIEW;
    t[CN_M_ORDERS] += (events & CN_EV_PURCHASE) != 0;
    t[CN_M_CART_ADDS] += (events & CN_EV_CART_ADD) != 0;
    t[CN_M_CHECKOUTS] += (events & CN_EV_CHECKOUT) != 0;
    t[CN_M_PROD_VIEWS] += (events & CN_EV_PROD_VIEW) != 0;
    t[CN_M_REVENUE] += revenue;
    t[CN_M_UNITS] += units;
    if (!cn_bit_get(v->seen, vi)) {
        cn_bit_set(v->seen, vi);
        if (v->first_ts)
            v->first_ts[vi] = ts;
        if (v->run_tk) {
            v->run_tk[vi] = tk;
            v->run_ts[vi] = ts;
        }
        uint32_t visitor = p->scan->v_visitor[vi];
        cn_bit_set(v->visitor_seen, visitor);
    } else if (v->run_tk && v->run_tk[vi] != tk) {
        /* the run of the previous time part ends at this hit */
        spans_add(&v->spans, vi, v->run_tk[vi], ts - v->run_ts[vi]);
        cn_bit_set(v->split, vi);
        v->run_tk[vi] = tk;
        v->run_ts[vi] = ts;
    }
    if (v->last_ts)
        v->last_ts[vi] = ts;
    if (events & CN_EV_PURCHASE)
        v->order[vi] = 1;
    if (type == CN_HIT_PAGEVIEW && v->pv != NULL) {
        if (v->entry_acc != NULL) {
            if (v->pv[vi] == 0)
                v->entry_acc[vi] = acc;
            v->exit_acc[vi] = acc;
        }
        v->pv[vi]++;
    }
}

/* Time on page: closes the gap of acc's page view that is open in visit vi at ts. */
static inline void top_close(agg_t *a, uint32_t acc, int64_t from_ts, int64_t ts)
{
    int64_t *m = a->acc + (size_t)acc * a->nm;
    m[CN_M_TOP_US] += ts - from_ts;
    m[CN_M_TOP_VIEWS]++;
    a->tot[CN_M_TOP_US] += ts - from_ts;
    a->tot[CN_M_TOP_VIEWS]++;
}

/* Time on page: a hit of visit vi at ts (selected or not) ends the visit's
 * open page view, if any. */
static inline void top_hit(pass_t *p, uint64_t vi, int64_t ts)
{
    vstate_t *v = &p->vs;
    if (!cn_bit_get(v->top_seen, vi)) {
        cn_bit_set(v->top_seen, vi);
        v->top_first[vi] = ts;
    }
    if (v->top_pend[vi] != NONE32) {
        top_close(p->agg, v->top_pend[vi], v->top_pend_ts[vi], ts);
        v->top_pend[vi] = NONE32;
    }
}

static uint64_t key_of(const pass_t *p, int64_t *const *keys, size_t i, uint32_t bucket)
{
    const plan_t *pl = p->pl;
    uint64_t key = 0;
    size_t part = 0;
    if (pl->req->gran != CN_GRAN_NONE) {
        key = bucket;
        part++;
    }
    for (size_t f = 0; f < pl->field_count; f++, part++)
        key = part == 0 ? (uint64_t)keys[f][i] : key << 32 | (uint32_t)keys[f][i];
    return key;
}

/* The time part of hit i's key: key_of() with every part but the trend bucket, hour and
 * day_of_week zero (the key & plan_t time_mask). Item fields are never time parts. */
static uint64_t time_key(pass_t *p, int64_t *const *keys, size_t i, int64_t ts)
{
    const plan_t *pl = p->pl;
    uint64_t key = 0;
    size_t part = 0;
    if (pl->req->gran != CN_GRAN_NONE) {
        key = trend_bucket(p, ts);
        part++;
    }
    for (size_t f = 0; f < pl->field_count; f++, part++) {
        cn_dimsrc_t src = pl->fields[f].dim->src;
        uint64_t v = src == CN_DIMSRC_HOUR || src == CN_DIMSRC_DOW ? (uint64_t)keys[f][i] : 0;
        key = part == 0 ? v : key << 32 | (uint32_t)v;
    }
    return key;
}

/*
 * A by-visits plan on segment k without a segment filter: each distinct
 * non-bot visit of the segment (cn_scan_seg_visits) is seen and credited
 * to its key, then the commerce rows add orders, revenue and units and mark
 * order visits. Returns 1 when done, 0 when the plan needs the general
 * pass, or an error.
 */
/* Credits visit index vi to acc once (a visit-level acc, or distinct pairs). */
static inline void credit_visit(pass_t *p, uint32_t acc, uint64_t vi)
{
    agg_t *a = p->agg;
    int64_t *m = a->acc + (size_t)acc * a->nm;
    if (p->pl->visit_level) {
        if (p->vs.visit_acc != NULL)
            p->vs.visit_acc[vi] = acc;
    } else if (a->wbits != NULL && acc < a->wbits_len) {
        uint64_t *b = a->wbits[acc];
        if (b == NULL)
            b = a->wbits[acc] = cn_xcalloc(a->wbits_words, 8);
        uint64_t bit = (uint64_t)1 << (vi & 63);
        if ((b[vi >> 6] & bit) == 0) {
            b[vi >> 6] |= bit;
            m[CN_M_VISITS]++;
        }
    } else if (p->pl->need[CN_M_VISITS]) {
        uint32_t dummy = 0;
        if (!hmap_get_or_put(&a->visit_pairs, (uint64_t)acc << 32 | vi, &dummy))
            m[CN_M_VISITS]++;
    }
}

static int visits_pass(pass_t *p, size_t k)
{
    cn_scan_t *s = p->scan;
    const plan_t *pl = p->pl;
    if ((!pl->by_visits && !pl->by_visits_trend) || p->filter != NULL)
        return 0;
    cn_scanseg_t *ss = &s->segs[k];
    bool trend = pl->by_visits_trend;
    /* additive plans keep no visit state and sum their totals at the end */
    int ntot = pl->additive ? 1 : 2;
    if (pl->additive && !trend)
        return 0;
    uint32_t bucket = 0;
    if (trend) {
        bucket =
            day_bucket(pl->req->gran, p->from_day, cn_store_snap_partition_day(s->snap, ss->part));
        uint32_t hits = 0, pvs = 0;
        int rc = 0;
        if (p->vfilter == NULL) {
            rc = cn_scan_seg_counts(s, k, &hits, &pvs);
        } else if ((rc = cn_scan_load(s, k, false, false)) == 0) {
            for (size_t i = 0; i < ss->n; i++) {
                if (hit_selected(p, ss, i, ss->visit[i] - s->first_visit)) {
                    hits++;
                    pvs += ss->type[i] == CN_HIT_PAGEVIEW;
                }
            }
        }
        if (rc != 0)
            return rc;
        uint32_t acc = acc_of(p->agg, bucket);
        int64_t *ms[2] = {p->agg->acc + (size_t)acc * p->agg->nm, p->agg->tot};
        for (int x = 0; x < ntot; x++) {
            ms[x][CN_M_HITS] += hits;
            ms[x][CN_M_PAGEVIEWS] += pvs;
        }
    }
    vstate_t *v = &p->vs;
    agg_t *a = p->agg;
    const uint32_t *visits;
    size_t nvisits;
    cn_orders_t o;
    int rc;
    if ((rc = cn_scan_load(s, k, false, false)) != 0 || (rc = cn_scan_orders(s, k, &o)) != 0 ||
        (rc = cn_scan_seg_visits(s, k, &visits, &nvisits)) != 0)
        return rc;
    if (!pl->additive && !trend && pl->field_count == 0) {
        /* one key, everything: its visits and visitors are the totals
         * (finish_visits copies them), so only the seen bits are set */
        bool any = false;
        for (size_t j = 0; j < nvisits; j++) {
            uint64_t vi = visits[j] - s->first_visit;
            if (s->v_bot[vi] || (p->vfilter != NULL && !cn_bit_get(p->vfilter, vi)))
                continue;
            cn_bit_set(v->seen, vi);
            cn_bit_set(v->visitor_seen, s->v_visitor[vi]);
            any = true;
        }
        if (any)
            (void)acc_of(a, 0);
        p->one_key = true;
    }
    if (trend && !pl->additive && p->direct != NULL && p->direct[bucket]) {
        /* no other segment has this bucket: no pairs or bits to dedupe with */
        if (p->vmark == NULL)
            p->vmark = cn_xcalloc((s->visitor_count + 63) / 64 + 1, 8);
        int64_t *m = a->acc + (size_t)acc_of(a, bucket) * a->nm;
        uint64_t *mark = p->vmark;
        for (size_t j = 0; j < nvisits; j++) {
            uint64_t vi = visits[j] - s->first_visit;
            if (!hit_selected(p, ss, 0, vi))
                continue;
            uint32_t visitor = s->v_visitor[vi];
            cn_bit_set(v->seen, vi);
            cn_bit_set(v->visitor_seen, visitor);
            m[CN_M_VISITS]++;
            uint64_t bit = 1ULL << (visitor & 63);
            m[CN_M_VISITORS] += (mark[visitor >> 6] & bit) == 0;
            mark[visitor >> 6] |= bit;
        }
        /* every bit set is this segment's: clear the words it touched */
        for (size_t j = 0; j < nvisits; j++)
            mark[s->v_visitor[visits[j] - s->first_visit] >> 6] = 0;
        nvisits = 0;
    }
    for (size_t j = 0; j < nvisits && !pl->additive && !p->one_key; j++) {
        uint64_t vi = visits[j] - s->first_visit;
        if (!hit_selected(p, ss, 0, vi))
            continue;
        uint32_t acc = acc_of(a, trend ? bucket : visit_key(p, vi));
        uint32_t visitor = s->v_visitor[vi];
        cn_bit_set(v->seen, vi);
        cn_bit_set(v->visitor_seen, visitor);
        credit_visit(p, acc, vi);
        credit_visitor(p, acc, visitor);
    }
    for (size_t j = 0; j < o.n; j++) {
        size_t i = o.row[j];
        uint64_t vi = o.visit[j] - s->first_visit;
        prefetch_visit(p, &o, j);
        if (!hit_selected(p, ss, i, vi))
            continue;
        uint32_t acc = acc_of(a, trend ? bucket : visit_key(p, vi));
        int64_t *ms[2] = {a->acc + (size_t)acc * a->nm, a->tot};
        uint8_t order = (o.events[j] & CN_EV_PURCHASE) != 0;
        for (int x = 0; x < ntot; x++) {
            ms[x][CN_M_ORDERS] += order;
            ms[x][CN_M_REVENUE] += o.revenue[j];
            ms[x][CN_M_UNITS] += o.units[j];
        }
        if (!pl->additive)
            v->order[vi] |= order;
    }
    return 1;
}

/* A count-only plan on segment k: hits and page views by key id. */
static int count_pass(pass_t *p, size_t k)
{
    cn_scan_t *s = p->scan;
    const plan_t *pl = p->pl;
    if (!pl->count_only)
        return 0;
    cn_scanseg_t *ss = &s->segs[k];
    cn_store_col_t col = pl->fields[0].dim->col;
    const uint32_t *ids;
    int rc;
    if ((rc = cn_scan_load(s, k, false, false)) != 0 ||
        (rc = cn_scan_hit_u32(s, k, col, &ids)) != 0)
        return rc;
    if (p->cnt == NULL)
        p->cnt = cn_xcalloc(pl->key_bound[0], 8);
    uint32_t bound = (uint32_t)pl->key_bound[0];
    for (size_t i = 0; i < ss->n; i++) {
        uint64_t vi = ss->visit[i] - s->first_visit;
        if (!hit_selected(p, ss, i, vi))
            continue;
        uint32_t id = ids[i];
        if (id >= bound)
            return cn_err_set(s->err, CN_ECORRUPT, "an id beyond its dictionary");
        p->cnt[2 * (size_t)id]++;
        p->cnt[2 * (size_t)id + 1] += ss->type[i] == CN_HIT_PAGEVIEW;
    }
    return 1;
}

/* Moves a count-only pass's counts into its accs. */
static void count_finish(pass_t *p)
{
    if (p->cnt == NULL)
        return;
    agg_t *a = p->agg;
    for (uint64_t id = 0; id < p->pl->key_bound[0]; id++) {
        if (p->cnt[2 * id] == 0)
            continue;
        uint32_t acc = acc_of(a, id); /* may move a->acc */
        int64_t *m = a->acc + (size_t)acc * a->nm;
        m[CN_M_HITS] += p->cnt[2 * id];
        m[CN_M_PAGEVIEWS] += p->cnt[2 * id + 1];
    }
    free(p->cnt);
    p->cnt = NULL;
}

/*
 * The item rows of segment k (an item dimension: product, category, merchN): each selected
 * item is credited to the key of its hit's fields with its item fields' values. A hit counts
 * once per key (its hit, order and event counts), however many of its items have that key;
 * units and revenue are the sums of those items.
 */
static int item_pass(pass_t *p, size_t k, int64_t **keys)
{
    cn_scan_t *s = p->scan;
    const plan_t *pl = p->pl;
    cn_scanseg_t *ss = &s->segs[k];
    uint32_t *hit = NULL, *ikey[CN_REPORT_MAX_DIMS] = {0}, *qty = NULL;
    int64_t *irev = NULL;
    size_t count = 0;
    int rc = cn_scan_item_field(s, k, &pl->fields[pl->item_fields[0]], &hit, &ikey[0], &qty, &irev,
                                &count);
    for (size_t x = 1; rc == 0 && count > 0 && x < pl->item_count; x++) {
        uint32_t *h2, *q2;
        int64_t *r2;
        size_t c2;
        rc =
            cn_scan_item_field(s, k, &pl->fields[pl->item_fields[x]], &h2, &ikey[x], &q2, &r2, &c2);
        if (rc == 0) {
            free(h2);
            free(q2);
            free(r2);
            if (c2 != count)
                rc = cn_err_set(s->err, CN_ECORRUPT, "item rows changed while read");
        }
    }
    uint32_t *seen = NULL; /* the accs the current hit was credited to */
    size_t nseen = 0, seen_cap = 0, cur = SIZE_MAX;
    for (size_t j = 0; rc == 0 && j < count; j++) {
        size_t i = hit[j];
        uint64_t vi = ss->visit[i] - s->first_visit;
        if (!hit_selected(p, ss, i, vi))
            continue;
        for (size_t x = 0; x < pl->item_count; x++)
            keys[pl->item_fields[x]][i] = ikey[x][j];
        uint32_t bucket = pl->req->gran != CN_GRAN_NONE ? trend_bucket(p, ss->ts[i]) : 0;
        uint32_t acc = acc_of(p->agg, key_of(p, keys, i, bucket));
        if (i != cur) {
            cur = i;
            nseen = 0;
        }
        bool again = false;
        for (size_t x = 0; x < nseen && !again; x++)
            again = seen[x] == acc;
        if (!again) {
            if (nseen == seen_cap) {
                seen_cap = seen_cap ? seen_cap * 2 : 16;
                seen = cn_xrealloc(seen, seen_cap * sizeof(*seen));
            }
            seen[nseen++] = acc;
            credit(p, acc, vi, ss->type[i], ss->events[i], irev[j], qty[j], true);
        } else if (ss->events[i] & CN_EV_PURCHASE) {
            int64_t *m = p->agg->acc + (size_t)acc * p->agg->nm;
            m[CN_M_REVENUE] += irev[j];
            m[CN_M_UNITS] += qty[j];
        }
    }
    free(seen);
    free(hit);
    for (size_t x = 0; x < CN_REPORT_MAX_DIMS; x++)
        free(ikey[x]);
    free(qty);
    free(irev);
    return rc;
}

/*
 * The var rows of segment k for a list dimension (listN, item_fields[0]): each selected hit is
 * credited once to each distinct value of the list it has (Adobe's full allocation: each value
 * gets the hit's counts, revenue and events in full), and a hit without one to "" (id 0).
 * The totals count the hit once (note_hit, run_pass).
 */
static int list_pass(pass_t *p, size_t k, int64_t **keys)
{
    cn_scan_t *s = p->scan;
    const plan_t *pl = p->pl;
    cn_scanseg_t *ss = &s->segs[k];
    int lf = pl->item_fields[0];
    uint32_t want = pl->fields[lf].dim->var_family | (uint32_t)pl->fields[lf].arg;
    uint32_t *hit = NULL, *var = NULL, *val = NULL;
    size_t count = 0, n = ss->n;
    int rc = cn_scan_vars(s, k, &hit, &var, &val, &count);
    if (rc != 0)
        return rc;
    /* the list's values by hit, in row order (first[i]..first[i + 1]) */
    uint32_t *first = cn_xcalloc(n + 1, 4);
    size_t nval = 0;
    for (size_t x = 0; x < count; x++) {
        if (var[x] == want) {
            first[hit[x] + 1]++;
            nval++;
        }
    }
    for (size_t i = 0; i < n; i++)
        first[i + 1] += first[i];
    uint32_t *vals = cn_xmalloc((nval + 1) * 4), *fill = cn_xcalloc(n + 1, 4);
    for (size_t x = 0; x < count; x++) {
        if (var[x] == want)
            vals[first[hit[x]] + fill[hit[x]]++] = val[x];
    }
    /* the accs each hit was credited to, for its events: acc_first[i], acc_count[i] */
    uint32_t *accs = cn_xmalloc((nval + n + 1) * 4), *acc_first = fill; /* fill is spent */
    uint32_t *acc_count = cn_xcalloc(n + 1, 4);
    size_t nacc = 0;
    for (size_t i = 0; i < n; i++) {
        acc_first[i] = (uint32_t)nacc;
        uint64_t vi = ss->visit[i] - s->first_visit;
        if (!hit_selected(p, ss, i, vi))
            continue;
        uint32_t bucket = pl->req->gran != CN_GRAN_NONE ? trend_bucket(p, ss->ts[i]) : 0;
        int64_t rev = ss->revenue ? ss->revenue[i] : 0;
        uint32_t units = ss->units ? ss->units[i] : 0;
        uint32_t lo = first[i], hi = first[i + 1];
        for (uint32_t x = lo; x < (hi > lo ? hi : lo + 1); x++) {
            keys[lf][i] = hi > lo ? vals[x] : 0;
            uint32_t acc = acc_of(p->agg, key_of(p, keys, i, bucket));
            bool again = false;
            for (uint32_t y = acc_first[i]; y < nacc && !again; y++)
                again = accs[y] == acc;
            if (again)
                continue;
            accs[nacc++] = acc;
            acc_count[i]++;
            credit(p, acc, vi, ss->type[i], ss->events[i], rev, units, false);
        }
    }
    free(hit);
    free(var);
    free(val);
    if (pl->event_count > 0) {
        uint32_t *ehit, *enum_;
        int64_t *eval_;
        size_t ecount;
        rc = cn_scan_events(s, k, &ehit, &enum_, &eval_, &ecount);
        for (size_t j = 0; rc == 0 && j < ecount; j++) {
            size_t i = ehit[j];
            for (size_t e = 0; e < pl->event_count; e++) {
                if ((uint32_t)pl->events[e] != enum_[j])
                    continue;
                for (uint32_t y = acc_first[i]; y < acc_first[i] + acc_count[i]; y++)
                    p->agg->acc[(size_t)accs[y] * p->agg->nm + CN_M_BASE_COUNT + e] += eval_[j];
            }
        }
        if (rc == 0 && ecount > 0) {
            free(ehit);
            free(enum_);
            free(eval_);
        }
    }
    free(first);
    free(vals);
    free(fill);
    free(accs);
    free(acc_count);
    return rc;
}

/* The pass over segments [k0, k1). */
static int run_pass(pass_t *p, size_t k0, size_t k1)
{
    cn_scan_t *s = p->scan;
    const plan_t *pl = p->pl;
    int rc = 0;
    int64_t *keys[CN_REPORT_MAX_DIMS] = {0};
    size_t cap = 0;
    for (size_t k = k0; k < k1 && rc == 0; k++) {
        cn_scanseg_t *ss = &s->segs[k];
        if ((rc = orders_pass(p, k)) != 0 || (rc = visits_pass(p, k)) != 0 ||
            (rc = count_pass(p, k)) != 0) {
            rc = rc < 0 ? rc : 0;
            cn_scan_unload(s, k);
            continue;
        }
        if ((rc = cn_scan_load(s, k, pl->need_ts, pl->need_money)) != 0)
            break;
        if (ss->n > cap) {
            cap = ss->n;
            for (size_t f = 0; f < pl->field_count; f++)
                keys[f] = cn_xrealloc(keys[f], cap * 8);
        }
        for (size_t f = 0; f < pl->field_count && rc == 0; f++) {
            bool item = false;
            for (size_t x = 0; x < pl->item_count; x++)
                item |= pl->item_fields[x] == (int)f;
            if (!item)
                rc = cn_scan_field(s, k, &pl->fields[f], keys[f]);
        }
        if (rc != 0)
            break;
        uint32_t *hit_acc = NULL;
        if (pl->event_count > 0 && !pl->item_mode)
            hit_acc = cn_xmalloc(ss->n * 4);
        for (size_t i = 0; i < ss->n; i++) {
            uint64_t vi = ss->visit[i] - s->first_visit;
            bool sel = hit_selected(p, ss, i, vi);
            if (pl->need_top && !s->v_bot[vi])
                top_hit(p, vi, ss->ts[i]);
            if (!sel) {
                if (hit_acc)
                    hit_acc[i] = NONE32;
                continue;
            }
            int64_t ts = ss->ts ? ss->ts[i] : 0;
            int64_t rev = ss->revenue ? ss->revenue[i] : 0;
            uint32_t units = ss->units ? ss->units[i] : 0;
            uint32_t acc = NONE32;
            if (pl->additive) {
                if (pl->field_count == 1 && pl->req->gran == CN_GRAN_NONE) {
                    acc = acc_of(p->agg, (uint64_t)keys[0][i]);
                } else {
                    uint32_t bucket = pl->req->gran != CN_GRAN_NONE ? trend_bucket(p, ts) : 0;
                    acc = acc_of(p->agg, key_of(p, keys, i, bucket));
                }
                credit_additive(p, acc, ss->type[i], ss->events[i], rev, units);
                if (hit_acc)
                    hit_acc[i] = acc;
                continue;
            }
            if (!pl->item_mode) {
                uint32_t bucket = pl->req->gran != CN_GRAN_NONE ? trend_bucket(p, ts) : 0;
                acc = acc_of(p->agg, key_of(p, keys, i, bucket));
                credit(p, acc, vi, ss->type[i], ss->events[i], rev, units, false);
                if (hit_acc)
                    hit_acc[i] = acc;
                if (pl->need_top && ss->type[i] == CN_HIT_PAGEVIEW) {
                    p->vs.top_pend[vi] = acc;
                    p->vs.top_pend_ts[vi] = ts;
                }
            }
            uint64_t tk = p->vs.run_tk != NULL ? time_key(p, keys, i, ts) : 0;
            note_hit(p, vi, ss->type[i], ss->events[i], ts, rev, units, acc, tk);
        }
        if (pl->item_mode)
            rc = pl->list_mode ? list_pass(p, k, keys) : item_pass(p, k, keys);
        if (rc == 0 && pl->event_count > 0) {
            uint32_t *ehit, *enum_;
            int64_t *eval_;
            size_t count;
            rc = cn_scan_events(s, k, &ehit, &enum_, &eval_, &count);
            for (size_t j = 0; rc == 0 && j < count; j++) {
                size_t i = ehit[j];
                uint64_t vi = ss->visit[i] - s->first_visit;
                if (!hit_selected(p, ss, i, vi))
                    continue;
                for (size_t e = 0; e < pl->event_count; e++) {
                    if ((uint32_t)pl->events[e] != enum_[j])
                        continue;
                    p->agg->tot[CN_M_BASE_COUNT + e] += eval_[j];
                    if (hit_acc != NULL && hit_acc[i] != NONE32)
                        p->agg->acc[(size_t)hit_acc[i] * p->agg->nm + CN_M_BASE_COUNT + e] +=
                            eval_[j];
                }
            }
            if (rc == 0 && count > 0) {
                free(ehit);
                free(enum_);
                free(eval_);
            }
        }
        free(hit_acc);
        cn_scan_unload(s, k);
    }
    for (size_t f = 0; f < CN_REPORT_MAX_DIMS; f++)
        free(keys[f]);
    count_finish(p);
    return rc;
}

/* The time of visit vi that a key gets: the time of its hits in the key's time part, or, when
 * keys have no time part, the visit's duration (first to last selected hit). */
static int64_t visit_time(const vstate_t *v, const plan_t *pl, uint64_t vi, uint64_t key)
{
    if (v->first_ts == NULL)
        return 0;
    if (v->run_tk == NULL)
        return v->last_ts[vi] - v->first_ts[vi];
    uint64_t tk = key & pl->time_mask;
    int64_t us = cn_bit_get(v->split, vi) ? spans_get(&v->spans, vi, tk) : 0;
    if (v->run_tk[vi] == tk)
        us += v->last_ts[vi] - v->run_ts[vi]; /* the last run */
    return us;
}

/* Credits the visit-level measures after the pass. */
static void finish_visits(pass_t *p)
{
    cn_scan_t *s = p->scan;
    vstate_t *v = &p->vs;
    agg_t *a = p->agg;
    const plan_t *pl = p->pl;
    for (uint64_t w = 0; w < (s->visit_count + 63) / 64; w++) {
        for (uint64_t bits = v->seen[w]; bits != 0; bits &= bits - 1) {
            uint64_t vi = w * 64 + (uint64_t)__builtin_ctzll(bits);
            bool bounce = v->pv != NULL && v->pv[vi] == 1;
            int64_t dur = v->first_ts ? v->last_ts[vi] - v->first_ts[vi] : 0;
            a->tot[CN_M_VISITS]++;
            a->tot[CN_M_BOUNCES] += bounce;
            a->tot[CN_M_DURATION_US] += dur;
            a->tot[CN_M_ORDER_VISITS] += v->order[vi];
            if (v->entry_acc != NULL && v->pv[vi] > 0) {
                a->tot[CN_M_ENTRIES]++;
                a->tot[CN_M_EXITS]++;
                if (v->entry_acc[vi] != NONE32)
                    a->acc[(size_t)v->entry_acc[vi] * a->nm + CN_M_ENTRIES]++;
                if (v->exit_acc[vi] != NONE32)
                    a->acc[(size_t)v->exit_acc[vi] * a->nm + CN_M_EXITS]++;
            }
            if (pl->need[CN_M_VISITS] && pl->visit_level && v->visit_acc[vi] != NONE32) {
                int64_t *m = a->acc + (size_t)v->visit_acc[vi] * a->nm;
                m[CN_M_VISITS]++;
                m[CN_M_BOUNCES] += bounce;
                m[CN_M_DURATION_US] += dur;
                m[CN_M_ORDER_VISITS] += v->order[vi];
            }
        }
    }
    for (size_t acc = 0; acc < a->wbits_len; acc++) {
        const uint64_t *b = a->wbits[acc];
        if (b == NULL)
            continue;
        int64_t *m = a->acc + acc * a->nm;
        for (size_t w = 0; w < a->wbits_words; w++) {
            for (uint64_t bits = b[w]; bits != 0; bits &= bits - 1) {
                uint64_t vi = (uint64_t)w * 64 + (uint64_t)__builtin_ctzll(bits);
                m[CN_M_BOUNCES] += v->pv != NULL && v->pv[vi] == 1;
                m[CN_M_DURATION_US] += visit_time(v, pl, vi, a->keyv[acc]);
                m[CN_M_ORDER_VISITS] += v->order[vi];
            }
        }
    }
    if (pl->need[CN_M_VISITS] && !pl->visit_level) {
        hmap_t *set = &a->visit_pairs;
        for (size_t j = 0; j < set->cap; j++) {
            if (set->keys[j] == 0)
                continue;
            uint64_t pair = set->keys[j] - 1;
            uint32_t acc = (uint32_t)(pair >> 32);
            uint64_t vi = (uint32_t)pair;
            int64_t *m = a->acc + (size_t)acc * a->nm;
            m[CN_M_BOUNCES] += v->pv != NULL && v->pv[vi] == 1;
            m[CN_M_DURATION_US] += visit_time(v, pl, vi, a->keyv[acc]);
            m[CN_M_ORDER_VISITS] += v->order[vi];
        }
    }
    uint64_t visitors = 0;
    for (uint64_t w = 0; w < (s->visitor_count + 63) / 64; w++)
        visitors += (uint64_t)__builtin_popcountll(v->visitor_seen[w]);
    a->tot[CN_M_VISITORS] = (int64_t)visitors;
    if (p->one_key && a->nacc == 1) {
        int64_t *m = a->acc;
        m[CN_M_VISITS] = a->tot[CN_M_VISITS];
        m[CN_M_VISITORS] = a->tot[CN_M_VISITORS];
        m[CN_M_ORDER_VISITS] = a->tot[CN_M_ORDER_VISITS];
    }
}

/* --- Splitting the pass over threads --- */

/* Adds the distinct items of set b (bits) to a's set for acc ai (bits when
 * a keeps bits for ai, else pairs): the measure grows by the items a did
 * not have. */
static void merge_bits(agg_t *a, uint64_t **bitsets, size_t len, hmap_t *pairs, uint32_t ai,
                       size_t words, const uint64_t *b, int m)
{
    int64_t *measure = &a->acc[(size_t)ai * a->nm + m];
    if (ai >= len) {
        for (size_t w = 0; w < words; w++) {
            for (uint64_t bits = b[w]; bits != 0; bits &= bits - 1) {
                uint64_t x = (uint64_t)w * 64 + (uint64_t)__builtin_ctzll(bits);
                uint32_t dummy = 0;
                if (!hmap_get_or_put(pairs, (uint64_t)ai << 32 | x, &dummy))
                    (*measure)++;
            }
        }
        return;
    }
    uint64_t **a_bits = &bitsets[ai];
    if (*a_bits == NULL)
        *a_bits = cn_xcalloc(words, 8);
    uint64_t *have = *a_bits;
    for (size_t w = 0; w < words; w++) {
        uint64_t add = b[w] & ~have[w];
        if (add != 0) {
            *measure += __builtin_popcountll(add);
            have[w] |= add;
        }
    }
}

static void merge_pairs(agg_t *a, hmap_t *aset, const hmap_t *bset, const uint32_t *map, int m)
{
    for (size_t j = 0; j < bset->cap; j++) {
        if (bset->keys[j] == 0)
            continue;
        uint64_t pair = bset->keys[j] - 1;
        uint32_t ai = map[pair >> 32];
        uint32_t dummy = 0;
        if (!hmap_get_or_put(aset, (uint64_t)ai << 32 | (uint32_t)pair, &dummy))
            a->acc[(size_t)ai * a->nm + m]++;
    }
}

/*
 * Merges the aggregate b of a later run of segments into a: sums, and
 * distinct visits and visitors as unions (exact). map gets b's acc -> a's acc.
 */
static void agg_merge(agg_t *a, const agg_t *b, const plan_t *pl, uint32_t *map,
                      const uint8_t *direct)
{
    for (size_t i = 0; i < b->nacc; i++) {
        uint32_t ai = acc_of(a, b->keyv[i]);
        map[i] = ai;
        int64_t *dst = a->acc + (size_t)ai * a->nm;
        const int64_t *src = b->acc + i * b->nm;
        /* a direct bucket's distinct counts are all in one run: plain sums */
        bool plain = direct != NULL && b->keyv[i] < pl->key_bound[0] && direct[b->keyv[i]];
        for (size_t j = 0; j < a->nm; j++) {
            if (plain || (j != CN_M_VISITS && j != CN_M_VISITORS))
                dst[j] += src[j];
        }
    }
    for (size_t j = 0; j < a->nm; j++)
        a->tot[j] += b->tot[j];
    if (pl->need[CN_M_VISITORS]) {
        for (size_t i = 0; i < b->vbits_len && i < b->nacc; i++) {
            if (b->vbits[i] != NULL)
                merge_bits(a, a->vbits, a->vbits_len, &a->visitor_pairs, map[i], a->vbits_words,
                           b->vbits[i], CN_M_VISITORS);
        }
        merge_pairs(a, &a->visitor_pairs, &b->visitor_pairs, map, CN_M_VISITORS);
    }
    if (pl->need[CN_M_VISITS] && !pl->visit_level) {
        for (size_t i = 0; i < b->wbits_len && i < b->nacc; i++) {
            if (b->wbits[i] != NULL)
                merge_bits(a, a->wbits, a->wbits_len, &a->visit_pairs, map[i], a->wbits_words,
                           b->wbits[i], CN_M_VISITS);
        }
        merge_pairs(a, &a->visit_pairs, &b->visit_pairs, map, CN_M_VISITS);
    }
}

/* Merges the per-visit state of a later run b into a (accs through map). A visit's time by
 * time part: a's last run of the visit ends at the visit's first hit in b, whose runs follow. */
static void vstate_merge(vstate_t *a, const vstate_t *b, size_t visits, size_t visitors,
                         const uint32_t *map)
{
    for (size_t w = 0; w < (visits + 63) / 64; w++) {
        for (uint64_t bits = b->seen[w]; bits != 0; bits &= bits - 1) {
            size_t vi = w * 64 + (size_t)__builtin_ctzll(bits);
            if (a->run_tk != NULL && cn_bit_get(a->seen, vi)) {
                /* a's last run of the visit ends at its first hit in b */
                spans_add(&a->spans, vi, a->run_tk[vi], b->first_ts[vi] - a->run_ts[vi]);
                cn_bit_set(a->split, vi);
            }
            if (a->run_tk != NULL) {
                a->run_tk[vi] = b->run_tk[vi];
                a->run_ts[vi] = b->run_ts[vi];
            }
            if (!cn_bit_get(a->seen, vi)) {
                cn_bit_set(a->seen, vi);
                if (a->first_ts)
                    a->first_ts[vi] = b->first_ts[vi];
            }
            if (a->last_ts)
                a->last_ts[vi] = b->last_ts[vi];
            a->order[vi] |= b->order[vi];
            if (a->entry_acc != NULL && b->pv[vi] > 0) {
                if (a->pv[vi] == 0)
                    a->entry_acc[vi] = b->entry_acc[vi] == NONE32 ? NONE32 : map[b->entry_acc[vi]];
                a->exit_acc[vi] = b->exit_acc[vi] == NONE32 ? NONE32 : map[b->exit_acc[vi]];
            }
            if (a->pv != NULL)
                a->pv[vi] += b->pv[vi];
            if (a->visit_acc != NULL && b->visit_acc[vi] != NONE32)
                a->visit_acc[vi] = map[b->visit_acc[vi]];
        }
    }
    for (size_t w = 0; w < (visitors + 63) / 64; w++)
        a->visitor_seen[w] |= b->visitor_seen[w];
    for (size_t j = 0; j < b->spans.cap; j++) {
        if (b->spans.vis[j] != 0) {
            spans_add(&a->spans, b->spans.vis[j] - 1, b->spans.tk[j], b->spans.us[j]);
            cn_bit_set(a->split, b->spans.vis[j] - 1);
        }
    }
}

/* Time on page across runs: a page view left open at the end of run a is
 * closed by its visit's first hit in the later run b; b's open page views
 * stay open (accs through map). out is a's aggregate. */
static void top_merge(agg_t *out, vstate_t *a, const vstate_t *b, size_t visits,
                      const uint32_t *map)
{
    for (size_t w = 0; w < (visits + 63) / 64; w++) {
        for (uint64_t bits = b->top_seen[w]; bits != 0; bits &= bits - 1) {
            size_t vi = w * 64 + (size_t)__builtin_ctzll(bits);
            if (a->top_pend[vi] != NONE32)
                top_close(out, a->top_pend[vi], a->top_pend_ts[vi], b->top_first[vi]);
            if (!cn_bit_get(a->top_seen, vi)) {
                cn_bit_set(a->top_seen, vi);
                a->top_first[vi] = b->top_first[vi];
            }
            a->top_pend[vi] = b->top_pend[vi] == NONE32 ? NONE32 : map[b->top_pend[vi]];
            a->top_pend_ts[vi] = b->top_pend_ts[vi];
        }
    }
}

typedef struct par_pass {
    pass_t *passes;
    cn_scan_t *locals;
    size_t split[CN_QUERY_MAX_THREADS + 1];
    int rc[CN_QUERY_MAX_THREADS];
    cn_err_t err[CN_QUERY_MAX_THREADS];
} par_pass_t;

static void pass_par(void *arg, unsigned t)
{
    par_pass_t *pp = arg;
    pp->rc[t] = run_pass(&pp->passes[t], pp->split[t], pp->split[t + 1]);
}

static int aggregate(cn_query_ctx_t *ctx, const cn_store_t *store, const cn_store_snap_t *snap,
                     const cn_report_req_t *req, const plan_t *pl, int32_t from, int32_t to,
                     agg_t *out, cn_err_t *err)
{
    cn_scan_t scan;
    int rc = cn_scan_open(&scan, ctx, store, snap, from, to, req->include_bots, err);
    uint64_t *filter = NULL, *vfilter = NULL;
    if (rc == 0 && req->segment != NULL) {
        /* a visit container at the top: a set of visits, no hit bitset */
        rc = cn_scan_segment_visits(&scan, req->segment, &vfilter);
        if (rc == 0 && vfilter == NULL)
            rc = cn_scan_segment(&scan, req->segment, &filter);
    }
    for (size_t f = 0; rc == 0 && f < pl->field_count; f++)
        rc = cn_scan_prepare(&scan, &pl->fields[f]);
    if (rc != 0) {
        cn_scan_close(&scan);
        free(filter);
        free(vfilter);
        return rc;
    }
    if (vfilter != NULL) {
        /* bot visits out of the visit filter: a hit then tests one bit */
        for (uint64_t v0 = 0; v0 < scan.visit_count; v0 += 64) {
            uint64_t bots = 0, end = scan.visit_count - v0 < 64 ? scan.visit_count - v0 : 64;
            for (uint64_t b = 0; b < end; b++)
                bots |= (uint64_t)(scan.v_bot[v0 + b] != 0) << b;
            vfilter[v0 >> 6] &= ~bots;
        }
    }
    unsigned nt = scan.threads;
    if (nt > scan.seg_count)
        nt = scan.seg_count ? (unsigned)scan.seg_count : 1;
    par_pass_t pp;
    memset(&pp, 0, sizeof(pp));
    pp.passes = cn_xcalloc(nt, sizeof(pass_t));
    pp.locals = cn_xcalloc(nt, sizeof(cn_scan_t));
    cn_scan_split(&scan, nt, pp.split);
    int y, m, d;
    cn_store_day_to_ymd(from, &y, &m, &d);
    /* day trends counted by visits_pass (no hit filter): a day (partition)
     * of one segment is a bucket no other segment adds visits to (order
     * visits need the visit's later days: counted through the bits) */
    uint8_t *direct = NULL;
    if (pl->by_visits_trend && !pl->additive && req->gran == CN_GRAN_DAY && filter == NULL &&
        !pl->need[CN_M_ORDER_VISITS] && pl->key_bound[0] > 0) {
        direct = cn_xcalloc(pl->key_bound[0], 1);
        for (size_t k = 0; k < scan.seg_count; k++) {
            size_t part = scan.segs[k].part;
            bool alone = (k == 0 || scan.segs[k - 1].part != part) &&
                         (k + 1 == scan.seg_count || scan.segs[k + 1].part != part);
            int64_t b = (int64_t)cn_store_snap_partition_day(snap, part) - from;
            if (alone && b >= 0 && (uint64_t)b < pl->key_bound[0])
                direct[b] = 1;
        }
    }
    for (unsigned t = 0; t < nt; t++) {
        pp.locals[t] = scan;
        pp.locals[t].err = &pp.err[t];
        pass_t *p = &pp.passes[t];
        *p = (pass_t){.scan = &pp.locals[t],
                      .pl = pl,
                      .agg = t == 0 ? out : cn_xcalloc(1, sizeof(agg_t)),
                      .filter = filter,
                      .vfilter = vfilter,
                      .from_day = from,
                      .tb_slot = INT64_MIN,
                      .direct = direct};
        p->week_monday = from - (((from % 7) + 7 + 3) % 7);
        if (pl->field_count == 1 && pl->fields[0].dim->src == CN_DIMSRC_VISIT_COL) {
            cn_store_col_t col = pl->fields[0].dim->col;
            if (cn_store_col(col)->kind == CN_COLK_U8)
                p->vkey8 = scan.v_cols8[col];
            else
                p->vkey32 = scan.v_cols32[col];
        }
        p->month0 = y * 12 + m;
        agg_init(p->agg, pl);
        agg_init_vbits(p->agg, pl, scan.visitor_count, scan.visit_count);
        if (!pl->additive)
            vstate_init(&p->vs, &scan, pl);
    }
    if (nt == 1)
        pass_par(&pp, 0);
    else
        cn_query__parallel(nt, pass_par, &pp);
    for (unsigned t = 0; t < nt && rc == 0; t++) {
        if (pp.rc[t] != 0)
            rc = cn_err_set(err, pp.rc[t], "%s", cn_err_msg(&pp.err[t], pp.rc[t]));
    }
    for (unsigned t = 1; t < nt; t++) {
        pass_t *p = &pp.passes[t];
        if (rc == 0) {
            uint32_t *map = cn_xmalloc((p->agg->nacc + 1) * sizeof(uint32_t));
            agg_merge(out, p->agg, pl, map, direct);
            if (!pl->additive)
                vstate_merge(&pp.passes[0].vs, &p->vs, scan.visit_count, scan.visitor_count, map);
            if (pl->need_top)
                top_merge(out, &pp.passes[0].vs, &p->vs, scan.visit_count, map);
            free(map);
        }
        if (!pl->additive)
            vstate_free(&p->vs);
        agg_free(p->agg);
        free(p->agg);
    }
    if (rc == 0 && pl->additive)
        additive_totals(out);
    if (rc == 0 && !pl->additive)
        finish_visits(&pp.passes[0]);
    if (!pl->additive)
        vstate_free(&pp.passes[0].vs);
    for (unsigned t = 0; t < nt; t++)
        free(pp.passes[t].vmark);
    free(direct);
    free(pp.passes);
    free(pp.locals);
    free(filter);
    free(vfilter);
    cn_scan_close(&scan);
    return rc;
}

/* --- Metrics from measures --- */

typedef struct eval_ctx {
    const cn_report_req_t *req;
    const plan_t *pl;
    const int64_t *m;
} eval_ctx_t;

static double base_value(const plan_t *pl, const cn_metric_def_t *def, int arg, const int64_t *m)
{
    if (def->is_event) {
        for (size_t e = 0; e < pl->event_count; e++) {
            if (pl->events[e] == arg)
                return (double)m[CN_M_BASE_COUNT + e] * def->scale;
        }
        return 0;
    }
    double num = (double)m[def->num];
    if (def->den < 0)
        return num * def->scale;
    double den = (double)m[def->den];
    if (den == 0)
        return 0;
    /* Money per something (aov, revenue_per_visit) is the revenue metric's value divided, in
     * the order the formula revenue / visits computes it: the built-in and the calculated
     * metric are the same double, so the same in every format. */
    if (def->unit == CN_UNIT_MONEY)
        return num * def->scale / den;
    return num / den * def->scale;
}

static double lookup_metric(void *ud, const char *name)
{
    eval_ctx_t *c = ud;
    int arg;
    const cn_metric_def_t *def = cn_metric_find(cn_str_c(name), &arg);
    if (def == NULL)
        return 0;
    return base_value(c->pl, def, arg, c->m);
}

static double metric_value(const cn_report_req_t *req, const plan_t *pl, size_t i, const int64_t *m)
{
    const cn_req_metric_t *rm = &req->metrics[i];
    if (rm->calc != NULL) {
        eval_ctx_t c = {req, pl, m};
        return cn_calc_eval(rm->calc, lookup_metric, &c);
    }
    return base_value(pl, rm->def, rm->arg, m);
}

/* --- Labels --- */

typedef struct report_priv {
    cn_buf_t labels;                        /* every label, NUL-separated */
    char key_names[CN_REPORT_MAX_DIMS][32]; /* "evar3": the dimensions' names as the catalogue's */
    double *values;
    cn_report_row_t *rows;
    const cn_report_req_t *req;
} report_priv_t;

static void fmt_day(int32_t day, char *out, size_t n)
{
    int y, m, d;
    cn_store_day_to_ymd(day, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static void label_for(const cn_store_snap_t *snap, const plan_t *pl, size_t part, uint32_t v,
                      char *tmp, size_t tmplen, cn_str_t *out)
{
    const cn_report_req_t *req = pl->req;
    if (req->gran != CN_GRAN_NONE && part == 0) {
        int32_t day;
        int y, m, d;
        switch (req->gran) {
        case CN_GRAN_HOUR:
            fmt_day(req->from_day + (int32_t)(v / 24), tmp, tmplen);
            snprintf(tmp + 10, tmplen - 10, "T%02u:00", v % 24);
            break;
        case CN_GRAN_DAY:
            fmt_day(req->from_day + (int32_t)v, tmp, tmplen);
            break;
        case CN_GRAN_WEEK:
            day = req->from_day - (((req->from_day % 7) + 7 + 3) % 7) + (int32_t)v * 7;
            fmt_day(day, tmp, tmplen);
            break;
        default:
            cn_store_day_to_ymd(req->from_day, &y, &m, &d);
            m = m - 1 + (int)v;
            snprintf(tmp, tmplen, "%04d-%02d", y + m / 12, m % 12 + 1);
            break;
        }
        *out = cn_str_c(tmp);
        return;
    }
    const cn_field_t *f = &pl->fields[part - (req->gran != CN_GRAN_NONE)];
    int dict = cn_field_dict(f);
    if (dict >= 0) {
        *out = cn_store_snap_dict_str(snap, dict, v);
        return;
    }
    const char *name = NULL;
    static const char *const dows[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    if (f->dim->names != CN_DIMENUM_NONE)
        name = cn_query__enum_name(f->dim->names, v);
    else if (f->dim->src == CN_DIMSRC_NEW_RETURN)
        name = v ? "returning" : "new";
    else if (f->dim->src == CN_DIMSRC_DOW && v < 7)
        name = dows[v];
    if (name != NULL) {
        *out = cn_str_c(name);
        return;
    }
    if (f->dim->src == CN_DIMSRC_HOUR)
        snprintf(tmp, tmplen, "%02u", v);
    else
        snprintf(tmp, tmplen, "%u", v);
    *out = cn_str_c(tmp);
}

/* --- Sorting --- */

typedef struct sort_ctx {
    cn_report_row_t *rows;
    size_t key_count;
    int metric;
    bool asc;
    uint64_t *keyv;
    /* key parts ordered by their number rather than their label: time
     * buckets, and dimensions whose values are numbers (visit_number, hour,
     * day_of_week from Monday, new_returning) */
    bool by_value[CN_REPORT_MAX_DIMS + 1];
} sort_ctx_t;

/* Part k of a row's key (key_of() packs two 32-bit parts). */
static inline uint32_t key_part(uint64_t key, size_t key_count, size_t k)
{
    return key_count == 1 ? (uint32_t)key : (uint32_t)(k == 0 ? key >> 32 : key);
}

/* Labels by their bytes (UTF-8 by code point, as SQL's binary collation;
 * the empty label first). */
static int cmp_label(cn_str_t s, cn_str_t t)
{
    size_t n = s.len < t.len ? s.len : t.len;
    int r = n ? memcmp(s.ptr, t.ptr, n) : 0;
    if (r == 0 && s.len != t.len)
        r = s.len < t.len ? -1 : 1;
    return r;
}

static int cmp_rows(const void *a, const void *b, void *ud)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const sort_ctx_t *c = ud;
    if (c->metric >= 0) {
        double x = c->rows[i].values[c->metric], y = c->rows[j].values[c->metric];
        if (x != y)
            return (x < y) == c->asc ? -1 : 1;
        /* ties: by label, so that equal answers come in one order */
        for (size_t k = 0; k < c->key_count; k++) {
            int r = cmp_label(c->rows[i].keys[k], c->rows[j].keys[k]);
            if (r != 0)
                return r;
        }
        /* equal labels (unknown values): by key, a total order */
        return c->keyv[i] == c->keyv[j] ? 0 : c->keyv[i] < c->keyv[j] ? -1 : 1;
    }
    /* by key: part after part, each by its number or its label */
    int r = 0;
    for (size_t k = 0; k < c->key_count && r == 0; k++) {
        if (c->by_value[k]) {
            uint32_t x = key_part(c->keyv[i], c->key_count, k);
            uint32_t y = key_part(c->keyv[j], c->key_count, k);
            r = x == y ? 0 : x < y ? -1 : 1;
        } else {
            r = cmp_label(c->rows[i].keys[k], c->rows[j].keys[k]);
        }
    }
    if (r == 0)
        r = c->keyv[i] == c->keyv[j] ? 0 : c->keyv[i] < c->keyv[j] ? -1 : 1;
    return c->asc ? r : -r;
}

/* The first `need` rows of order[0..n) in sorted order, in order[0..need):
 * insertion into a short sorted prefix instead of sorting every row. */
#define TOPK_MAX 256

static void top_rows(size_t *order, size_t n, size_t need, sort_ctx_t *sc)
{
    size_t have = 0;
    for (size_t i = 0; i < n; i++) {
        size_t x = order[i];
        if (have == need && cmp_rows(&x, &order[have - 1], sc) >= 0)
            continue;
        size_t lo = 0, hi = have;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_rows(&order[mid], &x, sc) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = have < need ? have : need - 1;
        memmove(&order[lo + 1], &order[lo], (end - lo) * sizeof(size_t));
        order[lo] = x;
        if (have < need)
            have++;
    }
}

/* --- The report --- */

/* The first day of the month after (y, m). */
static int32_t next_month_start(int y, int m)
{
    return cn_store_day_from_ymd(m == 12 ? y + 1 : y, m % 12 + 1, 1);
}

/*
 * The compared range. previous_period: a range of whole calendar months (the
 * 1st of a month to the last day of a month) compares with as many whole
 * months just before (Feb 1-28 with Jan 1-31, Nov 1-30 with Oct 1-31); any
 * other range with the same number of days just before. previous_year (and
 * previous_bucket by month): whole months with the same whole months a year
 * (a month) before (Feb 1-28 2025 with Feb 1-29 2024); other ranges with the
 * same days of the month, a day past the month's end becoming its last day
 * (Feb 29 with Feb 28). previous_bucket by hour or day: a day before; by
 * week: 7 days before.
 */
static void shift_range(const cn_report_req_t *req, int32_t *from, int32_t *to)
{
    int y0, m0, d0, y1, m1, d1;
    int32_t len = req->to_day - req->from_day + 1;
    cn_store_day_to_ymd(req->from_day, &y0, &m0, &d0);
    cn_store_day_to_ymd(req->to_day, &y1, &m1, &d1);
    bool whole = d0 == 1 && req->to_day + 1 == next_month_start(y1, m1);
    int months = 0;
    switch (req->compare) {
    case CN_COMPARE_PREVIOUS_YEAR:
        months = 12;
        break;
    case CN_COMPARE_PREVIOUS_BUCKET:
        if (req->gran == CN_GRAN_MONTH)
            months = 1;
        else {
            int32_t step = req->gran == CN_GRAN_WEEK ? 7 : 1;
            *from = req->from_day - step;
            *to = req->to_day - step;
            return;
        }
        break;
    default:
        if (!whole) {
            *from = req->from_day - len;
            *to = req->to_day - len;
            return;
        }
        months = (y1 * 12 + m1) - (y0 * 12 + m0) + 1;
    }
    int a = y0 * 12 + (m0 - 1) - months, b = y1 * 12 + (m1 - 1) - months;
    int fy = a / 12, fm = a % 12 + 1, ty = b / 12, tm = b % 12 + 1;
    int32_t first = cn_store_day_from_ymd(fy, fm, 1), last = next_month_start(ty, tm) - 1;
    if (!whole) {
        int32_t from_end = next_month_start(fy, fm) - 1;
        int32_t day = first + (d0 - 1), tday = cn_store_day_from_ymd(ty, tm, 1) + (d1 - 1);
        first = day < from_end ? day : from_end; /* Feb 29 -> Feb 28 */
        last = tday < last ? tday : last;        /* Mar 31 -> Feb 28 */
    }
    *from = first;
    *to = last;
}

/*
 * A day or hour trend compared with the previous year: the bucket, in the compared range
 * [cfrom, cto], of the same day (and hour) a year before bucket b of the range, Feb 29 becoming
 * Feb 28 as in shift_range(); false when that day is not in the compared range. Matching the
 * buckets by their place in each range instead would compare March 1 of a leap year with
 * March 2 of the year before, and leave the range's last day without a compared value.
 */
static bool year_back_bucket(const cn_report_req_t *req, uint32_t b, int32_t cfrom, int32_t cto,
                             uint32_t *out)
{
    bool hourly = req->gran == CN_GRAN_HOUR;
    int32_t day = req->from_day + (int32_t)(hourly ? b / 24 : b);
    int y, m, d;
    cn_store_day_to_ymd(day, &y, &m, &d);
    int32_t first = cn_store_day_from_ymd(y - 1, m, 1), end = next_month_start(y - 1, m) - 1;
    int32_t cday = first + (d - 1) < end ? first + (d - 1) : end;
    if (cday < cfrom || cday > cto)
        return false;
    *out = (uint32_t)(cday - cfrom) * (hourly ? 24 : 1) + (hourly ? b % 24 : 0);
    return true;
}

/* A compared trend of additive measures whose two ranges overlap (previous
 * bucket): one pass by local day over the union of the ranges, then each
 * day's measures are added to the bucket of the current and of the compared
 * range it falls in. Partitions are local days, so a day holds exactly the
 * hits the two separate passes would have read. */
static bool fold_ok(const cn_report_req_t *req, const plan_t *pl, int32_t cfrom, int32_t cto)
{
    if (!pl->additive || pl->field_count != 0 || req->segment != NULL)
        return false;
    if (req->gran != CN_GRAN_DAY && req->gran != CN_GRAN_WEEK && req->gran != CN_GRAN_MONTH)
        return false;
    int32_t u0 = cfrom < req->from_day ? cfrom : req->from_day;
    int32_t u1 = cto > req->to_day ? cto : req->to_day;
    int64_t len = (int64_t)(req->to_day - req->from_day + 1) + (cto - cfrom + 1);
    return (int64_t)u1 - u0 + 1 < len;
}

static uint32_t day_bucket(cn_gran_t g, int32_t from, int32_t day)
{
    int y, m, d, y0, m0;
    switch (g) {
    case CN_GRAN_WEEK:
        return (uint32_t)((day - (from - (((from % 7) + 7 + 3) % 7))) / 7);
    case CN_GRAN_MONTH:
        cn_store_day_to_ymd(from, &y0, &m0, &d);
        cn_store_day_to_ymd(day, &y, &m, &d);
        return (uint32_t)((y * 12 + m) - (y0 * 12 + m0));
    default:
        return (uint32_t)(day - from);
    }
}

static void fold_days(const agg_t *days, int32_t u0, const plan_t *pl, int32_t from, int32_t to,
                      agg_t *out)
{
    agg_init(out, pl);
    for (size_t i = 0; i < days->nacc; i++) {
        int32_t day = u0 + (int32_t)(uint32_t)days->keyv[i];
        if (day < from || day > to)
            continue;
        uint32_t acc = acc_of(out, day_bucket(pl->req->gran, from, day));
        const int64_t *src = days->acc + i * days->nm;
        int64_t *dst = out->acc + (size_t)acc * out->nm;
        for (size_t j = 0; j < out->nm; j++) {
            dst[j] += src[j];
            out->tot[j] += src[j];
        }
    }
}

static int aggregate_folded(cn_query_ctx_t *ctx, const cn_store_t *store,
                            const cn_store_snap_t *snap, const cn_report_req_t *req,
                            const plan_t *pl, int32_t cfrom, int32_t cto, agg_t *cur, agg_t *cmp,
                            cn_err_t *err)
{
    int32_t u0 = cfrom < req->from_day ? cfrom : req->from_day;
    int32_t u1 = cto > req->to_day ? cto : req->to_day;
    cn_report_req_t *dr = cn_xmalloc(sizeof(*dr));
    *dr = *req;
    dr->gran = CN_GRAN_DAY;
    dr->from_day = u0;
    dr->to_day = u1;
    plan_t dpl = *pl;
    dpl.req = dr;
    dpl.key_bound[0] = bucket_count(CN_GRAN_DAY, u0, u1);
    agg_t days;
    memset(&days, 0, sizeof(days));
    int rc = aggregate(ctx, store, snap, dr, &dpl, u0, u1, &days, err);
    if (rc == 0) {
        fold_days(&days, u0, pl, req->from_day, req->to_day, cur);
        cn_report_req_t *cr = cn_xmalloc(sizeof(*cr));
        *cr = *req;
        cr->from_day = cfrom;
        cr->to_day = cto;
        plan_t cpl = *pl;
        cpl.req = cr;
        cpl.key_bound[0] = bucket_count(req->gran, cfrom, cto);
        fold_days(&days, u0, &cpl, cfrom, cto, cmp);
        free(cr);
    }
    agg_free(&days);
    free(dr);
    return rc;
}

int cn_report_run(const cn_store_t *store, const cn_store_snap_t *snap, const cn_report_req_t *req,
                  cn_report_t **out, cn_err_t *err)
{
    return cn_report_run_ctx(NULL, store, snap, req, out, err);
}

int cn_report_run_ctx(cn_query_ctx_t *ctx, const cn_store_t *store, const cn_store_snap_t *snap,
                      const cn_report_req_t *req, cn_report_t **out, cn_err_t *err)
{
    int64_t t0 = cn_time_mono_us();
    plan_t pl;
    int rc = plan_build(&pl, req, snap, err);
    if (rc != 0)
        return rc;
    agg_t cur, cmp;
    memset(&cur, 0, sizeof(cur));
    memset(&cmp, 0, sizeof(cmp));
    int32_t cfrom = 0, cto = 0;
    if (req->compare != CN_COMPARE_NONE)
        shift_range(req, &cfrom, &cto);
    if (req->compare != CN_COMPARE_NONE && fold_ok(req, &pl, cfrom, cto)) {
        rc = aggregate_folded(ctx, store, snap, req, &pl, cfrom, cto, &cur, &cmp, err);
        if (rc != 0) {
            agg_free(&cur);
            agg_free(&cmp);
            return rc;
        }
    } else {
        if ((rc = aggregate(ctx, store, snap, req, &pl, req->from_day, req->to_day, &cur, err)) !=
            0) {
            agg_free(&cur);
            return rc;
        }
    }
    if (req->compare != CN_COMPARE_NONE && cmp.tot == NULL) {
        plan_t cpl = pl;
        if (req->gran != CN_GRAN_NONE) {
            /* Buckets are counted from the compared range's own start. */
            cn_report_req_t *r2 = cn_xmalloc(sizeof(*r2));
            *r2 = *req;
            r2->from_day = cfrom;
            r2->to_day = cto;
            cpl.req = r2;
            cpl.key_bound[0] = bucket_count(req->gran, cfrom, cto);
            rc = aggregate(ctx, store, snap, r2, &cpl, cfrom, cto, &cmp, err);
            free(r2);
        } else {
            rc = aggregate(ctx, store, snap, req, &cpl, cfrom, cto, &cmp, err);
        }
        if (rc != 0) {
            agg_free(&cur);
            agg_free(&cmp);
            return rc;
        }
    }

    cn_report_t *r = cn_xcalloc(1, sizeof(*r));
    report_priv_t *pv = cn_xcalloc(1, sizeof(*pv));
    r->priv = pv;
    pv->req = req;
    r->key_count = pl.field_count + (req->gran != CN_GRAN_NONE);
    size_t kn = 0;
    if (req->gran != CN_GRAN_NONE)
        r->key_names[kn++] = "time";
    for (size_t i = 0; i < req->dim_count; i++) {
        cn_query__dim_name(req->dims[i].def, req->dims[i].arg, pv->key_names[i],
                           sizeof(pv->key_names[i]));
        r->key_names[kn++] = pv->key_names[i];
    }
    r->metric_count = req->metric_count;
    for (size_t i = 0; i < req->metric_count; i++)
        r->metric_names[i] = req->metrics[i].name;
    r->from_day = req->from_day;
    r->to_day = req->to_day;
    r->cmp_from_day = cfrom;
    r->cmp_to_day = cto;

    /* Trends fill every bucket of the range, with zeros where there were no hits. */
    if (req->gran != CN_GRAN_NONE && pl.field_count == 0) {
        uint64_t nb = bucket_count(req->gran, req->from_day, req->to_day);
        for (uint64_t b = 0; b < nb && b < CN_REPORT_MAX_LIMIT; b++)
            (void)acc_of(&cur, b);
    }
    /* Totals only: always the one row, zeros when nothing matched (as the totals are), so a
     * client never has to tell "no row" from "a row of zeros". */
    if (r->key_count == 0)
        (void)acc_of(&cur, 0);

    size_t nm = req->metric_count, nrows = cur.nacc;
    bool with_cmp = req->compare != CN_COMPARE_NONE;
    bool by_date = req->compare == CN_COMPARE_PREVIOUS_YEAR &&
                   (req->gran == CN_GRAN_DAY || req->gran == CN_GRAN_HOUR);
    size_t per_row = nm * (with_cmp ? 2 : 1);
    pv->values = cn_xcalloc((nrows + 1) * per_row + 2 * nm + 1, sizeof(double));
    pv->rows = cn_xcalloc(nrows + 1, sizeof(cn_report_row_t));
    size_t *order = cn_xmalloc((nrows + 1) * sizeof(size_t));
    /* Labels: build all of them first (the buffer moves while it grows). */
    size_t *label_off = cn_xmalloc((nrows * r->key_count + 1) * sizeof(size_t));
    size_t *label_len = cn_xmalloc((nrows * r->key_count + 1) * sizeof(size_t));
    for (size_t i = 0; i < nrows; i++) {
        uint64_t key = cur.keyv[i];
        for (size_t part = 0; part < r->key_count; part++) {
            uint32_t v =
                r->key_count == 1 ? (uint32_t)key : (uint32_t)(part == 0 ? key >> 32 : key);
            char tmp[64];
            cn_str_t lab;
            label_for(snap, &pl, part, v, tmp, sizeof(tmp), &lab);
            label_off[i * r->key_count + part] = pv->labels.len;
            label_len[i * r->key_count + part] = lab.len;
            cn_buf_append_str(&pv->labels, lab);
            cn_buf_putc(&pv->labels, '\0');
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        cn_report_row_t *row = &pv->rows[i];
        for (size_t part = 0; part < r->key_count; part++) {
            /* whole: a label may hold a NUL byte (pageName=a%00b is kept whole) */
            row->keys[part] = cn_str(pv->labels.ptr + label_off[i * r->key_count + part],
                                     label_len[i * r->key_count + part]);
        }
        row->values = pv->values + i * per_row;
        const int64_t *m = cur.acc + i * cur.nm;
        for (size_t j = 0; j < nm; j++)
            row->values[j] = metric_value(req, &pl, j, m);
        if (with_cmp) {
            row->compare = row->values + nm;
            uint32_t ci;
            bool found = false, in_range = true;
            uint64_t ckey = cur.keyv[i];
            if (by_date) {
                /* the same day a year before, not the bucket at the same place */
                uint32_t b = r->key_count == 1 ? (uint32_t)ckey : (uint32_t)(ckey >> 32), cb = 0;
                in_range = year_back_bucket(req, b, cfrom, cto, &cb);
                ckey = r->key_count == 1 ? cb : (uint64_t)cb << 32 | (uint32_t)ckey;
            }
            if (!in_range) {
                found = false;
            } else if (cmp.dense != NULL && ckey < cmp.dense_len) {
                ci = cmp.dense[ckey];
                found = ci != NONE32;
            } else if (cmp.dense == NULL) {
                found = hmap_find(&cmp.map, ckey, &ci);
            }
            for (size_t j = 0; j < nm; j++)
                row->compare[j] = found ? metric_value(req, &pl, j, cmp.acc + ci * cmp.nm) : 0;
        }
        order[i] = i;
    }
    free(label_off);
    free(label_len);
    r->totals = pv->values + nrows * per_row;
    for (size_t j = 0; j < nm; j++)
        r->totals[j] = metric_value(req, &pl, j, cur.tot);
    if (with_cmp) {
        r->compare_totals = r->totals + nm;
        for (size_t j = 0; j < nm; j++)
            r->compare_totals[j] = metric_value(req, &pl, j, cmp.tot);
    }

    /* Sort, then page. */
    bool include_empty = req->include_empty;
    size_t kept = 0;
    for (size_t i = 0; i < nrows; i++) {
        bool empty = false;
        for (size_t part = 0; part < r->key_count; part++)
            empty |= pv->rows[i].keys[part].len == 0;
        if (include_empty || !empty)
            order[kept++] = i;
    }
    sort_ctx_t sc = {pv->rows, r->key_count, req->sort_metric, req->sort_asc, cur.keyv, {false}};
    for (size_t part = 0; part < r->key_count; part++) {
        bool time = req->gran != CN_GRAN_NONE && part == 0;
        const cn_field_t *f = time ? NULL : &pl.fields[part - (req->gran != CN_GRAN_NONE)];
        sc.by_value[part] = time || (cn_field_dict(f) < 0 && f->dim->names == CN_DIMENUM_NONE);
    }
    size_t need = req->offset + req->limit;
    if (req->limit > 0 && need <= TOPK_MAX && need < kept)
        top_rows(order, kept, need, &sc);
    else
        qsort_r(order, kept, sizeof(size_t), cmp_rows, &sc);
    r->total_rows = kept;
    /* Totals only: the one row whatever the paging, as the CLI's table and CSV print it. */
    size_t from = r->key_count == 0 ? 0 : req->offset < kept ? req->offset : kept;
    size_t count = kept - from;
    if (req->limit > 0 && count > req->limit)
        count = req->limit;
    r->rows = cn_xcalloc(count + 1, sizeof(cn_report_row_t));
    for (size_t i = 0; i < count; i++)
        r->rows[i] = pv->rows[order[from + i]];
    r->row_count = count;
    free(order);
    agg_free(&cur);
    agg_free(&cmp);
    r->elapsed_ms = (double)(cn_time_mono_us() - t0) / 1000.0;
    *out = r;
    return 0;
}

void cn_report_free(cn_report_t *r)
{
    if (r == NULL)
        return;
    report_priv_t *pv = r->priv;
    cn_buf_dispose(&pv->labels);
    free(pv->values);
    free(pv->rows);
    free(pv);
    free(r->rows);
    free(r);
}

/* --- Output --- */

static cn_unit_t metric_unit(const cn_report_req_t *req, size_t m)
{
    const cn_req_metric_t *rm = &req->metrics[m];
    return rm->def != NULL    ? cn_query__metric_unit(rm->def, rm->arg, &req->events)
           : rm->calc != NULL ? cn_calc_unit(rm->calc)
                              : CN_UNIT_RATIO;
}

_Static_assert(CN_MONEY_SCALE == 10000, "money is written to 4 decimals");

/*
 * A finite value as JSON, CSV and TSV write it (one rule, so that the API and the command
 * line give the same figures): whole counts as integers; money to 4 decimals, the store's
 * fixed point (CN_MONEY_SCALE: docs/hit.md), rounded once here, trailing zeros dropped
 * (12.5, not 12.5000); anything else to 10 significant digits.
 */
static void value_text(cn_buf_t *out, double v, cn_unit_t unit)
{
    if (unit == CN_UNIT_COUNT && v == floor(v) && fabs(v) < 9e15) {
        cn_buf_printf(out, "%.0f", v);
        return;
    }
    char tmp[64];
    if (unit == CN_UNIT_MONEY)
        snprintf(tmp, sizeof(tmp), "%.4f", v);
    else
        snprintf(tmp, sizeof(tmp), "%.10g", v);
    /* trim trailing zeros of a fixed-point number */
    if (strchr(tmp, '.') != NULL && strchr(tmp, 'e') == NULL) {
        size_t n = strlen(tmp);
        while (n > 0 && tmp[n - 1] == '0')
            tmp[--n] = '\0';
        if (n > 0 && tmp[n - 1] == '.')
            tmp[--n] = '\0';
    }
    if (strcmp(tmp, "-0") == 0)
        strcpy(tmp, "0");
    cn_buf_append_c(out, tmp);
}

/* A JSON number: value_text, or null for a value that is not finite. */
static void json_num(cn_buf_t *out, double v, cn_unit_t unit)
{
    if (isfinite(v))
        value_text(out, v, unit);
    else
        cn_buf_append_c(out, "null");
}

void cn_query__json_number(cn_buf_t *out, double v, cn_unit_t unit)
{
    json_num(out, v, unit);
}

static void json_values(cn_buf_t *out, const cn_report_req_t *req, const double *v, size_t n)
{
    cn_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            cn_buf_putc(out, ',');
        json_num(out, v[i], metric_unit(req, i));
    }
    cn_buf_putc(out, ']');
}

static void json_growth(cn_buf_t *out, const cn_report_req_t *req, const double *v, const double *c,
                        size_t n)
{
    cn_buf_append_c(out, ",\"change\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            cn_buf_putc(out, ',');
        json_num(out, v[i] - c[i], metric_unit(req, i));
    }
    cn_buf_append_c(out, "],\"growth\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            cn_buf_putc(out, ',');
        if (c[i] == 0)
            cn_buf_append_c(out, "null");
        else
            json_num(out, (v[i] - c[i]) / fabs(c[i]) * 100.0, CN_UNIT_PERCENT);
    }
    cn_buf_putc(out, ']');
}

void cn_report_to_json(const cn_report_t *r, const cn_report_req_t *req, cn_buf_t *out)
{
    char a[16], b[16];
    cn_buf_append_c(out, "{\"suite\":");
    cn_buf_append_json_str(out, cn_str_c(req->suite));
    fmt_day(r->from_day, a, sizeof(a));
    fmt_day(r->to_day, b, sizeof(b));
    cn_buf_printf(out, ",\"from\":\"%s\",\"to\":\"%s\"", a, b);
    if (r->compare_totals != NULL) {
        fmt_day(r->cmp_from_day, a, sizeof(a));
        fmt_day(r->cmp_to_day, b, sizeof(b));
        cn_buf_printf(out, ",\"compare_from\":\"%s\",\"compare_to\":\"%s\"", a, b);
    }
    if (req->segment != NULL) {
        /* the segment as canton read it, in its canonical text form (docs/segments.md) */
        cn_buf_t seg = CN_BUF_INIT;
        cn_segment_format(req->segment, &seg);
        cn_buf_append_c(out, ",\"segment\":");
        cn_buf_append_json_str(out, cn_str(seg.ptr, seg.len));
        cn_buf_dispose(&seg);
    }
    cn_buf_append_c(out, ",\"keys\":[");
    for (size_t k = 0; k < r->key_count; k++) {
        if (k)
            cn_buf_putc(out, ',');
        cn_buf_append_json_str(out, cn_str_c(r->key_names[k]));
    }
    cn_buf_append_c(out, "],\"metrics\":[");
    for (size_t m = 0; m < r->metric_count; m++) {
        if (m)
            cn_buf_putc(out, ',');
        cn_buf_append_json_str(out, cn_str_c(r->metric_names[m]));
    }
    cn_buf_append_c(out, "],\"rows\":[");
    for (size_t i = 0; i < r->row_count; i++) {
        const cn_report_row_t *row = &r->rows[i];
        cn_buf_append_c(out, i ? ",{\"keys\":[" : "{\"keys\":[");
        for (size_t k = 0; k < r->key_count; k++) {
            if (k)
                cn_buf_putc(out, ',');
            cn_buf_append_json_str(out, row->keys[k]);
        }
        cn_buf_append_c(out, "],\"values\":");
        json_values(out, req, row->values, r->metric_count);
        if (row->compare != NULL) {
            cn_buf_append_c(out, ",\"compare\":");
            json_values(out, req, row->compare, r->metric_count);
            json_growth(out, req, row->values, row->compare, r->metric_count);
        }
        cn_buf_putc(out, '}');
    }
    cn_buf_append_c(out, "],\"totals\":{\"values\":");
    json_values(out, req, r->totals, r->metric_count);
    if (r->compare_totals != NULL) {
        cn_buf_append_c(out, ",\"compare\":");
        json_values(out, req, r->compare_totals, r->metric_count);
        json_growth(out, req, r->totals, r->compare_totals, r->metric_count);
    }
    cn_buf_printf(out, "},\"total_rows\":%zu,\"elapsed_ms\":%.3f}", r->total_rows, r->elapsed_ms);
}

void cn_metric_text(const cn_report_t *r, size_t m, double v, cn_buf_t *out)
{
    const report_priv_t *pv = r->priv;
    if (isfinite(v))
        value_text(out, v, metric_unit(pv->req, m));
}

void cn_metric_format(const cn_report_t *r, size_t m, double v, cn_buf_t *out)
{
    const report_priv_t *pv = r->priv;
    switch (metric_unit(pv->req, m)) {
    case CN_UNIT_COUNT:
        /* a numeric event's sum keeps its decimals (the store keeps 4): as the API writes it */
        if (v == floor(v))
            cn_buf_printf(out, "%.0f", v);
        else
            value_text(out, v, CN_UNIT_COUNT);
        break;
    case CN_UNIT_MONEY: { /* the 4 decimals of every format, padded to line up */
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%.4f", v);
        cn_buf_append_c(out, strcmp(tmp, "-0.0000") == 0 ? "0.0000" : tmp);
        break;
    }
    case CN_UNIT_PERCENT:
        cn_buf_printf(out, "%.2f%%", v);
        break;
    case CN_UNIT_SECONDS:
        cn_buf_printf(out, "%dm%02ds", (int)(v / 60), (int)fmod(v, 60));
        break;
    default:
        cn_buf_printf(out, "%.2f", v);
    }
}
