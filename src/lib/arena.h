/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bump allocator for bounded lifetimes (one HTTP request, one query, one
 * parsed segment): allocate many small things, free them all at once with
 * cn_arena_dispose() or cn_arena_clear() (h2o's per-request pool). Not
 * thread-safe; one arena per owner.
 */
#ifndef CN_LIB_ARENA_H
#define CN_LIB_ARENA_H

#include <stddef.h>

#include "lib/str.h"

typedef struct cn_arena_block cn_arena_block_t;

typedef struct cn_arena {
    cn_arena_block_t *head; /* newest block first */
    size_t used;            /* bytes used in head */
    size_t total;           /* bytes handed out since init or clear */
} cn_arena_t;

void cn_arena_init(cn_arena_t *a);
/* Frees every block. The arena may be reused after cn_arena_init. */
void cn_arena_dispose(cn_arena_t *a);
/* Frees all but the first block and forgets every allocation. */
void cn_arena_clear(cn_arena_t *a);
/* Returns len bytes aligned for any type; aborts on out of memory. */
void *cn_arena_alloc(cn_arena_t *a, size_t len);
/* Returns zeroed memory for count items of size bytes (count*size checked). */
void *cn_arena_calloc(cn_arena_t *a, size_t count, size_t size);
/* Copies len bytes and a terminating NUL into the arena. */
char *cn_arena_strndup(cn_arena_t *a, const char *s, size_t len);

#endif
