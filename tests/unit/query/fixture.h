/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fresh store for a query test file: folder /tmp/cn_test_<name>_<pid>
 * (emptied first), suite "t" configured by the INI text ini, no fsync.
 */
#ifndef CN_TEST_QUERY_FIXTURE_H
#define CN_TEST_QUERY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "store/store.h"

#include <cmocka.h>

static inline void fixture_open(const char *name, const char *ini, char *dir, size_t dir_size,
                                cn_conf_t **conf, cn_store_t **store)
{
    snprintf(dir, dir_size, "/tmp/cn_test_%s_%d", name, (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    cn_err_t err;
    assert_int_equal(cn_conf_parse("t", ini, strlen(ini), conf, &err), 0);
    cn_store_opts_t opts;
    cn_store_opts_init(&opts);
    opts.no_fsync = true;
    if (cn_store_open(dir, &(*conf)->suites[0], &opts, store, &err) != 0)
        fail_msg("store: %s", err.msg);
}

/* Closes the store, frees the configuration and removes the folder: 0 or -1. */
static inline int fixture_close(const char *dir, cn_conf_t *conf, cn_store_t *store)
{
    cn_store_close(store);
    cn_conf_free(conf);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
