/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation that aborts with a message when memory runs out. canton is a
 * server, so callers of cn_xmalloc() and friends never check for NULL. Sizes
 * that come from input must be checked against a limit *before* allocating
 * (CN_ETOOBIG), so that a client can never make canton abort.
 */
#ifndef CN_LIB_XALLOC_H
#define CN_LIB_XALLOC_H

#include <stddef.h>

void *cn_xmalloc(size_t size);
void *cn_xcalloc(size_t count, size_t size);
void *cn_xrealloc(void *ptr, size_t size);
char *cn_xstrdup(const char *s);
char *cn_xstrndup(const char *s, size_t len);
/*
 * For big arrays read at random (hash indexes, the visitor table): from
 * 1 MiB on, whole 2 MiB-aligned blocks that the kernel is asked to back with
 * huge pages (transparent huge pages in "madvise" mode, the usual default),
 * so that a lookup seldom misses the TLB as well as the cache (a page walk
 * costs as much again, the more so in a virtual machine); smaller, or where
 * the advice does not exist, plain malloc. Zeroed when zero is set; freed
 * with free().
 */
void *cn_xmalloc_huge(size_t size, _Bool zero);
/*
 * For pools that keep freed memory for reuse (the processing state's block pools, the
 * store's chunk pool): under ASan, poison marks [p, p + n) as freed, so that a read of it is
 * caught as after free(), and !poison makes it usable again; nothing in other builds.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CN_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CN_ASAN 1
#endif
#ifdef CN_ASAN
#include <sanitizer/asan_interface.h>
static inline void cn_asan_poison(void *p, size_t n, _Bool poison)
{
    if (poison)
        ASAN_POISON_MEMORY_REGION(p, n);
    else
        ASAN_UNPOISON_MEMORY_REGION(p, n);
}
#else
static inline void cn_asan_poison(void *p, size_t n, _Bool poison)
{
    (void)p, (void)n, (void)poison;
}
#endif

/* Aborts the process with msg on stderr; for invariants that cannot fail. */
_Noreturn void cn_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Cheap invariant checks that stay on in release builds. Never for input. */
#define CN_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            cn_panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);                   \
    } while (0)

#endif
