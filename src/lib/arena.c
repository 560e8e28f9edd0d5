/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator; see arena.h. */
#include "lib/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct cn_arena_block {
    cn_arena_block_t *next;
    size_t size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void cn_arena_init(cn_arena_t *a)
{
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

void cn_arena_dispose(cn_arena_t *a)
{
    cn_arena_block_t *b = a->head;
    while (b != NULL) {
        cn_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    cn_arena_init(a);
}

void cn_arena_clear(cn_arena_t *a)
{
    if (a->head == NULL)
        return;
    cn_arena_block_t *b = a->head->next;
    while (b != NULL) {
        cn_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->head->next = NULL;
    a->used = 0;
    a->total = 0;
}

void *cn_arena_alloc(cn_arena_t *a, size_t len)
{
    size_t need = (len + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < len)
        cn_panic("arena allocation of %zu bytes overflows", len);
    if (a->head == NULL || a->head->size - a->used < need) {
        size_t size = need > ARENA_BLOCK / 2 ? need : ARENA_BLOCK;
        cn_arena_block_t *b = cn_xmalloc(sizeof(*b) + size);
        b->size = size;
        if (a->head != NULL && need > ARENA_BLOCK / 2) {
            /* A big allocation gets its own block behind the current one. */
            b->next = a->head->next;
            a->head->next = b;
            a->total += need;
            return b->data;
        }
        b->next = a->head;
        a->head = b;
        a->used = 0;
    }
    void *p = a->head->data + a->used;
    a->used += need;
    a->total += need;
    return p;
}

void *cn_arena_calloc(cn_arena_t *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        cn_panic("arena allocation of %zu x %zu bytes overflows", count, size);
    void *p = cn_arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *cn_arena_strndup(cn_arena_t *a, const char *s, size_t len)
{
    char *p = cn_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
