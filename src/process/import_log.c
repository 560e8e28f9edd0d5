/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder for imported access-log lines (proto import-log, docs/import.md):
 * one raw hit is one request. It becomes a page view when its status is 2xx
 * or 304 (or not logged), its path is not a static asset (by extension, the
 * suite key import_static_extensions, else the default list) and its logged
 * content type, if any, is HTML; every other request is a CN_HIT_REQUEST hit,
 * counted in hits but not in page views. docs/processing.md "Imported hits".
 */
#include <string.h>

#include "conf/conf.h"
#include "process/internal.h"

/* The default static-asset extensions (docs/import.md; the import summary uses the same list). */
static const char *const default_exts[] = {
    "css", "js",  "mjs", "map",  "png",  "jpg",   "jpeg", "gif", "webp", "avif", "svg",
    "ico", "bmp", "tif", "tiff", "woff", "woff2", "ttf",  "otf", "eot",  "mp4",  "webm",
    "mp3", "ogg", "wav", "flac", "m4a",  "mov",   "avi",  "txt", "xml",  "pdf",  "zip",
    "gz",  "tgz", "tar", "rar",  "7z",   "exe",   "dmg",  "iso", "swf",  "flv",  "json",
};

/* The extension of path's last segment ("" when none). */
static cn_str_t path_ext(cn_str_t path)
{
    size_t i = path.len;
    while (i > 0 && path.ptr[i - 1] != '.' && path.ptr[i - 1] != '/')
        i--;
    if (i == 0 || path.ptr[i - 1] != '.')
        return cn_str("", 0);
    return cn_str(path.ptr + i, path.len - i);
}

bool cn_import_static_path(cn_str_t path, const char *exts)
{
    cn_str_t ext = path_ext(path);
    if (ext.len == 0)
        return false;
    if (exts == NULL) {
        for (size_t k = 0; k < sizeof(default_exts) / sizeof(default_exts[0]); k++)
            if (cn_str_eq_nocase(ext, cn_str_c(default_exts[k])))
                return true;
        return false;
    }
    /* the suite's list: extensions separated by commas or spaces, an optional leading dot */
    const char *p = exts;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '.')
            p++;
        const char *s = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        if (p > s && cn_str_eq_nocase(ext, cn_str(s, (size_t)(p - s))))
            return true;
    }
    return false;
}

bool cn_import_page_status(unsigned status)
{
    return status == 0 || (status >= 200 && status < 300) || status == 304;
}

static bool is_html(cn_str_t ctype)
{
    ctype = cn_str_trim(ctype);
    return ctype.len == 0 || cn_str_starts_with(ctype, CN_STR_LIT("text/html"));
}

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
    bool page =
        cn_import_page_status(code) && !cn_import_static_path(raw->path, exts) && is_html(ctype);
    h->type = page ? CN_HIT_PAGEVIEW : CN_HIT_REQUEST;
    h->page_name = raw->path;
    h->referrer = referer.len && !cn_str_eq_c(referer, "-") ? referer : cn_str("", 0);
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
    h->url = cn_str(u, (size_t)(w - u));
    if (vid.len > 0) {
        h->visitor_id = vid;
        h->vid_src = CN_VID_COOKIE;
    }
    /* the response, as context data for from= rules (docs/processing.md) */
    int rc = 0;
    if (status.len > 0)
        rc = cn_decode_ctx_add(b, h, CN_STR_LIT("http.status"), status, err);
    if (rc == 0 && ctype.len > 0)
        rc = cn_decode_ctx_add(b, h, CN_STR_LIT("http.content_type"), ctype, err);
    if (rc == 0 && user.len > 0 && !cn_str_eq_c(user, "-"))
        rc = cn_decode_ctx_add(b, h, CN_STR_LIT("http.user"), user, err);
    return rc;
}
