/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton rates import FILE.csv`: checks a dated currency-rates table
 * (date,currency,rate; docs/processing.md) and installs it as
 * <data>/rates.csv, where processing reads it at start.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "process/process.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton rates import FILE.csv [--data DIR]\n\n"
               "Checks FILE.csv and installs it as DIR/rates.csv (default ./data). Lines are\n"
               "date,currency,rate: on that date one unit of currency is worth `rate` units of\n"
               "the base currency, named by a line \"# base=CNY\" (without it, the table is\n"
               "taken to be in each suite's own base currency). Processing converts revenue\n"
               "with the latest rate on or before the hit's day. Sample: docs/rates-sample.csv.\n\n"
               "Rules: date is a calendar day YYYY-MM-DD; currency and the base are 3\n"
               "upper-case letters (ISO 4217: USD, not usd); rate is a positive decimal like\n"
               "7.1234 (kept to 9 digits after the point). A line for the base itself must\n"
               "give 1. One rate per date and currency: a second, different rate is an error\n"
               "naming both lines (the same rate repeated is kept once). Blank lines, '#'\n"
               "comments and the header date,currency,rate are skipped; a file with no rate\n"
               "lines is refused. DIR/rates.csv is replaced (atomically) only when the whole\n"
               "file is valid; on an error it is left as it was, and the message names the\n"
               "file, the line and the field (date, currency, rate or base).\n"
               "Processing reads DIR/rates.csv with the same rules at start.\n");
}

int cn_cmd_rates(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    const char *data = "./data";
    if (argc < 2 || strcmp(argv[1], "import") != 0) {
        if (argc < 2)
            fprintf(stderr, "canton rates: missing subcommand (import)\n\n");
        else
            fprintf(stderr, "canton rates: unknown subcommand '%s' (import)\n\n", argv[1]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    /* the options after `import`: argv[1] is getopt's argv[0] */
    argc--;
    argv++;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("rates", argc, argv, "", longopts)) != -1) {
        if (c != 'd') {
            usage(stderr);
            return CN_EXIT_USAGE;
        }
        data = optarg;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "canton rates: unexpected argument '%s'\n\n", argv[optind + 1]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    if (optind == argc) {
        fprintf(stderr, "canton rates: give the FILE.csv to import\n\n");
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    const char *file = argv[optind];
    size_t n;
    cn_err_t err;
    cn_err_clear(&err);
    int rc = cn_process_rates_import(data, file, &n, &err);
    if (rc != 0) {
        /* the message names the file; nothing was installed */
        fprintf(stderr, "canton rates import: %s\n(%s/rates.csv left unchanged)\n",
                cn_err_msg(&err, rc), data);
        return CN_EXIT_FAIL;
    }
    printf("%zu rates imported into %s/rates.csv (processing reads them at start)\n", n, data);
    return CN_EXIT_OK;
}
