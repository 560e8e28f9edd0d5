/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Import: files -> raw hits (DESIGN.md "import"). Web server access logs
 * (Apache/nginx combined, common, vhost_combined, any nginx `log_format` or
 * GoAccess `log-format` string) become raw hits with proto
 * CN_PROTO_IMPORT_LOG; hit-level CSV/TSV/NDJSON rows and Adobe data feed
 * rows become raw hits with proto CN_PROTO_IMPORT_ROW. docs/import.md
 * describes the fields, pseudo-headers and canonical query strings that
 * processing reads.
 *
 * A format string is compiled once into a parser (a short list of literal
 * and field operations); the parser is immutable after compilation and is
 * shared by the worker threads, each of which brings its own
 * cn_import_ctx_t for scratch space. cn_import_run() reads one file (or
 * stdin, or a .gz), cuts it into blocks at line boundaries, parses blocks
 * on every core, and hands the encoded raw hits to a sink in file order.
 */
#ifndef CN_IMPORT_IMPORT_H
#define CN_IMPORT_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hit/rawhit.h"
#include "hitlog/hitlog.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

/* Lines longer than this are bad lines ("too-long"). */
#define CN_IMPORT_MAX_LINE (1u << 20)

/* Why a line is bad: enum name, short name shown to users and in JSON. */
#define CN_IMPORT_BAD_MAP(XX)                                                                      \
    XX(NO_MATCH, "no-match")         /* a literal of the format is not where expected */           \
    XX(TRUNCATED, "truncated")       /* the line ends before the format does */                    \
    XX(TIMESTAMP, "bad-timestamp")   /* the time field does not parse */                           \
    XX(NO_TIMESTAMP, "no-timestamp") /* the format or row gives no time */                         \
    XX(REQUEST, "bad-request")       /* the request line is not "METHOD URI [PROTO]" */            \
    XX(STATUS, "bad-status")         /* status is not a 3-digit number */                          \
    XX(NUMBER, "bad-number")         /* bytes or request time are not numbers */                   \
    XX(IP, "bad-ip")                 /* client address is not an IPv4/IPv6 address */              \
    XX(TOO_LONG, "too-long")         /* longer than CN_IMPORT_MAX_LINE */                          \
    XX(JSON, "bad-json")             /* NDJSON line is not a JSON object */                        \
    XX(COLUMNS, "bad-columns")       /* CSV/TSV row with the wrong number of columns */            \
    XX(QUOTING, "bad-quoting")       /* CSV field with an unterminated quote */                    \
    XX(EVENTS, "bad-events")         /* Adobe feed event list: an id or value that is not valid */ \
    XX(LINE_END, "cr-line-end")      /* a log line goes on after a carriage return (CR line ends) */

typedef enum cn_import_bad {
#define XX(name, str) CN_IMPORT_BAD_##name,
    CN_IMPORT_BAD_MAP(XX)
#undef XX
        CN_IMPORT_BAD__COUNT
} cn_import_bad_t;

/* Returns the short name of a reason ("no-match"...). */
const char *cn_import_bad_name(unsigned reason);

typedef enum cn_import_kind {
    CN_IMPORT_KIND_LOG,    /* access log lines */
    CN_IMPORT_KIND_CSV,    /* RFC 4180 CSV with a header row */
    CN_IMPORT_KIND_TSV,    /* tab-separated with a header row */
    CN_IMPORT_KIND_NDJSON, /* one JSON object per line */
    CN_IMPORT_KIND_ADOBE,  /* Adobe data feed hit_data.tsv (no header; column_headers.tsv) */
} cn_import_kind_t;

typedef struct cn_import_opts {
    const char *format;      /* "combined" (NULL = combined), "common", "vhost_combined",
                                "nginx:<log_format>", "goaccess:<log-format>", "csv", "tsv",
                                "ndjson", "adobe-feed" */
    const char *date_format; /* GoAccess %d (strftime syntax); NULL = "%d/%b/%Y" */
    const char *time_format; /* GoAccess %t; NULL = "%H:%M:%S" */
    const char *map;        /* rows: "column=field,..." renames (see docs/import.md); may be NULL */
    const char *lookup_dir; /* adobe-feed: folder with column_headers.tsv and lookup files */
    const char *suite;      /* report suite id written into every raw hit (required) */
    bool final; /* cn_import_run(): take a regular file's last line even without a line end */
} cn_import_opts_t;

typedef struct cn_import_parser cn_import_parser_t;

/*
 * Compiles opts into a parser. Format strings are accepted as users paste
 * them: an nginx `log_format name '...' '...';` directive or just its quoted
 * strings, a GoAccess `log-format ...` line, a predefined GoAccess name
 * (COMBINED, VCOMBINED, COMMON, VCOMMON), with surrounding quotes and
 * backslash escapes. Returns 0 and *out (free with cn_import_parser_free),
 * or CN_EINVAL / CN_EPARSE / a negated errno (lookup files) with err saying
 * what is wrong and where.
 */
int cn_import_parser_new(const cn_import_opts_t *opts, cn_import_parser_t **out, cn_err_t *err);
void cn_import_parser_free(cn_import_parser_t *p);

cn_import_kind_t cn_import_parser_kind(const cn_import_parser_t *p);

/*
 * CSV/TSV: true until the header row has been given. The header row names
 * the columns; --map renames them to canonical fields.
 */
bool cn_import_parser_needs_header(const cn_import_parser_t *p);
/* Gives the header row (without its line end). 0 or CN_EPARSE with err. Not thread-safe. */
int cn_import_parser_set_header(cn_import_parser_t *p, cn_str_t line, cn_err_t *err);

/* Per-thread scratch space and caches for parsing. */
typedef struct cn_import_ctx {
    cn_buf_t scratch;  /* unescaped values, headers */
    cn_buf_t query;    /* rows: the canonical query string */
    cn_buf_t events;   /* Adobe feed rows: the event list as an events string */
    cn_buf_t clean;    /* rows: values whose control bytes became spaces */
    cn_buf_t jmembers; /* NDJSON: the members of a line (cn_import_jmember_t) */
    cn_buf_t jkeys;    /* NDJSON: member names of the open objects, for duplicates */
    int64_t tcache_us; /* last timestamp parsed, and its text */
    char tcache_key[64];
    size_t tcache_len;
    /* NDJSON: the field names of the last line's members, by position (rows.c) */
    struct cn_import_jnames *jnames;
} cn_import_ctx_t;

void cn_import_ctx_init(cn_import_ctx_t *ctx);
void cn_import_ctx_dispose(cn_import_ctx_t *ctx);

/* What a parsed line says beyond the raw hit, for the summary. */
typedef struct cn_import_info {
    cn_import_bad_t bad; /* the reason, when cn_import_parse_line returned CN_EPARSE */
    size_t column;       /* 0-based byte column where parsing failed */
    uint32_t cells;      /* bad-columns of a CSV/TSV row: the row's cells (2049: more than the
                            2048 a header may name) */
    uint32_t want;       /* and the header's columns; 0 for other bad lines */
    int status;          /* HTTP status, 0 when the log has none */
    bool is_page;        /* status 2xx or 304 (or none), not a static asset, text/html when
                            the type is logged (docs/import.md) */
} cn_import_info_t;

#define CN_IMPORT_SKIPPED 1

/*
 * Parses one line (without its '\n'; a trailing '\r' is ignored) into out,
 * whose strings point into line or into ctx->scratch (valid until the next
 * call with ctx). Returns 0 for a hit, CN_IMPORT_SKIPPED for a line that
 * carries no hit (blank, a '#' comment in logs), or CN_EPARSE with
 * info->bad and info->column set. Thread-safe for distinct ctx.
 */
int cn_import_parse_line(const cn_import_parser_t *p, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info);

/* --- Running an import --- */

typedef struct cn_import_stats {
    uint64_t bytes_total; /* size of the input when known (0 for stdin/.gz) */
    uint64_t bytes_read;  /* input bytes consumed (compressed bytes for .gz) */
    uint64_t lines;       /* lines read (blank ones included) */
    uint64_t hits;        /* raw hits handed to the sink */
    uint64_t pages;       /* hits that are page views by the default rule */
    uint64_t skipped;     /* blank and comment lines */
    uint64_t bad;         /* bad lines */
    uint64_t bad_by_reason[CN_IMPORT_BAD__COUNT];
    uint64_t end_offset; /* uncompressed offset just past the last line delivered */
    uint64_t held;       /* bytes of last lines without a line end left for the next run */
} cn_import_stats_t;

/*
 * Where the hits go. Every callback runs in the thread that called
 * cn_import_run(), in file order.
 *   batch:    the hits of one block of input, framed as hitlog records; the
 *             sink may take them (cn_hitlog_append_batch leaves b empty) or
 *             leave them; return 0, or a negative code to stop the import
 *             (may be NULL: then hit is called for each);
 *   hit:      one encoded raw hit (cn_rawhit_encode), when batch is NULL;
 *             return 0, or a negative code to stop the import with that code;
 *   bad:      one bad line, 1-based line number, with cells and want as
 *             cn_import_info_t has them (may be NULL);
 *   progress: about every 100 ms (may be NULL);
 *   delivered: after each block's hits and bad lines were handed over, with
 *             stats->end_offset just past its last line (may be NULL; how an
 *             importer records its progress); return 0, or a negative code
 *             to stop the import.
 */
typedef struct cn_import_sink {
    int (*batch)(void *ud, cn_hitlog_batch_t *b);
    int (*hit)(void *ud, const void *rec, size_t len);
    void (*bad)(void *ud, uint64_t line_no, cn_import_bad_t reason, size_t column, uint32_t cells,
                uint32_t want, cn_str_t line);
    void (*progress)(void *ud, const cn_import_stats_t *stats);
    int (*delivered)(void *ud, const cn_import_stats_t *stats);
    void *ud;
} cn_import_sink_t;

/*
 * Imports path ("-" for stdin; a name ending in .gz is gunzipped) from
 * uncompressed byte offset start (0: the whole file; a line boundary) with
 * threads parser threads (0: one per core). p must have its header set when
 * it needs one and start > 0; otherwise the first line is taken as the header.
 * An empty input (no bytes, or a UTF-8 byte order mark alone) gives no lines
 * and no error, for rows (no header) as for logs. A regular, uncompressed
 * file's last line without a line end may still be being written: unless
 * the parser's options say final, it is left unread (stats->held counts its
 * bytes and stats->end_offset stops before it), so that a later run imports
 * it whole; stdin and .gz input, complete once read, give it as a line.
 * Blocks are parsed in parallel and delivered in order. stats (zeroed by
 * the caller) accumulates. Returns 0, a negated errno (read errors), or the
 * sink's error, with err set.
 */
int cn_import_run(cn_import_parser_t *p, const char *path, uint64_t start, unsigned threads,
                  const cn_import_sink_t *sink, cn_import_stats_t *stats, cn_err_t *err);

/* --- Remembering what was imported (<data>/import/state) --- */

/*
 * A file's identity: the 64-bit xxHash of its first prefix_len bytes
 * (prefix_len = min(64 KiB, size)), so that a file is recognised after a
 * rename, and a grown file (same prefix) resumes where the last import ended.
 */
typedef struct cn_import_ident {
    uint64_t prefix_hash;
    uint32_t prefix_len;
    uint64_t size; /* bytes (compressed size for .gz) */
} cn_import_ident_t;

#define CN_IMPORT_IDENT_PREFIX 65536

/* Computes path's identity. 0 or a negated errno. "-" gives CN_EUNSUPPORTED. */
int cn_import_ident(const char *path, cn_import_ident_t *out, cn_err_t *err);

typedef struct cn_import_state cn_import_state_t;

/* Loads <dir>/state (missing: empty). 0 or CN_ECORRUPT / negated errno with err. */
int cn_import_state_load(const char *dir, cn_import_state_t **out, cn_err_t *err);
/*
 * Looks up a file: returns the uncompressed offset already imported for the
 * file whose identity matches id (0: never imported), and sets *out_unchanged
 * (may be NULL) when it was imported to its end and the file has the size it
 * had then (nothing new). Reads
 * path's prefix when an entry has a shorter prefix than id (a file that grew).
 */
uint64_t cn_import_state_offset(const cn_import_state_t *st, const char *path,
                                const cn_import_ident_t *id, bool *out_unchanged);
/*
 * How far a file is imported. While an import runs it saves this about
 * twice a second, after cn_hitlog_sync(), so that every line before offset
 * is durable in the hitlog; last_batch and last_count name the hitlog batch
 * that ends with the hit of the last line before offset, so that a resumed
 * import can find hits appended after it (synced but not yet recorded when
 * the import was killed) and skip them (docs/import.md, "Resuming").
 */
typedef struct cn_import_progress {
    uint64_t offset;            /* uncompressed bytes imported: a line boundary */
    uint64_t lines;             /* lines before offset (0: unknown) */
    bool done;                  /* imported to the end of the file as it was then */
    cn_hitlog_pos_t last_batch; /* first record of that batch ({0,0}: unknown) */
    uint64_t last_count;        /* its records */
} cn_import_progress_t;

/*
 * Looks up a file: returns true and *out (zeroed when false; may be NULL)
 * when an entry matches id; *out_unchanged (may be NULL) as for
 * cn_import_state_offset(), and only for entries that are done.
 */
bool cn_import_state_get(const cn_import_state_t *st, const char *path, const cn_import_ident_t *id,
                         cn_import_progress_t *out, bool *out_unchanged);
/* Records path's progress (replacing the entry of the same identity); an empty file (size 0)
 * is not recorded. */
void cn_import_state_put(cn_import_state_t *st, const char *path, const cn_import_ident_t *id,
                         const cn_import_progress_t *prog);
/* Records that path (identity id) is imported up to offset, to its end (done). */
void cn_import_state_set(cn_import_state_t *st, const char *path, const cn_import_ident_t *id,
                         uint64_t offset);
/* Writes <dir>/state atomically (temp file, fsync, rename, fsync of the folder). 0 or a negated
 * errno. */
int cn_import_state_save(const cn_import_state_t *st, cn_err_t *err);
void cn_import_state_free(cn_import_state_t *st);

#endif
