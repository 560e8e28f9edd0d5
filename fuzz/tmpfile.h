/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For fuzz targets whose function reads a path: one temporary file (or
 * folder) per process, made on the first input (/tmp/cn-fuzz-NAME-XXXXXX) and
 * removed at exit, and each input written into it whole.
 */
#ifndef CANTON_FUZZ_TMPFILE_H
#define CANTON_FUZZ_TMPFILE_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_tmp_path[64];

static void fuzz_tmp_remove(void)
{
    unlink(fuzz_tmp_path);
}

/* The file's path, made on the first call. */
static inline const char *fuzz_tmpfile(const char *name)
{
    if (fuzz_tmp_path[0] == '\0') {
        snprintf(fuzz_tmp_path, sizeof(fuzz_tmp_path), "/tmp/cn-fuzz-%s-XXXXXX", name);
        int fd = mkstemp(fuzz_tmp_path);
        if (fd < 0)
            abort();
        close(fd);
        atexit(fuzz_tmp_remove);
    }
    return fuzz_tmp_path;
}

static char fuzz_tmp_dir[64];

static int fuzz_tmp_remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(p);
    return 0;
}

static void fuzz_tmp_remove_dir(void)
{
    nftw(fuzz_tmp_dir, fuzz_tmp_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A folder of the run's own, with the subfolder sub in it (NULL: none), made on the first
 * call and removed with everything in it at exit (after the atexit functions registered
 * later, such as one closing a store kept there). A stale folder is never reused.
 */
static inline const char *fuzz_tmpdir(const char *name, const char *sub)
{
    if (fuzz_tmp_dir[0] == '\0') {
        snprintf(fuzz_tmp_dir, sizeof(fuzz_tmp_dir), "/tmp/cn-fuzz-%s-XXXXXX", name);
        if (mkdtemp(fuzz_tmp_dir) == NULL)
            abort();
        atexit(fuzz_tmp_remove_dir);
        if (sub != NULL) {
            char p[128];
            snprintf(p, sizeof(p), "%s/%s", fuzz_tmp_dir, sub);
            if (mkdir(p, 0755) != 0)
                abort();
        }
    }
    return fuzz_tmp_dir;
}

/* Replaces the file at path with the input's bytes. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
}

#endif
