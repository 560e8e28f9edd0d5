/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the configuration reader. Invariants: never crashes; a
 * rejected file always carries a message naming the file; an accepted one
 * has a name for every suite and a listen address. The reports' reading of
 * a suite's event definitions (eventN = name=...; type=currency) agrees with
 * itself: the catalogue lists as many currency events as the money set has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "query/query.h"

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
        cn_query_events_t ev;
        cn_query_events_init(&ev, &c->suites[i]);
        size_t money = 0, listed = 0;
        for (int n = 1; n <= CN_QUERY_MAX_EVENT; n++)
            money += cn_query_event_is_money(&ev, n);
        cn_buf_t b = CN_BUF_INIT;
        cn_query_events_json(&c->suites[i], true, &b);
        cn_buf_putc(&b, '\0');
        for (const char *p = b.ptr; (p = strstr(p, "\"type\":\"currency\"}")) != NULL; p++)
            listed++;
        if (listed != money)
            abort();
        cn_buf_dispose(&b);
    }
    (void)cn_conf_is_trusted_proxy(c, "10.0.0.1", 8);
    cn_conf_free(c);
    return 0;
}
