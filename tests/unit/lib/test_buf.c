/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_str_escapes_controls_quotes_and_bad_utf8),
        cmocka_unit_test(json_str_rejects_overlong_and_surrogates),
        cmocka_unit_test(varint_round_trips_boundaries),
        cmocka_unit_test(varint_rejects_truncated_and_overlong),
        cmocka_unit_test(printf_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
