/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The page-view rules of imported hits (hit/pagerule.h, docs/import.md "Page views"): one
 * copy, called by the import summary (src/import) and by processing's import decoders
 * (src/process/import_log.c, import_row.c).
 */
#include "hit/pagerule.h"

#include <stddef.h>

#include "lib/err.h"

/* The default static-asset extensions (docs/import.md). */
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

bool cn_hit_static_path(cn_str_t path, const char *exts)
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

/*
 * True for the methods that fetch a page (docs/import.md, "Methods"): GET (a link, an
 * address typed, a reload) and POST (a form sent, answered with a page), and no method (the
 * import's default, GET). Not HEAD (the headers of a page, no page: link checkers and uptime
 * monitors), OPTIONS (browsers' CORS preflights), PUT, DELETE, PATCH (scripts' API calls),
 * CONNECT, TRACE, WebDAV (PROPFIND, MKCOL...) or any other. Case-sensitive, as methods are
 * (RFC 9110 9.1).
 */
static bool page_method(cn_str_t method)
{
    return method.len == 0 || cn_str_eq_c(method, "GET") || cn_str_eq_c(method, "POST");
}

bool cn_hit_log_is_page(cn_str_t method, unsigned status, cn_str_t path, cn_str_t ctype,
                        const char *exts)
{
    if (!page_method(method))
        return false;
    if (!(status == 0 || (status >= 200 && status < 300) || status == 304))
        return false;
    if (cn_hit_static_path(path, exts))
        return false;
    ctype = cn_str_trim(ctype);
    return ctype.len == 0 || cn_str_starts_with(ctype, CN_STR_LIT("text/html"));
}

int cn_parse_money(cn_str_t s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+'))
        neg = s.ptr[i++] == '-';
    int64_t whole = 0;
    size_t digits = 0;
    while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
        if (whole >= 100000000000000LL / 10)
            return CN_EPARSE;
        whole = whole * 10 + (s.ptr[i++] - '0');
        digits++;
    }
    int64_t frac = 0;
    int fdigits = 0;
    bool round_up = false;
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
            if (fdigits < 4) {
                frac = frac * 10 + (s.ptr[i] - '0');
                fdigits++;
            } else if (fdigits == 4) {
                round_up = s.ptr[i] >= '5';
                fdigits++;
            }
            i++;
            digits++;
        }
    }
    if (i != s.len || digits == 0)
        return CN_EPARSE;
    for (int k = fdigits > 4 ? 4 : fdigits; k < 4; k++)
        frac *= 10;
    int64_t v = whole * CN_MONEY_SCALE + frac + (round_up ? 1 : 0);
    *out = neg ? -v : v;
    return 0;
}

static const struct {
    const char *name;
    uint8_t type, ev;
} type_names[] = {
    {"pageview", CN_HIT_PAGEVIEW, 0},
    {"page view", CN_HIT_PAGEVIEW, 0},
    {"link", CN_HIT_LINK, 0},
    {"event", CN_HIT_LINK, 0},
    {"download", CN_HIT_DOWNLOAD, 0},
    {"exit", CN_HIT_EXIT, 0},
    {"exit link", CN_HIT_EXIT, 0},
    {"outbound", CN_HIT_EXIT, 0},
    {"request", CN_HIT_REQUEST, 0},
    {"other request", CN_HIT_REQUEST, 0},
    {"product_view", CN_HIT_LINK, CN_EV_PROD_VIEW},
    {"cart_add", CN_HIT_LINK, CN_EV_CART_ADD},
    {"cart_remove", CN_HIT_LINK, CN_EV_CART_REMOVE},
    {"checkout", CN_HIT_LINK, CN_EV_CHECKOUT},
    {"purchase", CN_HIT_LINK, CN_EV_PURCHASE},
};

int cn_hit_type_parse(cn_str_t s, uint8_t *type, uint8_t *events)
{
    int64_t n;
    if (cn_str_to_i64(s, &n) == 0) {
        if (n < 0 || n > CN_HIT_REQUEST)
            return -1;
        *type = (uint8_t)n;
        return 0;
    }
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (cn_str_eq_nocase(s, cn_str_c(type_names[i].name))) {
            *type = type_names[i].type;
            *events |= type_names[i].ev;
            return 0;
        }
    }
    return -1;
}

/*
 * The commerce flags an `events` value names, as processing reads it (import_row.c): an
 * integer is the flags themselves (export's hit column), a JSON array holds numbered
 * events only, a string is a comma-separated list whose entries ("purchase",
 * "event5=2", "event7:ID") may name commerce events.
 */
static void events_flags(cn_hit_rowfacts_t *f, cn_str_t v)
{
    int64_t n;
    if (cn_str_to_i64(v, &n) == 0) {
        if (n >= 0 && n <= 0x7f) {
            f->flags |= (uint8_t)n;
            f->flags_seen = true;
        }
        return;
    }
    if (v.len > 0 && v.ptr[0] == '[')
        return;
    cn_str_t rest = v, tok;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &tok);
        size_t k = 0;
        while (k < tok.len && tok.ptr[k] != '=' && tok.ptr[k] != ':')
            k++;
        uint8_t flag = cn_hit_commerce_flag(cn_str_trim(cn_str(tok.ptr, k)));
        if (flag != 0) {
            f->flags |= flag;
            f->flags_seen = true;
        }
    }
}

void cn_hit_rowfacts_add(cn_hit_rowfacts_t *f, cn_str_t name, cn_str_t value)
{
    if (value.len == 0)
        return;
    if (cn_str_eq_c(name, "type"))
        f->type = value;
    else if (cn_str_eq_c(name, "url"))
        f->url = value;
    else if (cn_str_eq_c(name, "page") || cn_str_eq_c(name, "page_name") ||
             cn_str_eq_c(name, "title"))
        f->has_page = true;
    else if (cn_str_eq_c(name, "events") || cn_str_eq_c(name, "event_rows"))
        events_flags(f, value);
    else if (cn_str_eq_c(name, "order_id") || cn_str_eq_c(name, "purchase_id"))
        f->has_order_id = true;
    else if (cn_str_eq_c(name, "revenue"))
        f->revenue = value;
    else if (cn_str_eq_c(name, "revenue_orig"))
        f->revenue_orig = value;
}

bool cn_hit_row_implies_purchase(const cn_hit_rowfacts_t *f)
{
    if (f->flags_seen)
        return false;
    if (f->has_order_id)
        return true;
    cn_str_t r = f->revenue_orig.len ? f->revenue_orig : f->revenue;
    int64_t v;
    return r.len > 0 && cn_parse_money(r, &v) == 0 && v != 0;
}

/* The path of a url: without scheme and host, query and fragment. */
static cn_str_t url_path(cn_str_t url)
{
    cn_str_t path = url;
    for (size_t i = 0; i + 2 < url.len && url.ptr[i] != '/' && url.ptr[i] != '?'; i++) {
        if (url.ptr[i] == ':' && url.ptr[i + 1] == '/' && url.ptr[i + 2] == '/') {
            const char *a = url.ptr + i + 3, *end = url.ptr + url.len, *s = a;
            while (s < end && *s != '/' && *s != '?' && *s != '#')
                s++;
            path = cn_str(s, (size_t)(end - s));
            break;
        }
    }
    for (size_t i = 0; i < path.len; i++)
        if (path.ptr[i] == '?' || path.ptr[i] == '#') {
            path.len = i;
            break;
        }
    return path;
}

int cn_hit_row_type(const cn_hit_rowfacts_t *f, const char *exts)
{
    if (f->type.len > 0) {
        uint8_t type = 0, ev = 0;
        if (cn_hit_type_parse(f->type, &type, &ev) != 0)
            return -1;
        if (type == CN_HIT_PAGEVIEW && f->url.len == 0 && !f->has_page)
            return -1;
        return type;
    }
    if (f->flags != 0 || cn_hit_row_implies_purchase(f))
        return CN_HIT_LINK;
    if (f->url.len > 0)
        return cn_hit_static_path(url_path(f->url), exts) ? CN_HIT_REQUEST : CN_HIT_PAGEVIEW;
    return f->has_page ? CN_HIT_PAGEVIEW : CN_HIT_LINK;
}
