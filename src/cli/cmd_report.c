/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton report` and `canton token`: reports from the command line, over
 * the same query engine and request parameters as GET /api/v1/report, read
 * from the store on disk (read-only: it works while `canton serve` runs).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "query/query.h"

static void report_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: canton report [--suite S] [options]\n"
        "\n"
        "Runs a report on a suite's store and prints it: the parameters and defaults of\n"
        "GET /api/v1/report, as options (docs/api.md lists every dimension and metric;\n"
        "`canton report --catalog` prints them). Without --dimension or --granularity,\n"
        "the one row of totals (zeros when nothing matches).\n"
        "\n"
        "Options:\n"
        "  --suite S            the report suite (default: the only one configured)\n"
        "  --config FILE        configuration (default: built-in demo suite)\n"
        "  --data DIR           data folder (default: the config's, else ./data)\n"
        "  --dimension D[,D2]   break down by one or two dimensions (page, country...);\n"
        "                       --dimensions is the same\n"
        "  --metrics M,...      metrics (default: pageviews,visits,visitors)\n"
        "  --range PRESET       today, yesterday, last_7_days, last_30_days, last_90_days,\n"
        "                       month_to_date, last_month, year_to_date, last_year,\n"
        "                       last_12_months; not with --from or --to\n"
        "  --from YYYY-MM-DD    first day, in the suite's time zone (default: 29 days\n"
        "                       before --to: 30 days in all)\n"
        "  --to YYYY-MM-DD      last day (default: today, or --from if that is later)\n"
        "  --granularity G      a trend: hour, day, week or month\n"
        "  --segment TEXT       e.g. 'visit(channel = \"Natural Search\" and country = \"US\")'\n"
        "  --compare C          previous-period, previous-year or previous-bucket (a\n"
        "                       trend's buckets, each against the one before)\n"
        "  --sort S[:asc|:desc] a metric, or key (time in a trend), up or down\n"
        "                       (default: the first metric, descending; trends by time)\n"
        "  --limit N            rows (default 100, as the API; 0: all)\n"
        "  --offset N           rows to skip first, for paging (default 0)\n"
        "  --calc NAME=FORMULA  a calculated metric, e.g. rpv=revenue/visits, listed in\n"
        "                       --metrics (a --calc not listed there is an error)\n"
        "  --bots               include bot traffic (default: left out)\n"
        "  --empty yes|no       no: leave out the row whose key is empty, (none)\n"
        "                       (default yes: keep it; also 1/0, true/false)\n"
        "  --format F           table (default), csv, tsv or json; json, csv and tsv write\n"
        "                       the API's numbers, money to 4 decimals (docs/api.md,\n"
        "                       \"Numbers\"), and the table pads money to 4 decimals\n"
        "                       and lines columns up by display width (a CJK\n"
        "                       character takes 2 columns)\n"
        "  --catalog            print the dimensions and metrics (JSON, as GET\n"
        "                       /api/v1/catalog: \"multi\" marks the dimensions with\n"
        "                       several values per hit, \"paths\" those paths follow)\n"
        "                       and exit; with --suite, also the events the suite\n"
        "                       defines (eventN = name=...; type=currency), with their\n"
        "                       names and types (a currency event is money); it takes\n"
        "                       only --suite, --config and --data\n");
}

/* The long name of option c (the first one: --dimension for --dimensions too), or NULL. */
static const char *option_name(const struct option *opts, int c)
{
    for (size_t i = 0; opts[i].name != NULL; i++) {
        if (opts[i].val == c)
            return opts[i].name;
    }
    return NULL;
}

static void add_param(cn_buf_t *q, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    if (q->len)
        cn_buf_putc(q, '&');
    cn_buf_append_c(q, name);
    cn_buf_putc(q, '=');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == ',')
            cn_buf_putc(q, (char)*p);
        else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            cn_buf_append(q, e, 3);
        }
    }
}

/* A label in CSV (RFC 4180: quoted when it holds a comma, a quote or a line end, CR included)
 * or TSV (tabs and line ends become spaces: TSV has no quoting, one row is one line). */
static void print_cell(cn_str_t s, char sep)
{
    if (sep == ',') {
        bool quote = memchr(s.ptr, ',', s.len) || memchr(s.ptr, '"', s.len) ||
                     memchr(s.ptr, '\n', s.len) || memchr(s.ptr, '\r', s.len);
        if (!quote) {
            fwrite(s.ptr, 1, s.len, stdout);
            return;
        }
        putchar('"');
        for (size_t i = 0; i < s.len; i++) {
            if (s.ptr[i] == '"')
                putchar('"');
            putchar(s.ptr[i]);
        }
        putchar('"');
        return;
    }
    for (size_t i = 0; i < s.len; i++)
        putchar(s.ptr[i] == '\t' || s.ptr[i] == '\n' || s.ptr[i] == '\r' ? ' ' : s.ptr[i]);
}

/* A label in a table cell: control bytes (tabs, line ends, escapes) become spaces, so that a
 * row stays one line and a label cannot drive the terminal. */
static void append_label(cn_buf_t *b, cn_str_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        cn_buf_putc(b, ch < 0x20 || ch == 0x7f ? ' ' : (char)ch);
    }
}

/* Labels longer than this many display columns are cut, with "…". */
#define TABLE_MAX_COLS 60

/* The table: a header, the rows, then the totals. Without a dimension the one row is the
 * totals, printed once (header, a line, the totals), whether anything matched or not. */
static void print_table(const cn_report_t *r, bool with_cmp)
{
    size_t ncols = r->key_count + r->metric_count * (with_cmp ? 2 : 1);
    size_t row_count = r->key_count == 0 ? 0 : r->row_count;
    size_t nrows = row_count + 2; /* header, rows, total */
    cn_buf_t *cells = cn_xcalloc(ncols * nrows, sizeof(cn_buf_t));
    size_t *w = cn_xcalloc(ncols, sizeof(size_t));
    for (size_t c = 0; c < r->key_count; c++)
        cn_buf_append_c(&cells[c], r->key_names[c]);
    for (size_t m = 0; m < r->metric_count; m++) {
        cn_buf_append_c(&cells[r->key_count + m * (with_cmp ? 2 : 1)], r->metric_names[m]);
        if (with_cmp)
            cn_buf_append_c(&cells[r->key_count + m * 2 + 1], "change");
    }
    for (size_t i = 0; i <= row_count; i++) {
        bool total = i == row_count;
        const double *v = total ? r->totals : r->rows[i].values;
        const double *cv = total ? r->compare_totals : r->rows[i].compare;
        cn_buf_t *row = cells + (i + 1) * ncols;
        for (size_t c = 0; c < r->key_count; c++) {
            if (total)
                cn_buf_append_c(&row[c], c == 0 ? "Total" : "");
            else if (r->rows[i].keys[c].len == 0)
                cn_buf_append_c(&row[c], "(none)");
            else
                append_label(&row[c], r->rows[i].keys[c]);
        }
        for (size_t m = 0; m < r->metric_count; m++) {
            size_t c = r->key_count + m * (with_cmp ? 2 : 1);
            cn_metric_format(r, m, v[m], &row[c]);
            if (with_cmp) {
                if (cv == NULL || cv[m] == 0)
                    cn_buf_append_c(&row[c + 1], "-");
                else /* the API's growth: over the compared value's magnitude */
                    cn_buf_printf(&row[c + 1], "%+.1f%%", (v[m] - cv[m]) / fabs(cv[m]) * 100);
            }
        }
    }
    /* Widths are display columns (cn_str_width): 你好 takes 4, as a terminal shows it. */
    for (size_t i = 0; i < nrows * ncols; i++) {
        size_t ww = cn_str_width(cn_buf_str(&cells[i]));
        if (ww > TABLE_MAX_COLS)
            ww = TABLE_MAX_COLS;
        if (ww > w[i % ncols])
            w[i % ncols] = ww;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (i == 1 || (i == nrows - 1 && nrows > 2)) {
            for (size_t c = 0; c < ncols; c++) {
                for (size_t k = 0; k < w[c] + (c ? 2 : 0); k++)
                    putchar('-');
            }
            putchar('\n');
        }
        for (size_t c = 0; c < ncols; c++) {
            cn_str_t s = cn_buf_str(&cells[i * ncols + c]);
            size_t sw = cn_str_width(s);
            bool cut = sw > TABLE_MAX_COLS;
            if (cut) {
                /* cut long labels on a character boundary, "…" (1 column) after */
                s.len = cn_str_width_prefix(s, TABLE_MAX_COLS - 1, &sw);
                sw++;
            }
            bool right = c >= r->key_count;
            if (c)
                fputs("  ", stdout);
            if (right)
                for (size_t k = sw; k < w[c]; k++)
                    putchar(' ');
            fwrite(s.ptr, 1, s.len, stdout);
            if (cut)
                fputs("…", stdout);
            if (!right && c + 1 < ncols)
                for (size_t k = sw; k < w[c]; k++)
                    putchar(' ');
        }
        putchar('\n');
    }
    for (size_t i = 0; i < nrows * ncols; i++)
        cn_buf_dispose(&cells[i]);
    free(cells);
    free(w);
}

/* One line per row: the keys, then each metric (and its comparison). Without a
 * dimension there are no key columns (the first column is the first metric) and the one
 * line is the totals (the report's one row; zeros when nothing matched). */
static void print_sv(const cn_report_t *r, char sep)
{
    cn_buf_t num = CN_BUF_INIT;
    size_t col = 0;
    for (size_t c = 0; c < r->key_count; c++, col++) {
        if (col)
            putchar(sep);
        fputs(r->key_names[c], stdout);
    }
    for (size_t m = 0; m < r->metric_count; m++) {
        if (col++)
            putchar(sep);
        fputs(r->metric_names[m], stdout);
        if (r->compare_totals)
            printf("%c%s_compare", sep, r->metric_names[m]);
    }
    putchar('\n');
    size_t row_count = r->key_count == 0 ? 1 : r->row_count;
    for (size_t i = 0; i < row_count; i++) {
        const double *values = r->key_count == 0 ? r->totals : r->rows[i].values;
        const double *compare = r->key_count == 0 ? r->compare_totals : r->rows[i].compare;
        col = 0;
        for (size_t c = 0; c < r->key_count; c++, col++) {
            if (col)
                putchar(sep);
            print_cell(r->rows[i].keys[c], sep);
        }
        for (size_t m = 0; m < r->metric_count; m++) {
            if (col++)
                putchar(sep);
            /* the numbers of the API's JSON, character for character */
            cn_buf_clear(&num);
            cn_metric_text(r, m, values[m], &num);
            if (r->compare_totals) {
                cn_buf_putc(&num, sep);
                cn_metric_text(r, m, compare[m], &num);
            }
            fwrite(num.ptr, 1, num.len, stdout);
        }
        putchar('\n');
    }
    cn_buf_dispose(&num);
}

/* Opens config and the suite's store read-only. cmd names the command in messages; on an
 * error nothing stays open (*conf is NULL). */
static int open_suite(const char *cmd, const char *config, const char *data, const char *suite,
                      cn_conf_t **conf, const cn_suite_conf_t **sc, cn_store_t **store,
                      const char **data_dir)
{
    cn_err_t err = {0};
    if ((*conf = cn_cli_conf(cmd, config)) == NULL)
        return CN_EXIT_FAIL;
    *data_dir = data ? data : (*conf)->data_dir;
    int rc = 0;
    if (suite == NULL) {
        if ((*conf)->suite_count != 1) {
            fprintf(stderr, "canton %s: which suite? use --suite\n", cmd);
            rc = CN_EXIT_USAGE;
        } else {
            *sc = &(*conf)->suites[0];
        }
    } else if ((*sc = cn_conf_suite(*conf, suite, strlen(suite))) == NULL) {
        fprintf(stderr, "canton %s: unknown suite '%s' (not in %s)\n", cmd, suite,
                config ? config : "the built-in configuration: use --config");
        rc = CN_EXIT_USAGE;
    }
    if (rc == 0 && store != NULL) {
        cn_store_opts_t opts;
        cn_store_opts_init(&opts);
        opts.read_only = true;
        if (cn_store_open(*data_dir, *sc, &opts, store, &err) != 0) {
            fprintf(stderr, "canton %s: %s\n", cmd, err.msg);
            rc = CN_EXIT_FAIL;
        }
    }
    if (rc != 0) {
        cn_conf_free(*conf);
        *conf = NULL;
    }
    return rc;
}

int cn_cmd_report(int argc, char **argv)
{
    enum {
        O_SUITE = 256,
        O_CONFIG,
        O_DATA,
        O_DIM,
        O_METRICS,
        O_RANGE,
        O_FROM,
        O_TO,
        O_GRAN,
        O_SEGMENT,
        O_COMPARE,
        O_SORT,
        O_LIMIT,
        O_OFFSET,
        O_EMPTY,
        O_CALC,
        O_BOTS,
        O_FORMAT,
        O_CATALOG
    };
    static const struct option opts[] = {
        {"suite", required_argument, NULL, O_SUITE},
        {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},
        {"dimension", required_argument, NULL, O_DIM},
        {"dimensions", required_argument, NULL, O_DIM},
        {"metrics", required_argument, NULL, O_METRICS},
        {"range", required_argument, NULL, O_RANGE},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"granularity", required_argument, NULL, O_GRAN},
        {"segment", required_argument, NULL, O_SEGMENT},
        {"compare", required_argument, NULL, O_COMPARE},
        {"sort", required_argument, NULL, O_SORT},
        {"limit", required_argument, NULL, O_LIMIT},
        {"offset", required_argument, NULL, O_OFFSET},
        {"empty", required_argument, NULL, O_EMPTY},
        {"calc", required_argument, NULL, O_CALC},
        {"bots", no_argument, NULL, O_BOTS},
        {"format", required_argument, NULL, O_FORMAT},
        {"catalog", no_argument, NULL, O_CATALOG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *suite = NULL, *config = NULL, *data = NULL, *format = "table";
    bool catalog = false;
    const char *other = NULL; /* the first option --catalog does not take */
    cn_buf_t q = CN_BUF_INIT;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("report", argc, argv, "h", opts)) != -1) {
        char name[64];
        if (other == NULL && c != O_SUITE && c != O_CONFIG && c != O_DATA && c != O_CATALOG)
            other = option_name(opts, c);
        switch (c) {
        case 'h':
            report_usage(stdout);
            cn_buf_dispose(&q);
            return CN_EXIT_OK;
        case O_SUITE:
            suite = optarg;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        case O_FORMAT:
            format = optarg;
            break;
        case O_CATALOG:
            catalog = true;
            break;
        case O_CALC: {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq - optarg > 40) {
                fprintf(stderr, "canton report: --calc wants NAME=FORMULA, not '%s'\n", optarg);
                goto usage_error;
            }
            snprintf(name, sizeof(name), "calc.%.*s", (int)(eq - optarg), optarg);
            add_param(&q, name, eq + 1);
            break;
        }
        case O_BOTS:
            add_param(&q, "bots", "1");
            break;
        case O_COMPARE: {
            char *v = cn_xstrdup(optarg);
            for (char *p = v; *p; p++)
                if (*p == '-')
                    *p = '_';
            add_param(&q, "compare", v);
            free(v);
            break;
        }
        default: {
            if (c < O_DIM || c > O_EMPTY) {
                report_usage(stderr);
                goto usage_error;
            }
            /* the API's parameters, checked by the API's parser (its messages name them) */
            static const char *const names[] = {"dimension", "metrics",     "range",   "from",
                                                "to",        "granularity", "segment", "compare",
                                                "sort",      "limit",       "offset",  "empty"};
            add_param(&q, names[c - O_DIM], optarg);
        }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton report: unexpected argument '%s'\n", argv[optind]);
        goto usage_error;
    }
    if (catalog && other != NULL) {
        fprintf(stderr,
                "canton report: --catalog takes only --suite, --config and --data, not --%s\n",
                other);
        goto usage_error;
    }
    if (catalog) {
        /* with --suite, its events too (names, money or not), as GET /api/v1/catalog?suite= */
        cn_conf_t *conf = NULL;
        const cn_suite_conf_t *sc = NULL;
        const char *data_dir;
        if (suite != NULL) {
            int rc = open_suite("report", config, data, suite, &conf, &sc, NULL, &data_dir);
            if (rc != 0) {
                cn_buf_dispose(&q);
                return rc;
            }
        }
        cn_buf_t b = CN_BUF_INIT;
        cn_catalog_to_json(sc, &b);
        puts(b.ptr);
        cn_buf_dispose(&b);
        cn_conf_free(conf);
        cn_buf_dispose(&q);
        return CN_EXIT_OK;
    }
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "tsv") &&
        strcmp(format, "json")) {
        fprintf(stderr, "canton report: --format is table, csv, tsv or json, not '%s'\n", format);
        goto usage_error;
    }
    cn_conf_t *conf;
    const cn_suite_conf_t *sc;
    cn_store_t *store;
    const char *data_dir;
    int rc = open_suite("report", config, data, suite, &conf, &sc, &store, &data_dir);
    if (rc != 0) {
        cn_buf_dispose(&q);
        return rc;
    }
    cn_report_req_t req;
    cn_report_req_init_suite(&req, sc);
    cn_err_t err = {0};
    cn_report_t *r = NULL;
    cn_store_snap_t *snap = NULL;
    int exit_code = CN_EXIT_OK, run_rc = 0;
    /* One report: the scan split over both cores, no cache to keep. */
    cn_query_ctx_t *ctx = cn_query_ctx_new(0, 2);
    if (cn_report_req_parse_params(&req, cn_buf_str(&q), store, cn_time_now_us(), &err) != 0) {
        fprintf(stderr, "canton report: %s\n", err.msg);
        exit_code = CN_EXIT_USAGE;
    } else if ((run_rc = cn_store_snapshot(store, &snap)) != 0 ||
               (run_rc = cn_report_run_ctx(ctx, store, snap, &req, &r, &err)) != 0) {
        fprintf(stderr, "canton report: %s\n", cn_err_msg(&err, run_rc));
        /* a request the API answers 400 (entries by list1...) is a usage error here too */
        exit_code = run_rc == CN_EINVAL || run_rc == CN_EPARSE || run_rc == CN_ETOOBIG
                        ? CN_EXIT_USAGE
                        : CN_EXIT_FAIL;
    } else {
        snprintf(req.suite, sizeof(req.suite), "%s", sc->id);
        if (strcmp(format, "json") == 0) {
            cn_buf_t b = CN_BUF_INIT;
            cn_report_to_json(r, &req, &b);
            puts(b.ptr);
            cn_buf_dispose(&b);
        } else if (strcmp(format, "table") == 0) {
            print_table(r, r->compare_totals != NULL);
            if (isatty(STDOUT_FILENO))
                printf("%zu of %zu rows%s, %.1f ms\n", r->row_count, r->total_rows,
                       req.offset > 0 ? " (after --offset)" : "", r->elapsed_ms);
        } else {
            print_sv(r, format[0] == 'c' ? ',' : '\t');
        }
    }
    cn_report_free(r);
    if (snap)
        cn_store_snap_release(snap);
    cn_query_ctx_free(ctx);
    cn_report_req_dispose(&req);
    cn_store_close(store);
    cn_conf_free(conf);
    cn_buf_dispose(&q);
    return exit_code;
usage_error:
    cn_buf_dispose(&q);
    return CN_EXIT_USAGE;
}

static void token_usage(FILE *f)
{
    fprintf(f, "Usage: canton token create [--suite S] [--config FILE] [--data DIR]\n\n"
               "Creates a bearer token for the reporting API of suite S (default: the\n"
               "only suite configured), keeps it in <data>/tokens and prints it.\n"
               "Restart `canton serve` to load it. Use it as\n"
               "`Authorization: Bearer <token>`. Once a suite has a token, its reports\n"
               "need one (docs/api.md, \"Access\").\n");
}

int cn_cmd_token(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        token_usage(stdout);
        return CN_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        if (argc < 2)
            fprintf(stderr, "canton token: missing subcommand (create)\n\n");
        else
            fprintf(stderr, "canton token: unknown subcommand '%s' (create)\n\n", argv[1]);
        token_usage(stderr);
        return CN_EXIT_USAGE;
    }
    enum { O_SUITE = 256, O_CONFIG, O_DATA };
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, O_SUITE},
        {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},
        {NULL, 0, NULL, 0},
    };
    const char *suite = NULL, *config = NULL, *data = NULL;
    /* the options after `create`: argv[1] is getopt's argv[0] */
    argc--;
    argv++;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("token", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_SUITE:
            suite = optarg;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        default:
            token_usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton token: unexpected argument '%s'\n\n", argv[optind]);
        token_usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_conf_t *conf;
    const cn_suite_conf_t *sc;
    const char *data_dir;
    int rc = open_suite("token", config, data, suite, &conf, &sc, NULL, &data_dir);
    if (rc != 0)
        return rc;
    char token[65];
    cn_err_t err = {0};
    if (cn_api_token_create(data_dir, sc->id, token, &err) != 0) {
        fprintf(stderr, "canton token: %s\n", err.msg);
        cn_conf_free(conf);
        return CN_EXIT_FAIL;
    }
    printf("%s\n", token);
    cn_conf_free(conf);
    return CN_EXIT_OK;
}
