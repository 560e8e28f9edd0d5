/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton serve`: wires the boxes of DESIGN.md together. Reads the config,
 * opens the hitlog (<data>/hitlog, cutting a torn tail), starts the HTTP
 * server with the collector's endpoints, starts the pipeline behind it
 * (processing into the stores and the reporting API, pipeline.c), prints
 * the URLs to use, and on SIGINT/SIGTERM stops accepting, waits until every
 * hit already taken is acknowledged or failed, stops the pipeline (it
 * checkpoints), closes the hitlog and exits. SIGHUP reloads the enrichment
 * data sets (pipeline.h): collection and processing go on meanwhile.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "cli/pipeline.h"
#include "collect/collect.h"
#include "conf/conf.h"
#include "hitlog/hitlog.h"
#include "http/http.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* How long a stop waits for hits still waiting for their fsync. */
#define DRAIN_TIMEOUT_MS 30000

/* The one server a signal handler may stop (signal handlers take no argument). */
static cn_http_server_t *volatile signal_target;

/* Set by SIGHUP (an atomic store is all the handler does): the pipeline reloads enrichment. */
static atomic_bool reload_asked;

static void on_reload_signal(int sig)
{
    (void)sig;
    atomic_store(&reload_asked, true);
}

static void on_stop_signal(int sig)
{
    cn_http_server_t *srv = signal_target;
    if (srv != NULL)
        cn_http_server_stop(srv);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: canton serve [--config FILE] [--data DIR] [--listen ADDR:PORT]\n"
               "                    [--log-level debug|info|warn|error]\n\n"
               "Runs canton: the collector takes hits over HTTP and appends them to the\n"
               "hitlog in DIR/hitlog; processing follows the hitlog into one store per suite\n"
               "(DIR/store/<suite>); the reporting API (/api/v1/, docs/api.md) and the\n"
               "dashboard (/) answer from the stores. Without --config it runs one suite,\n"
               "\"demo\".\n\n"
               "  --config FILE     INI configuration (canton.conf.example documents every key)\n"
               "  --data DIR        data folder (overrides [server] data; default ./data)\n"
               "  --listen ADDR:PORT  address to listen on: a numeric IPv4 or [IPv6] address\n"
               "                    (overrides [server] listen; default 127.0.0.1:8080; port 0\n"
               "                    picks a free port)\n"
               "  --log-level L     debug, info, warn or error (default: the config's log_level,\n"
               "                    else info; docs/configuration.md says what debug adds)\n\n"
               "Endpoints: / (dashboard), /api/v1/... (reports), /b/ss/<suite>/... (Adobe),\n"
               "/api/collect, /i, /canton.js, /healthz, /metrics; docs/http.md describes\n"
               "answers and limits. Logs go to stderr (logfmt);\n"
               "the first line on stdout is \"canton <version> listening on <url>\".\n"
               "SIGINT or SIGTERM stops it after every hit taken has been acknowledged.\n"
               "SIGHUP reloads the enrichment data sets (uap-core, crawler-user-agents, the\n"
               "mmdb files, the referrer lists, the suites' referer_list and channel_rules\n"
               "files) without a stop: processing takes them between two batches; when one\n"
               "does not load, an error is logged and the data sets in use stay.\n");
}

static void replace(char **field, const char *value)
{
    free(*field);
    *field = cn_xstrdup(value);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void print_urls(const char *host, uint16_t port)
{
    char base[300];
    bool v6 = strchr(host, ':') != NULL;
    snprintf(base, sizeof(base), "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
             (unsigned)port);
    printf(
        "canton %s listening on %s\n"
        "  dashboard             %s/\n"
        "  reports API           %s/api/v1/report?suite=<suite>&dimension=page\n"
        "  Adobe AppMeasurement  %s/b/ss/<suite>/1/JS-2.21.0/s1?AQB=1&pageName=home&AQE=1\n"
        "  canton JSON           %s/api/collect   (POST {\"suite\":\"<suite>\",\"events\":[...]})\n"
        "  canton pixel          %s/i?suite=<suite>&...\n"
        "  tracker               %s/canton.js\n"
        "  health, metrics       %s/healthz  %s/metrics\n",
        CN_VERSION, base, base, base, base, base, base, base, base, base);
    fflush(stdout);
}

int cn_cmd_serve(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    const char *config = NULL, *data = NULL, *listen = NULL, *level = NULL;
    enum { O_CONFIG = 256, O_DATA, O_LISTEN, O_LOG_LEVEL };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},
        {"listen", required_argument, NULL, O_LISTEN},
        {"log-level", required_argument, NULL, O_LOG_LEVEL},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("serve", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_CONFIG:
            config = optarg;
            break;
        case O_DATA:
            data = optarg;
            break;
        case O_LISTEN:
            listen = optarg;
            break;
        case O_LOG_LEVEL:
            level = optarg;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton serve: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return CN_EXIT_USAGE;
    }

    cn_err_t err;
    const char *why;
    if (listen != NULL && (why = cn_conf_listen_error(listen, true)) != NULL) {
        fprintf(stderr, "canton serve: --listen '%s': %s\n", listen, why);
        return CN_EXIT_USAGE;
    }
    if (level != NULL && !cn_cli_log_level("serve", level))
        return CN_EXIT_USAGE;
    cn_conf_t *conf = cn_cli_conf("serve", config); /* sets the file's log_level */
    if (conf == NULL)
        return CN_EXIT_FAIL;
    if (data != NULL)
        replace(&conf->data_dir, data);
    if (listen != NULL)
        replace(&conf->listen, listen);
    if (level != NULL)
        replace(&conf->log_level, level);
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit fails the write (503), it does not kill */
    /* SIGHUP reloads enrichment from the start on: one during startup reloads once it is up */
    cn_cli_on_signal(SIGHUP, on_reload_signal);

    int exit_code = CN_EXIT_FAIL;
    cn_hitlog_t *log = NULL;
    cn_http_server_t *srv = NULL;
    cn_collect_t *collect = NULL;
    cn_pipeline_t *pipeline = NULL;

    /* The hitlog. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/hitlog", conf->data_dir);
    cn_hitlog_opts_t opts;
    cn_hitlog_opts_init(&opts);
    opts.buffered = conf->durability == CN_DURABILITY_BUFFERED;
    opts.group_commit_us = conf->group_commit_us;
    opts.segment_bytes = conf->hitlog_segment_bytes;
    uint64_t need =
        conf->max_body_bytes + conf->max_uri_bytes + 2 * (uint64_t)conf->max_header_bytes + 4096;
    if (need > opts.max_record_bytes)
        opts.max_record_bytes = need > (256u << 20) ? (256u << 20) : (size_t)need;
    cn_hitlog_recovery_t rec;
    int rc = cn_hitlog_open(dir, &opts, &log, &rec, &err);
    if (rc != 0) {
        cn_log_error("cannot open the hitlog", "dir=%s err=%s msg=\"%s\"", dir, cn_errname(rc),
                     err.msg);
        goto done;
    }
    if (rec.torn_bytes != 0)
        cn_log_warn("hitlog recovered: torn tail cut",
                    "dir=%s segments=%u records=%" PRIu64 " torn_bytes=%" PRIu64 " end=%u:%" PRIu64,
                    dir, rec.segments, rec.records, rec.torn_bytes, rec.end.segment,
                    rec.end.offset);
    else
        cn_log_info("hitlog opened",
                    "dir=%s segments=%u records=%" PRIu64 " end=%u:%" PRIu64 " durability=%s", dir,
                    rec.segments, rec.records, rec.end.segment, rec.end.offset,
                    opts.buffered ? "buffered" : "fsync");

    /* The server and the collector. */
    cn_http_limits_t limits = {
        .max_connections = conf->max_connections,
        .max_uri_bytes = conf->max_uri_bytes,
        .max_header_bytes = conf->max_header_bytes,
        .max_body_bytes = conf->max_body_bytes,
        .io_timeout_ms = conf->io_timeout_ms,
        .no_compress = !conf->compress,
    };
    srv = cn_http_server_new(&limits);
    if ((rc = cn_collect_new(conf, log, srv, &collect, &err)) != 0) {
        cn_log_error("cannot start the collector", "msg=\"%s\"", err.msg);
        goto done;
    }
    /* Processing, the stores and the reporting API behind the collector. */
    if ((rc = cn_pipeline_start(conf, srv, &reload_asked, &pipeline, &err)) != 0) {
        cn_log_error("cannot start processing and the stores", "err=%s msg=\"%s\"", cn_errname(rc),
                     cn_err_msg(&err, rc));
        goto done;
    }
    cn_collect_set_metrics_cb(collect, (cn_collect_metrics_cb)cn_pipeline_metrics, pipeline);
    uint16_t port;
    if ((rc = cn_http_server_listen(srv, conf->listen, &port, &err)) != 0) {
        cn_log_error("cannot listen", "addr=%s msg=\"%s\"", conf->listen, err.msg);
        goto done;
    }
    char host[256];
    const char *colon = strrchr(conf->listen, ':');
    size_t hlen = (size_t)(colon - conf->listen);
    if (hlen >= 2 && conf->listen[0] == '[')
        snprintf(host, sizeof(host), "%.*s", (int)(hlen - 2), conf->listen + 1);
    else
        snprintf(host, sizeof(host), "%.*s", (int)hlen, conf->listen);
    cn_log_info("listening", "addr=%s port=%u suites=%zu max_body_bytes=%" PRIu64, host,
                (unsigned)port, conf->suite_count, conf->max_body_bytes);
    print_urls(host, port);

    signal_target = srv;
    cn_cli_on_signal(SIGINT, on_stop_signal);
    cn_cli_on_signal(SIGTERM, on_stop_signal);

    rc = cn_http_server_run(srv, DRAIN_TIMEOUT_MS);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal_target = NULL;
    if (rc != 0)
        cn_log_warn("stopping with hits still waiting for the hitlog", "timeout_ms=%d",
                    DRAIN_TIMEOUT_MS);
    else
        cn_log_info("stopping: every hit taken is acknowledged", NULL);
    exit_code = CN_EXIT_OK;

done:
    /* Processing stops at the hitlog's end (it checkpoints), then the API workers. */
    cn_pipeline_stop(pipeline);
    /* The hitlog first: its last callbacks are delivered by cn_http_server_free. */
    if (log != NULL) {
        cn_hitlog_stats_t st;
        cn_hitlog_stats(log, &st);
        cn_hitlog_close(log);
        cn_log_info("hitlog closed", "records=%" PRIu64 " fsyncs=%" PRIu64, st.records, st.fsyncs);
    }
    cn_http_server_free(srv);
    cn_collect_free(collect);
    cn_conf_free(conf);
    if (exit_code == CN_EXIT_OK)
        cn_log_info("stopped", NULL);
    return exit_code;
}
