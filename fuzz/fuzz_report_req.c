/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the reporting API's request parser, both forms (the first
 * byte picks URL parameters or JSON). Invariants: never crashes; an accepted
 * request has 1..32 metrics, at most 2 dimensions and from <= to.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "query/query.h"
#include "tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cn_store_t *store;
static cn_conf_t *conf;

/* The store's folder is the run's own (fuzz_tmpdir) and goes at exit, after the store is
 * closed: a stale one (an earlier run's, another format) must never be opened. */
static void close_store(void)
{
    cn_store_close(store);
    cn_conf_free(conf);
}

static void open_store(void)
{
    static const char text[] = "[suite f]\ntimezone = UTC\n";
    cn_err_t err;
    const char *dir = fuzz_tmpdir("req", NULL);
    if (cn_conf_parse("f", text, sizeof(text) - 1, &conf, &err) != 0)
        abort();
    cn_store_opts_t opts;
    cn_store_opts_init(&opts);
    opts.no_fsync = true;
    if (cn_store_open(dir, &conf->suites[0], &opts, &store, &err) != 0)
        abort();
    atexit(close_store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (store == NULL)
        open_store();
    if (size == 0)
        return 0;
    cn_report_req_t req;
    cn_err_t err = {0};
    cn_report_req_init(&req);
    cn_str_t in = cn_str((const char *)data + 1, size - 1);
    int rc = data[0] & 1 ? cn_report_req_parse_json(&req, in, store, 1795920000000000, &err)
                         : cn_report_req_parse_params(&req, in, store, 1795920000000000, &err);
    if (rc == 0 && (req.metric_count < 1 || req.metric_count > CN_REPORT_MAX_METRICS ||
                    req.dim_count > CN_REPORT_MAX_DIMS || req.from_day > req.to_day))
        abort();
    if (rc != 0 && err.msg[0] == '\0')
        abort();
    cn_report_req_dispose(&req);
    return 0;
}
