/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an imported hit is: the rules that decide whether an access-log
 * request or a hit-level row is a page view, a link or an "other request"
 * (docs/import.md "Page views"). They live here, under both import (whose
 * summary counts page views) and process (which gives the hits their type),
 * so that the import summary and the reports count with one rule. Also the
 * small parsers the row rule needs and processing shares: amounts, commerce
 * event names and row type names.
 */
#ifndef CN_HIT_PAGERULE_H
#define CN_HIT_PAGERULE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hit/hit.h"
#include "lib/str.h"

/*
 * True when path (a URL path, no query) ends in a static-asset extension: one of exts
 * (separated by commas or spaces, an optional leading dot; the suite key
 * import_static_extensions), or of the default list when exts is NULL.
 */
bool cn_hit_static_path(cn_str_t path, const char *exts);

/*
 * True when a logged request is a page view: method GET or POST (the methods that fetch a
 * page; case-sensitive, empty is GET: HEAD, OPTIONS, PUT, DELETE, PATCH, WebDAV's and any other
 * method are requests, no page views), status 2xx or 304 or 0 (not logged), a path that is not
 * a static asset (exts as above) and, when ctype (the logged response content type) is not
 * empty, text/html.
 */
bool cn_hit_log_is_page(cn_str_t method, unsigned status, cn_str_t path, cn_str_t ctype,
                        const char *exts);

/*
 * Parses a decimal amount ("79.80", "-1", "1e3" is rejected) into fixed point
 * with CN_MONEY_SCALE, rounding half away from zero past 4 decimals.
 * |value| must stay below 10^14. Returns 0 or a negative code.
 */
int cn_parse_money(cn_str_t s, int64_t *out);

/*
 * A row's `type` value: a number 0..4 (cn_hit_type_t) or a name ("pageview", "link",
 * "purchase"...; docs/processing.md "Imported hits"), in any case. Sets *type and ORs the
 * commerce flag a name implies ("cart_add") into *events. 0, or -1 for an unknown type.
 */
int cn_hit_type_parse(cn_str_t s, uint8_t *type, uint8_t *events);

/*
 * The facts of a hit-level row that decide its type. Fill with cn_hit_rowfacts_add() for
 * each field (name and value as processing sees them: percent-decoding undone; empty
 * values are no field), then ask cn_hit_row_type().
 */
typedef struct cn_hit_rowfacts {
    cn_str_t type;         /* `type`, CN_STR_NULL when the row has none */
    cn_str_t url;          /* `url` */
    bool has_page;         /* `page`, `page_name` or `title` */
    bool flags_seen;       /* an events value gave commerce flags (an integer, or a name) */
    uint8_t flags;         /* the commerce flags the `events`/`event_rows` values name */
    bool has_order_id;     /* `order_id` or `purchase_id` */
    cn_str_t revenue;      /* `revenue` */
    cn_str_t revenue_orig; /* `revenue_orig` (export's revenue in the hit's currency) */
} cn_hit_rowfacts_t;

/* Notes one field of a row (ignores the fields the rule does not read). */
void cn_hit_rowfacts_add(cn_hit_rowfacts_t *f, cn_str_t name, cn_str_t value);

/*
 * True when the row is a purchase without saying so: an order id or a non-zero revenue and
 * no commerce flags in its events (exports before the event_rows column).
 */
bool cn_hit_row_implies_purchase(const cn_hit_rowfacts_t *f);

/*
 * The type of a row (cn_hit_type_t), docs/import.md "Page views":
 *   - with a `type`: that type;
 *   - else a link when the row has commerce events or is an implied purchase;
 *   - else, with a `url`: an other request (CN_HIT_REQUEST) when its path ends in a static
 *     extension (exts as cn_hit_static_path()), a page view otherwise;
 *   - else a page view when it has a page name (`page`, `page_name`, `title`);
 *   - else a link.
 * Returns -1 when processing refuses the row for its type: an unknown `type`, or a page
 * view with neither url nor page name.
 */
int cn_hit_row_type(const cn_hit_rowfacts_t *f, const char *exts);

/* The CN_EV_* flag of a commerce event name ("scAdd", "purchase"...), or 0. */
static inline uint8_t cn_hit_commerce_flag(cn_str_t name)
{
#define CN__NAME_IS(s, lit)                                                                        \
    ((s).len == sizeof(lit) - 1 && memcmp((s).ptr, (lit), sizeof(lit) - 1) == 0)
    switch (name.len) {
    case 5:
        return CN__NAME_IS(name, "scAdd") ? CN_EV_CART_ADD : 0;
    case 6:
        return CN__NAME_IS(name, "scOpen")   ? CN_EV_CART_OPEN
               : CN__NAME_IS(name, "scView") ? CN_EV_CART_VIEW
                                             : 0;
    case 8:
        return CN__NAME_IS(name, "prodView")   ? CN_EV_PROD_VIEW
               : CN__NAME_IS(name, "purchase") ? CN_EV_PURCHASE
               : CN__NAME_IS(name, "scRemove") ? CN_EV_CART_REMOVE
                                               : 0;
    case 10:
        return CN__NAME_IS(name, "scCheckout") ? CN_EV_CHECKOUT : 0;
    default:
        return 0;
    }
#undef CN__NAME_IS
}

#endif
