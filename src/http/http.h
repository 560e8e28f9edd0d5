/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP plumbing shared by the collector (src/collect/) and the reporting API
 * (src/api/): listen, accept, route, reply, limits. It sits on h2o's event
 * loop library (libh2o-evloop 2.2.5), which parses HTTP/1.x, buffers request
 * bodies, answers 413 above the body cap and closes slow clients; this module
 * adds what h2o leaves to the application:
 *
 *   - routes: (path pattern, methods) -> callback, matched on the raw path;
 *   - limits with clear answers: URI (414), request head (431), connections
 *     (503 + close), each from the config (docs/http.md);
 *   - a request view (method, path, query, headers, body, peer address) and
 *     replies whose bodies are not copied;
 *   - deferred answers: a handler may suspend a request and answer it later,
 *     after work on another thread (the hitlog's fsync), through an h2o
 *     multithread queue that wakes the loop;
 *   - per-route request counters by status and an open-connection gauge for
 *     /metrics; a graceful stop that waits for deferred answers.
 *
 * Threads: one server runs one event loop in the thread that calls
 * cn_http_server_run(). Every function here is for that thread only, except
 * cn_http_defer_post() and cn_http_server_stop(), which any thread (and a
 * signal handler, for stop) may call.
 */
#ifndef CN_HTTP_HTTP_H
#define CN_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

typedef struct cn_http_server cn_http_server_t;
/* One request being handled; valid from the handler call until it is answered. */
typedef struct cn_http_req cn_http_req_t;
/* A suspended request, answered later from the loop thread. */
typedef struct cn_http_defer cn_http_defer_t;

/* Limits; 0 in a field means the default given here. */
typedef struct cn_http_limits {
    uint32_t max_connections;  /* open connections; more get 503 + close. default 10000 */
    uint32_t max_uri_bytes;    /* request target (path + query) -> 414. default 65536 */
    uint32_t max_header_bytes; /* headers as "name: value\n" text -> 431. default 65536 */
    uint64_t max_body_bytes;   /* request body -> 413 (answered by h2o). default 2 MiB */
    uint32_t io_timeout_ms;    /* idle/slow client timeout. default 10000 */
    bool no_compress;          /* true: never gzip answers (see "Compression" below) */
} cn_http_limits_t;

/*
 * Compression: unless no_compress, answers pass through h2o's compress filter
 * (h2o_compress_register): a 200 answer to GET/POST of a compressible type
 * (text, JSON, JavaScript, SVG, ... as h2o's mime map says)
 * with a body of at least CN_HTTP_COMPRESS_MIN_BYTES is gzipped at
 * CN_HTTP_GZIP_LEVEL when the request's Accept-Encoding allows gzip. Such
 * answers carry Vary: Accept-Encoding whether compressed or not. Smaller
 * bodies (the collector's pixel and 204s) and other statuses go as they are.
 */
#define CN_HTTP_COMPRESS_MIN_BYTES 256
#define CN_HTTP_GZIP_LEVEL         1

/*
 * h2o keeps at most this many bytes of request head in its buffer and answers
 * 400 beyond it (H2O_MAX_REQLEN of the library build), whatever the limits say.
 */
#define CN_HTTP_MAX_HEAD_BYTES (8192 + 4096 * 100)

/* Methods, as a bit mask for routes. */
enum {
    CN_HTTP_GET = 1 << 0,
    CN_HTTP_HEAD = 1 << 1,
    CN_HTTP_POST = 1 << 2,
    CN_HTTP_PUT = 1 << 3,
    CN_HTTP_DELETE = 1 << 4,
    CN_HTTP_OPTIONS = 1 << 5,
    CN_HTTP_PATCH = 1 << 6,
};

/*
 * A route handler. Called on the loop thread with a request whose path
 * matched and whose method is in the route's mask. It must either answer
 * (cn_http_reply...) or suspend (cn_http_defer) before returning.
 */
typedef void (*cn_http_handler_cb)(void *ud, cn_http_req_t *req);

/* --- Server --- */

/*
 * Creates a server with these limits (NULL: defaults) and its event loop.
 * Nothing listens yet. Free with cn_http_server_free().
 */
cn_http_server_t *cn_http_server_new(const cn_http_limits_t *limits);

/*
 * Routes requests to cb. pattern is a path: ending in '/' it matches every
 * path that starts with it ("/b/ss/"), otherwise exactly ("/healthz").
 * The longest matching pattern wins; a path that matches but whose method is
 * not in methods gets 405. name labels the route in metrics (e.g. "adobe").
 * pattern and name must stay valid for the server's life (literals).
 * Returns 0, or CN_EINVAL (bad pattern, no methods, too many routes).
 */
int cn_http_server_route(cn_http_server_t *srv, const char *pattern, unsigned methods,
                         const char *name, cn_http_handler_cb cb, void *ud);

/*
 * Listens on addr, "host:port" or "[v6]:port" (port 0: any free port).
 * Returns 0 and the bound port in *out_port (may be NULL), or a negated
 * errno / CN_EINVAL with err set.
 */
int cn_http_server_listen(cn_http_server_t *srv, const char *addr, uint16_t *out_port,
                          cn_err_t *err);

/*
 * Runs the event loop until cn_http_server_stop(). Then stops accepting,
 * waits (at most drain_timeout_ms) until every deferred request has been
 * answered, lets the answers go out, and returns 0. Returns CN_ETOOBIG
 * (as "timed out") when deferred requests were still pending.
 */
int cn_http_server_run(cn_http_server_t *srv, uint32_t drain_timeout_ms);

/*
 * Asks the loop to stop. Any thread; async-signal-safe (one write(2) to a
 * pipe), so a SIGTERM handler may call it.
 */
void cn_http_server_stop(cn_http_server_t *srv);

/*
 * Frees the server. Deferred requests still pending are delivered first
 * (their callbacks see req == NULL if the connection is gone), so call it
 * after whatever posts them (the hitlog) has been closed.
 */
void cn_http_server_free(cn_http_server_t *srv);

/* Appends the server's metrics in Prometheus text format to out. */
void cn_http_server_metrics(cn_http_server_t *srv, cn_buf_t *out);

/* Open connections now. */
uint32_t cn_http_server_open_connections(const cn_http_server_t *srv);

/* --- The request view --- */

/* All slices point into the request and stay valid until it is answered. */
cn_str_t cn_http_req_method(const cn_http_req_t *req);
/* The path as sent, without the query; e.g. "/b/ss/demo/1/JS-2.21.0/s123". */
cn_str_t cn_http_req_path(const cn_http_req_t *req);
/* The raw query string without '?'; empty when none. */
cn_str_t cn_http_req_query(const cn_http_req_t *req);
/* The request body as received (possibly empty). */
cn_str_t cn_http_req_body(const cn_http_req_t *req);
/* The value of the first header named name (lower case), or {NULL, 0}. */
cn_str_t cn_http_req_header(const cn_http_req_t *req, cn_str_t name);
/* Headers in the order received; names are lower case. Host comes from the request authority. */
size_t cn_http_req_header_count(const cn_http_req_t *req);
void cn_http_req_header_at(const cn_http_req_t *req, size_t i, cn_str_t *name, cn_str_t *value);
/* Appends every header as "name: value\n" (lower-case names) to out. */
void cn_http_req_headers_text(const cn_http_req_t *req, cn_buf_t *out);

#define CN_HTTP_IP_MAX 48
/* Writes the TCP peer's address (textual, v4 or v6) to out; returns its length. */
size_t cn_http_req_peer_ip(const cn_http_req_t *req, char out[CN_HTTP_IP_MAX]);
/* Receive time: µs since the epoch (CLOCK_REALTIME when the handler asks). */
int64_t cn_http_req_time_us(const cn_http_req_t *req);

/* Allocates len bytes that live as long as the request (h2o's request pool). */
void *cn_http_req_alloc(cn_http_req_t *req, size_t len);
/* A slot for the handler's per-request data; NULL until set. */
void cn_http_req_set_data(cn_http_req_t *req, void *data);
void *cn_http_req_data(const cn_http_req_t *req);

/* --- Replies --- */

/*
 * Adds a response header. name must be lower case and static; value must
 * stay valid until the request is answered (static, request, or
 * cn_http_req_alloc memory).
 */
void cn_http_add_header(cn_http_req_t *req, const char *name, cn_str_t value);

/*
 * Answers with status, content type (NULL: none) and body. The body is not
 * copied: it must stay valid until the request is done (static memory or
 * cn_http_req_alloc). Ends the request; do not touch req afterwards.
 */
void cn_http_reply(cn_http_req_t *req, int status, const char *content_type, cn_str_t body);

/*
 * Leaves this answer uncompressed whatever the client accepts (for bodies
 * that are compressed already or chosen by the handler). Before replying.
 */
void cn_http_req_no_compress(cn_http_req_t *req);

/* cn_http_reply() with a copy of body in the request's memory. */
void cn_http_reply_copy(cn_http_req_t *req, int status, const char *content_type, cn_str_t body);

/* --- Deferred answers --- */

/*
 * Called on the loop thread once cn_http_defer_post() has been called.
 * req is the suspended request, ready to be answered, or NULL when the
 * client went away meanwhile (then the request's memory is gone too).
 * status is what was posted.
 */
typedef void (*cn_http_resume_cb)(void *ud, cn_http_req_t *req, int status);

/*
 * Suspends req: the handler returns without answering and the request waits
 * until someone calls cn_http_defer_post() on the returned handle (exactly
 * once), after which cb runs on the loop thread. Loop thread only.
 */
cn_http_defer_t *cn_http_defer(cn_http_req_t *req, cn_http_resume_cb cb, void *ud);

/* Wakes the loop to run the deferral's callback with status. Any thread; once per defer. */
void cn_http_defer_post(cn_http_defer_t *d, int status);

/* --- Static files --- */

/* A file embedded at build time (src/http/embed.py writes tables of these). */
typedef struct cn_http_static {
    const char *path;         /* URL path, "/canton.js"; NULL ends a table */
    const char *content_type; /* "application/javascript; charset=utf-8" */
    const uint8_t *data;
    size_t len;
    const uint8_t *gz; /* gzip-compressed copy, or NULL when it would not be smaller */
    size_t gz_len;
    const char *etag; /* quoted strong validator, from the content hash */
} cn_http_static_t;

/* Returns the entry of the NULL-terminated table for path, or NULL. */
const cn_http_static_t *cn_http_static_find(const cn_http_static_t *table, cn_str_t path);

/*
 * Answers req with file: 200 (gzip when the client accepts it and a gzip copy
 * exists), or 304 when If-None-Match carries the file's etag. Adds ETag,
 * Vary: Accept-Encoding and Cache-Control with max_age_s ("no-cache" for 0,
 * ", immutable" added from a year on).
 */
void cn_http_static_reply(cn_http_req_t *req, const cn_http_static_t *file, uint32_t max_age_s);

#endif
