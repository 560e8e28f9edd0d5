/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the whole Adobe AppMeasurement decoder (process/adobe.c) with
 * its charsets (process/charset.c). The input is the query string and, after
 * a NUL byte, a POST body (gzip when it starts with 1f 8b, flagged as the
 * collector flags it). Invariants: a failure is one of the bad-row
 * reasons; the same request decodes the same way with a batch that has kept
 * converters from earlier inputs (as processing's batches do) and with a
 * fresh one; every string of the result can be read; the purchase id has no white space
 * around it, is at most 20 bytes and valid UTF-8; the visitor id is valid UTF-8, also when
 * it comes from an s_vi cookie (the query's bytes are sent again as one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbatch_eq.h"
#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_valid(cn_str_t s)
{
    return cn_utf8_valid_prefix(s) == s.len;
}

/* The query's bytes (up to a line end) as the id of an s_vi cookie, on a hit without ids:
 * the visitor id it gives is valid UTF-8. */
static void check_s_vi(cn_dbatch_t *b, cn_str_t q)
{
    static char hdr[4096];
    int n = snprintf(hdr, sizeof(hdr), "cookie: s_vi=[CS]v1|%.*s[CE]\n",
                     (int)(q.len > 4000 ? 4000 : q.len), q.len > 0 ? q.ptr : "");
    for (int i = 0; i < n - 1; i++)
        if (hdr[i] == '\n' || hdr[i] == '\r' || hdr[i] == 0)
            hdr[i] = ' ';
    cn_rawhit_t r = {.proto = CN_PROTO_ADOBE, .suite = CN_STR_LIT("s1")};
    r.query = CN_STR_LIT("g=x");
    r.headers = cn_str(hdr, (size_t)n);
    cn_err_t e;
    if (cn_decode_raw(&r, b, &e) != 0 || b->hit_count != 1 || !is_valid(b->hits[0].visitor_id))
        abort();
}

static unsigned touch(cn_str_t s)
{
    unsigned sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum += (unsigned char)s.ptr[i];
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cn_dbatch_t kept; /* lives across inputs, converters and all */
    static bool kept_ready;
    if (!kept_ready) {
        cn_dbatch_init(&kept);
        kept_ready = true;
    }
    const char *p = (const char *)data;
    const char *nul = memchr(p, 0, size);
    cn_rawhit_t r = {.proto = CN_PROTO_ADOBE, .suite = CN_STR_LIT("s1")};
    r.method = CN_STR_LIT("GET");
    r.path = CN_STR_LIT("/b/ss/s1/1/JS-2.21.0/s1");
    r.headers = CN_STR_LIT("user-agent: Mozilla/5.0\nreferer: https://r/\n");
    if (nul != NULL) {
        r.query = cn_str(p, (size_t)(nul - p));
        r.body = cn_str(nul + 1, size - (size_t)(nul - p) - 1);
        r.method = CN_STR_LIT("POST");
        /* a gzip body, flagged as the collector flags it (by its magic bytes) */
        if (r.body.len >= 2 && (uint8_t)r.body.ptr[0] == 0x1f && (uint8_t)r.body.ptr[1] == 0x8b)
            r.flags |= CN_RAWHIT_GZIP_BODY;
    } else {
        r.query = cn_str(p, size);
    }
    cn_err_t e1, e2;
    cn_dbatch_reset(&kept);
    int r1 = cn_decode_raw(&r, &kept, &e1);
    if (r1 < 0 || r1 >= CN_BADROW__COUNT)
        abort();
    cn_dbatch_t fresh;
    cn_dbatch_init(&fresh);
    int r2 = cn_decode_raw(&r, &fresh, &e2);
    dbatch_expect_eq(&kept, r1, &e1, &fresh, r2, &e2);
    unsigned sum = 0;
    for (size_t i = 0; r1 == 0 && i < kept.hit_count; i++) {
        const cn_dhit_t *h = &kept.hits[i];
        sum += touch(h->url) + touch(h->referrer) + touch(h->page_name) + touch(h->visitor_id) +
               touch(h->link_url) + touch(h->link_name) + touch(h->currency) +
               touch(h->purchase_id);
        cn_str_t id = h->purchase_id;
        if (id.len > 20 || !is_valid(id) || !is_valid(h->visitor_id) ||
            (id.len > 0 && cn_str_trim(id).len != id.len))
            abort();
        /* a referrer kept raw decodes (cn_decode_referrer) to valid UTF-8, empty only when it
         * is, within the longest value; one decoded already is itself */
        cn_str_t ref = cn_decode_referrer(&kept, h);
        if (!is_valid(ref) || (ref.len == 0) != (h->referrer.len == 0) ||
            ref.len > CN_DEC_MAX_VALUE || (!h->referrer_raw && !cn_str_eq(ref, h->referrer)))
            abort();
        sum += touch(ref);
    }
    check_s_vi(&fresh, r.query);
    for (size_t i = 0; r1 == 0 && i < kept.var_count; i++)
        sum += touch(kept.vars[i].value);
    volatile unsigned sink = sum;
    (void)sink;
    cn_dbatch_dispose(&fresh);
    return 0;
}
