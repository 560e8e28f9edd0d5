/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The suite keys processing reads, checked without processing anything: the
 * rules are cn__process_suite_conf's (process.c: evarN, propN, eventN, listN,
 * unconverted_currency) and cn__process_salt_retention's (here), the ones
 * cn_process_new applies. `canton` runs them on every --config file when it
 * loads it (cn_cli_conf), so that a command that never processes refuses the
 * file `canton process` would refuse, with the same message.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "process/internal.h"
#include "process/process.h"

int cn__process_salt_retention(const cn_suite_conf_t *sc, int64_t *days, cn_err_t *err)
{
    const char *sr = cn_conf_suite_get(sc, "salt_retention");
    int64_t us;
    if (sr == NULL)
        return 0;
    if (strcmp(sr, "never") == 0) {
        *days = -1;
    } else if (cn_conf_parse_duration(sr, &us) == 0 && us >= 86400000000LL) {
        int64_t d = us / 86400000000LL;
        if (*days >= 0 && d > *days)
            *days = d;
    } else {
        return cn_err_set(err, CN_ECONFIG, "[suite %s] salt_retention: want Nd (N >= 1) or never",
                          sc->id);
    }
    return 0;
}

int cn_process_check_suite_conf(const cn_suite_conf_t *sc, cn_err_t *err)
{
    cn_suite_state_t *s = cn_xcalloc(1, sizeof(*s));
    int64_t days = 2;
    int rc = cn__process_suite_conf(s, sc, err);
    if (rc == 0)
        rc = cn__process_salt_retention(sc, &days, err);
    for (size_t i = 0; i < sizeof(s->evar) / sizeof(s->evar[0]); i++)
        free(s->evar[i].from);
    for (size_t i = 0; i < sizeof(s->prop_from) / sizeof(s->prop_from[0]); i++)
        free(s->prop_from[i]);
    free(s);
    return rc;
}
