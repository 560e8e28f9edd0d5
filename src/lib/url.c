/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query-string splitting and percent-decoding (see url.h). The decoder is on
 * processing's hot path (every Adobe parameter goes through it), so it works
 * on slices, in place when asked, with a table for hex digits.
 */
#include "lib/url.h"

#include <stdint.h>
#include <string.h>

bool cn_query_next(cn_str_t *rest, cn_str_t *name, cn_str_t *value, bool *has_eq)
{
    while (rest->len > 0) {
        const char *p = rest->ptr;
        const char *amp = memchr(p, '&', rest->len);
        size_t n = amp ? (size_t)(amp - p) : rest->len;
        if (amp) {
            rest->ptr = amp + 1;
            rest->len -= n + 1;
        } else {
            rest->ptr += n;
            rest->len = 0;
        }
        if (n == 0)
            continue;
        const char *eq = memchr(p, '=', n);
        if (eq) {
            *name = cn_str(p, (size_t)(eq - p));
            *value = cn_str(eq + 1, n - (size_t)(eq - p) - 1);
            *has_eq = true;
        } else {
            *name = cn_str(p, n);
            *value = cn_str(p + n, 0);
            *has_eq = false;
        }
        return true;
    }
    return false;
}

/* 1 for the bytes the decoder must look at: '%' and '+'. */
static const uint8_t special[256] = {['%'] = 1, ['+'] = 1};

/* 0..15 for hex digits, 0xff otherwise. */
static const uint8_t hexv[256] = {
    ['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,  ['7'] = 7,
    ['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
    ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14, ['F'] = 15,
};

static bool is_hex(unsigned char c)
{
    return hexv[c] != 0 || c == '0';
}

size_t cn_url_special_prefix(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0;
    while (i < s.len && !special[p[i]])
        i++;
    return i;
}

bool cn_url_needs_decode(cn_str_t s)
{
    return cn_url_special_prefix(s) < s.len;
}

size_t cn_url_decode_to(cn_str_t s, char *dst)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t o = 0, i = 0, n = s.len;
    while (i < n) {
        /* copy the plain run byte by byte: runs between escapes are short */
        while (i < n && !special[p[i]])
            dst[o++] = (char)p[i++];
        if (i == n)
            break;
        if (p[i] == '+') {
            dst[o++] = ' ';
            i++;
        } else if (i + 2 < n && is_hex(p[i + 1]) && is_hex(p[i + 2])) {
            dst[o++] = (char)(hexv[p[i + 1]] << 4 | hexv[p[i + 2]]);
            i += 3;
        } else {
            dst[o++] = '%';
            i++;
        }
    }
    return o;
}

size_t cn_latin1_to_utf8(cn_str_t s, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x80) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = (char)(0xc0 | c >> 6);
            dst[o++] = (char)(0x80 | (c & 0x3f));
        }
    }
    return o;
}

cn_str_t cn_url_strip_query(cn_str_t url)
{
    for (size_t i = 0; i < url.len; i++) {
        if (url.ptr[i] == '?' || url.ptr[i] == '#')
            return cn_str(url.ptr, i);
    }
    return url;
}

cn_str_t cn_url_host(cn_str_t url)
{
    const char *p = url.ptr, *end = url.ptr + url.len;
    const char *sep = NULL;
    for (const char *q = p; q + 2 < end; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q;
            break;
        }
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '+' || *q == '-' || *q == '.'))
            break;
    }
    if (sep == NULL || sep == p)
        return CN_STR_NULL;
    const char *h = sep + 3, *he = h;
    while (he < end && *he != '/' && *he != '?' && *he != '#')
        he++;
    /* drop user info */
    for (const char *q = he; q > h; q--) {
        if (q[-1] == '@') {
            h = q;
            break;
        }
    }
    /* drop the port (not inside an IPv6 literal) */
    if (h < he && *h == '[') {
        const char *rb = memchr(h, ']', (size_t)(he - h));
        if (rb)
            return cn_str(h, (size_t)(rb + 1 - h));
    }
    const char *colon = memchr(h, ':', (size_t)(he - h));
    if (colon)
        he = colon;
    return cn_str(h, (size_t)(he - h));
}

cn_str_t cn_url_query_param(cn_str_t url, cn_str_t name, bool *found)
{
    *found = false;
    const char *q = memchr(url.ptr ? url.ptr : "", '?', url.len);
    if (q == NULL)
        return CN_STR_NULL;
    cn_str_t rest = cn_str(q + 1, url.len - (size_t)(q + 1 - url.ptr));
    const char *hash = memchr(rest.ptr, '#', rest.len);
    if (hash)
        rest.len = (size_t)(hash - rest.ptr);
    cn_str_t n, v;
    bool eq;
    while (cn_query_next(&rest, &n, &v, &eq)) {
        if (cn_str_eq(n, name)) {
            *found = true;
            return v;
        }
    }
    return CN_STR_NULL;
}
