/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scan layer under every query: which partitions a date range covers,
 * the visit attributes loaded as arrays by visit ordinal, per-segment hit
 * columns loaded on demand, field values (the keys of a dimension or the
 * values of a per-hit metric) for the hits of one segment, and segment
 * (filter) evaluation into a bitset over the hits of the range.
 *
 * Hits of the range are numbered 0..hit_count-1 in scan order (partitions by
 * day, then segment, then row): the "range index". Visits are indexed by
 * (ordinal - first_visit). Everything here is private to src/query.
 */
#ifndef CN_QUERY_SCAN_H
#define CN_QUERY_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "query/internal.h"

/* A field as a key source: a dimension with its argument, or a per-hit metric. */
typedef struct cn_field {
    const cn_dim_def_t *dim; /* NULL for a metric field */
    int arg;
    int metric; /* CN_M_* per-hit measure when dim is NULL; CN_M_BASE_COUNT: eventN (arg), the sum
                   of the hit's values of it, fixed point (CN_MONEY_SCALE) */
} cn_field_t;

/* --- The query context's cache and threads (cache.c) --- */

typedef struct cn_qent cn_qent_t;
/* Column col of seg, whole: from the cache or decoded now (cached when the
 * segment is a file and ctx has room). *out is valid until
 * cn_query__release(ctx, *hold). Thread-safe. */
int cn_query__col(cn_query_ctx_t *ctx, const cn_store_seg_t *seg, cn_store_col_t col,
                  const void **out, cn_qent_t **hold, cn_err_t *err);
void cn_query__release(cn_query_ctx_t *ctx, cn_qent_t *hold);
/* Data derived from a segment's columns (an index), cached like a column
 * under (segment, key): build(arg) makes it (malloc'd, *bytes long) when it
 * is not cached. */
typedef int (*cn_query_build_cb)(void *arg, void **data, size_t *bytes, cn_err_t *err);
int cn_query__derived(cn_query_ctx_t *ctx, const cn_store_seg_t *seg, uint32_t key,
                      cn_query_build_cb build, void *arg, const void **out, size_t *out_bytes,
                      cn_qent_t **hold, cn_err_t *err);
/* Drops cached columns of segments that snap no longer has. */
void cn_query__cache_sweep(cn_query_ctx_t *ctx, const cn_store_snap_t *snap);
/* The cache's budget in bytes (0 without a context or cache). */
size_t cn_query__budget(const cn_query_ctx_t *ctx);
/* Threads a query may use (1 without a context). */
unsigned cn_query__threads(const cn_query_ctx_t *ctx);
/* Runs fn(arg, t) for t in 0..n-1, on n threads (the caller's is t = 0). */
void cn_query__parallel(unsigned n, void (*fn)(void *arg, unsigned t), void *arg);

/* One hit segment of the range, with the columns loaded so far. */
typedef struct cn_scanseg {
    const cn_store_seg_t *seg;
    size_t part;        /* partition index in the snapshot */
    uint64_t base;      /* range index of its first hit */
    uint64_t first_row; /* partition row of its first hit */
    size_t n;           /* hits */
    uint32_t *visit;    /* visit ordinal per hit */
    uint8_t *type;
    uint8_t *events;
    int64_t *ts;
    int64_t *revenue;
    uint32_t *units;
    uint32_t *cols32[CN_COL_COUNT]; /* other hit columns as read */
    uint8_t *cols8[CN_COL_COUNT];
    cn_qent_t **holds; /* the columns above, released by cn_scan_unload */
    size_t hold_count, hold_cap;
} cn_scanseg_t;

typedef struct cn_scan {
    const cn_store_t *store;
    const cn_store_snap_t *snap;
    int32_t from_day, to_day;
    cn_scanseg_t *segs;
    size_t seg_count;
    uint64_t hit_count;
    uint64_t first_visit, visit_count; /* visit arrays cover [first_visit, +visit_count) */
    uint64_t visitor_count;
    uint32_t *v_visitor;              /* per visit */
    uint8_t *v_bot;                   /* per visit: 1 when a bot visit */
    uint32_t *v_cols32[CN_COL_COUNT]; /* visit columns loaded on demand */
    uint8_t *v_cols8[CN_COL_COUNT];
    uint32_t *v_exit_page; /* per visit: page id of the last page view in range */
    /* visit arrays above that point into a cached array (released at close)
     * instead of being the scan's own copies */
    cn_qent_t *v_hold32[CN_COL_COUNT], *v_hold8[CN_COL_COUNT], *v_bot_hold;
    bool include_bots;
    cn_err_t *err;
    cn_query_ctx_t *ctx; /* may be NULL */
    unsigned threads;
} cn_scan_t;

/*
 * Opens a scan over [from_day, to_day] (inclusive local days). The visit
 * arrays cover the visit ordinals the range's hits point at (from the
 * segments' min/max), not every visit of the store.
 */
int cn_scan_open(cn_scan_t *s, cn_query_ctx_t *ctx, const cn_store_t *store,
                 const cn_store_snap_t *snap, int32_t from_day, int32_t to_day, bool include_bots,
                 cn_err_t *err);
void cn_scan_close(cn_scan_t *s);

/* Loads the basic hit columns of segment k (visit, type, events; ts, revenue and units when
 * asked). Idempotent. Different segments may be loaded (and their fields
 * read) by different threads at once, once cn_scan_prepare() has loaded the
 * visit arrays the fields need. */
int cn_scan_load(cn_scan_t *s, size_t k, bool ts, bool money);
/* The commerce rows of segment k: hits with a purchase, revenue or units.
 * Every other hit has no orders, revenue or units, so sums of those need
 * only these rows. */
typedef struct cn_orders {
    size_t n;
    const uint32_t *row;    /* index within the segment, ascending */
    const uint32_t *visit;  /* the row's visit ordinal */
    const uint32_t *units;  /* the row's units */
    const int64_t *revenue; /* the row's revenue (fixed point) */
    const uint8_t *events;  /* the row's event flags */
} cn_orders_t;
/* The commerce rows of segment k (cached; valid until cn_scan_unload). */
int cn_scan_orders(cn_scan_t *s, size_t k, cn_orders_t *out);
/* The distinct visit ordinals the hits of segment k point at, ascending. Cached. */
int cn_scan_seg_visits(cn_scan_t *s, size_t k, const uint32_t **visits, size_t *count);

/* The distinct values of visit column col over the (non-bot, unless the
 * scan includes bots) visits of segment k's hits, ascending. Cached: visit
 * rows never change once written. Load col (cn_scan_visit_*) first when
 * threads call this. */
int cn_scan_seg_keys(cn_scan_t *s, size_t k, cn_store_col_t col, const uint32_t **keys,
                     size_t *count);

/* Hits and page views of segment k that are not a bot's (unless the scan
 * includes bots). Cached. */
int cn_scan_seg_counts(cn_scan_t *s, size_t k, uint32_t *out_hits, uint32_t *out_pageviews);

/* Loads every segment (cn_scan_load without ts and money, and the u32 hit
 * column col32 unless it is CN_COL_COUNT) on the scan's threads, so that
 * threads can then read any segment. */
int cn_scan_load_all(cn_scan_t *s, cn_store_col_t col32);

/* A u32 (DICT or U32) hit column of segment k, loaded on first use. */
int cn_scan_hit_u32(cn_scan_t *s, size_t k, cn_store_col_t col, const uint32_t **out);

/* Frees the columns of segment k (after a pass, to bound memory). */
void cn_scan_unload(cn_scan_t *s, size_t k);

/* A visit column as an array by (ordinal - first_visit); loaded on first use. */
int cn_scan_visit_u32(cn_scan_t *s, cn_store_col_t col, const uint32_t **out);
int cn_scan_visit_u8(cn_scan_t *s, cn_store_col_t col, const uint8_t **out);

/* Loads what cn_scan_field(f) reads besides segment columns (visit arrays,
 * exit pages), so that fields can then be read from several threads. */
int cn_scan_prepare(cn_scan_t *s, const cn_field_t *f);

/* Splits segments [0, seg_count) into n runs of about equal hits: run t is
 * [out[t], out[t + 1]). */
void cn_scan_split(const cn_scan_t *s, unsigned n, size_t *out);

/* Computes v_exit_page with one pass over the range. */
int cn_scan_exit_pages(cn_scan_t *s);

/*
 * Field values for the hits of segment k into out[0..n): dictionary ids,
 * enum values or numbers (dimensions), or per-hit measure values (metric
 * fields; money in fixed point). For item dimensions the value is the id of
 * the hit's first item (0 when none): callers that need every item use
 * cn_scan_items(). A list dimension (listN) has no one value per hit: CN_EINVAL
 * (callers read its rows with cn_scan_vars()). Returns 0 or an error.
 */
int cn_scan_field(cn_scan_t *s, size_t k, const cn_field_t *f, int64_t *out);

/* Item rows of segment k: hit (index within the segment), key id for the item
 * column col, quantity and revenue. Arrays are malloc'd; *count may be 0. */
int cn_scan_items(cn_scan_t *s, size_t k, cn_store_col_t col, uint32_t **hit, uint32_t **key,
                  uint32_t **qty, int64_t **rev, size_t *count);
/* The same for an item dimension f (product, category: its item column; merchN: the value id
 * of the CN_VAR_MERCH row of eVar N that names the item, 0 when none). */
int cn_scan_item_field(cn_scan_t *s, size_t k, const cn_field_t *f, uint32_t **hit, uint32_t **key,
                       uint32_t **qty, int64_t **rev, size_t *count);

/* Var rows of segment k: hit index within the segment, var (family | number) and value id,
 * in row order. Arrays are malloc'd; *count may be 0. */
int cn_scan_vars(cn_scan_t *s, size_t k, uint32_t **hit, uint32_t **var, uint32_t **val,
                 size_t *count);

/* Event rows of segment k with event numbers in [1..1000]: hit index within the
 * segment, event number and value. Arrays are malloc'd. */
int cn_scan_events(cn_scan_t *s, size_t k, uint32_t **hit, uint32_t **num, int64_t **val,
                   size_t *count);

/* Local time helpers: the hour (0..23) and day (local day number) of ts. */
void cn_scan_local(const cn_scan_t *s, int64_t ts_us, int32_t *out_day, int *out_hour);

/* The dictionary domain of a field, or -1 when its values are not dictionary ids. */
int cn_field_dict(const cn_field_t *f);

/*
 * Evaluates a segment into *out_bits, a bitset over the range index (1 =
 * the hit is in the segment). Field names are resolved against the
 * catalogue; an unknown field gives CN_EINVAL with a message. Bot visits are
 * not removed here.
 */
int cn_scan_segment(cn_scan_t *s, const cn_segment_t *seg, uint64_t **out_bits);
/* When the segment is one visit container (visit(...)): its visits as a
 * bitset over visit indexes in *out_bits (a hit is in when its visit is; a
 * visit without hits in the range may be either). Else *out_bits = NULL. */
int cn_scan_segment_visits(cn_scan_t *s, const cn_segment_t *seg, uint64_t **out_bits);

/*
 * A sequence (sequence.c): sets out's bit of every visit (level
 * CN_SCOPE_VISIT; bits by ordinal - first_visit) or visitor (CN_SCOPE_VISITOR;
 * bits by visitor ordinal) whose hits in the range, in scan (time) order,
 * contain a hit of steps[0], then a later hit of steps[1], and so on.
 * steps[i] are bitsets over the range index; out is zeroed, level_size bits.
 * Returns 0 or an error from loading the columns.
 */
int cn_scan_sequence(cn_scan_t *s, uint64_t *const *steps, size_t nsteps, cn_seg_scope_t level,
                     uint64_t *out);

static inline bool cn_bit_get(const uint64_t *bits, uint64_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1;
}

static inline void cn_bit_set(uint64_t *bits, uint64_t i)
{
    bits[i >> 6] |= 1ULL << (i & 63);
}

#endif
