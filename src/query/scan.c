/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scan layer (scan.h): partitions of a range, visit arrays, per-segment
 * hit columns, field values and segment evaluation with bitsets.
 *
 * Segment evaluation works level by level: a node evaluated at the hit
 * level gives a bitset over the range's hits, at the visit level one over
 * visits, at the visitor level one over visitors. A condition evaluated at
 * the visit level is true for a visit when one of its hits in the range
 * matches (a visit container's rules may be met by different hits, as in
 * Adobe Analytics); a container projects its result to the level asked for:
 * down (a hit is in when its visit is) or up (a visit is in when one of its
 * hits is).
 */
#include "query/scan.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* --- Opening --- */

static int load_visit_bots(cn_scan_t *s);
static void *visit_borrow(cn_scan_t *s, int col, size_t width, cn_qent_t **hold, int *rc);

int cn_scan_open(cn_scan_t *s, cn_query_ctx_t *ctx, const cn_store_t *store,
                 const cn_store_snap_t *snap, int32_t from_day, int32_t to_day, bool include_bots,
                 cn_err_t *err)
{
    memset(s, 0, sizeof(*s));
    s->store = store;
    s->snap = snap;
    s->from_day = from_day;
    s->to_day = to_day;
    s->include_bots = include_bots;
    s->err = err;
    s->ctx = ctx;
    s->threads = cn_query__threads(ctx);
    cn_query__cache_sweep(ctx, snap);
    s->first_visit = cn_store_snap_first_visit(snap);
    uint64_t nv = cn_store_snap_visits(snap);
    s->visit_count = nv > s->first_visit ? nv - s->first_visit : 0;
    s->visitor_count = cn_store_snap_visitors(snap);

    size_t parts = cn_store_snap_partition_count(snap);
    for (size_t p = cn_store_snap_partition_find(snap, from_day); p < parts; p++) {
        if (cn_store_snap_partition_day(snap, p) > to_day)
            break;
        size_t nseg = cn_store_snap_segment_count(snap, p);
        for (size_t k = 0; k < nseg; k++) {
            const cn_store_seg_t *seg = cn_store_snap_segment(snap, p, k);
            uint64_t n = cn_store_seg_rows(seg, CN_GROUP_HIT);
            if (n == 0)
                continue;
            s->segs = cn_xrealloc(s->segs, (s->seg_count + 1) * sizeof(*s->segs));
            cn_scanseg_t *ss = &s->segs[s->seg_count++];
            memset(ss, 0, sizeof(*ss));
            ss->seg = seg;
            ss->part = p;
            ss->base = s->hit_count;
            ss->first_row = cn_store_seg_first_row(seg);
            ss->n = (size_t)n;
            s->hit_count += n;
        }
    }
    /* Only the visits the range's hits point at (a segment's visit min/max
     * bound them; anything outside the store's visits is caught at load). */
    if (s->seg_count > 0) {
        int64_t lo = INT64_MAX, hi = -1;
        for (size_t k = 0; k < s->seg_count; k++) {
            int64_t mn, mx;
            cn_store_seg_minmax(s->segs[k].seg, CN_COL_HIT_visit, &mn, &mx);
            lo = mn < lo ? mn : lo;
            hi = mx > hi ? mx : hi;
        }
        uint64_t end = s->first_visit + s->visit_count;
        if (lo >= 0 && (uint64_t)lo > s->first_visit && (uint64_t)lo < end)
            s->first_visit = (uint64_t)lo;
        if (hi >= 0 && (uint64_t)hi + 1 < end && (uint64_t)hi >= s->first_visit)
            end = (uint64_t)hi + 1;
        s->visit_count = end - s->first_visit;
    } else {
        s->visit_count = 0;
    }

    int rc = cn_scan_visit_u32(s, CN_COL_VISIT_visitor, (const uint32_t **)&s->v_visitor);
    if (rc != 0)
        return rc;
    if (!include_bots && (s->v_bot = visit_borrow(s, -1, 1, &s->v_bot_hold, &rc)) != NULL)
        return 0;
    if (rc != 0)
        return rc;
    s->v_bot = cn_xcalloc(s->visit_count ? s->visit_count : 1, 1);
    if (!include_bots)
        rc = load_visit_bots(s);
    return rc;
}

void cn_scan_close(cn_scan_t *s)
{
    for (size_t k = 0; k < s->seg_count; k++)
        cn_scan_unload(s, k);
    free(s->segs);
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (s->v_hold32[c] != NULL)
            cn_query__release(s->ctx, s->v_hold32[c]);
        else
            free(s->v_cols32[c]);
        if (s->v_hold8[c] != NULL)
            cn_query__release(s->ctx, s->v_hold8[c]);
        else
            free(s->v_cols8[c]);
    }
    if (s->v_bot_hold != NULL)
        cn_query__release(s->ctx, s->v_bot_hold);
    else
        free(s->v_bot);
    free(s->v_exit_page);
    memset(s, 0, sizeof(*s));
}

/* --- Visit arrays --- */

/* Which rows of visit segment seg fall in the scan's visits: rows [skip, skip +
 * take) of the segment go to [at, at + take) of the scan's arrays. -1: the
 * segment ends before them, 0: it starts after them (so do the next ones). */
static int visit_slice(const cn_scan_t *s, const cn_store_seg_t *seg, uint64_t *skip, uint64_t *at,
                       uint64_t *take)
{
    uint64_t first = cn_store_seg_first_row(seg), n = cn_store_seg_rows(seg, CN_GROUP_VISIT);
    if (first + n <= s->first_visit)
        return -1;
    *skip = first < s->first_visit ? s->first_visit - first : 0;
    *at = first + *skip - s->first_visit;
    if (*at >= s->visit_count)
        return 0;
    *take = n - *skip;
    if (*at + *take > s->visit_count)
        *take = s->visit_count - *at;
    return 1;
}

static int load_visit_col(cn_scan_t *s, cn_store_col_t col, void *dst, size_t width)
{
    if (s->visit_count == 0)
        return 0;
    size_t nseg = cn_store_snap_visit_segment_count(s->snap);
    for (size_t k = 0; k < nseg; k++) {
        const cn_store_seg_t *seg = cn_store_snap_visit_segment(s->snap, k);
        uint64_t skip, at, take;
        int in = visit_slice(s, seg, &skip, &at, &take);
        if (in < 0)
            continue;
        if (in == 0)
            break;
        const void *src;
        cn_qent_t *hold;
        int rc = cn_query__col(s->ctx, seg, col, &src, &hold, s->err);
        if (rc != 0)
            return rc;
        memcpy((uint8_t *)dst + at * width, (const uint8_t *)src + skip * width, take * width);
        cn_query__release(s->ctx, hold);
    }
    return 0;
}

/* The bot flags of a visit segment's rows (1: a bot visit), derived from its
 * bot and device columns: cached, so that a scan copies one byte per visit
 * instead of decoding or copying both columns. */
typedef struct bots_arg {
    cn_query_ctx_t *ctx;
    const cn_store_seg_t *seg;
} bots_arg_t;

enum { DERIVED_BOTS = 8 };

static int build_bots(void *arg, void **data, size_t *bytes, cn_err_t *err)
{
    bots_arg_t *b = arg;
    size_t n = (size_t)cn_store_seg_rows(b->seg, CN_GROUP_VISIT);
    const void *bot, *dev;
    cn_qent_t *hb, *hd;
    int rc = cn_query__col(b->ctx, b->seg, CN_COL_VISIT_bot, &bot, &hb, err);
    if (rc != 0)
        return rc;
    if ((rc = cn_query__col(b->ctx, b->seg, CN_COL_VISIT_device, &dev, &hd, err)) != 0) {
        cn_query__release(b->ctx, hb);
        return rc;
    }
    uint8_t *flags = cn_xmalloc(n ? n : 1);
    const uint32_t *bot32 = bot;
    const uint8_t *dev8 = dev;
    for (size_t i = 0; i < n; i++)
        flags[i] = bot32[i] != 0 || dev8[i] == CN_DEVICE_BOT;
    cn_query__release(b->ctx, hb);
    cn_query__release(b->ctx, hd);
    *data = flags;
    *bytes = n;
    return 0;
}

static int load_visit_bots(cn_scan_t *s)
{
    if (s->visit_count == 0)
        return 0;
    size_t nseg = cn_store_snap_visit_segment_count(s->snap);
    for (size_t k = 0; k < nseg; k++) {
        const cn_store_seg_t *seg = cn_store_snap_visit_segment(s->snap, k);
        uint64_t skip, at, take;
        int in = visit_slice(s, seg, &skip, &at, &take);
        if (in < 0)
            continue;
        if (in == 0)
            break;
        bots_arg_t b = {s->ctx, seg};
        const void *src;
        size_t bytes;
        cn_qent_t *hold;
        int rc = cn_query__derived(s->ctx, seg, DERIVED_BOTS, build_bots, &b, &src, &bytes, &hold,
                                   s->err);
        if (rc != 0)
            return rc;
        if (bytes < skip + take) {
            cn_query__release(s->ctx, hold);
            return cn_err_set(s->err, CN_ECORRUPT, "a visit segment shorter than its row count");
        }
        memcpy(s->v_bot + at, (const uint8_t *)src + skip, take);
        cn_query__release(s->ctx, hold);
    }
    return 0;
}

/*
 * Visit arrays assembled once. Visit rows never change once they are in a
 * segment file, so a visit column over the ordinals of the snapshot's file
 * visit segments is decoded once into one array and cached in the query
 * context, keyed by the last file segment (a flush or a merge that replaces
 * it makes a new one; the sweep drops the old). A scan whose visits are all
 * in it points into it instead of copying its part of every segment. The
 * array starts with a header: its first ordinal and its length.
 */
/* (keys above the hit segments' derived keys, DERIVED_KEYS + 2 columns) */
enum { DERIVED_VBOTS = 1000, DERIVED_VCOL = 1001 /* + column */ };
#define VHDR 64

typedef struct vcol_arg {
    const cn_store_snap_t *snap;
    size_t nseg; /* file visit segments 0..nseg-1 */
    int col;     /* -1: the bot flags (build_bots) */
    size_t width;
    cn_err_t *err;
} vcol_arg_t;

static int build_vcol(void *arg, void **data, size_t *bytes, cn_err_t *err)
{
    vcol_arg_t *a = arg;
    const cn_store_seg_t *s0 = cn_store_snap_visit_segment(a->snap, 0);
    const cn_store_seg_t *sl = cn_store_snap_visit_segment(a->snap, a->nseg - 1);
    uint64_t first = cn_store_seg_first_row(s0);
    uint64_t end = cn_store_seg_first_row(sl) + cn_store_seg_rows(sl, CN_GROUP_VISIT);
    uint64_t n = end - first;
    uint8_t *buf = cn_xmalloc(VHDR + n * a->width + 1);
    uint64_t hdr[2] = {first, n};
    memcpy(buf, hdr, sizeof(hdr));
    uint32_t *tmp32 = NULL;
    uint8_t *tmp8 = NULL;
    int rc = 0;
    uint64_t at = first;
    for (size_t k = 0; k < a->nseg && rc == 0; k++) {
        const cn_store_seg_t *seg = cn_store_snap_visit_segment(a->snap, k);
        uint64_t f = cn_store_seg_first_row(seg), rows = cn_store_seg_rows(seg, CN_GROUP_VISIT);
        if (f != at || f + rows > end) {
            rc = cn_err_set(err, CN_ECORRUPT, "visit segments are not contiguous at visit %llu",
                            (unsigned long long)at);
            break;
        }
        at = f + rows;
        uint8_t *dst = buf + VHDR + (f - first) * a->width;
        if (a->col >= 0 && a->width == 4) {
            rc = cn_store_read_u32(seg, (cn_store_col_t)a->col, 0, rows, (uint32_t *)dst, err);
        } else if (a->col >= 0) {
            rc = cn_store_read_u8(seg, (cn_store_col_t)a->col, 0, rows, dst, err);
        } else {
            tmp32 = cn_xrealloc(tmp32, rows * 4 + 4);
            tmp8 = cn_xrealloc(tmp8, rows + 1);
            if ((rc = cn_store_read_u32(seg, CN_COL_VISIT_bot, 0, rows, tmp32, err)) == 0 &&
                (rc = cn_store_read_u8(seg, CN_COL_VISIT_device, 0, rows, tmp8, err)) == 0) {
                for (uint64_t i = 0; i < rows; i++)
                    dst[i] = tmp32[i] != 0 || tmp8[i] == CN_DEVICE_BOT;
            }
        }
    }
    free(tmp32);
    free(tmp8);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *data = buf;
    *bytes = VHDR + n * a->width;
    return 0;
}

/* The scan's visits of column col (-1: bot flags) inside the cached
 * assembled array, or NULL (no cache, or the scan reaches the in-memory
 * buffer's visits: the caller copies) with *rc 0, or NULL with *rc set. */
static void *visit_borrow(cn_scan_t *s, int col, size_t width, cn_qent_t **hold, int *rc)
{
    *hold = NULL;
    *rc = 0;
    size_t budget = cn_query__budget(s->ctx);
    if (budget == 0 || s->visit_count == 0)
        return NULL;
    size_t total = cn_store_snap_visit_segment_count(s->snap), nf = 0;
    while (nf < total && cn_store_seg_id(cn_store_snap_visit_segment(s->snap, nf)) != 0)
        nf++;
    if (nf == 0)
        return NULL;
    const cn_store_seg_t *s0 = cn_store_snap_visit_segment(s->snap, 0);
    const cn_store_seg_t *sl = cn_store_snap_visit_segment(s->snap, nf - 1);
    uint64_t first = cn_store_seg_first_row(s0);
    uint64_t end = cn_store_seg_first_row(sl) + cn_store_seg_rows(sl, CN_GROUP_VISIT);
    if (s->first_visit < first || s->first_visit + s->visit_count > end ||
        (end - first) * width + VHDR > budget / 4)
        return NULL;
    vcol_arg_t a = {s->snap, nf, col, width, s->err};
    uint32_t key = col < 0 ? DERIVED_VBOTS : DERIVED_VCOL + (uint32_t)col;
    const void *p;
    size_t bytes;
    if ((*rc = cn_query__derived(s->ctx, sl, key, build_vcol, &a, &p, &bytes, hold, s->err)) != 0)
        return NULL;
    uint64_t hdr[2];
    memcpy(hdr, p, sizeof(hdr));
    if (bytes < VHDR || s->first_visit < hdr[0] ||
        s->first_visit + s->visit_count > hdr[0] + hdr[1]) {
        cn_query__release(s->ctx, *hold); /* an older array of fewer visits */
        *hold = NULL;
        return NULL;
    }
    return (uint8_t *)p + VHDR + (s->first_visit - hdr[0]) * width;
}

/* A visit column as a new array over the scan's visits, or NULL with *rc set. */
static void *visit_array(cn_scan_t *s, cn_store_col_t col, size_t width, int *rc)
{
    void *a = cn_xcalloc(s->visit_count ? s->visit_count : 1, width);
    if ((*rc = load_visit_col(s, col, a, width)) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

/* A visit column of width bytes, loaded once into *slot (borrowed from the
 * cache, held by *hold, else a new array). */
static int visit_col(cn_scan_t *s, cn_store_col_t col, size_t width, void **slot, cn_qent_t **hold)
{
    int rc = 0;
    if (*slot == NULL)
        *slot = visit_borrow(s, (int)col, width, hold, &rc);
    if (*slot == NULL && rc == 0)
        *slot = visit_array(s, col, width, &rc);
    return rc;
}

int cn_scan_visit_u32(cn_scan_t *s, cn_store_col_t col, const uint32_t **out)
{
    void *a = s->v_cols32[col];
    int rc = visit_col(s, col, 4, &a, &s->v_hold32[col]);
    *out = s->v_cols32[col] = a;
    return rc;
}

int cn_scan_visit_u8(cn_scan_t *s, cn_store_col_t col, const uint8_t **out)
{
    void *a = s->v_cols8[col];
    int rc = visit_col(s, col, 1, &a, &s->v_hold8[col]);
    *out = s->v_cols8[col] = a;
    return rc;
}

/* --- Hit columns --- */

static void hold(cn_scanseg_t *ss, cn_qent_t *e)
{
    if (ss->hold_count == ss->hold_cap) {
        ss->hold_cap = ss->hold_cap ? ss->hold_cap * 2 : 8;
        ss->holds = cn_xrealloc(ss->holds, ss->hold_cap * sizeof(*ss->holds));
    }
    ss->holds[ss->hold_count++] = e;
}

/* A whole hit column of the segment, from the query context's cache or decoded. */
static int readcol(cn_scan_t *s, cn_scanseg_t *ss, cn_store_col_t col, void **dst)
{
    if (*dst != NULL)
        return 0;
    const void *p;
    cn_qent_t *e;
    int rc = cn_query__col(s->ctx, ss->seg, col, &p, &e, s->err);
    if (rc != 0)
        return rc;
    hold(ss, e);
    *dst = (void *)p; /* read-only: the cache's copy */
    return 0;
}

static int read32(cn_scan_t *s, cn_scanseg_t *ss, cn_store_col_t col, uint32_t **dst)
{
    return readcol(s, ss, col, (void **)dst);
}

static int read8(cn_scan_t *s, cn_scanseg_t *ss, cn_store_col_t col, uint8_t **dst)
{
    return readcol(s, ss, col, (void **)dst);
}

static int read64(cn_scan_t *s, cn_scanseg_t *ss, cn_store_col_t col, int64_t **dst)
{
    return readcol(s, ss, col, (void **)dst);
}

int cn_scan_hit_u32(cn_scan_t *s, size_t k, cn_store_col_t col, const uint32_t **out)
{
    if (cn_store_col(col)->group != CN_GROUP_HIT || cn_store_col(col)->kind == CN_COLK_U8 ||
        cn_store_col(col)->kind == CN_COLK_TS || cn_store_col(col)->kind == CN_COLK_MONEY)
        return cn_err_set(s->err, CN_EINVAL, "not a u32 hit column");
    cn_scanseg_t *ss = &s->segs[k];
    int rc = read32(s, ss, col, &ss->cols32[col]);
    *out = ss->cols32[col];
    return rc;
}

int cn_scan_load(cn_scan_t *s, size_t k, bool ts, bool money)
{
    cn_scanseg_t *ss = &s->segs[k];
    int rc;
    if (ss->visit == NULL) {
        if ((rc = read32(s, ss, CN_COL_HIT_visit, &ss->visit)) != 0)
            return rc;
        /* Values read are within the column's min/max (the store checks):
         * when those are within the scan's visits, every row is. */
        int64_t mn, mx;
        cn_store_seg_minmax(ss->seg, CN_COL_HIT_visit, &mn, &mx);
        bool inside = mn >= 0 && (uint64_t)mn >= s->first_visit &&
                      (uint64_t)mx - s->first_visit < s->visit_count;
        for (size_t i = 0; !inside && i < ss->n; i++) {
            if (ss->visit[i] < s->first_visit || ss->visit[i] - s->first_visit >= s->visit_count)
                return cn_err_set(s->err, CN_ECORRUPT, "hit row %zu points at visit %u, not stored",
                                  i, ss->visit[i]);
        }
    }
    if ((rc = read8(s, ss, CN_COL_HIT_type, &ss->type)) != 0 ||
        (rc = read8(s, ss, CN_COL_HIT_events, &ss->events)) != 0)
        return rc;
    if (ts && (rc = read64(s, ss, CN_COL_HIT_ts, &ss->ts)) != 0)
        return rc;
    if (money && ((rc = read64(s, ss, CN_COL_HIT_revenue, &ss->revenue)) != 0 ||
                  (rc = read32(s, ss, CN_COL_HIT_units, &ss->units)) != 0))
        return rc;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct build_arg {
    cn_scan_t *s;
    size_t k;
} build_arg_t;

/* Order rows of a segment, derived (cached) as one block: the rows, then
 * their units, revenue and event flags, so that sums of orders, revenue and
 * units read neither the whole revenue and units columns nor the cache's
 * room for them. */
static int build_orders(void *arg, void **data, size_t *bytes, cn_err_t *err)
{
    build_arg_t *b = arg;
    int rc = cn_scan_load(b->s, b->k, false, false);
    if (rc != 0)
        return rc;
    const cn_scanseg_t *ss = &b->s->segs[b->k];
    size_t n = 0, cap = 64;
    int64_t *rev = cn_xmalloc(ss->n * 8 + 8);
    uint32_t *units = cn_xmalloc(ss->n * 4 + 4);
    if ((rc = cn_store_read_i64(ss->seg, CN_COL_HIT_revenue, 0, ss->n, rev, err)) != 0 ||
        (rc = cn_store_read_u32(ss->seg, CN_COL_HIT_units, 0, ss->n, units, err)) != 0) {
        free(rev);
        free(units);
        return rc;
    }
    uint32_t *rows = cn_xmalloc(cap * 4);
    for (size_t i = 0; i < ss->n; i++) {
        if ((ss->events[i] & CN_EV_PURCHASE) == 0 && rev[i] == 0 && units[i] == 0)
            continue;
        if (n == cap) {
            cap *= 2;
            rows = cn_xrealloc(rows, cap * 4);
        }
        rows[n++] = (uint32_t)i;
    }
    /* rows u32[n], visits u32[n], units u32[n] (n rounded up to even for
     * the alignment of what follows), revenue i64[n], events u8[n] */
    size_t n2 = (n + 1) & ~(size_t)1;
    size_t size = 8 + n2 * 12 + n * 8 + n;
    uint8_t *blk = cn_xmalloc(size + 1);
    uint64_t count = n;
    memcpy(blk, &count, 8);
    uint32_t *o_rows = (uint32_t *)(blk + 8), *o_visits = o_rows + n, *o_units = o_visits + n;
    int64_t *o_rev = (int64_t *)(blk + 8 + n2 * 12);
    uint8_t *o_ev = (uint8_t *)(o_rev + n);
    for (size_t j = 0; j < n; j++) {
        o_rows[j] = rows[j];
        o_visits[j] = ss->visit[rows[j]];
        o_units[j] = units[rows[j]];
        o_rev[j] = rev[rows[j]];
        o_ev[j] = ss->events[rows[j]];
    }
    free(rows);
    free(rev);
    free(units);
    *data = blk;
    *bytes = size;
    return 0;
}

static int build_visits(void *arg, void **data, size_t *bytes, cn_err_t *err)
{
    build_arg_t *b = arg;
    (void)err;
    int rc = cn_scan_load(b->s, b->k, false, false);
    if (rc != 0)
        return rc;
    const cn_scanseg_t *ss = &b->s->segs[b->k];
    /* a bitmap over the segment's visit range (loaded: within the scan's visits) */
    int64_t mn, mx;
    cn_store_seg_minmax(ss->seg, CN_COL_HIT_visit, &mn, &mx);
    uint64_t range = (uint64_t)(mx - mn) + 1;
    uint64_t *bits = cn_xcalloc((range + 63) / 64 + 1, 8);
    size_t n = 0;
    for (size_t i = 0; i < ss->n; i++) {
        uint64_t x = ss->visit[i] - (uint64_t)mn;
        if (x >= range) {
            free(bits);
            return cn_err_set(b->s->err, CN_ECORRUPT, "hit row %zu: visit %u beyond the segment's",
                              i, ss->visit[i]);
        }
        if (!cn_bit_get(bits, x)) {
            cn_bit_set(bits, x);
            n++;
        }
    }
    uint32_t *v = cn_xmalloc((n + 1) * 4);
    size_t j = 0;
    for (uint64_t w = 0; w < (range + 63) / 64; w++) {
        for (uint64_t m = bits[w]; m != 0; m &= m - 1)
            v[j++] = (uint32_t)((uint64_t)mn + w * 64 + (uint64_t)__builtin_ctzll(m));
    }
    free(bits);
    *data = v;
    *bytes = n * 4;
    return 0;
}

typedef struct keys_arg {
    cn_scan_t *s;
    size_t k;
    cn_store_col_t col;
} keys_arg_t;

static int build_keys(void *arg, void **data, size_t *bytes, cn_err_t *err)
{
    keys_arg_t *a = arg;
    cn_scan_t *s = a->s;
    (void)err;
    const uint32_t *visits, *v32 = NULL;
    const uint8_t *v8 = NULL;
    size_t nvisits;
    int rc = cn_scan_seg_visits(s, a->k, &visits, &nvisits);
    if (rc == 0)
        rc = cn_store_col(a->col)->kind == CN_COLK_U8 ? cn_scan_visit_u8(s, a->col, &v8)
                                                      : cn_scan_visit_u32(s, a->col, &v32);
    if (rc != 0)
        return rc;
    uint32_t *keys = cn_xmalloc((nvisits + 1) * 4);
    size_t n = 0;
    for (size_t j = 0; j < nvisits; j++) {
        uint64_t vi = visits[j] - s->first_visit;
        if (!s->v_bot[vi])
            keys[n++] = v8 ? v8[vi] : v32[vi];
    }
    qsort(keys, n, 4, cmp_u32);
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        if (m == 0 || keys[m - 1] != keys[j])
            keys[m++] = keys[j];
    }
    *data = keys;
    *bytes = m * 4;
    return 0;
}

static int build_counts(void *arg, void **data, size_t *bytes, cn_err_t *err)
{
    build_arg_t *b = arg;
    (void)err;
    int rc = cn_scan_load(b->s, b->k, false, false);
    if (rc != 0)
        return rc;
    const cn_scan_t *s = b->s;
    const cn_scanseg_t *ss = &s->segs[b->k];
    uint32_t *c = cn_xcalloc(2, 4);
    for (size_t i = 0; i < ss->n; i++) {
        if (s->v_bot[ss->visit[i] - s->first_visit])
            continue;
        c[0]++;
        c[1] += ss->type[i] == CN_HIT_PAGEVIEW;
    }
    *data = c;
    *bytes = 8;
    return 0;
}

/* derived keys: counts take 3 and 4 (with bots), keys 16 + 2 col + bots */
enum { DERIVED_ORDERS = 1, DERIVED_VISITS = 2, DERIVED_COUNTS = 3, DERIVED_KEYS = 16 };

static int derived(cn_scan_t *s, size_t k, uint32_t key, cn_query_build_cb build,
                   const uint32_t **out, size_t *count)
{
    cn_scanseg_t *ss = &s->segs[k];
    build_arg_t b = {s, k};
    const void *p;
    size_t bytes;
    cn_qent_t *e;
    int rc = cn_query__derived(s->ctx, ss->seg, key, build, &b, &p, &bytes, &e, s->err);
    if (rc != 0)
        return rc;
    hold(ss, e);
    *out = p;
    *count = bytes / 4;
    return 0;
}

int cn_scan_orders(cn_scan_t *s, size_t k, cn_orders_t *out)
{
    cn_scanseg_t *ss = &s->segs[k];
    build_arg_t b = {s, k};
    const void *p;
    size_t bytes;
    cn_qent_t *e;
    int rc = cn_query__derived(s->ctx, ss->seg, DERIVED_ORDERS, build_orders, &b, &p, &bytes, &e,
                               s->err);
    if (rc != 0)
        return rc;
    hold(ss, e);
    const uint8_t *blk = p;
    uint64_t n;
    memcpy(&n, blk, 8);
    size_t n2 = ((size_t)n + 1) & ~(size_t)1;
    out->n = (size_t)n;
    out->row = (const uint32_t *)(blk + 8);
    out->visit = out->row + n;
    out->units = out->visit + n;
    out->revenue = (const int64_t *)(blk + 8 + n2 * 12);
    out->events = (const uint8_t *)(out->revenue + n);
    return 0;
}

int cn_scan_seg_visits(cn_scan_t *s, size_t k, const uint32_t **visits, size_t *count)
{
    return derived(s, k, DERIVED_VISITS, build_visits, visits, count);
}

int cn_scan_seg_counts(cn_scan_t *s, size_t k, uint32_t *out_hits, uint32_t *out_pageviews)
{
    const uint32_t *c;
    size_t n;
    int rc = derived(s, k, DERIVED_COUNTS + (s->include_bots ? 1 : 0), build_counts, &c, &n);
    if (rc != 0)
        return rc;
    *out_hits = c[0];
    *out_pageviews = c[1];
    return 0;
}

int cn_scan_seg_keys(cn_scan_t *s, size_t k, cn_store_col_t col, const uint32_t **keys,
                     size_t *count)
{
    cn_scanseg_t *ss = &s->segs[k];
    keys_arg_t a = {s, k, col};
    const void *p;
    size_t bytes;
    cn_qent_t *e;
    uint32_t key = DERIVED_KEYS + (uint32_t)col * 2 + s->include_bots;
    int rc = cn_query__derived(s->ctx, ss->seg, key, build_keys, &a, &p, &bytes, &e, s->err);
    if (rc != 0)
        return rc;
    hold(ss, e);
    *keys = p;
    *count = bytes / 4;
    return 0;
}

void cn_scan_unload(cn_scan_t *s, size_t k)
{
    cn_scanseg_t *ss = &s->segs[k];
    for (size_t i = 0; i < ss->hold_count; i++)
        cn_query__release(s->ctx, ss->holds[i]);
    free(ss->holds);
    const cn_store_seg_t *seg = ss->seg;
    size_t part = ss->part, n = ss->n;
    uint64_t base = ss->base, first = ss->first_row;
    memset(ss, 0, sizeof(*ss));
    ss->seg = seg;
    ss->part = part;
    ss->n = n;
    ss->base = base;
    ss->first_row = first;
}

void cn_scan_local(const cn_scan_t *s, int64_t ts_us, int32_t *out_day, int *out_hour)
{
    int64_t local_s = ts_us / 1000000 + cn_store_tz_offset(s->store, ts_us);
    int64_t day = local_s >= 0 ? local_s / 86400 : (local_s - 86399) / 86400;
    *out_day = (int32_t)day;
    *out_hour = (int)((local_s - day * 86400) / 3600);
}

int cn_scan_exit_pages(cn_scan_t *s)
{
    if (s->v_exit_page != NULL)
        return 0;
    s->v_exit_page = cn_xcalloc(s->visit_count ? s->visit_count : 1, 4);
    for (size_t k = 0; k < s->seg_count; k++) {
        cn_scanseg_t *ss = &s->segs[k];
        int rc = cn_scan_load(s, k, false, false);
        if (rc == 0)
            rc = read32(s, ss, CN_COL_HIT_page, &ss->cols32[CN_COL_HIT_page]);
        if (rc != 0)
            return rc;
        const uint32_t *page = ss->cols32[CN_COL_HIT_page];
        for (size_t i = 0; i < ss->n; i++) {
            if (ss->type[i] == CN_HIT_PAGEVIEW)
                s->v_exit_page[ss->visit[i] - s->first_visit] = page[i];
        }
    }
    return 0;
}

typedef struct par_load {
    cn_scan_t *s;
    cn_store_col_t col;
    size_t split[CN_QUERY_MAX_THREADS + 1];
    int rc[CN_QUERY_MAX_THREADS];
    cn_err_t err[CN_QUERY_MAX_THREADS];
} par_load_t;

static void load_par(void *arg, unsigned t)
{
    par_load_t *p = arg;
    cn_scan_t local = *p->s;
    local.err = &p->err[t];
    for (size_t k = p->split[t]; k < p->split[t + 1] && p->rc[t] == 0; k++) {
        cn_scanseg_t *ss = &local.segs[k];
        p->rc[t] = cn_scan_load(&local, k, false, false);
        if (p->rc[t] == 0 && p->col != CN_COL_COUNT)
            p->rc[t] = read32(&local, ss, p->col, &ss->cols32[p->col]);
    }
}

static int run_split(cn_scan_t *s, void (*fn)(void *, unsigned), void *arg, size_t *split, int *rcs,
                     cn_err_t *errs);

int cn_scan_load_all(cn_scan_t *s, cn_store_col_t col32)
{
    par_load_t p = {.s = s, .col = col32};
    return run_split(s, load_par, &p, p.split, p.rc, p.err);
}

void cn_scan_split(const cn_scan_t *s, unsigned n, size_t *out)
{
    out[0] = 0;
    size_t k = 0;
    for (unsigned t = 1; t < n; t++) {
        uint64_t want = s->hit_count * t / n;
        while (k < s->seg_count && s->segs[k].base + s->segs[k].n <= want)
            k++;
        /* the segment holding the cut goes to the side with more of it */
        if (k < s->seg_count && want - s->segs[k].base > s->segs[k].n / 2)
            k++;
        out[t] = k;
    }
    out[n] = s->seg_count;
    for (unsigned t = 1; t <= n; t++) {
        if (out[t] < out[t - 1])
            out[t] = out[t - 1];
    }
}

int cn_scan_prepare(cn_scan_t *s, const cn_field_t *f)
{
    const uint32_t *a32;
    const uint8_t *a8;
    if (f->dim == NULL)
        return 0;
    switch (f->dim->src) {
    case CN_DIMSRC_VISIT_COL:
        return cn_store_col(f->dim->col)->kind == CN_COLK_U8
                   ? cn_scan_visit_u8(s, f->dim->col, &a8)
                   : cn_scan_visit_u32(s, f->dim->col, &a32);
    case CN_DIMSRC_EXIT_PAGE:
        return cn_scan_exit_pages(s);
    case CN_DIMSRC_NEW_RETURN:
        return cn_scan_visit_u32(s, CN_COL_VISIT_visit_num, &a32);
    default:
        return 0;
    }
}

/* --- Children: items, vars, events --- */

/* Reads a child group of segment k: hit pointers converted to indexes within
 * the segment (rows pointing elsewhere are corrupt). */
static int child_hits(cn_scan_t *s, cn_scanseg_t *ss, cn_store_group_t g, cn_store_col_t hitcol,
                      uint32_t **out, size_t *count)
{
    uint64_t n = cn_store_seg_rows(ss->seg, g);
    *out = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    uint32_t *h = cn_xmalloc(n * 4);
    int rc = cn_store_read_u32(ss->seg, hitcol, 0, n, h, s->err);
    if (rc != 0) {
        free(h);
        return rc;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (h[i] < ss->first_row || h[i] - ss->first_row >= ss->n) {
            uint32_t bad = h[i];
            free(h);
            return cn_err_set(s->err, CN_ECORRUPT, "a %s row points at hit %u outside its segment",
                              cn_store_group_name(g), bad);
        }
        h[i] -= (uint32_t)ss->first_row;
    }
    *out = h;
    *count = n;
    return 0;
}

int cn_scan_items(cn_scan_t *s, size_t k, cn_store_col_t col, uint32_t **hit, uint32_t **key,
                  uint32_t **qty, int64_t **rev, size_t *count)
{
    cn_scanseg_t *ss = &s->segs[k];
    *key = *qty = NULL;
    *rev = NULL;
    int rc = child_hits(s, ss, CN_GROUP_ITEM, CN_COL_ITEM_hit, hit, count);
    if (rc != 0 || *count == 0)
        return rc;
    size_t n = *count;
    *key = cn_xmalloc(n * 4);
    *qty = cn_xmalloc(n * 4);
    *rev = cn_xmalloc(n * 8);
    if ((rc = cn_store_read_u32(ss->seg, col, 0, n, *key, s->err)) != 0 ||
        (rc = cn_store_read_u32(ss->seg, CN_COL_ITEM_quantity, 0, n, *qty, s->err)) != 0 ||
        (rc = cn_store_read_i64(ss->seg, CN_COL_ITEM_revenue, 0, n, *rev, s->err)) != 0) {
        free(*hit);
        free(*key);
        free(*qty);
        free(*rev);
        *hit = *key = *qty = NULL;
        *rev = NULL;
        *count = 0;
    }
    return rc;
}

/* For the item rows of segment k (ihit: their hits, ascending), the value id of merchandising
 * eVar evar bound to each: item row j is item (j - the first item row of its hit) of its hit,
 * and the binding is the var row cn_var_merch(evar, that index) of the same hit (0: none). */
static int item_merch(cn_scan_t *s, size_t k, unsigned evar, const uint32_t *ihit, size_t icount,
                      uint32_t *out)
{
    cn_scanseg_t *ss = &s->segs[k];
    uint32_t *vhit;
    size_t vcount;
    memset(out, 0, icount * sizeof(*out));
    int rc = child_hits(s, ss, CN_GROUP_VAR, CN_COL_VAR_hit, &vhit, &vcount);
    if (rc != 0 || vcount == 0)
        return rc;
    uint32_t *var = cn_xmalloc(vcount * 4), *val = cn_xmalloc(vcount * 4);
    if ((rc = cn_store_read_u32(ss->seg, CN_COL_VAR_var, 0, vcount, var, s->err)) == 0 &&
        (rc = cn_store_read_u32(ss->seg, CN_COL_VAR_value, 0, vcount, val, s->err)) == 0) {
        size_t v = 0;
        unsigned idx = 0;
        for (size_t j = 0; j < icount; j++) {
            idx = j > 0 && ihit[j] == ihit[j - 1] ? idx + 1 : 0;
            while (v < vcount && vhit[v] < ihit[j])
                v++;
            uint32_t want = cn_var_merch(evar, idx);
            for (size_t x = v; x < vcount && vhit[x] == ihit[j]; x++) {
                if (var[x] == want) {
                    out[j] = val[x];
                    break;
                }
            }
        }
    }
    free(vhit);
    free(var);
    free(val);
    return rc;
}

int cn_scan_item_field(cn_scan_t *s, size_t k, const cn_field_t *f, uint32_t **hit, uint32_t **key,
                       uint32_t **qty, int64_t **rev, size_t *count)
{
    bool merch = f->dim->src == CN_DIMSRC_ITEM_MERCH;
    int rc = cn_scan_items(s, k, merch ? CN_COL_ITEM_sku : f->dim->col, hit, key, qty, rev, count);
    if (rc != 0 || !merch || *count == 0)
        return rc;
    if ((rc = item_merch(s, k, (unsigned)f->arg, *hit, *count, *key)) != 0) {
        free(*hit);
        free(*key);
        free(*qty);
        free(*rev);
        *hit = *key = *qty = NULL;
        *rev = NULL;
        *count = 0;
    }
    return rc;
}

int cn_scan_vars(cn_scan_t *s, size_t k, uint32_t **hit, uint32_t **var, uint32_t **val,
                 size_t *count)
{
    cn_scanseg_t *ss = &s->segs[k];
    *var = *val = NULL;
    int rc = child_hits(s, ss, CN_GROUP_VAR, CN_COL_VAR_hit, hit, count);
    if (rc != 0 || *count == 0)
        return rc;
    size_t n = *count;
    *var = cn_xmalloc(n * 4);
    *val = cn_xmalloc(n * 4);
    if ((rc = cn_store_read_u32(ss->seg, CN_COL_VAR_var, 0, n, *var, s->err)) != 0 ||
        (rc = cn_store_read_u32(ss->seg, CN_COL_VAR_value, 0, n, *val, s->err)) != 0) {
        free(*hit);
        free(*var);
        free(*val);
        *hit = *var = *val = NULL;
        *count = 0;
    }
    return rc;
}

int cn_scan_events(cn_scan_t *s, size_t k, uint32_t **hit, uint32_t **num, int64_t **val,
                   size_t *count)
{
    cn_scanseg_t *ss = &s->segs[k];
    *num = NULL;
    *val = NULL;
    int rc = child_hits(s, ss, CN_GROUP_EVENT, CN_COL_EVENT_hit, hit, count);
    if (rc != 0 || *count == 0)
        return rc;
    size_t n = *count;
    *num = cn_xmalloc(n * 4);
    *val = cn_xmalloc(n * 8);
    if ((rc = cn_store_read_u32(ss->seg, CN_COL_EVENT_event, 0, n, *num, s->err)) != 0 ||
        (rc = cn_store_read_i64(ss->seg, CN_COL_EVENT_value, 0, n, *val, s->err)) != 0) {
        free(*hit);
        free(*num);
        free(*val);
        *hit = *num = NULL;
        *val = NULL;
        *count = 0;
    }
    return rc;
}

/* --- Field values --- */

int cn_field_dict(const cn_field_t *f)
{
    if (f->dim == NULL)
        return -1;
    switch (f->dim->src) {
    case CN_DIMSRC_HIT_COL:
    case CN_DIMSRC_VISIT_COL:
    case CN_DIMSRC_ITEM_COL:
        return cn_store_col(f->dim->col)->dict;
    case CN_DIMSRC_EXIT_PAGE:
        return cn_store_col(CN_COL_HIT_page)->dict;
    case CN_DIMSRC_VAR:
    case CN_DIMSRC_ITEM_MERCH:
        return cn_store_col(CN_COL_VAR_value)->dict;
    default:
        return -1;
    }
}

int cn_scan_field(cn_scan_t *s, size_t k, const cn_field_t *f, int64_t *out)
{
    cn_scanseg_t *ss = &s->segs[k];
    int rc;
    bool need_ts =
        f->dim != NULL && (f->dim->src == CN_DIMSRC_HOUR || f->dim->src == CN_DIMSRC_DOW);
    bool need_money = f->dim == NULL && (f->metric == CN_M_REVENUE || f->metric == CN_M_UNITS);
    if ((rc = cn_scan_load(s, k, need_ts, need_money)) != 0)
        return rc;
    size_t n = ss->n;
    if (f->dim == NULL) {
        uint8_t flag = 0;
        switch (f->metric) {
        case CN_M_HITS:
            for (size_t i = 0; i < n; i++)
                out[i] = 1;
            return 0;
        case CN_M_PAGEVIEWS:
            for (size_t i = 0; i < n; i++)
                out[i] = ss->type[i] == CN_HIT_PAGEVIEW;
            return 0;
        case CN_M_REVENUE:
            memcpy(out, ss->revenue, n * sizeof(*out));
            return 0;
        case CN_M_UNITS:
            for (size_t i = 0; i < n; i++)
                out[i] = ss->units[i];
            return 0;
        case CN_M_ORDERS:
            flag = CN_EV_PURCHASE;
            break;
        case CN_M_CART_ADDS:
            flag = CN_EV_CART_ADD;
            break;
        case CN_M_CHECKOUTS:
            flag = CN_EV_CHECKOUT;
            break;
        case CN_M_PROD_VIEWS:
            flag = CN_EV_PROD_VIEW;
            break;
        case CN_M_BASE_COUNT: {
            /* eventN: the sum of the hit's values of it (0 without one), as the store keeps them */
            uint32_t *hit, *num;
            int64_t *val;
            size_t count;
            memset(out, 0, n * sizeof(*out));
            if ((rc = cn_scan_events(s, k, &hit, &num, &val, &count)) != 0 || count == 0)
                return rc;
            for (size_t i = 0; i < count; i++) {
                if (num[i] == (uint32_t)f->arg)
                    out[hit[i]] += val[i];
            }
            free(hit);
            free(num);
            free(val);
            return 0;
        }
        default:
            return cn_err_set(s->err, CN_EINVAL, "this metric cannot be used per hit");
        }
        for (size_t i = 0; i < n; i++)
            out[i] = (ss->events[i] & flag) != 0;
        return 0;
    }
    const cn_dim_def_t *d = f->dim;
    switch (d->src) {
    case CN_DIMSRC_HIT_COL: {
        cn_colk_t kind = cn_store_col(d->col)->kind;
        if (kind == CN_COLK_U8) {
            if ((rc = read8(s, ss, d->col, &ss->cols8[d->col])) != 0)
                return rc;
            for (size_t i = 0; i < n; i++)
                out[i] = ss->cols8[d->col][i];
        } else {
            if ((rc = read32(s, ss, d->col, &ss->cols32[d->col])) != 0)
                return rc;
            for (size_t i = 0; i < n; i++)
                out[i] = ss->cols32[d->col][i];
        }
        return 0;
    }
    case CN_DIMSRC_VISIT_COL: {
        if (cn_store_col(d->col)->kind == CN_COLK_U8) {
            const uint8_t *a;
            if ((rc = cn_scan_visit_u8(s, d->col, &a)) != 0)
                return rc;
            for (size_t i = 0; i < n; i++)
                out[i] = a[ss->visit[i] - s->first_visit];
        } else {
            const uint32_t *a;
            if ((rc = cn_scan_visit_u32(s, d->col, &a)) != 0)
                return rc;
            for (size_t i = 0; i < n; i++)
                out[i] = a[ss->visit[i] - s->first_visit];
        }
        return 0;
    }
    case CN_DIMSRC_EXIT_PAGE:
        if ((rc = cn_scan_exit_pages(s)) != 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            out[i] = s->v_exit_page[ss->visit[i] - s->first_visit];
        return 0;
    case CN_DIMSRC_NEW_RETURN: {
        const uint32_t *a;
        if ((rc = cn_scan_visit_u32(s, CN_COL_VISIT_visit_num, &a)) != 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            out[i] = a[ss->visit[i] - s->first_visit] > 1;
        return 0;
    }
    case CN_DIMSRC_HOUR:
    case CN_DIMSRC_DOW: {
        /* Offsets are whole quarter hours: one conversion per 15-minute slot. */
        const int64_t slot_us = (int64_t)900 * 1000000;
        int64_t last_slot = INT64_MIN;
        int64_t val = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t ts = ss->ts[i];
            int64_t slot = ts >= 0 ? ts / slot_us : (ts - slot_us + 1) / slot_us;
            if (slot != last_slot) {
                int32_t day;
                int hour;
                cn_scan_local(s, ts, &day, &hour);
                /* 1970-01-01 was a Thursday: Monday = 0 */
                val = d->src == CN_DIMSRC_HOUR ? hour : ((day % 7) + 7 + 3) % 7;
                last_slot = slot;
            }
            out[i] = val;
        }
        return 0;
    }
    case CN_DIMSRC_VAR: {
        uint32_t *hit;
        size_t count;
        if (d->var_family == CN_VAR_LIST) {
            /* several rows per hit: one value per hit would be one of them, silently */
            return cn_err_set(s->err, CN_EINVAL,
                              "list%d has several values per hit: this query cannot read it as "
                              "one value per hit",
                              f->arg);
        }
        memset(out, 0, n * sizeof(*out));
        if ((rc = child_hits(s, ss, CN_GROUP_VAR, CN_COL_VAR_hit, &hit, &count)) != 0 || count == 0)
            return rc;
        uint32_t *var = cn_xmalloc(count * 4), *val = cn_xmalloc(count * 4);
        if ((rc = cn_store_read_u32(ss->seg, CN_COL_VAR_var, 0, count, var, s->err)) == 0 &&
            (rc = cn_store_read_u32(ss->seg, CN_COL_VAR_value, 0, count, val, s->err)) == 0) {
            uint32_t want = d->var_family | (uint32_t)f->arg;
            for (size_t i = 0; i < count; i++) {
                if (var[i] == want)
                    out[hit[i]] = val[i];
            }
        }
        free(hit);
        free(var);
        free(val);
        return rc;
    }
    case CN_DIMSRC_ITEM_COL:
    case CN_DIMSRC_ITEM_MERCH: {
        uint32_t *hit, *key, *qty;
        int64_t *rev;
        size_t count;
        memset(out, 0, n * sizeof(*out));
        if ((rc = cn_scan_item_field(s, k, f, &hit, &key, &qty, &rev, &count)) != 0)
            return rc;
        for (size_t i = count; i > 0; i--)
            out[hit[i - 1]] = key[i - 1];
        free(hit);
        free(key);
        free(qty);
        free(rev);
        return 0;
    }
    }
    return CN_EINVAL;
}

/* --- Segment evaluation --- */

typedef struct level_set {
    cn_seg_scope_t level;
    uint64_t *bits;
    uint64_t n;
} level_set_t;

static uint64_t level_size(const cn_scan_t *s, cn_seg_scope_t level)
{
    return level == CN_SCOPE_HIT     ? s->hit_count
           : level == CN_SCOPE_VISIT ? s->visit_count
                                     : s->visitor_count;
}

static uint64_t *bits_new(uint64_t n)
{
    return cn_xcalloc((n + 63) / 64 + 1, 8);
}

/* A compiled condition: a set over dictionary ids / enum values, or a number test. */
typedef struct cond {
    cn_field_t field;
    int dict;        /* >= 0: ids tested against idset */
    uint64_t *idset; /* over dict ids [0, dict_len) or enum values [0, 256) */
    uint32_t idset_len;
    bool numeric;
    cn_seg_op_t op;
    const cn_seg_value_t *values;
    size_t value_count;
    double div; /* numeric values are compared after dividing by this: CN_MONEY_SCALE for revenue
                   (a division, not a product with 1 / CN_MONEY_SCALE: 487902 / 10000 is the
                   double nearest 48.7902, as the segment's value is, and the product may be one
                   ulp off, so that revenue = 48.7902 would miss it) */
} cond_t;

static bool str_match(cn_seg_op_t op, cn_str_t s, const cn_seg_value_t *vals, size_t nvals)
{
    switch (op) {
    case CN_OP_EQ:
    case CN_OP_NE:
        return cn_str_eq_c(s, vals[0].str) == (op == CN_OP_EQ);
    case CN_OP_CONTAINS:
        return memmem(s.ptr, s.len, vals[0].str, strlen(vals[0].str)) != NULL;
    case CN_OP_STARTS_WITH:
        return cn_str_starts_with(s, cn_str_c(vals[0].str));
    case CN_OP_IN:
        for (size_t i = 0; i < nvals; i++) {
            if (cn_str_eq_c(s, vals[i].str))
                return true;
        }
        return false;
    default:
        return false;
    }
}

static bool num_match(cn_seg_op_t op, double x, const cn_seg_value_t *vals, size_t nvals)
{
    switch (op) {
    case CN_OP_EQ:
        return x == vals[0].num;
    case CN_OP_NE:
        return x != vals[0].num;
    case CN_OP_GT:
        return x > vals[0].num;
    case CN_OP_LT:
        return x < vals[0].num;
    case CN_OP_GE:
        return x >= vals[0].num;
    case CN_OP_LE:
        return x <= vals[0].num;
    case CN_OP_IN:
        for (size_t i = 0; i < nvals; i++) {
            if (x == vals[i].num)
                return true;
        }
        return false;
    default:
        return false;
    }
}

/* The name of value v of a dimension with named values (new_returning, or an enum), or NULL
 * past the last (the names have no gaps). */
static const char *value_name(const cn_dim_def_t *d, unsigned v)
{
    if (d->src == CN_DIMSRC_NEW_RETURN)
        return v == 0 ? "new" : v == 1 ? "returning" : NULL;
    return cn_query__enum_name(d->names, v);
}

/*
 * The values a numeric dimension takes (docs/segments.md "Fields"): hour 0..23, day_of_week
 * 0..6 (Monday = 0), visit_number 1 and up. A condition that tests a value outside them
 * (hour = 24, day_of_week in (1, 7), visit_number = 0) or a comparison that no value meets
 * (hour >= 25, visit_number < 1) is an error naming them, not a segment that keeps nothing.
 */
static int check_bounds(cn_scan_t *s, const cn_seg_node_t *node, const cn_dim_def_t *d)
{
    double lo, hi;
    const char *range;
    if (d->src == CN_DIMSRC_HOUR) {
        lo = 0, hi = 23, range = "a whole number 0..23";
    } else if (d->src == CN_DIMSRC_DOW) {
        lo = 0, hi = 6, range = "a whole number 0..6 (Monday = 0, Sunday = 6)";
    } else if (d->src == CN_DIMSRC_VISIT_COL && d->col == CN_COL_VISIT_visit_num) {
        lo = 1, hi = UINT32_MAX, range = "a whole number 1 or more";
    } else {
        return 0;
    }
    for (size_t i = 0; i < node->value_count; i++) {
        if (!node->values[i].is_num)
            return 0; /* the "is a number" error below */
    }
    if (node->op == CN_OP_GT || node->op == CN_OP_LT || node->op == CN_OP_GE ||
        node->op == CN_OP_LE) {
        /* the values met are an interval of lo..hi: none when neither end is met */
        if (!num_match(node->op, lo, node->values, 1) && !num_match(node->op, hi, node->values, 1))
            return cn_err_set(s->err, CN_EINVAL, "segment: '%s %s %s' keeps nothing: '%s' is %s",
                              node->field,
                              node->op == CN_OP_GT   ? ">"
                              : node->op == CN_OP_LT ? "<"
                              : node->op == CN_OP_GE ? ">="
                                                     : "<=",
                              node->values[0].str, node->field, range);
        return 0;
    }
    if (node->op != CN_OP_EQ && node->op != CN_OP_NE && node->op != CN_OP_IN)
        return 0;
    for (size_t i = 0; i < node->value_count; i++) {
        double v = node->values[i].num;
        if (!(v >= lo && v <= hi) || v != floor(v))
            return cn_err_set(s->err, CN_EINVAL, "segment: '%s' is %s, not %s", node->field, range,
                              node->values[i].str);
    }
    return 0;
}

static int compile_cond(cn_scan_t *s, const cn_seg_node_t *node, cond_t *c)
{
    memset(c, 0, sizeof(*c));
    c->op = node->op;
    c->values = node->values;
    c->value_count = node->value_count;
    c->dict = -1;
    int arg;
    const cn_dim_def_t *d = cn_dim_find(cn_str_c(node->field), &arg);
    bool is_order_op = node->op == CN_OP_GT || node->op == CN_OP_LT || node->op == CN_OP_GE ||
                       node->op == CN_OP_LE;
    if (d != NULL) {
        c->field.dim = d;
        c->field.arg = arg;
        c->dict = cn_field_dict(&c->field);
        if (c->dict >= 0) {
            if (is_order_op)
                return cn_err_set(s->err, CN_EINVAL,
                                  "segment: '%s' is text; use =, !=, contains, starts with or in",
                                  node->field);
            /* Test every dictionary entry once: rows then test a bit. */
            uint32_t len = cn_store_snap_dict_len(s->snap, c->dict);
            c->idset = bits_new(len);
            c->idset_len = len;
            for (uint32_t id = 0; id < len; id++) {
                if (str_match(node->op, cn_store_snap_dict_str(s->snap, c->dict, id), node->values,
                              node->value_count))
                    cn_bit_set(c->idset, id);
            }
            return 0;
        }
        if (d->names != CN_DIMENUM_NONE || d->src == CN_DIMSRC_NEW_RETURN) {
            /* Named enum values: match on the names (or on numbers). */
            c->idset = bits_new(256);
            c->idset_len = 256;
            for (unsigned v = 0; v < 256; v++) {
                const char *name = value_name(d, v);
                if (name == NULL)
                    continue;
                bool m = node->values[0].is_num
                             ? num_match(node->op, v, node->values, node->value_count)
                             : str_match(node->op, cn_str_c(name), node->values, node->value_count);
                if (m)
                    cn_bit_set(c->idset, v);
            }
            /* = != in: a name that is none of the values is a mistake, not "nothing matches" */
            bool exact = node->op == CN_OP_EQ || node->op == CN_OP_NE || node->op == CN_OP_IN;
            for (size_t i = 0; exact && i < node->value_count; i++) {
                if (node->values[i].is_num)
                    continue;
                char names[128] = "";
                bool known = false;
                for (unsigned v = 0; v < 256; v++) {
                    const char *name = value_name(d, v);
                    if (name == NULL)
                        break;
                    known |= strcmp(name, node->values[i].str) == 0;
                    size_t n = strlen(names);
                    snprintf(names + n, sizeof(names) - n, "%s\"%s\"", n ? ", " : "", name);
                }
                if (!known)
                    return cn_err_set(s->err, CN_EINVAL, "segment: '%s' is one of %s, not \"%s\"",
                                      node->field, names, node->values[i].str);
            }
            return 0;
        }
        c->numeric = true;
        c->div = 1;
        int rc = check_bounds(s, node, d);
        if (rc != 0)
            return rc;
    } else {
        const cn_metric_def_t *m = cn_metric_find(cn_str_c(node->field), &arg);
        static const int per_hit[] = {CN_M_HITS,  CN_M_PAGEVIEWS, CN_M_ORDERS,    CN_M_REVENUE,
                                      CN_M_UNITS, CN_M_CART_ADDS, CN_M_CHECKOUTS, CN_M_PROD_VIEWS};
        bool ok = m != NULL && m->is_event;
        for (size_t i = 0; m != NULL && m->den < 0 && !m->is_event && i < 8; i++)
            ok |= m->num == per_hit[i];
        if (!ok)
            return cn_err_set(s->err, CN_EINVAL,
                              "segment: unknown field '%s' (a dimension, or one of hits, "
                              "pageviews, orders, revenue, units, cart_adds, checkouts, "
                              "product_views, event1..event1000)",
                              node->field);
        c->numeric = true;
        if (m->is_event) {
            /* the hit's value of eventN, kept in ten-thousandths as revenue is: compared as
             * revenue is (div), so that event10 = 5.5 or event10 = 48.7902 is exact */
            c->field.metric = CN_M_BASE_COUNT;
            c->field.arg = arg;
            c->div = CN_MONEY_SCALE;
        } else {
            c->field.metric = m->num;
            c->div = m->num == CN_M_REVENUE ? CN_MONEY_SCALE : 1;
        }
    }
    bool is_text = false;
    for (size_t i = 0; i < node->value_count; i++)
        is_text |= !node->values[i].is_num;
    if (!is_text && node->op != CN_OP_CONTAINS && node->op != CN_OP_STARTS_WITH &&
        c->field.dim == NULL && c->field.metric != CN_M_REVENUE && c->field.metric != CN_M_UNITS &&
        c->field.metric != CN_M_BASE_COUNT) {
        /* a per-hit count is 0 or 1: test both values once, rows then test a bit */
        c->idset = bits_new(2);
        c->idset_len = 2;
        for (unsigned v = 0; v < 2; v++) {
            if (num_match(node->op, v, node->values, node->value_count))
                cn_bit_set(c->idset, v);
        }
    }
    for (size_t i = 0; i < node->value_count; i++) {
        if (!node->values[i].is_num)
            return cn_err_set(s->err, CN_EINVAL,
                              "segment: '%s' is a number; compare it with a "
                              "number, not \"%s\"",
                              node->field, node->values[i].str);
    }
    if (node->op == CN_OP_CONTAINS || node->op == CN_OP_STARTS_WITH)
        return cn_err_set(s->err, CN_EINVAL,
                          "segment: '%s' is a number; use =, !=, >, <, >=, "
                          "<= or in",
                          node->field);
    return 0;
}

static bool cond_test(const cond_t *c, int64_t v)
{
    if (c->idset != NULL)
        return v >= 0 && (uint64_t)v < c->idset_len && cn_bit_get(c->idset, (uint64_t)v);
    return num_match(c->op, (double)v / c->div, c->values, c->value_count);
}

/* Ors word w of a bitset shared by threads (words at segment edges are). */
static inline void or_word(uint64_t *bits, uint64_t w, uint64_t v)
{
    if (v != 0)
        __atomic_fetch_or(&bits[w], v, __ATOMIC_RELAXED);
}

/* Eight bytes that are each 0 or 1 as the low 8 bits (byte j to bit j). */
static inline uint64_t pack8(uint64_t x)
{
    return (x * 0x0102040810204080ULL) >> 56;
}

/* Sets the bits base + i for the i in 0..n where bit `shift` of bytes[i]
 * is set (clear when invert), eight bytes at a time. */
static void bits_from_flag(uint64_t *bits, uint64_t base, const uint8_t *bytes, size_t n,
                           unsigned shift, bool invert)
{
    const uint64_t ones = 0x0101010101010101ULL, inv = invert ? ones : 0;
    size_t i = 0;
    uint64_t word = 0;
    for (; i < n && ((base + i) & 63) != 0; i++)
        word |= (uint64_t)(((bytes[i] >> shift) & 1) ^ invert) << ((base + i) & 63);
    if (i > 0)
        or_word(bits, (base + i - 1) >> 6, word);
    for (; i + 64 <= n; i += 64) {
        word = 0;
        for (unsigned b = 0; b < 64; b += 8) {
            uint64_t x;
            memcpy(&x, bytes + i + b, 8);
            word |= pack8(((x >> shift) & ones) ^ inv) << b;
        }
        or_word(bits, (base + i) >> 6, word);
    }
    word = 0;
    for (size_t j = i; j < n; j++)
        word |= (uint64_t)(((bytes[j] >> shift) & 1) ^ invert) << ((base + j) & 63);
    if (i < n)
        or_word(bits, (base + i) >> 6, word);
}

/* Sets the bits base + i for the i in 0..n where test[i] is 1 (each test[i]
 * is 0 or 1). */
static void set_bits(uint64_t *bits, uint64_t base, const uint8_t *test, size_t n)
{
    bits_from_flag(bits, base, test, n, 0, false);
}

/* Sets the bits base + i for the i in 0..n where lut[bytes[i]] is 1, a
 * whole word at a time where the words are the segment's own. */
static void bits_from_bytes(uint64_t *bits, uint64_t base, const uint8_t *bytes, size_t n,
                            const uint8_t *lut)
{
    size_t i = 0;
    uint64_t word = 0;
    /* up to the first word boundary (a word shared with the segment before) */
    for (; i < n && ((base + i) & 63) != 0; i++)
        word |= (uint64_t)lut[bytes[i]] << ((base + i) & 63);
    if (i > 0)
        or_word(bits, (base + i - 1) >> 6, word);
    for (; i + 64 <= n; i += 64) {
        word = 0;
        for (unsigned b = 0; b < 64; b++)
            word |= (uint64_t)lut[bytes[i + b]] << b;
        or_word(bits, (base + i) >> 6, word);
    }
    word = 0;
    for (size_t j = i; j < n; j++)
        word |= (uint64_t)lut[bytes[j]] << ((base + j) & 63);
    if (i < n)
        or_word(bits, (base + i) >> 6, word);
}

typedef struct par_cond {
    cn_scan_t *s;
    const struct cond *c;
    uint64_t *hitbits;
    size_t split[CN_QUERY_MAX_THREADS + 1];
    int rc[CN_QUERY_MAX_THREADS];
    cn_err_t err[CN_QUERY_MAX_THREADS];
} par_cond_t;

/* Conditions on a dimension with several values per hit (cn_query__dim_is_multi: listN,
 * product, category, merchN) test the values the hit has, and nothing else: a hit matches when
 * one of its values does. A hit without a value (no list value, no item, or only items without
 * the value: an uncategorised product, an item no merchandising eVar is bound to) has nothing to
 * test, so no condition matches it, != and "" included, as a segment rule in Adobe Analytics
 * tests only the values a hit has (Adobe's "exists" is `listN != ""`, "does not exist"
 * `not listN != ""`: docs/segments.md "Dimensions with several values"). Value id 0 is the empty
 * string: no value. */
static int cond_hits_run(cn_scan_t *s, const cond_t *c, uint64_t *hitbits, size_t k0, size_t k1)
{
    int64_t *vals = NULL;
    uint8_t *test = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t k = k0; k < k1 && rc == 0; k++) {
        cn_scanseg_t *ss = &s->segs[k];
        if (c->field.dim != NULL && (c->field.dim->src == CN_DIMSRC_ITEM_COL ||
                                     c->field.dim->src == CN_DIMSRC_ITEM_MERCH)) {
            uint32_t *hit, *key, *qty;
            int64_t *rev;
            size_t count;
            if ((rc = cn_scan_item_field(s, k, &c->field, &hit, &key, &qty, &rev, &count)) != 0)
                break;
            for (size_t i = 0; i < count; i++) {
                if (key[i] != 0 && cond_test(c, key[i])) {
                    uint64_t g = ss->base + hit[i];
                    or_word(hitbits, g >> 6, 1ULL << (g & 63));
                }
            }
            free(hit);
            free(key);
            free(qty);
            free(rev);
            continue;
        }
        if (c->field.dim != NULL && c->field.dim->src == CN_DIMSRC_VAR &&
            c->field.dim->var_family == CN_VAR_LIST) {
            /* a list (listN): a hit matches when one of its values does */
            uint32_t *hit, *var, *val;
            size_t count;
            if ((rc = cn_scan_vars(s, k, &hit, &var, &val, &count)) != 0)
                break;
            uint32_t want = CN_VAR_LIST | (uint32_t)c->field.arg;
            for (size_t i = 0; i < count; i++) {
                if (var[i] == want && val[i] != 0 && cond_test(c, val[i])) {
                    uint64_t g = ss->base + hit[i];
                    or_word(hitbits, g >> 6, 1ULL << (g & 63));
                }
            }
            if (count > 0) {
                free(hit);
                free(var);
                free(val);
            }
            continue;
        }
        if (ss->n > cap) {
            cap = ss->n;
            vals = cn_xrealloc(vals, cap * sizeof(*vals));
            test = cn_xrealloc(test, cap);
        }
        const cn_dim_def_t *d = c->field.dim;
        if (c->idset != NULL && d == NULL && c->field.metric != CN_M_HITS) {
            /* a per-hit flag: straight from the type and events bytes */
            if ((rc = cn_scan_load(s, k, false, false)) != 0)
                break;
            uint8_t flag = c->field.metric == CN_M_ORDERS       ? CN_EV_PURCHASE
                           : c->field.metric == CN_M_CART_ADDS  ? CN_EV_CART_ADD
                           : c->field.metric == CN_M_CHECKOUTS  ? CN_EV_CHECKOUT
                           : c->field.metric == CN_M_PROD_VIEWS ? CN_EV_PROD_VIEW
                                                                : 0;
            uint8_t t0 = cn_bit_get(c->idset, 0), t1 = cn_bit_get(c->idset, 1);
            if (flag != 0 && t0 != t1) {
                bits_from_flag(hitbits, ss->base, ss->events, ss->n, (unsigned)__builtin_ctz(flag),
                               t0 != 0);
                continue;
            }
            uint8_t lut[256];
            for (unsigned b = 0; b < 256; b++)
                lut[b] = (flag ? (b & flag) != 0 : b == CN_HIT_PAGEVIEW) ? t1 : t0;
            bits_from_bytes(hitbits, ss->base, flag ? ss->events : ss->type, ss->n, lut);
            continue;
        }
        if (c->idset != NULL && d != NULL && d->src == CN_DIMSRC_HIT_COL &&
            cn_store_col(d->col)->kind != CN_COLK_U8) {
            /* a text hit column: its ids straight into the id set */
            if ((rc = cn_scan_load(s, k, false, false)) != 0 ||
                (rc = read32(s, ss, d->col, &ss->cols32[d->col])) != 0)
                break;
            const uint32_t *ids = ss->cols32[d->col];
            for (size_t i = 0; i < ss->n; i++)
                test[i] = ids[i] < c->idset_len && cn_bit_get(c->idset, ids[i]);
            set_bits(hitbits, ss->base, test, ss->n);
            continue;
        }
        if ((rc = cn_scan_field(s, k, &c->field, vals)) != 0)
            break;
        if (c->idset != NULL) {
            for (size_t i = 0; i < ss->n; i++)
                test[i] =
                    (uint64_t)vals[i] < c->idset_len && cn_bit_get(c->idset, (uint64_t)vals[i]);
        } else {
            for (size_t i = 0; i < ss->n; i++)
                test[i] = cond_test(c, vals[i]);
        }
        set_bits(hitbits, ss->base, test, ss->n);
    }
    free(vals);
    free(test);
    return rc;
}

static void cond_hits_par(void *arg, unsigned t)
{
    par_cond_t *p = arg;
    cn_scan_t local = *p->s;
    local.err = &p->err[t];
    p->rc[t] = cond_hits_run(&local, p->c, p->hitbits, p->split[t], p->split[t + 1]);
}

/* Runs fn over the segments on the scan's threads; returns the first error. */
static int run_split(cn_scan_t *s, void (*fn)(void *, unsigned), void *arg, size_t *split, int *rcs,
                     cn_err_t *errs)
{
    unsigned n = s->threads;
    if (n > s->seg_count)
        n = s->seg_count ? (unsigned)s->seg_count : 1;
    cn_scan_split(s, n, split);
    for (unsigned t = 0; t < n; t++) {
        rcs[t] = 0;
        memset(&errs[t], 0, sizeof(errs[t]));
    }
    cn_query__parallel(n, fn, arg);
    for (unsigned t = 0; t < n; t++) {
        if (rcs[t] != 0)
            return cn_err_set(s->err, rcs[t], "%s", cn_err_msg(&errs[t], rcs[t]));
    }
    return 0;
}

static int cond_hits(cn_scan_t *s, const cond_t *c, uint64_t *hitbits)
{
    int rc = cn_scan_prepare(s, &c->field);
    if (rc != 0)
        return rc;
    par_cond_t p = {.s = s, .c = c, .hitbits = hitbits};
    return run_split(s, cond_hits_par, &p, p.split, p.rc, p.err);
}

/* A condition on a field that is constant within a visit, at the visit
 * level: tested once per visit. A visit without hits in the range may come
 * out either way: every projection reads visit bits through the range's hits. */
static bool visit_field(const cn_field_t *f)
{
    return f->dim != NULL &&
           (f->dim->src == CN_DIMSRC_VISIT_COL || f->dim->src == CN_DIMSRC_NEW_RETURN ||
            f->dim->src == CN_DIMSRC_EXIT_PAGE);
}

static int cond_visits(cn_scan_t *s, const cond_t *c, uint64_t *visitbits)
{
    const cn_dim_def_t *d = c->field.dim;
    const uint32_t *a32 = NULL;
    const uint8_t *a8 = NULL;
    int rc;
    if (d->src == CN_DIMSRC_EXIT_PAGE) {
        if ((rc = cn_scan_exit_pages(s)) != 0)
            return rc;
        a32 = s->v_exit_page;
    } else if (d->src == CN_DIMSRC_NEW_RETURN) {
        rc = cn_scan_visit_u32(s, CN_COL_VISIT_visit_num, &a32);
    } else if (cn_store_col(d->col)->kind == CN_COLK_U8) {
        rc = cn_scan_visit_u8(s, d->col, &a8);
    } else {
        rc = cn_scan_visit_u32(s, d->col, &a32);
    }
    if (rc != 0)
        return rc;
    if (c->idset != NULL && d->src != CN_DIMSRC_NEW_RETURN) {
        /* ids tested against the id set, 64 visits to a word */
        const uint64_t *set = c->idset;
        uint32_t len = c->idset_len;
        uint64_t n = s->visit_count;
        for (uint64_t w = 0; w * 64 < n; w++) {
            uint64_t word = 0, v0 = w * 64, end = n - v0 < 64 ? n - v0 : 64;
            if (a8 != NULL) {
                for (uint64_t b = 0; b < end; b++) {
                    uint32_t x = a8[v0 + b];
                    word |= (uint64_t)(x < len && ((set[x >> 6] >> (x & 63)) & 1)) << b;
                }
            } else {
                for (uint64_t b = 0; b < end; b++) {
                    uint32_t x = a32[v0 + b];
                    word |= (uint64_t)(x < len && ((set[x >> 6] >> (x & 63)) & 1)) << b;
                }
            }
            visitbits[w] = word;
        }
        return 0;
    }
    for (uint64_t v = 0; v < s->visit_count; v++) {
        int64_t x = a8 ? a8[v] : d->src == CN_DIMSRC_NEW_RETURN ? a32[v] > 1 : a32[v];
        if (cond_test(c, x))
            cn_bit_set(visitbits, v);
    }
    return 0;
}

typedef struct par_proj {
    cn_scan_t *s;
    const level_set_t *in;
    level_set_t *out;
    size_t split[CN_QUERY_MAX_THREADS + 1];
    int rc[CN_QUERY_MAX_THREADS];
    cn_err_t err[CN_QUERY_MAX_THREADS];
} par_proj_t;

static void project_par(void *arg, unsigned t)
{
    par_proj_t *p = arg;
    cn_scan_t local = *p->s;
    local.err = &p->err[t];
    cn_scan_t *s = &local;
    const level_set_t *in = p->in;
    level_set_t *out = p->out;
    uint8_t *test = NULL;
    size_t cap = 0;
    for (size_t k = p->split[t]; k < p->split[t + 1]; k++) {
        cn_scanseg_t *ss = &s->segs[k];
        if ((p->rc[t] = cn_scan_load(s, k, false, false)) != 0)
            break;
        if (out->level == CN_SCOPE_HIT) {
            /* down: a hit is in when its visit (visitor) is */
            if (ss->n > cap) {
                cap = ss->n;
                test = cn_xrealloc(test, cap);
            }
            for (size_t i = 0; i < ss->n; i++) {
                uint64_t v = ss->visit[i] - s->first_visit;
                uint64_t idx = in->level == CN_SCOPE_VISIT ? v : s->v_visitor[v];
                test[i] = cn_bit_get(in->bits, idx);
            }
            set_bits(out->bits, ss->base, test, ss->n);
            continue;
        }
        for (size_t i = 0; i < ss->n; i++) {
            uint64_t h = ss->base + i, v = ss->visit[i] - s->first_visit;
            uint64_t idx[3] = {h, v, s->v_visitor[v]};
            if (cn_bit_get(in->bits, idx[in->level])) {
                uint64_t o = idx[out->level];
                uint64_t bit = 1ULL << (o & 63);
                if ((__atomic_load_n(&out->bits[o >> 6], __ATOMIC_RELAXED) & bit) == 0)
                    or_word(out->bits, o >> 6, bit);
            }
        }
    }
    free(test);
}

/* Projects a set from one level to another. */
static int project(cn_scan_t *s, level_set_t *in, cn_seg_scope_t to, level_set_t *out)
{
    out->level = to;
    out->n = level_size(s, to);
    if (in->level == to) {
        *out = *in;
        in->bits = NULL;
        return 0;
    }
    out->bits = bits_new(out->n);
    par_proj_t p = {.s = s, .in = in, .out = out};
    int rc = run_split(s, project_par, &p, p.split, p.rc, p.err);
    free(in->bits);
    in->bits = NULL;
    return rc;
}

static int eval(cn_scan_t *s, const cn_seg_node_t *node, cn_seg_scope_t level, level_set_t *out)
{
    int rc = 0;
    out->level = level;
    out->n = level_size(s, level);
    out->bits = NULL;
    switch (node->kind) {
    case CN_SEG_COND: {
        cond_t c;
        if ((rc = compile_cond(s, node, &c)) != 0) {
            free(c.idset);
            return rc;
        }
        if (level == CN_SCOPE_VISIT && visit_field(&c.field)) {
            out->bits = bits_new(out->n);
            rc = cond_visits(s, &c, out->bits);
            free(c.idset);
            return rc;
        }
        level_set_t hits = {CN_SCOPE_HIT, bits_new(s->hit_count), s->hit_count};
        rc = cond_hits(s, &c, hits.bits);
        free(c.idset);
        if (rc == 0)
            rc = project(s, &hits, level, out);
        free(hits.bits);
        return rc;
    }
    case CN_SEG_SCOPE: {
        level_set_t inner;
        if ((rc = eval(s, node->kids[0], node->scope, &inner)) != 0) {
            free(inner.bits);
            return rc;
        }
        rc = project(s, &inner, level, out);
        free(inner.bits);
        return rc;
    }
    case CN_SEG_NOT: {
        if ((rc = eval(s, node->kids[0], level, out)) != 0)
            return rc;
        size_t words = (out->n + 63) / 64;
        for (size_t w = 0; w < words; w++)
            out->bits[w] = ~out->bits[w];
        if (out->n % 64)
            out->bits[words - 1] &= (1ULL << (out->n % 64)) - 1;
        return 0;
    }
    case CN_SEG_AND:
    case CN_SEG_OR: {
        if ((rc = eval(s, node->kids[0], level, out)) != 0)
            return rc;
        size_t words = (out->n + 63) / 64;
        for (size_t i = 1; i < node->kid_count; i++) {
            level_set_t k;
            if ((rc = eval(s, node->kids[i], level, &k)) != 0) {
                free(k.bits);
                return rc;
            }
            for (size_t w = 0; w < words; w++)
                out->bits[w] =
                    node->kind == CN_SEG_AND ? out->bits[w] & k.bits[w] : out->bits[w] | k.bits[w];
            free(k.bits);
        }
        return 0;
    }
    case CN_SEG_THEN: {
        /* a sequence (sequence.c): each step is a set of hits */
        if (level == CN_SCOPE_HIT || node->kid_count > CN_SEGMENT_MAX_STEPS)
            return cn_err_set(s->err, CN_EINVAL,
                              "segment: 'then' needs a visit(...) or visitor(...) container");
        uint64_t *steps[CN_SEGMENT_MAX_STEPS] = {0};
        for (size_t i = 0; rc == 0 && i < node->kid_count; i++) {
            level_set_t k;
            rc = eval(s, node->kids[i], CN_SCOPE_HIT, &k);
            steps[i] = k.bits;
        }
        if (rc == 0) {
            out->bits = bits_new(out->n);
            rc = cn_scan_sequence(s, steps, node->kid_count, level, out->bits);
        }
        for (size_t i = 0; i < node->kid_count; i++)
            free(steps[i]);
        return rc;
    }
    }
    return CN_EINVAL;
}

int cn_scan_segment_visits(cn_scan_t *s, const cn_segment_t *seg, uint64_t **out_bits)
{
    *out_bits = NULL;
    const cn_seg_node_t *root = seg->root;
    if (root->kind != CN_SEG_SCOPE || root->scope != CN_SCOPE_VISIT)
        return 0;
    level_set_t r;
    int rc = eval(s, root->kids[0], CN_SCOPE_VISIT, &r);
    if (rc != 0) {
        free(r.bits);
        return rc;
    }
    *out_bits = r.bits;
    return 0;
}

int cn_scan_segment(cn_scan_t *s, const cn_segment_t *seg, uint64_t **out_bits)
{
    level_set_t r;
    int rc = eval(s, seg->root, CN_SCOPE_HIT, &r);
    if (rc != 0) {
        free(r.bits);
        return rc;
    }
    *out_bits = r.bits;
    return 0;
}
