/* SPDX-License-Identifier: Apache-2.0 */
/* The var group stored "changes only" (format 4, vardiff.c and its use in
 * segment.c): logical rows written, stored as changes, read back exactly, at
 * any range; inconsistent stored rows are CN_ECORRUPT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crc32c.h"
#include "store/internal.h"

#include <cmocka.h>

#define FIRST 1000u /* first_row of the test segments */
#define EV(n) (CN_VAR_EVAR | (n))
#define PR(n) (CN_VAR_PROP | (n))

static bool run_family(uint32_t var)
{
    return (var & CN_VAR_FAMILY_MASK) == CN_VAR_PROP || (var & CN_VAR_FAMILY_MASK) == CN_VAR_EVAR;
}

/* A segment's logical rows: hit columns (visit) and var rows. */
typedef struct rows {
    uint64_t hits;
    uint32_t *visit;
    uint64_t n, cap;
    uint32_t *hit, *var, *value;
} rows_t;

static void rows_init(rows_t *r, uint64_t hits)
{
    memset(r, 0, sizeof(*r));
    r->hits = hits;
    r->visit = calloc(hits ? hits : 1, 4);
}

static void add(rows_t *r, uint64_t h, uint32_t var, uint32_t value)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->hit = realloc(r->hit, r->cap * 4);
        r->var = realloc(r->var, r->cap * 4);
        r->value = realloc(r->value, r->cap * 4);
    }
    r->hit[r->n] = FIRST + (uint32_t)h;
    r->var[r->n] = var;
    r->value[r->n++] = value;
}

static void rows_free(rows_t *r)
{
    free(r->visit);
    free(r->hit);
    free(r->var);
    free(r->value);
}

static int fill(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    const rows_t *r = ud;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = from + i;
        switch (col) {
        case CN_COL_VAR_hit:
            out[i] = r->hit[k];
            break;
        case CN_COL_VAR_var:
            out[i] = r->var[k];
            break;
        case CN_COL_VAR_value:
            out[i] = r->value[k];
            break;
        case CN_COL_HIT_visit:
            out[i] = r->visit[k];
            break;
        case CN_COL_HIT_type:
            out[i] = k % 5 == 3 ? CN_HIT_LINK : CN_HIT_PAGEVIEW;
            break;
        case CN_COL_HIT_ts:
            out[i] = 1764000000000000 + (int64_t)k * 1000;
            break;
        default:
            out[i] = 0;
        }
    }
    return 0;
}

static void encode(const rows_t *r, int level, cn_buf_t *out)
{
    cn_store__seg_spec_t spec = {.is_visit = false,
                                 .day = 20000,
                                 .first_row = FIRST,
                                 .fill = fill,
                                 .ud = (void *)r,
                                 .zstd_level = level};
    spec.rows[CN_GROUP_HIT] = r->hits;
    spec.rows[CN_GROUP_VAR] = r->n;
    cn_err_t err;
    assert_int_equal(cn_store__seg_encode(&spec, out, &err), 0);
}

/* Every read of rows [from, from + n) equals the logical rows. */
static void check_ranges(const cn_store_seg_t *seg, const rows_t *r)
{
    assert_int_equal(cn_store_seg_rows(seg, CN_GROUP_VAR), r->n);
    int64_t *buf = malloc((r->n ? r->n : 1) * sizeof(int64_t));
    uint32_t *u = malloc((r->n ? r->n : 1) * 4);
    const cn_store_col_t cols[3] = {CN_COL_VAR_hit, CN_COL_VAR_var, CN_COL_VAR_value};
    const uint32_t *want[3] = {r->hit, r->var, r->value};
    uint64_t step = r->n / 7 + 1;
    for (int c = 0; c < 3; c++) {
        assert_int_equal(cn_store__seg_read(seg, cols[c], 0, r->n, buf, NULL), 0);
        for (uint64_t i = 0; i < r->n; i++)
            assert_int_equal(buf[i], want[c][i]);
        for (uint64_t from = 0; from <= r->n; from += step) {
            for (uint64_t n = 0; from + n <= r->n; n = n * 3 + 1) {
                assert_int_equal(cn_store__seg_read(seg, cols[c], from, n, buf, NULL), 0);
                for (uint64_t i = 0; i < n; i++)
                    assert_int_equal(buf[i], want[c][from + i]);
                assert_int_equal(cn_store_read_u32(seg, cols[c], from, n, u, NULL), 0);
                for (uint64_t i = 0; i < n; i++)
                    assert_int_equal(u[i], want[c][from + i]);
            }
        }
    }
    for (int c = 0; c < 3 && r->n > 0; c++) {
        int64_t mn, mx, wmn = want[c][0], wmx = want[c][0];
        for (uint64_t i = 1; i < r->n; i++) {
            wmn = want[c][i] < wmn ? want[c][i] : wmn;
            wmx = want[c][i] > wmx ? want[c][i] : wmx;
        }
        cn_store_seg_minmax(seg, cols[c], &mn, &mx);
        assert_int_equal(mn, wmn);
        assert_int_equal(mx, wmx);
    }
    assert_int_equal(cn_store__seg_verify(seg, NULL), 0);
    free(buf);
    free(u);
}

static int fill_seg(void *ud, cn_store_col_t col, uint64_t from, size_t n, int64_t *out)
{
    return cn_store__seg_read(ud, col, from, n, out, NULL);
}

/* Encodes r at both levels, parses, checks every range; returns the stored row count. */
static uint64_t round_trip(const rows_t *r)
{
    uint64_t stored = 0;
    for (int level = 0; level <= 3; level += 3) {
        cn_buf_t b = CN_BUF_INIT;
        encode(r, level, &b);
        cn_store_seg_t *seg;
        cn_err_t err;
        assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", NULL, &seg, &err), 0);
        check_ranges(seg, r);
        stored = seg->var_stored;
        /* and a segment re-encoded from this one's reads (what a merge does) */
        cn_store__seg_spec_t spec = {.is_visit = false,
                                     .day = 20000,
                                     .first_row = FIRST,
                                     .fill = fill_seg,
                                     .ud = seg,
                                     .zstd_level = 3 - level};
        memcpy(spec.rows, seg->rows, sizeof(spec.rows));
        cn_buf_t b2 = CN_BUF_INIT;
        assert_int_equal(cn_store__seg_encode(&spec, &b2, &err), 0);
        cn_store_seg_t *again;
        assert_int_equal(cn_store__seg_parse((uint8_t *)b2.ptr, b2.len, "t2", NULL, &again, &err),
                         0);
        check_ranges(again, r);
        assert_int_equal(again->var_stored, stored);
        cn_store__seg_unref(again);
        cn_buf_dispose(&b2);
        cn_store__seg_unref(seg);
        cn_buf_dispose(&b);
    }
    return stored;
}

/* The cases of one visit: carried, changed, expired, re-set after a gap. */
static void carried_changed_removed(void **state)
{
    (void)state;
    rows_t r;
    rows_init(&r, 8);
    /* hit 0: props only */
    add(&r, 0, PR(1), 5);
    add(&r, 0, PR(2), 6);
    /* hit 1: eVar1 and eVar3 set */
    add(&r, 1, PR(1), 5);
    add(&r, 1, EV(1), 10);
    add(&r, 1, EV(3), 30);
    /* hit 2: carried as they were */
    add(&r, 2, EV(1), 10);
    add(&r, 2, EV(3), 30);
    /* hit 3: eVar3 changed, eVar2 new (in the middle) */
    add(&r, 3, PR(4), 7);
    add(&r, 3, EV(1), 10);
    add(&r, 3, EV(2), 20);
    add(&r, 3, EV(3), 31);
    /* hit 4: eVar1 expired */
    add(&r, 4, EV(2), 20);
    add(&r, 4, EV(3), 31);
    /* hit 5: nothing (not a page view) */
    /* hit 6: eVar1 set again to the value it had */
    add(&r, 6, EV(1), 10);
    add(&r, 6, EV(2), 20);
    add(&r, 6, EV(3), 31);
    /* hit 7: the same */
    add(&r, 7, EV(1), 10);
    add(&r, 7, EV(2), 20);
    add(&r, 7, EV(3), 31);
    uint64_t stored = round_trip(&r);
    /* hit 0: 2 prop sets; hit 1: prop2 removed, 2 eVar sets; hit 3: prop1 removed,
     * prop4 set, 2 eVar sets; hit 4: 1 removal; hit 6: 1 set */
    assert_int_equal(stored, 2 + 3 + 4 + 1 + 1);
    rows_free(&r);
}

/* Visits interleaved; a visit whose first hit here has eVars from before;
 * merchandising eVars and a tail out of order stay rows as they are. */
static void interleaved_visits(void **state)
{
    (void)state;
    rows_t r;
    rows_init(&r, 10);
    uint32_t vis[10] = {7, 9, 7, 9, 12, 7, 12, 9, 7, 12};
    memcpy(r.visit, vis, sizeof(vis));
    add(&r, 0, EV(1), 1); /* visit 7 */
    add(&r, 1, EV(1), 2); /* visit 9: another value */
    add(&r, 1, EV(5), 3);
    add(&r, 2, EV(1), 1); /* visit 7 carried */
    add(&r, 3, EV(1), 2); /* visit 9 carried */
    add(&r, 3, EV(5), 3);
    add(&r, 4, EV(2), 4); /* visit 12: eVars from before this segment */
    add(&r, 4, EV(9), 5);
    add(&r, 5, cn_var_merch(4, 0), 8); /* visit 7: merchandising, then the tail */
    add(&r, 5, EV(1), 1);
    add(&r, 6, EV(9), 5); /* visit 12: out of order: eVar9 stored as it is, */
    add(&r, 6, EV(2), 4); /* the run is eVar2 alone (eVar9 removed) */
    add(&r, 7, EV(1), 6); /* visit 9: changed, eVar5 gone */
    add(&r, 8, EV(1), 1); /* visit 7 */
    add(&r, 9, EV(2), 4); /* visit 12: compared with hit 6's run: eVar9 set again */
    add(&r, 9, EV(9), 5);
    uint64_t stored = round_trip(&r);
    /* 1 + 2 + 0 + 0 + 2 + 1 + 2 + (1 set + 1 removal) + 0 + 1 */
    assert_int_equal(stored, 11);
    rows_free(&r);
}

static void empty_and_props_only(void **state)
{
    (void)state;
    rows_t r;
    rows_init(&r, 5);
    assert_int_equal(round_trip(&r), 0);
    rows_free(&r);
    rows_init(&r, 0);
    assert_int_equal(round_trip(&r), 0);
    rows_free(&r);
    rows_init(&r, 4);
    for (uint64_t h = 0; h < 4; h++) {
        add(&r, h, PR(1), 3);
        add(&r, h, CN_VAR_LIST | 2, (uint32_t)h);
    }
    /* prop1 stored once; the list rows (plain) on every hit */
    assert_int_equal(round_trip(&r), 1 + 4);
    rows_free(&r);
}

/* Rows not sorted by hit are stored row for row (no op, no runs). */
static void unsorted_rows_stored_as_they_are(void **state)
{
    (void)state;
    rows_t r;
    rows_init(&r, 3);
    add(&r, 2, EV(1), 1);
    add(&r, 0, EV(1), 1);
    add(&r, 1, EV(1), 1);
    cn_buf_t b = CN_BUF_INIT;
    encode(&r, 3, &b);
    cn_store_seg_t *seg;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", NULL, &seg, NULL), 0);
    assert_false(seg->var_diff);
    check_ranges(seg, &r);
    cn_store__seg_unref(seg);
    cn_buf_dispose(&b);
    rows_free(&r);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 29);
}

/* What processing emits, many pages of it: 40 visits at a time, props, eVars
 * set now and then, expiring, and hits without eVar rows. */
static void many_pages(void **state)
{
    (void)state;
    rows_t r;
    rows_init(&r, CN_STORE_PAGE_ROWS);
    uint32_t in_force[40][8];
    memset(in_force, 0, sizeof(in_force));
    for (uint64_t h = 0; h < r.hits; h++) {
        uint64_t x = mix(h + 1);
        unsigned v = (unsigned)(x % 40);
        r.visit[h] = 100 + v + (uint32_t)(h / 5000) * 40; /* visits end and start */
        if (h % 5000 == 0)
            memset(in_force, 0, sizeof(in_force));
        if (x >> 8 & 1)
            add(&r, h, PR((unsigned)(x >> 9) % 3 + 1), (uint32_t)(x >> 12) % 50 + 1);
        if ((x >> 16) % 8 == 0)
            in_force[v][(x >> 20) % 8] = (uint32_t)(x >> 24) % 300 + 1;
        if ((x >> 32) % 16 == 0)
            in_force[v][(x >> 36) % 8] = 0; /* expired */
        if ((x >> 40) % 5 == 0)
            continue; /* no eVar rows on this hit */
        for (unsigned e = 0; e < 8; e++)
            if (in_force[v][e])
                add(&r, h, EV(e + 1), in_force[v][e]);
    }
    assert_true(r.n > 2 * CN_STORE_PAGE_ROWS);
    uint64_t stored = round_trip(&r);
    assert_true(stored < r.n / 2);
    rows_free(&r);
}

/* --- Inconsistent stored rows --- */

/* Stored rows given with their ops and their hits' run flags as the reader
 * sees them (bit 0 props, bit 1 eVars); stored as the format says: an op
 * minus its likely value mod 3 (ops > 2 as they are), flags XOR their likely
 * value (docs/storage.md; the hits are links without events, of one visit). */
typedef struct phys_case {
    const char *name;
    uint32_t hit[4], var[4], value[4];
    uint8_t op[4];
    uint64_t n;
    uint8_t flags[3];
    uint64_t logical;
} phys_case_t;

static int expand_case(const phys_case_t *c, const char **why, uint64_t *at)
{
    uint32_t visit[3] = {4, 4, 4}, h[4], var[4], value[4];
    uint8_t op[4], runs[3], type[3] = {CN_HIT_LINK, CN_HIT_LINK, CN_HIT_LINK}, events[3] = {0};
    cn_store__vhits_t vh = {visit, type, events};
    for (uint64_t i = 0; i < c->n; i++) {
        uint8_t pred = run_family(c->var[i]) ? 1 : 0;
        var[i] = c->var[i];
        h[i] = FIRST + c->hit[i];
        value[i] = c->value[i];
        op[i] = c->op[i] > 2 ? c->op[i] : (uint8_t)((c->op[i] + 3 - pred) % 3);
    }
    uint8_t last[256], prev = 0, had_evars = 0;
    memset(last, 0xff, sizeof(last));
    for (int k = 0; k < 3; k++) {
        unsigned ctx = CN_HIT_LINK | had_evars << 4 | (unsigned)prev << 5;
        runs[k] = c->flags[k] ^ (last[ctx] != 0xff ? last[ctx] : 0);
        last[ctx] = c->flags[k];
        prev = c->flags[k] & 3;
        had_evars |= (c->flags[k] >> 1) & 1;
    }
    cn_store__vrows_t p = {c->n, h, var, value, op};
    cn_store__vrows_t out;
    cn_store__vrows_alloc(&out, c->logical, false);
    int rc = cn_store__vars_expand(&p, &vh, runs, 3, FIRST, &out, why, at);
    if (rc == 0)
        for (uint64_t i = 0; i < c->logical; i++)
            assert_true(out.hit[i] >= FIRST && out.hit[i] < FIRST + 3);
    cn_store__vrows_dispose(&out);
    return rc;
}

static void inconsistent_changes_are_corrupt(void **state)
{
    (void)state;
    static const phys_case_t cases[] = {
        {"removal of a var not in force", {0, 1}, {EV(1), EV(2)}, {5, 5}, {1, 2}, 2, {2, 2, 0}, 2},
        {"removal with another value", {0, 1}, {EV(1), EV(1)}, {5, 6}, {1, 2}, 2, {2, 2, 0}, 1},
        {"change on a hit without the run", {0}, {EV(1)}, {5}, {1}, 1, {0, 0, 0}, 1},
        {"prop change on a hit with eVars only", {0}, {PR(1)}, {5}, {1}, 1, {2, 0, 0}, 1},
        {"flags out of range", {0}, {EV(1)}, {5}, {1}, 1, {6, 0, 0}, 1},
        {"unknown op", {0}, {EV(1)}, {5}, {3}, 1, {2, 0, 0}, 1},
        {"row after changes", {0, 0}, {EV(1), PR(1)}, {5, 5}, {1, 0}, 2, {2, 0, 0}, 2},
        {"eVar changes before prop changes",
         {0, 0},
         {EV(1), PR(1)},
         {5, 5},
         {1, 1},
         2,
         {3, 0, 0},
         2},
        {"changes not ascending", {0, 0}, {EV(2), EV(1)}, {5, 5}, {1, 1}, 2, {2, 0, 0}, 2},
        {"change of a var without a run", {0}, {CN_VAR_LIST | 1}, {5}, {1}, 1, {2, 0, 0}, 1},
        {"hits out of order", {1, 0}, {PR(1), PR(1)}, {5, 5}, {0, 0}, 2, {0, 0, 0}, 2},
        {"rows after the hits", {3}, {PR(1)}, {5}, {0}, 1, {0, 0, 0}, 1},
        {"flag with nothing in force", {0}, {PR(1)}, {5}, {0}, 1, {2, 0, 0}, 1},
        {"more rows than the group", {0}, {EV(1)}, {5}, {1}, 1, {2, 2, 2}, 2},
        {"fewer rows than the group", {0}, {EV(1)}, {5}, {1}, 1, {2, 2, 0}, 3},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const phys_case_t *c = &cases[k];
        const char *why = NULL;
        uint64_t at = 99;
        int rc = expand_case(c, &why, &at);
        if (rc != CN_ECORRUPT || !why || at > c->n)
            fail_msg("%s: rc %d, why %s, at %llu", c->name, rc, why ? why : "-",
                     (unsigned long long)at);
    }
    /* the consistent ones these were made from */
    static const phys_case_t good[] = {
        {"set, carried, removed",
         {0, 0, 2},
         {EV(1), EV(2), EV(1)},
         {5, 6, 5},
         {1, 1, 2},
         3,
         {2, 2, 2},
         5},
        {"props then eVars",
         {0, 0, 1},
         {PR(1), EV(1), PR(1)},
         {5, 5, 6},
         {1, 1, 1},
         3,
         {3, 3, 0},
         4},
        {"a plain row, then a run",
         {0, 0},
         {CN_VAR_LIST | 1, EV(1)},
         {5, 5},
         {0, 1},
         2,
         {2, 2, 2},
         4},
    };
    for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
        const char *why = NULL;
        uint64_t at;
        if (expand_case(&good[k], &why, &at) != 0)
            fail_msg("%s: %s at %llu", good[k].name, why, (unsigned long long)at);
    }
}

/* A file whose pages check out but whose "runs" flags disagree with its
 * changes: CN_ECORRUPT naming the file and an offset, never a crash. */
static void hostile_file_is_corrupt(void **state)
{
    (void)state;
    rows_t r;
    rows_init(&r, 5);
    add(&r, 0, EV(1), 1);
    add(&r, 1, EV(1), 1);
    add(&r, 2, EV(1), 2);
    add(&r, 3, EV(1), 2); /* hit 4: no eVar rows */
    cn_buf_t b = CN_BUF_INIT;
    encode(&r, 0, &b);
    cn_store_seg_t *seg;
    assert_int_equal(cn_store__seg_parse((uint8_t *)b.ptr, b.len, "t", NULL, &seg, NULL), 0);
    assert_true(seg->var_diff);
    /* rewrite the "runs" page: hit 2 loses its eVar run (its change stays) */
    const cn_store__pageref_t *pr = &seg->cols[CN_STORE__XCOL_HIT_RUNS].pages[0];
    int64_t flags[5];
    cn_buf_t scratch = CN_BUF_INIT;
    assert_int_equal(cn_store__page_decode((uint8_t *)b.ptr + pr->off, &pr->pg, flags, &scratch),
                     0);
    assert_int_equal(flags[2], 0); /* as the hit before in the same context */
    flags[2] = 2;
    cn_buf_t payload = CN_BUF_INIT;
    cn_store__page_t pg;
    cn_store__page_encode_as(flags, NULL, NULL, 5, CN_STORE__ENC_BITPACK, &payload, &pg);
    uint64_t foff = cn_load_u64le((uint8_t *)b.ptr + b.len - 32);
    uint64_t flen = cn_load_u64le((uint8_t *)b.ptr + b.len - 24);
    /* the new payload goes where the footer was, the footer after it */
    cn_buf_t f = CN_BUF_INIT;
    cn_buf_append(&f, b.ptr, foff);
    uint64_t new_off = f.len;
    cn_buf_append(&f, payload.ptr, payload.len);
    uint64_t new_foff = f.len;
    cn_buf_append(&f, b.ptr + foff, flen);
    /* find the page's entry in the footer by its offset and lengths */
    uint8_t *ft = (uint8_t *)f.ptr + new_foff;
    uint8_t *e = NULL;
    for (uint64_t i = 0; i + 36 <= flen; i++)
        if (cn_load_u64le(ft + i) == pr->off && cn_load_u32le(ft + i + 8) == pr->pg.stored_len &&
            cn_load_u32le(ft + i + 16) == 5 && ft[i + 20] == pr->pg.enc)
            e = ft + i;
    assert_non_null(e);
    cn_buf_t ent = CN_BUF_INIT;
    cn_buf_put_u64le(&ent, new_off);
    cn_buf_put_u32le(&ent, pg.stored_len);
    cn_buf_put_u32le(&ent, pg.raw_len);
    cn_buf_put_u32le(&ent, pg.rows);
    uint8_t enc[4] = {pg.enc, pg.width, pg.zstd, 0};
    cn_buf_append(&ent, enc, 4);
    cn_buf_put_u64le(&ent, (uint64_t)pg.base);
    cn_buf_put_u32le(&ent, cn_crc32c(0, payload.ptr, payload.len));
    memcpy(e, ent.ptr, 36);
    cn_buf_put_u64le(&f, new_foff);
    cn_buf_put_u64le(&f, flen);
    cn_buf_put_u32le(&f, cn_crc32c(0, ft, flen));
    cn_buf_put_u32le(&f, CN_STORE_FORMAT);
    cn_buf_append(&f, "CNSTEND1", 8);

    char path[] = "/tmp/cn-test-vardiff-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cn_store__write_file(path, f.ptr, f.len, true), 0);
    cn_store_seg_t *bad;
    cn_err_t err;
    assert_int_equal(cn_store__seg_open(path, 1, NULL, &bad, &err), 0);
    unlink(path);
    assert_int_equal(cn_store__seg_verify(bad, &err), CN_ECORRUPT);
    char want[64];
    snprintf(want, sizeof(want), "%s: offset ", path);
    if (!strstr(err.msg, want))
        fail_msg("message without file and offset: %s", err.msg);
    assert_non_null(strstr(err.msg, "without that run"));
    int64_t v[4];
    assert_int_equal(cn_store__seg_read(bad, CN_COL_VAR_value, 0, 4, v, &err), CN_ECORRUPT);
    uint32_t u[4];
    assert_int_equal(cn_store_read_u32(bad, CN_COL_VAR_var, 0, 4, u, &err), CN_ECORRUPT);
    /* the hit group still reads */
    assert_int_equal(cn_store__seg_read(bad, CN_COL_HIT_visit, 0, 4, v, &err), 0);
    cn_store__seg_unref(bad);
    cn_store__seg_unref(seg);
    cn_buf_dispose(&ent);
    cn_buf_dispose(&f);
    cn_buf_dispose(&payload);
    cn_buf_dispose(&scratch);
    cn_buf_dispose(&b);
    rows_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(carried_changed_removed),
        cmocka_unit_test(interleaved_visits),
        cmocka_unit_test(empty_and_props_only),
        cmocka_unit_test(unsorted_rows_stored_as_they_are),
        cmocka_unit_test(many_pages),
        cmocka_unit_test(inconsistent_changes_are_corrupt),
        cmocka_unit_test(hostile_file_is_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
