/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dictionaries (docs/storage.md "Dictionaries"): per domain, the strings of
 * a DICT column as dense u32 ids, stable for the life of the suite. Id 0 is
 * the empty string and is not stored. The file is a header and then blocks,
 * one per append, of entries for the next ids (each string front-coded
 * against the one before it), raw or a zstd frame compressed with the tail
 * of the entries before as a prefix (format 5); it only grows, and the
 * manifest says how many of its bytes are live.
 *
 * In memory, entries sit in fixed pages of slices whose directory never
 * moves, and strings in blocks that are never freed before the dictionary,
 * so a reader may look up any id below a length it was handed without a
 * lock while the writer appends. The hash index (string -> id) is read
 * without a lock by the writer, the only thread that changes it, and under
 * the mutex by readers and by the writer while it changes it.
 *
 * An index entry holds the string's address, its id and hash bits, and each
 * copy in a block is preceded by its length (u32), so that a lookup touches
 * one entry and one string (the strings of a large dictionary are rarely in
 * the CPU cache: each memory access missed is what interning costs).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/xalloc.h"
#include "store/internal.h"

#define DICT_MAGIC "CNSTDIC1"
/* Page k holds FIRST_PAGE << k entries: 17 pages hold more than CN_STORE__MAX_DICT. */
#define FIRST_PAGE  1024u
#define MAX_PAGES   19
#define BLOCK_BYTES (1u << 20)
/* The file's blocks (docs/storage.md "Dictionaries"): at most BLOCK_RAW_MAX
 * bytes of entries each (one entry always fits), compressed with the last
 * PREFIX_LEN bytes of the entries before. zstd is tried from ZSTD_MIN_RAW
 * bytes of entries on (below, a frame's overhead is more than it can save),
 * at CN_STORE__DICT_ZSTD_LEVEL (3). Dictionaries are written once, by the
 * flushes, and never rewritten (a merge rewrites segments only), so the
 * level is paid for by `canton process` and `serve`: measured on the 100k
 * demo log's blocks (2026-11-30, docs/storage.md "Dictionaries"), level 9
 * took 30 ms for its 1.16 MB of entries in one flush (8% of the pass) and
 * 0.19 ms a block with a flush every 1,000 hits, most of it indexing the
 * 64 KiB prefix; level 3 takes 5.5 ms and 0.04 ms for 11-14% more bytes of
 * dictionary (+1.8% of the merged store at 100k hits, +0.6% at 1M). A
 * prefix always pays: without it, those small blocks took 65% more bytes. */
#define BLOCK_RAW_MAX (2 * CN_STORE__MAX_STR + 16)
#define PREFIX_LEN    CN_STORE__DICT_PREFIX_LEN
#define ZSTD_MIN_RAW  24

typedef struct ientry {
    const char *ptr; /* the dictionary's copy, preceded by its length (u32) */
    uint32_t id1;    /* id + 1, 0 = empty */
    uint32_t tag;    /* the high half of the string's hash */
} ientry_t;

struct cn_store__dict {
    char *name;
    atomic_uint len;
    cn_str_t *pages[MAX_PAGES]; /* never moved once allocated */
    char **blocks;
    size_t block_count, block_cap;
    size_t block_used, block_size;
    ientry_t *slots;
    size_t mask;
    uint64_t lookups; /* the writer's, in intern_hashed */
    pthread_mutex_t mu;
};

static inline cn_str_t *slot(const cn_store__dict_t *d, uint32_t id)
{
    uint64_t q = (uint64_t)id / FIRST_PAGE + 1;
    unsigned k = 63 - (unsigned)__builtin_clzll(q);
    return &d->pages[k][id - (uint64_t)FIRST_PAGE * ((1ull << k) - 1)];
}

cn_store__dict_t *cn_store__dict_new(const char *name)
{
    cn_store__dict_t *d = cn_xcalloc(1, sizeof(*d));
    d->name = cn_xstrdup(name);
    d->pages[0] = cn_xcalloc(FIRST_PAGE, sizeof(cn_str_t));
    d->pages[0][0] = cn_str("", 0);
    atomic_init(&d->len, 1);
    d->mask = 63;
    d->slots = cn_xcalloc(d->mask + 1, sizeof(ientry_t));
    pthread_mutex_init(&d->mu, NULL);
    return d;
}

void cn_store__dict_free(cn_store__dict_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < MAX_PAGES; i++)
        free(d->pages[i]);
    for (size_t i = 0; i < d->block_count; i++)
        free(d->blocks[i]);
    free(d->blocks);
    free(d->slots);
    free(d->name);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

uint32_t cn_store__dict_len(const cn_store__dict_t *d)
{
    return atomic_load_explicit(&d->len, memory_order_acquire);
}

cn_str_t cn_store__dict_str(const cn_store__dict_t *d, uint32_t id)
{
    if (id >= cn_store__dict_len(d))
        return cn_str("", 0);
    return *slot(d, id);
}

static uint64_t hash_str(cn_str_t s)
{
    return XXH3_64bits(s.ptr, s.len);
}

static inline uint32_t tag_of(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

/* Whether n > 16 bytes at a and b are equal, without a call (a call would
 * make the cache's hit path save registers for every value): 16 bytes at a
 * time, the last 16 overlapping. */
static inline bool same_long_bytes(const char *a, const char *b, size_t n)
{
#ifdef __SSE2__
    for (size_t i = 0; i + 16 < n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) != 0xffff)
            return false;
    }
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + n - 16));
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff;
#else
    for (size_t i = 0; i + 8 < n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return false;
    }
    uint64_t x, y;
    memcpy(&x, a + n - 8, 8);
    memcpy(&y, b + n - 8, 8);
    return x == y;
#endif
}

/* Whether n bytes at a and b are equal: without a call. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return same_long_bytes(a, b, n);
    if (n >= 8) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* Whether the index entry e holds s (a block copy, its length before it). */
static inline bool holds_str(const ientry_t *e, cn_str_t s)
{
    uint32_t len;
    memcpy(&len, e->ptr - sizeof(len), sizeof(len));
    return len == s.len && same_bytes(e->ptr, s.ptr, s.len);
}

/* Probes for s; returns the slot index (an empty one when absent). A slot's
 * string is compared only when its tag (hash bits) matches. */
static size_t probe(const cn_store__dict_t *d, cn_str_t s, uint64_t h)
{
    size_t i = (size_t)h & d->mask;
    uint32_t tag = tag_of(h);
    for (;;) {
        const ientry_t *e = &d->slots[i];
        if (e->id1 == 0)
            return i;
        if (e->tag == tag && holds_str(e, s))
            return i;
        i = (i + 1) & d->mask;
    }
}

static void grow_locked(cn_store__dict_t *d)
{
    size_t nmask = d->mask * 2 + 1;
    /* every lookup lands on a random entry: huge pages from 1 MiB (65,536 entries) */
    ientry_t *ns = cn_xmalloc_huge((nmask + 1) * sizeof(ientry_t), true);
    uint32_t len = cn_store__dict_len(d);
    for (uint32_t id = 1; id < len; id++) {
        cn_str_t s = *slot(d, id);
        uint64_t h = hash_str(s);
        size_t i = (size_t)h & nmask;
        while (ns[i].id1)
            i = (i + 1) & nmask;
        ns[i] = (ientry_t){s.ptr, id + 1, tag_of(h)};
    }
    free(d->slots);
    d->slots = ns;
    d->mask = nmask;
}

/* A copy of s (not empty) in a block, preceded by its length (u32). */
static const char *copy_str(cn_store__dict_t *d, cn_str_t s)
{
    uint32_t len = (uint32_t)s.len; /* s.len <= CN_STORE__MAX_STR */
    size_t need = sizeof(len) + s.len;
    if (d->block_count == 0 || d->block_size - d->block_used < need) {
        size_t sz = need > BLOCK_BYTES ? need : BLOCK_BYTES;
        if (d->block_count == d->block_cap) {
            d->block_cap = d->block_cap ? d->block_cap * 2 : 16;
            d->blocks = cn_xrealloc(d->blocks, d->block_cap * sizeof(char *));
        }
        d->blocks[d->block_count++] = cn_xmalloc(sz);
        d->block_used = 0;
        d->block_size = sz;
    }
    char *p = d->blocks[d->block_count - 1] + d->block_used;
    memcpy(p, &len, sizeof(len));
    memcpy(p + sizeof(len), s.ptr, s.len);
    d->block_used += need;
    return p + sizeof(len);
}

/* Appends s (not present) as the next id; the caller holds no lock. *stored
 * (when not NULL) gets the dictionary's copy. */
static int append(cn_store__dict_t *d, cn_str_t s, uint64_t h, uint32_t *out, const char **stored)
{
    uint32_t id = cn_store__dict_len(d);
    if (id >= CN_STORE__MAX_DICT)
        return CN_ETOOBIG;
    if (s.len > CN_STORE__MAX_STR)
        return CN_ETOOBIG;
    pthread_mutex_lock(&d->mu);
    uint64_t q = (uint64_t)id / FIRST_PAGE + 1;
    unsigned k = 63 - (unsigned)__builtin_clzll(q);
    if (d->pages[k] == NULL)
        d->pages[k] = cn_xcalloc((size_t)FIRST_PAGE << k, sizeof(cn_str_t));
    const char *copy = copy_str(d, s);
    *slot(d, id) = cn_str(copy, s.len);
    atomic_store_explicit(&d->len, id + 1, memory_order_release);
    if ((size_t)(id + 1) * 2 > d->mask)
        grow_locked(d);
    size_t i = probe(d, s, h);
    d->slots[i] = (ientry_t){copy, id + 1, tag_of(h)};
    pthread_mutex_unlock(&d->mu);
    *out = id;
    if (stored)
        *stored = copy;
    return 0;
}

/* cn_store__dict_intern for s not empty, h = hash_str(s); *stored gets the
 * dictionary's copy. */
static int intern_hashed(cn_store__dict_t *d, cn_str_t s, uint64_t h, uint32_t *out,
                         const char **stored)
{
    d->lookups++;
    size_t i = probe(d, s, h);
    if (d->slots[i].id1) {
        *out = d->slots[i].id1 - 1;
        *stored = d->slots[i].ptr;
        return 0;
    }
    return append(d, s, h, out, stored);
}

static int intern(cn_store__dict_t *d, cn_str_t s, uint32_t *out, const char **stored)
{
    return intern_hashed(d, s, hash_str(s), out, stored);
}

int cn_store__dict_intern(cn_store__dict_t *d, cn_str_t s, uint32_t *out)
{
    if (s.len == 0) {
        *out = 0;
        return 0;
    }
    const char *stored;
    return intern(d, s, out, &stored);
}

/* A string's place in a writer's cache: the first entry of its set (even;
 * its other way is at idx ^ 1), and for s.len <= 8 its bytes packed in a
 * u64, as an entry keeps a short string (for a given length, equal packs
 * mean equal strings: the first and last 4 bytes cover 4 to 8, positions 0,
 * n / 2 and n - 1 cover 1 to 3). Both come from the same loads of the
 * string's first and last (up to) 8 bytes. */
typedef struct ckey {
    size_t idx;
    uint64_t packed;
} ckey_t;

/* The first entry of a string's set in a cache (even; the other way is at
 * index ^ 1), from a cheap hash of its length and of a and b, its first and
 * last (up to) 8 bytes (cache_key). Every string of a set has the same first
 * entry, where the set's value used last is: were it the other way for some
 * strings, a put would move the value there onto the other way, and two
 * frequent values of one set would evict each other at every use. */
static inline size_t set_of(uint64_t a, uint64_t b, size_t len)
{
    uint64_t h = (a ^ (uint64_t)len << 56) * 0x9E3779B97F4A7C15ull;
    h ^= b * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (size_t)(h >> (64 - CN_STORE__DICT_CACHE_BITS)) & ~(size_t)1;
}

/* The cache key of s (not empty). */
static inline ckey_t cache_key(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint64_t a, b, packed;
    if (s.len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + s.len - 8, 8);
        packed = a; /* len 8: the 8 bytes, as first 4 | last 4 << 32; len > 8: unused */
    } else if (s.len >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + s.len - 4, 4);
        a = x;
        b = y;
        packed = (uint64_t)x | (uint64_t)y << 32;
    } else {
        a = (uint64_t)p[0] | (uint64_t)p[s.len / 2] << 8 | (uint64_t)p[s.len - 1] << 16;
        b = 0;
        packed = a;
    }
    return (ckey_t){set_of(a, b, s.len), packed};
}

/* Whether the cache entry e holds s (not empty; packed as cache_key gives). */
static inline bool cache_holds(const cn_store__dict_cache_t *e, cn_str_t s, uint64_t packed)
{
    if (e->len != s.len)
        return false;
    return s.len <= 8 ? e->bytes == packed : same_bytes(e->ptr, s.ptr, s.len);
}

size_t cn_store__dict_cache_set(cn_str_t s)
{
    return cache_key(s).idx;
}

uint64_t cn_store__dict_lookups(const cn_store__dict_t *d)
{
    return d->lookups;
}

/* Looks s up in the set of entry i (two ways: i, even, and i ^ 1): true
 * with *out when there. A hit in the second way swaps the two, so that
 * entry i holds the set's value used last. */
static inline bool cache_get(cn_store__dict_cache_t *cache, size_t i, cn_str_t s, uint64_t packed,
                             uint32_t *out)
{
    cn_store__dict_cache_t *e = &cache[i], *f = &cache[i ^ 1];
    if (cache_holds(e, s, packed)) {
        *out = e->id;
        return true;
    }
    if (cache_holds(f, s, packed)) {
        cn_store__dict_cache_t t = *f;
        *f = *e;
        *e = t;
        *out = t.id;
        return true;
    }
    return false;
}

/* Puts s (interned as id, its copy at stored) in entry i, the value there
 * moving to the set's other way. */
static inline void cache_put(cn_store__dict_cache_t *cache, size_t i, cn_str_t s, uint64_t packed,
                             const char *stored, uint32_t id)
{
    cn_store__dict_cache_t *e = &cache[i];
    cache[i ^ 1] = *e;
    if (s.len <= 8)
        e->bytes = packed;
    else
        e->ptr = stored;
    e->len = (uint32_t)s.len;
    e->id = id;
}

/* A cache miss: s (not empty) looked up in (or added to) d, then put in the
 * cache. Out of line and with few arguments (a tail call), so that the hit
 * path saves no registers for it. */
static __attribute__((noinline)) int intern_missed(cn_store__dict_t *d, cn_str_t s,
                                                   cn_store__dict_cache_t *cache, uint32_t *out)
{
    ckey_t key = cache_key(s);
    const char *stored;
    int rc = intern(d, s, out, &stored);
    if (rc == 0) /* s.len <= CN_STORE__MAX_STR: interned */
        cache_put(cache, key.idx, s, key.packed, stored, *out);
    return rc;
}

static inline __attribute__((always_inline)) int
intern_cached(cn_store__dict_t *d, cn_str_t s, cn_store__dict_cache_t *cache, uint32_t *out)
{
    if (s.len == 0) {
        *out = 0;
        return 0;
    }
    /* Entries hold short strings' bytes, or point at the dictionary's own
     * copies, which never move, and are only filled with ids this writer
     * interned: a hit on a short string touches no memory but the entry's.
     * Two ways: entries i (even) and i ^ 1 (one CPU cache line when the
     * cache is 32-byte aligned) hold the two values of their set used last,
     * the more recent in i, so that two frequent values whose hashes collide
     * do not evict each other. */
    ckey_t key = cache_key(s);
    if (cache_get(cache, key.idx, s, key.packed, out))
        return 0;
    return intern_missed(d, s, cache, out);
}

int cn_store__dict_intern_cached(cn_store__dict_t *d, cn_str_t s, cn_store__dict_cache_t *cache,
                                 uint32_t *out)
{
    return intern_cached(d, s, cache, out);
}

int cn_store__dict_intern_many(const cn_store__dict_req_t *req, size_t n)
{
    /* The cache lookups first, hashing the misses and prefetching their
     * index entries; then the strings those entries point at; then the
     * misses in order (so ids are given as n calls of
     * cn_store__dict_intern_cached would give them): the memory accesses of
     * the misses overlap rather than wait for each other. The lookups of a
     * row's columns are independent, so their cache entries' loads overlap
     * without a prefetch pass (which cost more instructions than it saved). */
    CN_ASSERT(n <= CN_STORE__DICT_MANY);
    if (n == 1) /* nothing to overlap (a var row's value) */
        return intern_cached(req[0].d, req[0].s, req[0].cache, req[0].out);
    size_t idx[CN_STORE__DICT_MANY];
    uint64_t packed[CN_STORE__DICT_MANY], h[CN_STORE__DICT_MANY];
    uint64_t missed = 0;
    for (size_t k = 0; k < n; k++) {
        cn_str_t s = req[k].s;
        ckey_t key = cache_key(s);
        if (cache_get(req[k].cache, key.idx, s, key.packed, req[k].out))
            continue;
        idx[k] = key.idx;
        packed[k] = key.packed;
        h[k] = hash_str(s);
        __builtin_prefetch(&req[k].d->slots[(size_t)h[k] & req[k].d->mask]);
        missed |= 1ull << k;
    }
    if (missed == 0)
        return 0;
    /* the strings the misses' probes will compare (the tag matches), prefetched */
    for (uint64_t m = missed; m != 0; m &= m - 1) {
        size_t k = (size_t)__builtin_ctzll(m);
        const cn_store__dict_t *d = req[k].d;
        uint32_t tag = tag_of(h[k]);
        for (size_t i = (size_t)h[k] & d->mask; d->slots[i].id1 != 0; i = (i + 1) & d->mask) {
            if (d->slots[i].tag == tag) {
                __builtin_prefetch(d->slots[i].ptr - sizeof(uint32_t));
                break;
            }
        }
    }
    for (; missed != 0; missed &= missed - 1) {
        size_t k = (size_t)__builtin_ctzll(missed);
        const char *stored;
        int rc = intern_hashed(req[k].d, req[k].s, h[k], req[k].out, &stored);
        if (rc != 0)
            return rc;
        cache_put(req[k].cache, idx[k], req[k].s, packed[k], stored, *req[k].out);
    }
    return 0;
}

int cn_store__dict_find(cn_store__dict_t *d, cn_str_t s, uint32_t limit, uint32_t *out)
{
    if (s.len == 0) {
        *out = 0;
        return 0;
    }
    uint64_t h = hash_str(s);
    pthread_mutex_lock(&d->mu);
    size_t i = probe(d, s, h);
    uint32_t v = d->slots[i].id1;
    pthread_mutex_unlock(&d->mu);
    if (v == 0 || v - 1 >= limit)
        return CN_ENOTFOUND;
    *out = v - 1;
    return 0;
}

void cn_store__dict_header(cn_buf_t *out)
{
    cn_buf_append(out, DICT_MAGIC, 8);
    cn_buf_put_u32le(out, CN_STORE_FORMAT);
    cn_buf_put_u32le(out, 0);
}

/* --- File blocks --- */

/* The length of the prefix s shares with prev: 8 bytes at a time (URLs
 * share tens of bytes with the URL before). */
static size_t shared_len(cn_str_t prev, cn_str_t s)
{
    size_t n = prev.len < s.len ? prev.len : s.len, i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, prev.ptr + i, 8);
        memcpy(&b, s.ptr + i, 8);
        if (a != b)
            return i + (size_t)__builtin_ctzll(a ^ b) / 8;
    }
#endif
    while (i < n && prev.ptr[i] == s.ptr[i])
        i++;
    return i;
}

/* The bytes of an entry: s front-coded with k bytes shared. */
static size_t entry_len_k(cn_str_t s, size_t k)
{
    return cn_varint_len(k) + cn_varint_len(s.len - k) + s.len - k;
}

/* An entry: s front-coded against the string of the id before (prev). */
static size_t entry_len(cn_str_t prev, cn_str_t s)
{
    return entry_len_k(s, shared_len(prev, s));
}

static void put_entry_k(cn_buf_t *b, cn_str_t s, size_t k)
{
    cn_buf_put_varint(b, k);
    cn_buf_put_varint(b, s.len - k);
    cn_buf_append(b, s.ptr + k, s.len - k);
}

static void put_entry(cn_buf_t *b, cn_str_t prev, cn_str_t s)
{
    put_entry_k(b, s, shared_len(prev, s));
}

/* Keeps the last PREFIX_LEN bytes of win (the entry stream's tail). */
static void keep_prefix(cn_buf_t *win)
{
    if (win->len > PREFIX_LEN) {
        memmove(win->ptr, win->ptr + win->len - PREFIX_LEN, PREFIX_LEN);
        win->len = PREFIX_LEN;
    }
}

/* Appends the block of count raw entries win[base, win->len), compressed with
 * win[0, base) as its prefix when that is smaller; *zc is created on first
 * use (zc NULL: raw). */
static void put_block(cn_buf_t *win, size_t base, uint32_t count, ZSTD_CCtx **zc, cn_buf_t *out)
{
    size_t raw_len = win->len - base;
    size_t raw_cost = cn_varint_len((uint64_t)count << 1) + raw_len;
    if (zc && raw_len >= ZSTD_MIN_RAW) {
        if (!*zc) {
            *zc = ZSTD_createCCtx();
            CN_ASSERT(*zc);
        }
        /* set at every frame: the context may have served another caller */
        ZSTD_CCtx_setParameter(*zc, ZSTD_c_compressionLevel, CN_STORE__DICT_ZSTD_LEVEL);
        ZSTD_CCtx_setParameter(*zc, ZSTD_c_contentSizeFlag, 0); /* the block says */
        size_t bound = ZSTD_compressBound(raw_len);
        /* the frame after room for the block header (two varints and the NUL) */
        cn_buf_reserve(out, 24 + bound);
        uint8_t *z = (uint8_t *)out->ptr + out->len + 24;
        size_t zl = ZSTD_CCtx_refPrefix(*zc, win->ptr, base);
        if (!ZSTD_isError(zl))
            zl = ZSTD_compress2(*zc, z, bound, win->ptr + base, raw_len);
        if (!ZSTD_isError(zl) &&
            cn_varint_len((uint64_t)zl << 1 | 1) + cn_varint_len(raw_len) + zl < raw_cost) {
            cn_buf_put_varint(out, (uint64_t)zl << 1 | 1);
            cn_buf_put_varint(out, raw_len);
            memmove(out->ptr + out->len, z, zl);
            out->len += zl;
            out->ptr[out->len] = '\0';
            return;
        }
        if (ZSTD_isError(zl)) { /* no such error seen: start afresh, keep the raw block */
            ZSTD_freeCCtx(*zc);
            *zc = NULL;
        }
    }
    cn_buf_put_varint(out, (uint64_t)count << 1);
    cn_buf_append(out, win->ptr + base, raw_len);
}

void cn_store__dict_encode(const cn_store__dict_t *d, uint32_t from, uint32_t to, void **zctx,
                           cn_buf_t *out)
{
    if (from == 0)
        from = 1;
    if (from >= to)
        return;
    cn_buf_t win = CN_BUF_INIT;
    /* too few bytes for zstd (a flush of one or two short strings): no prefix */
    size_t total = 0;
    for (uint32_t id = from; id < to && total < ZSTD_MIN_RAW; id++)
        total += entry_len(*slot(d, id - 1), *slot(d, id));
    if (total < ZSTD_MIN_RAW) {
        for (uint32_t id = from; id < to; id++)
            put_entry(&win, *slot(d, id - 1), *slot(d, id));
        put_block(&win, 0, to - from, NULL, out);
        cn_buf_dispose(&win);
        return;
    }
    /* the prefix: the tail of the entries of ids < from, rebuilt from the strings */
    uint32_t first = from;
    for (size_t tail = 0; first > 1 && tail < PREFIX_LEN;)
        first--, tail += entry_len(*slot(d, first - 1), *slot(d, first));
    for (uint32_t id = first; id < from; id++)
        put_entry(&win, *slot(d, id - 1), *slot(d, id));
    keep_prefix(&win);
    /* the caller's context, kept between appends: a new one allocates and
     * clears its tables at its first frame (0.02 ms, half of a small block's
     * cost at level 3) */
    ZSTD_CCtx *own = NULL, **zc = zctx ? (ZSTD_CCtx **)zctx : &own;
    /* each entry's shared length is found once: k is the next id's */
    size_t k = shared_len(*slot(d, from - 1), *slot(d, from));
    for (uint32_t id = from; id < to;) {
        size_t base = win.len;
        uint32_t start = id;
        for (;;) {
            put_entry_k(&win, *slot(d, id), k);
            if (++id == to)
                break;
            k = shared_len(*slot(d, id - 1), *slot(d, id));
            if (win.len - base + entry_len_k(*slot(d, id), k) > BLOCK_RAW_MAX)
                break;
        }
        put_block(&win, base, id - start, zc, out);
        keep_prefix(&win);
    }
    ZSTD_freeCCtx(own);
    cn_buf_dispose(&win);
}

int cn_store__dict_parse(const uint8_t *p, size_t len, const char *name, cn_store__dict_t *d,
                         uint32_t *out_len, cn_err_t *err)
{
    if (len < CN_STORE__DICT_HEADER_LEN || memcmp(p, DICT_MAGIC, 8) != 0)
        return cn_err_set(err, CN_ECORRUPT, "%s: offset 0: not a dictionary file", name);
    uint32_t version = cn_load_u32le(p + 8);
    if (version < CN_STORE_FORMAT_MIN || version > CN_STORE_FORMAT)
        return cn_err_set(err, CN_EVERSION, "%s: dictionary format %u, this canton reads %u to %u",
                          name, version, CN_STORE_FORMAT_MIN, CN_STORE_FORMAT);
    const uint8_t *q = p + CN_STORE__DICT_HEADER_LEN, *end = p + len;
    uint32_t n = 1;
    int rc = 0;
    /* win: the entry stream's tail (the next block's prefix), then a zstd block's entries */
    uint8_t *win = NULL;
    size_t win_len = 0, win_cap = 0;
    char *cur = NULL; /* the last string read (of cur_len bytes) */
    size_t cur_len = 0, cur_cap = 0;
    ZSTD_DCtx *zd = NULL;
    while (q < end) {
        const uint8_t *at = q;
        uint64_t tag, stored = 0, raw_len = 0;
        if (cn_get_varint(&q, end, &tag) != 0 || tag >> 1 == 0) {
            rc = cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: bad block header", name,
                            (size_t)(at - p));
            break;
        }
        bool zstd = tag & 1;
        /* the block's entries: [e, eend) (a raw block's entries end where their count does) */
        const uint8_t *e, *eend;
        uint64_t count = 0; /* raw: entries left */
        if (zstd) {
            stored = tag >> 1;
            if (cn_get_varint(&q, end, &raw_len) != 0 || stored > (uint64_t)(end - q) ||
                raw_len == 0 || raw_len > BLOCK_RAW_MAX) {
                rc = cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: bad block header", name,
                                (size_t)(at - p));
                break;
            }
            if (win_len + raw_len > win_cap) {
                win_cap = win_len + (size_t)raw_len;
                win = cn_xrealloc(win, win_cap);
            }
            if (!zd) {
                zd = ZSTD_createDCtx();
                CN_ASSERT(zd);
            }
            size_t got = ZSTD_DCtx_refPrefix(zd, win, win_len);
            if (!ZSTD_isError(got))
                got = ZSTD_decompressDCtx(zd, win + win_len, (size_t)raw_len, q, (size_t)stored);
            if (ZSTD_isError(got) || got != raw_len) {
                rc = cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: damaged zstd block (%s)", name,
                                (size_t)(at - p),
                                ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
                break;
            }
            e = win + win_len;
            eend = e + raw_len;
        } else {
            count = tag >> 1;
            e = q;
            eend = (size_t)(end - q) > BLOCK_RAW_MAX ? q + BLOCK_RAW_MAX : end;
        }
        const uint8_t *first = e;
        while (zstd ? e < eend : count > 0) {
            uint64_t k, sl;
            if (cn_get_varint(&e, eend, &k) != 0 || k > cur_len ||
                cn_get_varint(&e, eend, &sl) != 0 || sl > (uint64_t)(eend - e) || k + sl == 0 ||
                k + sl > CN_STORE__MAX_STR || n >= CN_STORE__MAX_DICT) {
                rc = cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: bad entry for id %u", name,
                                (size_t)(at - p), n);
                break;
            }
            /* the string before's first k bytes (in cur already), then sl new ones */
            if (k + sl > cur_cap) {
                cur_cap = (size_t)(k + sl) * 2;
                cur = cn_xrealloc(cur, cur_cap);
            }
            memcpy(cur + k, e, (size_t)sl);
            e += sl;
            cur_len = (size_t)(k + sl);
            cn_str_t s = cn_str(cur, cur_len);
            if (d) {
                uint32_t id;
                uint64_t h = hash_str(s);
                if (d->slots[probe(d, s, h)].id1 != 0) {
                    rc = cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: id %u repeats a string",
                                    name, (size_t)(at - p), n);
                    break;
                }
                append(d, s, h, &id, NULL);
            }
            n++;
            count -= count > 0;
        }
        if (rc < 0)
            break;
        /* the prefix of the next block */
        size_t span = (size_t)(e - first);
        if (zstd) {
            q += stored;
        } else {
            q = e;
            if (win_len + span > win_cap) {
                win_cap = win_len + span;
                win = cn_xrealloc(win, win_cap);
            }
            memcpy(win + win_len, first, span);
        }
        win_len += span;
        if (win_len > PREFIX_LEN) {
            memmove(win, win + win_len - PREFIX_LEN, PREFIX_LEN);
            win_len = PREFIX_LEN;
        }
    }
    ZSTD_freeDCtx(zd);
    free(cur);
    free(win);
    if (rc < 0)
        return rc;
    *out_len = n;
    return 0;
}
