/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Page encodings (docs/storage.md "Pages"). A page is up to
 * CN_STORE_PAGE_ROWS values of one column, handled as int64 whatever the
 * column's kind. The encoder measures every encoding exactly and keeps the
 * smallest; with a zstd level (merged segments, flushed visit segments) it
 * also measures the slower encodings (RICE, LOCAL, KEYED) and tries zstd over
 * the best one and over the candidates zstd compresses best, keeping zstd
 * when it saves at least a thirty-second:
 *
 *   CONST    all values equal base; no payload
 *   BITPACK  value - base in `width` bits, LSB first (dictionary ids, ordinals, flags)
 *   RLE      (run length, zigzag(value - previous run's value)) varint pairs, the
 *            first run's value taken from base (flags, sparse columns, child-to-hit pointers)
 *   DELTA    zigzag varint of value[i] - value[i-1], value[-1] = base
 *   RICE     the same zigzag deltas Rice-coded with parameter k = width (timestamps,
 *            ordinals: about the entropy of random gaps, where varints round up)
 *   LOCAL    a page-local dictionary ordered by frequency, then byte planes of
 *            local ids (under zstd: dictionary ids spread over a wide range)
 *   KEYED    "the value of the last row of the page with the same key" as a bitmap,
 *            then the other values bit-packed (a column that is mostly a function
 *            of another: the key column's values are given by the segment layer)
 *   SRICE    RICE of the differences divided by their common factor (format 3:
 *            millisecond times kept in µs)
 *   KEYED_NEXT  KEYED predicting the key's last value + 1 (format 3: hit numbers
 *            within a visit, new visitors' ordinals)
 *   REF      format 4: exp-Golomb codes of how many rows back the same value was,
 *            0 for the next new value (a hit's visit: a new visit or one in progress)
 *
 * Arithmetic on differences is done in uint64 (wrapping), so every int64
 * range round-trips without overflow. The decoder checks every length
 * against the page's declared sizes and never reads outside its payload.
 */
#include <endian.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/xalloc.h"
#include "store/internal.h"

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
    /* LSB first, through a 64-bit accumulator: whole words stored as they fill,
     * the last (partial) one byte by byte; out_len = ceil(n * w / 8) */
    uint64_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = (uint64_t)v[i] - base;
        acc |= x << bits; /* bits < 64 */
        bits += w;
        if (bits >= 64) {
            uint64_t le = htole64(acc);
            memcpy(out + o, &le, 8);
            o += 8;
            bits -= 64;
            acc = bits ? x >> (w - bits) : 0;
        }
    }
    for (; o < out_len; o++, acc >>= 8)
        out[o] = (uint8_t)acc;
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

/* --- LOCAL: a page-local dictionary ordered by frequency --- */

/*
 * The distinct values of a page, most frequent first (ties by value), and
 * each row's index in that list. Found with an open-addressing hash table.
 */
/* LOCAL's ids are one or two bytes: a page with more distinct values is
 * never LOCAL (format 5 pages hold up to 262144 rows) */
#define LOCAL_MAX_K 65536u

typedef struct local {
    uint32_t k;    /* distinct values */
    int64_t *vals; /* [k], by local id */
    uint32_t *ids; /* [n], local id of each row */
    uint64_t len;  /* payload length */
} local_t;

typedef struct lslot {
    int64_t v;
    uint32_t count;
} lslot_t;

static int cmp_rank(const void *a, const void *b, void *ud)
{
    const lslot_t *d = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (d[x].count != d[y].count)
        return d[x].count > d[y].count ? -1 : 1;
    return d[x].v < d[y].v ? -1 : d[x].v > d[y].v;
}

static void local_build(const int64_t *v, uint32_t n, uint64_t base, local_t *L)
{
    uint32_t cap = 1;
    while (cap < 2 * n)
        cap <<= 1;
    uint32_t *table = cn_xcalloc(cap, sizeof(uint32_t)); /* distinct index + 1, 0 empty */
    lslot_t *d = cn_xmalloc(n * sizeof(*d));
    uint32_t *slot = cn_xmalloc(n * sizeof(uint32_t));
    uint32_t k = 0;
    unsigned shift = 64 - (unsigned)__builtin_ctz(cap);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = ((uint64_t)v[i] * 0x9E3779B97F4A7C15ull) >> shift;
        for (;; h = (h + 1) & (cap - 1)) {
            uint32_t t = table[h];
            if (t == 0) {
                d[k].v = v[i];
                d[k].count = 1;
                table[h] = ++k;
                slot[i] = k - 1;
                break;
            }
            if (d[t - 1].v == v[i]) {
                d[t - 1].count++;
                slot[i] = t - 1;
                break;
            }
        }
    }
    uint32_t *order = cn_xmalloc(k * sizeof(uint32_t));
    for (uint32_t j = 0; j < k; j++)
        order[j] = j;
    qsort_r(order, k, sizeof(uint32_t), cmp_rank, d);
    uint32_t *rank = table; /* reused: rank of each distinct index */
    L->k = k;
    L->vals = cn_xmalloc(k * sizeof(int64_t));
    uint64_t len = cn_varint_len(k), prev = base;
    for (uint32_t j = 0; j < k; j++) {
        rank[order[j]] = j;
        L->vals[j] = d[order[j]].v;
        len += cn_varint_len(zigzag((uint64_t)L->vals[j] - prev));
        prev = (uint64_t)L->vals[j];
    }
    L->ids = cn_xmalloc(n * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        L->ids[i] = rank[slot[i]];
    L->len = len + (uint64_t)n * (k <= 256 ? 1 : 2);
    free(order);
    free(slot);
    free(d);
    free(table);
}

static void local_dispose(local_t *L)
{
    free(L->vals);
    free(L->ids);
}

/* --- RICE: Rice-coded zigzag deltas --- */

#define RICE_ESC 32u /* a quotient of 32 or more: 32 one bits, then the value in 64 bits */

/* zigzag((v - prev) / g): g divides every difference (1: no scale). */
static uint64_t zz_scaled(uint64_t d, uint64_t g)
{
    return zigzag(g == 1 ? d : (uint64_t)((int64_t)d / (int64_t)g));
}

/*
 * The common factor of the page's differences (value[i] - value[i-1],
 * value[-1] = base): 1 when there is none, when a difference is INT64_MIN,
 * or when it is beyond 2^62 (so that (int64_t)g and the scaled differences
 * stay in range).
 */
static uint64_t delta_gcd(const int64_t *v, uint32_t n, uint64_t base)
{
    uint64_t g = 0, prev = base;
    for (uint32_t i = 0; i < n && g != 1; i++) {
        int64_t d = (int64_t)((uint64_t)v[i] - prev);
        prev = (uint64_t)v[i];
        if (d == INT64_MIN)
            return 1;
        uint64_t a = d < 0 ? (uint64_t)-d : (uint64_t)d;
        while (a != 0) {
            uint64_t t = g % a;
            g = a;
            a = t;
        }
    }
    return g == 0 || g > (1ull << 62) ? 1 : g;
}

static uint64_t rice_bits(const int64_t *v, uint32_t n, uint64_t base, unsigned k, uint64_t g)
{
    uint64_t bits = 0, prev = base;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t z = zz_scaled((uint64_t)v[i] - prev, g), q = z >> k;
        prev = (uint64_t)v[i];
        bits += q < RICE_ESC ? q + 1 + k : RICE_ESC + 64;
    }
    return bits;
}

/* The best Rice parameter near log2 of the mean (scaled) delta; *out_len its
 * payload length (without SRICE's varint g). */
static unsigned rice_pick(const int64_t *v, uint32_t n, uint64_t base, uint64_t g,
                          uint64_t *out_len)
{
    double sum = 0;
    uint64_t prev = base;
    for (uint32_t i = 0; i < n; i++) {
        sum += (double)zz_scaled((uint64_t)v[i] - prev, g);
        prev = (uint64_t)v[i];
    }
    double mean = sum / n * 0.69;
    int k0 = 0;
    while (k0 < 62 && mean >= 2.0) {
        mean /= 2;
        k0++;
    }
    uint64_t best = UINT64_MAX;
    unsigned bk = 0;
    for (int k = k0 - 1; k <= k0 + 1; k++) {
        if (k < 0 || k > 63)
            continue;
        uint64_t b = rice_bits(v, n, base, (unsigned)k, g);
        if (b < best) {
            best = b;
            bk = (unsigned)k;
        }
    }
    *out_len = (best + 7) / 8;
    return bk;
}

typedef struct bitw {
    uint8_t *p;
    uint64_t acc;
    unsigned n;
} bitw_t;

/* Appends the low `bits` (<= 32) bits of x. */
static void bw_put(bitw_t *w, uint64_t x, unsigned bits)
{
    w->acc |= (x & ((1ull << bits) - 1)) << w->n;
    w->n += bits;
    while (w->n >= 8) {
        *w->p++ = (uint8_t)w->acc;
        w->acc >>= 8;
        w->n -= 8;
    }
}

static void rice_build(const int64_t *v, uint32_t n, uint64_t base, unsigned k, uint64_t g,
                       uint8_t *p)
{
    bitw_t w = {p, 0, 0};
    uint64_t prev = base;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t z = zz_scaled((uint64_t)v[i] - prev, g), q = z >> k;
        prev = (uint64_t)v[i];
        if (q >= RICE_ESC) {
            bw_put(&w, 0xffffffffu, 32);
            bw_put(&w, z & 0xffffffffu, 32);
            bw_put(&w, z >> 32, 32);
            continue;
        }
        for (uint64_t r = q; r > 0;) {
            unsigned c = r > 16 ? 16 : (unsigned)r;
            bw_put(&w, (1u << c) - 1, c);
            r -= c;
        }
        bw_put(&w, 0, 1);
        if (k > 32) {
            bw_put(&w, z & 0xffffffffu, 32);
            bw_put(&w, (z >> 32) & ((1ull << (k - 32)) - 1), k - 32);
        } else if (k > 0) {
            bw_put(&w, z, k);
        }
    }
    if (w.n > 0)
        *w.p++ = (uint8_t)w.acc;
}

typedef struct bitr {
    const uint8_t *p;
    uint64_t len_bits, pos;
} bitr_t;

/* Reads `bits` (<= 32) bits; CN_ECORRUPT past the end. */
static int br_get(bitr_t *r, unsigned bits, uint64_t *out)
{
    if (bits > r->len_bits - r->pos)
        return CN_ECORRUPT;
    uint64_t x = 0;
    size_t byte = r->pos >> 3;
    unsigned shift = r->pos & 7;
    size_t len = (r->len_bits + 7) >> 3;
    for (unsigned k = 0; k < 5 && byte + k < len; k++)
        x |= (uint64_t)r->p[byte + k] << (8 * k);
    *out = (x >> shift) & ((1ull << bits) - 1);
    r->pos += bits;
    return 0;
}

/* The end of a bit stream of len bytes: every byte read, and the padding
 * bits of the last one zero. 0 or CN_ECORRUPT. */
static int br_end(bitr_t *r, size_t len)
{
    if (r->pos > r->len_bits || (r->pos + 7) / 8 != len)
        return CN_ECORRUPT;
    uint64_t pad = 0;
    if ((r->pos & 7) && (br_get(r, (unsigned)(8 - (r->pos & 7)), &pad) != 0 || pad != 0))
        return CN_ECORRUPT;
    return 0;
}

static int rice_decode(const uint8_t *p, size_t len, uint32_t n, uint64_t base, unsigned k,
                       uint64_t g, int64_t *v)
{
    bitr_t r = {p, (uint64_t)len * 8, 0};
    uint64_t prev = base, x, lo, hi;
    uint64_t kmask = k >= 64 ? ~0ull : (1ull << k) - 1;
    for (uint32_t i = 0; i < n; i++) {
        /* fast path: the value lies in one 64-bit load that stays inside the payload
         * (at least 57 valid bits after the shift) */
        size_t byte = r.pos >> 3;
        if (k <= 24 && byte + 8 <= len) {
            uint64_t word;
            memcpy(&word, p + byte, 8);
            word = le64toh(word) >> (r.pos & 7);
            uint64_t zeros = ~word;
            unsigned q1 = zeros ? (unsigned)__builtin_ctzll(zeros) : 64;
            if (q1 < RICE_ESC && q1 + 1 + k <= 56) {
                uint64_t z = ((uint64_t)q1 << k) | ((word >> (q1 + 1)) & kmask);
                r.pos += q1 + 1 + k;
                prev += unzigzag(z) * g;
                v[i] = (int64_t)prev;
                continue;
            }
        }
        uint64_t q = 0;
        for (;;) {
            if (br_get(&r, 1, &x) != 0)
                return CN_ECORRUPT;
            if (x == 0)
                break;
            if (++q == RICE_ESC)
                break;
        }
        uint64_t z;
        if (q == RICE_ESC) {
            if (br_get(&r, 32, &lo) != 0 || br_get(&r, 32, &hi) != 0)
                return CN_ECORRUPT;
            z = lo | hi << 32;
        } else if (k > 32) {
            if (br_get(&r, 32, &lo) != 0 || br_get(&r, k - 32, &hi) != 0)
                return CN_ECORRUPT;
            z = (q << k) | lo | hi << 32;
        } else {
            lo = 0;
            if (k > 0 && br_get(&r, k, &lo) != 0)
                return CN_ECORRUPT;
            z = (q << k) | lo;
        }
        prev += unzigzag(z) * g;
        v[i] = (int64_t)prev;
    }
    /* the padding of the last byte is zero, and no whole byte is left over */
    return br_end(&r, len);
}

/* --- KEYED: the value of the last row with the same key --- */

/* Key -> last value, open addressing, at most half full (a page has at most
 * n keys), entries together so that a lookup touches one cache line. The
 * entries come from a per-thread buffer reused from page to page (no
 * clearing, no fresh memory): an entry is used when its tag is the map's
 * generation. */
typedef struct kent {
    int64_t key, val;
    uint64_t tag;
} kent_t;

typedef struct kmap {
    uint32_t cap;
    unsigned shift;
    uint64_t gen;
    int slot; /* the per-thread buffer used, or -1: e is its own allocation */
    kent_t *e;
} kmap_t;

typedef struct kbufs {
    kent_t *buf[2];
    uint32_t cap[2];
    bool busy[2];
    uint64_t gen;
} kbufs_t;

static pthread_key_t kb_key;
static pthread_once_t kb_once = PTHREAD_ONCE_INIT;

static void kb_free(void *p)
{
    kbufs_t *b = p;
    free(b->buf[0]);
    free(b->buf[1]);
    free(b);
}

static void kb_init(void)
{
    CN_ASSERT(pthread_key_create(&kb_key, kb_free) == 0);
}

static void kmap_init(kmap_t *m, uint32_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n)
        m->cap <<= 1;
    m->shift = 64 - (unsigned)__builtin_ctz(m->cap);
    pthread_once(&kb_once, kb_init);
    kbufs_t *b = pthread_getspecific(kb_key);
    if (!b) {
        b = cn_xcalloc(1, sizeof(*b));
        pthread_setspecific(kb_key, b);
    }
    m->slot = -1;
    for (int i = 0; i < 2; i++) {
        if (b->busy[i])
            continue;
        if (b->cap[i] < m->cap) {
            free(b->buf[i]);
            b->buf[i] = cn_xcalloc(m->cap, sizeof(kent_t)); /* tags 0: never a generation */
            b->cap[i] = m->cap;
        }
        b->busy[i] = true;
        m->slot = i;
        m->e = b->buf[i];
        m->gen = ++b->gen;
        return;
    }
    m->e = cn_xcalloc(m->cap, sizeof(kent_t));
    m->gen = 1;
}

static void kmap_dispose(kmap_t *m)
{
    if (m->slot < 0) {
        free(m->e);
        return;
    }
    kbufs_t *b = pthread_getspecific(kb_key);
    b->busy[m->slot] = false;
}

#define KUSED(m, h) ((m)->e[h].tag == (m)->gen)

/* The slot of key (found or empty). */
static uint32_t kmap_slot(const kmap_t *m, int64_t key)
{
    uint32_t h = (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> m->shift);
    while (KUSED(m, h) && m->e[h].key != key)
        h = (h + 1) & (m->cap - 1);
    return h;
}

/* Sets key's value; h is kmap_slot(m, key). */
static void kmap_put(kmap_t *m, uint32_t h, int64_t key, int64_t val)
{
    m->e[h].tag = m->gen;
    m->e[h].key = key;
    m->e[h].val = val;
}

/*
 * The predictor KEYED's encoder and decoder share. Per row: the value of the
 * last earlier row of the page with the same key (m), else with the same
 * fallback key (m2), plus step. Modes (given by the column's derived key):
 *   KMODE_PLAIN     as above;
 *   KMODE_ADAPTIVE  (var@visit/page) the key's high 32 bits name a var: per
 *                   var, a running score of which key predicted it better so
 *                   far decides which one is tried first;
 *   KMODE_CHAIN     (next@visit/page) a key with bit 63 set is combined with
 *                   the previous row's value (the var that came before in the
 *                   same hit), so a hit's list of vars is predicted by its
 *                   successors in the visit's earlier lists.
 * Key collisions only cost predictions: both sides compute the same keys.
 */
#define KSCORES 1024u

typedef struct kpred {
    kmap_t m, m2;
    int mode;
    bool two;
    int8_t score[KSCORES];
    /* the current row */
    uint32_t h, h2, s;
    int64_t k1, k2;
    bool have1, have2;
    int64_t p1, p2;
} kpred_t;

static void kpred_init(kpred_t *k, uint32_t n, bool two, int mode)
{
    memset(k->score, 0, sizeof(k->score));
    k->mode = mode;
    k->two = two;
    kmap_init(&k->m, n);
    if (two)
        kmap_init(&k->m2, n);
}

static void kpred_dispose(kpred_t *k)
{
    kmap_dispose(&k->m);
    if (k->two)
        kmap_dispose(&k->m2);
}

static int64_t chain_key(int64_t key, const int64_t *v, uint32_t i)
{
    uint64_t k = (uint64_t)key;
    if (!(k >> 63) || i == 0)
        return key;
    return (int64_t)(((k & ~(1ull << 63)) * 0x9E3779B97F4A7C15ull) ^
                     ((uint64_t)v[i - 1] * 0xC2B2AE3D27D4EB4Full) ^ 1);
}

/* The prediction for row i (v[0..i) known): 1 and *pred, or 0 when there is none. */
static int kpred_row(kpred_t *k, const int64_t *keys, const int64_t *keys2, const int64_t *v,
                     uint32_t i, uint64_t step, int64_t *pred)
{
    int64_t k1 = keys[i], k2 = k->two ? keys2[i] : 0;
    if (k->mode == CN_STORE__KMODE_CHAIN) {
        k1 = chain_key(k1, v, i);
        k2 = chain_key(k2, v, i);
    }
    k->k1 = k1;
    k->k2 = k2;
    k->h = kmap_slot(&k->m, k1);
    k->have1 = KUSED(&k->m, k->h);
    k->p1 = (int64_t)((uint64_t)k->m.e[k->h].val + step);
    k->have2 = false;
    if (k->two) {
        k->h2 = kmap_slot(&k->m2, k2);
        k->have2 = KUSED(&k->m2, k->h2);
        k->p2 = (int64_t)((uint64_t)k->m2.e[k->h2].val + step);
    }
    bool second_first = false;
    if (k->mode == CN_STORE__KMODE_ADAPTIVE && k->two) {
        k->s = (uint32_t)((((uint64_t)keys[i] >> 32) * 0x9E3779B97F4A7C15ull) >> 54) % KSCORES;
        second_first = k->score[k->s] < 0;
    }
    if (second_first ? k->have2 : k->have1) {
        *pred = second_first ? k->p2 : k->p1;
        return 1;
    }
    if (second_first ? k->have1 : k->have2) {
        *pred = second_first ? k->p1 : k->p2;
        return 1;
    }
    return 0;
}

/* Row i's value is x: updates the maps (and the score). */
static void kpred_update(kpred_t *k, int64_t x)
{
    if (k->mode == CN_STORE__KMODE_ADAPTIVE && k->two) {
        int d = (k->have1 && k->p1 == x) - (k->have2 && k->p2 == x);
        int s = k->score[k->s] + d;
        k->score[k->s] = (int8_t)(s > 15 ? 15 : s < -15 ? -15 : s);
    }
    kmap_put(&k->m, k->h, k->k1, x);
    if (k->two) {
        kmap_put(&k->m2, k->h2, k->k2, x);
    }
}

/*
 * KEYED's payload (format 5): varint b, the number of rows that have a
 * prediction (kpred_row), a bitmap of ceil(b / 8) bytes with one bit per
 * such row in row order (LSB first: 1 = the row holds the predicted value),
 * then the other rows' values (the rows without a prediction and those whose
 * bit is 0), value - base in w bits. Fills bitmap (zeroed, ceil(n / 8)
 * bytes; may be NULL) and the explicit values (may be NULL); *nbits (may be
 * NULL) gets b. Returns the payload length.
 */
static uint64_t keyed_scan(const int64_t *v, const int64_t *keys, const int64_t *keys2, uint32_t n,
                           uint64_t step, int mode, unsigned w, uint8_t *bitmap,
                           int64_t *explicit_vals, uint32_t *nbits)
{
    kpred_t *k = cn_xmalloc(sizeof(*k));
    kpred_init(k, n, keys2 != NULL, mode);
    uint64_t count = 0;
    uint32_t b = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t pred;
        int have = kpred_row(k, keys, keys2, v, i, step, &pred);
        if (have && pred == v[i]) {
            if (bitmap)
                bitmap[b >> 3] |= (uint8_t)(1u << (b & 7));
        } else {
            if (explicit_vals)
                explicit_vals[count] = v[i];
            count++;
        }
        b += (uint32_t)have;
        kpred_update(k, v[i]);
    }
    kpred_dispose(k);
    free(k);
    if (nbits)
        *nbits = b;
    return cn_varint_len(b) + ((uint64_t)b + 7) / 8 + (count * w + 7) / 8;
}

static void keyed_build(const int64_t *v, const int64_t *keys, const int64_t *keys2, uint32_t n,
                        uint64_t base, uint64_t step, int mode, unsigned w, uint8_t *p,
                        uint64_t len)
{
    uint8_t *bm = cn_xcalloc(((size_t)n + 7) / 8, 1);
    int64_t *ex = cn_xmalloc(n * sizeof(int64_t));
    uint32_t b = 0;
    keyed_scan(v, keys, keys2, n, step, mode, w, bm, ex, &b);
    size_t nb = ((size_t)b + 7) / 8;
    uint8_t *q = put_varint(p, b);
    memcpy(q, bm, nb);
    q += nb;
    uint64_t ones = 0;
    for (size_t i = 0; i < nb; i++)
        ones += (unsigned)__builtin_popcount(bm[i]);
    bitpack(ex, (uint32_t)(n - ones), base, w, q, len - (uint64_t)(q - p));
    free(ex);
    free(bm);
}

static int keyed_decode(const uint8_t *raw, size_t raw_len, uint32_t n, uint64_t base,
                        uint64_t step, int mode, unsigned w, const int64_t *keys,
                        const int64_t *keys2, int64_t *v)
{
    const uint8_t *end = raw + raw_len;
    uint64_t b;
    if (!keys || w == 0 || w > 64 || cn_get_varint(&raw, end, &b) != 0 || b > n)
        return CN_ECORRUPT;
    size_t nb = ((size_t)b + 7) / 8;
    if ((size_t)(end - raw) < nb)
        return CN_ECORRUPT;
    uint64_t ones = 0;
    for (size_t i = 0; i < nb; i++)
        ones += (unsigned)__builtin_popcount(raw[i]);
    if ((b & 7) && (raw[nb - 1] >> (b & 7)) != 0)
        return CN_ECORRUPT; /* padding bits set */
    uint64_t count = n - ones;
    if ((size_t)(end - raw) - nb != (count * w + 7) / 8)
        return CN_ECORRUPT;
    const uint8_t *bm = raw;
    int64_t *ex = cn_xmalloc((count ? count : 1) * sizeof(int64_t));
    unpack(raw + nb, (size_t)(end - raw) - nb, (uint32_t)count, base, w, ex);
    int rc = 0;
    uint64_t j = 0, bi = 0;
    if (mode == CN_STORE__KMODE_PLAIN && !keys2) {
        /* the common case (a column keyed by another of its group), without the
         * general predictor's bookkeeping: the same predictions */
        kmap_t m;
        kmap_init(&m, n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t h = kmap_slot(&m, keys[i]);
            int64_t x;
            if (KUSED(&m, h)) {
                if (bi >= b) {
                    rc = CN_ECORRUPT;
                    break;
                }
                if (bm[bi >> 3] & (1u << (bi & 7))) {
                    x = (int64_t)((uint64_t)m.e[h].val + step);
                } else {
                    if (j >= count) {
                        rc = CN_ECORRUPT;
                        break;
                    }
                    x = ex[j++];
                }
                bi++;
                m.e[h].val = x;
            } else {
                if (j >= count) {
                    rc = CN_ECORRUPT;
                    break;
                }
                x = ex[j++];
                kmap_put(&m, h, keys[i], x);
            }
            v[i] = x;
        }
        kmap_dispose(&m);
    } else {
        kpred_t *k = cn_xmalloc(sizeof(*k));
        kpred_init(k, n, keys2 != NULL, mode);
        for (uint32_t i = 0; i < n; i++) {
            int64_t pred;
            int have = kpred_row(k, keys, keys2, v, i, step, &pred);
            bool one = false;
            if (have) {
                if (bi >= b) {
                    rc = CN_ECORRUPT;
                    break;
                }
                one = (bm[bi >> 3] & (1u << (bi & 7))) != 0;
                bi++;
            }
            if (one) {
                v[i] = pred;
            } else {
                if (j >= count) {
                    rc = CN_ECORRUPT;
                    break;
                }
                v[i] = ex[j++];
            }
            kpred_update(k, v[i]);
        }
        kpred_dispose(k);
        free(k);
    }
    /* every bit of the bitmap was a row's, and every explicit value was used */
    if (rc == 0 && (bi != b || j != count))
        rc = CN_ECORRUPT;
    free(ex);
    return rc;
}

/* --- REF: the distance back to the last row of the same value --- */

/*
 * A row's symbol s (docs/storage.md "REF"): 0 when the value is `next` (the
 * largest earlier value of the page + 1; base for row 0), d in 1..i when it
 * is the value of row i - d (the encoder takes the last such row), i + 1 for
 * an escape, followed by zigzag(value - next). Symbols are exp-Golomb coded
 * with parameter k: x = (s >> k) + 1 of L bits as L - 1 zero bits, a one
 * bit and x's low L - 1 bits, then s's k low bits (bits least significant
 * first, as RICE). An escape's z: its bit length L (0..64) as the gamma code
 * of L + 1 (x = L + 1 above, with k = 0), then z's low L - 1 bits (the top
 * bit is implied). Decoding is a copy from an earlier row: no table.
 */
#define REF_MAX_K 24u

static unsigned bitlen64(uint64_t x)
{
    return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

static uint64_t ref_next(bool have, int64_t hi, uint64_t base)
{
    return have ? (uint64_t)hi + 1 : base;
}

/* The rows' symbols and the escapes' zigzag(value - next) (in esc, by row). */
static void ref_symbols(const int64_t *v, uint32_t n, uint64_t base, uint32_t *sym, uint64_t *esc)
{
    kmap_t m;
    kmap_init(&m, n);
    bool have = false;
    int64_t hi = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t next = ref_next(have, hi, base);
        uint32_t h = kmap_slot(&m, v[i]);
        if ((uint64_t)v[i] == next) {
            sym[i] = 0;
        } else if (KUSED(&m, h)) {
            sym[i] = i - (uint32_t)m.e[h].val;
        } else {
            sym[i] = i + 1;
            esc[i] = zigzag((uint64_t)v[i] - next);
        }
        kmap_put(&m, h, v[i], i);
        if (!have || v[i] > hi) {
            hi = v[i];
            have = true;
        }
    }
    kmap_dispose(&m);
}

static uint64_t ref_esc_bits(uint64_t z)
{
    unsigned l = bitlen64(z);
    return 2 * bitlen64(l + 1) - 1 + (l > 1 ? l - 1 : 0);
}

/* Payload bits with parameter k. */
static uint64_t ref_bits(const uint32_t *sym, const uint64_t *esc, uint32_t n, unsigned k)
{
    uint64_t bits = 0;
    for (uint32_t i = 0; i < n; i++) {
        bits += 2 * bitlen64(((uint64_t)sym[i] >> k) + 1) - 1 + k;
        if (sym[i] == i + 1)
            bits += ref_esc_bits(esc[i]);
    }
    return bits;
}

/* The best k (0..REF_MAX_K) and its payload length. */
static unsigned ref_pick(const uint32_t *sym, const uint64_t *esc, uint32_t n, uint64_t *out_len)
{
    uint64_t best = UINT64_MAX;
    unsigned bk = 0;
    for (unsigned k = 0; k <= REF_MAX_K; k++) {
        uint64_t b = ref_bits(sym, esc, n, k);
        if (b < best) {
            best = b;
            bk = k;
        } else if (b > best) {
            break; /* the cost is convex in k */
        }
    }
    *out_len = (best + 7) / 8;
    return bk;
}

/* Appends the gamma code of x (>= 1). */
static void bw_gamma(bitw_t *w, uint64_t x)
{
    unsigned l = bitlen64(x);
    for (unsigned z = l - 1; z > 0;) {
        unsigned c = z > 32 ? 32 : z;
        bw_put(w, 0, c);
        z -= c;
    }
    bw_put(w, 1, 1);
    if (l > 33) {
        bw_put(w, x & 0xffffffffu, 32);
        bw_put(w, (x >> 32) & ((1ull << (l - 33)) - 1), l - 33);
    } else if (l > 1) {
        bw_put(w, x, l - 1);
    }
}

static void ref_build(const uint32_t *sym, const uint64_t *esc, uint32_t n, unsigned k, uint8_t *p)
{
    bitw_t w = {p, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        bw_gamma(&w, ((uint64_t)sym[i] >> k) + 1);
        if (k > 0)
            bw_put(&w, sym[i], k);
        if (sym[i] == i + 1) {
            uint64_t z = esc[i];
            unsigned l = bitlen64(z);
            bw_gamma(&w, l + 1);
            if (l > 33) {
                bw_put(&w, z & 0xffffffffu, 32);
                bw_put(&w, (z >> 32) & ((1ull << (l - 33)) - 1), l - 33);
            } else if (l > 1) {
                bw_put(&w, z, l - 1);
            }
        }
    }
    if (w.n > 0)
        *w.p++ = (uint8_t)w.acc;
}

/* Reads a gamma code of fewer than maxl (<= 64) leading zero bits; CN_ECORRUPT when damaged. */
static int br_gamma(bitr_t *r, unsigned maxl, uint64_t *out)
{
    unsigned zeros = 0;
    uint64_t b;
    for (;;) {
        if (br_get(r, 1, &b) != 0)
            return CN_ECORRUPT;
        if (b)
            break;
        if (++zeros >= maxl)
            return CN_ECORRUPT;
    }
    uint64_t x = 1, lo = 0, hi = 0;
    if (zeros > 32) {
        if (br_get(r, 32, &lo) != 0 || br_get(r, zeros - 32, &hi) != 0)
            return CN_ECORRUPT;
        x = 1ull << zeros | hi << 32 | lo;
    } else if (zeros > 0) {
        if (br_get(r, zeros, &lo) != 0)
            return CN_ECORRUPT;
        x = 1ull << zeros | lo;
    }
    *out = x;
    return 0;
}

/* An escape's z (after its symbol): CN_ECORRUPT when damaged. */
static int ref_escape(bitr_t *r, uint64_t *out)
{
    uint64_t l, lo = 0, hi = 0;
    if (br_gamma(r, 7, &l) != 0 || l > 65)
        return CN_ECORRUPT;
    l -= 1;
    *out = l;
    if (l > 33) {
        if (br_get(r, 32, &lo) != 0 || br_get(r, (unsigned)l - 33, &hi) != 0)
            return CN_ECORRUPT;
        *out = 1ull << (l - 1) | hi << 32 | lo;
    } else if (l > 1) {
        if (br_get(r, (unsigned)l - 1, &lo) != 0)
            return CN_ECORRUPT;
        *out = 1ull << (l - 1) | lo;
    }
    return 0;
}

static int ref_decode(const uint8_t *p, size_t len, uint32_t n, uint64_t base, unsigned k,
                      int64_t *v)
{
    if (k > REF_MAX_K)
        return CN_ECORRUPT;
    bitr_t r = {p, (uint64_t)len * 8, 0};
    uint64_t kmask = (1ull << k) - 1;
    uint64_t next = base; /* the largest value so far + 1 (base for row 0) */
    int64_t hi = INT64_MIN;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t s;
        size_t byte = r.pos >> 3;
        uint64_t word = 0;
        if (byte + 8 <= len) {
            memcpy(&word, p + byte, 8);
            word = le64toh(word) >> (r.pos & 7); /* at least 57 valid bits */
        }
        unsigned z = word ? (unsigned)__builtin_ctzll(word) : 64;
        if (2 * z + 1 + k <= 57) {
            /* fast path: the whole code lies in the word */
            uint64_t x = 1ull << z | ((word >> (z + 1)) & ((1ull << z) - 1));
            s = (x - 1) << k | ((word >> (2 * z + 1)) & kmask);
            r.pos += 2 * z + 1 + k;
        } else {
            uint64_t x, lo = 0;
            if (br_gamma(&r, 33, &x) != 0 || (k > 0 && br_get(&r, k, &lo) != 0))
                return CN_ECORRUPT;
            s = (x - 1) << k | lo;
        }
        /* s = 0 reads the `next` just stored: no branch between new and earlier values */
        v[i] = (int64_t)next;
        int64_t x;
        if (s <= i) {
            x = v[i - s];
        } else if (s == (uint64_t)i + 1) {
            uint64_t zz;
            if (ref_escape(&r, &zz) != 0)
                return CN_ECORRUPT;
            x = (int64_t)(next + unzigzag(zz));
        } else {
            return CN_ECORRUPT;
        }
        v[i] = x;
        hi = x > hi ? x : hi;
        next = (uint64_t)hi + 1;
    }
    return br_end(&r, len);
}

/* --- HUFF: an order-0 canonical Huffman code over the page's values --- */

/*
 * Payload (docs/storage.md "HUFF"): varint k (2..rows distinct values),
 * varints b0, b1, b2 (the byte lengths of row streams 0..2), then the table,
 * a bit stream (LSB first, as RICE): 6 bits kg; HUFF_MAX_LEN x 3 bits, the
 * length (0: unused, 1..7) of the "meta" code of each code length 1..
 * HUFF_MAX_LEN; k - 1 gaps d[j] - d[j-1] - 1 between the ascending distinct
 * values (d[0] = base), exp-Golomb with parameter kg (REF's code); each
 * value's code length as its meta code; zero padding to a byte. Then four
 * row streams, stream s the codes of rows s, s + 4, s + 8, ..., each padded
 * with zero bits to a byte (stream 3 ends the payload): four independent
 * streams let the decoder overlap four table lookups. Both codes are
 * canonical (codes given in order of (length, symbol)), complete, and
 * written first bit first; width is the longest code length.
 * The decoder is table driven: 8..16 bits index a primary table whose
 * entries hold a code (symbol, length) or point to a sub-table for the
 * longer codes of that prefix.
 */
#define HUFF_MAX_LEN  20u
#define HUFF_META_MAX 7u
#define HUFF_TB_MAX   16u
#define HUFF_MIN_ROWS 64u
#define HUFF_STREAMS  4u

typedef struct huff {
    uint32_t k;
    unsigned maxlen; /* the longest code (width) */
    unsigned kg;     /* the gaps' exp-Golomb parameter */
    uint8_t *len;    /* [k] code length, by LOCAL rank */
    uint32_t *code;  /* [k] code, first bit least significant, by rank */
    uint32_t *byval; /* [k] ranks in ascending value order */
    uint8_t mlen[HUFF_MAX_LEN];
    uint32_t mcode[HUFF_MAX_LEN];
    uint64_t sbytes[HUFF_STREAMS]; /* bytes of each row stream */
    uint64_t len_bytes;            /* payload length */
} huff_t;

/* The low bits (1..32) of c in reverse order. */
static uint32_t rev_bits(uint32_t c, unsigned bits)
{
    c = ((c >> 1) & 0x55555555u) | ((c & 0x55555555u) << 1);
    c = ((c >> 2) & 0x33333333u) | ((c & 0x33333333u) << 2);
    c = ((c >> 4) & 0x0F0F0F0Fu) | ((c & 0x0F0F0F0Fu) << 4);
    c = __builtin_bswap32(c);
    return c >> (32 - bits);
}

static int cmp_freq(const void *a, const void *b, void *ud)
{
    const uint32_t *f = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (f[x] != f[y])
        return f[x] < f[y] ? -1 : 1;
    return x < y ? 1 : x > y ? -1 : 0; /* ties: the later symbol first (gets the longer code) */
}

/*
 * Minimum-redundancy code lengths of the nondecreasing weights A[0..m)
 * (m >= 2), in place (Moffat and Katajainen's in-place method): on return
 * A[i] is the length of symbol i's code (nonincreasing in i).
 */
static void mk_lengths(uint32_t *A, uint32_t m)
{
    uint32_t root = 0, leaf = 2, next;
    A[0] += A[1];
    for (next = 1; next < m - 1; next++) {
        if (leaf >= m || A[root] < A[leaf]) {
            A[next] = A[root];
            A[root++] = next;
        } else {
            A[next] = A[leaf++];
        }
        if (leaf >= m || (root < next && A[root] < A[leaf])) {
            A[next] += A[root];
            A[root++] = next;
        } else {
            A[next] += A[leaf++];
        }
    }
    A[m - 2] = 0;
    for (int64_t j = (int64_t)m - 3; j >= 0; j--)
        A[j] = A[A[j]] + 1;
    int64_t avbl = 1, used = 0, dpth = 0, r = (int64_t)m - 2, nx = (int64_t)m - 1;
    while (avbl > 0) {
        while (r >= 0 && A[r] == (uint32_t)dpth) {
            used++;
            r--;
        }
        while (avbl > used) {
            A[nx--] = (uint32_t)dpth;
            avbl--;
        }
        avbl = 2 * used;
        dpth++;
        used = 0;
    }
}

/*
 * Code lengths (at most limit) of the symbols 0..m) with the given
 * frequencies (0: no code). At least two frequencies are non-zero and m <=
 * 2^limit. Lengths beyond the limit are cut and the code made complete
 * again by lengthening the shortest codes that can be (the frequent symbols
 * keep the shorter codes).
 */
static void huff_lengths(const uint32_t *freq, uint32_t m, unsigned limit, uint8_t *len)
{
    uint32_t *ord = cn_xmalloc(m * sizeof(uint32_t)), nz = 0;
    for (uint32_t s = 0; s < m; s++) {
        len[s] = 0;
        if (freq[s])
            ord[nz++] = s;
    }
    CN_ASSERT(nz >= 2);
    qsort_r(ord, nz, sizeof(uint32_t), cmp_freq, (void *)freq);
    uint32_t *A = cn_xmalloc(nz * sizeof(uint32_t));
    for (uint32_t i = 0; i < nz; i++)
        A[i] = freq[ord[i]];
    mk_lengths(A, nz);
    uint64_t cnt[HUFF_MAX_LEN + 1] = {0}, total = 0;
    for (uint32_t i = 0; i < nz; i++) {
        unsigned l = A[i] > limit ? limit : A[i];
        cnt[l]++;
        total += 1ull << (limit - l);
    }
    while (total > (1ull << limit)) {
        cnt[limit]--;
        for (unsigned l = limit - 1; l > 0; l--) {
            if (cnt[l]) {
                cnt[l]--;
                cnt[l + 1] += 2;
                break;
            }
        }
        total--;
    }
    /* the most frequent symbols (the end of ord) get the shortest codes */
    int64_t i = (int64_t)nz - 1;
    for (unsigned l = 1; l <= limit; l++)
        for (uint64_t c = 0; c < cnt[l]; c++)
            len[ord[i--]] = (uint8_t)l;
    free(A);
    free(ord);
}

/* Canonical codes of symbols 0..m) with lengths len (0: none, at most
 * HUFF_MAX_LEN): code[s] bit-reversed (its first bit least significant). */
static void huff_codes(const uint8_t *len, const uint32_t *order, uint32_t m, uint32_t *code)
{
    uint32_t cnt[HUFF_MAX_LEN + 1] = {0}, next[HUFF_MAX_LEN + 2];
    for (uint32_t s = 0; s < m; s++)
        cnt[len[s]]++;
    cnt[0] = 0;
    uint32_t c = 0;
    for (unsigned l = 1; l <= HUFF_MAX_LEN; l++) {
        c = (c + cnt[l - 1]) << 1;
        next[l] = c;
    }
    for (uint32_t j = 0; j < m; j++) {
        uint32_t s = order ? order[j] : j;
        if (len[s])
            code[s] = rev_bits(next[len[s]]++, len[s]);
    }
}

static uint64_t eg_bits(uint64_t g, unsigned kg)
{
    return 2 * bitlen64((g >> kg) + 1) - 1 + kg;
}

static int cmp_val(const void *a, const void *b, void *ud)
{
    const int64_t *v = ud;
    int64_t x = v[*(const uint32_t *)a], y = v[*(const uint32_t *)b];
    return x < y ? -1 : x > y;
}

/*
 * A lower bound of HUFF's payload length over L (bytes): the rows' codes
 * take at least their entropy, the sum over the values of f log2(n / f)
 * bits (f a value's rows), here with each log2 rounded down, and the table
 * at least one bit per gap and per length. The writer plans HUFF only when
 * this is below the best length so far (a page of distinct times never).
 */
static uint64_t huff_bound(const local_t *L, uint32_t n)
{
    uint32_t *freq = cn_xcalloc(L->k, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        freq[L->ids[i]]++;
    uint64_t bits = 2ull * L->k - 1;
    for (uint32_t r = 0; r < L->k; r++)
        bits += (uint64_t)freq[r] * (bitlen64(n / freq[r]) - 1);
    free(freq);
    return bits / 8;
}

/* Plans HUFF over LOCAL's analysis L of the n rows: codes and exact length. */
static void huff_plan(const local_t *L, uint32_t n, huff_t *H)
{
    uint32_t k = L->k;
    CN_ASSERT(k >= 2);
    memset(H, 0, sizeof(*H));
    H->k = k;
    uint32_t *freq = cn_xcalloc(k, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        freq[L->ids[i]]++;
    H->len = cn_xmalloc(k);
    huff_lengths(freq, k, HUFF_MAX_LEN, H->len);
    H->byval = cn_xmalloc(k * sizeof(uint32_t));
    for (uint32_t j = 0; j < k; j++)
        H->byval[j] = j;
    qsort_r(H->byval, k, sizeof(uint32_t), cmp_val, L->vals);
    H->code = cn_xmalloc(k * sizeof(uint32_t));
    huff_codes(H->len, H->byval, k, H->code);
    /* the meta code of the code lengths (complete: two symbols at least) */
    uint32_t mf[HUFF_MAX_LEN] = {0};
    uint64_t bits = 6 + 3 * HUFF_MAX_LEN, sbits[HUFF_STREAMS] = {0};
    for (uint32_t r = 0; r < k; r++) {
        mf[H->len[r] - 1]++;
        H->maxlen = H->len[r] > H->maxlen ? H->len[r] : H->maxlen;
    }
    for (uint32_t i = 0; i < n; i++)
        sbits[i % HUFF_STREAMS] += H->len[L->ids[i]];
    unsigned used = 0;
    for (unsigned s = 0; s < HUFF_MAX_LEN; s++)
        used += mf[s] != 0;
    if (used == 1)
        mf[mf[0] ? 1 : 0] = 1; /* a phantom second symbol */
    huff_lengths(mf, HUFF_MAX_LEN, HUFF_META_MAX, H->mlen);
    huff_codes(H->mlen, NULL, HUFF_MAX_LEN, H->mcode);
    for (uint32_t r = 0; r < k; r++)
        bits += H->mlen[H->len[r] - 1];
    /* the gaps' parameter */
    uint64_t best = UINT64_MAX;
    for (unsigned kg = 0; kg < 64; kg++) {
        uint64_t b = 0;
        for (uint32_t j = 1; j < k; j++)
            b += eg_bits((uint64_t)L->vals[H->byval[j]] - (uint64_t)L->vals[H->byval[j - 1]] - 1,
                         kg);
        if (b < best) {
            best = b;
            H->kg = kg;
        } else if (b > best) {
            break; /* the cost is convex in kg */
        }
    }
    bits += best;
    H->len_bytes = cn_varint_len(k) + (bits + 7) / 8;
    for (unsigned st = 0; st < HUFF_STREAMS; st++) {
        H->sbytes[st] = (sbits[st] + 7) / 8;
        H->len_bytes += H->sbytes[st] + (st + 1 < HUFF_STREAMS ? cn_varint_len(H->sbytes[st]) : 0);
    }
    free(freq);
}

static void huff_dispose(huff_t *H)
{
    free(H->len);
    free(H->code);
    free(H->byval);
}

/* Appends the exp-Golomb code of g with parameter kg (0..63). */
static void bw_eg(bitw_t *w, uint64_t g, unsigned kg)
{
    bw_gamma(w, (g >> kg) + 1);
    if (kg > 32) {
        bw_put(w, g & 0xffffffffu, 32);
        bw_put(w, (g >> 32) & ((1ull << (kg - 32)) - 1), kg - 32);
    } else if (kg > 0) {
        bw_put(w, g, kg);
    }
}

static void huff_build(const local_t *L, const huff_t *H, uint32_t n, uint8_t *p)
{
    p = put_varint(p, H->k);
    for (unsigned st = 0; st + 1 < HUFF_STREAMS; st++)
        p = put_varint(p, H->sbytes[st]);
    bitw_t w = {p, 0, 0};
    bw_put(&w, H->kg, 6);
    for (unsigned s = 0; s < HUFF_MAX_LEN; s++)
        bw_put(&w, H->mlen[s], 3);
    for (uint32_t j = 1; j < H->k; j++)
        bw_eg(&w, (uint64_t)L->vals[H->byval[j]] - (uint64_t)L->vals[H->byval[j - 1]] - 1, H->kg);
    for (uint32_t j = 0; j < H->k; j++) {
        unsigned s = H->len[H->byval[j]] - 1u;
        bw_put(&w, H->mcode[s], H->mlen[s]);
    }
    if (w.n > 0)
        *w.p++ = (uint8_t)w.acc;
    for (unsigned st = 0; st < HUFF_STREAMS; st++) {
        bitw_t sw = {w.p, 0, 0};
        for (uint32_t i = st; i < n; i += HUFF_STREAMS) {
            uint32_t r = L->ids[i];
            bw_put(&sw, H->code[r], H->len[r]);
        }
        if (sw.n > 0)
            *sw.p++ = (uint8_t)sw.acc;
        CN_ASSERT((uint64_t)(sw.p - w.p) == H->sbytes[st]);
        w.p = sw.p;
    }
}

/* At least 57 bits of the stream from bit pos; zeros past its end. */
static uint64_t br_peek(const uint8_t *p, size_t len, uint64_t pos)
{
    size_t byte = pos >> 3;
    uint64_t w = 0;
    if (byte + 8 <= len) {
        memcpy(&w, p + byte, 8);
        w = le64toh(w);
    } else {
        for (unsigned b = 0; byte + b < len; b++)
            w |= (uint64_t)p[byte + b] << (8 * b);
    }
    return w >> (pos & 7);
}

/*
 * A decoding table of a complete canonical code: entry (symbol << 8 |
 * length) for a code of at most tb bits, replicated over the bits after
 * it; (offset << 8 | 0x80 | sub bits) for a prefix of longer codes, whose
 * sub-table at offset is indexed by the next sub bits.
 */
typedef struct htab {
    unsigned tb;
    uint32_t *e;
} htab_t;

/* Builds the table of the symbols 0..m) of lengths len (1..maxlen, a
 * complete code: checked by the caller). */
static void htab_build(const uint8_t *len, uint32_t m, unsigned maxlen, unsigned tb_max, htab_t *t)
{
    unsigned tb = maxlen < tb_max ? maxlen : tb_max;
    uint32_t *code = cn_xmalloc((m ? m : 1) * sizeof(uint32_t));
    huff_codes(len, NULL, m, code); /* bit-reversed */
    uint8_t *sb = cn_xcalloc(1u << tb, 1);
    for (uint32_t s = 0; s < m; s++)
        if (len[s] > tb) {
            uint32_t pfx = code[s] & ((1u << tb) - 1);
            unsigned d = len[s] - tb;
            sb[pfx] = d > sb[pfx] ? (uint8_t)d : sb[pfx];
        }
    size_t size = 1u << tb;
    for (uint32_t x = 0; x < (1u << tb); x++)
        if (sb[x])
            size += 1u << sb[x];
    t->tb = tb;
    t->e = cn_xcalloc(size, sizeof(uint32_t));
    size_t off = 1u << tb;
    for (uint32_t x = 0; x < (1u << tb); x++)
        if (sb[x]) {
            t->e[x] = (uint32_t)off << 8 | 0x80u | sb[x];
            off += 1u << sb[x];
        }
    for (uint32_t s = 0; s < m; s++) {
        unsigned l = len[s];
        if (l == 0)
            continue;
        if (l <= tb) {
            for (uint32_t x = code[s]; x < (1u << tb); x += 1u << l)
                t->e[x] = s << 8 | l;
        } else {
            uint32_t pfx = code[s] & ((1u << tb) - 1), ptr = t->e[pfx];
            uint32_t *sub = t->e + (ptr >> 8);
            unsigned bits = ptr & 31, d = l - tb;
            for (uint32_t x = code[s] >> tb; x < (1u << bits); x += 1u << d)
                sub[x] = s << 8 | l;
        }
    }
    free(sb);
    free(code);
}

/* The entry of the code at the start of word (at least maxlen valid bits).
 * Without a branch (the second load reads the primary entry again when it
 * is a code): a sub-table taken or not is not predictable. */
static inline uint32_t htab_get(const htab_t *t, uint64_t word)
{
    uint32_t x = (uint32_t)word & ((1u << t->tb) - 1);
    uint32_t e = t->e[x];
    uint32_t sub = (e >> 8) + ((uint32_t)(word >> t->tb) & ((1u << (e & 31)) - 1));
    return t->e[(e & 0x80) ? sub : x];
}

/* 0 when a stream ending at bit end (a whole byte) was read up to bit pos
 * with only zero padding left. */
static int huff_stream_end(const uint8_t *p, uint64_t end, uint64_t pos)
{
    if (pos > end || end - pos >= 8)
        return CN_ECORRUPT;
    return pos == end || (p[pos >> 3] >> (pos & 7)) == 0 ? 0 : CN_ECORRUPT;
}

/* 0 when the lengths len[0..m) (0..maxlen, 0 unused) make a complete code. */
static int huff_complete(const uint8_t *len, uint32_t m, unsigned maxlen)
{
    uint64_t total = 0;
    for (uint32_t s = 0; s < m; s++)
        if (len[s])
            total += 1ull << (maxlen - len[s]);
    return total == 1ull << maxlen ? 0 : CN_ECORRUPT;
}

static int huff_decode(const uint8_t *raw, size_t raw_len, uint32_t n, uint64_t base,
                       unsigned width, int64_t *v)
{
    const uint8_t *end = raw + raw_len;
    uint64_t k, kg;
    uint64_t sb[HUFF_STREAMS];
    if (width < 1 || width > HUFF_MAX_LEN || cn_get_varint(&raw, end, &k) != 0 || k < 2 || k > n ||
        k > (1ull << width))
        return CN_ECORRUPT;
    for (unsigned st = 0; st + 1 < HUFF_STREAMS; st++)
        if (cn_get_varint(&raw, end, &sb[st]) != 0 || sb[st] > raw_len)
            return CN_ECORRUPT;
    size_t len = (size_t)(end - raw);
    bitr_t r = {raw, (uint64_t)len * 8, 0};
    uint8_t mlen[HUFF_MAX_LEN];
    unsigned mmax = 0;
    if (br_get(&r, 6, &kg) != 0)
        return CN_ECORRUPT;
    for (unsigned s = 0; s < HUFF_MAX_LEN; s++) {
        uint64_t x;
        if (br_get(&r, 3, &x) != 0)
            return CN_ECORRUPT;
        mlen[s] = (uint8_t)x;
        mmax = x > mmax ? (unsigned)x : mmax;
    }
    if (mmax == 0 || huff_complete(mlen, HUFF_MAX_LEN, mmax) != 0)
        return CN_ECORRUPT;
    int64_t *vals = cn_xmalloc(k * sizeof(int64_t));
    uint8_t *clen = cn_xmalloc(k);
    htab_t meta = {0}, t = {0};
    int rc = CN_ECORRUPT;
    /* the distinct values: gaps */
    uint64_t off = 0;
    vals[0] = (int64_t)base;
    for (uint64_t j = 1; j < k; j++) {
        uint64_t x, lo = 0, hi = 0;
        uint64_t word = br_peek(raw, len, r.pos);
        unsigned z = word ? (unsigned)__builtin_ctzll(word) : 64;
        if (2 * z + 1 + kg <= 57) {
            /* fast path: the whole code lies in the word */
            uint64_t g = ((1ull << z | ((word >> (z + 1)) & ((1ull << z) - 1))) - 1) << kg |
                         ((word >> (2 * z + 1)) & ((1ull << kg) - 1));
            r.pos += 2 * z + 1 + kg;
            if (r.pos > r.len_bits || g >= UINT64_MAX - off)
                goto out;
            off += g + 1;
            vals[j] = (int64_t)(base + off);
            continue;
        }
        if (br_gamma(&r, 64, &x) != 0 || x - 1 > (UINT64_MAX >> kg))
            goto out;
        if (kg > 32) {
            if (br_get(&r, 32, &lo) != 0 || br_get(&r, (unsigned)kg - 32, &hi) != 0)
                goto out;
            lo |= hi << 32;
        } else if (kg > 0 && br_get(&r, (unsigned)kg, &lo) != 0) {
            goto out;
        }
        uint64_t g = (x - 1) << kg | lo;
        if (g >= UINT64_MAX - off)
            goto out; /* beyond 2^64 - 1 above base */
        off += g + 1;
        vals[j] = (int64_t)(base + off);
    }
    /* the code lengths */
    htab_build(mlen, HUFF_MAX_LEN, mmax, HUFF_META_MAX, &meta);
    for (uint64_t j = 0; j < k; j++) {
        uint32_t e = htab_get(&meta, br_peek(raw, len, r.pos));
        r.pos += e & 31;
        if (r.pos > r.len_bits || (e >> 8) + 1 > width)
            goto out;
        clen[j] = (uint8_t)((e >> 8) + 1);
    }
    if (huff_complete(clen, (uint32_t)k, width) != 0)
        goto out;
    /* the table's padding, then the row streams' bounds */
    uint64_t st_start[HUFF_STREAMS + 1];
    st_start[0] = (r.pos + 7) / 8 * 8;
    if (huff_stream_end(raw, st_start[0], r.pos) != 0)
        goto out;
    for (unsigned st = 0; st + 1 < HUFF_STREAMS; st++) {
        if (sb[st] > len - st_start[st] / 8)
            goto out;
        st_start[st + 1] = st_start[st] + sb[st] * 8;
    }
    st_start[HUFF_STREAMS] = (uint64_t)len * 8;
    /* the rows: one code of each stream in turn, the four lookups independent */
    unsigned tb = 8; /* a primary table of at most about n / 4 entries, 2^8..2^16 */
    while (tb < HUFF_TB_MAX && (1u << (tb + 2)) < n)
        tb++;
    htab_build(clen, (uint32_t)k, width, tb, &t);
    uint64_t p0 = st_start[0], p1 = st_start[1], p2 = st_start[2], p3 = st_start[3];
    uint32_t i = 0;
#define HUFF_STEP(ps, s)                                                                           \
    do {                                                                                           \
        uint64_t w_;                                                                               \
        memcpy(&w_, raw + (ps >> 3), 8);                                                           \
        uint32_t e_ = htab_get(&t, le64toh(w_) >> (ps & 7));                                       \
        ps += e_ & 31;                                                                             \
        v[i + s] = vals[e_ >> 8];                                                                  \
    } while (0)
    for (; i + HUFF_STREAMS <= n; i += HUFF_STREAMS) {
        uint64_t mx = p0 > p1 ? p0 : p1, m2 = p2 > p3 ? p2 : p3;
        mx = mx > m2 ? mx : m2;
        if ((mx >> 3) + 8 > len)
            break; /* near the end of the payload: the careful loop */
        HUFF_STEP(p0, 0);
        HUFF_STEP(p1, 1);
        HUFF_STEP(p2, 2);
        HUFF_STEP(p3, 3);
    }
#undef HUFF_STEP
    uint64_t pos[HUFF_STREAMS] = {p0, p1, p2, p3};
    for (; i < n; i++) {
        uint64_t *ps = &pos[i % HUFF_STREAMS];
        if (*ps > (uint64_t)len * 8)
            goto out;
        uint32_t e = htab_get(&t, br_peek(raw, len, *ps));
        *ps += e & 31;
        v[i] = vals[e >> 8];
    }
    rc = 0;
    for (unsigned st = 0; st < HUFF_STREAMS && rc == 0; st++)
        rc = huff_stream_end(raw, st_start[st + 1], pos[st]);
out:
    free(meta.e);
    free(t.e);
    free(clen);
    free(vals);
    return rc;
}

/* Builds the payload of one encoding into out (appended). L: LOCAL's analysis,
 * H: HUFF's plan (over L). */
static void build(const int64_t *v, const int64_t *keys, const int64_t *keys2, uint32_t n,
                  uint64_t base, uint8_t enc, unsigned w, uint64_t len, const local_t *L,
                  const huff_t *H, uint64_t g, int kmode, const uint32_t *rsym,
                  const uint64_t *resc, cn_buf_t *out)
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
    } else if (enc == CN_STORE__ENC_KEYED || enc == CN_STORE__ENC_KEYED_NEXT) {
        keyed_build(v, keys, keys2, n, base, enc == CN_STORE__ENC_KEYED_NEXT, kmode, w, p, len);
    } else if (enc == CN_STORE__ENC_RICE) {
        memset(p, 0, len);
        rice_build(v, n, base, w, 1, p);
    } else if (enc == CN_STORE__ENC_REF) {
        memset(p, 0, len);
        ref_build(rsym, resc, n, w, p);
    } else if (enc == CN_STORE__ENC_HUFF) {
        memset(p, 0, len);
        huff_build(L, H, n, p);
    } else if (enc == CN_STORE__ENC_SRICE) {
        memset(p, 0, len);
        uint8_t *q = put_varint(p, g);
        rice_build(v, n, base, w, g, q);
    } else if (enc == CN_STORE__ENC_LOCAL) {
        p = put_varint(p, L->k);
        uint64_t prev = base;
        for (uint32_t j = 0; j < L->k; j++) {
            p = put_varint(p, zigzag((uint64_t)L->vals[j] - prev));
            prev = (uint64_t)L->vals[j];
        }
        for (uint32_t i = 0; i < n; i++)
            p[i] = (uint8_t)L->ids[i];
        if (w == 16)
            for (uint32_t i = 0; i < n; i++)
                p[n + i] = (uint8_t)(L->ids[i] >> 8);
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
    cn_store__page_encode_keyed(v, NULL, NULL, n, zstd_level, out, pg, zctx);
}

void cn_store__page_encode_keyed(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                                 uint32_t n, int zstd_level, cn_buf_t *out, cn_store__page_t *pg,
                                 void *zctx)
{
    cn_store__page_encode_kmode(v, keys, keys2, CN_STORE__KMODE_PLAIN, n, zstd_level, out, pg,
                                zctx);
}

/*
 * One pass over v[0..n) (n >= 1): min, max, and the sizes of RLE and DELTA
 * but for the first row's term (which depends on the minimum, the base):
 * *rle_rest is every run's length varint plus the value varints of the runs
 * after the first, *delta_rest the varints of rows 1..n-1. A new run starts
 * where a row differs from the one before, and its value varint is then that
 * row's delta varint.
 */
static void size_pass(const int64_t *v, uint32_t n, int64_t *out_mn, int64_t *out_mx,
                      uint64_t *rle_rest, uint64_t *delta_rest)
{
    int64_t mn = v[0], mx = v[0];
    uint64_t rle = 0, delta = 0, run = 1, prev = (uint64_t)v[0];
    for (uint32_t i = 1; i < n; i++) {
        int64_t x = v[i];
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        uint64_t d = (uint64_t)x - prev;
        if (d != 0) {
            unsigned l = cn_varint_len(zigzag(d));
            delta += l;
            rle += cn_varint_len(run) + l;
            run = 1;
        } else {
            delta++;
            run++;
        }
        prev = (uint64_t)x;
    }
    *out_mn = mn;
    *out_mx = mx;
    *rle_rest = rle + cn_varint_len(run);
    *delta_rest = delta;
}

void cn_store__page_encode_kmode(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                                 int kmode, uint32_t n, int zstd_level, cn_buf_t *out,
                                 cn_store__page_t *pg, void *zctx)
{
    int64_t mx;
    cn_store__page_encode_mx(v, keys, keys2, kmode, n, zstd_level, out, pg, zctx, &mx);
}

void cn_store__page_encode_mx(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                              int kmode, uint32_t n, int zstd_level, cn_buf_t *out,
                              cn_store__page_t *pg, void *zctx, int64_t *out_max)
{
    CN_ASSERT(n >= 1 && n <= CN_STORE_PAGE_ROWS);
    memset(pg, 0, sizeof(*pg));
    pg->rows = n;
    int64_t mn, mx;
    uint64_t rle, delta;
    size_pass(v, n, &mn, &mx, &rle, &delta);
    *out_max = mx;
    pg->base = mn;
    if (mn == mx) {
        pg->enc = CN_STORE__ENC_CONST;
        out->ptr[out->len] = '\0';
        return;
    }
    bool more = zstd_level > 0 && zctx; /* the slower encodings only where zstd is tried */
    bool try_ref = (kmode & CN_STORE__KMODE_TRY_REF) != 0;
    kmode &= ~CN_STORE__KMODE_TRY_REF;
    /* exact sizes of every encoding: the first row's terms now that the base is known */
    uint64_t base = (uint64_t)mn;
    unsigned w = bits_for((uint64_t)mx - base);
    unsigned first = cn_varint_len(zigzag((uint64_t)v[0] - base));
    uint64_t packed = ((uint64_t)n * w + 7) / 8;
    rle += first;
    delta += first;
    uint8_t enc;
    uint64_t raw;
    unsigned ew = 0;
    if (packed <= rle && packed <= delta) {
        enc = CN_STORE__ENC_BITPACK;
        raw = packed;
        ew = w;
    } else if (rle <= delta) {
        enc = CN_STORE__ENC_RLE;
        raw = rle;
    } else {
        enc = CN_STORE__ENC_DELTA;
        raw = delta;
    }
    local_t L = {0};
    huff_t H = {0};
    bool have_local = false, built_local = false, have_huff = false;
    uint64_t g = 1;
    if (more && w > 1) {
        uint64_t rice;
        unsigned k = rice_pick(v, n, base, 1, &rice);
        if (rice < raw) {
            enc = CN_STORE__ENC_RICE;
            raw = rice;
            ew = k;
        }
        /* differences with a common factor (millisecond times kept in µs) */
        uint64_t cg = delta_gcd(v, n, base);
        if (cg > 1) {
            k = rice_pick(v, n, base, cg, &rice);
            rice += cn_varint_len(cg);
            if (rice < raw) {
                enc = CN_STORE__ENC_SRICE;
                raw = rice;
                ew = k;
                g = cg;
            }
        }
    }
    if (more && w > 4) {
        local_build(v, n, base, &L);
        have_local = built_local = true;
        if (L.k <= LOCAL_MAX_K && L.len < raw) {
            enc = CN_STORE__ENC_LOCAL;
            raw = L.len;
            ew = L.k <= 256 ? 8 : 16;
        }
    }
    if (more && w > 1 && n >= HUFF_MIN_ROWS) {
        /* format 5: a Huffman code over the page's values (dictionary ids, enums) */
        if (!built_local)
            local_build(v, n, base, &L);
        built_local = true;
        if (huff_bound(&L, n) < raw) {
            huff_plan(&L, n, &H);
            have_huff = true;
        }
        if (have_huff && H.len_bytes < raw) {
            enc = CN_STORE__ENC_HUFF;
            raw = H.len_bytes;
            ew = H.maxlen;
        }
    }
    uint64_t keyed = UINT64_MAX;
    uint8_t kenc = CN_STORE__ENC_KEYED;
    if (more && keys) {
        /* the key's last value, or that value + 1 (a hit number within its visit) */
        keyed = keyed_scan(v, keys, keys2, n, 0, kmode, w, NULL, NULL, NULL);
        uint64_t next = keyed_scan(v, keys, keys2, n, 1, kmode, w, NULL, NULL, NULL);
        if (next < keyed) {
            keyed = next;
            kenc = CN_STORE__ENC_KEYED_NEXT;
        }
        if (keyed < raw) {
            enc = kenc;
            raw = keyed;
            ew = w;
        }
    }
    uint32_t *rsym = NULL;
    uint64_t *resc = NULL;
    if (more && try_ref && w > 1) {
        /* a recent row's value (a hit's visit among the visits in progress) */
        uint64_t ref;
        rsym = cn_xmalloc(n * sizeof(uint32_t));
        resc = cn_xmalloc(n * sizeof(uint64_t));
        ref_symbols(v, n, base, rsym, resc);
        unsigned k = ref_pick(rsym, resc, n, &ref);
        if (ref < raw) {
            enc = CN_STORE__ENC_REF;
            raw = ref;
            ew = k;
        }
    }
    size_t start = out->len;
    build(v, keys, keys2, n, base, enc, ew, raw, &L, &H, g, kmode, rsym, resc, out);
    pg->enc = enc;
    pg->width = (uint8_t)ew;
    pg->raw_len = (uint32_t)raw;
    pg->stored_len = (uint32_t)raw;
    if (more && raw >= 64) {
        /* zstd over the best raw encoding, over bit-packing at the minimum and at a
         * byte-aligned width (whose repeats zstd finds where unaligned widths hide
         * them), and over the page-local dictionary, whose frequency-ordered byte
         * planes zstd's entropy coder shrinks; zstd is kept when it saves at least
         * a thirty-second of the best raw payload (else decoding it is not worth it) */
        cn_buf_t alt = CN_BUF_INIT, z = CN_BUF_INIT;
        uint64_t best = raw - raw / 32;
        unsigned aw = (w + 7) / 8 * 8;
        int won = -1; /* the candidate zstd kept */
        for (int cand = 0; cand < 6; cand++) {
            uint8_t cenc = enc;
            unsigned cw = ew;
            uint64_t clen = raw;
            if (cand == 1 || cand == 2) {
                cenc = CN_STORE__ENC_BITPACK;
                cw = cand == 1 ? w : aw;
                if ((enc == CN_STORE__ENC_BITPACK && ew == cw) || (cand == 2 && aw == w) || cw > 64)
                    continue;
                clen = ((uint64_t)n * cw + 7) / 8;
            } else if (cand == 3) {
                if (!have_local || enc == CN_STORE__ENC_LOCAL || L.k > LOCAL_MAX_K ||
                    L.len > CN_STORE__MAX_RAW_PAGE)
                    continue;
                cenc = CN_STORE__ENC_LOCAL;
                cw = L.k <= 256 ? 8 : 16;
                clen = L.len;
            } else if (cand == 4) {
                if (keyed == UINT64_MAX || enc == kenc)
                    continue;
                cenc = kenc;
                cw = w;
                clen = keyed;
            } else if (cand == 5) {
                /* KEYED with byte-aligned explicit values, whose repeats zstd finds */
                if (keyed == UINT64_MAX || aw == w || aw > 64)
                    continue;
                cenc = kenc;
                cw = aw;
                clen = keyed_scan(v, keys, keys2, n, kenc == CN_STORE__ENC_KEYED_NEXT, kmode, aw,
                                  NULL, NULL, NULL);
            }
            if (clen > CN_STORE__MAX_RAW_PAGE)
                continue;
            cn_buf_clear(&alt);
            if (cand == 0)
                cn_buf_append(&alt, out->ptr + start, raw);
            else
                build(v, keys, keys2, n, base, cenc, cw, clen, &L, &H, g, kmode, rsym, resc, &alt);
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
            pg->width = (uint8_t)cw;
            pg->raw_len = (uint32_t)clen;
            pg->stored_len = (uint32_t)zl;
            pg->zstd = 1;
            won = cand;
        }
        int final_level =
            zstd_level < CN_STORE__ZSTD_FINAL_LEVEL ? CN_STORE__ZSTD_FINAL_LEVEL : zstd_level;
        if (won >= 0 && final_level > zstd_level) {
            /* the trials above ran at the quick level to choose; the one kept is
             * compressed once more at the final level (a closed day is merged once) */
            cn_buf_clear(&alt);
            if (won == 0)
                build(v, keys, keys2, n, base, enc, ew, raw, &L, &H, g, kmode, rsym, resc, &alt);
            else
                build(v, keys, keys2, n, base, pg->enc, pg->width, pg->raw_len, &L, &H, g, kmode,
                      rsym, resc, &alt);
            size_t bound = ZSTD_compressBound(pg->raw_len);
            cn_buf_clear(&z);
            cn_buf_reserve(&z, bound);
            size_t zl = ZSTD_compressCCtx(zctx, z.ptr, bound, alt.ptr, pg->raw_len, final_level);
            if (!ZSTD_isError(zl) && zl < pg->stored_len) {
                out->len = start;
                cn_buf_append(out, z.ptr, zl);
                pg->stored_len = (uint32_t)zl;
            }
        }
        cn_buf_dispose(&alt);
        cn_buf_dispose(&z);
    }
    if (built_local)
        local_dispose(&L);
    if (have_huff)
        huff_dispose(&H);
    free(rsym);
    free(resc);
    out->ptr[out->len] = '\0';
}

void cn_store__page_encode_as(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                              uint32_t n, uint8_t enc, cn_buf_t *out, cn_store__page_t *pg)
{
    cn_store__page_encode_as_kmode(v, keys, keys2, CN_STORE__KMODE_PLAIN, n, enc, out, pg);
}

void cn_store__page_encode_as_kmode(const int64_t *v, const int64_t *keys, const int64_t *keys2,
                                    int kmode, uint32_t n, uint8_t enc, cn_buf_t *out,
                                    cn_store__page_t *pg)
{
    CN_ASSERT(n >= 1 && n <= CN_STORE_PAGE_ROWS && enc <= CN_STORE__ENC_MAX);
    memset(pg, 0, sizeof(*pg));
    pg->rows = n;
    int64_t mn = v[0], mx = v[0];
    for (uint32_t i = 1; i < n; i++) {
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    pg->base = mn;
    pg->enc = enc;
    uint64_t base = (uint64_t)mn, len = 0, g = 1;
    unsigned w = 0;
    local_t L = {0};
    huff_t H = {0};
    uint32_t *rsym = NULL;
    uint64_t *resc = NULL;
    switch (enc) {
    case CN_STORE__ENC_CONST:
        CN_ASSERT(mn == mx);
        return;
    case CN_STORE__ENC_BITPACK:
        w = bits_for((uint64_t)mx - base);
        w = w ? w : 1;
        len = ((uint64_t)n * w + 7) / 8;
        break;
    case CN_STORE__ENC_RICE:
        w = rice_pick(v, n, base, 1, &len);
        break;
    case CN_STORE__ENC_SRICE:
        g = delta_gcd(v, n, base);
        w = rice_pick(v, n, base, g, &len);
        len += cn_varint_len(g);
        break;
    case CN_STORE__ENC_LOCAL:
        local_build(v, n, base, &L);
        CN_ASSERT(L.k <= LOCAL_MAX_K);
        len = L.len;
        w = L.k <= 256 ? 8 : 16;
        break;
    case CN_STORE__ENC_HUFF:
        CN_ASSERT(mn != mx);
        local_build(v, n, base, &L);
        huff_plan(&L, n, &H);
        len = H.len_bytes;
        w = H.maxlen;
        break;
    case CN_STORE__ENC_REF:
        rsym = cn_xmalloc(n * sizeof(uint32_t));
        resc = cn_xmalloc(n * sizeof(uint64_t));
        ref_symbols(v, n, base, rsym, resc);
        w = ref_pick(rsym, resc, n, &len);
        break;
    case CN_STORE__ENC_KEYED:
    case CN_STORE__ENC_KEYED_NEXT:
        CN_ASSERT(keys);
        w = bits_for((uint64_t)mx - base);
        w = w ? w : 1;
        len = keyed_scan(v, keys, keys2, n, enc == CN_STORE__ENC_KEYED_NEXT, kmode, w, NULL, NULL,
                         NULL);
        break;
    default: {
        uint64_t prev = base;
        for (uint32_t i = 0; i < n;) {
            uint32_t j = i + 1;
            while (enc == CN_STORE__ENC_RLE && j < n && v[j] == v[i])
                j++;
            len += (enc == CN_STORE__ENC_RLE ? cn_varint_len(j - i) : 0) +
                   cn_varint_len(zigzag((uint64_t)v[i] - prev));
            prev = (uint64_t)v[i];
            i = j;
        }
    }
    }
    build(v, keys, keys2, n, base, enc, w, len, &L, &H, g, kmode, rsym, resc, out);
    if (enc == CN_STORE__ENC_LOCAL || enc == CN_STORE__ENC_HUFF)
        local_dispose(&L);
    if (enc == CN_STORE__ENC_HUFF)
        huff_dispose(&H);
    free(rsym);
    free(resc);
    pg->width = (uint8_t)w;
    pg->raw_len = pg->stored_len = (uint32_t)len;
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
    return cn_store__page_decode_keyed(p, pg, NULL, NULL, v, scratch);
}

int cn_store__page_decode_keyed(const uint8_t *p, const cn_store__page_t *pg, const int64_t *keys,
                                const int64_t *keys2, int64_t *v, cn_buf_t *scratch)
{
    return cn_store__page_decode_kmode(p, pg, keys, keys2, CN_STORE__KMODE_PLAIN, v, scratch);
}

int cn_store__page_decode_kmode(const uint8_t *p, const cn_store__page_t *pg, const int64_t *keys,
                                const int64_t *keys2, int kmode, int64_t *v, cn_buf_t *scratch)
{
    uint32_t n = pg->rows;
    if (n == 0 || n > CN_STORE_PAGE_ROWS)
        return CN_ECORRUPT;
    uint64_t base = (uint64_t)pg->base;
    if (pg->enc != CN_STORE__ENC_BITPACK && pg->enc != CN_STORE__ENC_RICE &&
        pg->enc != CN_STORE__ENC_LOCAL && pg->enc != CN_STORE__ENC_KEYED &&
        pg->enc != CN_STORE__ENC_SRICE && pg->enc != CN_STORE__ENC_KEYED_NEXT &&
        pg->enc != CN_STORE__ENC_REF && pg->enc != CN_STORE__ENC_HUFF && pg->width != 0)
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
    case CN_STORE__ENC_KEYED:
    case CN_STORE__ENC_KEYED_NEXT:
        return keyed_decode(raw, raw_len, n, base, pg->enc == CN_STORE__ENC_KEYED_NEXT, kmode,
                            pg->width, keys, keys2, v);
    case CN_STORE__ENC_REF:
        return ref_decode(raw, raw_len, n, base, pg->width, v);
    case CN_STORE__ENC_HUFF:
        return huff_decode(raw, raw_len, n, base, pg->width, v);
    case CN_STORE__ENC_RICE:
        if (pg->width > 63)
            return CN_ECORRUPT;
        return rice_decode(raw, raw_len, n, base, pg->width, 1, v);
    case CN_STORE__ENC_SRICE: {
        uint64_t g;
        if (pg->width > 63 || cn_get_varint(&raw, end, &g) != 0 || g == 0 || g > (1ull << 62))
            return CN_ECORRUPT;
        return rice_decode(raw, (size_t)(end - raw), n, base, pg->width, g, v);
    }
    case CN_STORE__ENC_LOCAL: {
        uint64_t k;
        unsigned bytes = pg->width / 8;
        if ((pg->width != 8 && pg->width != 16) || cn_get_varint(&raw, end, &k) != 0 || k == 0 ||
            k > n || k > (1u << pg->width))
            return CN_ECORRUPT;
        int64_t *vals = cn_xmalloc(k * sizeof(int64_t));
        uint64_t prev = base;
        for (uint64_t j = 0; j < k; j++) {
            uint64_t z;
            if (cn_get_varint(&raw, end, &z) != 0) {
                free(vals);
                return CN_ECORRUPT;
            }
            prev += unzigzag(z);
            vals[j] = (int64_t)prev;
        }
        int rc = 0;
        if ((size_t)(end - raw) != (size_t)n * bytes) {
            rc = CN_ECORRUPT;
        } else {
            for (uint32_t i = 0; i < n; i++) {
                uint32_t id = raw[i];
                if (bytes == 2)
                    id |= (uint32_t)raw[n + i] << 8;
                if (id >= k) {
                    rc = CN_ECORRUPT;
                    break;
                }
                v[i] = vals[id];
            }
        }
        free(vals);
        return rc;
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
