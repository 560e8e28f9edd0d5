/* SPDX-License-Identifier: Apache-2.0 */
/* Dictionaries: ids, lookups, the file encoding, and refusal of damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "store/internal.h"

#include <cmocka.h>

static void empty_string_is_id_zero(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("page");
    uint32_t id = 99;
    assert_int_equal(cn_store__dict_intern(d, CN_STR_LIT(""), &id), 0);
    assert_int_equal(id, 0);
    assert_int_equal(cn_store__dict_len(d), 1);
    assert_int_equal(cn_store__dict_str(d, 0).len, 0);
    cn_store__dict_free(d);
}

static void ids_are_dense_and_stable(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("page");
    char s[32];
    for (uint32_t i = 0; i < 100000; i++) {
        snprintf(s, sizeof(s), "/p/%u", i);
        uint32_t id;
        assert_int_equal(cn_store__dict_intern(d, cn_str_c(s), &id), 0);
        assert_int_equal(id, i + 1);
    }
    for (uint32_t i = 0; i < 100000; i += 997) {
        snprintf(s, sizeof(s), "/p/%u", i);
        uint32_t id;
        assert_int_equal(cn_store__dict_intern(d, cn_str_c(s), &id), 0);
        assert_int_equal(id, i + 1);
        assert_true(cn_str_eq_c(cn_store__dict_str(d, id), s));
        assert_int_equal(cn_store__dict_find(d, cn_str_c(s), cn_store__dict_len(d), &id), 0);
        assert_int_equal(id, i + 1);
    }
    /* find respects the snapshot's length */
    uint32_t id;
    assert_int_equal(cn_store__dict_find(d, CN_STR_LIT("/p/500"), 100, &id), CN_ENOTFOUND);
    assert_int_equal(cn_store__dict_find(d, CN_STR_LIT("nope"), 1u << 30, &id), CN_ENOTFOUND);
    assert_int_equal(cn_store__dict_str(d, 1u << 30).len, 0);
    cn_store__dict_free(d);
}

/* --- The file: blocks (docs/storage.md "Dictionaries") --- */

typedef struct block {
    size_t at;  /* offset in the file */
    size_t end; /* offset of the next block */
    bool zstd;
} block_t;

/* The blocks of a dictionary file (read by the documented layout); returns
 * their count. */
static size_t blocks_of(const cn_buf_t *b, block_t *out, size_t max)
{
    const uint8_t *p = (const uint8_t *)b->ptr, *q = p + CN_STORE__DICT_HEADER_LEN,
                  *end = p + b->len;
    size_t n = 0;
    while (q < end) {
        const uint8_t *at = q;
        uint64_t tag, raw_len, k, sl;
        assert_int_equal(cn_get_varint(&q, end, &tag), 0);
        if (tag & 1) { /* zstd: varint stored length << 1 | 1, varint raw length, frame */
            assert_int_equal(cn_get_varint(&q, end, &raw_len), 0);
            q += tag >> 1;
        } else { /* raw: varint count << 1, entries (varint shared, varint length, bytes) */
            for (uint64_t i = 0; i < tag >> 1; i++) {
                assert_int_equal(cn_get_varint(&q, end, &k), 0);
                assert_int_equal(cn_get_varint(&q, end, &sl), 0);
                q += sl;
            }
        }
        assert_true(q <= end);
        assert_true(n < max);
        out[n++] = (block_t){(size_t)(at - p), (size_t)(q - p), tag & 1};
    }
    return n;
}

static int parse(const cn_buf_t *b, size_t len, cn_store__dict_t *d, uint32_t *n, cn_err_t *err)
{
    return cn_store__dict_parse((const uint8_t *)b->ptr, len, "t", d, n, err);
}

/* Parses b into a new dictionary and checks it holds the strings of ref. */
static void parses_to(const cn_buf_t *b, const cn_store__dict_t *ref)
{
    cn_store__dict_t *e = cn_store__dict_new("t");
    uint32_t n = 0;
    cn_err_t err;
    int rc = parse(b, b->len, e, &n, &err);
    if (rc != 0)
        fail_msg("%s", cn_err_msg(&err, rc));
    assert_int_equal(n, cn_store__dict_len(ref));
    assert_int_equal(cn_store__dict_len(e), n);
    for (uint32_t i = 0; i < n; i++)
        assert_true(cn_str_eq(cn_store__dict_str(ref, i), cn_store__dict_str(e, i)));
    cn_store__dict_free(e);
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

/* A string of len random bytes (zstd cannot compress them) starting with first. */
static cn_str_t random_str(char *buf, size_t len, char first, uint64_t *x)
{
    buf[0] = first;
    for (size_t i = 1; i < len; i++)
        buf[i] = (char)rnd(x);
    return cn_str(buf, len);
}

static void file_round_trip(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("url");
    const char *words[] = {"a", "bb", "https://example.com/x?y", "\xe2\x82\xac", "with\ttab", "b"};
    uint32_t id;
    for (size_t i = 0; i < 6; i++)
        cn_store__dict_intern(d, cn_str_c(words[i]), &id);
    char big[300];
    memset(big, 'z', sizeof(big));
    cn_store__dict_intern(d, cn_str(big, sizeof(big)), &id);
    cn_buf_t b = CN_BUF_INIT;
    cn_store__dict_header(&b);
    cn_store__dict_encode(d, 0, 3, NULL, &b); /* in appends, as flushes do */
    cn_store__dict_encode(d, 3, 3, NULL, &b); /* nothing new: no block */
    cn_store__dict_encode(d, 3, cn_store__dict_len(d), NULL, &b);
    parses_to(&b, d);
    block_t bl[4];
    assert_int_equal(blocks_of(&b, bl, 4), 2);
    /* a few short strings are kept raw; 300 equal bytes are compressed */
    assert_false(bl[0].zstd);
    assert_true(bl[1].zstd);
    assert_true(b.len < CN_STORE__DICT_HEADER_LEN + 100);
    /* a header alone is an empty dictionary */
    uint32_t n;
    assert_int_equal(parse(&b, CN_STORE__DICT_HEADER_LEN, NULL, &n, NULL), 0);
    assert_int_equal(n, 1);
    /* strings of many URLs, compressed in one block much smaller than they are */
    cn_store__dict_t *u = cn_store__dict_new("url");
    size_t raw = 0;
    char s[128];
    for (unsigned i = 0; i < 2000; i++) {
        snprintf(s, sizeof(s), "https://shop.canton.test/c/%u/p/%u-item.html?ref=%u", i % 37,
                 i * 7919 % 10007, i % 5);
        assert_int_equal(cn_store__dict_intern(u, cn_str_c(s), &id), 0);
        raw += strlen(s) + 1;
    }
    cn_buf_clear(&b);
    cn_store__dict_header(&b);
    cn_store__dict_encode(u, 1, cn_store__dict_len(u), NULL, &b);
    parses_to(&b, u);
    assert_int_equal(blocks_of(&b, bl, 4), 1);
    assert_true(bl[0].zstd);
    assert_true(b.len * 5 < raw);
    cn_store__dict_free(u);
    cn_store__dict_free(d);
    cn_buf_dispose(&b);
}

/* Order-id-like and URL-like strings appended a few at a time (flushes of a
 * live server), the file parsed again (a reopen), more appended to the
 * parsed dictionary: every id keeps its string, the blocks the reopened
 * dictionary appends are those the original would have, and blocks of one
 * short string cost no more than it does. */
static void many_small_appends_then_reopen(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("x");
    cn_buf_t b = CN_BUF_INIT, more = CN_BUF_INIT, again = CN_BUF_INIT;
    cn_store__dict_header(&b);
    uint64_t x = 0x2545F4914F6CDD1Dull;
    char s[128];
    uint32_t id, written = 1;
    bool raw = false, zstd = false;
    size_t singles = 0, singles_raw = 0;
    for (unsigned i = 0; i < 4000; i++) {
        if (rnd(&x) % 3 == 0)
            snprintf(s, sizeof(s), "ORD-20260703-%07u", i);
        else
            snprintf(s, sizeof(s), "https://shop.canton.test/%s/%u.html?q=%u",
                     i % 2 ? "product" : "category", (unsigned)(rnd(&x) % 100000), i % 11);
        assert_int_equal(cn_store__dict_intern(d, cn_str_c(s), &id), 0);
        if (rnd(&x) % 5 == 0 || i == 3999) {
            size_t before = b.len;
            uint32_t len = cn_store__dict_len(d);
            cn_store__dict_encode(d, written, len, NULL, &b);
            const uint8_t *p = (const uint8_t *)b.ptr + before;
            *(p[0] & 1 ? &zstd : &raw) = true;
            if (len - written == 1) { /* one string: a tag, the entry (shared, length, bytes) */
                cn_str_t one = cn_store__dict_str(d, written);
                assert_true(b.len - before <= 3 + one.len);
                singles += b.len - before;
                singles_raw += one.len + 1; /* as entries were before blocks */
            }
            written = len;
        }
    }
    assert_true(raw && zstd);
    assert_true(singles_raw > 0 && singles < singles_raw);
    parses_to(&b, d);
    /* reopened: the parsed dictionary goes on where the file ends */
    cn_store__dict_t *r = cn_store__dict_new("x");
    uint32_t n;
    assert_int_equal(parse(&b, b.len, r, &n, NULL), 0);
    for (unsigned i = 0; i < 300; i++) {
        snprintf(s, sizeof(s), "https://shop.canton.test/new/%u.html", i);
        assert_int_equal(cn_store__dict_intern(r, cn_str_c(s), &id), 0);
        assert_int_equal(id, n + i);
        assert_int_equal(cn_store__dict_intern(d, cn_str_c(s), &id), 0);
        assert_int_equal(id, n + i);
    }
    cn_store__dict_encode(r, n, n + 100, NULL, &more);
    cn_store__dict_encode(r, n + 100, n + 300, NULL, &more);
    cn_store__dict_encode(d, n, n + 100, NULL, &again);
    cn_store__dict_encode(d, n + 100, n + 300, NULL, &again);
    assert_int_equal(more.len, again.len);
    assert_memory_equal(more.ptr, again.ptr, more.len);
    cn_buf_append(&b, more.ptr, more.len);
    parses_to(&b, d);
    cn_store__dict_free(r);
    cn_store__dict_free(d);
    cn_buf_dispose(&b);
    cn_buf_dispose(&more);
    cn_buf_dispose(&again);
}

/*
 * The zstd prefix is the last CN_STORE__DICT_PREFIX_LEN bytes of the entries
 * before a block. A random string X and then random filler, and last a
 * string equal to X but for its last byte, alone in a block: when the
 * prefix starts at X's entry, one byte before or after it, or at X's first
 * byte, the block compresses (it refers to X in the prefix) and parses back;
 * when the prefix starts just after X's entry, the block is random bytes to
 * zstd and stays raw. The entries before are written in one block or one
 * block per string.
 */
static void prefix_window_boundary(void **state)
{
    (void)state;
    static char xs[400], fill[1200];
    /* where the prefix starts, from X's entry on */
    const int starts[] = {-1, 0, 1, 3, 403};
    for (size_t si = 0; si < sizeof(starts) / sizeof(starts[0]); si++) {
        for (int per_id = 0; per_id < 2; per_id++) {
            uint64_t x = 0x9E3779B97F4A7C15ull + si;
            cn_store__dict_t *d = cn_store__dict_new("w");
            uint32_t id;
            /* Strings of random bytes whose first byte differs from the string
             * before's (nothing shared): entries of 1 + 1 + len bytes (len < 128)
             * or 1 + 2 + len (len < 16384). A: before the prefix. */
            for (int i = 0; i < 3; i++)
                cn_store__dict_intern(d, random_str(fill, 500, i % 2 ? 'a' : 'b', &x), &id);
            /* X */
            cn_store__dict_intern(d, random_str(xs, 400, 'X', &x), &id);
            size_t xentry = 1 + 2 + 400;
            /* B: the prefix is X's entry and B, less starts[si] bytes */
            size_t want = CN_STORE__DICT_PREFIX_LEN - xentry + (size_t)starts[si];
            int k = 0;
            while (want > 1003 + 300) {
                cn_store__dict_intern(d, random_str(fill, 1000, k++ % 2 ? 'a' : 'b', &x), &id);
                want -= 1003;
            }
            cn_store__dict_intern(d, random_str(fill, want - 102 - 3, 'c', &x), &id);
            cn_store__dict_intern(d, random_str(fill, 100, 'd', &x), &id);
            cn_buf_t b = CN_BUF_INIT;
            cn_store__dict_header(&b);
            uint32_t len = cn_store__dict_len(d);
            if (per_id)
                for (uint32_t i = 1; i < len; i++)
                    cn_store__dict_encode(d, i, i + 1, NULL, &b);
            else
                cn_store__dict_encode(d, 1, len, NULL, &b);
            /* Y: X but for its last byte */
            size_t before = b.len;
            memcpy(fill, xs, 400);
            fill[399] ^= 1;
            cn_store__dict_intern(d, cn_str(fill, 400), &id);
            cn_store__dict_encode(d, len, len + 1, NULL, &b);
            parses_to(&b, d);
            if (starts[si] <= 3) {
                assert_int_equal(b.ptr[before] & 1, 1);
                assert_true(b.len - before < 40);
            } else {
                assert_int_equal(b.ptr[before] & 1, 0);
                assert_int_equal(b.len - before, 1 + xentry); /* tag, entry */
            }
            cn_store__dict_free(d);
            cn_buf_dispose(&b);
        }
    }
}

/*
 * A zstd block is a frame at level 3 of its entries with the prefix the
 * reader has: the last CN_STORE__DICT_PREFIX_LEN bytes of the entry stream
 * before it (docs/storage.md "Dictionaries"). Two URL-like dictionaries are
 * appended to in turn, blocks of 1 to 2000 ids, through one kept context (as
 * a store's flushes do, for all its domains): each frame is the one a fresh
 * context makes from the documented stream and prefix, byte for byte, and
 * the files parse back.
 */
static void blocks_are_level_3_frames_of_the_prefix(void **state)
{
    (void)state;
    cn_store__dict_t *d[2] = {cn_store__dict_new("url"), cn_store__dict_new("page")};
    cn_buf_t file[2] = {CN_BUF_INIT, CN_BUF_INIT}, stream[2] = {CN_BUF_INIT, CN_BUF_INIT};
    uint32_t written[2] = {1, 1};
    void *zc = NULL;
    const uint32_t steps[] = {1, 7, 2000, 1, 40, 300, 2, 1500, 3};
    char s[128];
    uint64_t x = 0x243F6A8885A308D3ull;
    for (int k = 0; k < 2; k++)
        cn_store__dict_header(&file[k]);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        for (int k = 0; k < 2; k++) {
            for (uint32_t j = 0; j < steps[i]; j++) {
                uint32_t id;
                uint64_t r = rnd(&x);
                snprintf(s, sizeof(s),
                         k ? "/c/%u/p/%u" : "https://shop.canton.test/c/%u/p/%u.html?ref=%u",
                         (unsigned)(r % 97), (unsigned)(r >> 20) % 100000, (unsigned)(r >> 40) % 7);
                cn_store__dict_intern(d[k], cn_str_c(s), &id);
            }
            uint32_t len = cn_store__dict_len(d[k]);
            cn_store__dict_encode(d[k], written[k], len, &zc, &file[k]);
            written[k] = len;
        }
    }
    assert_non_null(zc);
    cn_store__zctx_free(zc);
    ZSTD_CCtx *fresh = ZSTD_createCCtx();
    assert_non_null(fresh);
    for (int k = 0; k < 2; k++) {
        parses_to(&file[k], d[k]);
        /* the entry stream, front-coded as documented */
        uint32_t n = cn_store__dict_len(d[k]);
        for (uint32_t id = 1; id < n; id++) {
            cn_str_t prev = cn_store__dict_str(d[k], id - 1), cur = cn_store__dict_str(d[k], id);
            size_t sh = 0;
            while (sh < prev.len && sh < cur.len && prev.ptr[sh] == cur.ptr[sh])
                sh++;
            cn_buf_put_varint(&stream[k], sh);
            cn_buf_put_varint(&stream[k], cur.len - sh);
            cn_buf_append(&stream[k], cur.ptr + sh, cur.len - sh);
        }
        block_t bl[32];
        size_t nb = blocks_of(&file[k], bl, 32), pos = 0, zstd_blocks = 0;
        for (size_t i = 0; i < nb; i++) {
            const uint8_t *q = (const uint8_t *)file[k].ptr + bl[i].at,
                          *end = (const uint8_t *)file[k].ptr + bl[i].end;
            uint64_t tag, raw_len;
            assert_int_equal(cn_get_varint(&q, end, &tag), 0);
            if (!bl[i].zstd) {
                pos += (size_t)(end - q);
                continue;
            }
            assert_int_equal(cn_get_varint(&q, end, &raw_len), 0);
            assert_int_equal((size_t)(end - q), tag >> 1);
            size_t pl = pos < CN_STORE__DICT_PREFIX_LEN ? pos : CN_STORE__DICT_PREFIX_LEN;
            size_t bound = ZSTD_compressBound(raw_len);
            char *want = malloc(bound);
            assert_int_equal(ZSTD_CCtx_reset(fresh, ZSTD_reset_session_and_parameters), 0);
            ZSTD_CCtx_setParameter(fresh, ZSTD_c_compressionLevel, 3);
            ZSTD_CCtx_setParameter(fresh, ZSTD_c_contentSizeFlag, 0);
            assert_false(ZSTD_isError(ZSTD_CCtx_refPrefix(fresh, stream[k].ptr + pos - pl, pl)));
            size_t wl = ZSTD_compress2(fresh, want, bound, stream[k].ptr + pos, raw_len);
            assert_false(ZSTD_isError(wl));
            assert_int_equal(wl, tag >> 1);
            assert_memory_equal(q, want, wl);
            free(want);
            pos += raw_len;
            zstd_blocks++;
        }
        assert_int_equal(pos, stream[k].len);
        assert_int_equal(nb, 9);       /* one block an append */
        assert_true(zstd_blocks >= 4); /* the appends of 40 ids or more, at least */
        cn_buf_dispose(&stream[k]);
        cn_buf_dispose(&file[k]);
        cn_store__dict_free(d[k]);
    }
    ZSTD_freeCCtx(fresh);
}

/*
 * A block holds at most 2 MiB + 16 bytes of entries, and an entry that
 * would pass that starts the next block (docs/storage.md "Dictionaries").
 * Two strings of CN_STORE__MAX_STR bytes (entries of 1 MiB + 4: nothing
 * shared) and then one of 6 bytes (an entry of 8: exactly the limit, one
 * block) or of 7 (9: two blocks, the second raw, too short for zstd).
 */
static void blocks_end_at_two_mib_and_16(void **state)
{
    (void)state;
    char *big = malloc(CN_STORE__MAX_STR);
    for (size_t last = 6; last <= 7; last++) {
        cn_store__dict_t *d = cn_store__dict_new("t");
        uint32_t id;
        memset(big, 'a', CN_STORE__MAX_STR);
        cn_store__dict_intern(d, cn_str(big, CN_STORE__MAX_STR), &id);
        memset(big, 'b', CN_STORE__MAX_STR);
        cn_store__dict_intern(d, cn_str(big, CN_STORE__MAX_STR), &id);
        cn_store__dict_intern(d, cn_str("ccccccc", last), &id);
        cn_buf_t b = CN_BUF_INIT;
        cn_store__dict_header(&b);
        cn_store__dict_encode(d, 1, 4, NULL, &b);
        block_t bl[4];
        size_t nb = blocks_of(&b, bl, 4);
        assert_int_equal(nb, last == 6 ? 1 : 2);
        const uint8_t *q = (const uint8_t *)b.ptr + bl[0].at, *end = q + 16;
        uint64_t tag, raw_len;
        assert_true(bl[0].zstd);
        assert_int_equal(cn_get_varint(&q, end, &tag), 0);
        assert_int_equal(cn_get_varint(&q, end, &raw_len), 0);
        assert_int_equal(raw_len, last == 6 ? ((size_t)2 << 20) + 16 : ((size_t)2 << 20) + 8);
        if (last == 7) {
            assert_false(bl[1].zstd);
            assert_int_equal(bl[1].end - bl[1].at, 1 + 9); /* tag (count 1), the entry */
        }
        parses_to(&b, d);
        cn_store__dict_free(d);
        cn_buf_dispose(&b);
    }
    free(big);
}

/* A file of a few blocks, the last raw or zstd, cut at every byte of its
 * last block: refused (CN_ECORRUPT naming the block) but at the block's
 * start, where it is the file before the last append. */
static void truncated_last_block(void **state)
{
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        cn_store__dict_t *d = cn_store__dict_new("t");
        cn_buf_t b = CN_BUF_INIT;
        cn_store__dict_header(&b);
        char s[96];
        uint32_t id, written = 1;
        for (unsigned i = 0; i < 600; i++) {
            snprintf(s, sizeof(s), "https://shop.canton.test/p/%u.html", i * 31);
            cn_store__dict_intern(d, cn_str_c(s), &id);
            if (i % 200 == 199) {
                cn_store__dict_encode(d, written, cn_store__dict_len(d), NULL, &b);
                written = cn_store__dict_len(d);
            }
        }
        if (kind == 0) { /* a raw block last */
            cn_store__dict_intern(d, CN_STR_LIT("ab"), &id);
            cn_store__dict_encode(d, written, cn_store__dict_len(d), NULL, &b);
        }
        block_t bl[8];
        size_t nb = blocks_of(&b, bl, 8);
        assert_int_equal(bl[nb - 1].zstd, kind == 1);
        assert_true(bl[nb - 2].zstd);
        uint32_t n;
        cn_err_t err;
        char want[64];
        snprintf(want, sizeof(want), "offset %zu", bl[nb - 1].at);
        for (size_t cut = bl[nb - 1].at + 1; cut < b.len; cut++) {
            cn_store__dict_t *e = cn_store__dict_new("t");
            assert_int_equal(parse(&b, cut, e, &n, &err), CN_ECORRUPT);
            assert_non_null(strstr(err.msg, want));
            cn_store__dict_free(e);
        }
        assert_int_equal(parse(&b, bl[nb - 1].at, NULL, &n, NULL), 0);
        assert_int_equal(n, kind == 0 ? 601 : 401);
        assert_int_equal(parse(&b, b.len, NULL, &n, NULL), 0);
        assert_int_equal(n, cn_store__dict_len(d));
        cn_store__dict_free(d);
        cn_buf_dispose(&b);
    }
}

/* zstd blocks damaged: a wrong raw length, garbage, a frame cut short, the
 * prefix missing (the block alone) are CN_ECORRUPT naming the block's
 * offset; any flipped bit is CN_ECORRUPT or (zstd keeps no checksum: the
 * manifest's CRC32C catches it) another valid dictionary, never a crash. */
static void damaged_zstd_blocks(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("t");
    cn_buf_t b = CN_BUF_INIT, c = CN_BUF_INIT;
    cn_store__dict_header(&b);
    char s[96];
    uint32_t id;
    for (unsigned i = 0; i < 300; i++) {
        snprintf(s, sizeof(s), "https://shop.canton.test/p/%u.html", i * 31);
        cn_store__dict_intern(d, cn_str_c(s), &id);
    }
    cn_store__dict_encode(d, 1, 200, NULL, &b);
    cn_store__dict_encode(d, 200, cn_store__dict_len(d), NULL, &b);
    block_t bl[4];
    assert_int_equal(blocks_of(&b, bl, 4), 2);
    assert_true(bl[0].zstd && bl[1].zstd);
    const uint8_t *p = (const uint8_t *)b.ptr + bl[1].at, *q = p;
    uint64_t tag, raw_len;
    cn_get_varint(&q, (const uint8_t *)b.ptr + b.len, &tag);
    cn_get_varint(&q, (const uint8_t *)b.ptr + b.len, &raw_len);
    size_t frame = (size_t)(q - (const uint8_t *)b.ptr), stored = (size_t)(tag >> 1);
    char want[64];
    snprintf(want, sizeof(want), "offset %zu", bl[1].at);
    uint32_t n;
    cn_err_t err;
    /* the last block rewritten: header (tag, raw length) then frame bytes */
    struct {
        uint64_t tag, raw_len;
        size_t frame_len;
        bool garbage;
    } cases[] = {
        {tag, raw_len + 1, stored, false},     /* more bytes than the frame holds */
        {tag, raw_len - 1, stored, false},     /* fewer */
        {tag, raw_len, stored, true},          /* garbage */
        {tag - 2, raw_len, stored - 1, false}, /* the frame cut short */
        {tag, 0, stored, false},               /* no bytes */
        {tag, 3u << 20, stored, false},        /* beyond a block's limit */
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        cn_buf_clear(&c);
        cn_buf_append(&c, b.ptr, bl[1].at);
        cn_buf_put_varint(&c, cases[k].tag);
        cn_buf_put_varint(&c, cases[k].raw_len);
        for (size_t i = 0; i < cases[k].frame_len; i++)
            cn_buf_putc(&c, cases[k].garbage ? (char)(0xa5 ^ i) : b.ptr[frame + i]);
        err.msg[0] = '\0';
        assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
        assert_non_null(strstr(err.msg, want));
    }
    /* the prefix missing: the last block alone after the header */
    cn_buf_clear(&c);
    cn_buf_append(&c, b.ptr, CN_STORE__DICT_HEADER_LEN);
    cn_buf_append(&c, b.ptr + bl[1].at, b.len - bl[1].at);
    assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "offset 16: damaged zstd block"));
    /* every bit of both frames flipped */
    size_t corrupt = 0, flips = 0;
    for (size_t at = CN_STORE__DICT_HEADER_LEN; at < b.len; at++) {
        for (int bit = 0; bit < 8; bit++) {
            b.ptr[at] ^= (char)(1 << bit);
            cn_store__dict_t *e = cn_store__dict_new("t");
            int rc = parse(&b, b.len, e, &n, NULL);
            assert_true(rc == 0 || rc == CN_ECORRUPT);
            corrupt += rc == CN_ECORRUPT;
            flips++;
            cn_store__dict_free(e);
            b.ptr[at] ^= (char)(1 << bit);
        }
    }
    assert_true(corrupt * 2 > flips);
    parses_to(&b, d);
    cn_store__dict_free(d);
    cn_buf_dispose(&b);
    cn_buf_dispose(&c);
}

/* A raw block of entries given as (shared, suffix) pairs. */
static void raw_block(cn_buf_t *b, const uint64_t *shared, const char *const *suffix, size_t n)
{
    cn_buf_t e = CN_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        cn_buf_put_varint(&e, shared[i]);
        cn_buf_put_varint(&e, strlen(suffix[i]));
        cn_buf_append_c(&e, suffix[i]);
    }
    cn_buf_put_varint(b, (uint64_t)n << 1);
    cn_buf_append(b, e.ptr, e.len);
    cn_buf_dispose(&e);
}

static void damaged_files_are_corrupt(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    uint32_t n;
    cn_err_t err;
    /* two strings, the second sharing "ab" with the first: "abc", "abd" */
    cn_store__dict_header(&b);
    raw_block(&b, (uint64_t[]){0, 2}, (const char *[]){"abc", "d"}, 2);
    cn_store__dict_t *d = cn_store__dict_new("x");
    assert_int_equal(parse(&b, b.len, d, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_true(cn_str_eq_c(cn_store__dict_str(d, 2), "abd"));
    cn_store__dict_free(d);
    /* truncated entry */
    assert_int_equal(parse(&b, b.len - 1, NULL, &n, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "offset 16"));
    /* bad magic; another format */
    b.ptr[0] = 'X';
    assert_int_equal(parse(&b, b.len, NULL, &n, NULL), CN_ECORRUPT);
    b.ptr[0] = 'C';
    b.ptr[8] ^= 1;
    assert_int_equal(parse(&b, b.len, NULL, &n, NULL), CN_EVERSION);
    b.ptr[8] ^= 1;
    /* a repeated string, in the same block and in the next */
    cn_buf_t c = CN_BUF_INIT;
    cn_store__dict_header(&c);
    raw_block(&c, (uint64_t[]){0, 1}, (const char *[]){"abc", "bc"}, 2);
    d = cn_store__dict_new("x");
    assert_int_equal(parse(&c, c.len, d, &n, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "id 2 repeats"));
    cn_store__dict_free(d);
    raw_block(&b, (uint64_t[]){0}, (const char *[]){"abc"}, 1);
    d = cn_store__dict_new("x");
    assert_int_equal(parse(&b, b.len, d, &n, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "id 3 repeats"));
    cn_store__dict_free(d);
    /* an empty entry (id 0 is implicit); more shared than the string before has */
    cn_buf_clear(&c);
    cn_store__dict_header(&c);
    raw_block(&c, (uint64_t[]){0, 3}, (const char *[]){"ab", ""}, 2);
    assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "bad entry for id 2"));
    cn_buf_clear(&c);
    cn_store__dict_header(&c);
    raw_block(&c, (uint64_t[]){2}, (const char *[]){"ab"}, 1);
    assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
    cn_buf_clear(&c);
    cn_store__dict_header(&c);
    raw_block(&c, (uint64_t[]){0}, (const char *[]){""}, 1);
    assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
    /* an empty block; a block longer than the file; an entry longer than its block */
    const uint64_t bad[][3] = {{0, 0, 0}, {2 * 10, 0, 0}, {2 * 3, 0, 9}};
    for (size_t k = 0; k < 3; k++) {
        cn_buf_clear(&c);
        cn_store__dict_header(&c);
        for (size_t i = 0; i < 3; i++)
            cn_buf_put_varint(&c, bad[k][i]);
        assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
        assert_non_null(strstr(err.msg, "offset 16"));
    }
    /* a string at the limit, then one over it (sharing all of it) */
    cn_buf_clear(&c);
    cn_store__dict_header(&c);
    cn_buf_put_varint(&c, 2 * 2);
    cn_buf_put_varint(&c, 0);
    cn_buf_put_varint(&c, CN_STORE__MAX_STR);
    for (size_t i = 0; i < CN_STORE__MAX_STR; i++)
        cn_buf_putc(&c, 'x');
    assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT); /* 1 of 2 entries */
    size_t one = c.len;
    cn_buf_put_varint(&c, CN_STORE__MAX_STR);
    cn_buf_put_varint(&c, 1);
    cn_buf_putc(&c, 'y');
    assert_int_equal(parse(&c, c.len, NULL, &n, &err), CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "bad entry for id 2"));
    c.ptr[16] = 2 * 1; /* the first alone */
    assert_int_equal(parse(&c, one, NULL, &n, &err), 0);
    assert_int_equal(n, 2);
    cn_buf_dispose(&c);
    cn_buf_dispose(&b);
}

/* The writer's cache of recent ids gives the same ids as the hash table:
 * repeats, prefixes and longer strings, strings held in the same buffer with
 * other bytes, strings sharing their first and last bytes, and a cache entry
 * beyond the dictionary's length. */
static void cached_interning_matches_the_table(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("page");
    cn_store__dict_t *ref = cn_store__dict_new("page");
    cn_store__dict_cache_t cache[1u << CN_STORE__DICT_CACHE_BITS];
    memset(cache, 0, sizeof(cache));
    char buf[64];
    const char *vals[] = {"/a",
                          "/a",
                          "/ab",
                          "/a",
                          "",
                          "/a",
                          "/b",
                          "/b",
                          "/",
                          "/ab",
                          "/ab",
                          "/c",
                          "abcdXefgh",
                          "abcdYefgh",
                          "abcdXefgh",
                          "abcdefgh",
                          "abcdefgh",
                          "https://shop.canton.test/p/1/x.html",
                          "https://shop.canton.test/p/2/x.html"};
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            snprintf(buf, sizeof(buf), "%s", vals[i]); /* same pointer, new bytes */
            uint32_t got = 77, want = 88;
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str_c(buf), cache, &got), 0);
            assert_int_equal(cn_store__dict_intern(ref, cn_str_c(buf), &want), 0);
            assert_int_equal(got, want);
            assert_true(cn_str_eq(cn_store__dict_str(d, got), cn_str_c(vals[i])));
        }
    }
    /* every string of the dictionary is found again through the cache */
    for (uint32_t id = 1; id < cn_store__dict_len(d); id++) {
        cn_str_t str = cn_store__dict_str(d, id);
        memcpy(buf, str.ptr, str.len);
        uint32_t got;
        assert_int_equal(cn_store__dict_intern_cached(d, cn_str(buf, str.len), cache, &got), 0);
        assert_int_equal(got, id);
    }
    assert_int_equal(cn_store__dict_len(d), cn_store__dict_len(ref));
    cn_store__dict_free(d);
    cn_store__dict_free(ref);
}

/* Rows of up to 6 values over 3 columns' caches (two columns on the same
 * dictionary), interned with cn_store__dict_intern_many: the ids the table
 * gives one string at a time, for short strings (packed in the cache) that
 * differ in one byte and long ones, repeating enough to hit both ways. */
static void interning_many_matches_the_table(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("page"), *d2 = cn_store__dict_new("sku");
    cn_store__dict_t *ref = cn_store__dict_new("page"), *ref2 = cn_store__dict_new("sku");
    static cn_store__dict_cache_t cache[3][1u << CN_STORE__DICT_CACHE_BITS];
    memset(cache, 0, sizeof(cache));
    uint64_t x = 88172645463325252ull;
    char bufs[6][40];
    for (int row = 0; row < 20000; row++) {
        cn_store__dict_req_t req[6];
        uint32_t got[6], want[6];
        size_t n = 1 + (size_t)(row % 6);
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t len = 1 + (size_t)(x % 24);
            /* one byte of 1..3 different values at one position: many
             * strings equal but for one byte, any length */
            memset(bufs[k], 'a', len);
            bufs[k][(x >> 8) % len] = (char)('a' + (x >> 16) % 3);
            bufs[k][(x >> 24) % len] = (char)('a' + (x >> 32) % 2);
            size_t col = k % 3;
            req[k] = (cn_store__dict_req_t){col == 2 ? d2 : d, cn_str(bufs[k], len), cache[col],
                                            &got[k]};
        }
        assert_int_equal(cn_store__dict_intern_many(req, n), 0);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(cn_store__dict_intern(k % 3 == 2 ? ref2 : ref, req[k].s, &want[k]), 0);
            assert_int_equal(got[k], want[k]);
            assert_true(cn_str_eq(cn_store__dict_str(req[k].d, got[k]), req[k].s));
        }
    }
    assert_int_equal(cn_store__dict_len(d), cn_store__dict_len(ref));
    assert_int_equal(cn_store__dict_len(d2), cn_store__dict_len(ref2));
    assert_true(cn_store__dict_len(d) > 1000); /* the table grew many times */
    cn_store__dict_free(d);
    cn_store__dict_free(d2);
    cn_store__dict_free(ref);
    cn_store__dict_free(ref2);
}

/* Strings "<prefix><n>" for n from *next on until one falls in set (of
 * cn_store__dict_cache_set): written to buf (its length returned). */
static size_t string_in_set(const char *prefix, size_t set, unsigned *next, char *buf, size_t cap)
{
    for (;; (*next)++) {
        int n = snprintf(buf, cap, "%s%u", prefix, *next);
        if (cn_store__dict_cache_set(cn_str(buf, (size_t)n)) == set) {
            (*next)++;
            return (size_t)n;
        }
    }
}

/* The writer's cache: a repeat is a hit (no table lookup), a new string and
 * a string evicted are misses; two strings of one set used in turn stay in
 * its two ways (for every set: the regression where strings of one set
 * started at different ways and evicted each other at every use); a third
 * evicts the one used least recently; ids are the table's throughout. */
static void cache_hits_misses_and_evictions(void **state)
{
    (void)state;
    cn_store__dict_cache_t cache[1u << CN_STORE__DICT_CACHE_BITS];
    const size_t sets = (1u << CN_STORE__DICT_CACHE_BITS) / 2;
    char a[3][80], b[80];
    size_t alen[3];
    /* strings packed in the entries (up to 8 bytes; some of "/p/" are
     * longer) and held as the dictionary's copy */
    const char *prefixes[] = {"/p/", "https://shop.canton.test/product/",
                              "https://shop.canton.test/category/shoes/product/long-name/"};
    for (size_t pi = 0; pi < 3; pi++) {
        const char *prefix = prefixes[pi];
        cn_store__dict_t *d = cn_store__dict_new("page");
        memset(cache, 0, sizeof(cache));
        unsigned next = 0;
        for (size_t set = 0; set < sets * 2; set += 2) {
            for (int k = 0; k < 3; k++)
                alen[k] = string_in_set(prefix, set, &next, a[k], sizeof(a[k]));
            uint32_t id[3], got;
            uint64_t before = cn_store__dict_lookups(d);
            /* two of the set, in turn: two misses, then hits */
            for (int round = 0; round < 4; round++) {
                for (int k = 0; k < 2; k++) {
                    memcpy(b, a[k], alen[k]); /* another copy of the bytes */
                    assert_int_equal(cn_store__dict_intern_cached(d, cn_str(b, alen[k]), cache,
                                                                  round == 0 ? &id[k] : &got),
                                     0);
                    if (round > 0)
                        assert_int_equal(got, id[k]);
                }
            }
            assert_int_equal(cn_store__dict_lookups(d), before + 2);
            /* a third (a miss) evicts a[0], used least recently; a[1] and a[2] hit */
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str(a[2], alen[2]), cache, &id[2]),
                             0);
            assert_int_equal(cn_store__dict_lookups(d), before + 3);
            for (int k = 1; k <= 2; k++) {
                assert_int_equal(
                    cn_store__dict_intern_cached(d, cn_str(a[k], alen[k]), cache, &got), 0);
                assert_int_equal(got, id[k]);
            }
            assert_int_equal(cn_store__dict_lookups(d), before + 3);
            /* a[0] misses, is found in the table with its id and evicts a[1] (a[2] was used
             * last); a[2] hits, a[1] misses */
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str(a[0], alen[0]), cache, &got),
                             0);
            assert_int_equal(got, id[0]);
            assert_int_equal(cn_store__dict_lookups(d), before + 4);
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str(a[2], alen[2]), cache, &got),
                             0);
            assert_int_equal(got, id[2]);
            assert_int_equal(cn_store__dict_lookups(d), before + 4);
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str(a[1], alen[1]), cache, &got),
                             0);
            assert_int_equal(got, id[1]);
            assert_int_equal(cn_store__dict_lookups(d), before + 5);
            for (int k = 0; k < 3; k++) {
                uint32_t want;
                assert_int_equal(
                    cn_store__dict_find(d, cn_str(a[k], alen[k]), cn_store__dict_len(d), &want), 0);
                assert_int_equal(id[k], want);
            }
        }
        assert_int_equal(cn_store__dict_len(d), 1 + 3 * sets);
        cn_store__dict_free(d);
    }
}

/* Rows through cn_store__dict_intern_many: values repeated from row to row
 * are hits, and a row's misses are looked up once each. */
static void interning_many_hits_the_cache(void **state)
{
    (void)state;
    static cn_store__dict_cache_t cache[2][1u << CN_STORE__DICT_CACHE_BITS];
    memset(cache, 0, sizeof(cache));
    cn_store__dict_t *d = cn_store__dict_new("country");
    const char *vals[] = {"CN", "US", "GB", "AU", "NZ", "DE", "BY", "UA", "IL", "CA", "HK", "JP"};
    size_t nv = sizeof(vals) / sizeof(vals[0]);
    uint32_t out[2];
    for (size_t row = 0; row < 1000; row++) {
        cn_store__dict_req_t req[2] = {
            {d, cn_str_c(vals[row % nv]), cache[0], &out[0]},
            {d, cn_str_c(vals[(row * 7 + 3) % nv]), cache[1], &out[1]},
        };
        assert_int_equal(cn_store__dict_intern_many(req, 2), 0);
        for (int k = 0; k < 2; k++)
            assert_true(cn_str_eq(cn_store__dict_str(d, out[k]), req[k].s));
    }
    /* each column's cache missed once per value (two sets of 12 values may
     * share a way: allow the few evictions that gives) */
    assert_true(cn_store__dict_lookups(d) >= 2 * nv);
    assert_true(cn_store__dict_lookups(d) <= 2 * nv + 8);
    assert_int_equal(cn_store__dict_len(d), 1 + nv);
    cn_store__dict_free(d);
}

/* A dictionary reopened from its file (parsed into a new one) with a new,
 * empty cache: the cache fills with the ids the file gave, and new strings
 * take the next ids. */
static void cache_after_reopen(void **state)
{
    (void)state;
    static cn_store__dict_cache_t cache[1u << CN_STORE__DICT_CACHE_BITS];
    memset(cache, 0, sizeof(cache));
    cn_store__dict_t *d = cn_store__dict_new("url");
    char s[64];
    for (unsigned i = 0; i < 300; i++) {
        uint32_t id;
        snprintf(s, sizeof(s), i % 2 ? "/p/%u" : "https://shop.canton.test/p/%u.html", i);
        assert_int_equal(cn_store__dict_intern_cached(d, cn_str_c(s), cache, &id), 0);
        assert_int_equal(id, i + 1);
    }
    cn_buf_t buf = CN_BUF_INIT;
    cn_store__dict_header(&buf);
    cn_store__dict_encode(d, 0, cn_store__dict_len(d), NULL, &buf);
    cn_store__dict_free(d);
    cn_store__dict_t *r = cn_store__dict_new("url");
    uint32_t len;
    cn_err_t err;
    assert_int_equal(cn_store__dict_parse((const uint8_t *)buf.ptr, buf.len, "url", r, &len, &err),
                     0);
    assert_int_equal(len, 301);
    memset(cache, 0, sizeof(cache)); /* a cache is used with one dictionary only */
    uint64_t before = cn_store__dict_lookups(r);
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 300; i += 3) {
            uint32_t id;
            snprintf(s, sizeof(s), i % 2 ? "/p/%u" : "https://shop.canton.test/p/%u.html", i);
            assert_int_equal(cn_store__dict_intern_cached(r, cn_str_c(s), cache, &id), 0);
            assert_int_equal(id, i + 1);
        }
    }
    /* the first round missed (100 lookups); the second hit all but a few evicted */
    assert_true(cn_store__dict_lookups(r) - before >= 100);
    assert_true(cn_store__dict_lookups(r) - before < 150);
    uint32_t id;
    assert_int_equal(cn_store__dict_intern_cached(r, CN_STR_LIT("/new"), cache, &id), 0);
    assert_int_equal(id, 301);
    assert_int_equal(cn_store__dict_len(r), 302);
    cn_store__dict_free(r);
    cn_buf_dispose(&buf);
}

/* Strings of one length (SKUs, many URLs) through a cache: each gets the
 * table's id, whether its set's entries hold strings of its length or not,
 * and once interned each repeat is a hit; a string beyond CN_STORE__MAX_STR
 * whose bytes and length agree with a cached string's in the low 21 bits
 * (what a cache keeping fewer bits of the length would compare) is refused
 * through the cache and through cn_store__dict_intern_many as through the
 * table, and adds nothing. */
static void cache_same_length_and_over_long(void **state)
{
    (void)state;
    static cn_store__dict_cache_t cache[1u << CN_STORE__DICT_CACHE_BITS];
    memset(cache, 0, sizeof(cache));
    cn_store__dict_t *d = cn_store__dict_new("sku"), *ref = cn_store__dict_new("sku");
    char buf[64];
    for (int round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 600; i++) {
            int n = snprintf(buf, sizeof(buf), i % 3 ? "TFL-%05u" : "https://s.test/p/%06u", i);
            uint32_t got, want;
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str(buf, (size_t)n), cache, &got),
                             0);
            assert_int_equal(cn_store__dict_intern(ref, cn_str(buf, (size_t)n), &want), 0);
            assert_int_equal(got, want);
        }
    }
    uint64_t before = cn_store__dict_lookups(d);
    for (unsigned i = 590; i < 600; i++) { /* used last: in the cache */
        int n = snprintf(buf, sizeof(buf), i % 3 ? "TFL-%05u" : "https://s.test/p/%06u", i);
        uint32_t got;
        assert_int_equal(cn_store__dict_intern_cached(d, cn_str(buf, (size_t)n), cache, &got), 0);
        assert_int_equal(got, i + 1);
    }
    assert_int_equal(cn_store__dict_lookups(d), before);
    /* over-long strings whose lengths are a cached string's plus 1 << 21 and more */
    size_t big = ((size_t)4 << 21) + 16;
    char *p = malloc(big);
    assert_non_null(p);
    memset(p, 'x', big);
    for (unsigned i = 0; i < 600; i += 7) {
        int n = snprintf(buf, sizeof(buf), i % 3 ? "TFL-%05u" : "https://s.test/p/%06u", i);
        for (size_t k = 1; k <= 3; k++) {
            size_t len = ((size_t)k << 21) + (size_t)n;
            memcpy(p, buf, (size_t)n);
            memcpy(p + len - (size_t)n, buf, (size_t)n);
            uint32_t got = 7;
            assert_int_equal(cn_store__dict_intern_cached(d, cn_str(p, len), cache, &got),
                             CN_ETOOBIG);
            cn_store__dict_req_t req[2] = {{d, cn_str(p, len), cache, &got},
                                           {d, cn_str(buf, (size_t)n), cache, &got}};
            assert_int_equal(cn_store__dict_intern_many(req, 2), CN_ETOOBIG);
        }
    }
    free(p);
    assert_int_equal(cn_store__dict_len(d), 601);
    cn_store__dict_free(d);
    cn_store__dict_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_string_is_id_zero),
        cmocka_unit_test(ids_are_dense_and_stable),
        cmocka_unit_test(file_round_trip),
        cmocka_unit_test(many_small_appends_then_reopen),
        cmocka_unit_test(prefix_window_boundary),
        cmocka_unit_test(blocks_are_level_3_frames_of_the_prefix),
        cmocka_unit_test(blocks_end_at_two_mib_and_16),
        cmocka_unit_test(truncated_last_block),
        cmocka_unit_test(damaged_zstd_blocks),
        cmocka_unit_test(damaged_files_are_corrupt),
        cmocka_unit_test(cached_interning_matches_the_table),
        cmocka_unit_test(interning_many_matches_the_table),
        cmocka_unit_test(cache_hits_misses_and_evictions),
        cmocka_unit_test(interning_many_hits_the_cache),
        cmocka_unit_test(cache_after_reopen),
        cmocka_unit_test(cache_same_length_and_over_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
