/* SPDX-License-Identifier: Apache-2.0 */
/* Hit-level rows: CSV, TSV, NDJSON and Adobe data feed rows -> import-row raw hits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/internal.h"

#include <cmocka.h>

#define T0 971211336LL /* 2000-10-10T20:55:36Z */

static void assert_str(cn_str_t s, const char *want)
{
    if (!cn_str_eq_c(s, want))
        fail_msg("got '%.*s', want '%s'", (int)s.len, s.len ? s.ptr : "", want ? want : "(null)");
}

typedef struct fixture {
    cn_import_parser_t *p;
    cn_import_ctx_t ctx;
    cn_rawhit_t hit;
    cn_import_info_t info;
} fixture_t;

static void open_parser(fixture_t *f, const char *format, const char *map, const char *header)
{
    cn_err_t err = {0};
    cn_import_opts_t o = {.format = format, .map = map, .suite = "shop"};
    if (cn_import_parser_new(&o, &f->p, &err) != 0)
        fail_msg("%s", err.msg);
    cn_import_ctx_init(&f->ctx);
    if (header != NULL) {
        assert_true(cn_import_parser_needs_header(f->p));
        if (cn_import_parser_set_header(f->p, cn_str_c(header), &err) != 0)
            fail_msg("%s", err.msg);
    }
    assert_false(cn_import_parser_needs_header(f->p));
}

static int row(fixture_t *f, const char *line)
{
    return cn_import_parse_line(f->p, &f->ctx, cn_str_c(line), &f->hit, &f->info);
}

static void close_parser(fixture_t *f)
{
    cn_import_ctx_dispose(&f->ctx);
    cn_import_parser_free(f->p);
}

static void csv_with_quotes_and_canonical_query(void **state)
{
    (void)state;
    fixture_t f;
    open_parser(&f, "csv", NULL, "timestamp,ip,user_agent,page_url,referrer,evar1,note");
    assert_int_equal(row(&f, "971211336,203.0.113.9,\"Mozilla/5.0 (X11, Linux)\","
                             "https://shop.example/p/mug?x=1,,gold,\"say \"\"hi\"\" & go\"\r"),
                     0);
    assert_int_equal(f.hit.proto, CN_PROTO_IMPORT_ROW);
    assert_true(f.hit.recv_us == T0 * 1000000);
    assert_str(f.hit.ip, "203.0.113.9");
    assert_str(f.hit.ua, "Mozilla/5.0 (X11, Linux)");
    assert_str(f.hit.suite, "shop");
    /* sorted by name, empty fields left out, RFC 3986 percent-encoding; evar1 goes into
     * the packed vars cell processing reads eVars from */
    assert_str(f.hit.query, "note=say%20%22hi%22%20%26%20go&"
                            "url=https%3A%2F%2Fshop.example%2Fp%2Fmug%3Fx%3D1&vars=evar1%3Dgold");
    assert_true(f.info.is_page);
    close_parser(&f);
}

static void csv_bad_rows(void **state)
{
    (void)state;
    fixture_t f;
    open_parser(&f, "csv", NULL, "ts,url");
    assert_int_equal(row(&f, "971211336,/a,extra"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_COLUMNS);
    assert_int_equal(row(&f, "971211336"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_COLUMNS);
    assert_int_equal(row(&f, "971211336,\"/a"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_QUOTING);
    assert_int_equal(row(&f, "yesterday,/a"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_TIMESTAMP);
    assert_int_equal(row(&f, ",/a"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_NO_TIMESTAMP);
    assert_int_equal(row(&f, ""), CN_IMPORT_SKIPPED);
    assert_int_equal(row(&f, "2000-10-10T20:55:36Z,/b.css"), 0);
    assert_false(f.info.is_page);
    close_parser(&f);
}

static void tsv_with_map(void **state)
{
    (void)state;
    fixture_t f;
    open_parser(&f, "tsv", "when=ts, addr=ip ,page=url,product=prod", "when\taddr\tpage\tproduct");
    assert_int_equal(row(&f, "10/Oct/2000:13:55:36 -0700\t::1\t/p/a\\tb\tSKU-1"), 0);
    assert_true(f.hit.recv_us == T0 * 1000000);
    assert_str(f.hit.ip, "::1");
    assert_str(f.hit.query, "prod=SKU-1&url=%2Fp%2Fa%09b");
    /* escaped line ends in the address or user agent do not reach the raw hit */
    assert_int_equal(row(&f, "971211336\t::1\\n\tx\\ny\t/\\r"), 0);
    assert_str(f.hit.ip, "::1 ");
    assert_str(f.hit.query, "prod=%2F%0D&url=x%0Ay");
    close_parser(&f);
}

/* evarN, propN, listN and hierN columns become the packed vars cell ("evar1=v,prop2=w",
 * values percent-encoded), after a vars cell the row has; others stay plain fields. */
static void var_columns_fold_into_vars(void **state)
{
    (void)state;
    fixture_t f;
    open_parser(&f, "csv", NULL, "ts,url,eVar1,prop75,vars,evar251,evar01,list3,type");
    assert_int_equal(row(&f, "971211336,/a,\"a,b=c\",x,evar9=z,y,w,l,link"), 0);
    /* the cell: vars=evar9=z,evar1=a%2Cb%3Dc,prop75=x,list3=l, then encoded once more */
    assert_str(f.hit.query, "evar01=w&evar251=y&type=link&url=%2Fa&"
                            "vars=evar9%3Dz%2Cevar1%3Da%252Cb%253Dc%2Cprop75%3Dx%2Clist3%3Dl");
    /* a row that says it is a link is not counted as a page view by the summary */
    assert_false(f.info.is_page);
    assert_int_equal(row(&f, "971211336,/a,,,,,,,pageview"), 0);
    assert_str(f.hit.query, "type=pageview&url=%2Fa");
    assert_true(f.info.is_page);
    close_parser(&f);
    /* NDJSON with vars as a JSON array (export): eVar fields stay as they are */
    open_parser(&f, "ndjson", NULL, NULL);
    assert_int_equal(row(&f, "{\"ts\":1,\"evar2\":\"q\",\"vars\":[{\"var\":\"evar3\","
                             "\"value\":\"v\"}]}"),
                     0);
    assert_str(f.hit.query,
               "evar2=q&vars=%5B%7B%22var%22%3A%22evar3%22%2C%22value%22%3A%22v%22%7D%5D");
    close_parser(&f);
}

static void map_errors(void **state)
{
    (void)state;
    cn_err_t err = {0};
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = "csv", .map = "a=b,c", .suite = "s"};
    assert_int_equal(cn_import_parser_new(&o, &p, &err), CN_EINVAL);
    assert_non_null(strstr(err.msg, "'c'"));
    o.map = "=x";
    assert_int_equal(cn_import_parser_new(&o, &p, &err), CN_EINVAL);
}

/* A header that names a column twice is refused, naming the column and where it is. */
static void header_names_a_column_twice(void **state)
{
    (void)state;
    static const struct {
        const char *format, *header, *msg;
    } cases[] = {
        {"csv", "url,prop1,ts,prop1", "the header names column 'prop1' twice (columns 2 and 4)"},
        {"tsv", "prop1\tprop1", "the header names column 'prop1' twice (columns 1 and 2)"},
        {"csv", "url,\"url\"", "the header names column 'url' twice (columns 1 and 2)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cn_err_t err = {0};
        cn_import_parser_t *p = NULL;
        cn_import_opts_t o = {.format = cases[i].format, .suite = "s"};
        assert_int_equal(cn_import_parser_new(&o, &p, &err), 0);
        assert_int_equal(cn_import_parser_set_header(p, cn_str_c(cases[i].header), &err),
                         CN_EPARSE);
        assert_string_equal(err.msg, cases[i].msg);
        cn_import_parser_free(p);
    }
}

/* A row with too few or too many cells says how many it has and the header names. */
static void bad_columns_counts_the_cells(void **state)
{
    (void)state;
    fixture_t f;
    open_parser(&f, "csv", NULL, "url,prop1,ts");
    assert_int_equal(row(&f, "/a,x"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_COLUMNS);
    assert_int_equal(f.info.cells, 2);
    assert_int_equal(f.info.want, 3);
    assert_int_equal(row(&f, "/a,x,2024-01-01T00:00:00Z,\"y,z\",,"), CN_EPARSE);
    assert_int_equal(f.info.cells, 6);
    assert_int_equal(f.info.want, 3);
    assert_int_equal(row(&f, "/a,x,2024-01-01T00:00:00Z"), 0);
    close_parser(&f);
}

static void ndjson_rows(void **state)
{
    (void)state;
    fixture_t f;
    open_parser(&f, "ndjson", "page_title=title", NULL);
    assert_int_equal(row(&f, "{\"ts\":\"2000-10-10T20:55:36.5Z\",\"ip\":\"10.0.0.1\",\"ua\":\"x\","
                             "\"url\":\"/p\",\"referrer\":\"https://g.example/\",\"revenue\":12.5,"
                             "\"qty\":2,\"new\":true,\"skip\":null,\"obj\":{\"a\":1}}"),
                     0);
    assert_true(f.hit.recv_us == T0 * 1000000 + 500000);
    assert_str(f.hit.ip, "10.0.0.1");
    assert_str(f.hit.query,
               "new=true&obj=%7B%22a%22%3A1%7D&qty=2&referrer=https%3A%2F%2Fg.example%2F&"
               "revenue=12.5&url=%2Fp");
    /* reals as written (0.1, not 0.10000000000000001); whole reals as digits */
    assert_int_equal(row(&f, "{\"ts\":1700000000123000.0,\"price\":0.1,\"rating\":4.1,"
                             "\"big\":1e300,\"tiny\":-2.5e-7}"),
                     0);
    assert_true(f.hit.recv_us == 1700000000123000LL);
    assert_str(f.hit.query, "big=1e%2B300&price=0.1&rating=4.1&tiny=-2.5e-07");
    /* --map renames NDJSON keys too */
    assert_int_equal(row(&f, "{\"ts\":1,\"page_title\":\"Home\",\"items\":[{\"sku\":\"a\"}]}"), 0);
    assert_str(f.hit.query, "items=%5B%7B%22sku%22%3A%22a%22%7D%5D&title=Home");
    assert_int_equal(row(&f, "{\"ts\":1700000000123,\"url\":\"/\"}"), 0);
    assert_true(f.hit.recv_us == 1700000000123000LL);
    assert_int_equal(row(&f, "[1,2]"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_JSON);
    assert_int_equal(row(&f, "{\"ts\":1"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_JSON);
    assert_int_equal(row(&f, "{\"url\":\"/\"}"), CN_EPARSE);
    assert_int_equal(f.info.bad, CN_IMPORT_BAD_NO_TIMESTAMP);
    close_parser(&f);
}

/* One parsed line as text for the golden file: the fields of the raw hit (what the hitlog
 * record holds) or the bad-line reason and column (what the message prints). Bytes outside
 * printable ASCII, and '\', are written \xHH. */
static void put_field(cn_buf_t *b, const char *name, cn_str_t s)
{
    cn_buf_printf(b, " %s=", name);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            cn_buf_printf(b, "\\x%02x", c);
        else
            cn_buf_putc(b, (char)c);
    }
}

static void render_line(cn_buf_t *b, size_t lineno, int rc, const cn_rawhit_t *h,
                        const cn_import_info_t *info)
{
    cn_buf_printf(b, "%zu", lineno);
    if (rc == CN_IMPORT_SKIPPED) {
        cn_buf_append(b, " skipped\n", 9);
        return;
    }
    if (rc != 0) {
        cn_buf_printf(b, " bad %s at column %zu\n", cn_import_bad_name(info->bad), info->column);
        return;
    }
    cn_buf_printf(b, " ok proto=%d recv_us=%lld page=%d", (int)h->proto, (long long)h->recv_us,
                  (int)info->is_page);
    put_field(b, "suite", h->suite);
    put_field(b, "ip", h->ip);
    put_field(b, "ua", h->ua);
    put_field(b, "method", h->method);
    put_field(b, "path", h->path);
    put_field(b, "headers", h->headers);
    put_field(b, "body", h->body);
    put_field(b, "query", h->query);
    cn_buf_putc(b, '\n');
}

/*
 * NDJSON lines of every kind (odd types, escapes, raw and escaped unicode, bad UTF-8, nulls,
 * nested values, duplicate keys, huge numbers, syntax errors, deep nesting, 2100 keys)
 * against tests/data/import/ndjson-varied.expected, written by the jansson-only parser: the
 * raw hits and bad-line reasons and columns must stay the same byte for byte. On a
 * difference the output is in $CANTON_BUILD/ndjson-varied.actual.
 */
static void ndjson_varied_golden(void **state)
{
    (void)state;
    const char *src = getenv("CANTON_SRC");
    const char *build = getenv("CANTON_BUILD");
    assert_non_null(src);
    char path[4096];
    cn_buf_t in = CN_BUF_INIT, want = CN_BUF_INIT, got = CN_BUF_INIT;
    snprintf(path, sizeof(path), "%s/tests/data/import/ndjson-varied.ndjson", src);
    assert_int_equal(cn_buf_append_file(&in, path, 1u << 20), 0);
    snprintf(path, sizeof(path), "%s/tests/data/import/ndjson-varied.expected", src);
    assert_int_equal(cn_buf_append_file(&want, path, 1u << 20), 0);
    /* the parser as the import runs it (the fast scanner, jansson for what it leaves), then
     * jansson alone */
    for (int ref = 0; ref < 2; ref++) {
        fixture_t f;
        open_parser(&f, "ndjson", "page_title=title", NULL);
        if (ref)
            cn_import__rowfmt_use_jansson(f.p->row);
        cn_buf_clear(&got);
        cn_str_t rest = cn_buf_str(&in), line;
        for (size_t n = 1; rest.ptr != NULL; n++) {
            rest = cn_str_split(rest, '\n', &line);
            int rc = cn_import_parse_line(f.p, &f.ctx, line, &f.hit, &f.info);
            render_line(&got, n, rc, &f.hit, &f.info);
        }
        close_parser(&f);
        if (got.len == want.len && memcmp(got.ptr, want.ptr, got.len) == 0)
            continue;
        if (build != NULL) {
            snprintf(path, sizeof(path), "%s/ndjson-varied.actual", build);
            FILE *o = fopen(path, "wb");
            if (o != NULL) {
                fwrite(got.ptr, 1, got.len, o);
                fclose(o);
            }
        }
        size_t i = 0;
        while (i < got.len && i < want.len && got.ptr[i] == want.ptr[i])
            i++;
        size_t ls = i;
        while (ls > 0 && want.ptr[ls - 1] != '\n')
            ls--;
        fail_msg("%s: differs from ndjson-varied.expected at byte %zu: got '%.200s', "
                 "want '%.200s'",
                 ref ? "jansson" : "fast", i, got.ptr + ls, want.ptr + ls);
    }
    /* which lines the fast scanner takes (F) and which it leaves to jansson (J): the golden
     * output above is only a check of the scanner for the F lines */
    cn_buf_t out = CN_BUF_INIT, members = CN_BUF_INIT, keys = CN_BUF_INIT;
    cn_buf_clear(&got);
    cn_str_t rest = cn_buf_str(&in), line;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, '\n', &line);
        if (line.len > 0 && line.ptr[line.len - 1] == '\r')
            line.len--;
        cn_buf_clear(&out);
        cn_buf_putc(&got, cn_import__json_scan(line, &out, &members, &keys) >= 0 ? 'F' : 'J');
    }
    assert_string_equal(got.ptr, "FFFFJJFJJJJJJJJFJJJJJJFFFFFFFFFFFFFFJJJJJJJJJJJJJJJJJJJJJJJJ"
                                 "JJJJJJJJJJJJJJJJJFFJJJFFJJJJJJJJJJJJFJJFFFFFFJJFFFFJJJJFJFF");
    cn_buf_dispose(&out);
    cn_buf_dispose(&members);
    cn_buf_dispose(&keys);
    cn_buf_dispose(&in);
    cn_buf_dispose(&want);
    cn_buf_dispose(&got);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void adobe_feed_with_lookups(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn_adobe_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/column_headers.tsv", dir);
    write_file(path, "hit_time_gmt\tip\tuser_agent\tbrowser\tos\tpage_url\tpost_evar1\t"
                     "post_visid_high\tpost_visid_low\n");
    snprintf(path, sizeof(path), "%s/browser.tsv", dir);
    write_file(path, "0\tUnknown\n42\tGoogle Chrome 120.0\n");
    snprintf(path, sizeof(path), "%s/operating_systems.tsv", dir);
    write_file(path, "7\tWindows 10\n");
    cn_err_t err = {0};
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = "adobe-feed", .lookup_dir = dir, .suite = "shop"};
    if (cn_import_parser_new(&o, &p, &err) != 0)
        fail_msg("%s", err.msg);
    assert_false(cn_import_parser_needs_header(p));
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    cn_rawhit_t h;
    cn_import_info_t info;
    const char *line =
        "971211336\t203.0.113.9\tMozilla/5.0\t42\t7\thttps://shop.example/\tgold\\tx\t"
        "123\t456";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_true(h.recv_us == T0 * 1000000);
    assert_str(h.ua, "Mozilla/5.0");
    assert_str(h.query, "browser=Google%20Chrome%20120.0&os=Windows%2010&post_evar1=gold%09x&"
                        "post_visid_high=123&post_visid_low=456&url=https%3A%2F%2Fshop.example%2F");
    /* an id missing from the lookup stays as it is */
    line = "971211336\t203.0.113.9\tMozilla/5.0\t9\t7\t/\t\t1\t2";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_non_null(memmem(h.query.ptr, h.query.len, "browser=9&", 10));
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);
    /* no column_headers.tsv: a clear error */
    unlink(path);
    snprintf(path, sizeof(path), "%s/column_headers.tsv", dir);
    unlink(path);
    assert_int_equal(cn_import_parser_new(&o, &p, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "column_headers.tsv"));
    snprintf(path, sizeof(path), "%s/browser.tsv", dir);
    unlink(path);
    rmdir(dir);
}

/* Opens an Adobe feed parser on a folder holding only column_headers.tsv = header. */
static cn_import_parser_t *adobe_parser(char *dir, const char *header, const char *map)
{
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/column_headers.tsv", dir);
    write_file(path, header);
    cn_err_t err = {0};
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = "adobe-feed", .lookup_dir = dir, .map = map, .suite = "shop"};
    if (cn_import_parser_new(&o, &p, &err) != 0)
        fail_msg("%s", err.msg);
    unlink(path);
    rmdir(dir);
    return p;
}

/* A feed's date_time (local, no zone) before hit_time_gmt (UTC): the UTC time wins; pagename,
 * purchaseid, product_list, evarN and page_event reach the fields processing reads; rows with
 * exclude_hit > 0 or hit_source 5, 7, 8, 9 are skipped. */
static void adobe_feed_times_and_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn_adobe_XXXXXX";
    cn_import_parser_t *p =
        adobe_parser(dir,
                     "date_time\tevar1\thit_time_gmt\tpagename\tproduct_list\tpurchaseid\t"
                     "exclude_hit\thit_source\tpage_event\n",
                     NULL);
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    cn_rawhit_t h;
    cn_import_info_t info;
    const char *line = "2000-10-11 04:55:36\tgold\t971211336\thome\t;SKU1;1;12.50\to1\t0\t1\t0";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_true(h.recv_us == T0 * 1000000);
    /* page_event 0 is a page view; exclude_hit and hit_source stay as columns */
    assert_str(h.query, "date_time=2000-10-11%2004%3A55%3A36&exclude_hit=0&hit_source=1&"
                        "order_id=o1&page=home&products=%3BSKU1%3B1%3B12.50&type=pageview&"
                        "vars=evar1%3Dgold");
    assert_true(info.is_page);
    /* 10: a custom link; 70 (not a kind processing knows): no type */
    line = "\t\t971211336\t\t\t\t0\t1\t10";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "exclude_hit=0&hit_source=1&type=link");
    line = "\t\t971211336\t\t\t\t0\t1\t70";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "exclude_hit=0&hit_source=1");
    /* rows Adobe leaves out of every metric are skipped */
    line = "\t\t971211336\t\t\t\t1\t1\t0";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_IMPORT_SKIPPED);
    line = "\t\t971211336\t\t\t\t0\t5\t0";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_IMPORT_SKIPPED);
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);
}

static void adobe_query(cn_import_parser_t *p, const char *line, const char *want)
{
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    cn_rawhit_t h;
    cn_import_info_t info;
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, want);
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);
}

/* post_pagename, post_page_url, post_purchaseid and post_product_list win over the columns as
 * sent, which stay context data under their names; the post amounts are in the report suite's
 * currency, so `currency` (as sent) becomes currency_sent; post_currency (the transaction's
 * currency code after processing, USD here as sent: not the suite's), post_evarN and
 * post_campaign stay context data; --map renaming a post_ column away gives the column as sent
 * back. */
static void adobe_feed_post_columns(void **state)
{
    (void)state;
    const char *header = "hit_time_gmt\tpagename\tpost_pagename\tpage_url\tpost_page_url\t"
                         "purchaseid\tpost_purchaseid\tproduct_list\tpost_product_list\t"
                         "currency\tpost_currency\tevar1\tpost_evar1\tcampaign\t"
                         "post_campaign\n";
    const char *line = "971211336\tmug-page\tMug\thttp://s/p?sid=1\thttp://s/p\to1\to2\t"
                       ";A;1;3.50\t;A;1;25.00\tUSD\tUSD\t\tgold\t\tcmp1";
    char dir[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir, header, NULL), line,
                "currency_sent=USD&order_id=o2&page=Mug&page_url=http%3A%2F%2Fs%2Fp%3Fsid%3D1&"
                "pagename=mug-page&post_campaign=cmp1&post_currency=USD&post_evar1=gold&"
                "product_list=%3BA%3B1%3B3.50&products=%3BA%3B1%3B25.00&purchaseid=o1&"
                "url=http%3A%2F%2Fs%2Fp");
    /* renamed away by --map: the columns as sent are the fields again */
    char dir2[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir2, header,
                             "post_pagename=pp,post_page_url=pu,post_purchaseid=po,"
                             "post_product_list=pl,post_currency=pc"),
                line,
                "currency=USD&order_id=o1&page=mug-page&pc=USD&pl=%3BA%3B1%3B25.00&po=o2&"
                "post_campaign=cmp1&post_evar1=gold&pp=Mug&products=%3BA%3B1%3B3.50&"
                "pu=http%3A%2F%2Fs%2Fp&url=http%3A%2F%2Fs%2Fp%3Fsid%3D1");
    /* merchandising eVar instances in post_product_list's events field (Adobe's numbering
     * there: 101..175, 275..299, 1200..1349) are left out; the column as sent stays context */
    char dir5[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir5, "hit_time_gmt\tpost_product_list\n", NULL),
                "971211336\t;A;1;9.99;101|event3=2;eVar1=x,;B;1;1.00;;,;C;1;2.00;1349",
                "post_product_list=%3BA%3B1%3B9.99%3B101%7Cevent3%3D2%3BeVar1%3Dx%2C%3BB%3B1%3B1."
                "00%3B%3B%2C%3BC%3B1%3B2.00%3B1349&products=%3BA%3B1%3B9.99%3Bevent3%3D2%3BeVar1%"
                "3Dx%2C%3BB%3B1%3B1.00%3B%3B%2C%3BC%3B1%3B2.00%3B");
    /* 100 (event_list's eVar1 instance) and 1350 are no instances here: kept as they are */
    char dir6[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir6, "hit_time_gmt\tpost_product_list\n", NULL),
                "971211336\t;D;1;1.00;100|1350", "products=%3BD%3B1%3B1.00%3B100%7C1350");
    /* post_event_list alone: its currency event values are after conversion too */
    char dir3[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir3, "hit_time_gmt\tpost_event_list\tcurrency\n", NULL),
                "971211336\t201=2.5\tUSD",
                "currency_sent=USD&events=event2%3D2.5&"
                "post_event_list=201%3D2.5");
    /* post_event_list beside product_list (no post_product_list): the products' amounts are
     * as sent, in `currency`, which stays the hit's currency */
    char dir7[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir7, "hit_time_gmt\tproduct_list\tpost_event_list\tcurrency\n", NULL),
                "971211336\t;A;1;3.50\t1,201=2.5\tUSD",
                "currency=USD&events=purchase%2Cevent2%3D2.5&post_event_list=1%2C201%3D2.5&"
                "products=%3BA%3B1%3B3.50");
}

/* duplicate_purchase reaches processing as the field of that name (docs/import.md: the hit is
 * then a repeated purchase), 0 included; --map renaming it away leaves it context data. With
 * event_list only, products without an event give no events field: the import adds no
 * automatic product view (prodView, 2) to a feed's row. */
static void adobe_feed_duplicate_purchase_and_event_list_only(void **state)
{
    (void)state;
    const char *header = "hit_time_gmt\tevent_list\tproduct_list\tpurchaseid\tduplicate_purchase\n";
    char dir[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir, header, NULL), "971211336\t1,200\t;A;2;30.00\to9\t1",
                "duplicate_purchase=1&event_list=1%2C200&events=purchase%2Cevent1&order_id=o9&"
                "products=%3BA%3B2%3B30.00");
    char dir2[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir2, header, NULL), "971211336\t\t;A\t\t0",
                "duplicate_purchase=0&products=%3BA");
    char dir3[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir3, header, "duplicate_purchase=dup_sent"),
                "971211336\t1\t;A;1;5.00\t\t1",
                "dup_sent=1&event_list=1&events=purchase&products=%3BA%3B1%3B5.00");
}

/* post_page_event (Adobe's numbering 0, 100, 101, 102) wins over page_event (0, 10, 11, 12) for
 * the type, post_page_event_var1 and _var2 over page_event_var1 and _var2 for link_url and
 * link_name; the columns as sent stay context data; --map renaming the post_ ones away gives
 * the columns as sent back; without post_ columns the columns as sent are used. */
static void adobe_feed_post_page_event(void **state)
{
    (void)state;
    const char *header = "hit_time_gmt\tpage_event\tpost_page_event\tpage_event_var1\t"
                         "post_page_event_var1\tpage_event_var2\tpost_page_event_var2\n";
    char dir[] = "/tmp/cn_adobe_XXXXXX";
    cn_import_parser_t *p = adobe_parser(dir, header, NULL);
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    cn_rawhit_t h;
    cn_import_info_t info;
    const char *line = "971211336\t11\t100\thttp://s/a?x=1\thttp://s/a\tsignup\tNewsletter";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "link_name=Newsletter&link_url=http%3A%2F%2Fs%2Fa&page_event=11&"
                        "page_event_var1=http%3A%2F%2Fs%2Fa%3Fx%3D1&page_event_var2=signup&"
                        "type=link");
    static const struct {
        const char *line, *want;
    } kinds[] = {
        {"971211336\t0\t0\t\t\t\t", "page_event=0&type=pageview"},
        {"971211336\t11\t101\t\t\t\t", "page_event=11&type=download"},
        {"971211336\t12\t102\t\t\t\t", "page_event=12&type=exit"},
        /* page_event's numbers are no kinds in post_page_event; media (76): processing's */
        {"971211336\t10\t10\t\t\t\t", "page_event=10"},
        {"971211336\t31\t76\t\t\t\t", "page_event=31"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(kinds[i].line), &h, &info), 0);
        assert_str(h.query, kinds[i].want);
    }
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);
    /* renamed away by --map: page_event and the link columns as sent are the fields again */
    char dir2[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir2, header,
                             "post_page_event=ppe,post_page_event_var1=pv1,"
                             "post_page_event_var2=pv2"),
                line,
                "link_name=signup&link_url=http%3A%2F%2Fs%2Fa%3Fx%3D1&ppe=100&"
                "pv1=http%3A%2F%2Fs%2Fa&pv2=Newsletter&type=download");
    /* a feed with the columns as sent only */
    char dir3[] = "/tmp/cn_adobe_XXXXXX";
    adobe_query(adobe_parser(dir3,
                             "hit_time_gmt\tpage_event\tpage_event_var1\t"
                             "page_event_var2\n",
                             NULL),
                "971211336\t12\thttp://x/\tout",
                "link_name=out&link_url=http%3A%2F%2Fx%2F&type=exit");
}

/* event_list ids become the events string processing reads: Adobe's numbering without
 * event.tsv; post_event_list wins; ids without a success event are left out; bad ids and values
 * make bad lines; with event.tsv an id it does not name is bad. */
static void adobe_feed_events(void **state)
{
    (void)state;
    char dir[] = "/tmp/cn_adobe_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], evpath[256];
    snprintf(path, sizeof(path), "%s/column_headers.tsv", dir);
    write_file(path, "hit_time_gmt\tevent_list\tpurchaseid\n");
    cn_err_t err = {0};
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = "adobe-feed", .lookup_dir = dir, .suite = "shop"};
    if (cn_import_parser_new(&o, &p, &err) != 0)
        fail_msg("%s", err.msg);
    cn_import_ctx_t ctx;
    cn_import_ctx_init(&ctx);
    cn_rawhit_t h;
    cn_import_info_t info;
    const char *line =
        "971211336\t1,2,10,11,12,13,14,200,201=2.5,299,20100,20999,100,10036,500\to1";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query,
               "event_list=1%2C2%2C10%2C11%2C12%2C13%2C14%2C200%2C201%3D2.5%2C299%2C20100%2C"
               "20999%2C100%2C10036%2C500&events=purchase%2CprodView%2CscOpen%2C"
               "scCheckout%2CscAdd%2CscRemove%2CscView%2Cevent1%2Cevent2%3D2.5%2Cevent100%2C"
               "event101%2Cevent1000&order_id=o1");
    /* serialization IDs (":ID", before or after a value) are dropped; a commerce event may
     * have one */
    line = "971211336\t12:c1,201:ABC=2.5,202=3:x-9,200 : s1,1:o1\to1";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "event_list=12%3Ac1%2C201%3AABC%3D2.5%2C202%3D3%3Ax-9%2C200%20%3A%20s1%2C"
                        "1%3Ao1&events=scAdd%2Cevent2%3D2.5%2Cevent3%3D3%2Cevent1%2Cpurchase&"
                        "order_id=o1");
    /* an empty or second ID, a second value, a value on a commerce event: bad lines */
    static const char *const bad_serials[] = {"971211336\t200,201:\t", "971211336\t201:A:B\t",
                                              "971211336\t201=1=2\t", "971211336\t1:o1=5\t",
                                              "971211336\t1,201:a b\t"};
    for (size_t k = 0; k < sizeof(bad_serials) / sizeof(bad_serials[0]); k++) {
        assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(bad_serials[k]), &h, &info),
                         CN_EPARSE);
        assert_int_equal(info.bad, CN_IMPORT_BAD_EVENTS);
    }
    assert_int_equal(info.column, 12);
    /* only instances of eVars: no events field */
    line = "971211336\t100,101\t";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "event_list=100%2C101");
    /* not an id, a value on a commerce event, a bad value: bad lines at the entry */
    line = "971211336\t1,abc\t";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_EPARSE);
    assert_int_equal(info.bad, CN_IMPORT_BAD_EVENTS);
    assert_int_equal(info.column, 12);
    assert_string_equal(cn_import_bad_name(info.bad), "bad-events");
    line = "971211336\t1=5\t";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_EPARSE);
    assert_int_equal(info.bad, CN_IMPORT_BAD_EVENTS);
    line = "971211336\t200=x\t";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_EPARSE);
    line = "971211336\t-1\t";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_EPARSE);
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);

    /* post_event_list wins over event_list, which stays a plain column; with event.tsv */
    write_file(path, "hit_time_gmt\tevent_list\tpost_event_list\n");
    snprintf(evpath, sizeof(evpath), "%s/event.tsv", dir);
    write_file(evpath, "1\tPurchase\n12\tCart Add\n104\tInstance of eVar5\n"
                       "204\tNewsletter signups\n");
    if (cn_import_parser_new(&o, &p, &err) != 0)
        fail_msg("%s", err.msg);
    cn_import_ctx_init(&ctx);
    line = "971211336\t1,204,12\t204,104,12";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "event_list=1%2C204%2C12&events=event5%2CscAdd&"
                        "post_event_list=204%2C104%2C12");
    /* 2 (prodView) is not in this event.tsv: a bad line */
    line = "971211336\t\t1,2";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), CN_EPARSE);
    assert_int_equal(info.bad, CN_IMPORT_BAD_EVENTS);
    assert_int_equal(info.column, 13);
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);

    /* a column mapped to `events` stays the events: the list is a plain column */
    write_file(path, "hit_time_gmt\tevent_list\tmy_events\n");
    o.map = "my_events=events";
    if (cn_import_parser_new(&o, &p, &err) != 0)
        fail_msg("%s", err.msg);
    cn_import_ctx_init(&ctx);
    line = "971211336\t1\tcheckout";
    assert_int_equal(cn_import_parse_line(p, &ctx, cn_str_c(line), &h, &info), 0);
    assert_str(h.query, "event_list=1&events=checkout");
    cn_import_ctx_dispose(&ctx);
    cn_import_parser_free(p);
    unlink(evpath);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_with_quotes_and_canonical_query),
        cmocka_unit_test(csv_bad_rows),
        cmocka_unit_test(tsv_with_map),
        cmocka_unit_test(var_columns_fold_into_vars),
        cmocka_unit_test(map_errors),
        cmocka_unit_test(header_names_a_column_twice),
        cmocka_unit_test(bad_columns_counts_the_cells),
        cmocka_unit_test(ndjson_rows),
        cmocka_unit_test(ndjson_varied_golden),
        cmocka_unit_test(adobe_feed_with_lookups),
        cmocka_unit_test(adobe_feed_times_and_names),
        cmocka_unit_test(adobe_feed_events),
        cmocka_unit_test(adobe_feed_post_columns),
        cmocka_unit_test(adobe_feed_post_page_event),
        cmocka_unit_test(adobe_feed_duplicate_purchase_and_event_list_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
