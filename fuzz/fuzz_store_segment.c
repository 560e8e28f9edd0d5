/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the store's segment reader (bytes from disk). Whatever the
 * input, parsing and decoding every page must end in 0 or CN_ECORRUPT /
 * CN_EVERSION, never a crash or an out-of-bounds read. A segment that reads
 * back whole must re-encode to a segment that reads back the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const cn_store_seg_t *src_seg;

static int fill_from(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    (void)ud;
    return cn_store__seg_read(src_seg, col, from, n, out, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that ASan sees any read past the end */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    cn_store__seg_limits_t lim;
    memset(&lim, 0, sizeof(lim));
    for (int d = 0; d < 64; d++)
        lim.dict_len[d] = 1u << 16;
    lim.visits = lim.visitors = 1u << 20;
    cn_store_seg_t *seg = NULL;
    cn_err_t err;
    int rc = cn_store__seg_parse(copy, size, "fuzz", &lim, &seg, &err);
    if (rc == 0) {
        uint64_t total = 0;
        for (int g = 0; g < CN_GROUP_COUNT; g++)
            total += cn_store_seg_rows(seg, (cn_store_group_t)g);
        /* a footer may claim many rows with tiny pages; keep runs fast */
        if (total <= 4 * CN_STORE_PAGE_ROWS && cn_store__seg_verify(seg, &err) == 0) {
            cn_store__seg_spec_t spec = {.is_visit = seg->is_visit,
                                         .day = seg->day,
                                         .first_row = seg->first_row,
                                         .fill = fill_from};
            memcpy(spec.rows, seg->rows, sizeof(spec.rows));
            src_seg = seg;
            cn_buf_t out = CN_BUF_INIT;
            if (cn_store__seg_encode(&spec, &out, NULL) != 0)
                abort();
            cn_store_seg_t *again = NULL;
            if (cn_store__seg_parse((uint8_t *)out.ptr, out.len, "again", NULL, &again, NULL) != 0)
                abort();
            int64_t *a = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
            int64_t *b = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
            for (size_t c = 0; c < CN_COL_COUNT; c++) {
                cn_store_group_t g = cn_store_col((cn_store_col_t)c)->group;
                uint64_t rows = seg->rows[g];
                for (uint64_t r = 0; r < rows; r += CN_STORE_PAGE_ROWS) {
                    size_t n = rows - r < CN_STORE_PAGE_ROWS ? rows - r : CN_STORE_PAGE_ROWS;
                    if (cn_store__seg_read(seg, (cn_store_col_t)c, r, n, a, NULL) != 0 ||
                        cn_store__seg_read(again, (cn_store_col_t)c, r, n, b, NULL) != 0 ||
                        memcmp(a, b, n * sizeof(int64_t)) != 0)
                        abort();
                }
            }
            free(a);
            free(b);
            cn_store__seg_unref(again);
            cn_buf_dispose(&out);
        }
        cn_store__seg_unref(seg);
    } else if (rc != CN_ECORRUPT && rc != CN_EVERSION) {
        abort();
    }
    free(copy);
    return 0;
}
