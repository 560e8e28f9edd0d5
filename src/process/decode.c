/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decoded-hit batch, its scratch arena, and the small parsers every
 * decoder shares: amounts, the Adobe events string, the products string and
 * context data. Protocol decoders (adobe.c, canton_json.c) fill a cn_dbatch_t
 * that processing then turns into rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/url.h"
#include "lib/xalloc.h"
#include "process/internal.h"

/* --- Arena --- */

struct cn_parena_block {
    cn_parena_block_t *next;
    char data[];
};

void cn_parena_init(cn_parena_t *a)
{
    a->cap = 64 * 1024;
    a->buf = cn_xmalloc(a->cap);
    a->len = 0;
    a->extra = NULL;
}

void cn_parena_reset(cn_parena_t *a)
{
    cn_parena_block_t *b = a->extra;
    while (b) {
        cn_parena_block_t *n = b->next;
        free(b);
        b = n;
    }
    a->extra = NULL;
    a->len = 0;
}

void cn_parena_dispose(cn_parena_t *a)
{
    cn_parena_reset(a);
    free(a->buf);
    a->buf = NULL;
}

char *cn_parena__alloc_block(cn_parena_t *a, size_t n)
{
    cn_parena_block_t *b = cn_xmalloc(sizeof(*b) + n);
    b->next = a->extra;
    a->extra = b;
    return b->data;
}

cn_str_t cn_parena_dup(cn_parena_t *a, cn_str_t s)
{
    if (s.len == 0)
        return cn_str("", 0);
    char *p = cn_parena_alloc(a, s.len);
    memcpy(p, s.ptr, s.len);
    return cn_str(p, s.len);
}

/* --- Batch --- */

void cn_dbatch_init(cn_dbatch_t *b)
{
    memset(b, 0, sizeof(*b));
    cn_parena_init(&b->arena);
    cn_buf_init(&b->body);
}

void cn_dbatch_init_small(cn_dbatch_t *b)
{
    cn_dbatch_init(b);
    free(b->arena.buf);
    b->arena.cap = 8192;
    b->arena.buf = cn_xmalloc(b->arena.cap);
    b->hits = cn_xmalloc(2 * sizeof(*b->hits));
    b->hit_cap = 2;
}

bool cn_dbatch_grown(const cn_dbatch_t *b)
{
    return b->body.cap > ((size_t)1 << 20) || b->hit_cap > 64;
}

void cn_dbatch_dispose(cn_dbatch_t *b)
{
    free(b->hits);
    free(b->events);
    free(b->prods);
    free(b->vars);
    free(b->ctx);
    cn_parena_dispose(&b->arena);
    cn_buf_dispose(&b->body);
    cn_charsets_free(b->charsets);
}

void cn_dbatch_reset(cn_dbatch_t *b)
{
    b->suites = CN_STR_NULL;
    b->hit_count = b->event_count = b->prod_count = b->var_count = b->ctx_count = 0;
    cn_parena_reset(&b->arena);
    cn_buf_clear(&b->body);
}

#define GROW(arr, count, cap)                                                                      \
    do {                                                                                           \
        if ((count) == (cap)) {                                                                    \
            (cap) = (cap) ? (cap)*2 : 16;                                                          \
            (arr) = cn_xrealloc((arr), (cap) * sizeof(*(arr)));                                    \
        }                                                                                          \
    } while (0)

cn_dhit_t *cn_dbatch_add_hit(cn_dbatch_t *b)
{
    GROW(b->hits, b->hit_count, b->hit_cap);
    cn_dhit_t *h = &b->hits[b->hit_count++];
#ifdef __SSE2__
    /* 16 bytes a store: the compiler makes a memset of this size (or these stores of
     * a known zero) into rep stos, which starts slowly; the asm hides that zv is zero */
    char *z = (char *)h;
    size_t i = 0;
    __m128i zv = _mm_setzero_si128();
    __asm__("" : "+x"(zv));
#pragma GCC unroll 32
    for (; i + 16 <= sizeof(*h); i += 16)
        _mm_storeu_si128((__m128i *)(z + i), zv);
    memset(z + i, 0, sizeof(*h) - i);
#else
    memset(h, 0, sizeof(*h));
#endif
    h->ev_first = (uint32_t)b->event_count;
    h->prod_first = (uint32_t)b->prod_count;
    h->var_first = (uint32_t)b->var_count;
    h->ctx_first = (uint32_t)b->ctx_count;
    return h;
}

static int add_event(cn_dbatch_t *b, cn_dhit_t *h, const cn_devent_t *ev, cn_err_t *err)
{
    if (h->ev_count >= CN_DEC_MAX_EVENTS) {
        cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d events", CN_DEC_MAX_EVENTS);
        return CN_BADROW_TOO_BIG;
    }
    GROW(b->events, b->event_count, b->event_cap);
    b->events[b->event_count++] = *ev;
    h->ev_count++;
    return 0;
}

/* --- Events string --- */

static const struct {
    const char *name;
    uint8_t flag;
} commerce_events[] = {
    {"prodView", CN_EV_PROD_VIEW}, {"scAdd", CN_EV_CART_ADD},       {"scOpen", CN_EV_CART_OPEN},
    {"scView", CN_EV_CART_VIEW},   {"scRemove", CN_EV_CART_REMOVE}, {"scCheckout", CN_EV_CHECKOUT},
    {"purchase", CN_EV_PURCHASE},
};

const char *cn_commerce_event_name(uint8_t flag)
{
    for (size_t i = 0; i < sizeof(commerce_events) / sizeof(commerce_events[0]); i++) {
        if (commerce_events[i].flag == flag)
            return commerce_events[i].name;
    }
    return NULL;
}

/*
 * The first byte in [p, end) that is a or b, or end. [base, end) must be
 * readable (base <= p): the last 16 bytes of it are read once fewer than 16
 * are left after p, so short fields need no byte loop.
 */
static inline const char *find_sep2(const char *p, const char *end, const char *base, char a,
                                    char b)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
    if (p < end && end - base >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(end - 16));
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        m >>= 16 - (end - p); /* bit 0: the byte at p */
        return m ? p + __builtin_ctz(m) : end;
    }
#else
    (void)base;
#endif
    while (p < end && *p != a && *p != b)
        p++;
    return p;
}

/* The first sep in [p, end), or end; [base, end) readable. */
static inline const char *find_sep(const char *p, const char *end, const char *base, char sep)
{
    return find_sep2(p, end, base, sep, sep);
}

/* --- Why a number is refused --- */

/* [+-]digits[.digits] with a digit somewhere: what cn_parse_money reads. */
static bool is_decimal(cn_str_t s, bool *has_point)
{
    size_t i = s.len > 0 && (s.ptr[0] == '-' || s.ptr[0] == '+') ? 1 : 0, digits = 0;
    *has_point = false;
    for (; i < s.len; i++) {
        if (s.ptr[i] >= '0' && s.ptr[i] <= '9')
            digits++;
        else if (s.ptr[i] == '.' && !*has_point)
            *has_point = true;
        else
            return false;
    }
    return digits > 0;
}

const char *cn_decode_money_why(cn_str_t s)
{
    bool point;
    if (!is_decimal(s, &point))
        return "is not a decimal amount such as 12.50";
    return "is out of range (at most 14 digits before the point)";
}

const char *cn_decode_qty_why(cn_str_t s)
{
    bool point;
    int64_t q;
    if (!is_decimal(s, &point))
        return "is not a number";
    if (point)
        return "is not a whole number";
    if (s.ptr[0] == '-' && (cn_str_to_i64(s, &q) != 0 || q < 0))
        return "is negative";
    if (cn_str_to_i64(s, &q) != 0 || q > CN_DEC_MAX_QTY)
        return "is over 1000000000";
    return NULL;
}

/* Parses one event token: "purchase", "event5", "event5=2.5", "event5:ID" ([base, the end of
 * tok) readable). */
static int parse_event(const char *base, cn_str_t tok, cn_devent_t *ev, cn_err_t *err)
{
    *ev = (cn_devent_t){.product = -1};
    cn_str_t name = tok, value = CN_STR_NULL;
    bool has_eq = false, has_colon = false;
    const char *sep = find_sep2(tok.ptr, tok.ptr + tok.len, base, '=', ':');
    if (sep < tok.ptr + tok.len) {
        size_t i = (size_t)(sep - tok.ptr);
        has_eq = *sep == '=';
        has_colon = !has_eq;
        name = cn_str(tok.ptr, i);
        value = cn_str(tok.ptr + i + 1, tok.len - i - 1);
    }
    name = cn_str_trim(name);
    uint8_t flag = cn_hit_commerce_flag(name);
    if (flag != 0) {
        ev->flag = flag;
        if (has_eq) {
            cn_err_set(err, CN_BADROW_BAD_EVENTS, "event '%.*s' takes no value", CN_STR_FMT(name));
            return CN_BADROW_BAD_EVENTS;
        }
        if (has_colon && flag == CN_EV_PURCHASE) {
            /* Adobe: the one event that cannot be serialized; purchaseID dedups orders */
            cn_err_set(err, CN_BADROW_BAD_EVENTS,
                       "purchase takes no serialization id (a repeated order is known by its "
                       "purchaseID)");
            return CN_BADROW_BAD_EVENTS;
        }
        if (has_colon) {
            if (value.len == 0 || value.len > 100) {
                cn_err_set(err, CN_BADROW_BAD_EVENTS, "%.*s serialization id %s", CN_STR_FMT(name),
                           value.len == 0 ? "is empty" : "is longer than 100 bytes");
                return CN_BADROW_BAD_EVENTS;
            }
            ev->serial = value;
        }
        return 0;
    }
    if (name.len < 6 || name.len > 9 || memcmp(name.ptr, "event", 5) != 0)
        goto bad;
    unsigned n = 0;
    for (size_t i = 5; i < name.len; i++) {
        if (name.ptr[i] < '0' || name.ptr[i] > '9')
            goto bad;
        n = n * 10 + (unsigned)(name.ptr[i] - '0');
    }
    if (n < 1 || n > CN_DEC_MAX_EVENT_NUM || name.ptr[5] == '0')
        goto bad;
    ev->num = (uint16_t)n;
    if (has_eq) {
        if (cn_parse_money(cn_str_trim(value), &ev->value) != 0) {
            cn_err_set(err, CN_BADROW_BAD_EVENTS, "event%u value '%.*s' %s", n, CN_STR_FMT(value),
                       cn_decode_money_why(cn_str_trim(value)));
            return CN_BADROW_BAD_EVENTS;
        }
        ev->has_value = true;
    } else if (has_colon) {
        if (value.len == 0 || value.len > 100) {
            cn_err_set(err, CN_BADROW_BAD_EVENTS, "event%u serialization id %s", n,
                       value.len == 0 ? "is empty" : "is longer than 100 bytes");
            return CN_BADROW_BAD_EVENTS;
        }
        ev->serial = value;
    }
    return 0;
bad:;
    /* "event" and digits: the number is out of range or has a leading zero */
    size_t d = 5;
    while (d < name.len && name.ptr[d] >= '0' && name.ptr[d] <= '9')
        d++;
    bool numbered = name.len > 5 && d == name.len && memcmp(name.ptr, "event", 5) == 0;
    cn_err_set(err, CN_BADROW_BAD_EVENTS, "unknown event '%.*s' (%s)", CN_STR_FMT(name),
               !numbered ? "eventN, purchase, prodView, scOpen, scAdd, scRemove, scView "
                           "or scCheckout, case-sensitive"
               : name.ptr[5] == '0' && name.len > 6 ? "eventN is written without leading zeros"
                                                    : "eventN is event1 to event1000");
    return CN_BADROW_BAD_EVENTS;
}

/*
 * An events string of more than one commerce event, or a product's: the list, out of line (the
 * string that is one commerce event, "prodView" on most hits, saves no registers for it).
 */
static __attribute__((noinline)) int events_list(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h,
                                                 int32_t product, cn_err_t *err)
{
    char sep = product >= 0 ? '|' : ',';
    const char *p = s.ptr, *end = s.ptr + s.len;
    for (;;) {
        const char *q = find_sep(p, end, s.ptr, sep);
        cn_str_t tok = cn_str_trim(cn_str(p, (size_t)(q - p)));
        if (tok.len > 0) {
            cn_devent_t ev;
            int r = parse_event(s.ptr, tok, &ev, err);
            if (r != 0)
                return r;
            if (product >= 0 && ev.num == 0) {
                cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product event '%.*s' is not eventN",
                           CN_STR_FMT(tok));
                return CN_BADROW_BAD_PRODUCTS;
            }
            ev.product = product;
            if (product < 0)
                h->events |= ev.flag;
            h->has_serial |= ev.serial.len > 0;
            if ((r = add_event(b, h, &ev, err)) != 0)
                return r;
        }
        if (q == end)
            return 0;
        p = q + 1;
    }
}

int cn_decode_events(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h, int32_t product, cn_err_t *err)
{
    if (s.ptr == NULL)
        return 0;
    if (product < 0) {
        /* the whole string one commerce event ("prodView"): what the loop gives */
        uint8_t flag = cn_hit_commerce_flag(s);
        if (flag != 0) {
            cn_devent_t ev = {.flag = flag, .product = -1};
            h->events |= flag;
            return add_event(b, h, &ev, err);
        }
    }
    return events_list(s, b, h, product, err);
}

/* --- Products string --- */

/*
 * add_var() is called for most parameters of a hit: its common path (room
 * left) calls nothing, so it saves no registers; growing the array and the
 * error are tail calls to functions of their own.
 */
static __attribute__((noinline)) int add_var_grow(cn_dbatch_t *b, cn_dhit_t *h, uint32_t var,
                                                  cn_str_t value, int32_t product)
{
    GROW(b->vars, b->var_count, b->var_cap);
    b->vars[b->var_count++] = (cn_dvar_t){.var = var, .product = product, .value = value};
    h->var_count++;
    h->has_list |= (var & CN_VAR_FAMILY_MASK) == CN_VAR_LIST;
    return 0;
}

static __attribute__((noinline)) int too_many_vars(cn_err_t *err)
{
    cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d variables", CN_DEC_MAX_VARS);
    return CN_BADROW_TOO_BIG;
}

static inline int add_var(cn_dbatch_t *b, cn_dhit_t *h, uint32_t var, cn_str_t value,
                          int32_t product, cn_err_t *err)
{
    if (h->var_count >= CN_DEC_MAX_VARS)
        return too_many_vars(err);
    if (b->var_count == b->var_cap)
        return add_var_grow(b, h, var, value, product);
    b->vars[b->var_count++] = (cn_dvar_t){.var = var, .product = product, .value = value};
    h->var_count++;
    h->has_list |= (var & CN_VAR_FAMILY_MASK) == CN_VAR_LIST;
    return 0;
}

int cn_decode_vars_add(cn_dbatch_t *b, cn_dhit_t *h, uint32_t var, cn_str_t value, cn_err_t *err)
{
    return add_var(b, h, var, value, -1, err);
}

int cn_decode_vars_add_at(cn_dbatch_t *b, cn_dhit_t *h, uint32_t var, int32_t product,
                          cn_str_t value, cn_err_t *err)
{
    return add_var(b, h, var, value, product, err);
}

/* "eVar4=Red Mug" → var CN_VAR_EVAR|4 ([base, the end of tok) readable); NULL, or why tok is
 * not one (to follow it in a bad row's detail). */
static const char *parse_merch_evar(const char *base, cn_str_t tok, uint32_t *var, cn_str_t *value)
{
    const char *eq = find_sep(tok.ptr, tok.ptr + tok.len, base, '=');
    if (eq == tok.ptr + tok.len)
        return "is not eVarN=value";
    cn_str_t name = cn_str(tok.ptr, (size_t)(eq - tok.ptr));
    if (name.len < 5 || name.len > 7 || (name.ptr[0] | 0x20) != 'e' ||
        (name.ptr[1] | 0x20) != 'v' || (name.ptr[2] | 0x20) != 'a' || (name.ptr[3] | 0x20) != 'r')
        return "is not eVarN=value";
    unsigned n = 0;
    for (size_t i = 4; i < name.len; i++) {
        if (name.ptr[i] < '0' || name.ptr[i] > '9')
            return "is not eVarN=value";
        n = n * 10 + (unsigned)(name.ptr[i] - '0');
    }
    if (n < 1 || n > 250)
        return "names an eVar outside eVar1 to eVar250";
    *var = CN_VAR_EVAR | n;
    *value = cn_str(eq + 1, tok.len - name.len - 1);
    return NULL;
}

/* One product (its text between commas, not blank) with its fields f[0..nf-1], all inside
 * the products string that starts at base. */
static int add_product(const char *base, cn_str_t prod, const cn_str_t *f, int nf, cn_dbatch_t *b,
                       cn_dhit_t *h, cn_err_t *err)
{
    cn_dprod_t p = {.category = cn_str_trim(f[0]),
                    .sku = nf > 1 ? cn_str_trim(f[1]) : cn_str(NULL, 0)};
    if (p.sku.len == 0) {
        cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product '%.*s' has no product id",
                   CN_STR_FMT(prod));
        return CN_BADROW_BAD_PRODUCTS;
    }
    cn_str_t q = nf > 2 ? cn_str_trim(f[2]) : cn_str(NULL, 0),
             pr = nf > 3 ? cn_str_trim(f[3]) : cn_str(NULL, 0);
    if (q.len > 0) {
        if (cn_str_to_i64(q, &p.qty) != 0 || p.qty < 0 || p.qty > CN_DEC_MAX_QTY) {
            const char *why = cn_decode_qty_why(q);
            cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: quantity '%.*s' %s",
                       CN_STR_FMT(p.sku), CN_STR_FMT(q), why ? why : "is bad");
            return CN_BADROW_BAD_PRODUCTS;
        }
        p.has_qty = true;
    }
    if (pr.len > 0) {
        if (cn_parse_money(pr, &p.price) != 0) {
            cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: price '%.*s' %s",
                       CN_STR_FMT(p.sku), CN_STR_FMT(pr), cn_decode_money_why(pr));
            return CN_BADROW_BAD_PRODUCTS;
        }
        /* A price is what the products were sold for: a negative one would take revenue
         * away from the order (Adobe documents the field as the products' total price and
         * has no returns in it; refunds are a currency event) */
        if (p.price < 0) {
            cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: negative price '%.*s'",
                       CN_STR_FMT(p.sku), CN_STR_FMT(pr));
            return CN_BADROW_BAD_PRODUCTS;
        }
        p.has_price = true;
    }
    int32_t idx = (int32_t)h->prod_count;
    GROW(b->prods, b->prod_count, b->prod_cap);
    b->prods[b->prod_count++] = p;
    h->prod_count++;
    if (nf > 4 && f[4].len > 0) {
        int r = cn_decode_events(f[4], b, h, idx, err);
        if (r != 0)
            return r;
    }
    if (nf > 5 && f[5].len > 0) {
        const char *s = f[5].ptr, *end = f[5].ptr + f[5].len;
        for (;;) {
            const char *e = find_sep(s, end, base, '|');
            cn_str_t tok = cn_str(s, (size_t)(e - s)), t = cn_str_trim(tok);
            if (t.len > 0) {
                uint32_t var;
                cn_str_t val;
                const char *why = parse_merch_evar(base, t, &var, &val);
                if (why != NULL) {
                    cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: eVar '%.*s' %s",
                               CN_STR_FMT(p.sku), CN_STR_FMT(tok), why);
                    return CN_BADROW_BAD_PRODUCTS;
                }
                int r = add_var(b, h, var, val, idx, err);
                if (r != 0)
                    return r;
            }
            if (e == end)
                break;
            s = e + 1;
        }
    }
    return 0;
}

/*
 * One pass over the string: each product runs to the next ',' and its
 * fields split at the first five ';' (a sixth means more than six fields).
 */
int cn_decode_products(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h, cn_err_t *err)
{
    if (s.ptr == NULL)
        return 0;
    const char *p = s.ptr, *end = s.ptr + s.len;
    for (;;) {
        const char *st = p, *fs = p;
        cn_str_t f[6];
        int nf = 0;
        bool more_fields = false;
        while ((p = find_sep2(p, end, s.ptr, ',', ';')) < end && *p == ';') {
            if (nf == 5) {
                more_fields = true;
                p = find_sep(p, end, s.ptr, ',');
                break;
            }
            f[nf++] = cn_str(fs, (size_t)(p - fs));
            fs = ++p;
        }
        f[nf++] = cn_str(fs, (size_t)(p - fs));
        cn_str_t prod = cn_str(st, (size_t)(p - st));
        if (cn_str_trim(prod).len > 0) {
            if (h->prod_count >= CN_DEC_MAX_PRODUCTS) {
                cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d products", CN_DEC_MAX_PRODUCTS);
                return CN_BADROW_TOO_BIG;
            }
            if (more_fields) {
                cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product '%.*s' has more than 6 fields",
                           CN_STR_FMT(prod));
                return CN_BADROW_BAD_PRODUCTS;
            }
            int r = add_product(s.ptr, prod, f, nf, b, h, err);
            if (r != 0)
                return r;
        }
        if (p == end)
            return 0;
        p++;
    }
}

/* --- Context data --- */

#define CTX_MAX_DEPTH 16
#define CTX_MAX_KEY   255

int cn_decode_ctx_add(cn_dbatch_t *b, cn_dhit_t *h, cn_str_t key, cn_str_t value, cn_err_t *err)
{
    if (h->ctx_count >= CN_DEC_MAX_CTX) {
        cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d context-data entries", CN_DEC_MAX_CTX);
        return CN_BADROW_TOO_BIG;
    }
    GROW(b->ctx, b->ctx_count, b->ctx_cap);
    b->ctx[b->ctx_count++] = (cn_dkv_t){key, value};
    h->ctx_count++;
    return 0;
}

/*
 * Keys and values decode as the hit's other Adobe values do (cn_adobe_decode_value): percent
 * escapes, %uXXXX, the charset ce names (charset is its CN_CHARSET_*), valid UTF-8. The
 * markers (c., .c, group., .group) are ASCII, which every charset ce may name leaves as it is.
 */
int cn_decode_contextdata(cn_str_t q, cn_dbatch_t *b, cn_dhit_t *h, int charset, cn_err_t *err)
{
    cn_str_t stack[CTX_MAX_DEPTH];
    int depth = 0;
    bool in = false;
    cn_str_t name, value;
    bool eq;
    while (cn_query_next(&q, &name, &value, &eq)) {
        name = cn_adobe_decode_value(b, charset, name);
        /* markers (c., group., .group, .c) have no value; some senders write "c.=" */
        eq = eq && value.len > 0;
        if (!in) {
            if (!eq && cn_str_eq_c(name, "c.")) {
                in = true;
                depth = 0;
            }
            continue;
        }
        if (!eq && cn_str_eq_c(name, ".c")) {
            if (depth > 0) {
                cn_err_set(err, CN_BADROW_BAD_QUERY, "context data ends inside group '%.*s'",
                           CN_STR_FMT(stack[depth - 1]));
                return CN_BADROW_BAD_QUERY;
            }
            in = false;
            continue;
        }
        if (!eq && name.len > 1 && name.ptr[name.len - 1] == '.') {
            if (depth == CTX_MAX_DEPTH) {
                cn_err_set(err, CN_BADROW_BAD_QUERY, "context data nested deeper than %d",
                           CTX_MAX_DEPTH);
                return CN_BADROW_BAD_QUERY;
            }
            stack[depth++] = cn_str(name.ptr, name.len - 1);
            continue;
        }
        if (!eq && name.len > 1 && name.ptr[0] == '.') {
            cn_str_t g = cn_str(name.ptr + 1, name.len - 1);
            if (depth == 0 || !cn_str_eq(stack[depth - 1], g)) {
                cn_err_set(err, CN_BADROW_BAD_QUERY, "context data closes '%.*s' that is not open",
                           CN_STR_FMT(g));
                return CN_BADROW_BAD_QUERY;
            }
            depth--;
            continue;
        }
        if (!eq || name.len == 0)
            continue; /* a stray flag inside context data carries no value */
        size_t klen = name.len;
        for (int i = 0; i < depth; i++)
            klen += stack[i].len + 1;
        if (klen > CTX_MAX_KEY) {
            cn_err_set(err, CN_BADROW_BAD_QUERY, "context-data key longer than %d", CTX_MAX_KEY);
            return CN_BADROW_BAD_QUERY;
        }
        char *k = cn_parena_alloc(&b->arena, klen);
        size_t o = 0;
        for (int i = 0; i < depth; i++) {
            memcpy(k + o, stack[i].ptr, stack[i].len);
            o += stack[i].len;
            k[o++] = '.';
        }
        memcpy(k + o, name.ptr, name.len);
        int r =
            cn_decode_ctx_add(b, h, cn_str(k, klen), cn_adobe_decode_value(b, charset, value), err);
        if (r != 0)
            return r;
    }
    if (in && depth > 0) {
        cn_err_set(err, CN_BADROW_BAD_QUERY, "context data group '%.*s' is never closed",
                   CN_STR_FMT(stack[depth - 1]));
        return CN_BADROW_BAD_QUERY;
    }
    return 0;
}

/* --- Bodies --- */

int cn_decode_gunzip(cn_str_t in, cn_buf_t *out, cn_err_t *err)
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

/* CN_BADROW_TOO_BIG naming what, when s is longer than CN_DEC_MAX_VALUE; else 0. */
static int check_len(cn_str_t s, const char *what, uint32_t num, cn_err_t *err)
{
    if (s.len <= CN_DEC_MAX_VALUE)
        return 0;
    char n[16] = "";
    if (num != 0)
        snprintf(n, sizeof(n), "%u", (unsigned)num);
    cn_err_set(err, CN_BADROW_TOO_BIG, "%s%s is %zu bytes (a value is at most %u bytes)", what, n,
               s.len, (unsigned)CN_DEC_MAX_VALUE);
    return CN_BADROW_TOO_BIG;
}

/*
 * Every value a decoded hit can put in a store's dictionary fits one (CN_DEC_MAX_VALUE), so
 * that a request with a value of megabytes is a too_big bad row, not a row the store refuses,
 * which would stop processing.
 */
static int check_value_lengths(const cn_dbatch_t *b, cn_err_t *err)
{
    static const char *const var_family[] = {"", "eVar", "prop", "list", "hier", "eVar"};
    int rc = 0;
    for (size_t i = 0; i < b->hit_count; i++) {
        const cn_dhit_t *h = &b->hits[i];
        /* (a referrer kept raw, cn_decode_referrer, is within a third of the limit: so is its
         * decoded value within the limit) */
        const struct {
            cn_str_t s;
            const char *what;
        } f[] = {{h->page_name, "the page name"}, {h->url, "the page URL"},
                 {h->referrer, "the referrer"},   {h->section, "the site section"},
                 {h->server, "the server"},       {h->page_type, "the page type"},
                 {h->link_url, "the link URL"},   {h->link_name, "the link name"},
                 {h->campaign, "the campaign"},   {h->purchase_id, "the purchase id"},
                 {h->currency, "the currency"},   {h->screen, "the screen"},
                 {h->language, "the language"}};
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
            if ((rc = check_len(f[k].s, f[k].what, 0, err)) != 0)
                return rc;
        }
        for (uint32_t k = 0; k < h->var_count; k++) {
            const cn_dvar_t *v = &b->vars[h->var_first + k];
            uint32_t fam = (v->var >> 16) & 0xff;
            if ((rc = check_len(v->value, fam < 6 ? var_family[fam] : "variable ", v->var & 0xff,
                                err)) != 0)
                return rc;
        }
        for (uint32_t k = 0; k < h->prod_count; k++) {
            const cn_dprod_t *pr = &b->prods[h->prod_first + k];
            if ((rc = check_len(pr->sku, "a product id", 0, err)) != 0 ||
                (rc = check_len(pr->category, "a product category", 0, err)) != 0)
                return rc;
        }
        for (uint32_t k = 0; k < h->ctx_count; k++) {
            const cn_dkv_t *kv = &b->ctx[h->ctx_first + k];
            if ((rc = check_len(kv->value, "a context-data value", 0, err)) != 0)
                return rc;
        }
    }
    return 0;
}

/* --- Dispatch --- */

static int decode_proto(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    switch (raw->proto) {
    case CN_PROTO_ADOBE:
        return cn_decode_adobe(raw, b, err);
    case CN_PROTO_CANTON_JSON:
        return cn_decode_canton_json(raw, b, err);
    case CN_PROTO_CANTON_PIXEL:
        return cn_decode_canton_pixel(raw, b, err);
    case CN_PROTO_IMPORT_LOG:
        return cn_decode_import_log(raw, b, err);
    case CN_PROTO_IMPORT_ROW:
        return cn_decode_import_row(raw, b, err);
    default:
        cn_err_set(err, CN_BADROW_UNSUPPORTED, "no decoder for protocol %s",
                   cn_proto_name(raw->proto));
        return CN_BADROW_UNSUPPORTED;
    }
}

int cn_decode_raw(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    cn_dbatch_reset(b);
    int rc = decode_proto(raw, b, err);
    /* A decoded value is at most 4 bytes for each byte it came from (a charset's conversion
     * to UTF-8, charset.c), so only a raw hit of over a quarter of the limit, counting an
     * inflated body, can hold one too long: the others skip the walk. The path and the
     * headers count too: an imported log line's URL is built from its path and Host, and an
     * Adobe D= value is a header's (the user agent's, ua: CN_RAWHIT_UA_ELIDED). */
    if (rc == 0 && (raw->path.len + raw->query.len + raw->headers.len + raw->ua.len +
                    raw->body.len + b->body.len) > CN_DEC_MAX_VALUE / 4)
        rc = check_value_lengths(b, err);
    return rc;
}
