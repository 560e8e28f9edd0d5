/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The row sink: the one narrow interface between processing and the store
 * (DESIGN.md: process -row-> store). Processing calls these functions in
 * hitlog order, one suite at a time per sink; the store implements them
 * (src/store), and tests implement them in memory. Strings in the rows are
 * borrowed for the duration of the call.
 *
 * Order of calls for one raw hit: for each hit it yields, visit() first when
 * the hit opens a new visit, then hit(), then that hit's item(), var() and
 * event() rows; then checkpoint() whenever processing has made a checkpoint that covers every
 * row emitted so far (the store makes those rows durable before it returns).
 *
 * Bad rows (raw hits that cannot be decoded or break a rule) are kept by
 * processing itself, not by the sink: they may belong to no configured suite.
 *
 * Every function returns 0 or a negative error code; an error stops
 * processing, which resumes from its last checkpoint. So a sink must refuse
 * nothing that bytes from outside can put in a row: processing makes such a
 * hit a bad row before it emits any of its rows (the limits below, and
 * CN_DEC_MAX_* in src/process/internal.h). What a sink may refuse is its
 * capacity (a dictionary or a partition full) and its disk; docs/storage.md
 * "When the store refuses a row" lists each case.
 */
#ifndef CN_HIT_SINK_H
#define CN_HIT_SINK_H

#include <stdint.h>

#include "hit/hit.h"

/* Processing gives fewer than this many item rows, var rows and event rows (each) for one
 * hit, whatever the hit holds (the store flushes a buffer that is this close to full before
 * the next hit; src/process/internal.h checks its worst case against it). */
#define CN_SINK_HIT_CHILD_ROWS 262144u

typedef struct cn_sink {
    void *ud;
    /* A new visit; row->visitor and the visit ordinal (*visit, dense from 0) are set by
     * processing. */
    int (*visit)(void *ud, uint32_t visit, const cn_visit_row_t *row);
    /* A hit; *out_hit gets the id the hit's child rows must point at (row.hit). */
    int (*hit)(void *ud, const cn_hit_row_t *row, uint32_t *out_hit);
    int (*item)(void *ud, const cn_item_row_t *row);
    int (*var)(void *ud, const cn_var_row_t *row);
    int (*event)(void *ud, const cn_event_row_t *row);
    /* Everything emitted so far is covered by processing's checkpoint blob
     * (opaque to the sink, stored atomically with the rows when the sink
     * supports it; may be NULL). */
    int (*checkpoint)(void *ud, const void *blob, size_t len);
    /* After a function above returned an error: what was refused or failed and why, for a
     * person (naming the suite, the column or file, the limit); NULL or "" when the sink has
     * nothing to add to the error code. May be NULL. */
    const char *(*why)(void *ud);
} cn_sink_t;

#endif
