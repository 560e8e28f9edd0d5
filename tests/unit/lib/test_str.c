/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#include <cmocka.h>

static void split_walks_tokens(void **state)
{
    (void)state;
    cn_str_t rest = CN_STR_LIT("a,,bc"), head;
    rest = cn_str_split(rest, ',', &head);
    assert_true(cn_str_eq_c(head, "a"));
    rest = cn_str_split(rest, ',', &head);
    assert_int_equal(head.len, 0);
    rest = cn_str_split(rest, ',', &head);
    assert_true(cn_str_eq_c(head, "bc"));
    assert_null(rest.ptr);
}

/* White space at one end only, and edge bytes that are not white space (the short cut). */
static void trim_one_side_and_non_space_edges(void **state)
{
    (void)state;
    assert_true(cn_str_eq_c(cn_str_trim(CN_STR_LIT("x \f")), "x"));
    assert_true(cn_str_eq_c(cn_str_trim(CN_STR_LIT("\vx")), "x"));
    assert_true(cn_str_eq_c(cn_str_trim(CN_STR_LIT("x")), "x"));
    assert_true(cn_str_eq_c(cn_str_trim(CN_STR_LIT("\xa0x \xa0")), "\xa0x \xa0"));
    assert_true(cn_str_eq_c(cn_str_trim(CN_STR_LIT("!x\x01")), "!x\x01"));
    assert_int_equal(cn_str_trim(CN_STR_LIT("\x01")).len, 1);
    assert_int_equal(cn_str_trim(CN_STR_LIT("\t")).len, 0);
    cn_str_t empty = cn_str_trim(cn_str("abc", 0));
    assert_int_equal(empty.len, 0);
}

static void trim_removes_white_space(void **state)
{
    (void)state;
    assert_true(cn_str_eq_c(cn_str_trim(CN_STR_LIT(" \t x y \r\n")), "x y"));
    assert_int_equal(cn_str_trim(CN_STR_LIT("   ")).len, 0);
}

static void to_i64_accepts_limits_rejects_overflow(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(cn_str_to_i64(CN_STR_LIT("9223372036854775807"), &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(cn_str_to_i64(CN_STR_LIT("-9223372036854775808"), &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(cn_str_to_i64(CN_STR_LIT("9223372036854775808"), &v), CN_EPARSE);
    assert_int_equal(cn_str_to_i64(CN_STR_LIT(""), &v), CN_EPARSE);
    assert_int_equal(cn_str_to_i64(CN_STR_LIT("-"), &v), CN_EPARSE);
    assert_int_equal(cn_str_to_i64(CN_STR_LIT("12a"), &v), CN_EPARSE);
}

static void to_double_parses_decimals(void **state)
{
    (void)state;
    double v;
    assert_int_equal(cn_str_to_double(CN_STR_LIT("79.80"), &v), 0);
    assert_true(v == 79.80);
    assert_int_equal(cn_str_to_double(CN_STR_LIT("nan"), &v), CN_EPARSE);
    assert_int_equal(cn_str_to_double(CN_STR_LIT("1e999"), &v), CN_EPARSE);
    assert_int_equal(cn_str_to_double(CN_STR_LIT("0x10"), &v), CN_EPARSE);
}

static void eq_nocase_folds_ascii(void **state)
{
    (void)state;
    assert_true(cn_str_eq_nocase(CN_STR_LIT("User-Agent"), CN_STR_LIT("user-agent")));
    assert_false(cn_str_eq_nocase(CN_STR_LIT("a"), CN_STR_LIT("ab")));
}

/* Display columns: East Asian wide characters take 2, combining marks 0 (wcwidth, C.UTF-8). */
static void width_counts_display_columns(void **state)
{
    (void)state;
    assert_int_equal(cn_str_width(CN_STR_LIT("")), 0);
    assert_int_equal(cn_str_width(CN_STR_LIT("/home")), 5);
    assert_int_equal(cn_str_width(CN_STR_LIT("你好")), 4);          /* 2 wide */
    assert_int_equal(cn_str_width(CN_STR_LIT("こんにちは/a")), 12); /* 5 wide, 2 narrow */
    assert_int_equal(cn_str_width(CN_STR_LIT("ＡＢ")), 4);          /* full-width Latin */
    assert_int_equal(cn_str_width(CN_STR_LIT("caf\xc3\xa9")), 4);   /* é: 2 bytes, 1 col */
    assert_int_equal(cn_str_width(CN_STR_LIT("cafe\xcc\x81")), 4);  /* e + combining acute */
    assert_int_equal(cn_str_width(CN_STR_LIT("…")), 1);
    assert_int_equal(cn_str_width(CN_STR_LIT("a\xff"
                                             "b")),
                     3);                                        /* a bad byte: 1 */
    assert_int_equal(cn_str_width(CN_STR_LIT("a\xe4\xbd")), 2); /* cut short: 1 */
}

static void width_prefix_cuts_on_a_character(void **state)
{
    (void)state;
    size_t cols;
    /* 你好 in 3 columns: 你 alone (a wide character is not split) */
    assert_int_equal(cn_str_width_prefix(CN_STR_LIT("你好"), 3, &cols), 3);
    assert_int_equal(cols, 2);
    assert_int_equal(cn_str_width_prefix(CN_STR_LIT("你好"), 4, &cols), 6);
    assert_int_equal(cols, 4);
    assert_int_equal(cn_str_width_prefix(CN_STR_LIT("你好"), 1, &cols), 0);
    assert_int_equal(cols, 0);
    assert_int_equal(cn_str_width_prefix(CN_STR_LIT("ab你"), 3, &cols), 2);
    assert_int_equal(cols, 2);
    /* a combining mark stays with its letter */
    assert_int_equal(cn_str_width_prefix(CN_STR_LIT("e\xcc\x81x"), 1, &cols), 3);
    assert_int_equal(cols, 1);
}

/* Repairs s and checks the bytes out (and that the repaired text is valid throughout). */
static void repairs(const char *in, size_t n, const char *want, size_t want_n)
{
    char out[256];
    size_t got = cn_utf8_repair_to(cn_str(in, n), out);
    assert_int_equal(got, want_n);
    assert_memory_equal(out, want, want_n);
    assert_int_equal(cn_utf8_valid_prefix(cn_str(out, got)), got);
}
#define REPAIRS(in, want) repairs(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void utf8_valid_prefix_stops_at_the_first_bad_byte(void **state)
{
    (void)state;
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("")), 0);
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("plain ascii, longer than sixteen")), 32);
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("Caf\xc3\xa9 \xe4\xbd\xa0\xf0\x9f\x98\x80")),
                     13);
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("Caf\xe9")), 3);
    /* past the first 16 ASCII bytes */
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("0123456789abcdefgh\xff")), 18);
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("\xc0\xaf")), 0);         /* overlong */
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("a\xed\xa0\x80")), 1);    /* surrogate */
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("\xf4\x90\x80\x80")), 0); /* > U+10FFFF */
    assert_int_equal(cn_utf8_valid_prefix(CN_STR_LIT("ab\xe2\x82")), 2);       /* cut short */
}

static void utf8_repair_replaces_each_bad_sequence(void **state)
{
    (void)state;
    REPAIRS("Caf\xe9", "Caf\xef\xbf\xbd");
    REPAIRS("Caf\xc3\xa9", "Caf\xc3\xa9");
    /* a sequence cut short by a byte that cannot continue it is one U+FFFD, the byte stays */
    REPAIRS("\xe2\x82"
            "A",
            "\xef\xbf\xbd"
            "A");
    REPAIRS("\xe2\x82\xe2\x82\xac", "\xef\xbf\xbd\xe2\x82\xac");
    /* bytes that start nothing are one each */
    REPAIRS("\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd");
    REPAIRS("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
    REPAIRS("\xff"
            "x",
            "\xef\xbf\xbd"
            "x");
    /* the second byte is out of range for E0, ED, F0, F4 */
    REPAIRS("\xe0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    REPAIRS("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    REPAIRS("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    /* cut short at the end */
    REPAIRS("x\xf0\x9f\x98", "x\xef\xbf\xbd");
    REPAIRS("0123456789abcdef\xf0\x9f\x98\x80z", "0123456789abcdef\xf0\x9f\x98\x80z");
}

/* cn_str_is_ascii at every length from 0 to 100 (the 16- and 32-byte loads, the overlapping
 * last load, the 8-, 4- and 1-byte paths) with one byte >= 0x80 at every place, or none. */
static void is_ascii_sees_every_high_byte(void **state)
{
    (void)state;
    char buf[100];
    for (size_t n = 0; n <= sizeof(buf); n++) {
        memset(buf, 'a', sizeof(buf));
        assert_true(cn_str_is_ascii(cn_str(buf, n)));
        for (size_t at = 0; at < n; at++) {
            for (int hi = 0x80; hi <= 0xff; hi += 0x7f) {
                buf[at] = (char)hi;
                assert_false(cn_str_is_ascii(cn_str(buf, n)));
                buf[at] = 0x7f;
                assert_true(cn_str_is_ascii(cn_str(buf, n)));
                buf[at] = 'a';
            }
        }
        if (n < sizeof(buf)) { /* a high byte just past the end is not looked at */
            buf[n] = (char)0x80;
            assert_true(cn_str_is_ascii(cn_str(buf, n)));
        }
    }
}

/* cn_memeq_short and cn_str_eq_short answer as memcmp at every
 * length from 0 to past its inline limit of 64, for a difference at each byte and none, with
 * the bytes at the end of an allocation of exactly that length (ASan sees a read past it). */
static void inline_compare_answers_as_memcmp_at_every_length(void **state)
{
    (void)state;
    enum { MAX = 80 };
    char pat[MAX];
    for (size_t i = 0; i < MAX; i++)
        pat[i] = (char)('a' + (i * 7) % 26);
    for (size_t n = 0; n <= MAX; n++) {
        char *a = cn_xmalloc(n + 1), *b = cn_xmalloc(n + 1);
        memcpy(a + 1, pat, n); /* the n bytes at the end of each allocation */
        memcpy(b + 1, pat, n);
        assert_true(cn_memeq_short(a + 1, b + 1, n));
        assert_true(cn_str_eq_short(cn_str(a + 1, n), cn_str(b + 1, n)));
        for (size_t i = 1; i <= n; i++) {
            b[i] ^= 0x20;
            assert_false(cn_memeq_short(a + 1, b + 1, n));
            assert_false(cn_memeq_short(b + 1, a + 1, n));
            b[i] ^= 0x20;
        }
        if (n > 0)
            assert_false(cn_str_eq_short(cn_str(a + 1, n), cn_str(b + 1, n - 1)));
        free(a);
        free(b);
    }
}

/* The JSON string helpers take exactly what jansson takes (the fast paths rely on it). */
static void json_escape_takes_what_jansson_takes(void **state)
{
    (void)state;
    uint32_t cp = 0;
#define ESC(lit) cn_json_escape(lit, &lit[sizeof(lit) - 1], &cp)
    assert_int_equal(ESC("\\n"), 2);
    assert_int_equal(cp, '\n');
    assert_int_equal(ESC("\\/x"), 2);
    assert_int_equal(cp, '/');
    assert_int_equal(ESC("\\u00e9"), 6);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(ESC("\\uD83D\\uDE00"), 12);
    assert_int_equal(cp, 0x1f600);
    assert_int_equal(ESC("\\u0000"), 0);        /* jansson refuses it */
    assert_int_equal(ESC("\\uDE00"), 0);        /* a lone low surrogate */
    assert_int_equal(ESC("\\uD83D\\u0041"), 0); /* a high one without its pair */
    assert_int_equal(ESC("\\uD83D"), 0);
    assert_int_equal(ESC("\\u00g9"), 0);
    assert_int_equal(ESC("\\u00e"), 0); /* cut short */
    assert_int_equal(ESC("\\x"), 0);
    assert_int_equal(ESC("\\"), 0);
#undef ESC
    char o[8];
    assert_int_equal(cn_put_utf8(o, 0x1f600) - o, 4);
    assert_memory_equal(o, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(cn_put_utf8(o, 0xe9) - o, 2);
    assert_memory_equal(o, "\xc3\xa9", 2);
#define SEQ(lit)                                                                                   \
    cn_utf8_seq((const unsigned char *)lit, (const unsigned char *)&lit[sizeof(lit) - 1])
    assert_int_equal(SEQ("\xc3\xa9"), 2);
    assert_int_equal(SEQ("\xf0\x9f\x98\x80"), 4);
    assert_int_equal(SEQ("\xf0\x9f\x98"), 0);     /* cut short */
    assert_int_equal(SEQ("\xc0\xaf"), 0);         /* overlong */
    assert_int_equal(SEQ("\xed\xa0\x80"), 0);     /* a surrogate */
    assert_int_equal(SEQ("\xf4\x90\x80\x80"), 0); /* past U+10FFFF */
    assert_int_equal(SEQ("A"), 0);
#undef SEQ
}

/* A string's text unescaped up to its closing quote: as a value, and re-escaped for a dump. */
static void json_unescape_stops_at_the_quote(void **state)
{
    (void)state;
    static const char text[] = "caf\\u00e9 \\\\ \\\"q\\\" \\t\xe2\x82\xac\" after";
    const char *end = text + sizeof(text) - 1;
    char buf[64], *o = buf;
    const char *q = cn_json_unescape(text, end, &o, false);
    assert_non_null(q);
    assert_int_equal(*q, '"');
    assert_int_equal(q - text, strlen(text) - strlen("\" after"));
    static const char value[] = "caf\xc3\xa9 \\ \"q\" \t\xe2\x82\xac";
    assert_int_equal(o - buf, sizeof(value) - 1);
    assert_memory_equal(buf, value, sizeof(value) - 1);
    o = buf;
    assert_ptr_equal(cn_json_unescape(text, end, &o, true), q);
    static const char dumped[] = "caf\xc3\xa9 \\\\ \\\"q\\\" \\t\xe2\x82\xac";
    assert_int_equal(o - buf, sizeof(dumped) - 1);
    assert_memory_equal(buf, dumped, sizeof(dumped) - 1);
    o = buf; /* no closing quote: it stops at the end */
    assert_ptr_equal(cn_json_unescape(text, text + 3, &o, false), text + 3);
    assert_int_equal(o - buf, 3);
    static const char bad[][8] = {"a\\x\"", "a\x01\"", "a\xc3(\"", "\\u0000\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = buf;
        assert_null(cn_json_unescape(bad[i], bad[i] + strlen(bad[i]), &o, false));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inline_compare_answers_as_memcmp_at_every_length),
        cmocka_unit_test(split_walks_tokens),
        cmocka_unit_test(trim_removes_white_space),
        cmocka_unit_test(trim_one_side_and_non_space_edges),
        cmocka_unit_test(to_i64_accepts_limits_rejects_overflow),
        cmocka_unit_test(to_double_parses_decimals),
        cmocka_unit_test(eq_nocase_folds_ascii),
        cmocka_unit_test(width_counts_display_columns),
        cmocka_unit_test(width_prefix_cuts_on_a_character),
        cmocka_unit_test(utf8_valid_prefix_stops_at_the_first_bad_byte),
        cmocka_unit_test(utf8_repair_replaces_each_bad_sequence),
        cmocka_unit_test(is_ascii_sees_every_high_byte),
        cmocka_unit_test(json_escape_takes_what_jansson_takes),
        cmocka_unit_test(json_unescape_stops_at_the_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
