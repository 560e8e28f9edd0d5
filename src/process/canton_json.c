/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders for canton's own protocols: the JSON batch (POST /api/collect,
 * one object with "suite", "visitor" and 1..500 "events") and the pixel
 * (GET /i?suite=..&type=..&url=..). The vocabulary is in docs/hit.md; the
 * body may be gzip (flagged by the collector or starting with 1f 8b) and is
 * inflated with zlib under CN_DEC_MAX_BODY.
 */
#include <jansson.h>
#include <string.h>
#include <zlib.h>

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

/* Copies a JSON string member into the arena; returns "" when absent, -1 when not a string. */
static int jstr(cn_dbatch_t *b, json_t *obj, const char *key, cn_str_t *out)
{
    json_t *v = json_object_get(obj, key);
    *out = cn_str("", 0);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = cn_parena_dup(&b->arena, cn_str(json_string_value(v), json_string_length(v)));
    return 0;
}

/* A JSON number or numeric string as fixed point. */
static int jmoney(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > 100000000000000LL || i < -100000000000000LL)
            return -1;
        *out = (int64_t)i * CN_MONEY_SCALE;
        return 0;
    }
    char buf[64];
    if (json_is_real(v)) {
        /* %.6f then exact decimal parsing: 207.6 stays 2076000, not 2075999 */
        snprintf(buf, sizeof(buf), "%.6f", json_real_value(v));
        return cn_parse_money(cn_str_c(buf), out);
    }
    if (json_is_string(v))
        return cn_parse_money(cn_str(json_string_value(v), json_string_length(v)), out);
    return -1;
}

#define BAD(code, ...)                                                                             \
    do {                                                                                           \
        cn_err_set(err, code, __VA_ARGS__);                                                        \
        return code;                                                                               \
    } while (0)

static int decode_event(cn_dbatch_t *b, json_t *ev, size_t idx, cn_str_t visitor, cn_err_t *err)
{
    if (!json_is_object(ev))
        BAD(CN_BADROW_BAD_JSON, "events[%zu] is not an object", idx);
    cn_str_t type;
    if (jstr(b, ev, "type", &type) != 0)
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
    if (jstr(b, ev, "url", &h->url) || jstr(b, ev, "referrer", &h->referrer) ||
        jstr(b, ev, "title", &h->page_name) || jstr(b, ev, "name", &name) ||
        jstr(b, ev, "target", &target) || jstr(b, ev, "screen", &h->screen) ||
        jstr(b, ev, "lang", &h->language) || jstr(b, ev, "order_id", &h->purchase_id) ||
        jstr(b, ev, "currency", &h->currency))
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
    json_t *rev = json_object_get(ev, "revenue");
    if (rev != NULL && !json_is_null(rev)) {
        if (jmoney(rev, &h->revenue) != 0)
            BAD(CN_BADROW_BAD_JSON, "events[%zu].revenue is not a number", idx);
        h->has_revenue = true;
    }
    json_t *items = json_object_get(ev, "items");
    if (items != NULL && !json_is_null(items)) {
        if (!json_is_array(items))
            BAD(CN_BADROW_BAD_JSON, "events[%zu].items is not an array", idx);
        if (json_array_size(items) > CN_DEC_MAX_PRODUCTS)
            BAD(CN_BADROW_TOO_BIG, "events[%zu]: more than %d items", idx, CN_DEC_MAX_PRODUCTS);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            if (!json_is_object(it))
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu] is not an object", idx, i);
            cn_dprod_t p = {0};
            if (jstr(b, it, "sku", &p.sku) || jstr(b, it, "category", &p.category))
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu]: sku/category not a string", idx,
                    i);
            if (p.sku.len == 0 && jstr(b, it, "name", &p.sku) != 0)
                BAD(CN_BADROW_BAD_JSON, "events[%zu].items[%zu].name not a string", idx, i);
            if (p.sku.len == 0)
                BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu] has no sku", idx, i);
            json_t *q = json_object_get(it, "quantity");
            int64_t qty = 1;
            if (q != NULL && !json_is_null(q)) {
                if (!json_is_integer(q) || json_integer_value(q) < 0 ||
                    json_integer_value(q) > 1000000000)
                    BAD(CN_BADROW_BAD_PRODUCTS, "events[%zu].items[%zu].quantity is bad", idx, i);
                qty = json_integer_value(q);
            }
            p.qty = qty;
            p.has_qty = true;
            json_t *pr = json_object_get(it, "price");
            if (pr != NULL && !json_is_null(pr)) {
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
    json_t *props = json_object_get(ev, "props");
    if (props != NULL && !json_is_null(props)) {
        if (!json_is_object(props))
            BAD(CN_BADROW_BAD_JSON, "events[%zu].props is not an object", idx);
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v)
        {
            char num[64];
            cn_str_t val;
            if (json_is_string(v)) {
                val = cn_str(json_string_value(v), json_string_length(v));
            } else if (json_is_integer(v)) {
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
                val = cn_str_c(num);
            } else if (json_is_real(v)) {
                snprintf(num, sizeof(num), "%.17g", json_real_value(v));
                val = cn_str_c(num);
            } else if (json_is_boolean(v)) {
                val = json_is_true(v) ? CN_STR_LIT("true") : CN_STR_LIT("false");
            } else {
                BAD(CN_BADROW_BAD_JSON, "events[%zu].props.%s is not a string or number", idx, k);
            }
            int rc = cn_decode_ctx_add(b, h, cn_parena_dup(&b->arena, cn_str_c(k)),
                                       cn_parena_dup(&b->arena, val), err);
            if (rc != 0)
                return rc;
        }
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
    json_error_t je;
    json_t *root = json_loadb(body.ptr, body.len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        BAD(CN_BADROW_BAD_JSON, "body is not JSON: %s (at %d)", je.text, je.position);
    int rc = 0;
    if (!json_is_object(root)) {
        cn_err_set(err, CN_BADROW_BAD_JSON, "body is not a JSON object");
        rc = CN_BADROW_BAD_JSON;
        goto done;
    }
    cn_str_t suite, visitor;
    if (jstr(b, root, "suite", &suite) || jstr(b, root, "visitor", &visitor)) {
        cn_err_set(err, CN_BADROW_BAD_JSON, "suite/visitor is not a string");
        rc = CN_BADROW_BAD_JSON;
        goto done;
    }
    b->suites = raw->suite.len > 0 ? raw->suite : suite;
    json_t *events = json_object_get(root, "events");
    if (!json_is_array(events) || json_array_size(events) == 0) {
        cn_err_set(err, CN_BADROW_BAD_JSON, "events is not a non-empty array");
        rc = CN_BADROW_BAD_JSON;
        goto done;
    }
    if (json_array_size(events) > CN_DEC_MAX_HITS) {
        cn_err_set(err, CN_BADROW_TOO_BIG, "more than %d events", CN_DEC_MAX_HITS);
        rc = CN_BADROW_TOO_BIG;
        goto done;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        if ((rc = decode_event(b, ev, i, visitor, err)) != 0)
            goto done;
    }
done:
    json_decref(root);
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
