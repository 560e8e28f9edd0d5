/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: canton's JSON batch (POST /api/collect body, plain or gzip)
 * and, with the same bytes as a query string, the pixel. Invariants: on
 * success there are 1..500 hits, page views have a URL, items have a sku and
 * a non-negative quantity, currencies are 3 upper-case letters, order ids have no
 * white space around them, a revenue is not negative; a failure is
 * always one of the bad-row reasons. The JSON body is also decoded through
 * jansson alone (cn__decode_canton_json_ref): the light parser must give the
 * same reason, message and batch, and so must the fast path alone
 * (cn__decode_canton_json_fast) whenever it takes the body.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dbatch_eq.h"
#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const cn_dbatch_t *b, int rc)
{
    if (rc < 0 || rc >= CN_BADROW__COUNT)
        abort();
    if (rc != 0)
        return;
    if (b->hit_count < 1 || b->hit_count > CN_DEC_MAX_HITS)
        abort();
    for (size_t i = 0; i < b->hit_count; i++) {
        const cn_dhit_t *h = &b->hits[i];
        if (h->type == CN_HIT_PAGEVIEW && h->url.len == 0)
            abort();
        /* read every string: a slice into freed memory (jansson's tree) shows under ASan */
        cn_str_t s[] = {h->url,       h->referrer, h->page_name, h->visitor_id, h->link_url,
                        h->link_name, h->screen,   h->language,  h->currency,   h->purchase_id};
        unsigned sum = 0;
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
            for (size_t j = 0; j < s[k].len; j++)
                sum += (unsigned char)s[k].ptr[j];
        }
        for (uint32_t k = 0; k < h->ctx_count; k++) {
            const cn_dkv_t *kv = &b->ctx[h->ctx_first + k];
            for (size_t j = 0; j < kv->key.len; j++)
                sum += (unsigned char)kv->key.ptr[j];
            for (size_t j = 0; j < kv->value.len; j++)
                sum += (unsigned char)kv->value.ptr[j];
        }
        volatile unsigned sink = sum;
        (void)sink;
        if (h->currency.len != 0 && h->currency.len != 3)
            abort();
        if (cn_str_trim(h->purchase_id).len != h->purchase_id.len || h->revenue < 0)
            abort();
        for (uint32_t k = 0; k < h->prod_count; k++) {
            const cn_dprod_t *p = &b->prods[h->prod_first + k];
            if (p->sku.len == 0 || p->qty < 0)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_dbatch_t b;
    cn_dbatch_init(&b);
    cn_err_t err;
    cn_rawhit_t r = {.proto = CN_PROTO_CANTON_JSON, .body = cn_str((const char *)data, size)};
    int rj = cn_decode_raw(&r, &b, &err);
    check(&b, rj);
    cn_dbatch_t ref;
    cn_dbatch_init(&ref);
    cn_err_t ref_err;
    int rr = cn__decode_canton_json_ref(&r, &ref, &ref_err);
    dbatch_expect_eq(&b, rj, &err, &ref, rr, &ref_err);
    /* the fast path alone, whenever it takes the body (cn_decode_raw may have left it to the
     * general path, which then decided) */
    cn_dbatch_t fast;
    cn_dbatch_init(&fast);
    cn_err_t fast_err;
    int rf = cn__decode_canton_json_fast(&r, &fast, &fast_err);
    if (rf != -1) {
        check(&fast, rf);
        dbatch_expect_eq(&fast, rf, &fast_err, &ref, rr, &ref_err);
    }
    cn_dbatch_dispose(&fast);
    cn_dbatch_dispose(&ref);
    cn_rawhit_t px = {.proto = CN_PROTO_CANTON_PIXEL, .query = cn_str((const char *)data, size)};
    check(&b, cn_decode_raw(&px, &b, &err));
    cn_rawhit_t ad = {.proto = CN_PROTO_ADOBE, .query = cn_str((const char *)data, size)};
    int rc = cn_decode_raw(&ad, &b, &err);
    if (rc < 0 || rc >= CN_BADROW__COUNT)
        abort();
    cn_dbatch_dispose(&b);
    return 0;
}
