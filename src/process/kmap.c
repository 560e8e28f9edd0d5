/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 128-bit keys (XXH3-128 of a string with a seed) and an open-addressing
 * map from such keys to u32: the visitor table, the order-id and event
 * serialization sets and the eVar value pool of processing. Keys are never
 * removed; the table doubles past 50% load. Iteration order is never used
 * for output, so the layout does not affect determinism.
 */
#include <stdlib.h>
#include <xxhash.h>

#include "lib/xalloc.h"
#include "process/internal.h"

cn_key_t cn_key_of(uint64_t seed, cn_str_t s)
{
    XXH128_hash_t h = XXH3_128bits_withSeed(s.ptr ? s.ptr : "", s.len, seed);
    return (cn_key_t){h.low64, h.high64};
}

void cn_kmap_init(cn_kmap_t *m)
{
    m->cap = 1024;
    m->count = 0;
    m->slots = cn_xcalloc(m->cap, sizeof(*m->slots));
}

void cn_kmap_dispose(cn_kmap_t *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

uint32_t *cn_kmap_get(const cn_kmap_t *m, cn_key_t key)
{
    size_t mask = m->cap - 1;
    for (size_t i = key.a & mask;; i = (i + 1) & mask) {
        cn_kmap_slot_t *s = &m->slots[i];
        if (!s->used)
            return NULL;
        if (s->key.a == key.a && s->key.b == key.b)
            return &s->val;
    }
}

static void insert_slot(cn_kmap_slot_t *slots, size_t cap, cn_key_t key, uint32_t val)
{
    size_t mask = cap - 1;
    size_t i = key.a & mask;
    while (slots[i].used)
        i = (i + 1) & mask;
    slots[i] = (cn_kmap_slot_t){key, val, 1};
}

bool cn_kmap_put(cn_kmap_t *m, cn_key_t key, uint32_t val)
{
    if (cn_kmap_get(m, key) != NULL)
        return false;
    if ((m->count + 1) * 2 > m->cap) {
        size_t ncap = m->cap * 2;
        cn_kmap_slot_t *ns = cn_xcalloc(ncap, sizeof(*ns));
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].used)
                insert_slot(ns, ncap, m->slots[i].key, m->slots[i].val);
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    insert_slot(m->slots, m->cap, key, val);
    m->count++;
    return true;
}
