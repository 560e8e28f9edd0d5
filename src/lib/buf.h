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
int cn_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

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

#endif
