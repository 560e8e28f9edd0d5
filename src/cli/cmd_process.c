/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton process`: processing without the collector. Opens enrichment and
 * one store per configured suite, then runs cn_process_run over the hitlog
 * (DIR/hitlog) into the stores, from the checkpoint: to the current end of
 * the log with --until-end, else following the log until SIGINT/SIGTERM
 * (SIGHUP then reloads the enrichment data sets, src/cli/pipeline.h).
 * For tests, benchmarks and importers (`canton serve` does the same in a
 * thread, src/cli/pipeline.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/pipeline.h"
#include "conf/conf.h"
#include "enrich/enrich.h"
#include "lib/xalloc.h"
#include "process/process.h"
#include "store/store.h"

static atomic_bool g_stop;
static atomic_bool g_reload; /* SIGHUP: reload enrichment */

static void on_reload_signal(int sig)
{
    (void)sig;
    atomic_store(&g_reload, true);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_stop, true);
}

typedef struct stores {
    const cn_conf_t *conf;
    cn_store_t **s;
} stores_t;

static cn_store_t *store_of(stores_t *st, const cn_suite_conf_t *suite)
{
    for (size_t i = 0; i < st->conf->suite_count; i++) {
        if (&st->conf->suites[i] == suite || strcmp(st->conf->suites[i].id, suite->id) == 0)
            return st->s[i];
    }
    return NULL;
}

static int open_sink(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    cn_store_t *s = store_of(ud, suite);
    if (s == NULL)
        return CN_ENOTFOUND;
    *out = cn_store_sink(s);
    return 0;
}

static int sink_blob(void *ud, const cn_suite_conf_t *suite, cn_buf_t *out)
{
    cn_store_t *s = store_of(ud, suite);
    return s == NULL ? CN_ENOTFOUND : cn_store_checkpoint_blob(s, out);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton process [--config FILE] [--data DIR] [--until-end] [options]\n\n"
               "Processes the hitlog (DIR/hitlog) into each suite's store (DIR/store/S), from\n"
               "processing's checkpoint: raw hits become visits, hits, items, vars and events\n"
               "(docs/processing.md). With --until-end it stops at the current end of the log;\n"
               "otherwise it follows the log until SIGINT or SIGTERM, and SIGHUP reloads the\n"
               "enrichment data sets (as `canton serve` does; an error keeps the ones in use).\n"
               "Not while `canton serve` runs on the same data (the stores are locked).\n\n"
               "  --config FILE       INI configuration (default: the built-in demo suite)\n"
               "  --data DIR          data folder (default: the config's, else ./data)\n"
               "  --until-end         stop at the end of the log\n"
               "  --checkpoint-ms N   checkpoint this often (default 1000)\n"
               "  --flush-rows N      flush a store's buffer at N hits (default 1 Mi)\n"
               "  --maintain-ms N     merge segments in the background this often (default: no\n"
               "                      background maintenance; `canton serve` runs it)\n"
               "  --no-enrich         leave enrichment fields empty (tests)\n"
               "  --no-fsync          skip fsync (benchmarks only: not crash safe)\n"
               "  --threads N         1: decode and enrich on the processing thread; 2: on a\n"
               "                      worker thread ahead of it (default: 2 when there are 2+\n"
               "                      cores; the rows are the same)\n");
}

/* A decimal number, digits only (strtoull alone takes "-1" as 2^64 - 1, and " 5"). */
static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != 0 || errno != 0)
        return false;
    *out = v;
    return true;
}

/* "canton process: --name takes WANT, not 'value'": a usage error. */
static int bad_value(const char *name, const char *want, const char *value)
{
    fprintf(stderr, "canton process: %s takes %s, not '%s'\n", name, want, value);
    return CN_EXIT_USAGE;
}

int cn_cmd_process(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    const char *config = NULL, *data = NULL;
    bool until_end = false, no_enrich = false, no_fsync = false;
    uint64_t ck_ms = 0, flush_rows = 0, maintain_ms = 0, threads = 0;
    enum {
        O_CONFIG = 256,
        O_DATA,
        O_UNTIL_END,
        O_NO_ENRICH,
        O_NO_FSYNC,
        O_CHECKPOINT_MS,
        O_FLUSH_ROWS,
        O_THREADS,
        O_MAINTAIN_MS
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},
        {"until-end", no_argument, NULL, O_UNTIL_END},
        {"no-enrich", no_argument, NULL, O_NO_ENRICH},
        {"no-fsync", no_argument, NULL, O_NO_FSYNC},
        {"checkpoint-ms", required_argument, NULL, O_CHECKPOINT_MS},
        {"flush-rows", required_argument, NULL, O_FLUSH_ROWS},
        {"threads", required_argument, NULL, O_THREADS},
        {"maintain-ms", required_argument, NULL, O_MAINTAIN_MS},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("process", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        case O_UNTIL_END:
            until_end = true;
            break;
        case O_NO_ENRICH:
            no_enrich = true;
            break;
        case O_NO_FSYNC:
            no_fsync = true;
            break;
        case O_CHECKPOINT_MS:
            if (!parse_u64(optarg, &ck_ms) || ck_ms == 0)
                return bad_value("--checkpoint-ms", "a number of ms, at least 1", optarg);
            break;
        case O_FLUSH_ROWS:
            if (!parse_u64(optarg, &flush_rows) || flush_rows == 0 || flush_rows >= (1u << 30))
                return bad_value("--flush-rows", "a number from 1 to 1073741823", optarg);
            break;
        case O_THREADS:
            if (!parse_u64(optarg, &threads) || threads < 1 || threads > 2)
                return bad_value("--threads", "1 or 2", optarg);
            break;
        case O_MAINTAIN_MS:
            if (!parse_u64(optarg, &maintain_ms) || maintain_ms == 0)
                return bad_value("--maintain-ms", "a number of ms, at least 1", optarg);
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton process: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }
    cn_err_t err;
    cn_err_clear(&err);
    cn_conf_t *conf = NULL;
    int rc;
    if (!until_end && !no_enrich) {
        /* following the log, SIGHUP reloads enrichment; from the start on (one that comes while
         * the data sets load reloads once processing runs), so that it never ends the process */
        cn_cli_on_signal(SIGHUP, on_reload_signal);
    }
    if ((conf = cn_cli_conf("process", config)) == NULL)
        return CN_EXIT_FAIL;
    if (data == NULL)
        data = conf->data_dir;
    int code = CN_EXIT_FAIL;
    cn_enrich_t *e = NULL;
    cn_process_t *p = NULL;
    stores_t st = {conf,
                   cn_xcalloc(conf->suite_count ? conf->suite_count : 1, sizeof(cn_store_t *))};
    /* opened as serve opens it, and as a reload opens it again (pipeline.h) */
    if (!no_enrich) {
        if ((rc = cn_pipeline_enrich_open(conf, "enrichment loaded", &e, &err)) != 0) {
            fprintf(stderr, "canton process: enrichment: %s\n", cn_err_msg(&err, rc));
            goto out;
        }
    }
    for (size_t i = 0; i < conf->suite_count; i++) {
        cn_store_opts_t so;
        cn_store_opts_init(&so);
        if (flush_rows > 0)
            so.flush_rows = (uint32_t)flush_rows;
        if (maintain_ms > 0) {
            so.background = true;
            so.maintain_interval_us = (int64_t)maintain_ms * 1000;
        }
        so.no_fsync = no_fsync;
        if ((rc = cn_store_open(data, &conf->suites[i], &so, &st.s[i], &err)) != 0) {
            fprintf(stderr, "canton process: %s\n", cn_err_msg(&err, rc));
            goto out;
        }
    }
    cn_sink_factory_t f = {.ud = &st, .open = open_sink, .blob = sink_blob};
    /* following the log is the live pass: salts also expire by the wall clock */
    cn_process_opts_t o = {.checkpoint_us = (int64_t)ck_ms * 1000,
                           .threads = (unsigned)threads,
                           .salt_clock = !until_end};
    if ((rc = cn_process_new(conf, e, data, &f, &o, &p, &err)) != 0) {
        fprintf(stderr, "canton process: %s\n", cn_err_msg(&err, rc));
        goto out;
    }
    if (e != NULL) { /* p holds it while it uses it: a reload frees it */
        cn_enrich_unref(e);
        e = NULL;
    }
    atomic_init(&g_stop, false);
    cn_cli_on_signal(SIGINT, on_signal);
    cn_cli_on_signal(SIGTERM, on_signal);
    cn_reloader_t *reloader = NULL;
    if (!until_end && !no_enrich)
        reloader = cn_reloader_start(conf, p, &g_reload);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/hitlog", data);
    struct timespec c0, c1, w0, w1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    rc = cn_process_run(p, dir, until_end ? NULL : &g_stop, &err);
    cn_reloader_stop(reloader);
    if (rc != 0) {
        fprintf(stderr, "canton process: %s\n", cn_err_msg(&err, rc));
        goto out;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    cn_process_stats_t ps;
    cn_process_stats(p, &ps);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
    printf("%llu raw hits processed: %llu visits, %llu hits, %llu items, %llu vars, %llu events, "
           "%llu bad rows, %llu checkpoints\n",
           (unsigned long long)ps.raw_hits, (unsigned long long)ps.visits,
           (unsigned long long)ps.hits, (unsigned long long)ps.items, (unsigned long long)ps.vars,
           (unsigned long long)ps.events, (unsigned long long)ps.bad_rows,
           (unsigned long long)ps.checkpoints);
    printf("time %.3f s wall, %.3f s cpu\n", wall, cpu);
    code = CN_EXIT_OK;
out:
    cn_process_free(p);
    for (size_t i = 0; i < conf->suite_count; i++) {
        if (st.s[i] != NULL)
            cn_store_close(st.s[i]);
    }
    free(st.s);
    if (e != NULL)
        cn_enrich_unref(e);
    cn_conf_free(conf);
    return code;
}
