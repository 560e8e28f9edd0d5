/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: import line parsers (access-log presets, an nginx and a
 * GoAccess format, CSV/TSV with a header, NDJSON, an Adobe data feed with
 * event.tsv, as sent or with post_ columns, post_page_event and the link columns). The first byte
 * picks the parser (0xf0..0xf7: the Adobe feed, 0xf8..0xff: the one with post_ columns), the rest
 * is one line. Invariants: a parsed line gives a raw hit that encodes and decodes to the same
 * fields, whose headers are "name: value\n" lines, whose strings hold no line end, and whose
 * address and user agent no control byte at all (they become spaces), and which processing's
 * decoder, when it takes it, makes a page view exactly when the import summary counts one; a
 * bad line has a known reason and a column inside the line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import/import.h"
#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const formats[] = {
    "combined",
    "common",
    "vhost_combined",
    ("nginx:$remote_addr [$time_iso8601] \"$request\" $status $bytes_sent $request_time "
     "\"$http_referer\" \"$http_user_agent\" $cookie_uid \"$http_x_forwarded_for\""),
    "goaccess:~h{, } %^[%x] \"%m %U %H\" %s %b %T \"%R\" \"%u\" %v",
    "csv",
    "tsv",
    "ndjson",
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* The Adobe feed parser for column_headers.tsv = header: it and event.tsv in a temporary
 * folder, read once (the parser keeps what it needs) and removed. */
static cn_import_parser_t *adobe_parser(const char *header)
{
    char dir[] = "/tmp/fuzz_adobe_XXXXXX", path[64];
    if (mkdtemp(dir) == NULL)
        abort();
    const char *const files[][2] = {
        {"column_headers.tsv", header},
        {"event.tsv", "1\tPurchase\n2\tProduct View\n12\tCart Add\n104\tInstance of eVar5\n"
                      "200\tCustom Event 1\n201\tCustom Event 2\n20100\tCustom Event 101\n"},
    };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        if (f == NULL || fputs(files[i][1], f) < 0 || fclose(f) != 0)
            abort();
    }
    cn_import_opts_t o = {.format = "adobe-feed", .lookup_dir = dir, .suite = "fz"};
    cn_import_parser_t *p = NULL;
    if (cn_import_parser_new(&o, &p, NULL) != 0)
        abort();
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
        unlink(path);
    }
    rmdir(dir);
    return p;
}

static bool has_newline(cn_str_t s)
{
    return s.len > 0 && memchr(s.ptr, '\n', s.len) != NULL;
}

/* True when s holds a control byte (0x00-0x1f, 0x7f). */
static bool has_ctl(cn_str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cn_import_parser_t *parsers[NFORMATS];
    if (parsers[0] == NULL) {
        for (size_t i = 0; i < NFORMATS; i++) {
            cn_import_opts_t o = {
                .format = formats[i], .suite = "fz", .date_format = "%s", .time_format = "%s"};
            if (cn_import_parser_new(&o, &parsers[i], NULL) != 0)
                abort();
            if (cn_import_parser_needs_header(parsers[i]) &&
                cn_import_parser_set_header(parsers[i],
                                            i == 5 ? cn_str_c("ts,ip,ua,url,referrer,x")
                                                   : cn_str_c("ts\tip\tua\turl\treferrer\tx"),
                                            NULL) != 0)
                abort();
        }
    }
    /* 0xf0..0xf7: a feed with the columns as sent; 0xf8..0xff: one with post_ columns */
    static cn_import_parser_t *adobe, *adobe_post;
    if (adobe == NULL) {
        adobe = adobe_parser("hit_time_gmt\tip\tuser_agent\tpage_url\tpage_event\t"
                             "event_list\tpost_event_list\tproduct_list\texclude_hit\n");
        adobe_post = adobe_parser("hit_time_gmt\tpagename\tpost_pagename\tpurchaseid\t"
                                  "post_purchaseid\tproduct_list\tpost_product_list\tcurrency\t"
                                  "post_event_list\tpage_event\tpost_page_event\t"
                                  "page_event_var1\tpost_page_event_var1\tpage_event_var2\t"
                                  "post_page_event_var2\tpost_currency\n");
    }
    if (size < 1)
        return 0;
    const cn_import_parser_t *p = data[0] >= 0xf8   ? adobe_post
                                  : data[0] >= 0xf0 ? adobe
                                                    : parsers[data[0] % NFORMATS];
    cn_str_t line = cn_str((const char *)data + 1, size - 1);
    /* the runner never passes a '\n' inside a line */
    if (has_newline(line))
        return 0;
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    cn_rawhit_t h;
    cn_import_info_t info;
    int rc = cn_import_parse_line(p, &ctx, line, &h, &info);
    if (rc == 0) {
        if (has_ctl(h.ip) || has_ctl(h.ua) || has_newline(h.path) || has_newline(h.query) ||
            has_newline(h.method))
            abort();
        if (h.headers.len > 0 && h.headers.ptr[h.headers.len - 1] != '\n')
            abort();
        cn_str_t rest = h.headers, hl;
        while (rest.len > 0) {
            rest = cn_str_split(rest, '\n', &hl);
            if (hl.len == 0 && rest.ptr == NULL)
                break;
            if (hl.len < 2 || memmem(hl.ptr, hl.len, ": ", 2) == NULL)
                abort();
        }
        cn_buf_t b = CN_BUF_INIT;
        cn_rawhit_encode(&h, &b);
        cn_rawhit_t d;
        if (cn_rawhit_decode(b.ptr, b.len, &d) != 0 || d.recv_us != h.recv_us ||
            !cn_str_eq(d.path, h.path) || !cn_str_eq(d.query, h.query) ||
            !cn_str_eq(d.headers, h.headers) || !cn_str_eq(d.ip, h.ip) || d.proto != h.proto)
            abort();
        cn_buf_dispose(&b);
        /* numbers agree: the summary's page view is processing's (hit/pagerule.h) */
        cn_dbatch_t db;
        cn_dbatch_init(&db);
        int drc = h.proto == CN_PROTO_IMPORT_LOG ? cn_decode_import_log(&h, &db, NULL)
                                                 : cn_decode_import_row(&h, &db, NULL);
        if (drc == 0 && info.is_page != (db.hits[0].type == CN_HIT_PAGEVIEW))
            abort();
        cn_dbatch_dispose(&db);
    } else if (rc == CN_EPARSE) {
        if (info.bad >= CN_IMPORT_BAD__COUNT || info.column > line.len)
            abort();
    } else if (rc != CN_IMPORT_SKIPPED) {
        abort();
    }
    cn_import_ctx_dispose(&ctx);
    return 0;
}
