/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared scaffolding of the hitlog tests: temporary folders made and removed
 * per test, and opening a log that fails the test on error.
 */
#ifndef CN_TEST_HITLOG_FIXTURE_H
#define CN_TEST_HITLOG_FIXTURE_H

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hitlog/hitlog.h"
#include "lib/err.h"

#include <cmocka.h>

/* Makes dir (64 bytes) a fresh folder /tmp/cn-hitlog-<tag>-XXXXXX; 0 or -1. */
static inline int fixture_mkdtemp(char dir[64], const char *tag)
{
    snprintf(dir, 64, "/tmp/cn-hitlog-%s-XXXXXX", tag);
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static inline int fixture_rm_entry(const char *path, const struct stat *st, int flag,
                                   struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything under it. */
static inline void fixture_rmtree(const char *dir)
{
    nftw(dir, fixture_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A test's own log folder, made by fixture_dir_setup and removed by fixture_dir_teardown (a
 * cmocka setup/teardown pair; the state is the fixture). */
typedef struct fixture_dir {
    char dir[64];
} fixture_dir_t;

static inline int fixture_dir_setup(void **state)
{
    fixture_dir_t *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || fixture_mkdtemp(fx->dir, "test") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static inline int fixture_dir_teardown(void **state)
{
    fixture_dir_t *fx = *state;
    fixture_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* The path of segment segno in the log folder dir. */
static inline void fixture_seg_path(const char *dir, uint32_t segno, char *out, size_t len)
{
    snprintf(out, len, "%s/%08u.log", dir, segno);
}

/* Opens the log in dir or fails the test with the error's message. */
static inline cn_hitlog_t *fixture_open_log(const char *dir, const cn_hitlog_opts_t *opts,
                                            cn_hitlog_recovery_t *rec)
{
    cn_hitlog_t *log = NULL;
    cn_err_t err;
    int rc = cn_hitlog_open(dir, opts, &log, rec, &err);
    if (rc != 0)
        fail_msg("cn_hitlog_open: %s", cn_err_msg(&err, rc));
    return log;
}

#endif
