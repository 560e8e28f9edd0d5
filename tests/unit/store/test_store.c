/* SPDX-License-Identifier: Apache-2.0 */
/* The store through its public API: sink, checkpoints and recovery, local-day
 * partitions across DST, snapshots during merges, retention, check. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "helpers.h"
#include "lib/clock.h"
#include "store/store.h"

#include <cmocka.h>

/* Reads every hit of a snapshot: checks hit_num values are exactly 0..n-1 once. */
static uint64_t verify_hits(cn_store_snap_t *sn, uint64_t n, int64_t step_us)
{
    uint8_t *seen = calloc(n ? n : 1, 1);
    uint64_t total = 0;
    uint32_t *hn = malloc(CN_STORE_PAGE_ROWS * 4), *page = malloc(CN_STORE_PAGE_ROWS * 4);
    int64_t *ts = malloc(CN_STORE_PAGE_ROWS * 8);
    int dict = cn_store_col(CN_COL_HIT_page)->dict;
    for (size_t p = 0; p < cn_store_snap_partition_count(sn); p++) {
        for (size_t k = 0; k < cn_store_snap_segment_count(sn, p); k++) {
            const cn_store_seg_t *g = cn_store_snap_segment(sn, p, k);
            uint64_t rows = cn_store_seg_rows(g, CN_GROUP_HIT);
            for (uint64_t r = 0; r < rows; r += CN_STORE_PAGE_ROWS) {
                size_t m = rows - r < CN_STORE_PAGE_ROWS ? rows - r : CN_STORE_PAGE_ROWS;
                assert_int_equal(cn_store_read_u32(g, CN_COL_HIT_hit_num, r, m, hn, NULL), 0);
                assert_int_equal(cn_store_read_u32(g, CN_COL_HIT_page, r, m, page, NULL), 0);
                assert_int_equal(cn_store_read_i64(g, CN_COL_HIT_ts, r, m, ts, NULL), 0);
                for (size_t i = 0; i < m; i++) {
                    if (hn[i] >= n || seen[hn[i]])
                        fail_msg("hit %u out of range or twice", hn[i]);
                    seen[hn[i]] = 1;
                    char want[32];
                    snprintf(want, sizeof(want), "/p/%u", hn[i] % 50);
                    cn_str_t got = cn_store_snap_dict_str(sn, dict, page[i]);
                    assert_true(cn_str_eq_c(got, want) ||
                                (hn[i] == 800 && cn_str_eq_c(got, "/only-after-checkpoint")));
                    assert_int_equal(ts[i], T_BASE_TS + (int64_t)hn[i] * step_us);
                }
                total += m;
            }
        }
    }
    free(seen);
    free(hn);
    free(page);
    free(ts);
    return total;
}

static void report(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "# check: %s\n", msg);
}

static void write_checkpoint_reopen(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 1000, 60000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "ck-1000", 7), 0);
    cn_store_close(s);

    s = t_open_store(dir, &suite);
    cn_buf_t blob = CN_BUF_INIT;
    assert_int_equal(cn_store_checkpoint_blob(s, &blob), 0);
    assert_true(cn_str_eq_c(cn_buf_str(&blob), "ck-1000"));
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 200);
    assert_int_equal(cn_store_snap_visitors(sn), 200);
    assert_int_equal(verify_hits(sn, 1000, 60000000), 1000);
    /* 1000 minutes: 2025-12-01 and 2025-12-01 + 16h40 -> one day */
    assert_int_equal(cn_store_snap_partition_count(sn), 1);
    assert_int_equal(cn_store_snap_partition_day(sn, 0), cn_store_day_from_ymd(2025, 12, 1));
    /* visits by ordinal */
    const cn_store_seg_t *vg = cn_store_snap_visit_find(sn, 150);
    assert_non_null(vg);
    uint32_t visitor;
    assert_int_equal(cn_store_read_u32(vg, CN_COL_VISIT_visitor, 150 - cn_store_seg_first_row(vg),
                                       1, &visitor, NULL),
                     0);
    assert_int_equal(visitor, 150);
    assert_null(cn_store_snap_visit_find(sn, 200));
    /* entry_page shares the page dictionary */
    int pd = cn_store_col(CN_COL_HIT_page)->dict;
    assert_int_equal(cn_store_col(CN_COL_VISIT_entry_page)->dict, pd);
    uint32_t id;
    assert_int_equal(cn_store_snap_dict_id(sn, pd, CN_STR_LIT("/landing/3"), &id), 0);
    assert_true(cn_str_eq_c(cn_store_snap_dict_str(sn, pd, id), "/landing/3"));
    assert_int_equal(cn_store_snap_dict_id(sn, pd, CN_STR_LIT("/nope"), &id), CN_ENOTFOUND);
    /* child rows point at their hits */
    const cn_store_seg_t *g = cn_store_snap_segment(sn, 0, 0);
    uint64_t items = cn_store_seg_rows(g, CN_GROUP_ITEM);
    assert_int_equal(items, 2 * ((1000 + 6) / 7));
    uint32_t *ih = malloc(items * 4);
    assert_int_equal(cn_store_read_u32(g, CN_COL_ITEM_hit, 0, items, ih, NULL), 0);
    for (uint64_t i = 0; i < items; i++)
        assert_int_equal(ih[i] % 7, 0);
    free(ih);
    cn_store_snap_release(sn);
    cn_buf_dispose(&blob);
    cn_store_close(s);

    cn_store_check_stats_t st;
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, &st, NULL), 0);
    assert_int_equal(st.problems, 0);
    assert_true(st.segments >= 2);
    rm_rf(dir);
    free(dir);
}

/* A store folder whose MANIFEST is lost is refused for writing, and nothing in it is deleted
 * (a writer used to start it empty and delete its segments as garbage). */
static void a_lost_manifest_is_refused_not_emptied(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 1000, 60000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "ck-1000", 7), 0);
    cn_store_close(s);
    char man[600];
    snprintf(man, sizeof(man), "%s/store/shop/MANIFEST", dir);
    assert_int_equal(unlink(man), 0);
    size_t before = t_count_files(dir, ".seg") + t_count_files(dir, ".ckpt");
    assert_true(before >= 2);

    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.no_fsync = true;
    cn_err_t err;
    cn_err_clear(&err);
    s = NULL;
    assert_int_equal(cn_store_open(dir, &suite, &o, &s, &err), CN_ECORRUPT);
    assert_null(s);
    assert_non_null(strstr(err.msg, "MANIFEST is missing"));
    assert_non_null(strstr(err.msg, "canton reprocess --suite shop"));
    assert_int_equal(t_count_files(dir, ".seg") + t_count_files(dir, ".ckpt"), before);
    assert_false(access(man, F_OK) == 0);
    /* read-only, it is no store, as before */
    o.read_only = true;
    assert_int_equal(cn_store_open(dir, &suite, &o, &s, &err), CN_ENOTFOUND);
    rm_rf(dir);
    free(dir);
}

static void rows_after_the_checkpoint_are_dropped(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 500, 1000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "500", 3), 0);
    int pd = cn_store_col(CN_COL_HIT_page)->dict;
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    uint32_t len_at_ck = cn_store_snap_dict_len(sn, pd);
    cn_store_snap_release(sn);
    /* more rows, a flush (tentative), more rows in the buffer, then "crash" */
    char buf[64];
    cn_hit_row_t h;
    assert_int_equal(t_emit(&k, 500, 800, 1000000), 0);
    t_hit_row(800, 1000000, &h, buf, sizeof(buf));
    h.page = CN_STR_LIT("/only-after-checkpoint");
    cn_visit_row_t v160;
    char vb[64];
    t_visit_row(160, &v160, vb, sizeof(vb));
    assert_int_equal(k.visit(k.ud, 160, &v160), 0);
    uint32_t id;
    assert_int_equal(k.hit(k.ud, &h, &id), 0);
    assert_int_equal(cn_store_flush(s), 0);
    cn_store_snapshot(s, &sn);
    assert_int_equal(verify_hits(sn, 801, 1000000), 801);
    assert_int_equal(cn_store_snap_dict_len(sn, pd), len_at_ck + 1);
    cn_store_snap_release(sn);
    assert_int_equal(t_emit(&k, 801, 900, 1000000), 0);
    cn_store_close(s);

    s = t_open_store(dir, &suite);
    cn_buf_t blob = CN_BUF_INIT;
    cn_store_checkpoint_blob(s, &blob);
    assert_true(cn_str_eq_c(cn_buf_str(&blob), "500"));
    cn_store_snapshot(s, &sn);
    assert_int_equal(verify_hits(sn, 500, 1000000), 500);
    assert_int_equal(cn_store_snap_visits(sn), 100);
    assert_int_equal(cn_store_snap_dict_len(sn, pd), len_at_ck);
    assert_int_equal(cn_store_snap_dict_id(sn, pd, CN_STR_LIT("/only-after-checkpoint"), &id),
                     CN_ENOTFOUND);
    cn_store_snap_release(sn);
    /* replay from the checkpoint: same ids as before */
    k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 500, 800, 1000000), 0);
    assert_int_equal(k.visit(k.ud, 160, &v160), 0);
    assert_int_equal(k.hit(k.ud, &h, &id), 0);
    assert_int_equal(id, 800);
    assert_int_equal(k.checkpoint(k.ud, "801", 3), 0);
    cn_store_snapshot(s, &sn);
    uint32_t pid;
    assert_int_equal(cn_store_snap_dict_id(sn, pd, CN_STR_LIT("/only-after-checkpoint"), &pid), 0);
    assert_int_equal(pid, len_at_ck);
    assert_int_equal(verify_hits(sn, 801, 1000000), 801);
    cn_store_snap_release(sn);
    cn_buf_dispose(&blob);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

static void buffered_rows_are_visible(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 100, 1000000), 0);
    usleep(250000);
    assert_int_equal(t_emit(&k, 100, 600, 1000000), 0); /* the writer publishes as it goes */
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    uint64_t n = 0;
    for (size_t p = 0; p < cn_store_snap_partition_count(sn); p++)
        n += cn_store_snap_partition_hits(sn, p);
    assert_true(n >= 100 && n <= 600);
    assert_true(cn_store_seg_is_memory(cn_store_snap_segment(sn, 0, 0)));
    assert_int_equal(verify_hits(sn, 600, 1000000), n);
    cn_store_snap_release(sn);
    cn_store_close(s);
    rm_rf(dir);
    free(dir);
}

static void local_days_across_dst(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("America/New_York");
    cn_store_t *s = t_open_store(dir, &suite);
    int32_t mar8 = cn_store_day_from_ymd(2026, 3, 8), nov1 = cn_store_day_from_ymd(2026, 11, 1);
    int64_t a, b;
    cn_store_day_bounds(s, mar8, &a, &b);
    assert_int_equal(a, 1772946000000000LL); /* 2026-03-08T05:00:00Z */
    assert_int_equal(b - a, 23 * 3600000000LL);
    cn_store_day_bounds(s, nov1, &a, &b);
    assert_int_equal(a, 1793505600000000LL); /* 2026-11-01T04:00:00Z */
    assert_int_equal(b - a, 25 * 3600000000LL);
    assert_int_equal(cn_store_tz_offset(s, 1772946000000000LL), -5 * 3600);
    assert_int_equal(cn_store_tz_offset(s, 1772946000000000LL + 86400000000LL), -4 * 3600);

    /* hits one second either side of each local midnight */
    int64_t times[] = {1772945999000000LL, 1772946000000000LL, 1773028799000000LL,
                       1773028800000000LL, 1793505599000000LL, 1793505600000000LL,
                       1793595599000000LL, 1793595600000000LL};
    int32_t want[] = {mar8 - 1, mar8, mar8, mar8 + 1, nov1 - 1, nov1, nov1, nov1 + 1};
    cn_sink_t k = cn_store_sink(s);
    cn_visit_row_t v = {0};
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(cn_store_day_of(s, times[i]), want[i]);
        cn_hit_row_t h = {.ts = times[i], .hit_num = (uint32_t)i};
        uint32_t id;
        assert_int_equal(k.hit(k.ud, &h, &id), 0);
    }
    assert_int_equal(k.checkpoint(k.ud, NULL, 0), 0);
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    assert_int_equal(cn_store_snap_partition_count(sn), 6);
    size_t p = cn_store_snap_partition_find(sn, mar8);
    assert_int_equal(cn_store_snap_partition_day(sn, p), mar8);
    assert_int_equal(cn_store_snap_partition_hits(sn, p), 2);
    p = cn_store_snap_partition_find(sn, nov1);
    assert_int_equal(cn_store_snap_partition_hits(sn, p), 2);
    assert_int_equal(cn_store_snap_partition_find(sn, nov1 + 100), 6);
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    /* the same store read with another zone puts hits in the wrong days: check says so */
    cn_suite_conf_t other = test_suite("Asia/Tokyo");
    assert_int_equal(cn_store_check(dir, &other, NULL, NULL, NULL, NULL), CN_ECORRUPT);
    int y, m, d;
    cn_store_day_to_ymd(nov1, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20261101);
    assert_int_equal(cn_store_day_from_ymd(1970, 1, 1), 0);
    cn_store_day_to_ymd(-1, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 19691231);
    rm_rf(dir);
    free(dir);
}

static void snapshot_survives_merge(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    /* day 1 in three checkpoints, then day 2 (one hit every 20 min: 72 a day) */
    int64_t step = 1200000000LL;
    assert_int_equal(t_emit(&k, 0, 20, step), 0);
    assert_int_equal(k.checkpoint(k.ud, "a", 1), 0);
    assert_int_equal(t_emit(&k, 20, 40, step), 0);
    assert_int_equal(k.checkpoint(k.ud, "b", 1), 0);
    assert_int_equal(t_emit(&k, 40, 100, step), 0);
    assert_int_equal(k.checkpoint(k.ud, "c", 1), 0);
    cn_store_snap_t *old;
    cn_store_snapshot(s, &old);
    assert_int_equal(cn_store_snap_partition_count(old), 2);
    assert_int_equal(cn_store_snap_segment_count(old, 0), 3);
    size_t before = t_count_files(dir, ".seg");
    assert_int_equal(cn_store_maintain(s, 0), 0);
    assert_true(t_count_files(dir, ".seg") < before); /* the merged-away files are gone */
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    assert_int_equal(cn_store_snap_segment_count(sn, 0), 1);
    assert_int_equal(cn_store_snap_segment_count(sn, 1), 1); /* the open day stays */
    /* both read the same rows; the old one from unlinked, still mapped files */
    assert_int_equal(verify_hits(old, 100, step), 100);
    assert_int_equal(verify_hits(sn, 100, step), 100);
    cn_store_snap_release(old);
    cn_store_snap_release(sn);
    /* writing continues after a merge; ids continue the partition */
    assert_int_equal(t_emit(&k, 100, 150, step), 0);
    assert_int_equal(k.checkpoint(k.ud, "d", 1), 0);
    cn_store_close(s);
    s = t_open_store(dir, &suite);
    cn_store_snapshot(s, &sn);
    assert_int_equal(verify_hits(sn, 150, step), 150);
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

static void small_segments_merge_on_the_open_day(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(t_emit(&k, (uint64_t)i * 10, (uint64_t)i * 10 + 10, 1000000), 0);
        assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    }
    assert_int_equal(cn_store_maintain(s, 0), 0);
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    assert_true(cn_store_snap_segment_count(sn, 0) < 4);
    assert_true(cn_store_snap_visit_segment_count(sn) < 4);
    assert_int_equal(verify_hits(sn, 120, 1000000), 120);
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

/* A flushed visit segment (no zstd) is rewritten alone, compressed, once. */
static void flushed_visit_segment_rewritten_once(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 3000, 1000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    assert_int_equal(cn_store_snap_visit_segment_count(sn), 1);
    uint64_t before = cn_store_seg_id(cn_store_snap_visit_segment(sn, 0));
    cn_store_snap_release(sn);
    uint64_t ids[2];
    for (int round = 0; round < 2; round++) {
        assert_int_equal(cn_store_maintain(s, 0), 0);
        cn_store_snapshot(s, &sn);
        assert_int_equal(cn_store_snap_visit_segment_count(sn), 1);
        const cn_store_seg_t *vs = cn_store_snap_visit_segment(sn, 0);
        ids[round] = cn_store_seg_id(vs);
        uint64_t n = cn_store_seg_rows(vs, CN_GROUP_VISIT);
        assert_int_equal(n, 600);
        uint32_t *u = malloc(n * sizeof(uint32_t));
        assert_int_equal(cn_store_read_u32(vs, CN_COL_VISIT_visitor, 0, n, u, NULL), 0);
        for (uint64_t v = 0; v < n; v++)
            assert_int_equal(u[v], v % 1000);
        free(u);
        cn_store_snap_release(sn);
    }
    assert_int_not_equal(ids[0], before); /* rewritten */
    assert_int_equal(ids[1], ids[0]);     /* and only once */
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

static void retention_drops_whole_days(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_conf_kv_t kv = {(char *)"retention_days", (char *)"3", 1};
    suite.kv = &kv;
    suite.kv_count = 1;
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    int64_t step = 8 * 3600000000LL; /* 3 hits a day, 10 days */
    assert_int_equal(t_emit(&k, 0, 30, step), 0);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    int64_t now = T_BASE_TS + 9 * 86400000000LL + 1;
    assert_int_equal(cn_store_maintain(s, now), 0);
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    assert_int_equal(cn_store_snap_partition_count(sn), 4); /* days 6..9 kept */
    assert_int_equal(cn_store_snap_partition_day(sn, 0), cn_store_day_from_ymd(2025, 12, 7));
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

static void flip(const char *path, long off)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    struct stat st;
    fstat(fd, &st);
    if (off < 0)
        off += st.st_size;
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x01;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

typedef struct msgs {
    char text[4096];
} msgs_t;

static void collect(void *ud, const char *msg)
{
    msgs_t *m = ud;
    strncat(m->text, msg, sizeof(m->text) - strlen(m->text) - 2);
    strcat(m->text, "\n");
}

static void check_detects_flipped_bytes(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 3000, 1000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
    cn_store_close(s);
    char p[512], seg[1100];
    snprintf(p, sizeof(p), "%s/store/shop", dir);
    /* find the hit segment (the larger file) */
    DIR *d = opendir(p);
    struct dirent *e;
    off_t best = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".seg"))
            continue;
        char q[1024];
        struct stat st;
        snprintf(q, sizeof(q), "%s/%s", p, e->d_name);
        stat(q, &st);
        if (st.st_size > best) {
            best = st.st_size;
            snprintf(seg, sizeof(seg), "%s", q);
        }
    }
    closedir(d);
    msgs_t m = {""};
    /* a byte in the first page */
    flip(seg, 20);
    assert_int_equal(cn_store_check(dir, &suite, collect, &m, NULL, NULL), CN_ECORRUPT);
    assert_non_null(strstr(m.text, seg));
    assert_non_null(strstr(m.text, "checksum"));
    /* the store refuses to give out that data */
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.read_only = true;
    assert_int_equal(cn_store_open(dir, &suite, &o, &s, NULL), 0);
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    uint32_t *buf = malloc(3000 * 4);
    int bad = 0;
    for (size_t c = 0; c < CN_COL_COUNT; c++) {
        if (cn_store_col((cn_store_col_t)c)->group != CN_GROUP_HIT)
            continue;
        int64_t *b64 = malloc(3000 * 8);
        bad += cn_store_snap_segment(sn, 0, 0) &&
               cn_store_read_i64(cn_store_snap_segment(sn, 0, 0), (cn_store_col_t)c, 0, 3000, b64,
                                 NULL) == CN_ECORRUPT;
        free(b64);
    }
    (void)bad;
    free(buf);
    cn_store_snap_release(sn);
    cn_store_close(s);
    flip(seg, 20);
    assert_int_equal(cn_store_check(dir, &suite, NULL, NULL, NULL, NULL), 0);
    /* the footer */
    flip(seg, -40);
    m.text[0] = '\0';
    assert_int_equal(cn_store_check(dir, &suite, collect, &m, NULL, NULL), CN_ECORRUPT);
    assert_non_null(strstr(m.text, "footer"));
    flip(seg, -40);
    /* a dictionary */
    snprintf(seg, sizeof(seg), "%s/page.dict", p);
    flip(seg, 20);
    m.text[0] = '\0';
    assert_int_equal(cn_store_check(dir, &suite, collect, &m, NULL, NULL), CN_ECORRUPT);
    assert_non_null(strstr(m.text, "page.dict"));
    assert_int_not_equal(cn_store_open(dir, &suite, &o, &s, NULL), 0);
    flip(seg, 20);
    /* the manifest */
    snprintf(seg, sizeof(seg), "%s/MANIFEST", p);
    flip(seg, 14);
    m.text[0] = '\0';
    assert_int_equal(cn_store_check(dir, &suite, collect, &m, NULL, NULL), CN_ECORRUPT);
    assert_non_null(strstr(m.text, "MANIFEST"));
    flip(seg, 14);
    assert_int_equal(cn_store_check(dir, &suite, NULL, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

static void sink_rejects_bad_references(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    cn_visit_row_t v = {0};
    assert_int_equal(k.visit(k.ud, 1, &v), CN_EINVAL); /* ordinals start at 0 */
    cn_hit_row_t h = {.ts = T_BASE_TS, .visit = 0};
    uint32_t id;
    assert_int_equal(k.hit(k.ud, &h, &id), CN_EINVAL); /* no visit yet */
    cn_item_row_t it = {.hit = 0};
    assert_int_equal(k.item(k.ud, &it), CN_EINVAL); /* no hit yet */
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    assert_int_equal(k.hit(k.ud, &h, &id), 0);
    assert_int_equal(id, 0);
    it.hit = 1;
    assert_int_equal(k.item(k.ud, &it), CN_EINVAL);
    it.hit = 0;
    assert_int_equal(k.item(k.ud, &it), 0);
    cn_store_t *s2;
    cn_err_t err;
    assert_int_equal(cn_store_open(dir, &suite, NULL, &s2, &err), CN_EEXIST);
    cn_suite_conf_t bad = test_suite("Mars/Olympus_Mons");
    assert_int_equal(cn_store_open(dir, &bad, NULL, &s2, &err), CN_ECONFIG);
    bad = test_suite("UTC");
    bad.id = (char *)"..";
    assert_int_equal(cn_store_open(dir, &bad, NULL, &s2, &err), CN_EINVAL);
    cn_store_close(s);
    rm_rf(dir);
    free(dir);
}

/* Each refusal of the sink says what was refused (cn_sink_t why), and a refused value leaves
 * nothing behind: the next rows are taken. */
static void sink_says_why_it_refuses(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_non_null(k.why);
    assert_string_equal(k.why(k.ud), "");
    cn_visit_row_t v = {0};
    assert_int_equal(k.visit(k.ud, 1, &v), CN_EINVAL);
    assert_string_equal(k.why(k.ud), "store of suite shop: visit ordinal 1 given where 0 was next");
    cn_hit_row_t h = {.ts = T_BASE_TS, .visit = 0};
    uint32_t id;
    assert_int_equal(k.hit(k.ud, &h, &id), CN_EINVAL);
    assert_string_equal(k.why(k.ud),
                        "store of suite shop: a hit of visit 0, before that visit's row");
    cn_event_row_t ev = {.hit = 0, .event = 1, .value = 1};
    assert_int_equal(k.event(k.ud, &ev), CN_EINVAL);
    assert_string_equal(
        k.why(k.ud), "store of suite shop: event row of hit 0, which is not the hit written last");

    /* a value one byte longer than a dictionary string, in a visit, a hit and a child row */
    size_t len = (1u << 20) + 1;
    char *big = malloc(len);
    memset(big, 'a', len);
    v.entry_page = cn_str(big, len);
    assert_int_equal(k.visit(k.ud, 0, &v), CN_ETOOBIG);
    assert_string_equal(k.why(k.ud), "store of suite shop: visit.entry_page: a value of 1048577 "
                                     "bytes (a dictionary string is at most 1048576 bytes)");
    v.entry_page = CN_STR_LIT("/home");
    assert_int_equal(k.visit(k.ud, 0, &v), 0);
    h.url = cn_str(big, len);
    assert_int_equal(k.hit(k.ud, &h, &id), CN_ETOOBIG);
    assert_string_equal(k.why(k.ud), "store of suite shop: hit.url: a value of 1048577 bytes (a "
                                     "dictionary string is at most 1048576 bytes)");
    h.url = CN_STR_LIT("https://example.com/");
    assert_int_equal(k.hit(k.ud, &h, &id), 0);
    assert_int_equal(id, 0);
    cn_var_row_t vr = {.hit = id, .var = 0x10000 | 7, .value = cn_str(big, len)};
    assert_int_equal(k.var(k.ud, &vr), CN_ETOOBIG);
    assert_string_equal(k.why(k.ud), "store of suite shop: var.value: a value of 1048577 bytes (a "
                                     "dictionary string is at most 1048576 bytes)");
    vr.value = cn_str(big, len - 1); /* the longest a dictionary holds */
    assert_int_equal(k.var(k.ud, &vr), 0);
    free(big);
    assert_int_equal(k.checkpoint(k.ud, "ck", 2), 0);
    cn_store_close(s);

    s = t_open_store(dir, &suite);
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 1);
    const cn_store_seg_t *g = cn_store_snap_segment(sn, 0, 0);
    assert_non_null(g);
    assert_int_equal(cn_store_seg_rows(g, CN_GROUP_HIT), 1);
    assert_int_equal(cn_store_seg_rows(g, CN_GROUP_VAR), 1);
    cn_store_snap_release(sn);
    cn_store_close(s);
    rm_rf(dir);
    free(dir);
}

/* A write that fails (here a file size limit, as a full disk would) stops the sink with the
 * file and the system's reason; reopened, the store is at its last checkpoint with every row
 * of it, and takes the replayed rows. */
static void a_failed_write_says_which_file_and_loses_nothing(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 0, 1000, 60000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "ck-1000", 7), 0);
    assert_int_equal(t_emit(&k, 1000, 1500, 60000000), 0);

    struct rlimit old, small = {.rlim_cur = 64};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = k.checkpoint(k.ud, "ck-1500", 7);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -EFBIG);
    char want[512];
    snprintf(want, sizeof(want), "store of suite shop: %s/store/shop/", dir);
    const char *why = k.why(k.ud);
    assert_int_equal(strncmp(why, want, strlen(want)), 0);
    assert_string_equal(why + strlen(why) - strlen(".seg: File too large"), ".seg: File too large");
    cn_store_close(s);

    /* processing restarts from the checkpoint it has: ck-1000, and replays */
    s = t_open_store(dir, &suite);
    cn_buf_t blob = CN_BUF_INIT;
    assert_int_equal(cn_store_checkpoint_blob(s, &blob), 0);
    assert_true(cn_str_eq_c(cn_buf_str(&blob), "ck-1000"));
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 200);
    assert_int_equal(verify_hits(sn, 1000, 60000000), 1000);
    cn_store_snap_release(sn);
    k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, 1000, 1500, 60000000), 0);
    assert_int_equal(k.checkpoint(k.ud, "ck-1500", 7), 0);
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 300);
    assert_int_equal(verify_hits(sn, 1500, 60000000), 1500);
    cn_store_snap_release(sn);
    cn_buf_dispose(&blob);
    cn_store_close(s);
    rm_rf(dir);
    free(dir);
}

/* Readers in threads while the writer writes and maintenance merges. */
typedef struct rd_arg {
    cn_store_t *s;
    atomic_int *stop;
    int64_t step;
    uint64_t reads;
} rd_arg_t;

static void *reader(void *p)
{
    rd_arg_t *a = p;
    while (!atomic_load(a->stop)) {
        cn_store_snap_t *sn;
        cn_store_snapshot(a->s, &sn);
        uint64_t hits = 0;
        for (size_t i = 0; i < cn_store_snap_partition_count(sn); i++)
            hits += cn_store_snap_partition_hits(sn, i);
        uint64_t got = verify_hits(sn, 1u << 20, a->step);
        if (got != hits)
            fail_msg("snapshot lists %llu hits, reads %llu", (unsigned long long)hits,
                     (unsigned long long)got);
        cn_store_snap_release(sn);
        a->reads++;
    }
    return NULL;
}

static void readers_during_writes_and_merges(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("Europe/Paris");
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.no_fsync = true;
    o.background = true;
    o.maintain_interval_us = 5000;
    o.flush_interval_us = 20000;
    cn_store_t *s;
    assert_int_equal(cn_store_open(dir, &suite, &o, &s, NULL), 0);
    atomic_int stop = 0;
    int64_t step = 600000000; /* 10 minutes: 144 hits a day */
    rd_arg_t args[2] = {{s, &stop, step, 0}, {s, &stop, step, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader, &args[i]);
    cn_sink_t k = cn_store_sink(s);
    for (uint64_t i = 0; i < 6000; i += 100) {
        assert_int_equal(t_emit(&k, i, i + 100, step), 0);
        if (i % 300 == 0)
            assert_int_equal(k.checkpoint(k.ud, "x", 1), 0);
        usleep(2000);
    }
    assert_int_equal(k.checkpoint(k.ud, "y", 1), 0);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_true(args[0].reads > 0);
    cn_store_close(s);
    s = t_open_store(dir, &suite);
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    assert_int_equal(verify_hits(sn, 6000, step), 6000);
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

/* --- The visit column ip (format 6), and stores written before it (format 5) --- */

/* The strings of visit column col for visits [from, from + n) of snapshot sn. */
static void visit_strs(cn_store_snap_t *sn, cn_store_col_t col, uint64_t from, size_t n,
                       const char **out)
{
    int dict = cn_store_col(col)->dict;
    for (size_t i = 0; i < n; i++) {
        const cn_store_seg_t *vg = cn_store_snap_visit_find(sn, from + i);
        assert_non_null(vg);
        uint32_t id;
        assert_int_equal(
            cn_store_read_u32(vg, col, from + i - cn_store_seg_first_row(vg), 1, &id, NULL), 0);
        cn_str_t s = cn_store_snap_dict_str(sn, dict, id);
        static char buf[8][64];
        snprintf(buf[i % 8], sizeof(buf[0]), "%.*s", CN_STR_FMT(s));
        out[i] = buf[i % 8];
    }
}

static uint32_t file_version(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/store/shop/%s", dir, name);
    uint8_t h[12];
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
    fclose(f);
    return (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
}

static cn_store_t *open_read_only(const char *dir, const cn_suite_conf_t *suite)
{
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.read_only = true;
    cn_store_t *s = NULL;
    cn_err_t err;
    int rc = cn_store_open(dir, suite, &o, &s, &err);
    if (rc != 0)
        fail_msg("read-only open %s: %s", dir, cn_err_msg(&err, rc));
    return s;
}

/* Appends visit `visit` (its first hit at ts, entry page Home) with the given ip, and its hit. */
static void emit_ip_visit(cn_sink_t *k, uint32_t visit, int64_t ts, const char *ip)
{
    cn_visit_row_t v;
    memset(&v, 0, sizeof(v));
    v.visitor = visit;
    v.visit_num = 1;
    v.start_ts = ts;
    v.entry_page = CN_STR_LIT("Home");
    v.ip = cn_str_c(ip);
    assert_int_equal(k->visit(k->ud, visit, &v), 0);
    cn_hit_row_t h;
    memset(&h, 0, sizeof(h));
    h.ts = ts;
    h.visit = visit;
    h.hit_num = 1;
    h.page = CN_STR_LIT("Home");
    uint32_t id;
    assert_int_equal(k->hit(k->ud, &h, &id), 0);
}

static void visit_ip_round_trips(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    cn_store_t *s = t_open_store(dir, &suite);
    cn_sink_t k = cn_store_sink(s);
    const char *ips[] = {"203.0.113.0", "2001:db8:1234::", "", "203.0.113.0",
                         "2001:db8:1234:5678::1"};
    for (uint32_t i = 0; i < 5; i++)
        emit_ip_visit(&k, i, T_BASE_TS + (int64_t)i * 60000000, ips[i]);
    assert_int_equal(k.checkpoint(k.ud, "ck", 2), 0);
    cn_store_close(s);

    s = open_read_only(dir, &suite);
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 5);
    const char *got[5];
    visit_strs(sn, CN_COL_VISIT_ip, 0, 5, got);
    for (int i = 0; i < 5; i++)
        assert_string_equal(got[i], ips[i]);
    /* its own dictionary: the same address is one id, "" is id 0 */
    int d = cn_store_col(CN_COL_VISIT_ip)->dict;
    assert_string_equal(cn_store_dict_name(d), "ip");
    assert_int_equal(cn_store_snap_dict_len(sn, d), 4);
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(file_version(dir, "MANIFEST"), CN_STORE_FORMAT);
    assert_int_equal(file_version(dir, "ip.dict"), CN_STORE_FORMAT);
    cn_store_check_stats_t st;
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, &st, NULL), 0);
    assert_int_equal(st.problems, 0);
    rm_rf(dir);
    free(dir);
}

/*
 * A store written by format 5 (no visit.ip, no ip.dict) opens, reads ip as "" and its other
 * columns as written, passes `canton check`, and takes new visits whose ip is kept. The
 * fixture tests/data/store-v5.tar.gz is store/shop of a data folder made by canton at commit
 * 8112a3a (format 5): `canton import --suite shop --format csv --process` of three rows on
 * 2026-11-02 (UTC): visitor v1 from 203.0.113.77 (Home 10:00, Product 10:01) and visitor v2
 * from 2001:db8:1234:5678::1 (Home 10:02); geography from the test mmdb gave AU and JP.
 */
static void a_format_5_store_opens_and_reads_ip_as_empty(void **state)
{
    (void)state;
    const char *src = getenv("CANTON_SRC");
    assert_non_null(src);
    char *dir = tmp_data_dir();
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "tar -xzf '%s/tests/data/store-v5.tar.gz' -C '%s'", src, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(file_version(dir, "MANIFEST"), 5);
    cn_suite_conf_t suite = test_suite("UTC");

    cn_store_t *s = open_read_only(dir, &suite);
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 2);
    assert_int_equal(cn_store_snap_partition_count(sn), 1);
    assert_int_equal(cn_store_snap_partition_day(sn, 0), cn_store_day_from_ymd(2026, 11, 2));
    assert_int_equal(cn_store_seg_rows(cn_store_snap_segment(sn, 0, 0), CN_GROUP_HIT), 3);
    const char *got[2];
    visit_strs(sn, CN_COL_VISIT_ip, 0, 2, got);
    assert_string_equal(got[0], "");
    assert_string_equal(got[1], "");
    visit_strs(sn, CN_COL_VISIT_country, 0, 2, got);
    assert_string_equal(got[0], "AU");
    assert_string_equal(got[1], "JP");
    visit_strs(sn, CN_COL_VISIT_entry_page, 0, 2, got);
    assert_string_equal(got[0], "Home");
    assert_string_equal(got[1], "Home");
    assert_int_equal(cn_store_snap_dict_len(sn, cn_store_col(CN_COL_VISIT_ip)->dict), 1);
    cn_store_snap_release(sn);
    cn_store_close(s);
    /* a reader writes nothing: no ip.dict, the manifest still format 5 */
    char p[512];
    snprintf(p, sizeof(p), "%s/store/shop/ip.dict", dir);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(file_version(dir, "MANIFEST"), 5);
    cn_store_check_stats_t st;
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, &st, NULL), 0);
    assert_int_equal(st.problems, 0);

    /* a writer appends: the new visit keeps its ip, the old ones stay "" */
    s = t_open_store(dir, &suite);
    cn_buf_t blob = CN_BUF_INIT;
    assert_int_equal(cn_store_checkpoint_blob(s, &blob), 0);
    assert_true(blob.len > 0);
    cn_buf_dispose(&blob);
    cn_sink_t k = cn_store_sink(s);
    emit_ip_visit(&k, 2, 1793617200000000LL /* 2026-11-02T11:00:00Z */, "203.0.113.0");
    assert_int_equal(k.checkpoint(k.ud, "ck", 2), 0);
    cn_store_close(s);
    assert_int_equal(file_version(dir, "MANIFEST"), CN_STORE_FORMAT);
    assert_int_equal(file_version(dir, "0000000001.seg"), 5);
    assert_int_equal(file_version(dir, "page.dict"), 5);

    s = open_read_only(dir, &suite);
    assert_int_equal(cn_store_snapshot(s, &sn), 0);
    assert_int_equal(cn_store_snap_visits(sn), 3);
    const char *all[3];
    visit_strs(sn, CN_COL_VISIT_ip, 0, 3, all);
    assert_string_equal(all[0], "");
    assert_string_equal(all[1], "");
    assert_string_equal(all[2], "203.0.113.0");
    visit_strs(sn, CN_COL_VISIT_country, 0, 3, all);
    assert_string_equal(all[0], "AU");
    assert_string_equal(all[2], "");
    cn_store_snap_release(sn);
    cn_store_close(s);
    assert_int_equal(cn_store_check(dir, &suite, report, NULL, &st, NULL), 0);
    assert_int_equal(st.problems, 0);
    rm_rf(dir);
    free(dir);
}

/* A format this canton does not read (4, or one newer than it) is refused by name. */
static void other_formats_are_refused(void **state)
{
    (void)state;
    const char *src = getenv("CANTON_SRC");
    assert_non_null(src);
    cn_suite_conf_t suite = test_suite("UTC");
    const uint32_t bad[] = {CN_STORE_FORMAT_MIN - 1, CN_STORE_FORMAT + 1};
    for (size_t i = 0; i < 2; i++) {
        char *dir = tmp_data_dir();
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "tar -xzf '%s/tests/data/store-v5.tar.gz' -C '%s'", src, dir);
        assert_int_equal(system(cmd), 0);
        /* the segment's header version (its CRC covers the footer only) */
        char p[512];
        snprintf(p, sizeof(p), "%s/store/shop/0000000001.seg", dir);
        FILE *f = fopen(p, "r+b");
        assert_non_null(f);
        uint8_t v[4] = {(uint8_t)bad[i], 0, 0, 0};
        assert_int_equal(fseek(f, 8, SEEK_SET), 0);
        assert_int_equal(fwrite(v, 1, 4, f), 4);
        fclose(f);
        cn_store_opts_t o;
        cn_store_opts_init(&o);
        o.read_only = true;
        cn_store_t *s = NULL;
        cn_err_t err;
        assert_int_equal(cn_store_open(dir, &suite, &o, &s, &err), CN_EVERSION);
        char want[64];
        snprintf(want, sizeof(want), "segment format %u, this canton reads %u to %u", bad[i],
                 CN_STORE_FORMAT_MIN, CN_STORE_FORMAT);
        assert_non_null(strstr(err.msg, want));
        rm_rf(dir);
        free(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_checkpoint_reopen),
        cmocka_unit_test(a_lost_manifest_is_refused_not_emptied),
        cmocka_unit_test(rows_after_the_checkpoint_are_dropped),
        cmocka_unit_test(buffered_rows_are_visible),
        cmocka_unit_test(local_days_across_dst),
        cmocka_unit_test(snapshot_survives_merge),
        cmocka_unit_test(small_segments_merge_on_the_open_day),
        cmocka_unit_test(flushed_visit_segment_rewritten_once),
        cmocka_unit_test(retention_drops_whole_days),
        cmocka_unit_test(check_detects_flipped_bytes),
        cmocka_unit_test(sink_rejects_bad_references),
        cmocka_unit_test(sink_says_why_it_refuses),
        cmocka_unit_test(a_failed_write_says_which_file_and_loses_nothing),
        cmocka_unit_test(readers_during_writes_and_merges),
        cmocka_unit_test(visit_ip_round_trips),
        cmocka_unit_test(a_format_5_store_opens_and_reads_ip_as_empty),
        cmocka_unit_test(other_formats_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
