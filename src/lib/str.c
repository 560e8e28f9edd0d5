/* SPDX-License-Identifier: Apache-2.0 */
/* String slice helpers; see str.h. */
#include "lib/str.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <wchar.h>

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
