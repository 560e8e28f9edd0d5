/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report catalogue: every dimension and metric a request may name,
 * with where its values come from (GoAccess's paneling[] idea, with
 * designated initializers). docs/api.md lists the same names. The JSON form
 * (GET /api/v1/catalog) also says, per dimension, whether it has several
 * values per hit and whether paths follow it, from the functions that make
 * reports and paths refuse it. A suite's own event definitions (eventN = name=...;
 * type=currency) add its events with their names and whether they are money.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hit/hit.h"
#include "lib/xalloc.h"
#include "query/internal.h"

#define HITC(n, t, c)                                                                              \
    {                                                                                              \
        .name = n, .title = t, .src = CN_DIMSRC_HIT_COL, .col = CN_COL_HIT_##c                     \
    }
#define VISC(n, t, c)                                                                              \
    {                                                                                              \
        .name = n, .title = t, .src = CN_DIMSRC_VISIT_COL, .col = CN_COL_VISIT_##c                 \
    }

static const cn_dim_def_t dims[] = {
    HITC("page", "Page", page),
    HITC("url", "Page URL", url),
    HITC("page_type", "Page type", page_type),
    HITC("section", "Site section", section),
    HITC("server", "Server", server),
    HITC("link_url", "Link URL", link_url),
    HITC("link_name", "Link or event name", link_name),
    HITC("currency", "Order currency", currency),
    {.name = "hit_type",
     .title = "Hit type",
     .src = CN_DIMSRC_HIT_COL,
     .col = CN_COL_HIT_type,
     .names = CN_DIMENUM_HIT_TYPE},
    VISC("entry_page", "Entry page", entry_page),
    {.name = "exit_page", .title = "Exit page", .src = CN_DIMSRC_EXIT_PAGE},
    VISC("referrer", "Referrer URL", ref_url),
    VISC("referrer_domain", "Referrer domain", ref_domain),
    {.name = "referrer_type",
     .title = "Referrer type",
     .src = CN_DIMSRC_VISIT_COL,
     .col = CN_COL_VISIT_ref_type,
     .names = CN_DIMENUM_REF_TYPE},
    VISC("search_term", "Search term", search_term),
    VISC("channel", "Marketing channel", channel),
    VISC("campaign", "Campaign", campaign),
    VISC("utm_source", "UTM source", utm_source),
    VISC("utm_medium", "UTM medium", utm_medium),
    VISC("country", "Country", country),
    VISC("region", "Region", region),
    VISC("city", "City", city),
    VISC("ip", "IP address (anonymized unless keep_ip)", ip),
    {.name = "cross_border",
     .title = "Cross-border",
     .src = CN_DIMSRC_VISIT_COL,
     .col = CN_COL_VISIT_cross_border,
     .names = CN_DIMENUM_BOOL},
    VISC("browser", "Browser", browser),
    VISC("browser_version", "Browser version", browser_ver),
    VISC("os", "Operating system", os),
    VISC("os_version", "OS version", os_ver),
    {.name = "device",
     .title = "Device type",
     .src = CN_DIMSRC_VISIT_COL,
     .col = CN_COL_VISIT_device,
     .names = CN_DIMENUM_DEVICE},
    VISC("bot", "Bot type", bot),
    VISC("language", "Language", language),
    VISC("screen", "Screen size", screen),
    VISC("visit_number", "Visit number", visit_num),
    {.name = "new_returning", .title = "New or returning", .src = CN_DIMSRC_NEW_RETURN},
    {.name = "hour", .title = "Hour of day", .src = CN_DIMSRC_HOUR},
    {.name = "day_of_week", .title = "Day of week", .src = CN_DIMSRC_DOW},
    {.name = "product", .title = "Product", .src = CN_DIMSRC_ITEM_COL, .col = CN_COL_ITEM_sku},
    {.name = "category",
     .title = "Product category",
     .src = CN_DIMSRC_ITEM_COL,
     .col = CN_COL_ITEM_category},
    {.name = "evar",
     .title = "eVar",
     .src = CN_DIMSRC_VAR,
     .var_family = CN_VAR_EVAR,
     .max_arg = 250},
    {.name = "prop",
     .title = "Prop",
     .src = CN_DIMSRC_VAR,
     .var_family = CN_VAR_PROP,
     .max_arg = 75},
    {.name = "list",
     .title = "List variable",
     .src = CN_DIMSRC_VAR,
     .var_family = CN_VAR_LIST,
     .max_arg = 3},
    {.name = "hier",
     .title = "Hierarchy",
     .src = CN_DIMSRC_VAR,
     .var_family = CN_VAR_HIER,
     .max_arg = 5},
    {.name = "merch",
     .title = "eVar (merchandising)",
     .src = CN_DIMSRC_ITEM_MERCH,
     .var_family = CN_VAR_MERCH,
     .max_arg = 250},
};

#define BASE(n, t, u, m)                                                                           \
    {                                                                                              \
        .name = n, .title = t, .unit = u, .num = m, .den = -1, .scale = 1                          \
    }

static const cn_metric_def_t metrics[] = {
    BASE("pageviews", "Page views", CN_UNIT_COUNT, CN_M_PAGEVIEWS),
    BASE("hits", "Hits", CN_UNIT_COUNT, CN_M_HITS),
    BASE("visits", "Visits", CN_UNIT_COUNT, CN_M_VISITS),
    BASE("visitors", "Unique visitors", CN_UNIT_COUNT, CN_M_VISITORS),
    BASE("bounces", "Bounces", CN_UNIT_COUNT, CN_M_BOUNCES),
    {.name = "bounce_rate",
     .title = "Bounce rate",
     .unit = CN_UNIT_PERCENT,
     .num = CN_M_BOUNCES,
     .den = CN_M_VISITS,
     .scale = 100},
    {.name = "visit_duration",
     .title = "Time spent per visit",
     .unit = CN_UNIT_SECONDS,
     .num = CN_M_DURATION_US,
     .den = CN_M_VISITS,
     .scale = 1e-6},
    {.name = "pages_per_visit",
     .title = "Page views per visit",
     .unit = CN_UNIT_RATIO,
     .num = CN_M_PAGEVIEWS,
     .den = CN_M_VISITS,
     .scale = 1},
    {.name = "time_on_page",
     .title = "Time on page",
     .unit = CN_UNIT_SECONDS,
     .num = CN_M_TOP_US,
     .den = CN_M_TOP_VIEWS,
     .scale = 1e-6},
    BASE("entries", "Entries", CN_UNIT_COUNT, CN_M_ENTRIES),
    BASE("exits", "Exits", CN_UNIT_COUNT, CN_M_EXITS),
    BASE("orders", "Orders", CN_UNIT_COUNT, CN_M_ORDERS),
    {.name = "revenue",
     .title = "Revenue",
     .unit = CN_UNIT_MONEY,
     .num = CN_M_REVENUE,
     .den = -1,
     .scale = 1.0 / CN_MONEY_SCALE},
    BASE("units", "Units", CN_UNIT_COUNT, CN_M_UNITS),
    {.name = "aov",
     .title = "Average order value",
     .unit = CN_UNIT_MONEY,
     .num = CN_M_REVENUE,
     .den = CN_M_ORDERS,
     .scale = 1.0 / CN_MONEY_SCALE},
    {.name = "revenue_per_visit",
     .title = "Revenue per visit",
     .unit = CN_UNIT_MONEY,
     .num = CN_M_REVENUE,
     .den = CN_M_VISITS,
     .scale = 1.0 / CN_MONEY_SCALE},
    {.name = "conversion_rate",
     .title = "Conversion rate",
     .unit = CN_UNIT_PERCENT,
     .num = CN_M_ORDER_VISITS,
     .den = CN_M_VISITS,
     .scale = 100},
    BASE("cart_adds", "Cart adds", CN_UNIT_COUNT, CN_M_CART_ADDS),
    BASE("checkouts", "Checkouts", CN_UNIT_COUNT, CN_M_CHECKOUTS),
    BASE("product_views", "Product views", CN_UNIT_COUNT, CN_M_PROD_VIEWS),
    {.name = "event",
     .title = "Event",
     .unit = CN_UNIT_COUNT,
     .num = -1,
     .den = -1,
     .scale = 1.0 / CN_MONEY_SCALE,
     .is_event = true},
};

const cn_dim_def_t *cn_query__dims(size_t *count)
{
    *count = sizeof(dims) / sizeof(dims[0]);
    return dims;
}

const cn_metric_def_t *cn_query__metrics(size_t *count)
{
    *count = sizeof(metrics) / sizeof(metrics[0]);
    return metrics;
}

/* Splits "evar12" (or "evar:12") into ("evar", 12). Returns the number or 0 when there is
 * none. */
static int split_number(cn_str_t name, cn_str_t *base)
{
    size_t i = name.len;
    while (i > 0 && name.ptr[i - 1] >= '0' && name.ptr[i - 1] <= '9')
        i--;
    *base = cn_str(name.ptr, i > 1 && i < name.len && name.ptr[i - 1] == ':' ? i - 1 : i);
    if (i == name.len || name.len - i > 4 || name.ptr[i] == '0')
        return 0;
    int n = 0;
    for (size_t k = i; k < name.len; k++)
        n = n * 10 + (name.ptr[k] - '0');
    return n;
}

/* Whether name is the catalogue's name c in any ASCII case: "eVar3" as Adobe spells it finds
 * "evar3", "Revenue" finds "revenue". */
static bool name_is(cn_str_t name, const char *c)
{
    return cn_str_eq_nocase(name, cn_str_c(c));
}

const cn_dim_def_t *cn_dim_find(cn_str_t name, int *out_arg)
{
    cn_str_t base;
    int n = split_number(name, &base);
    *out_arg = 0;
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        if (dims[i].max_arg > 0) {
            if (n >= 1 && n <= dims[i].max_arg && name_is(base, dims[i].name)) {
                *out_arg = n;
                return &dims[i];
            }
        } else if (name_is(name, dims[i].name)) {
            return &dims[i];
        }
    }
    return NULL;
}

const cn_metric_def_t *cn_metric_find(cn_str_t name, int *out_arg)
{
    cn_str_t base;
    int n = split_number(name, &base);
    *out_arg = 0;
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        if (metrics[i].is_event) {
            if (n >= 1 && n <= 1000 && name_is(base, metrics[i].name)) {
                *out_arg = n;
                return &metrics[i];
            }
        } else if (name_is(name, metrics[i].name)) {
            return &metrics[i];
        }
    }
    return NULL;
}

bool cn_query__dim_is_multi(const cn_dim_def_t *d)
{
    return d->src == CN_DIMSRC_ITEM_COL || d->src == CN_DIMSRC_ITEM_MERCH ||
           (d->src == CN_DIMSRC_VAR && d->var_family == CN_VAR_LIST);
}

void cn_query__dim_name(const cn_dim_def_t *d, int arg, char *out, size_t n)
{
    if (d->max_arg > 0)
        snprintf(out, n, "%s%d", d->name, arg);
    else
        snprintf(out, n, "%s", d->name);
}

int cn_query__flag(const char *name, const char *value, bool *out, cn_err_t *err)
{
    if (value == NULL)
        return 0;
    if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
        *out = true;
    else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
        *out = false;
    else
        return cn_err_set(err, CN_EINVAL, "'%s' is 1, true or yes, or 0, false or no, not '%.64s'",
                          name, value);
    return 0;
}

const char *cn_query__enum_name(cn_dimenum_t e, unsigned v)
{
    static const char *const ref[] = {"none",  "internal", "search", "social",
                                      "email", "paid",     "other"};
    static const char *const dev[] = {"other", "desktop", "mobile", "tablet", "bot"};
    static const char *const typ[] = {"page view", "link", "download", "exit link",
                                      "other request"};
    static const char *const yn[] = {"no", "yes"};
    switch (e) {
    case CN_DIMENUM_REF_TYPE:
        return v < 7 ? ref[v] : NULL;
    case CN_DIMENUM_DEVICE:
        return v < 5 ? dev[v] : NULL;
    case CN_DIMENUM_HIT_TYPE:
        return v < 5 ? typ[v] : NULL;
    case CN_DIMENUM_BOOL:
        return v < 2 ? yn[v] : NULL;
    default:
        return NULL;
    }
}

static const char *unit_name(cn_unit_t u)
{
    static const char *const names[] = {"count", "currency", "percent", "seconds", "ratio"};
    return names[u];
}

/* --- A suite's events --- */

/* The attributes of an eventN value as processing reads them ("name=Shipping; type=currency";
 * a bare word is the type): the name (empty when none) and whether the type is currency. A
 * later attribute overrides an earlier one. */
typedef struct event_def {
    cn_str_t name;
    bool money;
} event_def_t;

static int event_attr(void *ud, cn_str_t k, cn_str_t v, cn_err_t *err)
{
    (void)err;
    event_def_t *d = ud;
    if (cn_str_eq_c(k, "name"))
        d->name = v;
    else if (cn_str_eq_c(k, "type") || k.len == 0)
        d->money = cn_str_eq_c(v, "currency");
    return 0;
}

static void event_attrs(const char *value, cn_str_t *name, bool *money)
{
    event_def_t d = {*name, *money};
    (void)cn_conf_attrs(value, event_attr, &d, NULL);
    *name = d.name;
    *money = d.money;
}

void cn_query_events_init(cn_query_events_t *out, const cn_suite_conf_t *sc)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; sc != NULL && i < sc->kv_count; i++) {
        int n = (int)cn_conf_key_num(sc->kv[i].key, "event", CN_QUERY_MAX_EVENT);
        if (n == 0)
            continue;
        cn_str_t name = CN_STR_NULL;
        bool money = cn_query_event_is_money(out, n);
        event_attrs(sc->kv[i].value, &name, &money);
        if (money)
            out->money[n / 64] |= 1ULL << (n % 64);
        else
            out->money[n / 64] &= ~(1ULL << (n % 64));
    }
}

cn_unit_t cn_query__metric_unit(const cn_metric_def_t *def, int arg, const cn_query_events_t *ev)
{
    return def->is_event && cn_query_event_is_money(ev, arg) ? CN_UNIT_MONEY : def->unit;
}

bool cn_query_event_is_money(const cn_query_events_t *ev, int n)
{
    return ev != NULL && n >= 1 && n <= CN_QUERY_MAX_EVENT &&
           (ev->money[n / 64] >> (n % 64) & 1) != 0;
}

void cn_query_events_json(const cn_suite_conf_t *sc, bool first, cn_buf_t *out)
{
    /* the last key of each event wins, attribute by attribute, as in processing */
    typedef struct {
        cn_str_t name;
        bool money, set;
    } ev_t;
    ev_t *evs = cn_xcalloc(CN_QUERY_MAX_EVENT + 1, sizeof(*evs));
    for (size_t i = 0; sc != NULL && i < sc->kv_count; i++) {
        int n = (int)cn_conf_key_num(sc->kv[i].key, "event", CN_QUERY_MAX_EVENT);
        if (n == 0)
            continue;
        evs[n].set = true;
        event_attrs(sc->kv[i].value, &evs[n].name, &evs[n].money);
    }
    for (int n = 1; n <= CN_QUERY_MAX_EVENT; n++) {
        if (!evs[n].set)
            continue;
        cn_buf_printf(out, "%s{\"name\":\"event%d\",\"title\":", first ? "" : ",", n);
        first = false;
        if (evs[n].name.len > 0) {
            cn_buf_append_json_str(out, evs[n].name);
        } else {
            char tmp[32];
            snprintf(tmp, sizeof(tmp), "Event %d", n);
            cn_buf_append_json_str(out, cn_str_c(tmp));
        }
        cn_buf_printf(out, ",\"type\":\"%s\"}",
                      unit_name(evs[n].money ? CN_UNIT_MONEY : CN_UNIT_COUNT));
    }
    free(evs);
}

/* --- The catalogue as JSON --- */

void cn_catalog_to_json(const cn_suite_conf_t *sc, cn_buf_t *out)
{
    cn_buf_append_c(out, "{\"dimensions\":[");
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        const cn_dim_def_t *d = &dims[i];
        const char *scope = d->src == CN_DIMSRC_VISIT_COL || d->src == CN_DIMSRC_EXIT_PAGE ||
                                    d->src == CN_DIMSRC_NEW_RETURN
                                ? "visit"
                            : d->src == CN_DIMSRC_ITEM_COL || d->src == CN_DIMSRC_ITEM_MERCH
                                ? "item"
                                : "hit";
        cn_buf_append_c(out, i ? ",{\"name\":" : "{\"name\":");
        if (d->max_arg > 0) {
            char tmp[32];
            snprintf(tmp, sizeof(tmp), "%s1..%s%d", d->name, d->name, d->max_arg);
            cn_buf_append_json_str(out, cn_str_c(tmp));
        } else {
            cn_buf_append_json_str(out, cn_str_c(d->name));
        }
        cn_buf_append_c(out, ",\"title\":");
        cn_buf_append_json_str(out, cn_str_c(d->title));
        /* what reports and paths do with it (the functions that decide there) */
        cn_buf_printf(out, ",\"scope\":\"%s\",\"multi\":%s,\"paths\":%s}", scope,
                      cn_query__dim_is_multi(d) ? "true" : "false",
                      cn_query__paths_dim(d, d->max_arg > 0 ? 1 : 0, NULL) == 0 ? "true" : "false");
    }
    cn_buf_append_c(out, "],\"metrics\":[");
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        const cn_metric_def_t *m = &metrics[i];
        cn_buf_append_c(out, i ? ",{\"name\":" : "{\"name\":");
        cn_buf_append_json_str(out, cn_str_c(m->is_event ? "event1..event1000" : m->name));
        cn_buf_append_c(out, ",\"title\":");
        cn_buf_append_json_str(out, cn_str_c(m->title));
        cn_buf_printf(out, ",\"type\":\"%s\"}", unit_name(m->unit));
    }
    if (sc != NULL)
        cn_query_events_json(sc, false, out);
    cn_buf_append_c(out, "]}");
}
