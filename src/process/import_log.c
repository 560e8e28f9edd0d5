/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder for imported access-log lines (proto import-log, docs/import.md):
 * one raw hit is one request. It becomes a page view when its method is GET or
 * POST, its status is 2xx or 304 (or not logged), its path is not a static
 * asset (by extension, the suite key import_static_extensions, else the
 * default list) and its logged content type, if any, is HTML; every other
 * request is a CN_HIT_REQUEST hit, counted in hits but not in page views.
 * docs/processing.md "Imported hits".
 */
#include <string.h>

#include "conf/conf.h"
#include "process/internal.h"

/* The value of cookie `name` in a Cookie header ("a=1; b=2"), or an empty slice. */
static cn_str_t cookie_value(cn_str_t cookies, const char *name)
{
    cn_str_t rest = cookies, c;
    size_t n = strlen(name);
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ';', &c);
        c = cn_str_trim(c);
        if (c.len > n && c.ptr[n] == '=' && memcmp(c.ptr, name, n) == 0)
            return cn_str_trim(cn_str(c.ptr + n + 1, c.len - n - 1));
    }
    return CN_STR_NULL;
}

/* Strips "name:" from a header line when it matches; returns the trimmed value or NULL slice. */
static bool header_is(cn_str_t line, const char *name, cn_str_t *value)
{
    size_t n = strlen(name);
    if (line.len <= n || line.ptr[n] != ':' || memcmp(line.ptr, name, n) != 0)
        return false;
    *value = cn_str_trim(cn_str(line.ptr + n + 1, line.len - n - 1));
    return true;
}

int cn_decode_import_log(const cn_rawhit_t *raw, cn_dbatch_t *b, cn_err_t *err)
{
    if (raw->path.len == 0) {
        cn_err_set(err, CN_BADROW_NO_PAGE_URL, "log line without a path");
        return CN_BADROW_NO_PAGE_URL;
    }
    cn_str_t referer = CN_STR_NULL, host = CN_STR_NULL, status = CN_STR_NULL;
    cn_str_t ctype = CN_STR_NULL, user = CN_STR_NULL, proto = CN_STR_NULL, vid = CN_STR_NULL;
    cn_str_t rest = raw->headers, line, v;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        if (line.len == 0)
            continue;
        if (header_is(line, "referer", &v))
            referer = v;
        else if (header_is(line, "host", &v))
            host = v;
        else if (header_is(line, "x-canton-status", &v))
            status = v;
        else if (header_is(line, "x-canton-content-type", &v))
            ctype = v;
        else if (header_is(line, "x-canton-user", &v))
            user = v;
        else if (header_is(line, "x-forwarded-proto", &v))
            proto = v;
        else if (header_is(line, "cookie", &v) && vid.len == 0)
            vid = cookie_value(v, "_cn_id");
    }
    unsigned code = 0;
    if (status.len > 0) {
        int64_t s;
        if (cn_str_to_i64(status, &s) != 0 || s < 100 || s > 999) {
            cn_err_set(err, CN_BADROW_BAD_QUERY, "bad status '%.*s'", CN_STR_FMT(status));
            return CN_BADROW_BAD_QUERY;
        }
        code = (unsigned)s;
    }
    const char *exts = NULL;
    if (b->conf != NULL) {
        const cn_suite_conf_t *sc = cn_conf_suite(b->conf, raw->suite.ptr, raw->suite.len);
        if (sc != NULL)
            exts = cn_conf_suite_get(sc, "import_static_extensions");
    }
    b->suites = raw->suite;
    cn_dhit_t *h = cn_dbatch_add_hit(b);
    /* the rule the import summary counts with (hit/pagerule.h) */
    h->type = cn_hit_log_is_page(raw->method, code, raw->path, ctype, exts) ? CN_HIT_PAGEVIEW
                                                                            : CN_HIT_REQUEST;
    /* the line's text as valid UTF-8, as Adobe values are (cn_utf8_valid: each invalid byte or
     * sequence, a Latin-1 byte in a path, becomes U+FFFD); ASCII is kept as it is */
    h->page_name = cn_utf8_valid(b, raw->path);
    h->referrer =
        referer.len && !cn_str_eq_c(referer, "-") ? cn_utf8_valid(b, referer) : cn_str("", 0);
    /* the URL: [scheme://host]path[?query]; the query stays for campaign parameters */
    size_t n = raw->path.len + (raw->query.len ? raw->query.len + 1 : 0);
    bool with_host = host.len > 0 && !cn_str_eq_c(host, "-");
    if (proto.len == 0 || proto.len > 8)
        proto = CN_STR_LIT("http");
    if (with_host)
        n += proto.len + 3 + host.len;
    char *u = cn_parena_alloc(&b->arena, n ? n : 1), *w = u;
    if (with_host) {
        memcpy(w, proto.ptr, proto.len);
        w += proto.len;
        memcpy(w, "://", 3);
        w += 3;
        memcpy(w, host.ptr, host.len);
        w += host.len;
    }
    memcpy(w, raw->path.ptr, raw->path.len);
    w += raw->path.len;
    if (raw->query.len) {
        *w++ = '?';
        memcpy(w, raw->query.ptr, raw->query.len);
        w += raw->query.len;
    }
    h->url = cn_utf8_valid(b, cn_str(u, (size_t)(w - u)));
    if (vid.len > 0) {
        h->visitor_id = cn_utf8_valid(b, vid);
        h->vid_src = CN_VID_COOKIE;
    }
    /* the response, as context data for from= rules (docs/processing.md) */
    int rc = 0;
    if (status.len > 0)
        rc = cn_decode_ctx_add(b, h, CN_STR_LIT("http.status"), status, err);
    if (rc == 0 && ctype.len > 0)
        rc = cn_decode_ctx_add(b, h, CN_STR_LIT("http.content_type"), cn_utf8_valid(b, ctype), err);
    if (rc == 0 && user.len > 0 && !cn_str_eq_c(user, "-"))
        rc = cn_decode_ctx_add(b, h, CN_STR_LIT("http.user"), cn_utf8_valid(b, user), err);
    return rc;
}
