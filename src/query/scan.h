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
    int metric; /* CN_M_* per-hit measure when dim is NULL */
} cn_field_t;

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
    bool include_bots;
    cn_err_t *err;
} cn_scan_t;

/* Opens a scan over [from_day, to_day] (inclusive local days). */
int cn_scan_open(cn_scan_t *s, const cn_store_t *store, const cn_store_snap_t *snap,
                 int32_t from_day, int32_t to_day, bool include_bots, cn_err_t *err);
void cn_scan_close(cn_scan_t *s);

/* Loads the basic hit columns of segment k (visit, type, events; ts, revenue and units when
 * asked). Idempotent. */
int cn_scan_load(cn_scan_t *s, size_t k, bool ts, bool money);
/* Frees the columns of segment k (after a pass, to bound memory). */
void cn_scan_unload(cn_scan_t *s, size_t k);

/* A visit column as an array by (ordinal - first_visit); loaded on first use. */
int cn_scan_visit_u32(cn_scan_t *s, cn_store_col_t col, const uint32_t **out);
int cn_scan_visit_u8(cn_scan_t *s, cn_store_col_t col, const uint8_t **out);

/* Computes v_exit_page with one pass over the range. */
int cn_scan_exit_pages(cn_scan_t *s);

/*
 * Field values for the hits of segment k into out[0..n): dictionary ids,
 * enum values or numbers (dimensions), or per-hit measure values (metric
 * fields; money in fixed point). For item dimensions the value is the id of
 * the hit's first item (0 when none): callers that need every item use
 * cn_scan_items(). Returns 0 or an error.
 */
int cn_scan_field(cn_scan_t *s, size_t k, const cn_field_t *f, int64_t *out);

/* Item rows of segment k: hit (index within the segment), key id for the item
 * column col, quantity and revenue. Arrays are malloc'd; *count may be 0. */
int cn_scan_items(cn_scan_t *s, size_t k, cn_store_col_t col, uint32_t **hit, uint32_t **key,
                  uint32_t **qty, int64_t **rev, size_t *count);

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

static inline bool cn_bit_get(const uint64_t *bits, uint64_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1;
}

static inline void cn_bit_set(uint64_t *bits, uint64_t i)
{
    bits[i >> 6] |= 1ULL << (i & 63);
}

#endif
