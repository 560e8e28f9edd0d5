/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query context (query.h): a cache of decoded columns shared by the
 * queries of one store, and how many threads one query may use.
 *
 * A segment file is written once and never changed, so a column decoded
 * from it stays valid for the segment's life: entries are keyed by
 * (cn_store_seg_id(), column). The in-memory write buffer (id 0) is never
 * cached. Entries are reference counted: a scan holds the entries it reads
 * until it unloads the segment; the table holds the others until the memory
 * budget asks for room (least recently used first) or until their segment
 * is in no snapshot any more (a merge or retention replaced it: the next
 * scan sweeps them, cache_sweep()).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "query/scan.h"

#define NBUCKETS 4096

struct cn_qent {
    cn_qent_t *next; /* hash chain */
    uint64_t seg_id;
    uint32_t col;
    bool in_table;
    uint32_t refs; /* scans holding it */
    uint64_t used; /* tick of the last use */
    size_t bytes;
    void *data;
};

struct cn_query_ctx {
    pthread_mutex_t lock;
    cn_qent_t *buckets[NBUCKETS];
    size_t count;
    size_t budget, bytes;
    uint64_t tick;
    unsigned threads;
    uint64_t hits, misses;
};

cn_query_ctx_t *cn_query_ctx_new(size_t cache_bytes, unsigned threads)
{
    /* A query allocates arrays by visit (megabytes each) and frees them at
     * its end: kept in the heap instead of mapped and unmapped each time, the
     * next query reuses them without a page fault per 4 KiB. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    cn_query_ctx_t *c = cn_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->budget = cache_bytes;
    c->threads = threads == 0 ? 1 : threads > CN_QUERY_MAX_THREADS ? CN_QUERY_MAX_THREADS : threads;
    return c;
}

void cn_query_ctx_free(cn_query_ctx_t *c)
{
    if (c == NULL)
        return;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (cn_qent_t *e = c->buckets[b], *n; e != NULL; e = n) {
            n = e->next;
            free(e->data);
            free(e);
        }
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

unsigned cn_query__threads(const cn_query_ctx_t *c)
{
    return c == NULL ? 1 : c->threads;
}

size_t cn_query__budget(const cn_query_ctx_t *c)
{
    return c == NULL ? 0 : c->budget;
}

void cn_query_ctx_stats(cn_query_ctx_t *c, size_t *out_bytes, size_t *out_entries)
{
    pthread_mutex_lock(&c->lock);
    *out_bytes = c->bytes;
    *out_entries = c->count;
    pthread_mutex_unlock(&c->lock);
}

static size_t bucket_of(uint64_t seg_id, uint32_t col)
{
    uint64_t x = seg_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)col * 0xc2b2ae3d27d4eb4fULL;
    return (size_t)(x >> 40) % NBUCKETS;
}

/* Unlinks e from the table (lock held); frees it when no scan holds it. */
static void unlink_ent(cn_query_ctx_t *c, cn_qent_t *e)
{
    cn_qent_t **pp = &c->buckets[bucket_of(e->seg_id, e->col)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    e->in_table = false;
    c->bytes -= e->bytes;
    c->count--;
    if (e->refs == 0) {
        free(e->data);
        free(e);
    }
}

/* Evicts unheld entries, least recently used first, until `need` more bytes fit. */
static void make_room(cn_query_ctx_t *c, size_t need)
{
    while (c->bytes + need > c->budget && c->count > 0) {
        cn_qent_t *victim = NULL;
        for (size_t b = 0; b < NBUCKETS; b++) {
            for (cn_qent_t *e = c->buckets[b]; e != NULL; e = e->next) {
                if (e->refs == 0 && (victim == NULL || e->used < victim->used))
                    victim = e;
            }
        }
        if (victim == NULL)
            return;
        unlink_ent(c, victim);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void cn_query__cache_sweep(cn_query_ctx_t *c, const cn_store_snap_t *snap)
{
    if (c == NULL || c->budget == 0)
        return;
    size_t n = cn_store_snap_visit_segment_count(snap), cap = n + 64, k = 0;
    uint64_t *ids = cn_xmalloc(cap * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[k++] = cn_store_seg_id(cn_store_snap_visit_segment(snap, i));
    size_t parts = cn_store_snap_partition_count(snap);
    for (size_t p = 0; p < parts; p++) {
        size_t ns = cn_store_snap_segment_count(snap, p);
        for (size_t i = 0; i < ns; i++) {
            if (k == cap) {
                cap *= 2;
                ids = cn_xrealloc(ids, cap * sizeof(*ids));
            }
            ids[k++] = cn_store_seg_id(cn_store_snap_segment(snap, p, i));
        }
    }
    qsort(ids, k, sizeof(*ids), cmp_u64);
    pthread_mutex_lock(&c->lock);
    /* Segment ids only grow: an entry newer than this snapshot's newest
     * segment belongs to a later snapshot and stays. */
    uint64_t newest = k ? ids[k - 1] : 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (cn_qent_t *e = c->buckets[b], *next; e != NULL; e = next) {
            next = e->next;
            if (e->refs == 0 && e->seg_id <= newest &&
                bsearch(&e->seg_id, ids, k, sizeof(*ids), cmp_u64) == NULL)
                unlink_ent(c, e);
        }
    }
    pthread_mutex_unlock(&c->lock);
    free(ids);
}

static size_t col_width(cn_store_col_t col)
{
    switch (cn_store_col(col)->kind) {
    case CN_COLK_U8:
        return 1;
    case CN_COLK_DICT:
    case CN_COLK_U32:
        return 4;
    default:
        return 8;
    }
}

static int decode(const cn_store_seg_t *seg, cn_store_col_t col, size_t n, void *dst, cn_err_t *err)
{
    switch (col_width(col)) {
    case 1:
        return cn_store_read_u8(seg, col, 0, n, dst, err);
    case 4:
        return cn_store_read_u32(seg, col, 0, n, dst, err);
    default:
        return cn_store_read_i64(seg, col, 0, n, dst, err);
    }
}

int cn_query__col(cn_query_ctx_t *c, const cn_store_seg_t *seg, cn_store_col_t col,
                  const void **out, cn_qent_t **hold, cn_err_t *err)
{
    uint64_t id = cn_store_seg_id(seg);
    size_t n = (size_t)cn_store_seg_rows(seg, cn_store_col(col)->group);
    size_t bytes = n * col_width(col);
    bool cacheable = c != NULL && id != 0 && c->budget > 0 && bytes <= c->budget;
    if (cacheable) {
        pthread_mutex_lock(&c->lock);
        for (cn_qent_t *e = c->buckets[bucket_of(id, col)]; e != NULL; e = e->next) {
            if (e->seg_id == id && e->col == (uint32_t)col) {
                e->refs++;
                e->used = ++c->tick;
                c->hits++;
                pthread_mutex_unlock(&c->lock);
                *out = e->data;
                *hold = e;
                return 0;
            }
        }
        c->misses++;
        pthread_mutex_unlock(&c->lock);
    }
    cn_qent_t *e = cn_xcalloc(1, sizeof(*e));
    e->seg_id = id;
    e->col = (uint32_t)col;
    e->bytes = bytes;
    e->data = cn_xmalloc(bytes ? bytes : 1);
    e->refs = 1;
    int rc = decode(seg, col, n, e->data, err);
    if (rc != 0) {
        free(e->data);
        free(e);
        return rc;
    }
    if (cacheable) {
        pthread_mutex_lock(&c->lock);
        /* another scan may have decoded it meanwhile: keep one copy */
        cn_qent_t *have = NULL;
        for (cn_qent_t *x = c->buckets[bucket_of(id, col)]; x != NULL; x = x->next) {
            if (x->seg_id == id && x->col == (uint32_t)col)
                have = x;
        }
        if (have != NULL) {
            have->refs++;
            have->used = ++c->tick;
            pthread_mutex_unlock(&c->lock);
            free(e->data);
            free(e);
            *out = have->data;
            *hold = have;
            return 0;
        }
        make_room(c, bytes);
        if (c->bytes + bytes <= c->budget) {
            size_t b = bucket_of(id, col);
            e->next = c->buckets[b];
            c->buckets[b] = e;
            e->in_table = true;
            e->used = ++c->tick;
            c->bytes += bytes;
            c->count++;
        }
        pthread_mutex_unlock(&c->lock);
    }
    *out = e->data;
    *hold = e;
    return 0;
}

int cn_query__derived(cn_query_ctx_t *c, const cn_store_seg_t *seg, uint32_t key,
                      cn_query_build_cb build, void *arg, const void **out, size_t *out_bytes,
                      cn_qent_t **hold, cn_err_t *err)
{
    uint64_t id = cn_store_seg_id(seg);
    uint32_t col = (uint32_t)CN_COL_COUNT + key;
    bool cacheable = c != NULL && id != 0 && c->budget > 0;
    if (cacheable) {
        pthread_mutex_lock(&c->lock);
        for (cn_qent_t *e = c->buckets[bucket_of(id, col)]; e != NULL; e = e->next) {
            if (e->seg_id == id && e->col == col) {
                e->refs++;
                e->used = ++c->tick;
                pthread_mutex_unlock(&c->lock);
                *out = e->data;
                *out_bytes = e->bytes;
                *hold = e;
                return 0;
            }
        }
        pthread_mutex_unlock(&c->lock);
    }
    void *data = NULL;
    size_t bytes = 0;
    int rc = build(arg, &data, &bytes, err);
    if (rc != 0) {
        free(data);
        return rc;
    }
    cn_qent_t *e = cn_xcalloc(1, sizeof(*e));
    e->seg_id = id;
    e->col = col;
    e->bytes = bytes;
    e->data = data ? data : cn_xmalloc(1);
    e->refs = 1;
    if (cacheable) {
        pthread_mutex_lock(&c->lock);
        make_room(c, bytes);
        bool have = false;
        for (cn_qent_t *x = c->buckets[bucket_of(id, col)]; x != NULL; x = x->next)
            have |= x->seg_id == id && x->col == col;
        if (!have && c->bytes + bytes <= c->budget) {
            size_t b = bucket_of(id, col);
            e->next = c->buckets[b];
            c->buckets[b] = e;
            e->in_table = true;
            e->used = ++c->tick;
            c->bytes += bytes;
            c->count++;
        }
        pthread_mutex_unlock(&c->lock);
    }
    *out = e->data;
    *out_bytes = bytes;
    *hold = e;
    return 0;
}

void cn_query__release(cn_query_ctx_t *c, cn_qent_t *e)
{
    if (e == NULL)
        return;
    if (c != NULL)
        pthread_mutex_lock(&c->lock);
    bool free_it = --e->refs == 0 && !e->in_table;
    if (c != NULL)
        pthread_mutex_unlock(&c->lock);
    if (free_it) {
        free(e->data);
        free(e);
    }
}

/* --- Threads --- */

typedef struct par_arg {
    void (*fn)(void *arg, unsigned t);
    void *arg;
    unsigned t;
} par_arg_t;

static void *par_main(void *p)
{
    par_arg_t *a = p;
    a->fn(a->arg, a->t);
    return NULL;
}

void cn_query__parallel(unsigned n, void (*fn)(void *arg, unsigned t), void *arg)
{
    pthread_t tid[CN_QUERY_MAX_THREADS];
    par_arg_t args[CN_QUERY_MAX_THREADS];
    bool started[CN_QUERY_MAX_THREADS] = {0};
    if (n > CN_QUERY_MAX_THREADS)
        n = CN_QUERY_MAX_THREADS;
    for (unsigned t = 1; t < n; t++) {
        args[t] = (par_arg_t){fn, arg, t};
        started[t] = pthread_create(&tid[t], NULL, par_main, &args[t]) == 0;
    }
    fn(arg, 0);
    /* a thread that could not start: its share runs here */
    for (unsigned t = 1; t < n; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn(arg, t);
    }
}
