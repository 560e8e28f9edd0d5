/* SPDX-License-Identifier: Apache-2.0 */
/* The import state: file identities by content prefix, offsets, growth, saving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * An empty file is not recorded, and an entry of one (older state files) does not take a
 * small file that grew back to offset 0: it would import that file twice.
 */
static void empty_files_match_no_grown_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn_state_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[256], e[256], sp[256];
    snprintf(a, sizeof(a), "%s/a.log", dir);
    snprintf(e, sizeof(e), "%s/empty.log", dir);
    snprintf(sp, sizeof(sp), "%s/state", dir);
    write_bytes(e, "w", 0, 'e');
    write_bytes(a, "w", 1000, 'a');
    cn_import_ident_t ide, ida;
    assert_int_equal(cn_import_ident(e, &ide, NULL), 0);
    assert_int_equal(ide.prefix_len, 0);
    assert_int_equal(cn_import_ident(a, &ida, NULL), 0);

    cn_import_state_t *st = NULL;
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    cn_import_state_set(st, e, &ide, 0);
    assert_false(cn_import_state_get(st, e, &ide, NULL, NULL));
    cn_import_state_free(st);

    /* a state file with an empty file's entry before a.log's */
    FILE *f = fopen(sp, "w");
    fprintf(f,
            "# canton import state v2: xxh64(prefix) prefix_len size offset lines done "
            "hitlog_segment hitlog_offset records path\n"
            "%016llx 0 0 0 0 1 0 0 0 %s\n"
            "%016llx 1000 1000 1000 10 1 0 0 0 %s\n",
            (unsigned long long)ide.prefix_hash, e, (unsigned long long)ida.prefix_hash, a);
    fclose(f);
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    write_bytes(a, "a", 500, 'a');
    assert_int_equal(cn_import_ident(a, &ida, NULL), 0);
    bool unchanged = true;
    assert_int_equal(cn_import_state_offset(st, a, &ida, &unchanged), 1000);
    assert_false(unchanged);
    /* the empty file itself is still known by its entry */
    assert_true(cn_import_state_get(st, e, &ide, NULL, &unchanged));
    assert_true(unchanged);
    cn_import_state_free(st);
    unlink(a);
    unlink(e);
    unlink(sp);
    rmdir(dir);
}

/*
 * Progress of an unfinished import: saved with its line count and hitlog
 * batch, read back; an unfinished file is never "unchanged", even at its
 * full size; v1 files (finished imports only) still load as done.
 */
static void progress_of_an_unfinished_import(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn_state_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[256], sp[256];
    snprintf(a, sizeof(a), "%s/a log.gz", dir);
    snprintf(sp, sizeof(sp), "%s/state", dir);
    write_bytes(a, "w", 5000, 'a');
    cn_import_ident_t id;
    assert_int_equal(cn_import_ident(a, &id, NULL), 0);

    cn_import_state_t *st = NULL;
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    cn_import_progress_t pr = {.offset = 5000, /* a .gz: uncompressed offsets */
                               .lines = 50,
                               .done = false,
                               .last_batch = {.segment = 3, .offset = 123456789012ull},
                               .last_count = 17};
    cn_import_state_put(st, a, &id, &pr);
    assert_int_equal(cn_import_state_save(st, NULL), 0);
    assert_int_equal(access(sp, F_OK), 0);
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", sp);
    assert_int_not_equal(access(tmp, F_OK), 0); /* renamed into place */
    cn_import_state_free(st);

    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    cn_import_progress_t got;
    bool unchanged = true;
    assert_true(cn_import_state_get(st, a, &id, &got, &unchanged));
    assert_false(unchanged); /* same size, but not finished */
    assert_int_equal(got.offset, 5000);
    assert_int_equal(got.lines, 50);
    assert_false(got.done);
    assert_int_equal(got.last_batch.segment, 3);
    assert_int_equal(got.last_batch.offset, 123456789012ull);
    assert_int_equal(got.last_count, 17);
    assert_int_equal(cn_import_state_offset(st, a, &id, &unchanged), 5000);
    assert_false(unchanged);

    /* finished: unchanged from now on, and the entry is replaced, not added */
    cn_import_progress_t fin = {.offset = 9000, .lines = 90, .done = true};
    cn_import_state_put(st, a, &id, &fin);
    assert_int_equal(cn_import_state_save(st, NULL), 0);
    cn_import_state_free(st);
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    assert_true(cn_import_state_get(st, a, &id, &got, &unchanged));
    assert_true(unchanged);
    assert_true(got.done);
    assert_int_equal(got.offset, 9000);
    assert_int_equal(got.last_batch.segment, 0);
    cn_import_state_free(st);
    FILE *f = fopen(sp, "r");
    char line[512];
    int entries = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        entries += line[0] != '#';
    fclose(f);
    assert_int_equal(entries, 1);

    /* an unknown file: false, zeroed progress */
    cn_import_ident_t other = id;
    other.prefix_hash ^= 1;
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    memset(&got, 0xff, sizeof(got));
    assert_false(cn_import_state_get(st, a, &other, &got, &unchanged));
    assert_false(unchanged);
    assert_int_equal(got.offset, 0);
    assert_false(got.done);
    cn_import_state_free(st);

    /* a v1 state file: its entries were finished imports */
    f = fopen(sp, "w");
    fprintf(f, "# canton import state v1: xxh64(prefix) prefix_len size offset path\n");
    fprintf(f, "%016llx %u %llu 4000 %s\n", (unsigned long long)id.prefix_hash, id.prefix_len,
            (unsigned long long)id.size, a);
    fclose(f);
    assert_int_equal(cn_import_state_load(dir, &st, NULL), 0);
    assert_true(cn_import_state_get(st, a, &id, &got, &unchanged));
    assert_true(got.done && unchanged);
    assert_int_equal(got.offset, 4000);
    cn_import_state_free(st);

    /* a v2 line with a field missing is damage */
    f = fopen(sp, "w");
    fprintf(f, "# canton import state v2\n%016llx %u %llu 4000 40 0 1 %s\n",
            (unsigned long long)id.prefix_hash, id.prefix_len, (unsigned long long)id.size, a);
    fclose(f);
    assert_int_equal(cn_import_state_load(dir, &st, NULL), CN_ECORRUPT);
    unlink(a);
    unlink(sp);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_file_grown_file_renamed_file),
        cmocka_unit_test(progress_of_an_unfinished_import),
        cmocka_unit_test(empty_files_match_no_grown_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
