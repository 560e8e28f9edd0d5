/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders for canton's own protocols: the JSON batch (POST /api/collect,
 * one object with "suite", "visitor" and 1..500 "events") and the pixel
 * (GET /i?suite=..&type=..&url=..). The vocabulary is in docs/hit.md; the
 * body may be gzip (flagged by the collector or starting with 1f 8b) and is
 * inflated under CN_DEC_MAX_BODY (cn_decode_gunzip, decode.c).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"
#include "process/internal.h"

typedef struct etype {
    const char *name;
    uint8_t type;
    uint8_t ev;
} etype_t;

static const etype_t etypes[] = {
    {"pageview", CN_HIT_PAGEVIEW, 0},
    {"event", CN_HIT_LINK, 0},
    {"product_view", CN_HIT_LINK, CN_EV_PROD_VIEW},
    {"cart_add", CN_HIT_LINK, CN_EV_CART_ADD},
    {"cart_remove", CN_HIT_LINK, CN_EV_CART_REMOVE},
    {"checkout", CN_HIT_LINK, CN_EV_CHECKOUT},
    {"purchase", CN_HIT_LINK, CN_EV_PURCHASE},
    {"outbound", CN_HIT_EXIT, 0},
    {"download", CN_HIT_DOWNLOAD, 0},
};

static const etype_t *find_etype(cn_str_t s)
{
    for (size_t i = 0; i < sizeof(etypes) / sizeof(etypes[0]); i++) {
        if (cn_str_eq_c(s, etypes[i].name))
            return &etypes[i];
    }
    return NULL;
}

/*
 * A light JSON tree in the batch arena. The common body (UTF-8 strings
 * without escapes, plain numbers, no duplicate keys) is parsed here in one
 * pass without a malloc per node; anything else (escapes, bytes that are not
 * UTF-8, deep nesting, errors) goes to jansson, whose tree is copied into the same
 * node shape, so both paths walk one decoder and give the same rows and the
 * same error texts. The light parser accepts only a subset of what jansson
 * accepts, so it never lets through a body jansson rejects.
 */
enum { JN_NULL, JN_FALSE, JN_TRUE, JN_INT, JN_REAL, JN_STR, JN_ARR, JN_OBJ };

typedef struct jn jn_t;
struct jn {
    uint8_t t;
    const char *key; /* member name when inside an object */
    size_t klen;
    const char *s; /* JN_STR; a JN_INT or JN_REAL number's text (then i or d is unset) */
    size_t len;
    int64_t i;          /* JN_INT without text; read it with jn_int() */
    double d;           /* JN_REAL without text; read it with jn_real() */
    jn_t *first, *next; /* containers: children in order */
    size_t count;
};

typedef struct jpool {
    cn_parena_t *a;
    jn_t *chunk;
    size_t left;
} jpool_t;

static jn_t *jn_new(jpool_t *pl, uint8_t t)
{
    if (pl->left == 0) {
        /* 32 nodes (2.5 KiB): a one-event body takes about 13, and the chunk stays
         * inside a small first arena block (the pipeline's 8 KiB, pipe.c) */
        pl->chunk = (jn_t *)cn_parena_alloc(pl->a, 32 * sizeof(jn_t));
        pl->left = 32;
    }
    jn_t *n = pl->chunk++;
    pl->left--;
    *n = (jn_t){.t = t};
    return n;
}

/* A number's text as a C string for strtod/strtoll; false when it does not fit. */
static bool num_text(const char *s, size_t n, char buf[64])
{
    if (n >= 64)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return true;
}

/*
 * The value of a JN_INT: the light parser keeps the text of one below 19 bytes (it
 * cannot overflow, and most numbers, such as the "ts" the decoder ignores, are never
 * read); jansson's tree and longer numbers keep the value.
 */
static int64_t jn_int(const jn_t *v)
{
    if (v->s == NULL)
        return v->i;
    const char *q = v->s + (v->s[0] == '-'), *e = v->s + v->len;
    int64_t i = 0;
    while (q < e)
        i = i * 10 + (*q++ - '0');
    return v->s[0] == '-' ? -i : i;
}

/* The value of a JN_REAL: the light parser keeps only the text (strtod is slow and most
 * amounts never need the double, see jmoney), jansson's tree the double. */
static double jn_real(const jn_t *v)
{
    if (v->s == NULL)
        return v->d;
    char buf[64];
    if (!num_text(v->s, v->len, buf)) /* the light parser refuses these */
        return 0;
    return strtod(buf, NULL);
}

typedef struct jp {
    const char *end;
    jpool_t pool;
    int depth;
} jp_t;

static inline const char *jp_ws(const char *p, const char *end)
{
    /* one test for the common case: the next byte is not white space */
    while (p < end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The first byte at or after p that is not a decimal digit (or end). */
static inline const char *skip_digits(const char *p, const char *end)
{
#ifdef __SSE2__
    /* 16 bytes at a time: a byte is a digit when its distance above '0' is at most 9 */
    while (end - p >= 16) {
        __m128i x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)p), _mm_set1_epi8('0'));
        unsigned nd =
            ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x)) &
            0xffffu;
        if (nd)
            return p + __builtin_ctz(nd);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* 8 bytes at a time: a byte is a digit when its high nibble is 3 and stays 3 after
     * adding 6; a carry out of a byte only reaches bytes after the first non-digit */
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t nd =
            ((x & 0xf0f0f0f0f0f0f0f0ull) ^ 0x3030303030303030ull) |
            (((x + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) ^ 0x3030303030303030ull);
        if (nd)
            return p + (__builtin_ctzll(nd) >> 3);
        p += 8;
    }
#endif
    while (p < end && is_digit(*p))
        p++;
    return p;
}

/* jp_str_end() past the first non-ASCII byte, at q: the rest of the string, its UTF-8
 * sequences checked as jansson checks them. */
static __attribute__((noinline)) const char *jp_str_end_utf8(const char *q, const char *end)
{
    for (;;) {
        size_t n = cn_utf8_seq((const unsigned char *)q, (const unsigned char *)end);
        if (n == 0)
            return NULL;
        q = cn_json_plain_run(q + n, end);
        if (q >= end)
            return NULL;
        if (*q == '"')
            return q;
        if ((unsigned char)*q < 0x80)
            return NULL; /* an escape or a control byte */
    }
}

/*
 * p just after a string's opening quote: its closing quote, or NULL when the
 * string has an escape, a control byte or bytes that are not UTF-8, or no end
 * (jansson decides). UTF-8 text (a page title in Chinese) stays here: its bytes
 * are the string jansson would give.
 */
static inline const char *jp_str_end(const char *p, const char *end)
{
    const char *q = cn_json_plain_run(p, end);
    if (__builtin_expect(q < end && *q == '"', 1))
        return q;
    return q < end && (unsigned char)*q >= 0x80 ? jp_str_end_utf8(q, end) : NULL;
}

/*
 * A string with escapes (p just after its opening quote), unescaped into arena a as jansson
 * unescapes it: *out, and the position after the closing quote; NULL for what jansson
 * refuses or this leaves to it (a control byte, bytes that are not UTF-8, a bad escape,
 * \u0000, a lone surrogate, no end). Only strings with escapes are copied: an escape never
 * takes fewer bytes than what it stands for, so the copy fits in the text's length.
 */
static __attribute__((noinline)) const char *jp_str_unescape(cn_parena_t *a, const char *p,
                                                             const char *end, cn_str_t *out)
{
    const char *q = p; /* the closing quote: the first '"' that is not escaped */
    for (;;) {
        q = cn_json_plain_run(q, end);
        if (q >= end)
            return NULL;
        if (*q == '"')
            break;
        if (*q == '\\')
            q += 2;
        else if ((unsigned char)*q >= 0x80)
            q++; /* (checked below) */
        else
            return NULL; /* a control byte */
        if (q > end)
            return NULL;
    }
    char *o = cn_parena_alloc(a, (size_t)(q - p)), *o0 = o;
    if (cn_json_unescape(p, q, &o, false) != q)
        return NULL;
    *out = cn_str(o0, (size_t)(o - o0));
    return q + 1;
}

/*
 * A number at *pp (a '-' or a digit) into *v (its t, s, len and i: the node may be a
 * reused one), *pp moved past it; false sends the body to jansson (bad syntax, 64 bytes
 * or more, out of range).
 */
static bool jp_num_to(const char **pp, const char *end, jn_t *v)
{
    const char *p = *pp, *st = p;
    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return false;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return false;
    } else {
        p = skip_digits(p, end);
    }
    bool real = false, expo = false;
    if (p < end && *p == '.') {
        real = true;
        p++;
        if (p >= end || !is_digit(*p))
            return false;
        p = skip_digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = expo = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return false;
        p = skip_digits(p, end);
    }
    size_t n = (size_t)(p - st);
    char buf[64];
    if (n >= 64)
        return false;
    if (real) {
        /* Without an exponent and below 64 bytes, a number is within 1e-63..1e64:
         * strtod cannot overflow or underflow, so the double waits for jn_real(). */
        if (expo) {
            char *e;
            num_text(st, n, buf);
            errno = 0;
            strtod(buf, &e);
            if (errno != 0 || e != buf + n)
                return false;
        }
        v->t = JN_REAL;
        v->s = st; /* the text, for amounts (jmoney) */
        v->len = n;
    } else if (n <= 18) { /* no overflow: jn_int() gives what strtoll gives */
        v->t = JN_INT;
        v->s = st;
        v->len = n;
    } else {
        char *e;
        num_text(st, n, buf);
        errno = 0;
        long long i = strtoll(buf, &e, 10);
        if (errno != 0 || e != buf + n)
            return false;
        v->t = JN_INT;
        v->s = NULL;
        v->len = 0;
        v->i = i;
    }
    *pp = p;
    return true;
}

/*
 * A member name's slot in an object's 64-bit "names seen" mask: only a name
 * whose slot is taken is compared with the earlier names (duplicates go to
 * jansson, which names them).
 */
static inline unsigned key_slot(const char *k, size_t kl)
{
    unsigned h = (unsigned)kl * 7u;
    if (kl > 0)
        h += (unsigned char)k[0] * 3u + (unsigned char)k[kl - 1] + (unsigned char)k[kl >> 1];
    return h & 63u;
}

static jn_t *jp_value(jp_t *j, const char **pp);

/* An object or array at *pp ('{' or '['), *pp moved past it. */
static jn_t *jp_container(jp_t *j, const char **pp)
{
    const char *p = *pp, *end = j->end;
    if (++j->depth > 32)
        return NULL;
    bool obj = *p == '{';
    char close = obj ? '}' : ']';
    jn_t *v = jn_new(&j->pool, obj ? JN_OBJ : JN_ARR), **tail = &v->first;
    uint64_t seen = 0;
    p = jp_ws(p + 1, end);
    if (p < end && *p == close) {
        *pp = p + 1;
        j->depth--;
        return v;
    }
    for (;;) {
        const char *k = NULL;
        size_t kl = 0;
        if (obj) {
            p = jp_ws(p, end);
            if (p >= end || *p != '"')
                return NULL;
            const char *q = jp_str_end(p + 1, end);
            if (q == NULL)
                return NULL;
            k = p + 1;
            kl = (size_t)(q - k);
            if (v->count >= 64)
                return NULL;
            uint64_t bit = (uint64_t)1 << key_slot(k, kl);
            if (seen & bit) {
                for (jn_t *o = v->first; o; o = o->next) {
                    if (o->klen == kl && memcmp(o->key, k, kl) == 0)
                        return NULL; /* duplicate: jansson says which */
                }
            }
            seen |= bit;
            p = jp_ws(q + 1, end);
            if (p >= end || *p != ':')
                return NULL;
            p++;
        }
        jn_t *m = jp_value(j, &p);
        if (m == NULL)
            return NULL;
        m->key = k;
        m->klen = kl;
        *tail = m;
        tail = &m->next;
        v->count++;
        p = jp_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != close)
            return NULL;
        *pp = p + 1;
        j->depth--;
        return v;
    }
}

static bool jp_lit(const char **pp, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
        return false;
    *pp += n;
    return true;
}

/* Any value at *pp (after white space), *pp moved past it. */
static jn_t *jp_value(jp_t *j, const char **pp)
{
    const char *p = jp_ws(*pp, j->end);
    if (p >= j->end)
        return NULL;
    char c = *p;
    if (c == '"') {
        const char *q = jp_str_end(p + 1, j->end);
        if (q == NULL)
            return NULL;
        jn_t *v = jn_new(&j->pool, JN_STR);
        v->s = p + 1;
        v->len = (size_t)(q - p - 1);
        *pp = q + 1;
        return v;
    }
    if (c == '{' || c == '[') {
        *pp = p;
        return jp_container(j, pp);
    }
    if (c == '-' || is_digit(c)) {
        jn_t *v = jn_new(&j->pool, JN_NULL);
        if (!jp_num_to(&p, j->end, v))
            return NULL;
        *pp = p;
        return v;
    }
    uint8_t t;
    if (jp_lit(&p, j->end, "true", 4))
        t = JN_TRUE;
    else if (jp_lit(&p, j->end, "false", 5))
        t = JN_FALSE;
    else if (jp_lit(&p, j->end, "null", 4))
        t = JN_NULL;
    else
        return NULL;
    *pp = p;
    return jn_new(&j->pool, t);
}

/* The light parse of a whole body: an object or array and nothing after it. */
static jn_t *jp_parse(cn_parena_t *a, cn_str_t body)
{
    jp_t j = {.end = body.ptr + body.len, .pool = {.a = a}};
    const char *p = jp_ws(body.ptr, j.end);
    if (p >= j.end || (*p != '{' && *p != '['))
        return NULL;
    jn_t *root = jp_container(&j, &p);
    if (root == NULL)
        return NULL;
    p = jp_ws(p, j.end);
    return p == j.end ? root : NULL;
}

/* Copies jansson's tree into nodes; strings point into it (it lives until the walk ends). */
static jn_t *from_jansson(jpool_t *pl, json_t *v)
{
    jn_t *n;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        n = jn_new(pl, JN_OBJ);
        jn_t **tail = &n->first;
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            jn_t *c = from_jansson(pl, m);
            c->key = k;
            c->klen = strlen(k);
            *tail = c;
            tail = &c->next;
            n->count++;
        }
        return n;
    }
    case JSON_ARRAY: {
        n = jn_new(pl, JN_ARR);
        jn_t **tail = &n->first;
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            jn_t *c = from_jansson(pl, m);
            *tail = c;
            tail = &c->next;
            n->count++;
        }
        return n;
    }
    case JSON_STRING:
        n = jn_new(pl, JN_STR);
        n->s = json_string_value(v);
        n->len = json_string_length(v);
        return n;
    case JSON_INTEGER:
        n = jn_new(pl, JN_INT);
        n->i = (int64_t)json_integer_value(v);
        return n;
    case JSON_REAL:
        n = jn_new(pl, JN_REAL);
        n->d = json_real_value(v);
        return n;
    case JSON_TRUE:
        return jn_new(pl, JN_TRUE);
    case JSON_FALSE:
        return jn_new(pl, JN_FALSE);
    default:
        return jn_new(pl, JN_NULL);
    }
}

/*
 * The tree's strings point into the body when the light parser made it (the
 * raw hit's, or the batch's inflated copy: both outlive the batch's use, as
 * adobe.c's slices into the query do), and into jansson's tree, freed once
 * the walk ends, when jansson made it. keep() copies them in that case only.
 * (The fast path's strings with escapes are unescaped copies in the batch's
 * arena: they live as long as the body's.)
 */
static cn_str_t keep(cn_dbatch_t *b, bool borrow, cn_str_t s)
{
    if (borrow)
        return s.len > 0 ? s : cn_str("", 0);
    return cn_parena_dup(&b->arena, s);
}

/* A JSON string (v: a member or NULL), kept; "" when absent, -1 when not a string. */
static int jstr_of(cn_dbatch_t *b, bool borrow, const jn_t *v, cn_str_t *out)
{
    *out = cn_str("", 0);
    if (v == NULL || v->t == JN_NULL)
        return 0;
    if (v->t != JN_STR)
        return -1;
    *out = keep(b, borrow, cn_str(v->s, v->len));
    return 0;
}

/* The members of an event the decoder reads. */
enum {
    EF_TYPE,
    EF_URL,
    EF_REFERRER,
    EF_TITLE,
    EF_NAME,
    EF_TARGET,
    EF_SCREEN,
    EF_LANG,
    EF_ORDER_ID,
    EF_CURRENCY,
    EF_REVENUE,
    EF_ITEMS,
    EF_PROPS,
    EF_COUNT
};

#define KEY_IS(k, kl, lit) ((kl) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

/* Which EF_ member key k is, or -1. */
static int ev_field(const char *k, size_t kl)
{
    switch (kl) {
    case 3:
        return KEY_IS(k, kl, "url") ? EF_URL : -1;
    case 4:
        return KEY_IS(k, kl, "type")   ? EF_TYPE
               : KEY_IS(k, kl, "name") ? EF_NAME
               : KEY_IS(k, kl, "lang") ? EF_LANG
                                       : -1;
    case 5:
        return KEY_IS(k, kl, "title")   ? EF_TITLE
               : KEY_IS(k, kl, "items") ? EF_ITEMS
               : KEY_IS(k, kl, "props") ? EF_PROPS
                                        : -1;
    case 6:
        return KEY_IS(k, kl, "target") ? EF_TARGET : KEY_IS(k, kl, "screen") ? EF_SCREEN : -1;
    case 7:
        return KEY_IS(k, kl, "revenue") ? EF_REVENUE : -1;
    case 8:
        return KEY_IS(k, kl, "referrer")   ? EF_REFERRER
               : KEY_IS(k, kl, "order_id") ? EF_ORDER_ID
               : KEY_IS(k, kl, "currency") ? EF_CURRENCY
                                           : -1;
    default:
        return -1;
    }
}

/*
 * True when a JSON number's text is [-]D.F with at most 9 digits D and 1..6
 * digits F (no exponent). Such a number is below 2^30, where a double is
 * closer than 1e-7 to it, so "%.6f" of the double prints the text back
 * (F padded with zeros), and parsing the text as an amount gives the same.
 */
static bool plain_decimal(cn_str_t t)
{
    size_t i = t.len > 0 && t.ptr[0] == '-' ? 1 : 0, d = 0, f = 0;
    while (i < t.len && is_digit(t.ptr[i]))
        i++, d++;
    if (d == 0 || d > 9 || i == t.len || t.ptr[i] != '.')
        return false;
    for (i++; i < t.len && is_digit(t.ptr[i]); i++)
        f++;
    return i == t.len && f >= 1 && f <= 6;
}

/* A JSON number or numeric string as fixed point. */
static int jmoney(const jn_t *v, int64_t *out)
{
    if (v->t == JN_INT) {
        int64_t i = jn_int(v);
        if (i > 100000000000000LL || i < -100000000000000LL)
            return -1;
        *out = i * CN_MONEY_SCALE;
        return 0;
    }
    char buf[64];
    if (v->t == JN_REAL) {
        if (v->s != NULL && plain_decimal(cn_str(v->s, v->len)))
            return cn_parse_money(cn_str(v->s, v->len), out); /* what %.6f would give */
        /* %.6f then exact decimal parsing: 207.6 stays 2076000, not 2075999 */
        snprintf(buf, sizeof(buf), "%.6f", jn_real(v));
        return cn_parse_money(cn_str_c(buf), out);
    }
    if (v->t == JN_STR)
        return cn_parse_money(cn_str(v->s, v->len), out);
    return -1;
}

/*
 * Why jmoney refused v (it did): not a number, not a decimal amount, or too big. Bad-row
 * details name the member but not a number's text: the light parser keeps the text, jansson
 * (cn__decode_canton_json_ref) only the value, and both must give the same detail.
 */
static const char *jmoney_why(const jn_t *v)
{
    if (v->t == JN_STR)
        return cn_decode_money_why(cn_str(v->s, v->len));
    if (v->t == JN_INT || v->t == JN_REAL)
        return "is out of range (at most 14 digits before the point)";
    return "is not a number";
}

/*
 * A quantity: a whole number from 0 to CN_DEC_MAX_QTY, also written with a zero fraction
 * (2.0: what Python's json.dumps writes for a float). NULL and *out, or why q is not one.
 */
static const char *jqty(const jn_t *q, int64_t *out)
{
    if (q->t == JN_INT) {
        int64_t v = jn_int(q);
        if (v < 0)
            return "is negative";
        if (v > CN_DEC_MAX_QTY)
            return "is over 1000000000";
        *out = v;
        return NULL;
    }
    if (q->t != JN_REAL)
        return q->t == JN_STR ? "is a string, not a number" : "is not a number";
    double d = jn_real(q);
    if (d < 0)
        return "is negative";
    if (d > CN_DEC_MAX_QTY)
        return "is over 1000000000";
    if (d != (double)(int64_t)d)
        return "is not a whole number";
    *out = (int64_t)d;
    return NULL;
}

#define BAD(code, ...)                                                                             \
    do {                                                                                           \
        cn_err_set(err, code, __VA_ARGS__);                                                        \
        return code;                                                                               \
    } while (0)

/* The commerce event the hit's type names (a purchase, a cart add...), as an event entry of
 * its own, as the Adobe decoder files one; nothing for the types without one. */
static void add_type_event(cn_dbatch_t *b, cn_dhit_t *h)
{
    if (h->events == 0)
        return;
    cn_devent_t e = {.flag = h->events, .product = -1};
    if (b->event_count == b->event_cap) {
        b->event_cap = b->event_cap ? b->event_cap * 2 : 16;
        b->events = realloc(b->events, b->event_cap * sizeof(*b->events));
        if (b->events == NULL)
            abort();
    }
    b->events[b->event_count++] = e;
    h->ev_count++;
}

/* The members of an item (events[].items[]) the decoder reads. */
enum { IF_SKU, IF_CATEGORY, IF_NAME, IF_QUANTITY, IF_PRICE, IF_COUNT };

/* Which IF_ member key k is, or -1. */
static int item_field(const char *k, size_t kl)
{
    switch (kl) {
    case 3:
        return KEY_IS(k, kl, "sku") ? IF_SKU : -1;
    case 4:
        return KEY_IS(k, kl, "name") ? IF_NAME : -1;
    case 5:
        return KEY_IS(k, kl, "price") ? IF_PRICE : -1;
    case 8:
        return KEY_IS(k, kl, "category")   ? IF_CATEGORY
               : KEY_IS(k, kl, "quantity") ? IF_QUANTITY
                                           : -1;
    default:
        return -1;
    }
}

/*
 * Item i of event idx from its members the decoder reads (f[IF_*], NULL when absent), added
 * to b's products; the caller counts it in its hit.
 */
static int decode_item(cn_dbatch_t *b, bool borrow, const jn_t *const f[IF_COUNT], size_t idx,
                       size_t i, cn_err_t *err)
{
    cn_dprod_t p = {0};
    if (jstr_of(b, borrow, f[IF_SKU], &p.sku) || jstr_of(b, borrow, f[IF_CATEGORY], &p.category))
        BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu]: sku/category not a string", idx, i);
    if (p.sku.len == 0 && jstr_of(b, borrow, f[IF_NAME], &p.sku) != 0)
        BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu].name not a string", idx, i);
    if (p.sku.len == 0)
        BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu] has no sku", idx, i);
    int64_t qty = 1;
    const jn_t *q = f[IF_QUANTITY], *pr = f[IF_PRICE];
    const char *qty_why = q != NULL && q->t != JN_NULL ? jqty(q, &qty) : NULL;
    if (qty_why != NULL)
        BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].quantity %s", idx, i, qty_why);
    p.qty = qty;
    p.has_qty = true;
    if (pr != NULL && pr->t != JN_NULL) {
        int64_t unit;
        if (jmoney(pr, &unit) != 0)
            BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].price %s", idx, i, jmoney_why(pr));
        if (unit < 0) /* a negative price would take revenue away from the order */
            BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].price is negative", idx, i);
        p.price = unit * qty; /* the JSON carries the unit price; rows keep line totals */
        p.has_price = true;
    }
    if (b->prod_count == b->prod_cap) {
        b->prod_cap = b->prod_cap ? b->prod_cap * 2 : 16;
        b->prods = realloc(b->prods, b->prod_cap * sizeof(*b->prods));
        if (b->prods == NULL)
            abort();
    }
    b->prods[b->prod_count++] = p;
    return 0;
}

/*
 * The members of an event the decoder reads, as decode_event_fields() takes them: what
 * the general path finds in the event's node and the fast path as it parses.
 */
enum { EF_NSTR = EF_CURRENCY + 1 }; /* EF_TYPE..EF_CURRENCY are the string members */
typedef struct evin {
    cn_str_t str[EF_NSTR]; /* the non-empty strings (kept), where has says; the rest unset */
    uint32_t has;          /* EF_ bits: str[] holds that member's string */
    uint32_t other; /* EF_ bits: a string member holds something else than a string or null */
    const jn_t *revenue, *items, *props; /* NULL when absent */
} evin_t;

/* String member f of an event: "" when absent, null or empty. */
static inline cn_str_t ev_str(const evin_t *in, int f)
{
    return in->has & (1u << f) ? in->str[f] : cn_str("", 0);
}

/* Event idx from its members the decoder reads. */
static int decode_event_fields(cn_dbatch_t *b, bool borrow, const evin_t *in, size_t idx,
                               cn_str_t visitor, cn_err_t *err)
{
    if (in->other & (1u << EF_TYPE))
        BAD(CN_BADROW_BAD_JSON, "events[%zu].type is not a string", idx);
    cn_str_t type = ev_str(in, EF_TYPE);
    const etype_t *et = find_etype(type.len ? type : CN_STR_LIT("pageview"));
    if (et == NULL)
        BAD(CN_BADROW_BAD_JSON, "events[%zu].type '%.*s' is unknown", idx, CN_STR_FMT(type));
    cn_dhit_t *h = cn_dbatch_add_hit(b);
    h->type = et->type;
    h->events = et->ev;
    h->visitor_id = visitor;
    h->vid_src = visitor.len ? CN_VID_VID : CN_VID_NONE;
    if (in->other != 0)
        BAD(CN_BADROW_BAD_JSON, "events[%zu]: a string field has another type", idx);
    h->url = ev_str(in, EF_URL);
    h->referrer = ev_str(in, EF_REFERRER);
    h->page_name = ev_str(in, EF_TITLE);
    h->screen = ev_str(in, EF_SCREEN);
    h->language = ev_str(in, EF_LANG);
    h->purchase_id = ev_str(in, EF_ORDER_ID);
    h->currency = ev_str(in, EF_CURRENCY);
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0)
        BAD(CN_BADROW_NO_PAGE_URL, "events[%zu]: page view without url", idx);
    if (h->type != CN_HIT_PAGEVIEW) {
        h->link_name = ev_str(in, EF_NAME);
        h->link_url = ev_str(in, EF_TARGET);
    }
    if (h->purchase_id.len > 0)
        h->purchase_id = cn_str_trim(h->purchase_id); /* " O17 " is the order O17 */
    if (!cn_decode_currency_ok(h->currency))
        BAD(CN_BADROW_BAD_CURRENCY, "events[%zu]: currency '%.*s' is not ISO 4217", idx,
            CN_STR_FMT(h->currency));
    if (h->events != 0)
        add_type_event(b, h);
    const jn_t *rev = in->revenue;
    if (rev != NULL && rev->t != JN_NULL) {
        if (jmoney(rev, &h->revenue) != 0)
            BAD(CN_BADROW_BAD_JSON, "events[%zu].revenue %s", idx, jmoney_why(rev));
        if (h->revenue < 0) /* as a negative price: no order takes revenue away */
            BAD(CN_BADROW_BAD_JSON, "events[%zu].revenue is negative", idx);
        h->has_revenue = true;
    }
    const jn_t *items = in->items;
    if (items != NULL && items->t != JN_NULL) {
        if (items->t != JN_ARR)
            BAD(CN_BADROW_BAD_JSON, "events[%zu].items is not an array", idx);
        if (items->count > CN_DEC_MAX_PRODUCTS)
            BAD(CN_BADROW_TOO_BIG, "events[%zu]: more than %d items", idx, CN_DEC_MAX_PRODUCTS);
        size_t i = 0;
        for (const jn_t *it = items->first; it; it = it->next, i++) {
            if (it->t != JN_OBJ)
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu] is not an object", idx, i);
            /* one walk over the members, as for the event */
            const jn_t *itf[IF_COUNT] = {NULL};
            for (const jn_t *m = it->first; m; m = m->next) {
                int k = item_field(m->key, m->klen);
                if (k >= 0)
                    itf[k] = m;
            }
            int rc = decode_item(b, borrow, itf, idx, i, err);
            if (rc != 0)
                return rc;
            h->prod_count++;
        }
    }
    const jn_t *props = in->props;
    if (props != NULL && props->t != JN_NULL) {
        if (props->t != JN_OBJ)
            BAD(CN_BADROW_BAD_JSON, "events[%zu].props is not an object", idx);
        for (const jn_t *v = props->first; v; v = v->next) {
            char num[64];
            cn_str_t val;
            if (v->t == JN_STR) {
                val = cn_str(v->s, v->len);
            } else if (v->t == JN_INT) {
                snprintf(num, sizeof(num), "%lld", (long long)jn_int(v));
                val = cn_str_c(num);
            } else if (v->t == JN_REAL) {
                snprintf(num, sizeof(num), "%.17g", jn_real(v));
                val = cn_str_c(num);
            } else if (v->t == JN_TRUE || v->t == JN_FALSE) {
                val = v->t == JN_TRUE ? CN_STR_LIT("true") : CN_STR_LIT("false");
            } else {
                BAD(CN_BADROW_BAD_JSON, "events[%zu].props.%.*s is not a string or number", idx,
                    (int)v->klen, v->key);
            }
            /* (val may be num, on the stack: always copied) */
            int rc = cn_decode_ctx_add(
                b, h, keep(b, borrow, cn_str(v->key, v->klen)),
                v->t == JN_STR ? keep(b, borrow, val) : cn_parena_dup(&b->arena, val), err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int decode_event(cn_dbatch_t *b, bool borrow, const jn_t *ev, size_t idx, cn_str_t visitor,
                        cn_err_t *err)
{
    if (ev->t != JN_OBJ)
        BAD(CN_BADROW_BAD_JSON, "events[%zu] is not an object", idx);
    /* one walk over the members (an object has no duplicate keys: both parsers refuse them) */
    evin_t in = {.has = 0};
    for (const jn_t *m = ev->first; m; m = m->next) {
        int k = ev_field(m->key, m->klen);
        if (k < 0)
            continue;
        if (k < EF_NSTR) {
            if (m->t == JN_STR && m->len > 0) {
                in.str[k] = keep(b, borrow, cn_str(m->s, m->len));
                in.has |= 1u << k;
            } else if (m->t != JN_STR && m->t != JN_NULL) {
                in.other |= 1u << k;
            }
        } else if (k == EF_REVENUE) {
            in.revenue = m;
        } else if (k == EF_ITEMS) {
            in.items = m;
        } else {
            in.props = m;
        }
    }
    return decode_event_fields(b, borrow, &in, idx, visitor, err);
}

/*
 * The suite of a JSON batch: the raw hit's (what the collector looked up: the body's "suite",
 * else the query's suite= percent-decoded), else the body's. Hitlogs written before the
 * collector decoded suite= keep it as sent ("my%20shop"): a raw suite that is byte for byte
 * the query's suite= as sent, in a body without a suite, is decoded here, so an old and a
 * new record of one request give one suite (when decoding changes a value, the decoded one
 * is never the value as sent, and when it does not, decoding again is harmless).
 */
static cn_str_t batch_suite(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_str_t body_suite)
{
    if (raw->suite.len == 0)
        return body_suite;
    if (body_suite.len > 0 || !cn_url_needs_decode(raw->suite))
        return raw->suite;
    cn_str_t q = raw->query, n, v;
    bool eq;
    while (cn_query_next(&q, &n, &v, &eq)) {
        if (cn_str_eq_c(n, "suite")) { /* the collector's lookup: the first suite= */
            if (!cn_str_eq(v, raw->suite))
                break;
            char *p = cn_parena_alloc(&b->arena, v.len);
            return cn_str(p, cn_url_decode_to(v, p));
        }
    }
    return raw->suite;
}

static int decode_root(const jn_t *root, bool borrow, const cn_rawhit_t *raw, cn_dbatch_t *b,
                       cn_err_t *err)
{
    if (root->t != JN_OBJ)
        BAD(CN_BADROW_BAD_JSON, "body is not a JSON object");
    const jn_t *f_suite = NULL, *f_visitor = NULL, *events = NULL;
    for (const jn_t *m = root->first; m; m = m->next) {
        if (KEY_IS(m->key, m->klen, "suite"))
            f_suite = m;
        else if (KEY_IS(m->key, m->klen, "visitor"))
            f_visitor = m;
        else if (KEY_IS(m->key, m->klen, "events"))
            events = m;
    }
    cn_str_t suite, visitor;
    if (jstr_of(b, borrow, f_suite, &suite) || jstr_of(b, borrow, f_visitor, &visitor))
        BAD(CN_BADROW_BAD_JSON, "suite/visitor is not a string");
    b->suites = batch_suite(raw, b, suite);
    if (events == NULL || events->t != JN_ARR || events->count == 0)
        BAD(CN_BADROW_BAD_JSON, "events is not a non-empty array");
    if (events->count > CN_DEC_MAX_HITS)
        BAD(CN_BADROW_TOO_BIG, "more than %d events", CN_DEC_MAX_HITS);
    size_t i = 0;
    for (const jn_t *ev = events->first; ev; ev = ev->next, i++) {
        int rc = decode_event(b, borrow, ev, i, visitor, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * --- Fast path ---
 *
 * The common body decoded while it is parsed: the root object's "suite",
 * "visitor" and "events", each event's members and each item of its "items"
 * go straight into what decode_event_fields() and decode_item() read, without
 * a tree, the later walks and the member-name hashing. The names the decoder
 * knows are matched byte for byte with their closing quote where they start
 * (ev_name, item_name, root_name: no scan for the quote; in compact JSON the
 * name, its quote and the ':' in one or two 8-byte compares); strings are the
 * light parser's (jp_str_end: slices of the body, UTF-8 checked as jansson
 * checks it), and a string value with escapes is unescaped into the batch's
 * arena (jp_str_unescape: the only strings copied); numbers and nulls go into
 * nodes on the stack; the values the decoder ignores are skipped (fast_skip).
 * Member names with escapes are left to the general path. Only containers the
 * decoder does not read as it parses (props, members it ignores) become
 * light-parser nodes. Anything else, and every error, is left to the general
 * path above, which then decides from the same body: the fast path returns
 * FAST_NO and the caller forgets what it added. So it only has to be right on
 * success, where fuzz_canton_json compares it with jansson's decoding (alone,
 * through cn__decode_canton_json_fast, and as cn_decode_canton_json uses it).
 */
enum { FAST_NO = -1 };

/* Up to 8 member names the decoder ignores, per object, for the duplicate check. */
typedef struct fnames {
    const char *k[8];
    size_t kl[8];
    int n;
} fnames_t;

/* False when name k is a duplicate or one too many (the general path decides). */
static bool fnames_add(fnames_t *u, const char *k, size_t kl)
{
    for (int i = 0; i < u->n; i++) {
        if (u->kl[i] == kl && memcmp(u->k[i], k, kl) == 0)
            return false;
    }
    if (u->n == 8)
        return false;
    u->k[u->n] = k;
    u->kl[u->n++] = kl;
    return true;
}

/*
 * Just past byte c, at p or after white space, or NULL: one test when c comes next, as it
 * does in compact JSON.
 */
static inline const char *jp_expect(const char *p, const char *end, char c)
{
    if (__builtin_expect(p < end && *p == c, 1))
        return p + 1;
    p = jp_ws(p, end);
    return p < end && *p == c ? p + 1 : NULL;
}

/*
 * Whether the member name at p (just after its opening quote) is lit: lit's bytes and then the
 * closing quote, compared without a scan for the quote (a few loads for a literal's length).
 */
#define NAME_IS(p, end, lit)                                                                       \
    ((size_t)((end) - (p)) > sizeof(lit) - 1 && memcmp((p), lit "\"", sizeof(lit)) == 0)
/*
 * Whether the n bytes at p (1..15, and 15 to read) are lit's (8 to read past them): one or two
 * 8-byte compares, the literal's words constants (memcmp of some sizes is a call).
 */
static inline bool name_eq(const char *p, const char *lit, size_t n)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, lit, 8);
    if (n <= 8) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        return ((a ^ b) & (~0ull << (64 - 8 * n))) == 0; /* the first bytes are the high ones */
#else
        return ((a ^ b) & (~0ull >> (64 - 8 * n))) == 0;
#endif
    }
    uint64_t a2, b2;
    memcpy(&a2, p + n - 8, 8);
    memcpy(&b2, lit + n - 8, 8);
    return ((a ^ b) | (a2 ^ b2)) == 0;
}

/*
 * In a *_name() matcher: name lit is field f. With end NULL (fast_key() has 16 bytes to read
 * from the name's opening quote) the name, its closing quote and the ':' right after it are
 * one compare without a bound check; else the name and its quote, within end.
 */
#define NAME(lit, f)                                                                               \
    do {                                                                                           \
        _Static_assert(sizeof(lit) + 1 <= 15, "a name and its \":\" within 16 bytes");             \
        if (end == NULL ? name_eq(p, lit "\":\0\0\0\0\0\0\0", sizeof(lit) + 1)                     \
                        : NAME_IS(p, end, lit)) {                                                  \
            *kl = sizeof(lit) - 1;                                                                 \
            return (f);                                                                            \
        }                                                                                          \
    } while (0)

/* Events[]'s names: the EF_ a member name at p is, EF_TS for "ts", or -1 (*kl its length). */
enum { EF_TS = EF_COUNT }; /* a name the decoder knows and ignores: the time stamp */
static inline int ev_name(const char *p, const char *end, size_t *kl)
{
    switch (end == NULL || p < end ? *p : 0) {
    case 't':
        NAME("type", EF_TYPE);
        NAME("ts", EF_TS);
        NAME("title", EF_TITLE);
        NAME("target", EF_TARGET);
        break;
    case 'u':
        NAME("url", EF_URL);
        break;
    case 'r':
        NAME("referrer", EF_REFERRER);
        NAME("revenue", EF_REVENUE);
        break;
    case 's':
        NAME("screen", EF_SCREEN);
        break;
    case 'l':
        NAME("lang", EF_LANG);
        break;
    case 'i':
        NAME("items", EF_ITEMS);
        break;
    case 'n':
        NAME("name", EF_NAME);
        break;
    case 'o':
        NAME("order_id", EF_ORDER_ID);
        break;
    case 'c':
        NAME("currency", EF_CURRENCY);
        break;
    case 'p':
        NAME("props", EF_PROPS);
        break;
    }
    return -1;
}

/* Items[]'s names: the IF_ a member name at p is, or -1. */
static inline int item_name(const char *p, const char *end, size_t *kl)
{
    switch (end == NULL || p < end ? *p : 0) {
    case 's':
        NAME("sku", IF_SKU);
        break;
    case 'n':
        NAME("name", IF_NAME);
        break;
    case 'c':
        NAME("category", IF_CATEGORY);
        break;
    case 'p':
        NAME("price", IF_PRICE);
        break;
    case 'q':
        NAME("quantity", IF_QUANTITY);
        break;
    }
    return -1;
}

/* The root's names. */
enum { RF_SUITE, RF_VISITOR, RF_EVENTS, RF_SENT_AT };
static inline int root_name(const char *p, const char *end, size_t *kl)
{
    switch (end == NULL || p < end ? *p : 0) {
    case 's':
        NAME("suite", RF_SUITE);
        NAME("sent_at", RF_SENT_AT);
        break;
    case 'v':
        NAME("visitor", RF_VISITOR);
        break;
    case 'e':
        NAME("events", RF_EVENTS);
        break;
    }
    return -1;
}
#undef NAME

/*
 * The readers below take the position p and return the one after what they read, NULL when
 * they leave the body to the general path: the loops keep p in a register (a pointer to it,
 * passed to a function that is not inlined, would keep it in memory throughout).
 *
 * A member name at p ('"' after white space) and its ':', returning the position past the
 * ':' (the value reader skips the white space before the value). *fi is what names() makes
 * of it, else -1: a name it does not know, or one with an escape (those go to the general
 * path as soon as they are scanned). A known name in compact JSON (its quote at p, its ':'
 * right after it) is one compare when 16 bytes are left.
 */
static inline __attribute__((always_inline)) const char *
fast_key(const char *end, const char *p, int (*names)(const char *, const char *, size_t *),
         int *fi, const char **k, size_t *kl)
{
    if (__builtin_expect(end - p >= 16 && *p == '"', 1)) {
        *fi = names(p + 1, NULL, kl);
        if (*fi >= 0) {
            *k = p + 1;
            return p + 1 + *kl + 2;
        }
    }
    p = jp_expect(p, end, '"');
    if (p == NULL)
        return NULL;
    const char *q;
    *fi = names(p, end, kl);
    if (*fi >= 0) {
        q = p + *kl;
    } else {
        q = jp_str_end(p, end);
        if (q == NULL)
            return NULL;
        *kl = (size_t)(q - p);
    }
    *k = p;
    return jp_expect(q + 1, end, ':');
}

/* After a member or element: past the ',' (*more) or the close, or NULL. */
static inline __attribute__((always_inline)) const char *fast_next(const char *end, const char *p,
                                                                   char close, bool *more)
{
    if (__builtin_expect(p < end && *p == ',', 1)) {
        *more = true;
        return p + 1;
    }
    p = jp_ws(p, end);
    if (p >= end)
        return NULL;
    char c = *p;
    *more = c == ',';
    if (!*more && c != close)
        return NULL;
    return p + 1;
}

/* A string value at p ('"') into *tmp. */
static inline __attribute__((always_inline)) const char *
fast_str(cn_parena_t *a, const char *end, const char *p, jn_t *tmp, const jn_t **node)
{
    const char *q = jp_str_end(p + 1, end);
    cn_str_t v = cn_str(p + 1, q != NULL ? (size_t)(q - p - 1) : 0);
    if (q != NULL)
        q++;
    else if ((q = jp_str_unescape(a, p + 1, end, &v)) == NULL)
        return NULL;
    tmp->t = JN_STR;
    tmp->s = v.ptr;
    tmp->len = v.len;
    *node = tmp;
    return q;
}

/* fast_value() of a value that is not a string right at p (one after white space may be). */
static const char *fast_nonstr(jp_t *j, const char *p, jn_t *tmp, const jn_t **node)
{
    const char *end = j->end;
    p = jp_ws(p, end);
    if (p < end && *p == '"')
        return fast_str(j->pool.a, end, p, tmp, node);
    if (p >= end)
        return NULL;
    char c = *p;
    if (c == '-' || is_digit(c)) {
        *node = tmp;
        return jp_num_to(&p, end, tmp) ? p : NULL;
    }
    if (c == 'n' && jp_lit(&p, end, "null", 4)) {
        tmp->t = JN_NULL;
        *node = tmp;
        return p;
    }
    *node = jp_value(j, &p);
    return *node != NULL ? p : NULL;
}

/*
 * A value at p (after white space, if any): a string, number or null into *tmp (a node of the
 * caller's, no arena node), else (true, false, a container) a light-parser node; *node is the
 * one it is in. The string, most values, inline.
 */
static inline __attribute__((always_inline)) const char *
fast_value(jp_t *j, const char *end, const char *p, jn_t *tmp, const jn_t **node)
{
    if (p < end && *p == '"')
        return fast_str(j->pool.a, end, p, tmp, node);
    return fast_nonstr(j, p, tmp, node);
}

/*
 * A member the decoder reads as a string, at p (after white space, if any): *set 1 and *out
 * for a string that is not empty, *set 0 (*out untouched) for "" or null, NULL for another
 * value (the general path names it).
 */
static inline __attribute__((always_inline)) const char *
fast_strm(jp_t *j, const char *end, const char *p, cn_str_t *out, uint32_t *set)
{
    *set = 0;
    /* one test for the string right after the ':', as compact JSON has it */
    if (!(p < end && *p == '"'))
        p = jp_ws(p, end);
    if (p < end && *p == '"') {
        const char *q = jp_str_end(p + 1, end);
        if (q == NULL) { /* escapes: a copy, never empty */
            q = jp_str_unescape(j->pool.a, p + 1, end, out);
            *set = q != NULL;
            return q;
        }
        *set = q != p + 1;
        if (*set)
            *out = cn_str(p + 1, (size_t)(q - p - 1));
        return q + 1;
    }
    jn_t tmp;
    const jn_t *v;
    p = fast_nonstr(j, p, &tmp, &v);
    return p != NULL && v->t == JN_NULL ? p : NULL;
}

/*
 * A value the decoder ignores at p (after white space, if any): a positive integer of 1..18
 * digits (a time stamp) checked here as jp_num_to() would take it, any other as fast_value()
 * reads it.
 */
static inline __attribute__((always_inline)) const char *fast_skip(jp_t *j, const char *end,
                                                                   const char *p)
{
    if (p < end && *p >= '1' && *p <= '9') {
        const char *e = skip_digits(p + 1, end);
        if (e - p <= 18 && (e == end || (*e != '.' && (*e | 0x20) != 'e')))
            return e;
    }
    jn_t tmp;
    const jn_t *v;
    return fast_nonstr(j, p, &tmp, &v);
}

/*
 * The items of event idx, an array at p ('['), decoded into b's products (decode_item, as
 * the general path does; the event's hit is added after them, and takes them); the position
 * after the array, or NULL.
 */
static const char *fast_items(jp_t *j, const char *p, cn_dbatch_t *b, size_t idx)
{
    const char *const end = j->end;
    p = jp_ws(p + 1, end);
    bool more = true;
    if (p < end && *p == ']') {
        p++;
        more = false;
    }
    j->depth = 5; /* root, events, the event, items, this item: as the light parser counts */
    for (size_t i = 0; more; i++) {
        if (i == CN_DEC_MAX_PRODUCTS || p >= end || *p != '{')
            return NULL;
        const jn_t *f[IF_COUNT] = {NULL};
        jn_t strs[IF_COUNT];
        uint32_t seen = 0;
        fnames_t other;
        other.n = 0;
        p = jp_ws(p + 1, end);
        bool mmore = true;
        if (p < end && *p == '}') {
            p++;
            mmore = false;
        }
        for (size_t count = 0; mmore; count++) {
            const char *k;
            size_t kl;
            int fi;
            if (count == 64 || (p = fast_key(end, p, item_name, &fi, &k, &kl)) == NULL)
                return NULL;
            if (fi >= 0) {
                if (seen & (1u << fi))
                    return NULL;
                seen |= 1u << fi;
                p = fast_value(j, end, p, &strs[fi], &f[fi]);
            } else {
                p = fnames_add(&other, k, kl) ? fast_skip(j, end, p) : NULL;
            }
            if (p == NULL || (p = fast_next(end, p, '}', &mmore)) == NULL)
                return NULL;
        }
        cn_err_t err;
        if (decode_item(b, true, f, idx, i, &err) != 0)
            return NULL;
        p = jp_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == ',') {
            p = jp_ws(p + 1, end);
        } else if (*p == ']') {
            p++;
            more = false;
        } else {
            return NULL;
        }
    }
    j->depth = 3;
    return p;
}

/* Event idx, an object at p, decoded into b; the position after it, or NULL. */
static const char *fast_event(jp_t *j, const char *p, cn_dbatch_t *b, size_t idx)
{
    const char *const end = j->end;
    if (p >= end || *p != '{')
        return NULL;
    j->depth = 3; /* root, events, this event: as the light parser counts */
    /* (not initializers: the compiler would zero in.str and other's arrays too, which cost more
     * than the rest; has and n say which entries are set) */
    evin_t in;
    in.has = in.other = 0;
    in.revenue = in.items = in.props = NULL;
    jn_t revenue;
    uint32_t seen = 0;
    size_t prod_first = b->prod_count;
    bool items = false;
    fnames_t other;
    other.n = 0;
    p = jp_ws(p + 1, end);
    bool more = true;
    if (p < end && *p == '}') {
        p++;
        more = false;
    }
    for (size_t count = 0; more; count++) {
        const char *k;
        size_t kl;
        int fi;
        if (count == 64 || (p = fast_key(end, p, ev_name, &fi, &k, &kl)) == NULL)
            return NULL;
        const jn_t *v;
        jn_t tmp;
        if (fi < 0) {
            p = fnames_add(&other, k, kl) ? fast_skip(j, end, p) : NULL;
        } else if (seen & (1u << fi)) {
            return NULL;
        } else if (fi == EF_TS) {
            p = fast_skip(j, end, p);
        } else if (fi < EF_NSTR) {
            /* a string straight into its slot; null leaves it empty, another type goes to the
             * general path, which names it */
            uint32_t set;
            p = fast_strm(j, end, p, &in.str[fi], &set);
            in.has |= set << fi;
        } else if (fi == EF_ITEMS && (p = jp_ws(p, end)) < end && *p == '[') {
            /* an array of items is decoded as it is parsed (in.items stays NULL); anything
             * else is a node, as props are */
            p = fast_items(j, p, b, idx);
            items = true;
        } else if (fi == EF_REVENUE) {
            p = fast_value(j, end, p, &revenue, &in.revenue);
        } else if ((p = fast_value(j, end, p, &tmp, &v)) != NULL && /* EF_ITEMS (not an array), */
                   (fi == EF_ITEMS || fi == EF_PROPS) && v->t != JN_NULL) { /* EF_PROPS */
            if (v == &tmp) /* a number or a string (tmp's): not items or props */
                return NULL;
            *(fi == EF_ITEMS ? &in.items : &in.props) = v;
        }
        seen |= fi >= 0 ? 1u << fi : 0;
        if (p == NULL || (p = fast_next(end, p, '}', &more)) == NULL)
            return NULL;
    }
    cn_err_t err;
    if (decode_event_fields(b, true, &in, idx, CN_STR_NULL, &err) != 0)
        return NULL;
    if (items) { /* the products filed before the hit */
        cn_dhit_t *h = &b->hits[b->hit_count - 1];
        h->prod_first = (uint32_t)prod_first;
        h->prod_count = (uint32_t)(b->prod_count - prod_first);
    }
    return p;
}

/* The events array at p: 1..CN_DEC_MAX_HITS events decoded into b; the position after it,
 * or NULL. */
static const char *fast_events(jp_t *j, const char *p, cn_dbatch_t *b)
{
    const char *const end = j->end;
    p = jp_ws(p, end);
    if (p >= end || *p != '[')
        return NULL;
    p++;
    bool more = true;
    for (size_t i = 0; more; i++) {
        if (i == CN_DEC_MAX_HITS)
            return NULL;
        p = jp_ws(p, end);
        if ((p = fast_event(j, p, b, i)) == NULL || (p = fast_next(end, p, ']', &more)) == NULL)
            return NULL;
    }
    j->depth = 1;
    return p;
}

static int fast_root(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_str_t body)
{
    jp_t j = {.end = body.ptr + body.len, .pool = {.a = &b->arena}, .depth = 1};
    const char *const end = j.end;
    const char *p = jp_ws(body.ptr, end);
    if (p >= end || *p != '{')
        return FAST_NO;
    p = jp_ws(p + 1, end);
    cn_str_t suite = cn_str("", 0), visitor = cn_str("", 0);
    bool more = true;
    unsigned seen = 0;
    fnames_t other;
    other.n = 0;
    for (size_t count = 0; more; count++) {
        const char *k;
        size_t kl;
        int fi;
        if (count == 64 || (p = fast_key(end, p, root_name, &fi, &k, &kl)) == NULL)
            return FAST_NO;
        if (fi >= 0 && (seen & (1u << fi)))
            return FAST_NO;
        seen |= fi >= 0 ? 1u << fi : 0;
        uint32_t set; /* (null or "": suite and visitor stay "") */
        if (fi == RF_EVENTS)
            p = fast_events(&j, p, b);
        else if (fi == RF_SUITE)
            p = fast_strm(&j, end, p, &suite, &set);
        else if (fi == RF_VISITOR)
            p = fast_strm(&j, end, p, &visitor, &set);
        else
            p = fi >= 0 || fnames_add(&other, k, kl) ? fast_skip(&j, end, p) : NULL;
        if (p == NULL || (p = fast_next(end, p, '}', &more)) == NULL)
            return FAST_NO;
    }
    if (!(seen & (1u << RF_EVENTS)) || jp_ws(p, end) != end)
        return FAST_NO;
    /* what decode_root() and decode_event() set from the root's members */
    b->suites = batch_suite(raw, b, suite);
    for (size_t i = 0; i < b->hit_count; i++) {
        b->hits[i].visitor_id = visitor;
        b->hits[i].vid_src = visitor.len ? CN_VID_VID : CN_VID_NONE;
    }
    return 0;
}

/*
 * A canton request (JSON batch or pixel) names one suite: its suite is a suite id, which has
 * no comma ([suite ID] in the configuration: letters, digits, '_', '-', '.'). Processing
 * splits a hit's suite field at commas for Adobe's multi-suite tagging (/b/ss/a,b/...) only;
 * "a,b" here is one name that is not configured, as the collector counts it: an
 * unknown_suite bad row.
 */
static int one_suite(const cn_dbatch_t *b, cn_err_t *err)
{
    bool comma = false; /* (a suite id is short: a loop, not a call of memchr) */
    for (size_t i = 0; i < b->suites.len; i++)
        comma |= b->suites.ptr[i] == ',';
    if (comma)
        BAD(CN_BADROW_UNKNOWN_SUITE,
            "suite '%.*s' is not configured (a canton request names one suite, and a suite "
            "id has no comma)",
            (int)(b->suites.len > 100 ? 100 : b->suites.len), b->suites.ptr);
    return 0;
}

/* Which decoders decode_json() may use. */
enum {
    DEC_REF,   /* jansson alone */
    DEC_LIGHT, /* the fast path, else the light parser, else jansson: cn_decode_canton_json() */
    DEC_FAST   /* the fast path alone: FAST_NO when it leaves the body */
};

/* The body decoded by the decoders mode allows: the first of them that takes it. */
static int decode_json(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err, int mode)
{
    cn_str_t body = raw->body;
    if ((raw->flags & CN_RAWHIT_GZIP_BODY) ||
        (body.len >= 2 && (uint8_t)body.ptr[0] == 0x1f && (uint8_t)body.ptr[1] == 0x8b)) {
        int rc = cn_decode_gunzip(body, &b->body, err);
        if (rc != 0)
            return rc;
        body = cn_buf_str(&b->body);
    }
    /* a UTF-8 byte order mark before the JSON (RFC 8259 8.1 lets a parser ignore it; the
     * collector drops it too) */
    if (body.len >= 3 && memcmp(body.ptr, "\xef\xbb\xbf", 3) == 0)
        body = cn_str(body.ptr + 3, body.len - 3);
    if (body.len == 0)
        BAD(CN_BADROW_EMPTY, "empty body");
    if (mode != DEC_REF && b->hit_count == 0 && b->event_count == 0 && b->prod_count == 0 &&
        b->var_count == 0 && b->ctx_count == 0) {
        if (fast_root(raw, b, body) == 0)
            return one_suite(b, err);
        /* forget what the fast path added (its arena bytes stay until the batch resets) */
        b->hit_count = b->event_count = b->prod_count = b->var_count = b->ctx_count = 0;
    }
    if (mode == DEC_FAST)
        return FAST_NO;
    jn_t *root = mode == DEC_LIGHT ? jp_parse(&b->arena, body) : NULL;
    if (root != NULL) {
        int rc = decode_root(root, true, raw, b, err);
        return rc != 0 ? rc : one_suite(b, err);
    }
    json_error_t je;
    json_t *jroot = json_loadb(body.ptr, body.len, JSON_REJECT_DUPLICATES, &je);
    if (jroot == NULL)
        BAD(CN_BADROW_BAD_JSON, "body is not JSON: %s (at %d)", je.text, je.position);
    jpool_t pl = {.a = &b->arena};
    int rc = decode_root(from_jansson(&pl, jroot), false, raw, b, err);
    json_decref(jroot);
    return rc != 0 ? rc : one_suite(b, err);
}

int cn_decode_canton_json(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    return decode_json(raw, b, err, DEC_LIGHT);
}

int cn__decode_canton_json_ref(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    return decode_json(raw, b, err, DEC_REF);
}

int cn__decode_canton_json_fast(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    return decode_json(raw, b, err, DEC_FAST);
}

int cn_decode_canton_pixel(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    cn_str_t q = raw->query, n, v;
    bool eq;
    if (q.len == 0)
        BAD(CN_BADROW_EMPTY, "pixel request without parameters");
    cn_str_t type = CN_STR_NULL, suite = CN_STR_NULL, visitor = CN_STR_NULL;
    cn_str_t f_url = {0}, f_ref = {0}, f_title = {0}, f_name = {0}, f_target = {0}, f_screen = {0},
             f_lang = {0}, f_order = {0}, f_revenue = {0}, f_currency = {0};
    while (cn_query_next(&q, &n, &v, &eq)) {
        char *p = cn_parena_alloc(&b->arena, v.len ? v.len : 1);
        cn_str_t d = cn_str(p, cn_url_decode_to(v, p));
        /* percent escapes can make any bytes: a value is made valid UTF-8 here, as an Adobe
         * value is (each invalid byte or sequence is U+FFFD); the suite stays as sent, the
         * name the collector looked up */
        if (!cn_str_eq_c(n, "suite"))
            d = cn_utf8_valid(b, d);
        if (cn_str_eq_c(n, "type"))
            type = d;
        else if (cn_str_eq_c(n, "suite"))
            suite = d;
        else if (cn_str_eq_c(n, "visitor"))
            visitor = d;
        else if (cn_str_eq_c(n, "url"))
            f_url = d;
        else if (cn_str_eq_c(n, "ref"))
            f_ref = d;
        else if (cn_str_eq_c(n, "title"))
            f_title = d;
        else if (cn_str_eq_c(n, "name"))
            f_name = d;
        else if (cn_str_eq_c(n, "target"))
            f_target = d;
        else if (cn_str_eq_c(n, "screen"))
            f_screen = d;
        else if (cn_str_eq_c(n, "lang"))
            f_lang = d;
        else if (cn_str_eq_c(n, "order_id"))
            f_order = d;
        else if (cn_str_eq_c(n, "revenue"))
            f_revenue = d;
        else if (cn_str_eq_c(n, "currency"))
            f_currency = d;
    }
    const etype_t *et = find_etype(type.len ? type : CN_STR_LIT("pageview"));
    if (et == NULL)
        BAD(CN_BADROW_BAD_QUERY, "type '%.*s' is unknown", CN_STR_FMT(type));
    /* the decoded suite= (what the collector looks up; hitlogs written before it decoded
     * the value keep it encoded in the raw hit's suite) */
    b->suites = suite.len > 0 ? suite : raw->suite;
    int rc = one_suite(b, err);
    if (rc != 0)
        return rc;
    cn_dhit_t *h = cn_dbatch_add_hit(b);
    h->type = et->type;
    h->events = et->ev;
    h->visitor_id = visitor;
    h->vid_src = visitor.len ? CN_VID_VID : CN_VID_NONE;
    h->url = f_url;
    h->referrer = f_ref;
    h->page_name = f_title;
    h->screen = f_screen;
    h->language = f_lang;
    if (h->type != CN_HIT_PAGEVIEW) {
        h->link_name = f_name;
        h->link_url = f_target;
    }
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0)
        BAD(CN_BADROW_NO_PAGE_URL, "page view without url");
    /* an order as the JSON batch gives one (its keys order_id, revenue and currency; items
     * do not flatten into a query string): a purchase with an order id counts once per
     * suite, one without counts each time it is sent (docs/collect.md) */
    h->purchase_id = cn_str_trim(f_order);
    h->currency = f_currency;
    if (!cn_decode_currency_ok(h->currency))
        BAD(CN_BADROW_BAD_CURRENCY, "currency '%.*s' is not ISO 4217", CN_STR_FMT(h->currency));
    f_revenue = cn_str_trim(f_revenue);
    if (f_revenue.len > 0) {
        if (cn_parse_money(f_revenue, &h->revenue) != 0)
            BAD(CN_BADROW_BAD_QUERY, "revenue '%.*s' %s", CN_STR_FMT(f_revenue),
                cn_decode_money_why(f_revenue));
        if (h->revenue < 0) /* as in the batch: no order takes revenue away */
            BAD(CN_BADROW_BAD_QUERY, "revenue '%.*s' is negative", CN_STR_FMT(f_revenue));
        h->has_revenue = true;
    }
    add_type_event(b, h);
    return 0;
}
