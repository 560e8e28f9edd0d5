/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access-log formats: the nginx `log_format` and GoAccess `log-format`
 * compilers, and the line matcher they compile for.
 *
 * Both syntaxes compile to the same thing: a list of at most 64 operations,
 * each either a literal that must appear at that place in the line, or a
 * field that captures the bytes up to the next literal (the first
 * occurrence, skipping backslash escapes when the field sits between
 * double quotes) or, when a field or the end follows, up to the next space.
 * This is GoAccess's matching rule, so that a format that works there works
 * here; text after the last operation is ignored (Apache and nginx logs
 * often append fields to "combined"). Matching a line is one pass with
 * memchr; the captured fields then become one raw hit (parse_log()).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import/internal.h"
#include "lib/xalloc.h"

/* --- Building the operation list --- */

static int add_lit(cn_import_logfmt_t *f, const char *p, size_t len, cn_err_t *err)
{
    if (len == 0)
        return 0;
    if (f->op_count > 0 && !f->ops[f->op_count - 1].is_field) {
        cn_import_op_t *o = &f->ops[f->op_count - 1];
        o->text = cn_xrealloc(o->text, o->text_len + len + 1);
        memcpy(o->text + o->text_len, p, len);
        o->text_len += len;
        o->text[o->text_len] = '\0';
        return 0;
    }
    if (f->op_count == CN_IMPORT_MAX_OPS)
        return cn_err_set(err, CN_ETOOBIG, "format has more than %d parts", CN_IMPORT_MAX_OPS);
    cn_import_op_t *o = &f->ops[f->op_count++];
    *o = (cn_import_op_t){.is_field = false, .text = cn_xstrndup(p, len), .text_len = len};
    return 0;
}

static int add_field(cn_import_logfmt_t *f, cn_import_field_t field, const char *name,
                     size_t name_len, cn_err_t *err)
{
    if (f->op_count == CN_IMPORT_MAX_OPS)
        return cn_err_set(err, CN_ETOOBIG, "format has more than %d parts", CN_IMPORT_MAX_OPS);
    cn_import_op_t *o = &f->ops[f->op_count++];
    *o = (cn_import_op_t){.is_field = true, .field = (uint8_t)field};
    if (name != NULL) {
        o->text = cn_xstrndup(name, name_len);
        o->text_len = name_len;
    }
    return 0;
}

/* Fills field_op[], quoted flags and checks that a time is there. */
static int finish(cn_import_logfmt_t *f, cn_err_t *err)
{
    for (int i = 0; i < CN_IF__COUNT; i++)
        f->field_op[i] = -1;
    f->names_len = 0;
    for (size_t i = 0; i < f->op_count; i++) {
        cn_import_op_t *o = &f->ops[i];
        if (!o->is_field)
            continue;
        if (o->field == CN_IF_HEADER || o->field == CN_IF_COOKIE) {
            f->has_extra = true;
            f->names_len += o->text_len + 16;
        }
        f->field_op[o->field] = (int)i;
        bool before = i > 0 && !f->ops[i - 1].is_field &&
                      f->ops[i - 1].text[f->ops[i - 1].text_len - 1] == '"';
        bool after = i + 1 < f->op_count && !f->ops[i + 1].is_field && f->ops[i + 1].text[0] == '"';
        o->quoted = before && after;
    }
    if (f->op_count == 0)
        return cn_err_set(err, CN_EPARSE, "the format is empty");
    bool has_time = f->field_op[CN_IF_TIME_CLF] >= 0 || f->field_op[CN_IF_TIME_ISO] >= 0 ||
                    f->field_op[CN_IF_TIME_MSEC] >= 0 || f->field_op[CN_IF_DATETIME] >= 0 ||
                    (f->field_op[CN_IF_DATE] >= 0 && f->field_op[CN_IF_TIME] >= 0);
    if (!has_time)
        return cn_err_set(err, CN_EPARSE,
                          "the format has no request time ($time_local, $time_iso8601, $msec; "
                          "GoAccess %%d and %%t, or %%x)");
    bool has_url = f->field_op[CN_IF_REQUEST] >= 0 || f->field_op[CN_IF_URI] >= 0 ||
                   f->field_op[CN_IF_PATH] >= 0;
    if (!has_url)
        return cn_err_set(err, CN_EPARSE,
                          "the format has no request URL ($request, $request_uri, $uri; "
                          "GoAccess %%r or %%U)");
    return 0;
}

void cn_import__logfmt_dispose(cn_import_logfmt_t *f)
{
    for (size_t i = 0; i < f->op_count; i++)
        free(f->ops[i].text);
    free(f->date_format);
    free(f->time_format);
    free(f->datetime_format);
    memset(f, 0, sizeof(*f));
}

/* --- Unwrapping what users paste --- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static bool starts_word(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncmp(p, w, n) == 0 && (p[n] == ' ' || p[n] == '\t' || p[n] == '\n' || p[n] == '=');
}

/*
 * nginx: `log_format name [escape=...] 'a' "b" ...;`, or the quoted strings
 * alone, or the bare format. Quoted strings concatenate; \" \' \\ \t \n \r
 * are unescaped inside them as nginx's config parser does.
 */
static int unwrap_nginx(const char *spec, cn_buf_t *out, cn_err_t *err)
{
    const char *p = skip_ws(spec);
    if (starts_word(p, "log_format")) {
        p = skip_ws(p + 10);
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\'' && *p != '"')
            p++; /* the format's name */
        p = skip_ws(p);
        if (strncmp(p, "escape=", 7) == 0) {
            while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
            p = skip_ws(p);
        }
    }
    if (*p != '\'' && *p != '"') {
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ';' || isspace((unsigned char)p[n - 1])))
            n--;
        cn_buf_append(out, p, n);
        return 0;
    }
    while (*p == '\'' || *p == '"') {
        char q = *p++;
        const char *start = p;
        while (*p && *p != q) {
            if (*p == '\\' && p[1] != '\0') {
                char c = p[1];
                switch (c) {
                case 't':
                    cn_buf_putc(out, '\t');
                    break;
                case 'n':
                    cn_buf_putc(out, '\n');
                    break;
                case 'r':
                    cn_buf_putc(out, '\r');
                    break;
                case '"':
                case '\'':
                case '\\':
                    cn_buf_putc(out, c);
                    break;
                default:
                    cn_buf_putc(out, '\\');
                    cn_buf_putc(out, c);
                }
                p += 2;
                continue;
            }
            cn_buf_putc(out, *p++);
        }
        if (*p != q)
            return cn_err_set(err, CN_EPARSE, "unterminated %c-quoted string at offset %zu", q,
                              (size_t)(start - 1 - spec));
        p = skip_ws(p + 1);
    }
    if (*p == ';')
        p = skip_ws(p + 1);
    if (*p != '\0')
        return cn_err_set(err, CN_EPARSE, "unexpected text after the format at offset %zu: '%.20s'",
                          (size_t)(p - spec), p);
    return 0;
}

/* GoAccess: `log-format X`, `--log-format=X`, quotes around X, \t \" \\ escapes. */
static void unwrap_goaccess(const char *spec, cn_buf_t *out)
{
    const char *p = skip_ws(spec);
    if (strncmp(p, "--log-format", 12) == 0)
        p = skip_ws(p + 12);
    else if (starts_word(p, "log-format") || starts_word(p, "log_format"))
        p = skip_ws(p + 10);
    if (*p == '=')
        p = skip_ws(p + 1);
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    if (n >= 2 && (p[0] == '\'' || p[0] == '"') && p[n - 1] == p[0]) {
        p++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n) {
            char c = p[i + 1];
            if (c == 't' || c == '"' || c == '\\' || c == '\'') {
                cn_buf_putc(out, c == 't' ? '\t' : c);
                i++;
                continue;
            }
        }
        cn_buf_putc(out, p[i]);
    }
}

/* --- nginx --- */

static bool name_is(const char *n, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(n, w, len) == 0;
}

static bool name_has_prefix(const char *n, size_t len, const char *w)
{
    size_t k = strlen(w);
    return len > k && memcmp(n, w, k) == 0;
}

static int nginx_var(cn_import_logfmt_t *f, const char *n, size_t len, cn_err_t *err)
{
    static const struct {
        const char *name;
        cn_import_field_t field;
    } vars[] = {
        {"remote_addr", CN_IF_IP},
        {"realip_remote_addr", CN_IF_IP},
        {"time_local", CN_IF_TIME_CLF},
        {"time_iso8601", CN_IF_TIME_ISO},
        {"msec", CN_IF_TIME_MSEC},
        {"request", CN_IF_REQUEST},
        {"request_method", CN_IF_METHOD},
        {"request_uri", CN_IF_URI},
        {"uri", CN_IF_PATH},
        {"document_uri", CN_IF_PATH},
        {"args", CN_IF_QUERY},
        {"query_string", CN_IF_QUERY},
        {"server_protocol", CN_IF_PROTOCOL},
        {"status", CN_IF_STATUS},
        {"body_bytes_sent", CN_IF_BYTES},
        {"bytes_sent", CN_IF_BYTES},
        {"http_referer", CN_IF_REFERER},
        {"http_user_agent", CN_IF_UA},
        {"host", CN_IF_HOST},
        {"http_host", CN_IF_HOST},
        {"server_name", CN_IF_HOST},
        {"remote_user", CN_IF_USER},
        {"sent_http_content_type", CN_IF_CONTENT_TYPE},
        {"request_time", CN_IF_RT_S},
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (name_is(n, len, vars[i].name)) {
            /* $body_bytes_sent wins over $bytes_sent when both are logged */
            if (vars[i].field == CN_IF_BYTES && name_is(n, len, "bytes_sent"))
                for (size_t k = 0; k < f->op_count; k++)
                    if (f->ops[k].is_field && f->ops[k].field == CN_IF_BYTES)
                        return add_field(f, CN_IF_SKIP, NULL, 0, err);
            if (vars[i].field == CN_IF_BYTES)
                for (size_t k = 0; k < f->op_count; k++)
                    if (f->ops[k].is_field && f->ops[k].field == CN_IF_BYTES)
                        f->ops[k].field = CN_IF_SKIP;
            return add_field(f, vars[i].field, NULL, 0, err);
        }
    if (name_has_prefix(n, len, "http_") || name_has_prefix(n, len, "cookie_")) {
        bool cookie = n[0] == 'c';
        size_t skip = cookie ? 7 : 5;
        char name[128];
        size_t nl = len - skip < sizeof(name) - 1 ? len - skip : sizeof(name) - 1;
        for (size_t i = 0; i < nl; i++) {
            char c = n[skip + i];
            name[i] = cookie ? c : (c == '_' ? '-' : (char)tolower((unsigned char)c));
        }
        return add_field(f, cookie ? CN_IF_COOKIE : CN_IF_HEADER, name, nl, err);
    }
    return add_field(f, CN_IF_SKIP, NULL, 0, err);
}

static int compile_nginx_body(cn_import_logfmt_t *f, const char *s, size_t len, cn_err_t *err)
{
    size_t i = 0, lit = 0;
    while (i < len) {
        if (s[i] != '$') {
            i++;
            continue;
        }
        const char *name;
        size_t nlen, next;
        if (i + 1 < len && s[i + 1] == '{') {
            const char *close = memchr(s + i + 2, '}', len - i - 2);
            if (close == NULL)
                return cn_err_set(err, CN_EPARSE, "unterminated ${ at offset %zu", i);
            name = s + i + 2;
            nlen = (size_t)(close - name);
            next = (size_t)(close - s) + 1;
        } else {
            size_t j = i + 1;
            while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
                j++;
            name = s + i + 1;
            nlen = j - i - 1;
            next = j;
        }
        if (nlen == 0) { /* a lone '$' is literal text */
            i++;
            continue;
        }
        CN_RETURN_IF_ERR(add_lit(f, s + lit, i - lit, err));
        CN_RETURN_IF_ERR(nginx_var(f, name, nlen, err));
        i = lit = next;
    }
    return add_lit(f, s + lit, len - lit, err);
}

int cn_import__compile_nginx(const char *spec, cn_import_logfmt_t *out, cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    memset(out, 0, sizeof(*out));
    int rc = unwrap_nginx(spec, &b, err);
    if (rc == 0)
        rc = compile_nginx_body(out, b.ptr ? b.ptr : "", b.len, err);
    if (rc == 0)
        rc = finish(out, err);
    cn_buf_dispose(&b);
    if (rc != 0)
        cn_import__logfmt_dispose(out);
    return rc;
}

/* --- GoAccess --- */

static const struct {
    const char *name, *format;
} goaccess_presets[] = {
    {"COMBINED", "%h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\""},
    {"VCOMBINED", "%v:%^ %h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\""},
    {"COMMON", "%h %^[%d:%t %^] \"%r\" %s %b"},
    {"VCOMMON", "%v:%^ %h %^[%d:%t %^] \"%r\" %s %b"},
};

int cn_import__compile_goaccess(const char *spec, const char *date_format, const char *time_format,
                                cn_import_logfmt_t *out, cn_err_t *err)
{
    cn_buf_t b = CN_BUF_INIT;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    unwrap_goaccess(spec, &b);
    const char *s = b.ptr ? b.ptr : "";
    for (size_t i = 0; i < sizeof(goaccess_presets) / sizeof(goaccess_presets[0]); i++)
        if (strcasecmp(s, goaccess_presets[i].name) == 0)
            s = goaccess_presets[i].format;
    size_t len = strlen(s), i = 0, lit = 0;
    while (i < len && rc == 0) {
        if (s[i] == '~' && i + 1 < len && s[i + 1] == 'h' && i + 2 < len && s[i + 2] == '{') {
            const char *close = memchr(s + i + 3, '}', len - i - 3);
            if (close == NULL) {
                rc = cn_err_set(err, CN_EPARSE, "unterminated ~h{ at offset %zu", i);
                break;
            }
            rc = add_lit(out, s + lit, i - lit, err);
            if (rc == 0)
                rc = add_field(out, CN_IF_IP_LIST, s + i + 3, (size_t)(close - s - i - 3), err);
            i = lit = (size_t)(close - s) + 1;
            continue;
        }
        if (s[i] != '%') {
            i++;
            continue;
        }
        if (i + 1 >= len) {
            rc = cn_err_set(err, CN_EPARSE, "'%%' at the end of the format");
            break;
        }
        char c = s[i + 1];
        cn_import_field_t fld;
        switch (c) {
        case 'h':
            fld = CN_IF_IP;
            break;
        case 'd':
            fld = CN_IF_DATE;
            break;
        case 't':
            fld = CN_IF_TIME;
            break;
        case 'x':
            fld = CN_IF_DATETIME;
            break;
        case 'v':
            fld = CN_IF_HOST;
            break;
        case 'e':
            fld = CN_IF_USER;
            break;
        case 'r':
            fld = CN_IF_REQUEST;
            break;
        case 'm':
            fld = CN_IF_METHOD;
            break;
        case 'U':
            fld = CN_IF_URI;
            break;
        case 'q':
            fld = CN_IF_QUERY;
            break;
        case 'H':
            fld = CN_IF_PROTOCOL;
            break;
        case 's':
            fld = CN_IF_STATUS;
            break;
        case 'b':
            fld = CN_IF_BYTES;
            break;
        case 'R':
            fld = CN_IF_REFERER;
            break;
        case 'u':
            fld = CN_IF_UA;
            break;
        case 'M':
            fld = CN_IF_CONTENT_TYPE;
            break;
        case 'L':
            fld = CN_IF_RT_MS;
            break;
        case 'T':
            fld = CN_IF_RT_S;
            break;
        case 'D':
            fld = CN_IF_RT_US;
            break;
        case 'n':
            fld = CN_IF_RT_NS;
            break;
        case 'C':
        case 'K':
        case 'k':
        case '^':
            fld = CN_IF_SKIP;
            break;
        case '~':
            fld = CN_IF_SPACES;
            break;
        case '%':
            rc = add_lit(out, s + lit, i + 1 - lit, err);
            i = lit = i + 2;
            continue;
        default:
            rc =
                cn_err_set(err, CN_EPARSE, "unknown GoAccess specifier '%%%c' at offset %zu", c, i);
            continue;
        }
        rc = add_lit(out, s + lit, i - lit, err);
        if (rc == 0)
            rc = add_field(out, fld, NULL, 0, err);
        i = lit = i + 2;
    }
    if (rc == 0)
        rc = add_lit(out, s + lit, len - lit, err);
    if (rc == 0) {
        out->date_format = cn_xstrdup(date_format ? date_format : "%d/%b/%Y");
        out->time_format = cn_xstrdup(time_format ? time_format : "%H:%M:%S");
        if (strcmp(out->date_format, out->time_format) == 0) {
            out->datetime_format = cn_xstrdup(out->date_format);
        } else {
            size_t n = strlen(out->date_format) + strlen(out->time_format) + 2;
            out->datetime_format = cn_xmalloc(n);
            snprintf(out->datetime_format, n, "%s %s", out->date_format, out->time_format);
        }
        rc = finish(out, err);
    }
    cn_buf_dispose(&b);
    if (rc != 0)
        cn_import__logfmt_dispose(out);
    return rc;
}

/* --- Matching a line --- */

/* Finds lit in [p, end): for a quoted field, skips backslash-escaped bytes. */
static const char *find_lit(const char *p, const char *end, const cn_import_op_t *lit, bool quoted)
{
    const char c0 = lit->text[0];
    while (p < end) {
        const char *q;
        if (quoted) {
            q = p;
            while (q < end && *q != c0 && *q != '\\')
                q++;
            if (q < end && *q == '\\') {
                p = q + 2;
                continue;
            }
        } else {
            q = memchr(p, c0, (size_t)(end - p));
        }
        if (q == NULL || q >= end)
            return NULL;
        if ((size_t)(end - q) >= lit->text_len && memcmp(q, lit->text, lit->text_len) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

static bool is_ip(cn_str_t s);

static bool is_ip_char(char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f') || c == ':' || c == '.' ||
           c == '[' || c == ']' || c == '%';
}

/*
 * GoAccess ~h{delims}: a list of addresses separated by any of delims
 * ("198.51.100.4, 10.0.0.1"). Returns where the list ends: after the last
 * address that is followed by delimiters and another valid address.
 */
static const char *ip_list_end(const char *p, const char *end, const char *delims)
{
    const char *e = p;
    while (e < end && is_ip_char(*e))
        e++;
    for (;;) {
        const char *d = e;
        while (d < end && *d != '\0' && strchr(delims, *d) != NULL)
            d++;
        if (d == e)
            return e;
        const char *t = d;
        while (t < end && is_ip_char(*t))
            t++;
        if (t == d || !is_ip(cn_str(d, (size_t)(t - d))))
            return e;
        e = t;
    }
}

static bool is_dash(cn_str_t s)
{
    return s.len == 0 || (s.len == 1 && s.ptr[0] == '-');
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 32;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Undoes the escaping web servers apply to logged values (\" \\ \xHH).
 * An escape that would give a control byte is kept as written (a header value
 * is one line), or, with ctl_space, gives a space (the user agent: docs/import.md
 * "Control bytes"). Appends to scratch, which was reserved large enough by the
 * caller.
 */
static cn_str_t unescape_ctl(cn_str_t s, cn_buf_t *scratch, bool ctl_space)
{
    if (s.len == 0 || memchr(s.ptr, '\\', s.len) == NULL)
        return s;
    char *o = scratch->ptr + scratch->len, *start = o;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '\\' && i + 1 < s.len) {
            char n = s.ptr[i + 1];
            if (n == '"' || n == '\\') {
                *o++ = n;
                i++;
                continue;
            }
            if (n == 'x' && i + 3 < s.len) {
                int h = hexval(s.ptr[i + 2]), l = hexval(s.ptr[i + 3]);
                int byte = h * 16 + l;
                if (h >= 0 && l >= 0 && (ctl_space || (byte >= 0x20 && byte != 0x7f))) {
                    *o++ = byte < 0x20 || byte == 0x7f ? ' ' : (char)byte;
                    i += 3;
                    continue;
                }
            }
        }
        *o++ = c;
    }
    scratch->len += (size_t)(o - start);
    return cn_str(start, (size_t)(o - start));
}

static cn_str_t unescape(cn_str_t s, cn_buf_t *scratch)
{
    return unescape_ctl(s, scratch, false);
}

static bool is_ip(cn_str_t s)
{
    char tmp[64];
    unsigned char addr[16];
    /* a NUL would end the text inet_pton() reads: "10.0.0.1\0x" is no address */
    if (s.len < 2 || s.len >= sizeof(tmp) || cn_import__has_ctl(s))
        return false;
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = '\0';
    if (memchr(s.ptr, ':', s.len) == NULL)
        return inet_pton(AF_INET, tmp, addr) == 1;
    char *pct = strchr(tmp, '%'); /* fe80::1%eth0 */
    if (pct != NULL)
        *pct = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

static cn_str_t clean_ip(cn_str_t s)
{
    if (s.len >= 2 && s.ptr[0] == '[') { /* [2001:db8::1] or [2001:db8::1]:port */
        const char *close = memchr(s.ptr, ']', s.len);
        if (close != NULL)
            return cn_str(s.ptr + 1, (size_t)(close - s.ptr - 1));
    }
    return s;
}

/* Parses a duration: seconds with a fraction (scale 1e6) or an integer count in units. */
static int parse_duration(cn_str_t s, int field, int64_t *out_us)
{
    if (field == CN_IF_RT_S) {
        int64_t sec = 0;
        size_t i = 0;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9' && i < 12)
            sec = sec * 10 + (s.ptr[i++] - '0');
        if (i == 0)
            return CN_EPARSE;
        int64_t us = 0, scale = 100000;
        if (i < s.len && s.ptr[i] == '.') {
            i++;
            while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
                us += (s.ptr[i++] - '0') * scale;
                scale /= 10;
            }
        }
        if (i != s.len)
            return CN_EPARSE;
        *out_us = sec * 1000000 + us;
        return 0;
    }
    int64_t v;
    if (s.len > 15 || cn_str_to_i64(s, &v) != 0 || v < 0)
        return CN_EPARSE;
    *out_us = field == CN_IF_RT_MS ? v * 1000 : field == CN_IF_RT_NS ? v / 1000 : v;
    return 0;
}

static void put_header(cn_buf_t *b, const char *name, size_t name_len, cn_str_t v)
{
    char *o = b->ptr + b->len;
    memcpy(o, name, name_len);
    o[name_len] = ':';
    o[name_len + 1] = ' ';
    memcpy(o + name_len + 2, v.ptr, v.len);
    o[name_len + 2 + v.len] = '\n';
    b->len += name_len + 3 + v.len;
}

#define PUT_HEADER(b, lit, v) put_header(b, lit, sizeof(lit) - 1, v)

static int time_of(const cn_import_logfmt_t *f, cn_import_ctx_t *ctx, const cn_str_t *cap,
                   int64_t *out)
{
    int op;
    cn_str_t key;
    int kind;
    if ((op = f->field_op[CN_IF_TIME_CLF]) >= 0)
        kind = CN_IF_TIME_CLF;
    else if ((op = f->field_op[CN_IF_TIME_ISO]) >= 0)
        kind = CN_IF_TIME_ISO;
    else if ((op = f->field_op[CN_IF_TIME_MSEC]) >= 0)
        kind = CN_IF_TIME_MSEC;
    else if ((op = f->field_op[CN_IF_DATETIME]) >= 0)
        kind = CN_IF_DATETIME;
    else
        kind = CN_IF_DATE;
    if (kind != CN_IF_DATE) {
        key = cap[op];
        if (key.len == ctx->tcache_len && key.len > 0 &&
            memcmp(key.ptr, ctx->tcache_key, key.len) == 0) {
            *out = ctx->tcache_us;
            return 0;
        }
        int rc;
        if (kind == CN_IF_TIME_CLF) {
            rc = cn_import__parse_clf_time(key, out);
        } else if (kind == CN_IF_TIME_ISO) {
            rc = cn_import__parse_iso_time(key, out);
        } else if (kind == CN_IF_TIME_MSEC) {
            rc = cn_import__parse_epoch(key, out);
        } else {
            cn_import_tm_t tm = {0};
            rc = cn_import__strptime(f->datetime_format, key, &tm);
            if (rc == 0)
                rc = cn_import__tm_to_us(&tm, out);
        }
        if (rc == 0 && key.len < sizeof(ctx->tcache_key)) {
            memcpy(ctx->tcache_key, key.ptr, key.len);
            ctx->tcache_len = key.len;
            ctx->tcache_us = *out;
        }
        return rc;
    }
    cn_str_t d = cap[f->field_op[CN_IF_DATE]], t = cap[f->field_op[CN_IF_TIME]];
    char k[64];
    if (d.len + t.len + 1 < sizeof(k)) {
        memcpy(k, d.ptr, d.len);
        k[d.len] = '\x01';
        memcpy(k + d.len + 1, t.ptr, t.len);
        size_t kl = d.len + t.len + 1;
        if (kl == ctx->tcache_len && memcmp(k, ctx->tcache_key, kl) == 0) {
            *out = ctx->tcache_us;
            return 0;
        }
        cn_import_tm_t tm = {0};
        if (cn_import__strptime(f->date_format, d, &tm) != 0 ||
            cn_import__strptime(f->time_format, t, &tm) != 0 || cn_import__tm_to_us(&tm, out) != 0)
            return CN_EPARSE;
        memcpy(ctx->tcache_key, k, kl);
        ctx->tcache_len = kl;
        ctx->tcache_us = *out;
        return 0;
    }
    cn_import_tm_t tm = {0};
    if (cn_import__strptime(f->date_format, d, &tm) != 0 ||
        cn_import__strptime(f->time_format, t, &tm) != 0)
        return CN_EPARSE;
    return cn_import__tm_to_us(&tm, out);
}

static bool valid_method(cn_str_t m)
{
    if (m.len == 0 || m.len > 24)
        return false;
    for (size_t i = 0; i < m.len; i++)
        if (!((m.ptr[i] >= 'A' && m.ptr[i] <= 'Z') || m.ptr[i] == '-' || m.ptr[i] == '_'))
            return false;
    return true;
}

/*
 * A request target in absolute form, as proxies log it ("GET http://host:8080/p?q
 * HTTP/1.1", RFC 9112 3.2.2), without its query: returns the path ("/" when the URL has
 * none) and sets *host to the authority without user info; any other path is returned as
 * it is and *host left alone.
 */
static cn_str_t absolute_form(cn_str_t path, cn_str_t *host)
{
    size_t k;
    if (path.len >= 7 && strncasecmp(path.ptr, "http://", 7) == 0)
        k = 7;
    else if (path.len >= 8 && strncasecmp(path.ptr, "https://", 8) == 0)
        k = 8;
    else
        return path;
    const char *a = path.ptr + k, *end = path.ptr + path.len, *s = a;
    while (s < end && *s != '/' && *s != '#')
        s++;
    cn_str_t auth = cn_str(a, (size_t)(s - a));
    const char *at = auth.len ? memrchr(auth.ptr, '@', auth.len) : NULL;
    if (at != NULL)
        auth = cn_str(at + 1, (size_t)(auth.ptr + auth.len - at - 1));
    if (auth.len > 0)
        *host = auth;
    if (s == end || *s == '#')
        return CN_STR_LIT("/");
    return cn_str(s, (size_t)(end - s));
}

static int bad(cn_import_info_t *info, cn_import_bad_t why, size_t column)
{
    info->bad = why;
    info->column = column;
    return CN_EPARSE;
}

int cn_import__parse_log(const cn_import_logfmt_t *f, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info)
{
    cn_str_t cap[CN_IMPORT_MAX_OPS];
    size_t colof[CN_IMPORT_MAX_OPS];
    const char *p = line.ptr, *end = line.ptr + line.len;

    for (size_t i = 0; i < f->op_count; i++) {
        const cn_import_op_t *o = &f->ops[i];
        if (!o->is_field) {
            if ((size_t)(end - p) < o->text_len)
                return bad(info,
                           (size_t)(end - p) == 0 || memcmp(p, o->text, (size_t)(end - p)) == 0
                               ? CN_IMPORT_BAD_TRUNCATED
                               : CN_IMPORT_BAD_NO_MATCH,
                           (size_t)(p - line.ptr));
            if (memcmp(p, o->text, o->text_len) != 0)
                return bad(info, CN_IMPORT_BAD_NO_MATCH, (size_t)(p - line.ptr));
            p += o->text_len;
            continue;
        }
        colof[i] = (size_t)(p - line.ptr);
        if (o->field == CN_IF_SPACES) {
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            cap[i] = cn_str(p, 0);
            continue;
        }
        const char *e;
        if (o->field == CN_IF_IP_LIST) {
            e = ip_list_end(p, end, o->text);
        } else if (i + 1 < f->op_count && !f->ops[i + 1].is_field) {
            e = find_lit(p, end, &f->ops[i + 1], o->quoted);
            if (e == NULL) {
                /* the line ended inside "..." or [...], or in its last word: truncated */
                bool open = i > 0 && !f->ops[i - 1].is_field &&
                            (f->ops[i - 1].text[f->ops[i - 1].text_len - 1] == '"' ||
                             f->ops[i - 1].text[f->ops[i - 1].text_len - 1] == '[');
                bool last_word = memchr(p, ' ', (size_t)(end - p)) == NULL;
                return bad(info,
                           open || last_word ? CN_IMPORT_BAD_TRUNCATED : CN_IMPORT_BAD_NO_MATCH,
                           open || last_word ? (size_t)(end - line.ptr) : colof[i]);
            }
        } else {
            e = p;
            while (e < end && *e != ' ' && *e != '\t')
                e++;
        }
        cap[i] = cn_str(p, (size_t)(e - p));
        p = e;
    }
    /* Text after the last field is ignored, but not a carriage return there: a file whose lines
     * end in CR alone (classic Mac OS) reads as one line, and the lines after the first would be
     * lost without a word. (A CR inside a quoted field is a control byte of that field.) */
    const char *cr = memchr(p, '\r', (size_t)(end - p));
    if (cr != NULL)
        return bad(info, CN_IMPORT_BAD_LINE_END, (size_t)(cr - line.ptr));

    int op;
    cn_buf_t *sc = &ctx->scratch;
    cn_buf_clear(sc);
    cn_buf_reserve(sc, 3 * line.len + 2 * f->names_len + 512);
    char *const base = sc->ptr;
    memset(out, 0, sizeof(*out));
    out->proto = CN_PROTO_IMPORT_LOG;
    info->status = 0;
    info->is_page = false;

    /* client address */
    if ((op = f->field_op[CN_IF_IP]) >= 0 || (op = f->field_op[CN_IF_IP_LIST]) >= 0) {
        cn_str_t ip = cap[op];
        if (f->ops[op].field == CN_IF_IP_LIST) {
            const char *delims = f->ops[op].text;
            size_t k = 0;
            while (k < ip.len && strchr(delims, ip.ptr[k]) == NULL)
                k++;
            ip.len = k;
        }
        ip = clean_ip(ip);
        if (!is_ip(ip))
            return bad(info, CN_IMPORT_BAD_IP, colof[op]);
        out->ip = ip;
    }

    /* time */
    if (time_of(f, ctx, cap, &out->recv_us) != 0) {
        op = f->field_op[CN_IF_TIME_CLF] >= 0    ? f->field_op[CN_IF_TIME_CLF]
             : f->field_op[CN_IF_TIME_ISO] >= 0  ? f->field_op[CN_IF_TIME_ISO]
             : f->field_op[CN_IF_TIME_MSEC] >= 0 ? f->field_op[CN_IF_TIME_MSEC]
             : f->field_op[CN_IF_DATETIME] >= 0  ? f->field_op[CN_IF_DATETIME]
                                                 : f->field_op[CN_IF_DATE];
        return bad(info, CN_IMPORT_BAD_TIMESTAMP, colof[op]);
    }

    /* request */
    cn_str_t method = CN_STR_NULL, uri = CN_STR_NULL;
    if ((op = f->field_op[CN_IF_REQUEST]) >= 0) {
        cn_str_t r = f->ops[op].quoted ? unescape(cap[op], sc) : cap[op];
        const char *sp = r.len ? memchr(r.ptr, ' ', r.len) : NULL;
        if (sp == NULL)
            return bad(info, CN_IMPORT_BAD_REQUEST, colof[op]);
        method = cn_str(r.ptr, (size_t)(sp - r.ptr));
        cn_str_t rest = cn_str(sp + 1, r.len - method.len - 1);
        const char *sp2 = rest.len ? memrchr(rest.ptr, ' ', rest.len) : NULL;
        if (sp2 != NULL && (size_t)(rest.ptr + rest.len - sp2) > 5 &&
            memcmp(sp2 + 1, "HTTP/", 5) == 0)
            rest.len = (size_t)(sp2 - rest.ptr);
        uri = rest;
        if (uri.len == 0 || !valid_method(method))
            return bad(info, CN_IMPORT_BAD_REQUEST, colof[op]);
    }
    if ((op = f->field_op[CN_IF_METHOD]) >= 0) {
        method = cap[op];
        if (!valid_method(method))
            return bad(info, CN_IMPORT_BAD_REQUEST, colof[op]);
    }
    if ((op = f->field_op[CN_IF_URI]) >= 0)
        uri = f->ops[op].quoted ? unescape(cap[op], sc) : cap[op];
    else if (uri.len == 0 && (op = f->field_op[CN_IF_PATH]) >= 0)
        uri = cap[op];
    if (uri.len == 0)
        return bad(info, CN_IMPORT_BAD_REQUEST, op >= 0 ? colof[op] : 0);
    const char *qm = memchr(uri.ptr, '?', uri.len);
    out->method = method.len ? method : CN_STR_LIT("GET");
    if (qm != NULL) {
        out->path = cn_str(uri.ptr, (size_t)(qm - uri.ptr));
        out->query = cn_str(qm + 1, uri.len - out->path.len - 1);
    } else {
        out->path = uri;
    }
    if ((op = f->field_op[CN_IF_QUERY]) >= 0 && !is_dash(cap[op]))
        out->query = cap[op];
    cn_str_t uri_host = CN_STR_NULL;
    out->path = absolute_form(out->path, &uri_host);

    /* status and size */
    cn_str_t status = CN_STR_NULL, bytes = CN_STR_NULL, rt = CN_STR_NULL;
    if ((op = f->field_op[CN_IF_STATUS]) >= 0) {
        status = cap[op];
        if (status.len != 3 || status.ptr[0] < '1' || status.ptr[0] > '9' || status.ptr[1] < '0' ||
            status.ptr[1] > '9' || status.ptr[2] < '0' || status.ptr[2] > '9')
            return bad(info, CN_IMPORT_BAD_STATUS, colof[op]);
        info->status =
            (status.ptr[0] - '0') * 100 + (status.ptr[1] - '0') * 10 + status.ptr[2] - '0';
    }
    if ((op = f->field_op[CN_IF_BYTES]) >= 0) {
        bytes = cap[op];
        if (is_dash(bytes)) {
            bytes = CN_STR_LIT("0");
        } else {
            if (bytes.len > 19)
                return bad(info, CN_IMPORT_BAD_NUMBER, colof[op]);
            for (size_t k = 0; k < bytes.len; k++)
                if (bytes.ptr[k] < '0' || bytes.ptr[k] > '9')
                    return bad(info, CN_IMPORT_BAD_NUMBER, colof[op]);
        }
    }
    char rtbuf[24];
    int rtop = f->field_op[CN_IF_RT_S] >= 0    ? f->field_op[CN_IF_RT_S]
               : f->field_op[CN_IF_RT_MS] >= 0 ? f->field_op[CN_IF_RT_MS]
               : f->field_op[CN_IF_RT_US] >= 0 ? f->field_op[CN_IF_RT_US]
                                               : f->field_op[CN_IF_RT_NS];
    if (rtop >= 0 && !is_dash(cap[rtop])) {
        int64_t us;
        if (parse_duration(cap[rtop], f->ops[rtop].field, &us) != 0)
            return bad(info, CN_IMPORT_BAD_NUMBER, colof[rtop]);
        rt = cn_str(rtbuf, (size_t)snprintf(rtbuf, sizeof(rtbuf), "%lld", (long long)us));
    }

    /* user agent, referrer, host and the other headers */
    if ((op = f->field_op[CN_IF_UA]) >= 0 && !is_dash(cap[op])) {
        /* no control byte in the user agent, raw or escaped: a space, as in rows */
        out->ua = f->ops[op].quoted ? unescape_ctl(cap[op], sc, true) : cap[op];
        if (cn_import__has_ctl(out->ua))
            out->ua = cn_import__ctl_to_space(out->ua, sc);
    }

    /* unescape every header value first, so that the headers come out contiguous */
    cn_str_t referer = CN_STR_NULL, user = CN_STR_NULL, host = CN_STR_NULL, ctype = CN_STR_NULL;
    if ((op = f->field_op[CN_IF_REFERER]) >= 0 && !is_dash(cap[op]))
        referer = f->ops[op].quoted ? unescape(cap[op], sc) : cap[op];
    if ((op = f->field_op[CN_IF_USER]) >= 0 && !is_dash(cap[op]))
        user = f->ops[op].quoted ? unescape(cap[op], sc) : cap[op];
    if ((op = f->field_op[CN_IF_HOST]) >= 0 && !is_dash(cap[op]))
        host = cap[op];
    if (host.len == 0)
        host = uri_host; /* the host of an absolute-form request, when none is logged */
    if ((op = f->field_op[CN_IF_CONTENT_TYPE]) >= 0 && !is_dash(cap[op]))
        ctype = cap[op];
    if (f->has_extra)
        for (size_t i = 0; i < f->op_count; i++)
            if (f->ops[i].is_field && f->ops[i].field == CN_IF_HEADER && f->ops[i].quoted)
                cap[i] = unescape(cap[i], sc);

    char *h0 = sc->ptr + sc->len;
    if (referer.len)
        PUT_HEADER(sc, "referer", referer);
    if (host.len)
        PUT_HEADER(sc, "host", host);
    if (status.len)
        PUT_HEADER(sc, "x-canton-status", status);
    if (bytes.len)
        PUT_HEADER(sc, "x-canton-bytes", bytes);
    if (rt.len)
        PUT_HEADER(sc, "x-canton-request-time-us", rt);
    if (ctype.len)
        PUT_HEADER(sc, "x-canton-content-type", ctype);
    if (user.len)
        PUT_HEADER(sc, "x-canton-user", user);
    if (f->has_extra) {
        bool cookie = false;
        for (size_t i = 0; i < f->op_count; i++) {
            const cn_import_op_t *o = &f->ops[i];
            if (o->is_field && o->field == CN_IF_HEADER && !is_dash(cap[i]))
                put_header(sc, o->text, o->text_len, cap[i]);
        }
        for (size_t i = 0; i < f->op_count; i++) {
            const cn_import_op_t *o = &f->ops[i];
            if (!o->is_field || o->field != CN_IF_COOKIE || is_dash(cap[i]))
                continue;
            char *w = sc->ptr + sc->len;
            if (!cookie) {
                memcpy(w, "cookie: ", 8);
                w += 8;
            } else {
                w[-1] = ';';
                *w++ = ' ';
            }
            memcpy(w, o->text, o->text_len);
            w += o->text_len;
            *w++ = '=';
            memcpy(w, cap[i].ptr, cap[i].len);
            w += cap[i].len;
            *w++ = '\n';
            sc->len = (size_t)(w - sc->ptr);
            cookie = true;
        }
    }
    out->headers = cn_str(h0, (size_t)(sc->ptr + sc->len - h0));
    CN_ASSERT(sc->ptr == base);

    out->body = CN_STR_NULL;
    info->is_page = cn_hit_log_is_page(out->method, (unsigned)info->status, out->path, ctype, NULL);
    return 0;
}
