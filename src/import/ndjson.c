/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NDJSON rows without a JSON tree: one pass over the line copies each member's
 * name and value into the scratch buffer as the import writes them (strings
 * unescaped, numbers as rows.c prints jansson's values, arrays and objects as
 * the compact text json_dumps() gives), with no allocation per member.
 *
 * It takes only lines it is sure of, as process/canton_json.c's light parser
 * does: anything else (every error, a member name with an escape, a name
 * twice in one object at any depth, \u0000, a number of 64 bytes or more or one
 * strtod/strtoll cannot hold exactly as jansson would, nesting deeper than
 * 32, more than 2048 members) is left to jansson (rows.c), the reference,
 * which also names the column of an error. fuzz_import_row checks that both
 * give the same raw hit or the same bad line for any bytes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/internal.h"
#include "lib/str.h"

#define MAX_MEMBERS 2048 /* rows.c MAX_COLUMNS: more are jansson's (a bad-columns line) */
#define MAX_DEPTH   32

/* A member name seen in an object being scanned, for duplicates (jansson's rule). */
typedef struct jkey {
    const char *ptr; /* in the line: names with an escape are never scanned here */
    uint32_t len, hash;
} jkey_t;

typedef struct scan {
    const char *end;
    cn_buf_t *out;  /* scratch: names and values */
    cn_buf_t *keys; /* jkey_t stack: the names of each open object */
    int depth;
} scan_t;

static inline void room(cn_buf_t *b, size_t n)
{
    if (b->cap - b->len <= n)
        cn_buf_reserve(b, n);
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/*
 * A string whose body starts at p (after its quote), appended to s->out: unescaped
 * (dump false: a member's value), or as json_dumps() writes it, quotes included (dump
 * true: inside an array or object). Returns the byte after the closing quote, or NULL.
 * Every escape gives at most the bytes it is written in, so the output never outgrows
 * the rest of the line.
 */
static const char *scan_string(scan_t *s, const char *p, bool dump)
{
    const char *end = s->end;
    room(s->out, (size_t)(end - p) + 2);
    char *o = s->out->ptr + s->out->len;
    if (dump)
        *o++ = '"';
    p = cn_json_unescape(p, end, &o, dump);
    if (p == NULL || p >= end)
        return NULL; /* bad text, or no closing quote */
    if (dump)
        *o++ = '"';
    s->out->len = (size_t)(o - s->out->ptr);
    return p + 1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number at p: its end, or NULL for bad syntax. *real tells a fraction or exponent. */
static const char *number_end(const char *p, const char *end, bool *real)
{
    *real = false;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        *real = true;
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *real = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    return p;
}

/* The double of a real's text as jansson reads it; false when strtod over- or underflows
 * (jansson refuses the one and keeps the other: it decides). */
static bool real_value(const char *st, size_t n, double *out)
{
    char buf[64];
    memcpy(buf, st, n);
    buf[n] = 0;
    errno = 0;
    char *e;
    *out = strtod(buf, &e);
    return errno == 0 && e == buf + n;
}

/*
 * A real as json_dumps() writes it (jansson's jsonp_dtostr with precision 17): "%.17g",
 * ".0" added when that has neither '.' nor 'e', and no '+' or leading zeros in the
 * exponent. out holds 64 bytes.
 */
static size_t dump_real(double d, char *out)
{
    if (d > -1e17 && d < 1e17 && d == (double)(long long)d) {
        /* "%.17g" writes such a number's digits in full: then ".0" */
        size_t n =
            (size_t)snprintf(out, 64, "%s%lld.0", d == 0 && signbit(d) ? "-" : "", (long long)d);
        return n;
    }
    size_t n = (size_t)snprintf(out, 64, "%.17g", d);
    if (memchr(out, '.', n) == NULL && memchr(out, 'e', n) == NULL) {
        memcpy(out + n, ".0", 3);
        n += 2;
    }
    char *e = memchr(out, 'e', n);
    if (e != NULL) {
        char *start = e + 1, *z = start + 1;
        if (*start == '-')
            start++;
        while (*z == '0')
            z++;
        if (z != start) {
            memmove(start, z, (size_t)(out + n - z) + 1);
            n -= (size_t)(z - start);
        }
    }
    return n;
}

/*
 * A number at p appended to s->out: for a member's value (dump false) as rows.c prints
 * jansson's integer ("%lld") or real (cn_import__shortest_double), inside an array or
 * object as json_dumps() does. Returns its end, or NULL.
 */
static const char *scan_number(scan_t *s, const char *p, bool dump)
{
    bool real;
    const char *q = number_end(p, s->end, &real);
    if (q == NULL || q - p >= 64)
        return NULL;
    size_t n = (size_t)(q - p);
    room(s->out, 64);
    char *o = s->out->ptr + s->out->len;
    if (real) {
        double d;
        if (!real_value(p, n, &d))
            return NULL;
        n = dump ? dump_real(d, o) : cn_import__shortest_double(d, o);
    } else if (n == 2 && p[0] == '-' && p[1] == '0') {
        o[0] = '0'; /* the integer 0 */
        n = 1;
    } else {
        if (n - (p[0] == '-') > 18) { /* could be past int64: strtoll decides, as jansson's */
            char buf[64], *e;
            memcpy(buf, p, n);
            buf[n] = 0;
            errno = 0;
            (void)strtoll(buf, &e, 10);
            if (errno != 0 || e != buf + n)
                return NULL;
        }
        memcpy(o, p, n); /* no leading zeros: "%lld" writes the same digits */
    }
    s->out->len += n;
    return q;
}

static inline uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

/* The names an object has so far, as two 256-bit masks of hash bits: only a name whose two
 * bits are both set already is compared with the earlier names. */
typedef struct seen {
    uint64_t a[4], b[4];
} seen_t;

/*
 * A member name at p (its opening quote): checked and pushed on s->keys. NULL when jansson
 * must decide: an escape in it (the name it means needs unescaping to compare), a bad
 * byte, or a name the object already has (jansson keeps the last value in the first
 * place). base is the object's first name on the stack.
 */
static const char *scan_key(scan_t *s, const char *p, size_t base, seen_t *seen)
{
    const char *k = p + 1, *q = k, *end = s->end;
    for (;;) {
        q = cn_json_plain_run(q, end);
        if (q >= end)
            return NULL;
        if (*q == '"')
            break;
        if ((unsigned char)*q < 0x80)
            return NULL; /* an escape or a control byte */
        size_t n = cn_utf8_seq((const unsigned char *)q, (const unsigned char *)end);
        if (n == 0)
            return NULL;
        q += n;
    }
    size_t len = (size_t)(q - k);
    uint32_t h = key_hash(k, len), ha = h & 255, hb = (h >> 8) & 255;
    uint64_t ba = (uint64_t)1 << (ha & 63), bb = (uint64_t)1 << (hb & 63);
    size_t count = s->keys->len / sizeof(jkey_t);
    if ((seen->a[ha >> 6] & ba) && (seen->b[hb >> 6] & bb)) {
        const jkey_t *keys = (const jkey_t *)(const void *)s->keys->ptr;
        for (size_t i = base; i < count; i++)
            if (keys[i].hash == h && keys[i].len == len && memcmp(keys[i].ptr, k, len) == 0)
                return NULL;
    }
    seen->a[ha >> 6] |= ba;
    seen->b[hb >> 6] |= bb;
    if (count - base >= MAX_MEMBERS)
        return NULL;
    room(s->keys, sizeof(jkey_t));
    jkey_t *keys = (jkey_t *)(void *)s->keys->ptr;
    keys[count] = (jkey_t){k, (uint32_t)len, h};
    s->keys->len += sizeof(jkey_t);
    return q + 1;
}

static const char *scan_value(scan_t *s, const char *p, bool dump);

/* An array or object at p ('[' or '{') appended to s->out as json_dumps() writes it. */
static const char *scan_container(scan_t *s, const char *p)
{
    const char *end = s->end;
    if (++s->depth > MAX_DEPTH)
        return NULL;
    bool obj = *p == '{';
    char close = obj ? '}' : ']';
    size_t base = s->keys->len / sizeof(jkey_t);
    seen_t seen = {0};
    room(s->out, 2);
    s->out->ptr[s->out->len++] = *p;
    p = skip_ws(p + 1, end);
    if (p < end && *p == close) {
        s->out->ptr[s->out->len++] = close;
        s->depth--;
        return p + 1;
    }
    for (;;) {
        if (obj) {
            if (p >= end || *p != '"')
                return NULL;
            const char *k = p;
            p = scan_key(s, p, base, &seen);
            if (p == NULL)
                return NULL;
            /* the name as it is in the line: it has no escape, so the dump is the same */
            room(s->out, (size_t)(p - k) + 1);
            memcpy(s->out->ptr + s->out->len, k, (size_t)(p - k));
            s->out->len += (size_t)(p - k);
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            s->out->ptr[s->out->len++] = ':';
            p = skip_ws(p + 1, end);
        }
        p = scan_value(s, p, true);
        if (p == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p >= end)
            return NULL;
        room(s->out, 1);
        if (*p == ',') {
            s->out->ptr[s->out->len++] = ',';
            p = skip_ws(p + 1, end);
            continue;
        }
        if (*p != close)
            return NULL;
        s->out->ptr[s->out->len++] = close;
        s->keys->len = base * sizeof(jkey_t);
        s->depth--;
        return p + 1;
    }
}

static bool literal(const char *p, const char *end, const char *lit, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* A value at p (no white space before it). A null appends nothing; the caller tells it
 * from an empty string by the byte at p. */
static const char *scan_value(scan_t *s, const char *p, bool dump)
{
    const char *end = s->end;
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
        return scan_string(s, p + 1, dump);
    case '{':
    case '[':
        return scan_container(s, p);
    case 't':
        if (!literal(p, end, "true", 4))
            return NULL;
        cn_buf_append(s->out, "true", 4);
        return p + 4;
    case 'f':
        if (!literal(p, end, "false", 5))
            return NULL;
        cn_buf_append(s->out, "false", 5);
        return p + 5;
    case 'n':
        if (!literal(p, end, "null", 4))
            return NULL;
        if (dump)
            cn_buf_append(s->out, "null", 4);
        return p + 4;
    default:
        return scan_number(s, p, dump);
    }
}

long cn_import__json_scan(cn_str_t line, cn_buf_t *out, cn_buf_t *members, cn_buf_t *keys)
{
    scan_t s = {.end = line.ptr + line.len, .out = out, .keys = keys};
    const char *p = skip_ws(line.ptr, s.end), *end = s.end;
    members->len = 0;
    keys->len = 0;
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    seen_t seen = {0};
    long n = 0;
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= end || *p != '"')
                return -1;
            const char *k = p + 1;
            p = scan_key(&s, p, 0, &seen);
            if (p == NULL)
                return -1;
            size_t klen = (size_t)(p - 1 - k);
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return -1;
            p = skip_ws(p + 1, end);
            cn_import_jmember_t m = {.is_null = p < end && *p == 'n'};
            room(out, klen + 1);
            m.key = out->len;
            memcpy(out->ptr + out->len, k, klen);
            out->ptr[out->len + klen] = '\0';
            out->len += klen + 1;
            m.val = out->len;
            p = scan_value(&s, p, false);
            if (p == NULL)
                return -1;
            m.val_len = out->len - m.val;
            room(out, 1);
            out->ptr[out->len++] = '\0';
            room(members, sizeof(m));
            memcpy(members->ptr + members->len, &m, sizeof(m));
            members->len += sizeof(m);
            n++;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p >= end || *p != '}')
                return -1;
            p++;
            break;
        }
    }
    return skip_ws(p, end) == end ? n : -1;
}

/*
 * Writes d in the fewest significant digits that read back as d (12.5, 0.1, 19.99: what
 * the file most likely said, not 0.10000000000000001) into out (64 bytes); returns the length.
 */
size_t cn_import__shortest_double(double d, char *out)
{
    /* whole numbers as digits, never 1.79e+15 (a µs timestamp written as a real) */
    if (d > -1e17 && d < 1e17 && d == (double)(long long)d)
        return (size_t)snprintf(out, 64, "%lld", (long long)d);
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(out, 64, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    return (size_t)len;
}
