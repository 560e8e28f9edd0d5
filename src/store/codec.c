/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Page encodings (docs/storage.md "Pages"). A page is up to
 * CN_STORE_PAGE_ROWS values of one column, handled as int64 whatever the
 * column's kind. The encoder measures every encoding exactly and keeps the
 * smallest; with a zstd level (merged segments) it also tries zstd over that
 * encoding and over bit-packing at a byte-aligned width, and keeps zstd when
 * it saves at least an eighth:
 *
 *   CONST    all values equal base; no payload
 *   BITPACK  value - base in `width` bits, LSB first (dictionary ids, ordinals, flags)
 *   RLE      (run length, zigzag(value - previous run's value)) varint pairs, the
 *            first run's value taken from base (flags, sparse columns, child-to-hit pointers)
 *   DELTA    zigzag varint of value[i] - value[i-1], value[-1] = base (timestamps)
 *
 * Arithmetic on differences is done in uint64 (wrapping), so every int64
 * range round-trips without overflow. The decoder checks every length
 * against the page's declared sizes and never reads outside its payload.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/xalloc.h"
#include "store/internal.h"

static unsigned varint_len(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t zigzag(uint64_t d)
{
    return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

static uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (uint64_t)(-(int64_t)(z & 1));
}

static unsigned bits_for(uint64_t range)
{
    return range == 0 ? 0 : 64 - (unsigned)__builtin_clzll(range);
}

static void bitpack(const int64_t *v, uint32_t n, uint64_t base, unsigned w, uint8_t *out,
                    size_t out_len)
{
    memset(out, 0, out_len);
    uint64_t bitpos = 0;
    for (uint32_t i = 0; i < n; i++, bitpos += w) {
        uint64_t x = (uint64_t)v[i] - base;
        size_t byte = bitpos >> 3;
        unsigned shift = bitpos & 7;
        unsigned left = w;
        /* first partial byte */
        out[byte] |= (uint8_t)(x << shift);
        unsigned done = 8 - shift;
        if (done >= left)
            continue;
        x >>= done;
        left -= done;
        byte++;
        while (left > 0) {
            out[byte++] = (uint8_t)x;
            x >>= 8;
            left = left > 8 ? left - 8 : 0;
        }
    }
}

static void unpack(const uint8_t *p, size_t len, uint32_t n, uint64_t base, unsigned w, int64_t *v)
{
    uint64_t mask = w == 64 ? ~0ull : ((1ull << w) - 1);
    uint64_t bitpos = 0;
    for (uint32_t i = 0; i < n; i++, bitpos += w) {
        size_t byte = bitpos >> 3;
        unsigned shift = bitpos & 7;
        uint64_t x;
        if (w <= 56 && byte + 8 <= len) {
            uint64_t word;
            memcpy(&word, p + byte, 8);
            x = (le64toh(word) >> shift) & mask;
        } else {
            /* slow path: byte by byte, never past len */
            unsigned need = shift + w;
            x = 0;
            unsigned got = 0;
            uint64_t lo = 0;
            /* gather up to 9 bytes in two words */
            uint64_t hi = 0;
            for (unsigned k = 0; got < need && byte + k < len; k++, got += 8) {
                if (k < 8)
                    lo |= (uint64_t)p[byte + k] << (8 * k);
                else
                    hi = p[byte + k];
            }
            x = lo >> shift;
            if (shift && need > 64)
                x |= hi << (64 - shift);
            x &= mask;
        }
        v[i] = (int64_t)(base + x);
    }
}

/* Builds the payload of one encoding into out (appended). */
static void build(const int64_t *v, uint32_t n, uint64_t base, uint8_t enc, unsigned w,
                  uint64_t len, cn_buf_t *out)
{
    size_t start = out->len;
    cn_buf_reserve(out, len);
    uint8_t *p = (uint8_t *)out->ptr + start;
    if (enc == CN_STORE__ENC_BITPACK) {
        bitpack(v, n, base, w, p, len);
    } else if (enc == CN_STORE__ENC_RLE) {
        uint64_t prev = base;
        for (uint32_t i = 0; i < n;) {
            uint32_t j = i + 1;
            while (j < n && v[j] == v[i])
                j++;
            p = put_varint(p, j - i);
            p = put_varint(p, zigzag((uint64_t)v[i] - prev));
            prev = (uint64_t)v[i];
            i = j;
        }
    } else {
        uint64_t prev = base;
        for (uint32_t i = 0; i < n; i++) {
            p = put_varint(p, zigzag((uint64_t)v[i] - prev));
            prev = (uint64_t)v[i];
        }
    }
    out->len = start + len;
}

void cn_store__page_encode(const int64_t *v, uint32_t n, int zstd_level, cn_buf_t *out,
                           cn_store__page_t *pg, void *zctx)
{
    CN_ASSERT(n >= 1 && n <= CN_STORE_PAGE_ROWS);
    memset(pg, 0, sizeof(*pg));
    pg->rows = n;
    int64_t mn = v[0], mx = v[0];
    for (uint32_t i = 1; i < n; i++) {
        if (v[i] < mn)
            mn = v[i];
        if (v[i] > mx)
            mx = v[i];
    }
    pg->base = mn;
    if (mn == mx) {
        pg->enc = CN_STORE__ENC_CONST;
        out->ptr[out->len] = '\0';
        return;
    }
    /* exact sizes of every encoding */
    uint64_t base = (uint64_t)mn;
    unsigned w = bits_for((uint64_t)mx - base);
    uint64_t packed = ((uint64_t)n * w + 7) / 8, rle = 0, delta = 0, prev = base, rprev = base;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        rle += varint_len(j - i) + varint_len(zigzag((uint64_t)v[i] - rprev));
        rprev = (uint64_t)v[i];
        i = j;
    }
    for (uint32_t i = 0; i < n; i++) {
        delta += varint_len(zigzag((uint64_t)v[i] - prev));
        prev = (uint64_t)v[i];
    }
    uint8_t enc;
    uint64_t raw;
    if (packed <= rle && packed <= delta) {
        enc = CN_STORE__ENC_BITPACK;
        raw = packed;
    } else if (rle <= delta) {
        enc = CN_STORE__ENC_RLE;
        raw = rle;
    } else {
        enc = CN_STORE__ENC_DELTA;
        raw = delta;
    }
    size_t start = out->len;
    build(v, n, base, enc, w, raw, out);
    pg->enc = enc;
    pg->width = enc == CN_STORE__ENC_BITPACK ? (uint8_t)w : 0;
    pg->raw_len = (uint32_t)raw;
    pg->stored_len = (uint32_t)raw;
    if (zstd_level > 0 && zctx && raw >= 64) {
        /* zstd over the best raw encoding, and over byte-aligned bit-packing, whose
         * repeats zstd finds where unaligned widths hide them */
        cn_buf_t alt = CN_BUF_INIT, z = CN_BUF_INIT;
        uint64_t best = raw - raw / 8; /* zstd must save an eighth to be worth decoding */
        unsigned aw = (w + 7) / 8 * 8;
        for (int cand = 0; cand < 2; cand++) {
            uint8_t cenc = enc;
            unsigned cw = w;
            uint64_t clen = raw;
            if (cand == 1) {
                if (enc != CN_STORE__ENC_BITPACK || aw == w || aw > 64)
                    break;
                cw = aw;
                clen = ((uint64_t)n * aw + 7) / 8;
            }
            cn_buf_clear(&alt);
            if (cand == 0)
                cn_buf_append(&alt, out->ptr + start, raw);
            else
                build(v, n, base, cenc, cw, clen, &alt);
            size_t bound = ZSTD_compressBound(clen);
            cn_buf_clear(&z);
            cn_buf_reserve(&z, bound);
            size_t zl = ZSTD_compressCCtx(zctx, z.ptr, bound, alt.ptr, clen, zstd_level);
            if (ZSTD_isError(zl) || zl >= best)
                continue;
            best = zl;
            out->len = start;
            cn_buf_append(out, z.ptr, zl);
            pg->enc = cenc;
            pg->width = cenc == CN_STORE__ENC_BITPACK ? (uint8_t)cw : 0;
            pg->raw_len = (uint32_t)clen;
            pg->stored_len = (uint32_t)zl;
            pg->zstd = 1;
        }
        cn_buf_dispose(&alt);
        cn_buf_dispose(&z);
    }
    out->ptr[out->len] = '\0';
}

void *cn_store__zctx_new(void)
{
    return ZSTD_createCCtx();
}

void cn_store__zctx_free(void *zctx)
{
    ZSTD_freeCCtx(zctx);
}

int cn_store__page_decode(const uint8_t *p, const cn_store__page_t *pg, int64_t *v,
                          cn_buf_t *scratch)
{
    uint32_t n = pg->rows;
    if (n == 0 || n > CN_STORE_PAGE_ROWS)
        return CN_ECORRUPT;
    uint64_t base = (uint64_t)pg->base;
    if (pg->enc != CN_STORE__ENC_BITPACK && pg->width != 0)
        return CN_ECORRUPT;
    if (pg->enc == CN_STORE__ENC_CONST) {
        if (pg->stored_len != 0 || pg->raw_len != 0 || pg->zstd)
            return CN_ECORRUPT;
        for (uint32_t i = 0; i < n; i++)
            v[i] = pg->base;
        return 0;
    }
    if (pg->raw_len > CN_STORE__MAX_RAW_PAGE)
        return CN_ECORRUPT;
    const uint8_t *raw = p;
    size_t raw_len = pg->stored_len;
    if (pg->zstd) {
        cn_buf_clear(scratch);
        cn_buf_reserve(scratch, pg->raw_len + 1);
        size_t got = ZSTD_decompress(scratch->ptr, pg->raw_len + 1, p, pg->stored_len);
        if (ZSTD_isError(got) || got != pg->raw_len)
            return CN_ECORRUPT;
        raw = (const uint8_t *)scratch->ptr;
        raw_len = got;
    } else if (pg->stored_len != pg->raw_len) {
        return CN_ECORRUPT;
    }
    const uint8_t *end = raw + raw_len;
    switch (pg->enc) {
    case CN_STORE__ENC_BITPACK: {
        if (pg->width == 0 || pg->width > 64 || raw_len != ((uint64_t)n * pg->width + 7) / 8)
            return CN_ECORRUPT;
        unpack(raw, raw_len, n, base, pg->width, v);
        return 0;
    }
    case CN_STORE__ENC_RLE: {
        uint32_t i = 0;
        uint64_t prev = base;
        while (i < n) {
            uint64_t run, z;
            if (cn_get_varint(&raw, end, &run) != 0 || cn_get_varint(&raw, end, &z) != 0)
                return CN_ECORRUPT;
            if (run == 0 || run > n - i)
                return CN_ECORRUPT;
            prev += unzigzag(z);
            for (uint64_t k = 0; k < run; k++)
                v[i++] = (int64_t)prev;
        }
        return raw == end ? 0 : CN_ECORRUPT;
    }
    case CN_STORE__ENC_DELTA: {
        uint64_t prev = base;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t z;
            if (cn_get_varint(&raw, end, &z) != 0)
                return CN_ECORRUPT;
            prev += unzigzag(z);
            v[i] = (int64_t)prev;
        }
        return raw == end ? 0 : CN_ECORRUPT;
    }
    }
    return CN_ECORRUPT;
}
