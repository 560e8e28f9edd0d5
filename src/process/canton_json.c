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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
 * A light JSON tree in the batch arena. The common body (ASCII strings
 * without escapes, plain numbers, no duplicate keys) is parsed here in one
 * pass without a malloc per node; anything else (escapes, non-ASCII bytes,
 * deep nesting, errors) goes to jansson, whose tree is copied into the same
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

/*
 * p just after a string's opening quote: its closing quote, or NULL when the
 * string has an escape, a control or non-ASCII byte, or no end (jansson decides).
 */
static inline const char *jp_str_end(const char *p, const char *end)
{
    const char *q = cn_json_plain_run(p, end);
    return q < end && *q == '"' ? q : NULL;
}

/* A number at *pp (a '-' or a digit) as a node, *pp moved past it; NULL sends the body to
 * jansson (bad syntax, 64 bytes or more, out of range). */
static jn_t *jp_num(jp_t *j, const char **pp)
{
    const char *p = *pp, *st = p, *end = j->end;
    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL;
    } else {
        p = skip_digits(p, end);
    }
    bool real = false, expo = false;
    if (p < end && *p == '.') {
        real = true;
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        p = skip_digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = expo = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        p = skip_digits(p, end);
    }
    size_t n = (size_t)(p - st);
    char buf[64];
    if (n >= 64)
        return NULL;
    jn_t *v;
    if (real) {
        /* Without an exponent and below 64 bytes, a number is within 1e-63..1e64:
         * strtod cannot overflow or underflow, so the double waits for jn_real(). */
        if (expo) {
            char *e;
            num_text(st, n, buf);
            errno = 0;
            strtod(buf, &e);
            if (errno != 0 || e != buf + n)
                return NULL;
        }
        v = jn_new(&j->pool, JN_REAL);
        v->s = st; /* the text, for amounts (jmoney) */
        v->len = n;
    } else if (n <= 18) { /* no overflow: jn_int() gives what strtoll gives */
        v = jn_new(&j->pool, JN_INT);
        v->s = st;
        v->len = n;
    } else {
        char *e;
        num_text(st, n, buf);
        errno = 0;
        long long i = strtoll(buf, &e, 10);
        if (errno != 0 || e != buf + n)
            return NULL;
        v = jn_new(&j->pool, JN_INT);
        v->i = i;
    }
    *pp = p;
    return v;
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
        *pp = p;
        return jp_num(j, pp);
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

/* Event idx from its members the decoder reads (f[EF_*], NULL when absent). */
static int decode_event_fields(cn_dbatch_t *b, bool borrow, const jn_t *const f[EF_COUNT],
                               size_t idx, cn_str_t visitor, cn_err_t *err)
{
    cn_str_t type;
    if (jstr_of(b, borrow, f[EF_TYPE], &type) != 0)
        BAD(CN_BADROW_BAD_JSON, "events[%zu].type is not a string", idx);
    const etype_t *et = find_etype(type.len ? type : CN_STR_LIT("pageview"));
    if (et == NULL)
        BAD(CN_BADROW_BAD_JSON, "events[%zu].type '%.*s' is unknown", idx, CN_STR_FMT(type));
    cn_dhit_t *h = cn_dbatch_add_hit(b);
    h->type = et->type;
    h->events = et->ev;
    h->visitor_id = visitor;
    h->vid_src = visitor.len ? CN_VID_VID : CN_VID_NONE;
    cn_str_t name, target;
    if (jstr_of(b, borrow, f[EF_URL], &h->url) ||
        jstr_of(b, borrow, f[EF_REFERRER], &h->referrer) ||
        jstr_of(b, borrow, f[EF_TITLE], &h->page_name) || jstr_of(b, borrow, f[EF_NAME], &name) ||
        jstr_of(b, borrow, f[EF_TARGET], &target) || jstr_of(b, borrow, f[EF_SCREEN], &h->screen) ||
        jstr_of(b, borrow, f[EF_LANG], &h->language) ||
        jstr_of(b, borrow, f[EF_ORDER_ID], &h->purchase_id) ||
        jstr_of(b, borrow, f[EF_CURRENCY], &h->currency))
        BAD(CN_BADROW_BAD_JSON, "events[%zu]: a string field has another type", idx);
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0)
        BAD(CN_BADROW_NO_PAGE_URL, "events[%zu]: page view without url", idx);
    if (h->type != CN_HIT_PAGEVIEW) {
        h->link_name = name;
        h->link_url = target;
    }
    if (h->purchase_id.len > 0)
        h->purchase_id = cn_str_trim(h->purchase_id); /* " O17 " is the order O17 */
    if (!cn_decode_currency_ok(h->currency))
        BAD(CN_BADROW_BAD_CURRENCY, "events[%zu]: currency '%.*s' is not ISO 4217", idx,
            CN_STR_FMT(h->currency));
    if (h->events != 0)
        add_type_event(b, h);
    const jn_t *rev = f[EF_REVENUE];
    if (rev != NULL && rev->t != JN_NULL) {
        if (jmoney(rev, &h->revenue) != 0)
            BAD(CN_BADROW_BAD_JSON, "events[%zu].revenue %s", idx, jmoney_why(rev));
        if (h->revenue < 0) /* as a negative price: no order takes revenue away */
            BAD(CN_BADROW_BAD_JSON, "events[%zu].revenue is negative", idx);
        h->has_revenue = true;
    }
    const jn_t *items = f[EF_ITEMS];
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
            const jn_t *f_sku = NULL, *f_cat = NULL, *f_name = NULL, *q = NULL, *pr = NULL;
            for (const jn_t *m = it->first; m; m = m->next) {
                if (KEY_IS(m->key, m->klen, "sku"))
                    f_sku = m;
                else if (KEY_IS(m->key, m->klen, "category"))
                    f_cat = m;
                else if (KEY_IS(m->key, m->klen, "name"))
                    f_name = m;
                else if (KEY_IS(m->key, m->klen, "quantity"))
                    q = m;
                else if (KEY_IS(m->key, m->klen, "price"))
                    pr = m;
            }
            cn_dprod_t p = {0};
            if (jstr_of(b, borrow, f_sku, &p.sku) || jstr_of(b, borrow, f_cat, &p.category))
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu]: sku/category not a string", idx,
                    i);
            if (p.sku.len == 0 && jstr_of(b, borrow, f_name, &p.sku) != 0)
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu].name not a string", idx, i);
            if (p.sku.len == 0)
                BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu] has no sku", idx, i);
            int64_t qty = 1;
            const char *qty_why = q != NULL && q->t != JN_NULL ? jqty(q, &qty) : NULL;
            if (qty_why != NULL)
                BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].quantity %s", idx, i, qty_why);
            p.qty = qty;
            p.has_qty = true;
            if (pr != NULL && pr->t != JN_NULL) {
                int64_t unit;
                if (jmoney(pr, &unit) != 0)
                    BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].price %s", idx, i,
                        jmoney_why(pr));
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
            h->prod_count++;
        }
    }
    const jn_t *props = f[EF_PROPS];
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
    const jn_t *f[EF_COUNT] = {NULL};
    for (const jn_t *m = ev->first; m; m = m->next) {
        int k = ev_field(m->key, m->klen);
        if (k >= 0)
            f[k] = m;
    }
    return decode_event_fields(b, borrow, f, idx, visitor, err);
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
 * "visitor" and "events" and each event's members go straight into the
 * slots decode_event_fields() reads, without a tree, the later walks and the
 * member-name hashing (names the decoder knows are told apart exactly).
 * Strings are the light parser's (jp_str_end); any other value (numbers,
 * null, items, props, members the decoder ignores) is a light-parser node.
 * Anything else, and every error, is left to the general path above, which
 * then decides from the same body: the fast path returns FAST_NO and the
 * caller forgets what it added. So it only has to be right on success, where
 * fuzz_canton_json compares it with jansson's decoding.
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

/* A member name at *pp ('"' after white space) and its ':', *pp moved to the value. */
static inline __attribute__((always_inline)) bool fast_key(jp_t *j, const char **pp, const char **k,
                                                           size_t *kl)
{
    const char *p = jp_ws(*pp, j->end);
    if (p >= j->end || *p != '"')
        return false;
    const char *q = jp_str_end(p + 1, j->end);
    if (q == NULL)
        return false;
    *k = p + 1;
    *kl = (size_t)(q - p - 1);
    p = jp_ws(q + 1, j->end);
    if (p >= j->end || *p != ':')
        return false;
    *pp = jp_ws(p + 1, j->end);
    return true;
}

/* After a member or element: true at ',' (*more) or at close, *pp moved past it. */
static bool fast_next(jp_t *j, const char **pp, char close, bool *more)
{
    const char *p = jp_ws(*pp, j->end);
    if (p >= j->end)
        return false;
    *more = *p == ',';
    if (!*more && *p != close)
        return false;
    *pp = p + 1;
    return true;
}

/* A value at *pp (after white space): a string into *str, else a node into *node. */
static bool fast_value(jp_t *j, const char **pp, jn_t *str, const jn_t **node)
{
    const char *p = *pp;
    if (p < j->end && *p == '"') {
        const char *q = jp_str_end(p + 1, j->end);
        if (q == NULL)
            return false;
        str->t = JN_STR;
        str->s = p + 1;
        str->len = (size_t)(q - p - 1);
        *node = str;
        *pp = q + 1;
        return true;
    }
    *node = jp_value(j, pp);
    return *node != NULL;
}

/* Event idx, an object at *pp, decoded into b; 0 or FAST_NO. */
static int fast_event(jp_t *j, const char **pp, cn_dbatch_t *b, size_t idx)
{
    const char *p = *pp;
    if (p >= j->end || *p != '{')
        return FAST_NO;
    j->depth = 3; /* root, events, this event: as the light parser counts */
    /* the slots, zeroed in 16-byte stores: the compiler makes an initializer a rep stos,
     * which starts slowly (the asm hides that z is zero, as in cn_dbatch_add_hit) */
    const jn_t *f[(EF_COUNT + 1) & ~1];
#ifdef __SSE2__
    __m128i z = _mm_setzero_si128();
    __asm__("" : "+x"(z));
    for (size_t i = 0; i < sizeof(f) / 16; i++)
        _mm_storeu_si128((__m128i *)f + i, z);
#else
    memset(f, 0, sizeof(f));
#endif
    jn_t strs[EF_COUNT]; /* the string members' nodes */
    uint32_t seen = 0;
    fnames_t other;
    other.n = 0; /* (not an initializer: zeroing the arrays costs more than the rest) */
    p = jp_ws(p + 1, j->end);
    bool more = true;
    if (p < j->end && *p == '}') {
        p++;
        more = false;
    }
    for (size_t count = 0; more; count++) {
        const char *k;
        size_t kl;
        if (count == 64 || !fast_key(j, &p, &k, &kl))
            return FAST_NO;
        int fi = ev_field(k, kl);
        const jn_t *v;
        jn_t tmp;
        if (fi >= 0) {
            if (seen & (1u << fi))
                return FAST_NO;
            seen |= 1u << fi;
            if (!fast_value(j, &p, &strs[fi], &f[fi]))
                return FAST_NO;
        } else if (!fnames_add(&other, k, kl) || !fast_value(j, &p, &tmp, &v)) {
            return FAST_NO;
        }
        if (!fast_next(j, &p, '}', &more))
            return FAST_NO;
    }
    *pp = p;
    cn_err_t err;
    return decode_event_fields(b, true, f, idx, CN_STR_NULL, &err) == 0 ? 0 : FAST_NO;
}

/* The events array at *pp: 1..CN_DEC_MAX_HITS events decoded into b; 0 or FAST_NO. */
static int fast_events(jp_t *j, const char **pp, cn_dbatch_t *b)
{
    const char *p = *pp;
    if (p >= j->end || *p != '[')
        return FAST_NO;
    p++;
    bool more = true;
    for (size_t i = 0; more; i++) {
        if (i == CN_DEC_MAX_HITS)
            return FAST_NO;
        p = jp_ws(p, j->end);
        if (fast_event(j, &p, b, i) != 0 || !fast_next(j, &p, ']', &more))
            return FAST_NO;
    }
    j->depth = 1;
    *pp = p;
    return 0;
}

/* A string member of the root ("suite", "visitor"): a string, or null for "". */
static bool fast_root_str(jp_t *j, const char **pp, cn_str_t *out)
{
    jn_t str;
    const jn_t *v;
    if (!fast_value(j, pp, &str, &v) || (v->t != JN_STR && v->t != JN_NULL))
        return false;
    *out = v->t == JN_STR && v->len > 0 ? cn_str(v->s, v->len) : cn_str("", 0);
    return true;
}

static int fast_root(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_str_t body)
{
    jp_t j = {.end = body.ptr + body.len, .pool = {.a = &b->arena}, .depth = 1};
    const char *p = jp_ws(body.ptr, j.end);
    if (p >= j.end || *p != '{')
        return FAST_NO;
    p = jp_ws(p + 1, j.end);
    cn_str_t suite = cn_str("", 0), visitor = cn_str("", 0);
    bool has_suite = false, has_visitor = false, has_events = false, more = true;
    fnames_t other;
    other.n = 0;
    for (size_t count = 0; more; count++) {
        const char *k;
        size_t kl;
        if (count == 64 || !fast_key(&j, &p, &k, &kl))
            return FAST_NO;
        bool ok;
        if (KEY_IS(k, kl, "events")) {
            ok = !has_events && fast_events(&j, &p, b) == 0;
            has_events = true;
        } else if (KEY_IS(k, kl, "suite")) {
            ok = !has_suite && fast_root_str(&j, &p, &suite);
            has_suite = true;
        } else if (KEY_IS(k, kl, "visitor")) {
            ok = !has_visitor && fast_root_str(&j, &p, &visitor);
            has_visitor = true;
        } else {
            ok = fnames_add(&other, k, kl) && jp_value(&j, &p) != NULL;
        }
        if (!ok || !fast_next(&j, &p, '}', &more))
            return FAST_NO;
    }
    if (!has_events || jp_ws(p, j.end) != j.end)
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
    if (b->suites.len > 0 && memchr(b->suites.ptr, ',', b->suites.len) != NULL)
        BAD(CN_BADROW_UNKNOWN_SUITE,
            "suite '%.*s' is not configured (a canton request names one suite, and a suite "
            "id has no comma)",
            (int)(b->suites.len > 100 ? 100 : b->suites.len), b->suites.ptr);
    return 0;
}

/* The body decoded by the fast path or the light parser when light and they take the body,
 * else by jansson. */
static int decode_json(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err, bool light)
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
    if (light && b->hit_count == 0 && b->event_count == 0 && b->prod_count == 0 &&
        b->var_count == 0 && b->ctx_count == 0) {
        if (fast_root(raw, b, body) == 0)
            return one_suite(b, err);
        /* forget what the fast path added (its arena bytes stay until the batch resets) */
        b->hit_count = b->event_count = b->prod_count = b->var_count = b->ctx_count = 0;
    }
    jn_t *root = light ? jp_parse(&b->arena, body) : NULL;
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
    return decode_json(raw, b, err, true);
}

int cn__decode_canton_json_ref(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    return decode_json(raw, b, err, false);
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
