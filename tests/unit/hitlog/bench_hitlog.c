/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hitlog append throughput: 4 threads append 400-byte records for a few
 * seconds, in fsync mode (the default) and in buffered mode, and print
 * appends/s, fsyncs/s, records per fsync and the mean fsync time.
 *   closed loop: each thread waits for its record (cn_hitlog_append_sync),
 *                like 4 clients with one request in flight each;
 *   open loop:   each thread keeps up to 256 records in flight with
 *                callbacks, like a collector with many connections.
 * Run: `meson test --benchmark -C <build> hitlog/append` or the binary with
 * [DIR] [SECONDS]; DIR (default: a temp folder under /tmp) must be on the
 * disk to measure.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitlog/hitlog.h"
#include "lib/clock.h"
#include "lib/err.h"

#define THREADS   4
#define REC_LEN   400
#define IN_FLIGHT 256

typedef struct worker {
    cn_hitlog_t *log;
    bool open_loop;
    int64_t deadline;
    uint64_t done;
    uint64_t errors;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    unsigned in_flight;
} worker_t;

static void done_cb(void *ud, int status, cn_hitlog_pos_t pos)
{
    (void)pos;
    worker_t *w = ud;
    pthread_mutex_lock(&w->mu);
    w->in_flight--;
    if (status == 0)
        w->done++;
    else
        w->errors++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    char rec[REC_LEN];
    memset(rec, 'x', sizeof(rec));
    uint64_t seq = 0;
    while (cn_time_mono_us() < w->deadline) {
        snprintf(rec, sizeof(rec), "%p %llu ", (void *)w, (unsigned long long)seq++);
        if (!w->open_loop) {
            if (cn_hitlog_append_sync(w->log, rec, sizeof(rec), NULL) == 0)
                w->done++;
            else
                w->errors++;
            continue;
        }
        pthread_mutex_lock(&w->mu);
        while (w->in_flight >= IN_FLIGHT)
            pthread_cond_wait(&w->cond, &w->mu);
        w->in_flight++;
        pthread_mutex_unlock(&w->mu);
        if (cn_hitlog_append(w->log, rec, sizeof(rec), done_cb, w) != 0) {
            pthread_mutex_lock(&w->mu);
            w->in_flight--;
            w->errors++;
            pthread_mutex_unlock(&w->mu);
        }
    }
    pthread_mutex_lock(&w->mu);
    while (w->in_flight > 0)
        pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int run(const char *base, const char *name, bool buffered, uint32_t window_us,
               bool open_loop, double seconds)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", base, name);
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.buffered = buffered;
    opts.group_commit_us = window_us;
    cn_hitlog_t *log;
    cn_err_t err;
    int rc = cn_hitlog_open(dir, &opts, &log, NULL, &err);
    if (rc < 0) {
        fprintf(stderr, "open %s: %s\n", dir, cn_err_msg(&err, rc));
        return 1;
    }
    cn_hitlog_stats_t s0, s1;
    cn_hitlog_stats(log, &s0);
    worker_t w[THREADS];
    pthread_t th[THREADS];
    int64_t t0 = cn_time_mono_us();
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].log = log;
        w[i].open_loop = open_loop;
        w[i].deadline = t0 + (int64_t)(seconds * 1e6);
        pthread_mutex_init(&w[i].mu, NULL);
        pthread_cond_init(&w[i].cond, NULL);
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    uint64_t done = 0, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        done += w[i].done;
        errors += w[i].errors;
        pthread_mutex_destroy(&w[i].mu);
        pthread_cond_destroy(&w[i].cond);
    }
    double secs = (double)(cn_time_mono_us() - t0) / 1e6;
    cn_hitlog_stats(log, &s1);
    cn_hitlog_close(log);
    uint64_t fsyncs = s1.fsyncs - s0.fsyncs;
    printf("%-9s %-6s window=%-5u %-11s %9.0f appends/s %7.0f fsyncs/s %7.1f rec/fsync "
           "%6.0f us/fsync errors=%llu\n",
           buffered ? "buffered" : "fsync", "4thr", window_us,
           open_loop ? "open-loop" : "closed-loop", (double)done / secs, (double)fsyncs / secs,
           fsyncs ? (double)done / (double)fsyncs : 0.0,
           fsyncs ? (double)(s1.fsync_us_total - s0.fsync_us_total) / (double)fsyncs : 0.0,
           (unsigned long long)errors);
    fflush(stdout);
    return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    char tmp[] = "/tmp/cn-hitlog-bench-XXXXXX";
    const char *base = argc > 1 ? argv[1] : NULL;
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    if (base == NULL) {
        if (mkdtemp(tmp) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        base = tmp;
    }
    printf("hitlog append benchmark: %d threads, %d-byte records, %.1f s per run, in %s\n", THREADS,
           REC_LEN, seconds, base);
    int bad = 0;
    bad |= run(base, "a", false, 1000, false, seconds);
    bad |= run(base, "b", false, 0, false, seconds);
    bad |= run(base, "c", false, 1000, true, seconds);
    bad |= run(base, "d", false, 0, true, seconds);
    bad |= run(base, "e", true, 1000, true, seconds);
    if (base == tmp)
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return bad;
}
