/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query-string splitting and percent-decoding (see url.h). The decoder is on
 * processing's hot path (every Adobe parameter goes through it), so it works
 * on slices, in place when asked, with a table for hex digits.
 */
#include "lib/url.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* 1 for the bytes the decoder must look at: '%' and '+'. */
static const uint8_t special[256] = {['%'] = 1, ['+'] = 1};

/* 0..15 for hex digits, 0xff otherwise. */
static const uint8_t hexv[256] = {
    ['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,  ['7'] = 7,
    ['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
    ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14, ['F'] = 15,
};

static bool is_hex(unsigned char c)
{
    return hexv[c] != 0 || c == '0';
}

#ifdef __SSE2__
/* Bit i set when byte i of the 16 at p is '%' or '+'. */
static inline unsigned special16(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i m =
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('%')), _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/*
 * Scans one pair from p (n bytes left in the query): returns the pair's
 * length (up to '&' or the end), sets *eq to the offset of its first '='
 * (or the length), and *sp_name / *sp_value to whether '%' or '+' occur
 * before / after it.
 */
static size_t scan_pair(const unsigned char *p, size_t n, size_t *eq, bool *sp_name, bool *sp_value)
{
    size_t i = 0, e = SIZE_MAX;
    unsigned spn = 0, spv = 0;
#ifdef __SSE2__
    const __m128i amp = _mm_set1_epi8('&'), eqc = _mm_set1_epi8('='), pct = _mm_set1_epi8('%'),
                  plus = _mm_set1_epi8('+');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        unsigned ma = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, amp));
        unsigned me = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, eqc));
        unsigned ms = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, pct), _mm_cmpeq_epi8(v, plus)));
        unsigned lim = ma ? (1u << __builtin_ctz(ma)) - 1 : 0xffffu;
        me &= lim;
        ms &= lim;
        if (e == SIZE_MAX) {
            if (me) {
                unsigned at = (unsigned)__builtin_ctz(me);
                e = i + at;
                spn |= ms & ((1u << at) - 1);
                spv |= ms >> at >> 1;
            } else {
                spn |= ms;
            }
        } else {
            spv |= ms;
        }
        if (ma) {
            i += (size_t)__builtin_ctz(ma);
            goto done;
        }
    }
#endif
    for (; i < n && p[i] != '&'; i++) {
        if (p[i] == '=' && e == SIZE_MAX)
            e = i;
        else if (special[p[i]])
            *(e == SIZE_MAX ? &spn : &spv) |= 1;
    }
#ifdef __SSE2__
done:
#endif
    *eq = e == SIZE_MAX ? i : e;
    *sp_name = spn != 0;
    *sp_value = spv != 0;
    return i;
}

bool cn_query_next_pair(cn_str_t *rest, cn_query_pair_t *out)
{
    while (rest->len > 0) {
        const char *p = rest->ptr;
        size_t eq;
        bool spn, spv;
        size_t n = scan_pair((const unsigned char *)p, rest->len, &eq, &spn, &spv);
        if (n < rest->len) {
            rest->ptr = p + n + 1;
            rest->len -= n + 1;
        } else {
            rest->ptr += n;
            rest->len = 0;
        }
        if (n == 0)
            continue;
        out->name = cn_str(p, eq);
        out->has_eq = eq < n;
        out->value = out->has_eq ? cn_str(p + eq + 1, n - eq - 1) : cn_str(p + n, 0);
        out->name_special = spn;
        out->value_special = out->has_eq && spv;
        return true;
    }
    return false;
}

/* Masks of '&', '=' and '%'/'+' over 64 bytes (bit i: byte i). */
static void classify64(const unsigned char *p, uint64_t *amp, uint64_t *eq, uint64_t *sp)
{
    uint64_t a = 0, e = 0, s = 0;
#ifdef __SSE2__
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        a |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')))
             << (16 * k);
        e |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')))
             << (16 * k);
        s |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(
                 _mm_cmpeq_epi8(v, _mm_set1_epi8('%')), _mm_cmpeq_epi8(v, _mm_set1_epi8('+'))))
             << (16 * k);
    }
#else
    for (int i = 0; i < 64; i++) {
        a |= (uint64_t)(p[i] == '&') << i;
        e |= (uint64_t)(p[i] == '=') << i;
        s |= (uint64_t)special[p[i]] << i;
    }
#endif
    *amp = a;
    *eq = e;
    *sp = s;
}

/* Bits [from, 64) set; from may be 64. */
static inline uint64_t bits_from(size_t from)
{
    return from >= 64 ? 0 : ~0ULL << from;
}

size_t cn_query_split(cn_str_t *rest, cn_query_pair_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)rest->ptr;
    size_t n = rest->len, count = 0;
    size_t start = 0, eq = SIZE_MAX; /* the pair being read */
    bool spn = false, spv = false;
    if (cap == 0 || n == 0)
        return 0;
    for (size_t base = 0; base < n; base += 64) {
        uint64_t ma, me, ms;
        if (n - base >= 64) {
            classify64(p + base, &ma, &me, &ms);
        } else {
            unsigned char tail[64] = {0}; /* NULs match no class */
            memcpy(tail, p + base, n - base);
            classify64(tail, &ma, &me, &ms);
        }
        size_t cur = start > base ? start - base : 0;
        while (cur < 64) {
            uint64_t from = bits_from(cur), a = ma & from;
            uint64_t seg = from & (a ? ((1ULL << __builtin_ctzll(a)) - 1) : ~0ULL);
            if (eq == SIZE_MAX) {
                uint64_t e = me & seg;
                if (e) {
                    unsigned at = (unsigned)__builtin_ctzll(e);
                    eq = base + at;
                    spn |= (ms & seg & ((1ULL << at) - 1)) != 0;
                    spv |= (ms & seg & bits_from(at + 1)) != 0;
                } else {
                    spn |= (ms & seg) != 0;
                }
            } else {
                spv |= (ms & seg) != 0;
            }
            if (!a)
                break; /* the pair goes on in the next block */
            size_t end = base + (size_t)__builtin_ctzll(a);
            if (end > start) {
                cn_query_pair_t *pr = &out[count++];
                bool has_eq = eq != SIZE_MAX;
                size_t ne = has_eq ? eq : end;
                pr->name = cn_str((const char *)p + start, ne - start);
                pr->has_eq = has_eq;
                pr->value = has_eq ? cn_str((const char *)p + eq + 1, end - eq - 1)
                                   : cn_str((const char *)p + end, 0);
                pr->name_special = spn;
                pr->value_special = has_eq && spv;
                if (count == cap) {
                    rest->ptr = (const char *)p + end + 1;
                    rest->len = n - end - 1;
                    return count;
                }
            }
            start = end + 1;
            eq = SIZE_MAX;
            spn = spv = false;
            cur = start - base;
        }
    }
    if (n > start) {
        cn_query_pair_t *pr = &out[count++];
        bool has_eq = eq != SIZE_MAX;
        size_t ne = has_eq ? eq : n;
        pr->name = cn_str((const char *)p + start, ne - start);
        pr->has_eq = has_eq;
        pr->value =
            has_eq ? cn_str((const char *)p + eq + 1, n - eq - 1) : cn_str((const char *)p + n, 0);
        pr->name_special = spn;
        pr->value_special = has_eq && spv;
    }
    rest->ptr = (const char *)p + n;
    rest->len = 0;
    return count;
}

bool cn_query_next(cn_str_t *rest, cn_str_t *name, cn_str_t *value, bool *has_eq)
{
    cn_query_pair_t pr;
    if (!cn_query_next_pair(rest, &pr))
        return false;
    *name = pr.name;
    *value = pr.value;
    *has_eq = pr.has_eq;
    return true;
}

size_t cn_url_special_prefix(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= s.len; i += 16) {
        unsigned m = special16(p + i);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < s.len && !special[p[i]])
        i++;
    return i;
}

bool cn_url_needs_decode(cn_str_t s)
{
    return cn_url_special_prefix(s) < s.len;
}

size_t cn_url_decode_to(cn_str_t s, char *dst)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t o = 0, i = 0, n = s.len;
#ifdef __SSE2__
    uintptr_t d0 = (uintptr_t)dst, s0 = (uintptr_t)s.ptr;
    bool apart = d0 + n <= s0 || s0 + n <= d0; /* not in place, no overlap */
#endif
    while (i < n) {
#ifdef __SSE2__
        /* 16 bytes at a time: every store stays inside dst (o <= i, and dst
         * has room for n bytes). Apart, a block is stored whole and the run
         * up to its first escape kept; in place, only blocks without escape
         * are stored, so that no unread byte is overwritten. */
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
            unsigned m = special16(p + i);
            if (m != 0 && !apart)
                break;
            _mm_storeu_si128((__m128i *)(dst + o), v);
            if (m != 0) {
                unsigned k = (unsigned)__builtin_ctz(m);
                i += k;
                o += k;
                break;
            }
            i += 16;
            o += 16;
        }
#endif
        while (i < n && !special[p[i]])
            dst[o++] = (char)p[i++];
        if (i == n)
            break;
        if (p[i] == '+') {
            dst[o++] = ' ';
            i++;
        } else if (i + 2 < n && is_hex(p[i + 1]) && is_hex(p[i + 2])) {
            dst[o++] = (char)(hexv[p[i + 1]] << 4 | hexv[p[i + 2]]);
            i += 3;
        } else {
            dst[o++] = '%';
            i++;
        }
    }
    return o;
}

size_t cn_latin1_to_utf8(cn_str_t s, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x80) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = (char)(0xc0 | c >> 6);
            dst[o++] = (char)(0x80 | (c & 0x3f));
        }
    }
    return o;
}

cn_str_t cn_url_strip_query(cn_str_t url)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= url.len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(url.ptr + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8('?')), _mm_cmpeq_epi8(v, _mm_set1_epi8('#'))));
        if (m)
            return cn_str(url.ptr, i + (size_t)__builtin_ctz(m));
    }
#endif
    for (; i < url.len; i++) {
        if (url.ptr[i] == '?' || url.ptr[i] == '#')
            return cn_str(url.ptr, i);
    }
    return url;
}

cn_str_t cn_url_host(cn_str_t url)
{
    const char *p = url.ptr, *end = url.ptr + url.len;
    const char *sep = NULL;
    for (const char *q = p; q + 2 < end; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q;
            break;
        }
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '+' || *q == '-' || *q == '.'))
            break;
    }
    if (sep == NULL || sep == p)
        return CN_STR_NULL;
    const char *h = sep + 3, *he = h;
    while (he < end && *he != '/' && *he != '?' && *he != '#')
        he++;
    /* drop user info */
    for (const char *q = he; q > h; q--) {
        if (q[-1] == '@') {
            h = q;
            break;
        }
    }
    /* drop the port (not inside an IPv6 literal) */
    if (h < he && *h == '[') {
        const char *rb = memchr(h, ']', (size_t)(he - h));
        if (rb)
            return cn_str(h, (size_t)(rb + 1 - h));
    }
    const char *colon = memchr(h, ':', (size_t)(he - h));
    if (colon)
        he = colon;
    return cn_str(h, (size_t)(he - h));
}

cn_str_t cn_url_query_param(cn_str_t url, cn_str_t name, bool *found)
{
    *found = false;
    const char *q = memchr(url.ptr ? url.ptr : "", '?', url.len);
    if (q == NULL)
        return CN_STR_NULL;
    cn_str_t rest = cn_str(q + 1, url.len - (size_t)(q + 1 - url.ptr));
    const char *hash = memchr(rest.ptr, '#', rest.len);
    if (hash)
        rest.len = (size_t)(hash - rest.ptr);
    cn_str_t n, v;
    bool eq;
    while (cn_query_next(&rest, &n, &v, &eq)) {
        if (cn_str_eq(n, name)) {
            *found = true;
            return v;
        }
    }
    return CN_STR_NULL;
}
