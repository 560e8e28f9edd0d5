/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access-log formats: the presets, the nginx log_format and GoAccess
 * log-format compilers (quoting, escapes, every variable that matters) and
 * the line matcher (IPv6, bad timestamps, truncated lines, CRLF, long lines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "import/internal.h"

#include <cmocka.h>

#define T0 971211336LL /* 2000-10-10T20:55:36Z */

typedef struct parsed {
    int rc;
    cn_rawhit_t hit;
    cn_import_info_t info;
    cn_import_parser_t *p;
    cn_import_ctx_t ctx;
} parsed_t;

static parsed_t *parse_opts(const cn_import_opts_t *o, const char *line)
{
    parsed_t *r = calloc(1, sizeof(*r));
    cn_err_t err = {0};
    cn_import_opts_t opts = *o;
    opts.suite = "shop";
    int rc = cn_import_parser_new(&opts, &r->p, &err);
    if (rc != 0)
        fail_msg("compile failed: %s", err.msg);
    cn_import_ctx_init(&r->ctx);
    r->rc = cn_import_parse_line(r->p, &r->ctx, cn_str_c(line), &r->hit, &r->info);
    return r;
}

static parsed_t *parse(const char *format, const char *line)
{
    cn_import_opts_t o = {.format = format};
    return parse_opts(&o, line);
}

static void done(parsed_t *r)
{
    cn_import_ctx_dispose(&r->ctx);
    cn_import_parser_free(r->p);
    free(r);
}

static int compile_err(const char *format, cn_err_t *err)
{
    cn_import_parser_t *p = NULL;
    cn_import_opts_t o = {.format = format, .suite = "shop"};
    int rc = cn_import_parser_new(&o, &p, err);
    cn_import_parser_free(p);
    return rc;
}

static void assert_str(cn_str_t s, const char *want)
{
    if (!cn_str_eq_c(s, want))
        fail_msg("got '%.*s', want '%s'", (int)s.len, s.len ? s.ptr : "", want ? want : "(null)");
}

static cn_str_t header(const cn_rawhit_t *h, const char *name)
{
    return cn_rawhit_header(h, cn_str_c(name));
}

static const char *const combined_line =
    "203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] \"GET /p/red-mug?utm_source=news&x=1 "
    "HTTP/1.1\" 200 2326 \"https://www.google.com/search?q=mug\" \"Mozilla/5.0 (X11; Linux "
    "x86_64) Firefox/120.0\"";

static void combined_gives_every_field(void **state)
{
    (void)state;
    parsed_t *r = parse("combined", combined_line);
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->hit.proto, CN_PROTO_IMPORT_LOG);
    assert_true(r->hit.recv_us == T0 * 1000000);
    assert_str(r->hit.suite, "shop");
    assert_str(r->hit.ip, "203.0.113.9");
    assert_str(r->hit.method, "GET");
    assert_str(r->hit.path, "/p/red-mug");
    assert_str(r->hit.query, "utm_source=news&x=1");
    assert_str(r->hit.ua, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0");
    assert_str(r->hit.headers,
               "referer: https://www.google.com/search?q=mug\n"
               "x-canton-status: 200\nx-canton-bytes: 2326\nx-canton-user: alice\n");
    assert_int_equal(r->info.status, 200);
    assert_true(r->info.is_page);
    assert_int_equal(r->hit.body.len, 0);
    done(r);
}

static void combined_round_trips_through_the_record(void **state)
{
    (void)state;
    parsed_t *r = parse("combined", combined_line);
    assert_int_equal(r->rc, 0);
    cn_buf_t b = CN_BUF_INIT;
    cn_rawhit_encode(&r->hit, &b);
    cn_rawhit_t h;
    assert_int_equal(cn_rawhit_decode(b.ptr, b.len, &h), 0);
    assert_str(h.path, "/p/red-mug");
    assert_str(header(&h, "x-canton-status"), "200");
    assert_str(header(&h, "referer"), "https://www.google.com/search?q=mug");
    cn_buf_dispose(&b);
    done(r);
}

static void dashes_are_absent_values(void **state)
{
    (void)state;
    parsed_t *r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" "
                                    "304 - \"-\" \"-\"");
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->hit.ua.len, 0);
    assert_str(r->hit.headers, "x-canton-status: 304\nx-canton-bytes: 0\n");
    assert_true(r->info.is_page);
    done(r);
}

static void common_and_extra_trailing_fields(void **state)
{
    (void)state;
    parsed_t *r =
        parse("common", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a.css HTTP/1.1\" "
                        "200 10");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/a.css");
    assert_false(r->info.is_page); /* static asset */
    done(r);
    /* combined with a trailing "$http_x_forwarded_for" (nginx's default 'main') */
    char line[1024];
    snprintf(line, sizeof(line), "%s \"198.51.100.1\"", combined_line);
    r = parse("combined", line);
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.ua, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0");
    done(r);
}

static void vhost_combined(void **state)
{
    (void)state;
    parsed_t *r =
        parse("vhost_combined", "shop.example:443 203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "
                                "\"POST /cart HTTP/2.0\" 404 12 \"-\" \"curl/8.0\"");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.method, "POST");
    assert_str(header(&r->hit, "host"), "shop.example");
    assert_int_equal(r->info.status, 404);
    assert_false(r->info.is_page); /* 4xx */
    done(r);
}

static void ipv6_addresses(void **state)
{
    (void)state;
    const char *ips[] = {"2001:db8::1", "::1", "fe80::1%eth0", "::ffff:192.0.2.1"};
    for (size_t i = 0; i < 4; i++) {
        char line[512];
        snprintf(line, sizeof(line),
                 "%s - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 "
                 "\"-\" \"ua\"",
                 ips[i]);
        parsed_t *r = parse("combined", line);
        assert_int_equal(r->rc, 0);
        assert_str(r->hit.ip, ips[i]);
        done(r);
    }
    parsed_t *r = parse("nginx:[$remote_addr] $time_iso8601 \"$request\"",
                        "[2001:db8::2] 2000-10-10T20:55:36Z \"GET / HTTP/1.1\"");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.ip, "2001:db8::2");
    done(r);
    r = parse("combined", "2001:db8::zz - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 "
                          "\"-\" \"ua\"");
    assert_int_equal(r->rc, CN_EPARSE);
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_IP);
    assert_int_equal(r->info.column, 0);
    done(r);
}

static void bad_timestamps(void **state)
{
    (void)state;
    parsed_t *r = parse("combined", "10.0.0.1 - - [10/Oct/2000:25:55:36 -0700] \"GET / HTTP/1.1\" "
                                    "200 1 \"-\" \"ua\"");
    assert_int_equal(r->rc, CN_EPARSE);
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_TIMESTAMP);
    assert_int_equal(r->info.column, 14);
    done(r);
    r = parse("combined", "10.0.0.1 - - [yesterday] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"");
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_TIMESTAMP);
    done(r);
}

static void truncated_lines(void **state)
{
    (void)state;
    const char *cuts[] = {
        "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozi",
        "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HT",
        "10.0.0.1 - - [10/Oct/2000:13:5",
        "10.0.0.1",
    };
    for (size_t i = 0; i < 4; i++) {
        parsed_t *r = parse("combined", cuts[i]);
        assert_int_equal(r->rc, CN_EPARSE);
        assert_int_equal(r->info.bad, CN_IMPORT_BAD_TRUNCATED);
        done(r);
    }
}

/* Lines ending in CR alone (classic Mac OS) are not split: the text after a CR that follows
 * the last field is a bad line, not ignored as other text there is (the lines after it would
 * be lost without a word). A CRLF line end, or a CR inside a quoted field, is no such line. */
static void carriage_return_after_the_last_field_is_a_bad_line(void **state)
{
    (void)state;
    parsed_t *r =
        parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 "
                          "1 \"-\" \"ua\"\r10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] "
                          "\"GET /b HTTP/1.1\" 200 1 \"-\" \"ua\"");
    assert_int_equal(r->rc, CN_EPARSE);
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_LINE_END);
    assert_int_equal(r->info.column, 74); /* at the CR */
    assert_string_equal(cn_import_bad_name(r->info.bad), "cr-line-end");
    done(r);
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 "
                          "1 \"-\" \"ua\" extra text\r"); /* CRLF, less the LF */
    assert_int_equal(r->rc, 0);
    done(r);
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 "
                          "1 \"-\" \"u\ra\"");
    assert_int_equal(r->rc, 0);
    assert_true(cn_str_eq_c(r->hit.ua, "u a"));
    done(r);
}

static void no_match_and_bad_fields(void **state)
{
    (void)state;
    parsed_t *r = parse("combined", "this is not a log line at all");
    assert_int_equal(r->rc, CN_EPARSE);
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_NO_MATCH);
    done(r);
    r = parse("common", "localhost - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1");
    assert_int_equal(r->rc, CN_EPARSE);
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_IP);
    done(r);
    r = parse("combined", "10.0.0.1 - - 10/Oct/2000:13:55:36 -0700 \"GET / HTTP/1.1\" 200 1");
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_NO_MATCH);
    done(r);
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 20x 1 "
                          "\"-\" \"ua\"");
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_STATUS);
    done(r);
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1k "
                          "\"-\" \"ua\"");
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_NUMBER);
    done(r);
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"\\x16\\x03\\x01\" 400 0 "
                          "\"-\" \"-\"");
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_REQUEST);
    done(r);
}

static void crlf_blank_and_comments(void **state)
{
    (void)state;
    char line[1024];
    snprintf(line, sizeof(line), "%s\r", combined_line);
    parsed_t *r = parse("combined", line);
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.ua, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0");
    done(r);
    r = parse("combined", "   \r");
    assert_int_equal(r->rc, CN_IMPORT_SKIPPED);
    done(r);
    r = parse("combined", "#Fields: date time");
    assert_int_equal(r->rc, CN_IMPORT_SKIPPED);
    done(r);
}

static void very_long_lines(void **state)
{
    (void)state;
    size_t n = 200000;
    char *line = malloc(n + 512);
    int k = snprintf(line, 512, "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /?q=");
    memset(line + k, 'a', n);
    snprintf(line + k + n, 512, " HTTP/1.1\" 200 1 \"-\" \"ua\"");
    parsed_t *r = parse("combined", line);
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->hit.query.len, n + 2);
    done(r);
    free(line);
    /* over the limit */
    line = malloc(CN_IMPORT_MAX_LINE + 2);
    memset(line, 'x', CN_IMPORT_MAX_LINE + 1);
    line[CN_IMPORT_MAX_LINE + 1] = '\0';
    r = parse("combined", line);
    assert_int_equal(r->rc, CN_EPARSE);
    assert_int_equal(r->info.bad, CN_IMPORT_BAD_TOO_LONG);
    done(r);
    free(line);
}

static void escaped_quotes_in_fields(void **state)
{
    (void)state;
    /* Apache writes \" and \\; nginx writes \x22 */
    parsed_t *r =
        parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\\\"b HTTP/1.1\" "
                          "200 1 \"https://r.example/?a=\\\"q\\\"\" \"UA \\\"quoted\\\" \\\\ "
                          "x\\x22y\"");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/a\"b");
    assert_str(r->hit.ua, "UA \"quoted\" \\ x\"y");
    assert_str(header(&r->hit, "referer"), "https://r.example/?a=\"q\"");
    done(r);
    /* control bytes stay escaped in headers, so headers keep one line each */
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 "
                          "\"a\\x0ab\" \"u\"");
    assert_int_equal(r->rc, 0);
    assert_str(header(&r->hit, "referer"), "a\\x0ab");
    done(r);
    /* the user agent holds none, raw or escaped: spaces, as in rows; other fields keep
     * raw ones as rows keep them */
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\tb?x=\x01 "
                          "HTTP/1.1\" 200 1 \"r\tx\" \"Moz\tilla\\x0a/5\x7f\\x01\"");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.ua, "Moz illa /5  ");
    assert_str(r->hit.path, "/a\tb");
    assert_str(r->hit.query, "x=\x01");
    assert_str(header(&r->hit, "referer"), "r\tx");
    done(r);
    /* an address with a NUL in it is a bad address (inet_pton would stop at the NUL) */
    const char nul_ip[] = "10.0.0.1\0 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 "
                          "\"-\" \"u\"";
    parsed_t *q = calloc(1, sizeof(*q));
    cn_import_opts_t o = {.format = "combined", .suite = "shop"};
    assert_int_equal(cn_import_parser_new(&o, &q->p, NULL), 0);
    cn_import_ctx_init(&q->ctx);
    q->rc =
        cn_import_parse_line(q->p, &q->ctx, cn_str(nul_ip, sizeof(nul_ip) - 1), &q->hit, &q->info);
    assert_int_equal(q->rc, CN_EPARSE);
    assert_int_equal(q->info.bad, CN_IMPORT_BAD_IP);
    done(q);
}

static void nginx_pasted_directive(void **state)
{
    (void)state;
    const char *conf = "log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n"
                       "                  '$status $body_bytes_sent \"$http_referer\" '\n"
                       "                  '\"$http_user_agent\" \"$http_x_forwarded_for\"';";
    char fmt[1024];
    snprintf(fmt, sizeof(fmt), "nginx:%s", conf);
    char line[1024];
    snprintf(line, sizeof(line), "%s \"198.51.100.7, 10.0.0.2\"", combined_line);
    /* remote_user is "alice" in combined_line and " - " is literal here */
    parsed_t *r = parse(fmt, line);
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/p/red-mug");
    assert_str(header(&r->hit, "x-forwarded-for"), "198.51.100.7, 10.0.0.2");
    done(r);
}

static void nginx_escape_param_and_double_quotes(void **state)
{
    (void)state;
    parsed_t *r =
        parse("nginx:log_format json escape=json \"{\\\"ip\\\":\\\"$remote_addr\\\","
              "\\\"t\\\":\\\"$time_iso8601\\\",\\\"u\\\":\\\"${request_uri}\\\"}\";",
              "{\"ip\":\"10.1.2.3\",\"t\":\"2000-10-10T13:55:36-07:00\",\"u\":\"/x?y=1\"}");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.ip, "10.1.2.3");
    assert_true(r->hit.recv_us == T0 * 1000000);
    assert_str(r->hit.path, "/x");
    assert_str(r->hit.query, "y=1");
    done(r);
}

static void nginx_variables(void **state)
{
    (void)state;
    parsed_t *r = parse("nginx:$msec $host $request_method $uri $args $server_protocol $status "
                        "$bytes_sent $request_time \"$http_accept_language\" $cookie_uid "
                        "$cookie_sess \"$sent_http_content_type\" $upstream_addr",
                        "971211336.500 shop.example GET /search q=mug HTTP/1.1 200 512 0.042 "
                        "\"en-US,en;q=0.9\" u123 - \"text/html; charset=utf-8\" 10.0.0.9:8080");
    assert_int_equal(r->rc, 0);
    assert_true(r->hit.recv_us == T0 * 1000000 + 500000);
    assert_str(r->hit.method, "GET");
    assert_str(r->hit.path, "/search");
    assert_str(r->hit.query, "q=mug");
    assert_str(r->hit.headers,
               "host: shop.example\nx-canton-status: 200\nx-canton-bytes: 512\n"
               "x-canton-request-time-us: 42000\nx-canton-content-type: text/html; charset=utf-8\n"
               "accept-language: en-US,en;q=0.9\ncookie: uid=u123\n");
    assert_true(r->info.is_page);
    done(r);
    r = parse(
        "nginx:$remote_addr [$time_local] \"$request\" $status \"$sent_http_content_type\"",
        "10.0.0.1 [10/Oct/2000:13:55:36 -0700] \"GET /api/x HTTP/1.1\" 200 \"application/json\"");
    assert_int_equal(r->rc, 0);
    assert_false(r->info.is_page); /* not HTML */
    done(r);
}

static void nginx_request_uri_and_args(void **state)
{
    (void)state;
    parsed_t *r = parse("nginx:$time_iso8601 $request_uri", "2000-10-10T20:55:36Z /a/b?c=d");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/a/b");
    assert_str(r->hit.query, "c=d");
    assert_str(r->hit.method, "GET");
    assert_int_equal(r->hit.ip.len, 0);
    done(r);
}

static void nginx_compile_errors(void **state)
{
    (void)state;
    cn_err_t err = {0};
    assert_int_equal(compile_err("nginx:'$remote_addr [$time_local]", &err), CN_EPARSE);
    assert_non_null(strstr(err.msg, "unterminated"));
    assert_int_equal(compile_err("nginx:$remote_addr $status", &err), CN_EPARSE);
    assert_non_null(strstr(err.msg, "no request time"));
    assert_int_equal(compile_err("nginx:$time_local $status", &err), CN_EPARSE);
    assert_non_null(strstr(err.msg, "no request URL"));
    assert_int_equal(compile_err("nginx:${time_local", &err), CN_EPARSE);
    assert_int_equal(compile_err("nginx:'$time_local' '$request' junk", &err), CN_EPARSE);
    assert_int_equal(compile_err("apache", &err), CN_EINVAL);
    assert_int_equal(compile_err("nginx:", &err), CN_EPARSE);
}

static void goaccess_presets_and_pasted_lines(void **state)
{
    (void)state;
    const char *fmts[] = {
        "goaccess:COMBINED",
        "goaccess:%h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\"",
        "goaccess:log-format %h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\"",
        "goaccess:--log-format='%h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\"'",
        "goaccess:\"%h %^[%d:%t %^] \\\"%r\\\" %s %b \\\"%R\\\" \\\"%u\\\"\"",
    };
    for (size_t i = 0; i < 5; i++) {
        parsed_t *r = parse(fmts[i], combined_line);
        if (r->rc != 0)
            fail_msg("format %zu: rc %d bad %d col %zu", i, r->rc, r->info.bad, r->info.column);
        /* GoAccess ignores the zone in %^: the clock time is taken as UTC */
        assert_true(r->hit.recv_us == (T0 - 7 * 3600) * 1000000);
        assert_str(r->hit.ip, "203.0.113.9");
        assert_str(r->hit.query, "utm_source=news&x=1");
        assert_str(header(&r->hit, "referer"), "https://www.google.com/search?q=mug");
        done(r);
    }
}

static void goaccess_specifiers(void **state)
{
    (void)state;
    cn_import_opts_t o = {.format =
                              "goaccess:%x\\t%h\\t%v\\t%m\\t%U\\t%q\\t%H\\t%s\\t%b\\t%T\\t%D\\t"
                              "%L\\t%R\\t%u\\t%e\\t%C\\t%M",
                          .date_format = "%Y-%m-%d",
                          .time_format = "%H:%M:%S"};
    parsed_t *r =
        parse_opts(&o, "2000-10-10T20:55:36\t::1\tshop.example\tHEAD\t/x.png\ta=1\t"
                       "HTTP/2\t301\t0\t1.5\t1500000\t1500\t-\tbot/1.0\tbob\tHIT\timage/png");
    assert_int_equal(r->rc, 0);
    assert_true(r->hit.recv_us == T0 * 1000000);
    assert_str(r->hit.ip, "::1");
    assert_str(r->hit.method, "HEAD");
    assert_str(r->hit.path, "/x.png");
    assert_str(r->hit.query, "a=1");
    assert_str(r->hit.ua, "bot/1.0");
    assert_str(r->hit.headers,
               "host: shop.example\nx-canton-status: 301\nx-canton-bytes: 0\n"
               "x-canton-request-time-us: 1500000\nx-canton-content-type: image/png\n"
               "x-canton-user: bob\n");
    assert_false(r->info.is_page);
    done(r);
}

static void goaccess_epoch_and_xff_list(void **state)
{
    (void)state;
    cn_import_opts_t o = {
        .format = "goaccess:~h{, } %x \"%r\" %s %~%b", .date_format = "%s", .time_format = "%s"};
    parsed_t *r = parse_opts(&o, "198.51.100.4, 10.0.0.1 971211336 \"GET / HTTP/1.1\" 200    77");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.ip, "198.51.100.4");
    assert_true(r->hit.recv_us == T0 * 1000000);
    assert_str(header(&r->hit, "x-canton-bytes"), "77");
    done(r);
}

static void goaccess_compile_errors(void **state)
{
    (void)state;
    cn_err_t err = {0};
    assert_int_equal(compile_err("goaccess:%h %Z %r %d %t", &err), CN_EPARSE);
    assert_non_null(strstr(err.msg, "%Z"));
    assert_int_equal(compile_err("goaccess:%h %r %", &err), CN_EPARSE);
    assert_int_equal(compile_err("goaccess:~h{ %d %t %r", &err), CN_EPARSE);
    assert_int_equal(compile_err("goaccess:%h %r", &err), CN_EPARSE);
}

static void absolute_form_request_lines(void **state)
{
    (void)state;
    /* a proxy's log: the path and query, and the host when none is logged */
    parsed_t *r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET "
                                    "http://user:pw@Shop.example:8080/p/mug.css?v=2 HTTP/1.1\" "
                                    "200 1 \"-\" \"u\"");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/p/mug.css");
    assert_str(r->hit.query, "v=2");
    assert_str(header(&r->hit, "host"), "Shop.example:8080");
    assert_false(r->info.is_page); /* the static rule sees the path */
    done(r);
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET HTTPS://a.example?x=1 "
                          "HTTP/1.1\" 200 1 \"-\" \"u\"");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/");
    assert_str(r->hit.query, "x=1");
    assert_str(header(&r->hit, "host"), "a.example");
    assert_true(r->info.is_page);
    done(r);
    /* a logged host wins; $request_uri in absolute form too */
    r = parse("nginx:$remote_addr [$time_local] \"$request_uri\" $host",
              "10.0.0.1 [10/Oct/2000:13:55:36 -0700] \"http://b.example/q\" a.example");
    assert_int_equal(r->rc, 0);
    assert_str(r->hit.path, "/q");
    assert_str(header(&r->hit, "host"), "a.example");
    done(r);
    /* other targets stay as they are */
    r = parse("combined", "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /http://x/ HTTP/1.1\" "
                          "200 1 \"-\" \"u\"");
    assert_str(r->hit.path, "/http://x/");
    assert_int_equal(header(&r->hit, "host").len, 0);
    done(r);
}

static void methods_that_fetch_no_page(void **state)
{
    (void)state;
    /* the summary's page views count GET and POST only (hit/pagerule.h) */
    static const struct {
        const char *request;
        bool is_page;
    } cases[] = {
        {"GET /a HTTP/1.1", true},
        {"POST /login HTTP/1.1", true},
        {"HEAD /a HTTP/1.1", false},
        {"OPTIONS /api/cart HTTP/1.1", false},
        {"OPTIONS * HTTP/1.1", false},
        {"PUT /api/cart/1 HTTP/1.1", false},
        {"DELETE /api/cart/1 HTTP/1.1", false},
        {"PATCH /api/profile HTTP/2.0", false},
        {"CONNECT shop.example:443 HTTP/1.1", false},
        {"TRACE / HTTP/1.1", false},
        {"PROPFIND /dav/ HTTP/1.1", false},
        {"VERSION-CONTROL /dav/a HTTP/1.1", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line),
                 "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"%s\" 200 1 \"-\" \"u\"",
                 cases[i].request);
        parsed_t *r = parse("combined", line);
        assert_int_equal(r->rc, 0);
        assert_int_equal(r->info.is_page, cases[i].is_page);
        done(r);
    }
}

static void static_paths(void **state)
{
    (void)state;
    assert_true(cn_hit_static_path(cn_str_c("/a/b.CSS"), NULL));
    assert_true(cn_hit_static_path(cn_str_c("/img/x.webp"), NULL));
    assert_false(cn_hit_static_path(cn_str_c("/a.b/page"), NULL));
    assert_false(cn_hit_static_path(cn_str_c("/p/mug.html"), NULL));
    assert_false(cn_hit_static_path(cn_str_c("/"), NULL));
    assert_false(cn_hit_static_path(cn_str_c(""), NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(combined_gives_every_field),
        cmocka_unit_test(combined_round_trips_through_the_record),
        cmocka_unit_test(dashes_are_absent_values),
        cmocka_unit_test(common_and_extra_trailing_fields),
        cmocka_unit_test(vhost_combined),
        cmocka_unit_test(ipv6_addresses),
        cmocka_unit_test(bad_timestamps),
        cmocka_unit_test(truncated_lines),
        cmocka_unit_test(no_match_and_bad_fields),
        cmocka_unit_test(carriage_return_after_the_last_field_is_a_bad_line),
        cmocka_unit_test(crlf_blank_and_comments),
        cmocka_unit_test(very_long_lines),
        cmocka_unit_test(escaped_quotes_in_fields),
        cmocka_unit_test(nginx_pasted_directive),
        cmocka_unit_test(nginx_escape_param_and_double_quotes),
        cmocka_unit_test(nginx_variables),
        cmocka_unit_test(nginx_request_uri_and_args),
        cmocka_unit_test(nginx_compile_errors),
        cmocka_unit_test(goaccess_presets_and_pasted_lines),
        cmocka_unit_test(goaccess_specifiers),
        cmocka_unit_test(goaccess_epoch_and_xff_list),
        cmocka_unit_test(goaccess_compile_errors),
        cmocka_unit_test(absolute_form_request_lines),
        cmocka_unit_test(methods_that_fetch_no_page),
        cmocka_unit_test(static_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
