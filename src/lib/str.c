/* SPDX-License-Identifier: Apache-2.0 */
/* String slice helpers; see str.h. */
#include "lib/str.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/err.h"

bool cn_str_eq_nocase(cn_str_t a, cn_str_t b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        unsigned char x = (unsigned char)a.ptr[i], y = (unsigned char)b.ptr[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return false;
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

cn_str_t cn_str__trim_ends(cn_str_t s)
{
    while (s.len > 0 && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

cn_str_t cn_str_split(cn_str_t s, char sep, cn_str_t *head)
{
    const char *p = s.len ? memchr(s.ptr, sep, s.len) : NULL;
    if (p == NULL) {
        *head = s;
        return CN_STR_NULL;
    }
    *head = cn_str(s.ptr, (size_t)(p - s.ptr));
    return cn_str(p + 1, s.len - (size_t)(p - s.ptr) - 1);
}

bool cn_str_list_has(cn_str_t list, char sep, cn_str_t item)
{
    cn_str_t it;
    while (list.ptr != NULL && list.len != 0) {
        list = cn_str_split(list, sep, &it);
        if (cn_str_eq(cn_str_trim(it), item))
            return true;
    }
    return false;
}

int cn_str_to_i64(cn_str_t s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    if (s.len == 0)
        return CN_EPARSE;
    if (s.ptr[0] == '-' || s.ptr[0] == '+') {
        neg = s.ptr[0] == '-';
        i = 1;
        if (s.len == 1)
            return CN_EPARSE;
    }
    for (; i < s.len; i++) {
        unsigned d = (unsigned char)s.ptr[i] - '0';
        if (d > 9)
            return CN_EPARSE;
        if (v > (UINT64_MAX - d) / 10)
            return CN_EPARSE;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return CN_EPARSE;
        *out = (int64_t)(0 - v);
    } else {
        if (v > INT64_MAX)
            return CN_EPARSE;
        *out = (int64_t)v;
    }
    return 0;
}

int cn_str_to_double(cn_str_t s, double *out)
{
    char buf[64];
    char *end;
    if (s.len == 0 || s.len >= sizeof(buf))
        return CN_EPARSE;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return CN_EPARSE;
    }
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + s.len || errno == ERANGE || !isfinite(v))
        return CN_EPARSE;
    *out = v;
    return 0;
}

/* --- Display width --- */

/* The C.UTF-8 character table, made once and kept; (locale_t)0 when libc lacks it. */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_make(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

size_t cn_str_width_prefix(cn_str_t s, size_t max_cols, size_t *out_cols)
{
    /* for this thread only and during the call: the process locale is never changed */
    pthread_once(&utf8_once, utf8_locale_make);
    locale_t utf8 = utf8_locale;
    locale_t old = utf8 != (locale_t)0 ? uselocale(utf8) : (locale_t)0;
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    size_t i = 0, cols = 0;
    while (i < s.len) {
        size_t n, w = 1;
        wchar_t wc;
        if (utf8 == (locale_t)0) {
            for (n = 1; i + n < s.len && ((unsigned char)s.ptr[i + n] & 0xc0) == 0x80; n++)
                ;
        } else if ((n = mbrtowc(&wc, s.ptr + i, s.len - i, &st)) == (size_t)-1) {
            n = 1; /* not UTF-8: one byte, one column */
            memset(&st, 0, sizeof(st));
        } else if (n == (size_t)-2) {
            n = s.len - i; /* a character cut short by the end: one column */
        } else {
            int x = wcwidth(wc);
            w = x < 0 ? 0 : (size_t)x;
            if (n == 0) /* a NUL byte */
                n = 1;
        }
        if (cols + w > max_cols)
            break;
        cols += w;
        i += n;
    }
    if (utf8 != (locale_t)0)
        uselocale(old);
    *out_cols = cols;
    return i;
}

size_t cn_str_width(cn_str_t s)
{
    size_t cols;
    cn_str_width_prefix(s, SIZE_MAX, &cols);
    return cols;
}

/*
 * The sequence at p (avail >= 1 bytes, p[0] >= 0x80), as the WHATWG UTF-8 decoder reads it:
 * returns how many bytes it takes and sets *ok to whether they are one valid character. An
 * invalid sequence takes the bytes up to (not including) the first one that cannot continue
 * it, at least one.
 */
static size_t utf8_next(const unsigned char *p, size_t avail, bool *ok)
{
    unsigned c = p[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        *ok = false;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= avail || p[i] < lo || p[i] > hi) {
            *ok = false;
            return i;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    *ok = true;
    return need + 1;
}

size_t cn_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    bool ok;
    size_t n = utf8_next(p, (size_t)(end - p), &ok);
    return ok ? n : 0;
}

/* Length of the prefix of [p, p + n) below 0x80. */
static inline size_t ascii_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

size_t cn_utf8_valid_prefix(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = ascii_prefix(p, s.len);
    while (i < s.len) {
        bool ok;
        size_t n = utf8_next(p + i, s.len - i, &ok);
        if (!ok)
            return i;
        i += n;
        i += ascii_prefix(p + i, s.len - i);
    }
    return i;
}

size_t cn_utf8_repair_to(cn_str_t s, char *dst)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0, o = 0;
    while (i < s.len) {
        size_t a = ascii_prefix(p + i, s.len - i);
        memcpy(dst + o, p + i, a);
        i += a;
        o += a;
        if (i == s.len)
            break;
        bool ok;
        size_t n = utf8_next(p + i, s.len - i, &ok);
        if (ok) {
            memcpy(dst + o, p + i, n);
            o += n;
        } else {
            memcpy(dst + o, "\xef\xbf\xbd", 3);
            o += 3;
        }
        i += n;
    }
    return o;
}

/* The value of the 4 hex digits at p, or -1. */
static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

size_t cn_json_escape(const char *p, const char *end, uint32_t *cp)
{
    if (end - p < 2)
        return 0;
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
        *cp = (unsigned char)p[1];
        return 2;
    case 'b':
        *cp = '\b';
        return 2;
    case 'f':
        *cp = '\f';
        return 2;
    case 'n':
        *cp = '\n';
        return 2;
    case 'r':
        *cp = '\r';
        return 2;
    case 't':
        *cp = '\t';
        return 2;
    case 'u': {
        int v = end - p >= 6 ? hex4(p + 2) : -1;
        if (v <= 0 || (v >= 0xdc00 && v <= 0xdfff))
            return 0; /* \u0000 (jansson refuses it), a lone low surrogate, bad hex */
        if (v < 0xd800 || v > 0xdbff) {
            *cp = (uint32_t)v;
            return 6;
        }
        int lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return 0;
        *cp = 0x10000 + (((uint32_t)v - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
        return 12;
    }
    default:
        return 0;
    }
}

char *cn_put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* A code point below 0x20, '"' or '\\' as json_dumps() writes it inside a string. */
static char *put_dump_escape(char *o, uint32_t cp)
{
    static const char hex[] = "0123456789ABCDEF";
    *o++ = '\\';
    switch (cp) {
    case '"':
        *o++ = '"';
        break;
    case '\\':
        *o++ = '\\';
        break;
    case '\b':
        *o++ = 'b';
        break;
    case '\f':
        *o++ = 'f';
        break;
    case '\n':
        *o++ = 'n';
        break;
    case '\r':
        *o++ = 'r';
        break;
    case '\t':
        *o++ = 't';
        break;
    default:
        memcpy(o, "u00", 3);
        o[3] = hex[cp >> 4];
        o[4] = hex[cp & 15];
        o += 5;
    }
    return o;
}

const char *cn_json_unescape(const char *p, const char *end, char **out, bool dump)
{
    char *o = *out;
    for (;;) {
        const char *q = cn_json_plain_run(p, end);
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        p = q;
        if (p >= end || *p == '"')
            break;
        if ((unsigned char)*p >= 0x80) {
            size_t n = cn_utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (n == 0)
                return NULL;
            memcpy(o, p, n);
            o += n;
            p += n;
            continue;
        }
        if (*p != '\\' || end - p < 2)
            return NULL; /* a control byte */
        uint32_t cp;
        size_t k = cn_json_escape(p, end, &cp);
        if (k == 0)
            return NULL;
        p += k;
        if (dump && (cp < 0x20 || cp == '"' || cp == '\\'))
            o = put_dump_escape(o, cp);
        else
            o = cn_put_utf8(o, cp);
    }
    *out = o;
    return p;
}
