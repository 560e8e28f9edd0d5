/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton hitlog dump`: prints the raw hits in the hitlog, decoded with
 * cn_rawhit_decode(), one per line: a short human form, or with --json one
 * JSON object per line holding every field exactly (integration tests
 * compare captured requests byte for byte through it). Strings that are not
 * valid UTF-8 are given in base64 with "<field>_encoding":"base64".
 * Reads with a hitlog reader, so it works while `canton serve` writes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hit/rawhit.h"
#include "hitlog/hitlog.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton hitlog dump [--data DIR] [--from SEG:OFF] [--json] [--follow]\n\n"
               "Prints the raw hits in the hitlog (<DIR>/hitlog), oldest first.\n\n"
               "  --data DIR      data folder (default ./data)\n"
               "  --from SEG:OFF  start at this position (as printed), e.g. 1:16\n"
               "  --follow, -f    at the end, wait for new hits (until interrupted)\n"
               "  --json          one JSON object per line with every field: pos, segment,\n"
               "                  offset, suite, recv_us, time, ip, ua, proto, flags, method,\n"
               "                  path, query, headers, body. A string that is not valid UTF-8\n"
               "                  is base64, with \"<field>_encoding\":\"base64\".\n\n"
               "Human form: position, receive time, protocol, suite, IP, method, path?query,\n"
               "body length. Exit status 1 when the log is corrupt or cannot be read.\n");
}

/* True when s is valid UTF-8 (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
static bool is_utf8(cn_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0;
    while (i < s.len) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (s.len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

/* Appends s as standard base64 (RFC 4648, with padding), quotes included. */
static void append_base64(cn_buf_t *b, cn_str_t s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)s.ptr;
    cn_buf_reserve(b, (s.len + 2) / 3 * 4 + 2);
    cn_buf_putc(b, '"');
    size_t i = 0;
    for (; i + 3 <= s.len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char out[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
        cn_buf_append(b, out, 4);
    }
    if (s.len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char out[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};
        cn_buf_append(b, out, 4);
    } else if (s.len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char out[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '='};
        cn_buf_append(b, out, 4);
    }
    cn_buf_putc(b, '"');
}

/* Appends ,"name":"value" (or the base64 form and ,"name_encoding":"base64"). */
static void json_field(cn_buf_t *b, const char *name, cn_str_t v)
{
    cn_buf_printf(b, ",\"%s\":", name);
    if (is_utf8(v)) {
        cn_buf_append_json_str(b, v);
    } else {
        append_base64(b, v);
        cn_buf_printf(b, ",\"%s_encoding\":\"base64\"", name);
    }
}

/* Formats recv_us as ISO 8601 when it lies in years 1970-9999, else "-". */
static void fmt_time(int64_t us, char out[32])
{
    if (us >= 0 && us < INT64_C(253402300800000000))
        cn_time_fmt_iso(us, out);
    else
        strcpy(out, "-");
}

static void print_json(cn_buf_t *b, cn_hitlog_pos_t pos, const cn_rawhit_t *h)
{
    char iso[32];
    fmt_time(h->recv_us, iso);
    cn_buf_printf(
        b, "{\"pos\":\"%" PRIu32 ":%" PRIu64 "\",\"segment\":%" PRIu32 ",\"offset\":%" PRIu64,
        pos.segment, pos.offset, pos.segment, pos.offset);
    json_field(b, "suite", h->suite);
    cn_buf_printf(b, ",\"recv_us\":%" PRId64, h->recv_us);
    if (iso[0] == '-')
        cn_buf_append_c(b, ",\"time\":null");
    else
        cn_buf_printf(b, ",\"time\":\"%s\"", iso);
    json_field(b, "ip", h->ip);
    json_field(b, "ua", h->ua);
    /* the hit as received: CN_RAWHIT_UA_ELIDED is how the record keeps it */
    cn_buf_printf(b, ",\"proto\":\"%s\",\"flags\":%u", cn_proto_name(h->proto),
                  h->flags & ~CN_RAWHIT_UA_ELIDED);
    json_field(b, "method", h->method);
    json_field(b, "path", h->path);
    json_field(b, "query", h->query);
    cn_buf_t hd = CN_BUF_INIT;
    cn_rawhit_headers_text(h, &hd);
    json_field(b, "headers", cn_buf_str(&hd));
    cn_buf_dispose(&hd);
    json_field(b, "body", h->body);
    cn_buf_append_c(b, "}\n");
}

/* Appends s for a terminal: printable ASCII as is, anything else as \xNN. */
static void append_printable(cn_buf_t *b, cn_str_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            cn_buf_putc(b, (char)c);
        else
            cn_buf_printf(b, "\\x%02x", c);
    }
}

static void print_human(cn_buf_t *b, cn_hitlog_pos_t pos, const cn_rawhit_t *h)
{
    char iso[32];
    fmt_time(h->recv_us, iso);
    cn_buf_printf(b, "%" PRIu32 ":%" PRIu64 " %s %s ", pos.segment, pos.offset, iso,
                  cn_proto_name(h->proto));
    append_printable(b, h->suite.len ? h->suite : CN_STR_LIT("-"));
    cn_buf_putc(b, ' ');
    append_printable(b, h->ip.len ? h->ip : CN_STR_LIT("-"));
    cn_buf_putc(b, ' ');
    append_printable(b, h->method);
    cn_buf_putc(b, ' ');
    append_printable(b, h->path);
    if (h->query.len > 0) {
        cn_buf_putc(b, '?');
        append_printable(b, h->query);
    }
    cn_buf_printf(b, " body=%zu", h->body.len);
    if (h->flags & CN_RAWHIT_UNKNOWN_SUITE)
        cn_buf_append_c(b, " unknown-suite");
    if (h->flags & CN_RAWHIT_GZIP_BODY)
        cn_buf_append_c(b, " gzip");
    cn_buf_putc(b, '\n');
}

/* A record that is not a raw hit this canton can decode. */
static void print_undecodable(cn_buf_t *b, bool json, cn_hitlog_pos_t pos, const void *p,
                              size_t len, int rc)
{
    if (json) {
        cn_buf_printf(b,
                      "{\"pos\":\"%" PRIu32 ":%" PRIu64 "\",\"segment\":%" PRIu32
                      ",\"offset\":%" PRIu64 ",\"error\":\"%s\",\"record\":",
                      pos.segment, pos.offset, pos.segment, pos.offset, cn_errname(rc));
        append_base64(b, cn_str(p, len));
        cn_buf_append_c(b, ",\"record_encoding\":\"base64\"}\n");
    } else {
        cn_buf_printf(b, "%" PRIu32 ":%" PRIu64 " undecodable record of %zu bytes: %s\n",
                      pos.segment, pos.offset, len, cn_strerror(rc));
    }
}

static int parse_pos(const char *s, cn_hitlog_pos_t *out)
{
    char *end;
    errno = 0;
    unsigned long long seg = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != ':' || seg == 0 || seg > UINT32_MAX || s[0] == '-')
        return CN_EPARSE;
    const char *o = end + 1;
    unsigned long long off = strtoull(o, &end, 10);
    if (errno != 0 || end == o || *end != '\0' || o[0] == '-')
        return CN_EPARSE;
    out->segment = (uint32_t)seg;
    out->offset = off;
    return 0;
}

static int dump(int argc, char **argv)
{
    const char *data = "./data";
    cn_hitlog_pos_t from = {0, 0};
    bool json = false, follow = false;
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"from", required_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'j'},
        {"follow", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("hitlog dump", argc, argv, "f", longopts)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'F':
            if (parse_pos(optarg, &from) != 0) {
                fprintf(stderr, "canton hitlog dump: --from wants SEG:OFF, e.g. 1:16, not '%s'\n",
                        optarg);
                return CN_EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'f':
            follow = true;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton hitlog dump: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s/hitlog", data) >= (int)sizeof(dir)) {
        fprintf(stderr, "canton hitlog dump: --data path too long\n");
        return CN_EXIT_USAGE;
    }
    cn_hitlog_reader_t *r;
    cn_err_t err;
    int rc = cn_hitlog_reader_open(dir, from, &r, &err);
    if (rc < 0) {
        fprintf(stderr, "canton hitlog dump: %s\n", cn_err_msg(&err, rc));
        return CN_EXIT_FAIL;
    }
    cn_buf_t b = CN_BUF_INIT;
    const void *p;
    size_t len;
    cn_hitlog_pos_t pos;
    size_t records = 0;
    for (;;) {
        rc = cn_hitlog_reader_next(r, &p, &len, &pos, &err);
        if (rc == 0 && follow) {
            if (b.len > 0) {
                fwrite(b.ptr, 1, b.len, stdout);
                cn_buf_clear(&b);
            }
            if (fflush(stdout) != 0)
                break;
            usleep(100000);
            continue;
        }
        if (rc != 1)
            break;
        records++;
        cn_rawhit_t h;
        int drc = cn_rawhit_decode(p, len, &h);
        if (drc < 0)
            print_undecodable(&b, json, pos, p, len, drc);
        else if (json)
            print_json(&b, pos, &h);
        else
            print_human(&b, pos, &h);
        if (b.len >= 1 << 16) {
            fwrite(b.ptr, 1, b.len, stdout);
            cn_buf_clear(&b);
        }
    }
    if (b.len > 0)
        fwrite(b.ptr, 1, b.len, stdout);
    cn_buf_dispose(&b);
    cn_hitlog_reader_close(r);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "canton hitlog dump: write error: %s\n", strerror(errno));
        return CN_EXIT_FAIL;
    }
    if (rc < 0) {
        /* a --from in the middle of a record reads as a damaged frame right there */
        bool at_from = records == 0 && (from.segment != 0 || from.offset != 0);
        fprintf(stderr, "canton hitlog dump: %s%s\n", cn_err_msg(&err, rc),
                at_from ? " (is --from the start of a record? use a position dump printed, "
                          "e.g. 1:16)"
                        : "");
        return CN_EXIT_FAIL;
    }
    return CN_EXIT_OK;
}

int cn_cmd_hitlog(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "dump") == 0) {
        if (cn_cli_wants_help(argc - 1, argv + 1)) {
            usage(stdout);
            return CN_EXIT_OK;
        }
        return dump(argc - 1, argv + 1);
    }
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    fprintf(stderr, "canton hitlog: unknown or missing subcommand\n\n");
    usage(stderr);
    return CN_EXIT_USAGE;
}
