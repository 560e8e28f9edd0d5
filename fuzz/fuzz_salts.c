/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the salts file (<data>/salts, bytes from disk: one
 * "YYYY-MM-DD <32 hex>" line per UTC day), read by cn_salts_open. The input
 * is written to a file and opened. Invariants: never a crash or undefined
 * behaviour; an error is CN_ECORRUPT with a message naming the file; a file
 * that opens gives, for the days it lists, the salt without writing (the
 * file is not rewritten: its bytes stay the input's).
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "process/internal.h"
#include "tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile("salts");
    fuzz_write_file(path, data, size);
    cn_salts_t *s = NULL;
    cn_err_t err = {0};
    /* retention: never, so that no salt goes and nothing is rewritten */
    int rc = cn_salts_open(path, -1, &s, &err);
    if (rc != 0) {
        if (rc != CN_ECORRUPT || strncmp(err.msg, path, strlen(path)) != 0)
            abort();
        return 0;
    }
    /* the first line's day, when it is one, must give its salt from memory */
    int y;
    unsigned m, d;
    char first[64] = "";
    memcpy(first, data, size < sizeof(first) - 1 ? size : sizeof(first) - 1);
    if (sscanf(first, "%4d-%2u-%2u", &y, &m, &d) == 3 && y >= 1970 && y <= 9999 && m >= 1 &&
        m <= 12 && d >= 1 && d <= 28) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = (int)m - 1, .tm_mday = (int)d};
        int64_t ts = (int64_t)timegm(&tm) * 1000000;
        uint8_t salt[16];
        if (cn_salts_get(s, ts, 0, salt) != 0)
            abort();
        struct stat st;
        if (stat(path, &st) != 0 || (size_t)st.st_size != size)
            abort(); /* rewritten: the day was not found */
    }
    cn_salts_free(s);
    return 0;
}
