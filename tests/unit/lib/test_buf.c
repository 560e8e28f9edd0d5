/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"

#include <cmocka.h>

static void json_str_escapes_controls_quotes_and_bad_utf8(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append_json_str(&b, cn_str("a\"b\\c\n\x01\xe4\xb8\xad\xff", 11));
    assert_string_equal(b.ptr, "\"a\\\"b\\\\c\\n\\u0001\xe4\xb8\xad\xef\xbf\xbd\"");
    cn_buf_dispose(&b);
}

static void json_str_rejects_overlong_and_surrogates(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_append_json_str(&b, cn_str("\xc0\xaf\xed\xa0\x80", 5));
    /* each invalid lead byte becomes U+FFFD, continuation bytes too */
    assert_null(strstr(b.ptr, "\xc0"));
    assert_null(strstr(b.ptr, "\xed"));
    cn_buf_dispose(&b);
}

static void varint_round_trips_boundaries(void **state)
{
    (void)state;
    const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
    cn_buf_t b = CN_BUF_INIT;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        cn_buf_put_varint(&b, vals[i]);
    const uint8_t *p = (const uint8_t *)b.ptr, *end = p + b.len;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint64_t v;
        assert_int_equal(cn_get_varint(&p, end, &v), 0);
        assert_true(v == vals[i]);
    }
    assert_ptr_equal(p, end);
    cn_buf_dispose(&b);
}

/* Every length 1..10, with and without 8 bytes after the start (the one-load path and the
 * loop), shortest and with a zero last group, against a byte-at-a-time reference: the
 * shortest encodings read as their value, the others are refused. */
static void varint_every_length_both_paths(void **state)
{
    (void)state;
    for (unsigned len = 1; len <= 10; len++) {
        for (unsigned pad = 0; pad < 3; pad++) {
            for (uint64_t seed = 1; seed < 200; seed++) {
                uint8_t in[16];
                uint64_t want = 0, r = seed * 0x9e3779b97f4a7c15ull;
                uint8_t g = 0;
                for (unsigned i = 0; i < len; i++) {
                    g = (uint8_t)(r >> (7 * i % 57) & 0x7f);
                    if (i == 9)
                        g &= 1; /* the 10th byte holds bit 63 only */
                    if (i + 1 == len && seed % 5 == 0)
                        g = 0; /* a zero last group: a padded encoding when len > 1 */
                    in[i] = (uint8_t)(g | (i + 1 < len ? 0x80 : 0));
                    want |= (uint64_t)g << (7 * i);
                }
                memset(in + len, 0xff, sizeof(in) - len); /* continuation bits after it */
                const uint8_t *p = in;
                uint64_t v = 12345;
                if (len > 1 && g == 0) {
                    assert_int_equal(cn_get_varint(&p, in + len + pad * 4, &v), CN_ECORRUPT);
                    assert_ptr_equal(p, in); /* nothing read */
                    assert_true(v == 12345);
                    assert_int_equal(cn_buf__get_varint(&p, in + len + pad * 4, &v), CN_ECORRUPT);
                    assert_ptr_equal(p, in);
                    continue;
                }
                assert_int_equal(cn_get_varint(&p, in + len + pad * 4, &v), 0);
                assert_true(v == want);
                assert_ptr_equal(p, in + len);
                assert_int_equal(cn_varint_len(v), len); /* the writer's length for v */
                /* the out-of-line reader alone (what the inline cases leave to it) agrees */
                p = in;
                v = 12345;
                assert_int_equal(cn_buf__get_varint(&p, in + len + pad * 4, &v), 0);
                assert_true(v == want);
                assert_ptr_equal(p, in + len);
            }
        }
        /* cut one byte short: an error, with or without room for the one-load path */
        uint8_t cut[16];
        memset(cut, 0x80, sizeof(cut));
        const uint8_t *p = cut;
        uint64_t v;
        assert_int_equal(cn_get_varint(&p, cut + len, &v), CN_ECORRUPT);
    }
}

static void varint_rejects_truncated_and_overlong(void **state)
{
    (void)state;
    const uint8_t trunc[] = {0x80, 0x80};
    const uint8_t overlong[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    const uint8_t *p = trunc;
    uint64_t v;
    assert_int_equal(cn_get_varint(&p, trunc + sizeof(trunc), &v), CN_ECORRUPT);
    p = overlong;
    assert_int_equal(cn_get_varint(&p, overlong + sizeof(overlong), &v), CN_ECORRUPT);
}

/* Only the shortest encoding of a value reads (what cn_buf_put_varint writes): a last byte
 * of 0x00 after continuation bytes is refused, at every length, from the one-load path (8
 * bytes or more in the buffer) and from the loop (fewer); so are 11 bytes, and a 10th byte
 * with bits beyond 64. The largest values of each length read. */
static void varint_rejects_non_shortest(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[11];
        unsigned len;
        int rc;
        uint64_t want;
    } cases[] = {
        {{0x00}, 1, 0, 0},
        {{0x80, 0x00}, 2, CN_ECORRUPT, 0},       /* 0 in two bytes */
        {{0x85, 0x80, 0x00}, 3, CN_ECORRUPT, 0}, /* 5 in three */
        {{0xff, 0x00}, 2, CN_ECORRUPT, 0},       /* 127 in two */
        {{0x80, 0x01}, 2, 0, 128},
        {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, 8, CN_ECORRUPT, 0},
        {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 8, 0, (1ull << 56) - 1},
        {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 9, CN_ECORRUPT, 0},
        {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 10, CN_ECORRUPT, 0},
        {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 10, 0, 1ull << 63},
        {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10, 0, UINT64_MAX},
        {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03}, 10, CN_ECORRUPT, 0},
        {{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 11, CN_ECORRUPT, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned room = 0; room <= 8; room += 8) {
            uint8_t in[32];
            memset(in, 0, sizeof(in));
            memcpy(in, cases[i].bytes, cases[i].len);
            const uint8_t *p = in;
            uint64_t v = 0;
            /* exactly the varint, or 8 more bytes (zeros: any could end a varint) */
            assert_int_equal(cn_get_varint(&p, in + cases[i].len + room, &v), cases[i].rc);
            if (cases[i].rc == 0) {
                assert_true(v == cases[i].want);
                assert_ptr_equal(p, in + cases[i].len);
                cn_buf_t b = CN_BUF_INIT;
                cn_buf_put_varint(&b, v);
                assert_int_equal(b.len, cases[i].len);
                assert_memory_equal(b.ptr, cases[i].bytes, cases[i].len);
                cn_buf_dispose(&b);
            } else {
                assert_ptr_equal(p, in);
            }
        }
    }
}

static void printf_appends(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_printf(&b, "%d-%s", 42, "x");
    cn_buf_printf(&b, "%05d", 7);
    assert_string_equal(b.ptr, "42-x00007");
    assert_int_equal(b.len, 9);
    cn_buf_dispose(&b);
}

/* Whole files: empty, across the 64 KiB read size, appended after what the
 * buffer holds; a missing file and one past the limit. */
static void append_file_reads_whole_files(void **state)
{
    (void)state;
    char path[] = "/tmp/cn-buf-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        char *data = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = (char)('a' + i % 23);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        fclose(f);
        cn_buf_t b = CN_BUF_INIT;
        cn_buf_append_c(&b, "xy");
        assert_int_equal(cn_buf_append_file(&b, path, 0), 0);
        assert_int_equal(b.len, n + 2);
        assert_memory_equal(b.ptr, "xy", 2);
        assert_memory_equal(b.ptr + 2, data, n);
        assert_int_equal(b.ptr[b.len], '\0');
        cn_buf_clear(&b);
        assert_int_equal(cn_buf_append_file(&b, path, n), 0); /* exactly the limit */
        if (n >= 2)                                           /* (a limit of 0 is none) */
            assert_int_equal(cn_buf_append_file(&b, path, n - 1), CN_ETOOBIG);
        cn_buf_dispose(&b);
        free(data);
    }
    unlink(path);
    cn_buf_t b = CN_BUF_INIT;
    assert_int_equal(cn_buf_append_file(&b, path, 0), -ENOENT);
    cn_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_str_escapes_controls_quotes_and_bad_utf8),
        cmocka_unit_test(json_str_rejects_overlong_and_surrogates),
        cmocka_unit_test(varint_round_trips_boundaries),
        cmocka_unit_test(varint_every_length_both_paths),
        cmocka_unit_test(varint_rejects_truncated_and_overlong),
        cmocka_unit_test(varint_rejects_non_shortest),
        cmocka_unit_test(printf_appends),
        cmocka_unit_test(append_file_reads_whole_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
