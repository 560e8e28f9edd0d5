/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

#include <cmocka.h>

/* Below 1 MiB, at 1 MiB, and past a 2 MiB block: zeroed when asked, the whole
 * size writable (ASan sees a write past a short block), freed with free(). */
static void huge_blocks_are_zeroed_and_whole(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 4096, (size_t)1 << 20, ((size_t)2 << 20) + 1, (size_t)5 << 20};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        unsigned char *p = cn_xmalloc_huge(n, 1);
        for (size_t j = 0; j < n; j += 4093)
            assert_int_equal(p[j], 0);
        assert_int_equal(p[n - 1], 0);
        memset(p, 0xa5, n);
        free(p);
        unsigned char *q = cn_xmalloc_huge(n, 0);
        q[0] = 1;
        q[n - 1] = 2;
        assert_int_equal(q[n - 1], 2);
        if (n > 1)
            assert_int_equal(q[0], 1);
        free(q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(huge_blocks_are_zeroed_and_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
