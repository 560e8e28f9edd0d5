/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/clock.h"

#include <cmocka.h>

static void fmt_iso_epoch_and_micros(void **state)
{
    (void)state;
    char out[32];
    cn_time_fmt_iso(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    cn_time_fmt_iso(INT64_C(1795923600123456), out);
    assert_string_equal(out, "2026-11-29T03:40:00.123456Z");
}

static void fmt_iso_before_epoch_rounds_down(void **state)
{
    (void)state;
    char out[32];
    cn_time_fmt_iso(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

static void fmt_iso_out_of_range(void **state)
{
    (void)state;
    char out[32];
    cn_time_fmt_iso(INT64_MAX, out);
    assert_string_equal(out, "(time out of range)");
    cn_time_fmt_iso(INT64_MIN, out);
    assert_string_equal(out, "(time out of range)");
}

static void clocks_move(void **state)
{
    (void)state;
    int64_t m = cn_time_mono_us();
    assert_true(cn_time_now_us() > INT64_C(1600000000000000));
    assert_true(cn_time_mono_us() >= m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fmt_iso_epoch_and_micros),
        cmocka_unit_test(fmt_iso_before_epoch_rounds_down),
        cmocka_unit_test(fmt_iso_out_of_range),
        cmocka_unit_test(clocks_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
