/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bad-row log: <data>/badrows/badrows.log, append-only, one frame per
 * bad row: u32le payload length, u32le CRC32C of the payload, payload. The
 * payload (version 1) is: u8 version, u8 reason, varint recv_us (zigzag),
 * varint hitlog segment, varint hitlog offset, then three length-prefixed
 * byte strings (varint length): suite, detail, raw record. docs/processing.md
 * describes it. Processing cuts the log back to the size its checkpoint
 * recorded when it restarts, so a replayed tail does not repeat bad rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/crc32c.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "process/internal.h"

#define BADROW_VERSION 1
#define MAX_FRAME      (64u << 20)

struct cn_badlog {
    int fd;
    uint64_t size;
    cn_buf_t buf;
};

static const char *const reason_names[] = {
#define XX(name, val, code) [val] = code,
    CN_BADROW_MAP(XX)
#undef XX
};

const char *cn_badrow_reason_name(unsigned reason)
{
    if (reason < CN_BADROW__COUNT && reason_names[reason] != NULL)
        return reason_names[reason];
    return "unknown";
}

unsigned cn_badrow_reason_parse(const char *name)
{
    for (unsigned i = 1; i < CN_BADROW__COUNT; i++) {
        if (reason_names[i] != NULL && strcmp(reason_names[i], name) == 0)
            return i;
    }
    return 0;
}

int cn_badlog_open(const char *dir, uint64_t keep_bytes, cn_badlog_t **out, cn_err_t *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return cn_err_set(err, -errno, "%s: %s", dir, strerror(errno));
    char path[4096];
    snprintf(path, sizeof(path), "%s/badrows.log", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (keep_bytes < size) {
        if (ftruncate(fd, (off_t)keep_bytes) != 0) {
            int rc = cn_err_set(err, -errno, "%s: truncate: %s", path, strerror(errno));
            close(fd);
            return rc;
        }
        size = keep_bytes;
    }
    lseek(fd, (off_t)size, SEEK_SET);
    cn_badlog_t *l = cn_xcalloc(1, sizeof(*l));
    l->fd = fd;
    l->size = size;
    cn_buf_init(&l->buf);
    *out = l;
    return 0;
}

static void put_bytes(cn_buf_t *b, cn_str_t s)
{
    cn_buf_put_varint(b, s.len);
    cn_buf_append(b, s.ptr, s.len);
}

/* The debug line of a bad row kept: its reason, suite, hitlog position and detail. */
static void log_badrow(const cn_badrow_t *row)
{
    char suite[80], detail[256];
    cn_log_debug("bad row", "reason=%s suite=%s pos=%u:%llu detail=%s",
                 cn_badrow_reason_name(row->reason), cn_log_quote(suite, sizeof(suite), row->suite),
                 row->pos.segment, (unsigned long long)row->pos.offset,
                 cn_log_quote(detail, sizeof(detail), row->detail));
}

int cn_badlog_append(cn_badlog_t *l, const cn_badrow_t *row)
{
    cn_buf_t *b = &l->buf;
    if (cn_log_enabled(CN_LOG_DEBUG))
        log_badrow(row);
    cn_buf_clear(b);
    cn_buf_put_u32le(b, 0);
    cn_buf_put_u32le(b, 0);
    cn_buf_putc(b, BADROW_VERSION);
    cn_buf_putc(b, (char)row->reason);
    cn_buf_put_varint(b, ((uint64_t)row->recv_us << 1) ^ (uint64_t)(row->recv_us >> 63));
    cn_buf_put_varint(b, row->pos.segment);
    cn_buf_put_varint(b, row->pos.offset);
    put_bytes(b, row->suite);
    put_bytes(b, row->detail);
    put_bytes(b, row->raw);
    uint32_t plen = (uint32_t)(b->len - 8);
    uint32_t crc = cn_crc32c(0, b->ptr + 8, plen);
    for (int i = 0; i < 4; i++) {
        b->ptr[i] = (char)(plen >> (8 * i));
        b->ptr[4 + i] = (char)(crc >> (8 * i));
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(l->fd, b->ptr + off, b->len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int rc = -errno;
            /* leave no torn frame behind */
            if (ftruncate(l->fd, (off_t)l->size) == 0)
                lseek(l->fd, (off_t)l->size, SEEK_SET);
            return rc;
        }
        off += (size_t)n;
    }
    l->size += b->len;
    return 0;
}

uint64_t cn_badlog_size(const cn_badlog_t *l)
{
    return l->size;
}

int cn_badlog_sync(cn_badlog_t *l)
{
    return fdatasync(l->fd) == 0 ? 0 : -errno;
}

void cn_badlog_close(cn_badlog_t *l)
{
    if (l == NULL)
        return;
    close(l->fd);
    cn_buf_dispose(&l->buf);
    free(l);
}

static int get_bytes(const uint8_t **p, const uint8_t *end, cn_str_t *out)
{
    uint64_t n;
    if (cn_get_varint(p, end, &n) != 0 || n > (uint64_t)(end - *p))
        return CN_ECORRUPT;
    *out = cn_str((const char *)*p, (size_t)n);
    *p += n;
    return 0;
}

int cn_badrows_read(const char *data_dir, int (*cb)(void *ud, const cn_badrow_t *row), void *ud,
                    cn_err_t *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/badrows/badrows.log", data_dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? 0 : cn_err_set(err, -errno, "%s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t at = 0;
    int rc = 0;
    for (;;) {
        uint8_t hdr[8];
        size_t n = fread(hdr, 1, 8, f);
        if (n == 0)
            break;
        uint32_t len = cn_load_u32le(hdr), crc = cn_load_u32le(hdr + 4);
        /* a payload holds at least its version and reason */
        if (n < 8 || len < 2 || len > MAX_FRAME) {
            rc =
                cn_err_set(err, CN_ECORRUPT, "%s: bad frame at %llu", path, (unsigned long long)at);
            break;
        }
        if (len > cap) {
            cap = len;
            buf = cn_xrealloc(buf, cap);
        }
        if (fread(buf, 1, len, f) != len || cn_crc32c(0, buf, len) != crc) {
            rc = cn_err_set(err, CN_ECORRUPT, "%s: torn or damaged frame at %llu", path,
                            (unsigned long long)at);
            break;
        }
        const uint8_t *p = buf, *end = buf + len;
        cn_badrow_t row = {0};
        uint64_t zz, seg, off;
        if (p[0] != BADROW_VERSION) {
            rc = cn_err_set(err, CN_EVERSION, "%s: frame at %llu has version %u", path,
                            (unsigned long long)at, p[0]);
            break;
        }
        row.reason = p[1];
        p += 2;
        if (cn_get_varint(&p, end, &zz) != 0 || cn_get_varint(&p, end, &seg) != 0 ||
            cn_get_varint(&p, end, &off) != 0 || get_bytes(&p, end, &row.suite) != 0 ||
            get_bytes(&p, end, &row.detail) != 0 || get_bytes(&p, end, &row.raw) != 0) {
            rc = cn_err_set(err, CN_ECORRUPT, "%s: frame at %llu does not decode", path,
                            (unsigned long long)at);
            break;
        }
        row.recv_us = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
        row.pos.segment = (uint32_t)seg;
        row.pos.offset = off;
        at += 8 + len;
        if (cb(ud, &row) != 0)
            break;
    }
    free(buf);
    fclose(f);
    return rc;
}
