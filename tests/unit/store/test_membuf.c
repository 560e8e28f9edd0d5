/* SPDX-License-Identifier: Apache-2.0 */
/* The write buffer's column min and max, as its views give them: brought up
 * to date at each view over the rows appended since the last one; and its
 * chunks' reuse from the process's pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#include <cmocka.h>

typedef struct {
    int64_t min, max;
    bool any;
} mm_t;

static void mm_add(mm_t *m, int64_t v)
{
    if (!m->any || v < m->min)
        m->min = v;
    if (!m->any || v > m->max)
        m->max = v;
    m->any = true;
}

static void assert_col(const cn_store_seg_t *view, cn_store_col_t col, const mm_t *m)
{
    assert_true(view->cols[col].present);
    assert_int_equal(view->cols[col].min, m->any ? m->min : 0);
    assert_int_equal(view->cols[col].max, m->any ? m->max : 0);
}

/* Hit rows (TS, U8, U32, DICT and MONEY columns) and event rows appended
 * in steps across chunk boundaries, a view after each step: every view has
 * the min and max of all the rows before it, the earlier views keep
 * theirs. A group with no rows has 0 and 0. */
static void views_have_min_and_max_of_their_rows(void **state)
{
    (void)state;
    cn_store__membuf_t *mb = cn_store__membuf_new(false, 20000, 0);
    mm_t ts = {0}, type = {0}, hit_num = {0}, page = {0}, revenue = {0}, ev = {0};
    mm_t item_sku = {0};
    uint64_t x = 88172645463325252ull;
    const uint32_t steps[] = {
        1, 2, CN_STORE__CHUNK_ROWS - 3, 1, 1, CN_STORE__CHUNK_ROWS, 2 * CN_STORE__CHUNK_ROWS + 5,
        0, 7};
    cn_store_seg_t *views[sizeof(steps) / sizeof(steps[0])];
    mm_t keep[sizeof(steps) / sizeof(steps[0])];
    uint32_t r = 0;
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        for (uint32_t i = 0; i < steps[s]; i++, r++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* values that move both ways, with new extremes late in the run */
            int64_t spread = 1 + (int64_t)r;
            cn_hit_row_t h = {
                .ts = 1700000000000000 + (int64_t)(x % 1000000) * (r % 5 == 0 ? -1 : 1) * spread,
                .type = (uint8_t)(x >> 20),
                .hit_num = (uint32_t)(x >> 32) % (100 + r),
                .revenue = (int64_t)(x % 2000001) - 1000000 - (int64_t)r,
            };
            uint32_t ids[CN_COL_COUNT] = {0};
            ids[CN_COL_HIT_page - CN_STORE__FIRST_HIT] = (uint32_t)(x >> 40) % (50 + r);
            cn_store__membuf_put(mb, CN_GROUP_HIT, &h, ids);
            mm_add(&ts, h.ts);
            mm_add(&type, h.type);
            mm_add(&hit_num, h.hit_num);
            mm_add(&page, ids[CN_COL_HIT_page - CN_STORE__FIRST_HIT]);
            mm_add(&revenue, h.revenue);
            if (r % 3 == 0) {
                cn_event_row_t e = {.hit = r, .event = 1, .value = (int64_t)(x % 777) - 300};
                cn_store__membuf_put(mb, CN_GROUP_EVENT, &e, ids);
                mm_add(&ev, e.value);
            }
        }
        views[s] = cn_store__membuf_view(mb);
        keep[s] = ts;
        assert_col(views[s], CN_COL_HIT_ts, &ts);
        assert_col(views[s], CN_COL_HIT_type, &type);
        assert_col(views[s], CN_COL_HIT_hit_num, &hit_num);
        assert_col(views[s], CN_COL_HIT_page, &page);
        assert_col(views[s], CN_COL_HIT_revenue, &revenue);
        assert_col(views[s], CN_COL_EVENT_value, &ev);
        assert_col(views[s], CN_COL_ITEM_sku, &item_sku); /* no item rows */
        assert_int_equal(views[s]->rows[CN_GROUP_HIT], r);
    }
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        assert_col(views[s], CN_COL_HIT_ts, &keep[s]);
        cn_store__seg_unref(views[s]);
    }
    cn_store__membuf_unref(mb);
}

/* A visit buffer: its columns only, min and max of its rows. */
static void visit_buffer_view(void **state)
{
    (void)state;
    cn_store__membuf_t *mb = cn_store__membuf_new(true, 0, 100);
    mm_t visitor = {0}, start = {0};
    for (uint32_t i = 0; i < 3 * CN_STORE__CHUNK_ROWS + 1; i++) {
        cn_visit_row_t v = {.visitor = (i * 7919u) % 10007u,
                            .start_ts = 1700000000000000 + (int64_t)i * 1000};
        uint32_t ids[CN_COL_COUNT] = {0};
        cn_store__membuf_put(mb, CN_GROUP_VISIT, &v, ids);
        mm_add(&visitor, v.visitor);
        mm_add(&start, v.start_ts);
        if (i == 5 || i == CN_STORE__CHUNK_ROWS) {
            cn_store_seg_t *view = cn_store__membuf_view(mb);
            assert_col(view, CN_COL_VISIT_visitor, &visitor);
            assert_col(view, CN_COL_VISIT_start_ts, &start);
            assert_false(view->cols[CN_COL_HIT_ts].present);
            cn_store__seg_unref(view);
        }
    }
    cn_store_seg_t *view = cn_store__membuf_view(mb);
    assert_col(view, CN_COL_VISIT_visitor, &visitor);
    assert_col(view, CN_COL_VISIT_start_ts, &start);
    cn_store__seg_unref(view);
    cn_store__membuf_unref(mb);
}

/* n hit rows, ts and hit_num from seed. */
static void put_hits(cn_store__membuf_t *mb, uint32_t n, int64_t seed)
{
    for (uint32_t i = 0; i < n; i++) {
        cn_hit_row_t h = {.ts = seed * 1000000 + i, .hit_num = (uint32_t)(seed + i)};
        uint32_t ids[CN_COL_COUNT] = {0};
        cn_store__membuf_put(mb, CN_GROUP_HIT, &h, ids);
    }
}

static void assert_hits(const cn_store__membuf_t *mb, uint32_t n, int64_t seed)
{
    int64_t *v = malloc(n * sizeof(*v));
    cn_store__membuf_read(mb, CN_COL_HIT_ts, 0, n, v);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(v[i], seed * 1000000 + i);
    cn_store__membuf_read(mb, CN_COL_HIT_hit_num, 0, n, v);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(v[i], seed + i);
    free(v);
}

/* The chunks of a freed buffer serve the next one (the process's pool), never
 * while a view still holds the buffer: a view of A, whose writer let it go,
 * reads A's rows after B has taken chunks and written its own; once the
 * view is gone, C takes A's chunks and reads its own rows. */
static void chunks_serve_the_next_buffer_once_free(void **state)
{
    (void)state;
    const uint32_t n = 3 * CN_STORE__CHUNK_ROWS + 17; /* chunks 0 and 1 */
    cn_store__membuf_t *a = cn_store__membuf_new(false, 20000, 0);
    put_hits(a, n, 1);
    void *a_ts[2] = {a->cols[CN_COL_HIT_ts].chunks[0], a->cols[CN_COL_HIT_ts].chunks[1]};
    cn_store_seg_t *view = cn_store__membuf_view(a);
    cn_store__membuf_unref(a); /* the view holds it now */

    cn_store__membuf_t *b = cn_store__membuf_new(false, 20001, 0);
    put_hits(b, n, 2);
    for (int k = 0; k < 2; k++) {
        assert_ptr_not_equal(b->cols[CN_COL_HIT_ts].chunks[k], a_ts[0]);
        assert_ptr_not_equal(b->cols[CN_COL_HIT_ts].chunks[k], a_ts[1]);
    }
    assert_hits(view->mem, n, 1);
    assert_hits(b, n, 2);
    cn_store__seg_unref(view); /* A's chunks go back to the pool */

    cn_store__membuf_t *c = cn_store__membuf_new(false, 20002, 0);
    put_hits(c, n, 3);
    bool reused = false;
    for (size_t col = 0; col < CN_COL_COUNT; col++)
        for (int k = 0; k < 2; k++)
            reused =
                reused || c->cols[col].chunks[k] == a_ts[0] || c->cols[col].chunks[k] == a_ts[1];
    assert_true(reused);
    assert_hits(c, n, 3);
    assert_hits(b, n, 2);
    cn_store__membuf_unref(b);
    cn_store__membuf_unref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(views_have_min_and_max_of_their_rows),
        cmocka_unit_test(visit_buffer_view),
        cmocka_unit_test(chunks_serve_the_next_buffer_once_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
