/* SPDX-License-Identifier: Apache-2.0 */
/* Page encodings: round trips at the boundaries, the encoder's choices, and
 * the decoder's refusal of damaged payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#include <cmocka.h>

/* Encodes v, checks the encoding chosen (enc < 0: any), decodes, compares. */
static cn_store__page_t roundtrip(const int64_t *v, uint32_t n, bool zstd, int want_enc)
{
    cn_buf_t out = CN_BUF_INIT, scratch = CN_BUF_INIT;
    cn_buf_append(&out, "xx", 2); /* payloads are appended after what is there */
    cn_store__page_t pg;
    void *z = cn_store__zctx_new();
    cn_store__page_encode(v, n, zstd ? 3 : 0, &out, &pg, z);
    cn_store__zctx_free(z);
    assert_int_equal(out.len - 2, pg.stored_len);
    if (want_enc >= 0)
        assert_int_equal(pg.enc, want_enc);
    int64_t *got = calloc(n, sizeof(int64_t));
    /* decode from an exact-size copy so ASan sees any overread */
    uint8_t *exact = malloc(pg.stored_len ? pg.stored_len : 1);
    memcpy(exact, out.ptr + 2, pg.stored_len);
    assert_int_equal(cn_store__page_decode(exact, &pg, got, &scratch), 0);
    assert_memory_equal(got, v, n * sizeof(int64_t));
    free(exact);
    free(got);
    cn_buf_dispose(&out);
    cn_buf_dispose(&scratch);
    return pg;
}

static void one_value(void **state)
{
    (void)state;
    int64_t v[1] = {42};
    cn_store__page_t pg = roundtrip(v, 1, true, CN_STORE__ENC_CONST);
    assert_int_equal(pg.stored_len, 0);
    assert_int_equal(pg.base, 42);
}

static void all_equal_is_const(void **state)
{
    (void)state;
    int64_t *v = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    for (int i = 0; i < CN_STORE_PAGE_ROWS; i++)
        v[i] = -7;
    cn_store__page_t pg = roundtrip(v, CN_STORE_PAGE_ROWS, true, CN_STORE__ENC_CONST);
    assert_int_equal(pg.stored_len, 0);
    free(v);
}

static void all_distinct_bitpacks_at_min_width(void **state)
{
    (void)state;
    int64_t *v = malloc(1000 * sizeof(int64_t));
    for (int i = 0; i < 1000; i++)
        v[i] = 100 + (i * 7919) % 1000; /* a permutation of 100..1099 */
    cn_store__page_t pg = roundtrip(v, 1000, false, CN_STORE__ENC_BITPACK);
    assert_int_equal(pg.width, 10);
    assert_int_equal(pg.base, 100);
    assert_int_equal(pg.raw_len, (1000 * 10 + 7) / 8);
    free(v);
}

static void max_width_full_int64_range(void **state)
{
    (void)state;
    int64_t v[5] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN + 1};
    cn_store__page_t pg = roundtrip(v, 5, false, -1);
    (void)pg;
    int64_t w[3] = {INT64_MAX, INT64_MIN, INT64_MAX};
    roundtrip(w, 3, true, -1);
}

static void u32_full_range(void **state)
{
    (void)state;
    int64_t v[4] = {0, UINT32_MAX, 1, UINT32_MAX - 1};
    cn_store__page_t pg = roundtrip(v, 4, false, CN_STORE__ENC_BITPACK);
    assert_int_equal(pg.width, 32);
}

static void every_width_round_trips(void **state)
{
    (void)state;
    int64_t v[77];
    for (unsigned w = 1; w <= 64; w++) {
        uint64_t top = w == 64 ? ~0ull : (1ull << w) - 1;
        for (int i = 0; i < 77; i++)
            v[i] = (int64_t)(((uint64_t)i * 0x9E3779B97F4A7C15ull) & top);
        v[0] = 0;
        v[1] = (int64_t)top;
        cn_store__page_t pg = roundtrip(v, 77, false, -1);
        if (pg.enc == CN_STORE__ENC_BITPACK)
            assert_int_equal(pg.width, w);
    }
}

static void runs_choose_rle(void **state)
{
    (void)state;
    int64_t *v = calloc(10000, sizeof(int64_t));
    for (int i = 5000; i < 5003; i++)
        v[i] = 1u << 20;
    roundtrip(v, 10000, false, CN_STORE__ENC_RLE);
    free(v);
}

static void timestamps_choose_delta(void **state)
{
    (void)state;
    int64_t *v = malloc(5000 * sizeof(int64_t));
    int64_t t = 1764000000000000;
    for (int i = 0; i < 5000; i++) {
        t += 1000 + (i * 37) % 500;
        v[i] = t;
    }
    cn_store__page_t pg = roundtrip(v, 5000, true, CN_STORE__ENC_DELTA);
    assert_true(pg.stored_len < 5000 * 3);
    free(v);
}

static void zstd_kept_when_it_pays(void **state)
{
    (void)state;
    int64_t *v = malloc(20000 * sizeof(int64_t));
    for (int i = 0; i < 20000; i++)
        v[i] = (i / 3) % 17 * 1000 + (i % 3); /* repetitive pattern */
    cn_store__page_t pg = roundtrip(v, 20000, true, -1);
    assert_int_equal(pg.zstd, 1);
    assert_true(pg.stored_len < pg.raw_len);
    free(v);
}

static void decode_rejects_damage(void **state)
{
    (void)state;
    int64_t v[300];
    for (int i = 0; i < 300; i++)
        v[i] = (i * 7919) % 300 * 3;
    cn_buf_t out = CN_BUF_INIT, scratch = CN_BUF_INIT;
    cn_store__page_t pg;
    cn_store__page_encode(v, 300, 0, &out, &pg, NULL);
    assert_int_equal(pg.enc, CN_STORE__ENC_BITPACK);
    int64_t got[300];
    cn_store__page_t bad = pg;
    bad.raw_len--;
    bad.stored_len--;
    assert_int_equal(cn_store__page_decode((uint8_t *)out.ptr, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.width = 65;
    assert_int_equal(cn_store__page_decode((uint8_t *)out.ptr, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.enc = 9;
    assert_int_equal(cn_store__page_decode((uint8_t *)out.ptr, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.zstd = 1; /* not zstd data */
    assert_int_equal(cn_store__page_decode((uint8_t *)out.ptr, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.rows = 0;
    assert_int_equal(cn_store__page_decode((uint8_t *)out.ptr, &bad, got, &scratch), CN_ECORRUPT);
    /* RLE whose runs overshoot the row count */
    uint8_t rle[] = {0x05, 0x00, 0x05, 0x02}; /* 5 x base, then 5 x base + 1 */
    cn_store__page_t r = {.rows = 8, .enc = CN_STORE__ENC_RLE, .raw_len = 4, .stored_len = 4};
    assert_int_equal(cn_store__page_decode(rle, &r, got, &scratch), CN_ECORRUPT);
    r.rows = 10;
    assert_int_equal(cn_store__page_decode(rle, &r, got, &scratch), 0);
    assert_int_equal(got[4], 0);
    assert_int_equal(got[5], 1);
    /* DELTA that runs out of bytes */
    uint8_t del[] = {0x02, 0x80};
    cn_store__page_t d = {.rows = 2, .enc = CN_STORE__ENC_DELTA, .raw_len = 2, .stored_len = 2};
    assert_int_equal(cn_store__page_decode(del, &d, got, &scratch), CN_ECORRUPT);
    cn_buf_dispose(&out);
    cn_buf_dispose(&scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_value),
        cmocka_unit_test(all_equal_is_const),
        cmocka_unit_test(all_distinct_bitpacks_at_min_width),
        cmocka_unit_test(max_width_full_int64_range),
        cmocka_unit_test(u32_full_range),
        cmocka_unit_test(every_width_round_trips),
        cmocka_unit_test(runs_choose_rle),
        cmocka_unit_test(timestamps_choose_delta),
        cmocka_unit_test(zstd_kept_when_it_pays),
        cmocka_unit_test(decode_rejects_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
