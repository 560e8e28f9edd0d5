/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fresh store for a query test file: folder /tmp/cn_test_<name>_<pid>
 * (emptied first), suite "t" configured by the INI text ini, no fsync.
 */
#ifndef CN_TEST_QUERY_FIXTURE_H
#define CN_TEST_QUERY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "hit/hit.h"
#include "query/query.h"
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

/* Writes a var row through sink k. */
static inline void fixture_var(cn_sink_t *k, uint32_t hit, uint32_t var, const char *value)
{
    cn_var_row_t v = {.hit = hit, .var = var, .value = cn_str_c(value)};
    assert_int_equal(k->var(k->ud, &v), 0);
}

static inline int fixture_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A report over 2026-11-01 (params: the rest of the query string, e.g. "dimension=list1&
 * metrics=hits"), its rows as "key[/key2]=v1,v2...;" sorted by text, then with totals
 * "total=v1,v2...". The text is in a static buffer, valid until the next call. */
static inline const char *fixture_report(cn_store_t *store, int64_t now, const char *params,
                                         bool totals)
{
    static char out[2048];
    char qs[512];
    out[0] = '\0'; /* a report without rows is "" (not the last call's text) */
    snprintf(qs, sizeof(qs), "from=2026-11-01&to=2026-11-01&%s", params);
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    if (cn_report_req_parse_params(&req, cn_str_c(qs), store, now, &err) != 0)
        fail_msg("parse %s: %s", qs, err.msg);
    cn_store_snap_t *snap;
    assert_int_equal(cn_store_snapshot(store, &snap), 0);
    cn_report_t *r;
    if (cn_report_run(store, snap, &req, &r, &err) != 0)
        fail_msg("run %s: %s", qs, err.msg);
    char *lines[64];
    size_t n = 0;
    for (size_t i = 0; i < r->row_count && n < 64; i++) {
        char line[256];
        int len = 0;
        for (size_t kk = 0; kk < r->key_count; kk++)
            len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%.*s", kk ? "/" : "",
                            CN_STR_FMT(r->rows[i].keys[kk]));
        for (size_t m = 0; m < r->metric_count; m++)
            len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%g", m ? "," : "=",
                            r->rows[i].values[m]);
        lines[n++] = strdup(line);
    }
    qsort(lines, n, sizeof(*lines), fixture_cmp_str);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s;", lines[i]);
        free(lines[i]);
    }
    if (totals) {
        len += (size_t)snprintf(out + len, sizeof(out) - len, "total=");
        for (size_t m = 0; m < r->metric_count; m++)
            len +=
                (size_t)snprintf(out + len, sizeof(out) - len, "%s%g", m ? "," : "", r->totals[m]);
    }
    cn_report_free(r);
    cn_store_snap_release(snap);
    cn_report_req_dispose(&req);
    return out;
}

#endif
