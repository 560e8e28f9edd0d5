/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw-hit record layout (docs/hitlog.md), version 1:
 *   u8 version | varint recv_us | u8 proto | u8 flags |
 *   8 x (varint len | bytes): suite, ip, ua, method, path, query, headers, body
 */
#include "hit/rawhit.h"

#include <string.h>

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

#define UA_NAME     "user-agent:"
#define UA_NAME_LEN (sizeof(UA_NAME) - 1)

/* The line of headers at [at, next): its end (before the '\n' or at the end) in *end. */
static size_t line_end(cn_str_t headers, size_t at, size_t *next)
{
    const char *nl = memchr(headers.ptr + at, '\n', headers.len - at);
    size_t end = nl != NULL ? (size_t)(nl - headers.ptr) : headers.len;
    *next = nl != NULL ? end + 1 : end;
    return end;
}

/*
 * Where the user-agent line of headers is, as [*at, *end) (without its '\n'), when headers
 * hold one line whose name is user-agent: true. value (may be NULL) must then be the whole
 * line, "user-agent: " and value; without value the line must be "user-agent:" alone.
 */
static bool ua_line(cn_str_t headers, const cn_str_t *value, size_t *at, size_t *end)
{
    size_t n = 0, next;
    for (size_t i = 0; i < headers.len; i = next) {
        size_t e = line_end(headers, i, &next);
        if (e - i >= UA_NAME_LEN && memcmp(headers.ptr + i, UA_NAME, UA_NAME_LEN) == 0) {
            if (++n > 1)
                return false;
            *at = i;
            *end = e;
        }
    }
    if (n == 0)
        return false;
    if (value == NULL)
        return *end - *at == UA_NAME_LEN;
    return *end - *at == UA_NAME_LEN + 1 + value->len && headers.ptr[*at + UA_NAME_LEN] == ' ' &&
           (value->len == 0 ||
            memcmp(headers.ptr + *at + UA_NAME_LEN + 1, value->ptr, value->len) == 0);
}

void cn_rawhit_encode(const cn_rawhit_t *hit, cn_buf_t *out)
{
    const cn_str_t *fields[] = RAWHIT_FIELDS(hit);
    size_t total = 16;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        total += fields[i]->len + 5;
    /* the user agent once: its header line's value elided when it is ua */
    uint8_t flags = hit->flags;
    size_t at = 0, end = 0;
    bool elide = !(flags & CN_RAWHIT_UA_ELIDED) && hit->ua.len > 0 &&
                 ua_line(hit->headers, &hit->ua, &at, &end);
    if (elide)
        flags |= CN_RAWHIT_UA_ELIDED;
    cn_buf_reserve(out, total);
    cn_buf_putc(out, CN_RAWHIT_VERSION);
    cn_buf_put_varint(out, (uint64_t)hit->recv_us);
    cn_buf_putc(out, (char)hit->proto);
    cn_buf_putc(out, (char)flags);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (elide && fields[i] == &hit->headers) {
            cn_str_t h = hit->headers;
            cn_buf_put_varint(out, h.len - (end - at - UA_NAME_LEN));
            cn_buf_append(out, h.ptr, at + UA_NAME_LEN);
            cn_buf_append(out, h.ptr + end, h.len - end);
            continue;
        }
        cn_buf_put_varint(out, fields[i]->len);
        cn_buf_append_str(out, *fields[i]);
    }
}

void cn_rawhit_headers_text(const cn_rawhit_t *hit, cn_buf_t *out)
{
    cn_str_t h = hit->headers;
    size_t at, end;
    if (!(hit->flags & CN_RAWHIT_UA_ELIDED) || !ua_line(h, NULL, &at, &end)) {
        cn_buf_append_str(out, h);
        return;
    }
    cn_buf_append(out, h.ptr, end);
    cn_buf_putc(out, ' ');
    cn_buf_append_str(out, hit->ua);
    cn_buf_append(out, h.ptr + end, h.len - end);
}

/* One field (varint length, bytes) at *p into *out, *p moved past it; false when corrupt. */
static inline __attribute__((always_inline)) bool get_field(const uint8_t **p, const uint8_t *end,
                                                            cn_str_t *out)
{
    /* Lengths below 16384 (every field but a large body) take one or two bytes:
     * read them here, with q in a register; cn_buf__get_varint reads the rest, and
     * refuses a two-byte varint whose last byte is 0 (not the shortest encoding). */
    const uint8_t *q = *p;
    uint64_t v;
    if (q < end && q[0] < 0x80) {
        v = q[0];
        q += 1;
    } else if (end - q >= 2 && (uint8_t)(q[1] - 1) < 0x7f) {
        v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
        q += 2;
    } else if (cn_buf__get_varint(&q, end, &v) != 0) {
        return false;
    }
    if (v > (uint64_t)(end - q))
        return false;
    *out = cn_str((const char *)q, (size_t)v);
    *p = q + v;
    return true;
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
    /* the fields in record order, one call each (no table of pointers to walk) */
    if (!get_field(&q, end, &out->suite) || !get_field(&q, end, &out->ip) ||
        !get_field(&q, end, &out->ua) || !get_field(&q, end, &out->method) ||
        !get_field(&q, end, &out->path) || !get_field(&q, end, &out->query) ||
        !get_field(&q, end, &out->headers) || !get_field(&q, end, &out->body))
        return CN_ECORRUPT;
    if (q != end)
        return CN_ECORRUPT;
    return 0;
}

cn_str_t cn_rawhit_header(const cn_rawhit_t *hit, cn_str_t name)
{
    if ((hit->flags & CN_RAWHIT_UA_ELIDED) && name.len == UA_NAME_LEN - 1 &&
        memcmp(name.ptr, UA_NAME, UA_NAME_LEN - 1) == 0)
        return cn_str_trim(hit->ua.ptr != NULL ? hit->ua : CN_STR_LIT(""));
    /* one memchr per line (the visit row reads Accept-Language once per visit) */
    const char *p = hit->headers.ptr;
    if (p == NULL)
        return CN_STR_NULL; /* no headers (NULL + 0 would be undefined) */
    const char *end = p + hit->headers.len;
    for (;;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t len = (size_t)((nl != NULL ? nl : end) - p);
        if (len > name.len + 1 && p[name.len] == ':' && memcmp(p, name.ptr, name.len) == 0)
            return cn_str_trim(cn_str(p + name.len + 1, len - name.len - 1));
        if (nl == NULL)
            return CN_STR_NULL;
        p = nl + 1;
    }
}
