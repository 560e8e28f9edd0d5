/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the hitlog: the segment file format (docs/hitlog.md) and the
 * code that reads it, shared by the writer's recovery at open, the readers
 * and the fuzz target. Everything that comes from disk is checked here
 * before it is used: lengths against the file size and the format limit,
 * payloads against their CRC32C.
 */
#ifndef CN_HITLOG_INTERNAL_H
#define CN_HITLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hitlog/hitlog.h"
#include "lib/buf.h"
#include "lib/crc32c.h"
#include "lib/err.h"

/* --- Format, version 1 (docs/hitlog.md) --- */

#define CN_HITLOG__MAGIC       "CNHITLOG" /* 8 bytes, no NUL on disk */
#define CN_HITLOG__VERSION     1
#define CN_HITLOG__HEADER_LEN  16u          /* magic | u32le version | u32le segment number */
#define CN_HITLOG__FRAME_LEN   8u           /* u32le payload length | u32le crc32c(payload) */
#define CN_HITLOG__RECORD_MAX  (256u << 20) /* largest payload the format allows */
#define CN_HITLOG__LOCK_NAME   "LOCK"
#define CN_HITLOG__SEG_NAMELEN 12 /* "%08u.log" */

/* Writes the segment header for segment number segno into out. */
void cn_hitlog__header_encode(uint32_t segno, uint8_t out[CN_HITLOG__HEADER_LEN]);

/*
 * Checks a segment header read from disk: 0, CN_ECORRUPT (bad magic or a
 * segment number that does not match the file name) or CN_EVERSION, with err
 * naming the segment.
 */
int cn_hitlog__header_check(const uint8_t hdr[CN_HITLOG__HEADER_LEN], uint32_t segno,
                            cn_err_t *err);

/* Formats "<dir>/<segno as %08u>.log" into out (out_len bytes); CN_ETOOBIG when it does not fit. */
int cn_hitlog__seg_path(char *out, size_t out_len, const char *dir, uint32_t segno);

/*
 * Lists the segment numbers in dir, ascending, into *out (caller frees with
 * free()) and *count. Returns 0 or a negated errno (-ENOENT when dir is
 * missing). Files whose names are not exactly "%08u.log" are ignored.
 */
int cn_hitlog__list(const char *dir, uint32_t **out, size_t *count);

/* --- Reading a segment file --- */

/*
 * A read window over one segment file: pread into a buffer that grows to the
 * largest record seen. size is the file size the caller last observed; the
 * window never reads past it.
 */
typedef struct cn_hitlog__file {
    int fd;
    uint64_t size;    /* file size as last observed; buf_off + buf_len never exceeds it */
    uint8_t *buf;     /* owned, malloc'd */
    size_t cap;       /* allocated bytes in buf */
    uint64_t buf_off; /* file offset of buf[0] */
    size_t buf_len;   /* valid bytes in buf */
} cn_hitlog__file_t;

void cn_hitlog__file_init(cn_hitlog__file_t *f, int fd, uint64_t size);
/* Frees the buffer; does not close fd. */
void cn_hitlog__file_dispose(cn_hitlog__file_t *f);
/* Sets a new observed size; drops buffered bytes past it. */
void cn_hitlog__file_set_size(cn_hitlog__file_t *f, uint64_t size);
/* Forgets the buffered bytes, so that the next read comes from the file. */
void cn_hitlog__file_drop(cn_hitlog__file_t *f);

/* What is at an offset of a segment. */
typedef enum cn_hitlog__rec_kind {
    CN_HITLOG__REC_OK,      /* a whole record with a matching CRC */
    CN_HITLOG__REC_END,     /* exactly the end of the file */
    CN_HITLOG__REC_TORN,    /* an unfinished or damaged record with nothing valid after it */
    CN_HITLOG__REC_CORRUPT, /* a damaged record followed by a valid one */
} cn_hitlog__rec_kind_t;

typedef struct cn_hitlog__rec {
    cn_hitlog__rec_kind_t kind;
    const uint8_t *payload; /* REC_OK: points into the file window, valid until the next call */
    uint32_t len;           /* REC_OK: payload length */
    uint64_t next;   /* REC_OK: offset after the record; REC_CORRUPT: the next valid record */
    const char *why; /* REC_TORN, REC_CORRUPT: what was wrong, a static string */
} cn_hitlog__rec_t;

/*
 * Classifies the bytes at off (off >= CN_HITLOG__HEADER_LEN) of f, whose
 * size is f->size:
 *   - a length of 0 or above CN_HITLOG__RECORD_MAX, or a CRC mismatch, is
 *     damage: CORRUPT when a valid record starts anywhere after it, else TORN;
 *   - a frame cut by the end of the file (a length that runs past it) is TORN:
 *     what a crash in the middle of a write leaves.
 * Returns 0 with *out filled, or a negated errno when reading fails.
 */
int cn_hitlog__file_record(cn_hitlog__file_t *f, uint64_t off, cn_hitlog__rec_t *out);

/*
 * The common case of cn_hitlog__file_record(), inline for the reader's loop:
 * true with *payload and *len when a whole record with a matching CRC lies
 * inside the window at off; false for anything else (the window's edge, the
 * end of the file, damage), which cn_hitlog__file_record() then classifies.
 * The window never holds bytes past f->size, so the window's bounds are the
 * only ones to check.
 */
static inline bool cn_hitlog__file_take(const cn_hitlog__file_t *f, uint64_t off,
                                        const uint8_t **payload, uint32_t *len)
{
    uint64_t rel = off - f->buf_off; /* wraps to a huge value when off < buf_off */
    if (rel > f->buf_len || f->buf_len - rel < CN_HITLOG__FRAME_LEN)
        return false;
    const uint8_t *p = f->buf + rel;
    uint32_t n = cn_load_u32le(p);
    if (n == 0 || n > CN_HITLOG__RECORD_MAX || n > f->buf_len - rel - CN_HITLOG__FRAME_LEN ||
        cn_crc32c(0, p + CN_HITLOG__FRAME_LEN, n) != cn_load_u32le(p + 4))
        return false;
    *payload = p + CN_HITLOG__FRAME_LEN;
    *len = n;
    return true;
}

/* What cn_hitlog__scan() found in a whole segment. */
typedef struct cn_hitlog__scan_result {
    uint64_t records;           /* valid records before the end (or the damage) */
    uint64_t end;               /* offset after the last valid record */
    cn_hitlog__rec_kind_t kind; /* REC_END (clean), REC_TORN or REC_CORRUPT at end */
    const char *why;            /* for TORN and CORRUPT */
} cn_hitlog__scan_result_t;

/*
 * Walks every record of the segment file in f from the header on. Returns 0
 * and *out, or a negated errno when reading fails. The header is not checked.
 */
int cn_hitlog__scan(cn_hitlog__file_t *f, cn_hitlog__scan_result_t *out);

#endif
