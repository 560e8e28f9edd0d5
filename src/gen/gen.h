/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic traffic that looks real (`canton gen`, docs/gen.md).
 *
 * A deterministic simulation of a cross-border shop whose home is China:
 * visitors from about twenty countries arrive in daily and weekly cycles of
 * their own local time, traffic grows over the year and peaks on shopping
 * festivals; new and returning visitors (who keep their id and device) come
 * through channels and campaigns, browse home -> category -> product -> cart
 * -> checkout -> purchase with realistic drop-off, and pay in CNY, USD, EUR,
 * GBP or AUD. The generator emits, in time order, either the tracker
 * requests a collector receives (Adobe AppMeasurement image requests and
 * canton JSON batches, as raw hits) or the shop web server's own requests
 * (pages and static assets) for access-log output.
 *
 * Same options and seed give the same hits, byte for byte. Memory is bounded
 * by the hits of about one simulated hour; rendering reuses buffers, so
 * there is no allocation per hit once the first hours are generated.
 */
#ifndef CN_GEN_GEN_H
#define CN_GEN_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "hit/rawhit.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

typedef struct cn_gen cn_gen_t;

typedef enum cn_gen_mode {
    CN_GEN_TRACKER = 0,    /* tracker requests: Adobe image requests and canton JSON batches */
    CN_GEN_ACCESS_LOG = 1, /* the shop's web server requests: pages and static assets */
} cn_gen_mode_t;

typedef struct cn_gen_opts {
    uint64_t seed;
    const char *suite;        /* report suite id (default "demo") */
    const char *site;         /* shop origin (default "https://shop.canton.test") */
    const char *collect_host; /* Host header of Adobe requests (default "collect.canton.test") */
    int64_t from_us;          /* first simulated instant, µs since the epoch, UTC */
    int64_t to_us;            /* end of the simulation, exclusive; INT64_MAX for none */
    double visits_per_day;    /* human visits on an average day near to_us (see max_hits) */
    uint64_t max_hits;        /* stop after this many hits (0: no limit); when visits_per_day
                                 is 0, the run makes exactly max_hits spread over [from, to),
                                 up to its last hour (docs/gen.md "Sizing with --hits") */
    double json_share;        /* share of visitors tracked with canton JSON (default 0.2) */
    uint32_t products;        /* catalogue size (default 18000, about 20k page URLs) */
    cn_gen_mode_t mode;
    bool live; /* stamp hits with the wall clock instead of simulated time */
} cn_gen_opts_t;

/* Sets the defaults above; from/to cover the 7 days before today (UTC), 2000 visits/day. */
void cn_gen_opts_init(cn_gen_opts_t *opts);

/*
 * One generated request. All slices point into the generator's buffers and
 * stay valid until the next cn_gen_next() or cn_gen_free().
 */
typedef struct cn_gen_hit {
    cn_rawhit_t raw;  /* the request: recv_us, proto, ip, ua, method, path, query, headers, body */
    cn_str_t referer; /* the referer header (access-log mode: of the page request) */
    uint16_t status;  /* access-log mode: HTTP status the shop answered */
    uint32_t bytes;   /* access-log mode: response body size */
    /* What the simulation meant, for tests and statistics. */
    char country[3]; /* visitor country (ISO 3166 alpha-2) the IP belongs to */
    bool is_bot;
    bool is_returning; /* the visitor had visited before */
    bool is_visit_start;
    bool is_purchase; /* this hit carries the order */
    uint64_t visitor; /* visitor key: stable across a returning visitor's visits */
    uint64_t visit;   /* visit number, unique in a run */
    cn_str_t order_id;
    uint32_t order_items; /* distinct products in the order (1..4) */
} cn_gen_hit_t;

typedef struct cn_gen_stats {
    uint64_t hits;
    uint64_t visits; /* visits started (bots included) */
    uint64_t bot_visits;
    uint64_t returning_visits;
    uint64_t orders;
    uint64_t adobe_hits;
    uint64_t json_hits;
} cn_gen_stats_t;

/*
 * Creates a generator. Returns 0 and *out (free with cn_gen_free), or
 * CN_EINVAL with err set for inconsistent options (to before from, no
 * volume given...). The options' strings are copied.
 */
int cn_gen_new(const cn_gen_opts_t *opts, cn_gen_t **out, cn_err_t *err);
void cn_gen_free(cn_gen_t *gen);

/*
 * Produces the next request in time order into *out: returns 1, or 0 when
 * the simulation has reached to_us or max_hits.
 */
int cn_gen_next(cn_gen_t *gen, cn_gen_hit_t *out);

void cn_gen_stats(const cn_gen_t *gen, cn_gen_stats_t *out);

/*
 * Appends hit as one JSON line (with '\n') in the tracker fixtures' record
 * format: seq, received_at, ip, method, path, query, headers (object), body,
 * body_encoding.
 */
void cn_gen_format_json(const cn_gen_hit_t *hit, uint64_t seq, cn_buf_t *out);

/*
 * Appends hit as one nginx "combined" access-log line (with '\n'), time in
 * the shop's time zone (+0800).
 */
void cn_gen_format_nginx(const cn_gen_hit_t *hit, cn_buf_t *out);

/*
 * Sends hits over HTTP/1.1 to a collector with keep-alive connections
 * (libcurl multi). Submitting never blocks for long: it waits for a free
 * connection when all are busy. Not thread-safe.
 */
typedef struct cn_gen_http cn_gen_http_t;

typedef struct cn_gen_http_stats {
    uint64_t sent;
    uint64_t ok;       /* 2xx answers */
    uint64_t rejected; /* other HTTP statuses */
    uint64_t failed;   /* transport errors */
} cn_gen_http_stats_t;

/* base_url like "http://127.0.0.1:8080"; connections >= 1. */
int cn_gen_http_new(const char *base_url, unsigned connections, cn_gen_http_t **out, cn_err_t *err);
/* Queues one request; the client IP travels in X-Forwarded-For. */
int cn_gen_http_send(cn_gen_http_t *h, const cn_gen_hit_t *hit);
/*
 * Lets transfers progress, waiting up to timeout_ms for network activity (a
 * response, a connection ready); with no request in flight it sleeps the
 * whole timeout_ms, or until a signal arrives. 0: no wait.
 */
void cn_gen_http_poll(cn_gen_http_t *h, int timeout_ms);
/* Waits until every queued request is answered. */
void cn_gen_http_drain(cn_gen_http_t *h);
void cn_gen_http_stats(const cn_gen_http_t *h, cn_gen_http_stats_t *out);
void cn_gen_http_free(cn_gen_http_t *h);

#endif
