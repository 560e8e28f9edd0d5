/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Turns the simulation's hit records into requests: Adobe AppMeasurement
 * image requests (/b/ss/<suite>/1/JS-2.21.0/s<random>?AQB=1&...&AQE=1, as
 * ../shared/protocols.md §2 describes), canton JSON batches (POST
 * /api/collect, canton-json vocabulary v1), or the shop's own page and
 * asset requests for access logs; and formats them as fixture-style JSON
 * lines or nginx "combined" lines.
 *
 * Everything is written into the generator's reused buffers with small
 * hand-written appenders (no printf on the hot path, no allocation once the
 * buffers have grown).
 */
#include <string.h>

#include "gen/gen.h"
#include "gen/internal.h"
#include "lib/clock.h"
#include "lib/xalloc.h"

#define SEC_US ((int64_t)1000000)
#define DAY_US ((int64_t)86400 * SEC_US)

/* --- Appenders --- */

/* Inline fast paths: cn_buf_append() and cn_buf_putc() are calls with a reserve each. */
static inline void put_mem(cn_buf_t *b, const void *p, size_t n)
{
    if (b->cap - b->len <= n)
        cn_buf_reserve(b, n);
    memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = 0;
}

static inline void put_c(cn_buf_t *b, char c)
{
    if (b->cap - b->len <= 1)
        cn_buf_reserve(b, 1);
    b->ptr[b->len++] = c;
    b->ptr[b->len] = 0;
}

static void put_lit(cn_buf_t *b, const char *s)
{
    put_mem(b, s, strlen(s));
}

static void put_u64(cn_buf_t *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cn_buf_reserve(b, (size_t)n);
    while (n > 0)
        b->ptr[b->len++] = tmp[--n];
    b->ptr[b->len] = 0;
}

static void put_pad(cn_buf_t *b, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    cn_buf_reserve(b, (size_t)n);
    while (n > 0)
        b->ptr[b->len++] = tmp[--n];
    b->ptr[b->len] = 0;
}

static void put_money(cn_buf_t *b, int64_t cents)
{
    put_u64(b, (uint64_t)(cents / 100));
    put_c(b, '.');
    put_pad(b, (uint64_t)(cents % 100), 2);
}

static const char hexd[] = "0123456789ABCDEF";

/* Percent-encodes s as AppMeasurement does: all but A-Z a-z 0-9 - _ . are escaped. */
static void put_enc(cn_buf_t *b, const char *s, size_t len)
{
    cn_buf_reserve(b, len * 3);
    char *o = b->ptr + b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hexd[c >> 4];
            *o++ = hexd[c & 15];
        }
    }
    b->len = (size_t)(o - b->ptr);
    b->ptr[b->len] = 0;
}

static void put_enc_c(cn_buf_t *b, const char *s)
{
    put_enc(b, s, strlen(s));
}

/* Form-encodes a search term for a URL query: spaces become '+'. */
static void put_form(cn_buf_t *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ') {
            put_c(b, '+');
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.') {
            put_c(b, (char)c);
        } else {
            char e[3] = {'%', hexd[c >> 4], hexd[c & 15]};
            put_mem(b, e, 3);
        }
    }
}

/* Lower-case slug: letters and digits, other runs become '-'. */
static void put_slug(cn_buf_t *b, const char *s)
{
    bool dash = false;
    size_t start = b->len;
    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && b->len > start)
                put_c(b, '-');
            dash = false;
            put_c(b, c);
        } else if (c != '\'') {
            dash = true;
        }
    }
}

static void put_hex64(cn_buf_t *b, uint64_t v)
{
    char t[16];
    for (int i = 15; i >= 0; i--, v >>= 4)
        t[i] = "0123456789abcdef"[v & 15];
    put_mem(b, t, 16);
}

static void put_ip(cn_buf_t *b, uint32_t ip)
{
    for (int i = 3; i >= 0; i--) {
        put_u64(b, (ip >> (i * 8)) & 255);
        if (i)
            put_c(b, '.');
    }
}

static void put_header(cn_buf_t *b, const char *name, const char *value, size_t len)
{
    put_lit(b, name);
    put_mem(b, ": ", 2);
    put_mem(b, value, len);
    put_c(b, '\n');
}

static void put_header_c(cn_buf_t *b, const char *name, const char *value)
{
    put_header(b, name, value, strlen(value));
}

/* --- The shop --- */

enum { FAM_CHROMIUM, FAM_SAFARI, FAM_FIREFOX, FAM_BOT };

static uint8_t ua_family(const gen_ua_t *u)
{
    if (u->device == GEN_DEV_BOT)
        return FAM_BOT;
    if (strstr(u->ua, "Firefox/"))
        return FAM_FIREFOX;
    if (strstr(u->ua, "iPhone") || strstr(u->ua, "iPad") ||
        (strstr(u->ua, "Safari/605") && !strstr(u->ua, "Chrome/")) || strstr(u->ua, "MacWechat"))
        return FAM_SAFARI;
    return FAM_CHROMIUM;
}

static const gen_category_t *prod_cat(const cn_gen_t *g, uint32_t p)
{
    return &cn_gen__categories[cn_gen__product_cat(g, p)];
}

static void put_sku(cn_buf_t *b, const cn_gen_t *g, uint32_t p)
{
    put_lit(b, prod_cat(g, p)->code);
    put_c(b, '-');
    put_pad(b, p / cn_gen__category_count + 1, 5);
}

static void put_product_name(cn_buf_t *b, const cn_gen_t *g, uint32_t p)
{
    const gen_category_t *c = prod_cat(g, p);
    uint64_t h = cn_gen__hash2(0x9a3e, p);
    put_lit(b, cn_gen__adjectives[h % cn_gen__adjective_count]);
    put_c(b, ' ');
    put_lit(b, c->origins[(h >> 16) % 4]);
    put_c(b, ' ');
    put_lit(b, c->nouns[(h >> 24) % 3]);
}

static void put_category_path(cn_buf_t *b, const gen_category_t *c)
{
    put_lit(b, c->top);
    put_c(b, '/');
    put_lit(b, c->name);
}

static const char *term_of(uint32_t obj)
{
    const gen_terms_t *t = &cn_gen__terms[(obj >> 8) % cn_gen__terms_count];
    return t->terms[(obj & 255) % t->count];
}

static void put_blog_title(cn_buf_t *b, uint32_t id)
{
    const char *tpl = cn_gen__blog_titles[id % cn_gen__blog_title_count];
    const char *topic =
        cn_gen__blog_topics[(id / cn_gen__blog_title_count) % cn_gen__blog_topic_count];
    const char *s = strstr(tpl, "%s");
    put_mem(b, tpl, (size_t)(s - tpl));
    put_lit(b, topic);
    put_lit(b, s + 2);
}

static const char *const probes[] = {
    "/wp-login.php",     "/.env",
    "/xmlrpc.php",       "/wp-admin/setup-config.php",
    "/phpmyadmin/",      "/.git/config",
    "/admin/config.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
};

/* Appends a page's path and its own query ("?page=2", "?q=..."). */
static void put_page_path(cn_buf_t *b, const cn_gen_t *g, uint8_t page, uint32_t obj, uint8_t param)
{
    switch (page) {
    case GEN_P_HOME:
        put_c(b, '/');
        break;
    case GEN_P_CAT: {
        const gen_category_t *c = &cn_gen__categories[obj % cn_gen__category_count];
        put_lit(b, "/c/");
        put_lit(b, c->top_slug);
        put_c(b, '/');
        put_lit(b, c->slug);
        if (param > 1) {
            put_lit(b, "?page=");
            put_u64(b, param);
        }
        break;
    }
    case GEN_P_PROD:
    case GEN_P_MISSING: {
        put_lit(b, "/p/");
        size_t at = b->len;
        put_sku(b, g, obj);
        for (size_t i = at; i < b->len; i++)
            if (b->ptr[i] >= 'A' && b->ptr[i] <= 'Z')
                b->ptr[i] = (char)(b->ptr[i] - 'A' + 'a');
        if (page == GEN_P_MISSING)
            put_lit(b, "-old");
        put_c(b, '/');
        /* The slug comes from the name, built in place then slugged. */
        size_t name_at = b->len;
        put_product_name(b, g, obj);
        char name[160];
        size_t n = b->len - name_at;
        if (n >= sizeof(name))
            n = sizeof(name) - 1;
        memcpy(name, b->ptr + name_at, n);
        name[n] = 0;
        b->len = name_at;
        put_slug(b, name);
        break;
    }
    case GEN_P_SEARCH:
        put_lit(b, "/search?q=");
        put_form(b, term_of(obj));
        break;
    case GEN_P_CART:
        put_lit(b, "/cart");
        break;
    case GEN_P_SHIP:
        put_lit(b, "/checkout/shipping");
        break;
    case GEN_P_PAY:
        put_lit(b, "/checkout/payment");
        break;
    case GEN_P_CONFIRM:
        put_lit(b, "/checkout/confirmation");
        break;
    case GEN_P_BLOG: {
        put_lit(b, "/blog/");
        char title[160];
        cn_buf_t t = {title, 0, sizeof(title)};
        (void)t;
        size_t at = b->len;
        put_blog_title(b, obj);
        size_t n = b->len - at;
        if (n >= sizeof(title))
            n = sizeof(title) - 1;
        memcpy(title, b->ptr + at, n);
        title[n] = 0;
        b->len = at;
        put_slug(b, title);
        break;
    }
    case GEN_P_INFO:
        put_lit(b, cn_gen__info_pages[obj % cn_gen__info_page_count].path);
        break;
    case GEN_P_ROBOTS:
        put_lit(b, "/robots.txt");
        break;
    case GEN_P_PROBE:
        put_lit(b, probes[obj % (sizeof(probes) / sizeof(probes[0]))]);
        break;
    default:
        put_c(b, '/');
    }
}

/* The page name Adobe implementations set (s.pageName). */
static void put_page_name(cn_buf_t *b, const cn_gen_t *g, uint8_t page, uint32_t obj, uint8_t param)
{
    switch (page) {
    case GEN_P_HOME:
        put_lit(b, "home");
        break;
    case GEN_P_CAT:
        put_lit(b, "category:");
        put_category_path(b, &cn_gen__categories[obj % cn_gen__category_count]);
        if (param > 1) {
            put_lit(b, ":page ");
            put_u64(b, param);
        }
        break;
    case GEN_P_PROD:
        put_lit(b, "product:");
        put_product_name(b, g, obj);
        break;
    case GEN_P_SEARCH:
        put_lit(b, "search results");
        break;
    case GEN_P_CART:
        put_lit(b, "cart");
        break;
    case GEN_P_SHIP:
        put_lit(b, "checkout:shipping");
        break;
    case GEN_P_PAY:
        put_lit(b, "checkout:payment");
        break;
    case GEN_P_CONFIRM:
        put_lit(b, "checkout:confirmation");
        break;
    case GEN_P_BLOG:
        put_lit(b, "blog:");
        put_blog_title(b, obj);
        break;
    case GEN_P_INFO:
        put_lit(b, "info:");
        put_lit(b, cn_gen__info_pages[obj % cn_gen__info_page_count].title);
        break;
    default:
        put_lit(b, "other");
    }
}

static const char *page_type(uint8_t page)
{
    static const char *const t[] = {"home",     "category", "product",      "search", "cart",
                                    "checkout", "checkout", "confirmation", "blog",   "info"};
    return page < sizeof(t) / sizeof(t[0]) ? t[page] : "other";
}

static const char *section(uint8_t page, uint32_t obj, const cn_gen_t *g)
{
    switch (page) {
    case GEN_P_CAT:
        return cn_gen__categories[obj % cn_gen__category_count].top;
    case GEN_P_PROD:
        return prod_cat(g, obj)->top;
    case GEN_P_SHIP:
    case GEN_P_PAY:
    case GEN_P_CONFIRM:
        return "Checkout";
    case GEN_P_CART:
        return "Cart";
    case GEN_P_SEARCH:
        return "Search";
    case GEN_P_BLOG:
        return "Journal";
    case GEN_P_INFO:
        return "Customer Service";
    }
    return "Home";
}

/* Short source name of a site URL: "https://l.facebook.com/" -> "facebook". */
static void put_site_name(cn_buf_t *b, const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    if (strncmp(h, "www.", 4) == 0 || strncmp(h, "l.", 2) == 0 || strncmp(h, "m.", 2) == 0)
        h = strchr(h, '.') + 1;
    if (strncmp(h, "t.co", 4) == 0) {
        put_lit(b, "x");
        return;
    }
    const char *e = h;
    while (*e && *e != '.' && *e != '/')
        e++;
    put_mem(b, h, (size_t)(e - h));
}

static void put_campaign(cn_buf_t *b, const gen_visit_t *v)
{
    int y;
    unsigned m, d;
    cn_gen__civil_from_days(v->camp_day, &y, &m, &d);
    switch (v->camp_kind) {
    case CAMP_NEWSLETTER: {
        int64_t jan1 = cn_gen__days_from_civil(y, 1, 1);
        put_lit(b, "newsletter_");
        put_u64(b, (uint64_t)y);
        put_lit(b, "_w");
        put_pad(b, (uint64_t)((v->camp_day - jan1) / 7 + 1), 2);
        return;
    }
    case CAMP_SEASONAL: {
        int64_t cny = cn_gen__cny_day(y);
        int64_t cny_next = cn_gen__cny_day(y + 1);
        int cy = y;
        const char *name;
        if (cny >= 0 && v->camp_day >= cny - 21 && v->camp_day <= cny + 7) {
            name = "cny_";
        } else if (cny_next >= 0 && v->camp_day >= cny_next - 21) {
            name = "cny_";
            cy = y + 1;
        } else if (m == 3 || m == 4) {
            name = "spring_sale_";
        } else if ((m == 5 && d >= 20) || (m == 6 && d <= 18)) {
            name = "618_";
        } else if (m == 7 || m == 8) {
            name = "summer_tea_";
        } else if (m == 9) {
            name = "mid_autumn_";
        } else if ((m == 10 && d >= 20) || (m == 11 && d <= 11)) {
            name = "singles_day_";
        } else if (m == 11 || (m == 12 && d <= 2)) {
            name = "black_friday_";
        } else if (m == 12) {
            name = "christmas_";
        } else {
            name = "new_arrivals_";
        }
        put_lit(b, name);
        put_u64(b, (uint64_t)cy);
        return;
    }
    case CAMP_BRAND:
        put_lit(b, "brand_search");
        return;
    case CAMP_GENERIC:
        put_lit(b, "generic_");
        put_lit(b, cn_gen__categories[v->camp_cat % cn_gen__category_count].top_slug);
        return;
    case CAMP_RETARGET:
        put_lit(b, v->seq & 1 ? "retargeting_cart" : "retargeting_viewed");
        return;
    case CAMP_AFFILIATE:
        put_lit(b, "aff_");
        put_site_name(b, cn_gen__referral[v->source % cn_gen__referral_count].url);
        return;
    }
}

/* Appends the landing page's campaign parameters (without the leading ? or &). */
static bool put_landing_params(cn_buf_t *b, const gen_visit_t *v)
{
    switch (v->channel) {
    case GEN_CH_PAID_SEARCH: {
        const gen_engine_t *e = &cn_gen__engines[v->source % cn_gen__engine_count];
        put_lit(b, "utm_source=");
        put_lit(b, e->name);
        put_lit(b, "&utm_medium=cpc&utm_campaign=");
        put_campaign(b, v);
        if (strcmp(e->name, "google") == 0) {
            put_lit(b, "&gclid=Cj0KCQiA");
            put_hex64(b, v->click_id);
            put_hex64(b, cn_gen__mix(v->click_id));
            put_lit(b, "_BwE");
        } else if (strcmp(e->name, "bing") == 0) {
            put_lit(b, "&msclkid=");
            put_hex64(b, v->click_id);
            put_hex64(b, cn_gen__mix(v->click_id));
        } else if (strcmp(e->name, "baidu") == 0) {
            put_lit(b, "&bd_vid=");
            put_pad(b, v->click_id % 10000000000000000000ULL, 19);
        } else if (strcmp(e->name, "yandex") == 0) {
            put_lit(b, "&yclid=");
            put_pad(b, v->click_id % 100000000000000000ULL, 17);
        }
        return true;
    }
    case GEN_CH_PAID_SOCIAL: {
        const char *url = cn_gen__social[v->source % cn_gen__social_count].url;
        put_lit(b, "utm_source=");
        put_site_name(b, url);
        put_lit(b, "&utm_medium=paid_social&utm_campaign=");
        put_campaign(b, v);
        if (strstr(url, "facebook") || strstr(url, "instagram")) {
            put_lit(b, "&fbclid=IwAR");
            put_hex64(b, v->click_id);
            put_hex64(b, cn_gen__mix(v->click_id + 1));
        }
        return true;
    }
    case GEN_CH_EMAIL: {
        static const char *const content[] = {"hero", "product_grid", "footer"};
        put_lit(b, "utm_source=newsletter&utm_medium=email&utm_campaign=");
        put_campaign(b, v);
        put_lit(b, "&utm_content=");
        put_lit(b, content[v->click_id % 3]);
        return true;
    }
    case GEN_CH_AFFILIATE:
        put_lit(b, "cid=");
        put_campaign(b, v);
        return true;
    case GEN_CH_SOCIAL:
        if (v->click_id % 10 < 3) {
            put_lit(b, "utm_source=");
            put_site_name(b, cn_gen__social[v->source % cn_gen__social_count].url);
            put_lit(b, "&utm_medium=social");
            return true;
        }
        return false;
    }
    return false;
}

/* The campaign tracking code for v0 (Adobe) of a landing page view, or nothing. */
static bool put_tracking_code(cn_buf_t *b, const gen_visit_t *v)
{
    if (v->camp_kind == CAMP_NONE)
        return false;
    put_campaign(b, v);
    return true;
}

/* Full URL of a page; landing pages carry the visit's campaign parameters. */
static void put_page_url(cn_buf_t *b, const cn_gen_t *g, const gen_visit_t *v, uint8_t page,
                         uint32_t obj, uint8_t param, bool landing)
{
    put_lit(b, g->site);
    size_t at = b->len;
    put_page_path(b, g, page, obj, param);
    if (landing && !(v->flags & GEN_V_BOT)) {
        bool has_q = memchr(b->ptr + at, '?', b->len - at) != NULL;
        size_t mark = b->len;
        put_c(b, has_q ? '&' : '?');
        if (!put_landing_params(b, v))
            b->len = mark, b->ptr[mark] = 0;
    }
}

/* The referrer of a landing page: the search engine, social site... or nothing. */
static void put_external_referrer(cn_buf_t *b, const gen_visit_t *v)
{
    const gen_country_t *c =
        v->country < cn_gen__country_count ? &cn_gen__countries[v->country] : NULL;
    switch (v->channel) {
    case GEN_CH_ORGANIC:
    case GEN_CH_PAID_SEARCH: {
        const gen_engine_t *e = &cn_gen__engines[v->source % cn_gen__engine_count];
        put_lit(b, "https://");
        put_lit(b, e->host ? e->host : c ? c->google : "www.google.com");
        /* Paid clicks and most Google results pass only the origin. */
        if (v->channel == GEN_CH_PAID_SEARCH || (!e->host && v->click_id % 4 != 0)) {
            put_c(b, '/');
            return;
        }
        put_lit(b, e->path);
        const gen_terms_t *t = &cn_gen__terms[v->term_lang % cn_gen__terms_count];
        put_form(b, t->terms[v->term % t->count]);
        return;
    }
    case GEN_CH_SOCIAL:
    case GEN_CH_PAID_SOCIAL:
        put_lit(b, cn_gen__social[v->source % cn_gen__social_count].url);
        return;
    case GEN_CH_REFERRAL:
    case GEN_CH_AFFILIATE:
        put_lit(b, cn_gen__referral[v->source % cn_gen__referral_count].url);
        return;
    case GEN_CH_EMAIL:
        if (v->source != 255)
            put_lit(b, cn_gen__webmail[v->source % cn_gen__webmail_count].url);
        return;
    }
}

static void put_referrer(cn_buf_t *b, const cn_gen_t *g, const gen_visit_t *v, const gen_hit_t *h)
{
    if (h->seq == 0 || h->prev_page == GEN_P_NONE) {
        if (!(v->flags & GEN_V_BOT))
            put_external_referrer(b, v);
        return;
    }
    put_page_url(b, g, v, h->prev_page, h->prev_obj, h->prev_param,
                 (h->flags & GEN_H_PREV_LANDING) != 0);
}

static const gen_currency_t *visit_currency(const gen_visit_t *v)
{
    const char *code =
        v->country < cn_gen__country_count ? cn_gen__countries[v->country].currency : "CNY";
    for (size_t i = 0; i < cn_gen__currency_count; i++)
        if (strcmp(cn_gen__currencies[i].code, code) == 0)
            return &cn_gen__currencies[i];
    return &cn_gen__currencies[0];
}

/* Unit price of product p in the visit's currency, in cents. */
static int64_t unit_price(const cn_gen_t *g, const gen_currency_t *cur, uint32_t p)
{
    int64_t fen = cn_gen__product_price_fen(g, p);
    if (cur->cny_per_unit == 1.0)
        return fen;
    int64_t units = (int64_t)((double)fen / 100.0 / cur->cny_per_unit);
    return units * 100 + 99;
}

static int64_t shipping(const gen_currency_t *cur, int64_t subtotal)
{
    if (cur->cny_per_unit == 1.0)
        return subtotal >= 19900 ? 0 : 1200;
    return subtotal >= 8000 ? 0 : 990;
}

static void put_order_id(cn_buf_t *b, const gen_visit_t *v, int64_t t)
{
    /* Dated in the shop's time zone (UTC+8). */
    int64_t day = (t + 8 * 3600 * SEC_US) / DAY_US;
    int y;
    unsigned m, d;
    cn_gen__civil_from_days(day, &y, &m, &d);
    put_lit(b, "ORD-");
    put_u64(b, (uint64_t)y);
    put_pad(b, m, 2);
    put_pad(b, d, 2);
    put_c(b, '-');
    put_pad(b, v->order_no, 7);
}

static const char *payment(const gen_visit_t *v)
{
    static const char *const cn[] = {"alipay", "wechatpay", "unionpay", "alipay"};
    static const char *const intl[] = {"card", "paypal", "applepay", "card"};
    bool china =
        v->country < cn_gen__country_count && cn_gen__countries[v->country].region == GEN_REG_CHINA;
    return china ? cn[v->pay % 4] : intl[v->pay % 4];
}

static void screen_size(const gen_visit_t *v, unsigned *w, unsigned *h, unsigned *bw, unsigned *bh)
{
    static const unsigned s[4][4][2] = {
        {{1920, 1080}, {1536, 864}, {2560, 1440}, {1440, 900}},
        {{390, 844}, {393, 873}, {414, 896}, {360, 800}},
        {{820, 1180}, {768, 1024}, {1024, 1366}, {800, 1280}},
        {{1024, 768}, {412, 915}, {1024, 768}, {412, 915}},
    };
    unsigned d = v->device < 4 ? v->device : 0;
    *w = s[d][v->screen % 4][0];
    *h = s[d][v->screen % 4][1];
    *bw = d == GEN_DEV_DESKTOP ? *w - (v->screen & 1 ? 0 : 17) : *w;
    *bh = d == GEN_DEV_DESKTOP ? *h - 133 : *h - 150;
}

/* Local time in the visitor's zone for the Adobe t parameter and its offset. */
static int visit_offset(const gen_visit_t *v, int64_t t)
{
    if (v->country >= cn_gen__country_count)
        return 0;
    return cn_gen__zone_offset(&cn_gen__countries[v->country].zones[v->zone], t);
}

/* "D/M/YYYY h:m:s w o" with the month from 0, o = minutes behind UTC. */
static void put_adobe_time(cn_buf_t *b, int64_t t, int offset_min)
{
    int64_t local = t / SEC_US + offset_min * 60;
    int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t sec = local - day * 86400;
    int y;
    unsigned m, d;
    cn_gen__civil_from_days(day, &y, &m, &d);
    put_u64(b, d);
    put_lit(b, "%2F");
    put_u64(b, m - 1);
    put_lit(b, "%2F");
    put_u64(b, (uint64_t)y);
    put_lit(b, "%20");
    put_u64(b, (uint64_t)(sec / 3600));
    put_lit(b, "%3A");
    put_u64(b, (uint64_t)(sec / 60 % 60));
    put_lit(b, "%3A");
    put_u64(b, (uint64_t)(sec % 60));
    put_lit(b, "%20");
    put_u64(b, cn_gen__weekday(day));
    put_lit(b, "%20");
    if (offset_min > 0)
        put_c(b, '-');
    put_u64(b, (uint64_t)(offset_min < 0 ? -offset_min : offset_min));
}

static void put_mid(cn_buf_t *b, uint64_t key)
{
    put_pad(b, cn_gen__mix(key ^ 0x11) % 10000000000000000000ULL, 19);
    put_pad(b, cn_gen__mix(key ^ 0x22) % 10000000000000000000ULL, 19);
}

static const char *finding_method(uint8_t prev_page, bool landing)
{
    if (landing)
        return "external";
    switch (prev_page) {
    case GEN_P_SEARCH:
        return "internal search";
    case GEN_P_CAT:
        return "browse";
    case GEN_P_PROD:
        return "cross-sell";
    case GEN_P_HOME:
        return "home page";
    }
    return "other";
}

/* The products string: "Top/Name;SKU" entries, with quantity and line totals for orders. */
static void put_products_cart(cn_buf_t *b, const cn_gen_t *g, const gen_visit_t *v,
                              const gen_currency_t *cur, bool order)
{
    for (unsigned i = 0; i < v->ncart; i++) {
        if (i)
            put_c(b, ',');
        put_category_path(b, prod_cat(g, v->cart[i]));
        put_c(b, ';');
        put_sku(b, g, v->cart[i]);
        if (order) {
            put_c(b, ';');
            put_u64(b, v->qty[i]);
            put_c(b, ';');
            put_money(b, unit_price(g, cur, v->cart[i]) * v->qty[i]);
        }
    }
}

static int64_t cart_subtotal(const cn_gen_t *g, const gen_visit_t *v, const gen_currency_t *cur)
{
    int64_t s = 0;
    for (unsigned i = 0; i < v->ncart; i++)
        s += unit_price(g, cur, v->cart[i]) * v->qty[i];
    return s;
}

/* Appends "&name=" and the encoded value of tmp. */
static void put_param_tmp(cn_buf_t *q, const char *name, cn_buf_t *tmp)
{
    put_c(q, '&');
    put_lit(q, name);
    put_c(q, '=');
    put_enc(q, tmp->ptr, tmp->len);
    cn_buf_clear(tmp);
}

static void put_param(cn_buf_t *q, const char *name, const char *value)
{
    put_c(q, '&');
    put_lit(q, name);
    put_c(q, '=');
    put_enc_c(q, value);
}

/* --- Adobe AppMeasurement --- */

static void render_adobe(cn_gen_t *g, const gen_hit_t *h, const gen_visit_t *v, int64_t t,
                         cn_gen_hit_t *out)
{
    cn_buf_t *q = &g->query, *tmp = &g->tmp;
    const gen_currency_t *cur = visit_currency(v);
    bool landing = h->flags & GEN_H_LANDING;
    bool page_view = h->kind == GEN_K_PAGE;
    uint64_t rnd = cn_gen__hash2(v->key ^ h->order, h->seq);

    put_lit(&g->path, "/b/ss/");
    put_lit(&g->path, g->suite);
    put_lit(&g->path, "/1/JS-2.21.0/s");
    put_u64(&g->path, 1 + rnd % 9);
    put_pad(&g->path, (rnd >> 8) % 10000000000000ULL, 13);

    put_lit(q, "AQB=1&ndh=1&pf=1&t=");
    put_adobe_time(q, t, visit_offset(v, t));
    put_lit(q, "&mid=");
    put_mid(q, v->key);
    put_lit(q, "&ce=UTF-8&ns=cantonshop");
    put_page_name(tmp, g, h->page, h->obj, h->param);
    put_param_tmp(q, "pageName", tmp);
    put_page_url(tmp, g, v, h->page, h->obj, h->param, landing);
    put_param_tmp(q, "g", tmp);
    if (page_view) {
        put_referrer(tmp, g, v, h);
        if (tmp->len)
            put_param_tmp(q, "r", tmp);
    }
    put_param(q, "cc", cur->code);
    if (page_view) {
        put_param(q, "ch", section(h->page, h->obj, g));
        if (landing && put_tracking_code(tmp, v))
            put_param_tmp(q, "v0", tmp);
    }
    if (h->kind == GEN_K_PAGE) {
        switch (h->page) {
        case GEN_P_PROD:
            put_lit(q, "&events=prodView&products=");
            put_category_path(tmp, prod_cat(g, h->obj));
            put_c(tmp, ';');
            put_sku(tmp, g, h->obj);
            put_lit(tmp, ";;;;eVar4=");
            put_lit(tmp, finding_method(h->prev_page, landing));
            put_enc(q, tmp->ptr, tmp->len);
            cn_buf_clear(tmp);
            break;
        case GEN_P_SEARCH:
            put_lit(q, "&events=event2");
            put_param(q, "c2", term_of(h->obj));
            put_param(q, "v2", term_of(h->obj));
            break;
        case GEN_P_CART:
        case GEN_P_SHIP:
            put_lit(q, h->page == GEN_P_CART ? "&events=scView&products="
                                             : "&events=scCheckout&products=");
            put_products_cart(tmp, g, v, cur, false);
            put_enc(q, tmp->ptr, tmp->len);
            cn_buf_clear(tmp);
            break;
        case GEN_P_CONFIRM: {
            int64_t sub = cart_subtotal(g, v, cur);
            put_lit(q, "&events=purchase%2Cevent10%3D");
            put_money(q, shipping(cur, sub));
            put_lit(q, "&products=");
            put_products_cart(tmp, g, v, cur, true);
            put_enc(q, tmp->ptr, tmp->len);
            cn_buf_clear(tmp);
            put_lit(q, "&purchaseID=");
            put_lit(q, g->order_id.ptr);
            put_param(q, "v3", payment(v));
            break;
        }
        }
        put_param(q, "c1", page_type(h->page));
        if (v->country < cn_gen__country_count)
            put_param(q, "c3", cn_gen__countries[v->country].lang);
        put_param(q, "v5", v->flags & GEN_V_RETURNING ? "returning" : "new");
        put_param(q, "c5", v->flags & GEN_V_MEMBER ? "member" : "guest");
    } else if (h->kind == GEN_K_CART_ADD) {
        put_lit(q, h->flags & GEN_H_FIRST_ADD ? "&events=scOpen%2CscAdd&products="
                                              : "&events=scAdd&products=");
        put_category_path(tmp, prod_cat(g, h->obj));
        put_c(tmp, ';');
        put_sku(tmp, g, h->obj);
        put_enc(q, tmp->ptr, tmp->len);
        cn_buf_clear(tmp);
        put_lit(q, "&pe=lnk_o&pev2=cart_add");
    } else if (h->kind == GEN_K_SIGNUP) {
        put_lit(q, "&c.&newsletter.&source=footer&.newsletter&.c&events=event1&pe=lnk_o&pev2="
                   "newsletter_signup");
    } else if (h->kind == GEN_K_EXIT) {
        put_lit(q, "&pe=lnk_e");
        put_param(q, "pev1", cn_gen__outbound[h->param % cn_gen__outbound_count].url);
    }
    unsigned sw, sh, bw, bh;
    screen_size(v, &sw, &sh, &bw, &bh);
    put_lit(q, "&s=");
    put_u64(q, sw);
    put_c(q, 'x');
    put_u64(q, sh);
    put_lit(q, "&c=24&j=1.6&v=N&k=Y&bw=");
    put_u64(q, bw);
    put_lit(q, "&bh=");
    put_u64(q, bh);
    put_lit(q, "&mcorgid=CANTON0000000000000000001%40AdobeOrg");
    if (!page_view) {
        put_lit(q, "&lrt=");
        put_u64(q, 20 + rnd % 180);
    }
    put_lit(q, "&AQE=1");

    /* Headers as Chromium, Safari or Firefox send them for an image or a beacon. */
    cn_buf_t *hd = &g->headers;
    const gen_ua_t *ua = &cn_gen__uas[v->ua];
    uint8_t fam = g->ua_family[v->ua];
    const char *al = v->country < cn_gen__country_count
                         ? cn_gen__countries[v->country].accept_language
                         : "en-US,en;q=0.5";
    bool beacon = h->kind == GEN_K_EXIT;
    bool long_post = q->len > 2047;
    put_header_c(hd, "host", g->collect_host);
    put_header_c(hd, "user-agent", ua->ua);
    if (beacon || long_post)
        put_header_c(hd, "accept", "*/*");
    else if (fam == FAM_FIREFOX)
        put_header_c(hd, "accept",
                     "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5");
    else if (fam == FAM_SAFARI)
        put_header_c(hd, "accept",
                     "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,"
                     "video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5");
    else
        put_header_c(hd, "accept",
                     "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8");
    put_header_c(hd, "accept-encoding",
                 fam == FAM_CHROMIUM ? "gzip, deflate, br, zstd" : "gzip, deflate, br");
    put_header_c(hd, "accept-language", al);
    if (long_post) {
        put_header_c(hd, "content-type", "text/plain;charset=UTF-8");
    }
    if ((v->flags & GEN_V_COOKIE) && !(v->flags & GEN_V_BOT)) {
        put_lit(hd, "cookie: s_ecid=MCMID%7C");
        put_mid(hd, v->key);
        put_c(hd, '\n');
    }
    if (beacon || long_post)
        put_header_c(hd, "origin", g->site);
    put_lit(hd, "referer: ");
    put_lit(hd, g->site);
    put_lit(hd, "/\n");
    if (fam == FAM_CHROMIUM) {
        put_header_c(hd, "sec-fetch-dest", beacon || long_post ? "empty" : "image");
        put_header_c(hd, "sec-fetch-mode", long_post ? "cors" : "no-cors");
        put_header_c(hd, "sec-fetch-site", "same-site");
    }

    out->raw.proto = CN_PROTO_ADOBE;
    out->raw.suite = cn_str_c(g->suite);
    if (long_post) {
        /* AppMeasurement posts hits longer than 2047 bytes with the query as the body. */
        out->raw.method = CN_STR_LIT("POST");
        put_mem(&g->body, q->ptr, q->len);
        cn_buf_clear(q);
    } else {
        out->raw.method = beacon ? CN_STR_LIT("POST") : CN_STR_LIT("GET");
    }
}

/* --- canton JSON --- */

static void json_str(cn_buf_t *b, const char *s, size_t len)
{
    cn_buf_append_json_str(b, cn_str(s, len));
}

static void json_item(cn_buf_t *b, cn_gen_t *g, const gen_currency_t *cur, uint32_t p, unsigned qty)
{
    cn_buf_t *tmp = &g->tmp;
    put_lit(b, "{\"sku\":\"");
    put_sku(b, g, p);
    put_lit(b, "\",\"name\":");
    put_product_name(tmp, g, p);
    json_str(b, tmp->ptr, tmp->len);
    cn_buf_clear(tmp);
    put_lit(b, ",\"category\":");
    put_category_path(tmp, prod_cat(g, p));
    json_str(b, tmp->ptr, tmp->len);
    cn_buf_clear(tmp);
    if (qty) {
        put_lit(b, ",\"quantity\":");
        put_u64(b, qty);
    }
    put_lit(b, ",\"price\":");
    put_money(b, unit_price(g, cur, p));
    put_c(b, '}');
}

static void json_cart(cn_buf_t *b, cn_gen_t *g, const gen_visit_t *v, const gen_currency_t *cur)
{
    put_lit(b, ",\"items\":[");
    for (unsigned i = 0; i < v->ncart; i++) {
        if (i)
            put_c(b, ',');
        json_item(b, g, cur, v->cart[i], v->qty[i]);
    }
    put_c(b, ']');
}

static void json_event_head(cn_buf_t *b, cn_gen_t *g, const gen_hit_t *h, const gen_visit_t *v,
                            const char *type, int64_t ts_ms)
{
    put_lit(b, "{\"type\":\"");
    put_lit(b, type);
    put_lit(b, "\",\"ts\":");
    put_u64(b, (uint64_t)ts_ms);
    put_lit(b, ",\"url\":");
    put_page_url(&g->url, g, v, h->page, h->obj, h->param, h->flags & GEN_H_LANDING);
    json_str(b, g->url.ptr, g->url.len);
}

static void render_json(cn_gen_t *g, const gen_hit_t *h, const gen_visit_t *v, int64_t t,
                        cn_gen_hit_t *out)
{
    cn_buf_t *b = &g->body, *tmp = &g->tmp;
    const gen_currency_t *cur = visit_currency(v);
    int64_t ms = t / 1000;
    const gen_country_t *c =
        v->country < cn_gen__country_count ? &cn_gen__countries[v->country] : NULL;
    put_lit(b, "{\"suite\":");
    json_str(b, g->suite, strlen(g->suite));
    if (v->flags & GEN_V_COOKIE) {
        put_lit(b, ",\"visitor\":\"");
        put_hex64(b, v->key);
        put_hex64(b, cn_gen__mix(v->key));
        put_c(b, '"');
    }
    put_lit(b, ",\"sent_at\":");
    put_u64(b, (uint64_t)(ms + 3 + (int64_t)(v->key % 40)));
    put_lit(b, ",\"events\":[");
    switch (h->kind) {
    case GEN_K_PAGE: {
        json_event_head(b, g, h, v, "pageview", ms);
        put_referrer(tmp, g, v, h);
        if (tmp->len) {
            put_lit(b, ",\"referrer\":");
            json_str(b, tmp->ptr, tmp->len);
            cn_buf_clear(tmp);
        }
        put_lit(b, ",\"title\":");
        put_page_name(tmp, g, h->page, h->obj, h->param);
        json_str(b, tmp->ptr, tmp->len);
        cn_buf_clear(tmp);
        unsigned sw, sh, bw, bh;
        screen_size(v, &sw, &sh, &bw, &bh);
        put_lit(b, ",\"screen\":\"");
        put_u64(b, sw);
        put_c(b, 'x');
        put_u64(b, sh);
        put_lit(b, "\",\"lang\":\"");
        put_lit(b, c ? c->lang : "en-US");
        put_lit(b, "\"}");
        cn_buf_clear(&g->url);
        if (h->page == GEN_P_PROD) {
            put_c(b, ',');
            json_event_head(b, g, h, v, "product_view", ms);
            put_lit(b, ",\"items\":[");
            json_item(b, g, cur, h->obj, 0);
            put_lit(b, "]}");
        } else if (h->page == GEN_P_SHIP) {
            put_c(b, ',');
            json_event_head(b, g, h, v, "checkout", ms);
            put_lit(b, ",\"currency\":\"");
            put_lit(b, cur->code);
            put_c(b, '"');
            json_cart(b, g, v, cur);
            put_c(b, '}');
        } else if (h->page == GEN_P_CONFIRM) {
            int64_t sub = cart_subtotal(g, v, cur);
            put_c(b, ',');
            json_event_head(b, g, h, v, "purchase", ms);
            put_lit(b, ",\"order_id\":\"");
            put_lit(b, g->order_id.ptr);
            put_lit(b, "\",\"revenue\":");
            put_money(b, sub + shipping(cur, sub));
            put_lit(b, ",\"currency\":\"");
            put_lit(b, cur->code);
            put_lit(b, "\",\"props\":{\"payment\":\"");
            put_lit(b, payment(v));
            put_lit(b, "\",\"shipping\":");
            put_money(b, shipping(cur, sub));
            put_c(b, '}');
            json_cart(b, g, v, cur);
            put_c(b, '}');
        }
        break;
    }
    case GEN_K_CART_ADD:
        json_event_head(b, g, h, v, "cart_add", ms);
        put_lit(b, ",\"currency\":\"");
        put_lit(b, cur->code);
        put_lit(b, "\",\"items\":[");
        json_item(b, g, cur, h->obj, h->param);
        put_lit(b, "]}");
        break;
    case GEN_K_SIGNUP:
        json_event_head(b, g, h, v, "event", ms);
        put_lit(b, ",\"name\":\"newsletter_signup\",\"props\":{\"source\":\"footer\"}}");
        break;
    case GEN_K_EXIT: {
        const char *target = cn_gen__outbound[h->param % cn_gen__outbound_count].url;
        json_event_head(b, g, h, v, "outbound", ms);
        put_lit(b, ",\"name\":\"Follow us\",\"target\":");
        json_str(b, target, strlen(target));
        put_c(b, '}');
        break;
    }
    }
    cn_buf_clear(&g->url);
    put_lit(b, "]}");

    cn_buf_t *hd = &g->headers;
    const gen_ua_t *ua = &cn_gen__uas[v->ua];
    uint8_t fam = g->ua_family[v->ua];
    put_header_c(hd, "host", g->site_host);
    put_header_c(hd, "user-agent", ua->ua);
    put_header_c(hd, "accept", "*/*");
    put_header_c(hd, "accept-encoding",
                 fam == FAM_CHROMIUM ? "gzip, deflate, br, zstd" : "gzip, deflate, br");
    put_header_c(hd, "accept-language", c ? c->accept_language : "en-US,en;q=0.5");
    put_header_c(hd, "content-type", "text/plain;charset=UTF-8");
    put_header_c(hd, "origin", g->site);
    put_page_url(tmp, g, v, h->page, h->obj, h->param, h->flags & GEN_H_LANDING);
    put_header(hd, "referer", tmp->ptr, tmp->len);
    cn_buf_clear(tmp);
    if (fam == FAM_CHROMIUM) {
        put_header_c(hd, "sec-fetch-dest", "empty");
        put_header_c(hd, "sec-fetch-mode", "no-cors");
        put_header_c(hd, "sec-fetch-site", "same-origin");
    }
    out->raw.proto = CN_PROTO_CANTON_JSON;
    out->raw.suite = cn_str_c(g->suite);
    out->raw.method = CN_STR_LIT("POST");
    put_lit(&g->path, "/api/collect");
}

/* --- Access log --- */

static void render_access(cn_gen_t *g, const gen_hit_t *h, const gen_visit_t *v, cn_gen_hit_t *out)
{
    static const char *const assets[] = {
        "/static/css/app.8c1f3b2a.css",
        "/static/js/vendor.41d9e07c.js",
        "/static/js/app.b27a5f90.js",
        "/static/img/logo.png",
        "/static/fonts/NotoSansSC-Regular.woff2",
    };
    static const uint32_t asset_bytes[] = {48213, 187442, 61207, 9137, 412680};
    cn_buf_t *p = &g->path;
    uint64_t rnd = cn_gen__hash2(v->key ^ h->order, h->seq);
    out->raw.proto = CN_PROTO_IMPORT_LOG;
    out->raw.method = CN_STR_LIT("GET");
    out->status = 200;
    if (h->kind == GEN_K_ASSET) {
        if (h->param <= ASSET_FONT) {
            put_lit(p, assets[h->param]);
            out->bytes = asset_bytes[h->param];
        } else if (h->param == ASSET_BANNER_JPG) {
            put_lit(p, "/static/img/banners/banner-");
            put_u64(p, h->obj + 1);
            put_lit(p, ".jpg");
            out->bytes = 120000 + (uint32_t)(h->obj * 7919 % 60000);
        } else {
            put_lit(p,
                    h->param == ASSET_THUMB_JPG ? "/static/img/thumbs/" : "/static/img/products/");
            size_t at = p->len;
            put_sku(p, g, h->obj);
            for (size_t i = at; i < p->len; i++)
                if (p->ptr[i] >= 'A' && p->ptr[i] <= 'Z')
                    p->ptr[i] = (char)(p->ptr[i] - 'A' + 'a');
            put_lit(p, ".jpg");
            out->bytes = (h->param == ASSET_THUMB_JPG ? 8000 : 60000) +
                         (uint32_t)(cn_gen__mix(h->obj) % 40000);
        }
        if (h->flags & GEN_H_304) {
            out->status = 304;
            out->bytes = 0;
        }
        /* The referer is the page that loaded the asset. */
        uint32_t page_obj = h->param == ASSET_THUMB_JPG    ? cn_gen__product_cat(g, h->obj)
                            : h->param == ASSET_BANNER_JPG ? 0
                                                           : h->obj;
        put_page_url(&g->ref, g, v, h->page, page_obj, 1, h->flags & GEN_H_LANDING);
    } else if (h->kind == GEN_K_CART_ADD || h->kind == GEN_K_SIGNUP) {
        out->raw.method = CN_STR_LIT("POST");
        put_lit(p, h->kind == GEN_K_CART_ADD ? "/cart/add" : "/newsletter/subscribe");
        out->bytes = 180 + (uint32_t)(rnd % 120);
        put_page_url(&g->ref, g, v, h->page, h->obj, h->param, h->flags & GEN_H_LANDING);
    } else {
        put_page_url(p, g, v, h->page, h->obj, h->param, h->flags & GEN_H_LANDING);
        /* Drop the origin: the request target is the path. */
        size_t sl = strlen(g->site);
        memmove(p->ptr, p->ptr + sl, p->len - sl + 1);
        p->len -= sl;
        put_referrer(&g->ref, g, v, h);
        if (h->page == GEN_P_PROBE || h->page == GEN_P_MISSING) {
            out->status = 404;
            out->bytes = 5120 + (uint32_t)(rnd % 300);
        } else if (h->page == GEN_P_ROBOTS) {
            out->bytes = 312;
        } else {
            out->bytes = 18000 + (uint32_t)(rnd % 47000);
        }
    }
    /* Split the query off the path. */
    char *qm = memchr(p->ptr, '?', p->len);
    if (qm) {
        size_t at = (size_t)(qm - p->ptr);
        put_mem(&g->query, qm + 1, p->len - at - 1);
        p->len = at;
        p->ptr[at] = 0;
    }
    cn_buf_t *hd = &g->headers;
    put_header_c(hd, "host", g->site_host);
    put_header_c(hd, "user-agent", cn_gen__uas[v->ua].ua);
    if (g->ref.len)
        put_header(hd, "referer", g->ref.ptr, g->ref.len);
}

/* --- Entry --- */

void cn_gen__render_init(cn_gen_t *g)
{
    CN_ASSERT(cn_gen__ua_count <= sizeof(g->ua_family));
    for (size_t i = 0; i < cn_gen__ua_count; i++)
        g->ua_family[i] = ua_family(&cn_gen__uas[i]);
}

void cn_gen__render(cn_gen_t *g, const gen_hit_t *h, const gen_visit_t *v, cn_gen_hit_t *out)
{
    cn_buf_clear(&g->path);
    cn_buf_clear(&g->query);
    cn_buf_clear(&g->headers);
    cn_buf_clear(&g->body);
    cn_buf_clear(&g->ip);
    cn_buf_clear(&g->url);
    cn_buf_clear(&g->ref);
    cn_buf_clear(&g->tmp);
    memset(out, 0, sizeof(*out));

    int64_t t = g->o.live ? cn_time_now_us() : h->t;
    out->raw.recv_us = t;
    put_ip(&g->ip, v->ip);
    out->raw.ip = cn_buf_str(&g->ip);
    out->raw.ua = cn_str_c(cn_gen__uas[v->ua].ua);

    bool order = h->kind == GEN_K_PAGE && h->page == GEN_P_CONFIRM && v->order_no;
    cn_buf_clear(&g->order_id);
    if (order)
        put_order_id(&g->order_id, v, h->t);

    if (g->o.mode == CN_GEN_ACCESS_LOG)
        render_access(g, h, v, out);
    else if (v->flags & GEN_V_JSON)
        render_json(g, h, v, t, out);
    else
        render_adobe(g, h, v, t, out);

    out->raw.path = cn_buf_str(&g->path);
    out->raw.query = cn_buf_str(&g->query);
    out->raw.headers = cn_buf_str(&g->headers);
    out->raw.body = g->body.len ? cn_buf_str(&g->body) : CN_STR_NULL;
    out->referer = cn_rawhit_header(&out->raw, CN_STR_LIT("referer"));
    if (v->flags & GEN_V_BOT) {
        const char *cc = cn_gen__uas[v->ua].bot_cc;
        memcpy(out->country, cc, 2);
    } else {
        memcpy(out->country, cn_gen__countries[v->country].cc, 2);
    }
    out->country[2] = 0;
    out->is_bot = v->flags & GEN_V_BOT;
    out->is_returning = v->flags & GEN_V_RETURNING;
    out->is_visit_start = h->seq == 0;
    out->is_purchase = order;
    out->visitor = v->key;
    out->visit = v->seq;
    if (order) {
        out->order_id = cn_buf_str(&g->order_id);
        out->order_items = v->ncart;
    }
}

/* --- Output formats --- */

void cn_gen_format_json(const cn_gen_hit_t *hit, uint64_t seq, cn_buf_t *out)
{
    char iso[32];
    cn_time_fmt_iso(hit->raw.recv_us, iso);
    put_lit(out, "{\"seq\":");
    put_u64(out, seq);
    put_lit(out, ",\"received_at\":\"");
    put_lit(out, iso);
    put_lit(out, "\",\"ip\":");
    cn_buf_append_json_str(out, hit->raw.ip);
    put_lit(out, ",\"proto\":\"");
    put_lit(out, cn_proto_name(hit->raw.proto));
    put_lit(out, "\",\"method\":");
    cn_buf_append_json_str(out, hit->raw.method);
    put_lit(out, ",\"path\":");
    cn_buf_append_json_str(out, hit->raw.path);
    put_lit(out, ",\"query\":");
    cn_buf_append_json_str(out, hit->raw.query);
    put_lit(out, ",\"headers\":{");
    cn_str_t rest = hit->raw.headers, line;
    bool first = true;
    while (rest.len) {
        rest = cn_str_split(rest, '\n', &line);
        const char *colon = memchr(line.ptr, ':', line.len);
        if (!colon)
            continue;
        size_t nl = (size_t)(colon - line.ptr);
        size_t vs = nl + 1;
        while (vs < line.len && line.ptr[vs] == ' ')
            vs++;
        if (!first)
            put_c(out, ',');
        first = false;
        cn_buf_append_json_str(out, cn_str(line.ptr, nl));
        put_c(out, ':');
        cn_buf_append_json_str(out, cn_str(line.ptr + vs, line.len - vs));
    }
    put_lit(out, "},\"body\":");
    if (hit->raw.body.len) {
        cn_buf_append_json_str(out, hit->raw.body);
        put_lit(out, ",\"body_encoding\":\"text\"}\n");
    } else {
        put_lit(out, "null,\"body_encoding\":null}\n");
    }
}

void cn_gen_format_nginx(const cn_gen_hit_t *hit, cn_buf_t *out)
{
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t local = hit->raw.recv_us / SEC_US + 8 * 3600;
    int64_t day = local / 86400, sec = local % 86400;
    int y;
    unsigned m, d;
    cn_gen__civil_from_days(day, &y, &m, &d);
    cn_buf_append_str(out, hit->raw.ip);
    put_lit(out, " - - [");
    put_pad(out, d, 2);
    put_c(out, '/');
    put_lit(out, mon[m - 1]);
    put_c(out, '/');
    put_u64(out, (uint64_t)y);
    put_c(out, ':');
    put_pad(out, (uint64_t)(sec / 3600), 2);
    put_c(out, ':');
    put_pad(out, (uint64_t)(sec / 60 % 60), 2);
    put_c(out, ':');
    put_pad(out, (uint64_t)(sec % 60), 2);
    put_lit(out, " +0800] \"");
    cn_buf_append_str(out, hit->raw.method);
    put_c(out, ' ');
    cn_buf_append_str(out, hit->raw.path);
    if (hit->raw.query.len) {
        put_c(out, '?');
        cn_buf_append_str(out, hit->raw.query);
    }
    put_lit(out, " HTTP/1.1\" ");
    put_u64(out, hit->status ? hit->status : 200);
    put_c(out, ' ');
    put_u64(out, hit->bytes);
    put_lit(out, " \"");
    if (hit->referer.len)
        cn_buf_append_str(out, hit->referer);
    else
        put_c(out, '-');
    put_lit(out, "\" \"");
    cn_buf_append_str(out, hit->raw.ua);
    put_lit(out, "\"\n");
}
