/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the exchange-rates CSV, both ways canton reads it: a file a
 * user hands `canton rates import` (cn_process_rates_import) and the
 * installed <data>/rates.csv processing loads (cn_rates_load). The input is
 * written to a file and given to both. Invariants: never a crash; an error
 * is CN_EPARSE (or the errno of a write) with a message naming the file;
 * import accepts exactly the files load accepts with at least one rate (the
 * import's install is made to fail, so no fsync runs in the loop: the data
 * folder is below a regular file); a loaded table converts amounts between
 * its currencies without a crash, keeping the amount's sign (a result
 * too big for 64 bits is CN_ETOOBIG, never wrapped).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process/internal.h"
#include "process/process.h"
#include "tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char data_dir[96];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile("rates");
    if (data_dir[0] == '\0') /* below a regular file: mkdir fails with ENOTDIR, after the parse */
        snprintf(data_dir, sizeof(data_dir), "%s/data", path);
    fuzz_write_file(path, data, size);

    cn_rates_t *r = NULL;
    cn_err_t err = {0};
    int rc = cn_rates_load(path, &r, &err);
    if (rc != 0 && (rc != CN_EPARSE || strncmp(err.msg, path, strlen(path)) != 0))
        abort();

    size_t count = 0;
    cn_err_t ierr = {0};
    int irc = cn_process_rates_import(data_dir, path, &count, &ierr);
    if (rc != 0) {
        /* the same refusal, the same words */
        if (irc != rc || strcmp(ierr.msg, err.msg) != 0)
            abort();
        return 0;
    }
    if (cn_rates_count(r) == 0) {
        if (irc != CN_EPARSE)
            abort();
    } else if (irc != -ENOTDIR || count != cn_rates_count(r)) {
        abort();
    }

    /* Every currency named in the input against every other, on a few days. */
    static const char *const codes[] = {"USD", "EUR", "CNY", "JPY", "GBP", "XXX"};
    const int64_t amounts[] = {0, 1, -1, 1234567, -99999999999, INT64_MAX / 4, INT64_MIN / 4};
    const int64_t days[] = {0, 20000, 20422, -1};
    for (size_t a = 0; a < sizeof(codes) / sizeof(codes[0]); a++) {
        for (size_t b = 0; b < sizeof(codes) / sizeof(codes[0]); b++) {
            for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
                for (size_t k = 0; k < sizeof(amounts) / sizeof(amounts[0]); k++) {
                    int64_t out;
                    int crc = cn_rates_convert(r, cn_str_c(codes[a]), cn_str_c(codes[b]),
                                               days[d] * 86400000000LL, amounts[k], &out);
                    if (crc != 0 && crc != CN_ENOTFOUND && crc != CN_ETOOBIG)
                        abort();
                    /* rates are positive: a conversion keeps the amount's sign */
                    if (crc == 0 && ((amounts[k] > 0 && out < 0) || (amounts[k] < 0 && out > 0)))
                        abort();
                }
            }
        }
    }
    cn_rates_free(r);
    return 0;
}
