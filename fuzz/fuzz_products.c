/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Adobe products string (Category;Product;Quantity;Price;
 * events;eVars, comma-separated). Invariants: on success every product has a
 * product id, quantities are within limits, product events are eventN
 * bound to an existing product, and counts stay within CN_DEC_MAX_*; on
 * failure the reason is a products or size reason.
 * The result must equal the reference decoder's (decode_ref.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "dbatch_eq.h"
#include "decode_ref.h"
#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_dbatch_t b;
    cn_dbatch_init(&b);
    cn_dhit_t *h = cn_dbatch_add_hit(&b);
    cn_err_t err;
    int rc = cn_decode_products(cn_str((const char *)data, size), &b, h, &err);
    /* the one-pass decoder gives what the reference (decode_ref.h) gives */
    cn_dbatch_t rb;
    cn_dbatch_init(&rb);
    cn_dhit_t *rh = cn_dbatch_add_hit(&rb);
    cn_err_t rerr;
    int rrc = ref_decode_products(cn_str((const char *)data, size), &rb, rh, &rerr);
    dbatch_expect_eq(&b, rc, &err, &rb, rrc, &rerr);
    cn_dbatch_dispose(&rb);
    if (rc == 0) {
        if (h->prod_count > CN_DEC_MAX_PRODUCTS || h->ev_count > CN_DEC_MAX_EVENTS ||
            h->var_count > CN_DEC_MAX_VARS)
            abort();
        for (uint32_t i = 0; i < h->prod_count; i++) {
            const cn_dprod_t *p = &b.prods[h->prod_first + i];
            if (p->sku.len == 0 || p->qty < 0 || p->qty > 1000000000)
                abort();
        }
        for (uint32_t i = 0; i < h->ev_count; i++) {
            const cn_devent_t *e = &b.events[h->ev_first + i];
            if (e->num < 1 || e->num > CN_DEC_MAX_EVENT_NUM || e->product < 0 ||
                (uint32_t)e->product >= h->prod_count)
                abort();
        }
        for (uint32_t i = 0; i < h->var_count; i++) {
            uint32_t v = b.vars[h->var_first + i].var;
            if ((v & CN_VAR_FAMILY_MASK) != CN_VAR_EVAR || (v & 0xffff) < 1 || (v & 0xffff) > 250)
                abort();
        }
    } else if (rc != CN_BADROW_BAD_PRODUCTS && rc != CN_BADROW_BAD_EVENTS &&
               rc != CN_BADROW_TOO_BIG) {
        abort();
    }
    cn_dbatch_dispose(&b);
    return 0;
}
