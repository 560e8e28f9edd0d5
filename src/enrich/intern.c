/* SPDX-License-Identifier: Apache-2.0 */
/*
 * String interning for result names (browser and OS families, versions):
 * one table per thread handle, so that a cached UA result can hand out
 * slices that stay valid while the handle lives, and a cache eviction
 * never invalidates a string a caller still holds. Storage grows in chunks
 * that never move; the table holds at most CN_ENRICH_INTERN_MAX strings
 * (far beyond the distinct families and versions real traffic has).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

#define CHUNK 65536

void cn_enrich__intern_init(cn_intern_t *in)
{
    memset(in, 0, sizeof(*in));
    in->cap = 256;
    in->slots = cn_xcalloc(in->cap, sizeof(*in->slots));
    in->hashes = cn_xcalloc(in->cap, sizeof(*in->hashes));
}

void cn_enrich__intern_dispose(cn_intern_t *in)
{
    for (size_t i = 0; i < in->chunk_count; i++)
        free(in->chunks[i]);
    free(in->chunks);
    free(in->slots);
    free(in->hashes);
    memset(in, 0, sizeof(*in));
}

static char *store(cn_intern_t *in, cn_str_t s)
{
    size_t need = s.len + 1;
    if (need > CHUNK) {
        /* a string larger than a chunk gets a chunk of its own */
        char *big = cn_xmalloc(need);
        in->chunks = cn_xrealloc(in->chunks, (in->chunk_count + 1) * sizeof(*in->chunks));
        /* keep the current chunk last so that small strings keep filling it */
        if (in->chunk_count > 0) {
            in->chunks[in->chunk_count] = in->chunks[in->chunk_count - 1];
            in->chunks[in->chunk_count - 1] = big;
        } else {
            in->chunks[0] = big;
            in->chunk_used = CHUNK; /* full: the next small string opens a chunk */
        }
        in->chunk_count++;
        memcpy(big, s.ptr, s.len);
        big[s.len] = '\0';
        return big;
    }
    if (in->chunk_count == 0 || in->chunk_used + need > CHUNK) {
        in->chunks = cn_xrealloc(in->chunks, (in->chunk_count + 1) * sizeof(*in->chunks));
        in->chunks[in->chunk_count++] = cn_xmalloc(CHUNK);
        in->chunk_used = 0;
    }
    char *dst = in->chunks[in->chunk_count - 1] + in->chunk_used;
    in->chunk_used += need;
    if (s.len > 0)
        memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    return dst;
}

static void grow(cn_intern_t *in)
{
    size_t ncap = in->cap * 2;
    cn_str_t *slots = cn_xcalloc(ncap, sizeof(*slots));
    uint64_t *hashes = cn_xcalloc(ncap, sizeof(*hashes));
    for (size_t i = 0; i < in->cap; i++) {
        if (in->slots[i].ptr == NULL)
            continue;
        size_t j = in->hashes[i] & (ncap - 1);
        while (slots[j].ptr != NULL)
            j = (j + 1) & (ncap - 1);
        slots[j] = in->slots[i];
        hashes[j] = in->hashes[i];
    }
    free(in->slots);
    free(in->hashes);
    in->slots = slots;
    in->hashes = hashes;
    in->cap = ncap;
}

cn_str_t cn_enrich__intern(cn_intern_t *in, cn_str_t s)
{
    if (s.len == 0)
        return CN_STR_LIT("");
    uint64_t h = XXH3_64bits(s.ptr, s.len);
    size_t i = h & (in->cap - 1);
    while (in->slots[i].ptr != NULL) {
        if (in->hashes[i] == h && cn_str_eq(in->slots[i], s))
            return in->slots[i];
        i = (i + 1) & (in->cap - 1);
    }
    if (in->count >= CN_ENRICH_INTERN_MAX)
        return CN_STR_LIT("Other");
    in->slots[i] = cn_str(store(in, s), s.len);
    in->hashes[i] = h;
    in->count++;
    cn_str_t r = in->slots[i];
    if (in->count * 2 > in->cap)
        grow(in);
    return r;
}
