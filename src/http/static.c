/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static files embedded in the binary at build time (embed.py turns files
 * into a cn_http_static_t table with a precomputed gzip copy and ETag), and
 * the reply that serves them: no file system access, no compression at run
 * time (h2o's filter is told to leave these alone), 304 on a matching
 * If-None-Match.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

const cn_http_static_t *cn_http_static_find(const cn_http_static_t *table, cn_str_t path)
{
    for (const cn_http_static_t *f = table; f != NULL && f->path != NULL; f++) {
        if (cn_str_eq_c(path, f->path))
            return f;
    }
    return NULL;
}

/* True when the comma-separated list holds token (case-insensitive), without q=0. */
static bool list_has_token(cn_str_t list, cn_str_t token)
{
    cn_str_t item;
    while (list.ptr != NULL) {
        list = cn_str_split(list, ',', &item);
        cn_str_t params = cn_str_split(item, ';', &item);
        item = cn_str_trim(item);
        if (!cn_str_eq_nocase(item, token))
            continue;
        /* "gzip;q=0" refuses it */
        params = cn_str_trim(params);
        if (params.len >= 3 && (params.ptr[0] == 'q' || params.ptr[0] == 'Q') &&
            params.ptr[1] == '=') {
            double q;
            if (cn_str_to_double(cn_str_trim(cn_str(params.ptr + 2, params.len - 2)), &q) == 0 &&
                q <= 0)
                return false;
        }
        return true;
    }
    return false;
}

static bool etag_matches(cn_str_t inm, const char *etag)
{
    cn_str_t item, tag = cn_str_c(etag);
    while (inm.ptr != NULL) {
        inm = cn_str_split(inm, ',', &item);
        item = cn_str_trim(item);
        if (item.len >= 2 && item.ptr[0] == 'W' && item.ptr[1] == '/')
            item = cn_str(item.ptr + 2, item.len - 2);
        if (cn_str_eq_c(item, "*") || cn_str_eq(item, tag))
            return true;
    }
    return false;
}

void cn_http_static_reply(cn_http_req_t *req, const cn_http_static_t *file, uint32_t max_age_s)
{
    /* 0: revalidate every time; a year or more: never changes (hashed names) */
    char *cc = cn_http_req_alloc(req, 48);
    int cc_len = max_age_s == 0 ? snprintf(cc, 48, "no-cache")
                                : snprintf(cc, 48, "public, max-age=%u%s", (unsigned)max_age_s,
                                           max_age_s >= 31536000 ? ", immutable" : "");
    cn_http_add_header(req, "cache-control", cn_str(cc, (size_t)cc_len));
    cn_http_add_header(req, "etag", cn_str_c(file->etag));
    cn_http_add_header(req, "vary", CN_STR_LIT("Accept-Encoding"));
    /* the gzip copy was made at build time (level 9); never again at run time */
    cn_http_req_no_compress(req);
    cn_str_t inm = cn_http_req_header(req, CN_STR_LIT("if-none-match"));
    if (inm.ptr != NULL && etag_matches(inm, file->etag)) {
        cn_http_reply(req, 304, NULL, CN_STR_NULL);
        return;
    }
    if (file->gz != NULL && list_has_token(cn_http_req_header(req, CN_STR_LIT("accept-encoding")),
                                           CN_STR_LIT("gzip"))) {
        cn_http_add_header(req, "content-encoding", CN_STR_LIT("gzip"));
        cn_http_reply(req, 200, file->content_type, cn_str((const char *)file->gz, file->gz_len));
        return;
    }
    cn_http_reply(req, 200, file->content_type, cn_str((const char *)file->data, file->len));
}
