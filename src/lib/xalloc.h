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
/* Aborts the process with msg on stderr; for invariants that cannot fail. */
_Noreturn void cn_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Cheap invariant checks that stay on in release builds. Never for input. */
#define CN_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            cn_panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);                   \
    } while (0)

#endif
