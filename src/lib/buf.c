/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer; see buf.h. */
#include "lib/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/xalloc.h"

void cn_buf_init(cn_buf_t *b)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void cn_buf_dispose(cn_buf_t *b)
{
    free(b->ptr);
    cn_buf_init(b);
}

void cn_buf_clear(cn_buf_t *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void cn_buf_reserve(cn_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->ptr = cn_xrealloc(b->ptr, cap);
    b->cap = cap;
}

void cn_buf_append(cn_buf_t *b, const void *p, size_t len)
{
    cn_buf_reserve(b, len);
    if (len)
        memcpy(b->ptr + b->len, p, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

void cn_buf_append_str(cn_buf_t *b, cn_str_t s)
{
    cn_buf_append(b, s.ptr, s.len);
}

void cn_buf_append_c(cn_buf_t *b, const char *s)
{
    cn_buf_append(b, s, strlen(s));
}

void cn_buf_putc(cn_buf_t *b, char c)
{
    cn_buf_append(b, &c, 1);
}

void cn_buf_vprintf(cn_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    cn_buf_reserve(b, (size_t)n);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void cn_buf_printf(cn_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cn_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void cn_buf_append_json_str(cn_buf_t *b, cn_str_t s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s.ptr;
    cn_buf_reserve(b, s.len + 2);
    cn_buf_putc(b, '"');
    size_t i = 0;
    while (i < s.len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            size_t j = i + 1;
            while (j < s.len && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
                j++;
            cn_buf_append(b, p + i, j - i);
            i = j;
            continue;
        }
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            cn_buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                cn_buf_append(b, "\\n", 2);
                break;
            case '\r':
                cn_buf_append(b, "\\r", 2);
                break;
            case '\t':
                cn_buf_append(b, "\\t", 2);
                break;
            default: {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                cn_buf_append(b, esc, 6);
            }
            }
            i++;
        } else {
            size_t n = utf8_seq_len(p + i, s.len - i);
            if (n == 0) {
                cn_buf_append(b, "\xef\xbf\xbd", 3);
                i++;
            } else {
                cn_buf_append(b, p + i, n);
                i += n;
            }
        }
    }
    cn_buf_putc(b, '"');
}

void cn_buf_put_varint(cn_buf_t *b, uint64_t v)
{
    /* written in place: checkpoints and segments put millions of them */
    if (b->len + 11 > b->cap)
        cn_buf_reserve(b, 10);
    uint8_t *p = (uint8_t *)b->ptr + b->len;
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    b->len += n;
    b->ptr[b->len] = '\0';
}

void cn_buf_put_u32le(cn_buf_t *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    cn_buf_append(b, t, 4);
}

void cn_buf_put_u64le(cn_buf_t *b, uint64_t v)
{
    cn_buf_put_u32le(b, (uint32_t)v);
    cn_buf_put_u32le(b, (uint32_t)(v >> 32));
}

int cn_buf__get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    if (q < end && q[0] < 0x80) {
        *p = q + 1;
        *out = q[0];
        return 0;
    }
    /* Up to 8 bytes from one load, without a loop: the first byte with its top bit clear
     * ends the varint, and its 7-bit groups are packed in three steps (8 groups are 56 bits:
     * no overflow test). 9 and 10 bytes, and fewer than 8 left, take the loop. */
    if (end - q >= 8) {
        uint64_t x = cn_load_u64le(q);
        uint64_t stop = ~x & 0x8080808080808080ull; /* top bit of each final-byte candidate */
        if (stop != 0) {
            /* q[0] has its top bit set, so the varint has two bytes or more: its last byte,
             * the lowest stop bit's, holds a group that is not zero (canonical) */
            uint64_t last = stop & (0 - stop);
            if ((x & (last - (last >> 7))) == 0)
                return CN_ECORRUPT;
            x &= (stop ^ (stop - 1)) & 0x7f7f7f7f7f7f7f7full; /* the varint's bytes, 7 bits each */
            *p = q + __builtin_ctzll(stop) / 8 + 1;
            *out = cn_varint_pack8(x);
            return 0;
        }
    }
    /* with 10 bytes there (the longest varint) no byte needs its own bounds test */
    bool room = end - q >= 10;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (!room && q >= end)
            return CN_ECORRUPT;
        uint8_t byte = *q++;
        if (shift == 63 && byte > 1)
            return CN_ECORRUPT;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            if (byte == 0 && shift > 0)
                return CN_ECORRUPT; /* a zero last group: not the shortest encoding */
            *p = q;
            *out = v;
            return 0;
        }
    }
    return CN_ECORRUPT;
}

int cn_buf_append_file(cn_buf_t *b, const char *path, size_t limit)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    size_t start = b->len;
    int rc = 0;
    for (;;) {
        cn_buf_reserve(b, 65536);
        size_t n = fread(b->ptr + b->len, 1, 65536, f);
        b->len += n;
        b->ptr[b->len] = '\0';
        if (limit > 0 && b->len - start > limit) {
            rc = CN_ETOOBIG;
            break;
        }
        if (n < 65536) {
            rc = ferror(f) ? -EIO : 0;
            break;
        }
    }
    fclose(f);
    return rc;
}
