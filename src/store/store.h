/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The columnar store (DESIGN.md "store"; on-disk format in docs/storage.md,
 * version CN_STORE_FORMAT). One cn_store_t per suite, in <data>/store/<suite>/.
 *
 * Writing: processing emits rows through cn_store_sink() (hit/sink.h). Hits
 * go to a partition per local day of the suite's time zone; visits go to a
 * visit column group addressed by visit ordinal; item, var and event rows go
 * to child groups of the hit's partition and point at their hit by its row
 * number in the partition. Rows are buffered in memory and flushed to small
 * segment files every few seconds (or when the buffer fills), and always on
 * sink->checkpoint(). Rows become durable only at a checkpoint: the manifest
 * that lists the live segments is written (temp + fsync + rename) together
 * with processing's checkpoint blob. After a crash, or after cn_store_close()
 * without a final checkpoint, the store reopens exactly at the last
 * checkpoint, and cn_store_checkpoint_blob() tells processing where to resume.
 * Closed days are merged into one segment per day by cn_store_maintain()
 * (called by a background thread when opts.background is set), which also
 * drops days older than the suite's retention_days.
 *
 * Reading: a snapshot (cn_store_snapshot) is an immutable, refcounted view:
 * the partitions and segments live at that moment, including the rows still
 * in the write buffer, and the dictionary lengths. Files and memory a
 * snapshot refers to stay valid until it is released, even when a merge
 * replaces them. Any number of threads may take and read snapshots while one
 * thread writes through the sink. Everything a snapshot hands out (segments,
 * strings) is borrowed and valid until cn_store_snap_release().
 *
 * Columns are named by cn_store_col_t (CN_COL_<GROUP>_<name>, generated from
 * hit/columns.def): a column added there is stored, read, checked and
 * exported without changes here. Dictionary-coded columns (CN_COLK_DICT)
 * read as u32 ids; id 0 is the empty string; ids are stable for the life of
 * the suite and shared by the columns of one dictionary domain
 * (cn_store_col_dict(): e.g. visit entry_page shares "page" with hit page).
 */
#ifndef CN_STORE_STORE_H
#define CN_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "hit/hit.h"
#include "hit/sink.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

/* The on-disk format version (docs/storage.md) this canton writes; bumped by any change to
 * columns.def. */
#define CN_STORE_FORMAT 6
/* The oldest format it still reads: formats 5 and 6 differ only in columns (format 6 added
 * visit.ip), and a column a file lacks reads as zeros (empty strings), so a store written by
 * format 5 opens and is appended to without a reprocess; files keep the version they were
 * written with. */
#define CN_STORE_FORMAT_MIN 5

/* Columns are stored in pages of this many rows. Reads aligned to page
 * boundaries decode straight into the caller's buffer. Format 5: 262144
 * (was 65536), so that a closed day of a busy suite is one page and what a
 * page codes once (its first row of each key, its value list) is coded
 * once a day. */
#define CN_STORE_PAGE_ROWS 262144

/* --- Column catalogue --- */

typedef enum cn_store_group {
    CN_GROUP_VISIT = 0,
    CN_GROUP_HIT,
    CN_GROUP_ITEM,
    CN_GROUP_VAR,
    CN_GROUP_EVENT,
    CN_GROUP_COUNT,
} cn_store_group_t;

/* clang-format off */
typedef enum cn_store_col {
#define CN__COL_ENUM_VISIT(name, kind, json, doc) CN_COL_VISIT_##name,
#define CN__COL_ENUM_HIT(name, kind, json, doc)   CN_COL_HIT_##name,
#define CN__COL_ENUM_ITEM(name, kind, json, doc)  CN_COL_ITEM_##name,
#define CN__COL_ENUM_VAR(name, kind, json, doc)   CN_COL_VAR_##name,
#define CN__COL_ENUM_EVENT(name, kind, json, doc) CN_COL_EVENT_##name,
    CN_VISIT_COLUMNS(CN__COL_ENUM_VISIT)
    CN_HIT_COLUMNS(CN__COL_ENUM_HIT)
    CN_ITEM_COLUMNS(CN__COL_ENUM_ITEM)
    CN_VAR_COLUMNS(CN__COL_ENUM_VAR)
    CN_EVENT_COLUMNS(CN__COL_ENUM_EVENT)
    CN_COL_COUNT,
} cn_store_col_t;
/* clang-format on */

typedef struct cn_store_col_info {
    cn_store_group_t group;
    cn_colk_t kind;
    const char *name;     /* field name in columns.def, e.g. "entry_page" */
    const char *json_key; /* e.g. "entry_page" */
    const char *doc;
    int dict;          /* dictionary domain index (0..cn_store_dict_count()-1), or -1 */
    size_t row_offset; /* offsetof the field in the group's cn_*_row_t */
} cn_store_col_info_t;

/* Static catalogue entry of a column (never NULL for col < CN_COL_COUNT). */
const cn_store_col_info_t *cn_store_col(cn_store_col_t col);
/* Finds a column by group and field name; returns CN_COL_COUNT when there is none. */
cn_store_col_t cn_store_col_find(cn_store_group_t group, cn_str_t name);
/* The first column of a group and the number of its columns (they are consecutive). */
cn_store_col_t cn_store_group_first(cn_store_group_t group);
size_t cn_store_group_cols(cn_store_group_t group);
const char *cn_store_group_name(cn_store_group_t group); /* "visit", "hit"... */

/* Dictionary domains: one dictionary per DICT column name, except that
 * visit.entry_page shares "page". */
size_t cn_store_dict_count(void);
const char *cn_store_dict_name(int dict);

/* --- Opening and writing --- */

typedef struct cn_store cn_store_t;
typedef struct cn_store_snap cn_store_snap_t;
typedef struct cn_store_seg cn_store_seg_t;

typedef struct cn_store_opts {
    bool read_only;               /* open for reading only: no sink, no recovery, nothing written */
    bool background;              /* start a thread that calls cn_store_maintain() periodically */
    int64_t flush_interval_us;    /* flush buffered rows this often; default 5 s (suite key
                                     store_flush_seconds) */
    uint32_t flush_rows;          /* flush when this many hits are buffered; default 1 Mi */
    int64_t maintain_interval_us; /* background maintenance period; default 10 s */
    uint32_t retention_days;      /* 0: keep forever; default: suite key retention_days */
    bool no_fsync;                /* tests and benches only: skip fsync (not crash safe) */
} cn_store_opts_t;

/* Defaults (see the fields); suite keys in the suite's section override them at open. */
void cn_store_opts_init(cn_store_opts_t *opts);

/* Checks the keys of suite the store reads (retention_days, store_flush_seconds) as
 * cn_store_open does, opening nothing. 0, or CN_ECONFIG with err "[suite ID] KEY: what is
 * wrong". */
int cn_store_check_suite_conf(const cn_suite_conf_t *suite, cn_err_t *err);

/*
 * Opens (creating when missing, unless read_only) the store of a suite in
 * <data_dir>/store/<suite->id>/. opts may be NULL (defaults). A writable open
 * recovers to the last checkpoint: rows flushed after it are discarded.
 * Only one process may open a store writable (a lock file: CN_EEXIST).
 * Returns 0 and *out, or CN_ECORRUPT / CN_ECONFIG (unknown time zone) /
 * CN_EVERSION / a negated errno, with err saying which file and offset.
 */
int cn_store_open(const char *data_dir, const cn_suite_conf_t *suite, const cn_store_opts_t *opts,
                  cn_store_t **out, cn_err_t *err);

/* Stops the background thread, drops unflushed/uncheckpointed rows (as a
 * crash would) and frees the store. Snapshots must be released first. */
void cn_store_close(cn_store_t *store);

/* The row sink that writes into this store (not for read-only stores).
 * One thread at a time may call it. The store must outlive its use. */
cn_sink_t cn_store_sink(cn_store_t *store);

/* Makes buffered rows visible as segments now (not durable until a checkpoint). */
int cn_store_flush(cn_store_t *store);

/* Copies the checkpoint blob of the last durable checkpoint into out
 * (cleared first; empty when there is none). */
int cn_store_checkpoint_blob(cn_store_t *store, cn_buf_t *out);

/*
 * Maintenance: merges every closed day (a day before the newest day written)
 * that has more than one durable segment into one segment, merges small
 * visit segments, and drops days older than retention_days before now_us
 * (0 = now). Safe to call from any thread while the sink writes and
 * snapshots are read. Returns 0 or an error (the store stays consistent).
 */
int cn_store_maintain(cn_store_t *store, int64_t now_us);

/* Counts of the latest state (buffered rows included). */
typedef struct cn_store_stats {
    uint64_t visits;     /* visit ordinals in use: 0..visits-1 */
    uint64_t visitors;   /* visitor ordinals in use: 0..visitors-1 */
    uint64_t hits;       /* hit rows in all partitions */
    uint64_t bytes;      /* bytes of live segment and dictionary files */
    uint32_t partitions; /* days */
    uint32_t segments;   /* live segment files */
} cn_store_stats_t;
void cn_store_stats(cn_store_t *store, cn_store_stats_t *out);

/* --- Time zone: local days --- */

/* UTC offset in seconds of the suite's time zone at ts_us. Thread-safe. */
int32_t cn_store_tz_offset(const cn_store_t *store, int64_t ts_us);
/* Local day number (days since 1970-01-01 in the suite's zone) of ts_us. */
int32_t cn_store_day_of(const cn_store_t *store, int64_t ts_us);
/* UTC µs of the first instant of local day `day`, and of the next day (23, 24 or 25 h later). */
void cn_store_day_bounds(const cn_store_t *store, int32_t day, int64_t *out_start_us,
                         int64_t *out_end_us);
/* Day number of a civil date (proleptic Gregorian) and back. */
int32_t cn_store_day_from_ymd(int y, int m, int d);
void cn_store_day_to_ymd(int32_t day, int *y, int *m, int *d);

/* --- Reading: snapshots --- */

/* Takes a snapshot of the latest state. Thread-safe. Release it when done. */
int cn_store_snapshot(cn_store_t *store, cn_store_snap_t **out);
void cn_store_snap_release(cn_store_snap_t *snap);

/* Counts as of the snapshot. */
uint64_t cn_store_snap_visits(const cn_store_snap_t *snap);   /* visit ordinals 0..n-1 */
uint64_t cn_store_snap_visitors(const cn_store_snap_t *snap); /* visitor ordinals 0..n-1 */
/* The first visit ordinal still kept (retention may drop old visits); visits
 * below it read as absent. */
uint64_t cn_store_snap_first_visit(const cn_store_snap_t *snap);

/* Partitions (local days), sorted by day. */
size_t cn_store_snap_partition_count(const cn_store_snap_t *snap);
int32_t cn_store_snap_partition_day(const cn_store_snap_t *snap, size_t part);
uint64_t cn_store_snap_partition_hits(const cn_store_snap_t *snap, size_t part);
/* Index of the first partition with day >= `day` (partition_count when none). */
size_t cn_store_snap_partition_find(const cn_store_snap_t *snap, int32_t day);
/* The segments of a partition, in row order: segment k holds the hit rows
 * [cn_store_seg_first_row(), + cn_store_seg_rows(seg, CN_GROUP_HIT)) of the partition,
 * and the item/var/event rows that point at those hits. The last one may be
 * the in-memory buffer. */
size_t cn_store_snap_segment_count(const cn_store_snap_t *snap, size_t part);
const cn_store_seg_t *cn_store_snap_segment(const cn_store_snap_t *snap, size_t part, size_t k);

/* Visit segments, in ordinal order, covering [first_visit, visits) without gaps. */
size_t cn_store_snap_visit_segment_count(const cn_store_snap_t *snap);
const cn_store_seg_t *cn_store_snap_visit_segment(const cn_store_snap_t *snap, size_t k);
/* The visit segment holding ordinal `visit`, or NULL. */
const cn_store_seg_t *cn_store_snap_visit_find(const cn_store_snap_t *snap, uint64_t visit);

/* Dictionary of a domain (cn_store_col(col)->dict): entries as of the snapshot. */
uint32_t cn_store_snap_dict_len(const cn_store_snap_t *snap, int dict);
/* The string of id (< dict_len); borrowed until the snapshot is released. An
 * id out of range gives the empty slice. */
cn_str_t cn_store_snap_dict_str(const cn_store_snap_t *snap, int dict, uint32_t id);
/* The id of s, or CN_ENOTFOUND when s is not in the dictionary (as of the
 * snapshot). Thread-safe. */
int cn_store_snap_dict_id(const cn_store_snap_t *snap, int dict, cn_str_t s, uint32_t *out_id);

/* --- Reading: segments --- */

/* Rows of a group in the segment (0 for groups it does not hold). */
uint64_t cn_store_seg_rows(const cn_store_seg_t *seg, cn_store_group_t group);
/* Hit segments: partition row number of hit row 0. Visit segments: visit
 * ordinal of row 0. */
uint64_t cn_store_seg_first_row(const cn_store_seg_t *seg);
/* Smallest and largest value of a column in the segment (ids for DICT; for
 * an empty group min = max = 0). Lets a scan skip a segment, e.g. by ts. */
void cn_store_seg_minmax(const cn_store_seg_t *seg, cn_store_col_t col, int64_t *out_min,
                         int64_t *out_max);
/* True when the segment is the in-memory write buffer. */
bool cn_store_seg_is_memory(const cn_store_seg_t *seg);
/* The number of the segment's file, never reused within the store (a
 * segment file is written once and never changed): a key for caches of
 * decoded columns. 0 for the in-memory write buffer, whose rows change. */
uint64_t cn_store_seg_id(const cn_store_seg_t *seg);

/*
 * Decode rows [from, from + n) of a column into out. The u32 reader takes
 * DICT and U32 columns, the u8 reader U8 columns, the i64 reader TS and
 * MONEY columns; any other kind is CN_EINVAL. A range beyond the group's
 * rows is CN_EINVAL. Damaged data gives CN_ECORRUPT (err names the file and
 * offset); every value is checked against the column's range, so DICT ids
 * read are < the snapshot's dict_len. Thread-safe (no shared scratch).
 */
int cn_store_read_u32(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                      uint32_t *out, cn_err_t *err);
int cn_store_read_u8(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                     uint8_t *out, cn_err_t *err);
int cn_store_read_i64(const cn_store_seg_t *seg, cn_store_col_t col, uint64_t from, size_t n,
                      int64_t *out, cn_err_t *err);

/* --- Checking --- */

/* Called once per problem found by cn_store_check (what and where, one line). */
typedef void (*cn_store_problem_cb)(void *ud, const char *msg);

/* What cn_store_check looked at. retries: how many times a writer replaced
 * the manifest (and deleted files it named) while the check opened them, so
 * that it started over with the new one. */
typedef struct cn_store_check_stats {
    uint64_t segments, pages, rows, dict_entries, problems, retries;
} cn_store_check_stats_t;

/*
 * Verifies the store of suite in data_dir without changing it: manifest,
 * every checksum, every page decodes, dictionary references < dictionary
 * lengths, visit ordinals dense and in range, child rows point at hits of
 * their segment, hits in the partition of their local day. Reports each
 * problem through cb. Returns 0 when there is none, CN_ECORRUPT when there
 * are problems, another negative code when the check could not run
 * (CN_ENOTFOUND: no store; -EAGAIN: a writer replaced the manifest under
 * the check every time it tried).
 *
 * Safe while another process writes the store (`canton serve`): it checks
 * one consistent snapshot, the files of one manifest, opened before they
 * are read; when the writer replaced the manifest and deleted a file it
 * named before the check had it open, the check starts over with the new
 * manifest (stats->retries), so a checkpoint or merge under it is never
 * reported as a problem.
 */
int cn_store_check(const char *data_dir, const cn_suite_conf_t *suite, cn_store_problem_cb cb,
                   void *ud, cn_store_check_stats_t *stats, cn_err_t *err);

#endif
