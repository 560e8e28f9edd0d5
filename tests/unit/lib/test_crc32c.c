/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "lib/crc32c.h"

#include <cmocka.h>

static void crc32c_check_value(void **state)
{
    (void)state;
    assert_int_equal(cn_crc32c(0, "123456789", 9), 0xe3069283u);
}

static void crc32c_empty_is_zero(void **state)
{
    (void)state;
    assert_int_equal(cn_crc32c(0, "", 0), 0);
}

static void crc32c_extends_in_pieces(void **state)
{
    (void)state;
    uint32_t c = cn_crc32c(0, "1234", 4);
    assert_int_equal(cn_crc32c(c, "56789", 5), 0xe3069283u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_check_value),
        cmocka_unit_test(crc32c_empty_is_zero),
        cmocka_unit_test(crc32c_extends_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
