/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Adobe query-string splitter and percent-decoder
 * (lib/url.h). Invariants: the pairs tile the input (every byte is in a
 * name, a value or a separator), decoding never grows a string, decoding in
 * place equals decoding into another buffer, a string without '%' or
 * '+' decodes to itself, and cn_query_next_pair() splits as cn_query_next()
 * does, with the right "needs decoding" flags. The escape() decoder
 * (cn_url_unescape_to) matches a slow reference that reads UTF-16 code units
 * first and pairs surrogates afterwards, apart and in place, and
 * cn_url_decode_to_u (each of its paths: SSE2, and AVX-512 where the CPU has
 * it) decodes as cn_url_decode_to and tells %u escapes and bytes >= 0x80 in
 * its output right.
 * The percent-decoder matches a bytewise reference, and each path of the
 * block splitter (SSE2, and AVX2 where the CPU has it) splits as
 * cn_query_next_pair() does, in batches of 1 to 40 pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned hexv(uint8_t c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static bool ishex(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static bool at_u_escape(const uint8_t *p, size_t n)
{
    return n >= 6 && p[0] == '%' && (p[1] == 'u' || p[1] == 'U') && ishex(p[2]) && ishex(p[3]) &&
           ishex(p[4]) && ishex(p[5]);
}

/*
 * The reference for cn_url_unescape_to: first the input as units (a byte kept as it is, or a
 * UTF-16 code unit from an escape, as unescape() makes a JavaScript string), then the units
 * as UTF-8 with the surrogates paired. Returns the output length.
 */
static size_t ref_unescape(const uint8_t *p, size_t n, char *dst)
{
    uint32_t *unit = malloc((n + 1) * sizeof(uint32_t)); /* bit 31: a raw byte */
    size_t u = 0, o = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] == '+') {
            unit[u++] = ' ';
            i++;
        } else if (p[i] == '%' && i + 2 < n && ishex(p[i + 1]) && ishex(p[i + 2])) {
            unit[u++] = hexv(p[i + 1]) << 4 | hexv(p[i + 2]);
            i += 3;
        } else if (at_u_escape(p + i, n - i)) {
            unit[u++] =
                hexv(p[i + 2]) << 12 | hexv(p[i + 3]) << 8 | hexv(p[i + 4]) << 4 | hexv(p[i + 5]);
            i += 6;
        } else {
            unit[u++] = 0x80000000u | p[i++];
        }
    }
    for (size_t k = 0; k < u; k++) {
        uint32_t cp = unit[k];
        if (cp & 0x80000000u) {
            dst[o++] = (char)(cp & 0xff);
            continue;
        }
        if (cp >= 0xd800 && cp <= 0xdbff && k + 1 < u && unit[k + 1] >= 0xdc00 &&
            unit[k + 1] <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (unit[k + 1] - 0xdc00);
            k++;
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xfffd;
        }
        if (cp < 0x80) {
            dst[o++] = (char)cp;
        } else if (cp < 0x800) {
            dst[o++] = (char)(0xc0 | cp >> 6);
            dst[o++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            dst[o++] = (char)(0xe0 | cp >> 12);
            dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            dst[o++] = (char)(0x80 | (cp & 0x3f));
        } else {
            dst[o++] = (char)(0xf0 | cp >> 18);
            dst[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            dst[o++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    free(unit);
    return o;
}

/* The percent-decoder's reference: a byte at a time. */
static size_t ref_decode(const uint8_t *p, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] == '+') {
            dst[o++] = ' ';
            i++;
        } else if (p[i] == '%' && i + 2 < n && ishex(p[i + 1]) && ishex(p[i + 2])) {
            dst[o++] = (char)(hexv(p[i + 1]) << 4 | hexv(p[i + 2]));
            i += 3;
        } else {
            dst[o++] = (char)p[i++];
        }
    }
    return o;
}

/* A splitter path gives the pairs cn_query_next_pair() gives, cap at a time. */
static void check_split(size_t (*split)(cn_str_t *, cn_query_pair_t *, size_t), const uint8_t *data,
                        size_t size, size_t cap)
{
    cn_str_t r1 = cn_str((const char *)data, size), r2 = r1;
    cn_query_pair_t *got = malloc(cap * sizeof(*got)), pr; /* exactly cap: ASan sees more */
    size_t k;
    do {
        k = split(&r2, got, cap);
        for (size_t i = 0; i < k; i++) {
            if (!cn_query_next_pair(&r1, &pr) || got[i].name.ptr != pr.name.ptr ||
                got[i].name.len != pr.name.len || got[i].value.ptr != pr.value.ptr ||
                got[i].value.len != pr.value.len || got[i].has_eq != pr.has_eq ||
                got[i].name_special != pr.name_special || got[i].value_special != pr.value_special)
                abort();
        }
    } while (k == cap);
    if (r2.len != 0 || r2.ptr != (const char *)data + size || cn_query_next_pair(&r1, &pr))
        abort();
    free(got);
}

/* The escape() checks over the whole input (one value, say). */
static void check_unescape(const uint8_t *data, size_t size)
{
    char *ref = malloc(4 * size + 1), *out = malloc(size + 1),
         *inplace = malloc(size + CN_URL_DECODE_SLACK); /* (cn_url_decode_to_u's room) */
    cn_str_t s = cn_str((const char *)data, size);
    size_t want = ref_unescape(data, size, ref);
    size_t got = cn_url_unescape_to(s, out);
    if (got > size || got != want || memcmp(out, ref, got) != 0)
        abort();
    if (size > 0)
        memcpy(inplace, data, size);
    if (cn_url_unescape_to(cn_str(inplace, size), inplace) != got || memcmp(inplace, out, got) != 0)
        abort();
    bool want_u = false, want_high = false;
    for (size_t i = 0; i < size && !want_u; i++)
        want_u = at_u_escape(data + i, size - i);
    size_t a = cn_url_decode_to(s, out);
    for (size_t i = 0; i < a; i++)
        want_high |= (unsigned char)out[i] >= 0x80;
    /* cn_url_decode_to_u, and each of its paths (SSE2, and AVX-512 where the CPU has it) */
    size_t (*fns[3])(cn_str_t, char *, unsigned *) = {cn_url_decode_to_u, cn_url__decode_to_u_sse2};
    size_t nfns = 2;
#if CN_URL_AVX2
    if (cn_url__have_avx512())
        fns[nfns++] = cn_url__decode_to_u_avx512;
#endif
    for (size_t k = 0; k < nfns; k++) {
        unsigned fl = 0;
        size_t b = fns[k](s, inplace, &fl);
        if (a != b || memcmp(out, inplace, a) != 0 || ((fl & CN_URL_HAS_U) != 0) != want_u ||
            ((fl & CN_URL_HIGH) != 0) != want_high)
            abort();
    }
    if (ref_decode(data, size, ref) != a || memcmp(ref, out, a) != 0)
        abort();
    free(ref);
    free(out);
    free(inplace);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_unescape(data, size);
    cn_str_t rest = cn_str((const char *)data, size), n, v;
    bool eq;
    size_t covered = 0, pairs = 0;
    char *out = malloc(size + 1), *inplace = malloc(size + 1);
    cn_str_t rest2 = rest;
    cn_query_pair_t pr;
    while (cn_query_next(&rest, &n, &v, &eq)) {
        /* the flagged splitter gives the same pairs, and its flags are right */
        if (!cn_query_next_pair(&rest2, &pr) || pr.name.ptr != n.ptr || pr.name.len != n.len ||
            pr.value.ptr != v.ptr || pr.value.len != v.len || pr.has_eq != eq ||
            pr.name_special != cn_query_special(n) || pr.value_special != cn_query_special(v))
            abort();
        pairs++;
        covered += n.len + v.len + (eq ? 1 : 0);
        if (n.ptr < (const char *)data || n.ptr + n.len > (const char *)data + size)
            abort();
        memcpy(inplace, n.ptr, n.len);
        size_t a = cn_url_decode_to(n, out);
        size_t b = cn_url_decode_to(cn_str(inplace, n.len), inplace);
        if (a > n.len || a != b || memcmp(out, inplace, a) != 0)
            abort();
        if (!cn_url_needs_decode(v) &&
            (cn_url_decode_to(v, out) != v.len || (v.len && memcmp(out, v.ptr, v.len) != 0)))
            abort();
    }
    /* the block splitter gives the same pairs as the pair-at-a-time one, on every path */
    size_t cap = size > 0 ? 1 + data[0] % 40 : 5; /* (a block holds up to 32 pairs) */
    check_split(cn_query_split, data, size, 5);
    check_split(cn_url__query_split_sse2, data, size, cap);
#if CN_URL_AVX2
    if (cn_url__have_avx2())
        check_split(cn_url__query_split_avx2, data, size, cap);
#endif
    size_t amps = 0;
    for (size_t i = 0; i < size; i++)
        amps += data[i] == '&';
    if (covered + amps != size || pairs > amps + 1)
        abort();
    cn_str_t s = cn_str((const char *)data, size);
    (void)cn_url_host(s);
    cn_str_t q = cn_url_strip_query(s);
    if (q.len > size)
        abort();
    bool found;
    (void)cn_url_query_param(s, CN_STR_LIT("utm_source"), &found);
    char *u8 = malloc(3 * size + 1);
    if (cn_cp1252_to_utf8(s, u8) > 3 * size)
        abort();
    free(u8);
    free(out);
    free(inplace);
    return 0;
}
