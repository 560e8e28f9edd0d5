/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash safety: a child process writes through the sink with frequent
 * flushes, checkpoints and background merges, and is killed with SIGKILL at
 * a random moment, again and again. After each kill the store must open,
 * pass the check, and hold exactly the rows its last checkpoint covers;
 * the next child resumes from that checkpoint, as processing replays the
 * hitlog. At the end every hit is present exactly once.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"
#include "lib/clock.h"
#include "store/store.h"

#include <cmocka.h>

#define STEP_US 97000000LL /* 97 s between hits: ~890 a day, so days close often */

static cn_store_opts_t writer_opts(void)
{
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    o.background = true;
    o.maintain_interval_us = 3000;
    o.flush_interval_us = 2000;
    o.flush_rows = 300;
    return o;
}

static uint64_t blob_count(cn_store_t *s)
{
    cn_buf_t b = CN_BUF_INIT;
    if (cn_store_checkpoint_blob(s, &b) != 0)
        fail_msg("checkpoint blob unreadable");
    uint64_t n = b.len ? strtoull(b.ptr, NULL, 10) : 0;
    cn_buf_dispose(&b);
    return n;
}

/* The child: resume from the checkpoint and write until killed. */
static void writer(const char *dir, const cn_suite_conf_t *suite)
{
    cn_store_opts_t o = writer_opts();
    cn_store_t *s;
    cn_err_t err;
    if (cn_store_open(dir, suite, &o, &s, &err) != 0) {
        fprintf(stderr, "child open: %s\n", err.msg);
        _exit(3);
    }
    uint64_t n = blob_count(s);
    cn_sink_t k = cn_store_sink(s);
    for (uint64_t i = n;; i += 37) {
        if (t_emit(&k, i, i + 37, STEP_US) != 0)
            _exit(4);
        char blob[32];
        int len = snprintf(blob, sizeof(blob), "%llu", (unsigned long long)(i + 37));
        if ((i / 37) % 3 == 0 && k.checkpoint(k.ud, blob, (size_t)len) != 0)
            _exit(5);
        if ((i / 37) % 16 == 0)
            cn_store_maintain(s, 0); /* merges from this thread too */
    }
}

static uint64_t count_hits(cn_store_t *s)
{
    cn_store_snap_t *sn;
    cn_store_snapshot(s, &sn);
    uint64_t n = 0;
    uint32_t *hn = malloc(CN_STORE_PAGE_ROWS * 4);
    uint8_t *seen = calloc(1u << 22, 1);
    for (size_t p = 0; p < cn_store_snap_partition_count(sn); p++)
        for (size_t k = 0; k < cn_store_snap_segment_count(sn, p); k++) {
            const cn_store_seg_t *g = cn_store_snap_segment(sn, p, k);
            uint64_t rows = cn_store_seg_rows(g, CN_GROUP_HIT);
            for (uint64_t r = 0; r < rows; r += CN_STORE_PAGE_ROWS) {
                size_t m = rows - r < CN_STORE_PAGE_ROWS ? rows - r : CN_STORE_PAGE_ROWS;
                assert_int_equal(cn_store_read_u32(g, CN_COL_HIT_hit_num, r, m, hn, NULL), 0);
                for (size_t i = 0; i < m; i++) {
                    assert_true(hn[i] < (1u << 22));
                    if (seen[hn[i]])
                        fail_msg("hit %u stored twice", hn[i]);
                    seen[hn[i]] = 1;
                }
                n += m;
            }
        }
    for (uint64_t i = 0; i < n; i++)
        if (!seen[i])
            fail_msg("hit %llu missing of %llu", (unsigned long long)i, (unsigned long long)n);
    free(seen);
    free(hn);
    assert_int_equal(cn_store_snap_visits(sn), (n + 4) / 5);
    cn_store_snap_release(sn);
    return n;
}

static void report(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "# check: %s\n", msg);
}

static void sigkill_during_flushes_and_merges(void **state)
{
    (void)state;
    char *dir = tmp_data_dir();
    cn_suite_conf_t suite = test_suite("Europe/Berlin");
    srand((unsigned)time(NULL));
    uint64_t last = 0;
    int rounds = 10;
    for (int round = 0; round < rounds; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            writer(dir, &suite);
        usleep(150000 + (useconds_t)(rand() % 450000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st))
            fail_msg("writer exited with %d before the kill", WEXITSTATUS(st));
        cn_store_check_stats_t cs;
        cn_err_t cerr;
        cn_err_clear(&cerr);
        int crc = cn_store_check(dir, &suite, report, NULL, &cs, &cerr);
        if (crc == CN_ENOTFOUND && last == 0)
            crc = 0; /* killed before the store's first manifest: there is no store yet */
        if (crc != 0)
            fail_msg("round %d: check failed before recovery: %s", round, cn_err_msg(&cerr, crc));
        cn_store_opts_t o;
        cn_store_opts_init(&o);
        cn_store_t *s;
        cn_err_t err;
        if (cn_store_open(dir, &suite, &o, &s, &err) != 0)
            fail_msg("round %d: open: %s", round, err.msg);
        uint64_t ck = blob_count(s);
        uint64_t n = count_hits(s);
        assert_int_equal(n, ck); /* exactly the checkpointed rows */
        assert_true(ck >= last);
        last = ck;
        cn_store_close(s);
        assert_int_equal(cn_store_check(dir, &suite, report, NULL, &cs, NULL), 0);
    }
    fprintf(stderr, "# %d kills, %llu hits at the end\n", rounds, (unsigned long long)last);
    assert_true(last > 0);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigkill_during_flushes_and_merges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
