/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the store's dictionary reader (bytes from disk). The input is
 * a dictionary file's blocks (docs/storage.md "Dictionaries"), after the
 * header this canton writes, so that the corpus outlives format numbers.
 * Parsing ends in 0 or CN_ECORRUPT, never a crash. A dictionary that parses
 * holds distinct strings with dense ids and re-encodes, in one append or in
 * several, to a file that parses to the same strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses b and checks that it holds the strings of d (n of them). */
static void same_strings(const cn_buf_t *b, const cn_store__dict_t *d, uint32_t n)
{
    cn_store__dict_t *e = cn_store__dict_new("again");
    uint32_t m = 0;
    if (cn_store__dict_parse((const uint8_t *)b->ptr, b->len, "again", e, &m, NULL) != 0 || m != n)
        abort();
    for (uint32_t id = 0; id < n; id++)
        if (!cn_str_eq(cn_store__dict_str(d, id), cn_store__dict_str(e, id)))
            abort();
    cn_store__dict_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exactly the file's bytes in their own allocation: a read past them is caught */
    cn_buf_t h = CN_BUF_INIT;
    cn_store__dict_header(&h);
    uint8_t *file = malloc(h.len + size);
    memcpy(file, h.ptr, h.len);
    if (size)
        memcpy(file + h.len, data, size);
    cn_store__dict_t *d = cn_store__dict_new("fuzz");
    uint32_t n = 0;
    int rc = cn_store__dict_parse(file, h.len + size, "fuzz", d, &n, NULL);
    if (rc == 0) {
        if (n != cn_store__dict_len(d))
            abort();
        for (uint32_t id = 0; id < n; id++) {
            cn_str_t s = cn_store__dict_str(d, id);
            uint32_t found;
            if (cn_store__dict_find(d, s, n, &found) != 0 || found != id)
                abort();
        }
        cn_buf_t b = CN_BUF_INIT;
        cn_store__dict_header(&b);
        cn_store__dict_encode(d, 0, n, NULL, &b);
        same_strings(&b, d, n);
        cn_buf_clear(&b);
        cn_store__dict_header(&b);
        void *zc = NULL; /* kept between appends, as a store's flushes do */
        for (uint32_t from = 1, step = 1; from < n; from += step, step = step * 2 + 1)
            cn_store__dict_encode(d, from, from + step < n ? from + step : n, &zc, &b);
        cn_store__zctx_free(zc);
        same_strings(&b, d, n);
        cn_buf_dispose(&b);
    } else if (rc != CN_ECORRUPT) {
        abort();
    }
    cn_store__dict_free(d);
    free(file);
    cn_buf_dispose(&h);
    return 0;
}
