/* SPDX-License-Identifier: Apache-2.0 */
/* Dictionaries: ids, lookups, the file encoding, and refusal of damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void file_round_trip(void **state)
{
    (void)state;
    cn_store__dict_t *d = cn_store__dict_new("url");
    const char *words[] = {"a", "bb", "https://example.com/x?y", "\xe2\x82\xac", "with\ttab"};
    uint32_t id;
    for (size_t i = 0; i < 5; i++)
        cn_store__dict_intern(d, cn_str_c(words[i]), &id);
    char big[300];
    memset(big, 'z', sizeof(big));
    cn_store__dict_intern(d, cn_str(big, sizeof(big)), &id);
    cn_buf_t b = CN_BUF_INIT;
    cn_store__dict_header(&b);
    cn_store__dict_encode(d, 0, 3, &b); /* in two appends, as flushes do */
    cn_store__dict_encode(d, 3, cn_store__dict_len(d), &b);
    cn_store__dict_t *e = cn_store__dict_new("url");
    uint32_t n;
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, b.len, "t", e, &n, NULL), 0);
    assert_int_equal(n, 7);
    for (uint32_t i = 0; i < n; i++)
        assert_true(cn_str_eq(cn_store__dict_str(d, i), cn_store__dict_str(e, i)));
    /* a header alone is an empty dictionary */
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, 16, "t", NULL, &n, NULL), 0);
    assert_int_equal(n, 1);
    cn_store__dict_free(d);
    cn_store__dict_free(e);
    cn_buf_dispose(&b);
}

static void damaged_files_are_corrupt(void **state)
{
    (void)state;
    cn_buf_t b = CN_BUF_INIT;
    cn_store__dict_header(&b);
    cn_buf_put_varint(&b, 3);
    cn_buf_append(&b, "abc", 3);
    uint32_t n;
    cn_err_t err;
    /* truncated entry */
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, b.len - 1, "t", NULL, &n, &err),
                     CN_ECORRUPT);
    assert_non_null(strstr(err.msg, "offset 16"));
    /* bad magic */
    b.ptr[0] = 'X';
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, b.len, "t", NULL, &n, NULL),
                     CN_ECORRUPT);
    b.ptr[0] = 'C';
    /* a repeated string */
    cn_buf_put_varint(&b, 3);
    cn_buf_append(&b, "abc", 3);
    cn_store__dict_t *d = cn_store__dict_new("x");
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, b.len, "t", d, &n, NULL), CN_ECORRUPT);
    cn_store__dict_free(d);
    /* an empty entry (id 0 is implicit) */
    cn_buf_clear(&b);
    cn_store__dict_header(&b);
    cn_buf_put_varint(&b, 0);
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, b.len, "t", NULL, &n, NULL),
                     CN_ECORRUPT);
    /* a length beyond the file */
    cn_buf_clear(&b);
    cn_store__dict_header(&b);
    cn_buf_put_varint(&b, 1u << 30);
    assert_int_equal(cn_store__dict_parse((uint8_t *)b.ptr, b.len, "t", NULL, &n, NULL),
                     CN_ECORRUPT);
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
    cn_store__dict_encode(d, 0, cn_store__dict_len(d), &buf);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_string_is_id_zero),
        cmocka_unit_test(ids_are_dense_and_stable),
        cmocka_unit_test(file_round_trip),
        cmocka_unit_test(damaged_files_are_corrupt),
        cmocka_unit_test(cached_interning_matches_the_table),
        cmocka_unit_test(interning_many_matches_the_table),
        cmocka_unit_test(cache_hits_misses_and_evictions),
        cmocka_unit_test(interning_many_hits_the_cache),
        cmocka_unit_test(cache_after_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
