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

/*
 * Decodes the page pg at payload (keys, keys2 and kmode as for
 * cn_store__page_decode_kmode) from an exact-size copy, so that ASan sees any
 * overread, and checks that it gives v[0..n).
 */
static void decodes_back(const void *payload, const cn_store__page_t *pg, const int64_t *keys,
                         const int64_t *keys2, int kmode, const int64_t *v, uint32_t n)
{
    cn_buf_t scratch = CN_BUF_INIT;
    int64_t *got = calloc(n, sizeof(int64_t));
    uint8_t *exact = malloc(pg->stored_len ? pg->stored_len : 1);
    memcpy(exact, payload, pg->stored_len);
    assert_int_equal(cn_store__page_decode_kmode(exact, pg, keys, keys2, kmode, got, &scratch), 0);
    assert_memory_equal(got, v, n * sizeof(int64_t));
    free(exact);
    free(got);
    cn_buf_dispose(&scratch);
}

/* Encodes v, checks the encoding chosen (enc < 0: any), decodes, compares. */
static cn_store__page_t roundtrip(const int64_t *v, uint32_t n, bool zstd, int want_enc)
{
    cn_buf_t out = CN_BUF_INIT;
    cn_buf_append(&out, "xx", 2); /* payloads are appended after what is there */
    cn_store__page_t pg;
    void *z = cn_store__zctx_new();
    cn_store__page_encode(v, n, zstd ? 3 : 0, &out, &pg, z);
    cn_store__zctx_free(z);
    assert_int_equal(out.len - 2, pg.stored_len);
    if (want_enc >= 0)
        assert_int_equal(pg.enc, want_enc);
    decodes_back(out.ptr + 2, &pg, NULL, NULL, CN_STORE__KMODE_PLAIN, v, n);
    cn_buf_dispose(&out);
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
    cn_store__page_t pg = roundtrip(v, 5000, false, CN_STORE__ENC_DELTA);
    assert_true(pg.stored_len < 5000 * 3);
    /* where merges try the slower encodings, the result is smaller */
    cn_store__page_t pz = roundtrip(v, 5000, true, -1);
    assert_true(pz.stored_len < pg.stored_len);
    /* random gaps (no pattern for zstd): Rice codes them in fewer bits than varints */
    uint64_t x = 7;
    for (int i = 0; i < 5000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        t += 1 + (int64_t)((x >> 33) % 800000);
        v[i] = t;
    }
    cn_store__page_t pd = roundtrip(v, 5000, false, CN_STORE__ENC_DELTA);
    cn_store__page_t pr = roundtrip(v, 5000, true, CN_STORE__ENC_RICE);
    assert_true(pr.stored_len < pd.stored_len);
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

/* Encodes v with one encoding (no zstd), decodes from an exact-size copy, compares. */
static cn_store__page_t roundtrip_as(const int64_t *v, uint32_t n, uint8_t enc)
{
    cn_buf_t out = CN_BUF_INIT;
    cn_store__page_t pg;
    cn_store__page_encode_as(v, NULL, NULL, n, enc, &out, &pg);
    assert_int_equal(pg.enc, enc);
    assert_int_equal(out.len, pg.stored_len);
    decodes_back(out.ptr, &pg, NULL, NULL, CN_STORE__KMODE_PLAIN, v, n);
    cn_buf_dispose(&out);
    return pg;
}

/* Encodes v as a merge does (zstd) with an encoder hint, decodes, compares. */
static cn_store__page_t roundtrip_hinted(const int64_t *v, uint32_t n, int hint)
{
    cn_buf_t out = CN_BUF_INIT;
    cn_store__page_t pg;
    void *z = cn_store__zctx_new();
    cn_store__page_encode_kmode(v, NULL, NULL, CN_STORE__KMODE_PLAIN | hint, n, 3, &out, &pg, z);
    cn_store__zctx_free(z);
    decodes_back(out.ptr, &pg, NULL, NULL, CN_STORE__KMODE_PLAIN, v, n);
    cn_buf_dispose(&out);
    return pg;
}

/* RICE and LOCAL at the boundaries: one value, two, all equal, all distinct, max width. */
static void rice_and_local_boundaries(void **state)
{
    (void)state;
    uint8_t encs[2] = {CN_STORE__ENC_RICE, CN_STORE__ENC_LOCAL};
    int64_t *v = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    for (int e = 0; e < 2; e++) {
        uint8_t enc = encs[e];
        v[0] = -5;
        roundtrip_as(v, 1, enc);
        v[1] = INT64_MAX;
        roundtrip_as(v, 2, enc);
        for (int i = 0; i < CN_STORE_PAGE_ROWS; i++)
            v[i] = 123456789;
        cn_store__page_t pg = roundtrip_as(v, CN_STORE_PAGE_ROWS, enc);
        if (enc == CN_STORE__ENC_LOCAL) {
            assert_int_equal(pg.width, 8);
        } else {
            assert_int_equal(pg.width, 0);
            assert_int_equal(pg.raw_len, CN_STORE_PAGE_ROWS / 8); /* one bit a value */
        }
        /* all distinct: a permutation, and so 16-bit local ids (LOCAL holds at
         * most 65536 distinct values; RICE takes a full page) */
        uint32_t nd = enc == CN_STORE__ENC_LOCAL ? 65536 : CN_STORE_PAGE_ROWS;
        for (uint32_t i = 0; i < nd; i++)
            v[i] = (int64_t)(i * 40503u % nd) * 1000;
        pg = roundtrip_as(v, nd, enc);
        if (enc == CN_STORE__ENC_LOCAL)
            assert_int_equal(pg.width, 16);
        /* 256 distinct values still fit one byte; 257 do not */
        for (int i = 0; i < 1000; i++)
            v[i] = i % 256;
        assert_int_equal(roundtrip_as(v, 1000, enc).width, enc == CN_STORE__ENC_LOCAL ? 8 : 0);
        v[999] = 256;
        roundtrip_as(v, 1000, enc);
        /* max width: the whole int64 range, Rice's escapes */
        int64_t m[6] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN + 1, INT64_MAX};
        roundtrip_as(m, 6, enc);
    }
    free(v);
}

/* Every Rice parameter, including the ones past 32 bits. */
static void rice_every_k(void **state)
{
    (void)state;
    int64_t v[200];
    for (unsigned b = 0; b < 63; b++) {
        uint64_t t = 0;
        for (int i = 0; i < 200; i++) {
            t += (1ull << b) + ((uint64_t)i * 0x9E3779B97F4A7C15ull >> (64 - (b ? b : 1)));
            v[i] = (int64_t)t;
        }
        cn_store__page_t pg = roundtrip_as(v, 200, CN_STORE__ENC_RICE);
        assert_true(pg.width <= 63);
    }
}

/* Skewed dictionary ids over a wide range, in no order: format 5's Huffman
 * code wins over zstd over the local dictionary (which won before). */
static void skewed_ids_choose_huff(void **state)
{
    (void)state;
    int64_t *v = malloc(30000 * sizeof(int64_t));
    uint64_t x = 1;
    for (int i = 0; i < 30000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(x >> 40) % 1000;
        /* a few frequent values far apart in id space */
        v[i] = r < 700 ? (int64_t)(r % 7) * 100003 : (int64_t)(r % 40) * 77777;
    }
    cn_store__page_t pg = roundtrip(v, 30000, true, CN_STORE__ENC_HUFF);
    assert_int_equal(pg.zstd, 0);
    free(v);
}

/* KEYED at the boundaries: one row, all equal keys, all distinct keys, max width. */
static void keyed_boundaries(void **state)
{
    (void)state;
    int64_t *v = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    int64_t *k = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    cn_buf_t out = CN_BUF_INIT, scratch = CN_BUF_INIT;
    int64_t *got = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    for (int round = 0; round < 5; round++) {
        uint32_t n = round == 0 ? 1 : CN_STORE_PAGE_ROWS;
        for (uint32_t i = 0; i < n; i++) {
            switch (round) {
            case 0: /* one row */
                k[i] = 5, v[i] = 9;
                break;
            case 1: /* one key: every value after the first predicted */
                k[i] = -3, v[i] = 77;
                break;
            case 2: /* all distinct keys: every value explicit */
                k[i] = i, v[i] = i % 1000;
                break;
            case 3: /* max width, keys at the int64 extremes */
                k[i] = i % 2 ? INT64_MIN : INT64_MAX;
                v[i] = i % 3 ? INT64_MIN : INT64_MAX;
                break;
            default: /* a function of the key, with exceptions */
                k[i] = (int64_t)((((uint64_t)i * 0x9E3779B97F4A7C15ull) >> 40) % 300);
                v[i] = i % 11 ? k[i] * 5 : (int64_t)i;
            }
        }
        cn_store__page_t pg;
        cn_buf_clear(&out);
        cn_store__page_encode_as(v, k, NULL, n, CN_STORE__ENC_KEYED, &out, &pg);
        assert_int_equal(out.len, pg.stored_len);
        uint8_t *exact = malloc(pg.stored_len);
        memcpy(exact, out.ptr, pg.stored_len);
        assert_int_equal(cn_store__page_decode_keyed(exact, &pg, k, NULL, got, &scratch), 0);
        assert_memory_equal(got, v, n * sizeof(int64_t));
        /* without its keys the page cannot be read */
        assert_int_equal(cn_store__page_decode(exact, &pg, got, &scratch), CN_ECORRUPT);
        /* format 5: a bitmap bit only for the rows that have a prediction */
        if (round == 1) /* varint b = n - 1 (3 bytes), ceil(b / 8) bitmap bytes, one value */
            assert_int_equal(pg.raw_len, 3 + CN_STORE_PAGE_ROWS / 8 + 1);
        if (round == 2) /* no row has a prediction: b = 0, no bitmap */
            assert_int_equal(pg.raw_len, 1 + ((uint64_t)n * pg.width + 7) / 8);
        if (round == 3)
            assert_int_equal(pg.width, 64);
        free(exact);
        /* the encoder picks it (under zstd) where it pays */
        if (round == 4) {
            void *z = cn_store__zctx_new();
            cn_buf_clear(&out);
            cn_store__page_encode_keyed(v, k, NULL, n, 3, &out, &pg, z);
            cn_store__zctx_free(z);
            assert_int_equal(pg.enc, CN_STORE__ENC_KEYED);
            assert_int_equal(
                cn_store__page_decode_keyed((uint8_t *)out.ptr, &pg, k, NULL, got, &scratch), 0);
            assert_memory_equal(got, v, n * sizeof(int64_t));
        }
    }
    /* damage: a bitmap length other than the rows with a prediction, a padding
     * bit, a short payload */
    int64_t kk[3] = {1, 2, 1}, vv[3] = {4, 5, 4};
    cn_store__page_t pg;
    cn_buf_clear(&out);
    cn_store__page_encode_as(vv, kk, NULL, 3, CN_STORE__ENC_KEYED, &out, &pg);
    uint8_t p[16];
    memcpy(p, out.ptr, pg.stored_len);
    assert_int_equal(pg.raw_len, 3);
    assert_int_equal(p[0], 1);    /* b: only row 2 has a prediction (key 1 seen) */
    assert_int_equal(p[1], 0x01); /* and holds it */
    assert_int_equal(p[2], 0x02); /* rows 0 and 1: 4 and 5, 1 bit each above base 4 */
    assert_int_equal(cn_store__page_decode_keyed(p, &pg, kk, NULL, got, &scratch), 0);
    assert_memory_equal(got, vv, sizeof(vv));
    for (uint8_t b = 0; b < 8; b++) {
        p[0] = b; /* b 0 leaves a byte too many, 2..3 more bits than predicted rows, 4+ > n */
        if (b != 1)
            assert_int_not_equal(cn_store__page_decode_keyed(p, &pg, kk, NULL, got, &scratch), 0);
    }
    p[0] = 1;
    p[1] = 0x03; /* a padding bit */
    assert_int_not_equal(cn_store__page_decode_keyed(p, &pg, kk, NULL, got, &scratch), 0);
    p[1] = 0x01;
    cn_store__page_t bad = pg;
    bad.raw_len = bad.stored_len = pg.stored_len - 1;
    assert_int_not_equal(cn_store__page_decode_keyed(p, &bad, kk, NULL, got, &scratch), 0);
    bad = pg;
    bad.width = 0;
    assert_int_not_equal(cn_store__page_decode_keyed(p, &bad, kk, NULL, got, &scratch), 0);
    free(v);
    free(k);
    free(got);
    cn_buf_dispose(&out);
    cn_buf_dispose(&scratch);
}

/* KEYED with a fallback key: rows whose key is new in the page are predicted by keys2. */
static void keyed_fallback_key(void **state)
{
    (void)state;
    enum { N = 5000 };
    int64_t *v = malloc(N * sizeof(int64_t)), *k = malloc(N * sizeof(int64_t));
    int64_t *k2 = malloc(N * sizeof(int64_t)), *got = malloc(N * sizeof(int64_t));
    for (int i = 0; i < N; i++) {
        k[i] = i;       /* a key never seen twice */
        k2[i] = i % 50; /* a fallback seen often */
        v[i] = 1000 + i % 50 + (i % 97 == 0 ? 7 : 0);
    }
    cn_buf_t out = CN_BUF_INIT, out1 = CN_BUF_INIT, scratch = CN_BUF_INIT;
    cn_store__page_t pg, pg1;
    cn_store__page_encode_as(v, k, k2, N, CN_STORE__ENC_KEYED, &out, &pg);
    cn_store__page_encode_as(v, k, NULL, N, CN_STORE__ENC_KEYED, &out1, &pg1);
    assert_true(pg.raw_len < pg1.raw_len / 2); /* the fallback predicts most rows */
    /* bitmap bits: every row but the first of each fallback key (keys never repeat);
     * without the fallback no row has a prediction: no bitmap at all */
    const uint8_t *q = (const uint8_t *)out.ptr;
    uint64_t b = 0;
    assert_int_equal(cn_get_varint(&q, q + pg.raw_len, &b), 0);
    assert_int_equal(b, N - 50);
    assert_int_equal(((const uint8_t *)out1.ptr)[0], 0);
    assert_int_equal(pg1.raw_len, 1 + ((uint64_t)N * pg1.width + 7) / 8);
    uint8_t *exact = malloc(pg.stored_len);
    memcpy(exact, out.ptr, pg.stored_len);
    assert_int_equal(cn_store__page_decode_keyed(exact, &pg, k, k2, got, &scratch), 0);
    assert_memory_equal(got, v, N * sizeof(int64_t));
    /* read without the fallback, the predictions it made have no source */
    assert_int_equal(cn_store__page_decode_keyed(exact, &pg, k, NULL, got, &scratch), CN_ECORRUPT);
    free(exact);
    free(v);
    free(k);
    free(k2);
    free(got);
    cn_buf_dispose(&out);
    cn_buf_dispose(&out1);
    cn_buf_dispose(&scratch);
}

static void rice_local_reject_damage(void **state)
{
    (void)state;
    cn_buf_t scratch = CN_BUF_INIT;
    int64_t got[8];
    /* LOCAL: k = 2, values base+0 and base+1, ids 0 1 1 0 */
    uint8_t loc[] = {0x02, 0x00, 0x02, 0, 1, 1, 0};
    cn_store__page_t l = {.rows = 4,
                          .enc = CN_STORE__ENC_LOCAL,
                          .width = 8,
                          .raw_len = 7,
                          .stored_len = 7,
                          .base = 10};
    assert_int_equal(cn_store__page_decode(loc, &l, got, &scratch), 0);
    assert_int_equal(got[0], 10);
    assert_int_equal(got[1], 11);
    cn_store__page_t b = l;
    b.width = 12;
    assert_int_equal(cn_store__page_decode(loc, &b, got, &scratch), CN_ECORRUPT);
    b = l;
    b.rows = 5; /* one id short */
    assert_int_equal(cn_store__page_decode(loc, &b, got, &scratch), CN_ECORRUPT);
    b = l;
    b.rows = 3; /* one id left over */
    assert_int_equal(cn_store__page_decode(loc, &b, got, &scratch), CN_ECORRUPT);
    loc[4] = 2; /* id beyond k */
    assert_int_equal(cn_store__page_decode(loc, &l, got, &scratch), CN_ECORRUPT);
    loc[4] = 1;
    loc[0] = 0; /* k = 0 */
    assert_int_equal(cn_store__page_decode(loc, &l, got, &scratch), CN_ECORRUPT);
    loc[0] = 5; /* k > rows */
    assert_int_equal(cn_store__page_decode(loc, &l, got, &scratch), CN_ECORRUPT);
    /* RICE k = 1: z values 0, 2, 1 -> bits (LSB first) 0 0, 1 0 0, 0 1 = 0x44, 1 byte */
    uint8_t ri[] = {0x44, 0x00};
    cn_store__page_t r = {.rows = 3,
                          .enc = CN_STORE__ENC_RICE,
                          .width = 1,
                          .raw_len = 1,
                          .stored_len = 1,
                          .base = 100};
    assert_int_equal(cn_store__page_decode(ri, &r, got, &scratch), 0);
    assert_int_equal(got[0], 100);
    assert_int_equal(got[1], 101);
    assert_int_equal(got[2], 100);
    cn_store__page_t rb = r;
    rb.rows = 4; /* runs out of bits */
    assert_int_equal(cn_store__page_decode(ri, &rb, got, &scratch), CN_ECORRUPT);
    rb = r;
    rb.raw_len = rb.stored_len = 2; /* a whole byte left over */
    assert_int_equal(cn_store__page_decode(ri, &rb, got, &scratch), CN_ECORRUPT);
    rb = r;
    rb.width = 64;
    assert_int_equal(cn_store__page_decode(ri, &rb, got, &scratch), CN_ECORRUPT);
    ri[0] = 0xc4; /* padding bit set */
    assert_int_equal(cn_store__page_decode(ri, &r, got, &scratch), CN_ECORRUPT);
    /* a unary run of 32 ones (escape) whose 64-bit value is cut off */
    uint8_t esc[6] = {0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
    cn_store__page_t e = {
        .rows = 1, .enc = CN_STORE__ENC_RICE, .width = 0, .raw_len = 6, .stored_len = 6};
    assert_int_equal(cn_store__page_decode(esc, &e, got, &scratch), CN_ECORRUPT);
    cn_buf_dispose(&scratch);
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
    bad.enc = CN_STORE__ENC_MAX + 1;
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

/* SRICE: differences with a common factor (ms times in µs) round-trip at the
 * boundaries, cost about log2(g) bits less than RICE, and damage is refused. */
static void srice_boundaries(void **state)
{
    (void)state;
    enum { N = 20000 };
    int64_t *v = malloc(N * sizeof(int64_t));
    /* one value (then two, so that a difference exists), all distinct, negative steps */
    int64_t one[2] = {1788969602328000, 1788969602329000};
    cn_store__page_t pg = roundtrip_as(one, 2, CN_STORE__ENC_SRICE);
    int64_t two_equal_then[3] = {-5000, -5000, 5000};
    roundtrip_as(two_equal_then, 3, CN_STORE__ENC_SRICE);
    uint64_t x = 7;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = 1788969602328000 + (int64_t)i * 360000 + (int64_t)(x >> 54) * 1000;
    }
    pg = roundtrip_as(v, N, CN_STORE__ENC_SRICE);
    cn_store__page_t pr = roundtrip_as(v, N, CN_STORE__ENC_RICE);
    assert_true(pg.stored_len * 8 < (pr.stored_len * 8) - (uint32_t)N * 9); /* ~log2(1000) bits */
    /* the encoder picks it under zstd */
    cn_store__page_t auto_pg = roundtrip(v, N, true, -1);
    assert_int_equal(auto_pg.enc, CN_STORE__ENC_SRICE);
    /* the int64 extremes: no common factor beyond 2^62, INT64_MIN differences */
    int64_t ext[4] = {INT64_MIN, INT64_MAX, INT64_MIN, 0};
    roundtrip_as(ext, 4, CN_STORE__ENC_SRICE);
    int64_t big[3] = {0, (int64_t)1 << 62, 0};
    roundtrip_as(big, 3, CN_STORE__ENC_SRICE);
    int64_t gbig[3] = {0, INT64_MAX - 1, 0}; /* g = 2^63 - 2: beyond 2^62, no scale */
    roundtrip_as(gbig, 3, CN_STORE__ENC_SRICE);
    /* damage: g 0, a short stream, a Rice parameter beyond 63 */
    cn_buf_t out = CN_BUF_INIT, scratch = CN_BUF_INIT;
    int64_t small[4] = {1000, 3000, 2000, 9000};
    cn_store__page_encode_as(small, NULL, NULL, 4, CN_STORE__ENC_SRICE, &out, &pg);
    int64_t got[4];
    uint8_t p[64];
    memcpy(p, out.ptr, pg.stored_len);
    assert_int_equal(p[0] & 0x7f, 1000 & 0x7f); /* varint g first */
    assert_int_equal(cn_store__page_decode(p, &pg, got, &scratch), 0);
    assert_memory_equal(got, small, sizeof(small));
    p[0] = 0;
    p[1] = 0;
    assert_int_equal(cn_store__page_decode(p, &pg, got, &scratch), CN_ECORRUPT);
    memcpy(p, out.ptr, pg.stored_len);
    cn_store__page_t bad = pg;
    bad.raw_len = bad.stored_len = pg.stored_len - 1;
    assert_int_equal(cn_store__page_decode(p, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.width = 64;
    assert_int_equal(cn_store__page_decode(p, &bad, got, &scratch), CN_ECORRUPT);
    free(v);
    cn_buf_dispose(&out);
    cn_buf_dispose(&scratch);
}

/* Encodes with KEYED or KEYED_NEXT in a mode, decodes an exact copy, compares. */
static cn_store__page_t keyed_roundtrip(const int64_t *v, const int64_t *k, const int64_t *k2,
                                        int mode, uint32_t n, uint8_t enc)
{
    cn_buf_t out = CN_BUF_INIT;
    cn_store__page_t pg;
    cn_store__page_encode_as_kmode(v, k, k2, mode, n, enc, &out, &pg);
    assert_int_equal(pg.enc, enc);
    decodes_back(out.ptr, &pg, k, k2, mode, v, n);
    cn_buf_dispose(&out);
    return pg;
}

/* KEYED_NEXT predicts the key's last value + 1 (a hit number within its visit),
 * wrapping at the int64 extremes; the encoder picks it where it pays. */
static void keyed_next_boundaries(void **state)
{
    (void)state;
    enum { N = CN_STORE_PAGE_ROWS };
    int64_t *v = malloc(N * sizeof(int64_t)), *k = malloc(N * sizeof(int64_t));
    int64_t last[64] = {0};
    for (int i = 0; i < N; i++) {
        k[i] = (int64_t)(((uint64_t)i * 0x9E3779B97F4A7C15ull) >> 58); /* 64 visits */
        v[i] = ++last[k[i]];
    }
    cn_store__page_t pg =
        keyed_roundtrip(v, k, NULL, CN_STORE__KMODE_PLAIN, N, CN_STORE__ENC_KEYED_NEXT);
    /* only each key's first row explicit, and without a bitmap bit */
    assert_int_equal(pg.raw_len, 3 + (N - 64) / 8 + (64 * pg.width + 7) / 8);
    cn_buf_t out = CN_BUF_INIT;
    void *z = cn_store__zctx_new();
    cn_store__page_encode_keyed(v, k, NULL, N, 3, &out, &pg, z);
    assert_int_equal(pg.enc, CN_STORE__ENC_KEYED_NEXT);
    /* one row; all equal keys at the extremes (INT64_MAX + 1 wraps) */
    int64_t one = 5, ko = 1;
    keyed_roundtrip(&one, &ko, NULL, CN_STORE__KMODE_PLAIN, 1, CN_STORE__ENC_KEYED_NEXT);
    int64_t w[3] = {INT64_MAX, INT64_MIN, INT64_MIN + 1}, kw[3] = {9, 9, 9};
    pg = keyed_roundtrip(w, kw, NULL, CN_STORE__KMODE_PLAIN, 3, CN_STORE__ENC_KEYED_NEXT);
    assert_int_equal(pg.raw_len, 1 + 1 + 8); /* b = 2, bitmap, one explicit 64-bit value */
    cn_store__zctx_free(z);
    cn_buf_dispose(&out);
    free(v);
    free(k);
}

/* CHAIN: a key with bit 63 set is combined with the previous row's value, so
 * a repeated list (a hit's vars) is predicted row after row; ADAPTIVE: per var
 * (the key's high half), the key that predicts better is tried first. */
static void keyed_modes(void **state)
{
    (void)state;
    enum { N = 30000 };
    int64_t *v = malloc(N * sizeof(int64_t)), *k = malloc(N * sizeof(int64_t));
    int64_t *k2 = malloc(N * sizeof(int64_t));
    /* lists of 2..5 vars per "hit", per "visit" the same list with one var inserted sometimes */
    int i = 0;
    for (int hit = 0; i < N; hit++) {
        int visit = hit % 37, len = 2 + visit % 4;
        for (int j = 0; j < len && i < N; j++, i++) {
            int64_t chain = j > 0 ? INT64_MIN : 0;
            k[i] = chain | visit;
            k2[i] = chain | ((int64_t)1 << 62);
            v[i] = 100 + ((visit * 7 + j * (hit % 5 == 0 ? 2 : 1)) % 11);
        }
    }
    cn_store__page_t chain =
        keyed_roundtrip(v, k, k2, CN_STORE__KMODE_CHAIN, N, CN_STORE__ENC_KEYED);
    cn_store__page_t plain =
        keyed_roundtrip(v, k, k2, CN_STORE__KMODE_PLAIN, N, CN_STORE__ENC_KEYED);
    assert_true(chain.raw_len < plain.raw_len);
    /* a chained key in row 0 has no previous row: the key itself */
    int64_t c1[2] = {INT64_MIN | 3, INT64_MIN | 3}, cv[2] = {4, 4};
    keyed_roundtrip(cv, c1, NULL, CN_STORE__KMODE_CHAIN, 2, CN_STORE__ENC_KEYED);
    /* ADAPTIVE: var 1 follows the first key, var 2 the second */
    for (i = 0; i < N; i++) {
        int64_t var = 1 + i % 2, a = (i / 2) % 50, b = (i / 2) % 73;
        k[i] = var << 32 | a;
        k2[i] = var << 32 | b;
        v[i] = var == 1 ? a * 3 : b * 5;
    }
    cn_store__page_t ad =
        keyed_roundtrip(v, k, k2, CN_STORE__KMODE_ADAPTIVE, N, CN_STORE__ENC_KEYED);
    plain = keyed_roundtrip(v, k, k2, CN_STORE__KMODE_PLAIN, N, CN_STORE__ENC_KEYED);
    assert_true(ad.raw_len < plain.raw_len / 2);
    /* read in another mode, the page does not give the same rows back (or is corrupt) */
    cn_buf_t out = CN_BUF_INIT, scratch = CN_BUF_INIT;
    cn_store__page_t pg;
    cn_store__page_encode_as_kmode(v, k, k2, CN_STORE__KMODE_ADAPTIVE, N, CN_STORE__ENC_KEYED, &out,
                                   &pg);
    int64_t *got = malloc(N * sizeof(int64_t));
    int rc = cn_store__page_decode_kmode((uint8_t *)out.ptr, &pg, k, k2, CN_STORE__KMODE_PLAIN, got,
                                         &scratch);
    assert_true(rc != 0 || memcmp(got, v, N * sizeof(int64_t)) != 0);
    free(got);
    cn_buf_dispose(&out);
    cn_buf_dispose(&scratch);
    free(v);
    free(k);
    free(k2);
}

/* REF (format 4): a recent row's value by its distance back. Round trips at
 * the boundaries (one value, all equal, all distinct, the int64 extremes,
 * escapes), its choice for a hit's visit under zstd, and damaged payloads. */
static void ref_boundaries(void **state)
{
    (void)state;
    enum { N = CN_STORE_PAGE_ROWS };
    int64_t *v = malloc(N * sizeof(int64_t));
    int64_t one = 77;
    cn_store__page_t pg = roundtrip_as(&one, 1, CN_STORE__ENC_REF);
    assert_int_equal(pg.raw_len, 1); /* symbol 0: base */
    for (int i = 0; i < N; i++)
        v[i] = -3;
    pg = roundtrip_as(v, N, CN_STORE__ENC_REF);
    assert_int_equal(pg.width, 1); /* k = 1: two bits a row (symbols 0, then 1) */
    assert_int_equal(pg.raw_len, 2 * N / 8);
    /* all distinct ascending by one: every row is `next` */
    for (int i = 0; i < N; i++)
        v[i] = 1000 + i;
    pg = roundtrip_as(v, N, CN_STORE__ENC_REF);
    assert_int_equal(pg.raw_len, N / 8);
    /* all distinct in a random order: escapes */
    for (int i = 0; i < N; i++)
        v[i] = (int64_t)((uint32_t)i * 40503u % N) * 1000 - 5000000;
    roundtrip_as(v, N, CN_STORE__ENC_REF);
    /* the int64 extremes: escapes of every bit length, next wrapping past INT64_MAX */
    int64_t ext[8] = {INT64_MAX, INT64_MIN, 0, INT64_MAX, -1, INT64_MIN + 1, 1, INT64_MIN};
    roundtrip_as(ext, 8, CN_STORE__ENC_REF);
    int64_t ext2[4] = {INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX};
    roundtrip_as(ext2, 4, CN_STORE__ENC_REF);
    /* hits of the visits in progress: new visits in order, earlier ones again */
    uint64_t x = 11;
    int64_t nv = 5000;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        if (i < 50 || (x >> 60) < 5)
            v[i] = nv++;
        else
            v[i] = v[i - 1 - (int)((x >> 33) % (i < 200 ? (uint64_t)i : 200))];
    }
    cn_store__page_t r = roundtrip_as(v, N, CN_STORE__ENC_REF);
    cn_store__page_t ri = roundtrip_as(v, N, CN_STORE__ENC_RICE);
    assert_true(r.raw_len < ri.raw_len);
    cn_store__page_t a = roundtrip_hinted(v, N, CN_STORE__KMODE_TRY_REF);
    assert_int_equal(a.enc, CN_STORE__ENC_REF);
    a = roundtrip_hinted(v, N, 0); /* without the column's hint: never */
    assert_true(a.enc != CN_STORE__ENC_REF);
    /* damage */
    cn_buf_t out = CN_BUF_INIT, scratch = CN_BUF_INIT;
    int64_t small[6] = {10, 11, 10, 500, 11, 12};
    cn_store__page_encode_as(small, NULL, NULL, 6, CN_STORE__ENC_REF, &out, &pg);
    int64_t got[6];
    uint8_t p[64];
    memcpy(p, out.ptr, pg.stored_len);
    assert_int_equal(cn_store__page_decode(p, &pg, got, &scratch), 0);
    assert_memory_equal(got, small, sizeof(small));
    cn_store__page_t bad = pg;
    bad.raw_len = bad.stored_len = pg.stored_len - 1; /* short */
    assert_int_equal(cn_store__page_decode(p, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.raw_len = bad.stored_len = pg.stored_len + 1; /* a byte left over */
    p[pg.stored_len] = 0;
    assert_int_equal(cn_store__page_decode(p, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.width = 25; /* k beyond 24 */
    assert_int_equal(cn_store__page_decode(p, &bad, got, &scratch), CN_ECORRUPT);
    bad = pg;
    bad.rows = 7; /* runs out of bits */
    assert_int_equal(cn_store__page_decode(p, &bad, got, &scratch), CN_ECORRUPT);
    /* a distance beyond the row (row 0 referring back): gamma(3) = 0 1 1, k 0 */
    uint8_t far[1] = {0x06};
    cn_store__page_t f = {.rows = 1, .enc = CN_STORE__ENC_REF, .raw_len = 1, .stored_len = 1};
    assert_int_equal(cn_store__page_decode(far, &f, got, &scratch), CN_ECORRUPT);
    /* padding bits set */
    uint8_t pad[1] = {0x03}; /* symbol 0 (bit 1), then a 1 in the padding */
    f.rows = 1;
    assert_int_equal(cn_store__page_decode(pad, &f, got, &scratch), CN_ECORRUPT);
    pad[0] = 0x01;
    assert_int_equal(cn_store__page_decode(pad, &f, got, &scratch), 0);
    assert_int_equal(got[0], 0);
    /* all zero bits: a gamma code without its one bit */
    uint8_t zeros[16] = {0};
    f.raw_len = f.stored_len = 16;
    assert_int_equal(cn_store__page_decode(zeros, &f, got, &scratch), CN_ECORRUPT);
    /* an escape whose length code is beyond 64 bits: symbol 1 at row 0 (0 1 0),
     * then gamma(127) = six zeros, a one, six ones */
    /* bits: 0:0 1:1 2:0 | 3..8: six zeros | 9: one | 10..15: six ones */
    uint8_t esc[2] = {0x02, 0xfe};
    f.raw_len = f.stored_len = 2;
    assert_int_equal(cn_store__page_decode(esc, &f, got, &scratch), CN_ECORRUPT);
    /* random payloads: 0 or CN_ECORRUPT, never a read outside them (ASan) */
    for (int t = 0; t < 3000; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t len = 1 + (x >> 58);
        uint8_t *rp = malloc(len);
        for (size_t b = 0; b < len; b++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            rp[b] = (uint8_t)(x >> (t % 2 ? 56 : 60)); /* half of them sparse in ones */
        }
        cn_store__page_t rpg = {.rows = 1 + (uint32_t)(x >> 40) % 64,
                                .enc = CN_STORE__ENC_REF,
                                .width = (uint8_t)((x >> 20) % 26),
                                .raw_len = (uint32_t)len,
                                .stored_len = (uint32_t)len};
        int rc = cn_store__page_decode(rp, &rpg, v, &scratch);
        assert_true(rc == 0 || rc == CN_ECORRUPT);
        free(rp);
    }
    cn_buf_dispose(&out);
    cn_buf_dispose(&scratch);
    free(v);
}

/* --- HUFF (format 5) --- */

/* A bit stream written as the store's: least significant bit of each byte first. */
typedef struct tbits {
    uint8_t b[256];
    unsigned n;
} tbits_t;

static void tput(tbits_t *t, uint64_t x, unsigned bits)
{
    for (unsigned i = 0; i < bits; i++, t->n++)
        if ((x >> i) & 1)
            t->b[t->n >> 3] |= (uint8_t)(1u << (t->n & 7));
}

/* A HUFF payload of k (< 128) values: the byte lengths of row streams 0..2,
 * then the table: kg, the meta lengths of code lengths 1..20, then the bits
 * of `spec` ('0'/'1' in stream order) up to its first '|', padded to a byte;
 * each further section separated by '|' is a row stream (0..3), padded to a
 * byte (missing ones empty). Returns the payload's length in bytes. */
static size_t huff_payload(uint8_t *p, unsigned k, unsigned kg, const uint8_t *meta,
                           const char *spec)
{
    tbits_t t;
    memset(&t, 0, sizeof(t));
    const char *sec[5] = {spec, "", "", "", ""};
    size_t slen[5];
    for (int i = 1; i < 5; i++) {
        const char *bar = strchr(sec[i - 1], '|');
        if (!bar)
            break;
        sec[i] = bar + 1;
    }
    for (int i = 0; i < 5; i++) {
        const char *bar = strchr(sec[i], '|');
        slen[i] = bar ? (size_t)(bar - sec[i]) : strlen(sec[i]);
    }
    tput(&t, k, 8);
    for (int i = 1; i < 4; i++)
        tput(&t, (slen[i] + 7) / 8, 8);
    tput(&t, kg, 6);
    for (int s = 0; s < 20; s++)
        tput(&t, meta[s], 3);
    for (int i = 0; i < 5; i++) {
        for (size_t c = 0; c < slen[i]; c++)
            tput(&t, sec[i][c] == '1', 1);
        t.n = (t.n + 7) / 8 * 8;
    }
    memcpy(p, t.b, t.n / 8);
    return t.n / 8;
}

static int huff_dec(const uint8_t *p, size_t len, uint32_t rows, unsigned width, int64_t base,
                    int64_t *got)
{
    cn_buf_t scratch = CN_BUF_INIT;
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, p, len);
    cn_store__page_t pg = {.rows = rows,
                           .enc = CN_STORE__ENC_HUFF,
                           .width = (uint8_t)width,
                           .base = base,
                           .raw_len = (uint32_t)len,
                           .stored_len = (uint32_t)len};
    int rc = cn_store__page_decode(exact, &pg, got, &scratch);
    free(exact);
    cn_buf_dispose(&scratch);
    return rc;
}

/* Zipf-like ids over a wide range (a page of hit.page). */
static void zipf_ids(int64_t *v, uint32_t n, unsigned distinct, uint64_t seed)
{
    uint64_t x = seed;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)((x >> 11) + 1) / 9007199254740993.0;   /* (0, 1] */
        unsigned r = (unsigned)((double)distinct * u * u * u * u); /* mass near 0 */
        v[i] = 1000 + (int64_t)((r * 2654435761u) % (distinct * 3u));
    }
}

static void huff_boundaries(void **state)
{
    (void)state;
    int64_t *v = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    /* two distinct values: one bit each, the width of the page's values no matter */
    int64_t two[2] = {INT64_MAX, -5};
    cn_store__page_t pg = roundtrip_as(two, 2, CN_STORE__ENC_HUFF);
    assert_int_equal(pg.width, 1);
    for (int i = 0; i < 1000; i++)
        v[i] = i % 3 == 0 ? 7 : 9;
    pg = roundtrip_as(v, 1000, CN_STORE__ENC_HUFF);
    assert_int_equal(pg.width, 1);
    /* max width: the whole int64 range, gaps near 2^64 */
    int64_t m[7] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1};
    roundtrip_as(m, 7, CN_STORE__ENC_HUFF);
    int64_t m2[3] = {INT64_MIN, INT64_MAX, INT64_MIN};
    roundtrip_as(m2, 3, CN_STORE__ENC_HUFF);
    /* all distinct, a full page: every code log2(rows) bits */
    for (int i = 0; i < CN_STORE_PAGE_ROWS; i++)
        v[i] = (int64_t)((uint32_t)i * 40503u % CN_STORE_PAGE_ROWS) * 1000 - 5;
    pg = roundtrip_as(v, CN_STORE_PAGE_ROWS, CN_STORE__ENC_HUFF);
    assert_int_equal(pg.width, __builtin_ctz(CN_STORE_PAGE_ROWS));
    /* max code length: Fibonacci frequencies would give a 21-bit code; cut to 20 */
    uint32_t n = 0, f0 = 1, f1 = 1;
    for (int s = 0; s < 22; s++) {
        for (uint32_t c = 0; c < f0; c++)
            v[n++] = s * 11;
        uint32_t f2 = f0 + f1;
        f0 = f1;
        f1 = f2;
    }
    assert_true(n <= CN_STORE_PAGE_ROWS);
    for (uint32_t i = 0; i < n; i++) { /* shuffle */
        uint32_t j = (uint32_t)(((uint64_t)i * 0x9E3779B97F4A7C15ull >> 20) % n);
        int64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    pg = roundtrip_as(v, n, CN_STORE__ENC_HUFF);
    assert_int_equal(pg.width, 20);
    /* a full page and a short one of skewed ids: the encoder's choice, and smaller
     * than LOCAL and bit-packing with or without zstd */
    zipf_ids(v, CN_STORE_PAGE_ROWS, 15000, 7);
    pg = roundtrip(v, CN_STORE_PAGE_ROWS, true, CN_STORE__ENC_HUFF);
    assert_int_equal(pg.zstd, 0);
    cn_store__page_t loc = roundtrip_as(v, CN_STORE_PAGE_ROWS, CN_STORE__ENC_LOCAL);
    cn_store__page_t bp = roundtrip_as(v, CN_STORE_PAGE_ROWS, CN_STORE__ENC_BITPACK);
    assert_true(pg.stored_len < loc.stored_len && pg.stored_len < bp.stored_len);
    assert_true(pg.width <= 20);
    zipf_ids(v, 100, 50, 3);
    roundtrip_as(v, 100, CN_STORE__ENC_HUFF);
    /* a small enum, skewed: 2 bits wide */
    for (int i = 0; i < 5000; i++)
        v[i] = (i * 7919) % 100 < 90 ? 1 : 2 + (i % 3);
    pg = roundtrip(v, 5000, true, -1);
    cn_store__page_t h = roundtrip_as(v, 5000, CN_STORE__ENC_HUFF);
    assert_true(pg.stored_len <= h.stored_len);
    /* without zstd (flushed segments): never */
    zipf_ids(v, 5000, 1000, 5);
    pg = roundtrip(v, 5000, false, -1);
    assert_true(pg.enc != CN_STORE__ENC_HUFF);
    free(v);
}

static void huff_rejects_damage(void **state)
{
    (void)state;
    uint8_t p[256];
    int64_t got[64];
    uint8_t meta[20] = {1, 1}; /* code lengths 1 and 2: meta codes 0 and 1 */
    /* k 2, gap 0 (gamma 1), lengths 1 1 | rows 0 1 1 in streams 0 1 2 */
    size_t len = huff_payload(p, 2, 0, meta, "100|0|1|1");
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), 0);
    assert_int_equal(got[0], 40);
    assert_int_equal(got[1], 41);
    assert_int_equal(got[2], 41);
    /* gap 2 with kg 1: gamma(2) = 010, low bit 0; five rows, stream 0 two of them */
    len = huff_payload(p, 2, 1, meta, "010000|10|0|0|1");
    assert_int_equal(huff_dec(p, len, 5, 1, 40, got), 0);
    int64_t want[5] = {43, 40, 40, 43, 40};
    assert_memory_equal(got, want, sizeof(want));
    /* the width: 0, beyond 20, or shorter than a code */
    assert_int_equal(huff_dec(p, len, 5, 0, 40, got), CN_ECORRUPT);
    assert_int_equal(huff_dec(p, len, 5, 21, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "111|00|00");
    assert_int_equal(huff_dec(p, len, 2, 1, 40, got), CN_ECORRUPT); /* lengths 2 > width 1 */
    /* an incomplete code (lengths 2 2) and an over-subscribed one (1 1 1) */
    assert_int_equal(huff_dec(p, len, 2, 2, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 3, 0, meta, "11000|0|0|0");
    assert_int_equal(huff_dec(p, len, 3, 2, 40, got), CN_ECORRUPT);
    /* k: 1, beyond the rows, beyond 2^width */
    len = huff_payload(p, 1, 0, meta, "0|0|0|0");
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "100|0");
    assert_int_equal(huff_dec(p, len, 1, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 3, 0, meta, "11000|0|0|0");
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    /* a bad meta code: none, incomplete, over-subscribed, all symbols */
    uint8_t m0[20] = {0}, m1[20] = {1}, m3[20] = {1, 1, 1}, m7[20];
    memset(m7, 7, sizeof(m7));
    len = huff_payload(p, 2, 0, m0, "100|0|1");
    assert_int_equal(huff_dec(p, len, 2, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, m1, "100|0|1");
    assert_int_equal(huff_dec(p, len, 2, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, m3, "100|0|1");
    assert_int_equal(huff_dec(p, len, 2, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, m7, "100000000000000|0|1");
    assert_int_equal(huff_dec(p, len, 2, 1, 40, got), CN_ECORRUPT);
    /* values beyond 2^64 - 1 above base: two gaps of 2^63 (kg 63: gamma(2), low bits 0) */
    char big[256] = "";
    for (int g = 0; g < 2; g++) {
        strcat(big, "010");
        for (int b = 0; b < 63; b++)
            strcat(big, "0");
    }
    strcat(big, "0101|0|1|1"); /* lengths 1 2 2 */
    len = huff_payload(p, 3, 63, meta, big);
    assert_int_equal(huff_dec(p, len, 3, 2, 0, got), CN_ECORRUPT);
    /* one gap of 2^64 - 2 is the largest there is; 2^64 - 1 is not */
    char one[256] = "", over[256] = "";
    strcat(one, "010"); /* gamma(2) = 2^63 with kg 63 ... */
    for (int b = 0; b < 63; b++)
        strcat(one, b == 0 ? "0" : "1"); /* ... | 2^63 - 2 */
    strcat(one, "00|0|1");
    len = huff_payload(p, 2, 63, meta, one);
    assert_int_equal(huff_dec(p, len, 2, 1, INT64_MIN, got), 0);
    assert_int_equal(got[1], INT64_MAX);
    strcat(over, "010");
    for (int b = 0; b < 63; b++)
        strcat(over, "1");
    strcat(over, "00|0|1");
    len = huff_payload(p, 2, 63, meta, over);
    assert_int_equal(huff_dec(p, len, 2, 1, INT64_MIN, got), CN_ECORRUPT);
    /* gamma codes of 64 or more zero bits */
    char zeros[256] = "";
    for (int b = 0; b < 70; b++)
        strcat(zeros, "0");
    len = huff_payload(p, 2, 0, meta, zeros);
    assert_int_equal(huff_dec(p, len, 2, 1, 0, got), CN_ECORRUPT);
    /* stream lengths beyond the payload, a stream too long or too short */
    len = huff_payload(p, 2, 0, meta, "100|0|1|1");
    p[1] = 100;
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "100|00000000|0|1|1"); /* a byte left over in stream 0 */
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "100|0|1|1|1"); /* stream 3 not read */
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "100||1|1|0"); /* stream 0 empty: row 0 overruns it */
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    /* padding: a one bit in the table's or in a stream's; a whole byte left over */
    len = huff_payload(p, 2, 0, meta, "100|0|1|1");
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), 0);
    p[len - 1] |= 0x80; /* stream 2 */
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "100|0|1|1");
    p[len - 4] |= 0x80; /* the table */
    assert_int_equal(huff_dec(p, len, 3, 1, 40, got), CN_ECORRUPT);
    len = huff_payload(p, 2, 0, meta, "100|0|1|1");
    p[len] = 0;
    assert_int_equal(huff_dec(p, len + 1, 3, 1, 40, got), CN_ECORRUPT);
    assert_int_equal(huff_dec(p, len, 30, 1, 40, got), CN_ECORRUPT); /* rows beyond the bits */
    /* a real page cut short anywhere, and each of its bytes damaged: never a read
     * outside the payload (ASan), 0 or CN_ECORRUPT */
    int64_t *v = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    int64_t *out = malloc(CN_STORE_PAGE_ROWS * sizeof(int64_t));
    zipf_ids(v, 3000, 800, 11);
    cn_buf_t buf = CN_BUF_INIT;
    cn_store__page_t pg;
    cn_store__page_encode_as(v, NULL, NULL, 3000, CN_STORE__ENC_HUFF, &buf, &pg);
    const uint8_t *raw = (const uint8_t *)buf.ptr;
    assert_int_equal(huff_dec(raw, pg.stored_len, 3000, pg.width, pg.base, out), 0);
    assert_memory_equal(out, v, 3000 * sizeof(int64_t));
    for (uint32_t l = 0; l < pg.stored_len; l++)
        assert_int_equal(huff_dec(raw, l, 3000, pg.width, pg.base, out), CN_ECORRUPT);
    uint8_t *dam = malloc(pg.stored_len);
    uint64_t x = 99;
    for (uint32_t b = 0; b < pg.stored_len; b++) {
        memcpy(dam, raw, pg.stored_len);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        dam[b] ^= (uint8_t)(1u << ((x >> 40) & 7));
        int rc = huff_dec(dam, pg.stored_len, 3000, pg.width, pg.base, out);
        assert_true(rc == 0 || rc == CN_ECORRUPT);
    }
    free(dam);
    /* random payloads */
    for (int t = 0; t < 3000; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t rl = 1 + (x >> 57);
        uint8_t *rp = malloc(rl);
        for (size_t b = 0; b < rl; b++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            rp[b] = (uint8_t)(x >> 56);
        }
        rp[0] = (uint8_t)(2 + (x >> 20) % 6); /* a plausible k */
        int rc =
            huff_dec(rp, rl, 1 + (uint32_t)(x >> 40) % 64, 1 + (unsigned)(x >> 30) % 20, 0, out);
        assert_true(rc == 0 || rc == CN_ECORRUPT);
        free(rp);
    }
    cn_buf_dispose(&buf);
    free(v);
    free(out);
}

/* The sizes of BITPACK, RLE and DELTA computed the plain way (one loop each,
 * cn_varint_len), against which the encoder's single pass is checked. */
static uint64_t zz(uint64_t d)
{
    return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

static void plain_sizes(const int64_t *v, uint32_t n, int64_t *mn, int64_t *mx, uint64_t *packed,
                        uint64_t *rle, uint64_t *delta)
{
    *mn = *mx = v[0];
    for (uint32_t i = 1; i < n; i++) {
        *mn = v[i] < *mn ? v[i] : *mn;
        *mx = v[i] > *mx ? v[i] : *mx;
    }
    uint64_t range = (uint64_t)*mx - (uint64_t)*mn;
    unsigned w = range == 0 ? 0 : 64 - (unsigned)__builtin_clzll(range);
    *packed = ((uint64_t)n * w + 7) / 8;
    uint64_t prev = (uint64_t)*mn;
    *rle = *delta = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        *rle += cn_varint_len(j - i) + cn_varint_len(zz((uint64_t)v[i] - prev));
        prev = (uint64_t)v[i];
        i = j;
    }
    prev = (uint64_t)*mn;
    for (uint32_t i = 0; i < n; i++) {
        *delta += cn_varint_len(zz((uint64_t)v[i] - prev));
        prev = (uint64_t)v[i];
    }
}

/* A quick encoding (no zstd) picks the smallest of BITPACK, RLE and DELTA as
 * the plain sizes say (ties: BITPACK, then RLE), gives the page's maximum,
 * and decodes back: random pages of every shape (runs of every length up to
 * past 2^14, deltas of every varint length, all widths, negative values). */
static void quick_encoding_sizes_exact(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int64_t *v = malloc(40000 * sizeof(int64_t));
    for (int t = 0; t < 600; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t n = 1 + (uint32_t)((x >> 33) % (t % 50 == 0 ? 40000 : 3000));
        unsigned shape = (unsigned)(x >> 20) % 5, bits = 1 + (unsigned)(x >> 8) % 64;
        int64_t cur = (int64_t)(x >> 3);
        for (uint32_t i = 0; i < n;) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t r = x ^ (x >> 29);
            uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
            uint32_t run = 1;
            if (shape == 1)
                run = 1 + (uint32_t)(r % 20);
            else if (shape == 2)
                run = 1 + (uint32_t)(r % 20000);
            if (shape == 3)
                cur = (int64_t)((uint64_t)cur + (r & mask) - ((r & mask) >> 1)); /* a walk */
            else if (shape == 4)
                cur = (int64_t)(r % 5) - 2;
            else
                cur = (int64_t)(r & mask);
            for (uint32_t k = 0; k < run && i < n; k++)
                v[i++] = cur;
        }
        int64_t mn, mx, gmx;
        uint64_t packed, rle, delta;
        plain_sizes(v, n, &mn, &mx, &packed, &rle, &delta);
        cn_buf_t out = CN_BUF_INIT;
        cn_buf_append(&out, "xx", 2); /* payloads are appended after what is there */
        cn_store__page_t pg;
        cn_store__page_encode_mx(v, NULL, NULL, CN_STORE__KMODE_PLAIN, n, 0, &out, &pg, NULL, &gmx);
        assert_int_equal(gmx, mx);
        assert_int_equal(pg.base, mn);
        assert_int_equal(pg.zstd, 0);
        if (mn == mx) {
            assert_int_equal(pg.enc, CN_STORE__ENC_CONST);
        } else if (packed <= rle && packed <= delta) {
            assert_int_equal(pg.enc, CN_STORE__ENC_BITPACK);
            assert_int_equal(pg.raw_len, packed);
        } else if (rle <= delta) {
            assert_int_equal(pg.enc, CN_STORE__ENC_RLE);
            assert_int_equal(pg.raw_len, rle);
        } else {
            assert_int_equal(pg.enc, CN_STORE__ENC_DELTA);
            assert_int_equal(pg.raw_len, delta);
        }
        assert_int_equal(out.len - 2, pg.stored_len);
        decodes_back(out.ptr + 2, &pg, NULL, NULL, CN_STORE__KMODE_PLAIN, v, n);
        /* every encoding of the three, forced, decodes back too (bit-packing at every width) */
        for (uint8_t e = CN_STORE__ENC_BITPACK; e <= CN_STORE__ENC_DELTA; e++) {
            if (mn == mx)
                break;
            cn_buf_clear(&out);
            cn_buf_append(&out, "xx", 2);
            cn_store__page_encode_as(v, NULL, NULL, n, e, &out, &pg);
            assert_int_equal(pg.raw_len, e == CN_STORE__ENC_BITPACK ? packed
                                         : e == CN_STORE__ENC_RLE   ? rle
                                                                    : delta);
            decodes_back(out.ptr + 2, &pg, NULL, NULL, CN_STORE__KMODE_PLAIN, v, n);
        }
        cn_buf_dispose(&out);
    }
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quick_encoding_sizes_exact),
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
        cmocka_unit_test(rice_and_local_boundaries),
        cmocka_unit_test(rice_every_k),
        cmocka_unit_test(skewed_ids_choose_huff),
        cmocka_unit_test(rice_local_reject_damage),
        cmocka_unit_test(keyed_boundaries),
        cmocka_unit_test(keyed_fallback_key),
        cmocka_unit_test(srice_boundaries),
        cmocka_unit_test(keyed_next_boundaries),
        cmocka_unit_test(keyed_modes),
        cmocka_unit_test(ref_boundaries),
        cmocka_unit_test(huff_boundaries),
        cmocka_unit_test(huff_rejects_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
