/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hit/rawhit.h"
#include "lib/err.h"

#include <cmocka.h>

static cn_rawhit_t sample(void)
{
    cn_rawhit_t h = {
        .recv_us = 1795920000123456,
        .proto = CN_PROTO_ADOBE,
        .flags = CN_RAWHIT_UNKNOWN_SUITE,
        .suite = CN_STR_LIT("shop"),
        .ip = CN_STR_LIT("203.0.113.9"),
        .ua = CN_STR_LIT("Mozilla/5.0"),
        .method = CN_STR_LIT("GET"),
        .path = CN_STR_LIT("/b/ss/shop/1/JS-2.21.0/s1"),
        .query = CN_STR_LIT("AQB=1&AQE=1"),
        .headers = CN_STR_LIT("user-agent: Mozilla/5.0\nreferer: https://a.example/\n"),
        .body = cn_str("\0\1", 2),
    };
    return h;
}

static void rawhit_round_trips(void **state)
{
    (void)state;
    cn_rawhit_t in = sample(), out;
    cn_buf_t b = CN_BUF_INIT;
    cn_rawhit_encode(&in, &b);
    assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &out), 0);
    assert_true(out.recv_us == in.recv_us);
    assert_int_equal(out.proto, CN_PROTO_ADOBE);
    /* the sample's user-agent line is its ua: kept once */
    assert_int_equal(out.flags, CN_RAWHIT_UNKNOWN_SUITE | CN_RAWHIT_UA_ELIDED);
    assert_true(cn_str_eq(out.suite, in.suite));
    assert_true(cn_str_eq(out.query, in.query));
    assert_true(cn_str_eq(out.body, in.body));
    assert_true(cn_str_eq(out.ua, in.ua));
    assert_true(cn_str_eq_c(out.headers, "user-agent:\nreferer: https://a.example/\n"));
    cn_buf_t t = CN_BUF_INIT;
    cn_rawhit_headers_text(&out, &t);
    assert_true(cn_str_eq(cn_buf_str(&t), in.headers));
    cn_buf_dispose(&t);
    cn_buf_dispose(&b);
}

/* The user agent is kept once only when the headers hold one user-agent line and its value is
 * ua; the headers as received, the user-agent header and a second encoding are the same
 * either way. */
static void rawhit_user_agent_kept_once(void **state)
{
    (void)state;
    static const struct {
        const char *ua, *headers;
        bool elided;
    } cases[] = {
        {"UA/1", "host: a\nuser-agent: UA/1\naccept: */*\n", true},
        {"UA/1", "user-agent: UA/1", true}, /* the last line, no '\n' */
        {"UA/1", "host: a\nuser-agent: UA/2\n", false},
        {"UA/1", "user-agent: UA/1\nuser-agent: UA/1\n", false},
        {"UA/1", "user-agent:UA/1\n", false},
        {"UA/1", "user-agent: UA/1 \n", false},
        {"UA/1", "host: a\n", false},
        {"", "user-agent: \n", false},
        {"UA/1", "", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_rawhit_t in = sample(), out, again;
        in.ua = cn_str_c(cases[i].ua);
        in.headers = cn_str_c(cases[i].headers);
        cn_buf_t b = CN_BUF_INIT, b2 = CN_BUF_INIT, t = CN_BUF_INIT;
        cn_rawhit_encode(&in, &b);
        assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &out), 0);
        assert_int_equal(!!(out.flags & CN_RAWHIT_UA_ELIDED), cases[i].elided);
        assert_int_equal(out.flags & ~CN_RAWHIT_UA_ELIDED, in.flags);
        assert_int_equal(out.headers.len, in.headers.len - (cases[i].elided ? 1 + in.ua.len : 0));
        cn_rawhit_headers_text(&out, &t);
        assert_true(cn_str_eq(cn_buf_str(&t), in.headers));
        cn_str_t want = cn_rawhit_header(&in, CN_STR_LIT("user-agent"));
        cn_str_t got = cn_rawhit_header(&out, CN_STR_LIT("user-agent"));
        assert_int_equal(got.len, want.len);
        assert_true(want.len == 0 || memcmp(got.ptr, want.ptr, want.len) == 0);
        assert_int_equal(cn_rawhit_header(&out, CN_STR_LIT("host")).len,
                         cn_rawhit_header(&in, CN_STR_LIT("host")).len);
        /* a decoded hit is written again as it was read */
        cn_rawhit_encode(&out, &b2);
        assert_int_equal(b2.len, b.len);
        assert_memory_equal(b2.ptr, b.ptr, b.len);
        assert_int_equal(cn_rawhit_decode(b2.ptr, b2.len, &again), 0);
        cn_buf_dispose(&b);
        cn_buf_dispose(&b2);
        cn_buf_dispose(&t);
    }
}

static void rawhit_empty_fields_round_trip(void **state)
{
    (void)state;
    cn_rawhit_t in = {0}, out;
    cn_buf_t b = CN_BUF_INIT;
    cn_rawhit_encode(&in, &b);
    assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &out), 0);
    assert_int_equal(out.body.len, 0);
    assert_int_equal(out.recv_us, 0);
    cn_buf_dispose(&b);
}

static void rawhit_decode_rejects_every_truncation(void **state)
{
    (void)state;
    cn_rawhit_t in = sample(), out;
    cn_buf_t b = CN_BUF_INIT;
    cn_rawhit_encode(&in, &b);
    for (size_t n = 0; n < b.len; n++)
        assert_int_not_equal(cn_rawhit_decode(b.ptr, n, &out), 0);
    cn_buf_dispose(&b);
}

/* Field lengths of one, two and three varint bytes (the decoder reads the first two
 * kinds itself), every truncation of such records, and a length not in its shortest
 * encoding (refused: cn_rawhit_encode never writes one). */
static void rawhit_lengths_of_every_varint_size_decode(void **state)
{
    (void)state;
    static char big[20000];
    static const size_t lens[] = {0, 1, 127, 128, 129, 16383, 16384, 20000};
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        cn_rawhit_t in = sample(), out;
        in.query = cn_str(big, lens[i]);
        in.body = cn_str(big, lens[(i + 3) % 8]);
        cn_buf_t b = CN_BUF_INIT;
        cn_rawhit_encode(&in, &b);
        assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &out), 0);
        assert_true(cn_str_eq(out.query, in.query));
        assert_true(cn_str_eq(out.body, in.body));
        cn_buf_t t = CN_BUF_INIT;
        cn_rawhit_headers_text(&out, &t);
        assert_true(cn_str_eq(cn_buf_str(&t), in.headers));
        cn_buf_dispose(&t);
        for (size_t n = 0; n < b.len; n++)
            assert_int_not_equal(cn_rawhit_decode(b.ptr, n, &out), 0);
        cn_buf_dispose(&b);
    }
    /* version, recv_us 5, proto, flags, then suite's length as 0x81 0x00 (1, not minimal;
     * the decoder's own two-byte read), then as 0x81 0x80 0x00 (cn_get_varint's); the same
     * record with the length in one byte decodes */
    static const char odd[] = "\x01\x05\x01\x00\x81\x00x\x00\x00\x00\x00\x00\x00\x00";
    static const char odd3[] = "\x01\x05\x01\x00\x81\x80\x00x\x00\x00\x00\x00\x00\x00\x00";
    static const char ok[] = "\x01\x05\x01\x00\x01x\x00\x00\x00\x00\x00\x00\x00";
    cn_rawhit_t out;
    assert_int_equal(cn_rawhit_decode(odd, sizeof(odd) - 1, &out), CN_ECORRUPT);
    assert_int_equal(cn_rawhit_decode(odd3, sizeof(odd3) - 1, &out), CN_ECORRUPT);
    assert_int_equal(cn_rawhit_decode(ok, sizeof(ok) - 1, &out), 0);
    assert_true(cn_str_eq_c(out.suite, "x"));
    /* a length that runs past the end, in one and in two bytes */
    assert_int_equal(cn_rawhit_decode("\x01\x05\x01\x00\x02x", 6, &out), CN_ECORRUPT);
    assert_int_equal(cn_rawhit_decode("\x01\x05\x01\x00\x80\x01x", 7, &out), CN_ECORRUPT);
}

/* Receive times of every varint size, 1 to 9 bytes (the decoder reads those of up to 8
 * bytes from one load), as cn_get_varint reads them; every truncation fails. */
static void rawhit_recv_us_of_every_varint_size_decode(void **state)
{
    (void)state;
    for (unsigned bits = 0; bits <= 63; bits++) {
        int64_t vals[3] = {
            (int64_t)(((uint64_t)1 << bits) - 1), (int64_t)((uint64_t)1 << bits),
            (int64_t)(((uint64_t)1 << bits) + 0x5a5a5a5a5a5a5a5aull % ((uint64_t)1 << bits | 1))};
        for (int k = 0; k < 3; k++) {
            if (vals[k] < 0)
                continue;
            cn_rawhit_t in = sample(), out;
            in.recv_us = vals[k];
            in.suite = CN_STR_NULL; /* fields after it of every length: the fast read's 8 bytes may
                                       end in them */
            cn_buf_t b = CN_BUF_INIT;
            cn_rawhit_encode(&in, &b);
            assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &out), 0);
            assert_true(out.recv_us == in.recv_us);
            assert_true(cn_str_eq(out.ip, in.ip));
            const uint8_t *q = (const uint8_t *)b.ptr + 1;
            uint64_t v;
            assert_int_equal(cn_get_varint(&q, (const uint8_t *)b.ptr + b.len, &v), 0);
            assert_true(v == (uint64_t)in.recv_us);
            for (size_t n = 0; n < b.len; n++)
                assert_int_not_equal(cn_rawhit_decode(b.ptr, n, &out), 0);
            cn_buf_dispose(&b);
        }
    }
    /* not minimal, so refused (cn_rawhit_encode never writes them): 5 in four bytes (the
     * loop), 0 in eight, 2^49-1 in eight (the one-load path); then proto, flags, 8 empty
     * fields */
    static const struct {
        const char *rec;
        size_t len;
        int64_t want;
    } odd[] = {
        {"\x01\x85\x80\x80\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 15, 5},
        {"\x01\x80\x80\x80\x80\x80\x80\x80\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 19, 0},
        {"\x01\xff\xff\xff\xff\xff\xff\xff\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 19,
         ((int64_t)1 << 49) - 1},
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        cn_rawhit_t out;
        assert_int_equal(cn_rawhit_decode(odd[i].rec, odd[i].len, &out), CN_ECORRUPT);
        /* the same record with the value's shortest encoding decodes to it */
        cn_buf_t b = CN_BUF_INIT;
        cn_buf_putc(&b, 1);
        cn_buf_put_varint(&b, (uint64_t)odd[i].want);
        size_t vlen = b.len - 1, olen = 0;
        while ((uint8_t)odd[i].rec[1 + olen] & 0x80)
            olen++;
        olen++;
        cn_buf_append(&b, odd[i].rec + 1 + olen, odd[i].len - 1 - olen);
        assert_int_equal(b.len, odd[i].len - olen + vlen);
        assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &out), 0);
        assert_true(out.recv_us == odd[i].want);
        assert_int_equal(out.proto, 1);
        assert_int_equal(out.body.len, 0);
        cn_buf_dispose(&b);
    }
    /* ten bytes, above INT64_MAX, and a varint with no end within the record */
    cn_rawhit_t out;
    assert_int_equal(cn_rawhit_decode("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x01\x00"
                                      "\x00\x00\x00\x00\x00\x00\x00\x00",
                                      21, &out),
                     CN_ECORRUPT);
    assert_int_equal(cn_rawhit_decode("\x01\xff\xff\xff\xff\xff\xff\xff\xff", 9, &out),
                     CN_ECORRUPT);
}

static void rawhit_decode_rejects_unknown_version(void **state)
{
    (void)state;
    cn_rawhit_t out;
    assert_int_equal(cn_rawhit_decode("\x09", 1, &out), CN_EVERSION);
}

static void rawhit_header_finds_by_lower_name(void **state)
{
    (void)state;
    cn_rawhit_t h = sample();
    assert_true(cn_str_eq_c(cn_rawhit_header(&h, CN_STR_LIT("referer")), "https://a.example/"));
    assert_null(cn_rawhit_header(&h, CN_STR_LIT("cookie")).ptr);
    assert_null(cn_rawhit_header(&h, CN_STR_LIT("user")).ptr);
    /* a hit without headers (a decoder's own raw hit) has none to find */
    h.headers = CN_STR_NULL;
    assert_null(cn_rawhit_header(&h, CN_STR_LIT("cookie")).ptr);
}

/* The header lookup as a plain loop over the lines: the reference. */
static cn_str_t ref_header(cn_str_t headers, cn_str_t name)
{
    cn_str_t rest = headers, line;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        if (line.len > name.len + 1 && line.ptr[name.len] == ':' &&
            memcmp(line.ptr, name.ptr, name.len) == 0)
            return cn_str_trim(cn_str(line.ptr + name.len + 1, line.len - name.len - 1));
    }
    return CN_STR_NULL;
}

/* cn_rawhit_header answers as a plain split of the lines (ref_header) does: names at
 * the start, middle and end, absent, as a prefix of another name, with an empty value, without
 * the last newline, with CRs and blanks, and over random header blobs. */
static void rawhit_header_equals_line_split(void **state)
{
    (void)state;
    const char *blobs[] = {
        "",
        "\n",
        "accept-language: en-US,en;q=0.9\n",
        "host: x\naccept-language: de\nuser-agent: y\n",
        "host: x\naccept-language:\naccept-language: fr\n",
        "accept-languages: no\naccept-language:  zh-CN \r\n",
        "accept-language:x",
        "host: x\naccept-language",
        "host: x\n\n\naccept-language: it",
        "Accept-Language: en\naccept-language:: pt\n",
        "x-accept-language: no\n",
    };
    const char *names[] = {"accept-language", "host", "user-agent", "cookie", "a", ""};
    cn_rawhit_t raw = {0};
    for (size_t i = 0; i < sizeof(blobs) / sizeof(blobs[0]) + 1; i++) {
        raw.headers = i < sizeof(blobs) / sizeof(blobs[0]) ? cn_str_c(blobs[i]) : CN_STR_NULL;
        for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
            cn_str_t want = ref_header(raw.headers, cn_str_c(names[j]));
            cn_str_t got = cn_rawhit_header(&raw, cn_str_c(names[j]));
            assert_true(got.ptr == want.ptr && got.len == want.len);
        }
    }
    const char alpha[] = "accept-language:: \r\n\nxe";
    uint64_t x = 88172645463325252ULL;
    char blob[64];
    for (int n = 0; n < 200000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = (size_t)(x % sizeof(blob));
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            blob[k] = alpha[x % (sizeof(alpha) - 1)];
        }
        raw.headers = cn_str(blob, len);
        for (size_t j = 0; j < 2; j++) {
            cn_str_t name = j == 0 ? CN_STR_LIT("accept-language") : CN_STR_LIT("acc");
            cn_str_t want = ref_header(raw.headers, name);
            cn_str_t got = cn_rawhit_header(&raw, name);
            assert_true(got.ptr == want.ptr && got.len == want.len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rawhit_round_trips),
        cmocka_unit_test(rawhit_empty_fields_round_trip),
        cmocka_unit_test(rawhit_user_agent_kept_once),
        cmocka_unit_test(rawhit_decode_rejects_every_truncation),
        cmocka_unit_test(rawhit_decode_rejects_unknown_version),
        cmocka_unit_test(rawhit_lengths_of_every_varint_size_decode),
        cmocka_unit_test(rawhit_recv_us_of_every_varint_size_decode),
        cmocka_unit_test(rawhit_header_finds_by_lower_name),
        cmocka_unit_test(rawhit_header_equals_line_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
