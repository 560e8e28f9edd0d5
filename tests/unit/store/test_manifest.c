/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifest (manifest.c): what the encoder writes parses back to the same
 * entries, what a store writes reopens, and a damaged entry behind a correct
 * CRC is CN_ECORRUPT naming the file, the offset and what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
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

/* The dictionaries of a manifest named names[0..n), of one entry each. */
static void encode_dicts(const char *const *names, size_t n, cn_buf_t *out)
{
    cn_store__mdict_t d[4];
    for (size_t i = 0; i < n; i++)
        d[i] = (cn_store__mdict_t){.name = (char *)names[i],
                                   .len = 1,
                                   .bytes = CN_STORE__DICT_HEADER_LEN,
                                   .ck_len = 1,
                                   .ck_bytes = CN_STORE__DICT_HEADER_LEN};
    cn_store__manifest_t m = {.generation = 3, .next_file_id = 2, .dicts = d, .dict_count = n};
    cn_store__manifest_encode(&m, out);
}

/* A dictionary named twice (bytes a correct CRC covers; the writer adds an entry only for
 * a name it lacks): the store found a domain's entry by name, the last of the two, and the
 * first was never checked. Refused, at the end of the later entry, adjacent or not; the
 * same manifest with distinct names parses. */
static void a_dictionary_named_twice_is_corrupt(void **state)
{
    (void)state;
    static const char *const distinct[] = {"evar1", "evar2", "page"};
    static const char *const twice[] = {"evar1", "evar1", "page"};
    static const char *const apart[] = {"evar1", "page", "evar2", "page"};
    cn_buf_t b = CN_BUF_INIT;
    cn_store__manifest_t m;
    cn_err_t err;
    encode_dicts(distinct, 3, &b);
    assert_int_equal(cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, "MANIFEST", &m, &err),
                     0);
    assert_int_equal(m.dict_count, 3);
    assert_string_equal(m.dicts[1].name, "evar2");
    cn_store__manifest_dispose(&m);

    /* an entry here: name length, name, six one-byte varints */
    size_t head = 8 + 4 + 10 + 1; /* magic, format, ten one-byte varints, dict_count */
    char want[128];
    encode_dicts(twice, 3, &b);
    snprintf(want, sizeof(want), "MANIFEST: offset %zu: dictionary evar1 listed twice",
             head + 2 * (1 + 5 + 6));
    assert_int_equal(cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, "MANIFEST", &m, &err),
                     CN_ECORRUPT);
    assert_string_equal(err.msg, want);

    encode_dicts(apart, 4, &b);
    snprintf(want, sizeof(want), "MANIFEST: offset %zu: dictionary page listed twice",
             head + 2 * (1 + 5 + 6) + 2 * (1 + 4 + 6));
    assert_int_equal(cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, "MANIFEST", &m, &err),
                     CN_ECORRUPT);
    assert_string_equal(err.msg, want);
    cn_buf_dispose(&b);
}

/* Reads dir's store/shop/MANIFEST into b; returns its path (caller frees). */
static char *read_manifest(const char *dir, cn_buf_t *b)
{
    char *path = malloc(512);
    snprintf(path, 512, "%s/store/shop/MANIFEST", dir);
    cn_buf_clear(b);
    assert_int_equal(cn_buf_append_file(b, path, 0), 0);
    return path;
}

/* What a store writes reopens: its manifest lists every dictionary of the catalog once, in
 * the shortest varints (it parses and encodes back to the same bytes), and the store opens
 * again. The same manifest with one entry repeated (CRC made right) is refused at open,
 * naming the file and the name. */
static void a_written_store_reopens_and_a_repeated_entry_does_not(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 300, 60000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "ck-300", 6), 0);
    cn_store_close(s);

    cn_buf_t b = CN_BUF_INIT, again = CN_BUF_INIT;
    char *path = read_manifest(dir, &b);
    cn_store__manifest_t m;
    cn_err_t err;
    assert_int_equal(cn_store__manifest_parse((const uint8_t *)b.ptr, b.len, path, &m, &err), 0);
    assert_int_equal(m.dict_count, cn_store_dict_count());
    for (size_t i = 0; i < m.dict_count; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(m.dicts[i].name, m.dicts[j].name);
    cn_store__manifest_encode(&m, &again);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.ptr, b.ptr, b.len);
    s = t_open_store(dir, &suite); /* and it reopens */
    cn_store_close(s);

    /* the first dictionary's entry twice, the copy second */
    m.dicts = realloc(m.dicts, (m.dict_count + 1) * sizeof(*m.dicts));
    memmove(&m.dicts[1], &m.dicts[0], m.dict_count * sizeof(*m.dicts));
    m.dicts[1].name = strdup(m.dicts[0].name);
    m.dict_count++;
    cn_store__manifest_encode(&m, &again);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(again.ptr, 1, again.len, f), again.len);
    assert_int_equal(fclose(f), 0);
    /* the copy ends after the head (magic, format, ten varints, dict_count) and two entries */
    const cn_store__mdict_t *d = &m.dicts[0];
    uint64_t head[] = {m.generation, m.next_file_id, m.visits,     m.visitors, m.first_visit,
                       m.ck_visits,  m.ck_visitors,  m.ck_file_id, m.ck_len,   m.ck_crc};
    size_t end = 8 + 4 + cn_varint_len(m.dict_count);
    for (size_t i = 0; i < 10; i++)
        end += cn_varint_len(head[i]);
    end += 2 * (1 + strlen(d->name) + cn_varint_len(d->len) + cn_varint_len(d->bytes) +
                cn_varint_len(d->crc) + cn_varint_len(d->ck_len) + cn_varint_len(d->ck_bytes) +
                cn_varint_len(d->ck_crc));
    char want[600];
    snprintf(want, sizeof(want), "%s: offset %zu: dictionary %s listed twice", path, end, d->name);
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    cn_store_t *s2 = NULL;
    assert_int_equal(cn_store_open(dir, &suite, &o, &s2, &err), CN_ECORRUPT);
    assert_null(s2);
    assert_string_equal(err.msg, want);
    cn_store__manifest_dispose(&m);
    cn_buf_dispose(&b);
    cn_buf_dispose(&again);
    free(path);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_dictionary_name_with_a_nul_is_corrupt),
        cmocka_unit_test(a_dictionary_named_twice_is_corrupt),
        cmocka_unit_test(a_written_store_reopens_and_a_repeated_entry_does_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
