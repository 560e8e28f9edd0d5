/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URL helpers for decoding tracker requests: the query-string splitter and
 * percent-decoding with '+' as a space (the rules Adobe's server-side decoder
 * applies, and what HTML forms send), and JavaScript's unescape() for values
 * that escape() wrote (%uXXXX). Used by the Adobe and pixel decoders in
 * process/; pure functions over slices, no allocation.
 */
#ifndef CN_LIB_URL_H
#define CN_LIB_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/str.h"

/*
 * Takes the next "name[=value]" pair off *rest (a query string without '?',
 * pairs separated by '&'). Sets *name and *value to the raw (still encoded)
 * parts and *has_eq to whether a '=' was present; empty pairs ("a&&b") are
 * skipped. Returns false when *rest holds no more pairs.
 */
bool cn_query_next(cn_str_t *rest, cn_str_t *name, cn_str_t *value, bool *has_eq);

/* One pair of a query string, as cn_query_next_pair() splits it. */
typedef struct cn_query_pair {
    cn_str_t name, value; /* raw (still encoded) */
    bool has_eq;          /* a '=' was present */
    bool name_special;    /* name holds '%', '+' or a byte >= 0x80: cn_query_special() */
    bool value_special;   /* the same for value */
} cn_query_pair_t;

/*
 * cn_query_next() that also tells which parts need decoding, in one pass
 * over the bytes (16 at a time where SSE2 is available): the Adobe
 * decoder's splitter. Returns false when *rest holds no more pairs.
 */
bool cn_query_next_pair(cn_str_t *rest, cn_query_pair_t *out);

/*
 * Splits a query string into pairs as repeated cn_query_next_pair() calls
 * would, writing up to cap of them to out, and returns how many it wrote;
 * *rest is left at the first pair not written (empty when all were). The
 * bytes are classified 64 at a time, so a long query costs about one pass.
 */
size_t cn_query_split(cn_str_t *rest, cn_query_pair_t *out, size_t cap);

/*
 * cn_query_split() classifies its blocks with AVX2 (32 bytes a compare) where the CPU has it
 * (checked at run time: the binary runs on any x86-64), else with SSE2, the x86-64 baseline.
 * Both paths are callable, for the tests that run them on the same inputs and compare.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define CN_URL_AVX2 1
/* Whether this CPU (and OS) runs the AVX2 paths: AVX2 and BMI1 (a load and a test). */
static inline bool cn_url__have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi");
}
size_t cn_url__query_split_avx2(cn_str_t *rest, cn_query_pair_t *out, size_t cap);
/* Whether this CPU (and OS) runs cn_url_decode_to_u's AVX-512 path: AVX-512 BW, VBMI and VBMI2
 * (AMD Zen 4 and later, Intel Ice Lake and later). */
static inline bool cn_url__have_avx512(void)
{
    return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi") &&
           __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2") &&
           __builtin_cpu_supports("popcnt");
}
size_t cn_url__decode_to_u_avx512(cn_str_t s, char *dst, unsigned *out_flags);
#else
#define CN_URL_AVX2 0
#endif
size_t cn_url__query_split_sse2(cn_str_t *rest, cn_query_pair_t *out, size_t cap);
/* cn_url_decode_to_u() 16 bytes at a time (SSE2), every x86-64's path (and the AVX-512 path's
 * fallback). */
size_t cn_url__decode_to_u_sse2(cn_str_t s, char *dst, unsigned *out_flags);

/* Length of the prefix of s that holds no '%' and no '+'. */
size_t cn_url_special_prefix(cn_str_t s);

/* True when s contains '%' or '+', i.e. cn_url_decode() would change it. */
bool cn_url_needs_decode(cn_str_t s);

/* A part the splitters flag special: one that decoding (cn_url_decode_to) would change, or
 * that is not ASCII. A part that is not special is its own decoded, valid UTF-8 text. */
static inline bool cn_query_special(cn_str_t s)
{
    return cn_url_needs_decode(s) || !cn_str_is_ascii(s);
}

/*
 * Percent-decodes s into dst, which must have room for s.len bytes (decoding
 * never grows). '+' becomes a space; a '%' not followed by two hex digits is
 * kept as it is. Returns the decoded length. dst may equal s.ptr (in place).
 */
size_t cn_url_decode_to(cn_str_t s, char *dst);

/* What cn_url_decode_to_u() tells of a string it decodes (bits of *out_flags). */
enum {
    CN_URL_HAS_U = 1, /* s holds a %u escape */
    CN_URL_HIGH = 2,  /* the output holds a byte >= 0x80 (else it is ASCII) */
};

/* How many bytes past the decoded length cn_url_decode_to_u() may write. */
#define CN_URL_DECODE_SLACK 16

/*
 * cn_url_decode_to() (the same bytes out) into a dst apart from s (they must
 * not overlap) with room for s.len + CN_URL_DECODE_SLACK bytes (the last
 * bytes are stored 16 at a time, past the output's end; what is there after
 * the output is undefined), that also tells in *out_flags: CN_URL_HAS_U when s holds a %u
 * escape ("%u" or "%U" and four hex digits, which cn_url_decode_to keeps as
 * text), the sign of a value written by JavaScript's escape(), to be decoded
 * again with cn_url_unescape_to(); CN_URL_HIGH when the output holds a byte
 * >= 0x80 (a byte of s, or an escape's), so that a caller can skip its UTF-8
 * check for the rest. The %u test runs only at a '%' that starts no %XX
 * escape (out of line).
 */
size_t cn_url_decode_to_u(cn_str_t s, char *dst, unsigned *out_flags);

/*
 * Decodes s as JavaScript's unescape() reads what escape() wrote, with '+' as
 * a space (as Adobe's H-code reads it back): every escape is a character, not
 * a byte. %XX is U+00XX; %uXXXX ('u' or 'U', hex digits in either case) is
 * U+XXXX, and a high surrogate escape followed at once by a low one
 * ("%uD83D%uDE00") is the one code point they make (U+1F600); a lone or
 * reversed surrogate is U+FFFD. A '%' that starts none of these stays as it
 * is, and so do all other bytes. Characters are written as UTF-8. dst must
 * have room for s.len bytes (decoding never grows); dst may equal s.ptr.
 * Returns the decoded length.
 */
size_t cn_url_unescape_to(cn_str_t s, char *dst);

/*
 * cn_url_unescape_to() for the one escape at the start of s (s.len >= 1,
 * s.ptr[0] is '%' or '+'): writes its character (at most 4 bytes of UTF-8) to
 * out, sets *out_len to their count, and returns how many bytes of s it took
 * (1, 3, 6 or 12).
 */
size_t cn_url_unescape_next(cn_str_t s, char *out, size_t *out_len);

/*
 * Converts windows-1252 bytes to UTF-8 into dst, which must have room for
 * 3 * s.len bytes. Returns the length written. Browsers (the WHATWG Encoding
 * standard) decode the labels iso-8859-1, latin1 and windows-1252 all this
 * way: 0x80-0x9F are printable (0x80 is the euro sign, 0x92 a right quote),
 * the five bytes windows-1252 leaves undefined keep their C1 code points.
 */
size_t cn_cp1252_to_utf8(cn_str_t s, char *dst);

/* The URL without its query string and fragment ("https://a/b?x#y" -> "https://a/b"). */
cn_str_t cn_url_strip_query(cn_str_t url);

/*
 * The host of an absolute URL ("https://User@Shop.example:8443/x" ->
 * "Shop.example"), or {NULL, 0} when url has no "scheme://".
 */
cn_str_t cn_url_host(cn_str_t url);

/*
 * Finds query parameter name (exact, case-sensitive) in the query part of
 * url and returns its raw (still encoded) value; found tells presence.
 */
cn_str_t cn_url_query_param(cn_str_t url, cn_str_t name, bool *found);

#endif
