/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifest (manifest.c): what the encoder writes parses back to the same
 * entries, and a damaged entry behind a correct CRC is CN_ECORRUPT naming the
 * file, the offset and what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crc32c.h"
#include "store/internal.h"

#include <cmocka.h>

/* A manifest with one dictionary, evar1, of one entry. */
static void encode_one_dict(cn_buf_t *out)
{
    cn_store__mdict_t d = {.name = (char *)"evar1",
                           .len = 1,
                           .bytes = CN_STORE__DICT_HEADER_LEN,
                           .ck_len = 1,
                           .ck_bytes = CN_STORE__DICT_HEADER_LEN};
    cn_store__manifest_t m = {.generation = 3, .next_file_id = 2, .dicts = &d, .dict_count = 1};
    cn_store__manifest_encode(&m, out);
}

/* fuzz_manifest's round trip: a NUL in a dictionary's name cut the name short ("ev" for
 * "ev\0r1"), so that the manifest's lengths and CRC went to another dictionary's file. */
static void a_dictionary_name_with_a_nul_is_corrupt(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    encode_one_dict(&b);
    cn_store__manifest_t m;
    cn_err_t err;
    assert_int_equal(cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, "MANIFEST", &m, &err),
                     0);
    assert_int_equal(m.dict_count, 1);
    assert_string_equal(m.dicts[0].name, "evar1");
    assert_int_equal(m.dicts[0].ck_bytes, CN_STORE__DICT_HEADER_LEN);
    cn_store__manifest_dispose(&m);

    char *name = memmem(b.ptr, b.len,
                        "\x05"
                        "evar1",
                        6);
    assert_non_null(name);
    name[3] = '\0';
    uint32_t crc = cn_crc32c(0, b.ptr, b.len - 4);
    for (int i = 0; i < 4; i++)
        b.ptr[b.len - 4 + i] = (char)(crc >> (8 * i));
    /* the offset is past the entry: name and six one-byte varints */
    char want[128];
    snprintf(want, sizeof(want), "MANIFEST: offset %zu: bad dictionary name",
             (size_t)(name - b.ptr) + 6 + 6);
    assert_int_equal(cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, "MANIFEST", &m, &err),
                     CN_ECORRUPT);
    assert_string_equal(err.msg, want);
    cn_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_dictionary_name_with_a_nul_is_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
