/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton bad-rows`: lists the bad rows that processing kept in
 * <data>/badrows/ (raw hits that could not be decoded or broke a rule), with
 * their reason, detail and hitlog position, optionally filtered by suite and
 * reason, as a table or as JSON lines (with the raw hit's request).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "hit/rawhit.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include "process/process.h"

typedef struct filter {
    const char *suite;
    unsigned reason;
    bool json;
    size_t shown, total;
    size_t by_reason[CN_BADROW__COUNT];
} filter_t;

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton bad-rows [--config FILE] [--data DIR] [--suite S] [--reason R]\n"
               "                       [--json]\n\n"
               "Lists the raw hits that processing could not turn into rows, oldest first,\n"
               "from DIR/badrows/badrows.log, then a count per reason.\n\n"
               "  --config FILE canton.conf: its [server] data and its suites (default:\n"
               "                the built-in demo suite)\n"
               "  --data DIR    data folder (default: the config's, else ./data)\n"
               "  --suite S     only bad rows of suite S (a hit naming several suites\n"
               "                matches each); a suite that is not configured is an\n"
               "                error unless the log has bad rows of it (unknown_suite)\n"
               "  --reason R    only this reason:");
    /* the reasons wrapped at 80 columns, under the option's text */
    size_t col = sizeof("  --reason R    only this reason:") - 1;
    for (unsigned i = 1; i < CN_BADROW__COUNT; i++) {
        const char *name = cn_badrow_reason_name(i);
        if (col + 1 + strlen(name) > 80) {
            fprintf(f, "\n               ");
            col = 15;
        }
        fprintf(f, " %s", name);
        col += 1 + strlen(name);
    }
    fprintf(f, "\n  --json        one JSON object per line (with the raw request)\n");
}

static bool suite_matches(cn_str_t list, const char *want)
{
    cn_str_t rest = list, id;
    while (rest.ptr != NULL) {
        rest = cn_str_split(rest, ',', &id);
        if (cn_str_eq_c(cn_str_trim(id), want))
            return true;
    }
    return false;
}

/* Counts the rows of suite *ud names (the first pass for a suite that is not configured). */
static int count_suite_row(void *ud, const cn_badrow_t *row)
{
    filter_t *f = ud;
    if (suite_matches(row->suite, f->suite))
        f->total++;
    return 0;
}

static int on_row(void *ud, const cn_badrow_t *row)
{
    filter_t *f = ud;
    f->total++;
    if (f->suite != NULL && !suite_matches(row->suite, f->suite))
        return 0;
    if (f->reason != 0 && row->reason != f->reason)
        return 0;
    f->shown++;
    if (row->reason < CN_BADROW__COUNT)
        f->by_reason[row->reason]++;
    char ts[32];
    cn_time_fmt_iso(row->recv_us, ts);
    if (!f->json) {
        printf("%-27s %-20s %-16.*s %u:%llu  %.*s\n", ts, cn_badrow_reason_name(row->reason),
               CN_STR_FMT(row->suite), row->pos.segment, (unsigned long long)row->pos.offset,
               CN_STR_FMT(row->detail));
        return 0;
    }
    cn_buf_t b = CN_BUF_INIT;
    cn_buf_printf(&b, "{\"ts\":\"%s\",\"reason\":\"%s\",\"suite\":", ts,
                  cn_badrow_reason_name(row->reason));
    cn_buf_append_json_str(&b, row->suite);
    cn_buf_append_c(&b, ",\"detail\":");
    cn_buf_append_json_str(&b, row->detail);
    cn_buf_printf(&b, ",\"pos\":\"%u:%llu\"", row->pos.segment,
                  (unsigned long long)row->pos.offset);
    cn_rawhit_t raw;
    if (cn_rawhit_decode(row->raw.ptr, row->raw.len, &raw) == 0) {
        cn_buf_printf(&b, ",\"proto\":\"%s\",\"method\":", cn_proto_name(raw.proto));
        cn_buf_append_json_str(&b, raw.method);
        cn_buf_append_c(&b, ",\"path\":");
        cn_buf_append_json_str(&b, raw.path);
        cn_buf_append_c(&b, ",\"query\":");
        cn_buf_append_json_str(&b, raw.query);
        cn_buf_append_c(&b, ",\"body\":");
        cn_buf_append_json_str(&b, raw.body);
    } else {
        cn_buf_printf(&b, ",\"raw_bytes\":%zu", row->raw.len);
    }
    cn_buf_append_c(&b, "}\n");
    fwrite(b.ptr, 1, b.len, stdout);
    cn_buf_dispose(&b);
    return 0;
}

int cn_cmd_bad_rows(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    const char *data = NULL, *config = NULL;
    filter_t f = {0};
    enum { O_DATA = 256, O_CONFIG, O_SUITE, O_REASON, O_JSON };
    static const struct option longopts[] = {
        {"data", required_argument, NULL, O_DATA},   {"config", required_argument, NULL, O_CONFIG},
        {"suite", required_argument, NULL, O_SUITE}, {"reason", required_argument, NULL, O_REASON},
        {"json", no_argument, NULL, O_JSON},         {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("bad-rows", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_DATA:
            data = optarg;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_SUITE:
            f.suite = optarg;
            break;
        case O_REASON:
            f.reason = cn_badrow_reason_parse(optarg);
            if (f.reason == 0) {
                fprintf(stderr, "canton bad-rows: unknown --reason '%s' (", optarg);
                for (unsigned i = 1; i < CN_BADROW__COUNT; i++)
                    fprintf(stderr, "%s%s", i > 1 ? ", " : "", cn_badrow_reason_name(i));
                fprintf(stderr, ")\n\n");
                usage(stderr);
                return CN_EXIT_USAGE;
            }
            break;
        case O_JSON:
            f.json = true;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton bad-rows: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_conf_t *conf = cn_cli_conf("bad-rows", config);
    if (conf == NULL)
        return CN_EXIT_FAIL;
    char *dir = cn_xstrdup(data ? data : config ? conf->data_dir : "./data");
    if (!cn_cli_data_dir_exists("bad-rows", dir)) {
        free(dir);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    cn_err_t err;
    cn_err_clear(&err);
    int rc = 0;
    /* a suite that is not configured is a mistake (a typo), unless the log has bad rows of
     * it: the hits of a suite not configured (unknown_suite) are kept under its name */
    if (f.suite != NULL && cn_conf_suite(conf, f.suite, strlen(f.suite)) == NULL) {
        filter_t count = {.suite = f.suite};
        rc = cn_badrows_read(dir, count_suite_row, &count, &err);
        if (rc == 0 && count.total == 0) {
            fprintf(stderr, "canton bad-rows: suite '%s' is not configured (", f.suite);
            if (conf->suite_count == 0)
                fprintf(stderr, "no suites");
            for (size_t i = 0; i < conf->suite_count; i++)
                fprintf(stderr, "%s%s", i ? ", " : "configured: ", conf->suites[i].id);
            fprintf(stderr, " in %s) and has no bad rows\n",
                    config ? config : "the built-in configuration: use --config");
            free(dir);
            cn_conf_free(conf);
            return CN_EXIT_USAGE;
        }
    }
    cn_conf_free(conf);
    if (rc == 0)
        rc = cn_badrows_read(dir, on_row, &f, &err);
    free(dir);
    if (!f.json) {
        printf("%zu bad rows shown (%zu in the log)", f.shown, f.total);
        for (unsigned i = 1; i < CN_BADROW__COUNT; i++) {
            if (f.by_reason[i])
                printf(", %s %zu", cn_badrow_reason_name(i), f.by_reason[i]);
        }
        printf("\n");
    }
    if (rc != 0) {
        fprintf(stderr, "canton bad-rows: %s\n", cn_err_msg(&err, rc));
        return CN_EXIT_FAIL;
    }
    return CN_EXIT_OK;
}
