/* SPDX-License-Identifier: Apache-2.0 */
/* Aborting allocators; see xalloc.h. */
#include "lib/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

_Noreturn void cn_panic(const char *fmt, ...)
{
    va_list ap;
    fputs("level=fatal msg=\"", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\"\n", stderr);
    abort();
}

void *cn_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        cn_panic("out of memory allocating %zu bytes", size);
    return p;
}

void *cn_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        cn_panic("out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *cn_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        cn_panic("out of memory reallocating %zu bytes", size);
    return p;
}

char *cn_xstrndup(const char *s, size_t len)
{
    char *p = cn_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *cn_xstrdup(const char *s)
{
    return cn_xstrndup(s, strlen(s));
}

void *cn_xmalloc_huge(size_t size, _Bool zero)
{
#ifdef MADV_HUGEPAGE
    const size_t huge = (size_t)2 << 20;
    if (size >= huge / 2) {
        size_t sz = (size + huge - 1) & ~(huge - 1);
        void *p = aligned_alloc(huge, sz);
        if (p != NULL) {
            (void)madvise(p, sz, MADV_HUGEPAGE); /* advice: without it, small pages */
            if (zero)
                memset(p, 0, size);
            return p;
        }
    }
#endif
    return zero ? cn_xcalloc(1, size) : cn_xmalloc(size);
}
