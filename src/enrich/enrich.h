/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enrichment: the `enrich` box of DESIGN.md, called by processing for every
 * hit. It turns a user agent into browser, OS, device type and bot flag
 * (uap-core regexes + crawler-user-agents patterns, PCRE2-JIT, cached), an IP
 * into country, region and city (libmaxminddb), a referrer URL into a domain,
 * a type and search terms (Snowplow referers.yml + canton's own rules), and a
 * landing URL into a campaign and a marketing channel (ordered rules).
 * docs/enrich.md describes the data sets, the rules and the figures.
 *
 * Two objects:
 *   - cn_enrich_t, a snapshot of every data set, loaded once by
 *     cn_enrich_open() and immutable afterwards, so any number of threads may
 *     read it. It is reference counted: to reload, open a new snapshot, give
 *     each thread a new cn_enrich_thread_t on it (or rebind the old one) and
 *     unref the old snapshot; it is freed when its last thread handle goes.
 *   - cn_enrich_thread_t, one per thread that enriches hits: its UA cache,
 *     PCRE2 match data, interned result strings and scratch buffers. Every
 *     per-hit function takes a thread handle; a thread handle is used by one
 *     thread at a time (no locks anywhere on the per-hit path).
 *
 * Lifetimes of result strings (no per-hit heap allocation on the cached path):
 *   - names that come from the data sets or from the UA parser (browser, OS,
 *     device family, bot type, search engine name, channel, country, region,
 *     city) stay valid while the thread handle lives (interned per thread or
 *     owned by the snapshot, which the thread handle holds a reference to);
 *   - values taken from the input (referrer domain, search terms, campaign
 *     and utm_* values) borrow from the input slices or from the thread's
 *     scratch; they stay valid until the next call of the *same function* on
 *     the same thread handle. Copy them if you keep them longer.
 *
 * Results depend only on the input and the snapshot, never on the cache
 * state, so reprocessing gives the same rows.
 */
#ifndef CN_ENRICH_ENRICH_H
#define CN_ENRICH_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "hit/hit.h"
#include "lib/err.h"
#include "lib/str.h"

typedef struct cn_enrich cn_enrich_t;
typedef struct cn_enrich_thread cn_enrich_thread_t;

/* --- Opening and reloading --- */

/*
 * Paths of the data sets. cn_enrich_opts_default() fills every path from a
 * source root (the repository: node_modules/ and src/enrich/data/); a NULL or
 * "" path turns that data set off (its lookups then give empty results), except
 * uap_regexes, which is required.
 */
typedef struct cn_enrich_opts {
    const char *uap_regexes;    /* uap-core regexes.yaml */
    const char *crawlers;       /* crawler-user-agents.json */
    const char *geo_country;    /* mmdb with country (geo-whois-asn-country or GeoLite2) */
    const char *geo_city_v4;    /* mmdb with city/region for IPv4 (dbip-city or GeoLite2-City) */
    const char *geo_city_v6;    /* mmdb with city/region for IPv6; may equal geo_city_v4 */
    const char *referers;       /* Snowplow-format referers.yml (e.g. Debian's or npm's copy) */
    const char *referers_extra; /* canton's own list, same format; its hosts win over referers */
    const cn_conf_t *conf;      /* optional: suites' channel_rules, campaign_params and
                                   referer_list keys are loaded (docs/enrich.md) */
    size_t ua_cache_entries;    /* per thread handle; 0: 4096 */
} cn_enrich_opts_t;

/* Storage for the default paths that cn_enrich_opts_default() writes. */
typedef struct cn_enrich_paths {
    char buf[7][1024];
} cn_enrich_paths_t;

/*
 * Fills opts with defaults: every path under root (the source tree:
 * node_modules/... and src/enrich/data/...); root NULL means $CANTON_SRC, else
 * the source directory canton was built from. The path strings are written
 * into *paths, which must outlive opts. conf is NULL, ua_cache_entries 0.
 */
void cn_enrich_opts_default(cn_enrich_opts_t *opts, cn_enrich_paths_t *paths, const char *root);

/*
 * Loads and compiles every data set named in opts. Returns 0 and *out (one
 * reference; release with cn_enrich_unref), or a negative code with err
 * naming the file and what is wrong (CN_ECONFIG, CN_EPARSE, -ENOENT...).
 * Takes 0.1-0.2 s (≈1,200 uap regexes and 1,500 crawler patterns compiled, literal
 * prefilters built; each regex is JIT-compiled when it first runs, by whichever thread runs
 * it first). Thread-safe: e may be opened while others run.
 */
int cn_enrich_open(const cn_enrich_opts_t *opts, cn_enrich_t **out, cn_err_t *err);

/*
 * Checks the keys of sc that enrichment reads (channel_rules and referer_list: their files are
 * read and parsed; campaign_params) as cn_enrich_open does, keeping nothing. 0, or an error
 * with err "[suite ID] KEY: FILE:LINE: what is wrong". Thread-safe.
 */
int cn_enrich_check_suite_conf(const cn_suite_conf_t *sc, cn_err_t *err);
void cn_enrich_ref(cn_enrich_t *e);
void cn_enrich_unref(cn_enrich_t *e);

/*
 * A per-thread handle on e (takes a reference on e). Free with
 * cn_enrich_thread_free. cn_enrich_thread_rebind moves the handle to another
 * snapshot (after a reload), empties its cache and invalidates every string
 * it handed out.
 */
cn_enrich_thread_t *cn_enrich_thread_new(cn_enrich_t *e);
void cn_enrich_thread_rebind(cn_enrich_thread_t *t, cn_enrich_t *e);
void cn_enrich_thread_free(cn_enrich_thread_t *t);

/* --- User agent and bots --- */

typedef struct cn_ua_info {
    cn_str_t browser;     /* uap family, e.g. "Chrome", "Mobile Safari"; "Other" */
    cn_str_t browser_ver; /* major version, e.g. "120"; "" when unknown */
    cn_str_t os;          /* uap OS family, e.g. "Windows", "iOS", "Mac OS X"; "Other" */
    cn_str_t os_ver;      /* OS major version, e.g. "10", "17"; "" when unknown */
    cn_str_t device;      /* uap device family, e.g. "iPhone", "Spider", "Other" */
    cn_str_t brand;       /* uap device brand, "" when none */
    cn_str_t model;       /* uap device model, "" when none */
    cn_device_t type;     /* desktop / mobile / tablet / bot / other (rule: docs/enrich.md) */
    bool is_bot;          /* crawler-user-agents, uap Spider, or a simple rule */
    cn_str_t bot;         /* bot type when is_bot ("search-engine", "seo", "http-library",
                             "headless", "empty", "spider"...), else "" */
} cn_ua_info_t;

/*
 * Parses a user agent (cached per thread, keyed by the whole string). Never
 * fails: an unknown UA gives "Other" families. Strings live while t does.
 */
void cn_enrich_ua(cn_enrich_thread_t *t, cn_str_t ua, cn_ua_info_t *out);

/* Static name of a device type: "other", "desktop", "mobile", "tablet", "bot". */
const char *cn_enrich_device_name(cn_device_t d);

/* --- Geography --- */

typedef struct cn_geo {
    cn_str_t country; /* ISO 3166-1 alpha-2, "" when unknown */
    cn_str_t region;  /* first subdivision name (English), "" when unknown */
    cn_str_t city;    /* city name (English), "" when unknown */
} cn_geo_t;

/*
 * Looks up a textual IPv4 or IPv6 address (NUL-terminated, as collected).
 * Returns 0, or CN_EPARSE for a string that is not an IP (out is then all "").
 * An address not in the databases gives 0 and empty fields. Strings point
 * into the snapshot's mapped databases and live while t does. Answers come
 * from a per-thread cache of networks (32,768 of them, about 2.2 MiB): a
 * lookup's answer holds for the whole network the databases store it for,
 * so cached answers are exactly the databases'. The country file's answers
 * are cached the same way on their own (4,096 networks, 270 KiB), so a new
 * network inside a known country block reads the city file alone. The
 * records a lookup finds are read through a per-thread memo keyed on the
 * database and the record's offset (4,096 of them, 256 KiB): a record never
 * changes while the snapshot lives.
 */
int cn_enrich_geo(cn_enrich_thread_t *t, const char *ip, cn_geo_t *out);
/* The same for an IP given as a slice (not NUL-terminated), as a raw hit holds it; an IPv4
 * address is parsed without a copy of its text. Text of 64 bytes or more is CN_EPARSE. */
int cn_enrich_geo_str(cn_enrich_thread_t *t, cn_str_t ip, cn_geo_t *out);

#define CN_ENRICH_IP_TEXT_CAP 46 /* INET6_ADDRSTRLEN: an IPv6 address in text and its NUL */

/*
 * A client IP as canton keeps it (the visit column `ip`, `canton enrich --ip`):
 * ip (text, not NUL-terminated) parsed as IPv4 or IPv6, anonymized unless keep
 * (IPv4: last octet zeroed, 203.0.113.77 -> 203.0.113.0; IPv6: all but the
 * first 48 bits zeroed, 2001:db8:1234:5678::1 -> 2001:db8:1234::), an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) taken as its IPv4 address, written
 * in canonical form (the text inet_ntop writes) into out, NUL-terminated.
 * Returns its length: 0 (out "") when ip is not an IP address. Thread-safe.
 */
size_t cn_enrich_ip_text(cn_str_t ip, bool keep, char out[CN_ENRICH_IP_TEXT_CAP]);

/*
 * cn_enrich_geo_str and cn_enrich_ip_text of one IP at once (a visit takes both): an IPv4
 * address is parsed once for the two. Returns cn_enrich_geo_str's result; text and *text_len
 * are cn_enrich_ip_text's out and result.
 */
int cn_enrich_geo_ip_text(cn_enrich_thread_t *t, cn_str_t ip, bool keep, cn_geo_t *out,
                          char text[CN_ENRICH_IP_TEXT_CAP], size_t *text_len);

/* --- Referrer --- */

typedef struct cn_ref_info {
    cn_ref_type_t type; /* none, internal, search, social, email, paid, other */
    cn_str_t domain;    /* referrer host, lower case, "www." kept as sent; "" for none */
    cn_str_t source;    /* source name from the lists, e.g. "Google", "ChatGPT"; "" when unknown */
    cn_str_t medium;    /* the list's medium: "search", "social", "email", "paid", "ai",
                           "unknown", "internal"; "" when not in the lists */
    cn_str_t terms;     /* decoded search terms, "" when none */
} cn_ref_info_t;

/*
 * Classifies a referrer. referrer_url is the page's referrer (may be empty);
 * landing_url is the page URL the referrer led to (its query string may carry
 * paid click ids: gclid, msclkid, fbclid... → CN_REF_PAID). suite gives the
 * site's own domains (→ CN_REF_INTERNAL) and its referer_list, and may be NULL. Returns 0, or
 * CN_EPARSE when referrer_url is not empty but not a usable URL (out is then
 * type CN_REF_OTHER with the domain it could find, or ""). Input-derived
 * strings: until the next cn_enrich_referrer call on t.
 */
int cn_enrich_referrer(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                       const cn_suite_conf_t *suite, cn_ref_info_t *out);

/* --- Campaign and marketing channel --- */

typedef struct cn_campaign {
    cn_str_t campaign;     /* tracking code: Adobe v0, else the suite's campaign_params
                              (default: utm_campaign, cid), first present wins; "" */
    cn_str_t utm_source;   /* decoded utm_source, "" */
    cn_str_t utm_medium;   /* decoded utm_medium, "" */
    cn_str_t utm_campaign; /* decoded utm_campaign, "" */
    cn_str_t utm_term;     /* decoded utm_term, "" */
    cn_str_t utm_content;  /* decoded utm_content, "" */
    cn_str_t click_id;     /* name of a paid click-id parameter present (gclid...), "" */
} cn_campaign_t;

/*
 * Extracts campaign fields from the landing URL (a full URL or just its query
 * string, with or without "?") and Adobe's v0 (may be empty). suite may be
 * NULL (defaults). Values are percent-decoded ('+' is a space) and live until
 * the next cn_enrich_campaign call on t.
 */
void cn_enrich_campaign(cn_enrich_thread_t *t, cn_str_t landing_url, cn_str_t adobe_v0,
                        const cn_suite_conf_t *suite, cn_campaign_t *out);

/*
 * cn_enrich_campaign and cn_enrich_referrer of one landing hit together, with the same
 * results: the landing URL's query is walked once for the campaign fields and the paid
 * click id both need. Returns cn_enrich_referrer's result.
 */
int cn_enrich_landing(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                      cn_str_t adobe_v0, const cn_suite_conf_t *suite, cn_ref_info_t *ref,
                      cn_campaign_t *camp);

/*
 * cn_enrich_landing and cn_enrich_channel of one landing hit together, with the same results
 * (processing calls it once a visit), through a memo of what the suite's settings, the
 * trimmed referrer, the landing URL's query and the trimmed v0 gave (docs/enrich.md
 * "Per-visit memos"); the suite's own domains are applied on every call. Returns
 * cn_enrich_landing's result. Input-derived strings (referrer domain and terms, campaign,
 * utm_*) live until the next cn_enrich_source, cn_enrich_landing, cn_enrich_referrer or
 * cn_enrich_campaign call on t; *channel and the other names while t does.
 */
int cn_enrich_source(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                     cn_str_t adobe_v0, const cn_suite_conf_t *suite, cn_ref_info_t *ref,
                     cn_campaign_t *camp, cn_str_t *channel);

/*
 * Starts reading the cache entries cn_enrich_ua and cn_enrich_geo_ip_text will read for ua
 * and ip (a set of the UA cache, three of the geo network cache), so that those memory reads
 * overlap with each other and with the work between; processing calls it before the two for
 * a visit's first hit. The UA's hash and the IPv4 address's parse are kept in t for the next
 * call of each, which takes them only for the same input: the hash for the same slice (it
 * only picks where to look: entries compare the bytes), the parse for the same bytes.
 * Answers are the same with or without it.
 */
void cn_enrich_prefetch(cn_enrich_thread_t *t, cn_str_t ua, cn_str_t ip);

/*
 * The marketing channel of a visit's first hit: the suite's channel rules
 * (suite key channel_rules = FILE, loaded at open through opts.conf) or the
 * default rules, first match wins (docs/enrich.md lists them). Returns the
 * channel name, e.g. "Paid Search", "Natural Search", "Social Networks",
 * "Email", "Display", "Referring Domains", "Direct", "Internal"; it lives
 * while t does.
 */
cn_str_t cn_enrich_channel(cn_enrich_thread_t *t, const cn_suite_conf_t *suite,
                           const cn_ref_info_t *ref, const cn_campaign_t *camp);

/* --- Statistics (for /metrics and benchmarks) --- */

typedef struct cn_enrich_stats {
    uint64_t ua_lookups;
    uint64_t ua_cache_hits;
    uint64_t geo_lookups;
    uint64_t geo_cache_hits;   /* lookups answered by the network cache */
    uint64_t geo_country_hits; /* other lookups whose country the country cache gave */
    uint64_t source_lookups;   /* cn_enrich_source calls */
    uint64_t source_hits;      /* of those, answered by the visit-source memo */
} cn_enrich_stats_t;

/* Counters of this thread handle since it was created or rebound. */
void cn_enrich_thread_stats(const cn_enrich_thread_t *t, cn_enrich_stats_t *out);

#endif
