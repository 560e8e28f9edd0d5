/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cn_store_check on a store that a writer changes while it runs: a
 * checkpoint or a merge that replaces files the check's manifest named
 * makes it start over (never a problem), a store that never settles is
 * "try again" (-EAGAIN, not damage), and real damage is still reported,
 * on a quiet store and on a live one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "helpers.h"
#include "lib/clock.h"
#include "store/internal.h"
#include "store/store.h"

#include <cmocka.h>

#define STEP_US 20000000LL /* 20 s between hits: 4320 a day */

typedef struct msgs {
    char text[8192];
    size_t n;
} msgs_t;

static void collect(void *ud, const char *msg)
{
    msgs_t *m = ud;
    size_t len = strlen(m->text);
    snprintf(m->text + len, sizeof(m->text) - len, "%s\n", msg);
    m->n++;
    fprintf(stderr, "# check: %s\n", msg);
}

/* Writes hits [from, to) and checkpoints with the blob "to". */
static void emit_ck(cn_store_t *s, uint64_t from, uint64_t to)
{
    cn_sink_t k = cn_store_sink(s);
    assert_int_equal(t_emit(&k, from, to, STEP_US), 0);
    char blob[32];
    int n = snprintf(blob, sizeof(blob), "%llu", (unsigned long long)to);
    assert_int_equal(k.checkpoint(k.ud, blob, (size_t)n), 0);
}

/* --- the writer acts between the check's reading of the manifest and its opening of files --- */

static cn_store_t *g_store;
static uint64_t g_next;
static unsigned g_act_until; /* the hook changes the store at attempts below this */
static unsigned g_calls;

static void change_store(unsigned attempt)
{
    g_calls++;
    if (attempt >= g_act_until)
        return;
    /* a checkpoint (a new .ckpt, the old one deleted) and a merge of the closed
     * day (its segments deleted) */
    emit_ck(g_store, g_next, g_next + 100);
    g_next += 100;
    assert_int_equal(cn_store_maintain(g_store, 0), 0);
}

/* Day 1 in three checkpoints, then a few hits of day 2: day 1 is closed with
 * three segments, which a maintenance pass merges. */
static void three_segments_on_a_closed_day(const char *dir, const cn_suite_conf_t *suite)
{
    g_store = t_open_store(dir, suite);
    emit_ck(g_store, 0, 1500);
    emit_ck(g_store, 1500, 3000);
    emit_ck(g_store, 3000, 4400);
    g_next = 4400;
}

/* A check during which the writer changes the store at its first act_until attempts. */
static int check_changing(const char *dir, const cn_suite_conf_t *suite, unsigned act_until,
                          msgs_t *m, cn_store_check_stats_t *st, cn_err_t *err)
{
    g_act_until = act_until;
    g_calls = 0;
    cn_err_clear(err);
    cn_store__check_hook = change_store;
    int rc = cn_store_check(dir, suite, collect, m, st, err);
    cn_store__check_hook = NULL;
    return rc;
}

static void check_starts_over_when_a_checkpoint_and_a_merge_replace_files(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    three_segments_on_a_closed_day(dir, &suite);
    size_t segs_before = t_count_files(dir, ".seg");

    msgs_t m = {"", 0};
    cn_store_check_stats_t st;
    cn_err_t err;
    int rc = check_changing(dir, &suite, 1, &m, &st, &err);
    if (rc != 0)
        fail_msg("check: %s / %s", cn_err_msg(&err, rc), m.text);
    assert_int_equal(st.problems, 0);
    /* the first attempt found deleted files under a changed manifest */
    assert_int_equal(st.retries, 1);
    assert_int_equal(g_calls, 2);
    /* the merge did replace day 1's three segments by one */
    assert_true(t_count_files(dir, ".seg") < segs_before);
    assert_int_equal(t_count_files(dir, ".ckpt"), 1);
    assert_true(st.segments >= 2);
    assert_true(st.rows >= 4500);
    cn_store_close(g_store);
    assert_int_equal(cn_store_check(dir, &suite, collect, &m, &st, NULL), 0);
    assert_int_equal(st.retries, 0);
    rm_rf(dir);
    free(dir);
}

static void check_of_a_store_that_never_settles_says_try_again(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    three_segments_on_a_closed_day(dir, &suite);
    msgs_t m = {"", 0};
    cn_store_check_stats_t st;
    cn_err_t err;
    int rc = check_changing(dir, &suite, 1000000, &m, &st, &err);
    /* not "damaged": nothing was reported, the check could not run */
    assert_int_equal(rc, -EAGAIN);
    assert_int_equal(st.problems, 0);
    assert_int_equal(m.n, 0);
    assert_true(st.retries >= 10);
    assert_non_null(strstr(err.msg, "changed under the check"));
    cn_store_close(g_store);
    rm_rf(dir);
    free(dir);
}

static void check_reports_files_missing_from_a_quiet_store(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    three_segments_on_a_closed_day(dir, &suite);
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(g_store, &sn), 0);
    char seg[600], ck[600];
    snprintf(seg, sizeof(seg), "%s/store/shop/%010llu.seg", dir,
             (unsigned long long)cn_store_seg_id(cn_store_snap_segment(sn, 0, 1)));
    cn_store_snap_release(sn);
    cn_store_close(g_store);
    /* the checkpoint blob: the newest .ckpt */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "ls '%s'/store/shop/*.ckpt", dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(fgets(ck, sizeof(ck), f));
    pclose(f);
    ck[strcspn(ck, "\n")] = '\0';

    assert_int_equal(unlink(seg), 0);
    assert_int_equal(unlink(ck), 0);
    msgs_t m = {"", 0};
    cn_store_check_stats_t st;
    assert_int_equal(cn_store_check(dir, &suite, collect, &m, &st, NULL), CN_ECORRUPT);
    assert_int_equal(st.retries, 0);
    assert_int_equal(st.problems, 2);
    assert_non_null(strstr(m.text, seg));
    assert_non_null(strstr(m.text, ck));
    assert_non_null(strstr(m.text, "No such file"));
    rm_rf(dir);
    free(dir);
}

/* --- a writer thread checkpointing and merging while checks run --- */

typedef struct live {
    cn_store_t *s;
    atomic_bool stop, no_maintain;
    atomic_uint_fast64_t checkpoints;
    int err;
} live_t;

static void *live_writer(void *arg)
{
    live_t *l = arg;
    cn_sink_t k = cn_store_sink(l->s);
    uint64_t i = 0;
    while (!atomic_load(&l->stop)) {
        if ((l->err = t_emit(&k, i, i + 150, STEP_US)) != 0)
            break;
        i += 150;
        char blob[32];
        int n = snprintf(blob, sizeof(blob), "%llu", (unsigned long long)i);
        if ((l->err = k.checkpoint(k.ud, blob, (size_t)n)) != 0)
            break;
        atomic_fetch_add(&l->checkpoints, 1);
        if (atomic_load(&l->checkpoints) % 4 == 0 && !atomic_load(&l->no_maintain) &&
            (l->err = cn_store_maintain(l->s, 0)) != 0)
            break;
        usleep(1000);
    }
    return NULL;
}

static void flip(const char *path, off_t off)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x10;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static void check_of_a_live_store_is_ok_and_still_finds_damage(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("UTC");
    live_t l;
    memset(&l, 0, sizeof(l));
    l.s = t_open_store(dir, &suite);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, live_writer, &l), 0);
    while (atomic_load(&l.checkpoints) < 40)
        usleep(2000);
    /* at least 40 checks, and as many as it takes for the writer to replace the
     * files 10 times during them: how many checkpoints a check overlaps depends
     * on the machine's fsync and CPU, so the count is waited for, not assumed */
    uint64_t retries = 0, ck0 = atomic_load(&l.checkpoints);
    int64_t t0 = cn_time_mono_us();
    int n = 0;
    for (; n < 40 || atomic_load(&l.checkpoints) <= ck0 + 10; n++) {
        if (cn_time_mono_us() - t0 > 120000000)
            fail_msg("only %llu checkpoints during %d checks in 120 s",
                     (unsigned long long)(atomic_load(&l.checkpoints) - ck0), n);
        msgs_t m = {"", 0};
        cn_store_check_stats_t st;
        cn_err_t err;
        cn_err_clear(&err);
        int rc = cn_store_check(dir, &suite, collect, &m, &st, &err);
        if (rc != 0)
            fail_msg("check %d of a live store: %s / %s", n, cn_err_msg(&err, rc), m.text);
        assert_int_equal(st.problems, 0);
        assert_true(st.segments > 0);
        retries += st.retries;
    }
    uint64_t ck1 = atomic_load(&l.checkpoints);
    fprintf(stderr, "# %d checks during %llu checkpoints: %llu restarts\n", n,
            (unsigned long long)(ck1 - ck0), (unsigned long long)retries);
    assert_true(ck1 > ck0 + 10);

    /* damage in a closed day's segment, the writer still checkpointing (no more merges, so
     * that none reads the damaged page) */
    atomic_store(&l.no_maintain, true);
    uint64_t ck_stop = atomic_load(&l.checkpoints);
    while (atomic_load(&l.checkpoints) < ck_stop + 2)
        usleep(1000);
    cn_store_snap_t *sn;
    assert_int_equal(cn_store_snapshot(l.s, &sn), 0);
    assert_true(cn_store_snap_partition_count(sn) >= 2);
    char seg[600];
    snprintf(seg, sizeof(seg), "%s/store/shop/%010llu.seg", dir,
             (unsigned long long)cn_store_seg_id(cn_store_snap_segment(sn, 0, 0)));
    cn_store_snap_release(sn);
    flip(seg, 20);
    uint64_t ck2 = atomic_load(&l.checkpoints);
    t0 = cn_time_mono_us();
    for (n = 0; n < 5 || atomic_load(&l.checkpoints) <= ck2; n++) {
        if (cn_time_mono_us() - t0 > 120000000)
            fail_msg("no checkpoint during %d checks in 120 s", n);
        msgs_t m = {"", 0};
        cn_store_check_stats_t st;
        assert_int_equal(cn_store_check(dir, &suite, collect, &m, &st, NULL), CN_ECORRUPT);
        assert_int_equal(st.problems, 1);
        assert_non_null(strstr(m.text, seg));
        assert_non_null(strstr(m.text, "checksum"));
    }
    assert_true(atomic_load(&l.checkpoints) > ck2);
    atomic_store(&l.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(l.err, 0);
    cn_store_close(l.s);
    flip(seg, 20);
    assert_int_equal(cn_store_check(dir, &suite, NULL, NULL, NULL, NULL), 0);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_starts_over_when_a_checkpoint_and_a_merge_replace_files),
        cmocka_unit_test(check_of_a_store_that_never_settles_says_try_again),
        cmocka_unit_test(check_reports_files_missing_from_a_quiet_store),
        cmocka_unit_test(check_of_a_live_store_is_ok_and_still_finds_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
