/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Throughput of src/enrich (figures in docs/enrich.md): snapshot load time;
 * UA parsing uncached (prefiltered and plain first-match, over uap-core's
 * test_device.yaml UAs) and cached (200 distinct UAs repeating, one thread
 * and several); geo lookups (random IPv4 and IPv6); referrer + campaign +
 * channel. Run: CANTON_SRC=. build/tests/unit/enrich/bench_enrich [threads]
 *
 * Rates are per CPU second of the measuring thread (CLOCK_THREAD_CPUTIME_ID),
 * so that a busy shared machine does not distort them; the multi-thread
 * figure adds up the per-thread rates.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enrich/internal.h"
#include "lib/clock.h"

static uint64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double secs(uint64_t t0)
{
    return (double)(cpu_us() - t0 + 1) / 1e6;
}

static char **load_uas(const char *path, size_t max, size_t *count)
{
    yaml_document_t doc;
    cn_err_t err;
    *count = 0;
    if (cn_enrich__yaml_load(path, &doc, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    yaml_node_t *cases = cn_enrich__yaml_get(&doc, yaml_document_get_root_node(&doc), "test_cases");
    char **out = calloc(max, sizeof(char *));
    for (yaml_node_item_t *it = cases->data.sequence.items.start;
         it < cases->data.sequence.items.top && *count < max; it++) {
        cn_str_t ua = cn_enrich__yaml_str(
            cn_enrich__yaml_get(&doc, yaml_document_get_node(&doc, *it), "user_agent_string"));
        out[(*count)++] = strndup(ua.ptr, ua.len);
    }
    yaml_document_delete(&doc);
    return out;
}

typedef struct job {
    cn_enrich_t *e;
    char **uas;
    size_t n;
    size_t iters;
    double rate; /* lookups per CPU second */
} job_t;

static void *cached_worker(void *arg)
{
    job_t *j = arg;
    cn_enrich_thread_t *t = cn_enrich_thread_new(j->e);
    cn_ua_info_t u;
    size_t sink = 0;
    for (size_t i = 0; i < 2 * j->n; i++)
        cn_enrich_ua(t, cn_str_c(j->uas[i % j->n]), &u); /* warm the cache */
    uint64_t t0 = cpu_us();
    for (size_t i = 0; i < j->iters; i++) {
        cn_enrich_ua(t, cn_str_c(j->uas[i % j->n]), &u);
        sink += u.type;
    }
    j->rate = j->iters / secs(t0);
    cn_enrich_thread_free(t);
    return (void *)sink;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, getenv("CANTON_SRC"));
    cn_err_t err;
    cn_enrich_t *e;
    uint64_t w0 = cn_time_mono_us(), t0 = cpu_us();
    if (cn_enrich_open(&o, &e, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("open (load + JIT-compile every data set): %.2f s CPU, %.2f s wall\n", secs(t0),
           (double)(cn_time_mono_us() - w0) / 1e6);

    size_t n;
    char **uas = load_uas("/usr/share/uap-core/tests/test_device.yaml", 20000, &n);
    if (uas == NULL || n == 0)
        return 1;
    cn_enrich_thread_t *t = cn_enrich_thread_new(e);

    /* uncached: every UA once (the cache never hits on distinct UAs) */
    cn_ua_info_t u;
    t0 = cpu_us();
    for (size_t i = 0; i < n; i++)
        cn_enrich_ua(t, cn_str_c(uas[i]), &u);
    double s = secs(t0);
    printf("UA uncached (uap + bots + device type): %.0f UAs/s (%zu distinct UAs)\n", n / s, n);
    cn_uap_result_t r;
    size_t m = n < 3000 ? n : 3000;
    t0 = cpu_us();
    for (size_t i = 0; i < m; i++)
        cn_enrich__uap_parse(e->uap, &t->m, cn_str_c(uas[i]), &r);
    printf("  uap parse, literal prefilter: %.0f UAs/s\n", m / secs(t0));
    t0 = cpu_us();
    for (size_t i = 0; i < m; i++)
        cn_enrich__uap_parse_slow(e->uap, &t->m, cn_str_c(uas[i]), &r);
    printf("  uap parse, plain first match: %.0f UAs/s\n", m / secs(t0));
    cn_str_t type;
    t0 = cpu_us();
    for (size_t i = 0; i < m; i++)
        cn_enrich__bot_check(e->bots, &t->m, cn_str_c(uas[i]), &type);
    printf("  bot check, literal prefilter: %.0f UAs/s\n", m / secs(t0));
    size_t ms = m < 500 ? m : 500;
    t0 = cpu_us();
    for (size_t i = 0; i < ms; i++)
        cn_enrich__bot_pattern_slow(e->bots, &t->m, cn_str_c(uas[i]));
    printf("  bot check, one PCRE2-JIT alternation of %zu patterns: %.0f UAs/s\n",
           cn_enrich__bots_count(e->bots), ms / secs(t0));

    /* cached: 200 distinct UAs repeating */
    size_t iters = 20000000;
    job_t one = {e, uas, 200, iters, 0};
    cached_worker(&one);
    printf("UA cached, 200 distinct, 1 thread: %.1f M lookups/s\n", one.rate / 1e6);
    pthread_t th[64];
    job_t jobs[64];
    if (threads > 64)
        threads = 64;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){e, uas, 200, iters / 4, 0};
        pthread_create(&th[i], NULL, cached_worker, &jobs[i]);
    }
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        sum += jobs[i].rate;
    }
    printf("UA cached, 200 distinct, %d threads (own handles): %.1f M lookups/s in all\n", threads,
           sum / 1e6);

    /* geo */
    uint64_t x = 88172645463325252ull;
    char ip[64];
    cn_geo_t g;
    size_t found = 0, geo_n = 2000000;
    t0 = cpu_us();
    for (size_t i = 0; i < geo_n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", ((unsigned)(x >> 24) & 223) | 1,
                 (unsigned)(x >> 16) & 255, (unsigned)(x >> 8) & 255, (unsigned)x & 255);
        cn_enrich_geo(t, ip, &g);
        found += g.city.len > 0;
    }
    s = secs(t0);
    printf("geo IPv4 (country + city files): %.2f M lookups/s (%.0f%% with a city)\n",
           geo_n / s / 1e6, 100.0 * found / geo_n);
    found = 0;
    t0 = cpu_us();
    for (size_t i = 0; i < geo_n / 4; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        snprintf(ip, sizeof(ip), "2a0%x:%x:%x::%x", (unsigned)(x & 15), (unsigned)(x >> 8) & 0xffff,
                 (unsigned)(x >> 24) & 0xffff, (unsigned)(x >> 40) & 0xffff);
        cn_enrich_geo(t, ip, &g);
        found += g.country.len > 0;
    }
    s = secs(t0);
    printf("geo IPv6: %.2f M lookups/s (%.0f%% with a country)\n", geo_n / 4 / s / 1e6,
           100.0 * found / (geo_n / 4));

    /* referrer + campaign + channel */
    static const char *const refs[] = {"https://www.google.com/search?q=red+shoes",
                                       "https://l.facebook.com/l.php?u=x",
                                       "https://chatgpt.com/",
                                       "https://blog.someone.net/a/b",
                                       "",
                                       "https://mail.google.com/mail/u/0/",
                                       "https://www.baidu.com/s?wd=%E9%9E%8B"};
    static const char *const lands[] = {
        "https://shop.example.com/?utm_source=news&utm_medium=email",
        "https://shop.example.com/p/1", "https://shop.example.com/?gclid=1"};
    size_t rn = 2000000;
    cn_ref_info_t ri;
    cn_campaign_t c;
    size_t sink = 0;
    t0 = cpu_us();
    for (size_t i = 0; i < rn; i++) {
        cn_str_t land = cn_str_c(lands[i % 3]);
        cn_enrich_referrer(t, cn_str_c(refs[i % 7]), land, NULL, &ri);
        cn_enrich_campaign(t, land, CN_STR_NULL, NULL, &c);
        sink += cn_enrich_channel(t, NULL, &ri, &c).len;
    }
    printf("referrer + campaign + channel: %.2f M/s\n", rn / secs(t0) / 1e6);
    cn_enrich_thread_free(t);
    cn_enrich_unref(e);
    for (size_t i = 0; i < n; i++)
        free(uas[i]);
    free(uas);
    return sink == 0;
}
