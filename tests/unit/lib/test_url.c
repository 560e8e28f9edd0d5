/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"

#include <cmocka.h>

static void query_next_splits_pairs_and_skips_empty(void **state)
{
    (void)state;
    cn_str_t rest = CN_STR_LIT("a=1&&c.&b=&=x&d"), n, v;
    bool eq;
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "a") && cn_str_eq_c(v, "1") && eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "c.") && v.len == 0 && !eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "b") && v.len == 0 && eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(n.len == 0 && cn_str_eq_c(v, "x") && eq);
    assert_true(cn_query_next(&rest, &n, &v, &eq));
    assert_true(cn_str_eq_c(n, "d") && !eq);
    assert_false(cn_query_next(&rest, &n, &v, &eq));
}

static void query_next_on_empty_returns_false(void **state)
{
    (void)state;
    cn_str_t rest = CN_STR_LIT(""), n, v;
    bool eq;
    assert_false(cn_query_next(&rest, &n, &v, &eq));
    rest = CN_STR_LIT("&&&");
    assert_false(cn_query_next(&rest, &n, &v, &eq));
}

static void decode_handles_plus_and_percent(void **state)
{
    (void)state;
    char out[64];
    cn_str_t s = CN_STR_LIT("red+mug%20%2Fx%2fY");
    size_t n = cn_url_decode_to(s, out);
    assert_int_equal(n, strlen("red mug /x/Y"));
    assert_memory_equal(out, "red mug /x/Y", n);
    assert_true(cn_url_needs_decode(s));
    assert_false(cn_url_needs_decode(CN_STR_LIT("plain")));
}

static void decode_keeps_malformed_escapes(void **state)
{
    (void)state;
    char out[16];
    size_t n = cn_url_decode_to(CN_STR_LIT("%zz%4"), out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "%zz%4", 5);
    n = cn_url_decode_to(CN_STR_LIT("%"), out);
    assert_int_equal(n, 1);
    n = cn_url_decode_to(CN_STR_LIT("a%41"), out);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "aA", 2);
}

/* %u escapes (JavaScript's escape()) are text to cn_url_decode_to; cn_url_decode_to_u tells. */
static void decode_to_u_tells_u_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        bool has_u;
    } cases[] = {
        {"Caf%E9%20%u4E2D%u6587", "Caf\xe9 %u4E2D%u6587", true},
        {"%U4e2d", "%U4e2d", true},
        {"x%uD83D%uDE00", "x%uD83D%uDE00", true},
        {"%u4E2", "%u4E2", false},   /* three hex digits */
        {"%u4E2G", "%u4E2G", false}, /* a digit that is not hex */
        {"%25u4E2D", "%u4E2D", false},
        {"%%u4E2D", "%%u4E2D", true},
        {"a+b%41",
         "a b"
         "A",
         false},
        {"%u", "%u", false},
        /* at the end of the 16-byte blocks and in the copied-aside tail */
        {"0123456789abcdef0123456789%u4E2D", "0123456789abcdef0123456789%u4E2D", true},
        {"0123456789%u4E2Dabcdef0123456789", "0123456789%u4E2Dabcdef0123456789", true},
        {"0123456789abcdef0123456789%u4E2", "0123456789abcdef0123456789%u4E2", false},
    };
    char out[64], plain[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_str_t s = cn_str_c(cases[i].in);
        unsigned fl = cases[i].has_u ? 0 : CN_URL_HAS_U;
        size_t n = cn_url_decode_to_u(s, out, &fl);
        assert_int_equal(n, strlen(cases[i].out));
        assert_memory_equal(out, cases[i].out, n);
        assert_int_equal((fl & CN_URL_HAS_U) != 0, cases[i].has_u);
        assert_int_equal(cn_url_decode_to(s, plain), n);
        assert_memory_equal(plain, out, n);
    }
}

/* CN_URL_HIGH: the output holds a byte >= 0x80, from the input's bytes or from an escape, in
 * the 16-byte blocks or in the tail. */
static void decode_to_u_tells_high_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool high;
    } cases[] = {
        {"", false},
        {"abc", false},
        {"a%7Fb+c", false},
        {"a%80b", true},
        {"caf\xc3\xa9", true},
        {"%zz%u4E2D%", false},
        {"https%3A%2F%2Fshop.example%2Fp%2Ftwh-00084%2Fdeluxe-mug%3Fcid%3Daff", false},
        {"https%3A%2F%2Fshop.example%2Fp%2Ftwh-00084%2Fdeluxe-mug%3Fcid%3Daff%C3%A9", true},
        {"%C3%A9https%3A%2F%2Fshop.example%2Fp%2Ftwh-00084%2Fdeluxe-mug%3Fcid%3Daff", true},
        {"0123456789abcdef\xff"
         "0123456789abcdef0123",
         true},                                             /* a raw byte in a block */
        {"0123456789abcdef0123456789abcdef0123\xff", true}, /* in the tail */
        {"0123456789abcd%2F%2F%2F%2F%2F%2F%2Fxyz", false},  /* escapes across blocks */
        {"0123456789abcd%2F%2F%2F%2F%2F%2F%FFxyz", true},
    };
    char plain[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned fl = CN_URL_HIGH | CN_URL_HAS_U; /* set: the decoder clears them first */
        cn_str_t s = cn_str_c(cases[i].in);
        /* exactly the room it may use (ASan sees a store past it) */
        char *out = malloc(s.len + CN_URL_DECODE_SLACK);
        size_t n = cn_url_decode_to_u(s, out, &fl);
        assert_int_equal(n, cn_url_decode_to(s, plain));
        assert_memory_equal(out, plain, n);
        free(out);
        assert_int_equal((fl & CN_URL_HIGH) != 0, cases[i].high);
        assert_int_equal((fl & CN_URL_HAS_U) != 0, i == 5);
    }
}

static void unescape_reads_escape_output(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        /* %XX is U+00XX (escape() of a Latin-1 character), %u a code point, + a space */
        {"Caf%E9%20%u4E2D%u6587", "Caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87"},
        {"%u00E9+%80%FF", "\xc3\xa9 \xc2\x80\xc3\xbf"},
        {"%U4e2d%u4E2d", "\xe4\xb8\xad\xe4\xb8\xad"},
        {"%u20AC%uFFFF", "\xe2\x82\xac\xef\xbf\xbf"},
        /* a surrogate pair is one code point; lone, reversed or cut it is U+FFFD */
        {"%uD83D%uDE00", "\xf0\x9f\x98\x80"},
        {"%udbff%udfff!", "\xf4\x8f\xbf\xbf!"},
        {"%uD83Dx", "\xef\xbf\xbdx"},
        {"%uD83D", "\xef\xbf\xbd"},
        {"%uDE00%uD83D", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"%uD83D%uD83D%uDE00", "\xef\xbf\xbd\xf0\x9f\x98\x80"},
        {"%uD83D%E9", "\xef\xbf\xbd\xc3\xa9"},
        {"%uD83D%uDE0", "\xef\xbf\xbd%uDE0"},
        /* a '%' that starts no escape stays, and so do other bytes */
        {"%u4E2%u%zz%", "%u4E2%u%zz%"},
        {"\xe9%u4E2D", "\xe9\xe4\xb8\xad"},
        {"", ""},
    };
    char out[64], inplace[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t in_len = strlen(cases[i].in);
        size_t want = strlen(cases[i].out);
        size_t n = cn_url_unescape_to(cn_str(cases[i].in, in_len), out);
        if (n != want || memcmp(out, cases[i].out, want) != 0)
            fail_msg("unescape '%s': got '%.*s'", cases[i].in, (int)n, out);
        memcpy(inplace, cases[i].in, in_len);
        assert_int_equal(cn_url_unescape_to(cn_str(inplace, in_len), inplace), want);
        assert_memory_equal(inplace, out, want);
    }
    /* %u0000 is a NUL, as %00 is */
    assert_int_equal(cn_url_unescape_to(CN_STR_LIT("%u0041%u0000z"), out), 3);
    assert_memory_equal(out, "A\0z", 3);
}

static void unescape_next_reports_lengths(void **state)
{
    (void)state;
    char out[4];
    size_t w;
    assert_int_equal(cn_url_unescape_next(CN_STR_LIT("%uD83D%uDE00x"), out, &w), 12);
    assert_int_equal(w, 4);
    assert_int_equal(cn_url_unescape_next(CN_STR_LIT("%u4E2Dx"), out, &w), 6);
    assert_int_equal(w, 3);
    assert_int_equal(cn_url_unescape_next(CN_STR_LIT("%E9"), out, &w), 3);
    assert_int_equal(w, 2);
    assert_int_equal(cn_url_unescape_next(CN_STR_LIT("%41"), out, &w), 3);
    assert_int_equal(w, 1);
    assert_int_equal(cn_url_unescape_next(CN_STR_LIT("+"), out, &w), 1);
    assert_int_equal(w, 1);
    assert_int_equal(cn_url_unescape_next(CN_STR_LIT("%"), out, &w), 1);
    assert_int_equal(w, 1);
    assert_int_equal(out[0], '%');
}

static void decode_works_in_place(void **state)
{
    (void)state;
    char b[] = "a%3Db%26c";
    size_t n = cn_url_decode_to(cn_str(b, strlen(b)), b);
    assert_int_equal(n, 5);
    assert_memory_equal(b, "a=b&c", 5);
}

/* The byte-at-a-time rules, to check the block-wise decoder against. */
static size_t ref_decode(const char *s, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '+') {
            dst[o++] = ' ';
            i++;
        } else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            dst[o++] = (char)strtol(hex, NULL, 16);
            i += 3;
        } else {
            dst[o++] = s[i++];
        }
    }
    return o;
}

static bool is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return false;
    }
    return true;
}

/* cn_url_decode_to_u's paths: SSE2 (every x86-64) and, where this CPU has it, AVX-512 (which
 * cn_url_decode_to_u() then takes); the decoding tests below run each. */
typedef size_t (*decode_u_fn)(cn_str_t s, char *dst, unsigned *out_flags);
static size_t decode_u_paths(decode_u_fn fns[2])
{
    size_t k = 0;
    fns[k++] = cn_url__decode_to_u_sse2;
#if CN_URL_AVX2
    if (cn_url__have_avx512())
        fns[k++] = cn_url__decode_to_u_avx512;
#endif
    return k;
}

/* A pair of the block splitter equals the pair-at-a-time splitter's, flags included. */
static void assert_same_pair(const cn_query_pair_t *got, const cn_query_pair_t *pr)
{
    assert_ptr_equal(got->name.ptr, pr->name.ptr);
    assert_int_equal(got->name.len, pr->name.len);
    assert_ptr_equal(got->value.ptr, pr->value.ptr);
    assert_int_equal(got->value.len, pr->value.len);
    assert_int_equal(got->has_eq, pr->has_eq);
    assert_int_equal(got->name_special, pr->name_special);
    assert_int_equal(got->value_special, pr->value_special);
}

/*
 * Exact pairs from the block splitter for the edge cases: empty pairs, a pair without '=',
 * '=' in a value, '%' and '+' in names and values and as the last byte, bytes >= 0x80 (which
 * make a part special as '%' does), pairs across the 16-,
 * 32- and 64-byte block edges, names that start like a known one, a very long query taken a
 * few pairs at a time.
 */
static void split_edge_cases_exact(void **state)
{
    (void)state;
    /* a 40-byte value puts the later pairs across the 32- and 64-byte block edges */
    static const char q[] = "&&a=1&&b&=x&c==d%&p+g=%zz%&=&e=v%2&long=0123456789012345678901234567"
                            "890123456789&pageNam=x&pageNames=y&z%41=%41&\xc3\xa9t\xc3\xa9=x"
                            "&v=caf\xc3\xa9&last=";
    static const struct {
        const char *name, *value;
        bool has_eq, nsp, vsp;
    } want[] = {
        {"a", "1", true, false, false},
        {"b", "", false, false, false},
        {"", "x", true, false, false},
        {"c", "=d%", true, false, true},
        {"p+g", "%zz%", true, true, true},
        {"", "", true, false, false},
        {"e", "v%2", true, false, true},
        {"long", "0123456789012345678901234567890123456789", true, false, false},
        {"pageNam", "x", true, false, false},
        {"pageNames", "y", true, false, false},
        {"z%41", "%41", true, true, true},
        {"\xc3\xa9t\xc3\xa9", "x", true, true, false}, /* not ASCII: special too */
        {"v", "caf\xc3\xa9", true, false, true},
        {"last", "", true, false, false},
    };
    cn_str_t rest = cn_str(q, sizeof(q) - 1);
    cn_query_pair_t got[16];
    size_t k = cn_query_split(&rest, got, 16);
    assert_int_equal(k, sizeof(want) / sizeof(want[0]));
    assert_int_equal(rest.len, 0);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(got[i].name.len, strlen(want[i].name));
        assert_memory_equal(got[i].name.ptr, want[i].name, got[i].name.len);
        assert_int_equal(got[i].value.len, strlen(want[i].value));
        assert_memory_equal(got[i].value.ptr, want[i].value, got[i].value.len);
        assert_int_equal(got[i].has_eq, want[i].has_eq);
        assert_int_equal(got[i].name_special, want[i].nsp);
        assert_int_equal(got[i].value_special, want[i].vsp);
    }
    /* a '%' and a '+' as the very last bytes, in a value and in a name */
    rest = cn_str("x=1&y=%", 7);
    assert_int_equal(cn_query_split(&rest, got, 16), 2);
    assert_true(got[1].value_special);
    assert_int_equal(got[1].value.len, 1);
    rest = cn_str("x=1&y+", 6);
    assert_int_equal(cn_query_split(&rest, got, 16), 2);
    assert_true(got[1].name_special);
    assert_false(got[1].has_eq);
    assert_int_equal(got[1].name.len, 2);
    /* a very long query: 600 pairs "nK=vK" over ~5,000 bytes, taken 16 at a time */
    char big[8000];
    size_t n = 0;
    for (int i = 0; i < 600; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%sn%d=v%d%s", i ? "&" : "", i, i,
                              i % 7 ? "" : "%20+");
    rest = cn_str(big, n);
    int seen = 0;
    size_t got_n;
    do {
        got_n = cn_query_split(&rest, got, 16);
        for (size_t i = 0; i < got_n; i++, seen++) {
            char nm[16], vl[16];
            int nl = snprintf(nm, sizeof(nm), "n%d", seen);
            int vlen = snprintf(vl, sizeof(vl), "v%d%s", seen, seen % 7 ? "" : "%20+");
            assert_int_equal(got[i].name.len, (size_t)nl);
            assert_memory_equal(got[i].name.ptr, nm, (size_t)nl);
            assert_int_equal(got[i].value.len, (size_t)vlen);
            assert_memory_equal(got[i].value.ptr, vl, (size_t)vlen);
            assert_int_equal(got[i].value_special, seen % 7 == 0);
        }
    } while (got_n == 16);
    assert_int_equal(seen, 600);
}

static void long_strings_decode_and_split_as_bytewise(void **state)
{
    (void)state;
    static const char alphabet[] = "abcXYZ019%%++&&==2Fg?#\xc3\xa9\x80";
    uint64_t x = 88172645463325252ULL;
    char in[300], a[300], b[300 + CN_URL_DECODE_SLACK];
    for (int round = 0; round < 20000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % 290);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* mostly plain runs, so that the 16-byte paths are taken */
            in[i] = x % 5 ? (char)('a' + x % 26) : alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
        }
        cn_str_t s = cn_str(in, n);
        size_t want = ref_decode(in, n, a);
        assert_int_equal(cn_url_decode_to(s, b), want);
        assert_memory_equal(a, b, want);
        memcpy(b, in, n);
        assert_int_equal(cn_url_decode_to(cn_str(b, n), b), want); /* in place */
        assert_memory_equal(a, b, want);
        decode_u_fn fns[2];
        for (size_t k = 0, nk = decode_u_paths(fns); k < nk; k++) {
            unsigned fl;
            assert_int_equal(fns[k](s, b, &fl), want);
            assert_memory_equal(a, b, want);
            assert_int_equal((fl & CN_URL_HIGH) != 0, !is_ascii(a, want));
        }
        size_t plain = 0;
        while (plain < n && in[plain] != '%' && in[plain] != '+')
            plain++;
        assert_int_equal(cn_url_special_prefix(s), plain);
        size_t path = 0;
        while (path < n && in[path] != '?' && in[path] != '#')
            path++;
        assert_int_equal(cn_url_strip_query(s).len, path);
        /* the pair splitter: the same pairs as splitting by hand, flags right */
        cn_str_t rest = s;
        cn_query_pair_t pr;
        size_t at = 0;
        while (cn_query_next_pair(&rest, &pr)) {
            while (at < n && in[at] == '&')
                at++;
            size_t end = at;
            while (end < n && in[end] != '&')
                end++;
            size_t eq = at;
            while (eq < end && in[eq] != '=')
                eq++;
            assert_ptr_equal(pr.name.ptr, in + at);
            assert_int_equal(pr.name.len, eq - at);
            assert_int_equal(pr.has_eq, eq < end);
            assert_int_equal(pr.value.len, eq < end ? end - eq - 1 : 0);
            assert_int_equal(pr.name_special, cn_query_special(pr.name));
            assert_int_equal(pr.value_special, cn_query_special(pr.value));
            at = end;
        }
        while (at < n && in[at] == '&')
            at++;
        assert_int_equal(at, n);
        /* the block splitter gives the same pairs, in batches of any size */
        cn_str_t r1 = s, r2 = s;
        cn_query_pair_t got[7];
        size_t cap = 1 + (size_t)(x >> 20) % 7, k;
        do {
            k = cn_query_split(&r2, got, cap);
            for (size_t i = 0; i < k; i++) {
                assert_true(cn_query_next_pair(&r1, &pr));
                assert_same_pair(&got[i], &pr);
            }
        } while (k == cap);
        assert_int_equal(r2.len, 0);
        assert_false(cn_query_next_pair(&r1, &pr));
    }
}

/*
 * Escapes at every place of the 16-byte blocks and of the tail the decoder
 * copies aside: a cut escape ("%", "%4") at the very end, an escape across
 * the last block's end, "%zz", "+", runs of escapes ending in a good, a cut or
 * a bad one, apart and in place, at lengths 1..140 (the AVX-512 path's 62-byte
 * blocks too), on each path of cn_url_decode_to_u.
 */
static void escapes_at_block_edges_decode_as_bytewise(void **state)
{
    (void)state;
    static const char *const esc[] = {"%", "%4", "%zz", "+", "%2F", "%2f", "%41%42", "%%41",
                                      "%E4%B8%AD%E6%96%87", "%3A%2F%2F%", "%41%4", "%41%zz%42+%43",
                                      "%u4E2D", "%u4E2", "%E9%uD83D%uDE00",
                                      /* escapes a few bytes apart in one block, as in URLs */
                                      "%2Fp%2Ftw%2F", "a+b%zzc%41", "%E9x%41yy%C3%A9"};
    char in[140], a[140], b[140 + CN_URL_DECODE_SLACK];
    decode_u_fn fns[2];
    size_t nk = decode_u_paths(fns);
    for (size_t e = 0; e < sizeof(esc) / sizeof(esc[0]); e++) {
        size_t el = strlen(esc[e]);
        /* up to 140: the AVX-512 path's blocks (62 bytes, 64 read) end at 62 and 124 */
        for (size_t len = el; len <= 140; len++) {
            for (size_t at = 0; at + el <= len; at++) {
                memset(in, 'x', len);
                memcpy(in + at, esc[e], el);
                size_t want = ref_decode(in, len, a);
                assert_int_equal(cn_url_decode_to(cn_str(in, len), b), want);
                assert_memory_equal(a, b, want);
                bool want_u = strstr(esc[e], "%u") != NULL && strcmp(esc[e], "%u4E2") != 0;
                for (size_t k = 0; k < nk; k++) {
                    unsigned fl;
                    assert_int_equal(fns[k](cn_str(in, len), b, &fl), want);
                    assert_memory_equal(a, b, want);
                    assert_int_equal((fl & CN_URL_HAS_U) != 0, want_u);
                    assert_int_equal((fl & CN_URL_HIGH) != 0, !is_ascii(a, want));
                }
                memcpy(b, in, len);
                assert_int_equal(cn_url_decode_to(cn_str(b, len), b), want);
                assert_memory_equal(a, b, want);
            }
        }
    }
}

/*
 * The block splitter's in-block path: '&', '=' and '%' at the places where
 * 16- and 64-byte blocks meet (15/16/17, 31/32/33, 63/64/65), empty pairs and
 * names without '=' among them, against the pair-at-a-time splitter. Over a
 * filler without '&' and '=' too, so that pairs run over whole blocks: a block
 * without '&' holding a pair's '=' or specials, a pair that starts at a block's
 * first byte.
 */
static void split_at_block_edges_matches_pairwise(void **state)
{
    (void)state;
    static const size_t edges[] = {0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 62, 63, 64, 65, 66, 127};
    static const char marks[] = "&=%+\xe9";
    char in[160];
    for (size_t m1 = 0; m1 < 5 * 2; m1++) {
        bool plain = m1 >= 5; /* the filler: all 'a', or a pair every 7 bytes */
        for (size_t m2 = 0; m2 < 5; m2++) {
            for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
                for (size_t j = 0; j < sizeof(edges) / sizeof(edges[0]); j++) {
                    size_t n = 140;
                    for (size_t k = 0; k < n; k++)
                        in[k] = plain ? 'a' : k % 7 == 3 ? '&' : (k % 7 == 5 ? '=' : 'a');
                    in[edges[i]] = marks[m1 % 5];
                    in[edges[j]] = marks[m2];
                    cn_str_t r1 = cn_str(in, n), r2 = r1;
                    cn_query_pair_t got[64], pr;
                    size_t k = cn_query_split(&r2, got, 64);
                    for (size_t q = 0; q < k; q++) {
                        assert_true(cn_query_next_pair(&r1, &pr));
                        assert_same_pair(&got[q], &pr);
                        assert_int_equal(got[q].name_special, cn_query_special(pr.name));
                        assert_int_equal(got[q].value_special, cn_query_special(pr.value));
                    }
                    assert_int_equal(r2.len, 0);
                    assert_false(cn_query_next_pair(&r1, &pr));
                }
            }
        }
    }
}

/* The splitter's paths: SSE2 (every x86-64) and, where this CPU has it, AVX2 (which
 * cn_query_split() then takes); each test below runs all of them. */
typedef size_t (*split_fn)(cn_str_t *rest, cn_query_pair_t *out, size_t cap);
static size_t split_paths(split_fn fns[2])
{
    size_t k = 0;
    fns[k++] = cn_url__query_split_sse2;
#if CN_URL_AVX2
    if (cn_url__have_avx2())
        fns[k++] = cn_url__query_split_avx2;
#endif
    return k;
}

/* fn splits in[0..n) cap pairs at a time as the pair-at-a-time splitter does. */
static void assert_split_as_pairwise(split_fn fn, const char *in, size_t n, size_t cap)
{
    cn_str_t r1 = cn_str(in, n), r2 = r1;
    cn_query_pair_t *got = malloc(cap * sizeof(*got)), pr; /* exactly cap: ASan sees more */
    size_t k;
    do {
        k = fn(&r2, got, cap);
        for (size_t i = 0; i < k; i++) {
            assert_true(cn_query_next_pair(&r1, &pr));
            assert_same_pair(&got[i], &pr);
        }
        if (k == cap) { /* the rest starts right after the last pair's '&' (or at the end) */
            const char *end = got[k - 1].value.ptr + got[k - 1].value.len;
            assert_ptr_equal(r2.ptr, end < in + n ? end + 1 : end);
        }
    } while (k == cap);
    assert_int_equal(r2.len, 0);
    assert_ptr_equal(r2.ptr, in + n);
    assert_false(cn_query_next_pair(&r1, &pr));
    free(got);
}

/*
 * Each path of the block splitter against the pair-at-a-time one, on random queries of 0 to
 * 700 bytes with '&' now dense, now rare (pairs of several blocks: a long URL value, a name
 * without '=' that runs to the end, a pair that ends at a block's last byte), taken 1 to 40
 * pairs at a time; and on queries whose pairs end at every place around the 64-byte edges,
 * with room for 31 to 33 pairs where a block holds 32.
 */
static void split_paths_match_pairwise(void **state)
{
    (void)state;
    split_fn fns[2];
    size_t nf = split_paths(fns);
    static const char marks[] = "&&&&==%%++\xc3\xa9\x80";
    static char in[800];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 6000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % 701), density = 2 + (size_t)(x >> 32) % 150;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            in[i] = x % density ? (char)('a' + x % 26) : marks[(x >> 8) % (sizeof(marks) - 1)];
        }
        size_t cap = 1 + (size_t)(x >> 40) % 40;
        for (size_t f = 0; f < nf; f++)
            assert_split_as_pairwise(fns[f], in, n, cap);
    }
    /* "a=v...&" pairs of every length from 1 to 140 bytes, queries of 1 to 300 bytes: every
     * pair end and start at every offset of a block, the last byte at every offset */
    for (size_t plen = 1; plen <= 140; plen++) {
        for (size_t n = 1; n <= 300; n += 1 + n / 40) {
            for (size_t i = 0; i < n; i++)
                in[i] = i % (plen + 1) == plen ? '&' : i % (plen + 1) == plen / 2 ? '=' : 'v';
            for (size_t f = 0; f < nf; f++) {
                assert_split_as_pairwise(fns[f], in, n, 40);
                assert_split_as_pairwise(fns[f], in, n, 1 + plen % 5);
                /* room for exactly a full block's pairs (32 of "v&"), one more, one less */
                for (size_t cap = 31; cap <= 33 && plen == 1; cap++)
                    assert_split_as_pairwise(fns[f], in, n, cap);
            }
        }
    }
}

/* Every "%XY" (all 65,536 byte pairs) decodes as the bytewise reference does, in the 16-byte
 * blocks and in the tail, apart (each path) and in place. */
static void every_escape_decodes_as_bytewise(void **state)
{
    (void)state;
    char in[40], a[40], b[40];
    for (unsigned x = 0; x < 256; x++) {
        for (unsigned y = 0; y < 256; y++) {
            for (size_t at = 0; at <= 20; at += 10) { /* block, block edge, tail */
                size_t len = 24;
                memset(in, 'q', len);
                in[at] = '%';
                in[at + 1] = (char)x;
                in[at + 2] = (char)y;
                size_t want = ref_decode(in, len, a);
                decode_u_fn fns[2];
                for (size_t k = 0, nk = decode_u_paths(fns); k < nk; k++) {
                    unsigned fl;
                    assert_int_equal(fns[k](cn_str(in, len), b, &fl), want);
                    assert_memory_equal(a, b, want);
                    assert_int_equal((fl & CN_URL_HIGH) != 0, !is_ascii(a, want));
                }
                memcpy(b, in, len);
                assert_int_equal(cn_url_decode_to(cn_str(b, len), b), want);
                assert_memory_equal(a, b, want);
            }
        }
    }
}

static void cp1252_becomes_utf8(void **state)
{
    (void)state;
    char out[32];
    size_t n = cn_cp1252_to_utf8(CN_STR_LIT("caf\xe9"), out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "caf\xc3\xa9", 5);
    /* 0x80-0x9F as windows-1252: the euro sign, a right quote; 0x81 stays U+0081 */
    n = cn_cp1252_to_utf8(CN_STR_LIT("\x80\x92\x81"), out);
    assert_int_equal(n, 3 + 3 + 2);
    assert_memory_equal(out, "\xe2\x82\xac\xe2\x80\x99\xc2\x81", n);
}

static void strip_query_and_host(void **state)
{
    (void)state;
    assert_true(
        cn_str_eq_c(cn_url_strip_query(CN_STR_LIT("https://a.b/c?x=1#f")), "https://a.b/c"));
    assert_true(cn_str_eq_c(cn_url_strip_query(CN_STR_LIT("https://a.b/c#f")), "https://a.b/c"));
    assert_true(
        cn_str_eq_c(cn_url_host(CN_STR_LIT("https://u:p@Shop.example:8443/x")), "Shop.example"));
    assert_true(cn_str_eq_c(cn_url_host(CN_STR_LIT("http://[::1]:80/")), "[::1]"));
    assert_true(cn_str_eq_c(cn_url_host(CN_STR_LIT("https://a.b")), "a.b"));
    assert_null(cn_url_host(CN_STR_LIT("/relative/path")).ptr);
    assert_null(cn_url_host(CN_STR_LIT("")).ptr);
}

/* cn_url_host as it was written first (a scheme loop, then the authority's end, its user info
 * and its port found in three passes): the reference for the one-pass version. */
static cn_str_t ref_url_host(cn_str_t url)
{
    if (url.len < 3)
        return CN_STR_NULL;
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
    for (const char *q = he; q > h; q--) {
        if (q[-1] == '@') {
            h = q;
            break;
        }
    }
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

/* The host: exact answers for user info, ports, IPv6 literals and the usual schemes' edges,
 * and the reference's answer (same pointer, same length) for random URLs made of the bytes
 * that matter, behind "https://", "http://", another scheme or none. */
static void url_host_equals_reference(void **state)
{
    (void)state;
    static const struct {
        const char *url, *host; /* host NULL: none */
    } cases[] = {
        {"https://a@b@c:1:2/x", "c"},
        {"http://u:p@h:80?q", "h"},
        {"https://h#f", "h"},
        {"https://", ""},
        {"http://", ""},
        {"https:/", NULL},
        {"http:/", NULL},
        {"HTTPS://X.Y/", "X.Y"},
        {"ftp://files:21/", "files"},
        {"https://[::1/", "["},
        {"https://x@[2001:db8::1]:8443/", "[2001:db8::1]"},
        {"https://h@", ""},
        {"https//h/", NULL},
        {"://h/", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_str_t got = cn_url_host(cn_str_c(cases[i].url));
        if (cases[i].host == NULL)
            assert_null(got.ptr);
        else if (!cn_str_eq_c(got, cases[i].host))
            fail_msg("%s: '%.*s', want '%s'", cases[i].url, (int)got.len, got.ptr, cases[i].host);
    }
    static const char *const heads[] = {"https://", "http://", "ws://", "https:/", "", "http:"};
    const char alpha[] = "ab.1@:/?#[]-";
    uint64_t x = 0x2545f4914f6cdd1dULL;
    char url[48];
    for (int n = 0; n < 200000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *head = heads[x % 6];
        size_t hl = strlen(head), len = hl + (size_t)((x >> 8) % 20);
        memcpy(url, head, hl);
        for (size_t k = hl; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            url[k] = alpha[x % (sizeof(alpha) - 1)];
        }
        cn_str_t got = cn_url_host(cn_str(url, len)), want = ref_url_host(cn_str(url, len));
        if (got.ptr != want.ptr || got.len != want.len)
            fail_msg("'%.*s': '%.*s', want '%.*s'", (int)len, url, (int)got.len,
                     got.ptr ? got.ptr : "", (int)want.len, want.ptr ? want.ptr : "");
    }
}

static void query_param_finds_exact_name(void **state)
{
    (void)state;
    bool found;
    cn_str_t v = cn_url_query_param(CN_STR_LIT("https://x/?utm_source=nl&utm=2#utm_medium=no"),
                                    CN_STR_LIT("utm"), &found);
    assert_true(found && cn_str_eq_c(v, "2"));
    v = cn_url_query_param(CN_STR_LIT("https://x/?a=1#utm_medium=no"), CN_STR_LIT("utm_medium"),
                           &found);
    assert_false(found);
    v = cn_url_query_param(CN_STR_LIT("https://x/"), CN_STR_LIT("a"), &found);
    assert_false(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_next_splits_pairs_and_skips_empty),
        cmocka_unit_test(query_next_on_empty_returns_false),
        cmocka_unit_test(decode_handles_plus_and_percent),
        cmocka_unit_test(decode_keeps_malformed_escapes),
        cmocka_unit_test(decode_works_in_place),
        cmocka_unit_test(decode_to_u_tells_u_escapes),
        cmocka_unit_test(decode_to_u_tells_high_bytes),
        cmocka_unit_test(unescape_reads_escape_output),
        cmocka_unit_test(unescape_next_reports_lengths),
        cmocka_unit_test(long_strings_decode_and_split_as_bytewise),
        cmocka_unit_test(escapes_at_block_edges_decode_as_bytewise),
        cmocka_unit_test(split_at_block_edges_matches_pairwise),
        cmocka_unit_test(split_edge_cases_exact),
        cmocka_unit_test(split_paths_match_pairwise),
        cmocka_unit_test(every_escape_decodes_as_bytewise),
        cmocka_unit_test(cp1252_becomes_utf8),
        cmocka_unit_test(strip_query_and_host),
        cmocka_unit_test(url_host_equals_reference),
        cmocka_unit_test(query_param_finds_exact_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
