/* SPDX-License-Identifier: Apache-2.0 */
/* Segment files: encode from a source, parse, read back every column; limits;
 * every damaged byte detected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#include <cmocka.h>

/* A deterministic value for (column, row) within what limits allow. */
static int64_t value_of(cn_store_col_t col, uint64_t row)
{
    const cn_store_col_info_t *ci = cn_store_col(col);
    uint64_t h = (row + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)col * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    switch (ci->kind) {
    case CN_COLK_TS:
        return 1764000000000000 + (int64_t)row * 1000 + (int64_t)(h % 1000);
    case CN_COLK_MONEY:
        return row % 10 == 0 ? (int64_t)(h % 100000000) - 50000000 : 0;
    case CN_COLK_U8:
        return (int64_t)(h % 5);
    case CN_COLK_DICT:
        return (int64_t)(h % 1000);
    case CN_COLK_U32:
        if (col == CN_COL_ITEM_hit || col == CN_COL_VAR_hit || col == CN_COL_EVENT_hit)
            return 500 + (int64_t)row; /* first_row is 500 */
        if (col == CN_COL_HIT_visit || col == CN_COL_VISIT_visitor)
            return (int64_t)(h % 777);
        return (int64_t)(h % 100000);
    }
    return 0;
}

static int fill(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    (void)ud;
    for (size_t i = 0; i < n; i++)
        out[i] = value_of(col, from + i);
    return 0;
}

static cn_store__seg_limits_t limits(void)
{
    cn_store__seg_limits_t l;
    memset(&l, 0, sizeof(l));
    for (int d = 0; d < 64; d++)
        l.dict_len[d] = 1000;
    l.visits = 777;
    l.visitors = 777;
    return l;
}

static void encode_hits_level(cn_buf_t *out, uint64_t hits, uint64_t items, int level)
{
    cn_store__seg_spec_t spec = {
        .is_visit = false, .day = 20000, .first_row = 500, .fill = fill, .zstd_level = level};
    spec.rows[CN_GROUP_HIT] = hits;
    spec.rows[CN_GROUP_ITEM] = items;
    spec.rows[CN_GROUP_EVENT] = items / 2;
    assert_int_equal(cn_store__seg_encode(&spec, out, NULL), 0);
}

static void encode_hits(cn_buf_t *out, uint64_t hits, uint64_t items)
{
    encode_hits_level(out, hits, items, 3);
}

static void check_all(const cn_store_seg_t *seg)
{
    int64_t *buf = malloc(200000 * sizeof(int64_t));
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        cn_store_group_t g = cn_store_col((cn_store_col_t)c)->group;
        uint64_t rows = cn_store_seg_rows(seg, g);
        assert_int_equal(cn_store__seg_read(seg, (cn_store_col_t)c, 0, rows, buf, NULL), 0);
        for (uint64_t r = 0; r < rows; r++)
            assert_int_equal(buf[r], value_of((cn_store_col_t)c, r));
    }
    free(buf);
}

static void round_trip_multi_page(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_hits(&b, 150000, 1000);
    cn_store__seg_limits_t l = limits();
    cn_store_seg_t *seg;
    cn_err_t err;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", &l, &seg, &err), 0);
    assert_int_equal(cn_store_seg_rows(seg, CN_GROUP_HIT), 150000);
    assert_int_equal(cn_store_seg_rows(seg, CN_GROUP_ITEM), 1000);
    assert_int_equal(cn_store_seg_rows(seg, CN_GROUP_VAR), 0);
    assert_int_equal(cn_store_seg_rows(seg, CN_GROUP_VISIT), 0);
    assert_int_equal(cn_store_seg_first_row(seg), 500);
    check_all(seg);
    assert_int_equal(cn_store__seg_verify(seg, NULL), 0);
    /* unaligned reads across a page boundary, through the typed readers */
    uint32_t u[1000];
    assert_int_equal(cn_store_read_u32(seg, CN_COL_HIT_page, 65000, 1000, u, NULL), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(u[i], value_of(CN_COL_HIT_page, 65000 + (uint64_t)i));
    uint8_t u8[10];
    assert_int_equal(cn_store_read_u8(seg, CN_COL_HIT_type, 149990, 10, u8, NULL), 0);
    assert_int_equal(u8[9], value_of(CN_COL_HIT_type, 149999));
    assert_int_equal(cn_store_read_u8(seg, CN_COL_HIT_type, 149991, 10, u8, NULL), CN_EINVAL);
    assert_int_equal(cn_store_read_u8(seg, CN_COL_HIT_page, 0, 1, u8, NULL), CN_EINVAL);
    int64_t mn, mx;
    cn_store_seg_minmax(seg, CN_COL_HIT_ts, &mn, &mx);
    assert_int_equal(mn, value_of(CN_COL_HIT_ts, 0));
    assert_true(mx >= value_of(CN_COL_HIT_ts, 149998));
    cn_store__seg_unref(seg);
    cn_buf_dispose(&b);
}

/* Whole-page u32 reads (the query engine's path), with and without zstd. */
static void u32_reads_whole_pages(void **state)
{
    (void)state;
    const uint64_t N = 2 * CN_STORE_PAGE_ROWS + 8000, M = CN_STORE_PAGE_ROWS / 2 + 4000;
    for (int level = 0; level <= 3; level += 3) {
        cn_buf_t b = CN_BUF_INIT;
        encode_hits_level(&b, N, 0, level);
        cn_store_seg_t *seg;
        assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", NULL, &seg, NULL), 0);
        uint32_t *u = malloc(N * 4);
        cn_store_col_t cols[] = {CN_COL_HIT_page, CN_COL_HIT_visit, CN_COL_HIT_hit_num};
        for (int k = 0; k < 3; k++) {
            memset(u, 0xff, N * 4);
            assert_int_equal(cn_store_read_u32(seg, cols[k], 0, N, u, NULL), 0);
            for (uint64_t r = 0; r < N; r++)
                assert_int_equal(u[r], value_of(cols[k], r));
            /* from a page boundary to the middle of the next page */
            assert_int_equal(cn_store_read_u32(seg, cols[k], CN_STORE_PAGE_ROWS, M, u, NULL), 0);
            for (uint64_t r = 0; r < M; r++)
                assert_int_equal(u[r], value_of(cols[k], CN_STORE_PAGE_ROWS + r));
        }
        free(u);
        cn_store__seg_unref(seg);
        cn_buf_dispose(&b);
    }
}

static void empty_segment(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_hits(&b, 0, 0);
    cn_store_seg_t *seg;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", NULL, &seg, NULL), 0);
    assert_int_equal(cn_store_seg_rows(seg, CN_GROUP_HIT), 0);
    int64_t x;
    assert_int_equal(cn_store__seg_read(seg, CN_COL_HIT_ts, 0, 0, &x, NULL), 0);
    cn_store__seg_unref(seg);
    cn_buf_dispose(&b);
}

static void visit_segment(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    cn_store__seg_spec_t spec = {.is_visit = true, .first_row = 0, .fill = fill};
    spec.rows[CN_GROUP_VISIT] = 3000;
    assert_int_equal(cn_store__seg_encode(&spec, &b, NULL), 0);
    cn_store__seg_limits_t l = limits();
    cn_store_seg_t *seg;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", &l, &seg, NULL), 0);
    check_all(seg);
    cn_store__seg_unref(seg);
    /* a visitor beyond the store's visitors */
    l.visitors = 10;
    cn_err_t err;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "v.seg", &l, &seg, &err),
                     CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "visitor"));
    cn_buf_dispose(&b);
}

static void references_checked_against_limits(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_hits(&b, 100, 10);
    cn_store__seg_limits_t l = limits();
    cn_store_seg_t *seg;
    cn_err_t err;
    l.dict_len[cn_store_col(CN_COL_HIT_url)->dict] = 5;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", &l, &seg, &err),
                     CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "dictionary"));
    l = limits();
    l.visits = 3;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", &l, &seg, &err),
                     CN_ECORRUPT);
    cn_buf_dispose(&b);
}

static void every_flipped_byte_is_detected(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_hits(&b, 300, 7);
    cn_store__seg_limits_t l = limits();
    uint8_t *copy = malloc(b.len);
    for (size_t i = 0; i < b.len; i++) {
        memcpy(copy, b.ptr, b.len);
        copy[i] ^= 0x10;
        cn_store_seg_t *seg = NULL;
        cn_err_t err;
        int rc = cn_store__seg_parse(copy, b.len, "t", &l, &seg, &err);
        if (rc == 0) {
            rc = cn_store__seg_verify(seg, &err);
            cn_store__seg_unref(seg);
        }
        if (rc != CN_ECORRUPT && rc != CN_EVERSION)
            fail_msg("flipping byte %zu of %zu went unnoticed (rc %d)", i, b.len, rc);
    }
    /* and truncation at every length */
    for (size_t n = 0; n < b.len; n += 7) {
        cn_store_seg_t *seg = NULL;
        assert_int_not_equal(cn_store__seg_parse((uint8_t *)b.ptr, n, "t", &l, &seg, NULL), 0);
    }
    free(copy);
    cn_buf_dispose(&b);
}

/* --- KEYED pages: columns that are mostly a function of another --- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 29);
}

/* Rows where a keyed column follows its key 9 times out of 10. */
static int64_t keyed_value_of(cn_store_col_t col, uint64_t row)
{
    uint64_t h = mix(row * 977 + (uint64_t)col);
    switch (col) {
    case CN_COL_HIT_ts: /* milliseconds, in µs */
        return 1764000000000000 + (int64_t)row * 1000 + (int64_t)(h % 7) * 1000;
    case CN_COL_HIT_type: /* page views, a few product views */
        return 0;
    case CN_COL_HIT_events:
        return h % 10 == 0;
    case CN_COL_HIT_page:
    case CN_COL_ITEM_sku: /* item row r belongs to hit r: its page */
        return (int64_t)(mix(row / 2) % 300);
    case CN_COL_HIT_url:
        return h % 10 ? (keyed_value_of(CN_COL_HIT_page, row) * 3 + 1) % 1000 : (int64_t)(h % 1000);
    case CN_COL_HIT_section:
        return keyed_value_of(CN_COL_HIT_page, row) % 17;
    case CN_COL_HIT_visit:
        return (int64_t)((row / 5 + h % 40) % 777);
    case CN_COL_HIT_currency:
        return keyed_value_of(CN_COL_HIT_visit, row) % 5;
    case CN_COL_ITEM_category:
        return keyed_value_of(CN_COL_ITEM_sku, row) % 30;
    case CN_COL_VAR_hit:
        return 500 + (int64_t)(row / 3);
    case CN_COL_VAR_var: /* each visit's hits repeat its list of three vars */
        return (keyed_value_of(CN_COL_HIT_visit, row / 3) * 5 + (int64_t)(row % 3) * 7) % 40 + 1;
    case CN_COL_VAR_value: {
        /* mostly a function of (var, visit of the row's hit) */
        int64_t visit = keyed_value_of(CN_COL_HIT_visit, row / 3);
        return h % 10 ? (visit * 7 + (int64_t)(row % 3)) % 1000 : (int64_t)(h % 1000);
    }
    default:
        return value_of(col, row);
    }
}

static int fill_keyed(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    (void)ud;
    for (size_t i = 0; i < n; i++)
        out[i] = keyed_value_of(col, from + i);
    return 0;
}

static void encode_keyed(cn_buf_t *b, uint64_t hits, int level)
{
    cn_store__seg_spec_t spec = {
        .is_visit = false, .day = 20000, .first_row = 500, .fill = fill_keyed, .zstd_level = level};
    spec.rows[CN_GROUP_HIT] = hits;
    spec.rows[CN_GROUP_ITEM] = hits / 2;
    spec.rows[CN_GROUP_VAR] = hits * 3;
    spec.rows[CN_GROUP_EVENT] = 0;
    assert_int_equal(cn_store__seg_encode(&spec, b, NULL), 0);
}

static void keyed_columns_round_trip(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_keyed(&b, 150000, 3);
    cn_store__seg_limits_t l = limits();
    cn_store_seg_t *seg;
    cn_err_t err;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", &l, &seg, &err), 0);
    cn_store_col_t keyed[] = {CN_COL_HIT_url,       CN_COL_HIT_section, CN_COL_HIT_currency,
                              CN_COL_ITEM_category, CN_COL_VAR_value,   CN_COL_VAR_var,
                              CN_COL_ITEM_sku};
    for (size_t k = 0; k < sizeof(keyed) / sizeof(keyed[0]); k++) {
        const cn_store__colmeta_t *m = &seg->cols[keyed[k]];
        assert_true(m->key != CN_STORE__KEY_NONE);
        bool used = false;
        for (uint32_t p = 0; p < m->page_count; p++)
            used |= m->pages[p].pg.enc == CN_STORE__ENC_KEYED ||
                    m->pages[p].pg.enc == CN_STORE__ENC_KEYED_NEXT;
        if (!used)
            fail_msg("column %s: no KEYED page", cn_store_col(keyed[k])->name);
    }
    assert_int_equal(seg->cols[CN_COL_VAR_value].key, CN_STORE__KEY_VAR_VISIT);
    assert_int_equal(seg->cols[CN_COL_VAR_var].key, CN_STORE__KEY_VAR_SLOT);
    assert_int_equal(seg->cols[CN_COL_ITEM_sku].key, CN_STORE__KEY_ITEM_PAGE);
    assert_int_equal(seg->cols[CN_COL_HIT_hit_num].key, CN_COL_HIT_visit);
    assert_int_equal(seg->cols[CN_COL_HIT_ts].pages[0].pg.enc, CN_STORE__ENC_SRICE);
    int64_t *buf = malloc(450000 * sizeof(int64_t));
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        cn_store_group_t g = cn_store_col((cn_store_col_t)c)->group;
        uint64_t rows = cn_store_seg_rows(seg, g);
        assert_int_equal(cn_store__seg_read(seg, (cn_store_col_t)c, 0, rows, buf, NULL), 0);
        for (uint64_t r = 0; r < rows; r++)
            if (buf[r] != keyed_value_of((cn_store_col_t)c, r))
                fail_msg("%s row %llu", cn_store_col((cn_store_col_t)c)->name,
                         (unsigned long long)r);
    }
    /* unaligned reads across page boundaries, and the typed reader */
    assert_int_equal(cn_store__seg_read(seg, CN_COL_VAR_value, 131000, 2000, buf, NULL), 0);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(buf[i], keyed_value_of(CN_COL_VAR_value, 131000 + (uint64_t)i));
    uint32_t u[3000];
    assert_int_equal(cn_store_read_u32(seg, CN_COL_HIT_url, 64000, 3000, u, NULL), 0);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(u[i], keyed_value_of(CN_COL_HIT_url, 64000 + (uint64_t)i));
    assert_int_equal(cn_store__seg_verify(seg, NULL), 0);
    free(buf);
    cn_store__seg_unref(seg);
    cn_buf_dispose(&b);
    /* without zstd (quick flushes) nothing is KEYED, and everything reads back the same */
    encode_keyed(&b, 1000, 0);
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", &l, &seg, &err), 0);
    assert_int_equal(seg->cols[CN_COL_HIT_url].pages[0].pg.enc == CN_STORE__ENC_KEYED, 0);
    cn_store__seg_unref(seg);
    cn_buf_dispose(&b);
}

static void keyed_flipped_bytes_detected(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_keyed(&b, 400, 3);
    cn_store__seg_limits_t l = limits();
    uint8_t *copy = malloc(b.len);
    for (size_t i = 0; i < b.len; i++) {
        memcpy(copy, b.ptr, b.len);
        copy[i] ^= 0x04;
        cn_store_seg_t *seg = NULL;
        cn_err_t err;
        int rc = cn_store__seg_parse(copy, b.len, "t", &l, &seg, &err);
        if (rc == 0) {
            rc = cn_store__seg_verify(seg, &err);
            cn_store__seg_unref(seg);
        }
        if (rc != CN_ECORRUPT && rc != CN_EVERSION)
            fail_msg("flipping byte %zu of %zu went unnoticed (rc %d)", i, b.len, rc);
    }
    free(copy);
    cn_buf_dispose(&b);
}

/* The write buffer: rows put through the per-group writers read back the
 * same by single gets and by bulk reads across chunk boundaries, with the
 * columns' min and max. */
static void membuf_rows_read_back(void **state)
{
    (void)state;
    cn_store__membuf_t *mb = cn_store__membuf_new(false, 20000, 0);
    const uint32_t n = 3 * CN_STORE__CHUNK_ROWS + 17; /* chunks 0 and 1 */
    for (uint32_t i = 0; i < n; i++) {
        cn_var_row_t v = {.hit = i / 3, .var = 1000 + i % 7, .value = CN_STR_LIT("x")};
        uint32_t ids[8] = {0};
        ids[CN_COL_VAR_value - CN_STORE__FIRST_VAR] = 5 + i % 11;
        cn_store__membuf_put(mb, CN_GROUP_VAR, &v, ids);
        cn_event_row_t e = {.hit = i, .event = i % 3, .value = (int64_t)i * 1000 - 500000};
        cn_store__membuf_put(mb, CN_GROUP_EVENT, &e, ids);
    }
    assert_int_equal(mb->rows[CN_GROUP_VAR], n);
    assert_int_equal(mb->rows[CN_GROUP_EVENT], n);
    int64_t *out = calloc(n, sizeof(int64_t));
    const uint64_t from = CN_STORE__CHUNK_ROWS - 5;
    cn_store__membuf_read(mb, CN_COL_VAR_value, from, n - from, out);
    for (uint64_t r = from; r < n; r++) {
        assert_int_equal(out[r - from], 5 + r % 11);
        assert_int_equal(cn_store__membuf_get(mb, CN_COL_VAR_value, r), 5 + r % 11);
    }
    cn_store__membuf_read(mb, CN_COL_EVENT_value, 0, n, out);
    for (uint64_t r = 0; r < n; r++)
        assert_int_equal(out[r], (int64_t)r * 1000 - 500000);
    cn_store__membuf_read(mb, CN_COL_VAR_var, 1, n - 1, out);
    assert_int_equal(out[0], 1001);
    assert_int_equal(out[n - 2], 1000 + (n - 1) % 7);
    cn_store_seg_t *view = cn_store__membuf_view(mb);
    assert_int_equal(view->cols[CN_COL_VAR_value].min, 5);
    assert_int_equal(view->cols[CN_COL_VAR_value].max, 15);
    assert_int_equal(view->cols[CN_COL_VAR_hit].max, (n - 1) / 3);
    assert_int_equal(view->cols[CN_COL_EVENT_value].min, -500000);
    assert_int_equal(view->cols[CN_COL_EVENT_value].max, (int64_t)(n - 1) * 1000 - 500000);
    assert_true(view->cols[CN_COL_HIT_ts].present);
    assert_false(view->cols[CN_COL_VISIT_visitor].present);
    cn_store__seg_unref(view);
    cn_store__membuf_unref(mb);
    free(out);
}

/* Decoded key pages are cached per thread by segment: a segment parsed from
 * the same bytes' address after another was freed reads its own values. */
static int64_t shifted_of(cn_store_col_t col, uint64_t row)
{
    int64_t v = keyed_value_of(col, row);
    return col == CN_COL_VAR_var ? v % 40 + 2 : v;
}

static int fill_shifted(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    (void)ud;
    for (size_t i = 0; i < n; i++)
        out[i] = shifted_of(col, from + i);
    return 0;
}

static void page_cache_keeps_segments_apart(void **state)
{
    (void)state;
    cn_buf_t a = CN_BUF_INIT, b = CN_BUF_INIT;
    encode_keyed(&a, 3000, 3);
    cn_store__seg_spec_t spec = {
        .is_visit = false, .day = 20000, .first_row = 500, .fill = fill_shifted, .zstd_level = 3};
    spec.rows[CN_GROUP_HIT] = 3000;
    spec.rows[CN_GROUP_ITEM] = 1500;
    spec.rows[CN_GROUP_VAR] = 9000;
    assert_int_equal(cn_store__seg_encode(&spec, &b, NULL), 0);
    uint8_t *mem = malloc(a.len > b.len ? a.len : b.len);
    int64_t *got = malloc(9000 * sizeof(int64_t));
    for (int round = 0; round < 2; round++) {
        const cn_buf_t *src = round == 0 ? &a : &b;
        memcpy(mem, src->ptr, src->len); /* the same address both times */
        cn_store_seg_t *seg;
        assert_int_equal(cn_store__seg_parse(mem, src->len, "t", NULL, &seg, NULL), 0);
        for (int rep = 0; rep < 2; rep++) {
            assert_int_equal(cn_store__seg_read(seg, CN_COL_VAR_var, 0, 9000, got, NULL), 0);
            for (uint64_t r = 0; r < 9000; r++)
                assert_int_equal(got[r], round == 0 ? keyed_value_of(CN_COL_VAR_var, r)
                                                    : shifted_of(CN_COL_VAR_var, r));
            assert_int_equal(cn_store__seg_read(seg, CN_COL_VAR_value, 0, 9000, got, NULL), 0);
            for (uint64_t r = 0; r < 9000; r++)
                assert_int_equal(got[r], keyed_value_of(CN_COL_VAR_value, r));
        }
        cn_store__seg_unref(seg);
    }
    free(got);
    free(mem);
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_multi_page),
        cmocka_unit_test(u32_reads_whole_pages),
        cmocka_unit_test(empty_segment),
        cmocka_unit_test(visit_segment),
        cmocka_unit_test(references_checked_against_limits),
        cmocka_unit_test(every_flipped_byte_is_detected),
        cmocka_unit_test(keyed_columns_round_trip),
        cmocka_unit_test(keyed_flipped_bytes_detected),
        cmocka_unit_test(membuf_rows_read_back),
        cmocka_unit_test(page_cache_keeps_segments_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
