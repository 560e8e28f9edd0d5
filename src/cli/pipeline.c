/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline behind `canton serve`: enrichment, stores, the processing
 * thread and the reporting API. See pipeline.h.
 */
#include "cli/pipeline.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "enrich/enrich.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "process/process.h"
#include "store/store.h"

/* --- The configuration --- */

int cn_pipeline_check_conf(const cn_conf_t *conf, cn_err_t *err)
{
    static int (*const checks[])(const cn_suite_conf_t *, cn_err_t *) = {
        cn_process_check_suite_conf,
        cn_enrich_check_suite_conf,
        cn_store_check_suite_conf,
        cn_api_check_suite_conf,
    };
    for (size_t i = 0; i < conf->suite_count; i++) {
        const cn_suite_conf_t *sc = &conf->suites[i];
        for (size_t k = 0; k < sc->kv_count; k++) {
            /* One key at a time, so that the error has its line: the suite as it would be
             * with this key alone (the checks read only the keys they know). */
            cn_suite_conf_t one = *sc;
            one.kv = &sc->kv[k];
            one.kv_count = 1;
            for (size_t c = 0; c < sizeof(checks) / sizeof(checks[0]); c++) {
                cn_err_t e;
                cn_err_clear(&e);
                int rc = checks[c](&one, &e);
                if (rc != 0)
                    return cn_err_set(err, rc, "%s:%d: %s", conf->path ? conf->path : "(config)",
                                      sc->kv[k].line, cn_err_msg(&e, rc));
            }
        }
    }
    return 0;
}

/* --- Enrichment --- */

int cn_pipeline_enrich_open(const cn_conf_t *conf, const char *msg, cn_enrich_t **out,
                            cn_err_t *err)
{
    cn_enrich_opts_t eo;
    cn_enrich_paths_t paths;
    cn_enrich_opts_default(&eo, &paths, NULL);
    eo.conf = conf;
    int64_t t0 = cn_time_mono_us();
    int rc = cn_enrich_open(&eo, out, err);
    if (rc != 0)
        return rc;
    size_t lists = 0;
    for (size_t i = 0; conf != NULL && i < conf->suite_count; i++) {
        const char *rl = cn_conf_suite_get(&conf->suites[i], "referer_list");
        const char *cr = cn_conf_suite_get(&conf->suites[i], "channel_rules");
        lists += (rl != NULL && rl[0] != '\0') + (cr != NULL && cr[0] != '\0');
    }
    cn_log_info(msg,
                "ms=%lld uap=\"%s\" crawlers=\"%s\" geo_country=\"%s\" geo_city_v4=\"%s\" "
                "geo_city_v6=\"%s\" referers=\"%s\" referers_extra=\"%s\" suite_files=%zu",
                (long long)((cn_time_mono_us() - t0) / 1000), eo.uap_regexes,
                eo.crawlers ? eo.crawlers : "", eo.geo_country ? eo.geo_country : "",
                eo.geo_city_v4 ? eo.geo_city_v4 : "", eo.geo_city_v6 ? eo.geo_city_v6 : "",
                eo.referers ? eo.referers : "", eo.referers_extra ? eo.referers_extra : "", lists);
    return 0;
}

/* --- Reload on request (SIGHUP) --- */

struct cn_reloader {
    const cn_conf_t *conf;
    cn_process_t *p;
    atomic_bool *flag;
    atomic_bool stop;
    _Atomic uint64_t done, failed;
    pthread_t thread;
};

static void *reloader_main(void *arg)
{
    cn_reloader_t *r = arg;
    while (!atomic_load(&r->stop)) {
        if (!atomic_exchange(r->flag, false)) {
            usleep(50000);
            continue;
        }
        cn_err_t err;
        cn_err_clear(&err);
        cn_enrich_t *e;
        int rc = cn_pipeline_enrich_open(r->conf, "enrichment reloaded", &e, &err);
        if (rc != 0) {
            atomic_fetch_add(&r->failed, 1);
            cn_log_error("enrichment reload failed: processing goes on with the data sets it had",
                         "err=%s msg=\"%s\"", cn_errname(rc), cn_err_msg(&err, rc));
            continue;
        }
        cn_process_set_enrich(r->p, e); /* taken between two batches */
        cn_enrich_unref(e);
        atomic_fetch_add(&r->done, 1);
    }
    return NULL;
}

cn_reloader_t *cn_reloader_start(const cn_conf_t *conf, cn_process_t *p, atomic_bool *flag)
{
    cn_reloader_t *r = cn_xcalloc(1, sizeof(*r));
    r->conf = conf;
    r->p = p;
    r->flag = flag;
    atomic_init(&r->stop, false);
    atomic_init(&r->done, 0);
    atomic_init(&r->failed, 0);
    if (pthread_create(&r->thread, NULL, reloader_main, r) != 0) {
        cn_log_error("cannot start the enrichment reload thread: no reload on SIGHUP", NULL);
        free(r);
        return NULL;
    }
    return r;
}

void cn_reloader_counts(const cn_reloader_t *r, uint64_t *done, uint64_t *failed)
{
    *done = r != NULL ? atomic_load(&((cn_reloader_t *)r)->done) : 0;
    *failed = r != NULL ? atomic_load(&((cn_reloader_t *)r)->failed) : 0;
}

void cn_reloader_stop(cn_reloader_t *r)
{
    if (r == NULL)
        return;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    free(r);
}

/* --- The pipeline --- */

struct cn_pipeline {
    const cn_conf_t *conf;
    cn_enrich_t *enrich; /* the first snapshot, until processing holds it */
    cn_reloader_t *reloader;
    cn_store_t **stores; /* one per configured suite, in config order */
    cn_process_t *process;
    cn_api_t *api;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    atomic_bool failed;         /* processing stopped on an error */
    pthread_mutex_t stats_lock; /* guards stats, copied by the processing thread */
    cn_process_stats_t stats;
    char hitlog_dir[4096];
};

static cn_store_t *suite_store(cn_pipeline_t *pl, const cn_suite_conf_t *suite)
{
    for (size_t i = 0; i < pl->conf->suite_count; i++) {
        if (&pl->conf->suites[i] == suite || strcmp(pl->conf->suites[i].id, suite->id) == 0)
            return pl->stores[i];
    }
    return NULL;
}

static int open_sink(void *ud, const cn_suite_conf_t *suite, cn_sink_t *out)
{
    cn_store_t *store = suite_store(ud, suite);
    if (store == NULL)
        return CN_ENOTFOUND;
    *out = cn_store_sink(store);
    return 0;
}

/* The checkpoint blob each store keeps with its rows: processing resumes where they agree. */
static int store_blob(void *ud, const cn_suite_conf_t *suite, cn_buf_t *out)
{
    cn_store_t *store = suite_store(ud, suite);
    return store == NULL ? CN_ENOTFOUND : cn_store_checkpoint_blob(store, out);
}

/*
 * Follows the hitlog: processes to its current end (checkpointing), publishes
 * the counters for /metrics, waits a little when there was nothing new. An
 * error stops processing for good: a store may hold rows of an unfinished
 * hit, so only a restart (from the checkpoint the stores agree on) is safe.
 * Collection goes on meanwhile; the hitlog keeps every hit.
 */
static void *process_main(void *arg)
{
    cn_pipeline_t *pl = arg;
    while (!atomic_load(&pl->stop)) {
        cn_err_t err = {0};
        cn_process_stats_t before, after;
        cn_process_stats(pl->process, &before);
        int rc = cn_process_run(pl->process, pl->hitlog_dir, NULL, &err);
        cn_process_stats(pl->process, &after);
        pthread_mutex_lock(&pl->stats_lock);
        pl->stats = after;
        pthread_mutex_unlock(&pl->stats_lock);
        if (rc != 0) {
            atomic_store(&pl->failed, true);
            cn_log_error("processing stopped on an error; collection goes on, restart canton "
                         "serve to resume processing from the checkpoint",
                         "err=%s msg=\"%s\"", cn_errname(rc), cn_err_msg(&err, rc));
            break;
        }
        if (after.raw_hits == before.raw_hits)
            usleep(50000);
    }
    return NULL;
}

int cn_pipeline_start(const cn_conf_t *conf, cn_http_server_t *srv, atomic_bool *reload,
                      cn_pipeline_t **out, cn_err_t *err)
{
    cn_pipeline_t *pl = cn_xcalloc(1, sizeof(*pl));
    pl->conf = conf;
    pthread_mutex_init(&pl->stats_lock, NULL);
    atomic_init(&pl->stop, false);
    atomic_init(&pl->failed, false);
    snprintf(pl->hitlog_dir, sizeof(pl->hitlog_dir), "%s/hitlog", conf->data_dir);
    int rc;

    if ((rc = cn_pipeline_enrich_open(conf, "enrichment loaded", &pl->enrich, err)) != 0)
        goto fail;

    pl->stores = cn_xcalloc(conf->suite_count ? conf->suite_count : 1, sizeof(cn_store_t *));
    cn_api_suite_t *as = cn_xcalloc(conf->suite_count ? conf->suite_count : 1, sizeof(*as));
    for (size_t i = 0; i < conf->suite_count; i++) {
        cn_store_opts_t so;
        cn_store_opts_init(&so);
        so.background = true;
        so.flush_interval_us = 1000000; /* realtime: a report sees a hit within ~1 s */
        if ((rc = cn_store_open(conf->data_dir, &conf->suites[i], &so, &pl->stores[i], err)) != 0) {
            free(as);
            goto fail;
        }
        as[i].conf = &conf->suites[i];
        as[i].store = pl->stores[i];
    }

    cn_sink_factory_t factory = {.ud = pl, .open = open_sink, .blob = store_blob};
    /* the live pass: salts also expire by the wall clock, on the processing thread */
    cn_process_opts_t po = {.salt_clock = true};
    rc = cn_process_new(conf, pl->enrich, conf->data_dir, &factory, &po, &pl->process, err);
    if (rc != 0) {
        free(as);
        goto fail;
    }
    cn_enrich_unref(pl->enrich); /* processing holds it while it uses it: a reload frees it */
    pl->enrich = NULL;
    rc = cn_api_new(conf, conf->data_dir, as, conf->suite_count, 2, srv, &pl->api, err);
    free(as);
    if (rc != 0)
        goto fail;
    if (pthread_create(&pl->thread, NULL, process_main, pl) != 0) {
        rc = cn_err_set(err, CN_EINVAL, "cannot start the processing thread");
        goto fail;
    }
    pl->thread_started = true;
    if (reload != NULL)
        pl->reloader = cn_reloader_start(conf, pl->process, reload);
    cn_log_info("processing started", "suites=%zu hitlog=%s", conf->suite_count, pl->hitlog_dir);
    *out = pl;
    return 0;

fail:
    cn_pipeline_stop(pl);
    return rc;
}

void cn_pipeline_metrics(cn_pipeline_t *pl, cn_buf_t *out)
{
    cn_process_stats_t st;
    pthread_mutex_lock(&pl->stats_lock);
    st = pl->stats;
    pthread_mutex_unlock(&pl->stats_lock);
    cn_buf_printf(out,
                  "# HELP canton_process_up 1 while processing follows the hitlog, 0 after an "
                  "error.\n"
                  "# TYPE canton_process_up gauge\n"
                  "canton_process_up %d\n"
                  "# HELP canton_process_raw_hits_total Raw hits processed.\n"
                  "# TYPE canton_process_raw_hits_total counter\n"
                  "canton_process_raw_hits_total %" PRIu64 "\n"
                  "# HELP canton_process_rows_total Rows emitted to the stores.\n"
                  "# TYPE canton_process_rows_total counter\n"
                  "canton_process_rows_total{group=\"hit\"} %" PRIu64 "\n"
                  "canton_process_rows_total{group=\"visit\"} %" PRIu64 "\n"
                  "canton_process_rows_total{group=\"item\"} %" PRIu64 "\n"
                  "# HELP canton_process_orders_total Orders counted and duplicates dropped.\n"
                  "# TYPE canton_process_orders_total counter\n"
                  "canton_process_orders_total{kind=\"counted\"} %" PRIu64 "\n"
                  "canton_process_orders_total{kind=\"duplicate\"} %" PRIu64 "\n"
                  "# HELP canton_bad_rows_total Raw hits kept as bad rows, by reason.\n"
                  "# TYPE canton_bad_rows_total counter\n",
                  atomic_load(&pl->failed) ? 0 : 1, st.raw_hits, st.hits, st.visits, st.items,
                  st.orders, st.duplicate_orders);
    for (unsigned r = 1; r < CN_BADROW__COUNT; r++)
        cn_buf_printf(out, "canton_bad_rows_total{reason=\"%s\"} %" PRIu64 "\n",
                      cn_badrow_reason_name(r), st.bad_by_reason[r]);
    cn_buf_append_c(out, "# HELP canton_store_hits Hits in each suite's store.\n"
                         "# TYPE canton_store_hits gauge\n");
    for (size_t i = 0; i < pl->conf->suite_count; i++) {
        cn_store_stats_t ss;
        cn_store_stats(pl->stores[i], &ss);
        cn_buf_printf(out, "canton_store_hits{suite=\"%s\"} %" PRIu64 "\n", pl->conf->suites[i].id,
                      ss.hits);
    }
    cn_buf_append_c(out, "# HELP canton_store_bytes Bytes on disk of each suite's store.\n"
                         "# TYPE canton_store_bytes gauge\n");
    for (size_t i = 0; i < pl->conf->suite_count; i++) {
        cn_store_stats_t ss;
        cn_store_stats(pl->stores[i], &ss);
        cn_buf_printf(out, "canton_store_bytes{suite=\"%s\"} %" PRIu64 "\n", pl->conf->suites[i].id,
                      ss.bytes);
    }
    uint64_t reloads, reload_errors;
    cn_reloader_counts(pl->reloader, &reloads, &reload_errors);
    cn_buf_printf(out,
                  "# HELP canton_enrich_reloads_total Enrichment data sets reloaded (SIGHUP).\n"
                  "# TYPE canton_enrich_reloads_total counter\n"
                  "canton_enrich_reloads_total %" PRIu64 "\n"
                  "# HELP canton_enrich_reload_errors_total Reloads that failed (the data sets "
                  "in use stay).\n"
                  "# TYPE canton_enrich_reload_errors_total counter\n"
                  "canton_enrich_reload_errors_total %" PRIu64 "\n"
                  "# HELP canton_enrich_switches_total Reloaded data sets processing took into "
                  "use.\n"
                  "# TYPE canton_enrich_switches_total counter\n"
                  "canton_enrich_switches_total %" PRIu64 "\n",
                  reloads, reload_errors, st.enrich_switches);
}

void cn_pipeline_stop(cn_pipeline_t *pl)
{
    if (pl == NULL)
        return;
    atomic_store(&pl->stop, true);
    cn_reloader_stop(pl->reloader); /* before processing goes: it hands reloads to it */
    if (pl->thread_started)
        pthread_join(pl->thread, NULL);
    cn_api_free(pl->api);
    cn_process_free(pl->process);
    for (size_t i = 0; pl->stores != NULL && i < pl->conf->suite_count; i++)
        cn_store_close(pl->stores[i]);
    free(pl->stores);
    if (pl->enrich != NULL)
        cn_enrich_unref(pl->enrich);
    pthread_mutex_destroy(&pl->stats_lock);
    free(pl);
}
