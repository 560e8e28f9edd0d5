/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For fuzz targets that parse requests against a store: one empty store of a
 * UTC suite "f", opened on the first call in the run's own folder
 * (fuzz_tmpdir) and closed at exit before the folder goes, so that a stale
 * one (an earlier run's, another format) is never opened.
 */
#ifndef CANTON_FUZZ_EMPTY_STORE_H
#define CANTON_FUZZ_EMPTY_STORE_H

#include <stdlib.h>

#include "conf/conf.h"
#include "store/store.h"
#include "tmpfile.h"

static cn_store_t *fuzz_store;
static cn_conf_t *fuzz_store_conf;

static void fuzz_store_close(void)
{
    cn_store_close(fuzz_store);
    cn_conf_free(fuzz_store_conf);
}

/* The store, opened on the first call; name names its folder (/tmp/cn-fuzz-NAME-...). */
static inline cn_store_t *fuzz_empty_store(const char *name)
{
    if (fuzz_store != NULL)
        return fuzz_store;
    static const char text[] = "[suite f]\ntimezone = UTC\n";
    cn_err_t err;
    const char *dir = fuzz_tmpdir(name, NULL);
    if (cn_conf_parse("f", text, sizeof(text) - 1, &fuzz_store_conf, &err) != 0)
        abort();
    cn_store_opts_t opts;
    cn_store_opts_init(&opts);
    opts.no_fsync = true;
    if (cn_store_open(dir, &fuzz_store_conf->suites[0], &opts, &fuzz_store, &err) != 0)
        abort();
    atexit(fuzz_store_close);
    return fuzz_store;
}

#endif
