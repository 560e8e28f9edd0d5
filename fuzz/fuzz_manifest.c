/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a suite store's MANIFEST (bytes from disk), read by
 * cn_store__manifest_parse when the store opens and by `canton check`. An
 * input that starts with the file's magic is parsed as it is (a damaged
 * file: the CRC and version checks); any other input is a manifest's body,
 * given the magic, the current format and a correct CRC, so that the
 * decoder behind the CRC is fuzzed too. Invariants: 0, CN_ECORRUPT or
 * CN_EVERSION with a message naming the file, never a crash; a manifest
 * that parses encodes to one that parses to the same encoding, and to its
 * own bytes between the format version and the CRC: every value has one
 * encoding (varints in their shortest form, each dictionary named once), so
 * what parses is what the writer would have written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crc32c.h"
#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAGIC "CNSTMAN1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_buf_t in = CN_BUF_INIT;
    bool wrap = size < 8 || memcmp(data, MAGIC, 8) != 0;
    if (wrap) {
        cn_buf_append(&in, MAGIC, 8);
        cn_buf_put_u32le(&in, CN_STORE_FORMAT);
    }
    cn_buf_append(&in, data, size);
    if (wrap)
        cn_buf_put_u32le(&in, cn_crc32c(0, in.ptr, in.len));
    /* an exact-size copy, so that ASan sees any read past the end */
    uint8_t *copy = malloc(in.len ? in.len : 1);
    memcpy(copy, in.ptr, in.len);
    cn_store__manifest_t m;
    cn_err_t err = {0};
    int rc = cn_store__manifest_parse(copy, in.len, "MANIFEST", &m, &err);
    if (rc == 0) {
        cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT;
        cn_store__manifest_encode(&m, &a);
        if (a.len != in.len || memcmp(a.ptr + 12, copy + 12, in.len - 16) != 0)
            abort();
        cn_store__manifest_t again;
        if (cn_store__manifest_parse((const uint8_t *)a.ptr, a.len, "again", &again, &err) != 0)
            abort();
        cn_store__manifest_encode(&again, &b);
        if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0)
            abort();
        cn_store__manifest_dispose(&again);
        cn_store__manifest_dispose(&m);
        cn_buf_dispose(&a);
        cn_buf_dispose(&b);
    } else if ((rc != CN_ECORRUPT && rc != CN_EVERSION) ||
               strncmp(err.msg, "MANIFEST: ", 10) != 0) {
        abort();
    }
    free(copy);
    cn_buf_dispose(&in);
    return 0;
}
