/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference decoders of the Adobe events and products strings: the
 * straightforward versions (cn_str_split and cn_str_trim on every token) that
 * decode.c replaced with one-pass ones. fuzz_events and fuzz_products decode
 * each input both ways and compare the results (dbatch_eq.h). The words after
 * a refused amount or quantity come from decode.c's cn_decode_money_why and
 * cn_decode_qty_why: the reference checks where and whether, not the wording.
 */
#ifndef CN_FUZZ_DECODE_REF_H
#define CN_FUZZ_DECODE_REF_H

#include <string.h>

#include "lib/xalloc.h"
#include "process/internal.h"

static const struct {
    const char *name;
    uint8_t flag;
} commerce_events[] = {
    {"prodView", CN_EV_PROD_VIEW}, {"scAdd", CN_EV_CART_ADD},       {"scOpen", CN_EV_CART_OPEN},
    {"scView", CN_EV_CART_VIEW},   {"scRemove", CN_EV_CART_REMOVE}, {"scCheckout", CN_EV_CHECKOUT},
    {"purchase", CN_EV_PURCHASE},
};

static int ref_add_event(cn_dbatch_t *b, cn_dhit_t *h, const cn_devent_t *ev, cn_err_t *err)
{
    if (h->ev_count >= CN_DEC_MAX_EVENTS) {
        cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d events", CN_DEC_MAX_EVENTS);
        return CN_BADROW_TOO_BIG;
    }
    if (b->event_count == b->event_cap) {
        b->event_cap = b->event_cap ? b->event_cap * 2 : 16;
        b->events = cn_xrealloc(b->events, b->event_cap * sizeof(*b->events));
    }
    b->events[b->event_count++] = *ev;
    h->ev_count++;
    return 0;
}

/* Parses one event token: "purchase", "event5", "event5=2.5", "event5:ID". */
static int ref_parse_event(cn_str_t tok, cn_devent_t *ev, cn_err_t *err)
{
    memset(ev, 0, sizeof(*ev));
    ev->product = -1;
    cn_str_t name = tok, value = CN_STR_NULL;
    bool has_eq = false, has_colon = false;
    for (size_t i = 0; i < tok.len; i++) {
        if (tok.ptr[i] == '=' || tok.ptr[i] == ':') {
            has_eq = tok.ptr[i] == '=';
            has_colon = !has_eq;
            name = cn_str(tok.ptr, i);
            value = cn_str(tok.ptr + i + 1, tok.len - i - 1);
            break;
        }
    }
    name = cn_str_trim(name);
    for (size_t i = 0; i < sizeof(commerce_events) / sizeof(commerce_events[0]); i++) {
        if (cn_str_eq_c(name, commerce_events[i].name)) {
            ev->flag = commerce_events[i].flag;
            if (has_eq) {
                cn_err_set(err, CN_BADROW_BAD_EVENTS, "event '%.*s' takes no value",
                           CN_STR_FMT(name));
                return CN_BADROW_BAD_EVENTS;
            }
            if (!has_colon)
                return 0;
            /* a serialization id, as for eventN; purchase takes none (purchaseID) */
            if (ev->flag == CN_EV_PURCHASE) {
                cn_err_set(err, CN_BADROW_BAD_EVENTS,
                           "purchase takes no serialization id (a repeated order is known by "
                           "its purchaseID)");
                return CN_BADROW_BAD_EVENTS;
            }
            if (value.len == 0 || value.len > 100) {
                cn_err_set(err, CN_BADROW_BAD_EVENTS, "%.*s serialization id %s", CN_STR_FMT(name),
                           value.len == 0 ? "is empty" : "is longer than 100 bytes");
                return CN_BADROW_BAD_EVENTS;
            }
            ev->serial = value;
            return 0;
        }
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
    const char *hint = "eventN, purchase, prodView, scOpen, scAdd, scRemove, scView or "
                       "scCheckout, case-sensitive";
    size_t d = 5;
    while (d < name.len && name.ptr[d] >= '0' && name.ptr[d] <= '9')
        d++;
    if (name.len > 5 && d == name.len && memcmp(name.ptr, "event", 5) == 0)
        hint = name.ptr[5] == '0' && name.len > 6 ? "eventN is written without leading zeros"
                                                  : "eventN is event1 to event1000";
    cn_err_set(err, CN_BADROW_BAD_EVENTS, "unknown event '%.*s' (%s)", CN_STR_FMT(name), hint);
    return CN_BADROW_BAD_EVENTS;
}

static int ref_decode_events(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h, int32_t product,
                             cn_err_t *err)
{
    char sep = product >= 0 ? '|' : ',';
    cn_str_t rest = s, tok;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, sep, &tok);
        tok = cn_str_trim(tok);
        if (tok.len == 0)
            continue;
        cn_devent_t ev;
        int r = ref_parse_event(tok, &ev, err);
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
        if ((r = ref_add_event(b, h, &ev, err)) != 0)
            return r;
    }
    return 0;
}

/* "eVar4=Red Mug" → var CN_VAR_EVAR|4. */
/* 0, -1 (not eVarN=value) or -2 (N out of 1..250). */
static int ref_parse_merch_evar(cn_str_t tok, uint32_t *var, cn_str_t *value)
{
    const char *eq = memchr(tok.ptr, '=', tok.len);
    if (eq == NULL)
        return -1;
    cn_str_t name = cn_str(tok.ptr, (size_t)(eq - tok.ptr));
    if (name.len < 5 || name.len > 7 || !cn_str_eq_nocase(cn_str(name.ptr, 4), CN_STR_LIT("evar")))
        return -1;
    unsigned n = 0;
    for (size_t i = 4; i < name.len; i++) {
        if (name.ptr[i] < '0' || name.ptr[i] > '9')
            return -1;
        n = n * 10 + (unsigned)(name.ptr[i] - '0');
    }
    if (n < 1 || n > 250)
        return -2;
    *var = CN_VAR_EVAR | n;
    *value = cn_str(eq + 1, tok.len - name.len - 1);
    return 0;
}

static inline int ref_decode_products(cn_str_t s, cn_dbatch_t *b, cn_dhit_t *h, cn_err_t *err)
{
    cn_str_t rest = s, prod;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &prod);
        if (cn_str_trim(prod).len == 0)
            continue;
        if (h->prod_count >= CN_DEC_MAX_PRODUCTS) {
            cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d products", CN_DEC_MAX_PRODUCTS);
            return CN_BADROW_TOO_BIG;
        }
        cn_str_t f[6] = {{0}};
        cn_str_t r2 = prod;
        int nf = 0;
        while (r2.ptr != NULL && nf < 6)
            r2 = cn_str_split(r2, ';', &f[nf++]);
        if (r2.ptr != NULL) {
            cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product '%.*s' has more than 6 fields",
                       CN_STR_FMT(prod));
            return CN_BADROW_BAD_PRODUCTS;
        }
        cn_dprod_t p = {0};
        p.category = cn_str_trim(f[0]);
        p.sku = cn_str_trim(f[1]);
        if (p.sku.len == 0) {
            cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product '%.*s' has no product id",
                       CN_STR_FMT(prod));
            return CN_BADROW_BAD_PRODUCTS;
        }
        cn_str_t q = cn_str_trim(f[2]), pr = cn_str_trim(f[3]);
        if (q.len > 0) {
            if (cn_str_to_i64(q, &p.qty) != 0 || p.qty < 0 || p.qty > 1000000000) {
                cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: quantity '%.*s' %s",
                           CN_STR_FMT(p.sku), CN_STR_FMT(q), cn_decode_qty_why(q));
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
            if (p.price < 0) {
                cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: negative price '%.*s'",
                           CN_STR_FMT(p.sku), CN_STR_FMT(pr));
                return CN_BADROW_BAD_PRODUCTS;
            }
            p.has_price = true;
        }
        int32_t idx = (int32_t)h->prod_count;
        if (b->prod_count == b->prod_cap) {
            b->prod_cap = b->prod_cap ? b->prod_cap * 2 : 16;
            b->prods = cn_xrealloc(b->prods, b->prod_cap * sizeof(*b->prods));
        }
        b->prods[b->prod_count++] = p;
        h->prod_count++;
        if (nf > 4 && f[4].len > 0) {
            int r = ref_decode_events(f[4], b, h, idx, err);
            if (r != 0)
                return r;
        }
        if (nf > 5 && f[5].len > 0) {
            cn_str_t r3 = f[5], tok;
            while (r3.ptr != NULL) {
                r3 = cn_str_split(r3, '|', &tok);
                if (cn_str_trim(tok).len == 0)
                    continue;
                uint32_t var;
                cn_str_t val;
                int me = ref_parse_merch_evar(cn_str_trim(tok), &var, &val);
                if (me != 0) {
                    cn_err_set(err, CN_BADROW_BAD_PRODUCTS, "product %.*s: eVar '%.*s' %s",
                               CN_STR_FMT(p.sku), CN_STR_FMT(tok),
                               me == -2 ? "names an eVar outside eVar1 to eVar250"
                                        : "is not eVarN=value");
                    return CN_BADROW_BAD_PRODUCTS;
                }
                int r = cn_decode_vars_add_at(b, h, var, idx, val, err);
                if (r != 0)
                    return r;
            }
        }
    }
    return 0;
}

#endif
