/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder for imported hit-level rows (proto import-row, docs/import.md):
 * the row's fields are the raw hit's canonical query string. The names are
 * those `canton export` writes (docs/storage.md "Export") plus the canton
 * JSON ones (title, referrer, order_id...), so an export imports back; the
 * mapping and what does not round-trip are in docs/processing.md
 * "Imported hits".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/url.h"
#include "process/internal.h"

#define BAD(code, ...)                                                                             \
    do {                                                                                           \
        cn_err_set(err, code, __VA_ARGS__);                                                        \
        return code;                                                                               \
    } while (0)

/* A field's name or value percent-decoded, as valid UTF-8 (cn_utf8_valid: each invalid byte or
 * sequence becomes U+FFFD, as Adobe and pixel values do when they are decoded). */
static cn_str_t dec(cn_dbatch_t *b, cn_str_t s)
{
    if (!cn_url_needs_decode(s))
        return cn_utf8_valid(b, s);
    char *p = cn_parena_alloc(&b->arena, s.len ? s.len : 1);
    return cn_utf8_valid(b, cn_str(p, cn_url_decode_to(s, p)));
}

/*
 * "evar3" / "prop1" / "list2" / "hier1" -> CN_VAR_* | n, or 0. "evar5@2" (export's
 * merchandising eVar bound to the hit's item 2) -> CN_VAR_EVAR | 5 with *product = 2;
 * *product is -1 for the others.
 */
static uint32_t var_of(cn_str_t name, int32_t *product)
{
    static const struct {
        const char *p;
        uint32_t fam;
        unsigned max;
    } fams[] = {{"evar", CN_VAR_EVAR, 250},
                {"prop", CN_VAR_PROP, 75},
                {"list", CN_VAR_LIST, 3},
                {"hier", CN_VAR_HIER, 5}};
    *product = -1;
    const char *at = memchr(name.ptr, '@', name.len);
    if (at != NULL) {
        int64_t k;
        cn_str_t idx = cn_str(at + 1, (size_t)(name.ptr + name.len - at - 1));
        if (idx.len == 0 || idx.len > 4 || cn_str_to_i64(idx, &k) != 0 || k < 0 ||
            k >= CN_DEC_MAX_PRODUCTS)
            return 0;
        name.len = (size_t)(at - name.ptr);
        uint32_t var = var_of(name, product);
        if ((var & CN_VAR_FAMILY_MASK) != CN_VAR_EVAR)
            return 0;
        *product = (int32_t)k;
        return var;
    }
    for (size_t f = 0; f < 4; f++) {
        if (name.len < 5 || name.len > 7 ||
            !cn_str_eq_nocase(cn_str(name.ptr, 4), cn_str_c(fams[f].p)))
            continue;
        int64_t n;
        if (name.ptr[4] == '0' || cn_str_to_i64(cn_str(name.ptr + 4, name.len - 4), &n) != 0 ||
            n < 1 || n > fams[f].max)
            return 0;
        return fams[f].fam | (uint32_t)n;
    }
    return 0;
}

static int jmoney(json_t *v, int64_t *out)
{
    char buf[64];
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return cn_parse_money(cn_str_c(buf), out);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.6f", json_real_value(v));
        return cn_parse_money(cn_str_c(buf), out);
    }
    if (json_is_string(v))
        return cn_parse_money(cn_str(json_string_value(v), json_string_length(v)), out);
    return -1;
}

static cn_str_t jdup(cn_dbatch_t *b, json_t *v)
{
    if (!json_is_string(v))
        return cn_str("", 0);
    return cn_parena_dup(&b->arena, cn_str(json_string_value(v), json_string_length(v)));
}

static int add_prod(cn_dbatch_t *b, cn_dhit_t *h, const cn_dprod_t *p, cn_err_t *err)
{
    if (h->prod_count >= CN_DEC_MAX_PRODUCTS)
        BAD(CN_BADROW_TOO_BIG, "more than %d items", CN_DEC_MAX_PRODUCTS);
    if (b->prod_count == b->prod_cap) {
        b->prod_cap = b->prod_cap ? b->prod_cap * 2 : 16;
        b->prods = realloc(b->prods, b->prod_cap * sizeof(*b->prods));
        if (b->prods == NULL)
            abort();
    }
    b->prods[b->prod_count++] = *p;
    h->prod_count++;
    return 0;
}

static int add_num_event(cn_dbatch_t *b, cn_dhit_t *h, uint16_t num, int64_t value, cn_err_t *err)
{
    if (h->ev_count >= CN_DEC_MAX_EVENTS)
        BAD(CN_BADROW_TOO_BIG, "more than %d events", CN_DEC_MAX_EVENTS);
    if (b->event_count == b->event_cap) {
        b->event_cap = b->event_cap ? b->event_cap * 2 : 16;
        b->events = realloc(b->events, b->event_cap * sizeof(*b->events));
        if (b->events == NULL)
            abort();
    }
    b->events[b->event_count++] =
        (cn_devent_t){.num = num, .has_value = true, .value = value, .product = -1};
    h->ev_count++;
    return 0;
}

/* items: a JSON array of {"sku","category","quantity","revenue"|"price"} (export NDJSON). */
static int json_items(cn_dbatch_t *b, cn_dhit_t *h, json_t *a, cn_err_t *err)
{
    size_t i;
    json_t *it;
    json_array_foreach(a, i, it)
    {
        if (!json_is_object(it))
            BAD(CN_BADROW_BAD_PRODUCTS, "items[%zu] is not an object", i);
        cn_dprod_t p = {0};
        p.sku = jdup(b, json_object_get(it, "sku"));
        p.category = jdup(b, json_object_get(it, "category"));
        if (p.sku.len == 0)
            BAD(CN_BADROW_BAD_PRODUCTS, "items[%zu] has no sku", i);
        json_t *q = json_object_get(it, "quantity");
        if (q != NULL && !json_is_null(q)) {
            if (!json_is_integer(q) || json_integer_value(q) < 0 ||
                json_integer_value(q) > 1000000000)
                BAD(CN_BADROW_BAD_PRODUCTS, "items[%zu].quantity is bad", i);
            p.qty = json_integer_value(q);
            p.has_qty = true;
        }
        json_t *r = json_object_get(it, "revenue");
        if (r == NULL || json_is_null(r))
            r = json_object_get(it, "price");
        if (r != NULL && !json_is_null(r)) {
            if (jmoney(r, &p.price) != 0)
                BAD(CN_BADROW_BAD_PRODUCTS, "items[%zu].revenue is bad", i);
            if (p.price < 0) /* as a products string's price (decode.c) */
                BAD(CN_BADROW_BAD_PRODUCTS, "items[%zu].revenue is negative", i);
            p.has_price = true;
        }
        int rc = add_prod(b, h, &p, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* vars: a JSON array of {"var":"evar3","value":"x"} (export NDJSON). */
static int json_vars(cn_dbatch_t *b, cn_dhit_t *h, json_t *a, cn_err_t *err)
{
    size_t i;
    json_t *it;
    json_array_foreach(a, i, it)
    {
        json_t *n = json_object_get(it, "var");
        int32_t product;
        uint32_t var = json_is_string(n) ? var_of(cn_str_c(json_string_value(n)), &product) : 0;
        if (var == 0)
            BAD(CN_BADROW_BAD_QUERY, "vars[%zu] names no eVar, prop, list or hier", i);
        int rc =
            cn_decode_vars_add_at(b, h, var, product, jdup(b, json_object_get(it, "value")), err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* events: a JSON array of {"event":5,"value":1.0000} (export NDJSON). */
static int json_events(cn_dbatch_t *b, cn_dhit_t *h, json_t *a, cn_err_t *err)
{
    size_t i;
    json_t *it;
    json_array_foreach(a, i, it)
    {
        json_t *n = json_object_get(it, "event");
        if (!json_is_integer(n) || json_integer_value(n) < 1 ||
            json_integer_value(n) > CN_DEC_MAX_EVENT_NUM)
            BAD(CN_BADROW_BAD_EVENTS, "events[%zu].event is not 1..%d", i, CN_DEC_MAX_EVENT_NUM);
        int64_t v = CN_MONEY_SCALE;
        json_t *jv = json_object_get(it, "value");
        if (jv != NULL && !json_is_null(jv) && jmoney(jv, &v) != 0)
            BAD(CN_BADROW_BAD_EVENTS, "events[%zu].value is not a number", i);
        int rc = add_num_event(b, h, (uint16_t)json_integer_value(n), v, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A field that holds JSON (NDJSON arrays) or export's packed TSV/CSV cell. */
typedef int (*json_fn)(cn_dbatch_t *, cn_dhit_t *, json_t *, cn_err_t *);

static int json_field(cn_dbatch_t *b, cn_dhit_t *h, cn_str_t v, const char *what, json_fn fn,
                      cn_err_t *err)
{
    json_error_t je;
    json_t *a = json_loadb(v.ptr, v.len, 0, &je);
    if (a == NULL || !json_is_array(a)) {
        json_decref(a);
        BAD(CN_BADROW_BAD_JSON, "%s is not a JSON array", what);
    }
    int rc = fn(b, h, a, err);
    json_decref(a);
    return rc;
}

/* Undoes export's percent-encoding of a packed cell's entry. */
static cn_str_t unpct(cn_dbatch_t *b, cn_str_t s)
{
    return dec(b, cn_str_trim(s));
}

/* Packed items cell: "sku;category;quantity;revenue,..." (docs/storage.md "Export"). */
static int packed_items(cn_dbatch_t *b, cn_dhit_t *h, cn_str_t v, cn_err_t *err)
{
    cn_str_t rest = v, ent;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &ent);
        if (cn_str_trim(ent).len == 0)
            continue;
        cn_str_t f[4] = {{0}}, r2 = ent;
        for (int k = 0; k < 4 && r2.ptr != NULL; k++)
            r2 = cn_str_split(r2, ';', &f[k]);
        cn_dprod_t p = {0};
        p.sku = unpct(b, f[0]);
        p.category = unpct(b, f[1]);
        if (p.sku.len == 0)
            BAD(CN_BADROW_BAD_PRODUCTS, "item '%.*s' has no sku", CN_STR_FMT(ent));
        if (cn_str_trim(f[2]).len > 0) {
            if (cn_str_to_i64(cn_str_trim(f[2]), &p.qty) != 0 || p.qty < 0 || p.qty > 1000000000)
                BAD(CN_BADROW_BAD_PRODUCTS, "item %.*s: bad quantity", CN_STR_FMT(p.sku));
            p.has_qty = true;
        }
        if (cn_str_trim(f[3]).len > 0) {
            if (cn_parse_money(cn_str_trim(f[3]), &p.price) != 0)
                BAD(CN_BADROW_BAD_PRODUCTS, "item %.*s: bad revenue", CN_STR_FMT(p.sku));
            if (p.price < 0)
                BAD(CN_BADROW_BAD_PRODUCTS, "item %.*s: negative revenue", CN_STR_FMT(p.sku));
            p.has_price = true;
        }
        int rc = add_prod(b, h, &p, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Packed vars cell: "evar3=value,prop1=x". */
static int packed_vars(cn_dbatch_t *b, cn_dhit_t *h, cn_str_t v, cn_err_t *err)
{
    cn_str_t rest = v, ent;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &ent);
        ent = cn_str_trim(ent);
        if (ent.len == 0)
            continue;
        const char *eq = memchr(ent.ptr, '=', ent.len);
        int32_t product;
        uint32_t var = eq ? var_of(cn_str(ent.ptr, (size_t)(eq - ent.ptr)), &product) : 0;
        if (var == 0)
            BAD(CN_BADROW_BAD_QUERY, "var '%.*s' names no eVar, prop, list or hier",
                CN_STR_FMT(ent));
        cn_str_t val = unpct(b, cn_str(eq + 1, (size_t)(ent.ptr + ent.len - eq - 1)));
        int rc = cn_decode_vars_add_at(b, h, var, product, val, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * events: the commerce flags (an integer, export's hit column), a JSON array of numbered
 * events (export NDJSON), or an events string ("purchase,event5=2", export's packed cell).
 */
static int events_field(cn_dbatch_t *b, cn_dhit_t *h, cn_str_t v, cn_err_t *err)
{
    int64_t n;
    if (cn_str_to_i64(v, &n) == 0) {
        if (n < 0 || n > 0x7f)
            BAD(CN_BADROW_BAD_EVENTS, "events flags %lld out of range", (long long)n);
        h->events |= (uint8_t)n;
        return 0;
    }
    if (v.len > 0 && v.ptr[0] == '[')
        return json_field(b, h, v, "events", json_events, err);
    return cn_decode_events(v, b, h, -1, err);
}

int cn_decode_import_row(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    b->suites = raw->suite;
    cn_dhit_t *h = cn_dbatch_add_hit(b);
    cn_str_t q = raw->query, name, val, title = CN_STR_NULL, rev_orig = CN_STR_NULL;
    cn_str_t rev = CN_STR_NULL;
    bool eq, has_type = false, dup_purchase = false;
    cn_hit_rowfacts_t facts = {0};
    int rc = 0;
    while (rc == 0 && cn_query_next(&q, &name, &val, &eq)) {
        name = dec(b, name);
        val = dec(b, val);
        if (val.len == 0)
            continue;
        cn_hit_rowfacts_add(&facts, name, val);
        if (cn_str_eq_c(name, "url"))
            h->url = val;
        else if (cn_str_eq_c(name, "page") || cn_str_eq_c(name, "page_name"))
            h->page_name = val;
        else if (cn_str_eq_c(name, "title"))
            title = val;
        else if (cn_str_eq_c(name, "referrer") || cn_str_eq_c(name, "ref_url"))
            h->referrer = val;
        else if (cn_str_eq_c(name, "page_type"))
            h->page_type = val;
        else if (cn_str_eq_c(name, "section"))
            h->section = val;
        else if (cn_str_eq_c(name, "server"))
            h->server = val;
        else if (cn_str_eq_c(name, "link_url") || cn_str_eq_c(name, "target"))
            h->link_url = val;
        else if (cn_str_eq_c(name, "link_name") || cn_str_eq_c(name, "name"))
            h->link_name = val;
        else if (cn_str_eq_c(name, "order_id") || cn_str_eq_c(name, "purchase_id"))
            h->purchase_id = val;
        else if (cn_str_eq_c(name, "duplicate_purchase")) {
            if (!cn_str_eq_c(val, "0") && !cn_str_eq_c(val, "1"))
                BAD(CN_BADROW_BAD_QUERY, "duplicate_purchase '%.*s' is not 0 or 1",
                    CN_STR_FMT(val));
            dup_purchase = val.ptr[0] == '1';
        } else if (cn_str_eq_c(name, "currency"))
            h->currency = val;
        else if (cn_str_eq_c(name, "revenue_orig"))
            rev_orig = val;
        else if (cn_str_eq_c(name, "revenue"))
            rev = val;
        else if (cn_str_eq_c(name, "campaign"))
            h->campaign = val;
        else if (cn_str_eq_c(name, "screen"))
            h->screen = val;
        else if (cn_str_eq_c(name, "language") || cn_str_eq_c(name, "lang"))
            h->language = val;
        else if (cn_str_eq_c(name, "visitor") || cn_str_eq_c(name, "visitor_id"))
            h->visitor_id = val;
        else if (cn_str_eq_c(name, "type")) {
            if (cn_hit_type_parse(val, &h->type, &h->events) != 0)
                BAD(CN_BADROW_BAD_QUERY, "type '%.*s' is unknown", CN_STR_FMT(val));
            has_type = true;
        } else if (cn_str_eq_c(name, "events") || cn_str_eq_c(name, "event_rows"))
            rc = events_field(b, h, val, err);
        else if (cn_str_eq_c(name, "items"))
            rc = val.ptr[0] == '[' ? json_field(b, h, val, "items", json_items, err)
                                   : packed_items(b, h, val, err);
        else if (cn_str_eq_c(name, "vars"))
            rc = val.ptr[0] == '[' ? json_field(b, h, val, "vars", json_vars, err)
                                   : packed_vars(b, h, val, err);
        else if (cn_str_eq_c(name, "products"))
            rc = cn_decode_products(val, b, h, err);
        else if (name.len > 0)
            rc = cn_decode_ctx_add(b, h, name, val, err); /* other columns: context data */
    }
    if (rc != 0)
        return rc;
    if (h->page_name.len == 0)
        h->page_name = title;
    if (h->visitor_id.len > 0)
        h->vid_src = CN_VID_VID;
    if (!cn_decode_currency_ok(h->currency))
        BAD(CN_BADROW_BAD_CURRENCY, "currency '%.*s' is not ISO 4217", CN_STR_FMT(h->currency));
    /* revenue in the hit's currency (export's revenue_orig), else the base-currency column */
    cn_str_t r = rev_orig.len ? rev_orig : rev;
    if (r.len > 0) {
        if (cn_parse_money(r, &h->revenue) != 0)
            BAD(CN_BADROW_BAD_QUERY, "revenue '%.*s' is not a number", CN_STR_FMT(r));
        if (h->revenue < 0)
            BAD(CN_BADROW_BAD_QUERY, "revenue '%.*s' is negative", CN_STR_FMT(r));
        h->has_revenue = true;
    }
    /*
     * A row with an order id or revenue but no commerce flags was a purchase (exports before
     * the event_rows column wrote "events" twice in NDJSON and the later won). The type of a
     * row without one: the rule the import summary counts with (hit/pagerule.h).
     */
    if (cn_hit_row_implies_purchase(&facts))
        h->events |= CN_EV_PURCHASE;
    if (!has_type) {
        const char *exts = NULL;
        if (b->conf != NULL) {
            const cn_suite_conf_t *sc = cn_conf_suite(b->conf, raw->suite.ptr, raw->suite.len);
            if (sc != NULL)
                exts = cn_conf_suite_get(sc, "import_static_extensions");
        }
        int type = cn_hit_row_type(&facts, exts);
        h->type = type >= 0 ? (uint8_t)type : CN_HIT_LINK;
    }
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0 && h->page_name.len == 0)
        BAD(CN_BADROW_NO_PAGE_URL, "page view without url or page");
    /*
     * duplicate_purchase=1 (an Adobe feed's flag: Adobe found the purchase a repeat of a
     * purchase ID it had already recorded) makes the hit a purchase that processing treats as
     * the repeat of an order id it has seen itself (process.c), whether or not the events still
     * show the purchase and whether or not canton saw that id: no order, revenue, units, other
     * events, items or eVars it sets. After the type: the flag does not make a page a link.
     */
    if (dup_purchase) {
        h->events |= CN_EV_PURCHASE;
        h->dup_purchase = true;
    }
    return 0;
}
