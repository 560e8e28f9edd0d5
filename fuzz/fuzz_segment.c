/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the segment text syntax (from API requests and the CLI).
 * Invariants: never crashes; whatever parses formats to a canonical text
 * that parses again to the same canonical text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_segment_t *seg, *seg2;
    cn_err_t err;
    if (cn_segment_parse(cn_str((const char *)data, size), &seg, NULL, &err) != 0)
        return 0;
    cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT;
    cn_segment_format(seg, &a);
    if (cn_segment_parse(cn_buf_str(&a), &seg2, NULL, &err) != 0)
        abort();
    cn_segment_format(seg2, &b);
    if (!cn_str_eq(cn_buf_str(&a), cn_buf_str(&b)))
        abort();
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
    cn_segment_free(seg);
    cn_segment_free(seg2);
    return 0;
}
