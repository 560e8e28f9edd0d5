/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the raw-hit record decoder (bytes from the hitlog on disk).
 * Invariants: it decodes as a plain reading of the layout does, and whatever
 * decodes re-encodes to the same bytes (varints are read only in their
 * shortest form, the one cn_rawhit_encode writes), but for a record without
 * CN_RAWHIT_UA_ELIDED whose one user-agent line is ua: that one becomes a
 * shorter record of the same hit (headers as received, flags as given). With
 * the flag, the user-agent header is ua.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hit/rawhit.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The layout read the plain way, every length through cn_get_varint: what cn_rawhit_decode
 * (which reads short lengths itself) must agree with, result and fields. */
static int ref_decode(const uint8_t *p, size_t len, cn_rawhit_t *out)
{
    const uint8_t *q = p, *end = p + len;
    uint64_t v;
    if (len < 1)
        return CN_ECORRUPT;
    if (*q++ != CN_RAWHIT_VERSION)
        return CN_EVERSION;
    if (cn_get_varint(&q, end, &v) != 0 || v > INT64_MAX || end - q < 2)
        return CN_ECORRUPT;
    out->recv_us = (int64_t)v;
    out->proto = q[0];
    out->flags = q[1];
    q += 2;
    cn_str_t *f[] = {&out->suite, &out->ip,    &out->ua,      &out->method,
                     &out->path,  &out->query, &out->headers, &out->body};
    for (size_t i = 0; i < 8; i++) {
        if (cn_get_varint(&q, end, &v) != 0 || v > (uint64_t)(end - q))
            return CN_ECORRUPT;
        *f[i] = cn_str((const char *)q, (size_t)v);
        q += v;
    }
    return q == end ? 0 : CN_ECORRUPT;
}

static bool same(cn_str_t a, cn_str_t b)
{
    return a.ptr == b.ptr && a.len == b.len;
}

/* The same bytes (either may be empty with a NULL pointer). */
static bool same_text(cn_str_t a, cn_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_rawhit_t h, r;
    int rc = cn_rawhit_decode(data, size, &h);
    if (rc != ref_decode(data, size, &r))
        abort();
    if (rc != 0)
        return 0;
    if (h.recv_us != r.recv_us || h.proto != r.proto || h.flags != r.flags ||
        !same(h.suite, r.suite) || !same(h.ip, r.ip) || !same(h.ua, r.ua) ||
        !same(h.method, r.method) || !same(h.path, r.path) || !same(h.query, r.query) ||
        !same(h.headers, r.headers) || !same(h.body, r.body))
        abort();
    /* with CN_RAWHIT_UA_ELIDED the user agent is ua, and the headers as received hold it */
    cn_buf_t t = CN_BUF_INIT;
    cn_rawhit_headers_text(&h, &t);
    if ((h.flags & CN_RAWHIT_UA_ELIDED) &&
        !same_text(cn_rawhit_header(&h, CN_STR_LIT("user-agent")),
                   cn_str_trim(h.ua.ptr != NULL ? h.ua : CN_STR_LIT(""))))
        abort();
    if (!(h.flags & CN_RAWHIT_UA_ELIDED) && !same_text(cn_buf_str(&t), h.headers))
        abort();
    cn_buf_t b = CN_BUF_INIT;
    cn_rawhit_encode(&h, &b);
    if (b.len != size || memcmp(b.ptr, data, size) != 0) {
        /* only a record without the flag whose one user-agent line is ua (one written before
         * the flag) is written anew: as the same hit, its user agent once */
        cn_rawhit_t n;
        if ((h.flags & CN_RAWHIT_UA_ELIDED) || cn_rawhit_decode(b.ptr, b.len, &n) != 0 ||
            !(n.flags & CN_RAWHIT_UA_ELIDED) || (n.flags & ~CN_RAWHIT_UA_ELIDED) != h.flags ||
            b.len >= size || n.recv_us != h.recv_us || n.proto != h.proto ||
            !same_text(n.suite, h.suite) || !same_text(n.ip, h.ip) || !same_text(n.ua, h.ua) ||
            !same_text(n.method, h.method) || !same_text(n.path, h.path) ||
            !same_text(n.query, h.query) || !same_text(n.body, h.body))
            abort();
        cn_buf_t nt = CN_BUF_INIT;
        cn_rawhit_headers_text(&n, &nt);
        if (!same_text(cn_buf_str(&nt), h.headers))
            abort();
        cn_buf_dispose(&nt);
    }
    cn_buf_dispose(&b);
    cn_buf_dispose(&t);
    return 0;
}
