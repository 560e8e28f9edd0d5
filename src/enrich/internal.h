/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/enrich/: the snapshot and thread-handle structs and the
 * helpers the files of the module share (YAML loading, string interning, URL
 * splitting, the parsers of each data set). Tests include it to reach the
 * full uap-core results (minor/patch versions) that the public API omits.
 */
#ifndef CN_ENRICH_INTERNAL_H
#define CN_ENRICH_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <maxminddb.h>
#include <pcre2.h>
#include <stdatomic.h>
#include <yaml.h>

#include "enrich/enrich.h"

/* Longest UA prefix that is parsed; the cache key is the whole UA. */
#define CN_ENRICH_UA_MAX 2048
/* Longest result string kept (families, versions); longer ones are cut. */
#define CN_ENRICH_NAME_MAX 128
/* Distinct interned strings per thread handle before new ones become "Other". */
#define CN_ENRICH_INTERN_MAX (1u << 20)

/* --- YAML (libyaml document API) --- */

/* Loads the first document of a YAML file. 0, or a negative code with err. */
int cn_enrich__yaml_load(const char *path, yaml_document_t *doc, cn_err_t *err);
/* Returns the value node of key in a mapping node, or NULL. */
yaml_node_t *cn_enrich__yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key);
/* Scalar value of a node as a slice; CN_STR_NULL when the node is not a scalar. */
cn_str_t cn_enrich__yaml_str(yaml_node_t *n);

/* Reads a whole file (at most 16 MiB) into *out (NUL-terminated; free it), its length into
 * *out_len. 0, or CN_ECONFIG "PATH: cannot open" / CN_ETOOBIG with err. */
int cn_enrich__read_file(const char *path, char **out, size_t *out_len, cn_err_t *err);

/* --- Interning: strings that live as long as their table --- */

typedef struct cn_intern {
    cn_str_t *slots; /* open addressing; ptr NULL means empty */
    uint64_t *hashes;
    size_t cap; /* power of two */
    size_t count;
    char **chunks; /* string storage, never moved */
    size_t chunk_count;
    size_t chunk_used; /* bytes used in the last chunk */
} cn_intern_t;

void cn_enrich__intern_init(cn_intern_t *in);
void cn_enrich__intern_dispose(cn_intern_t *in);
/* Returns the stored copy of s (NUL-terminated); "Other" when the table is full. */
cn_str_t cn_enrich__intern(cn_intern_t *in, cn_str_t s);

/* --- Literal prefilter for ordered regex lists (litidx.c) --- */

typedef struct cn_lit {
    const char *p; /* lowered literal, owned; each literal once per index */
    uint32_t len;
    uint32_t pre;  /* its first 4 bytes (little-endian load), for a quick reject */
    uint32_t mask; /* which bytes of pre count (literals shorter than 4) */
    uint32_t post_first, post_count; /* its regexes: into posts */
} cn_lit_t;

/* A regex one of whose literal sets holds a literal: the regex and the set's bit. */
typedef struct cn_litpost {
    uint32_t id;
    uint32_t set;
} cn_litpost_t;

/* A literal as added, before build (owned). */
typedef struct cn_litraw {
    char *p;
    uint32_t len, id, set;
} cn_litraw_t;

typedef struct cn_litidx {
    cn_lit_t *lits; /* sorted by their bytes, so by their first two */
    size_t lit_count;
    uint32_t *head; /* 65537 offsets into lits, by first two bytes */
    cn_litpost_t *posts;
    uint32_t *need;   /* per regex: a bit for each of its sets (0: none, always run) */
    uint32_t *always; /* regexes without usable literals */
    size_t always_count;
    uint32_t id_count; /* highest id + 1 */
    cn_litraw_t *raw;  /* until build */
    size_t raw_count;
} cn_litidx_t;

/* Adds regex `id` (ids ascending, in list order); then build once. */
void cn_enrich__litidx_add(cn_litidx_t *x, const char *pattern, size_t len, uint32_t id);
void cn_enrich__litidx_build(cn_litidx_t *x);
void cn_enrich__litidx_dispose(cn_litidx_t *x);
/*
 * Writes to out, ascending and unique, the ids of the regexes that may match
 * the lowered string: those with a literal of each of their sets in it, and
 * the always-run ones.
 * Returns their count, or SIZE_MAX when more than cap (then run them all).
 */
size_t cn_enrich__litidx_candidates(const cn_litidx_t *x, cn_str_t lower, uint32_t *out,
                                    size_t cap);
/* ASCII-lowers s into dst (at most cap bytes); returns the length written. */
size_t cn_enrich__lower(cn_str_t s, char *dst, size_t cap);
/*
 * memmem(s.ptr, s.len, needle, n) != NULL: memchr for the needle's first byte, then a compare
 * where it occurs. glibc's memmem builds a shift table on every call (about 430 instructions
 * on a user agent); a user agent's device type and bot rules ask about 35 such questions.
 */
bool cn_enrich__contains(cn_str_t s, const char *needle, size_t n);

/* --- User agent: uap-core --- */

typedef struct cn_uap cn_uap_t;

/* Full uap-core result; strings point into the caller's scratch (see uap_parse). */
typedef struct cn_uap_result {
    cn_str_t ua_family, ua_major, ua_minor, ua_patch;
    cn_str_t os_family, os_major, os_minor, os_patch, os_patch_minor;
    cn_str_t dev_family, dev_brand, dev_model;
} cn_uap_result_t;

int cn_enrich__uap_load(const char *path, cn_uap_t **out, cn_err_t *err);
void cn_enrich__uap_free(cn_uap_t *u);
uint32_t cn_enrich__uap_max_groups(const cn_uap_t *u);
size_t cn_enrich__uap_count(const cn_uap_t *u, size_t *os_count, size_t *dev_count);
/* How many of the three lists' regexes have their JIT code made (cn_lazy_re_t; for tests). */
size_t cn_enrich__uap_jit_count(const cn_uap_t *u);

/*
 * A regex whose JIT code is made when it first runs (ua.c). The pattern is compiled at load,
 * so that a bad one is an error then; JIT-compiling it costs 35,000-90,000 instructions, and
 * of uap-core's 1,175 regexes and the crawler list's 1,500 patterns a site's traffic runs a
 * few hundred (the literal prefilters skip the rest), so compiling all at open was about 160
 * M instructions at every start. The JIT code is made on a copy of the pattern and published
 * with a compare-and-swap: pcre2_jit_compile writes into the code it compiles, and the
 * snapshot is shared by threads that never lock. A thread that loses the race frees its copy
 * and takes the winner's; `re` itself is only copied, never matched or changed.
 */
typedef struct cn_lazy_re {
    pcre2_code *re;            /* compiled at load */
    _Atomic(pcre2_code *) jit; /* a JIT-compiled copy of re, NULL until its first run */
} cn_lazy_re_t;

/* The code to match with: the JIT-compiled copy, made now if it was not (thread-safe). */
const pcre2_code *cn_enrich__lazy_code(cn_lazy_re_t *l);
/* Frees both codes; l may be zeroed. */
void cn_enrich__lazy_free(cn_lazy_re_t *l);
/* Whether l's JIT copy has been made (for tests). */
bool cn_enrich__lazy_is_made(const cn_lazy_re_t *l);

/* Per-thread matching state: PCRE2 match data and JIT stack. */
typedef struct cn_matcher {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    char scratch[4 * CN_ENRICH_UA_MAX]; /* substitution results */
    size_t scratch_used;
    char lower[CN_ENRICH_UA_MAX]; /* the lowered UA, for the literal prefilters */
    uint32_t cand[2048];          /* candidate regex ids */
} cn_matcher_t;

void cn_enrich__matcher_init(cn_matcher_t *m, uint32_t max_groups);
void cn_enrich__matcher_dispose(cn_matcher_t *m);
/* Runs one compiled regex; returns the pcre2 return code (>0 on match). */
int cn_enrich__match(cn_matcher_t *m, const pcre2_code *re, cn_str_t s);

/*
 * Parses ua with uap-core's rules (first match wins in each list). Result
 * strings point into m->scratch and ua; valid until the next call with m.
 */
void cn_enrich__uap_parse(const cn_uap_t *u, cn_matcher_t *m, cn_str_t ua, cn_uap_result_t *out);

/* --- Bots: crawler-user-agents + simple rules --- */

typedef struct cn_bots cn_bots_t;

int cn_enrich__bots_load(const char *path, cn_bots_t **out, cn_err_t *err);
void cn_enrich__bots_free(cn_bots_t *b);
size_t cn_enrich__bots_count(const cn_bots_t *b);
/* How many patterns have their JIT code made, and whether the joined alternation of the slow
 * reference has been compiled (it is, on the first cn_enrich__bot_pattern_slow; for tests). */
size_t cn_enrich__bots_jit_count(const cn_bots_t *b, bool *has_alternation);
uint32_t cn_enrich__bots_max_groups(const cn_bots_t *b);
/*
 * True when ua is a bot by crawler-user-agents (b may be NULL) or by the
 * simple rules; *type gets a static or snapshot-owned bot type.
 */
bool cn_enrich__bot_check(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua, cn_str_t *type);
/* Index of the first crawler pattern matching ua, or -1: through the literal index. */
long cn_enrich__bot_pattern(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua);
/* The same through the joined alternation (the slow reference); -2 flags a bug. */
long cn_enrich__bot_pattern_slow(const cn_bots_t *b, cn_matcher_t *m, cn_str_t ua);
/* Patterns without a usable literal (run for every UA). */
size_t cn_enrich__bots_always_count(const cn_bots_t *b);
/* The same for uap's three lists (0 UA, 1 OS, 2 device). */
size_t cn_enrich__uap_always_count(const cn_uap_t *u, int list);
/* First-match over every regex of a list, without the prefilter (the reference). */
void cn_enrich__uap_parse_slow(const cn_uap_t *u, cn_matcher_t *m, cn_str_t ua,
                               cn_uap_result_t *out);

/* --- Device type --- */

cn_device_t cn_enrich__device_type(cn_str_t ua, const cn_uap_result_t *r, bool is_bot);

/* --- Geography --- */

typedef struct cn_geodb {
    MMDB_s country;
    MMDB_s city4;
    MMDB_s city6;
    bool has_country, has_city4, has_city6, city6_is_city4;
    bool country_nested, city4_nested, city6_nested; /* GeoIP2-style records (geo.c) */
} cn_geodb_t;

/*
 * A slot of the record memo (geo.c): what a database's data record at
 * `offset` holds (its country code and, for a city database, region and
 * city). A record is immutable while its snapshot lives, and many networks
 * share one record (a city's), so a network the cache does not know usually
 * finds its record decoded already.
 */
#define CN_ENRICH_GEO_RECS 4096 /* direct-mapped, 256 KiB per thread */
typedef struct cn_geo_rec {
    const MMDB_s *db; /* NULL: empty */
    uint32_t offset;
    cn_str_t cc, region, city;
} cn_geo_rec_t;

int cn_enrich__geo_open(cn_geodb_t *g, const cn_enrich_opts_t *opts, cn_err_t *err);
/*
 * The lookup behind cn_enrich_geo's network cache: fills out for the address
 * (v6: 16 bytes, else 4) and sets *plen to the length of the prefix on which
 * every address gives the same result. recs is a record memo
 * (CN_ENRICH_GEO_RECS slots, or NULL for none: the plain lookup). Returns
 * false when a database answered with an error (out is still filled; do not
 * cache it).
 */
bool cn_enrich__geo_lookup(const cn_geodb_t *g, cn_geo_rec_t *recs, const uint8_t *addr, bool v6,
                           cn_geo_t *out, unsigned *plen);
void cn_enrich__geo_close(cn_geodb_t *g);

/* --- URLs --- */

typedef struct cn_url {
    cn_str_t scheme; /* "https", lower case not guaranteed */
    cn_str_t host;   /* without userinfo and port */
    cn_str_t path;   /* from the first '/' up to '?' or '#'; may be empty */
    cn_str_t query;  /* after '?' up to '#'; may be empty */
} cn_url_t;

/*
 * Splits an absolute URL ("scheme://host/path?query#frag", or "//host...").
 * Returns 0 or CN_EPARSE (no host).
 */
int cn_enrich__url_split(cn_str_t url, cn_url_t *out);
/*
 * Iterates "k=v&k=v" pairs: returns true and sets *key, *val (raw, not
 * decoded) while pairs remain; *rest advances. Empty pairs are skipped.
 * lib/url.h's cn_query_next() for callers that need not tell "k" from "k=".
 */
bool cn_enrich__query_next(cn_str_t *rest, cn_str_t *key, cn_str_t *val);
/*
 * Percent-decodes s ('+' as space) with cn_url_decode_to() into dst, keeping
 * at most the first cap decoded bytes. Returns the decoded length.
 */
size_t cn_enrich__pct_decode(cn_str_t s, char *dst, size_t cap);

/* --- Referrers --- */

typedef struct cn_refdb cn_refdb_t;

/* Loads Snowplow-format files; extra (may be NULL) wins over base (may be NULL). */
int cn_enrich__refdb_load(const char *base, const char *extra, cn_refdb_t **out, cn_err_t *err);
void cn_enrich__refdb_free(cn_refdb_t *r);
size_t cn_enrich__refdb_count(const cn_refdb_t *r);

/* --- Campaigns and channels --- */

typedef struct cn_chanrules cn_chanrules_t;

/* Parses channel rules text (docs/enrich.md); name is used in errors. */
int cn_enrich__chanrules_parse(const char *name, const char *text, size_t len, cn_chanrules_t **out,
                               cn_err_t *err);
void cn_enrich__chanrules_free(cn_chanrules_t *c);
/* The built-in default rules, as text. */
extern const char cn_enrich__default_channel_rules[];

/* Per-suite settings loaded at open from opts.conf. */
typedef struct cn_enrich_suite {
    char *id;
    cn_chanrules_t *rules; /* NULL: the default rules */
    char **campaign_params;
    size_t campaign_param_count; /* 0: defaults (utm_campaign, cid) */
    bool campaign_click;         /* one of campaign_params is a click id (gclid...) */
    cn_refdb_t *refdb;           /* referer_list: the suite's own list, tried first; or NULL */
} cn_enrich_suite_t;

/* --- The snapshot and the thread handle --- */

struct cn_enrich {
    _Atomic int refs;
    cn_uap_t *uap;
    cn_bots_t *bots;
    cn_geodb_t geo;
    cn_refdb_t *refdb;
    cn_chanrules_t *default_rules;
    cn_enrich_suite_t *suites;
    size_t suite_count;
    size_t ua_cache_entries;
    uint32_t max_groups;
};

typedef struct cn_ua_slot {
    uint64_t hash;
    char *key; /* heap copy of the UA, NULL when empty */
    uint32_t key_len;
    uint32_t key_cap;
    uint64_t stamp; /* last use, for LRU within the set */
    cn_ua_info_t info;
} cn_ua_slot_t;

#define CN_ENRICH_CACHE_WAYS 4

/*
 * A set of the geo cache: up to CN_ENRICH_GEO_WAYS networks (the address
 * masked to plen bits, as two big-endian 64-bit halves; IPv4 in the low
 * 32 bits of lo, with the mask of its plen bits in hi) on which both
 * databases give the same records, so every
 * address in one has its result. The tags come first, so that a probe
 * reads one or two cache lines.
 */
#define CN_ENRICH_GEO_WAYS 4
#define CN_ENRICH_GEO_SETS 8192 /* 32768 networks, about 2.2 MiB per thread */
/* The country cache (geo.c): the same sets, for the country file's answers alone. */
#define CN_ENRICH_GEO_CC_SETS 1024 /* 4096 networks, about 270 KiB per thread */

typedef struct cn_geo_set {
    uint64_t hi[CN_ENRICH_GEO_WAYS], lo[CN_ENRICH_GEO_WAYS];
    uint8_t plen[CN_ENRICH_GEO_WAYS];
    uint8_t kind[CN_ENRICH_GEO_WAYS]; /* 0 empty, 4 IPv4, 6 IPv6 */
    uint8_t next;                     /* round-robin victim */
    cn_geo_t geo[CN_ENRICH_GEO_WAYS];
} cn_geo_set_t;

/*
 * A slot of the channel memo (campaign.c): the rules and what they read of
 * the nine key values a channel was found for (serialized: for a key a
 * condition compares, a u16 length then the bytes; for a key only tested
 * for emptiness, one byte; nothing for a key no rule names), and the
 * channel. A channel is a pure function of those, and a shop's visits
 * repeat few combinations (direct, one search engine, a campaign), so one
 * lookup usually replaces the walk of the rules.
 */
#define CN_ENRICH_CHAN_SLOTS 256
#define CN_ENRICH_CHAN_KEY   232 /* longer keys are not kept */
typedef struct cn_chan_slot {
    const void *rules; /* NULL: empty */
    uint64_t hash;
    cn_str_t channel;
    uint16_t key_len;
    char key[CN_ENRICH_CHAN_KEY];
} cn_chan_slot_t;

/*
 * A slot of the referrer memo (referrer.c): a referrer URL and the suite's
 * own list it was looked up with, and its classification by the lists
 * (before the suite's own domains and the landing URL's click id are
 * applied); text holds the URL, then the domain, then the search terms.
 */
#define CN_ENRICH_REF_SLOTS 1024
#define CN_ENRICH_REF_TEXT  232 /* longer referrers are not kept */
typedef struct cn_ref_memo {
    bool used;
    int rc;
    uint64_t hash;           /* of the URL */
    const cn_refdb_t *refdb; /* the suite's own list, or NULL */
    cn_ref_info_t info;      /* its domain and terms: from text */
    uint16_t key_len, domain_len, terms_len;
    char text[CN_ENRICH_REF_TEXT];
} cn_ref_memo_t;

/*
 * A slot of the campaign memo (campaign.c): a landing query, a v0 and the
 * campaign parameters read (a suite's, or NULL for the defaults), and the
 * campaign fields found for them; text holds the query, the
 * v0, then campaign, utm_source, utm_medium, utm_campaign, utm_term and
 * utm_content (len[] each).
 */
#define CN_ENRICH_CAMP_SLOTS 1024
#define CN_ENRICH_CAMP_TEXT  224 /* longer ones are not kept */
typedef struct cn_camp_memo {
    bool used;
    uint64_t hash;        /* of the query, mixed with the v0's */
    const void *params;   /* cn_enrich_suite_t.campaign_params, or NULL */
    const char *click_id; /* the click-id parameter's name, or NULL */
    uint16_t key_len, v0_len;
    uint16_t len[6];
    char text[CN_ENRICH_CAMP_TEXT];
} cn_camp_memo_t;

/*
 * The visit-source memo (referrer.c, cn_enrich_source): what a visit's landing takes from
 * enrichment (the referrer's classification, the campaign fields and the channel) for one
 * key: the suite's settings (cn_enrich_suite_t, or NULL), the trimmed referrer, the landing
 * URL's query (masked when it holds paid click ids: referrer.c, src_mask_clicks) and the
 * trimmed v0. Those decide everything but one bit, whether the
 * referrer's domain is one of the suite's own (the suite's domains are not in the key), so
 * a slot keeps that bit (own) and a hit checks it again. A slot's text holds the referrer,
 * the query and the v0, then the answer's input-derived strings (domain, terms, campaign,
 * utm_*), which ref and camp point to; their other strings point into the snapshot or into
 * static tables. Sets of CN_ENRICH_SRC_WAYS slots, least recently used out; the tags (the
 * key's hash, 0 for an empty slot) and the use stamps live apart from the slots, in 48 KiB,
 * so that a probe reads one slot only when its tag matches.
 */
#define CN_ENRICH_SRC_SLOTS 4096 /* 544 bytes each: 2.1 MiB per thread, and 48 KiB of tags */
#define CN_ENRICH_SRC_WAYS  4
#define CN_ENRICH_SRC_TEXT  320 /* a key and its answer's strings longer than this are not kept */
typedef struct cn_src_memo {
    const void *es; /* the suite's cn_enrich_suite_t, or NULL */
    bool own;       /* the referrer's domain was one of the suite's own */
    int rc;         /* cn_enrich_landing's result */
    uint16_t ref_len, query_len, v0_len;
    char text[CN_ENRICH_SRC_TEXT];
    cn_ref_info_t ref;
    cn_campaign_t camp;
    cn_str_t channel;
} cn_src_memo_t;

struct cn_enrich_thread {
    cn_enrich_t *e;
    cn_matcher_t m;
    cn_intern_t names;
    cn_ua_slot_t *slots;
    size_t set_mask; /* sets - 1 */
    uint64_t clock;
    cn_enrich_stats_t stats;
    char ref_host[256];
    char ref_terms[1024];
    char camp_buf[7][512];             /* utm_* (5), the campaign, scratch */
    const cn_suite_conf_t *last_suite; /* one-entry cache of the suite lookup */
    const char *last_suite_id;
    const cn_enrich_suite_t *last_esuite;
    void *tables;              /* the block the tables below are in (enrich.c thread_bind) */
    cn_geo_set_t *geo_sets;    /* CN_ENRICH_GEO_SETS */
    cn_geo_set_t *geo_cc_sets; /* CN_ENRICH_GEO_CC_SETS */
    cn_geo_rec_t *geo_recs;    /* CN_ENRICH_GEO_RECS, direct-mapped */
    cn_chan_slot_t *chan;      /* CN_ENRICH_CHAN_SLOTS, direct-mapped */
    cn_ref_memo_t *ref_memo;   /* CN_ENRICH_REF_SLOTS, direct-mapped */
    cn_camp_memo_t *camp_memo; /* CN_ENRICH_CAMP_SLOTS, direct-mapped */
    cn_src_memo_t *src_memo;   /* CN_ENRICH_SRC_SLOTS, in sets of CN_ENRICH_SRC_WAYS */
    uint64_t *src_tag;         /* each slot's key hash | 1, or 0 when empty */
    uint32_t *src_stamp;       /* each slot's last use, by src_clock */
    uint32_t src_clock;
    /* cn_enrich_prefetch's work for the calls that follow it; each call takes its part only
     * for the same input (the UA's hash for the same slice, the IP's parse for the same
     * bytes) and then drops it */
    const char *pf_ua_ptr; /* the UA hashed, NULL for none */
    size_t pf_ua_len;
    uint64_t pf_ua_hash;
    size_t pf_ip_n; /* the IPv4 text's length when pf_ip parsed, else 0 */
    char pf_ip[16]; /* the text, zero-padded */
    uint8_t pf_ip_addr[4];
    cn_geo_set_t *pf_ip_sets[3]; /* its three sets of the geo network cache */
};

/* cn_enrich_prefetch's parts (enrich.c, geo.c). */
void cn_enrich__ua_prefetch(cn_enrich_thread_t *t, cn_str_t ua);
void cn_enrich__geo_prefetch(cn_enrich_thread_t *t, cn_str_t ip);

/* inet_pton(AF_INET, ip, out) without the library call: the same answer (1 or 0) and bytes. */
int cn_enrich__ipv4_parse(const char *ip, uint8_t out[4]);
/* The same, returning the length of the address's text (7 to 15), or 0 when it is not one. */
size_t cn_enrich__ipv4_parse_len(const char *ip, uint8_t out[4]);

/* cn_enrich_referrer without its memo (for tests of the memo). */
int cn_enrich__referrer_nomemo(cn_enrich_thread_t *t, cn_str_t referrer_url, cn_str_t landing_url,
                               const cn_suite_conf_t *suite, cn_ref_info_t *out);

/* cn_enrich_campaign without its memo (for tests of the memo). */
void cn_enrich__campaign_nomemo(cn_enrich_thread_t *t, cn_str_t landing_url, cn_str_t adobe_v0,
                                const cn_suite_conf_t *suite, cn_campaign_t *out);

/* The campaign fields read plainly: a walk of the query per campaign parameter (the reference
 * for tests and fuzzing of the one-walk reading behind cn_enrich_campaign). */
void cn_enrich__campaign_slow(cn_enrich_thread_t *t, cn_str_t landing_url, cn_str_t adobe_v0,
                              const cn_suite_conf_t *suite, cn_campaign_t *out);

/* cn_enrich_channel without its memo: walks the rules (for tests of the memo). */
cn_str_t cn_enrich__channel_walk(cn_enrich_thread_t *t, const cn_suite_conf_t *suite,
                                 const cn_ref_info_t *ref, const cn_campaign_t *camp);

/* cn_enrich__suite past its one-entry cache: the search of the snapshot's suites. */
const cn_enrich_suite_t *cn_enrich__suite_find(cn_enrich_thread_t *t, const cn_suite_conf_t *suite);

/* Finds the per-suite settings (NULL when the suite has none). Inline: a visit asks up to three
 * times, for the same suite as the visit before. */
static inline const cn_enrich_suite_t *cn_enrich__suite(cn_enrich_thread_t *t,
                                                        const cn_suite_conf_t *suite)
{
    if (suite != NULL && suite == t->last_suite && suite->id == t->last_suite_id)
        return t->last_esuite;
    return cn_enrich__suite_find(t, suite);
}

/* Referrer lookup result from the lists (NULL when the host is unknown). */
typedef struct cn_refent {
    cn_ref_type_t type;
    cn_str_t name;   /* "Google" */
    cn_str_t medium; /* "search" */
    char **params;   /* search-term parameters */
    size_t param_count;
} cn_refent_t;

/* host in lower case; path as in the URL. */
const cn_refent_t *cn_enrich__refdb_lookup(const cn_refdb_t *r, cn_str_t host, cn_str_t path);
/*
 * The query of a landing URL: after its '?', or the whole string when it has neither '?' nor
 * a scheme (a bare query); "" for a URL with a scheme and no '?'. Without the '#' fragment.
 * The campaign fields and the paid click id are both read from it.
 */
cn_str_t cn_enrich__landing_query(cn_str_t url);
/* The paid click-id parameter (gclid...) present in a landing URL's query, or NULL. */
const char *cn_enrich__click_id(cn_str_t landing);
/* True when s holds "://" (memmem's answer, without its set-up cost on short strings). */
bool cn_enrich__has_scheme_sep(cn_str_t s);
/* The click-id parameter name key is (static), or NULL. */
const char *cn_enrich__click_name(cn_str_t key);
/* The click-id parameter names cn_enrich__click_name knows (channel rules check click_id=...). */
extern const cn_str_t cn_enrich__click_ids[];
extern const size_t cn_enrich__click_id_count;

#endif
