/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dictionaries (docs/storage.md "Dictionaries"): per domain, the strings of
 * a DICT column as dense u32 ids, stable for the life of the suite. Id 0 is
 * the empty string and is not stored. The file is a header and then one
 * entry per id from 1 on (varint length, bytes); it only grows, and the
 * manifest says how many of its bytes are live.
 *
 * In memory, entries sit in fixed pages of slices whose directory never
 * moves, and strings in blocks that are never freed before the dictionary,
 * so a reader may look up any id below a length it was handed without a
 * lock while the writer appends. The hash index (string -> id) is read
 * without a lock by the writer, the only thread that changes it, and under
 * the mutex by readers and by the writer while it changes it.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib/xalloc.h"
#include "store/internal.h"

#define DICT_MAGIC "CNSTDIC1"
/* Page k holds FIRST_PAGE << k entries: 17 pages hold more than CN_STORE__MAX_DICT. */
#define FIRST_PAGE  1024u
#define MAX_PAGES   19
#define BLOCK_BYTES (1u << 20)

struct cn_store__dict {
    char *name;
    atomic_uint len;
    cn_str_t *pages[MAX_PAGES]; /* never moved once allocated */
    char **blocks;
    size_t block_count, block_cap;
    size_t block_used, block_size;
    uint32_t *slots; /* id + 1, 0 = empty */
    uint32_t *tags;  /* per slot: the high half of the string's hash */
    size_t mask;
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
    d->slots = cn_xcalloc(d->mask + 1, sizeof(uint32_t));
    d->tags = cn_xcalloc(d->mask + 1, sizeof(uint32_t));
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
    free(d->tags);
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

static inline bool same_str(cn_str_t a, cn_str_t b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Probes for s; returns the slot index (an empty one when absent). A slot's
 * string is compared only when its tag (hash bits) matches. */
static size_t probe(const cn_store__dict_t *d, cn_str_t s, uint64_t h)
{
    size_t i = (size_t)h & d->mask;
    uint32_t tag = tag_of(h);
    for (;;) {
        uint32_t v = d->slots[i];
        if (v == 0)
            return i;
        if (d->tags[i] == tag && same_str(*slot(d, v - 1), s))
            return i;
        i = (i + 1) & d->mask;
    }
}

static void grow_locked(cn_store__dict_t *d)
{
    size_t nmask = d->mask * 2 + 1;
    uint32_t *ns = cn_xcalloc(nmask + 1, sizeof(uint32_t));
    uint32_t *nt = cn_xcalloc(nmask + 1, sizeof(uint32_t));
    uint32_t len = cn_store__dict_len(d);
    for (uint32_t id = 1; id < len; id++) {
        cn_str_t s = *slot(d, id);
        uint64_t h = hash_str(s);
        size_t i = (size_t)h & nmask;
        while (ns[i])
            i = (i + 1) & nmask;
        ns[i] = id + 1;
        nt[i] = tag_of(h);
    }
    free(d->slots);
    free(d->tags);
    d->slots = ns;
    d->tags = nt;
    d->mask = nmask;
}

static const char *copy_str(cn_store__dict_t *d, cn_str_t s)
{
    if (s.len == 0)
        return "";
    if (d->block_count == 0 || d->block_size - d->block_used < s.len) {
        size_t sz = s.len > BLOCK_BYTES ? s.len : BLOCK_BYTES;
        if (d->block_count == d->block_cap) {
            d->block_cap = d->block_cap ? d->block_cap * 2 : 16;
            d->blocks = cn_xrealloc(d->blocks, d->block_cap * sizeof(char *));
        }
        d->blocks[d->block_count++] = cn_xmalloc(sz);
        d->block_used = 0;
        d->block_size = sz;
    }
    char *p = d->blocks[d->block_count - 1] + d->block_used;
    memcpy(p, s.ptr, s.len);
    d->block_used += s.len;
    return p;
}

/* Appends s (not present) as the next id; the caller holds no lock. */
static int append(cn_store__dict_t *d, cn_str_t s, uint64_t h, uint32_t *out)
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
    *slot(d, id) = cn_str(copy_str(d, s), s.len);
    atomic_store_explicit(&d->len, id + 1, memory_order_release);
    if ((size_t)(id + 1) * 2 > d->mask)
        grow_locked(d);
    size_t i = probe(d, s, h);
    d->slots[i] = id + 1;
    d->tags[i] = tag_of(h);
    pthread_mutex_unlock(&d->mu);
    *out = id;
    return 0;
}

int cn_store__dict_intern(cn_store__dict_t *d, cn_str_t s, uint32_t *out)
{
    if (s.len == 0) {
        *out = 0;
        return 0;
    }
    uint64_t h = hash_str(s);
    size_t i = probe(d, s, h);
    if (d->slots[i]) {
        *out = d->slots[i] - 1;
        return 0;
    }
    return append(d, s, h, out);
}

/* A cheap hash of a string for the writer's small caches: its length and
 * its first and last (up to) 8 bytes. */
static inline uint64_t quick_hash(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint64_t a, b;
    if (s.len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + s.len - 8, 8);
    } else if (s.len >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + s.len - 4, 4);
        a = x;
        b = y;
    } else {
        a = (uint64_t)p[0] | (uint64_t)p[s.len / 2] << 8 | (uint64_t)p[s.len - 1] << 16;
        b = 0;
    }
    uint64_t h = (a ^ (uint64_t)s.len << 56) * 0x9E3779B97F4A7C15ull;
    h ^= b * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

int cn_store__dict_intern_cached(cn_store__dict_t *d, cn_str_t s, cn_store__dict_cache_t *cache,
                                 uint32_t *out)
{
    if (s.len == 0) {
        *out = 0;
        return 0;
    }
    /* Entries point at the dictionary's own copies, which never move, and
     * are only filled with ids this writer interned. */
    cn_store__dict_cache_t *e = &cache[quick_hash(s) >> (64 - CN_STORE__DICT_CACHE_BITS)];
    if (e->len == s.len && e->ptr != NULL && memcmp(e->ptr, s.ptr, s.len) == 0) {
        *out = e->id;
        return 0;
    }
    int rc = cn_store__dict_intern(d, s, out);
    if (rc == 0 && s.len <= UINT32_MAX) {
        cn_str_t stored = *slot(d, *out);
        e->ptr = stored.ptr;
        e->len = (uint32_t)stored.len;
        e->id = *out;
    }
    return rc;
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
    uint32_t v = d->slots[i];
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

void cn_store__dict_encode(const cn_store__dict_t *d, uint32_t from, uint32_t to, cn_buf_t *out)
{
    if (from == 0)
        from = 1;
    for (uint32_t id = from; id < to; id++) {
        cn_str_t s = *slot(d, id);
        cn_buf_put_varint(out, s.len);
        cn_buf_append(out, s.ptr, s.len);
    }
}

int cn_store__dict_parse(const uint8_t *p, size_t len, const char *name, cn_store__dict_t *d,
                         uint32_t *out_len, cn_err_t *err)
{
    if (len < CN_STORE__DICT_HEADER_LEN || memcmp(p, DICT_MAGIC, 8) != 0)
        return cn_err_set(err, CN_ECORRUPT, "%s: offset 0: not a dictionary file", name);
    uint32_t version = cn_load_u32le(p + 8);
    if (version != CN_STORE_FORMAT)
        return cn_err_set(err, CN_EVERSION, "%s: dictionary format %u, this canton reads %u", name,
                          version, CN_STORE_FORMAT);
    const uint8_t *q = p + CN_STORE__DICT_HEADER_LEN, *end = p + len;
    uint32_t n = 1;
    while (q < end) {
        const uint8_t *at = q;
        uint64_t sl;
        if (cn_get_varint(&q, end, &sl) != 0 || sl == 0 || sl > CN_STORE__MAX_STR ||
            sl > (uint64_t)(end - q) || n >= CN_STORE__MAX_DICT)
            return cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: bad entry for id %u", name,
                              (size_t)(at - p), n);
        cn_str_t s = cn_str((const char *)q, (size_t)sl);
        q += sl;
        if (d) {
            uint32_t id;
            uint64_t h = hash_str(s);
            if (d->slots[probe(d, s, h)] != 0)
                return cn_err_set(err, CN_ECORRUPT, "%s: offset %zu: id %u repeats a string", name,
                                  (size_t)(at - p), n);
            append(d, s, h, &id);
        }
        n++;
    }
    *out_len = n;
    return 0;
}
