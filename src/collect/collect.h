/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector (DESIGN.md "collect"): the HTTP endpoints that take hits,
 * check only what is cheap and certain (route, suite known, size limits),
 * append each request as a raw hit to the hitlog and answer what the
 * tracker expects. In the default durability mode the answer waits for the
 * hit's fsync (the request is suspended, see http.h "Deferred answers").
 *
 * Endpoints (docs/http.md gives answers, limits and CORS in full):
 *   GET|POST /b/ss/<suite>/<n>[/<codever>[/<random>]]   Adobe AppMeasurement
 *   POST     /api/collect                              canton JSON batch
 *   GET      /i?suite=<id>&...                         canton pixel
 *   HEAD     on /b/ss/... and /i                       the GET answer's head, no hit
 *   OPTIONS  on the three above                        CORS preflight
 *   GET      /canton.js                                the tracker (embedded)
 *   GET      /healthz, /metrics                        for operators
 */
#ifndef CN_COLLECT_COLLECT_H
#define CN_COLLECT_COLLECT_H

#include "conf/conf.h"
#include "hitlog/hitlog.h"
#include "http/http.h"
#include "lib/buf.h"
#include "lib/err.h"

typedef struct cn_collect cn_collect_t;

/*
 * Creates the collector and registers its routes on srv. conf, log and srv
 * are borrowed and must outlive the collector; log is opened in the mode
 * conf->durability says (the collector defers answers in fsync mode).
 * Returns 0 and *out (free with cn_collect_free after the server stopped),
 * or CN_EINVAL with err set when the routes cannot be registered.
 */
int cn_collect_new(const cn_conf_t *conf, cn_hitlog_t *log, cn_http_server_t *srv,
                   cn_collect_t **out, cn_err_t *err);

void cn_collect_free(cn_collect_t *c);

/* Appends the collector's, the hitlog's and the server's metrics (Prometheus text) to out. */
void cn_collect_metrics(cn_collect_t *c, cn_buf_t *out);

/* More metrics for GET /metrics: cb appends Prometheus text to out, on the loop thread. */
typedef void (*cn_collect_metrics_cb)(void *ud, cn_buf_t *out);
void cn_collect_set_metrics_cb(cn_collect_t *c, cn_collect_metrics_cb cb, void *ud);

#endif
