/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hitlog writer: open and recovery, the append queue, and the one writer
 * thread that turns queued records into durable bytes (docs/hitlog.md).
 *
 * Appenders (collector threads, importers) frame their record in their own
 * thread (length, CRC32C, a copy of the payload in one allocation), then take
 * the queue mutex only to link the node at the tail. The writer thread takes
 * the whole queue at once and handles it as one batch:
 *
 *   1. write every record with pwritev() at the end of the current segment,
 *      rolling over to a new segment (fsync the old one, create the new one,
 *      fsync the folder) when a record would take the segment past
 *      segment_bytes;
 *   2. in fsync mode, one fdatasync() for the batch (group commit);
 *   3. call every record's callback, in append order, with its position.
 *
 * While the writer is busy with fsync, new records pile up in the queue and
 * form the next batch: batches grow with the load by themselves. On top of
 * that, group_commit_us is the shortest interval between the starts of two
 * fsyncs: on a disk whose fsync is quicker than the window, the writer waits
 * for the rest of the window before taking the queue, so that one fsync
 * covers more records. In buffered mode callbacks fire right after the
 * write, and the writer fsyncs once per window while there are unsynced bytes.
 *
 * Failure: space is reserved with fallocate() before writing, so a full disk
 * usually fails a batch before any byte is written. When a write or an fsync
 * fails anyway, the segment is cut back to the end of the last good batch,
 * every record of the failed batch gets the negative errno in its callback,
 * and the log reports unhealthy until a batch succeeds again. No callback
 * ever reports success for bytes that are not durable (fsync mode).
 */
#include "hitlog/hitlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hitlog/internal.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/crc32c.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define IOV_CHUNK      1024
#define PREALLOC_BYTES (4u << 20)
#define PATH_LEN       4096

const uint64_t cn_hitlog_fsync_buckets_us[12] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000, UINT64_MAX,
};

/* One queued append, a batch of them, or (bytes 0) a sync barrier. */
typedef struct node {
    struct node *next;
    cn_hitlog_done_cb cb;
    void *ud;
    uint8_t *data;       /* framed records: frame below, or a batch's buffer (owned) */
    uint64_t bytes;      /* framed bytes at data; 0: a barrier from cn_hitlog_sync() */
    uint64_t count;      /* records at data */
    bool batch;          /* data is a batch buffer, freed with the node */
    int status;          /* set by the writer: 1 pending, 0 done, <0 failed */
    cn_hitlog_pos_t pos; /* set by the writer: where the (first) record starts */
    uint8_t frame[]; /* single append: CN_HITLOG__FRAME_LEN bytes of framing, then the payload */
} node_t;

struct cn_hitlog {
    char *dir;
    cn_hitlog_opts_t opts;
    int dir_fd;
    int lock_fd;

    /* The queue, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cond; /* the writer waits here for work */
    node_t *head, *tail;
    size_t queued_bytes;
    bool closing;
    bool writer_idle; /* the writer is waiting on cond: appenders must signal */
    pthread_t thread;

    /* Owned by the writer thread (and by open before the thread starts). */
    int seg_fd;
    uint32_t segno;
    uint64_t seg_size;  /* bytes of good data in the current segment */
    uint64_t alloc_end; /* space reserved with fallocate up to here */
    bool can_prealloc;
    bool need_truncate; /* the segment may hold bytes past seg_size */
    bool dirty;         /* bytes written since the last fsync */
    bool dir_unsynced;  /* the current segment's folder entry is not known durable yet */
    int64_t last_sync_us;
    uint64_t disk_base; /* bytes in segments before the current one */
    struct iovec iov[IOV_CHUNK];
    int iov_count;
    uint64_t pending; /* bytes in iov, not yet written, starting at seg_size */
    int sync_error;   /* first failure since the last cn_hitlog_sync() barrier */

    /* Counters, under stats_mu. */
    pthread_mutex_t stats_mu;
    cn_hitlog_stats_t stats;
    bool healthy;
};

void cn_hitlog_opts_init(cn_hitlog_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->buffered = false;
    opts->group_commit_us = 1000;
    opts->segment_bytes = 256u << 20;
    opts->max_record_bytes = 16u << 20;
    opts->max_queue_bytes = 0;
}

static void store_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void deadline_ts(int64_t mono_us, struct timespec *ts)
{
    ts->tv_sec = (time_t)(mono_us / 1000000);
    ts->tv_nsec = (long)(mono_us % 1000000) * 1000;
}

/* --- Files --- */

static int mkdir_p(const char *dir)
{
    char path[PATH_LEN];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return CN_EINVAL;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -errno;
        path[i] = c;
    }
    return 0;
}

static int pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
    const uint8_t *b = p;
    while (len > 0) {
        ssize_t n = pwrite(fd, b, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        b += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static void count_fsync(cn_hitlog_t *log, int64_t us)
{
    size_t b = 0;
    while (b < 11 && (uint64_t)us > cn_hitlog_fsync_buckets_us[b])
        b++;
    pthread_mutex_lock(&log->stats_mu);
    log->stats.fsyncs++;
    log->stats.fsync_us_total += (uint64_t)us;
    log->stats.fsync_hist[b]++;
    pthread_mutex_unlock(&log->stats_mu);
}

/* fdatasync (data) or fsync (data and all metadata) of fd, counted in the stats. */
static int sync_fd(cn_hitlog_t *log, int fd, bool full)
{
    int64_t t0 = cn_time_mono_us();
    int rc = full ? fsync(fd) : fdatasync(fd);
    rc = rc == 0 ? 0 : -errno;
    count_fsync(log, cn_time_mono_us() - t0);
    return rc;
}

/*
 * Creates segment segno with its header, durable, folder entry included. The
 * file is written and synced under a temporary name (NAME.log.tmp, which
 * readers and the segment list ignore) and renamed into place, so that a
 * segment a reader can see always has its header: a reader that sees
 * segment N+1 takes segment N as complete and never looks at it again, so
 * N+1 must not appear and then vanish while the writer goes on with N (as a
 * file created in place and removed after a failed header write or fsync
 * did). Once renamed, the segment is the current one whatever happens: a
 * failed fsync of the folder is noted (dir_unsynced) and retried by the next
 * sync, which fails its batch until it succeeds.
 */
static int create_segment(cn_hitlog_t *log, uint32_t segno, int *out_fd)
{
    char path[PATH_LEN], tmp[PATH_LEN + 4];
    uint8_t hdr[CN_HITLOG__HEADER_LEN];
    int rc = cn_hitlog__seg_path(path, sizeof(path), log->dir, segno);
    if (rc < 0)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    /* O_TRUNC, not O_EXCL: a file left by an earlier failed attempt or a crash holds nothing. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    cn_hitlog__header_encode(segno, hdr);
    if ((rc = pwrite_all(fd, hdr, sizeof(hdr), 0)) < 0 || (rc = sync_fd(log, fd, true)) < 0 ||
        (rc = rename(tmp, path) == 0 ? 0 : -errno) < 0) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    log->dir_unsynced = sync_fd(log, log->dir_fd, true) < 0;
    *out_fd = fd;
    return 0;
}

/* --- The writer thread --- */

/* Reserves room for the pending bytes; ENOSPC here fails a batch before any byte is written. */
static int prealloc(cn_hitlog_t *log)
{
    uint64_t need = log->seg_size + log->pending;
    if (!log->can_prealloc || need <= log->alloc_end)
        return 0;
    uint64_t len = need - log->seg_size;
    if (len < PREALLOC_BYTES)
        len = PREALLOC_BYTES;
    if (fallocate(log->seg_fd, FALLOC_FL_KEEP_SIZE, (off_t)log->seg_size, (off_t)len) != 0) {
        if (errno == EOPNOTSUPP || errno == ENOSYS) {
            log->can_prealloc = false;
            return 0;
        }
        return -errno;
    }
    log->alloc_end = log->seg_size + len;
    return 0;
}

/* Writes the pending iovecs at seg_size. On failure the file may hold part of them. */
static int write_pending(cn_hitlog_t *log)
{
    if (log->pending == 0)
        return 0;
    int rc = prealloc(log);
    if (rc < 0)
        return rc;
    struct iovec *iov = log->iov;
    int cnt = log->iov_count;
    uint64_t off = log->seg_size;
    log->need_truncate = true;
    while (cnt > 0) {
        ssize_t n = pwritev(log->seg_fd, iov, cnt, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (uint64_t)n;
        size_t left = (size_t)n;
        while (cnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    log->seg_size = off;
    log->need_truncate = false;
    log->dirty = true;
    log->iov_count = 0;
    log->pending = 0;
    return 0;
}

static int sync_segment(cn_hitlog_t *log)
{
    if (log->dir_unsynced) { /* a roll's folder fsync failed: nothing is durable without it */
        int rc = sync_fd(log, log->dir_fd, true);
        if (rc < 0)
            return rc;
        log->dir_unsynced = false;
    }
    if (!log->dirty)
        return 0;
    log->last_sync_us = cn_time_mono_us();
    int rc = sync_fd(log, log->seg_fd, false);
    if (rc == 0)
        log->dirty = false;
    return rc;
}

/* Cuts the segment back to good_end after a failed write or fsync. */
static void cut_back(cn_hitlog_t *log, uint64_t good_end)
{
    log->iov_count = 0;
    log->pending = 0;
    log->seg_size = good_end;
    log->need_truncate = true;
    if (ftruncate(log->seg_fd, (off_t)good_end) == 0) {
        log->need_truncate = false;
        log->alloc_end = good_end;
        /* Make the cut durable, so that a crash cannot bring back records
         * whose callbacks reported failure. */
        if (sync_fd(log, log->seg_fd, false) == 0)
            log->dirty = false;
    }
}

/* Sets the status of nodes [from, to) that are still pending. */
static void settle(node_t *from, node_t *to, int status)
{
    for (node_t *n = from; n != to; n = n->next) {
        if (n->bytes > 0 && n->status == 1)
            n->status = status;
    }
}

/* Seals the current segment and opens the next one. *synced tells whether the old one was synced.
 */
static int roll(cn_hitlog_t *log, bool *synced)
{
    *synced = false;
    int rc = sync_fd(log, log->seg_fd, true);
    log->last_sync_us = cn_time_mono_us();
    if (rc < 0)
        return rc;
    log->dirty = false;
    *synced = true;
    int fd;
    if ((rc = create_segment(log, log->segno + 1, &fd)) < 0)
        return rc;
    /* Give back what fallocate reserved past the end. */
    if (ftruncate(log->seg_fd, (off_t)log->seg_size) != 0) {
        /* Harmless: the reserved blocks lie past the end of the file. */
    }
    close(log->seg_fd);
    char q[PATH_LEN + 16];
    cn_log_debug("hitlog segment rolled", "dir=%s closed=%u closed_bytes=%llu opened=%u",
                 cn_log_quote(q, sizeof(q), cn_str_c(log->dir)), log->segno,
                 (unsigned long long)log->seg_size, log->segno + 1);
    log->disk_base += log->seg_size;
    log->seg_fd = fd;
    log->segno++;
    log->seg_size = CN_HITLOG__HEADER_LEN;
    log->alloc_end = CN_HITLOG__HEADER_LEN;
    return 0;
}

/* The buffered-mode fsync once the window has passed. */
static void background_sync(cn_hitlog_t *log)
{
    int rc = sync_segment(log);
    pthread_mutex_lock(&log->stats_mu);
    if (rc < 0)
        log->stats.write_errors++;
    log->healthy = rc == 0;
    pthread_mutex_unlock(&log->stats_mu);
}

/* Writes one batch (see the comment at the top of the file), then calls the callbacks. */
static void process(cn_hitlog_t *log, node_t *batch)
{
    int rc = 0;
    bool barrier = false;
    node_t *run_first = batch; /* first node whose record is not settled yet */
    uint64_t run_start = log->seg_size;

    if (log->need_truncate) {
        if (ftruncate(log->seg_fd, (off_t)log->seg_size) == 0)
            log->need_truncate = false;
        else
            rc = -errno;
    }
    for (node_t *n = batch; n != NULL; n = n->next) {
        n->status = 1;
        if (n->bytes == 0) {
            barrier = true;
            continue;
        }
        if (rc < 0) {
            n->status = rc;
            continue;
        }
        /* A node goes out in pieces of whole records, one per segment it lands in. */
        const uint8_t *p = n->data;
        uint64_t left = n->bytes;
        bool first = true;
        while (left > 0) {
            uint64_t end = log->seg_size + log->pending, take = left;
            if (end + left > log->opts.segment_bytes) {
                /* the records that fit; a record larger than a segment gets its own */
                take = 0;
                while (take < left) {
                    uint64_t rec = CN_HITLOG__FRAME_LEN + (uint64_t)cn_load_u32le(p + take);
                    if (end + take > CN_HITLOG__HEADER_LEN &&
                        end + take + rec > log->opts.segment_bytes)
                        break;
                    take += rec;
                }
            }
            if (take == 0) {
                bool synced = false;
                rc = write_pending(log);
                if (rc == 0)
                    rc = roll(log, &synced);
                if (synced) {
                    settle(run_first, n, 0);
                } else if (rc < 0) {
                    cut_back(log, run_start);
                    settle(run_first, n, rc);
                }
                run_first = n;
                run_start = log->seg_size;
                if (rc < 0) {
                    n->status = rc;
                    break;
                }
                continue;
            }
            if (first) {
                n->pos.segment = log->segno;
                n->pos.offset = end;
                first = false;
            }
            log->iov[log->iov_count].iov_base = (void *)p;
            log->iov[log->iov_count].iov_len = (size_t)take;
            log->iov_count++;
            log->pending += take;
            p += take;
            left -= take;
            if (log->iov_count == IOV_CHUNK && (rc = write_pending(log)) < 0) {
                cut_back(log, run_start);
                settle(run_first, n->next, rc);
                break;
            }
        }
    }
    if (rc == 0)
        rc = write_pending(log);
    if (rc == 0 && (!log->opts.buffered || barrier))
        rc = sync_segment(log);
    if (rc < 0 && (!log->opts.buffered || log->pending > 0)) {
        /* fsync mode: nothing of this run is durable. Buffered mode: only a
         * failed write undoes the run; a failed fsync of written records is
         * reported by health, as buffered mode promises nothing more. */
        cut_back(log, run_start);
        settle(run_first, NULL, rc);
    } else {
        settle(run_first, NULL, 0);
    }
    uint64_t ok_records = 0, ok_bytes = 0;
    for (node_t *n = batch; n != NULL; n = n->next) {
        if (n->bytes > 0 && n->status == 0) {
            ok_records += n->count;
            ok_bytes += n->bytes;
        }
    }
    pthread_mutex_lock(&log->stats_mu);
    log->stats.records += ok_records;
    log->stats.bytes += ok_bytes;
    log->stats.disk_bytes = log->disk_base + log->seg_size;
    if (rc < 0)
        log->stats.write_errors++;
    log->healthy = rc == 0;
    pthread_mutex_unlock(&log->stats_mu);

    if (rc < 0 && log->sync_error == 0)
        log->sync_error = rc;
    int barrier_status = log->sync_error;
    if (barrier)
        log->sync_error = 0;
    cn_hitlog_pos_t end = {log->segno, log->seg_size};
    node_t *n = batch;
    while (n != NULL) {
        node_t *next = n->next;
        if (n->cb == NULL) {
            /* fire and forget: the caller learns of errors from cn_hitlog_sync() */
        } else if (n->bytes == 0) {
            n->cb(n->ud, barrier_status, end);
        } else {
            n->cb(n->ud, n->status, n->pos);
        }
        if (n->batch)
            free(n->data);
        free(n);
        n = next;
    }
    /* Buffered mode: the periodic fsync, after the callbacks so they do not wait for it. */
    if (log->opts.buffered && log->dirty &&
        cn_time_mono_us() - log->last_sync_us >= (int64_t)log->opts.group_commit_us)
        background_sync(log);
}

static void *writer_main(void *arg)
{
    cn_hitlog_t *log = arg;
    int64_t window = log->opts.group_commit_us;
    pthread_mutex_lock(&log->mu);
    for (;;) {
        bool sync_due = false;
        while (log->head == NULL && !log->closing) {
            if (log->opts.buffered && log->dirty) {
                int64_t due = log->last_sync_us + window;
                if (cn_time_mono_us() >= due) {
                    sync_due = true;
                    break;
                }
                struct timespec ts;
                deadline_ts(due, &ts);
                log->writer_idle = true;
                pthread_cond_timedwait(&log->cond, &log->mu, &ts);
                log->writer_idle = false;
            } else {
                log->writer_idle = true;
                pthread_cond_wait(&log->cond, &log->mu);
                log->writer_idle = false;
            }
        }
        if (log->head == NULL) {
            pthread_mutex_unlock(&log->mu);
            if (sync_due || log->dirty)
                background_sync(log);
            pthread_mutex_lock(&log->mu);
            if (log->closing && log->head == NULL)
                break;
            continue;
        }
        if (!log->opts.buffered && window > 0) {
            /* Gather: at most one fsync per window. Appenders do not signal
             * while writer_idle is false, so this wait runs to its end. */
            int64_t due = log->last_sync_us + window;
            while (!log->closing && cn_time_mono_us() < due) {
                struct timespec ts;
                deadline_ts(due, &ts);
                if (pthread_cond_timedwait(&log->cond, &log->mu, &ts) == ETIMEDOUT)
                    break;
            }
        }
        node_t *batch = log->head;
        log->head = log->tail = NULL;
        log->queued_bytes = 0;
        pthread_mutex_unlock(&log->mu);
        process(log, batch);
        pthread_mutex_lock(&log->mu);
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

/* --- Open and recovery --- */

/*
 * Opens the last segment for appending: checks its header, walks its
 * records, cuts a torn tail. A segment shorter than a header is what a crash
 * during its creation leaves: it gets its header again.
 */
static int recover_last(cn_hitlog_t *log, uint32_t segno, cn_hitlog_recovery_t *rec, cn_err_t *err)
{
    char path[PATH_LEN];
    uint8_t hdr[CN_HITLOG__HEADER_LEN], want[CN_HITLOG__HEADER_LEN];
    struct stat st;
    int rc = cn_hitlog__seg_path(path, sizeof(path), log->dir, segno);
    if (rc < 0)
        return cn_err_set(err, rc, "hitlog %s: path too long", log->dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t size = (uint64_t)st.st_size;
    cn_hitlog__header_encode(segno, want);
    if (size < CN_HITLOG__HEADER_LEN) {
        ssize_t n = pread(fd, hdr, (size_t)size, 0);
        if (n != (ssize_t)size || memcmp(hdr, want, (size_t)size) != 0) {
            bool zeros = true;
            for (ssize_t i = 0; i < n; i++)
                zeros = zeros && hdr[i] == 0;
            if (n != (ssize_t)size || !zeros) {
                rc = cn_err_set(err, CN_ECORRUPT, "%s: damaged header", path);
                goto fail;
            }
        }
        if (ftruncate(fd, 0) != 0 || (rc = pwrite_all(fd, want, sizeof(want), 0)) < 0 ||
            (rc = sync_fd(log, fd, true)) < 0) {
            rc = cn_err_set(err, rc < 0 ? rc : -errno, "%s: cannot rewrite header", path);
            goto fail;
        }
        rec->torn_bytes = size;
        size = CN_HITLOG__HEADER_LEN;
    } else {
        if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
            rc = cn_err_set(err, CN_ECORRUPT, "%s: cannot read header", path);
            goto fail;
        }
        if ((rc = cn_hitlog__header_check(hdr, segno, err)) < 0) {
            if (err != NULL) {
                /* the check names the segment by number: add the folder */
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", err->msg);
                cn_err_set(err, rc, "hitlog %s: %s", log->dir, why);
            }
            goto fail;
        }
    }

    cn_hitlog__file_t f;
    cn_hitlog__scan_result_t scan;
    cn_hitlog__file_init(&f, fd, size);
    rc = cn_hitlog__scan(&f, &scan);
    cn_hitlog__file_dispose(&f);
    if (rc < 0) {
        rc = cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
        goto fail;
    }
    if (scan.kind == CN_HITLOG__REC_CORRUPT) {
        rc = cn_err_set(err, CN_ECORRUPT,
                        "hitlog %s: segment %u is corrupt at offset %llu (%s) with valid "
                        "records after it; not cutting them",
                        log->dir, segno, (unsigned long long)scan.end, scan.why);
        goto fail;
    }
    if (scan.kind == CN_HITLOG__REC_TORN) {
        if (ftruncate(fd, (off_t)scan.end) != 0 || (rc = sync_fd(log, fd, false)) < 0) {
            rc = cn_err_set(err, rc < 0 ? rc : -errno, "%s: cannot cut torn tail: %s", path,
                            strerror(errno));
            goto fail;
        }
        rec->torn_bytes += size - scan.end;
    }
    rec->records = scan.records;
    log->seg_fd = fd;
    log->segno = segno;
    log->seg_size = scan.end;
    log->alloc_end = scan.end;
    return 0;
fail:
    close(fd);
    return rc;
}

int cn_hitlog_open(const char *dir, const cn_hitlog_opts_t *opts, cn_hitlog_t **out,
                   cn_hitlog_recovery_t *recovery, cn_err_t *err)
{
    cn_hitlog_recovery_t rec = {0};
    uint32_t *segs = NULL;
    size_t nsegs = 0;
    char path[PATH_LEN];
    int rc;
    cn_hitlog_t *log = cn_xcalloc(1, sizeof(*log));
    log->dir_fd = log->lock_fd = log->seg_fd = -1;
    log->dir = cn_xstrdup(dir);
    if (opts != NULL)
        log->opts = *opts;
    else
        cn_hitlog_opts_init(&log->opts);
    if (log->opts.max_record_bytes == 0 || log->opts.max_record_bytes > CN_HITLOG__RECORD_MAX)
        log->opts.max_record_bytes = CN_HITLOG__RECORD_MAX;
    if (log->opts.segment_bytes < 4096)
        log->opts.segment_bytes = 4096;
    if (log->opts.group_commit_us > 1000000)
        log->opts.group_commit_us = 1000000;
    log->can_prealloc = true;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&log->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&log->mu, NULL);
    pthread_mutex_init(&log->stats_mu, NULL);

    if ((rc = mkdir_p(dir)) < 0) {
        cn_err_set(err, rc, "hitlog %s: cannot create folder: %s", dir, cn_strerror(rc));
        goto fail;
    }
    if ((log->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = cn_err_set(err, -errno, "hitlog %s: %s", dir, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, CN_HITLOG__LOCK_NAME);
    if ((log->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        rc = cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            rc =
                cn_err_set(err, CN_EEXIST, "hitlog %s is open for writing by another process", dir);
        else
            rc = cn_err_set(err, -errno, "%s: flock: %s", path, strerror(errno));
        goto fail;
    }
    if ((rc = cn_hitlog__list(dir, &segs, &nsegs)) < 0) {
        cn_err_set(err, rc, "hitlog %s: %s", dir, cn_strerror(rc));
        goto fail;
    }
    if (nsegs == 0) {
        if ((rc = create_segment(log, 1, &log->seg_fd)) < 0) {
            cn_err_set(err, rc, "hitlog %s: cannot create segment 1: %s", dir, cn_strerror(rc));
            goto fail;
        }
        log->segno = 1;
        log->seg_size = log->alloc_end = CN_HITLOG__HEADER_LEN;
        rec.segments = 1;
    } else {
        if ((rc = recover_last(log, segs[nsegs - 1], &rec, err)) < 0)
            goto fail;
        rec.segments = (uint32_t)nsegs;
        for (size_t i = 0; i + 1 < nsegs; i++) {
            struct stat st;
            if (cn_hitlog__seg_path(path, sizeof(path), dir, segs[i]) == 0 && stat(path, &st) == 0)
                log->disk_base += (uint64_t)st.st_size;
        }
    }
    rec.end.segment = log->segno;
    rec.end.offset = log->seg_size;
    log->last_sync_us = cn_time_mono_us();
    log->healthy = true;
    log->stats.disk_bytes = log->disk_base + log->seg_size;

    if ((rc = pthread_create(&log->thread, NULL, writer_main, log)) != 0) {
        rc = cn_err_set(err, -rc, "hitlog %s: cannot start the writer thread", dir);
        goto fail;
    }
    free(segs);
    cn_log_debug("hitlog segment opened", "for=append dir=%s segment=%u offset=%llu",
                 cn_log_quote(path, sizeof(path), cn_str_c(dir)), log->segno,
                 (unsigned long long)log->seg_size);
    if (recovery != NULL)
        *recovery = rec;
    *out = log;
    return 0;
fail:
    free(segs);
    if (log->seg_fd >= 0)
        close(log->seg_fd);
    if (log->lock_fd >= 0)
        close(log->lock_fd);
    if (log->dir_fd >= 0)
        close(log->dir_fd);
    pthread_cond_destroy(&log->cond);
    pthread_mutex_destroy(&log->mu);
    pthread_mutex_destroy(&log->stats_mu);
    free(log->dir);
    free(log);
    return rc;
}

/* --- Appending --- */

static int enqueue(cn_hitlog_t *log, node_t *n, size_t bytes)
{
    pthread_mutex_lock(&log->mu);
    if (log->closing) {
        pthread_mutex_unlock(&log->mu);
        return CN_ECLOSED;
    }
    if (bytes > 0 && log->opts.max_queue_bytes > 0 &&
        log->queued_bytes + bytes > log->opts.max_queue_bytes && log->head != NULL) {
        pthread_mutex_unlock(&log->mu);
        return CN_EFULL;
    }
    if (log->tail != NULL)
        log->tail->next = n;
    else
        log->head = n;
    log->tail = n;
    log->queued_bytes += bytes;
    bool wake = log->writer_idle;
    pthread_mutex_unlock(&log->mu);
    if (wake)
        pthread_cond_signal(&log->cond);
    return 0;
}

int cn_hitlog_append(cn_hitlog_t *log, const void *p, size_t len, cn_hitlog_done_cb cb, void *ud)
{
    if (len == 0)
        return CN_EINVAL;
    if (len > log->opts.max_record_bytes)
        return CN_ETOOBIG;
    node_t *n = cn_xmalloc(sizeof(*n) + CN_HITLOG__FRAME_LEN + len);
    n->next = NULL;
    n->cb = cb;
    n->ud = ud;
    n->data = n->frame;
    n->bytes = CN_HITLOG__FRAME_LEN + (uint64_t)len;
    n->count = 1;
    n->batch = false;
    store_u32le(n->frame, (uint32_t)len);
    store_u32le(n->frame + 4, cn_crc32c(0, p, len));
    memcpy(n->frame + CN_HITLOG__FRAME_LEN, p, len);
    int rc = enqueue(log, n, CN_HITLOG__FRAME_LEN + len);
    if (rc < 0)
        free(n);
    return rc;
}

/* --- Batches --- */

_Static_assert(CN_HITLOG_FRAME_BYTES == CN_HITLOG__FRAME_LEN, "frame size");

size_t cn_hitlog_batch_begin(cn_hitlog_batch_t *b)
{
    static const uint8_t zero[CN_HITLOG__FRAME_LEN];
    size_t mark = b->buf.len;
    cn_buf_append(&b->buf, zero, sizeof(zero));
    return mark;
}

int cn_hitlog_batch_end(cn_hitlog_batch_t *b, size_t mark)
{
    CN_ASSERT(mark + CN_HITLOG__FRAME_LEN <= b->buf.len);
    size_t len = b->buf.len - mark - CN_HITLOG__FRAME_LEN;
    if (len == 0 || len > CN_HITLOG__RECORD_MAX) {
        b->buf.len = mark;
        b->buf.ptr[mark] = '\0';
        return len == 0 ? CN_EINVAL : CN_ETOOBIG;
    }
    uint8_t *f = (uint8_t *)b->buf.ptr + mark;
    store_u32le(f, (uint32_t)len);
    store_u32le(f + 4, cn_crc32c(0, f + CN_HITLOG__FRAME_LEN, len));
    b->count++;
    if (len > b->max_len)
        b->max_len = len;
    return 0;
}

int cn_hitlog_batch_add(cn_hitlog_batch_t *b, const void *p, size_t len)
{
    if (len == 0)
        return CN_EINVAL;
    if (len > CN_HITLOG__RECORD_MAX)
        return CN_ETOOBIG;
    cn_buf_reserve(&b->buf, CN_HITLOG__FRAME_LEN + len);
    size_t mark = cn_hitlog_batch_begin(b);
    cn_buf_append(&b->buf, p, len);
    return cn_hitlog_batch_end(b, mark);
}

int cn_hitlog_batch_next(const cn_hitlog_batch_t *b, size_t *off, const void **p, size_t *len)
{
    if (*off + CN_HITLOG__FRAME_LEN > b->buf.len)
        return 0;
    uint32_t n = cn_load_u32le(b->buf.ptr + *off);
    *p = b->buf.ptr + *off + CN_HITLOG__FRAME_LEN;
    *len = n;
    *off += CN_HITLOG__FRAME_LEN + (size_t)n;
    return 1;
}

void cn_hitlog_batch_clear(cn_hitlog_batch_t *b)
{
    cn_buf_clear(&b->buf);
    b->count = 0;
    b->max_len = 0;
}

void cn_hitlog_batch_dispose(cn_hitlog_batch_t *b)
{
    cn_buf_dispose(&b->buf);
    b->count = 0;
    b->max_len = 0;
}

int cn_hitlog_append_batch(cn_hitlog_t *log, cn_hitlog_batch_t *b, cn_hitlog_done_cb cb, void *ud)
{
    if (b->count == 0 || b->buf.len == 0)
        return CN_EINVAL;
    if (b->max_len > log->opts.max_record_bytes)
        return CN_ETOOBIG;
    node_t *n = cn_xcalloc(1, sizeof(*n));
    n->cb = cb;
    n->ud = ud;
    n->data = (uint8_t *)b->buf.ptr;
    n->bytes = b->buf.len;
    n->count = b->count;
    n->batch = true;
    int rc = enqueue(log, n, b->buf.len);
    if (rc < 0) {
        free(n);
        return rc;
    }
    /* the writer owns the bytes now (and may have freed them already) */
    b->buf.ptr = NULL;
    b->buf.len = b->buf.cap = 0;
    b->count = 0;
    b->max_len = 0;
    return 0;
}

/* A caller waiting for its callback. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool done;
    int status;
    cn_hitlog_pos_t pos;
} waiter_t;

static void waiter_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    waiter_t *w = ud;
    pthread_mutex_lock(&w->mu);
    w->status = status;
    w->pos = pos;
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static int waiter_wait(waiter_t *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mu);
    return w->status;
}

static void waiter_init(waiter_t *w)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
}

int cn_hitlog_append_sync(cn_hitlog_t *log, const void *p, size_t len, cn_hitlog_pos_t *out_pos)
{
    waiter_t w;
    waiter_init(&w);
    int rc = cn_hitlog_append(log, p, len, waiter_cb, &w);
    if (rc < 0) {
        pthread_cond_destroy(&w.cond);
        pthread_mutex_destroy(&w.mu);
        return rc;
    }
    rc = waiter_wait(&w);
    if (rc == 0 && out_pos != NULL)
        *out_pos = w.pos;
    return rc;
}

int cn_hitlog_sync(cn_hitlog_t *log)
{
    waiter_t w;
    waiter_init(&w);
    node_t *n = cn_xcalloc(1, sizeof(*n));
    n->cb = waiter_cb;
    n->ud = &w;
    int rc = enqueue(log, n, 0);
    if (rc < 0) {
        free(n);
        pthread_cond_destroy(&w.cond);
        pthread_mutex_destroy(&w.mu);
        return rc;
    }
    return waiter_wait(&w);
}

/* --- Stats and close --- */

void cn_hitlog_stats(cn_hitlog_t *log, cn_hitlog_stats_t *out)
{
    pthread_mutex_lock(&log->stats_mu);
    *out = log->stats;
    pthread_mutex_unlock(&log->stats_mu);
}

bool cn_hitlog_is_healthy(cn_hitlog_t *log)
{
    pthread_mutex_lock(&log->stats_mu);
    bool ok = log->healthy;
    pthread_mutex_unlock(&log->stats_mu);
    return ok;
}

void cn_hitlog_close(cn_hitlog_t *log)
{
    if (log == NULL)
        return;
    pthread_mutex_lock(&log->mu);
    log->closing = true;
    pthread_mutex_unlock(&log->mu);
    pthread_cond_signal(&log->cond);
    pthread_join(log->thread, NULL);
    if (log->seg_fd >= 0) {
        /* Give back what fallocate reserved past the end. */
        if (ftruncate(log->seg_fd, (off_t)log->seg_size) != 0) {
            /* Harmless: the reserved blocks lie past the end of the file. */
        }
        close(log->seg_fd);
    }
    close(log->lock_fd);
    close(log->dir_fd);
    pthread_cond_destroy(&log->cond);
    pthread_mutex_destroy(&log->mu);
    pthread_mutex_destroy(&log->stats_mu);
    free(log->dir);
    free(log);
}
