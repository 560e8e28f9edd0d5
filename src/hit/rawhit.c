/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw-hit record layout (docs/hitlog.md), version 1:
 *   u8 version | varint recv_us | u8 proto | u8 flags |
 *   8 x (varint len | bytes): suite, ip, ua, method, path, query, headers, body
 */
#include "hit/rawhit.h"

#include "lib/err.h"

const char *cn_proto_name(unsigned proto)
{
    switch (proto) {
#define XX(name, val, str)                                                                         \
    case val:                                                                                      \
        return str;
        CN_PROTO_MAP(XX)
#undef XX
    default:
        return "unknown";
    }
}

#define RAWHIT_FIELDS(h)                                                                           \
    {                                                                                              \
        &(h)->suite, &(h)->ip, &(h)->ua, &(h)->method, &(h)->path, &(h)->query, &(h)->headers,     \
            &(h)->body                                                                             \
    }

void cn_rawhit_encode(const cn_rawhit_t *hit, cn_buf_t *out)
{
    const cn_str_t *fields[] = RAWHIT_FIELDS(hit);
    size_t total = 16;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        total += fields[i]->len + 5;
    cn_buf_reserve(out, total);
    cn_buf_putc(out, CN_RAWHIT_VERSION);
    cn_buf_put_varint(out, (uint64_t)hit->recv_us);
    cn_buf_putc(out, (char)hit->proto);
    cn_buf_putc(out, (char)hit->flags);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        cn_buf_put_varint(out, fields[i]->len);
        cn_buf_append_str(out, *fields[i]);
    }
}

int cn_rawhit_decode(const void *p, size_t len, cn_rawhit_t *out)
{
    const uint8_t *q = p, *end = q + len;
    uint64_t v;
    if (len < 1)
        return CN_ECORRUPT;
    if (*q != CN_RAWHIT_VERSION)
        return CN_EVERSION;
    q++;
    CN_RETURN_IF_ERR(cn_get_varint(&q, end, &v));
    if (v > INT64_MAX)
        return CN_ECORRUPT;
    out->recv_us = (int64_t)v;
    if (end - q < 2)
        return CN_ECORRUPT;
    out->proto = q[0];
    out->flags = q[1];
    q += 2;
    cn_str_t *fields[] = RAWHIT_FIELDS(out);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        /* Lengths below 16384 (every field but a large body) take one or two bytes:
         * read them here, with q in a register; cn_get_varint reads the rest. */
        if (end - q >= 2 && q[0] < 0x80) {
            v = q[0];
            q += 1;
        } else if (end - q >= 2 && q[1] < 0x80) {
            v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
            q += 2;
        } else {
            const uint8_t *r = q;
            CN_RETURN_IF_ERR(cn_get_varint(&r, end, &v));
            q = r;
        }
        if (v > (uint64_t)(end - q))
            return CN_ECORRUPT;
        *fields[i] = cn_str((const char *)q, (size_t)v);
        q += v;
    }
    if (q != end)
        return CN_ECORRUPT;
    return 0;
}

cn_str_t cn_rawhit_header(const cn_rawhit_t *hit, cn_str_t name)
{
    cn_str_t rest = hit->headers, line;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        if (line.len > name.len + 1 && line.ptr[name.len] == ':' &&
            memcmp(line.ptr, name.ptr, name.len) == 0)
            return cn_str_trim(cn_str(line.ptr + name.len + 1, line.len - name.len - 1));
    }
    return CN_STR_NULL;
}
