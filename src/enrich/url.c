/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URL splitting for referrers and landing pages: scheme, host, path and
 * query as slices of the input (nothing is copied), a query-string pair
 * iterator and percent-decoding into a caller's buffer. Lenient on purpose:
 * referrers arrive as browsers send them, and anything odd is "other".
 */
#include "lib/url.h"

#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

static bool is_scheme_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

int cn_enrich__url_split(cn_str_t url, cn_url_t *out)
{
    memset(out, 0, sizeof(*out));
    url = cn_str_trim(url);
    const char *p = url.ptr, *end = url.ptr + url.len;
    if (url.len == 0)
        return CN_EPARSE;
    /* scheme: letters up to "://" */
    const char *q = p;
    while (q < end && is_scheme_char(*q))
        q++;
    if (q > p && end - q >= 3 && q[0] == ':' && q[1] == '/' && q[2] == '/') {
        out->scheme = cn_str(p, (size_t)(q - p));
        p = q + 3;
    } else if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
        p += 2;
    } else {
        return CN_EPARSE;
    }
    /* authority: up to '/', '?' or '#' */
    const char *auth = p;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    cn_str_t a = cn_str(auth, (size_t)(p - auth));
    const char *at = memrchr(a.ptr, '@', a.len);
    if (at != NULL)
        a = cn_str(at + 1, a.len - (size_t)(at + 1 - a.ptr));
    if (a.len > 0 && a.ptr[0] == '[') {
        const char *rb = memchr(a.ptr, ']', a.len);
        if (rb == NULL)
            return CN_EPARSE;
        a = cn_str(a.ptr + 1, (size_t)(rb - a.ptr - 1));
    } else {
        const char *colon = memchr(a.ptr, ':', a.len);
        if (colon != NULL)
            a.len = (size_t)(colon - a.ptr);
    }
    while (a.len > 0 && a.ptr[a.len - 1] == '.')
        a.len--; /* "example.com." is example.com */
    if (a.len == 0)
        return CN_EPARSE;
    out->host = a;
    const char *path = p;
    while (p < end && *p != '?' && *p != '#')
        p++;
    out->path = cn_str(path, (size_t)(p - path));
    if (p < end && *p == '?') {
        const char *qs = ++p;
        while (p < end && *p != '#')
            p++;
        out->query = cn_str(qs, (size_t)(p - qs));
    }
    return 0;
}

bool cn_enrich__query_next(cn_str_t *rest, cn_str_t *key, cn_str_t *val)
{
    bool has_eq;
    return cn_query_next(rest, key, val, &has_eq);
}

size_t cn_enrich__pct_decode(cn_str_t s, char *dst, size_t cap)
{
    if (s.len <= cap) /* decoding never grows */
        return cn_url_decode_to(s, dst);
    char *tmp = cn_xmalloc(s.len);
    size_t n = cn_url_decode_to(s, tmp);
    if (n > cap)
        n = cap;
    memcpy(dst, tmp, n);
    free(tmp);
    return n;
}
