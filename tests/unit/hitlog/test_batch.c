/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for hitlog batches (cn_hitlog_batch_*, cn_hitlog_append_batch):
 * building and walking a batch, its limits, the bytes on disk (identical to
 * appending the same records one by one, across roll-overs and with records
 * larger than a segment), callbacks and stats, concurrent batch appenders,
 * a write error in the middle of a batch, and kill -9 while batches are
 * appended.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "hitlog/hitlog.h"
#include "lib/clock.h"
#include "lib/crc32c.h"
#include "lib/err.h"

#include <cmocka.h>

#define HDR   16u
#define FRAME 8u

typedef struct fixture {
    char dir[64];
    char dir2[64];
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    if (fixture_mkdtemp(fx->dir, "batch") != 0 || fixture_mkdtemp(fx->dir2, "batch") != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    fixture_rmtree(fx->dir);
    fixture_rmtree(fx->dir2);
    free(fx);
    return 0;
}

/* Record i: "id <i> " then filler, len bytes (len >= 16). */
static void make_rec(unsigned i, size_t len, char *out)
{
    char head[24];
    size_t n = (size_t)snprintf(head, sizeof(head), "id %u ", i);
    memcpy(out, head, n < len ? n : len);
    for (size_t k = n; k < len; k++)
        out[k] = (char)('a' + (i * 7 + k) % 26);
}

/* Length of record i in the mixed-size tests: mostly small, one larger than a segment. */
static size_t rec_len(unsigned i)
{
    if (i == 77)
        return 5000;
    return 16 + (i * 37) % 700;
}

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Reads every record of the log in dir: checks ids run from 0 in order; returns the count. */
static unsigned read_ids(const char *dir)
{
    cn_hitlog_reader_t *r;
    cn_err_t err;
    assert_int_equal(cn_hitlog_reader_open(dir, (cn_hitlog_pos_t){0, 0}, &r, &err), 0);
    const void *p;
    size_t n;
    unsigned count = 0;
    int rc;
    while ((rc = cn_hitlog_reader_next(r, &p, &n, NULL, &err)) == 1) {
        unsigned id;
        char tmp[32];
        size_t k = n < sizeof(tmp) - 1 ? n : sizeof(tmp) - 1;
        memcpy(tmp, p, k);
        tmp[k] = '\0';
        assert_int_equal(sscanf(tmp, "id %u ", &id), 1);
        assert_int_equal(id, count);
        count++;
    }
    if (rc != 0)
        fail_msg("reader: %s", cn_err_msg(&err, rc));
    cn_hitlog_reader_close(r);
    return count;
}

typedef struct calls {
    pthread_mutex_t mu;
    unsigned n;
    int status[256];
    cn_hitlog_pos_t pos[256];
} calls_t;

static void batch_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    calls_t *c = ud;
    pthread_mutex_lock(&c->mu);
    if (c->n < 256) {
        c->status[c->n] = status;
        c->pos[c->n] = pos;
    }
    c->n++;
    pthread_mutex_unlock(&c->mu);
}

/* --- Tests --- */

static void batch_builds_and_walks(void **state)
{
    (void)state;
    cn_hitlog_batch_t b = CN_HITLOG_BATCH_INIT;
    char rec[300] = {0};
    assert_int_equal(cn_hitlog_batch_add(&b, rec, 0), CN_EINVAL);
    assert_int_equal(b.count, 0);
    assert_int_equal(b.buf.len, 0);
    for (unsigned i = 0; i < 3; i++) {
        make_rec(i, 100 + i, rec);
        assert_int_equal(cn_hitlog_batch_add(&b, rec, 100 + i), 0);
    }
    /* encoded in place */
    size_t mark = cn_hitlog_batch_begin(&b);
    make_rec(3, 50, rec);
    cn_buf_append(&b.buf, rec, 50);
    assert_int_equal(cn_hitlog_batch_end(&b, mark), 0);
    /* an empty in-place record is refused and leaves nothing behind */
    size_t before = b.buf.len;
    mark = cn_hitlog_batch_begin(&b);
    assert_int_equal(cn_hitlog_batch_end(&b, mark), CN_EINVAL);
    assert_int_equal(b.buf.len, before);
    assert_int_equal(b.count, 4);
    assert_int_equal(b.buf.len, 4 * FRAME + 100 + 101 + 102 + 50);

    /* frames are the on-disk ones: length, then CRC32C of the payload */
    const uint8_t *f = (const uint8_t *)b.buf.ptr;
    assert_int_equal(cn_load_u32le(f), 100);
    assert_int_equal(cn_load_u32le(f + 4), cn_crc32c(0, f + FRAME, 100));

    size_t off = 0, len;
    const void *p;
    unsigned i = 0;
    while (cn_hitlog_batch_next(&b, &off, &p, &len) == 1) {
        size_t want = i < 3 ? 100 + i : 50;
        make_rec(i, want, rec);
        assert_int_equal(len, want);
        assert_memory_equal(p, rec, want);
        i++;
    }
    assert_int_equal(i, 4);
    cn_hitlog_batch_clear(&b);
    assert_int_equal(b.count, 0);
    assert_int_equal(b.buf.len, 0);
    off = 0;
    assert_int_equal(cn_hitlog_batch_next(&b, &off, &p, &len), 0);
    cn_hitlog_batch_dispose(&b);
    assert_null(b.buf.ptr);
}

static void append_batch_rejects_empty_and_oversized(void **state)
{
    fixture_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.max_record_bytes = 64;
    cn_hitlog_t *log = fixture_open_log(fx->dir, &opts, NULL);
    cn_hitlog_batch_t b = CN_HITLOG_BATCH_INIT;
    assert_int_equal(cn_hitlog_append_batch(log, &b, NULL, NULL), CN_EINVAL);
    char rec[128];
    make_rec(0, 64, rec);
    assert_int_equal(cn_hitlog_batch_add(&b, rec, 64), 0);
    make_rec(1, 65, rec);
    assert_int_equal(cn_hitlog_batch_add(&b, rec, 65), 0);
    size_t len = b.buf.len;
    assert_int_equal(cn_hitlog_append_batch(log, &b, NULL, NULL), CN_ETOOBIG);
    /* refused: the batch is still the caller's, unchanged */
    assert_int_equal(b.count, 2);
    assert_int_equal(b.buf.len, len);
    cn_hitlog_batch_clear(&b);
    make_rec(0, 64, rec);
    assert_int_equal(cn_hitlog_batch_add(&b, rec, 64), 0);
    assert_int_equal(cn_hitlog_append_batch(log, &b, NULL, NULL), 0);
    /* taken: empty and reusable */
    assert_int_equal(b.count, 0);
    assert_int_equal(b.buf.len, 0);
    make_rec(1, 20, rec);
    assert_int_equal(cn_hitlog_batch_add(&b, rec, 20), 0);
    assert_int_equal(cn_hitlog_append_batch(log, &b, NULL, NULL), 0);
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_stats_t st;
    cn_hitlog_stats(log, &st);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.bytes, 2 * FRAME + 64 + 20);
    cn_hitlog_close(log);
    cn_hitlog_batch_dispose(&b);
    assert_int_equal(read_ids(fx->dir), 2);
}

/*
 * The same records, appended one by one into dir and in batches of many
 * sizes into dir2 (with small segments, so that batches straddle
 * roll-overs, and one record larger than a segment), give byte-identical
 * segment files; each batch's callback has its first record's position.
 */
static void batches_lay_out_records_like_single_appends(void **state)
{
    fixture_t *fx = *state;
    enum { N = 400 };
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 4096;
    char rec[5000];
    cn_hitlog_pos_t pos[N];
    cn_hitlog_t *log = fixture_open_log(fx->dir, &opts, NULL);
    for (unsigned i = 0; i < N; i++) {
        make_rec(i, rec_len(i), rec);
        assert_int_equal(cn_hitlog_append_sync(log, rec, rec_len(i), &pos[i]), 0);
    }
    cn_hitlog_close(log);

    static const unsigned sizes[] = {1, 7, 50, 3, 2, 100, 13, 60, 1, 200};
    calls_t c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    unsigned firsts[64], nb = 0;
    log = fixture_open_log(fx->dir2, &opts, NULL);
    cn_hitlog_batch_t b = CN_HITLOG_BATCH_INIT;
    unsigned i = 0;
    for (unsigned s = 0; i < N; s++) {
        unsigned want = sizes[s % (sizeof(sizes) / sizeof(sizes[0]))];
        firsts[nb++] = i;
        for (unsigned k = 0; k < want && i < N; k++, i++) {
            size_t mark = cn_hitlog_batch_begin(&b);
            make_rec(i, rec_len(i), rec);
            cn_buf_append(&b.buf, rec, rec_len(i));
            assert_int_equal(cn_hitlog_batch_end(&b, mark), 0);
        }
        assert_int_equal(cn_hitlog_append_batch(log, &b, batch_cb, &c), 0);
    }
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_stats_t st;
    cn_hitlog_stats(log, &st);
    assert_int_equal(st.records, N);
    cn_hitlog_close(log);
    cn_hitlog_batch_dispose(&b);

    assert_int_equal(c.n, nb);
    for (unsigned k = 0; k < nb; k++) {
        assert_int_equal(c.status[k], 0);
        assert_int_equal(c.pos[k].segment, pos[firsts[k]].segment);
        assert_int_equal(c.pos[k].offset, pos[firsts[k]].offset);
    }
    uint32_t segs = pos[N - 1].segment;
    assert_true(segs > 20);
    for (uint32_t s = 1; s <= segs + 1; s++) {
        char a[128], bpath[128];
        snprintf(a, sizeof(a), "%s/%08u.log", fx->dir, s);
        snprintf(bpath, sizeof(bpath), "%s/%08u.log", fx->dir2, s);
        if (s == segs + 1) {
            assert_int_not_equal(access(a, F_OK), 0);
            assert_int_not_equal(access(bpath, F_OK), 0);
            break;
        }
        size_t la, lb;
        void *pa = read_file(a, &la), *pb = read_file(bpath, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(pa, pb, la);
        free(pa);
        free(pb);
    }
    assert_int_equal(read_ids(fx->dir2), N);

    /* reopening finds the clean end and goes on */
    cn_hitlog_recovery_t rv;
    log = fixture_open_log(fx->dir2, &opts, &rv);
    assert_int_equal(rv.torn_bytes, 0);
    make_rec(N, 30, rec);
    assert_int_equal(cn_hitlog_batch_add(&b, rec, 30), 0);
    assert_int_equal(cn_hitlog_append_batch(log, &b, NULL, NULL), 0);
    cn_hitlog_close(log);
    cn_hitlog_batch_dispose(&b);
    assert_int_equal(read_ids(fx->dir2), N + 1);
}

/* Two threads append batches, a third single records: each record lands once, in its order. */
typedef struct appender {
    cn_hitlog_t *log;
    unsigned tag, count;
    bool batches;
} appender_t;

static void *appender_main(void *arg)
{
    appender_t *a = arg;
    cn_hitlog_batch_t b = CN_HITLOG_BATCH_INIT;
    char rec[64];
    for (unsigned i = 0; i < a->count; i++) {
        int n = snprintf(rec, sizeof(rec), "t%u %u", a->tag, i);
        if (!a->batches) {
            assert_int_equal(cn_hitlog_append(a->log, rec, (size_t)n, NULL, NULL), 0);
            continue;
        }
        assert_int_equal(cn_hitlog_batch_add(&b, rec, (size_t)n), 0);
        if (b.count == 1 + i % 37 || i + 1 == a->count)
            assert_int_equal(cn_hitlog_append_batch(a->log, &b, NULL, NULL), 0);
    }
    cn_hitlog_batch_dispose(&b);
    return NULL;
}

static void concurrent_batches_land_exactly_once(void **state)
{
    fixture_t *fx = *state;
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.segment_bytes = 64 << 10;
    opts.buffered = true;
    cn_hitlog_t *log = fixture_open_log(fx->dir, &opts, NULL);
    appender_t a[3] = {{log, 0, 20000, true}, {log, 1, 20000, true}, {log, 2, 5000, false}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, appender_main, &a[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(cn_hitlog_sync(log), 0);
    cn_hitlog_close(log);

    cn_hitlog_reader_t *r;
    assert_int_equal(cn_hitlog_reader_open(fx->dir, (cn_hitlog_pos_t){0, 0}, &r, NULL), 0);
    unsigned next[3] = {0, 0, 0};
    const void *p;
    size_t n;
    int rc;
    while ((rc = cn_hitlog_reader_next(r, &p, &n, NULL, NULL)) == 1) {
        char tmp[64];
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        unsigned tag, i;
        assert_int_equal(sscanf(tmp, "t%u %u", &tag, &i), 2);
        assert_true(tag < 3);
        assert_int_equal(i, next[tag]);
        next[tag]++;
    }
    assert_int_equal(rc, 0);
    cn_hitlog_reader_close(r);
    assert_int_equal(next[0], 20000);
    assert_int_equal(next[1], 20000);
    assert_int_equal(next[2], 5000);
}

/*
 * A write error in the middle of batches: the failed batches get the error
 * in their callback, the file is cut back to a record boundary, and what is
 * on disk is a gap-free prefix holding at least every acknowledged batch.
 */
static void write_error_in_a_batch_keeps_a_clean_prefix(void **state)
{
    fixture_t *fx = *state;
    cn_hitlog_t *log = fixture_open_log(fx->dir, NULL, NULL);
    calls_t c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cn_hitlog_batch_t b = CN_HITLOG_BATCH_INIT;
    char rec[200];
    unsigned id = 0;
    for (unsigned k = 0; k < 10; k++, id++) {
        make_rec(id, 100, rec);
        assert_int_equal(cn_hitlog_batch_add(&b, rec, 100), 0);
    }
    assert_int_equal(cn_hitlog_append_batch(log, &b, batch_cb, &c), 0);
    assert_int_equal(cn_hitlog_sync(log), 0);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = HDR + 10 * (FRAME + 100) + 2500; /* room for ~23 more records */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (unsigned batch = 0; batch < 8; batch++) {
        for (unsigned k = 0; k < 10; k++, id++) {
            make_rec(id, 100, rec);
            assert_int_equal(cn_hitlog_batch_add(&b, rec, 100), 0);
        }
        assert_int_equal(cn_hitlog_append_batch(log, &b, batch_cb, &c), 0);
        /* one batch per write, so that a failure hits a batch, not the whole queue */
        cn_hitlog_sync(log);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    /* 1 + 2 batches of 1080 bytes fit; the rest fail as a whole */
    assert_int_equal(c.n, 9);
    for (unsigned k = 0; k < 9; k++)
        assert_int_equal(c.status[k], k < 3 ? 0 : -EFBIG);
    /* room again: the log recovers and continues after the good prefix */
    cn_hitlog_close(log);
    cn_hitlog_recovery_t rv;
    log = fixture_open_log(fx->dir, NULL, &rv);
    assert_int_equal(rv.torn_bytes, 0);
    cn_hitlog_close(log);
    cn_hitlog_batch_dispose(&b);
    assert_int_equal(read_ids(fx->dir), 30);
}

/* kill -9 while appending batches in fsync mode: every acknowledged batch survives. */
static int ack_fd = -1;

static void ack_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    (void)pos;
    if (status == 0) {
        uint32_t last = (uint32_t)(uintptr_t)ud;
        if (write(ack_fd, &last, 4) != 4)
            _exit(3);
    }
}

static void kill_9_loses_no_acknowledged_batch(void **state)
{
    fixture_t *fx = *state;
    for (int cycle = 0; cycle < 3; cycle++) {
        fixture_rmtree(fx->dir);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            ack_fd = fds[1];
            alarm(20);
            cn_hitlog_opts_t opts;
            cn_hitlog_opts_init(&opts);
            opts.segment_bytes = 128 << 10;
            opts.group_commit_us = 300;
            cn_hitlog_t *log;
            if (cn_hitlog_open(fx->dir, &opts, &log, NULL, NULL) != 0)
                _exit(2);
            cn_hitlog_batch_t b = CN_HITLOG_BATCH_INIT;
            char rec[400];
            for (uint32_t id = 0;; id++) {
                make_rec(id, 16 + id % 300, rec);
                if (cn_hitlog_batch_add(&b, rec, 16 + id % 300) != 0)
                    _exit(4);
                if (b.count == 50 &&
                    cn_hitlog_append_batch(log, &b, ack_cb, (void *)(uintptr_t)id) != 0)
                    _exit(4);
                if (id % 500 == 0)
                    usleep(100);
            }
        }
        close(fds[1]);
        uint32_t last = 0;
        bool any = false;
        int64_t stop = cn_time_mono_us() + 10000000;
        bool started = false;
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        while (cn_time_mono_us() < stop) {
            uint32_t v;
            ssize_t n = read(fds[0], &v, 4);
            if (n == 4) {
                last = v;
                any = true;
            } else {
                usleep(200);
            }
            if (!started && any) {
                started = true;
                stop = cn_time_mono_us() + 30000 + cycle * 70000;
            }
        }
        kill(pid, SIGKILL);
        int wst;
        assert_int_equal(waitpid(pid, &wst, 0), pid);
        assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
        uint32_t v;
        while (read(fds[0], &v, 4) == 4) {
            last = v;
            any = true;
        }
        close(fds[0]);
        assert_true(any);

        cn_hitlog_opts_t opts;
        cn_hitlog_opts_init(&opts);
        opts.segment_bytes = 128 << 10;
        cn_hitlog_t *log = fixture_open_log(fx->dir, &opts, NULL);
        cn_hitlog_close(log);
        unsigned n = read_ids(fx->dir);
        assert_true(n >= last + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_builds_and_walks),
        cmocka_unit_test_setup_teardown(append_batch_rejects_empty_and_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(batches_lay_out_records_like_single_appends, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(concurrent_batches_land_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(write_error_in_a_batch_keeps_a_clean_prefix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(kill_9_loses_no_acknowledged_batch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
