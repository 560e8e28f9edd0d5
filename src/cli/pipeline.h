/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `canton serve` runs behind the collector: the enrichment data sets,
 * one store per suite, the processing thread that follows the hitlog into
 * the stores, and the reporting API on the same HTTP server. The collector
 * (src/collect) only appends to the hitlog; this pipeline reads it.
 */
#ifndef CN_CLI_PIPELINE_H
#define CN_CLI_PIPELINE_H

#include "conf/conf.h"
#include "http/http.h"
#include "lib/buf.h"
#include "lib/err.h"

typedef struct cn_pipeline cn_pipeline_t;

/*
 * Opens enrichment and the stores, registers the API routes on srv, and
 * starts the processing thread. Returns 0 and *out, or an error with err set.
 */
int cn_pipeline_start(const cn_conf_t *conf, cn_http_server_t *srv, cn_pipeline_t **out,
                      cn_err_t *err);

/* Appends processing and store metrics (Prometheus text) to out. Thread-safe. */
void cn_pipeline_metrics(cn_pipeline_t *pl, cn_buf_t *out);

/*
 * Stops the processing thread (it checkpoints first), the API workers and
 * the stores. Call after the HTTP server has stopped.
 */
void cn_pipeline_stop(cn_pipeline_t *pl);

#endif
