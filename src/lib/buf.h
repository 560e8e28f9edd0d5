/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer (Redis sds without the header tricks). The buffer
 * owns its bytes: cn_buf_dispose() frees them. Always NUL-terminated past
 * len so that ptr can be handed to libc, but may contain NUL bytes.
 */
#ifndef CN_LIB_BUF_H
#define CN_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/str.h"

typedef struct cn_buf {
    char *ptr;
    size_t len;
    size_t cap;
} cn_buf_t;

#define CN_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void cn_buf_init(cn_buf_t *b);
void cn_buf_dispose(cn_buf_t *b);
/* Makes room for at least extra more bytes (plus the NUL). */
void cn_buf_reserve(cn_buf_t *b, size_t extra);
void cn_buf_append(cn_buf_t *b, const void *p, size_t len);
void cn_buf_append_str(cn_buf_t *b, cn_str_t s);
void cn_buf_append_c(cn_buf_t *b, const char *s);
void cn_buf_putc(cn_buf_t *b, char c);
void cn_buf_printf(cn_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cn_buf_vprintf(cn_buf_t *b, const char *fmt, va_list ap);
/* Appends the whole file at path. Returns 0, -errno (-ENOENT: no such file),
 * or CN_ETOOBIG when limit > 0 and the file holds more than limit bytes. */
int cn_buf_append_file(cn_buf_t *b, const char *path, size_t limit);
/* Appends s as a JSON string literal, quotes included, escaping as RFC 8259
 * requires; invalid UTF-8 bytes become U+FFFD. */
void cn_buf_append_json_str(cn_buf_t *b, cn_str_t s);
/* Unsigned LEB128 varint. */
void cn_buf_put_varint(cn_buf_t *b, uint64_t v);
/* The bytes cn_buf_put_varint writes for v (1..10). */
static inline unsigned cn_varint_len(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}
void cn_buf_put_u32le(cn_buf_t *b, uint32_t v);
void cn_buf_put_u64le(cn_buf_t *b, uint64_t v);
void cn_buf_clear(cn_buf_t *b);

static inline cn_str_t cn_buf_str(const cn_buf_t *b)
{
    return cn_str(b->ptr, b->len);
}

/*
 * Reads an unsigned LEB128 varint from [*p, end). Advances *p and returns 0,
 * or returns CN_ECORRUPT when the bytes run out, the value exceeds 64 bits, or
 * the encoding is not the shortest one (a last byte of 0x00 after a
 * continuation byte, such as 0x80 0x00 for 0): only the bytes
 * cn_buf_put_varint writes for a value are read as that value, so that every
 * value has one encoding.
 */
static inline int cn_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);
/* cn_get_varint without its inline cases: the same answers, one call. */
int cn_buf__get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

static inline uint32_t cn_load_u32le(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t cn_load_u64le(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)cn_load_u32le(b) | (uint64_t)cn_load_u32le(b + 4) << 32;
}

/* Eight 7-bit groups, one a byte (top bits clear), packed into 56 bits in three steps. */
static inline uint64_t cn_varint_pack8(uint64_t x)
{
    x = (x & 0x007f007f007f007full) | (x & 0x7f007f007f007f00ull) >> 1;
    x = (x & 0x00003fff00003fffull) | (x & 0x3fff00003fff0000ull) >> 2;
    return (x & 0x000000000fffffffull) | (x & 0x0fffffff00000000ull) >> 4;
}

static inline int cn_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    /* inline: one byte (small counts and lengths) and eight (a time in µs since the epoch
     * between 1987 and 4253: the raw hit's receive time), whose last byte must not be 0 */
    const uint8_t *q = *p;
    if (q < end && q[0] < 0x80) {
        *p = q + 1;
        *out = q[0];
        return 0;
    }
    if (end - q >= 8) {
        uint64_t x = cn_load_u64le(q);
        if ((x & 0x8080808080808080ull) == 0x0080808080808080ull && (x >> 56) != 0) {
            *p = q + 8;
            *out = cn_varint_pack8(x & 0x7f7f7f7f7f7f7f7full);
            return 0;
        }
    }
    return cn_buf__get_varint(p, end, out);
}

#endif
