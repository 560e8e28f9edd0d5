/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collector internals shared by its files, its unit tests and the fuzz
 * target: the Adobe request router and the query-string helpers. All are
 * pure functions over slices: no allocation, no I/O; results point into the
 * input.
 */
#ifndef CN_COLLECT_INTERNAL_H
#define CN_COLLECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/str.h"

/* Longest raw suite field (a comma-separated list for multi-suite tagging). */
#define CN_COLLECT_MAX_SUITE_FIELD 1024
/* Longest JSONP callback name echoed back. */
#define CN_COLLECT_MAX_CALLBACK 128

/* The parts of an Adobe path /b/ss/<suite>/<hit source>[/<code version>[/<cache buster>]]. */
typedef struct cn_adobe_path {
    cn_str_t suite;        /* raw, as sent: "shopprod" or "shopprod,shopglobal" */
    cn_str_t hit_source;   /* "1", "10", "5.1"... */
    cn_str_t code_version; /* "JS-2.21.0", "H.27.5"; empty for hard-coded requests */
    cn_str_t cache_buster; /* "s83799588514424"; empty when absent */
} cn_adobe_path_t;

/*
 * Splits an Adobe image-request path (without the query). Accepts
 * /b/ss/<suite>/<n>, /<codever> and /<random> optional, and one trailing
 * '/'. Returns 0, or CN_EPARSE when the path is not under /b/ss/, the suite
 * is empty, longer than CN_COLLECT_MAX_SUITE_FIELD or holds a byte outside
 * [A-Za-z0-9_.,-], the hit source is empty or not [A-Za-z0-9.]{1,16}, or
 * more segments follow.
 */
int cn_collect__adobe_path(cn_str_t path, cn_adobe_path_t *out);

/* Finds the first pair named key (raw comparison) and sets *value (raw);
 * the pairs are lib/url.h's cn_query_next(). */
bool cn_collect__query_get(cn_str_t query, cn_str_t key, cn_str_t *value);

/*
 * True when s (decoded) is safe to echo as a JSONP callback: 1 to
 * CN_COLLECT_MAX_CALLBACK bytes of [A-Za-z0-9_$.[\]], not starting with a
 * digit. AppMeasurement sends "s_c_il[0].doPostbacks".
 */
bool cn_collect__callback_ok(cn_str_t s);

/* What an Adobe request is answered with. */
typedef enum cn_adobe_answer {
    CN_ADOBE_GIF = 0, /* 43-byte transparent GIF, image/gif */
    CN_ADOBE_JS,      /* <callback>({"dests":[]}), application/javascript */
    CN_ADOBE_JSON,    /* {"dests":[]}, application/json */
} cn_adobe_answer_t;

/*
 * Chooses the answer (protocols.md §2 "Responses"): JavaScript when the
 * query carries a valid callback= (decoded into cb_buf, which needs
 * CN_COLLECT_MAX_CALLBACK bytes; *callback points into it); JSON for the
 * long-request XHR POST with postbacks on (POST, a body, hit source "10");
 * otherwise the GIF.
 */
cn_adobe_answer_t cn_collect__adobe_answer(cn_str_t method, const cn_adobe_path_t *path,
                                           cn_str_t query, cn_str_t body, char *cb_buf,
                                           cn_str_t *callback);

#endif
