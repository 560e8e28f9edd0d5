/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write buffer: rows of the open day (or of the visit group) held in
 * memory, column by column, in chunks that never move once allocated, so
 * that a snapshot can read the first rows of a buffer while the writer
 * appends after them. A buffer is refcounted: the writer holds one
 * reference until the buffer is flushed, and each snapshot view one more.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/internal.h"

static bool holds(const cn_store__membuf_t *mb, cn_store_group_t g)
{
    return mb->is_visit ? g == CN_GROUP_VISIT : g != CN_GROUP_VISIT;
}

cn_store__membuf_t *cn_store__membuf_new(bool is_visit, int32_t day, uint64_t first_row)
{
    cn_store__membuf_t *mb = cn_xcalloc(1, sizeof(*mb));
    atomic_init(&mb->refs, 1);
    mb->is_visit = is_visit;
    mb->day = day;
    mb->first_row = first_row;
    for (size_t c = 0; c < CN_COL_COUNT; c++)
        mb->cols[c].used = holds(mb, cn_store_col((cn_store_col_t)c)->group);
    return mb;
}

void cn_store__membuf_unref(cn_store__membuf_t *mb)
{
    if (!mb || atomic_fetch_sub(&mb->refs, 1) != 1)
        return;
    for (size_t c = 0; c < CN_COL_COUNT; c++)
        for (size_t k = 0; k < CN_STORE__CHUNKS; k++)
            free(mb->cols[c].chunks[k]);
    free(mb);
}

/* Chunk and position of row r: chunk k starts at CHUNK_ROWS * (2^k - 1). */
static inline void locate(uint64_t r, size_t *ck, size_t *at)
{
    uint64_t q = r / CN_STORE__CHUNK_ROWS + 1;
    unsigned k = 63 - (unsigned)__builtin_clzll(q);
    *ck = k;
    *at = (size_t)(r - (uint64_t)CN_STORE__CHUNK_ROWS * ((1ull << k) - 1));
}

void cn_store__membuf_put(cn_store__membuf_t *mb, cn_store_group_t g, const void *row,
                          const uint32_t *dict_ids)
{
    CN_ASSERT(holds(mb, g));
    uint64_t r = mb->rows[g];
    CN_ASSERT(r < CN_STORE__MAX_BUFFER_ROWS);
    size_t ck, at;
    locate(r, &ck, &at);
    cn_store_col_t first = cn_store_group_first(g);
    size_t n = cn_store_group_cols(g);
    for (size_t i = 0; i < n; i++) {
        const cn_store_col_info_t *ci = cn_store_col((cn_store_col_t)(first + i));
        size_t es = cn_store__kind_size(ci->kind);
        void **chunks = mb->cols[first + i].chunks;
        if (chunks[ck] == NULL)
            chunks[ck] = cn_xmalloc(((size_t)CN_STORE__CHUNK_ROWS << ck) * es);
        const char *f = (const char *)row + ci->row_offset;
        int64_t v;
        switch (ci->kind) {
        case CN_COLK_DICT:
            v = dict_ids[i];
            ((uint32_t *)chunks[ck])[at] = (uint32_t)v;
            break;
        case CN_COLK_U32: {
            uint32_t x;
            memcpy(&x, f, 4);
            v = x;
            ((uint32_t *)chunks[ck])[at] = x;
            break;
        }
        case CN_COLK_U8:
            v = *(const uint8_t *)f;
            ((uint8_t *)chunks[ck])[at] = (uint8_t)v;
            break;
        default:
            memcpy(&v, f, 8);
            ((int64_t *)chunks[ck])[at] = v;
            break;
        }
        if (r == 0 || v < mb->cols[first + i].min)
            mb->cols[first + i].min = v;
        if (r == 0 || v > mb->cols[first + i].max)
            mb->cols[first + i].max = v;
    }
    mb->rows[g] = r + 1;
}

int64_t cn_store__membuf_get(const cn_store__membuf_t *mb, cn_store_col_t col, uint64_t row)
{
    const cn_store_col_info_t *ci = cn_store_col(col);
    size_t ck, at;
    locate(row, &ck, &at);
    const void *chunk = mb->cols[col].chunks[ck];
    switch (ci->kind) {
    case CN_COLK_DICT:
    case CN_COLK_U32:
        return ((const uint32_t *)chunk)[at];
    case CN_COLK_U8:
        return ((const uint8_t *)chunk)[at];
    default:
        return ((const int64_t *)chunk)[at];
    }
}

cn_store_seg_t *cn_store__membuf_view(cn_store__membuf_t *mb)
{
    cn_store_seg_t *seg = cn_xcalloc(1, sizeof(*seg));
    atomic_init(&seg->refs, 1);
    atomic_fetch_add(&mb->refs, 1);
    seg->is_mem = true;
    seg->mem = mb;
    seg->is_visit = mb->is_visit;
    seg->day = mb->day;
    seg->first_row = mb->first_row;
    memcpy(seg->rows, mb->rows, sizeof(seg->rows));
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (!mb->cols[c].used)
            continue;
        seg->cols[c].present = true;
        seg->cols[c].min = mb->cols[c].min;
        seg->cols[c].max = mb->cols[c].max;
    }
    return seg;
}
