/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the configuration reader. Invariants: never crashes; a
 * rejected file always carries a message naming the file; an accepted one
 * has a name for every suite and a listen address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_conf_t *c;
    cn_err_t err = {0};
    int rc = cn_conf_parse("fuzz.conf", (const char *)data, size, &c, &err);
    if (rc != 0) {
        if (strncmp(err.msg, "fuzz.conf", 9) != 0)
            abort();
        return 0;
    }
    if (c->listen == NULL)
        abort();
    for (size_t i = 0; i < c->suite_count; i++) {
        if (c->suites[i].name == NULL ||
            cn_conf_suite(c, c->suites[i].id, strlen(c->suites[i].id)) == NULL)
            abort();
        (void)cn_conf_suite_get(&c->suites[i], "evar1");
    }
    (void)cn_conf_is_trusted_proxy(c, "10.0.0.1", 8);
    cn_conf_free(c);
    return 0;
}
