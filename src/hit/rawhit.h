/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw hit: what a collector (or an importer) received, as received.
 * Nothing is decoded or dropped at collection, so that any hit can be
 * processed again later with better rules (DESIGN.md "raw hit").
 *
 * A raw hit is serialized into one hitlog record by cn_rawhit_encode() and
 * read back by cn_rawhit_decode(); the byte layout is versioned and
 * described in docs/hitlog.md.
 */
#ifndef CN_HIT_RAWHIT_H
#define CN_HIT_RAWHIT_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/str.h"

/* How a raw hit arrived: which decoder processing must use. Values are on disk. */
#define CN_PROTO_MAP(XX)                                                                           \
    XX(UNKNOWN, 0, "unknown")                                                                      \
    XX(ADOBE, 1, "adobe")               /* AppMeasurement /b/ss/<suite>/... GET or POST */         \
    XX(CANTON_JSON, 2, "canton-json")   /* POST /api/collect JSON batch */                         \
    XX(CANTON_PIXEL, 3, "canton-pixel") /* GET /i?... */                                           \
    XX(IMPORT_LOG, 4, "import-log")     /* a web server access-log line (import) */                \
    XX(IMPORT_ROW, 5, "import-row")     /* a hit-level CSV/TSV/NDJSON row (import) */

typedef enum cn_proto {
#define XX(name, val, str) CN_PROTO_##name = val,
    CN_PROTO_MAP(XX)
#undef XX
        CN_PROTO__COUNT
} cn_proto_t;

/* Returns the protocol's name ("adobe"...), or "unknown". */
const char *cn_proto_name(unsigned proto);

/* Raw-hit flags, on disk. */
enum {
    CN_RAWHIT_UNKNOWN_SUITE = 1 << 0, /* the suite was not configured when received */
    CN_RAWHIT_GZIP_BODY = 1 << 1,     /* body is gzip (magic 1f 8b), kept compressed */
    /* On disk only (cn_rawhit_encode sets it): the headers' user-agent line is kept as
     * "user-agent:" alone, its value being ua, so the record holds the user agent once.
     * cn_rawhit_header and cn_rawhit_headers_text give the headers as received. */
    CN_RAWHIT_UA_ELIDED = 1 << 2,
};

/*
 * A raw hit. All strings are borrowed: from the request for a collector,
 * from the hitlog record for a reader (valid while the record is).
 * headers holds the request headers as received, one "name: value\n" per
 * header with the name lower-cased.
 */
typedef struct cn_rawhit {
    int64_t recv_us; /* server receive time, µs since the epoch, UTC */
    uint8_t proto;   /* cn_proto_t */
    uint8_t flags;   /* CN_RAWHIT_* */
    cn_str_t suite;  /* report suite id as given by the request (may be a list for Adobe) */
    cn_str_t ip;     /* client IP, textual, after trusted-proxy X-Forwarded-For */
    cn_str_t ua;     /* User-Agent header */
    cn_str_t method; /* "GET", "POST" */
    cn_str_t path;   /* request path, without the query */
    cn_str_t query;  /* raw query string, without '?' */
    cn_str_t headers;
    cn_str_t body;
} cn_rawhit_t;

#define CN_RAWHIT_VERSION 1

/*
 * Appends the record payload for hit to out (caller owns out). When the headers hold one
 * user-agent line and its value is ua, the line is written as "user-agent:" and the record
 * gets CN_RAWHIT_UA_ELIDED (a hit that has it already is written as it is).
 */
void cn_rawhit_encode(const cn_rawhit_t *hit, cn_buf_t *out);

/*
 * Decodes a record payload of len bytes at p into out, whose strings then
 * point into p. Returns 0, CN_EVERSION for an unknown layout version, or
 * CN_ECORRUPT when a length runs past the end. Never reads outside [p, p+len).
 */
int cn_rawhit_decode(const void *p, size_t len, cn_rawhit_t *out);

/*
 * Finds header name (lower-case) in hit->headers. Returns its value, or
 * {NULL, 0} when absent (the user agent, with CN_RAWHIT_UA_ELIDED, is ua).
 */
cn_str_t cn_rawhit_header(const cn_rawhit_t *hit, cn_str_t name);

/* Appends hit's headers as received to out: with CN_RAWHIT_UA_ELIDED, its user-agent line
 * whole again. */
void cn_rawhit_headers_text(const cn_rawhit_t *hit, cn_buf_t *out);

#endif
