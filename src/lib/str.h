/* SPDX-License-Identifier: Apache-2.0 */
/*
 * String slices: a pointer and a length, not NUL-terminated (h2o's
 * h2o_iovec_t). canton passes strings as slices and NUL-terminates only at
 * the edges (libc calls, logs). A slice borrows; who owns the bytes is said
 * by the function that hands it out.
 */
#ifndef CN_LIB_STR_H
#define CN_LIB_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct cn_str {
    const char *ptr;
    size_t len;
} cn_str_t;

#define CN_STR_LIT(s) ((cn_str_t){(s), sizeof(s) - 1})
#define CN_STR_NULL   ((cn_str_t){NULL, 0})
/* For printf: printf("%.*s", CN_STR_FMT(s)). */
#define CN_STR_FMT(s) (int)(s).len, (s).ptr

static inline cn_str_t cn_str(const char *p, size_t len)
{
    return (cn_str_t){p, len};
}

static inline cn_str_t cn_str_c(const char *s)
{
    return (cn_str_t){s, s ? strlen(s) : 0};
}

static inline bool cn_str_eq(cn_str_t a, cn_str_t b)
{
    /* b.len, not a.len: for a literal it is a constant, and the compiler then compares the
     * few bytes inline (cn_str_eq_c on the decoders' paths) instead of calling memcmp */
    return a.len == b.len && (b.len == 0 || memcmp(a.ptr, b.ptr, b.len) == 0);
}

static inline bool cn_str_eq_c(cn_str_t a, const char *b)
{
    return cn_str_eq(a, cn_str_c(b));
}

static inline bool cn_str_starts_with(cn_str_t s, cn_str_t prefix)
{
    return s.len >= prefix.len && memcmp(s.ptr, prefix.ptr, prefix.len) == 0;
}

/* Case-insensitive ASCII comparison. */
bool cn_str_eq_nocase(cn_str_t a, cn_str_t b);
/* cn_str_trim() of a slice that starts or ends with a byte below '!'. */
cn_str_t cn_str__trim_ends(cn_str_t s);
/* Slice with leading and trailing ASCII white space removed. Inline: most slices
 * have nothing to trim, and every white space byte is below '!'. */
static inline cn_str_t cn_str_trim(cn_str_t s)
{
    if (s.len == 0 || ((unsigned char)s.ptr[0] > ' ' && (unsigned char)s.ptr[s.len - 1] > ' '))
        return s;
    return cn_str__trim_ends(s);
}
/*
 * Splits s at the first occurrence of sep: *head gets the part before it,
 * and the function returns the rest after it. When sep does not occur, *head
 * is s and the result is {NULL, 0}. Used as a tokenizer loop.
 */
cn_str_t cn_str_split(cn_str_t s, char sep, cn_str_t *head);
/* True when the sep-separated list has an item equal to item, the items' spaces trimmed (a
 * suite list "a, b": the collector and processing read it so). */
bool cn_str_list_has(cn_str_t list, char sep, cn_str_t item);
/* Parses a whole slice as a decimal signed 64-bit integer; 0 or CN_EPARSE. */
int cn_str_to_i64(cn_str_t s, int64_t *out);
/* Parses a whole slice as a decimal number (strtod rules, no hex/inf/nan). */
int cn_str_to_double(cn_str_t s, double *out);

/*
 * Display width: the columns s takes on a terminal, for tables that line up
 * whatever the script. Counts each UTF-8 character as wcwidth(3) does in the
 * C.UTF-8 locale: 2 for East Asian wide and full-width characters (你好 is 4),
 * 0 for combining marks and control characters, 1 for the others; a byte that
 * is not part of valid UTF-8, or a character cut short by the end of s, counts
 * 1 (the replacement character a terminal shows). Sets the locale for the
 * calling thread only, for the call (uselocale), so the process's locale is
 * untouched; thread-safe. Without C.UTF-8 in libc, each character counts 1.
 */
size_t cn_str_width(cn_str_t s);
/*
 * The longest prefix of s that takes at most max_cols columns (cn_str_width),
 * cut on a character boundary: returns its length in bytes and sets
 * *out_cols to its width (which can be max_cols - 1 when the next character
 * is 2 columns wide). Zero-width characters after the last one kept (combining
 * marks) stay with it.
 */
size_t cn_str_width_prefix(cn_str_t s, size_t max_cols, size_t *out_cols);

/*
 * In a JSON string's text, the first byte at or after p that needs a look: '"', '\\', a
 * control byte or a non-ASCII one; end when there is none. The JSON fast paths (canton
 * JSON batches, NDJSON import rows) take the run before it as it is, 16 bytes at a time.
 */
static inline const char *cn_json_plain_run(const char *p, const char *end)
{
#ifdef __SSE2__
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* as signed bytes, control and non-ASCII bytes are both below 0x20 */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            return p;
        p++;
    }
    return end;
}

/*
 * The JSON fast paths' string rules are jansson's, so that what they take is what jansson
 * gives and what they refuse goes to jansson:
 * - cn_utf8_seq: the length (2..4) of the valid UTF-8 sequence at p (p < end), or 0 (RFC
 *   3629: no overlong forms, no surrogates, nothing past U+10FFFF).
 * - cn_json_escape: the escape at p (p[0] is '\\', p < end) as the code point *cp; returns
 *   how many bytes it takes (2, 6, or 12 for a surrogate pair), or 0 for what jansson refuses
 *   (an unknown escape, bad hex, \u0000, a lone surrogate, no room).
 * - cn_put_utf8: code point cp (below 0x110000, not a surrogate) as UTF-8 at o; returns the
 *   byte after it. An escape never takes fewer bytes than its UTF-8.
 */
size_t cn_utf8_seq(const unsigned char *p, const unsigned char *end);
size_t cn_json_escape(const char *p, const char *end, uint32_t *cp);
char *cn_put_utf8(char *o, uint32_t cp);
/*
 * A JSON string's text from p to its closing quote or end, whichever comes first, copied to
 * *o by the rules above (plain runs as they are, UTF-8 sequences checked, escapes decoded; with
 * dump, an escape of '"', '\\' or a control character written back as json_dumps() writes it),
 * *o moved past the copy, which is never longer than the text. Returns where it stopped (end
 * or the closing quote), or NULL for what jansson refuses: a control byte, bytes that are not
 * UTF-8, a bad escape.
 */
const char *cn_json_unescape(const char *p, const char *end, char **o, bool dump);

/*
 * memcpy(dst, src, n) that copies up to 16 bytes inline, with two overlapping loads and stores of
 * a fixed size (a memcpy of a length the compiler does not know is a call, which costs more than
 * the copy for the short strings of the hot paths: a value, a memo key, an IP's text); longer
 * ones through memcpy. dst and src must not overlap.
 */
static inline void cn_memcpy_short(void *dst, const void *src, size_t n)
{
    char *d = dst;
    const char *p = src;
    if (n - 1 < 16) { /* 1..16 */
        if (n >= 8) {
            uint64_t a, b;
            memcpy(&a, p, 8);
            memcpy(&b, p + n - 8, 8);
            memcpy(d, &a, 8);
            memcpy(d + n - 8, &b, 8);
        } else if (n >= 4) {
            uint32_t a, b;
            memcpy(&a, p, 4);
            memcpy(&b, p + n - 4, 4);
            memcpy(d, &a, 4);
            memcpy(d + n - 4, &b, 4);
        } else {
            d[0] = p[0];
            d[n / 2] = p[n / 2];
            d[n - 1] = p[n - 1];
        }
    } else if (n > 16) {
        memcpy(d, p, n);
    }
}

/*
 * memcmp(a, b, n) == 0 for short runs, inline, with loads of a fixed size that overlap (both
 * buffers hold at least n bytes), as cn_memcpy_short copies: processing's pool values and
 * visitor ids are short, and memcmp of a length the compiler does not know is a call that
 * costs more than the compare. Longer than 64 bytes through memcmp.
 */
static inline bool cn_memeq_short(const void *a, const void *b, size_t n)
{
    const char *p = a, *q = b;
    if (n - 1 < 16) { /* 1..16 */
        if (n >= 8) {
            uint64_t p0, p1, q0, q1;
            memcpy(&p0, p, 8);
            memcpy(&p1, p + n - 8, 8);
            memcpy(&q0, q, 8);
            memcpy(&q1, q + n - 8, 8);
            return ((p0 ^ q0) | (p1 ^ q1)) == 0;
        }
        if (n >= 4) {
            uint32_t p0, p1, q0, q1;
            memcpy(&p0, p, 4);
            memcpy(&p1, p + n - 4, 4);
            memcpy(&q0, q, 4);
            memcpy(&q1, q + n - 4, 4);
            return ((p0 ^ q0) | (p1 ^ q1)) == 0;
        }
        return p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1];
    }
    if (n == 0)
        return true;
    if (n <= 64) { /* 17..64: 16 bytes a step, the last step ending at n */
        uint64_t d = 0;
        for (size_t i = 0;; i += 16) {
            size_t at = i + 16 < n ? i : n - 16;
            uint64_t p0, p1, q0, q1;
            memcpy(&p0, p + at, 8);
            memcpy(&p1, p + at + 8, 8);
            memcpy(&q0, q + at, 8);
            memcpy(&q1, q + at + 8, 8);
            d |= (p0 ^ q0) | (p1 ^ q1);
            if (at == n - 16)
                return d == 0;
        }
    }
    return memcmp(p, q, n) == 0;
}

/* cn_str_eq by cn_memeq_short: for two strings of lengths the compiler does not know. */
static inline bool cn_str_eq_short(cn_str_t a, cn_str_t b)
{
    return a.len == b.len && cn_memeq_short(a.ptr, b.ptr, b.len);
}

/*
 * True when every byte of s is ASCII (below 0x80). Inline, 16 bytes a load where SSE2 is
 * available, else 8 (the last load overlaps the one before it): the check every decoded value
 * passes, so the common value (short, ASCII) costs a few instructions and no call.
 */
static inline bool cn_str_is_ascii(cn_str_t s)
{
    const char *p = s.ptr;
    size_t n = s.len;
#ifdef __SSE2__
    if (n >= 16) {
        /* 32 bytes a round (the last 16 loaded first, overlapping the ones before) */
        __m128i acc = _mm_loadu_si128((const __m128i *)(p + n - 16));
        size_t i = 0;
        for (; i + 32 < n; i += 32)
            acc = _mm_or_si128(acc, _mm_or_si128(_mm_loadu_si128((const __m128i *)(p + i)),
                                                 _mm_loadu_si128((const __m128i *)(p + i + 16))));
        if (i + 16 < n)
            acc = _mm_or_si128(acc, _mm_loadu_si128((const __m128i *)(p + i)));
        return _mm_movemask_epi8(acc) == 0;
    }
#endif
    if (n >= 8) {
        uint64_t acc = 0, w;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, p + i, 8);
            acc |= w;
        }
        memcpy(&w, p + n - 8, 8);
        return ((acc | w) & 0x8080808080808080ULL) == 0;
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return ((a | b) & 0x80808080U) == 0;
    }
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= (unsigned char)p[i];
    return acc < 0x80;
}

/*
 * Length of the prefix of s that is valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF); s.len when all of it is. ASCII runs are
 * checked 16 bytes at a time where SSE2 is available, so a value that is all
 * ASCII (nearly every one) costs one pass of vector compares.
 */
size_t cn_utf8_valid_prefix(cn_str_t s);
/*
 * Copies s to dst as valid UTF-8: each byte or sequence that is not valid
 * UTF-8 becomes one U+FFFD, as browsers' UTF-8 decoder (the WHATWG Encoding
 * standard) reads it: a sequence cut short (E2 82 then 'A', or at the end of
 * s) is one U+FFFD, a byte that starts no sequence (80..C1, F5..FF) is one.
 * dst must have room for 3 * s.len bytes and must not overlap s. Returns the
 * length written.
 */
size_t cn_utf8_repair_to(cn_str_t s, char *dst);

#endif
