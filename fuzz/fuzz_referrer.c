/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: referrer and landing-URL handling (URL splitting, the query
 * iterator, percent-decoding, the referrer lists, campaigns, channel rules).
 * Input: the referrer URL, a newline, the landing URL (or only a referrer).
 * Invariants: every slice handed out lies inside the input or canton's own
 * buffers and strings; the referrer domain is lower case and no longer than
 * the input's host; percent-decoding never grows a string; the channel is
 * one of the default rules' names; the same input gives the same answer;
 * the referrer, campaign and channel memos give what the full paths give,
 * on a miss and on a hit, and the visit-source memo also for another click
 * of the same ad (the click ids' values changed: one masked key). An
 * optional third line is Adobe's v0.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/internal.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cn_enrich_t *E;
static cn_enrich_thread_t *T;

/* A suite with its own campaign parameters: more than the one walk of a query looks for, some
 * of them utm_* fields, one twice. */
static cn_conf_kv_t params_kv[] = {
    {"campaign_params", "cmp, utm_source, cid, cmp, a, b, c, utm_term, d, e, f, gclid", 1}};
static cn_suite_conf_t params_suite[] = {{.id = "params", .kv = params_kv, .kv_count = 1}};
static cn_conf_t params_conf = {.suites = params_suite, .suite_count = 1};

static void init(void)
{
    cn_enrich_opts_t o;
    cn_enrich_paths_t p;
    cn_enrich_opts_default(&o, &p, NULL);
    o.crawlers = o.geo_country = o.geo_city_v4 = o.geo_city_v6 = NULL;
    o.conf = &params_conf;
    cn_err_t err;
    if (cn_enrich_open(&o, &E, &err) != 0)
        cn_panic("fuzz_referrer: %s", err.msg);
    T = cn_enrich_thread_new(E);
}

static const char *const channels[] = {"Paid Search",
                                       "Display",
                                       "Social Networks",
                                       "Email",
                                       "Natural Search",
                                       "AI Assistants",
                                       "Referring Domains",
                                       "Internal",
                                       "Direct",
                                       "Other Campaigns",
                                       "Other",
                                       NULL};

/* Every field as text: the memo's answers and the full path's share buffers of T. */
static size_t ref_text(int rc, const cn_ref_info_t *r, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%d %d %.*s|%.*s|%.*s|%.*s", rc, (int)r->type, CN_STR_FMT(r->domain),
                     CN_STR_FMT(r->source), CN_STR_FMT(r->medium), CN_STR_FMT(r->terms));
    return n < 0 ? 0 : (size_t)n;
}

static size_t camp_text(const cn_campaign_t *c, char *buf, size_t cap)
{
    int n =
        snprintf(buf, cap, "%.*s|%.*s|%.*s|%.*s|%.*s|%.*s|%.*s", CN_STR_FMT(c->campaign),
                 CN_STR_FMT(c->utm_source), CN_STR_FMT(c->utm_medium), CN_STR_FMT(c->utm_campaign),
                 CN_STR_FMT(c->utm_term), CN_STR_FMT(c->utm_content), CN_STR_FMT(c->click_id));
    return n < 0 ? 0 : (size_t)n;
}

/* land copied to buf with the first byte of each click id's value changed: another click of
 * the same ad, which the visit-source memo keeps under one key (masked). */
static cn_str_t other_click(cn_str_t land, char *buf, size_t cap)
{
    if (land.len > cap)
        return land;
    if (land.len > 0)
        memcpy(buf, land.ptr, land.len);
    cn_str_t q = cn_enrich__landing_query(cn_str(buf, land.len)), k, v;
    while (cn_enrich__query_next(&q, &k, &v)) {
        if (v.len > 0 && cn_enrich__click_name(k) != NULL) {
            char *c = buf + (v.ptr - buf);
            *c = *c == 'x' ? 'y' : 'x';
        }
    }
    return cn_str(buf, land.len);
}

/* An answer (rc, referrer and campaign) as one text. */
static void answer_text(int rc, const cn_ref_info_t *r, const cn_campaign_t *c, char *buf,
                        size_t size)
{
    ref_text(rc, r, buf, size);
    size_t n = strlen(buf);
    camp_text(c, buf + n, size - n);
}

/* The answer of the full path without memos, as answer_text writes it, and its parts. */
static void nomemo_text(cn_str_t ref, cn_str_t land, cn_str_t v0, const cn_suite_conf_t *suite,
                        cn_ref_info_t *rn, cn_campaign_t *cn, char *buf, size_t size)
{
    int rc = cn_enrich__referrer_nomemo(T, ref, land, suite, rn);
    cn_enrich__campaign_nomemo(T, land, v0, suite, cn);
    answer_text(rc, rn, cn, buf, size);
}

/* cn_enrich_source against the full path without memos. */
static void source_matches(cn_str_t ref, cn_str_t land, cn_str_t v0, const cn_suite_conf_t *suite)
{
    static char a[8192], b[8192];
    cn_ref_info_t rl, rn;
    cn_campaign_t cl, cn;
    cn_str_t ch;
    int rc = cn_enrich_source(T, ref, land, v0, suite, &rl, &cl, &ch);
    answer_text(rc, &rl, &cl, a, sizeof(a));
    nomemo_text(ref, land, v0, suite, &rn, &cn, b, sizeof(b));
    if (strcmp(a, b) != 0 || !cn_str_eq(ch, cn_enrich__channel_walk(T, suite, &rn, &cn)))
        abort();
}

static void memos_match(cn_str_t ref, cn_str_t land, cn_str_t v0, const cn_suite_conf_t *suite)
{
    static char a[8192], b[8192];
    for (int pass = 0; pass < 2; pass++) { /* a miss, then a hit */
        cn_ref_info_t rm, rn;
        int rc = cn_enrich_referrer(T, ref, land, suite, &rm);
        ref_text(rc, &rm, a, sizeof(a));
        rc = cn_enrich__referrer_nomemo(T, ref, land, suite, &rn);
        ref_text(rc, &rn, b, sizeof(b));
        if (strcmp(a, b) != 0)
            abort();
        cn_campaign_t cm, cn;
        cn_enrich_campaign(T, land, v0, suite, &cm);
        camp_text(&cm, a, sizeof(a));
        cn_enrich__campaign_slow(T, land, v0, suite, &cn);
        camp_text(&cn, b, sizeof(b));
        if (strcmp(a, b) != 0)
            abort(); /* the one walk of the query reads what a walk per parameter reads */
        cn_enrich__campaign_nomemo(T, land, v0, suite, &cn);
        camp_text(&cn, b, sizeof(b));
        if (strcmp(a, b) != 0)
            abort();
        if (!cn_str_eq(cn_enrich_channel(T, suite, &rn, &cn),
                       cn_enrich__channel_walk(T, suite, &rn, &cn)))
            abort();
        cn_ref_info_t rl;
        cn_campaign_t cl;
        rc = cn_enrich_landing(T, ref, land, v0, suite, &rl, &cl);
        answer_text(rc, &rl, &cl, a, sizeof(a));
        nomemo_text(ref, land, v0, suite, &rn, &cn, b, sizeof(b));
        if (strcmp(a, b) != 0)
            abort();
        /* the visit-source memo: the same answers and the walk's channel */
        cn_str_t ch;
        rc = cn_enrich_source(T, ref, land, v0, suite, &rl, &cl, &ch);
        answer_text(rc, &rl, &cl, a, sizeof(a));
        if (strcmp(a, b) != 0 || !cn_str_eq(ch, cn_enrich__channel_walk(T, suite, &rn, &cn)))
            abort();
    }
    /* another click of the same ad: a hit on the masked key where the suite allows it */
    static char other[8192];
    source_matches(ref, other_click(land, other, sizeof(other)), v0, suite);
    source_matches(ref, land, v0, suite);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (E == NULL)
        init();
    cn_str_t in = cn_str((const char *)data, size), ref, land;
    land = cn_str_split(in, '\n', &ref);
    if (land.ptr == NULL)
        land = CN_STR_LIT("");
    cn_str_t v0 = cn_str_split(land, '\n', &land);

    cn_url_t u;
    if (cn_enrich__url_split(ref, &u) == 0) {
        if (u.host.len == 0 || u.host.ptr < ref.ptr || u.host.ptr + u.host.len > ref.ptr + ref.len)
            abort();
    }
    char dec[4096];
    size_t n = cn_enrich__pct_decode(ref, dec, sizeof(dec));
    if (n > ref.len || n > sizeof(dec))
        abort();
    cn_str_t q = land, k, v;
    while (cn_enrich__query_next(&q, &k, &v))
        if (k.ptr < land.ptr || v.ptr + v.len > land.ptr + land.len)
            abort();

    static char *domains[] = {"shop.example.com"};
    cn_suite_conf_t suite = {.id = "fuzz", .domains = domains, .domain_count = 1};
    cn_ref_info_t r, r2;
    cn_campaign_t c;
    cn_enrich_referrer(T, ref, land, &suite, &r);
    for (size_t i = 0; i < r.domain.len; i++)
        if (isupper((unsigned char)r.domain.ptr[i]))
            abort();
    if (r.type == CN_REF_NONE && cn_str_trim(ref).len != 0)
        abort(); /* "none" only when there is no referrer */
    cn_enrich_campaign(T, land, CN_STR_NULL, &suite, &c);
    cn_str_t ch = cn_enrich_channel(T, &suite, &r, &c);
    bool known = false;
    for (const char *const *p = channels; *p != NULL && !known; p++)
        known = cn_str_eq_c(ch, *p);
    if (!known)
        abort();
    char keep_domain[256];
    size_t dl = r.domain.len;
    memcpy(keep_domain, r.domain.ptr, dl);
    cn_enrich_referrer(T, ref, land, &suite, &r2);
    if (r2.type != r.type || !cn_str_eq(r2.domain, cn_str(keep_domain, dl)) ||
        !cn_str_eq(r2.source, r.source))
        abort();
    memos_match(ref, land, v0, &suite);
    memos_match(ref, land, v0, NULL);
    memos_match(ref, land, v0, &params_suite[0]);
    return 0;
}
