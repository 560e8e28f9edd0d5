/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declarations shared by the files of src/import/ (not API): the compiled
 * log format, the time parser, and the row (CSV/TSV/NDJSON/Adobe) parser.
 */
#ifndef CN_IMPORT_INTERNAL_H
#define CN_IMPORT_INTERNAL_H

#include "hit/pagerule.h"
#include "import/import.h"

/* What a field of a log format captures. */
typedef enum cn_import_field {
    CN_IF_SKIP,         /* ignored: nginx variables canton does not use, GoAccess %^ */
    CN_IF_SPACES,       /* GoAccess %~: skip white space */
    CN_IF_IP,           /* $remote_addr, %h */
    CN_IF_IP_LIST,      /* GoAccess ~h{delims}: first address of a list */
    CN_IF_TIME_CLF,     /* $time_local: 10/Oct/2000:13:55:36 -0700 */
    CN_IF_TIME_ISO,     /* $time_iso8601: 2000-10-10T13:55:36-07:00 */
    CN_IF_TIME_MSEC,    /* $msec: 971211336.123 */
    CN_IF_DATE,         /* GoAccess %d, date_format */
    CN_IF_TIME,         /* GoAccess %t, time_format */
    CN_IF_DATETIME,     /* GoAccess %x, date_format + time_format */
    CN_IF_REQUEST,      /* "GET /a?b HTTP/1.1" */
    CN_IF_METHOD,       /* $request_method, %m */
    CN_IF_URI,          /* $request_uri, %U: path with query */
    CN_IF_PATH,         /* $uri: path only */
    CN_IF_QUERY,        /* $args, %q */
    CN_IF_PROTOCOL,     /* $server_protocol, %H */
    CN_IF_STATUS,       /* $status, %s */
    CN_IF_BYTES,        /* $body_bytes_sent, %b */
    CN_IF_REFERER,      /* $http_referer, %R */
    CN_IF_UA,           /* $http_user_agent, %u */
    CN_IF_HOST,         /* $host, %v */
    CN_IF_USER,         /* $remote_user, %e */
    CN_IF_CONTENT_TYPE, /* $sent_http_content_type, %M */
    CN_IF_RT_S,         /* $request_time, %T: seconds with fraction */
    CN_IF_RT_MS,        /* %L */
    CN_IF_RT_US,        /* %D */
    CN_IF_RT_NS,        /* %n */
    CN_IF_HEADER,       /* $http_<name>: a request header */
    CN_IF_COOKIE,       /* $cookie_<name> */
    CN_IF__COUNT
} cn_import_field_t;

#define CN_IMPORT_MAX_OPS 64

typedef struct cn_import_op {
    bool is_field;
    bool quoted;   /* field between '"' literals: backslash escapes apply */
    uint8_t field; /* cn_import_field_t */
    char *text;    /* literal text, header/cookie name, or ~h delimiters */
    size_t text_len;
} cn_import_op_t;

typedef struct cn_import_logfmt {
    cn_import_op_t ops[CN_IMPORT_MAX_OPS];
    size_t op_count;
    int field_op[CN_IF__COUNT]; /* last op capturing each field, -1 when none */
    bool has_extra;             /* header or cookie fields present */
    size_t names_len;           /* total length of header/cookie names */
    char *date_format;
    char *time_format;
    char *datetime_format;
} cn_import_logfmt_t;

/* Compiles format (an nginx log_format or a GoAccess log-format, nginx != 0 picks). */
int cn_import__compile_nginx(const char *spec, cn_import_logfmt_t *out, cn_err_t *err);
int cn_import__compile_goaccess(const char *spec, const char *date_format, const char *time_format,
                                cn_import_logfmt_t *out, cn_err_t *err);
void cn_import__logfmt_dispose(cn_import_logfmt_t *f);

int cn_import__parse_log(const cn_import_logfmt_t *f, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info);

/* A broken-down time being assembled from one or more fields. */
typedef struct cn_import_tm {
    int year, mon, day; /* mon 1..12 */
    int hour, min, sec;
    int usec;
    int tz_sec;       /* offset east of UTC */
    int64_t epoch_us; /* set when has_epoch */
    bool has_date, has_time, has_epoch, pm, has_pm;
} cn_import_tm_t;

/* Parses s fully with a strftime-style format into tm. 0 or CN_EPARSE. */
int cn_import__strptime(const char *fmt, cn_str_t s, cn_import_tm_t *tm);
/* Converts tm (date required unless has_epoch) to µs since the epoch. 0 or CN_EPARSE. */
int cn_import__tm_to_us(const cn_import_tm_t *tm, int64_t *out);
/* Fast paths: "10/Oct/2000:13:55:36 -0700", ISO 8601, "971211336.123". 0 or CN_EPARSE. */
int cn_import__parse_clf_time(cn_str_t s, int64_t *out);
int cn_import__parse_iso_time(cn_str_t s, int64_t *out);
int cn_import__parse_epoch(cn_str_t s, int64_t *out);
int64_t cn_import__days_from_civil(int y, int m, int d);

/* Rows. */
typedef struct cn_import_rowfmt cn_import_rowfmt_t;
int cn_import__rowfmt_new(const cn_import_opts_t *opts, cn_import_kind_t kind,
                          cn_import_rowfmt_t **out, cn_err_t *err);
void cn_import__rowfmt_free(cn_import_rowfmt_t *r);
bool cn_import__rowfmt_needs_header(const cn_import_rowfmt_t *r);
int cn_import__rowfmt_set_header(cn_import_rowfmt_t *r, cn_str_t line, cn_err_t *err);
int cn_import__parse_row(const cn_import_rowfmt_t *r, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info);
/* NDJSON lines all through jansson, the reference the fast scanner is checked against
 * (fuzz_import_row, tests/unit/import/test_rows.c). */
void cn_import__rowfmt_use_jansson(cn_import_rowfmt_t *r);

/* The field names of NDJSON members by position, as the last line mapped them (ctx->jnames);
 * freed with the ctx. */
typedef struct cn_import_jnames cn_import_jnames_t;
void cn_import__jnames_free(cn_import_jnames_t *c);

/* One member of an NDJSON line found by cn_import__json_scan. */
typedef struct cn_import_jmember {
    size_t key;     /* offset of the NUL-terminated name in the output buffer */
    size_t val;     /* offset of the value (NUL-terminated too) */
    size_t val_len; /* its length */
    bool is_null;   /* null: an absent field (the value is empty) */
} cn_import_jmember_t;

/*
 * NDJSON without a JSON tree (ndjson.c): scans line as one JSON object and appends each
 * member's name and value to out as the import takes them from jansson's tree (strings
 * unescaped; integers as "%lld" and reals as cn_import__shortest_double print them; arrays
 * and objects as json_dumps(JSON_COMPACT) writes them), and a cn_import_jmember_t per member,
 * in the line's order, to members (emptied first). keys is scratch space. Returns the member
 * count, or -1 when the line is outside what it is sure of (any error, duplicate names,
 * escaped names, \u0000, numbers it cannot hold as jansson does, nesting deeper than 32,
 * more than 2048 members): then jansson must parse it. out keeps what was appended either way.
 */
long cn_import__json_scan(cn_str_t line, cn_buf_t *out, cn_buf_t *members, cn_buf_t *keys);

/* Writes d in the fewest significant digits that read back as d into out (64 bytes); returns
 * the length. Whole numbers below 1e17 as integer digits. */
size_t cn_import__shortest_double(double d, char *out);

/*
 * Control bytes (0x00-0x1f, 0x7f) in the client address and the user agent become spaces, in
 * logs and rows alike; other fields keep them (docs/import.md "Control bytes"). has_ctl: true when
 * s holds one. ctl_to_space: appends s to b with each one a space and returns the copy; b must have
 * room for s.len + 1 bytes (it never moves, so that earlier copies stay valid).
 */
bool cn_import__has_ctl(cn_str_t s);
cn_str_t cn_import__ctl_to_space(cn_str_t s, cn_buf_t *b);

/* Appends s to b percent-encoded for a query string value (RFC 3986 unreserved kept). */
void cn_import__put_qescaped(cn_buf_t *b, cn_str_t s);

struct cn_import_parser {
    cn_import_kind_t kind;
    bool final; /* take a regular file's last line without a line end (opts.final) */
    char *suite;
    cn_import_logfmt_t log;
    cn_import_rowfmt_t *row;
};

#endif
