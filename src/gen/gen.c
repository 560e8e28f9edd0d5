/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation behind `canton gen`: who visits when, from where, through
 * which channel, and which pages they see.
 *
 * Time advances in windows of one simulated hour (a minute for a live run). For each window the
 * expected number of visits is the volume (visits per day, grown over the
 * year) times the activity of every (country, time zone) at that local hour
 * and weekday, times its festival factor (with --hits N alone, N times the
 * window's share of that plan over [from, to), corrected by what earlier
 * windows made: advance_window); each visit draws its zone from
 * those weights, a start time in the window, and then walks the shop as a
 * Markov chain, producing hit records (not strings) with their times.
 * Hits of all visits started so far are sorted by (time, generation order);
 * those before the window's end are final, because later windows only add
 * later hits, and are handed out one by one and rendered on demand
 * (render.c). Visits live in a pool until their last hit is handed out.
 *
 * Every random choice comes from a generator seeded by (seed, what is being
 * decided): the window by its hour, a visit by its number, a visitor's
 * device, browser and address by its key. A returning visitor is a key
 * drawn among the zone's earlier visitors, so it gets back the same id,
 * browser and (on desktops) address without any per-visitor state.
 */
#include "gen/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/internal.h"
#include "lib/clock.h"
#include "lib/xalloc.h"

#define HOUR_US ((int64_t)3600 * 1000000)
#define DAY_US  (24 * HOUR_US)
#define SEC_US  ((int64_t)1000000)

/* Share of visits that are crawlers, on top of the human ones. */
#define BOT_SHARE 0.05

/* Visit-level random decisions are salted by what they decide. */
enum { SALT_WINDOW = 1, SALT_VISIT, SALT_VISITOR, SALT_IP, SALT_BOT };

void cn_gen_opts_init(cn_gen_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->suite = "demo";
    o->site = "https://shop.canton.test";
    o->collect_host = "collect.canton.test";
    int64_t today = cn_time_now_us() / DAY_US * DAY_US;
    o->from_us = today - 7 * DAY_US;
    o->to_us = today;
    o->visits_per_day = 2000;
    o->json_share = 0.2;
    o->products = 18000;
    o->mode = CN_GEN_TRACKER;
}

/* --- Catalogue --- */

uint32_t cn_gen__product_cat(const cn_gen_t *g, uint32_t p)
{
    (void)g;
    return p % (uint32_t)cn_gen__category_count;
}

int64_t cn_gen__product_price_fen(const cn_gen_t *g, uint32_t p)
{
    const gen_category_t *c = &cn_gen__categories[cn_gen__product_cat(g, p)];
    uint64_t h = cn_gen__hash2(0xca7a10, p);
    double u = (double)(h >> 11) * 0x1.0p-53;
    /* Log-uniform in the category's range, skewed to the cheap end. */
    double fen = c->min_fen * pow((double)c->max_fen / c->min_fen, u * u);
    int64_t yuan = (int64_t)(fen / 100);
    if (yuan < 20)
        return yuan * 100 + 90;
    return (yuan / 10) * 1000 + 800 + (yuan % 3 == 0 ? 100 : 0); /* ends in 8 or 9 yuan */
}

/* --- Activity --- */

static double growth(const cn_gen_t *g, int64_t t)
{
    /* +60 % a year, relative to the end of the simulation. */
    return exp(log(1.6) * (double)(t - g->growth_ref_us) / (365.0 * DAY_US));
}

/* Festival factor for traffic (and, squared root, for conversion) on a local day. */
static double season(uint8_t region, int64_t day)
{
    int y;
    unsigned m, d;
    cn_gen__civil_from_days(day, &y, &m, &d);
    if (region == GEN_REG_CHINA) {
        if (m == 11 && d == 11)
            return 2.6;
        if (m == 11 && d < 11)
            return 1.25;
        if (m == 6 && d == 18)
            return 1.8;
        if (m == 6 && d < 18)
            return 1.15;
        int64_t cny = cn_gen__cny_day(y);
        if (cny < 0 || day > cny + 30)
            cny = cn_gen__cny_day(y + 1);
        if (cny >= 0) {
            int64_t k = day - cny;
            if (k >= -1 && k <= 6)
                return 0.55;
            if (k >= -21 && k < -1)
                return 1.2;
        }
        return 1.0;
    }
    /* Black Friday: the day after the fourth Thursday of November. */
    int64_t nov1 = cn_gen__days_from_civil(y, 11, 1);
    int64_t thanks = nov1 + (4 + 7 - cn_gen__weekday(nov1)) % 7 + 21;
    int64_t k = day - thanks;
    if (k == 0)
        return 0.9;
    if (k == 1)
        return 2.2;
    if (k == 2 || k == 3)
        return 1.5;
    if (k == 4)
        return 1.8;
    if (k >= -7 && k < 0)
        return 1.15;
    if (m == 12 && d <= 20)
        return 1.2;
    if (m == 12 && d == 24)
        return 0.8;
    if (m == 12 && d == 25)
        return 0.6;
    if (m == 12 && d == 26)
        return 1.3;
    return 1.0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Weight of zone z at instant t (UTC µs): activity of its local hour times festival factor. */
static double zone_rate(const cn_gen_t *g, size_t z, int64_t t, double *out_season)
{
    const gen_country_t *c = &cn_gen__countries[g->zone_country[z]];
    const gen_zone_t *zn = &c->zones[g->zone_idx[z]];
    int64_t local = t + (int64_t)cn_gen__zone_offset(zn, t) * 60 * SEC_US;
    int64_t day = floor_div(local, DAY_US);
    int hour = (int)((local - day * DAY_US) / HOUR_US);
    double s = season(c->region, day);
    if (out_season)
        *out_season = s;
    return g->zone_w[z] * cn_gen__diurnal[hour] * cn_gen__weekly[cn_gen__weekday(day)] * s;
}

/* Weight of the zones in window [ws, ws + win_us): their rates at its middle, into rates, seasons
 * and cum (cumulative); returns the total. */
static double window_rates(const cn_gen_t *g, int64_t ws, double *rates, double *seasons,
                           double *cum)
{
    double total = 0;
    for (size_t z = 0; z < g->nzones; z++) {
        rates[z] = zone_rate(g, z, ws + g->win_us / 2, &seasons[z]);
        total += rates[z];
        cum[z] = total;
    }
    return total;
}

/*
 * The planned volume of window [ws, ws + win_us) with zone weight total, in visits per
 * day-volume unit: humans (total) and crawlers (BOT_SHARE) grown over the year, for the part of
 * the window before to_us.
 */
static double window_plan(const cn_gen_t *g, int64_t ws, double total)
{
    int64_t span = g->o.to_us - ws < g->win_us ? g->o.to_us - ws : g->win_us;
    return (double)span / (double)DAY_US * growth(g, ws) * (total + BOT_SHARE);
}

/* --- Weighted picks --- */

static size_t pick_cum(const double *cum, size_t n, double u)
{
    double x = u * cum[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static uint32_t pick_product_in(const cn_gen_t *g, gen_rng_t *r, uint32_t cat)
{
    uint32_t j = (uint32_t)pick_cum(g->zipf_cum, g->per_cat, cn_gen__unit(r));
    return cat + (uint32_t)cn_gen__category_count * j;
}

static uint32_t pick_category(const cn_gen_t *g, gen_rng_t *r)
{
    return (uint32_t)pick_cum(g->cat_cum, cn_gen__category_count, cn_gen__unit(r));
}

static uint32_t pick_product(const cn_gen_t *g, gen_rng_t *r)
{
    return pick_product_in(g, r, pick_category(g, r));
}

/* Picks an index among n sites whose regions overlap region, by weight. */
static uint8_t pick_site(gen_rng_t *r, const gen_site_t *s, size_t n, uint8_t region)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].regions & region)
            total += s[i].weight;
    if (total == 0)
        return 0;
    unsigned x = cn_gen__below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (!(s[i].regions & region))
            continue;
        if (x < s[i].weight)
            return (uint8_t)i;
        x -= s[i].weight;
    }
    return 0;
}

static uint8_t pick_engine(gen_rng_t *r, uint8_t region)
{
    unsigned total = 0;
    for (size_t i = 0; i < cn_gen__engine_count; i++)
        if (cn_gen__engines[i].regions & region)
            total += cn_gen__engines[i].weight;
    unsigned x = cn_gen__below(r, total);
    for (size_t i = 0; i < cn_gen__engine_count; i++) {
        if (!(cn_gen__engines[i].regions & region))
            continue;
        if (x < cn_gen__engines[i].weight)
            return (uint8_t)i;
        x -= cn_gen__engines[i].weight;
    }
    return 0;
}

/* The region a visitor's browser and sites come from: one bit. */
static uint8_t visitor_region(const gen_country_t *c, gen_rng_t *r)
{
    if (c->region == (GEN_REG_GLOBAL | GEN_REG_CHINA))
        return cn_gen__chance(r, 0.35) ? GEN_REG_CHINA : GEN_REG_GLOBAL;
    return c->region;
}

static uint16_t pick_ua(gen_rng_t *r, uint8_t device, uint8_t region)
{
    unsigned total = 0;
    for (size_t i = 0; i < cn_gen__ua_count; i++)
        if (cn_gen__uas[i].device == device && (cn_gen__uas[i].regions & region))
            total += cn_gen__uas[i].weight;
    unsigned x = cn_gen__below(r, total);
    for (size_t i = 0; i < cn_gen__ua_count; i++) {
        const gen_ua_t *u = &cn_gen__uas[i];
        if (u->device != device || !(u->regions & region))
            continue;
        if (x < u->weight)
            return (uint16_t)i;
        x -= u->weight;
    }
    return 0;
}

static uint32_t pick_ip(const cn_gen_t *g, uint8_t country, uint64_t h)
{
    unsigned b = (unsigned)(h % g->block_count[country]);
    uint32_t size =
        g->block_bits[country][b] >= 32 ? 0 : (uint32_t)1 << (32 - g->block_bits[country][b]);
    uint32_t off = (uint32_t)((h >> 16) % size);
    if ((off & 0xff) == 0 || (off & 0xff) == 0xff)
        off ^= 0x17; /* avoid .0 and .255 */
    return g->block_base[country][b] + (off % size);
}

static int parse_cidr(const char *s, uint32_t *base, uint8_t *bits)
{
    unsigned a, b, c, d, n;
    if (sscanf(s, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &n) != 5 || a > 255 || b > 255 || c > 255 ||
        d > 255 || n > 32 || n < 8)
        return CN_EPARSE;
    *base = a << 24 | b << 16 | c << 8 | d;
    *bits = (uint8_t)n;
    return 0;
}

/* --- Pools --- */

static uint32_t visit_alloc(cn_gen_t *g)
{
    if (g->nfree > 0)
        return g->free_visits[--g->nfree];
    if (g->nvisits == g->cap_visits) {
        g->cap_visits = g->cap_visits ? g->cap_visits * 2 : 4096;
        g->visits = cn_xrealloc(g->visits, g->cap_visits * sizeof(*g->visits));
        g->free_visits = cn_xrealloc(g->free_visits, g->cap_visits * sizeof(*g->free_visits));
    }
    return (uint32_t)g->nvisits++;
}

static void visit_release(cn_gen_t *g, uint32_t vi)
{
    g->free_visits[g->nfree++] = vi;
}

typedef struct walk {
    cn_gen_t *g;
    uint32_t vi;
    gen_rng_t *r;
    int64_t t;
    uint16_t seq;
    uint8_t prev_page, prev_param;
    uint32_t prev_obj;
    bool prev_landing;
} walk_t;

static gen_hit_t *add_hit(walk_t *w, int64_t t, uint8_t kind, uint8_t page, uint32_t obj,
                          uint8_t param, uint8_t flags)
{
    cn_gen_t *g = w->g;
    if (t >= g->o.to_us)
        return NULL;
    if (g->nhits == g->cap_hits) {
        g->cap_hits = g->cap_hits ? g->cap_hits * 2 : 16384;
        g->hits = cn_xrealloc(g->hits, g->cap_hits * sizeof(*g->hits));
    }
    gen_hit_t *h = &g->hits[g->nhits++];
    *h = (gen_hit_t){.t = t,
                     .order = g->hit_order++,
                     .visit = w->vi,
                     .obj = obj,
                     .prev_obj = w->prev_obj,
                     .kind = kind,
                     .page = page,
                     .param = param,
                     .prev_page = w->prev_page,
                     .prev_param = w->prev_param,
                     .flags = flags,
                     .seq = w->seq++};
    g->visits[w->vi].pending++;
    return h;
}

/* Seconds spent on a page: log-normal around a typical time per page type. */
static int64_t dwell_us(gen_rng_t *r, uint8_t page)
{
    static const double typical[] = {25, 30, 55, 25, 40, 70, 60, 30, 90, 35};
    double base = page < sizeof(typical) / sizeof(typical[0]) ? typical[page] : 20;
    double u1 = cn_gen__unit(r) + 1e-12, u2 = cn_gen__unit(r);
    double n = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    double s = base * exp(0.8 * n);
    if (s < 2)
        s = 2;
    if (s > 1800)
        s = 1800;
    return (int64_t)(s * SEC_US) + cn_gen__below(r, 1000000);
}

/* --- Access-log assets --- */

static void add_assets(walk_t *w, const gen_visit_t *v, uint8_t page, uint32_t obj, bool first)
{
    gen_rng_t *r = w->r;
    int64_t t = w->t + 150000 + cn_gen__below(r, 300000);
    bool returning = v->flags & GEN_V_RETURNING;
    uint8_t lf = first ? GEN_H_LANDING : 0;
    if (first) {
        /* The stylesheet and the bundle; the rest of the page's images come from the CDN.
         * Returning visitors have them cached: some revalidate (304), most ask nothing. */
        for (uint8_t a = ASSET_CSS; a <= ASSET_FONT; a++) {
            double p = a == ASSET_CSS      ? 1.0
                       : a == ASSET_JS_APP ? 0.5
                       : a == ASSET_LOGO   ? 0.2
                                           : 0.05;
            if (returning)
                p *= 0.3;
            if (!cn_gen__chance(r, p))
                continue;
            add_hit(w, t + a * 20000, GEN_K_ASSET, page, obj, a, lf | (returning ? GEN_H_304 : 0));
        }
        if (page == GEN_P_HOME && cn_gen__chance(r, 0.2))
            add_hit(w, t + 130000, GEN_K_ASSET, page, cn_gen__below(r, 6), ASSET_BANNER_JPG, lf);
    }
    if (page == GEN_P_PROD && cn_gen__chance(r, 0.12))
        add_hit(w, t + 160000, GEN_K_ASSET, page, obj, ASSET_PRODUCT_JPG, lf);
    if (page == GEN_P_CAT && cn_gen__chance(r, 0.08))
        add_hit(w, t + 170000, GEN_K_ASSET, page, pick_product_in(w->g, r, obj), ASSET_THUMB_JPG,
                lf);
}

/* --- Visits --- */

/* Conversion multipliers. */
static double conv_factor(const gen_visit_t *v, double season_f)
{
    static const double ch[GEN_CH__COUNT] = {1.3, 1.0, 1.3, 0.55, 0.5, 1.8, 1.0, 1.2};
    static const double dev[] = {1.35, 0.8, 1.0, 0};
    double f = ch[v->channel] * dev[v->device] * (v->flags & GEN_V_RETURNING ? 1.4 : 1.0);
    return f * sqrt(season_f);
}

static void cart_put(gen_visit_t *v, uint32_t p, uint8_t q)
{
    for (unsigned i = 0; i < v->ncart; i++) {
        if (v->cart[i] == p) {
            if (v->qty[i] < 9)
                v->qty[i] += q;
            return;
        }
    }
    if (v->ncart < GEN_CART_MAX) {
        v->cart[v->ncart] = p;
        v->qty[v->ncart++] = q;
    }
}

/* The landing page of a channel. */
static uint8_t landing(cn_gen_t *g, gen_rng_t *r, const gen_visit_t *v, uint32_t *obj)
{
    double u = cn_gen__unit(r);
    switch (v->channel) {
    case GEN_CH_DIRECT:
        if (u < 0.7)
            return GEN_P_HOME;
        if (u < 0.9)
            return *obj = pick_product(g, r), GEN_P_PROD;
        if (u < 0.95 && (v->flags & GEN_V_RETURNING))
            return GEN_P_CART;
        return *obj = pick_category(g, r), GEN_P_CAT;
    case GEN_CH_ORGANIC:
        if (u < 0.45)
            return *obj = pick_product(g, r), GEN_P_PROD;
        if (u < 0.7)
            return *obj = pick_category(g, r), GEN_P_CAT;
        if (u < 0.9)
            return GEN_P_HOME;
        return *obj = cn_gen__below(r, 200), GEN_P_BLOG;
    case GEN_CH_PAID_SEARCH:
    case GEN_CH_AFFILIATE:
        if (u < 0.6)
            return *obj = pick_product(g, r), GEN_P_PROD;
        return *obj = pick_category(g, r), GEN_P_CAT;
    case GEN_CH_SOCIAL:
    case GEN_CH_REFERRAL:
        if (u < 0.5)
            return *obj = pick_product(g, r), GEN_P_PROD;
        if (u < 0.75)
            return *obj = cn_gen__below(r, 200), GEN_P_BLOG;
        return GEN_P_HOME;
    case GEN_CH_PAID_SOCIAL:
        if (u < 0.7)
            return *obj = pick_product(g, r), GEN_P_PROD;
        return *obj = pick_category(g, r), GEN_P_CAT;
    case GEN_CH_EMAIL:
        if (u < 0.4)
            return GEN_P_HOME;
        if (u < 0.75)
            return *obj = pick_category(g, r), GEN_P_CAT;
        return *obj = pick_product(g, r), GEN_P_PROD;
    }
    return GEN_P_HOME;
}

static uint8_t pick_term(gen_rng_t *r, const gen_country_t *c, uint8_t *lang)
{
    size_t li = 0;
    if (!cn_gen__chance(r, 0.3)) {
        for (size_t i = 0; i < cn_gen__terms_count; i++)
            if (strncmp(c->lang, cn_gen__terms[i].lang, 2) == 0)
                li = i;
    }
    *lang = (uint8_t)li;
    /* Popular terms first: a squared uniform favours the head of the list. */
    double u = cn_gen__unit(r);
    return (uint8_t)(u * u * (double)cn_gen__terms[li].count);
}

static void pick_campaign(gen_visit_t *v, gen_rng_t *r, int64_t local_day)
{
    v->camp_day = (int32_t)local_day;
    switch (v->channel) {
    case GEN_CH_EMAIL:
        v->camp_kind = CAMP_NEWSLETTER;
        break;
    case GEN_CH_PAID_SEARCH: {
        double u = cn_gen__unit(r);
        v->camp_kind = u < 0.35 ? CAMP_BRAND : u < 0.75 ? CAMP_GENERIC : CAMP_SEASONAL;
        break;
    }
    case GEN_CH_PAID_SOCIAL:
        v->camp_kind = cn_gen__chance(r, 0.5) ? CAMP_RETARGET : CAMP_SEASONAL;
        break;
    case GEN_CH_AFFILIATE:
        v->camp_kind = CAMP_AFFILIATE;
        break;
    default:
        v->camp_kind = CAMP_NONE;
    }
}

static void pick_channel(gen_visit_t *v, gen_rng_t *r, uint8_t region)
{
    /* direct organic paid social paid_social email referral affiliate */
    static const double fresh[GEN_CH__COUNT] = {22, 33, 13, 11, 6, 3, 8, 4};
    static const double back[GEN_CH__COUNT] = {38, 22, 8, 7, 3, 15, 4, 3};
    const double *w = v->flags & GEN_V_RETURNING ? back : fresh;
    double total = 0;
    for (int i = 0; i < GEN_CH__COUNT; i++)
        total += w[i];
    double x = cn_gen__unit(r) * total;
    int ch = 0;
    while (ch < GEN_CH__COUNT - 1 && x >= w[ch])
        x -= w[ch++];
    v->channel = (uint8_t)ch;
    switch (ch) {
    case GEN_CH_ORGANIC:
    case GEN_CH_PAID_SEARCH:
        v->source = pick_engine(r, region);
        break;
    case GEN_CH_SOCIAL:
    case GEN_CH_PAID_SOCIAL:
        v->source = pick_site(r, cn_gen__social, cn_gen__social_count, region);
        break;
    case GEN_CH_REFERRAL:
    case GEN_CH_AFFILIATE:
        v->source = pick_site(r, cn_gen__referral, cn_gen__referral_count, region);
        break;
    case GEN_CH_EMAIL:
        v->source = cn_gen__chance(r, 0.45)
                        ? pick_site(r, cn_gen__webmail, cn_gen__webmail_count, region)
                        : 255; /* from a mail app: no referrer */
        break;
    default:
        v->source = 255;
    }
    v->click_id = cn_gen__rng_next(r);
}

/* Transition table: probabilities of the next page; the rest is exit. */
static uint8_t next_page(cn_gen_t *g, gen_rng_t *r, gen_visit_t *v, uint8_t page, uint32_t obj,
                         double conv, uint32_t *nobj, uint8_t *nparam)
{
    double u = cn_gen__unit(r);
    *nparam = 1;
    switch (page) {
    case GEN_P_HOME:
        if ((u -= 0.42) < 0)
            return *nobj = pick_category(g, r), GEN_P_CAT;
        if ((u -= 0.12) < 0)
            return GEN_P_SEARCH;
        if ((u -= 0.15) < 0)
            return *nobj = pick_product(g, r), GEN_P_PROD;
        if ((u -= 0.03) < 0)
            return *nobj = cn_gen__below(r, 200), GEN_P_BLOG;
        if ((u -= 0.03) < 0)
            return *nobj = cn_gen__below(r, (uint32_t)cn_gen__info_page_count), GEN_P_INFO;
        return GEN_P_NONE;
    case GEN_P_CAT:
        if ((u -= 0.55) < 0)
            return *nobj = pick_product_in(g, r, obj), GEN_P_PROD;
        if ((u -= 0.08) < 0) {
            *nparam = (uint8_t)(2 + cn_gen__below(r, 4));
            return *nobj = obj, GEN_P_CAT;
        }
        if ((u -= 0.07) < 0)
            return *nobj = pick_category(g, r), GEN_P_CAT;
        if ((u -= 0.05) < 0)
            return GEN_P_SEARCH;
        if ((u -= 0.03) < 0)
            return GEN_P_HOME;
        return GEN_P_NONE;
    case GEN_P_SEARCH:
        if ((u -= 0.55) < 0)
            return *nobj = pick_product(g, r), GEN_P_PROD;
        if ((u -= 0.10) < 0)
            return GEN_P_SEARCH;
        if ((u -= 0.05) < 0)
            return *nobj = pick_category(g, r), GEN_P_CAT;
        return GEN_P_NONE;
    case GEN_P_PROD:
        if ((u -= 0.28) < 0)
            return *nobj = pick_product_in(g, r, cn_gen__product_cat(g, obj)), GEN_P_PROD;
        if ((u -= 0.20) < 0)
            return *nobj = cn_gen__product_cat(g, obj), GEN_P_CAT;
        if ((u -= 0.04) < 0)
            return GEN_P_SEARCH;
        if ((u -= 0.03) < 0)
            return GEN_P_HOME;
        if (v->ncart > 0 && (u -= 0.04 * conv) < 0)
            return GEN_P_CART;
        return GEN_P_NONE;
    case GEN_P_CART:
        if (v->ncart > 0 && (u -= fmin(0.85, 0.38 * conv)) < 0)
            return GEN_P_SHIP;
        if ((u -= 0.10) < 0)
            return *nobj = pick_product(g, r), GEN_P_PROD;
        if ((u -= 0.05) < 0)
            return *nobj = pick_category(g, r), GEN_P_CAT;
        return GEN_P_NONE;
    case GEN_P_SHIP:
        if ((u -= fmin(0.9, 0.68 * sqrt(conv))) < 0)
            return GEN_P_PAY;
        if ((u -= 0.05) < 0)
            return GEN_P_CART;
        return GEN_P_NONE;
    case GEN_P_PAY:
        if ((u -= fmin(0.92, 0.72 * sqrt(conv))) < 0)
            return GEN_P_CONFIRM;
        return GEN_P_NONE;
    case GEN_P_CONFIRM: /* the order is placed: the visit ends (keeps the order's cart exact) */
        return GEN_P_NONE;
    case GEN_P_BLOG:
        if ((u -= 0.30) < 0)
            return *nobj = pick_product(g, r), GEN_P_PROD;
        if ((u -= 0.15) < 0)
            return *nobj = cn_gen__below(r, 200), GEN_P_BLOG;
        if ((u -= 0.05) < 0)
            return GEN_P_HOME;
        return GEN_P_NONE;
    case GEN_P_INFO:
        if ((u -= 0.2) < 0)
            return GEN_P_HOME;
        if ((u -= 0.2) < 0)
            return *nobj = pick_category(g, r), GEN_P_CAT;
        return GEN_P_NONE;
    }
    return GEN_P_NONE;
}

static void walk_human(walk_t *w, gen_visit_t *v, double season_f)
{
    cn_gen_t *g = w->g;
    gen_rng_t *r = w->r;
    bool access = g->o.mode == CN_GEN_ACCESS_LOG;
    double conv = conv_factor(v, season_f);
    uint32_t obj = 0;
    uint8_t param = 1;
    uint8_t page = landing(g, r, v, &obj);
    v->camp_cat = (uint8_t)(page == GEN_P_PROD  ? cn_gen__product_cat(g, obj)
                            : page == GEN_P_CAT ? obj
                                                : v->seq % cn_gen__category_count);
    bool cart_opened = false, cart_seen = false;
    uint8_t term_lang = 0, term = 0;
    for (int n = 0; n < 40 && page != GEN_P_NONE; n++) {
        if (page == GEN_P_SEARCH) {
            term = pick_term(r, &cn_gen__countries[v->country], &term_lang);
            obj = (uint32_t)term_lang << 8 | term;
        }
        if (page == GEN_P_CART && !cart_seen) {
            /* Items saved in the cart on earlier visits, or added from a wish list. */
            cart_seen = true;
            unsigned extra = v->ncart == 0 ? 1 : 0;
            if (cn_gen__chance(r, 0.5))
                extra += 1 + cn_gen__below(r, 3);
            for (unsigned i = 0; i < extra; i++)
                cart_put(v, pick_product(g, r), 1);
        }
        if (page == GEN_P_CONFIRM) {
            v->order_no = ++g->order_seq;
            g->stats.orders++;
        }
        if (access && page == GEN_P_PROD && cn_gen__chance(r, 0.015))
            page = GEN_P_MISSING; /* an old link to a discontinued product */
        uint8_t landing_flag = n == 0 ? GEN_H_LANDING : 0;
        uint8_t flags = landing_flag | (n == 1 && w->prev_landing ? GEN_H_PREV_LANDING : 0);
        if (!add_hit(w, w->t, GEN_K_PAGE, page, obj, param, flags))
            return;
        if (access)
            add_assets(w, v, page, obj, n == 0);
        int64_t dwell = dwell_us(r, page);
        uint8_t forced = GEN_P_NONE;
        if (page == GEN_P_PROD && cn_gen__chance(r, fmin(0.5, 0.06 * conv))) {
            uint8_t q = cn_gen__chance(r, 0.8) ? 1 : (uint8_t)(2 + cn_gen__below(r, 2));
            int64_t at = w->t + dwell / 2;
            uint8_t hf = cart_opened ? 0 : GEN_H_FIRST_ADD;
            add_hit(w, at, GEN_K_CART_ADD, page, obj, q, hf | landing_flag);
            cart_opened = true;
            cart_put(v, obj, q);
            if (cn_gen__chance(r, 0.5))
                forced = GEN_P_CART;
        }
        if (!(v->flags & GEN_V_MEMBER) && cn_gen__chance(r, 0.006))
            add_hit(w, w->t + dwell / 3, GEN_K_SIGNUP, page, obj, param, landing_flag);
        uint32_t nobj = 0;
        uint8_t nparam = 1;
        uint8_t next =
            forced != GEN_P_NONE ? forced : next_page(g, r, v, page, obj, conv, &nobj, &nparam);
        if (next == GEN_P_NONE && !access && cn_gen__chance(r, 0.04)) {
            uint8_t site =
                pick_site(r, cn_gen__outbound, cn_gen__outbound_count,
                          cn_gen__countries[v->country].region & GEN_REG_CHINA ? GEN_REG_CHINA
                                                                               : GEN_REG_GLOBAL);
            add_hit(w, w->t + dwell / 2, GEN_K_EXIT, page, obj, site, landing_flag);
        }
        w->prev_page = page == GEN_P_MISSING ? GEN_P_PROD : page;
        w->prev_obj = obj;
        w->prev_param = param;
        w->prev_landing = n == 0;
        w->t += dwell;
        page = next;
        obj = nobj;
        param = nparam;
    }
}

static void walk_bot(walk_t *w, gen_visit_t *v)
{
    cn_gen_t *g = w->g;
    gen_rng_t *r = w->r;
    bool access = g->o.mode == CN_GEN_ACCESS_LOG;
    int pages = access ? 3 + (int)cn_gen__below(r, 28) : 1 + (int)cn_gen__below(r, 5);
    if (access && cn_gen__chance(r, 0.3)) {
        add_hit(w, w->t, GEN_K_PAGE, GEN_P_ROBOTS, 0, 1, GEN_H_LANDING);
        w->t += SEC_US + cn_gen__below(r, 3000000);
    }
    (void)v;
    for (int n = 0; n < pages; n++) {
        double u = cn_gen__unit(r);
        uint32_t obj = 0;
        uint8_t param = 1, page;
        if (access && u < 0.01) {
            page = GEN_P_PROBE;
            obj = cn_gen__below(r, 8);
        } else if (u < 0.6) {
            page = GEN_P_PROD;
            obj = cn_gen__below(r, g->o.products); /* crawlers walk the long tail */
        } else if (u < 0.8) {
            page = GEN_P_CAT;
            obj = cn_gen__below(r, (uint32_t)cn_gen__category_count);
            param = (uint8_t)(1 + cn_gen__below(r, 5));
        } else if (u < 0.9) {
            page = GEN_P_BLOG;
            obj = cn_gen__below(r, 200);
        } else if (u < 0.95) {
            page = GEN_P_INFO;
            obj = cn_gen__below(r, (uint32_t)cn_gen__info_page_count);
        } else {
            page = GEN_P_HOME;
        }
        if (!add_hit(w, w->t, GEN_K_PAGE, page, obj, param, n == 0 ? GEN_H_LANDING : 0))
            return;
        w->prev_page = page;
        w->prev_obj = obj;
        w->prev_param = param;
        w->t += SEC_US / 2 + cn_gen__below(r, access ? 5000000 : 20000000);
    }
}

static void bot_visit(cn_gen_t *g, int64_t start, gen_rng_t *r)
{
    unsigned total = 0;
    for (size_t i = 0; i < cn_gen__ua_count; i++)
        if (cn_gen__uas[i].device == GEN_DEV_BOT)
            total += cn_gen__uas[i].weight;
    unsigned x = cn_gen__below(r, total);
    size_t ui = 0;
    for (size_t i = 0; i < cn_gen__ua_count; i++) {
        if (cn_gen__uas[i].device != GEN_DEV_BOT)
            continue;
        if (x < cn_gen__uas[i].weight) {
            ui = i;
            break;
        }
        x -= cn_gen__uas[i].weight;
    }
    uint32_t vi = visit_alloc(g);
    gen_visit_t *v = &g->visits[vi];
    memset(v, 0, sizeof(*v));
    v->seq = g->visit_seq++;
    v->key = cn_gen__hash2(g->o.seed ^ SALT_BOT, v->seq);
    v->start_us = start;
    v->ua = (uint16_t)ui;
    v->device = GEN_DEV_BOT;
    v->flags = GEN_V_BOT;
    v->channel = GEN_CH_DIRECT;
    v->source = 255;
    v->country = 255; /* the crawler's own block: see render.c */
    uint32_t base;
    uint8_t bits;
    if (parse_cidr(cn_gen__uas[ui].bot_cidr, &base, &bits) < 0)
        cn_panic("bad crawler block %s", cn_gen__uas[ui].bot_cidr);
    uint32_t size = (uint32_t)1 << (32 - bits);
    v->ip = base + 1 + (uint32_t)(cn_gen__rng_next(r) % (size - 2));
    g->stats.visits++;
    g->stats.bot_visits++;
    walk_t w = {.g = g, .vi = vi, .r = r, .t = start, .prev_page = GEN_P_NONE};
    walk_bot(&w, v);
    if (v->pending == 0)
        visit_release(g, vi);
}

static void human_visit(cn_gen_t *g, size_t z, int64_t start, gen_rng_t *r, double season_f)
{
    uint32_t vi = visit_alloc(g);
    gen_visit_t *v = &g->visits[vi];
    memset(v, 0, sizeof(*v));
    v->seq = g->visit_seq++;
    v->start_us = start;
    v->country = g->zone_country[z];
    v->zone = g->zone_idx[z];
    const gen_country_t *c = &cn_gen__countries[v->country];

    /* New or returning: the longer the shop has run, the more come back. */
    uint32_t known = g->zone_visitors[z];
    uint64_t k;
    if (known > 0 && cn_gen__chance(r, fmin(0.38, 0.05 + 0.01 * sqrt((double)known)))) {
        double u = cn_gen__unit(r);
        k = known - 1 - (uint64_t)(u * u * u * known);
        v->flags |= GEN_V_RETURNING;
    } else {
        k = g->zone_visitors[z]++;
    }
    v->key = cn_gen__hash2(g->o.seed ^ ((uint64_t)z << 40), k + 1);

    /* The device: fixed per visitor. */
    gen_rng_t dr;
    cn_gen__rng_seed(&dr, v->key, SALT_VISITOR);
    double du = cn_gen__unit(&dr);
    v->device = du < c->mobile          ? GEN_DEV_MOBILE
                : du < c->mobile + 0.08 ? GEN_DEV_TABLET
                                        : GEN_DEV_DESKTOP;
    uint8_t region = visitor_region(c, &dr);
    v->ua = pick_ua(&dr, v->device, region);
    v->screen = (uint8_t)cn_gen__below(&dr, 4);
    if (cn_gen__unit(&dr) < g->o.json_share)
        v->flags |= GEN_V_JSON;
    if (cn_gen__chance(&dr, 0.65))
        v->flags |= GEN_V_COOKIE;
    bool member = cn_gen__chance(&dr, 0.3);
    uint64_t ip_h = cn_gen__rng_next(&dr);
    /* Desktops keep their address; phones and tablets change it per visit. */
    if (v->device != GEN_DEV_DESKTOP || cn_gen__chance(&dr, 0.2))
        ip_h = cn_gen__hash2(ip_h, v->seq + SALT_IP);
    v->ip = pick_ip(g, v->country, ip_h);
    v->pay = (uint8_t)cn_gen__below(&dr, 4);
    if (member && (v->flags & GEN_V_RETURNING))
        v->flags |= GEN_V_MEMBER;

    pick_channel(v, r, region);
    int64_t local = start + (int64_t)cn_gen__zone_offset(&c->zones[v->zone], start) * 60 * SEC_US;
    pick_campaign(v, r, floor_div(local, DAY_US));
    if (v->channel == GEN_CH_ORGANIC || v->channel == GEN_CH_PAID_SEARCH)
        v->term = pick_term(r, c, &v->term_lang);

    g->stats.visits++;
    if (v->flags & GEN_V_RETURNING)
        g->stats.returning_visits++;
    walk_t w = {.g = g, .vi = vi, .r = r, .t = start, .prev_page = GEN_P_NONE};
    walk_human(&w, v, season_f);
    if (v->pending == 0)
        visit_release(g, vi);
}

static int cmp_hit(const void *a, const void *b)
{
    const gen_hit_t *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Generates the visits that start in the next window and sorts the hits. */
static void advance_window(cn_gen_t *g)
{
    /* Keep the hits not handed out yet. */
    if (g->cursor > 0)
        memmove(g->hits, g->hits + g->cursor, (g->nhits - g->cursor) * sizeof(*g->hits));
    g->nhits -= g->cursor;
    g->cursor = 0;
    g->ready = 0;
    int64_t ws = g->win_start, we = ws + g->win_us;
    if (ws >= g->o.to_us) {
        g->ready = g->nhits; /* all remaining hits are before to_us by construction */
        if (g->nhits == 0)
            g->done = true;
        return;
    }
    gen_rng_t r;
    cn_gen__rng_seed(&r, g->o.seed, (uint64_t)(ws / g->win_us) * 8 + SALT_WINDOW);

    double rates[64], seasons[64], cum[64];
    double total = window_rates(g, ws, rates, seasons, cum);
    double noise = (cn_gen__unit(&r) + cn_gen__unit(&r) + cn_gen__unit(&r) - 1.5) * 0.08;
    double humans, bots; /* expected visits in the window */
    bool sized = g->plan_total > 0, last = false;
    if (sized) {
        /* --hits N: the hits made so far follow N times the share of the plan done (the
         * daily and weekly cycles, festivals and growth); a window plans its share of N and
         * makes up a quarter of what earlier ones missed or overshot (all of it in the last
         * windows). */
        double plan = window_plan(g, ws, total);
        double n_hits = (double)g->o.max_hits;
        double behind = n_hits * g->plan_done / g->plan_total - (double)g->hit_order;
        g->plan_done += plan;
        int64_t left = (g->o.to_us - ws + g->win_us - 1) / g->win_us; /* this one included */
        double want = n_hits * plan / g->plan_total + behind / (double)(left < 4 ? left : 4);
        double visits = want > 0 ? want / g->hpv : 0;
        humans = visits * total / (total + BOT_SHARE);
        bots = visits * BOT_SHARE / (total + BOT_SHARE);
        last = left == 1;
    } else {
        double day_share = (double)g->win_us / (double)DAY_US;
        humans = g->vpd * day_share * growth(g, ws) * total;
        bots = g->vpd * day_share * growth(g, ws) * BOT_SHARE;
    }
    /* The last window of a sized run adds human visits until N hits are made (below). */
    uint64_t n = last ? 0 : (uint64_t)(humans * (1 + noise) + cn_gen__unit(&r));
    uint64_t nbots = (uint64_t)(bots + cn_gen__unit(&r));
    /* A sized run starts visits before to_us only; one by visits per day drops the others. */
    int64_t span = sized && g->o.to_us - ws < g->win_us ? g->o.to_us - ws : g->win_us;
    for (uint64_t i = 0; i < n + nbots; i++) {
        int64_t start = ws + (int64_t)(cn_gen__unit(&r) * (double)span);
        if (start >= g->o.to_us)
            continue;
        gen_rng_t vr;
        cn_gen__rng_seed(&vr, g->o.seed, g->visit_seq * 8 + SALT_VISIT);
        if (i >= n) {
            bot_visit(g, start, &vr);
        } else {
            size_t z = pick_cum(cum, g->nzones, cn_gen__unit(&r));
            human_visit(g, z, start, &vr, seasons[z]);
        }
    }
    /* Every visit makes at least its landing hit (it starts before to_us), so this ends. */
    while (last && g->hit_order < g->o.max_hits) {
        int64_t start = ws + (int64_t)(cn_gen__unit(&r) * (double)span);
        gen_rng_t vr;
        cn_gen__rng_seed(&vr, g->o.seed, g->visit_seq * 8 + SALT_VISIT);
        size_t z = pick_cum(cum, g->nzones, cn_gen__unit(&r));
        human_visit(g, z, start, &vr, seasons[z]);
    }
    if (g->nhits > 1)
        qsort(g->hits, g->nhits, sizeof(*g->hits), cmp_hit);
    size_t lo = 0, hi = g->nhits;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->hits[mid].t < we)
            lo = mid + 1;
        else
            hi = mid;
    }
    g->ready = lo;
    g->win_start = we;
}

/* --- Public --- */

int cn_gen_new(const cn_gen_opts_t *opts, cn_gen_t **out, cn_err_t *err)
{
    if (opts->to_us <= opts->from_us)
        return cn_err_set(err, CN_EINVAL, "the end (--to) must come after the start (--from)");
    if (opts->visits_per_day < 0 || (opts->visits_per_day == 0 && opts->max_hits == 0))
        return cn_err_set(err, CN_EINVAL, "give a volume: visits per day or a number of hits");
    if (opts->visits_per_day == 0 && opts->to_us == INT64_MAX)
        return cn_err_set(err, CN_EINVAL, "a number of hits without an end needs visits per day");
    if (opts->products < cn_gen__category_count * 4 || opts->products > 10000000)
        return cn_err_set(err, CN_EINVAL, "products must be between %zu and 10000000",
                          cn_gen__category_count * 4);
    if (opts->json_share < 0 || opts->json_share > 1)
        return cn_err_set(err, CN_EINVAL, "the JSON share must be between 0 and 1");
    const char *suite = opts->suite ? opts->suite : "demo";
    for (const char *p = suite; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return cn_err_set(err, CN_EINVAL,
                              "suite id '%s' has characters other than "
                              "letters, digits, '_', '-' and '.'",
                              suite);
    const char *site = opts->site ? opts->site : "https://shop.canton.test";
    const char *host = strstr(site, "://");
    if (!host || !host[3] || site[strlen(site) - 1] == '/')
        return cn_err_set(err, CN_EINVAL, "site must be an origin like https://shop.example");

    cn_gen_t *g = cn_xcalloc(1, sizeof(*g));
    g->o = *opts;
    g->suite = cn_xstrdup(suite);
    g->site = cn_xstrdup(site);
    g->site_host = g->site + (host - site) + 3;
    g->collect_host = cn_xstrdup(opts->collect_host ? opts->collect_host : "collect.canton.test");
    g->o.suite = g->suite;
    g->o.site = g->site;
    g->o.collect_host = g->collect_host;
    g->growth_ref_us = opts->to_us == INT64_MAX ? opts->from_us : opts->to_us;

    /* Zones and their weights. */
    double ctotal = 0;
    for (size_t c = 0; c < cn_gen__country_count; c++)
        ctotal += cn_gen__countries[c].weight;
    for (size_t c = 0; c < cn_gen__country_count; c++) {
        const gen_country_t *ct = &cn_gen__countries[c];
        for (size_t zi = 0; zi < GEN_MAX_ZONES && ct->zones[zi].weight; zi++) {
            CN_ASSERT(g->nzones < 64);
            g->zone_country[g->nzones] = (uint8_t)c;
            g->zone_idx[g->nzones] = (uint8_t)zi;
            g->zone_w[g->nzones] = ct->weight / ctotal * ct->zones[zi].weight / 100.0;
            g->nzones++;
        }
        for (size_t b = 0; b < GEN_MAX_BLOCKS && ct->blocks[b]; b++) {
            if (parse_cidr(ct->blocks[b], &g->block_base[c][b], &g->block_bits[c][b]) < 0)
                cn_panic("bad block %s", ct->blocks[b]);
            g->block_count[c]++;
        }
    }
    g->zone_visitors = cn_xcalloc(g->nzones, sizeof(*g->zone_visitors));

    /* Category popularity (Zipf over a fixed shuffle) and products within a category. */
    double sum = 0;
    for (size_t c = 0; c < cn_gen__category_count; c++) {
        size_t rank = (c * 17 + 5) % cn_gen__category_count;
        sum += 1.0 / pow((double)rank + 1.5, 0.9);
        g->cat_cum[c] = sum;
    }
    g->per_cat = g->o.products / (uint32_t)cn_gen__category_count;
    g->o.products = g->per_cat * (uint32_t)cn_gen__category_count;
    g->zipf_cum = cn_xmalloc(g->per_cat * sizeof(double));
    sum = 0;
    for (uint32_t j = 0; j < g->per_cat; j++) {
        sum += 1.0 / pow((double)j + 2.0, 1.05);
        g->zipf_cum[j] = sum;
    }

    /* An hour at a time; a live run generates a minute ahead so that it starts at once. */
    g->win_us = opts->live ? 60 * SEC_US : HOUR_US;
    g->vpd = opts->visits_per_day;
    if (g->vpd == 0) {
        /* --hits N alone: measure hits per visit on a sample day, then plan the volume of
         * every window of [from, to) (advance_window steers the run to exactly N). */
        cn_gen_opts_t probe = *opts;
        probe.visits_per_day = 3000;
        probe.max_hits = 0;
        probe.to_us = opts->from_us + DAY_US;
        probe.live = false;
        cn_gen_t *pg;
        int rc = cn_gen_new(&probe, &pg, err);
        if (rc < 0) {
            cn_gen_free(g);
            return rc;
        }
        cn_gen_hit_t h;
        while (cn_gen_next(pg, &h) == 1) {
        }
        g->hpv = pg->stats.visits ? (double)pg->stats.hits / (double)pg->stats.visits : 5;
        cn_gen_free(pg);
        double rates[64], seasons[64], cum[64];
        for (int64_t ws = opts->from_us; ws < opts->to_us; ws += g->win_us)
            g->plan_total += window_plan(g, ws, window_rates(g, ws, rates, seasons, cum));
    }
    cn_gen__render_init(g);
    g->win_start = opts->from_us;
    /* A live run numbers its orders from its start time (tenths of a second into the day),
     * so that they do not repeat the order ids of a history generated for the same days. */
    if (opts->live)
        g->order_seq = (uint64_t)(opts->from_us / 100000 % 864000) * 10;
    *out = g;
    return 0;
}

void cn_gen_free(cn_gen_t *g)
{
    if (!g)
        return;
    free(g->suite);
    free(g->site);
    free(g->collect_host);
    free(g->zone_visitors);
    free(g->zipf_cum);
    free(g->visits);
    free(g->free_visits);
    free(g->hits);
    cn_buf_t *bufs[] = {&g->path, &g->query, &g->headers, &g->body,    &g->ip,
                        &g->url,  &g->ref,   &g->tmp,     &g->order_id};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        cn_buf_dispose(bufs[i]);
    free(g);
}

int cn_gen_next(cn_gen_t *g, cn_gen_hit_t *out)
{
    if (g->o.max_hits && g->emitted >= g->o.max_hits)
        return 0;
    while (g->cursor == g->ready) {
        if (g->done)
            return 0;
        advance_window(g);
    }
    const gen_hit_t *h = &g->hits[g->cursor++];
    gen_visit_t *v = &g->visits[h->visit];
    cn_gen__render(g, h, v, out);
    g->emitted++;
    g->stats.hits++;
    if (out->raw.proto == CN_PROTO_ADOBE)
        g->stats.adobe_hits++;
    else if (out->raw.proto == CN_PROTO_CANTON_JSON)
        g->stats.json_hits++;
    if (--v->pending == 0)
        visit_release(g, h->visit);
    return 1;
}

void cn_gen_stats(const cn_gen_t *g, cn_gen_stats_t *out)
{
    *out = g->stats;
}
