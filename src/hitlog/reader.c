/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hitlog readers: follow the log by position, in any thread or process,
 * with or without a writer (docs/hitlog.md). A reader maps a sealed segment
 * (one with a later segment after it) whole and reads its records in place,
 * giving back the mapped pages behind it as it goes, and reads the newest
 * segment with pread() (not mmap: a writer may cut a torn tail at open, or
 * cut back a batch whose write or fsync failed, and a mapped page past the
 * new end would kill the reader with SIGBUS).
 *
 * At the end of what a segment holds the reader looks for the next segment.
 * The writer creates segment N+1 only after the last write to N is synced,
 * so once N+1 exists a fresh look at N's size shows all of it: then a
 * partial record at the end of N is corruption, not "not written yet".
 * The writer never writes, cuts or rewrites N after that (recovery at open
 * and the cut after a failed write touch only the newest segment), so the
 * mapping of N, as long as that size, stays whole until the reader moves on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hitlog/hitlog.h"
#include "hitlog/internal.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define PATH_LEN       4096
#define PREFETCH_AHEAD 2048u /* bytes: about two records */

struct cn_hitlog_reader {
    char *dir;
    uint32_t segno; /* current segment; 0 until the log has one */
    int fd;         /* -1 while the current segment is not open */
    cn_hitlog__file_t f;
    uint64_t off; /* where the next record starts */
};

static int file_size(int fd, uint64_t *out)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    *out = (uint64_t)st.st_size;
    return 0;
}

/* The smallest segment number above after, or 0 when there is none. */
static int next_segment(const cn_hitlog_reader_t *r, uint32_t after, uint32_t *out)
{
    char path[PATH_LEN];
    struct stat st;
    *out = 0;
    if (after < UINT32_MAX && cn_hitlog__seg_path(path, sizeof(path), r->dir, after + 1) == 0 &&
        stat(path, &st) == 0) {
        *out = after + 1;
        return 0;
    }
    uint32_t *segs;
    size_t n;
    int rc = cn_hitlog__list(r->dir, &segs, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (segs[i] > after) {
            *out = segs[i];
            break;
        }
    }
    free(segs);
    return 0;
}

static void close_segment(cn_hitlog_reader_t *r)
{
    if (r->fd >= 0) {
        cn_hitlog__file_dispose(&r->f);
        close(r->fd);
        r->fd = -1;
    }
}

/*
 * Maps the open segment when it is sealed (see the top of the file): a
 * later segment exists, and the size is looked at after that, so it is the
 * final one. Otherwise, or when mmap fails (address space on a 32-bit
 * build), the segment is read with pread as before: the records are the
 * same either way.
 */
static void map_if_sealed(cn_hitlog_reader_t *r)
{
    uint32_t next = 0;
    uint64_t size = 0;
    if (next_segment(r, r->segno, &next) < 0 || next == 0 || file_size(r->fd, &size) < 0 ||
        size < CN_HITLOG__HEADER_LEN)
        return;
    if (size != r->f.size)
        cn_hitlog__file_set_size(&r->f, size);
    int rc = cn_hitlog__file_map(&r->f);
    if (rc < 0)
        cn_log_debug("hitlog segment not mapped", "segment=%u why=%s", r->segno, cn_strerror(rc));
}

/*
 * Opens r->segno and checks its header. Returns 1 when open, 0 when it is
 * not there yet (or its header is still being written), or an error.
 */
static int open_segment(cn_hitlog_reader_t *r, cn_err_t *err)
{
    char path[PATH_LEN];
    uint8_t hdr[CN_HITLOG__HEADER_LEN];
    uint64_t size = 0;
    int rc = cn_hitlog__seg_path(path, sizeof(path), r->dir, r->segno);
    if (rc < 0)
        return cn_err_set(err, rc, "hitlog %s: path too long", r->dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    }
    if ((rc = file_size(fd, &size)) < 0) {
        close(fd);
        return cn_err_set(err, rc, "%s: %s", path, cn_strerror(rc));
    }
    if (size < CN_HITLOG__HEADER_LEN) {
        close(fd);
        uint32_t next;
        if ((rc = next_segment(r, r->segno, &next)) < 0)
            return cn_err_set(err, rc, "hitlog %s: %s", r->dir, cn_strerror(rc));
        if (next != 0)
            return cn_err_set(err, CN_ECORRUPT, "hitlog segment %u: shorter than its header",
                              r->segno);
        return 0;
    }
    if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
        close(fd);
        return cn_err_set(err, CN_ECORRUPT, "hitlog segment %u: cannot read its header", r->segno);
    }
    if ((rc = cn_hitlog__header_check(hdr, r->segno, err)) < 0) {
        close(fd);
        return rc;
    }
    r->fd = fd;
    cn_hitlog__file_init(&r->f, fd, size);
    if (r->off < CN_HITLOG__HEADER_LEN)
        r->off = CN_HITLOG__HEADER_LEN;
    map_if_sealed(r);
    return 1;
}

int cn_hitlog_reader_open(const char *dir, cn_hitlog_pos_t pos, cn_hitlog_reader_t **out,
                          cn_err_t *err)
{
    uint32_t *segs;
    size_t n;
    int rc = cn_hitlog__list(dir, &segs, &n);
    if (rc < 0)
        return cn_err_set(err, rc, "hitlog %s: %s", dir, cn_strerror(rc));
    cn_hitlog_reader_t *r = cn_xcalloc(1, sizeof(*r));
    r->dir = cn_xstrdup(dir);
    r->fd = -1;
    if (pos.segment == 0) {
        r->segno = n > 0 ? segs[0] : 0;
        r->off = CN_HITLOG__HEADER_LEN;
    } else {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found = found || segs[i] == pos.segment;
        if (!found && n > 0 && pos.segment <= segs[n - 1]) {
            free(segs);
            free(r->dir);
            free(r);
            return cn_err_set(err, CN_ENOTFOUND, "hitlog %s: no segment %u", dir, pos.segment);
        }
        r->segno = pos.segment;
        r->off = pos.offset < CN_HITLOG__HEADER_LEN ? CN_HITLOG__HEADER_LEN : pos.offset;
    }
    free(segs);
    *out = r;
    return 0;
}

static int corrupt(cn_hitlog_reader_t *r, const char *why, cn_err_t *err)
{
    return cn_err_set(err, CN_ECORRUPT, "hitlog segment %u is corrupt at offset %llu: %s", r->segno,
                      (unsigned long long)r->off, why);
}

/*
 * Mapped: asks for the bytes PREFETCH_AHEAD past the record just returned,
 * as many as it took, so that the CRC of the record after next finds them
 * in the cache, as it does after pread's copy. Without it the CRC waits on
 * memory: crc32_iscsi_01 took 8.2% of `reprocess --all --threads 1`'s CPU
 * samples on the 1M log, 4.6% with it (and the reader itself 0.5 -> 2.0%);
 * asking only for the first lines of each page ahead (the TLB walk and the
 * hardware prefetcher's start) left it at 8.0%.
 */
static inline void prefetch_ahead(const cn_hitlog__file_t *f, uint64_t from, uint64_t to)
{
    uint64_t end = to + PREFETCH_AHEAD < f->map_len ? to + PREFETCH_AHEAD : f->map_len;
    for (uint64_t a = (from + PREFETCH_AHEAD) & ~(uint64_t)63; a < end; a += 64)
        __builtin_prefetch(f->buf + a);
}

int cn_hitlog_reader_next(cn_hitlog_reader_t *r, const void **p, size_t *len, cn_hitlog_pos_t *pos,
                          cn_err_t *err)
{
    const uint8_t *payload;
    uint32_t n;
    /* The common case: a whole record in the window (cn_hitlog__file_record's
     * first step, without the call and the record struct). */
    if (r->fd >= 0 && cn_hitlog__file_take(&r->f, r->off, &payload, &n)) {
        uint64_t next = r->off + CN_HITLOG__FRAME_LEN + n;
        if (r->f.map_len > 0) {
            prefetch_ahead(&r->f, r->off, next);
            if (r->off >= r->f.released + CN_HITLOG__RELEASE_STEP)
                cn_hitlog__file_release(&r->f, r->off); /* the pages behind this record */
        }
        *p = payload;
        *len = n;
        if (pos != NULL) {
            pos->segment = r->segno;
            pos->offset = r->off;
        }
        r->off = next;
        return 1;
    }
    int rc;
    bool retried = false;
    for (;;) {
        if (r->fd < 0) {
            if (r->segno == 0) {
                if ((rc = next_segment(r, 0, &r->segno)) < 0)
                    return cn_err_set(err, rc, "hitlog %s: %s", r->dir, cn_strerror(rc));
                if (r->segno == 0)
                    return 0;
            }
            if ((rc = open_segment(r, err)) <= 0)
                return rc;
        }
        cn_hitlog__rec_t rec;
        if ((rc = cn_hitlog__file_record(&r->f, r->off, &rec)) < 0)
            return cn_err_set(err, rc, "hitlog segment %u: %s", r->segno, cn_strerror(rc));
        if (rec.kind == CN_HITLOG__REC_OK) {
            *p = rec.payload;
            *len = rec.len;
            if (pos != NULL) {
                pos->segment = r->segno;
                pos->offset = r->off;
            }
            r->off = rec.next;
            return 1;
        }
        /*
         * Past this point the bytes at r->off are not a record yet. Drop the
         * window: a writer that cut a torn tail at open and appended again
         * has replaced bytes we may hold, and the next look must see the file.
         */
        cn_hitlog__file_drop(&r->f);
        if (rec.kind == CN_HITLOG__REC_CORRUPT) {
            if (retried)
                return corrupt(r, rec.why, err);
            retried = true; /* once, from the file, in case it changed under us */
            continue;
        }
        /* The end of what we have seen: has the segment grown since? */
        uint64_t size = 0;
        if ((rc = file_size(r->fd, &size)) < 0)
            return cn_err_set(err, rc, "hitlog segment %u: %s", r->segno, cn_strerror(rc));
        if (size != r->f.size) {
            cn_hitlog__file_set_size(&r->f, size);
            continue;
        }
        uint32_t next;
        if ((rc = next_segment(r, r->segno, &next)) < 0)
            return cn_err_set(err, rc, "hitlog %s: %s", r->dir, cn_strerror(rc));
        if (next == 0)
            return 0;
        /* A later segment exists, so this one is complete: look once more. */
        if ((rc = file_size(r->fd, &size)) < 0)
            return cn_err_set(err, rc, "hitlog segment %u: %s", r->segno, cn_strerror(rc));
        if (size != r->f.size) {
            cn_hitlog__file_set_size(&r->f, size);
            continue;
        }
        if (rec.kind == CN_HITLOG__REC_TORN)
            return corrupt(r, rec.why, err);
        close_segment(r);
        cn_log_debug("hitlog reader moved on", "segment=%u next=%u", r->segno, next);
        r->segno = next;
        r->off = CN_HITLOG__HEADER_LEN;
    }
}

cn_hitlog_pos_t cn_hitlog_reader_tell(const cn_hitlog_reader_t *r)
{
    cn_hitlog_pos_t pos = {r->segno, r->off};
    return pos;
}

void cn_hitlog_reader_close(cn_hitlog_reader_t *r)
{
    if (r == NULL)
        return;
    close_segment(r);
    free(r->dir);
    free(r);
}
