/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/gen/: the generator's data tables (data.c, ua.c), its
 * random numbers and the visit and hit records that simulation (gen.c)
 * hands to rendering (render.c). Not API: see gen/gen.h.
 */
#ifndef CN_GEN_INTERNAL_H
#define CN_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/gen.h"
#include "lib/buf.h"

/* --- Random numbers: xoshiro256** seeded through splitmix64 --- */

typedef struct gen_rng {
    uint64_t s[4];
} gen_rng_t;

static inline uint64_t cn_gen__mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline uint64_t cn_gen__hash2(uint64_t a, uint64_t b)
{
    return cn_gen__mix(cn_gen__mix(a) ^ (b * 0xd6e8feb86659fd93ULL));
}

static inline void cn_gen__rng_seed(gen_rng_t *r, uint64_t a, uint64_t b)
{
    uint64_t x = cn_gen__hash2(a, b);
    for (int i = 0; i < 4; i++) {
        x = cn_gen__mix(x + (uint64_t)i);
        r->s[i] = x;
    }
}

static inline uint64_t cn_gen__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t cn_gen__rng_next(gen_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = cn_gen__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = cn_gen__rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static inline double cn_gen__unit(gen_rng_t *r)
{
    return (double)(cn_gen__rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0. */
static inline uint32_t cn_gen__below(gen_rng_t *r, uint32_t n)
{
    return (uint32_t)(((cn_gen__rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline bool cn_gen__chance(gen_rng_t *r, double p)
{
    return cn_gen__unit(r) < p;
}

/* --- Data tables (data.c, ua.c) --- */

enum { GEN_DEV_DESKTOP, GEN_DEV_MOBILE, GEN_DEV_TABLET, GEN_DEV_BOT };
enum { GEN_REG_GLOBAL = 1, GEN_REG_CHINA = 2, GEN_REG_RUSSIAN = 4 };

typedef struct gen_ua {
    const char *ua;
    uint8_t device;       /* GEN_DEV_* */
    uint8_t regions;      /* GEN_REG_* where this browser is common */
    uint8_t weight;       /* relative popularity within its device class and region */
    const char *bot_cc;   /* crawlers: the country of bot_cidr */
    const char *bot_cidr; /* crawlers: the address block they crawl from */
} gen_ua_t;

extern const gen_ua_t cn_gen__uas[];
extern const size_t cn_gen__ua_count;

/* DST rules for time zones; the offsets move by +60 minutes while in force. */
enum { GEN_DST_NONE, GEN_DST_EU, GEN_DST_US, GEN_DST_AU, GEN_DST_NZ };

typedef struct gen_zone {
    int16_t offset_min; /* standard offset from UTC, minutes east */
    uint8_t dst;        /* GEN_DST_* */
    uint8_t weight;     /* share of the country's visitors, percent */
} gen_zone_t;

#define GEN_MAX_ZONES  3
#define GEN_MAX_BLOCKS 8

typedef struct gen_country {
    const char *cc;
    double weight;        /* share of human visits, percent */
    uint8_t region;       /* GEN_REG_* */
    double mobile;        /* share of mobile devices */
    const char *currency; /* order currency */
    const char *lang;     /* "en-US": page language tag, canton JSON "lang" */
    const char *accept_language;
    const char *google; /* the country's Google host */
    gen_zone_t zones[GEN_MAX_ZONES];
    const char *blocks[GEN_MAX_BLOCKS]; /* IPv4 blocks registered to the country */
} gen_country_t;

extern const gen_country_t cn_gen__countries[];
extern const size_t cn_gen__country_count;

typedef struct gen_category {
    const char *top;      /* "Tea" */
    const char *top_slug; /* "tea" */
    const char *name;     /* "Oolong" */
    const char *slug;     /* "oolong" */
    const char *code;     /* SKU prefix "TOO" */
    const char *nouns[3]; /* "Oolong Tea" ... */
    const char *origins[4];
    int32_t min_fen, max_fen; /* price range in CNY cents (fen) */
} gen_category_t;

extern const gen_category_t cn_gen__categories[];
extern const size_t cn_gen__category_count;
extern const char *const cn_gen__adjectives[];
extern const size_t cn_gen__adjective_count;

/* Search terms by language: terms[i] for i < count. */
typedef struct gen_terms {
    const char *lang; /* "en", "zh", "de", "ru", "ja" */
    const char *const *terms;
    size_t count;
} gen_terms_t;
extern const gen_terms_t cn_gen__terms[];
extern const size_t cn_gen__terms_count;

extern const char *const cn_gen__blog_titles[];
extern const size_t cn_gen__blog_title_count;
extern const char *const cn_gen__blog_topics[];
extern const size_t cn_gen__blog_topic_count;

typedef struct gen_info_page {
    const char *path;
    const char *title;
} gen_info_page_t;
extern const gen_info_page_t cn_gen__info_pages[];
extern const size_t cn_gen__info_page_count;

/* A referring site: social networks, referral sites, webmail, outbound link targets. */
typedef struct gen_site {
    const char *url;
    uint8_t regions;
    uint8_t weight;
} gen_site_t;
extern const gen_site_t cn_gen__social[];
extern const size_t cn_gen__social_count;
extern const gen_site_t cn_gen__referral[];
extern const size_t cn_gen__referral_count;
extern const gen_site_t cn_gen__webmail[];
extern const size_t cn_gen__webmail_count;
extern const gen_site_t cn_gen__outbound[];
extern const size_t cn_gen__outbound_count;

/* Search engines: url is a printf-like prefix; the engine's query parameter follows. */
typedef struct gen_engine {
    const char *name; /* "google" */
    const char *host; /* NULL: the country's Google host */
    const char *path; /* "/search?q=" */
    uint8_t regions;
    uint8_t weight;
} gen_engine_t;
extern const gen_engine_t cn_gen__engines[];
extern const size_t cn_gen__engine_count;

/* Hourly activity in local time (24, mean 1) and weekday factors (Sunday first, mean 1). */
extern const double cn_gen__diurnal[24];
extern const double cn_gen__weekly[7];

/* Order currencies: CNY per unit. */
typedef struct gen_currency {
    const char *code;
    double cny_per_unit;
} gen_currency_t;
extern const gen_currency_t cn_gen__currencies[];
extern const size_t cn_gen__currency_count;

/* --- Calendar helpers (data.c) --- */

/* Days since 1970-01-01 for a proleptic Gregorian date; month 1..12. */
int64_t cn_gen__days_from_civil(int y, unsigned m, unsigned d);
/* The inverse; *m is 1..12. */
void cn_gen__civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* 0 = Sunday. */
unsigned cn_gen__weekday(int64_t days);
/* Offset from UTC in minutes (east positive) of zone z at utc_us. */
int cn_gen__zone_offset(const gen_zone_t *z, int64_t utc_us);
/* Days since the epoch of Chinese New Year in year y (2020..2030), or -1. */
int64_t cn_gen__cny_day(int y);

#endif

/* --- Simulation records (gen.c) shared with rendering (render.c) --- */

/* Page types. */
enum {
    GEN_P_HOME,
    GEN_P_CAT,
    GEN_P_PROD,
    GEN_P_SEARCH,
    GEN_P_CART,
    GEN_P_SHIP,
    GEN_P_PAY,
    GEN_P_CONFIRM,
    GEN_P_BLOG,
    GEN_P_INFO,
    GEN_P_ROBOTS,  /* access log: /robots.txt */
    GEN_P_PROBE,   /* access log: a vulnerability scan path (404) */
    GEN_P_MISSING, /* access log: a discontinued product (404) */
    GEN_P_NONE = 255,
};

/* Hit kinds. */
enum { GEN_K_PAGE, GEN_K_CART_ADD, GEN_K_EXIT, GEN_K_SIGNUP, GEN_K_ASSET };

/* Channels. */
enum {
    GEN_CH_DIRECT,
    GEN_CH_ORGANIC,
    GEN_CH_PAID_SEARCH,
    GEN_CH_SOCIAL,
    GEN_CH_PAID_SOCIAL,
    GEN_CH_EMAIL,
    GEN_CH_REFERRAL,
    GEN_CH_AFFILIATE,
    GEN_CH__COUNT
};

/* Static assets (access-log mode). */
enum {
    ASSET_CSS,
    ASSET_JS_VENDOR,
    ASSET_JS_APP,
    ASSET_LOGO,
    ASSET_FONT,
    ASSET_PRODUCT_JPG,
    ASSET_THUMB_JPG,
    ASSET_BANNER_JPG,
};

/* Campaign kinds; names are rendered with the date (render.c). */
enum {
    CAMP_NONE,
    CAMP_NEWSLETTER,
    CAMP_SEASONAL,
    CAMP_BRAND,
    CAMP_GENERIC,
    CAMP_RETARGET,
    CAMP_AFFILIATE,
};

/* Visit flags. */
enum {
    GEN_V_RETURNING = 1 << 0,
    GEN_V_JSON = 1 << 1,   /* tracked with canton JSON rather than AppMeasurement */
    GEN_V_COOKIE = 1 << 2, /* sends its id cookie / visitor id */
    GEN_V_MEMBER = 1 << 3, /* signed in */
    GEN_V_BOT = 1 << 4,
};

#define GEN_CART_MAX 4

typedef struct gen_visit {
    uint64_t key;      /* visitor key (per visit for crawlers) */
    uint64_t seq;      /* visit number */
    uint64_t click_id; /* gclid, msclkid... for paid channels */
    uint64_t order_no; /* 0: no order */
    int64_t start_us;
    uint32_t pending; /* hits not yet handed out */
    uint32_t ip;
    uint32_t cart[GEN_CART_MAX];
    uint8_t qty[GEN_CART_MAX];
    uint8_t ncart;
    uint16_t ua;
    uint8_t country, zone, device, channel, source, flags, screen, pay;
    uint8_t term_lang, term;
    uint8_t camp_kind;
    uint8_t camp_cat; /* category of the landing page, for generic search campaigns */
    int32_t camp_day; /* the day the campaign name is dated from */
} gen_visit_t;

/* Hit flags. */
enum {
    GEN_H_LANDING = 1 << 0,
    GEN_H_FIRST_ADD = 1 << 1,
    GEN_H_304 = 1 << 2,
    GEN_H_PREV_LANDING = 1 << 3, /* the previous page was the landing page */
};

typedef struct gen_hit {
    int64_t t;
    uint64_t order; /* generation order, breaks ties in t */
    uint32_t visit; /* index in the visit pool */
    uint32_t obj, prev_obj;
    uint8_t kind, page, param, prev_page, prev_param, flags;
    uint16_t seq;
} gen_hit_t;

struct cn_gen {
    cn_gen_opts_t o;
    char *suite, *site, *collect_host;
    const char *site_host; /* into site */
    int64_t growth_ref_us;
    double vpd;        /* visits per day-volume unit (0 with --hits N alone) */
    double hpv;        /* --hits N alone: hits per visit measured on a sample day */
    double plan_total; /* --hits N alone: planned volume of [from, to) (window_plan), else 0 */
    double plan_done;  /* the part of it in the windows generated so far */

    /* Precomputed tables. */
    size_t nzones;
    uint8_t zone_country[64], zone_idx[64];
    double zone_w[64];
    uint32_t block_base[32][GEN_MAX_BLOCKS];
    uint8_t block_bits[32][GEN_MAX_BLOCKS];
    uint8_t block_count[32];
    double cat_cum[64];
    uint32_t per_cat;
    double *zipf_cum;

    /* Simulation state. */
    int64_t win_start, win_us;
    uint64_t visit_seq, hit_order, order_seq, emitted;
    uint32_t *zone_visitors; /* new visitors so far per zone */
    bool done;
    gen_visit_t *visits;
    size_t nvisits, cap_visits;
    uint32_t *free_visits;
    size_t nfree;
    gen_hit_t *hits;
    size_t nhits, cap_hits, cursor, ready;
    cn_gen_stats_t stats;
    uint8_t ua_family[256]; /* render.c's browser families, per cn_gen__uas entry */

    /* Rendering buffers, reused. */
    cn_buf_t path, query, headers, body, ip, url, ref, tmp, order_id;
};

/* Fills g's rendering tables (render.c). */
void cn_gen__render_init(cn_gen_t *g);
/* Renders hit h of visit v into out (render.c). */
void cn_gen__render(cn_gen_t *g, const gen_hit_t *h, const gen_visit_t *v, cn_gen_hit_t *out);
/* Product attributes (gen.c). */
uint32_t cn_gen__product_cat(const cn_gen_t *g, uint32_t p);
int64_t cn_gen__product_price_fen(const cn_gen_t *g, uint32_t p);
