/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the raw-hit record decoder (bytes from the hitlog on disk).
 * Invariant: whatever decodes re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hit/rawhit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_rawhit_t h;
    if (cn_rawhit_decode(data, size, &h) != 0)
        return 0;
    cn_buf_t b = CN_BUF_INIT;
    cn_rawhit_encode(&h, &b);
    /* varints may be non-minimal in the input, so compare by decoding again */
    cn_rawhit_t h2;
    if (cn_rawhit_decode(b.ptr, b.len, &h2) != 0 || h2.recv_us != h.recv_us ||
        !cn_str_eq(h2.body, h.body) || !cn_str_eq(h2.query, h.query) || h2.proto != h.proto)
        abort();
    cn_buf_dispose(&b);
    return 0;
}
