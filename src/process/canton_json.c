/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders for canton's own protocols: the JSON batch (POST /api/collect,
 * one object with "suite", "visitor" and 1..500 "events") and the pixel
 * (GET /i?suite=..&type=..&url=..). The vocabulary is in docs/hit.md; the
 * body may be gzip (flagged by the collector or starting with 1f 8b) and is
 * inflated with zlib under CN_DEC_MAX_BODY.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/url.h"
#include "process/internal.h"

static int gunzip(cn_str_t in, cn_buf_t *out, cn_err_t *err)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        cn_err_set(err, CN_BADROW_BAD_GZIP, "zlib cannot start");
        return CN_BADROW_BAD_GZIP;
    }
    z.next_in = (Bytef *)in.ptr;
    z.avail_in = (uInt)in.len;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (out->len >= CN_DEC_MAX_BODY) {
            inflateEnd(&z);
            cn_err_set(err, CN_BADROW_TOO_BIG, "body inflates past %u bytes", CN_DEC_MAX_BODY);
            return CN_BADROW_TOO_BIG;
        }
        cn_buf_reserve(out, 64 * 1024);
        z.next_out = (Bytef *)out->ptr + out->len;
        z.avail_out = (uInt)(out->cap - out->len - 1);
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += before - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            cn_err_set(err, CN_BADROW_BAD_GZIP, "gzip body does not inflate (zlib %d)", rc);
            return CN_BADROW_BAD_GZIP;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            inflateEnd(&z);
            cn_err_set(err, CN_BADROW_BAD_GZIP, "gzip body is truncated");
            return CN_BADROW_BAD_GZIP;
        }
    }
    inflateEnd(&z);
    out->ptr[out->len] = 0;
    return 0;
}

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
    const char *s; /* JN_STR */
    size_t len;
    int64_t i;
    double d;
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
    memset(n, 0, sizeof(*n));
    n->t = t;
    return n;
}

typedef struct jp {
    const char *p, *end;
    jpool_t pool;
    int depth;
} jp_t;

static void jp_ws(jp_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

/* A string without escapes, control or non-ASCII bytes; false sends the body to jansson. */
static bool jp_str(jp_t *j, const char **s, size_t *len)
{
    const char *p = ++j->p;
#ifdef __SSE2__
    /* 16 bytes at a time: stop at '"', '\\', a control byte or a non-ASCII one
     * (as signed bytes, both are below 0x20); the byte loop below decides */
    while (j->end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) {
            p += __builtin_ctz(bits);
            break;
        }
        p += 16;
    }
#endif
    while (p < j->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *s = j->p;
            *len = (size_t)(p - j->p);
            j->p = p + 1;
            return true;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return false;
        p++;
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static jn_t *jp_num(jp_t *j)
{
    const char *p = j->p, *st = p;
    if (p < j->end && *p == '-')
        p++;
    if (p >= j->end || !is_digit(*p))
        return NULL;
    if (*p == '0' && p + 1 < j->end && is_digit(p[1]))
        return NULL;
    while (p < j->end && is_digit(*p))
        p++;
    bool real = false;
    if (p < j->end && *p == '.') {
        real = true;
        p++;
        if (p >= j->end || !is_digit(*p))
            return NULL;
        while (p < j->end && is_digit(*p))
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || !is_digit(*p))
            return NULL;
        while (p < j->end && is_digit(*p))
            p++;
    }
    size_t n = (size_t)(p - st);
    if (n >= 64)
        return NULL;
    char buf[64];
    memcpy(buf, st, n);
    buf[n] = 0;
    jn_t *v = jn_new(&j->pool, real ? JN_REAL : JN_INT);
    if (!real && n <= 18) { /* no overflow: what strtoll gives */
        const char *q = st + (*st == '-');
        int64_t i = 0;
        while (q < p)
            i = i * 10 + (*q++ - '0');
        v->i = *st == '-' ? -i : i;
        j->p = p;
        return v;
    }
    char *e;
    errno = 0;
    if (real) {
        v->d = strtod(buf, &e);
        v->s = st; /* the text, for amounts (jmoney) */
        v->len = n;
    } else {
        v->i = strtoll(buf, &e, 10);
    }
    if (errno != 0 || e != buf + n)
        return NULL;
    j->p = p;
    return v;
}

static bool jp_lit(jp_t *j, const char *lit, size_t n)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return false;
    j->p += n;
    return true;
}

static jn_t *jp_value(jp_t *j)
{
    jp_ws(j);
    if (j->p >= j->end)
        return NULL;
    char c = *j->p;
    if (c == '"') {
        jn_t *v = jn_new(&j->pool, JN_STR);
        return jp_str(j, &v->s, &v->len) ? v : NULL;
    }
    if (c == '{' || c == '[') {
        if (++j->depth > 32)
            return NULL;
        bool obj = c == '{';
        jn_t *v = jn_new(&j->pool, obj ? JN_OBJ : JN_ARR), **tail = &v->first;
        j->p++;
        jp_ws(j);
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
            j->p++;
            j->depth--;
            return v;
        }
        for (;;) {
            const char *k = NULL;
            size_t kl = 0;
            if (obj) {
                jp_ws(j);
                if (j->p >= j->end || *j->p != '"' || !jp_str(j, &k, &kl))
                    return NULL;
                if (v->count >= 64)
                    return NULL;
                for (jn_t *o = v->first; o; o = o->next) {
                    if (o->klen == kl && memcmp(o->key, k, kl) == 0)
                        return NULL; /* duplicate: jansson says which */
                }
                jp_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return NULL;
                j->p++;
            }
            jn_t *m = jp_value(j);
            if (m == NULL)
                return NULL;
            m->key = k;
            m->klen = kl;
            *tail = m;
            tail = &m->next;
            v->count++;
            jp_ws(j);
            if (j->p >= j->end)
                return NULL;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p != (obj ? '}' : ']'))
                return NULL;
            j->p++;
            j->depth--;
            return v;
        }
    }
    if (c == '-' || is_digit(c))
        return jp_num(j);
    if (jp_lit(j, "true", 4))
        return jn_new(&j->pool, JN_TRUE);
    if (jp_lit(j, "false", 5))
        return jn_new(&j->pool, JN_FALSE);
    if (jp_lit(j, "null", 4))
        return jn_new(&j->pool, JN_NULL);
    return NULL;
}

/* The light parse of a whole body: an object or array and nothing after it. */
static jn_t *jp_parse(cn_parena_t *a, cn_str_t body)
{
    jp_t j = {.p = body.ptr, .end = body.ptr + body.len, .pool = {.a = a}};
    jp_ws(&j);
    if (j.p >= j.end || (*j.p != '{' && *j.p != '['))
        return NULL;
    jn_t *root = jp_value(&j);
    if (root == NULL)
        return NULL;
    jp_ws(&j);
    return j.p == j.end ? root : NULL;
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

static jn_t *jn_get(const jn_t *obj, const char *key)
{
    size_t kl = strlen(key);
    for (jn_t *m = obj->first; m; m = m->next) {
        if (m->klen == kl && memcmp(m->key, key, kl) == 0)
            return m;
    }
    return NULL;
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

/* jstr_of() of member key of obj. */
static int jstr(cn_dbatch_t *b, bool borrow, const jn_t *obj, const char *key, cn_str_t *out)
{
    return jstr_of(b, borrow, jn_get(obj, key), out);
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
        int64_t i = v->i;
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
        snprintf(buf, sizeof(buf), "%.6f", v->d);
        return cn_parse_money(cn_str_c(buf), out);
    }
    if (v->t == JN_STR)
        return cn_parse_money(cn_str(v->s, v->len), out);
    return -1;
}

#define BAD(code, ...)                                                                             \
    do {                                                                                           \
        cn_err_set(err, code, __VA_ARGS__);                                                        \
        return code;                                                                               \
    } while (0)

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
    if (h->currency.len > 0) {
        bool ok = h->currency.len == 3;
        for (size_t i = 0; ok && i < 3; i++)
            ok = h->currency.ptr[i] >= 'A' && h->currency.ptr[i] <= 'Z';
        if (!ok)
            BAD(CN_BADROW_BAD_CURRENCY, "events[%zu]: currency '%.*s' is not ISO 4217", idx,
                CN_STR_FMT(h->currency));
    }
    if (h->events) {
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
    const jn_t *rev = f[EF_REVENUE];
    if (rev != NULL && rev->t != JN_NULL) {
        if (jmoney(rev, &h->revenue) != 0)
            BAD(CN_BADROW_BAD_JSON, "events[%zu].revenue is not a number", idx);
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
            cn_dprod_t p = {0};
            if (jstr(b, borrow, it, "sku", &p.sku) || jstr(b, borrow, it, "category", &p.category))
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu]: sku/category not a string", idx,
                    i);
            if (p.sku.len == 0 && jstr(b, borrow, it, "name", &p.sku) != 0)
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu].name not a string", idx, i);
            if (p.sku.len == 0)
                BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu] has no sku", idx, i);
            const jn_t *q = jn_get(it, "quantity");
            int64_t qty = 1;
            if (q != NULL && q->t != JN_NULL) {
                if (q->t != JN_INT || q->i < 0 || q->i > 1000000000)
                    BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].quantity is bad", idx, i);
                qty = q->i;
            }
            p.qty = qty;
            p.has_qty = true;
            const jn_t *pr = jn_get(it, "price");
            if (pr != NULL && pr->t != JN_NULL) {
                int64_t unit;
                if (jmoney(pr, &unit) != 0)
                    BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].price is bad", idx, i);
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
                snprintf(num, sizeof(num), "%lld", (long long)v->i);
                val = cn_str_c(num);
            } else if (v->t == JN_REAL) {
                snprintf(num, sizeof(num), "%.17g", v->d);
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

static int decode_root(const jn_t *root, bool borrow, const cn_rawhit_t *raw, cn_dbatch_t *b,
                       cn_err_t *err)
{
    if (root->t != JN_OBJ)
        BAD(CN_BADROW_BAD_JSON, "body is not a JSON object");
    cn_str_t suite, visitor;
    if (jstr(b, borrow, root, "suite", &suite) || jstr(b, borrow, root, "visitor", &visitor))
        BAD(CN_BADROW_BAD_JSON, "suite/visitor is not a string");
    b->suites = raw->suite.len > 0 ? raw->suite : suite;
    const jn_t *events = jn_get(root, "events");
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

int cn_decode_canton_json(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    cn_str_t body = raw->body;
    if ((raw->flags & CN_RAWHIT_GZIP_BODY) ||
        (body.len >= 2 && (uint8_t)body.ptr[0] == 0x1f && (uint8_t)body.ptr[1] == 0x8b)) {
        int rc = gunzip(body, &b->body, err);
        if (rc != 0)
            return rc;
        body = cn_buf_str(&b->body);
    }
    if (body.len == 0)
        BAD(CN_BADROW_EMPTY, "empty body");
    jn_t *root = jp_parse(&b->arena, body);
    if (root != NULL)
        return decode_root(root, true, raw, b, err);
    json_error_t je;
    json_t *jroot = json_loadb(body.ptr, body.len, JSON_REJECT_DUPLICATES, &je);
    if (jroot == NULL)
        BAD(CN_BADROW_BAD_JSON, "body is not JSON: %s (at %d)", je.text, je.position);
    jpool_t pl = {.a = &b->arena};
    int rc = decode_root(from_jansson(&pl, jroot), false, raw, b, err);
    json_decref(jroot);
    return rc;
}

int cn_decode_canton_pixel(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    cn_str_t q = raw->query, n, v;
    bool eq;
    if (q.len == 0)
        BAD(CN_BADROW_EMPTY, "pixel request without parameters");
    cn_str_t type = CN_STR_NULL, suite = CN_STR_NULL, visitor = CN_STR_NULL;
    cn_str_t f_url = {0}, f_ref = {0}, f_title = {0}, f_name = {0}, f_target = {0}, f_screen = {0},
             f_lang = {0};
    while (cn_query_next(&q, &n, &v, &eq)) {
        char *p = cn_parena_alloc(&b->arena, v.len ? v.len : 1);
        cn_str_t d = cn_str(p, cn_url_decode_to(v, p));
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
    }
    const etype_t *et = find_etype(type.len ? type : CN_STR_LIT("pageview"));
    if (et == NULL)
        BAD(CN_BADROW_BAD_QUERY, "type '%.*s' is unknown", CN_STR_FMT(type));
    b->suites = raw->suite.len > 0 ? raw->suite : suite;
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
    return 0;
}
