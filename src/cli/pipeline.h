/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `canton serve` runs behind the collector: the enrichment data sets
 * (reloaded on request), one store per suite, the processing thread that
 * follows the hitlog into the stores, and the reporting API on the same HTTP
 * server. The collector (src/collect) only appends to the hitlog; this
 * pipeline reads it.
 */
#ifndef CN_CLI_PIPELINE_H
#define CN_CLI_PIPELINE_H

#include <stdatomic.h>
#include <stdint.h>

#include "conf/conf.h"
#include "enrich/enrich.h"
#include "http/http.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "process/process.h"

typedef struct cn_pipeline cn_pipeline_t;

/*
 * Checks the suite keys of conf that other modules than conf read (conf.c's
 * module_suite_keys and numbered_suite_keys), by those modules' own rules:
 * processing (evarN, propN, eventN, unconverted_currency, salt_retention),
 * enrichment (channel_rules, referer_list, campaign_params: the files are read),
 * the store (retention_days, store_flush_seconds) and the API (query_cache_mb).
 * Every command runs it on the --config file it loads (cn_cli_conf), so that
 * all of them refuse what `canton process` or `serve` would. Returns 0, or
 * CN_ECONFIG (or the file error of a rules file) with err naming the first bad
 * key in file order as conf.c names its own: "FILE:LINE: [suite ID] KEY...: what
 * is wrong".
 */
int cn_pipeline_check_conf(const cn_conf_t *conf, cn_err_t *err);

/*
 * Opens the enrichment data sets as `canton serve` and `canton process` do: the default
 * paths (cn_enrich_opts_default) and the suites' keys of conf (referer_list, channel_rules,
 * campaign_params). On success logs an info line with msg ("enrichment loaded",
 * "enrichment reloaded"), the data set paths and the time it took. 0 and *out, or an error
 * with err set (the file and what is wrong).
 */
int cn_pipeline_enrich_open(const cn_conf_t *conf, const char *msg, cn_enrich_t **out,
                            cn_err_t *err);

/*
 * Enrichment reload (SIGHUP) for a processor that runs on another thread: a thread that,
 * each time *flag is set (by a signal handler: an atomic store is all it does), opens the
 * data sets again (cn_pipeline_enrich_open, "enrichment reloaded") and hands them to p
 * (cn_process_set_enrich: processing switches between two batches). When they do not open
 * (a file missing or broken) it logs an error with the reason and p goes on with the data
 * sets it has. conf, p and flag must outlive the reloader.
 */
typedef struct cn_reloader cn_reloader_t;
cn_reloader_t *cn_reloader_start(const cn_conf_t *conf, cn_process_t *p, atomic_bool *flag);
/* Reloads done and failed so far. Thread-safe. */
void cn_reloader_counts(const cn_reloader_t *r, uint64_t *done, uint64_t *failed);
/* Stops the thread (after a reload under way). NULL is a no-op. */
void cn_reloader_stop(cn_reloader_t *r);

/*
 * Opens enrichment and the stores, registers the API routes on srv, and
 * starts the processing thread. When reload is not NULL, setting *reload
 * (from a SIGHUP handler: a static atomic_bool) reloads enrichment
 * (cn_reloader_t above). Returns 0 and *out, or an error with err set.
 */
int cn_pipeline_start(const cn_conf_t *conf, cn_http_server_t *srv, atomic_bool *reload,
                      cn_pipeline_t **out, cn_err_t *err);

/* Appends processing and store metrics (Prometheus text) to out. Thread-safe. */
void cn_pipeline_metrics(cn_pipeline_t *pl, cn_buf_t *out);

/*
 * Stops the processing thread (it checkpoints first), the API workers and
 * the stores. Call after the HTTP server has stopped.
 */
void cn_pipeline_stop(cn_pipeline_t *pl);

#endif
