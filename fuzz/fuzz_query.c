/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Adobe query-string splitter and percent-decoder
 * (lib/url.h). Invariants: the pairs tile the input (every byte is in a
 * name, a value or a separator), decoding never grows a string, decoding in
 * place equals decoding into another buffer, a string without '%' or
 * '+' decodes to itself, and cn_query_next_pair() splits as cn_query_next()
 * does, with the right "needs decoding" flags.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
            pr.name_special != cn_url_needs_decode(n) || pr.value_special != cn_url_needs_decode(v))
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
    /* the block splitter gives the same pairs as the pair-at-a-time one */
    cn_str_t r1 = cn_str((const char *)data, size), r2 = r1;
    cn_query_pair_t got[5];
    size_t k;
    do {
        k = cn_query_split(&r2, got, 5);
        for (size_t i = 0; i < k; i++) {
            if (!cn_query_next_pair(&r1, &pr) || got[i].name.ptr != pr.name.ptr ||
                got[i].name.len != pr.name.len || got[i].value.ptr != pr.value.ptr ||
                got[i].value.len != pr.value.len || got[i].has_eq != pr.has_eq ||
                got[i].name_special != pr.name_special || got[i].value_special != pr.value_special)
                abort();
        }
    } while (k == 5);
    if (r2.len != 0 || cn_query_next_pair(&r1, &pr))
        abort();
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
