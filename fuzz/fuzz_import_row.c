/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the import decoders (process/import_row.c, import_log.c).
 * The bytes are an import row's canonical query string (with export's JSON
 * and packed items/vars/events cells inside), then the headers of an
 * imported log line. Invariants: on success there is one hit, of a known
 * type; a page view has a URL or a page; items have a sku and a
 * non-negative quantity; vars are of a known family; numbered events are
 * 1..1000; a currency is 3 letters; a hit marked a duplicate purchase is a
 * purchase; a failure is one of the bad-row reasons.
 */
#include <stdint.h>
#include <stdlib.h>

#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const cn_dbatch_t *b, int rc)
{
    if (rc < 0 || rc >= CN_BADROW__COUNT)
        abort();
    if (rc != 0)
        return;
    if (b->hit_count != 1)
        abort();
    const cn_dhit_t *h = &b->hits[0];
    if (h->type > CN_HIT_REQUEST)
        abort();
    if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0 && h->page_name.len == 0)
        abort();
    if (h->currency.len != 0 && h->currency.len != 3)
        abort();
    if (h->dup_purchase && !(h->events & CN_EV_PURCHASE))
        abort();
    for (uint32_t k = 0; k < h->prod_count; k++) {
        const cn_dprod_t *p = &b->prods[h->prod_first + k];
        if (p->sku.len == 0 || p->qty < 0)
            abort();
    }
    for (uint32_t k = 0; k < h->var_count; k++) {
        uint32_t v = b->vars[h->var_first + k].var, fam = v & CN_VAR_FAMILY_MASK;
        if ((fam != CN_VAR_EVAR && fam != CN_VAR_PROP && fam != CN_VAR_LIST &&
             fam != CN_VAR_HIER) ||
            (v & 0xffff) == 0 || (v & 0xffff) > 250)
            abort();
        /* a product binding (export's "evarN@K") is an eVar's, within the products limit */
        int32_t product = b->vars[h->var_first + k].product;
        if (product >= 0 && (fam != CN_VAR_EVAR || product >= CN_DEC_MAX_PRODUCTS))
            abort();
    }
    for (uint32_t k = 0; k < h->ev_count; k++) {
        const cn_devent_t *e = &b->events[h->ev_first + k];
        if (e->num > CN_DEC_MAX_EVENT_NUM)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_dbatch_t b;
    cn_dbatch_init(&b);
    cn_err_t err;
    cn_str_t in = cn_str((const char *)data, size);
    cn_rawhit_t row = {.proto = CN_PROTO_IMPORT_ROW, .suite = CN_STR_LIT("s"), .query = in};
    check(&b, cn_decode_raw(&row, &b, &err));
    cn_rawhit_t log = {.proto = CN_PROTO_IMPORT_LOG,
                       .suite = CN_STR_LIT("s"),
                       .path = CN_STR_LIT("/a/b.html"),
                       .query = CN_STR_LIT("utm_source=x"),
                       .headers = in};
    check(&b, cn_decode_raw(&log, &b, &err));
    cn_dbatch_dispose(&b);
    return 0;
}
