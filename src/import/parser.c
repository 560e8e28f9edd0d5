/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The import parser: picks the format (--format), compiles it, and turns
 * one line into one raw hit with the compiled log format or row format.
 */
#include <stdlib.h>
#include <strings.h>

#include "import/import.h"
#include "import/internal.h"
#include "lib/xalloc.h"

const char *cn_import_bad_name(unsigned reason)
{
    static const char *const names[] = {
#define XX(name, str) str,
        CN_IMPORT_BAD_MAP(XX)
#undef XX
    };
    return reason < CN_IMPORT_BAD__COUNT ? names[reason] : "unknown";
}

/* The presets, in nginx syntax ($ignore is a field canton skips). */
static const struct {
    const char *name, *nginx;
} presets[] = {
    {"combined", "$remote_addr $ignore $remote_user [$time_local] \"$request\" $status "
                 "$body_bytes_sent \"$http_referer\" \"$http_user_agent\""},
    {"common", "$remote_addr $ignore $remote_user [$time_local] \"$request\" $status "
               "$body_bytes_sent"},
    {"vhost_combined", "$host:$ignore $remote_addr $ignore $remote_user [$time_local] \"$request\" "
                       "$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\""},
};

int cn_import_parser_new(const cn_import_opts_t *opts, cn_import_parser_t **out, cn_err_t *err)
{
    if (opts->suite == NULL || opts->suite[0] == '\0')
        return cn_err_set(err, CN_EINVAL, "a report suite is required (--suite)");
    cn_import_parser_t *p = cn_xcalloc(1, sizeof(*p));
    p->suite = cn_xstrdup(opts->suite);
    p->final = opts->final;
    const char *fmt = opts->format ? opts->format : "combined";
    int rc = 0;
    p->kind = CN_IMPORT_KIND_LOG;
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
        if (strcmp(fmt, presets[i].name) == 0) {
            rc = cn_import__compile_nginx(presets[i].nginx, &p->log, err);
            goto done;
        }
    if (strncmp(fmt, "nginx:", 6) == 0) {
        rc = cn_import__compile_nginx(fmt + 6, &p->log, err);
    } else if (strncmp(fmt, "goaccess:", 9) == 0) {
        rc = cn_import__compile_goaccess(fmt + 9, opts->date_format, opts->time_format, &p->log,
                                         err);
    } else if (strcmp(fmt, "csv") == 0 || strcmp(fmt, "tsv") == 0 || strcmp(fmt, "ndjson") == 0 ||
               strcmp(fmt, "adobe-feed") == 0) {
        p->kind = fmt[0] == 'c'   ? CN_IMPORT_KIND_CSV
                  : fmt[0] == 't' ? CN_IMPORT_KIND_TSV
                  : fmt[0] == 'n' ? CN_IMPORT_KIND_NDJSON
                                  : CN_IMPORT_KIND_ADOBE;
        rc = cn_import__rowfmt_new(opts, p->kind, &p->row, err);
    } else {
        rc = cn_err_set(
            err, CN_EINVAL,
            "unknown format '%s' (combined, common, vhost_combined, nginx:'<log_format>', "
            "goaccess:'<log-format>', csv, tsv, ndjson, adobe-feed)",
            fmt);
    }
done:
    if (rc != 0) {
        cn_import_parser_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void cn_import_parser_free(cn_import_parser_t *p)
{
    if (p == NULL)
        return;
    if (p->kind == CN_IMPORT_KIND_LOG)
        cn_import__logfmt_dispose(&p->log);
    cn_import__rowfmt_free(p->row);
    free(p->suite);
    free(p);
}

cn_import_kind_t cn_import_parser_kind(const cn_import_parser_t *p)
{
    return p->kind;
}

bool cn_import_parser_needs_header(const cn_import_parser_t *p)
{
    return p->row != NULL && cn_import__rowfmt_needs_header(p->row);
}

int cn_import_parser_set_header(cn_import_parser_t *p, cn_str_t line, cn_err_t *err)
{
    if (p->row == NULL)
        return cn_err_set(err, CN_EINVAL, "log formats have no header row");
    if (line.len > 0 && line.ptr[line.len - 1] == '\r')
        line.len--;
    return cn_import__rowfmt_set_header(p->row, line, err);
}

void cn_import_ctx_init(cn_import_ctx_t *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    cn_buf_init(&ctx->scratch);
    cn_buf_init(&ctx->query);
    cn_buf_init(&ctx->events);
    cn_buf_init(&ctx->clean);
    cn_buf_init(&ctx->jmembers);
    cn_buf_init(&ctx->jkeys);
}

void cn_import_ctx_dispose(cn_import_ctx_t *ctx)
{
    cn_buf_dispose(&ctx->scratch);
    cn_buf_dispose(&ctx->query);
    cn_buf_dispose(&ctx->events);
    cn_buf_dispose(&ctx->clean);
    cn_buf_dispose(&ctx->jmembers);
    cn_buf_dispose(&ctx->jkeys);
    cn_import__jnames_free(ctx->jnames);
    ctx->jnames = NULL;
}

bool cn_import__has_ctl(cn_str_t s)
{
    bool ctl = false;
    for (size_t i = 0; i < s.len; i++)
        ctl |= (unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f;
    return ctl;
}

cn_str_t cn_import__ctl_to_space(cn_str_t s, cn_buf_t *b)
{
    CN_ASSERT(b->cap - b->len >= s.len + 1);
    char *o = b->ptr + b->len;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        o[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    b->len += s.len;
    b->ptr[b->len] = '\0';
    return cn_str(o, s.len);
}

int cn_import_parse_line(const cn_import_parser_t *p, cn_import_ctx_t *ctx, cn_str_t line,
                         cn_rawhit_t *out, cn_import_info_t *info)
{
    if (line.len > 0 && line.ptr[line.len - 1] == '\r')
        line.len--;
    info->status = 0;
    info->is_page = false;
    if (line.len > CN_IMPORT_MAX_LINE) {
        info->bad = CN_IMPORT_BAD_TOO_LONG;
        info->column = CN_IMPORT_MAX_LINE;
        return CN_EPARSE;
    }
    size_t i = 0;
    while (i < line.len && (line.ptr[i] == ' ' || line.ptr[i] == '\t'))
        i++;
    if (i == line.len)
        return CN_IMPORT_SKIPPED;
    int rc;
    if (p->kind == CN_IMPORT_KIND_LOG) {
        if (line.ptr[0] == '#') /* W3C-style directives and comments */
            return CN_IMPORT_SKIPPED;
        rc = cn_import__parse_log(&p->log, ctx, line, out, info);
    } else {
        rc = cn_import__parse_row(p->row, ctx, line, out, info);
    }
    if (rc == 0)
        out->suite = cn_str_c(p->suite);
    return rc;
}
