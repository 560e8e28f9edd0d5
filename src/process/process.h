/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Processing: the `process` box of DESIGN.md. One deterministic pass over
 * the hitlog, in log order: decode each raw hit with its protocol's decoder,
 * enrich it (enrich.h), resolve its visitor and visit, apply eVar allocation
 * and expiry, deduplicate orders, convert currencies, and emit rows to one
 * sink per suite (hit/sink.h). Raw hits that cannot be decoded or break a
 * rule become bad rows, kept in <data>/badrows/ with their reason and bytes.
 *
 * State lives in memory and is snapshotted by cn_process_checkpoint() to
 * <data>/process/checkpoint (hitlog position, bad-row log size, visitor and
 * visit state, eVars, order ids): a restart replays only the tail and gives
 * exactly the rows an uninterrupted run gives. docs/processing.md has the
 * rules and the formats.
 *
 * A cn_process_t is used by one thread (cn_process_run may start a worker of its own).
 */
#ifndef CN_PROCESS_PROCESS_H
#define CN_PROCESS_PROCESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "hit/rawhit.h"
#include "hit/sink.h"
#include "hitlog/hitlog.h"
#include "lib/buf.h"
#include "lib/err.h"

typedef struct cn_enrich cn_enrich_t;
typedef struct cn_process cn_process_t;

/* Bad-row reasons: XX(name, value, code). Values are on disk (bad-row log). */
#define CN_BADROW_MAP(XX)                                                                          \
    XX(BAD_RECORD, 1, "bad_record")            /* hitlog record does not decode */                 \
    XX(UNSUPPORTED, 2, "unsupported_protocol") /* no decoder for the raw hit's protocol */         \
    XX(UNKNOWN_SUITE, 3, "unknown_suite")      /* no configured suite in the hit's suite list */   \
    XX(EMPTY, 4, "empty_hit")                  /* no parameters / empty body */                    \
    XX(BAD_QUERY, 5, "bad_query")              /* a parameter that breaks its syntax */            \
    XX(BAD_JSON, 6, "bad_json")                /* body is not the canton JSON vocabulary */        \
    XX(BAD_GZIP, 7, "bad_gzip")                /* gzip body does not inflate */                    \
    XX(TOO_BIG, 8, "too_big")                  /* past a CN_DEC_MAX_* limit */                     \
    XX(NO_PAGE_URL, 9, "no_page_url")          /* page view without URL (and page name) */         \
    XX(BAD_PRODUCTS, 10, "bad_products")       /* products string does not parse */                \
    XX(BAD_EVENTS, 11, "bad_events")           /* events string does not parse */                  \
    XX(BAD_CURRENCY, 12, "bad_currency")       /* currency code is not 3 letters */                \
    XX(NO_RATE, 13, "no_rate")                 /* no exchange rate for the currency and day */     \
    XX(BAD_TIMESTAMP, 14, "bad_timestamp")     /* explicit timestamp does not parse */             \
    XX(EXCLUDED_IP, 15, "excluded_ip")         /* client IP in the suite's exclude_ips */

typedef enum cn_badrow_reason {
#define XX(name, val, code) CN_BADROW_##name = val,
    CN_BADROW_MAP(XX)
#undef XX
        CN_BADROW__COUNT
} cn_badrow_reason_t;

/* "no_rate"... for a reason value, or "unknown". */
const char *cn_badrow_reason_name(unsigned reason);
/* The reason value for a name, or 0. */
unsigned cn_badrow_reason_parse(const char *name);

/* A bad row, as appended to and read from the bad-row log. Slices borrowed. */
typedef struct cn_badrow {
    int64_t recv_us;     /* the raw hit's receive time (0 when unknown) */
    uint8_t reason;      /* cn_badrow_reason_t */
    cn_str_t suite;      /* the raw hit's suite field */
    cn_str_t detail;     /* a sentence for a person */
    cn_hitlog_pos_t pos; /* where the raw hit is in the hitlog */
    cn_str_t raw;        /* the raw hit record bytes (cn_rawhit_encode) */
} cn_badrow_t;

/*
 * Reads the bad-row log in data_dir/badrows and calls cb for every row (in
 * order); cb returns 0 to go on. Returns 0, a negated errno, or CN_ECORRUPT
 * at a damaged frame (rows before it were delivered). A missing log is empty.
 */
int cn_badrows_read(const char *data_dir, int (*cb)(void *ud, const cn_badrow_t *row), void *ud,
                    cn_err_t *err);

/*
 * Gives the sink of one suite; called once per configured suite at
 * cn_process_new. blob (may be NULL) copies into out the checkpoint blob the
 * suite's sink last made durable (cn_store_checkpoint_blob; empty when none):
 * processing resumes from its own checkpoint file and, where a sink is ahead
 * of it (a crash between the sinks' checkpoints and the file), suppresses that
 * suite's rows until the hitlog passes the sink's position. Without blob,
 * processing trusts its file (rows may repeat after such a crash).
 */
typedef struct cn_sink_factory {
    void *ud;
    int (*open)(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out);
    int (*blob)(void *ud, const cn_suite_conf_t *suite, cn_buf_t *out);
} cn_sink_factory_t;

typedef struct cn_process_opts {
    bool from_scratch;       /* ignore the checkpoint: start with empty state */
    const char *only_suite;  /* reprocess one suite: other suites are skipped, no bad rows logged */
    bool no_checkpoint_file; /* keep the checkpoint in memory only (benchmarks) */
    bool dry_run;            /* write nothing: no checkpoint file, no bad-row log */
    int64_t checkpoint_us;   /* cn_process_run checkpoints this often; 0: every second */
    unsigned threads;        /* cn_process_run: 1 decodes and enriches on the calling thread;
                                0 (one per core, up to 2) or 2 runs them on a worker thread
                                ahead of the state (the rows are the same) */
    bool salt_clock;         /* the live pass: cn_process_run also expires the salts by the
                                wall clock (cn_process_expire_salts) at its first checkpoint
                                check and then at most once a minute; not when reprocessing */
} cn_process_opts_t;

/* Counters since cn_process_new, for /metrics. */
typedef struct cn_process_stats {
    uint64_t raw_hits;                 /* raw hits seen */
    uint64_t hits, visits, visitors;   /* rows emitted; visitors = new visitor ordinals */
    uint64_t items, vars, events;      /* child rows emitted */
    uint64_t orders, duplicate_orders; /* purchases counted / dropped as repeated ids */
    uint64_t bad_rows;                 /* all reasons */
    uint64_t bad_by_reason[CN_BADROW__COUNT];
    uint64_t skipped_suites; /* suites of a multi-suite list that are not configured */
    uint64_t checkpoints;
    uint64_t enrich_switches; /* snapshots of cn_process_set_enrich taken into use */
} cn_process_stats_t;

/*
 * Creates a processor over conf (borrowed; must outlive p) with enrichment e
 * (may be NULL: enrichment fields stay empty; p takes its own thread handle),
 * state under data_dir (process/checkpoint, salts, rates.csv, badrows/), and
 * one sink per configured suite from factory. Loads the checkpoint unless
 * opts->from_scratch (opts may be NULL). Returns 0 and *out, or an error
 * with err set.
 */
int cn_process_new(const cn_conf_t *conf, cn_enrich_t *e, const char *data_dir,
                   const cn_sink_factory_t *factory, const cn_process_opts_t *opts,
                   cn_process_t **out, cn_err_t *err);
void cn_process_free(cn_process_t *p);

/*
 * Checks the keys of sc that processing reads (evarN, propN, eventN, listN, unconverted_currency,
 * salt_retention) by the rules cn_process_new applies, without opening anything. 0 when they
 * are fine (other keys are not looked at), else CN_ECONFIG with err "[suite ID] KEY...: what
 * is wrong". Thread-safe.
 */
int cn_process_check_suite_conf(const cn_suite_conf_t *sc, cn_err_t *err);

/*
 * Processes one raw hit found at pos of the hitlog. A hit at or before the
 * checkpoint's position has been processed already and is skipped (returns
 * 0). Returns 0 (rows emitted or a bad row kept) or a sink/IO error, after
 * which p must be freed and re-created from the checkpoint.
 */
int cn_process_raw(cn_process_t *p, const cn_rawhit_t *raw, cn_hitlog_pos_t pos);

/* Same for a hitlog record's bytes (a record that does not decode is a bad row). */
int cn_process_record(cn_process_t *p, const void *rec, size_t len, cn_hitlog_pos_t pos);

/*
 * Syncs the bad-row log, calls every sink's checkpoint() with a small blob
 * (checkpoint sequence number and hitlog position: docs/processing.md), then
 * writes the checkpoint file atomically (temp file, fsync, rename, fsync
 * dir). The file is never ahead of a sink, so a crash at any moment leaves
 * sinks at or ahead of it, which cn_process_new reconciles (factory->blob).
 * Returns 0 or an error.
 */
int cn_process_checkpoint(cn_process_t *p);
/* The text for rc, an error of cn_process_run's records or of a checkpoint: what the sink
 * that failed says (cn_sink_t why: the suite, the column or file, the limit), else
 * cn_strerror(rc). */
const char *cn_process_why(const cn_process_t *p, int rc);

/*
 * Follows the hitlog in hitlog_dir from the checkpoint until *stop is set
 * (checked between records and while waiting for more), checkpointing every
 * second (opts->checkpoint_us) and at the end. When stop is NULL, processes up to the current end
 * of the log and returns. Returns 0 or the first error. Unless opts->threads is 1 (or there is one
 * core), a worker thread reads, decodes and enriches the records ahead of the calling thread,
 * which keeps the state and emits the rows in hitlog order (docs/processing.md).
 */
int cn_process_run(cn_process_t *p, const char *hitlog_dir, atomic_bool *stop, cn_err_t *err);

void cn_process_stats(const cn_process_t *p, cn_process_stats_t *out);

/*
 * Expires the cookieless salts by the wall clock: the salts more than salt_retention days
 * before the UTC day of now_us (cn_time_now_us), or before the newest day processed when that
 * is later, are destroyed and <data>/salts rewritten (docs/processing.md "Visitors"), so that
 * they go also when cookieless hits stop coming. For the live pass only: a pass that goes by hit
 * times alone (reprocess, process --until-end, import) gives the same keys whenever it runs. Call
 * it from the thread that runs p, never during a cn_process_run of another thread (opts salt_clock
 * has cn_process_run call it). Returns the number of salts destroyed, or a negated errno (the file
 * could not be written).
 */
int cn_process_expire_salts(cn_process_t *p, int64_t now_us);

/*
 * Reloading enrichment: hands p a new snapshot e (opened like the first one, e.g. after the
 * data sets changed; p takes its own reference, the caller keeps its own). The one call on p
 * that may come from any thread, also while cn_process_run runs: it only stores e for
 * processing to take. Processing switches between two batches, never while one is being
 * enriched: a one-thread run between two records, every CN_CK_EVERY_RECS records
 * (internal.h); with the worker (threads 2), the worker enriches its next slot of records
 * with a new thread handle on e and the state stage moves its own handle to e when it comes
 * to that slot, then frees the worker's old handle, which no record in flight uses any more.
 * The old snapshot goes when its last handle does. A p not running takes e at its next
 * cn_process_run. A second call before the switch replaces the first's snapshot. Rows from
 * then on carry what e gives; rows already emitted keep the old data's. A p created without
 * enrichment (e NULL) starts enriching. stats.enrich_switches counts the switches.
 */
void cn_process_set_enrich(cn_process_t *p, cn_enrich_t *e);

/* Position of the last raw hit processed ({0,0} when none). */
cn_hitlog_pos_t cn_process_position(const cn_process_t *p);

/*
 * Imports a rates CSV (date,currency,rate) into data_dir/rates.csv after
 * checking every line; *out_count gets the number of rates. 0 or an error.
 */
int cn_process_rates_import(const char *data_dir, const char *csv_path, size_t *out_count,
                            cn_err_t *err);

#endif
