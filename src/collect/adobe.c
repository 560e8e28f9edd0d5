/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Adobe AppMeasurement request router: splits /b/ss/<suite>/<n>/...
 * paths, tokenizes query strings and picks the answer a request expects.
 * Shallow on purpose (DESIGN.md "collect"): the hit is kept raw, and the
 * process stage decodes the variables.
 */
#include <string.h>

#include "collect/internal.h"
#include "lib/err.h"
#include "lib/url.h"

static bool suite_byte_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ',' || c == '-';
}

static bool hit_source_ok(cn_str_t s)
{
    if (s.len == 0 || s.len > 16)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.'))
            return false;
    }
    return true;
}

int cn_collect__adobe_path(cn_str_t path, cn_adobe_path_t *out)
{
    static const cn_str_t prefix = CN_STR_LIT("/b/ss/");
    memset(out, 0, sizeof(*out));
    if (!cn_str_starts_with(path, prefix))
        return CN_EPARSE;
    cn_str_t rest = cn_str(path.ptr + prefix.len, path.len - prefix.len);
    cn_str_t seg[4];
    size_t n = 0;
    while (rest.ptr != NULL) {
        cn_str_t head;
        rest = cn_str_split(rest, '/', &head);
        if (head.len == 0 && rest.ptr == NULL && n >= 2)
            break; /* one trailing '/' */
        if (n == 4)
            return CN_EPARSE;
        seg[n++] = head;
    }
    if (n < 2 || seg[0].len == 0 || seg[0].len > CN_COLLECT_MAX_SUITE_FIELD ||
        !hit_source_ok(seg[1]))
        return CN_EPARSE;
    for (size_t i = 0; i < seg[0].len; i++) {
        if (!suite_byte_ok(seg[0].ptr[i]))
            return CN_EPARSE;
    }
    out->suite = seg[0];
    out->hit_source = seg[1];
    out->code_version = n > 2 ? seg[2] : cn_str(seg[1].ptr + seg[1].len, 0);
    out->cache_buster = n > 3 ? seg[3] : cn_str(out->code_version.ptr + out->code_version.len, 0);
    return 0;
}

bool cn_collect__query_get(cn_str_t query, cn_str_t key, cn_str_t *value)
{
    cn_str_t k, v;
    bool has_eq;
    while (cn_query_next(&query, &k, &v, &has_eq)) {
        if (cn_str_eq(k, key)) {
            *value = v;
            return true;
        }
    }
    return false;
}

bool cn_collect__callback_ok(cn_str_t s)
{
    if (s.len == 0 || s.len > CN_COLLECT_MAX_CALLBACK || (s.ptr[0] >= '0' && s.ptr[0] <= '9'))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$' || c == '.' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

cn_adobe_answer_t cn_collect__adobe_answer(cn_str_t method, const cn_adobe_path_t *path,
                                           cn_str_t query, cn_str_t body, char *cb_buf,
                                           cn_str_t *callback)
{
    cn_str_t raw;
    *callback = CN_STR_NULL;
    if (query.len != 0 && cn_collect__query_get(query, CN_STR_LIT("callback"), &raw) &&
        raw.ptr != NULL && raw.len <= 3 * CN_COLLECT_MAX_CALLBACK) {
        char tmp[3 * CN_COLLECT_MAX_CALLBACK];
        size_t n = cn_url_decode_to(raw, tmp); /* '+' becomes ' ', which callback_ok refuses */
        if (cn_collect__callback_ok(cn_str(tmp, n))) {
            memcpy(cb_buf, tmp, n);
            *callback = cn_str(cb_buf, n);
            return CN_ADOBE_JS;
        }
    }
    if (cn_str_eq_c(method, "POST") && body.len != 0 && cn_str_eq_c(path->hit_source, "10"))
        return CN_ADOBE_JSON;
    return CN_ADOBE_GIF;
}
