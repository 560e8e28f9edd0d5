/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hitlog readers: follow the log by position, in any thread or process,
 * with or without a writer (docs/hitlog.md). A reader reads a segment with
 * pread() into a window (segment.c), never mapped: a writer may cut the
 * newest segment's torn tail at open, or cut back a batch whose write or
 * fsync failed, and a mapped page past the new end would kill the reader
 * with SIGBUS; and a copy costs no more than mapping the page cache's
 * pages, much less where page faults are dear (segment.c, READ_CHUNK).
 *
 * At the end of what a segment holds the reader looks for the next segment.
 * The writer creates segment N+1 only after the last write to N is synced,
 * so once N+1 exists a fresh look at N's size shows all of it: then a
 * partial record at the end of N is corruption, not "not written yet".
 * The writer never writes, cuts or rewrites N after that (recovery at open
 * and the cut after a failed write touch only the newest segment).
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

#define PATH_LEN 4096

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

/* The record at r->off when the window holds all of it (cn_hitlog__file_take): *p, *len and
 * *pos (may be NULL) set, r->off moved past it. */
static inline bool take(cn_hitlog_reader_t *r, const void **p, size_t *len, cn_hitlog_pos_t *pos)
{
    const uint8_t *payload;
    uint32_t n;
    if (!cn_hitlog__file_take(&r->f, r->off, &payload, &n))
        return false;
    *p = payload;
    *len = n;
    if (pos != NULL) {
        pos->segment = r->segno;
        pos->offset = r->off;
    }
    r->off += CN_HITLOG__FRAME_LEN + n;
    return true;
}

int cn_hitlog_reader_next(cn_hitlog_reader_t *r, const void **p, size_t *len, cn_hitlog_pos_t *pos,
                          cn_err_t *err)
{
    /* The common case: a whole record in the window (cn_hitlog__file_record's
     * first step, without the call and the record struct). */
    if (r->fd >= 0 && take(r, p, len, pos))
        return 1;
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

int cn_hitlog_reader_next_n(cn_hitlog_reader_t *r, cn_hitlog_ref_t *out, size_t max, cn_err_t *err)
{
    int rc = cn_hitlog_reader_next(r, &out[0].p, &out[0].len, &out[0].pos, err);
    if (rc <= 0)
        return rc;
    size_t n = 1;
    /* the rest from the window the first is in: none of them reads the file */
    while (n < max && take(r, &out[n].p, &out[n].len, &out[n].pos))
        n++;
    return (int)n;
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
