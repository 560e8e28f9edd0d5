/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_store_load: loads a data folder's hitlog through processing (with
 * enrichment) into the store of one suite, then merges the closed days, and
 * prints one JSON line: rows, seconds in total, seconds inside the store's
 * sink calls, seconds merging, and the store's bytes on disk. Driven by
 * bench/store/run; not a test.
 *
 * Usage: bench_store_load CONFIG DATA SUITE
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "conf/conf.h"
#include "enrich/enrich.h"
#include "lib/clock.h"
#include "process/process.h"
#include "store/store.h"

typedef struct timed {
    cn_sink_t inner;
    cn_store_t *store;
    int64_t ns, ck_ns;
    uint64_t checkpoints;
    uint64_t hits, visits, items, vars, events;
} timed_t;

static const char *g_suite;
static timed_t g_t;

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define WRAP(call)                                                                                 \
    do {                                                                                           \
        int64_t t0 = now_ns();                                                                     \
        int rc = (call);                                                                           \
        g_t.ns += now_ns() - t0;                                                                   \
        return rc;                                                                                 \
    } while (0)

static int t_visit(void *ud, uint32_t v, const cn_visit_row_t *r)
{
    (void)ud;
    g_t.visits++;
    WRAP(g_t.inner.visit(g_t.inner.ud, v, r));
}
static int t_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    (void)ud;
    g_t.hits++;
    WRAP(g_t.inner.hit(g_t.inner.ud, r, out));
}
static int t_item(void *ud, const cn_item_row_t *r)
{
    (void)ud;
    g_t.items++;
    WRAP(g_t.inner.item(g_t.inner.ud, r));
}
static int t_var(void *ud, const cn_var_row_t *r)
{
    (void)ud;
    g_t.vars++;
    WRAP(g_t.inner.var(g_t.inner.ud, r));
}
static int t_event(void *ud, const cn_event_row_t *r)
{
    (void)ud;
    g_t.events++;
    WRAP(g_t.inner.event(g_t.inner.ud, r));
}
static int t_ck(void *ud, const void *b, size_t n)
{
    (void)ud;
    int64_t t0 = now_ns();
    int rc = g_t.inner.checkpoint(g_t.inner.ud, b, n);
    int64_t dt = now_ns() - t0;
    g_t.ns += dt;
    g_t.ck_ns += dt;
    g_t.checkpoints++;
    return rc;
}

static int ignore_visit(void *ud, uint32_t v, const cn_visit_row_t *r)
{
    (void)ud, (void)v, (void)r;
    return 0;
}
static int ignore_hit(void *ud, const cn_hit_row_t *r, uint32_t *out)
{
    (void)ud, (void)r;
    *out = 0;
    return 0;
}
static int ignore_item(void *ud, const cn_item_row_t *r)
{
    (void)ud, (void)r;
    return 0;
}
static int ignore_var(void *ud, const cn_var_row_t *r)
{
    (void)ud, (void)r;
    return 0;
}
static int ignore_event(void *ud, const cn_event_row_t *r)
{
    (void)ud, (void)r;
    return 0;
}

static const char *g_data;

static int f_open(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    (void)ud;
    if (strcmp(suite->id, g_suite) != 0) {
        *out = (cn_sink_t){NULL,       ignore_visit, ignore_hit, ignore_item,
                           ignore_var, ignore_event, NULL,       NULL};
        return 0;
    }
    cn_store_opts_t o;
    cn_store_opts_init(&o);
    cn_err_t err = {0};
    int rc = cn_store_open(g_data, suite, &o, &g_t.store, &err);
    if (rc != 0) {
        fprintf(stderr, "store: %s\n", cn_err_msg(&err, rc));
        return rc;
    }
    g_t.inner = cn_store_sink(g_t.store);
    *out = (cn_sink_t){NULL, t_visit, t_hit, t_item, t_var, t_event, t_ck, NULL};
    return 0;
}

static uint64_t du(const char *dir)
{
    DIR *d = opendir(dir);
    uint64_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[4400];
        struct stat st;
        snprintf(p, sizeof(p), "%.4000s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode))
            n += (uint64_t)st.st_size;
    }
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_store_load CONFIG DATA SUITE\n");
        return 2;
    }
    cn_err_t err = {0};
    cn_conf_t *conf;
    int rc = cn_conf_load(argv[1], &conf, &err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    g_data = argv[2];
    g_suite = argv[3];
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = conf;
    cn_enrich_t *e = NULL;
    if ((rc = cn_enrich_open(&eo, &e, &err)) != 0) {
        fprintf(stderr, "enrich: %s\n", cn_err_msg(&err, rc));
        return 1;
    }
    cn_sink_factory_t f = {NULL, f_open, NULL}; /* from scratch: no blob to resume from */
    cn_process_opts_t po = {.from_scratch = true, .no_checkpoint_file = true};
    cn_process_t *p = NULL;
    char hl[4096];
    snprintf(hl, sizeof(hl), "%s/hitlog", g_data);
    int64_t t0 = cn_time_mono_us();
    if ((rc = cn_process_new(conf, e, g_data, &f, &po, &p, &err)) != 0 ||
        (rc = cn_process_run(p, hl, NULL, &err)) != 0 || (rc = cn_process_checkpoint(p)) != 0) {
        fprintf(stderr, "process: %s\n", cn_err_msg(&err, rc));
        return 1;
    }
    int64_t t1 = cn_time_mono_us();
    if (!g_t.store) {
        fprintf(stderr, "no suite %s\n", g_suite);
        return 1;
    }
    if ((rc = cn_store_maintain(g_t.store, 0)) != 0) {
        fprintf(stderr, "maintain: %s\n", cn_strerror(rc));
        return 1;
    }
    int64_t t2 = cn_time_mono_us();
    cn_store_stats_t ss;
    cn_store_stats(g_t.store, &ss);
    cn_process_free(p);
    cn_store_close(g_t.store);
    char sd[4096];
    snprintf(sd, sizeof(sd), "%s/store/%s", g_data, g_suite);
    uint64_t bytes = du(sd);
    printf("{\"hits\":%llu,\"visits\":%llu,\"items\":%llu,\"vars\":%llu,\"events\":%llu,"
           "\"seconds\":%.3f,\"sink_seconds\":%.3f,\"checkpoint_seconds\":%.3f,"
           "\"checkpoints\":%llu,\"merge_seconds\":%.3f,\"bytes\":%llu,"
           "\"segments\":%u,\"partitions\":%u}\n",
           (unsigned long long)g_t.hits, (unsigned long long)g_t.visits,
           (unsigned long long)g_t.items, (unsigned long long)g_t.vars,
           (unsigned long long)g_t.events, (double)(t1 - t0) / 1e6, (double)g_t.ns / 1e9,
           (double)g_t.ck_ns / 1e9, (unsigned long long)g_t.checkpoints, (double)(t2 - t1) / 1e6,
           (unsigned long long)bytes, ss.segments, ss.partitions);
    cn_enrich_unref(e);
    cn_conf_free(conf);
    return 0;
}
