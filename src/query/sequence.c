/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sequential segments: "A then later B" within a visit or a visitor
 * (docs/segments.md). The segment evaluator (scan.c) turns each step into a
 * set of hits; this pass walks the hits of the range once, in scan order,
 * which is time order (partitions by day, segments and rows in the order
 * processing wrote them), with one byte of state per visit (visitor): the
 * number of steps matched so far. A hit that matches the next step moves its
 * visit (visitor) one step on, so every step is matched by a hit strictly
 * after the one that matched the step before. Taking the earliest hit for
 * each step is exact: if any increasing run of hits matches the steps, the
 * earliest-first run does too, and it ends no later than any other.
 */
#include <stdlib.h>

#include "lib/xalloc.h"
#include "query/scan.h"

int cn_scan_sequence(cn_scan_t *s, uint64_t *const *steps, size_t nsteps, cn_seg_scope_t level,
                     uint64_t *out)
{
    if (nsteps == 0 || nsteps > CN_SEGMENT_MAX_STEPS || level == CN_SCOPE_HIT)
        return cn_err_set(s->err, CN_EINVAL,
                          "segment: a sequence needs 1 to %d steps in a visit "
                          "or visitor container",
                          CN_SEGMENT_MAX_STEPS);
    bool by_visitor = level == CN_SCOPE_VISITOR;
    uint64_t n = by_visitor ? s->visitor_count : s->visit_count;
    uint8_t *state = cn_xcalloc(n ? n : 1, 1);
    int rc = 0;
    for (size_t k = 0; k < s->seg_count; k++) {
        cn_scanseg_t *ss = &s->segs[k];
        if ((rc = cn_scan_load(s, k, false, false)) != 0)
            break;
        for (size_t i = 0; i < ss->n; i++) {
            uint64_t v = ss->visit[i] - s->first_visit;
            uint64_t e = by_visitor ? s->v_visitor[v] : v;
            uint8_t st = state[e];
            if (st < nsteps && cn_bit_get(steps[st], ss->base + i)) {
                state[e] = (uint8_t)(st + 1);
                if ((size_t)st + 1 == nsteps)
                    cn_bit_set(out, e);
            }
        }
    }
    free(state);
    return rc;
}
