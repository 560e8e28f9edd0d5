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
    const char *data = "./data", *file = NULL;
    if (argc < 2 || strcmp(argv[1], "import") != 0) {
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (file == NULL && argv[i][0] != '-') {
            file = argv[i];
        } else {
            static const char *const value_opts[] = {"--data", NULL};
            cn_cli_bad_arg("rates", argv[i], i + 1 == argc, value_opts);
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (file == NULL) {
        usage(stderr);
        return CN_EXIT_USAGE;
    }
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
