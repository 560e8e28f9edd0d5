/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For fuzz targets whose function reads a path: one temporary file per
 * process, made on the first input (/tmp/cn-fuzz-NAME-XXXXXX) and removed at
 * exit, and each input written into it whole.
 */
#ifndef CANTON_FUZZ_TMPFILE_H
#define CANTON_FUZZ_TMPFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Replaces the file at path with the input's bytes. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
}

#endif
