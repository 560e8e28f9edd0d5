/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Adobe events string (purchase,event1,event2=5.5,
 * event3:ID). Invariants: on success each event is either a commerce event
 * (flag set, no number, no value) or eventN with 1 <= N <= 1000; values are
 * within the money range; the hit's flags are the union of the commerce
 * events; the only failure reasons are bad_events and too_big.
 * The result must equal the reference decoder's (decode_ref.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "dbatch_eq.h"
#include "decode_ref.h"
#include "process/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_dbatch_t b;
    cn_dbatch_init(&b);
    cn_dhit_t *h = cn_dbatch_add_hit(&b);
    cn_err_t err;
    int rc = cn_decode_events(cn_str((const char *)data, size), &b, h, -1, &err);
    /* the one-pass decoder gives what the reference (decode_ref.h) gives */
    cn_dbatch_t rb;
    cn_dbatch_init(&rb);
    cn_dhit_t *rh = cn_dbatch_add_hit(&rb);
    cn_err_t rerr;
    int rrc = ref_decode_events(cn_str((const char *)data, size), &rb, rh, -1, &rerr);
    dbatch_expect_eq(&b, rc, &err, &rb, rrc, &rerr);
    cn_dbatch_dispose(&rb);
    if (rc == 0) {
        uint8_t flags = 0;
        for (uint32_t i = 0; i < h->ev_count; i++) {
            const cn_devent_t *e = &b.events[h->ev_first + i];
            if (e->flag != 0) {
                if (e->num != 0 || e->has_value || e->serial.len > 100 ||
                    (e->flag == CN_EV_PURCHASE && e->serial.len != 0) ||
                    cn_commerce_event_name(e->flag) == NULL)
                    abort();
                flags |= e->flag;
            } else if (e->num < 1 || e->num > CN_DEC_MAX_EVENT_NUM) {
                abort();
            }
            if (e->value >= 1000000000000000000LL || e->value <= -1000000000000000000LL)
                abort();
        }
        if (flags != h->events || h->ev_count > CN_DEC_MAX_EVENTS)
            abort();
    } else if (rc != CN_BADROW_BAD_EVENTS && rc != CN_BADROW_TOO_BIG) {
        abort();
    }
    int64_t m;
    if (cn_parse_money(cn_str((const char *)data, size), &m) == 0 &&
        (m >= 1000000000000000000LL || m <= -1000000000000000000LL))
        abort();
    cn_dbatch_dispose(&b);
    return 0;
}
