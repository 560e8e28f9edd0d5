/* SPDX-License-Identifier: Apache-2.0 */
/* The import state: file identities by content prefix, offsets, growth, saving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "import/import.h"

#include <cmocka.h>

static void write_bytes(const char *path, const char *mode, size_t n, char fill)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc(i % 100 == 99 ? '\n' : fill, f);
    fclose(f);
}

static void same_file_grown_file_renamed_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn_state_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[256], b[256];
    snprintf(a, sizeof(a), "%s/a.log", dir);
    snprintf(b, sizeof(b), "%s/b.log", dir);
    write_bytes(a, "w", 1000, 'a');

    cn_import_state_t *st = NULL;
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    cn_import_ident_t id;
    assert_int_equal(cn_import_ident(a, &id, NULL), 0);
    assert_int_equal(id.prefix_len, 1000);
    bool unchanged = true;
    assert_int_equal(cn_import_state_offset(st, a, &id, &unchanged), 0);
    assert_false(unchanged);
    cn_import_state_set(st, a, &id, 1000);
    assert_int_equal(cn_import_state_save(st, NULL), 0);
    cn_import_state_free(st);

    /* reloaded: the same file is known and unchanged */
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    assert_int_equal(cn_import_state_offset(st, a, &id, &unchanged), 1000);
    assert_true(unchanged);

    /* it grows past the identity prefix: found by its old prefix, resumes at 1000 */
    write_bytes(a, "a", 100000, 'a');
    assert_int_equal(cn_import_ident(a, &id, NULL), 0);
    assert_int_equal(id.prefix_len, CN_IMPORT_IDENT_PREFIX);
    assert_int_equal(cn_import_state_offset(st, a, &id, &unchanged), 1000);
    assert_false(unchanged);
    cn_import_state_set(st, a, &id, 101000);

    /* renamed: same identity */
    assert_int_equal(rename(a, b), 0);
    cn_import_ident_t idb;
    assert_int_equal(cn_import_ident(b, &idb, NULL), 0);
    assert_int_equal(cn_import_state_offset(st, b, &idb, &unchanged), 101000);
    assert_true(unchanged);

    /* a different file of the same size is new */
    write_bytes(a, "w", 101000, 'z');
    cn_import_ident_t ida;
    assert_int_equal(cn_import_ident(a, &ida, NULL), 0);
    assert_int_equal(cn_import_state_offset(st, a, &ida, &unchanged), 0);
    assert_int_equal(cn_import_state_save(st, NULL), 0);
    cn_import_state_free(st);

    /* a damaged state file is reported, not ignored */
    char sp[256];
    snprintf(sp, sizeof(sp), "%s/state", dir);
    FILE *f = fopen(sp, "a");
    fputs("not a state line\n", f);
    fclose(f);
    cn_err_t err = {0};
    assert_int_equal(cn_import_state_load(dir, &st, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "state:"));
    assert_int_equal(cn_import_ident("-", &ida, NULL), CN_EUNSUPPORTED);
    unlink(a);
    unlink(b);
    unlink(sp);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_file_grown_file_renamed_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
