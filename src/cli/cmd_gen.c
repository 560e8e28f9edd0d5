/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `canton gen`: synthetic traffic for demos, tests and benchmarks
 * (src/gen/, docs/gen.md). Wires the generator to one output: the hitlog
 * (raw hits appended in time order), a collector over HTTP (a batch or the
 * live trickle), or a file of JSON request records or nginx log lines.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gen/gen.h"
#include "hitlog/hitlog.h"
#include "lib/buf.h"
#include "lib/clock.h"

static void usage(FILE *f)
{
    fprintf(
        f, "Usage: canton gen [options] (--hitlog DIR | --data DIR | --url URL | --out FILE)\n\n"
           "Generates realistic, deterministic traffic of a cross-border shop whose home is\n"
           "China: visitors from CN, US, GB, AU, NZ, DE, BY, UA, IL and a dozen more countries,\n"
           "daily and weekly cycles in local time, growth over the year, festivals, new and\n"
           "returning visitors, channels and campaigns, real browser and crawler user agents,\n"
           "IPs of each visitor's country, and orders in CNY, USD, EUR, GBP and AUD. Hits are\n"
           "Adobe AppMeasurement image requests and canton JSON batches, in time order.\n"
           "The same options and seed give the same output, byte for byte.\n\n"
           "What to simulate:\n"
           "  --suite S             report suite id (default demo)\n"
           "  --from YYYY-MM-DD     first day, UTC (default: 7 days before today)\n"
           "  --to YYYY-MM-DD       last day, inclusive (default: yesterday, so up to 00:00 UTC\n"
           "                        today); or an instant, exclusive: 'now' or\n"
           "                        YYYY-MM-DDTHH:MM:SSZ (history right up to a live trickle)\n"
           "  --visits-per-day N    human visits on an average day near --to (default 2000);\n"
           "                        a year earlier there are about 40%% fewer\n"
           "  --hits N              stop after N hits; without --visits-per-day exactly N hits\n"
           "                        spread over --from..--to, up to its last hour\n"
           "  --seed N              random seed (default 1)\n"
           "  --json-share F        share of visitors tracked with canton JSON, 0 to 1\n"
           "                        (default 0.2)\n"
           "  --products N          catalogue size, 164 to 10000000 (default 18000: about 20k\n"
           "                        page URLs)\n"
           "  --site URL            the shop's origin (default https://shop.canton.test)\n"
           "  --collect-host H      Host header of Adobe requests (default collect.canton.test)\n\n"
           "Where to put it (one of):\n"
           "  --hitlog DIR          append raw hits to the hitlog in DIR (batched, synced at end)\n"
           "  --data DIR            the same, into DIR/hitlog\n"
           "  --url URL             send over HTTP/1.1 keep-alive, e.g. http://127.0.0.1:8080;\n"
           "                        the visitor IP goes in X-Forwarded-For\n"
           "  --out FILE            write one request per line ('-': stdout)\n\n"
           "Output options:\n"
           "  --format F            with --out only: json (default): fixture-style records {seq,\n"
           "                        received_at, ip, proto, method, path, query, headers, body,\n"
           "                        body_encoding}; nginx: the shop web server's own requests\n"
           "                        (pages and static assets, 200/304/404) as nginx combined\n"
           "                        log lines\n"
           "  --connections N       HTTP connections, with --url only (default 8)\n"
           "  --live                with --url (or --out): send hits stamped with the current\n"
           "                        time, --rate per second, until SIGINT or SIGTERM\n"
           "  --rate N              hits per second, with --live only (default 20); a\n"
           "                        fraction too: 0.05 sends one hit every 20 s\n"
           "  --quiet               no summary on stderr\n\n"
           "The summary line gives hits, visits, orders and hits per second. See docs/gen.md.\n");
}

static volatile sig_atomic_t stop_flag;

static void on_sigint(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int parse_day(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return -1;
    time_t t = timegm(&tm);
    *out = (int64_t)t * 1000000;
    return 0;
}

/* --to as an instant: "now" or YYYY-MM-DDTHH:MM:SSZ, in µs. */
static int parse_instant(const char *s, int64_t *out)
{
    if (strcmp(s, "now") == 0) {
        *out = cn_time_now_us();
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -1;
    *out = (int64_t)timegm(&tm) * 1000000;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

typedef struct sink {
    cn_hitlog_t *log;
    atomic_int log_error;
    cn_gen_http_t *http;
    FILE *out;
    bool nginx;
    cn_buf_t buf, rec;
    uint64_t seq;
} sink_t;

static void on_appended(void *ud, int status, cn_hitlog_pos_t pos)
{
    (void)pos;
    sink_t *s = ud;
    if (status < 0)
        atomic_store(&s->log_error, status);
}

static int sink_put(sink_t *s, const cn_gen_hit_t *hit)
{
    if (s->log) {
        cn_buf_clear(&s->rec);
        cn_rawhit_encode(&hit->raw, &s->rec);
        int rc = cn_hitlog_append(s->log, s->rec.ptr, s->rec.len, on_appended, s);
        if (rc < 0)
            return rc;
        /* The writer's queue grows while we outrun the disk: let it drain now and then. */
        if (++s->seq % (1 << 18) == 0 && (rc = cn_hitlog_sync(s->log)) < 0)
            return rc;
        return atomic_load(&s->log_error);
    }
    if (s->http)
        return cn_gen_http_send(s->http, hit);
    if (s->nginx)
        cn_gen_format_nginx(hit, &s->buf);
    else
        cn_gen_format_json(hit, ++s->seq, &s->buf);
    if (s->buf.len >= (1 << 20)) {
        if (fwrite(s->buf.ptr, 1, s->buf.len, s->out) != s->buf.len)
            return -errno;
        cn_buf_clear(&s->buf);
    }
    return 0;
}

static int sink_flush(sink_t *s)
{
    if (s->log) {
        int rc = cn_hitlog_sync(s->log);
        return rc < 0 ? rc : atomic_load(&s->log_error);
    }
    if (s->http) {
        cn_gen_http_drain(s->http);
        return 0;
    }
    if (s->buf.len && fwrite(s->buf.ptr, 1, s->buf.len, s->out) != s->buf.len)
        return -errno;
    cn_buf_clear(&s->buf);
    return fflush(s->out) == 0 ? 0 : -errno;
}

/* Hits per visit of this configuration, measured on one simulated day. */
static double hits_per_visit(const cn_gen_opts_t *base)
{
    cn_gen_opts_t o = *base;
    o.live = false;
    o.max_hits = 0;
    o.visits_per_day = 2000;
    o.from_us = base->from_us / (86400 * (int64_t)1000000) * 86400 * (int64_t)1000000;
    o.to_us = o.from_us + 86400 * (int64_t)1000000;
    cn_gen_t *g;
    if (cn_gen_new(&o, &g, NULL) < 0)
        return 5;
    cn_gen_hit_t h;
    while (cn_gen_next(g, &h) == 1) {
    }
    cn_gen_stats_t st;
    cn_gen_stats(g, &st);
    cn_gen_free(g);
    return st.visits ? (double)st.hits / (double)st.visits : 5;
}

int cn_cmd_gen(int argc, char **argv)
{
    if (cn_cli_wants_help(argc, argv)) {
        usage(stdout);
        return CN_EXIT_OK;
    }
    enum {
        O_SUITE = 256,
        O_FROM,
        O_TO,
        O_VPD,
        O_HITS,
        O_SEED,
        O_JSON_SHARE,
        O_PRODUCTS,
        O_SITE,
        O_COLLECT_HOST,
        O_HITLOG,
        O_DATA,
        O_URL,
        O_OUT,
        O_FORMAT,
        O_CONNECTIONS,
        O_LIVE,
        O_RATE,
        O_QUIET
    };
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, O_SUITE},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"visits-per-day", required_argument, NULL, O_VPD},
        {"hits", required_argument, NULL, O_HITS},
        {"seed", required_argument, NULL, O_SEED},
        {"json-share", required_argument, NULL, O_JSON_SHARE},
        {"products", required_argument, NULL, O_PRODUCTS},
        {"site", required_argument, NULL, O_SITE},
        {"collect-host", required_argument, NULL, O_COLLECT_HOST},
        {"hitlog", required_argument, NULL, O_HITLOG},
        {"data", required_argument, NULL, O_DATA},
        {"url", required_argument, NULL, O_URL},
        {"out", required_argument, NULL, O_OUT},
        {"format", required_argument, NULL, O_FORMAT},
        {"connections", required_argument, NULL, O_CONNECTIONS},
        {"live", no_argument, NULL, O_LIVE},
        {"rate", required_argument, NULL, O_RATE},
        {"quiet", no_argument, NULL, O_QUIET},
        {NULL, 0, NULL, 0},
    };
    cn_gen_opts_t o;
    cn_gen_opts_init(&o);
    bool vpd_given = false, live = false, quiet = false, nginx = false;
    bool connections_given = false, rate_given = false, format_given = false;
    const char *hitlog_dir = NULL, *data_dir = NULL, *url = NULL, *out_path = NULL;
    uint64_t connections = 8, u;
    double rate = 20;
    char *endp;
    int c;
    optind = 1;
    while ((c = cn_cli_getopt("gen", argc, argv, "", longopts)) != -1) {
        switch (c) {
        case O_SUITE:
            o.suite = optarg;
            break;
        case O_FROM:
        case O_TO: {
            int64_t t;
            if (c == O_TO && parse_instant(optarg, &o.to_us) == 0)
                break;
            if (parse_day(optarg, &t) < 0) {
                fprintf(stderr, "canton gen: bad --%s '%s' (want YYYY-MM-DD%s)\n",
                        c == O_TO ? "to" : "from", optarg,
                        c == O_TO ? ", YYYY-MM-DDTHH:MM:SSZ or now" : "");
                return CN_EXIT_USAGE;
            }
            if (c == O_FROM)
                o.from_us = t;
            else
                o.to_us = t + 86400 * (int64_t)1000000;
            break;
        }
        case O_VPD:
            o.visits_per_day = strtod(optarg, &endp);
            if (*endp || o.visits_per_day <= 0) {
                fprintf(stderr, "canton gen: bad --visits-per-day '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            vpd_given = true;
            break;
        case O_HITS:
            if (parse_u64(optarg, &o.max_hits) < 0 || o.max_hits == 0) {
                fprintf(stderr, "canton gen: bad --hits '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            break;
        case O_SEED:
            if (parse_u64(optarg, &o.seed) < 0) {
                fprintf(stderr, "canton gen: bad --seed '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            break;
        case O_JSON_SHARE:
            o.json_share = strtod(optarg, &endp);
            if (*endp) {
                fprintf(stderr, "canton gen: bad --json-share '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            break;
        case O_PRODUCTS:
            if (parse_u64(optarg, &u) < 0 || u > UINT32_MAX) {
                fprintf(stderr, "canton gen: bad --products '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            o.products = (uint32_t)u;
            break;
        case O_SITE:
            o.site = optarg;
            break;
        case O_COLLECT_HOST:
            o.collect_host = optarg;
            break;
        case O_HITLOG:
            hitlog_dir = optarg;
            break;
        case O_DATA:
            data_dir = optarg;
            break;
        case O_URL:
            url = optarg;
            break;
        case O_OUT:
            out_path = optarg;
            break;
        case O_FORMAT:
            format_given = true;
            if (strcmp(optarg, "nginx") == 0) {
                nginx = true;
            } else if (strcmp(optarg, "json") != 0) {
                fprintf(stderr, "canton gen: unknown --format '%s' (json or nginx)\n", optarg);
                return CN_EXIT_USAGE;
            }
            break;
        case O_CONNECTIONS:
            if (parse_u64(optarg, &connections) < 0 || connections == 0 || connections > 256) {
                fprintf(stderr, "canton gen: bad --connections '%s' (1..256)\n", optarg);
                return CN_EXIT_USAGE;
            }
            connections_given = true;
            break;
        case O_LIVE:
            live = true;
            break;
        case O_RATE:
            rate = strtod(optarg, &endp);
            if (endp == optarg || *endp || !(rate >= 0.0001 && rate <= 10000000)) {
                fprintf(stderr, "canton gen: bad --rate '%s'\n", optarg);
                return CN_EXIT_USAGE;
            }
            rate_given = true;
            break;
        case O_QUIET:
            quiet = true;
            break;
        default:
            usage(stderr);
            return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "canton gen: unexpected argument '%s'\n", argv[optind]);
        return CN_EXIT_USAGE;
    }
    int outputs = !!hitlog_dir + !!data_dir + !!url + !!out_path;
    if (outputs != 1) {
        fprintf(stderr, "canton gen: give exactly one of --hitlog, --data, --url, --out\n");
        return CN_EXIT_USAGE;
    }
    if (format_given && !out_path) { /* the hitlog and HTTP have one form each */
        fprintf(stderr, "canton gen: --format applies to --out only (the lines it writes)\n");
        return CN_EXIT_USAGE;
    }
    /* options that only apply with another are refused without it, not ignored */
    if (connections_given && !url) {
        fprintf(stderr, "canton gen: --connections applies to --url only (HTTP connections)\n");
        return CN_EXIT_USAGE;
    }
    if (rate_given && !live) {
        fprintf(stderr, "canton gen: --rate applies to --live only (hits per second)\n");
        return CN_EXIT_USAGE;
    }
    if (live && (hitlog_dir || data_dir)) {
        fprintf(stderr, "canton gen: --live sends to --url (or --out); a running collector "
                        "owns the hitlog\n");
        return CN_EXIT_USAGE;
    }
    if (o.max_hits && !vpd_given)
        o.visits_per_day = 0;
    if (nginx)
        o.mode = CN_GEN_ACCESS_LOG;
    if (live) {
        o.live = true;
        o.from_us = cn_time_now_us();
        o.to_us = INT64_MAX;
        if (!vpd_given) {
            /* Simulated traffic as fast as the trickle, so that visits look real. */
            o.visits_per_day = rate * 86400.0 / hits_per_visit(&o) / 1.05;
        }
    }

    cn_err_t err;
    cn_err_clear(&err);
    cn_gen_t *gen;
    int rc = cn_gen_new(&o, &gen, &err);
    if (rc < 0) {
        fprintf(stderr, "canton gen: %s\n", cn_err_msg(&err, rc));
        return CN_EXIT_USAGE;
    }

    sink_t s;
    memset(&s, 0, sizeof(s));
    atomic_init(&s.log_error, 0);
    s.nginx = nginx;
    char dir[4096];
    int exit_code = CN_EXIT_OK;
    if (hitlog_dir || data_dir) {
        if (data_dir) {
            snprintf(dir, sizeof(dir), "%s/hitlog", data_dir);
            hitlog_dir = dir;
        }
        cn_hitlog_opts_t ho;
        cn_hitlog_opts_init(&ho);
        ho.buffered = true;
        rc = cn_hitlog_open(hitlog_dir, &ho, &s.log, NULL, &err);
        if (rc < 0) {
            fprintf(stderr, "canton gen: cannot open the hitlog %s: %s\n", hitlog_dir,
                    cn_err_msg(&err, rc));
            cn_gen_free(gen);
            return CN_EXIT_FAIL;
        }
    } else if (url) {
        rc = cn_gen_http_new(url, (unsigned)connections, &s.http, &err);
        if (rc < 0) {
            fprintf(stderr, "canton gen: %s\n", cn_err_msg(&err, rc));
            cn_gen_free(gen);
            return CN_EXIT_USAGE;
        }
    } else if (strcmp(out_path, "-") == 0) {
        s.out = stdout;
    } else {
        s.out = fopen(out_path, "wb");
        if (!s.out) {
            fprintf(stderr, "canton gen: cannot write %s: %s\n", out_path, strerror(errno));
            cn_gen_free(gen);
            return CN_EXIT_FAIL;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int64_t t0 = cn_time_mono_us();
    cn_gen_hit_t hit;
    uint64_t sent = 0;
    while (!stop_flag) {
        if (live) {
            int64_t now = cn_time_mono_us() - t0;
            uint64_t due = (uint64_t)((double)now * rate / 1e6);
            if (sent >= due) {
                /* Hit number sent + 1 is due (sent + 1) / rate seconds after the start: sleep
                 * until then (a response or a signal ends the wait early), at most 100 ms. */
                int64_t next = (int64_t)((double)(sent + 1) * 1e6 / rate) + 1;
                int64_t wait_us = next - now;
                if (wait_us < 1)
                    wait_us = 1;
                if (wait_us > 100000)
                    wait_us = 100000;
                if (s.http) {
                    cn_gen_http_poll(s.http, (int)((wait_us + 999) / 1000));
                } else {
                    sink_flush(&s);
                    usleep((useconds_t)wait_us);
                }
                continue;
            }
        }
        if (cn_gen_next(gen, &hit) != 1)
            break;
        rc = sink_put(&s, &hit);
        if (rc < 0) {
            fprintf(stderr, "canton gen: write failed: %s\n", cn_strerror(rc));
            exit_code = CN_EXIT_FAIL;
            break;
        }
        sent++;
    }
    rc = sink_flush(&s);
    if (rc < 0 && exit_code == CN_EXIT_OK) {
        fprintf(stderr, "canton gen: write failed: %s\n", cn_strerror(rc));
        exit_code = CN_EXIT_FAIL;
    }
    double secs = (double)(cn_time_mono_us() - t0) / 1e6;
    cn_gen_stats_t st;
    cn_gen_stats(gen, &st);
    if (!quiet) {
        /* nginx lines are the web server's requests, neither Adobe nor JSON hits */
        char made[96];
        if (nginx)
            snprintf(made, sizeof(made), "%llu access-log lines", (unsigned long long)sent);
        else
            snprintf(made, sizeof(made), "%llu hits (%llu adobe, %llu json)",
                     (unsigned long long)sent, (unsigned long long)st.adobe_hits,
                     (unsigned long long)st.json_hits);
        fprintf(stderr,
                "canton gen: %s, %llu visits (%llu returning, %llu crawlers), %llu orders in "
                "%.2f s: %.0f %s/s\n",
                made, (unsigned long long)st.visits, (unsigned long long)st.returning_visits,
                (unsigned long long)st.bot_visits, (unsigned long long)st.orders, secs,
                secs > 0 ? (double)sent / secs : 0.0, nginx ? "lines" : "hits");
    }
    if (s.http) {
        cn_gen_http_stats_t hs;
        cn_gen_http_stats(s.http, &hs);
        if (!quiet)
            fprintf(stderr,
                    "canton gen: HTTP %llu sent, %llu 2xx, %llu other status, %llu failed\n",
                    (unsigned long long)hs.sent, (unsigned long long)hs.ok,
                    (unsigned long long)hs.rejected, (unsigned long long)hs.failed);
        if (hs.failed || hs.rejected)
            exit_code = CN_EXIT_FAIL;
        cn_gen_http_free(s.http);
    }
    if (s.log)
        cn_hitlog_close(s.log);
    if (s.out && s.out != stdout)
        fclose(s.out);
    cn_buf_dispose(&s.buf);
    cn_buf_dispose(&s.rec);
    cn_gen_free(gen);
    return exit_code;
}
