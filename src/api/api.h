/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reporting API (DESIGN.md "api"): JSON over HTTP under /api/v1/, on the
 * same server as the collector. docs/api.md documents every endpoint:
 *
 *   GET  /api/v1/suites              the suites this token may read
 *   GET  /api/v1/catalog             dimensions and metrics
 *   GET  /api/v1/report?...          a report from URL parameters
 *   POST /api/v1/report              a report from a JSON body
 *   GET|POST /api/v1/funnel          fallout through ordered steps
 *   GET|POST /api/v1/paths           next/previous pages, top paths
 *   GET  /api/v1/realtime            the last 30 minutes by minute
 *
 * Access: a suite with tokens (config `tokens`, or `canton token create`,
 * kept in <data>/tokens) needs `Authorization: Bearer <token>` (or
 * `?token=`); a suite without any token is open (the local demo). Errors are
 * JSON: {"error": "what is wrong"} with 400, 401, 404 or 500.
 *
 * Queries run on worker threads (they may take longer than a hit should
 * wait on the event loop); the request is suspended and answered when the
 * query is done.
 */
#ifndef CN_API_API_H
#define CN_API_API_H

#include <stddef.h>

#include "conf/conf.h"
#include "http/http.h"
#include "store/store.h"

typedef struct cn_api cn_api_t;

/* A suite the API serves: its config and its open store (borrowed). */
typedef struct cn_api_suite {
    const cn_suite_conf_t *conf;
    cn_store_t *store;
} cn_api_suite_t;

/*
 * Creates the API over suites[0..count) (copied; the stores must outlive the
 * API) with `threads` query workers, and registers its routes on srv.
 * data_dir holds the tokens file. Returns 0 and *out, or an error.
 */
int cn_api_new(const cn_conf_t *conf, const char *data_dir, const cn_api_suite_t *suites,
               size_t count, unsigned threads, cn_http_server_t *srv, cn_api_t **out,
               cn_err_t *err);

/* Stops the workers (pending queries are answered 503) and frees the API.
 * Call after the HTTP server has stopped running. */
void cn_api_free(cn_api_t *api);

/* Checks the keys of suite the API reads (query_cache_mb) as cn_api_new does. 0, or
 * CN_ECONFIG with err "[suite ID] KEY: what is wrong". */
int cn_api_check_suite_conf(const cn_suite_conf_t *suite, cn_err_t *err);

/* --- Tokens (shared with `canton token`) --- */

/* Appends a new random token for suite to <data_dir>/tokens and writes it
 * (64 hex characters) to out. Returns 0 or an error. */
int cn_api_token_create(const char *data_dir, const char *suite, char out[65], cn_err_t *err);

#endif
