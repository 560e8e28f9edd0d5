/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a suite's channel rules file (suite key channel_rules = FILE,
 * docs/enrich.md), parsed by cn_enrich__chanrules_parse: rule lines with
 * conditions, '&' and '|', regular expressions (PCRE2). Invariants: 0 or
 * CN_ECONFIG with a message naming the file, never a crash; the same text
 * parses the same way twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that ASan sees any read past the end */
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    cn_chanrules_t *c = NULL;
    cn_err_t err = {0};
    int rc = cn_enrich__chanrules_parse("rules.txt", copy, size, &c, &err);
    if (rc == 0) {
        cn_enrich__chanrules_free(c);
    } else if (rc != CN_ECONFIG || strncmp(err.msg, "rules.txt:", 10) != 0) {
        abort();
    }
    cn_err_t err2 = {0};
    int rc2 = cn_enrich__chanrules_parse("rules.txt", copy, size, &c, &err2);
    if (rc2 != rc || strcmp(err.msg, err2.msg) != 0)
        abort();
    if (rc2 == 0)
        cn_enrich__chanrules_free(c);
    free(copy);
    return 0;
}
