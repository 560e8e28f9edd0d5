/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Adobe AppMeasurement decoder: an image request (/b/ss/<rsid>/...,
 * GET, or POST with the query in the URL or in the body) becomes one
 * decoded hit. shared/protocols.md §2 lists the vocabulary; docs/hit.md
 * maps each parameter to its column.
 *
 * One pass over the names, then the values: collect() splits the request
 * into the parameter table (raw slices, so that the charset, ce, is known
 * before anything is decoded and D= dynamic variables can copy another
 * parameter or a request header) and matches each name once, sending the
 * parameter where the hit takes it: one of which the last counts (a field,
 * ce, AQE) to its slot, one each of which counts (a variable, pe, ts) to
 * the kept list, in order. Then the kept ones are decoded and filed in
 * order, and each slot's one value (the last given: no other is decoded).
 * The referrer, which only a visit's first hit needs, mostly stays as it
 * came until a visit asks for it (cn_decode_referrer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/url.h"
#include "process/internal.h"

#define MAX_PARAMS 4096
/* How far an explicit timestamp (ts) may be ahead of the hit's receive time. */
#define MAX_TS_AHEAD_US (24 * 3600 * 1000000LL)

/* A parameter as the splitter gives it, its name then decoded in place: value is
 * still encoded; value_special tells whether decoding or the UTF-8 check may change it
 * (it holds '%', '+' or a byte >= 0x80: cn_query_special()). */
typedef cn_query_pair_t param_t;

/*
 * What a parameter's name files (name_key()): the parameters of shared/protocols.md §2 that
 * canton keeps, one key for a name and its alias (pageName and gn, events and ev...).
 */
enum {
    /* a parameter the hit takes the last of: collect() notes it in its slot (c->slot) */
    K_NONE, /* a name canton does not keep (AQB, ndh, t, ns, j, bw...): a slot never read */
    K_AQE,  /* the request's end marker: it was not cut short */
    K_CE,   /* the charset */
    K_SECTION,
    K_CURRENCY,
    K_CAMPAIGN,
    K_VID,
    K_EVENTS,
    K_PAGE_NAME,
    K_PAGE_TYPE,
    K_PRODUCTS,
    K_PURCHASE_ID,
    K_LINK_URL,
    K_LINK_NAME,
    K_URL,
    K_URL_REST,
    K_REFERRER,
    K_SERVER,
    K_AID,
    K_MID,
    K_FID,
    K_SCREEN,
    K_SLOTS,
    /* a parameter each of which counts, in order: collect() keeps it (c->kept) */
    K_PROP = K_SLOTS, /* cN, propN: prop N (1 to 75) */
    K_EVAR,           /* vN, eVarN: eVar N (1 to 250) */
    K_LIST,           /* lN: list N (1 to 3) */
    K_HIER,           /* hN: hierarchy N (1 to 5) */
    K_LINK_TYPE,      /* pe: its last value that is not empty decides */
    K_TS,             /* each is checked: the first bad one is the hit's bad row */
    /* context data opens: collect()'s own */
    K_CTX, /* "c." or "c.=" */
};

/* A parameter each of which counts (a variable, pe, ts), as collect() keeps it: the parameter
 * (in the table: moved with it), its name's key (name_key(): K_PROP to K_TS) and its
 * variable's number. */
typedef struct kept {
    const param_t *p;
    uint16_t key, num;
} kept_t;

typedef struct actx {
    const cn_rawhit_t *raw;
    cn_dbatch_t *b;
    param_t *params;
    kept_t *kept; /* the parameters each of which counts, in order: cap of them */
    size_t count, cap;
    size_t kept_count;
    size_t query_count; /* params[0..query_count) come from the query, the rest from the body */
    bool ctx_opens;     /* some parameter opens context data ("c." outside it) */
    int charset;        /* ce: CN_CHARSET_* (charset.c) */
    /* for each key below K_SLOTS, the last parameter of its names outside context data (the
     * one the hit takes: ce, AQE, a field), else &no_param */
    const param_t *slot[K_SLOTS];
} actx_t;

/* The parameter of a slot that none filled: its value is CN_STR_NULL, decoded or not. */
static const param_t no_param;

/*
 * A value that holds a %uXXXX escape was written by JavaScript's escape(), as old s_code
 * versions write values (the oldest always; H-code in browsers without
 * encodeURIComponent). escape() writes a Latin-1 character as %XX and any other as %uXXXX,
 * on any page; with an s.charSet set, s_code even rewrites a value's first %XX above 0x7F
 * as %u00XX, so that the value shows its escapes are characters, not bytes in ce. So every
 * escape of such a value is a character (%XX is U+00XX, whatever ce says), as unescape()
 * reads it; the bytes between the escapes (escape() leaves none above 0x7F, but a request
 * may hold some) are still in the charset ce names. docs/hit.md says the same for users.
 */
static __attribute__((noinline, cold)) cn_str_t decode_escaped(cn_dbatch_t *b, int charset,
                                                               cn_str_t raw)
{
    if (charset == CN_CHARSET_UTF8) {
        char *p = cn_parena_alloc(&b->arena, raw.len);
        return cn_utf8_valid(b, cn_str(p, cn_url_unescape_to(raw, p)));
    }
    /* a run of n bytes gives at most 4n (charset.c); an escape is shorter than it was */
    char *out = cn_parena_alloc(&b->arena, 4 * raw.len);
    size_t o = 0;
    while (raw.len > 0) {
        size_t k = cn_url_special_prefix(raw);
        if (k > 0) {
            cn_str_t run = cn_charset_to_utf8(b, charset, cn_str(raw.ptr, k));
            memcpy(out + o, run.ptr, run.len);
            o += run.len;
            raw = cn_str(raw.ptr + k, raw.len - k);
            continue;
        }
        size_t w, took = cn_url_unescape_next(raw, out + o, &w);
        o += w;
        raw = cn_str(raw.ptr + took, raw.len - took);
    }
    return cn_str(out, o);
}

/*
 * Decodes a parameter value in the charset ce names; special says whether it holds '%', '+'
 * or a byte >= 0x80 (cn_query_special(): the splitter's flag). The result is always valid
 * UTF-8: a byte or sequence that is not (in a value taken as UTF-8) becomes U+FFFD here,
 * once, so every output shows the same text. A value that is not special is ASCII without
 * escapes, valid UTF-8 as it is: taken without a scan when the charset is UTF-8 (a stateful
 * charset such as ISO-2022-JP still reads its ESC, SO and SI bytes: converted as before).
 */
static inline cn_str_t decode_value_in(cn_dbatch_t *b, int charset, cn_str_t raw, bool special)
{
    if (!special)
        return charset == CN_CHARSET_UTF8 ? raw : cn_charset_to_utf8(b, charset, raw);
    /* (the decoder copies the runs without escapes 16 bytes at a time, the last ones past the
     * value's end: its slack) */
    char *p = cn_parena_alloc(&b->arena, raw.len + CN_URL_DECODE_SLACK);
    unsigned fl;
    cn_str_t s = cn_str(p, cn_url_decode_to_u(raw, p, &fl));
    if (fl & CN_URL_HAS_U) /* rare: decoded again, the other way */
        return decode_escaped(b, charset, raw);
    if (charset != CN_CHARSET_UTF8)
        return cn_charset_to_utf8(b, charset, s);
    if (!(fl & CN_URL_HIGH)) /* ASCII: valid UTF-8 without a scan */
        return s;
    size_t v = cn_utf8_valid_prefix(s);
    return v == s.len ? s : cn_utf8_repair(b, s, v);
}

static inline cn_str_t decode_value(actx_t *c, cn_str_t raw, bool special)
{
    return decode_value_in(c->b, c->charset, raw, special);
}

/* decode_value_in() out of line, for the callers outside the per-value loop (ce, context
 * data): one copy, so that the loop's callers keep their inlining. */
static __attribute__((noinline)) cn_str_t decode_value_ool(cn_dbatch_t *b, int charset,
                                                           cn_str_t raw, bool special)
{
    return decode_value_in(b, charset, raw, special);
}

cn_str_t cn_adobe_decode_value(cn_dbatch_t *b, int charset, cn_str_t raw)
{
    return decode_value_ool(b, charset, raw, cn_query_special(raw));
}

cn_str_t cn_decode_referrer(cn_dbatch_t *b, const cn_dhit_t *h)
{
    /* (referrer_of(): a UTF-8 request's value that needs decoding and gives no "D=") */
    return h->referrer_raw ? decode_value_ool(b, CN_CHARSET_UTF8, h->referrer, true) : h->referrer;
}

/*
 * The variable named name as the hit takes it: the last parameter of that name outside
 * context data (between c. and .c a key is context data, never a variable: ce, D= and the
 * hit's fields all skip it), as the decoding loop below files a variable given twice (the
 * last value wins). NULL when there is none.
 */
static inline const param_t *find_param(const actx_t *c, cn_str_t name)
{
    if (!c->ctx_opens) { /* nearly every hit: the last of that name, from the end */
        for (size_t i = c->count; i-- > 0;) {
            const param_t *p = &c->params[i];
            if (p->name.len == name.len &&
                (name.len == 0 ||
                 (p->name.ptr[0] == name.ptr[0] && memcmp(p->name.ptr, name.ptr, name.len) == 0)))
                return p;
        }
        return NULL;
    }
    const param_t *found = NULL;
    bool in_ctx = false;
    for (size_t i = 0; i < c->count; i++) {
        const param_t *p = &c->params[i];
        if (i == c->query_count)
            in_ctx = false; /* context data does not run on into the body */
        if (p->value.len == 0 && p->name.len == 2) { /* "c." opens context data, ".c" ends it */
            if (!in_ctx && p->name.ptr[0] == 'c' && p->name.ptr[1] == '.') {
                in_ctx = true;
                continue;
            }
            if (in_ctx && p->name.ptr[0] == '.' && p->name.ptr[1] == 'c') {
                in_ctx = false;
                continue;
            }
        }
        /* the first byte before memcmp: most names are a few bytes and differ there */
        if (!in_ctx && p->name.len == name.len &&
            (name.len == 0 ||
             (p->name.ptr[0] == name.ptr[0] && memcmp(p->name.ptr, name.ptr, name.len) == 0)))
            found = p;
    }
    return found;
}

/* The value a decoded "D=..." (v) stands for (out of line: rare, and its loops and buffer
 * would weigh on the decoding loop). */
static __attribute__((noinline)) cn_str_t dynamic_value(actx_t *c, cn_str_t v)
{
    cn_str_t ref = cn_str(v.ptr + 2, v.len - 2);
    const param_t *q = find_param(c, ref);
    if (q != NULL)
        return decode_value(c, q->value, q->value_special);
    char lower[128];
    if (ref.len > 0 && ref.len < sizeof(lower)) {
        for (size_t i = 0; i < ref.len; i++) {
            char ch = ref.ptr[i];
            lower[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        }
        cn_str_t h = cn_rawhit_header(c->raw, cn_str(lower, ref.len));
        if (h.ptr != NULL)
            return cn_parena_dup(&c->b->arena, h);
    }
    return cn_str("", 0); /* a reference to nothing gives an empty value, as Adobe does */
}

/* value_of() for a value that may need decoding or a D= lookup: inline in the decoding loop
 * (a call for each such value cost more than the code it adds there), the D= lookup out of
 * line. */
static inline __attribute__((always_inline)) cn_str_t value_of_slow(actx_t *c, const param_t *p)
{
    cn_str_t v = decode_value(c, p->value, p->value_special);
    if (v.len >= 2 && v.ptr[0] == 'D' && v.ptr[1] == '=')
        return dynamic_value(c, v);
    return v;
}

/*
 * The value of a parameter with D= resolved (one level: Adobe does not chain). Most values
 * are ASCII without escapes in a UTF-8 request: their own decoded text, taken as they are
 * unless they start with "D=" (the decoded value of one that is not special is its raw
 * bytes, so the raw bytes tell).
 */
static inline cn_str_t value_of(actx_t *c, const param_t *p)
{
    cn_str_t v = p->value;
    if (!p->value_special && c->charset == CN_CHARSET_UTF8 &&
        !(v.len >= 2 && v.ptr[0] == 'D' && v.ptr[1] == '='))
        return v;
    return value_of_slow(c, p);
}

/*
 * The referrer as the hit keeps it: raw (*raw set) when its decoding can wait for a visit that
 * needs it (cn_decode_referrer): a value of a UTF-8 request that needs decoding, whose decoded
 * text cannot start with "D=" (its first two bytes are no escape, nor "D="; a value that may
 * is decoded now, as every other) and stays within CN_DEC_MAX_VALUE decoded (a byte gives at
 * most three: U+FFFD for an invalid one). Else its value, as value_of() gives it.
 */
static inline cn_str_t referrer_of(actx_t *c, const param_t *p, bool *raw)
{
    cn_str_t v = p->value;
    if (p->value_special && c->charset == CN_CHARSET_UTF8 && v.len >= 2 &&
        v.len <= CN_DEC_MAX_VALUE / 3 && v.ptr[0] != '%' && v.ptr[1] != '%' &&
        !(v.ptr[0] == 'D' && v.ptr[1] == '=')) {
        *raw = true;
        return v;
    }
    return value_of(c, p);
}

/* The number that k digits at d (1 to 3) write, 0 when one is not a digit or the first is 0
 * ("c012" is no prop). */
static inline unsigned var_digits(const char *d, size_t k)
{
    unsigned n = 0;
    for (size_t i = 0; i < k; i++) {
        unsigned x = (unsigned)(unsigned char)d[i] - '0';
        if (x > 9)
            return 0;
        n = n * 10 + x;
    }
    return d[0] == '0' ? 0 : n;
}

/* Two bytes as one number, to switch on. */
#define B2(a, b) ((unsigned)(unsigned char)(a) | (unsigned)(unsigned char)(b) << 8)

/*
 * The key of parameter p's name (K_*), and for a numbered variable its number in *num. Names
 * are exact (case-sensitive) but for the "var" of eVarN, which takes any case ("evar1" and
 * "eVAR1" are eVar1, "EVar1" is nothing). A switch on the length first, then on a byte or
 * two, so that a name canton does not keep costs a few comparisons.
 */
static inline unsigned name_key(const param_t *p, unsigned *num)
{
    const char *s = p->name.ptr;
    unsigned n;
    static const uint8_t one[256] = {['g'] = K_URL, ['r'] = K_REFERRER, ['s'] = K_SCREEN};
    switch (p->name.len) {
    case 1:
        return one[(unsigned char)s[0]];
    case 2:
        if ((n = (unsigned)(unsigned char)s[1] - '0') - 1 < 9) { /* '1' to '9' */
            *num = n;
            switch (s[0]) {
            case 'c':
                return K_PROP;
            case 'v':
                return K_EVAR;
            case 'l':
                return n <= 3 ? K_LIST : K_NONE;
            case 'h':
                return n <= 5 ? K_HIER : K_NONE;
            default:
                return K_NONE;
            }
        }
        switch (B2(s[0], s[1])) {
        case B2('c', '.'):
            return p->value.len == 0 ? K_CTX : K_NONE;
        case B2('c', 'e'):
            return K_CE;
        case B2('c', 'h'):
            return K_SECTION;
        case B2('c', 'c'):
            return K_CURRENCY;
        case B2('v', '0'):
            return K_CAMPAIGN;
        case B2('e', 'v'):
            return K_EVENTS;
        case B2('p', 'l'):
            return K_PRODUCTS;
        case B2('p', 'e'):
            return K_LINK_TYPE;
        case B2('-', 'g'):
            return K_URL_REST;
        case B2('g', 'n'):
            return K_PAGE_NAME;
        case B2('g', 't'):
            return K_PAGE_TYPE;
        case B2('s', 'v'):
            return K_SERVER;
        case B2('t', 's'):
            return K_TS;
        default:
            return K_NONE;
        }
    case 3:
        if ((s[0] == 'c' || s[0] == 'v') && (n = var_digits(s + 1, 2)) != 0) {
            *num = n;
            return s[0] == 'v' ? K_EVAR : n <= 75 ? K_PROP : K_NONE;
        }
        switch (s[0]) {
        case 'v':
            return memcmp(s, "vid", 3) == 0 ? K_VID : K_NONE;
        case 'a':
            return memcmp(s, "aid", 3) == 0 ? K_AID : K_NONE;
        case 'm':
            return memcmp(s, "mid", 3) == 0 ? K_MID : K_NONE;
        case 'f':
            return memcmp(s, "fid", 3) == 0 ? K_FID : K_NONE;
        case 'A':
            return memcmp(s, "AQE", 3) == 0 ? K_AQE : K_NONE;
        default:
            return K_NONE;
        }
    case 4:
        if (s[0] == 'v' && (n = var_digits(s + 1, 3)) != 0 && n <= 250) {
            *num = n;
            return K_EVAR;
        }
        if (memcmp(s, "pev", 3) == 0)
            return s[3] == '1' ? K_LINK_URL : s[3] == '2' ? K_LINK_NAME : K_NONE;
        return K_NONE;
    case 5:
    case 6:
    case 7:
        if (memcmp(s, "prop", 4) == 0) {
            n = var_digits(s + 4, p->name.len - 4);
            *num = n;
            return n != 0 && n <= 75 ? K_PROP : K_NONE;
        }
        if (s[0] == 'e' && (s[1] | 0x20) == 'v' && (s[2] | 0x20) == 'a' && (s[3] | 0x20) == 'r') {
            n = var_digits(s + 4, p->name.len - 4);
            *num = n;
            return n != 0 && n <= 250 ? K_EVAR : K_NONE;
        }
        if (p->name.len == 6) {
            if (memcmp(s, "events", 6) == 0)
                return K_EVENTS;
            if (memcmp(s, "server", 6) == 0)
                return K_SERVER;
        }
        return K_NONE;
    case 8:
        if (memcmp(s, "pageName", 8) == 0)
            return K_PAGE_NAME;
        if (memcmp(s, "pageType", 8) == 0)
            return K_PAGE_TYPE;
        if (memcmp(s, "products", 8) == 0)
            return K_PRODUCTS;
        return K_NONE;
    case 10:
        return memcmp(s, "purchaseID", 10) == 0 ? K_PURCHASE_ID : K_NONE;
    default:
        return K_NONE;
    }
}

#undef B2

/*
 * Splits q into the parameter table and sends each parameter, in the same pass over the names,
 * where the hit takes it: a parameter of which the last counts (a field, ce, AQE) to its slot
 * (c->slot, a store: no test, no decoding), one each of which counts (a variable, pe, ts) to
 * c->kept, in order; and notes whether context data opens. Between c. and .c a key is context
 * data, never a variable (ce, AQE and the hit's fields all skip it); context data does not run
 * on from the query into the body (one call each).
 */
static int collect(actx_t *c, cn_str_t q, cn_err_t *err)
{
    bool in_ctx = false;
    /* the splitter writes straight into the table, as many pairs as it has room for */
    while (q.len > 0) {
        if (c->count == c->cap) {
            if (c->count == MAX_PARAMS) {
                param_t more; /* only empty pairs ("&&") may follow */
                if (cn_query_split(&q, &more, 1) == 0)
                    break;
                cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d parameters", MAX_PARAMS);
                return CN_BADROW_TOO_BIG;
            }
            /* the tables start on the stack; long requests move them to the arena */
            size_t ncap = c->cap * 4 > MAX_PARAMS ? MAX_PARAMS : c->cap * 4;
            param_t *np =
                (param_t *)cn_parena_alloc(&c->b->arena, ncap * (sizeof(param_t) + sizeof(kept_t)));
            kept_t *nk = (kept_t *)(np + ncap);
            memcpy(np, c->params, c->count * sizeof(param_t));
            for (size_t i = 0; i < c->kept_count; i++)
                nk[i] = (kept_t){np + (c->kept[i].p - c->params), c->kept[i].key, c->kept[i].num};
            for (size_t i = 0; i < K_SLOTS; i++) {
                if (c->slot[i] != &no_param)
                    c->slot[i] = np + (c->slot[i] - c->params);
            }
            c->params = np;
            c->kept = nk;
            c->cap = ncap;
        }
        param_t *const first = c->params + c->count;
        size_t got = cn_query_split(&q, first, c->cap - c->count);
        /* a pointer walk with the context's fields kept out of the loop: the stores to them
         * would otherwise make the compiler reload c->params for every pair */
        const param_t **const slot = c->slot;
        kept_t *k = c->kept + c->kept_count;
        for (param_t *pr = first, *const end = first + got; pr < end; pr++) {
            if (__builtin_expect(pr->name_special | in_ctx, 0)) { /* (one test for both) */
                if (pr->name_special) {
                    char *p = cn_parena_alloc(&c->b->arena, pr->name.len);
                    pr->name = cn_str(p, cn_url_decode_to(pr->name, p));
                }
                if (in_ctx) { /* contextData["pageName"] is not the page name */
                    in_ctx = !(pr->value.len == 0 && cn_str_eq_c(pr->name, ".c"));
                    continue;
                }
            }
            unsigned num = 0, key = name_key(pr, &num);
            if (__builtin_expect(key < K_SLOTS, 1)) {
                slot[key] = pr;
                continue;
            }
            if (key != K_CTX) {
                *k++ = (kept_t){pr, (uint16_t)key, (uint16_t)num};
                continue;
            }
            c->ctx_opens = in_ctx = true;
        }
        c->kept_count = (size_t)(k - c->kept);
        c->count += got;
    }
    return 0;
}

/* n digits at *p as a number (advancing *p), or -1. */
static int digits(const char **p, const char *end, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/*
 * Unix seconds, or ISO 8601 in the forms Adobe's timestamp variable takes: a
 * date and a time separated by T, each in the extended (2024-01-01T10:30:00)
 * or the basic form (20240101T103000); seconds optional, fraction optional;
 * zone Z, +HH:MM, +HHMM, +HH or none (UTC). 0, or -1 with why (why_len bytes) saying
 * what is wrong (after "ts '...' "), for the bad row's detail.
 */
static int parse_ts(cn_str_t s, int64_t *out, char *why, size_t why_len)
{
    static const char *const form = "is neither Unix seconds nor an ISO 8601 time "
                                    "(YYYY-MM-DDThh:mm[:ss][Z|+hh:mm], or without separators)";
    static const char *const range = "is before 1970 or after 3000";
#define TS_BAD(...)                                                                                \
    do {                                                                                           \
        snprintf(why, why_len, __VA_ARGS__);                                                       \
        return -1;                                                                                 \
    } while (0)
    int64_t secs;
    if (cn_str_to_i64(s, &secs) == 0) {
        if (secs < 0 || secs > 32503680000LL)
            TS_BAD("is Unix seconds before 1970 or after 3000");
        *out = secs * 1000000;
        return 0;
    }
    const char *p = s.ptr, *end = s.ptr + s.len;
    int y = digits(&p, end, 4), mo, d, hh, mi, ss = 0;
    bool ext = p < end && *p == '-'; /* extended form: separators */
    if (y < 0)
        TS_BAD("%s", form);
    p += ext;
    if ((mo = digits(&p, end, 2)) < 0)
        TS_BAD("%s", form);
    if (ext && (p >= end || *p++ != '-'))
        TS_BAD("%s", form);
    if ((d = digits(&p, end, 2)) < 0 || p >= end || *p++ != 'T' || (hh = digits(&p, end, 2)) < 0)
        TS_BAD("%s", form);
    if (ext && (p >= end || *p++ != ':'))
        TS_BAD("%s", form);
    if ((mi = digits(&p, end, 2)) < 0)
        TS_BAD("%s", form);
    int64_t frac_us = 0;
    if (p < end && (ext ? *p == ':' : (*p >= '0' && *p <= '9'))) {
        p += ext;
        if ((ss = digits(&p, end, 2)) < 0)
            TS_BAD("%s", form);
        if (p < end && (*p == '.' || *p == ',')) {
            p++;
            if (p >= end || *p < '0' || *p > '9')
                TS_BAD("%s", form);
            for (int64_t scale = 100000; p < end && *p >= '0' && *p <= '9'; p++, scale /= 10)
                frac_us += (*p - '0') * scale;
        }
    }
    int64_t off = 0;
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if ((oh = digits(&p, end, 2)) < 0)
            TS_BAD("%s", form);
        if (oh > 23)
            TS_BAD("has a zone offset of %d hours (at most 23)", oh);
        if (p < end) {
            p += *p == ':';
            if ((om = digits(&p, end, 2)) < 0)
                TS_BAD("%s", form);
            if (om > 59)
                TS_BAD("has a zone offset of %d minutes (at most 59)", om);
        }
        off = sign * (oh * 3600 + om * 60);
    }
    if (p != end)
        TS_BAD("%s", form);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const char *const months[12] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12)
        TS_BAD("has month %02d, which does not exist (01 to 12)", mo);
    /* timegm would make 2026-02-31 March 3rd: refused */
    if (d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        TS_BAD("has day %02d, which %s %04d does not have (01 to %02d)", d, months[mo - 1], y,
               mo == 2 && !leap ? 28 : mdays[mo - 1]);
    if (hh > 23)
        TS_BAD("has hour %02d (00 to 23)", hh);
    if (mi > 59)
        TS_BAD("has minute %02d (00 to 59)", mi);
    if (ss > 60)
        TS_BAD("has second %02d (00 to 60)", ss);
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = hh,
                    .tm_min = mi,
                    .tm_sec = ss};
    time_t t = timegm(&tm);
    *out = ((int64_t)t - off) * 1000000 + frac_us;
    if (*out < 0 || *out > 32503680000LL * 1000000)
        TS_BAD("%s", range);
    return 0;
#undef TS_BAD
}

/*
 * The id inside an s_vi cookie: "[CS]v1|<id>[CE]", percent-decoded and made valid UTF-8 as
 * every other Adobe value is (cn_utf8_valid: each invalid byte or sequence is one U+FFFD), so
 * that the visitor key a hit gives does not depend on which of the ids it came by. Asked on
 * most Adobe hits (it ranks before mid): one memchr pass for "s_vi=" over the headers first,
 * a tenth of finding the cookie header line by line.
 */
static cn_str_t s_vi_cookie(const cn_rawhit_t *raw, cn_dbatch_t *b)
{
    const char *h = raw->headers.ptr, *u = h;
    if (h == NULL)
        return CN_STR_NULL; /* no headers (NULL + 0 would be undefined) */
    const char *end = h + raw->headers.len;
    while ((u = memchr(u, '_', (size_t)(end - u))) != NULL &&
           !(u > h && u[-1] == 's' && end - u >= 4 && memcmp(u + 1, "vi=", 3) == 0))
        u++;
    if (u == NULL)
        return CN_STR_NULL;
    cn_str_t cookies = cn_rawhit_header(raw, CN_STR_LIT("cookie"));
    cn_str_t rest = cookies, kv;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ';', &kv);
        kv = cn_str_trim(kv);
        if (kv.len <= 5 || memcmp(kv.ptr, "s_vi=", 5) != 0)
            continue;
        cn_str_t v = cn_str(kv.ptr + 5, kv.len - 5);
        if (cn_url_needs_decode(v)) {
            char *p = cn_parena_alloc(&b->arena, v.len);
            v = cn_str(p, cn_url_decode_to(v, p));
        }
        const char *bar = memchr(v.ptr, '|', v.len);
        if (bar == NULL)
            return CN_STR_NULL;
        cn_str_t id = cn_str(bar + 1, v.len - (size_t)(bar + 1 - v.ptr));
        if (id.len >= 4 && memcmp(id.ptr + id.len - 4, "[CE]", 4) == 0)
            id.len -= 4;
        return id.len > 0 ? cn_utf8_valid(b, id) : CN_STR_NULL;
    }
    return CN_STR_NULL;
}

/* The most of a purchaseID that Adobe keeps, in bytes. */
#define PURCHASE_ID_MAX 20

/*
 * A purchaseID (decoded, valid UTF-8) as it identifies an order: without the white space
 * around it (Adobe documents none; ` O17 ` and `O17` are one order, docs/processing.md
 * "Orders and currency" says why), then at most PURCHASE_ID_MAX bytes, as Adobe keeps it
 * (its purchaseID page: a longer value is truncated, and a later purchase whose truncated
 * value matches is a repeat), cut back to a character's boundary so that the id stays valid
 * UTF-8.
 */
static cn_str_t purchase_id(cn_str_t v)
{
    v = cn_str_trim(v);
    if (v.len <= PURCHASE_ID_MAX)
        return v;
    size_t n = PURCHASE_ID_MAX;
    while (n > 0 && ((unsigned char)v.ptr[n] & 0xc0) == 0x80)
        n--; /* v.ptr[n] is the first byte cut off: a continuation byte belongs to the cut */
    return cn_str_trim(cn_str(v.ptr, n));
}

/*
 * The products string's events (field 5) as Adobe counts them, against the events variable:
 * - a product's eventN counts only when the events variable lists eventN too (Adobe: the
 *   addProductEvent plug-in "also automatically adds the event to the events variable, since
 *   it is also required there"); unlisted, it is dropped (the item row stays);
 * - listed bare ("event1") and given a value by products ("...;event1=4.5"), the products'
 *   values are what counts: the bare entry only names the event (Adobe's example of a
 *   numeric event "using the products variable" sends events=event1 and counts 4.5);
 * - listed with a value ("event1=5") or a serialization id ("event1:ID") while products give
 *   eventN too, the events variable's value is used and the products' are dropped (Adobe:
 *   "the value in events is used").
 * The hit's events are the batch's last ones (an Adobe request is one hit): compacted in place.
 */
static void product_events_by_the_events_variable(cn_dbatch_t *b, cn_dhit_t *h)
{
    if (h->prod_count == 0 || h->ev_count == 0)
        return;
    cn_devent_t *ev = b->events + h->ev_first;
    uint32_t i = 0;
    while (i < h->ev_count && ev[i].product < 0)
        i++;
    if (i == h->ev_count) /* no product events: the common case */
        return;
    uint64_t bare[(CN_DEC_MAX_EVENT_NUM + 64) / 64] = {0};
    uint64_t valued[(CN_DEC_MAX_EVENT_NUM + 64) / 64] = {0};
    uint64_t by_product[(CN_DEC_MAX_EVENT_NUM + 64) / 64] = {0};
#define BIT(set, n) (((set)[(n) >> 6] >> ((n)&63)) & 1)
    for (i = 0; i < h->ev_count; i++) {
        unsigned n = ev[i].num;
        if (n == 0)
            continue;
        uint64_t *set = ev[i].product >= 0                        ? by_product
                        : ev[i].has_value || ev[i].serial.len > 0 ? valued
                                                                  : bare;
        set[n >> 6] |= (uint64_t)1 << (n & 63);
    }
    uint32_t out = 0;
    for (i = 0; i < h->ev_count; i++) {
        unsigned n = ev[i].num;
        bool keep = true;
        if (n != 0 && ev[i].product >= 0)
            keep = BIT(bare, n) && !BIT(valued, n);
        else if (n != 0 && !ev[i].has_value && ev[i].serial.len == 0)
            keep = !BIT(by_product, n) || BIT(valued, n);
        if (keep)
            ev[out++] = ev[i];
    }
#undef BIT
    b->event_count -= h->ev_count - out;
    h->ev_count = out;
}

/*
 * Files a variable of the query (a prop, eVar, list or hierarchy: var), its last value the
 * hit's: given twice (c1=a&c1=b, or c1 and prop1; v1 and eVar1), the last value replaces the
 * first in its row, as every other variable given twice is taken (the last one wins), so that
 * the hit has one row per variable and allocation=original takes b too. given: a bit per
 * variable filed so far (bit), so that a variable given once (the usual case) needs no search.
 */
static int add_hit_var(cn_dbatch_t *b, cn_dhit_t *h, uint64_t *given, unsigned bit, uint32_t var,
                       cn_str_t v, cn_err_t *err)
{
    if (given[bit >> 6] >> (bit & 63) & 1) {
        for (size_t i = b->var_count; i > h->var_first; i--) {
            if (b->vars[i - 1].var == var && b->vars[i - 1].product < 0) {
                b->vars[i - 1].value = v;
                return 0;
            }
        }
    }
    given[bit >> 6] |= (uint64_t)1 << (bit & 63);
    return cn_decode_vars_add(b, h, var, v, err);
}

/* The suite list from the path /b/ss/<rsid>/... when the collector gave none. */
static cn_str_t suite_from_path(cn_str_t path)
{
    static const char pre[] = "/b/ss/";
    if (path.len <= sizeof(pre) - 1 || memcmp(path.ptr, pre, sizeof(pre) - 1) != 0)
        return CN_STR_NULL;
    cn_str_t s = cn_str(path.ptr + 6, path.len - 6), head;
    cn_str_split(s, '/', &head);
    return head;
}

int cn_decode_adobe(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    param_t stack_params[256];
    kept_t stack_kept[256];
    actx_t c = {.raw = raw,
                .b = b,
                .params = stack_params,
                .kept = stack_kept,
                .cap = 256,
                .charset = CN_CHARSET_UTF8};
    for (size_t i = 0; i < K_SLOTS; i++)
        c.slot[i] = &no_param;
    int rc = 0;
    if ((rc = collect(&c, raw->query, err)) != 0)
        return rc;
    c.query_count = c.count; /* context data does not run on from the query into the body */
    /* A long request's body holds the query string; a server-side sender may gzip it (the
     * collector flags a body that starts with 1f 8b). */
    cn_str_t body = raw->body;
    if (raw->flags & CN_RAWHIT_GZIP_BODY) {
        if ((rc = cn_decode_gunzip(body, &b->body, err)) != 0)
            return rc;
        body = cn_buf_str(&b->body);
    }
    if (body.len > 0 && memchr(body.ptr, '=', body.len) != NULL) {
        if ((rc = collect(&c, body, err)) != 0)
            return rc;
    }
    if (c.count == 0) {
        cn_err_set(err, CN_BADROW_EMPTY, "request carries no parameters");
        return CN_BADROW_EMPTY;
    }
    b->suites = raw->suite.len > 0 ? raw->suite : suite_from_path(raw->path);

    /* the last ce outside context data, as find_param() gives it */
    const param_t *ce = c.slot[K_CE];
    /* ("UTF-8", as nearly every hit says it, is its own decoded text, and the charset already:
     * no call) */
    if (ce != &no_param && !cn_str_eq_c(ce->value, "UTF-8")) {
        c.charset = cn_charset_find(
            b, ce->value_special ? decode_value_ool(b, c.charset, ce->value, true) : ce->value);
    }

    cn_dhit_t *h = cn_dbatch_add_hit(b);
    h->type = CN_HIT_PAGEVIEW;
    h->truncated = c.slot[K_AQE] == &no_param;
    /* add_hit_var's bits: eVars by number in evar_given; props by number (1 to 75), lists
     * at 80 + N and hierarchies at 90 + N in var_given */
    uint64_t evar_given[4] = {0}, var_given[2] = {0};

    /* the parameters each of which counts (none in context data: it is decoded below) */
    for (const kept_t *k = c.kept, *const k_end = k + c.kept_count; k < k_end; k++) {
        const unsigned num = k->num;
        cn_str_t v = value_of(&c, k->p);
        switch (k->key) {
        case K_PROP:
            if (v.len > 0 &&
                (rc = add_hit_var(b, h, var_given, num, CN_VAR_PROP | num, v, err)) != 0)
                return rc;
            break;
        case K_EVAR:
            if (v.len > 0 &&
                (rc = add_hit_var(b, h, evar_given, num, CN_VAR_EVAR | num, v, err)) != 0)
                return rc;
            break;
        case K_LIST: /* kept whole: processing splits it with the suite's delimiter (listN) */
            if (v.len > 0 &&
                (rc = add_hit_var(b, h, var_given, 80 + num, CN_VAR_LIST | num, v, err)) != 0)
                return rc;
            break;
        case K_HIER:
            if (v.len > 0 &&
                (rc = add_hit_var(b, h, var_given, 90 + num, CN_VAR_HIER | num, v, err)) != 0)
                return rc;
            break;
        case K_LINK_TYPE:
            if (cn_str_eq_c(v, "lnk_d"))
                h->type = CN_HIT_DOWNLOAD;
            else if (cn_str_eq_c(v, "lnk_e"))
                h->type = CN_HIT_EXIT;
            else if (v.len > 0)
                h->type = CN_HIT_LINK;
            break;
        case K_TS: {
            char why[128];
            if (parse_ts(v, &h->ts_us, why, sizeof(why)) != 0) {
                cn_err_set(err, CN_BADROW_BAD_TIMESTAMP, "ts '%.*s' %s", CN_STR_FMT(v), why);
                return CN_BADROW_BAD_TIMESTAMP;
            }
            /* A device clock far ahead would move the visitor's last-hit time into the future
             * and merge all their later hits into one visit: refused, by the receive time
             * (never the wall clock: a reprocess decides the same). */
            if (raw->recv_us < h->ts_us - MAX_TS_AHEAD_US) { /* (no overflow: ts_us >= 0) */
                char recv[32];
                cn_time_fmt_iso(raw->recv_us, recv);
                cn_err_set(err, CN_BADROW_BAD_TIMESTAMP,
                           "ts '%.*s' is more than 24 hours after the hit's receive time %s",
                           CN_STR_FMT(v), recv);
                return CN_BADROW_BAD_TIMESTAMP;
            }
            break;
        }
        default:
            break;
        }
    }

    /* the fields, each the last value given (a slot that none filled gives CN_STR_NULL);
     * only the values the hit takes are decoded */
    const param_t *const *const slot = c.slot;
#define FIELD(key, dst)                                                                            \
    do {                                                                                           \
        if (slot[key] != &no_param) /* (the hit's fields start as CN_STR_NULL) */                  \
            dst = value_of(&c, slot[key]);                                                         \
    } while (0)
    FIELD(K_SECTION, h->section);
    FIELD(K_CURRENCY, h->currency);
    FIELD(K_CAMPAIGN, h->campaign);
    FIELD(K_PAGE_NAME, h->page_name);
    FIELD(K_PAGE_TYPE, h->page_type);
    FIELD(K_LINK_URL, h->link_url);
    FIELD(K_LINK_NAME, h->link_name);
    if (slot[K_REFERRER] != &no_param)
        h->referrer = referrer_of(&c, slot[K_REFERRER], &h->referrer_raw);
    FIELD(K_SERVER, h->server);
    FIELD(K_SCREEN, h->screen);
    if (slot[K_PURCHASE_ID] != &no_param)
        h->purchase_id = purchase_id(value_of(&c, slot[K_PURCHASE_ID]));
    cn_str_t g = CN_STR_NULL, g_rest = CN_STR_NULL, events = CN_STR_NULL, products = CN_STR_NULL;
    FIELD(K_URL, g);
    FIELD(K_URL_REST, g_rest);
    FIELD(K_EVENTS, events);
    FIELD(K_PRODUCTS, products);
#undef FIELD
    bool has_events = slot[K_EVENTS] != &no_param, has_products = slot[K_PRODUCTS] != &no_param;

    if (g_rest.len > 0) {
        char *p = cn_parena_alloc(&b->arena, g.len + g_rest.len);
        if (g.len > 0) /* g may be absent: no memcpy from NULL */
            memcpy(p, g.ptr, g.len);
        memcpy(p + g.len, g_rest.ptr, g_rest.len);
        g = cn_str(p, g.len + g_rest.len);
    }
    h->url = g;
    /* Adobe's order: vid, then the Analytics ID (aid, which is the s_vi cookie's id: the
     * cookie itself when the request carries it), mid, fid */
    cn_str_t id;
#define ID(key) (slot[key] != &no_param && (id = value_of(&c, slot[key])).len > 0)
    if (ID(K_VID)) {
        h->visitor_id = id;
        h->vid_src = CN_VID_VID;
    } else if (ID(K_AID)) {
        h->visitor_id = id;
        h->vid_src = CN_VID_AID;
    } else if ((id = s_vi_cookie(raw, b)).len > 0) {
        h->visitor_id = id;
        h->vid_src = CN_VID_COOKIE;
    } else if (ID(K_MID)) {
        h->visitor_id = id;
        h->vid_src = CN_VID_MID;
    } else if (ID(K_FID)) {
        h->visitor_id = id;
        h->vid_src = CN_VID_FID;
    }
#undef ID
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0 && h->page_name.len == 0) {
        cn_err_set(err, CN_BADROW_NO_PAGE_URL, "page view without g (URL) or pageName");
        return CN_BADROW_NO_PAGE_URL;
    }
    if (!cn_decode_currency_ok(h->currency)) {
        cn_err_set(err, CN_BADROW_BAD_CURRENCY, "cc '%.*s' is not an ISO 4217 code",
                   CN_STR_FMT(h->currency));
        return CN_BADROW_BAD_CURRENCY;
    }
    if (has_events && (rc = cn_decode_events(events, b, h, -1, err)) != 0)
        return rc;
    uint8_t cart_events = h->events; /* the events variable's; products add custom ones only */
    if (has_products && (rc = cn_decode_products(products, b, h, err)) != 0)
        return rc;
    product_events_by_the_events_variable(b, h);
    /*
     * Adobe's automatic product view (the Product Views metric's definition): a hit whose
     * products give at least one item and whose events variable holds no shopping-cart event
     * (any event that is not a custom eventN: prodView, scOpen, scView, scAdd, scRemove,
     * scCheckout, purchase) counts a prodView, as if it had said prodView (decoded the same
     * way, so the rows are the same). Custom events alone (event1...) do not take it away.
     * Products that give no item (blank) count none: an item without a product id is a
     * bad_products bad row, so no view is ever counted for an empty product, and an unknown
     * event name is a bad_events bad row. Adobe hits only: canton JSON says product_view
     * itself, and imported rows carry the events as Adobe (post_event_list) or canton
     * (export) counted them.
     */
    if (cart_events == 0 && h->prod_count > 0 &&
        (rc = cn_decode_events(CN_STR_LIT("prodView"), b, h, -1, err)) != 0)
        return rc;
    if (c.ctx_opens) {
        cn_str_t q = raw->query;
        if ((rc = cn_decode_contextdata(q, b, h, c.charset, err)) != 0)
            return rc;
        if (body.len > 0 && (rc = cn_decode_contextdata(body, b, h, c.charset, err)) != 0)
            return rc;
    }
    return 0;
}
