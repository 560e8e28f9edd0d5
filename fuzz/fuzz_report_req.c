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
#include "empty_store.h"
#include "query/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cn_store_t *store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store = fuzz_empty_store("req");
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
