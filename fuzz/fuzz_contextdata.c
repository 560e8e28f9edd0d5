/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Adobe context data (c. ... .c with nested groups). Input is a
 * query string. Invariants: on success every key is non-empty, at most 255
 * bytes, and never starts or ends with a '.' coming from a group marker; the
 * only failure reasons are bad_query and too_big.
 */
#include <stdint.h>
#include <stdlib.h>

#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_dbatch_t b;
    cn_dbatch_init(&b);
    cn_dhit_t *h = cn_dbatch_add_hit(&b);
    cn_err_t err;
    int rc = cn_decode_contextdata(cn_str((const char *)data, size), &b, h, CN_CHARSET_UTF8, &err);
    if (rc == 0) {
        for (uint32_t i = 0; i < h->ctx_count; i++) {
            const cn_dkv_t *kv = &b.ctx[h->ctx_first + i];
            if (kv->key.len == 0 || kv->key.len > 255)
                abort();
        }
    } else if (rc != CN_BADROW_BAD_QUERY && rc != CN_BADROW_TOO_BIG) {
        abort();
    }
    cn_dbatch_dispose(&b);
    return 0;
}
