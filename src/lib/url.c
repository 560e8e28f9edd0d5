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
#if CN_URL_AVX2
#include <immintrin.h>
#endif

/* 1 for the bytes the decoder must look at: '%' and '+'. */
static const uint8_t special[256] = {['%'] = 1, ['+'] = 1};

/* 1 for the bytes that make a split part "special" (url.h): '%', '+' and 0x80-0xff. */
static const uint8_t split_special[256] = {['%'] = 1, ['+'] = 1, [0x80 ... 0xff] = 1};

/* The value of a hex digit, 0x100 for the other bytes: hexv[a] << 4 | hexv[b] is the byte
 * "%ab" stands for, or >= 0x100 when it stands for none (one test for both digits). */
static const uint16_t hexv[256] = {[0 ... '0' - 1] = 0x100,
                                   ['0'] = 0,
                                   ['1'] = 1,
                                   ['2'] = 2,
                                   ['3'] = 3,
                                   ['4'] = 4,
                                   ['5'] = 5,
                                   ['6'] = 6,
                                   ['7'] = 7,
                                   ['8'] = 8,
                                   ['9'] = 9,
                                   [':' ... '@'] = 0x100,
                                   ['A'] = 10,
                                   ['B'] = 11,
                                   ['C'] = 12,
                                   ['D'] = 13,
                                   ['E'] = 14,
                                   ['F'] = 15,
                                   ['G' ... '`'] = 0x100,
                                   ['a'] = 10,
                                   ['b'] = 11,
                                   ['c'] = 12,
                                   ['d'] = 13,
                                   ['e'] = 14,
                                   ['f'] = 15,
                                   ['g' ... 255] = 0x100};

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
 * (or the length), and *sp_name / *sp_value to whether '%', '+' or a byte
 * >= 0x80 occur before / after it.
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
        unsigned ms =
            (unsigned)_mm_movemask_epi8(/* (a byte >= 0x80 has its sign bit) */
                                        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, pct),
                                                                  _mm_cmpeq_epi8(v, plus)),
                                                     v));
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
        else if (split_special[p[i]])
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

/* The masks of one 64-byte block (bit i: byte i): '&', '=', and the bytes that make a part
 * special ('%', '+' and 0x80-0xff). */
typedef struct block_masks {
    uint64_t amp, eq, sp;
} block_masks_t;

/* The block's masks 16 bytes at a time (SSE2, the x86-64 baseline), or a byte at a time. */
static inline __attribute__((always_inline)) block_masks_t classify64(const unsigned char *p)
{
    uint64_t a = 0, e = 0, s = 0;
#ifdef __SSE2__
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        a |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')))
             << (16 * k);
        e |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')))
             << (16 * k);
        s |= (uint64_t)(unsigned)_mm_movemask_epi8(
                 _mm_or_si128(/* sign bit: >= 0x80 */
                              _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('%')),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8('+'))),
                              v))
             << (16 * k);
    }
#else
    for (int i = 0; i < 64; i++) {
        a |= (uint64_t)(p[i] == '&') << i;
        e |= (uint64_t)(p[i] == '=') << i;
        s |= (uint64_t)split_special[p[i]] << i;
    }
#endif
    return (block_masks_t){a, e, s};
}

/* classify64() through pointers, for the SSE2 splitter (GCC 12 allocates its registers
 * better so: 2 M fewer instructions on the 100k log than with the struct). */
static void classify64_to(const unsigned char *p, uint64_t *amp, uint64_t *eq, uint64_t *sp)
{
    block_masks_t m = classify64(p);
    *amp = m.amp;
    *eq = m.eq;
    *sp = m.sp;
}

/* The index of the lowest set bit of x != 0, as a size_t: positions in a block are kept
 * 64-bit, so that the lengths stored from them need no widening. */
static inline size_t ctz64(uint64_t x)
{
    return (size_t)__builtin_ctzll(x);
}

static inline void put_pair(cn_query_pair_t *pr, const unsigned char *p, size_t start, size_t eq,
                            size_t end, bool spn, bool spv)
{
    bool has_eq = eq != SIZE_MAX;
    size_t ne = has_eq ? eq : end;
    pr->name = cn_str((const char *)p + start, ne - start);
    pr->has_eq = has_eq;
    pr->value =
        has_eq ? cn_str((const char *)p + eq + 1, end - eq - 1) : cn_str((const char *)p + end, 0);
    pr->name_special = spn;
    pr->value_special = has_eq && spv;
}

/*
 * cn_query_split() for any x86-64 (SSE2): fixed 64-byte blocks, the pair that runs across a
 * block's end carried to the next.
 */
size_t cn_url__query_split_sse2(cn_str_t *rest, cn_query_pair_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)rest->ptr;
    size_t n = rest->len;
    cn_query_pair_t *o = out, *const o_end = out + cap;
    /* the pair being read: it started at start, and its '=' (if seen) is at eq */
    size_t start = 0, eq = SIZE_MAX;
    bool spn = false, spv = false;
    size_t end = 0; /* in the block: 64-bit, so that no length needs widening */
    if (cap == 0 || n == 0)
        return 0;
    for (size_t base = 0; base < n; base += 64) {
        uint64_t ma, me, ms;
        if (n - base >= 64) {
            classify64_to(p + base, &ma, &me, &ms);
        } else {
            unsigned char tail[64] = {0}; /* NULs match no class */
            memcpy(tail, p + base, n - base);
            classify64_to(tail, &ma, &me, &ms);
        }
        /*
         * The masks of a pair come from its two ends without a shift: for a the '&' bits not
         * yet taken, a ^ (a - 1) is the bits up to and including the next '&' (cur), and the
         * pair's own bits (with its '&') are cur ^ prev, prev being the bits up to the last
         * '&'. Within them the lowest '=' or '&' bit (x) ends the name; x - 1 holds the bits
         * below it and bits of '=' and '&' above it, which are never special, so the name's
         * specials are sp & (x - 1) and the value's the rest of sp.
         */
        uint64_t a = ma, prev;
        if (a) {
            /* the open pair (it started before this block, or at its first byte) ends at the
             * first '&' */
            uint64_t cur = a ^ (a - 1);
            uint64_t sp = ms & cur;
            end = ctz64(a);
            a &= a - 1;
            if (eq == SIZE_MAX) {
                uint64_t x = me & cur;
                if (x) {
                    eq = base + (unsigned)__builtin_ctzll(x);
                    spn |= (sp & (x - 1)) != 0;
                    spv = (sp & -x) != 0;
                } else {
                    spn |= sp != 0;
                }
            } else {
                spv |= sp != 0;
            }
            if (base + end > start) {
                put_pair(o++, p, start, eq, base + end, spn, spv);
                if (o == o_end)
                    goto full;
            }
            prev = cur;
        } else {
            /* no '&': the open pair goes on over the whole block */
            if (eq == SIZE_MAX) {
                if (me) {
                    eq = base + (unsigned)__builtin_ctzll(me);
                    spn |= (ms & (me - 1)) != 0;
                    spv = (ms & -me) != 0;
                } else {
                    spn |= ms != 0;
                }
            } else {
                spv |= ms != 0;
            }
            continue;
        }
        /* Each further '&' ends a pair that starts and ends in this block: no state across
         * blocks, no branch but the one for empty pairs. */
        const uint64_t sep = ma | me;
        const char *bp = (const char *)p + base;
        while (a) {
            size_t s0 = end + 1; /* <= 63: another '&' follows */
            uint64_t cur = a ^ (a - 1), in = cur ^ prev;
            end = ctz64(a);
            a &= a - 1;
            prev = cur;
            if (end == s0)
                continue; /* an empty pair */
            uint64_t x = sep & in, sp = ms & in;
            uint64_t nsp = sp & (x - 1);
            size_t at = ctz64(x); /* the '=', or end when there is none */
            bool has_eq = at < end;
            size_t vs = at + has_eq;
            o->name = cn_str(bp + s0, at - s0);
            o->value = cn_str(bp + vs, end - vs);
            o->has_eq = has_eq;
            o->name_special = nsp != 0;
            o->value_special = sp != nsp;
            if (++o == o_end)
                goto full;
        }
        /* the pair after the block's last '&': the bits above prev */
        start = base + end + 1;
        eq = SIZE_MAX;
        spv = false;
        uint64_t e = me & ~prev, sp = ms & ~prev;
        if (e) {
            eq = base + (unsigned)__builtin_ctzll(e);
            spn = (sp & (e - 1)) != 0;
            spv = (sp & -e) != 0;
        } else {
            spn = sp != 0;
        }
        continue;
    full : {
        size_t stop = base + end;
        rest->ptr = (const char *)p + stop + 1;
        rest->len = n - stop - 1;
        return (size_t)(o - out);
    }
    }
    if (n > start)
        put_pair(o++, p, start, eq, n, spn, spv);
    rest->ptr = (const char *)p + n;
    rest->len = 0;
    return (size_t)(o - out);
}

#if CN_URL_AVX2
/* classify64() 32 bytes at a time. (Not always_inline: GCC inlines a function with a target
 * only into one with that target, and the helpers below that call it have none.) */
static inline __attribute__((target("avx2"))) block_masks_t classify64_avx2(const unsigned char *p)
{
    const __m256i amp = _mm256_set1_epi8('&'), eq = _mm256_set1_epi8('='),
                  pct = _mm256_set1_epi8('%'), plus = _mm256_set1_epi8('+');
    __m256i v0 = _mm256_loadu_si256((const __m256i *)p);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
#define MASK64(m0, m1)                                                                             \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(m0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(m1)   \
                                                        << 32)
    uint64_t a = MASK64(_mm256_cmpeq_epi8(v0, amp), _mm256_cmpeq_epi8(v1, amp));
    uint64_t e = MASK64(_mm256_cmpeq_epi8(v0, eq), _mm256_cmpeq_epi8(v1, eq));
    uint64_t s =
        MASK64(_mm256_or_si256(
                   _mm256_or_si256(_mm256_cmpeq_epi8(v0, pct), _mm256_cmpeq_epi8(v0, plus)), v0),
               _mm256_or_si256(
                   _mm256_or_si256(_mm256_cmpeq_epi8(v1, pct), _mm256_cmpeq_epi8(v1, plus)), v1));
#undef MASK64
    return (block_masks_t){a, e, s};
}

/*
 * x & (x - 1), x ^ (x - 1) and the index of x's lowest set bit (x != 0), one BMI1 instruction
 * each (GCC 12 writes the first two as three instructions when they share x - 1, and widens
 * its tzcnt's int result).
 */
static inline __attribute__((always_inline)) uint64_t clear_lowest(uint64_t x)
{
    uint64_t r;
    __asm__("blsr %1, %0" : "=r"(r) : "rm"(x) : "cc");
    return r;
}
static inline __attribute__((always_inline)) uint64_t up_to_lowest(uint64_t x)
{
    uint64_t r;
    __asm__("blsmsk %1, %0" : "=r"(r) : "rm"(x) : "cc");
    return r;
}
/* ~x & y, one BMI1 instruction (GCC 12 writes a not and an and, and keeps the not for two). */
static inline __attribute__((always_inline)) uint64_t and_not(uint64_t x, uint64_t y)
{
    uint64_t r;
    __asm__("andn %2, %1, %0" : "=r"(r) : "r"(x), "rm"(y) : "cc");
    return r;
}
static inline __attribute__((always_inline)) size_t lowest_at(uint64_t x)
{
    uint64_t r;
    __asm__("tzcnt %1, %0" : "=r"(r) : "rm"(x) : "cc");
    return (size_t)r;
}

/*
 * The masks of the bytes from b on (n - b >= 1 of them, n >= 64). When fewer than 64 are left,
 * the bits past the end are clear but for a '&' right after the last byte, which ends the last
 * pair. (No call in here: the AVX2 constants then stay in registers across blocks.)
 */
static inline __attribute__((always_inline)) block_masks_t block_at(const unsigned char *p,
                                                                    size_t n, size_t b)
{
    size_t left = n - b;
    if (left >= 64)
        return classify64_avx2(p + b);
    /* the query's last 64 bytes, the bits of those before b shifted out */
    unsigned drop = (unsigned)(64 - left);
    block_masks_t m = classify64_avx2(p + n - 64);
    m.amp = m.amp >> drop | (uint64_t)1 << left;
    m.eq >>= drop;
    m.sp >>= drop;
    return m;
}

/* Takes the '=' and specials of a pair's bytes whose masks are eq and sp (bit i: byte b + i)
 * into the pair's *at ('=' position, SIZE_MAX while none), *spn and *spv. */
static inline void absorb(uint64_t eq, uint64_t sp, size_t b, size_t *at, bool *spn, bool *spv)
{
    if (*at != SIZE_MAX) {
        *spv |= sp != 0;
    } else if (eq) {
        *at = b + ctz64(eq);
        *spn |= (sp & (eq - 1)) != 0;
        *spv |= (sp & -eq) != 0;
    } else {
        *spn |= sp != 0;
    }
}

/*
 * A pair that starts at start and has no '&' in its first 64 bytes (a long URL, say), whose
 * first block's masks are m: read on block by block to its end. Returns where it ends (its
 * '&', or n).
 */
static inline __attribute__((always_inline)) size_t
long_pair(const unsigned char *p, size_t n, size_t start, block_masks_t m, cn_query_pair_t *o)
{
    size_t at = SIZE_MAX, b = start, end;
    bool spn = false, spv = false;
    for (;;) {
        if (m.amp) {
            uint64_t below = (m.amp & -m.amp) - 1;
            absorb(m.eq & below, m.sp & below, b, &at, &spn, &spv);
            end = b + ctz64(m.amp);
            break;
        }
        absorb(m.eq, m.sp, b, &at, &spn, &spv);
        b += 64;
        if (b == n) {
            end = n;
            break;
        }
        m = block_at(p, n, b);
    }
    bool has_eq = at != SIZE_MAX;
    size_t ne = has_eq ? at : end;
    o->name = cn_str((const char *)p + start, ne - start);
    o->value =
        has_eq ? cn_str((const char *)p + at + 1, end - at - 1) : cn_str((const char *)p + end, 0);
    o->has_eq = has_eq;
    o->name_special = spn;
    o->value_special = has_eq && spv;
    return end;
}

/*
 * The pairs of one block, whose bit 0 is a pair's first byte (base): each '&' of a (the
 * block's '&' mask, with the one after the end in the last block) ends one. Writes them from
 * *po on, without a check for room when checked is false (the caller saw room for more than
 * 32, the most a block holds), else up to o_end. Returns how far the pairs read (the bytes after
 * the last '&'), or 0 when o_end was reached, with *stop set to the last pair's end.
 */
static inline __attribute__((always_inline)) size_t block_pairs(const char *bp, block_masks_t m,
                                                                cn_query_pair_t **po,
                                                                cn_query_pair_t *o_end,
                                                                bool checked, size_t *stop)
{
    /*
     * The masks of a pair come without a shift: a, sep ('=' and '&') and sp (the specials)
     * keep the bits of the pairs not yet taken, each pair's cleared from them once it is
     * (one andn each). For a the '&' bits, a ^ (a - 1) is the bits up to and including the
     * next '&' (cur), the pair's own and those of the pairs taken. The lowest bit of sep ends
     * the name (its '=', or the '&'), and sep ^ (sep - 1) is the name's bits with it (never
     * special), so the name's specials are sp & that, and the value's the rest of sp & cur.
     * (Against the pair's bits as cur ^ prev, each mask ANDed with them: 2 instructions a
     * pair fewer, 33 -> 31.)
     */
    uint64_t a = m.amp, sep = m.amp | m.eq, sp = m.sp;
    size_t s0 = 0;
    cn_query_pair_t *o = *po;
    do {
        uint64_t cur = up_to_lowest(a);
        size_t end = lowest_at(a);
        a = clear_lowest(a);
        if (end != s0) {                /* (else an empty pair) */
            size_t at = lowest_at(sep); /* the '=', or end when there is none */
            uint64_t name = up_to_lowest(sep);
            bool has_eq = at < end;
            size_t vs = at + has_eq;
            o->name = cn_str(bp + s0, at - s0);
            o->value = cn_str(bp + vs, end - vs);
            o->has_eq = has_eq;
            o->name_special = (sp & name) != 0;
            o->value_special = (and_not(name, sp) & cur) != 0;
            if (++o == o_end && checked) {
                *po = o;
                *stop = end;
                return 0;
            }
        }
        sep = and_not(cur, sep);
        sp = and_not(cur, sp);
        s0 = end + 1;
    } while (a);
    *po = o;
    return s0;
}

/*
 * cn_query_split() for a CPU with AVX2 and BMI1. Each block starts at a pair's first byte (not
 * at a multiple of 64), so that a pair never spans two blocks but when it is longer than one:
 * no state carried across blocks, every pair from the one loop (block_pairs). A block's bytes
 * after its last '&' are classified again as the next block's first; with AVX2 that costs
 * less than the carried state did (with SSE2's 16-byte compares it costs more, hence the two
 * splitters).
 */
static inline __attribute__((always_inline)) size_t split_impl(cn_str_t *rest, cn_query_pair_t *out,
                                                               size_t cap)
{
    const unsigned char *p = (const unsigned char *)rest->ptr;
    const size_t n = rest->len;
    cn_query_pair_t *o = out, *const o_end = out + cap;
    size_t base = 0, stop = 0;
    if (cap == 0 || n == 0)
        return 0;
    if (n < 64) {
        /* one block, from a copy (NULs match no class) */
        unsigned char tail[64] = {0};
        memcpy(tail, p, n);
        block_masks_t m = classify64_avx2(tail);
        m.amp |= (uint64_t)1 << n;
        if (block_pairs((const char *)p, m, &o, o_end, true, &stop) == 0)
            goto full;
        base = n;
    }
    while (base < n) {
        block_masks_t m = block_at(p, n, base);
        if (m.amp == 0) { /* a pair longer than the block */
            size_t end = long_pair(p, n, base, m, o);
            base = end + 1;
            if (++o == o_end) {
                stop = end;
                goto full;
            }
            continue;
        }
        size_t took;
        if (o_end - o > 32) /* (room left after: a check less for the pairs after it) */
            took = block_pairs((const char *)p + base, m, &o, o_end, false, &stop);
        else
            took = block_pairs((const char *)p + base, m, &o, o_end, true, &stop);
        if (took == 0) {
            stop += base;
            goto full;
        }
        base += took;
    }
    rest->ptr = (const char *)p + n;
    rest->len = 0;
    return (size_t)(o - out);
full:
    /* the pairs end at stop: the rest starts after its '&' (none after the last pair) */
    if (stop >= n)
        stop = n - 1;
    rest->ptr = (const char *)p + stop + 1;
    rest->len = n - stop - 1;
    return (size_t)(o - out);
}

size_t __attribute__((target("avx2,bmi")))
cn_url__query_split_avx2(cn_str_t *rest, cn_query_pair_t *out, size_t cap)
{
    return split_impl(rest, out, cap);
}
#endif

size_t cn_query_split(cn_str_t *rest, cn_query_pair_t *out, size_t cap)
{
#if CN_URL_AVX2
    if (cn_url__have_avx2())
        return cn_url__query_split_avx2(rest, out, cap);
#endif
    return cn_url__query_split_sse2(rest, out, cap);
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

/* Whether the n >= 1 bytes at p (p[0] is '%') start a %u escape: 'u' or 'U', four hex digits. */
static inline bool is_u_escape(const unsigned char *p, size_t n)
{
    return n >= 6 && (p[1] | 0x20) == 'u' &&
           (hexv[p[2]] | hexv[p[3]] | hexv[p[4]] | hexv[p[5]]) < 0x100;
}

/*
 * A '%' at p (n >= 3 bytes left) that starts no %XX escape, and so stands for
 * itself: adds CN_URL_HAS_U to *flags when it starts a %u escape. Out of line,
 * so that the decoder's loops stay as they were without the test.
 */
static __attribute__((noinline, cold)) void bad_escape(const unsigned char *p, size_t n,
                                                       unsigned *flags)
{
    if (is_u_escape(p, n))
        *flags |= CN_URL_HAS_U;
}

/*
 * The escape at p[0] ('%' or '+', n >= 1 bytes left): writes its byte to *out, ORs it into
 * *hi, and returns how many input bytes it took. A '%' without two hex digits after it stands
 * for itself; when it starts a %u escape, CN_URL_HAS_U is added to *flags (if flags is not
 * NULL).
 */
static inline size_t decode_escape(const unsigned char *p, size_t n, char *out, unsigned *flags,
                                   unsigned *hi)
{
    if (p[0] == '+') {
        *out = ' ';
        return 1;
    }
    if (n >= 3) {
        unsigned h = (unsigned)hexv[p[1]] << 4 | hexv[p[2]];
        if (h < 0x100) {
            *out = (char)h;
            *hi |= h;
            return 3;
        }
        if (flags != NULL)
            bad_escape(p, n, flags);
    }
    *out = '%';
    return 1;
}

/* The byte-at-a-time decoder: in place (no store may run ahead of the reads). */
static inline __attribute__((always_inline)) size_t decode_bytes(const unsigned char *p, size_t n,
                                                                 char *dst, unsigned *flags)
{
    size_t o = 0, i = 0;
    unsigned hi = 0;
    while (i < n) {
        if (!special[p[i]]) {
            hi |= p[i];
            dst[o++] = (char)p[i++];
        } else {
            i += decode_escape(p + i, n - i, dst + o++, flags, &hi);
        }
    }
    if (flags != NULL && hi >= 0x80)
        *flags |= CN_URL_HIGH;
    return o;
}

#ifdef __SSE2__
/* Copies len bytes from src to dst, writing no byte past them (no call, unlike a memcpy of a
 * length the compiler does not know). */
static inline void copy_out(char *dst, const char *src, size_t len)
{
    if (len >= 16) {
        for (size_t t = 0; t + 16 < len; t += 16)
            _mm_storeu_si128((__m128i *)(dst + t), _mm_loadu_si128((const __m128i *)(src + t)));
        _mm_storeu_si128((__m128i *)(dst + len - 16),
                         _mm_loadu_si128((const __m128i *)(src + len - 16)));
    } else if (len >= 8) {
        memcpy(dst, src, 8);
        memcpy(dst + len - 8, src + len - 8, 8);
    } else if (len >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + len - 4, src + len - 4, 4);
    } else if (len > 0) {
        dst[0] = src[0];
        dst[len / 2] = src[len / 2];
        dst[len - 1] = src[len - 1];
    }
}

/*
 * The last len < 16 bytes of a decode that does not run in place, at in: a
 * local buffer with 32 readable bytes there, zeros after the len (a NUL is
 * neither special nor a hex digit, so an escape cut by the end stays as it
 * is). Blocks move between local buffers, and one copy gives the result to dst;
 * with slack (dst has room for 16 bytes more than the tail gives) they are
 * stored at dst straight away. The tail's bytes are ORed into *acc.
 */
static inline __attribute__((always_inline)) size_t decode_tail(const unsigned char *in, size_t len,
                                                                char *dst, bool slack,
                                                                unsigned *flags, unsigned *hi,
                                                                __m128i *acc)
{
    char local[32];
    char *out = slack ? dst : local; /* slack: dst has room for 16 bytes past the tail's */
    size_t i = 0, o = 0;
    unsigned m = special16(in);
    *acc = _mm_or_si128(*acc, _mm_loadu_si128((const __m128i *)in)); /* (zeros after len) */
    while (i < len) {
        _mm_storeu_si128((__m128i *)(out + o), _mm_loadu_si128((const __m128i *)(in + i)));
        unsigned rest = m >> i;
        if (rest == 0) {
            o += len - i;
            break;
        }
        unsigned k = (unsigned)__builtin_ctz(rest);
        i += k;
        o += k;
        i += decode_escape(in + i, len - i, out + o++, flags, hi);
    }
    if (!slack)
        copy_out(dst, out, o);
    return o;
}
#endif

/*
 * cn_url_decode_to(), adding to *flags (never clearing them) CN_URL_HAS_U when s holds a %u
 * escape and CN_URL_HIGH when the output holds a byte >= 0x80; flags NULL tells nothing.
 * Inlined whole into both callers, so that cn_url_decode_to's copy (NULL) has no test at all
 * and only cn_url_decode_to_u pays for them. apart: the caller promises that dst and s do not
 * overlap (no test) and that dst has room for s.len + CN_URL_DECODE_SLACK bytes.
 */
static inline __attribute__((always_inline)) size_t decode_to(cn_str_t s, char *dst,
                                                              unsigned *flags, bool apart)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = s.len;
#ifdef __SSE2__
    uintptr_t d0 = (uintptr_t)dst, s0 = (uintptr_t)s.ptr;
    if (n == 0 || (!apart && !(d0 + n <= s0 || s0 + n <= d0)))
        return decode_bytes(p, n, dst, flags); /* empty, or in place (or overlapping) */
    /* Apart: 16 bytes at a time, each block stored whole at the output and the run up to its
     * first escape kept (every store stays inside dst: the output never runs ahead of the
     * input, and i + 16 <= n). The escape is decoded, and those right after it (runs as
     * "%3A%2F%2F" or UTF-8 text) without a block each; the next block starts after them.
     * The bounds are compared with limits computed once (i <= last: a whole block is left;
     * i < lim3: an escape there has its two digits). hi and acc gather the bytes written,
     * for CN_URL_HIGH. */
    size_t i = 0, o = 0;
    unsigned hi = 0;
    __m128i acc = _mm_setzero_si128();
    if (n >= 16) {
        const size_t last = n - 16, lim3 = n - 2;
        while (i <= last) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
            unsigned m = special16(p + i);
            _mm_storeu_si128((__m128i *)(dst + o), v);
            acc = _mm_or_si128(acc, v);
            if (m == 0) {
                i += 16;
                o += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            i += k;
            o += k;
            unsigned h;
            if (p[i] == '%' && i < lim3 &&
                (h = (unsigned)hexv[p[i + 1]] << 4 | hexv[p[i + 2]]) < 0x100) {
                do {
                    dst[o++] = (char)h;
                    hi |= h;
                    i += 3;
                } while (i < lim3 && p[i] == '%' &&
                         (h = (unsigned)hexv[p[i + 1]] << 4 | hexv[p[i + 2]]) < 0x100);
            } else { /* '+', or a '%' that starts no %XX escape */
                i += decode_escape(p + i, n - i, dst + o++, flags, &hi);
            }
        }
    }
    if (i < n) {
        size_t len = n - i;
        unsigned char buf[48] = {0};
        const unsigned char *in = buf;
        if (n >= 16) { /* one load of the string's last 16 bytes, the tail at their end */
            _mm_storeu_si128((__m128i *)buf, _mm_loadu_si128((const __m128i *)(p + n - 16)));
            in = buf + 16 - len;
        } else {
            memcpy(buf, p, n);
        }
        o += decode_tail(in, len, dst + o, apart, flags, &hi, &acc);
    }
    if (flags != NULL && (hi >= 0x80 || _mm_movemask_epi8(acc) != 0))
        *flags |= CN_URL_HIGH;
    return o;
#else
    (void)apart;
    return decode_bytes(p, n, dst, flags);
#endif
}

size_t cn_url__decode_to_u_sse2(cn_str_t s, char *dst, unsigned *out_flags)
{
    *out_flags = 0;
    return decode_to(s, dst, out_flags, true);
}

#if CN_URL_AVX2
#define AVX512_DECODE "avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt"

/* Each byte of v as a hex digit's value (0 to 15; what the others hold is left), and in *is
 * the bytes that are hex digits. */
static inline __attribute__((always_inline, target(AVX512_DECODE))) __m512i hex64(__m512i v,
                                                                                  __mmask64 *is)
{
    __m512i d = _mm512_sub_epi8(v, _mm512_set1_epi8('0'));
    __m512i a = _mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)), _mm512_set1_epi8('a'));
    __mmask64 isd = _mm512_cmple_epu8_mask(d, _mm512_set1_epi8(9));
    *is = isd | _mm512_cmple_epu8_mask(a, _mm512_set1_epi8(5));
    return _mm512_mask_blend_epi8(isd, _mm512_add_epi8(a, _mm512_set1_epi8(10)), d);
}

/* The lowest n bits (n <= 64). */
static inline __attribute__((always_inline, target(AVX512_DECODE))) uint64_t low_bits(size_t n)
{
    return _bzhi_u64(~0ULL, (unsigned)n);
}

/*
 * cn_url_decode_to_u() 64 bytes at a time (AVX-512 VBMI2). Escapes do not overlap (an escape's
 * digits are neither '%' nor '+'), so a block decodes them all at once: each '%' takes the
 * byte its two digits make, '+' a space, and the digits are squeezed out (vpcompressb, in a
 * register: its form that stores is slow on AMD's Zen 4). A block that is not the string's
 * last owns 62 bytes and reads 64, so that an escape it owns has its digits; the digits of
 * one at its end are skipped by the next. A '%' that starts no %XX escape (a %u escape, or a
 * '%' standing for itself) sends the whole string to the SSE2 path, which tells %u escapes
 * (rare: AppMeasurement escapes every '%' it sends). Stores only the output's bytes.
 */
size_t __attribute__((target(AVX512_DECODE)))
cn_url__decode_to_u_avx512(cn_str_t s, char *dst, unsigned *out_flags)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    const size_t n = s.len;
    size_t i = 0, o = 0;
    __mmask64 high = 0;
    /* the bytes 1 and 2 after each (vpermb: across the whole register) */
    const __m512i next1 = _mm512_set_epi8(
        63, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42,
        41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
        18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    const __m512i next2 = _mm512_set_epi8(
        63, 63, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43,
        42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
        19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2);
    const __m512i pct_c = _mm512_set1_epi8('%'), plus_c = _mm512_set1_epi8('+'),
                  space = _mm512_set1_epi8(' '), nib = _mm512_set1_epi8(0x0f);
    while (i < n) {
        const size_t left = n - i, own = left > 64 ? 62 : left;
        const __mmask64 lm = low_bits(left > 64 ? 64 : left), om = low_bits(own);
        __m512i v = _mm512_maskz_loadu_epi8(lm, p + i);
        __mmask64 pct = _mm512_cmpeq_epi8_mask(v, pct_c) & om;
        __mmask64 plus = _mm512_cmpeq_epi8_mask(v, plus_c) & om;
        __m512i out = _mm512_mask_blend_epi8(plus, v, space);
        if (pct == 0) {
            _mm512_mask_storeu_epi8(dst + o, om, out);
            high |= _mm512_movepi8_mask(out) & om;
            i += own;
            o += own;
            continue;
        }
        __mmask64 is;
        __m512i h = hex64(v, &is);
        is &= lm;
        __mmask64 esc = pct & (is >> 1) & (is >> 2);
        if (esc != pct) /* a '%' that starts no %XX escape */
            return cn_url__decode_to_u_sse2(s, dst, out_flags);
        __m512i hi4 =
            _mm512_slli_epi16(_mm512_and_si512(_mm512_permutexvar_epi8(next1, h), nib), 4);
        __m512i lo4 = _mm512_and_si512(_mm512_permutexvar_epi8(next2, h), nib);
        out = _mm512_mask_blend_epi8(esc, out, _mm512_or_si512(hi4, lo4));
        const __mmask64 digits = esc << 1 | esc << 2, keep = om & ~digits;
        const size_t k = (size_t)_mm_popcnt_u64(keep);
        _mm512_mask_storeu_epi8(dst + o, low_bits(k), _mm512_maskz_compress_epi8(keep, out));
        high |= _mm512_movepi8_mask(out) & keep;
        i += own + (size_t)_mm_popcnt_u64(digits & ~om); /* and the digits past the block */
        o += k;
    }
    *out_flags = high != 0 ? CN_URL_HIGH : 0;
    return o;
}
#endif

size_t cn_url_decode_to_u(cn_str_t s, char *dst, unsigned *out_flags)
{
#if CN_URL_AVX2
    if (cn_url__have_avx512())
        return cn_url__decode_to_u_avx512(s, dst, out_flags);
#endif
    return cn_url__decode_to_u_sse2(s, dst, out_flags);
}

size_t cn_url_decode_to(cn_str_t s, char *dst)
{
    return decode_to(s, dst, NULL, false);
}

/* --- JavaScript's escape() --- */

/* The four hex digits after "%u" at p as a number. */
static inline unsigned u_escape_value(const unsigned char *p)
{
    return (unsigned)hexv[p[2]] << 12 | (unsigned)hexv[p[3]] << 8 | (unsigned)hexv[p[4]] << 4 |
           hexv[p[5]];
}

/* Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8; returns its length. */
static size_t put_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t cn_url_unescape_next(cn_str_t s, char *out, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = s.len;
    if (p[0] == '+') {
        out[0] = ' ';
        *out_len = 1;
        return 1;
    }
    unsigned h = n >= 3 ? (unsigned)hexv[p[1]] << 4 | hexv[p[2]] : 0x100;
    if (h < 0x100) { /* %XX: U+00XX */
        *out_len = put_utf8(h, out);
        return 3;
    }
    if (!is_u_escape(p, n)) {
        out[0] = '%';
        *out_len = 1;
        return 1;
    }
    unsigned cp = u_escape_value(p);
    if (cp >= 0xd800 && cp < 0xdc00 && n >= 12 && p[6] == '%' && is_u_escape(p + 6, n - 6)) {
        unsigned lo = u_escape_value(p + 6);
        if (lo >= 0xdc00 && lo < 0xe000) { /* a surrogate pair: one code point */
            *out_len = put_utf8(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00), out);
            return 12;
        }
    }
    if (cp >= 0xd800 && cp < 0xe000)
        cp = 0xfffd; /* a lone (or reversed) surrogate is no character */
    *out_len = put_utf8(cp, out);
    return 6;
}

size_t cn_url_unescape_to(cn_str_t s, char *dst)
{
    size_t o = 0;
    while (s.len > 0) {
        size_t k = cn_url_special_prefix(s);
        memmove(dst + o, s.ptr, k); /* (in place, the output is never ahead of the input) */
        o += k;
        s = cn_str(s.ptr + k, s.len - k);
        if (s.len == 0)
            break;
        char ch[4]; /* the escape is read whole before its character is written */
        size_t w, took = cn_url_unescape_next(s, ch, &w);
        memcpy(dst + o, ch, w);
        o += w;
        s = cn_str(s.ptr + took, s.len - took);
    }
    return o;
}

size_t cn_cp1252_to_utf8(cn_str_t s, char *dst)
{
    static const uint16_t c1[32] = {0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
                                    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
                                    0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
                                    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned cp = (unsigned char)s.ptr[i];
        if (cp >= 0x80 && cp < 0xa0)
            cp = c1[cp - 0x80];
        if (cp < 0x80) {
            dst[o++] = (char)cp;
        } else if (cp < 0x800) {
            dst[o++] = (char)(0xc0 | cp >> 6);
            dst[o++] = (char)(0x80 | (cp & 0x3f));
        } else {
            dst[o++] = (char)(0xe0 | cp >> 12);
            dst[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            dst[o++] = (char)(0x80 | (cp & 0x3f));
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
    if (i < url.len && url.len >= 16) {
        /* the last bytes in one load that overlaps the ones already seen (none matched) */
        size_t j = url.len - 16;
        __m128i v = _mm_loadu_si128((const __m128i *)(url.ptr + j));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8('?')), _mm_cmpeq_epi8(v, _mm_set1_epi8('#'))));
        return m ? cn_str(url.ptr, j + (size_t)__builtin_ctz(m)) : url;
    }
#endif
    for (; i < url.len; i++) {
        if (url.ptr[i] == '?' || url.ptr[i] == '#')
            return cn_str(url.ptr, i);
    }
    return url;
}

/* What cn_url_host's pass over the authority stops at (1: '/', '?', '#', its end) or notes
 * (2: '@', the end of user info; 3: ':', a port's start). */
static const uint8_t host_stop[256] = {['/'] = 1, ['?'] = 1, ['#'] = 1, ['@'] = 2, [':'] = 3};

cn_str_t cn_url_host(cn_str_t url)
{
    if (url.len < 3)
        return CN_STR_NULL;
    const char *p = url.ptr, *end = url.ptr + url.len;
    const char *h;
    /* the usual schemes at once (one 8- or 7-byte compare; the loop finds them too) */
    if (url.len >= 8 && memcmp(p, "https://", 8) == 0) {
        h = p + 8;
    } else if (url.len >= 7 && memcmp(p, "http://", 7) == 0) {
        h = p + 7;
    } else {
        const char *sep = NULL;
        for (const char *q = p; q + 2 < end; q++) {
            if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
                sep = q;
                break;
            }
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                  (*q >= '0' && *q <= '9') || *q == '+' || *q == '-' || *q == '.'))
                break;
        }
        if (sep == NULL || sep == p)
            return CN_STR_NULL;
        h = sep + 3;
    }
    /* one pass to the authority's end: the host starts after its last '@' (user info), and a
     * port at the first ':' after that */
    const char *he = h, *colon = NULL;
    for (; he < end; he++) {
        uint8_t c = host_stop[(uint8_t)*he];
        if (c == 0)
            continue;
        if (c == 1)
            break;
        if (c == 2) {
            h = he + 1;
            colon = NULL;
        } else if (colon == NULL) {
            colon = he;
        }
    }
    /* the port is not looked for inside an IPv6 literal */
    if (h < he && *h == '[') {
        const char *rb = memchr(h, ']', (size_t)(he - h));
        if (rb)
            return cn_str(h, (size_t)(rb + 1 - h));
    }
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
