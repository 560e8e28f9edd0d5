/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Adobe request router (collect/internal.h). The input is
 * "<path>?<query>" (and, after a NUL byte, a body). Invariants: an accepted
 * path splits into slices that lie in the input and rebuild it; the query
 * tokenizer's pairs rebuild the query exactly; percent-decoding never grows;
 * a JSONP callback chosen for the answer is always a safe name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "lib/buf.h"
#include "lib/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int within(cn_str_t s, const char *base, size_t len)
{
    return s.ptr >= base && s.ptr + s.len <= base + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t head_len = nul ? (size_t)(nul - in) : size;
    cn_str_t body = nul ? cn_str(nul + 1, size - head_len - 1) : cn_str("", 0);
    const char *qm = memchr(in, '?', head_len);
    cn_str_t path = cn_str(in, qm ? (size_t)(qm - in) : head_len);
    cn_str_t query = qm ? cn_str(qm + 1, head_len - path.len - 1) : cn_str(in + head_len, 0);

    cn_adobe_path_t ap;
    if (cn_collect__adobe_path(path, &ap) == 0) {
        if (!within(ap.suite, path.ptr, path.len) || !within(ap.hit_source, path.ptr, path.len) ||
            ap.suite.len == 0 || ap.hit_source.len == 0 || ap.suite.ptr != path.ptr + 6 ||
            ap.hit_source.ptr != ap.suite.ptr + ap.suite.len + 1 ||
            memchr(ap.suite.ptr, '/', ap.suite.len) != NULL)
            abort();
        cn_buf_t b = CN_BUF_INIT;
        cn_buf_append_c(&b, "/b/ss/");
        cn_buf_append_str(&b, ap.suite);
        cn_buf_putc(&b, '/');
        cn_buf_append_str(&b, ap.hit_source);
        if (ap.code_version.len || ap.cache_buster.len) {
            cn_buf_putc(&b, '/');
            cn_buf_append_str(&b, ap.code_version);
        }
        if (ap.cache_buster.len) {
            cn_buf_putc(&b, '/');
            cn_buf_append_str(&b, ap.cache_buster);
        }
        /* the rebuilt path is the input, but for empty segments and one trailing '/' */
        if (b.len > path.len || memcmp(b.ptr, path.ptr, b.len) != 0)
            abort();
        cn_buf_dispose(&b);

        char cb_buf[CN_COLLECT_MAX_CALLBACK];
        cn_str_t cb;
        cn_adobe_answer_t a = cn_collect__adobe_answer(cn_str_c(body.len ? "POST" : "GET"), &ap,
                                                       query, body, cb_buf, &cb);
        if (a == CN_ADOBE_JS && !cn_collect__callback_ok(cb))
            abort();
    }

    /* The tokenizer's pairs rebuild the query without its empty pairs. */
    cn_buf_t q = CN_BUF_INIT, want = CN_BUF_INIT;
    for (size_t i = 0, start = 0; i <= query.len; i++) {
        if (i < query.len && query.ptr[i] != '&')
            continue;
        if (i > start) {
            if (want.len)
                cn_buf_putc(&want, '&');
            cn_buf_append(&want, query.ptr + start, i - start);
        }
        start = i + 1;
    }
    cn_str_t rest = query, k, v;
    bool has_eq;
    while (cn_query_next(&rest, &k, &v, &has_eq)) {
        if (!within(k, query.ptr, query.len) || !within(v, query.ptr, query.len))
            abort();
        if (q.len)
            cn_buf_putc(&q, '&');
        cn_buf_append_str(&q, k);
        if (has_eq) {
            cn_buf_putc(&q, '=');
            cn_buf_append_str(&q, v);
        }
        char *dec = malloc(v.len + 1);
        if (cn_url_decode_to(v, dec) > v.len)
            abort();
        free(dec);
    }
    if (q.len != want.len || (q.len && memcmp(q.ptr, want.ptr, q.len) != 0))
        abort();
    cn_buf_dispose(&want);
    cn_buf_dispose(&q);
    return 0;
}
