/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write buffer: rows of the open day (or of the visit group) held in
 * memory, column by column, in chunks that never move once allocated, so
 * that a snapshot can read the first rows of a buffer while the writer
 * appends after them. A buffer is refcounted: the writer holds one
 * reference until the buffer is flushed, and each snapshot view one more.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/internal.h"

/*
 * The columns' chunks come from one pool for the process: a chunk's size is
 * a power of two (4 KiB << k, up to 128 MiB), a freed chunk goes on its
 * size's free list for the next buffer, and new ones are carved from 2 MiB
 * blocks on huge pages (cn_xmalloc_huge), or are such an allocation of
 * their own from 2 MiB on. One malloc a chunk made the heap grow by a 4 KiB
 * page fault at a time: 36,000 of the ~54,000 page faults of `process
 * --until-end` on the 1M log, at ~11 us of CPU each on a machine whose page
 * tables the hypervisor keeps (docs/processing.md, Speed). The pool keeps
 * the most the buffers have held at once; blocks are never given back.
 * Buffers are freed by whichever thread drops the last reference (a
 * snapshot's reader), so the pool has a lock: one take or give a chunk,
 * that is a column's 4,096 << k rows.
 */
#define POOL_MIN_SHIFT 12u /* 4 KiB: a chunk of 4,096 one-byte values */
#define POOL_CLASSES   16u /* up to 4 KiB << 15 = 128 MiB */
#define POOL_BLOCK     ((size_t)2 << 20)

static struct {
    pthread_mutex_t mu;
    void *free[POOL_CLASSES]; /* freed chunks by size class, each holding the next one's address */
    char *at, *end;           /* the newest block's unused part */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

static unsigned pool_class(size_t size)
{
    unsigned k = (unsigned)(63 - __builtin_clzll(size)) - POOL_MIN_SHIFT;
    CN_ASSERT(((size_t)1 << (k + POOL_MIN_SHIFT)) == size && k < POOL_CLASSES);
    return k;
}

static void *pool_take(size_t size)
{
    unsigned k = pool_class(size);
    pthread_mutex_lock(&pool.mu);
    void *p = pool.free[k];
    if (p != NULL) {
        memcpy(&pool.free[k], p, sizeof(void *));
        cn_asan_poison(p, size, false);
    } else if (size >= POOL_BLOCK) {
        p = NULL; /* an allocation of its own, outside the lock */
    } else {
        /* chunks are multiples of 4 KiB: the bump pointer stays page-aligned; a chunk
         * that does not fit in the newest block's rest starts a new block (the rest is
         * lost) */
        if (pool.at == NULL || (size_t)(pool.end - pool.at) < size) {
            pool.at = cn_xmalloc_huge(POOL_BLOCK, false);
            pool.end = pool.at + POOL_BLOCK;
        }
        p = pool.at;
        pool.at += size;
    }
    pthread_mutex_unlock(&pool.mu);
    return p != NULL ? p : cn_xmalloc_huge(size, false);
}

static void pool_give(void *p, size_t size)
{
    unsigned k = pool_class(size);
    pthread_mutex_lock(&pool.mu);
    memcpy(p, &pool.free[k], sizeof(void *));
    pool.free[k] = p;
    /* poisoned but for the link: a read of a freed buffer is caught */
    cn_asan_poison((char *)p + sizeof(void *), size - sizeof(void *), true);
    pthread_mutex_unlock(&pool.mu);
}

static inline size_t kind_size(cn_colk_t kind)
{
    return kind == CN_COLK_TS || kind == CN_COLK_MONEY ? 8 : kind == CN_COLK_U8 ? 1 : 4;
}

static bool holds(const cn_store__membuf_t *mb, cn_store_group_t g)
{
    return mb->is_visit ? g == CN_GROUP_VISIT : g != CN_GROUP_VISIT;
}

cn_store__membuf_t *cn_store__membuf_new(bool is_visit, int32_t day, uint64_t first_row)
{
    cn_store__membuf_t *mb = cn_xcalloc(1, sizeof(*mb));
    atomic_init(&mb->refs, 1);
    mb->is_visit = is_visit;
    mb->day = day;
    mb->first_row = first_row;
    for (size_t c = 0; c < CN_COL_COUNT; c++)
        mb->cols[c].used = holds(mb, cn_store_col((cn_store_col_t)c)->group);
    return mb;
}

void cn_store__membuf_unref(cn_store__membuf_t *mb)
{
    if (!mb || atomic_fetch_sub(&mb->refs, 1) != 1)
        return;
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        size_t width = kind_size(cn_store_col((cn_store_col_t)c)->kind);
        for (size_t k = 0; k < CN_STORE__CHUNKS; k++)
            if (mb->cols[c].chunks[k] != NULL)
                pool_give(mb->cols[c].chunks[k], ((size_t)CN_STORE__CHUNK_ROWS << k) * width);
    }
    free(mb);
}

/* Chunk and position of row r: chunk k starts at CHUNK_ROWS * (2^k - 1). */
static inline void locate(uint64_t r, size_t *ck, size_t *at)
{
    uint64_t q = r / CN_STORE__CHUNK_ROWS + 1;
    unsigned k = 63 - (unsigned)__builtin_clzll(q);
    *ck = k;
    *at = (size_t)(r - (uint64_t)CN_STORE__CHUNK_ROWS * ((1ull << k) - 1));
}

/* Stores the value of one column at row r (chunk ck, position at). kind and
 * col are constants where this is inlined, so the switch folds away. The
 * column's min and max are brought up to date when a view is made
 * (update_minmax), rather than here for every value. */
static inline __attribute__((always_inline)) void put_one(cn_store__membuf_t *mb, size_t col,
                                                          cn_colk_t kind, size_t ck, size_t at,
                                                          const void *f, const uint32_t *dict_id)
{
    void **chunks = mb->cols[col].chunks; /* chunks[ck] allocated (alloc_chunks) */
    switch (kind) {
    case CN_COLK_DICT:
        ((uint32_t *)chunks[ck])[at] = *dict_id;
        break;
    case CN_COLK_U32:
        memcpy((uint32_t *)chunks[ck] + at, f, 4);
        break;
    case CN_COLK_U8:
        ((uint8_t *)chunks[ck])[at] = *(const uint8_t *)f;
        break;
    default:
        memcpy((int64_t *)chunks[ck] + at, f, 8);
        break;
    }
}

/* Allocates chunk ck of every column of group g (at the chunk's first row,
 * rather than a test per column and row). Out of line: inlined, it would
 * make every put save registers. */
static __attribute__((noinline, cold)) void alloc_chunks(cn_store__membuf_t *mb, cn_store_group_t g,
                                                         size_t ck)
{
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (ci->group == g && mb->cols[c].chunks[ck] == NULL)
            mb->cols[c].chunks[ck] =
                pool_take(((size_t)CN_STORE__CHUNK_ROWS << ck) * kind_size(ci->kind));
    }
}

/* One put function per group, its columns unrolled from columns.def, for a
 * row whose chunks are allocated: without a call, each saves few registers
 * (a var row, the most frequent, is three values). */
#define PUT_GROUP(fn, rowtype, COLUMNS, PREFIX, G)                                                 \
    static __attribute__((noinline)) void fn(cn_store__membuf_t *mb, const rowtype *row,           \
                                             const uint32_t *dict_ids)                             \
    {                                                                                              \
        uint64_t r = mb->rows[G];                                                                  \
        CN_ASSERT(r < CN_STORE__MAX_BUFFER_ROWS);                                                  \
        size_t ck, at;                                                                             \
        locate(r, &ck, &at);                                                                       \
        COLUMNS(PREFIX)                                                                            \
        mb->rows[G] = r + 1;                                                                       \
    }
#define PUT_COL(G, n, k)                                                                           \
    put_one(mb, CN_COL_##G##_##n, k, ck, at, &row->n,                                              \
            &dict_ids[CN_COL_##G##_##n - CN_STORE__FIRST_##G]);
#define PUT_VISIT(n, k, j, d) PUT_COL(VISIT, n, k)
#define PUT_HIT(n, k, j, d)   PUT_COL(HIT, n, k)
#define PUT_ITEM(n, k, j, d)  PUT_COL(ITEM, n, k)
#define PUT_VAR(n, k, j, d)   PUT_COL(VAR, n, k)
#define PUT_EVENT(n, k, j, d) PUT_COL(EVENT, n, k)
PUT_GROUP(put_visit, cn_visit_row_t, CN_VISIT_COLUMNS, PUT_VISIT, CN_GROUP_VISIT)
PUT_GROUP(put_hit, cn_hit_row_t, CN_HIT_COLUMNS, PUT_HIT, CN_GROUP_HIT)
PUT_GROUP(put_item, cn_item_row_t, CN_ITEM_COLUMNS, PUT_ITEM, CN_GROUP_ITEM)
PUT_GROUP(put_var, cn_var_row_t, CN_VAR_COLUMNS, PUT_VAR, CN_GROUP_VAR)
PUT_GROUP(put_event, cn_event_row_t, CN_EVENT_COLUMNS, PUT_EVENT, CN_GROUP_EVENT)
#undef PUT_GROUP
#undef PUT_COL
#undef PUT_VISIT
#undef PUT_HIT
#undef PUT_ITEM
#undef PUT_VAR
#undef PUT_EVENT

static inline __attribute__((always_inline)) void
put_row(cn_store__membuf_t *mb, cn_store_group_t g, const void *row, const uint32_t *dict_ids)
{
    switch (g) {
    case CN_GROUP_VISIT:
        put_visit(mb, row, dict_ids);
        break;
    case CN_GROUP_HIT:
        put_hit(mb, row, dict_ids);
        break;
    case CN_GROUP_ITEM:
        put_item(mb, row, dict_ids);
        break;
    case CN_GROUP_VAR:
        put_var(mb, row, dict_ids);
        break;
    case CN_GROUP_EVENT:
        put_event(mb, row, dict_ids);
        break;
    default:
        CN_ASSERT(!"group");
    }
}

/* A put at a row that may start a chunk: the chunk's columns allocated first. */
static __attribute__((noinline)) void put_at_chunk(cn_store__membuf_t *mb, cn_store_group_t g,
                                                   const void *row, const uint32_t *dict_ids)
{
    uint64_t r = mb->rows[g];
    CN_ASSERT(r < CN_STORE__MAX_BUFFER_ROWS);
    size_t ck, at;
    locate(r, &ck, &at);
    if (at == 0)
        alloc_chunks(mb, g, ck);
    put_row(mb, g, row, dict_ids);
}

void cn_store__membuf_put(cn_store__membuf_t *mb, cn_store_group_t g, const void *row,
                          const uint32_t *dict_ids)
{
    CN_ASSERT(holds(mb, g));
    /* a chunk starts at a multiple of CHUNK_ROWS (not at every one) */
    if ((mb->rows[g] & (CN_STORE__CHUNK_ROWS - 1)) == 0)
        put_at_chunk(mb, g, row, dict_ids);
    else
        put_row(mb, g, row, dict_ids);
}

int64_t cn_store__membuf_get(const cn_store__membuf_t *mb, cn_store_col_t col, uint64_t row)
{
    int64_t v;
    cn_store__membuf_read(mb, col, row, 1, &v);
    return v;
}

/* Copies n values of one chunk, widened to int64. */
#define WIDEN(T)                                                                                   \
    do {                                                                                           \
        const T *src = (const T *)chunk + at;                                                      \
        for (size_t i = 0; i < m; i++)                                                             \
            out[i] = (int64_t)src[i];                                                              \
    } while (0)

void cn_store__membuf_read(const cn_store__membuf_t *mb, cn_store_col_t col, uint64_t from,
                           size_t n, int64_t *out)
{
    cn_colk_t kind = cn_store_col(col)->kind;
    while (n > 0) {
        size_t ck, at;
        locate(from, &ck, &at);
        size_t m = ((size_t)CN_STORE__CHUNK_ROWS << ck) - at;
        if (m > n)
            m = n;
        const void *chunk = mb->cols[col].chunks[ck];
        switch (kind) {
        case CN_COLK_DICT:
        case CN_COLK_U32:
            WIDEN(uint32_t);
            break;
        case CN_COLK_U8:
            WIDEN(uint8_t);
            break;
        default:
            WIDEN(int64_t);
            break;
        }
        out += m;
        from += m;
        n -= m;
    }
}
#undef WIDEN

/* Min and max of rows [from, to) of one column (to > from), merged into
 * the column's (set by them when from is 0). */
#define MINMAX(T)                                                                                  \
    do {                                                                                           \
        const T *src = (const T *)chunk + at;                                                      \
        T lo_t = src[0], hi_t = lo_t; /* in T: the same order as in int64, and vectorized */       \
        for (size_t i = 1; i < m; i++) {                                                           \
            T v = src[i];                                                                          \
            lo_t = v < lo_t ? v : lo_t;                                                            \
            hi_t = v > hi_t ? v : hi_t;                                                            \
        }                                                                                          \
        int64_t lo = (int64_t)lo_t, hi = (int64_t)hi_t;                                            \
        mn = first || lo < mn ? lo : mn;                                                           \
        mx = first || hi > mx ? hi : mx;                                                           \
    } while (0)

static void minmax_range(cn_store__membuf_t *mb, size_t col, cn_colk_t kind, uint64_t from,
                         uint64_t to)
{
    int64_t mn = mb->cols[col].min, mx = mb->cols[col].max;
    bool first = from == 0;
    while (from < to) {
        size_t ck, at;
        locate(from, &ck, &at);
        size_t m = ((size_t)CN_STORE__CHUNK_ROWS << ck) - at;
        if (m > to - from)
            m = (size_t)(to - from);
        const void *chunk = mb->cols[col].chunks[ck];
        switch (kind) {
        case CN_COLK_DICT:
        case CN_COLK_U32:
            MINMAX(uint32_t);
            break;
        case CN_COLK_U8:
            MINMAX(uint8_t);
            break;
        default:
            MINMAX(int64_t);
            break;
        }
        first = false;
        from += m;
    }
    mb->cols[col].min = mn;
    mb->cols[col].max = mx;
}
#undef MINMAX

/* Brings every column's min and max up to the rows appended (writer). */
static void update_minmax(cn_store__membuf_t *mb)
{
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (!mb->cols[c].used)
            continue;
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)c);
        if (mb->mm_rows[ci->group] < mb->rows[ci->group])
            minmax_range(mb, c, ci->kind, mb->mm_rows[ci->group], mb->rows[ci->group]);
    }
    memcpy(mb->mm_rows, mb->rows, sizeof(mb->mm_rows));
}

cn_store_seg_t *cn_store__membuf_view(cn_store__membuf_t *mb)
{
    update_minmax(mb);
    cn_store_seg_t *seg = cn_xcalloc(1, sizeof(*seg));
    atomic_init(&seg->refs, 1);
    atomic_fetch_add(&mb->refs, 1);
    seg->is_mem = true;
    seg->mem = mb;
    seg->is_visit = mb->is_visit;
    seg->day = mb->day;
    seg->first_row = mb->first_row;
    memcpy(seg->rows, mb->rows, sizeof(seg->rows));
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (!mb->cols[c].used)
            continue;
        seg->cols[c].present = true;
        seg->cols[c].min = mb->cols[c].min;
        seg->cols[c].max = mb->cols[c].max;
    }
    return seg;
}
