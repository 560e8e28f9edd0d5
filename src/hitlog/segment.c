/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hitlog segment format (docs/hitlog.md), read side: segment names and
 * headers, a read window over a segment file (pread), and the record
 * classifier that tells a valid record from a torn tail and from
 * corruption. The writer (recovery at open), the readers and the fuzz
 * target all go through cn_hitlog__file_record(), so there is one place
 * that trusts bytes from disk.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitlog/internal.h"
#include "lib/buf.h"
#include "lib/crc32c.h"
#include "lib/xalloc.h"

/*
 * Smallest read: records are small, so read ahead this much at a time. The
 * kernel's copy leaves the window in the cache, where each record's CRC then
 * reads it. `reprocess --all --threads 1` on the 1M log (2026-12-01, AMD
 * EPYC, Linux 6.18, six rounds in turn): 1.496 s CPU with 64 KiB windows,
 * 1.447 s with 256 KiB (medians), a quarter of the system calls.
 */
#define READ_CHUNK (256u << 10)

void cn_hitlog__header_encode(uint32_t segno, uint8_t out[CN_HITLOG__HEADER_LEN])
{
    memcpy(out, CN_HITLOG__MAGIC, 8);
    uint32_t v[2] = {CN_HITLOG__VERSION, segno};
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 4; k++)
            out[8 + 4 * i + k] = (uint8_t)(v[i] >> (8 * k));
    }
}

int cn_hitlog__header_check(const uint8_t hdr[CN_HITLOG__HEADER_LEN], uint32_t segno, cn_err_t *err)
{
    if (memcmp(hdr, CN_HITLOG__MAGIC, 8) != 0)
        return cn_err_set(err, CN_ECORRUPT, "hitlog segment %u: not a hitlog segment (bad magic)",
                          segno);
    uint32_t version = cn_load_u32le(hdr + 8);
    if (version != CN_HITLOG__VERSION)
        return cn_err_set(err, CN_EVERSION,
                          "hitlog segment %u: format version %u, this canton reads version %u",
                          segno, version, CN_HITLOG__VERSION);
    uint32_t n = cn_load_u32le(hdr + 12);
    if (n != segno)
        return cn_err_set(err, CN_ECORRUPT, "hitlog segment %u: header says segment %u", segno, n);
    return 0;
}

int cn_hitlog__seg_path(char *out, size_t out_len, const char *dir, uint32_t segno)
{
    int n = snprintf(out, out_len, "%s/%08u.log", dir, segno);
    if (n < 0 || (size_t)n >= out_len)
        return CN_ETOOBIG;
    return 0;
}

static int parse_seg_name(const char *name, uint32_t *out)
{
    if (strlen(name) != CN_HITLOG__SEG_NAMELEN || strcmp(name + 8, ".log") != 0)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int cn_hitlog__list(const char *dir, uint32_t **out, size_t *count)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -errno;
    size_t n = 0, cap = 16;
    uint32_t *v = cn_xmalloc(cap * sizeof(*v));
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        uint32_t segno;
        if (parse_seg_name(e->d_name, &segno) != 0)
            continue;
        if (n == cap) {
            cap *= 2;
            v = cn_xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = segno;
    }
    int rc = errno ? -errno : 0;
    closedir(d);
    if (rc != 0) {
        free(v);
        return rc;
    }
    qsort(v, n, sizeof(*v), cmp_u32);
    *out = v;
    *count = n;
    return 0;
}

/* --- The read window --- */

void cn_hitlog__file_init(cn_hitlog__file_t *f, int fd, uint64_t size)
{
    memset(f, 0, sizeof(*f));
    f->fd = fd;
    f->size = size;
}

void cn_hitlog__file_dispose(cn_hitlog__file_t *f)
{
    free(f->buf);
    f->buf = NULL;
    f->cap = f->buf_len = 0;
}

void cn_hitlog__file_set_size(cn_hitlog__file_t *f, uint64_t size)
{
    if (size < f->size) {
        /* The file shrank (a writer cut a torn tail): forget what we read. */
        f->buf_len = 0;
    }
    f->size = size;
}

void cn_hitlog__file_drop(cn_hitlog__file_t *f)
{
    f->buf_len = 0;
}

/*
 * Makes [off, off + len) available in the window and points *out at it. The
 * caller has checked that off + len <= f->size. Returns 0, 1 when the file
 * turned out shorter than f->size (f->size is lowered), or a negated errno.
 */
static int file_get(cn_hitlog__file_t *f, uint64_t off, size_t len, const uint8_t **out)
{
    if (off >= f->buf_off && off + len <= f->buf_off + f->buf_len) {
        *out = f->buf + (off - f->buf_off);
        return 0;
    }
    /* Read at least len bytes (checked against the file size by the caller,
     * so never more than the file holds) and a chunk ahead. */
    uint64_t want = len < READ_CHUNK ? READ_CHUNK : len;
    if (want > f->size - off)
        want = f->size - off;
    if (want > f->cap) {
        free(f->buf);
        f->buf = cn_xmalloc((size_t)want);
        f->cap = (size_t)want;
    }
    f->buf_off = off;
    f->buf_len = 0;
    while (f->buf_len < want) {
        ssize_t n =
            pread(f->fd, f->buf + f->buf_len, (size_t)want - f->buf_len, (off_t)(off + f->buf_len));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            f->buf_len = 0;
            return -errno;
        }
        if (n == 0)
            break;
        f->buf_len += (size_t)n;
    }
    if (f->buf_len < len) {
        f->size = off + f->buf_len;
        return 1;
    }
    *out = f->buf;
    return 0;
}

/* Checks for a whole record with a matching CRC at off; 1 yes, 0 no, <0 error. */
static int valid_at(cn_hitlog__file_t *f, uint64_t off)
{
    const uint8_t *p = NULL;
    if (f->size - off < CN_HITLOG__FRAME_LEN)
        return 0;
    int rc = file_get(f, off, CN_HITLOG__FRAME_LEN, &p);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    uint32_t len = cn_load_u32le(p), crc = cn_load_u32le(p + 4);
    if (len == 0 || len > CN_HITLOG__RECORD_MAX || len > f->size - off - CN_HITLOG__FRAME_LEN)
        return 0;
    rc = file_get(f, off + CN_HITLOG__FRAME_LEN, len, &p);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return cn_crc32c(0, p, len) == crc;
}

/*
 * Looks for a valid record starting after a damaged one at off: first where
 * the damaged record's length says the next one starts (hint), then at every
 * byte. Returns 1 with *out, 0 when there is none, <0 on a read error.
 */
static int find_valid_after(cn_hitlog__file_t *f, uint64_t off, uint64_t hint, uint64_t *out)
{
    int rc;
    if (hint > off && hint < f->size) {
        if ((rc = valid_at(f, hint)) != 0) {
            *out = hint;
            return rc;
        }
    }
    for (uint64_t p = off + 1; p < f->size && f->size - p >= CN_HITLOG__FRAME_LEN; p++) {
        if ((rc = valid_at(f, p)) != 0) {
            *out = p;
            return rc;
        }
    }
    return 0;
}

static int damaged(cn_hitlog__file_t *f, uint64_t off, uint64_t hint, const char *why,
                   cn_hitlog__rec_t *out)
{
    uint64_t next;
    int rc = find_valid_after(f, off, hint, &next);
    if (rc < 0)
        return rc;
    out->why = why;
    if (rc > 0) {
        out->kind = CN_HITLOG__REC_CORRUPT;
        out->next = next;
    } else {
        out->kind = CN_HITLOG__REC_TORN;
    }
    return 0;
}

int cn_hitlog__file_record(cn_hitlog__file_t *f, uint64_t off, cn_hitlog__rec_t *out)
{
    const uint8_t *p = NULL;
    uint32_t len;
    /* The common case first: a good record wholly inside the read window. Anything
     * else (the window's edge, the end of the file, damage) takes the steps below. */
    if (cn_hitlog__file_take(f, off, &p, &len)) {
        *out = (cn_hitlog__rec_t){.kind = CN_HITLOG__REC_OK,
                                  .payload = p,
                                  .len = len,
                                  .next = off + CN_HITLOG__FRAME_LEN + len};
        return 0;
    }
    memset(out, 0, sizeof(*out));
    if (off == f->size) {
        out->kind = CN_HITLOG__REC_END;
        return 0;
    }
    if (off > f->size || f->size - off < CN_HITLOG__FRAME_LEN) {
        out->kind = CN_HITLOG__REC_TORN;
        out->why = off > f->size ? "position past the end of the segment" : "partial record frame";
        return 0;
    }
    int rc = file_get(f, off, CN_HITLOG__FRAME_LEN, &p);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        out->kind = CN_HITLOG__REC_TORN;
        out->why = "segment shrank while reading";
        return 0;
    }
    len = cn_load_u32le(p);
    uint32_t crc = cn_load_u32le(p + 4);
    if (len == 0 || len > CN_HITLOG__RECORD_MAX)
        return damaged(f, off, 0, "bad record length", out);
    if (len > f->size - off - CN_HITLOG__FRAME_LEN) {
        out->kind = CN_HITLOG__REC_TORN;
        out->why = "record cut by the end of the segment";
        return 0;
    }
    rc = file_get(f, off + CN_HITLOG__FRAME_LEN, len, &p);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        out->kind = CN_HITLOG__REC_TORN;
        out->why = "segment shrank while reading";
        return 0;
    }
    uint64_t next = off + CN_HITLOG__FRAME_LEN + len;
    if (cn_crc32c(0, p, len) != crc)
        return damaged(f, off, next, "CRC mismatch", out);
    out->kind = CN_HITLOG__REC_OK;
    out->payload = p;
    out->len = len;
    out->next = next;
    return 0;
}

int cn_hitlog__scan(cn_hitlog__file_t *f, cn_hitlog__scan_result_t *out)
{
    memset(out, 0, sizeof(*out));
    uint64_t off = CN_HITLOG__HEADER_LEN;
    for (;;) {
        cn_hitlog__rec_t rec;
        int rc = cn_hitlog__file_record(f, off, &rec);
        if (rc < 0)
            return rc;
        if (rec.kind != CN_HITLOG__REC_OK) {
            out->end = off;
            out->kind = rec.kind;
            out->why = rec.why;
            return 0;
        }
        out->records++;
        off = rec.next;
    }
}
