/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the store's dictionary reader (bytes from disk). Parsing
 * ends in 0 or CN_ECORRUPT / CN_EVERSION, never a crash. A dictionary that
 * parses holds distinct strings with dense ids and re-encodes to a file
 * that parses to the same strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    cn_store__dict_t *d = cn_store__dict_new("fuzz");
    uint32_t n = 0;
    int rc = cn_store__dict_parse(copy, size, "fuzz", d, &n, NULL);
    if (rc == 0) {
        if (n != cn_store__dict_len(d))
            abort();
        cn_buf_t b = CN_BUF_INIT;
        cn_store__dict_header(&b);
        cn_store__dict_encode(d, 0, n, &b);
        cn_store__dict_t *e = cn_store__dict_new("again");
        uint32_t m = 0;
        if (cn_store__dict_parse((uint8_t *)b.ptr, b.len, "again", e, &m, NULL) != 0 || m != n)
            abort();
        for (uint32_t id = 0; id < n; id++) {
            cn_str_t s = cn_store__dict_str(d, id);
            uint32_t found;
            if (!cn_str_eq(s, cn_store__dict_str(e, id)) ||
                cn_store__dict_find(d, s, n, &found) != 0 || found != id)
                abort();
        }
        cn_store__dict_free(e);
        cn_buf_dispose(&b);
    } else if (rc != CN_ECORRUPT && rc != CN_EVERSION) {
        abort();
    }
    cn_store__dict_free(d);
    free(copy);
    return 0;
}
