/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a suite's own referrer list (suite key referer_list = FILE,
 * Snowplow's YAML format: medium -> source -> domains and parameters), read
 * by cn_enrich__refdb_load. The input is written to a file and loaded.
 * Invariants: 0 or CN_EPARSE with a message naming the file, never a crash;
 * a list that loads answers lookups of a few hosts without a crash, and a
 * found entry has a name and a medium.
 */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich/internal.h"
#include "tmpfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile("referers");
    fuzz_write_file(path, data, size);
    cn_refdb_t *r = NULL;
    cn_err_t err = {0};
    int rc = cn_enrich__refdb_load(NULL, path, &r, &err);
    if (rc != 0) {
        if (rc != CN_EPARSE || strncmp(err.msg, path, strlen(path)) != 0)
            abort();
        return 0;
    }
    static const char *const hosts[] = {"www.google.com",  "google.com", "t.co", "a", "",
                                        "mail.example.org"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        const cn_refent_t *e =
            cn_enrich__refdb_lookup(r, cn_str_c(hosts[i]), cn_str_c("/search/x"));
        if (e != NULL && (e->name.ptr == NULL || e->medium.ptr == NULL))
            abort();
    }
    cn_enrich__refdb_free(r);
    return 0;
}
