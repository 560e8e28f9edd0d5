/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hitlog: the durable, append-only log of raw hits (DESIGN.md "hitlog").
 *
 * A log is a folder of segment files (docs/hitlog.md gives the format) of
 * length-prefixed records with a CRC32C each. One writer thread takes
 * appended records from a queue, writes them, and makes them durable with
 * group commit: one fsync covers every record appended during a short
 * window. Each append carries a callback that the writer thread calls once
 * the record is durable (or, in buffered mode, once it is queued), which is
 * how a collector holds its answer until the hit is on disk.
 *
 * On open, a torn tail (a partly written last record, found by its length
 * or checksum) is cut off and reported. Readers follow the log by position
 * (segment number, byte offset), and may run in other threads or processes
 * while the writer appends.
 */
#ifndef CN_HITLOG_HITLOG_H
#define CN_HITLOG_HITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

typedef struct cn_hitlog cn_hitlog_t;
typedef struct cn_hitlog_reader cn_hitlog_reader_t;

/* A position in the log: the start of a record, or the end of the log. */
typedef struct cn_hitlog_pos {
    uint32_t segment; /* segment number, from 1 */
    uint64_t offset;  /* byte offset in the segment file */
} cn_hitlog_pos_t;

typedef struct cn_hitlog_opts {
    bool buffered; /* true: callbacks fire once written, fsync once per window in the background */
    /* Group-commit window: the shortest interval between the starts of two
     * fsyncs. The writer waits out the rest of the window before taking the
     * queue, so one fsync covers every record appended meanwhile (0: no wait;
     * the queue still batches whatever arrives during an fsync). In buffered
     * mode, the interval of the background fsync. At most 1 s. */
    uint32_t group_commit_us;
    uint64_t segment_bytes;  /* roll to a new segment before one would exceed this size */
    size_t max_record_bytes; /* larger appends fail with CN_ETOOBIG; at most 256 MiB */
    /* Appends fail with CN_EFULL while this many bytes wait in the queue (0,
     * the default: no limit). A collector may set it to answer 503 instead of
     * growing memory while the disk stalls; bulk appenders leave it at 0. */
    size_t max_queue_bytes;
} cn_hitlog_opts_t;

/* Defaults: fsync mode, 1 ms window, 256 MiB segments, 16 MiB records, no queue limit. */
void cn_hitlog_opts_init(cn_hitlog_opts_t *opts);

/* What open found, for the log line that says so. */
typedef struct cn_hitlog_recovery {
    uint32_t segments;   /* segment files in the log (1 when open created the first) */
    uint64_t records;    /* records in the last segment */
    uint64_t torn_bytes; /* bytes cut from the tail (0: clean) */
    cn_hitlog_pos_t end; /* where appends continue */
} cn_hitlog_recovery_t;

/*
 * Opens (creating dir and its parents when missing) the log in dir and
 * starts its writer thread. opts may be NULL (defaults). Returns 0 and *out
 * (close with cn_hitlog_close), or a negated errno, CN_ECORRUPT (damage
 * followed by valid records in the last segment: err names the segment and
 * offset, nothing is cut) or CN_EVERSION, with err set. recovery (may be
 * NULL) says what was found. Only one writer may have a log open (flock on
 * <dir>/LOCK, also within one process): CN_EEXIST otherwise.
 */
int cn_hitlog_open(const char *dir, const cn_hitlog_opts_t *opts, cn_hitlog_t **out,
                   cn_hitlog_recovery_t *recovery, cn_err_t *err);

/*
 * Called once per append from the writer thread: status 0 when the record
 * is durable (fsync mode) or written (buffered mode), else a negative code
 * (the record may not be kept: the collector must answer 503). pos is where
 * the record starts. Must not block; post to your own loop instead.
 */
typedef void (*cn_hitlog_done_cb)(void *ud, int status, cn_hitlog_pos_t pos);

/*
 * Copies the record payload (len bytes at p) into the queue. Thread-safe;
 * cheap (framing and CRC are computed in the calling thread, the queue lock
 * is held only to link the record). Returns 0 (cb will be called exactly
 * once, later, from the writer thread), or CN_EINVAL (len 0), CN_ETOOBIG
 * (len > max_record_bytes), CN_EFULL (queue over max_queue_bytes: the disk
 * does not keep up) or CN_ECLOSED; then cb is never called. Callbacks come
 * in append order. cb may be NULL for bulk appends that end with
 * cn_hitlog_sync(), which then reports a failed write.
 */
int cn_hitlog_append(cn_hitlog_t *log, const void *p, size_t len, cn_hitlog_done_cb cb, void *ud);

/*
 * A batch: records framed in the caller's thread (length, CRC32C, payload:
 * the on-disk layout of docs/hitlog.md, back to back) and appended with one
 * queue operation and no copy. Bulk appenders (the importer) build one
 * batch per block of input in their worker threads, so that framing and
 * CRCs run on every core and the serial part is one lock per batch.
 * Initialise with CN_HITLOG_BATCH_INIT or memset 0; the fields are for
 * reading only.
 */
typedef struct cn_hitlog_batch {
    cn_buf_t buf;   /* framed records */
    size_t count;   /* records in buf */
    size_t max_len; /* the largest payload in buf */
} cn_hitlog_batch_t;

#define CN_HITLOG_BATCH_INIT                                                                       \
    {                                                                                              \
        CN_BUF_INIT, 0, 0                                                                          \
    }

/* Bytes of framing before each record's payload. */
#define CN_HITLOG_FRAME_BYTES 8u

/*
 * Adds a copy of the record (len bytes at p) to b. Returns 0, CN_EINVAL (len
 * 0) or CN_ETOOBIG (len above the format's 256 MiB limit; the log's own
 * max_record_bytes is checked when the batch is appended).
 */
int cn_hitlog_batch_add(cn_hitlog_batch_t *b, const void *p, size_t len);

/*
 * Adds a record encoded in place, without a copy: cn_hitlog_batch_begin()
 * reserves the frame and returns a mark; the caller appends the payload to
 * b->buf; cn_hitlog_batch_end(b, mark) frames it. Between the two calls
 * nothing else may touch b. end returns 0, or CN_EINVAL / CN_ETOOBIG as
 * batch_add does, and then drops what was appended since begin.
 */
size_t cn_hitlog_batch_begin(cn_hitlog_batch_t *b);
int cn_hitlog_batch_end(cn_hitlog_batch_t *b, size_t mark);

/*
 * Walks the records of b: start with *off = 0; returns 1 with *p and *len
 * (the payload, inside b) and *off moved past it, or 0 after the last one.
 */
int cn_hitlog_batch_next(const cn_hitlog_batch_t *b, size_t *off, const void **p, size_t *len);

/* Empties b, keeping its memory. */
void cn_hitlog_batch_clear(cn_hitlog_batch_t *b);
/* Frees b's memory; b is empty and usable again. */
void cn_hitlog_batch_dispose(cn_hitlog_batch_t *b);

/*
 * Appends every record of b, in order, as one unit of the queue: the log
 * takes b's memory (b is left empty, ready to be filled again) and cb is
 * called once, from the writer thread, with the position of the first
 * record and the status of the whole batch, as cn_hitlog_append() describes.
 * The records are laid out exactly as appended one by one (a batch that
 * does not fit in the current segment is split at a record boundary across
 * a roll-over); on failure a prefix of the batch may be kept (cut at a
 * record boundary). Returns 0, or CN_EINVAL (empty batch), CN_ETOOBIG (a
 * record above max_record_bytes), CN_EFULL or CN_ECLOSED, and then b is
 * untouched and cb is never called.
 */
int cn_hitlog_append_batch(cn_hitlog_t *log, cn_hitlog_batch_t *b, cn_hitlog_done_cb cb, void *ud);

/*
 * Appends synchronously from the calling thread: returns once the record is
 * durable (or written, in buffered mode). For importers and generators, which
 * should prefer cn_hitlog_append() with a callback plus one cn_hitlog_sync()
 * at the end when they append in bulk. *out_pos (may be NULL) gets the position.
 * Never call it (or cn_hitlog_sync) from a done callback: that deadlocks.
 */
int cn_hitlog_append_sync(cn_hitlog_t *log, const void *p, size_t len, cn_hitlog_pos_t *out_pos);

/*
 * Writes and fsyncs whatever was queued before the call (in buffered mode
 * too), then returns 0, or the first write or fsync error since the previous
 * cn_hitlog_sync() (some record appended meanwhile may be missing).
 */
int cn_hitlog_sync(cn_hitlog_t *log);

typedef struct cn_hitlog_stats {
    uint64_t records; /* appended since open */
    uint64_t bytes;   /* appended since open, framing included */
    uint64_t fsyncs;
    uint64_t fsync_us_total;
    /* fsync latency, per bucket (not cumulative): fsync_hist[i] counts the fsyncs
     * that took <= cn_hitlog_fsync_buckets_us[i] and more than bucket i-1's bound.
     * The last bound is UINT64_MAX (+Inf). Every fsync/fdatasync of the log counts. */
    uint64_t fsync_hist[12];
    uint64_t disk_bytes; /* all segments on disk */
    uint64_t write_errors;
} cn_hitlog_stats_t;

extern const uint64_t cn_hitlog_fsync_buckets_us[12];

/* Thread-safe snapshot of the counters, for /metrics. */
void cn_hitlog_stats(cn_hitlog_t *log, cn_hitlog_stats_t *out);
/* True when the last write and fsync succeeded (for /healthz). */
bool cn_hitlog_is_healthy(cn_hitlog_t *log);

/*
 * Drains the queue (writing, syncing and calling back every pending record),
 * stops the writer, closes files and releases the lock. Appends must have
 * stopped; later ones return CN_ECLOSED. NULL is allowed.
 */
void cn_hitlog_close(cn_hitlog_t *log);

/* --- Reading --- */

/*
 * Opens a reader on the log in dir at pos ({0,0}: the first record of the
 * oldest segment; an offset below the segment header means its first record).
 * pos must come from the log (a record start or cn_hitlog_reader_tell()).
 * Works whether or not a writer has the log open, in any thread or process.
 * Returns 0 and *out (close with cn_hitlog_reader_close), -ENOENT when dir
 * is missing, or CN_ENOTFOUND when pos names a segment older than the newest
 * that is not there. A log with no segment yet, or a pos just past the newest
 * segment, reads as empty until the writer gets there.
 */
int cn_hitlog_reader_open(const char *dir, cn_hitlog_pos_t pos, cn_hitlog_reader_t **out,
                          cn_err_t *err);

/*
 * Reads the next record: returns 1 with *p and *len pointing at its payload
 * (owned by the reader, valid until the next call) and *pos (may be NULL) at
 * its start; 0 at the current end of the log (call again later to follow a
 * growing log); CN_ECORRUPT (damage followed by valid data, or a sealed
 * segment that ends in a partial record) or CN_EVERSION with err naming the
 * segment and offset; or a negated errno. A partly written record at the end
 * of the newest segment counts as the end, not as corruption. Moves on to
 * the next segment once the writer has created it. Not thread-safe: one
 * reader per thread.
 */
int cn_hitlog_reader_next(cn_hitlog_reader_t *r, const void **p, size_t *len, cn_hitlog_pos_t *pos,
                          cn_err_t *err);

/* A record cn_hitlog_reader_next_n() returns: its payload and where it starts. */
typedef struct cn_hitlog_ref {
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
} cn_hitlog_ref_t;

/*
 * Reads up to max (>= 1) records into out, as cn_hitlog_reader_next() reads
 * one, and all of them valid until the next call of either function: the
 * first may come from a fresh read, those after it only from what the reader
 * holds already (so a call returns fewer at the edge of its read window).
 * Returns how many (0 at the current end of the log), or
 * cn_hitlog_reader_next()'s errors.
 */
int cn_hitlog_reader_next_n(cn_hitlog_reader_t *r, cn_hitlog_ref_t *out, size_t max, cn_err_t *err);

/* The position just past the last record returned. */
cn_hitlog_pos_t cn_hitlog_reader_tell(const cn_hitlog_reader_t *r);

void cn_hitlog_reader_close(cn_hitlog_reader_t *r);

#endif
